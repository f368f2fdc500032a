//! How the target ended, as far as it can be told: while it is a zombie (its parent has not
//! reaped it yet) `/proc/PID/stat` still holds its wait status (field 52, Linux 3.5+). The TUI's
//! banner and `report --watch` both say it in these words.

use super::HostRoot;

/// Words for a wait status: `exited with status 3`, `killed by SIGKILL (core dumped)`.
pub fn describe_wait_status(status: i32) -> String {
    let signal = status & 0x7f;
    if signal == 0 {
        format!("exited with status {}", (status >> 8) & 0xff)
    } else {
        let core = if status & 0x80 != 0 {
            " (core dumped)"
        } else {
            ""
        };
        format!(
            "killed by {}{core}",
            crate::decode::signals::signal_name(signal as u32)
        )
    }
}

/// Reads the exit status of `pid` if it is still the same process, now a zombie.
pub fn describe(root: &HostRoot, pid: i32, start_time: u64) -> String {
    let unknown = "exit status unknown: already reaped by its parent".to_string();
    let Ok(text) = root.read_proc(format!("{pid}/stat")) else {
        return unknown;
    };
    let Some(close) = text.rfind(')') else {
        return unknown;
    };
    // Fields after comm start at field 3 (state).
    let fields: Vec<&str> = text[close + 1..].split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).copied();
    let same = field(22).and_then(|s| s.parse::<u64>().ok()) == Some(start_time);
    let zombie = field(3) == Some("Z");
    match field(52).and_then(|s| s.parse::<i32>().ok()) {
        Some(status) if same && zombie => describe_wait_status(status),
        _ => unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_statuses() {
        assert_eq!(describe_wait_status(3 << 8), "exited with status 3");
        assert_eq!(describe_wait_status(9), "killed by SIGKILL");
        assert_eq!(
            describe_wait_status(11 | 0x80),
            "killed by SIGSEGV (core dumped)"
        );
    }
}
