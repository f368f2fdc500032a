//! Go test targets: `tests/targets/<source>` built with the distribution's Go, offline, and
//! the leaking Go service started.

use super::{tool, Target};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Builds `tests/targets/<source>` (standard library only) with `go build` into a temp dir
/// named after `name`; `None` when Go is missing outside CI. GOCACHE is shared by the Go tests
/// so the standard library is compiled once.
pub fn go_build(source: &str, name: &str) -> Option<PathBuf> {
    let go = tool("go")?;
    let dir = std::env::temp_dir().join(format!("healthtop-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("build dir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/targets")
        .join(source);
    std::fs::copy(&source, dir.join("main.go")).expect("copy");
    std::fs::write(dir.join("go.mod"), format!("module {name}\n\ngo 1.19\n")).expect("go.mod");
    let binary = dir.join(name);
    let output = Command::new(go)
        .args(["build", "-o"])
        .arg(&binary)
        .arg(".")
        .current_dir(&dir)
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env(
            "GOCACHE",
            std::env::temp_dir().join("healthtop-test-gocache"),
        )
        .output()
        .expect("go runs");
    assert!(
        output.status.success(),
        "go build failed on {}:\n{}{}",
        source.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(binary)
}

/// Starts the service built from `tests/targets/dump_goleak.go` with `-leak LEAK` goroutines,
/// stdout piped for its `port N` line.
pub fn start_goleak(binary: &Path, leak: &str) -> Target {
    let mut command = Command::new(binary);
    command
        .args(["-leak", leak])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    Target::spawn(command)
}
