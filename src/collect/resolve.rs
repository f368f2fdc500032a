//! `-p NAME`: the processes a name means. An exact `comm` or executable basename first; only
//! when none has it, a pgrep-style match on the command line: `pgrep -f` with the name as a
//! literal whole word (`grep -w`: not inside a longer run of letters, digits and `_`). A bare
//! substring would match by accident: `abc` was inside a hash in a linker's command line on
//! the test host. Kernel threads, zombies, healthtop itself and the
//! processes that started it (a `sudo healthtop -p nginx` holds "nginx" in its command line)
//! are never candidates.

use super::scan::{list_pids, split_cmdline, user_names};
use super::{CollectError, HostRoot};
use crate::parse::stat::parse_stat;
use crate::parse::status::Status;
use std::collections::HashSet;

/// A process a name may mean. Every text field is what the process controls: escape it
/// (`safe_text::line`) before showing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub pid: i32,
    pub comm: String,
    /// Basename of `/proc/PID/exe`; `None` when it cannot be read (another user's process).
    pub exe_name: Option<String>,
    pub uid: Option<u32>,
    pub user: Option<String>,
    pub cmdline: Vec<String>,
}

/// How the candidates matched the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    /// `comm` or the executable's basename is the name.
    Exact,
    /// The command line contains the name.
    CommandLine,
}

/// The processes `name` means, in PID order, and how they matched; empty when none does.
/// Fails only when `/proc` cannot be listed.
pub fn find_by_name(
    root: &HostRoot,
    name: &str,
) -> Result<(Vec<Candidate>, MatchKind), CollectError> {
    let excluded = own_lineage(root);
    let users = user_names(root);
    let everyone: Vec<Candidate> = list_pids(root)?
        .into_iter()
        .filter(|pid| !excluded.contains(pid))
        .filter_map(|pid| candidate(root, pid, &users))
        .collect();
    let exact: Vec<Candidate> = everyone
        .iter()
        .filter(|c| c.comm == name || c.exe_name.as_deref() == Some(name))
        .cloned()
        .collect();
    if !exact.is_empty() {
        return Ok((exact, MatchKind::Exact));
    }
    let in_cmdline = everyone
        .into_iter()
        .filter(|c| contains_word(&c.cmdline.join(" "), name))
        .collect();
    Ok((in_cmdline, MatchKind::CommandLine))
}

/// One process as a candidate; `None` for a kernel thread, a zombie or a PID already gone.
fn candidate(
    root: &HostRoot,
    pid: i32,
    users: &std::collections::HashMap<u32, String>,
) -> Option<Candidate> {
    let stat = parse_stat(&root.read_proc(format!("{pid}/stat")).ok()?).ok()?;
    if stat.is_kernel_thread() || matches!(stat.state, 'Z' | 'X') {
        return None;
    }
    let uid = root
        .read_proc(format!("{pid}/status"))
        .ok()
        .and_then(|text| Some(Status::parse(&text).ids("Uid")?[0]));
    let exe_name = std::fs::read_link(root.proc_path(format!("{pid}/exe")))
        .ok()
        .and_then(|path| {
            let name = path.file_name()?;
            let name = crate::safe_text::from_os(name);
            Some(name.strip_suffix(" (deleted)").unwrap_or(&name).to_string())
        });
    let cmdline = root
        .read_proc(format!("{pid}/cmdline"))
        .map(|text| split_cmdline(&text))
        .unwrap_or_default();
    Some(Candidate {
        pid,
        comm: stat.comm,
        exe_name,
        uid,
        user: uid.and_then(|uid| users.get(&uid).cloned()),
        cmdline,
    })
}

/// Whether `word` occurs in `text` with no letter, digit or `_` right before or after it.
fn contains_word(text: &str, word: &str) -> bool {
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    !word.is_empty()
        && text.match_indices(word).any(|(at, _)| {
            !is_word(text[..at].chars().next_back())
                && !is_word(text[at + word.len()..].chars().next())
        })
}

/// This process and every ancestor up to init: never what the user means by a name.
fn own_lineage(root: &HostRoot) -> HashSet<i32> {
    let mut lineage = HashSet::new();
    let mut pid = std::process::id() as i32;
    while pid > 0 && lineage.insert(pid) {
        pid = root
            .read_proc(format!("{pid}/stat"))
            .ok()
            .and_then(|text| parse_stat(&text).ok())
            .map_or(0, |stat| stat.ppid);
    }
    lineage
}

#[cfg(test)]
mod tests {
    use super::contains_word;

    #[test]
    fn a_command_line_matches_whole_words_only() {
        assert!(contains_word("java -jar /srv/orders.jar", "orders"));
        assert!(contains_word("postgres: checkpointer", "postgres"));
        assert!(contains_word("python3 manage.py runserver", "manage.py"));
        assert!(!contains_word("ld /tmp/rustc0abcQ.o", "abc"));
        assert!(!contains_word("nginx_worker", "nginx"));
        assert!(!contains_word("anything", ""));
    }
}
