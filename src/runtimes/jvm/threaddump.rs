//! Parser for HotSpot thread dumps (`threaddump` over attach, `jstack`, `jcmd Thread.print`,
//! SIGQUIT output): thread header, `java.lang.Thread.State`, `at` frames, lock lines, the
//! deadlock report. Pure: text in, data out; tolerant of unknown lines.
//!
//! May import: nothing else in the crate; serde.

use serde::{Deserialize, Serialize};

/// The threads of one dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JvmThreads {
    pub threads: Vec<JvmThread>,
    /// Names of the threads HotSpot reported in a Java-level deadlock.
    pub deadlocked: Vec<String>,
}

/// One thread: Java threads have a `#id`, a state and frames; VM threads (GC, compiler) only
/// a name and a nid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JvmThread {
    pub name: String,
    /// `#12`: the Java thread id.
    pub java_id: Option<u64>,
    pub daemon: bool,
    /// `nid` as printed (hex in JDK ≤ 18, decimal later): the Linux thread id inside the
    /// JVM's pid namespace.
    pub nid: Option<u32>,
    /// Linux thread id as healthtop sees it (host pid namespace). The parser copies `nid`;
    /// [`crate::runtimes::jvm::join_tasks`] translates it for a JVM in a container, or clears
    /// it when no such task exists.
    pub tid: Option<u32>,
    /// `java.lang.Thread.State`: `RUNNABLE`, `WAITING`, …
    pub state: Option<String>,
    /// The parenthesised detail of the state: `parking`, `on object monitor`, `sleeping`.
    pub state_detail: Option<String>,
    /// Leaf first, as printed.
    pub frames: Vec<JavaFrame>,
    pub locks: Vec<JvmLock>,
    /// `comm` of `/proc/PID/task/TID` when the tid is a live task of the target (the join with
    /// the kernel's thread table); filled by the caller, `None` from the parser.
    pub task_comm: Option<String>,
}

/// `at pkg.Class.method(File.java:12)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JavaFrame {
    /// `pkg.Class.method`.
    pub method: String,
    /// What the parentheses held: `File.java:12`, `Native Method`, `java.base@17/Foo.java:3`.
    pub location: String,
}

/// A lock line under a frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JvmLock {
    pub kind: LockKind,
    /// `0x000000069ec1a5e0`, when printed.
    pub address: Option<String>,
    /// `java.lang.Object`, when printed.
    pub class: Option<String>,
    /// Index into `frames` of the frame it follows; `None` for ownable synchronizers.
    pub frame: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockKind {
    /// `- locked <…>`: held monitor.
    Locked,
    /// `- waiting on <…>`: in `Object.wait`.
    WaitingOn,
    /// `- waiting to lock <…>`: blocked entering a monitor.
    WaitingToLock,
    /// `- parking to wait for <…>`: `LockSupport.park` with a blocker.
    ParkingFor,
    /// `- eliminated …`: lock removed by escape analysis.
    Eliminated,
    /// An entry under `Locked ownable synchronizers:` (`jstack -l`).
    OwnableSynchronizer,
}

impl JvmThreads {
    /// (leaf-first frames, 1) per Java thread with frames, the state as a root frame.
    pub fn folded_stacks(&self) -> Vec<(Vec<String>, u64)> {
        self.threads
            .iter()
            .filter(|t| !t.frames.is_empty())
            .map(|t| {
                let mut frames: Vec<String> = t
                    .frames
                    .iter()
                    .map(|f| format!("{}_[j]", f.method))
                    .collect();
                frames.push(t.name.clone());
                (frames, 1)
            })
            .collect()
    }
}

