//! `wchan` names change across kernels (`futex_wait_queue_me`, `futex_wait_queue`,
//! `futex_do_wait`), so healthtop matches them by keyword into a stable class.

use serde::{Deserialize, Serialize};

/// What a sleeping thread waits for, by kernel function family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitClass {
    /// A lock or condition variable (futex).
    Lock,
    /// Idle I/O readiness wait (epoll, poll, select).
    Poll,
    /// Waiting for a connection or socket data.
    Network,
    /// Reading or writing a pipe.
    Pipe,
    /// Sleeping on a timer.
    Sleep,
    /// Waiting for a child.
    Child,
    /// Disk or filesystem I/O.
    Io,
    /// Anything else.
    Other,
}

/// Classifies a `wchan` symbol by keyword.
pub fn classify(wchan: &str) -> WaitClass {
    let contains = |needles: &[&str]| needles.iter().any(|n| wchan.contains(n));
    if contains(&["futex"]) {
        WaitClass::Lock
    } else if contains(&[
        "ep_poll",
        "do_poll",
        "do_select",
        "do_sys_poll",
        "core_sys_select",
    ]) {
        WaitClass::Poll
    } else if contains(&[
        "inet_csk_accept",
        "sk_wait",
        "tcp_",
        "unix_stream",
        "sock",
        "skb",
    ]) {
        WaitClass::Network
    } else if contains(&["pipe"]) {
        WaitClass::Pipe
    } else if contains(&["nanosleep", "hrtimer", "schedule_timeout", "pause"]) {
        WaitClass::Sleep
    } else if contains(&["wait4", "do_wait", "waitid"]) {
        WaitClass::Child
    } else if contains(&[
        "io_schedule",
        "folio",
        "page",
        "blk",
        "nfs",
        "ext4",
        "xfs",
        "btrfs",
        "jbd2",
    ]) {
        WaitClass::Io
    } else {
        WaitClass::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_across_kernels() {
        for name in ["futex_wait_queue_me", "futex_wait_queue", "futex_do_wait"] {
            assert_eq!(classify(name), WaitClass::Lock);
        }
        assert_eq!(classify("ep_poll"), WaitClass::Poll);
        assert_eq!(classify("anon_pipe_read"), WaitClass::Pipe);
        assert_eq!(classify("__do_sys_pause"), WaitClass::Sleep);
        assert_eq!(classify("do_nanosleep"), WaitClass::Sleep);
        assert_eq!(classify("inet_csk_accept"), WaitClass::Network);
        assert_eq!(classify("folio_wait_bit_common"), WaitClass::Io);
        assert_eq!(classify("something_new"), WaitClass::Other);
    }
}
