//! System call numbers to names, for the target's architecture.

/// An instruction-set architecture whose syscall table healthtop knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    /// The architecture healthtop was built for (targets are on the same host).
    pub fn native() -> Option<Arch> {
        if cfg!(target_arch = "x86_64") {
            Some(Arch::X86_64)
        } else if cfg!(target_arch = "aarch64") {
            Some(Arch::Aarch64)
        } else {
            None
        }
    }
}

/// The name of system call `number` (`futex`), or `syscall_N` when the table lacks it.
/// Never panics: unknown numbers are common (new kernels, x32 bit set).
pub fn syscall_name(arch: Arch, number: i64) -> String {
    let name = usize::try_from(number).ok().and_then(|nr| match arch {
        Arch::X86_64 => ::syscalls::x86_64::Sysno::new(nr).map(|s| s.name()),
        Arch::Aarch64 => ::syscalls::aarch64::Sysno::new(nr).map(|s| s.name()),
    });
    name.map_or_else(|| format!("syscall_{number}"), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers() {
        assert_eq!(syscall_name(Arch::X86_64, 202), "futex");
        assert_eq!(syscall_name(Arch::X86_64, 0), "read");
        assert_eq!(syscall_name(Arch::X86_64, 232), "epoll_wait");
        assert_eq!(syscall_name(Arch::Aarch64, 98), "futex");
        assert_eq!(syscall_name(Arch::Aarch64, 22), "epoll_pwait");
        assert_eq!(syscall_name(Arch::X86_64, 99_999), "syscall_99999");
        assert_eq!(syscall_name(Arch::X86_64, -1), "syscall_-1");
    }
}