/// Parses a whole thread dump. Never fails: lines it does not know are skipped.
pub fn parse_thread_dump(text: &str) -> JvmThreads {
    let mut threads: Vec<JvmThread> = Vec::new();
    let mut deadlocked = Vec::new();
    let mut current: Option<JvmThread> = None;
    let mut in_synchronizers = false;
    let mut lines = text.lines();
    while let Some(raw) = lines.next() {
        let line = raw.trim_end();
        if line.starts_with("Found one Java-level deadlock") {
            threads.extend(current.take());
            deadlocked.extend(deadlock_names(&mut lines));
            continue;
        }
        if line.starts_with('"') {
            if let Some(thread) = parse_header(line) {
                threads.extend(current.replace(thread));
                in_synchronizers = false;
            }
            continue;
        }
        let Some(thread) = current.as_mut() else {
            continue;
        };
        let trimmed = line.trim_start();
        if let Some(state) = trimmed.strip_prefix("java.lang.Thread.State: ") {
            let (state, detail) = match state.split_once(" (") {
                Some((s, d)) => (s, Some(d.trim_end_matches(')').to_string())),
                None => (state, None),
            };
            thread.state = Some(state.to_string());
            thread.state_detail = detail;
        } else if let Some(frame) = trimmed.strip_prefix("at ") {
            if let Some(frame) = parse_frame(frame) {
                thread.frames.push(frame);
            }
        } else if trimmed == "Locked ownable synchronizers:" {
            in_synchronizers = true;
        } else if let Some(lock) = trimmed.strip_prefix("- ") {
            if let Some(lock) = parse_lock(lock, in_synchronizers, thread.frames.len()) {
                thread.locks.push(lock);
            }
        }
    }
    threads.extend(current);
    JvmThreads {
        threads,
        deadlocked,
    }
}

/// Quotes tried as the end of a thread name, from the right.
const MAX_QUOTE_TRIES: usize = 64;

/// Tokens that may follow the closing quote of a thread name in a header.
fn is_header_token(token: &str) -> bool {
    let number_after = |prefix: &str| {
        token
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty())
    };
    token == "daemon"
        || token
            .strip_prefix('#')
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
        || (token.starts_with('[') && token.ends_with(']'))
        || [
            "prio=",
            "os_prio=",
            "cpu=",
            "elapsed=",
            "allocated=",
            "defined_classes=",
        ]
        .iter()
        .any(|p| number_after(p))
}

/// `"name" #12 daemon prio=5 os_prio=0 cpu=… elapsed=… tid=0x… nid=0x2922 waiting on condition`
fn parse_header(line: &str) -> Option<JvmThread> {
    let tid_at = line.find(" tid=").or_else(|| line.find(" nid="))?;
    let head = &line[..tid_at];
    // The name may itself contain quotes: take the last quote after which only header
    // tokens follow, among the last few quotes (each try scans the rest of the line, so an
    // unbounded number of tries would be quadratic in a hostile line).
    let close = head
        .char_indices()
        .filter(|&(i, c)| c == '"' && i > 0)
        .map(|(i, _)| i)
        .rev()
        .take(MAX_QUOTE_TRIES)
        .find(|&i| head[i + 1..].split_whitespace().all(is_header_token))?;
    let name = head[1..close].to_string();
    let tokens: Vec<&str> = head[close + 1..].split_whitespace().collect();
    let java_id = tokens
        .iter()
        .find_map(|t| t.strip_prefix('#').and_then(|n| n.parse().ok()));
    let daemon = tokens.contains(&"daemon");
    let nid = line[tid_at..]
        .split_whitespace()
        .find_map(|t| t.strip_prefix("nid="))
        .and_then(parse_nid);
    Some(JvmThread {
        name,
        java_id,
        daemon,
        nid,
        tid: nid,
        state: None,
        state_detail: None,
        frames: Vec::new(),
        locks: Vec::new(),
        task_comm: None,
    })
}

