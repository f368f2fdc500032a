//! The layering of DESIGN.md, checked: each module imports only what stands below it, and the
//! pure floors (model, views, parsers) do no I/O. A new import that runs up a floor fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Which crate modules each module may use. Anything not listed is forbidden.
const ALLOWED: &[(&str, &[&str])] = &[
    ("sample", &[]),
    ("safe_text", &[]),
    ("format", &[]),
    ("exit", &[]),
    // The one writer of files: every module that creates one goes through it.
    ("safe_file", &[]),
    ("decode", &[]),
    ("parse", &["sample", "decode"]),
    ("config", &["format", "safe_file"]),
    ("keymap", &["config"]),
    ("collect", &["sample", "parse", "decode"]),
    ("history", &["sample", "decode", "format"]),
    ("headroom", &["sample", "format", "config", "history"]),
    (
        "stacks",
        &["sample", "parse", "decode", "exit", "safe_file"],
    ),
    (
        "runtimes",
        &[
            "sample",
            "parse",
            "decode",
            "collect",
            "history",
            "safe_file",
        ],
    ),
    (
        "rules",
        &[
            "sample", "decode", "format", "config", "history", "headroom",
        ],
    ),
    (
        "app",
        &[
            "sample", "decode", "format", "config", "history", "headroom", "rules", "keymap",
            "stacks", "runtimes", "bundle",
        ],
    ),
    (
        "view",
        &[
            "sample", "decode", "format", "history", "headroom", "rules", "keymap", "app",
            "stacks", "runtimes",
        ],
    ),
    (
        "report",
        &[
            "sample", "decode", "format", "config", "collect", "history", "headroom", "rules",
            "runtimes",
        ],
    ),
    (
        "bundle",
        &[
            "sample",
            "format",
            "report",
            "collect",
            "history",
            "headroom",
            "rules",
            "config",
            "stacks",
            "runtimes",
            "safe_file",
        ],
    ),
    (
        "scan",
        &["sample", "collect", "config", "history", "headroom"],
    ),
    ("demo", &["safe_file"]),
    ("exposition", &["sample", "headroom", "rules"]),
    (
        "serve",
        &[
            "sample",
            "config",
            "collect",
            "history",
            "headroom",
            "rules",
            "runtimes",
            "exposition",
            "scan",
            "shell",
        ],
    ),
    (
        "shell",
        &[
            "sample",
            "decode",
            "format",
            "config",
            "collect",
            "history",
            "headroom",
            "rules",
            "keymap",
            "app",
            "view",
            "stacks",
            "runtimes",
            "bundle",
            "report",
            "safe_file",
        ],
    ),
];

/// Floors below every other, which any module may import: the one sanitizer of
/// target-controlled text (each floor that reads the target's bytes or shows them needs it).
const EVERYWHERE: &[&str] = &["safe_text"];

/// Tokens that mean I/O, banned from the floors that must stay pure.
const IO_TOKENS: &[&str] = &[
    "std::fs",
    "tokio",
    "std::process",
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "UnixStream",
    "nix::",
    "libc::",
    "File::open",
];
const PURE: &[&str] = &[
    "sample",
    "safe_text",
    "format",
    "decode",
    "parse",
    "history",
    "headroom",
    "rules",
    "app",
    "view",
    "keymap",
    "exposition",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Code lines only: comments and doc comments may name anything.
fn code(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `crate::x` paths used in `text`, including `use crate::{a, b::c}` groups.
fn crate_uses(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        // `mycrate::foo` in a test string is not a path of this crate.
        let preceded_by_word = rest[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = &rest[at + 7..];
        if preceded_by_word {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for item in inner.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found
}

#[test]
fn modules_import_only_from_below_and_pure_floors_do_no_io() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for file in files {
        let relative = file
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .into_owned();
        let module = relative
            .split('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".rs")
            .to_string();
        let Some(may) = allowed.get(module.as_str()) else {
            // The binary's edge (main, lib, cli, cmd) may use everything.
            continue;
        };
        let text = code(&std::fs::read_to_string(&file).expect("read"));
        for used in crate_uses(&text) {
            if used != module
                && !may.contains(&used.as_str())
                && !EVERYWHERE.contains(&used.as_str())
            {
                violations.push(format!(
                    "{relative}: {module} must not import crate::{used}"
                ));
            }
        }
        if PURE.contains(&module.as_str()) {
            for token in IO_TOKENS {
                if text.contains(token) {
                    violations.push(format!("{relative}: {module} is pure but uses {token}"));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering violations:\n{}",
        violations.join("\n")
    );
}

#[test]
fn every_module_has_a_rule() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let known: BTreeSet<&str> = ALLOWED
        .iter()
        .map(|(m, _)| *m)
        .chain(["cli", "cmd"])
        .collect();
    for line in lib.lines() {
        if let Some(module) = line
            .strip_prefix("pub mod ")
            .and_then(|m| m.strip_suffix(';'))
        {
            assert!(
                known.contains(module),
                "src/{module}: add it to ALLOWED in tests/architecture.rs"
            );
        }
    }
}

/// Calls that create or replace files, allowed only in `safe_file.rs` (issue 12): anything else
/// could follow a link planted at the destination or leave a temporary behind.
const FILE_CREATION: &[&str] = &[
    "File::create",
    "OpenOptions",
    "fs::write",
    "fs::rename",
    "fs::hard_link",
    "fs::copy",
    "O_CREAT",
    "O_TMPFILE",
];

#[test]
fn only_the_safe_writer_creates_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for file in files {
        if file.ends_with("safe_file.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read");
        // Unit tests may make fixtures any way they like.
        let shipped = code(text.split("#[cfg(test)]").next().unwrap_or(""));
        for token in FILE_CREATION {
            // `NewFile::create` is the safe writer itself, not `File::create`.
            let standalone = shipped.match_indices(token).any(|(at, _)| {
                !shipped[..at]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if standalone {
                violations.push(format!("{}: {token}", file.display()));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "create files through crate::safe_file:\n{}",
        violations.join("\n")
    );
}
