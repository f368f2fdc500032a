//! The layering of README "How it is built" (and `src/lib.rs`'s header), checked: each module
//! imports only what stands below it, and the pure floors (model, views, parsers) do no I/O.
//! Each module's allow-list is exactly what it imports, so a new import that runs up a floor
//! fails here, and so does an allowance nothing uses (it would let a later one through).

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
    ("parse", &["sample"]),
    ("config", &["safe_file"]),
    ("keymap", &[]),
    ("collect", &["sample", "parse", "decode"]),
    ("history", &["sample"]),
    ("headroom", &["sample", "format", "config", "history"]),
    // Reads the process through `collect::ProcessDir`.
    ("stacks", &["sample", "parse", "collect", "safe_file"]),
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
        &["sample", "format", "config", "history", "headroom"],
    ),
    (
        "app",
        &[
            "sample", "decode", "config", "history", "headroom", "rules", "keymap", "stacks",
            "runtimes", "bundle", "scan",
        ],
    ),
    (
        "view",
        &[
            "sample", "decode", "format", "headroom", "rules", "keymap", "app", "stacks",
            "runtimes", "scan",
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
            "config",
            "collect",
            "history",
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
            "config",
            "collect",
            "app",
            "view",
            "stacks",
            "runtimes",
            "bundle",
            "safe_file",
            "scan",
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

/// Every way the tree under `src` breaks the floors of `allowed`: an import not allowed, an
/// allowance not used, I/O in a pure floor.
fn layering_violations(src: &Path, allowed: &[(&str, &[&str])]) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = allowed.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut used_by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file
            .strip_prefix(src)
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
            if used == module || EVERYWHERE.contains(&used.as_str()) {
                continue;
            }
            if !may.contains(&used.as_str()) {
                violations.push(format!(
                    "{relative}: {module} must not import crate::{used}"
                ));
            }
            used_by.entry(module.clone()).or_default().insert(used);
        }
        if PURE.contains(&module.as_str()) {
            for token in IO_TOKENS {
                if text.contains(token) {
                    violations.push(format!("{relative}: {module} is pure but uses {token}"));
                }
            }
        }
    }
    for (module, may) in &allowed {
        for allowance in may.iter() {
            let used = used_by.get(*module).is_some_and(|u| u.contains(*allowance));
            if !used {
                violations.push(format!(
                    "{module} may import crate::{allowance} but does not: remove it from ALLOWED"
                ));
            }
        }
    }
    violations
}

#[test]
fn modules_import_only_from_below_and_pure_floors_do_no_io() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let violations = layering_violations(&src, ALLOWED);
    assert!(
        violations.is_empty(),
        "layering violations:\n{}",
        violations.join("\n")
    );
}

/// The check itself can fail: a collector that imports the view, a parser that opens a file,
/// and an allowance nothing uses are each reported.
#[test]
fn the_layering_check_catches_an_import_above_the_floor() {
    let tree = tempfile::tempdir().expect("tempdir");
    let src = tree.path();
    std::fs::create_dir_all(src.join("collect")).expect("collect");
    std::fs::create_dir_all(src.join("parse")).expect("parse");
    std::fs::create_dir_all(src.join("view")).expect("view");
    std::fs::write(
        src.join("collect/mod.rs"),
        "use crate::parse::stat;\nuse crate::{sample, view::render};\n",
    )
    .expect("write");
    std::fs::write(
        src.join("parse/mod.rs"),
        "// crate::view in a comment is not an import\nfn read() { std::fs::read(\"x\"); }\n",
    )
    .expect("write");
    std::fs::write(src.join("view/mod.rs"), "use crate::sample::Sample;\n").expect("write");
    let allowed: &[(&str, &[&str])] = &[
        ("collect", &["sample", "parse"]),
        ("parse", &[]),
        ("view", &["sample", "app"]),
    ];
    let violations = layering_violations(src, allowed);
    assert_eq!(
        violations,
        vec![
            "collect/mod.rs: collect must not import crate::view",
            "parse/mod.rs: parse is pure but uses std::fs",
            "view may import crate::app but does not: remove it from ALLOWED",
        ]
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

/// Calls that create or replace files, allowed only in `safe_file.rs`: anything else
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