/// `0x2922` (JDK ≤ 18) or `10530` (JDK 19+).
fn parse_nid(text: &str) -> Option<u32> {
    match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// `Parker.parkHere(dump_parker.java:22)`.
fn parse_frame(text: &str) -> Option<JavaFrame> {
    let open = text.find('(')?;
    let location = text[open + 1..].strip_suffix(')')?;
    Some(JavaFrame {
        method: text[..open].to_string(),
        location: location.to_string(),
    })
}

/// The text after `- `: `locked <0x…> (a java.lang.Object)`, `parking to wait for  <0x…> (…)`.
fn parse_lock(text: &str, in_synchronizers: bool, frames_so_far: usize) -> Option<JvmLock> {
    const KINDS: [(&str, LockKind); 5] = [
        ("locked ", LockKind::Locked),
        ("waiting on ", LockKind::WaitingOn),
        ("waiting to lock ", LockKind::WaitingToLock),
        ("parking to wait for ", LockKind::ParkingFor),
        ("eliminated ", LockKind::Eliminated),
    ];
    let (kind, rest) = if in_synchronizers {
        if text == "None" {
            return None;
        }
        (LockKind::OwnableSynchronizer, text)
    } else {
        KINDS
            .iter()
            .find_map(|(prefix, kind)| text.strip_prefix(prefix).map(|rest| (*kind, rest)))?
    };
    let rest = rest.trim_start();
    let address = rest
        .strip_prefix("<0x")
        .and_then(|r| r.split_once('>'))
        .map(|(hex, _)| format!("0x{hex}"));
    let class = rest
        .split_once("(a ")
        .and_then(|(_, r)| r.strip_suffix(')'))
        .map(str::to_string);
    let frame = match kind {
        LockKind::OwnableSynchronizer => None,
        _ => frames_so_far.checked_sub(1),
    };
    Some(JvmLock {
        kind,
        address,
        class,
        frame,
    })
}

/// Thread names in the first block of a deadlock report (`"name":` lines up to the stack
/// section).
fn deadlock_names<'a>(lines: &mut impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut names = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in lines {
        if line.starts_with("Java stack information") || line.starts_with("Found ") {
            break;
        }
        if let Some(name) = line.strip_prefix('"').and_then(|l| l.strip_suffix("\":")) {
            if seen.insert(name) {
                names.push(name.to_string());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_old_and_new_jdks() {
        let old = parse_header("\"a \"quoted\" name\" #12 daemon prio=5 os_prio=0 cpu=0.17ms elapsed=0.47s tid=0x00007fd7301314c0 nid=0x2922 waiting on condition  [0x00007fd7342ee000]").expect("header");
        assert_eq!(old.name, "a \"quoted\" name");
        assert_eq!(old.java_id, Some(12));
        assert!(old.daemon);
        assert_eq!(old.tid, Some(0x2922));
        let new = parse_header("\"main\" #1 [10530] prio=5 os_prio=0 cpu=51.40ms elapsed=0.40s tid=0x00007fd730017ea0 nid=10530 runnable  [0x00007fd7383de000]").expect("header");
        assert_eq!(
            (new.name.as_str(), new.tid, new.daemon),
            ("main", Some(10530), false)
        );
        let vm = parse_header("\"VM Thread\" os_prio=0 cpu=0.42ms elapsed=0.39s tid=0x00007fd7300f4400 nid=0x2916 runnable").expect("header");
        assert_eq!((vm.name.as_str(), vm.java_id), ("VM Thread", None));
        assert!(parse_header("\"lock-a-then-b\":").is_none());
    }

    #[test]
    fn locks_attach_to_the_frame_above() {
        let dump = parse_thread_dump(
            "\"w\" #13 daemon prio=5 os_prio=0 tid=0x1 nid=0x2923 in Object.wait()\n   java.lang.Thread.State: WAITING (on object monitor)\n\tat java.lang.Object.wait(java.base@17.0.15/Native Method)\n\t- waiting on <0x000000069ec1a5d0> (a java.lang.Object)\n\tat Parker.parkHere(dump_parker.java:17)\n\t- locked <0x000000069ec1a5d0> (a java.lang.Object)\n\n   Locked ownable synchronizers:\n\t- <0x00000000abc> (a java.util.concurrent.locks.ReentrantLock$NonfairSync)\n",
        );
        let thread = &dump.threads[0];
        assert_eq!(thread.state.as_deref(), Some("WAITING"));
        assert_eq!(thread.state_detail.as_deref(), Some("on object monitor"));
        assert_eq!(thread.frames[1].method, "Parker.parkHere");
        assert_eq!(thread.frames[1].location, "dump_parker.java:17");
        let kinds: Vec<_> = thread.locks.iter().map(|l| (l.kind, l.frame)).collect();
        assert_eq!(
            kinds,
            vec![
                (LockKind::WaitingOn, Some(0)),
                (LockKind::Locked, Some(1)),
                (LockKind::OwnableSynchronizer, None)
            ]
        );
        assert_eq!(
            thread.locks[0].address.as_deref(),
            Some("0x000000069ec1a5d0")
        );
        assert_eq!(thread.locks[0].class.as_deref(), Some("java.lang.Object"));
    }

    #[test]
    fn garbage_does_not_panic() {
        for text in [
            "",
            "\"",
            "\"x\" nid=",
            "\tat (",
            "\t- locked <0x",
            "\"\" tid= nid=0xzz",
        ] {
            let _ = parse_thread_dump(text);
        }
    }
}
