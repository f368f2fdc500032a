//! Go heaps: a GC sawtooth that returns memory to the OS stays quiet, the same sawtooth on a
//! rising floor raises memory-growth. healthtop detects the Go runtime and fits the floor.

mod rules_support;

use rules_support::live::{finding, report, Target};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// `go build` of tests/targets/rules_goheap.go, once per test binary; `None` (local only) when
/// Go is missing. In CI a missing Go is a failure.
fn binary() -> Option<&'static Path> {
    static BINARY: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            let found = Command::new("sh")
                .args(["-c", "command -v go"])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !found {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "go is required by this test and missing in CI"
                );
                eprintln!("skipping: go is not installed");
                return None;
            }
            let dir = tempfile::tempdir().expect("temp dir");
            let source =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/targets/rules_goheap.go");
            std::fs::copy(source, dir.path().join("main.go")).expect("copy");
            std::fs::write(dir.path().join("go.mod"), "module goheap\n\ngo 1.19\n")
                .expect("go.mod");
            let output = dir.path().join("goheap");
            let status = Command::new("go")
                .args(["build", "-o"])
                .arg(&output)
                .arg(".")
                .current_dir(dir.path())
                .env("GOFLAGS", "-mod=mod")
                .env("GOPROXY", "off")
                .env("GOCACHE", dir.path().join("gocache"))
                .status()
                .expect("go runs");
            assert!(status.success(), "go build failed");
            Some((dir, output))
        })
        .as_ref()
        .map(|(_, path)| path.as_path())
}

/// Starts the Go heap target in `mode` and waits for its `ready` line.
fn start_heap(binary: &Path, mode: &str) -> Target {
    let mut command = Command::new(binary);
    command.arg(mode);
    Target::start(command, "ready")
}

#[test]
fn a_go_gc_sawtooth_is_quiet() {
    let Some(binary) = binary() else {
        return;
    };
    let heap = start_heap(binary, "sawtooth");
    let r = report(heap.pid(), &["--watch", "20s"]);
    assert_eq!(r["runtime"], "go");
    assert!(
        finding(&r, "memory-growth").is_none(),
        "{:#}",
        r["findings"]
    );
}

#[test]
fn a_go_heap_leaking_under_its_sawtooth_raises_memory_growth() {
    let Some(binary) = binary() else {
        return;
    };
    let heap = start_heap(binary, "leak");
    let r = report(heap.pid(), &["--watch", "20s"]);
    assert_eq!(r["runtime"], "go");
    let f = finding(&r, "memory-growth").unwrap_or_else(|| panic!("{:#}", r["findings"]));
    assert!(f["severity"] == "warn" || f["severity"] == "crit", "{f:#}");
    assert!(f["eta_seconds"].as_f64().is_some(), "{f:#}");
}
