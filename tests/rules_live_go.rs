//! Go heaps: a GC sawtooth that returns memory to the OS stays quiet, the same sawtooth on a
//! rising floor raises memory-growth. healthtop detects the Go runtime and fits the floor.

mod rules_support;

use rules_support::live::{finding, report};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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

struct GoHeap(Child);

impl GoHeap {
    fn start(binary: &Path, mode: &str) -> GoHeap {
        let mut child = Command::new(binary)
            .arg(mode)
            .stdout(Stdio::piped())
            .spawn()
            .expect("go target starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("readiness line");
        assert_eq!(line.trim(), "ready");
        GoHeap(child)
    }
}

impl Drop for GoHeap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_go_gc_sawtooth_is_quiet() {
    let Some(binary) = binary() else {
        return;
    };
    let heap = GoHeap::start(binary, "sawtooth");
    let r = report(heap.0.id() as i32, &["--watch", "20s"]);
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
    let heap = GoHeap::start(binary, "leak");
    let r = report(heap.0.id() as i32, &["--watch", "20s"]);
    assert_eq!(r["runtime"], "go");
    let f = finding(&r, "memory-growth").unwrap_or_else(|| panic!("{:#}", r["findings"]));
    assert!(f["severity"] == "warn" || f["severity"] == "crit", "{f:#}");
    assert!(f["eta_seconds"].as_f64().is_some(), "{f:#}");
}
