//! A target that attacks whoever watches it (tests/targets/hostile_names.c): its thread names
//! and argv hold ESC, an OSC 52 clipboard write, C1 controls (a raw 0x9B byte and U+009B),
//! U+202E, a newline, XML specials and bytes that are not UTF-8 — the main thread's name too.
//!
//! For `report`, `stacks`, `dump`, `record` and the TUI: every byte healthtop writes is scanned
//! and none of those controls may be in it (see [`forbidden`]); every thread the kernel lists
//! in `/proc/PID/task` is shown, with its name escaped; the JSON keeps the names exact; the
//! flame graph is well-formed XML and the folded file has one stack per line.

mod stacks_support;
mod tmux_support;

use stacks_support::{build_c_target, healthtop, require_tool, run_healthtop, tids, Target};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Output, Stdio};
use tmux_support::Tmux;

/// Each thread's name as the display shows it (`safe_text::line`), and as the JSON holds it.
/// A byte that is not UTF-8 travels as U+10FF00 + byte in the JSON (see `safe_text`).
const NAMES: &[(&str, &str)] = &[
    ("\\xff\\xfemain", "\u{10ffff}\u{10fffe}main"),
    ("\\x1b[31mRED", "\u{1b}[31mRED"),
    ("\\x1b]52;c;aGk=\\x07", "\u{1b}]52;c;aGk=\u{7}"),
    ("c1\\x9braw", "c1\u{10ff9b}raw"),
    ("c1\\u009benc", "c1\u{9b}enc"),
    ("bidi\\u202eevil", "bidi\u{202e}evil"),
    ("nl\\x0afake;x\\\\y", "nl\nfake;x\\y"),
    ("xml<&>\"'", "xml<&>\"'"),
];

/// argv after the program: OSC 52, bytes that are not UTF-8, U+202E, a raw C1 byte.
const ARGV: &[&[u8]] = &[
    b"\x1b]52;c;aGk=\x07",
    b"\xff\xfe",
    "\u{202e}".as_bytes(),
    b"\x9b",
];

/// What the target's SIGUSR1 handler writes (`HOSTILE_DUMP` in hostile_names.c), as `dump`
/// shows it (`safe_text::lines`: newlines and tabs stay) and as its JSON holds it.
const DUMP_SHOWN: &str =
    "dump \\x1b]52;c;aGk=\\x07 \\x1b[2J\\x9b1m\\u009b2m\\u202ertl\\xff\\xfe\n\tnext line\n";
const DUMP_EXACT: &str = "dump \u{1b}]52;c;aGk=\u{7} \u{1b}[2J\u{10ff9b}1m\u{9b}2m\u{202e}rtl\u{10ffff}\u{10fffe}\n\tnext line\n";

/// A thread's escaped name as its pool (`folded::pool_name`): runs of digits of the name become
/// `N`; the digits of an escape (`\x1b`, `\u202e`) are not the name's.
fn pool_of_shown(shown: &str) -> String {
    let mut pool = String::new();
    let mut chars = shown.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                pool.push(c);
                let len = match chars.peek() {
                    Some('x') => 3,
                    Some('u') => 5,
                    _ => 1,
                };
                pool.extend(chars.by_ref().take(len));
            }
            d if d.is_ascii_digit() => {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                pool.push('N');
            }
            c => pool.push(c),
        }
    }
    pool
}

/// Starts the target with its stderr in `dir/stderr.log`, where its dump goes.
fn start_target(dir: &std::path::Path) -> Target {
    let exe = build_c_target(dir, "hostile_names.c", "hostile_names", &["-O0"]);
    let mut command = Command::new(exe);
    command.args(ARGV.iter().map(|a| OsStr::from_bytes(a)));
    command.stderr(std::fs::File::create(dir.join("stderr.log")).expect("stderr file"));
    Target::start(command, "ready")
}

/// Why `c` must never be written to a terminal: C0 (but `\n`), DEL, C1, a bidi control, or a
/// non-UTF-8 byte carried in a string (U+10FF80..).
fn is_forbidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{9}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{10ff80}'..)
}

/// The first forbidden thing in `bytes`, with where it is: not UTF-8 at all, or a forbidden
/// character.
fn forbidden(bytes: &[u8]) -> Option<String> {
    forbidden_but(bytes, &[])
}

