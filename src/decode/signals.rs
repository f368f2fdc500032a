//! Signal numbers and masks (`SigBlk`, `SigIgn`, …: bit n-1 is signal n).

/// Names of the standard signals on x86_64 and aarch64 (index = number).
const STANDARD: [&str; 32] = [
    "",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// glibc's `SIGRTMIN`: 32 and 33 are reserved by NPTL (cancellation, setxid).
pub const GLIBC_SIGRTMIN: u32 = 34;
pub const SIGRTMAX: u32 = 64;

/// Name of signal `number`: `SIGTERM`, `SIGRTMIN`, `SIGRTMIN+3`, `SIG32` for glibc-internal ones.
pub fn signal_name(number: u32) -> String {
    match number {
        1..=31 => STANDARD[number as usize].to_string(),
        32 | 33 => format!("SIG{number}"),
        GLIBC_SIGRTMIN => "SIGRTMIN".to_string(),
        35..=SIGRTMAX => format!("SIGRTMIN+{}", number - GLIBC_SIGRTMIN),
        _ => format!("signal {number}"),
    }
}

/// Parses a name (`TERM`, `SIGTERM`, `SIGRTMIN+3`, `15`) into a number.
pub fn signal_number(name: &str) -> Option<u32> {
    let upper = name.trim().to_ascii_uppercase();
    if let Ok(number) = upper.parse::<u32>() {
        return (1..=SIGRTMAX).contains(&number).then_some(number);
    }
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(offset) = bare.strip_prefix("RTMIN+") {
        let number = GLIBC_SIGRTMIN + offset.parse::<u32>().ok()?;
        return (number <= SIGRTMAX).then_some(number);
    }
    if bare == "RTMIN" {
        return Some(GLIBC_SIGRTMIN);
    }
    (1..32u32).find(|&n| &STANDARD[n as usize][3..] == bare)
}

/// Signal numbers set in a mask, ascending.
pub fn mask_numbers(mask: u64) -> impl Iterator<Item = u32> {
    (1..=SIGRTMAX).filter(move |n| mask >> (n - 1) & 1 == 1)
}

/// Names of the signals set in a mask, ascending by number.
pub fn mask_names(mask: u64) -> Vec<String> {
    mask_numbers(mask).map(signal_name).collect()
}

/// Whether signal `number` is set in `mask`.
pub fn mask_has(mask: u64, number: u32) -> bool {
    (1..=SIGRTMAX).contains(&number) && mask >> (number - 1) & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_from_the_lab() {
        // SIGTERM and SIGRTMIN+2 blocked; SIGINT, SIGQUIT and SIGPIPE ignored.
        assert_eq!(
            mask_names(0x0000_0008_0000_4000),
            vec!["SIGTERM", "SIGRTMIN+2"]
        );
        assert_eq!(mask_names(0x1006), vec!["SIGINT", "SIGQUIT", "SIGPIPE"]);
        assert_eq!(mask_names(0x1_0000_0000), vec!["SIG33"]);
        assert_eq!(mask_names(0), Vec::<String>::new());
        assert_eq!(mask_names(u64::MAX).len(), 64);
    }

    #[test]
    fn names_round_trip() {
        for n in 1..=SIGRTMAX {
            if n == 32 || n == 33 {
                continue;
            }
            assert_eq!(signal_number(&signal_name(n)), Some(n), "signal {n}");
        }
        assert_eq!(signal_number("term"), Some(15));
        assert_eq!(signal_number("QUIT"), Some(3));
        assert_eq!(signal_number("65"), None);
        assert_eq!(signal_number("SIGNOPE"), None);
    }
}
