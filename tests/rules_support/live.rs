//! Live helpers for the rules tests: build `tests/targets/rules_target.c`, run it in its own
//! process group (so vfork children and zombies die with it) through `tests/common`'s `Target`,
//! run healthtop.

#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)]
pub use common::{require_tool, wait_until, Target};

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Whether gcc is here. In CI a missing tool is a failure, never a silent skip.
pub fn have_gcc() -> bool {
    require_tool("gcc")
}

/// The compiled target, built once per test binary.
pub fn target_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| common::c_target("rules_target").expect("gcc builds rules_target"))
}

/// Starts `rules_target MODE ARGS…` and waits for its `ready` line.
pub fn start_target(args: &[&str]) -> Target {
    start_target_under(&[], args)
}

/// Starts `rules_target MODE ARGS…` through `wrapper` (a command that execs the rest of its
/// arguments, such as `setpriv --reuid=65534 …`), in its own process group (so vfork children
/// and zombies die with it), and waits for its `ready` line.
pub fn start_target_under(wrapper: &[&str], args: &[&str]) -> Target {
    let mut command = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut command = Command::new(program);
            command.args(rest).arg(target_binary());
            command
        }
        None => Command::new(target_binary()),
    };
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut target = Target::spawn_in_group(command);
    target.ready();
    target
}

/// `healthtop report -p PID --json [extra…]`, parsed; panics with stderr on failure.
pub fn report(pid: i32, extra: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_healthtop"))
        .args(["report", "-p", &pid.to_string(), "--json"])
        .args(extra)
        .output()
        .expect("healthtop runs");
    assert!(
        output.status.success(),
        "healthtop report failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("report is JSON")
}

/// The findings of a report, as (rule, severity) and the whole objects.
pub fn findings(report: &Value) -> Vec<Value> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .to_vec()
}

/// The finding of `rule`, if any.
pub fn finding<'a>(report: &'a Value, rule: &str) -> Option<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .find(|f| f["rule"] == rule)
}

/// A config file with `text` (TOML) in a temp dir; keep the dir alive while it is used.
pub fn config_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).expect("write config");
    let path = path.to_string_lossy().into_owned();
    (dir, path)
}

/// Field 3 (state) of /proc/PID/stat.
pub fn proc_state(pid: i32) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rfind(')')
        .and_then(|i| stat[i + 2..].split(' ').next())
        .unwrap_or("")
        .to_string()
}