/// As [`forbidden`], with the controls in `layout` allowed (a dump keeps its tabs).
fn forbidden_but(bytes: &[u8], layout: &[char]) -> Option<String> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => return Some(format!("not UTF-8 at byte {}", e.valid_up_to())),
    };
    text.char_indices()
        .find(|(_, c)| is_forbidden(*c) && !layout.contains(c))
        .map(|(at, c)| {
            let from = text[..at]
                .char_indices()
                .rev()
                .nth(30)
                .map_or(0, |(i, _)| i);
            format!("{c:?} at byte {at}, after {:?}", &text[from..at])
        })
}

fn assert_clean(what: &str, output: &Output) {
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        if let Some(problem) = forbidden(bytes) {
            panic!("{what} wrote a forbidden character on {stream}: {problem}");
        }
    }
}

#[test]
fn report_stacks_dump_and_record_escape_every_name_and_list_every_thread() {
    if !require_tool("gcc") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let target = start_target(dir.path());
    let pid = target.pid().to_string();
    let tids = tids(target.pid());
    assert_eq!(
        tids.len(),
        NAMES.len(),
        "the target starts one thread per name"
    );

    // report: every thread's row, with its name escaped; argv escaped too.
    let report = run_healthtop(&["report", "-p", &pid]);
    assert_eq!(report.status.code(), Some(0), "{report:?}");
    assert_clean("report", &report);
    let text = String::from_utf8_lossy(&report.stdout);
    for tid in &tids {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("{tid} "))),
            "thread {tid} is missing from the report:\n{text}"
        );
    }
    for (shown, _) in NAMES {
        assert!(text.contains(shown), "{shown} not in the report:\n{text}");
    }
    assert!(
        text.contains("\\x1b]52;c;aGk=\\x07 \\xff\\xfe \\u202e \\x9b"),
        "argv is shown escaped:\n{text}"
    );

    // report --json: exact names (serde escapes them), every thread.
    let json = run_healthtop(&["report", "-p", &pid, "--json"]);
    assert_eq!(json.status.code(), Some(0), "{json:?}");
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
    let mut names: Vec<(i64, String)> = value["threads"]["items"]
        .as_array()
        .expect("threads.items")
        .iter()
        .map(|t| {
            (
                t["tid"].as_i64().expect("tid"),
                t["name"].as_str().expect("name").to_string(),
            )
        })
        .collect();
    names.sort();
    let json_tids: Vec<i64> = names.iter().map(|(tid, _)| *tid).collect();
    assert_eq!(
        json_tids,
        tids.iter().map(|&t| i64::from(t)).collect::<Vec<_>>()
    );
    for (_, exact) in NAMES {
        assert!(
            names.iter().any(|(_, name)| name == exact),
            "{exact:?} not kept exact in the JSON: {names:?}"
        );
    }

    // stacks: every thread, name escaped. It once exited 1 on the main thread's name.
    let stacks = run_healthtop(&["stacks", "-p", &pid]);
    assert_eq!(stacks.status.code(), Some(0), "{stacks:?}");
    assert_clean("stacks", &stacks);
    let text = String::from_utf8_lossy(&stacks.stdout);
    for tid in &tids {
        assert!(
            text.contains(&format!("TID {tid} (")),
            "thread {tid} missing from stacks:\n{text}"
        );
    }
    for (shown, _) in NAMES {
        assert!(
            text.contains(&format!(" ({shown}):\n")),
            "{shown} missing from stacks:\n{text}"
        );
    }

    // stacks --json: every thread, its name exact.
    let json = run_healthtop(&["stacks", "-p", &pid, "--json"]);
    assert_eq!(json.status.code(), Some(0), "{json:?}");
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
    let mut threads: Vec<(i64, &str)> = value["threads"]
        .as_array()
        .expect("threads")
        .iter()
        .map(|t| {
            (
                t["tid"].as_i64().expect("tid"),
                t["name"].as_str().expect("name"),
            )
        })
        .collect();
    threads.sort();
    assert_eq!(
        threads.iter().map(|(tid, _)| *tid).collect::<Vec<_>>(),
        tids.iter().map(|&t| i64::from(t)).collect::<Vec<_>>()
    );
    for (_, exact) in NAMES {
        assert!(
            threads.iter().any(|(_, name)| name == exact),
            "{exact:?} not exact in stacks --json: {threads:?}"
        );
    }

    // dump without --signal: a native program has no runtime to ask: exit 8, one clean line
    // (it once exited 1, failing to read the main thread's name).
    let dump = run_healthtop(&["dump", "-p", &pid]);
    assert_eq!(dump.status.code(), Some(8), "{dump:?}");
    assert_clean("dump", &dump);
    // dump --signal USR1: the handler's text, escaped; exact in the JSON.
    let dump = run_healthtop(&["dump", "-p", &pid, "--signal", "USR1"]);
    assert_eq!(dump.status.code(), Some(0), "{dump:?}");
    // A dump keeps its layout: `\n` and `\t` are the only controls it may hold.
    for bytes in [&dump.stdout, &dump.stderr] {
        assert_eq!(
            forbidden_but(bytes, &['\t']),
            None,
            "dump --signal: {dump:?}"
        );
    }
    assert_eq!(String::from_utf8_lossy(&dump.stdout), DUMP_SHOWN);
    let dump = run_healthtop(&["dump", "-p", &pid, "--signal", "USR1", "--json"]);
    assert_eq!(dump.status.code(), Some(0), "{dump:?}");
    let value: serde_json::Value = serde_json::from_slice(&dump.stdout).expect("valid JSON");
    assert_eq!(value["text"].as_str(), Some(DUMP_EXACT));

    // record: the SVG is well-formed XML; the folded file has one stack per line, one per
    // thread, each rooted at the thread's escaped name.
    let svg = dir.path().join("flame.svg");
    let record = run_healthtop(&[
        "record",
        "-p",
        &pid,
        "-d",
        "1s",
        "--hz",
        "5",
        // The target idles: wall mode draws it, with a root frame per thread pool.
        "--mode",
        "wall",
        "--per-thread",
        "-o",
        svg.to_str().expect("utf-8 temp path"),
    ]);
    assert_eq!(record.status.code(), Some(0), "{record:?}");
    assert_clean("record", &record);
    let svg_bytes = std::fs::read(&svg).expect("svg written");
    assert_eq!(forbidden(&svg_bytes), None, "the SVG holds a control");
    let svg_text = String::from_utf8(svg_bytes).expect("the SVG is UTF-8");
    // inferno writes the SVG 1.1 DOCTYPE; its internal subset is empty.
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let document = roxmltree::Document::parse_with_options(&svg_text, options)
        .expect("the SVG is well-formed XML");
    let titles: Vec<&str> = document
        .descendants()
        .filter(|n| n.has_tag_name("title"))
        .filter_map(|n| n.text())
        .collect();
    for (shown, _) in NAMES {
        // A root is the thread's pool (digits as `N`); folded text writes `;` as `\x3b`.
        let shown = pool_of_shown(shown).replace(';', "\\x3b");
        assert!(
            titles.iter().any(|t| t.starts_with(&format!("{shown} ("))),
            "{shown} has no frame in the SVG: {titles:?}"
        );
    }
    let folded = std::fs::read(svg.with_extension("folded")).expect("folded written");
    assert_eq!(forbidden(&folded), None, "the folded file holds a control");
    let folded = String::from_utf8(folded).expect("UTF-8");
    let roots: Vec<&str> = folded
        .lines()
        .map(|line| {
            let (stack, count) = line.rsplit_once(' ').expect("`stack count`");
            assert!(count.parse::<u64>().is_ok(), "{line:?} ends in a count");
            stack.split(';').next().expect("a root frame")
        })
        .collect();
    assert_eq!(roots.len(), NAMES.len(), "one stack per thread:\n{folded}");
    for (shown, _) in NAMES {
        let shown = pool_of_shown(shown).replace(';', "\\x3b");
        assert!(
            roots.contains(&shown.as_str()),
            "{shown} not a root:\n{folded}"
        );
    }
}

