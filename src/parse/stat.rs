//! `/proc/PID/stat` and `/proc/PID/task/TID/stat`.

use super::ParseError;

/// The fields of `stat` that healthtop uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub pid: i32,
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    pub utime: u64,
    pub stime: u64,
    pub num_threads: u64,
    pub start_time: u64,
    /// Kernel flags (field 9); `PF_KTHREAD` marks kernel threads.
    pub flags: u64,
    /// Minor plus major page faults (fields 10 and 12): they move when a thread runs, even
    /// for less than a clock tick (a `fork` faults on the parent's next writes).
    pub faults: u64,
    /// Pending (thread-private) and blocked signals 1–31 (fields 31 and 32; the kernel prints
    /// only the low 31 bits here, `status` has all 64). `None` on a line that stops earlier.
    pub signal_masks: Option<(u64, u64)>,
}

/// `PF_KTHREAD` from include/linux/sched.h.
pub const PF_KTHREAD: u64 = 0x0020_0000;

impl Stat {
    pub fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }
}

/// Parses one `stat` line. `comm` may hold spaces and `)`, so it ends at the *last* `)`.
pub fn parse_stat(text: &str) -> Result<Stat, ParseError> {
    let open = text
        .find('(')
        .ok_or_else(|| ParseError::new("stat", "no '(' before comm"))?;
    let close = text
        .rfind(')')
        .ok_or_else(|| ParseError::new("stat", "no ')' after comm"))?;
    if close < open {
        return Err(ParseError::new("stat", "')' before '('"));
    }
    let pid = text[..open]
        .trim()
        .parse()
        .map_err(|_| ParseError::new("stat", "pid is not a number"))?;
    let comm = text[open + 1..close].to_string();
    // Fields after comm, numbered from 3 (state) as in proc(5).
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    let field = |n: usize| -> Result<&str, ParseError> {
        rest.get(n - 3)
            .copied()
            .ok_or_else(|| ParseError::new("stat", format!("field {n} missing")))
    };
    let number = |n: usize| -> Result<u64, ParseError> {
        field(n)?
            .parse()
            .map_err(|_| ParseError::new("stat", format!("field {n} is not a number")))
    };
    let state = field(3)?
        .chars()
        .next()
        .ok_or_else(|| ParseError::new("stat", "empty state"))?;
    let ppid = field(4)?
        .parse()
        .map_err(|_| ParseError::new("stat", "ppid is not a number"))?;
    Ok(Stat {
        pid,
        comm,
        state,
        ppid,
        flags: number(9)?,
        faults: number(10)?.saturating_add(number(12)?),
        signal_masks: number(31).ok().zip(number(32).ok()),
        utime: number(14)?,
        stime: number(15)?,
        num_threads: number(20)?,
        start_time: number(22)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comm_with_spaces_and_parens() {
        let line = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 5 0 123456 1000 10 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        let stat = parse_stat(line).expect("parses");
        assert_eq!(stat.comm, "a) b (c)");
        assert_eq!(stat.state, 'S');
        assert_eq!(stat.ppid, 1);
        assert_eq!((stat.utime, stat.stime), (7, 3));
        assert_eq!(stat.num_threads, 5);
        assert_eq!(stat.start_time, 123456);
        assert_eq!(stat.faults, 100);
        assert_eq!(stat.signal_masks, Some((0, 0)));
        assert!(!stat.is_kernel_thread());
    }

    #[test]
    fn truncated_is_an_error() {
        assert!(parse_stat("12 (x) S 1").is_err());
        assert!(parse_stat("").is_err());
        assert!(parse_stat(") (").is_err());
    }
}
