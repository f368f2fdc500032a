//! Capability sets (`CapEff` …): bit n is capability n.

/// How many capabilities this table names (the kernel's set as of 5.9).
pub const KNOWN: usize = NAMES.len();

const NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Names of the capabilities in a set; unknown bits as `cap_N`.
pub fn capability_names(set: u64) -> Vec<String> {
    (0..64u32)
        .filter(|bit| set >> bit & 1 == 1)
        .map(|bit| {
            NAMES
                .get(bit as usize)
                .map_or_else(|| format!("cap_{bit}"), |n| (*n).to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            capability_names(1 << 21 | 1 << 19),
            vec!["CAP_SYS_PTRACE", "CAP_SYS_ADMIN"]
        );
        assert_eq!(capability_names(1 << 50), vec!["cap_50"]);
        assert!(capability_names(0).is_empty());
    }
}