/// Removes the terminal's own control sequences from what the TUI wrote, so what is left is
/// text: CSI sequences (`ESC [` parameters, intermediates, one final byte), which is all
/// ratatui and crossterm write to draw. Any other ESC (OSC `ESC ]`, DCS, a lone ESC) stays in
/// and is then caught as a forbidden character; so does any byte of a name.
fn strip_csi(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b && bytes.get(i + 1) == Some(&b'[') {
            let mut j = i + 2;
            while j < bytes.len() && (0x20..=0x3f).contains(&bytes[j]) {
                j += 1;
            }
            if j < bytes.len() && (0x40..=0x7e).contains(&bytes[j]) {
                i = j + 1;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The TUI under `script`, itself in tmux: `script` records every byte healthtop wrote to its
/// terminal (the pty's output, before any terminal interprets it), which is what an attacker's
/// bytes would have to get through. Checking tmux's screen alone would not do: tmux interprets
/// OSC 52 and bidi controls rather than showing them. With the CSI sequences removed
/// ([`strip_csi`]), no forbidden character may be left; `\r` and `\n` are the only other
/// controls a drawing needs.
#[test]
fn tui_writes_no_control_from_the_names_and_lists_every_thread() {
    if !require_tool("tmux") || !require_tool("gcc") || !require_tool("script") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let target = start_target(dir.path());
    let pid = target.pid();
    let tids = tids(pid);
    let log = dir.path().join("tui.bytes");

    let tmux = Tmux::start();
    tmux.line(&format!(
        "script -q -f -e -c '{} -p {pid}' {}; echo SCRIPT-DONE-$((1+1))",
        env!("CARGO_BIN_EXE_healthtop"),
        log.display()
    ));
    tmux.wait_for(&["[1 Overview]", "\\xff\\xfemain"]);
    tmux.keys(&["2"]);
    let screen = tmux.wait_for(&["[2 Threads]", "bidi\\u202eevil", "c1\\x9braw"]);
    for tid in &tids {
        assert!(
            screen.contains(&tid.to_string()),
            "thread {tid} is missing from the Threads view:\n{screen}"
        );
    }
    assert!(
        screen.contains("c1\\u009benc") && screen.contains("\\x1b]52"),
        "{screen}"
    );
    // A thread's drill-down shows its name escaped too.
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["ctx switches", "blocked sigs"]);
    // The FDs and Memory views show the target's paths; the Stacks view samples every thread
    // and roots each flame at the thread's escaped name.
    tmux.keys(&["Escape", "3"]);
    tmux.wait_for(&["[3 FDs]", "TARGET"]);
    tmux.keys(&["4"]);
    tmux.wait_for(&["[4 Memory]", "hostile_names"]);
    tmux.keys(&["7"]);
    tmux.wait_for(&["[7 Stacks]", "cost:"]);
    // The target idles: wall mode (m) draws it, a root per thread pool (t).
    tmux.keys(&["m", "t"]);
    tmux.wait_for(&["[7 Stacks]", "wall:", "__libc_pause"]);
    tmux.keys(&["q"]);
    // Printed by the shell once `script` (and so healthtop) has exited.
    tmux.wait_for(&["SCRIPT-DONE-2"]);

    let written = std::fs::read(&log).expect("script's log");
    assert!(
        written
            .windows(b"bidi\\u202eevil".len())
            .any(|w| w == b"bidi\\u202eevil"),
        "the log holds what healthtop drew"
    );
    let text = strip_csi(&written);
    let without_newlines: Vec<u8> = text.iter().copied().filter(|&b| b != b'\r').collect();
    if let Some(problem) = forbidden(&without_newlines) {
        panic!("the TUI wrote a forbidden character: {problem}");
    }
}

/// Error lines are escaped as they are printed: here a bundle whose file name holds OSC 52, a
/// C1 control and U+202E (the same path carries tar member names, a tracer's name and the
/// target's paths into errors).
#[test]
fn an_error_line_naming_hostile_bytes_is_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = OsStr::from_bytes(b"evil\x1b]52;c;aGk=\x07\xc2\x9b\xe2\x80\xae.tar.gz");
    let path = dir.path().join(name);
    std::fs::write(&path, b"not a bundle").expect("write");
    let output = healthtop()
        .arg("report")
        .arg("--from")
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .expect("healthtop runs");
    assert_eq!(output.status.code(), Some(6), "{output:?}");
    assert_clean("report --from", &output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("healthtop: ")
            && stderr.contains("evil\\x1b]52;c;aGk=\\x07\\u009b\\u202e.tar.gz"),
        "{stderr}"
    );
}
