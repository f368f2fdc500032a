//! The watched process's family (`collect::family`): children from the `children` files or,
//! without them, from every process's parent PID, on captured fixture trees; who shares the
//! cgroup's limits; and, live, the children and their headroom against `ps` and `/proc`.

#[path = "common/mod.rs"]
mod common;

use healthtop::collect::family;
use healthtop::collect::{Collector, HostRoot, Tiers};
use healthtop::config::Config;
use healthtop::headroom::{Headroom, ResourceKind};
use healthtop::sample::{Sample, SharedUnit};
use std::path::{Path, PathBuf};
use std::process::Command;

const PID: i32 = 5055;
const ZOMBIE_CHILD: i32 = 5056;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/proc")
        .join(name)
}

fn cheap_sample(root: &HostRoot, pid: i32) -> Sample {
    let mut collector = Collector::new(root.clone(), pid).expect("collector");
    collector.sample(Tiers::CHEAP).expect("sample")
}

/// A copy of a fixture tree (symlinks kept), to change.
fn copy_of(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let status = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", fixture(name).display()))
        .arg(dir.path())
        .status()
        .expect("cp");
    assert!(status.success());
    dir
}

#[test]
fn children_come_from_the_children_files_and_a_zombie_says_why_it_has_no_reading() {
    let root = HostRoot::at(fixture("v1-hybrid"));
    let read = family::read(&root, &cheap_sample(&root, PID));
    assert_eq!(read.pid, PID);
    assert_eq!(read.children_source, "/proc/PID/task/*/children");
    let children: Vec<i32> = read.children.iter().map(|c| c.pid).collect();
    assert_eq!(children, [ZOMBIE_CHILD], "the capture's one child");
    let zombie = &read.children[0];
    assert_eq!(zombie.comm, "fixture_target");
    let reason = zombie
        .reading
        .as_ref()
        .expect_err("a zombie has no reading");
    assert!(reason.contains("zombie"), "{reason}");
    // Its parent (PID 1) is not in the capture: said, not invented.
    let parent = read.parent.as_ref().expect("the parent is listed");
    assert_eq!(parent.pid, 1);
    assert!(parent.reading.is_err());
}

#[test]
fn without_children_files_every_parent_pid_is_scanned() {
    let tree = copy_of("v1-hybrid");
    for task in std::fs::read_dir(tree.path().join("proc/5055/task")).expect("tasks") {
        let _ = std::fs::remove_file(task.expect("task").path().join("children"));
    }
    let root = HostRoot::at(tree.path());
    let read = family::read(&root, &cheap_sample(&root, PID));
    assert!(
        read.children_source.contains("scan"),
        "{}",
        read.children_source
    );
    let children: Vec<i32> = read.children.iter().map(|c| c.pid).collect();
    assert_eq!(children, [ZOMBIE_CHILD]);
}

#[test]
fn the_cgroup_limits_say_who_shares_them() {
    let tree = copy_of("v2-assembled");
    let leaf = tree
        .path()
        .join("sys/fs/cgroup/healthtop.slice/fixture.service");
    std::fs::write(leaf.join("cgroup.procs"), format!("{PID}\n")).expect("cgroup.procs");
    let root = HostRoot::at(tree.path());
    let read = family::read(&root, &cheap_sample(&root, PID));
    let pids = read
        .shared
        .iter()
        .find(|s| s.name == "pids.max")
        .expect("pids.max is shared");
    assert_eq!((pids.limit, pids.unit), (512, SharedUnit::Tasks));
    assert!(pids.scope.contains("/healthtop.slice/fixture.service"));
    let users = pids.users.as_ref().expect("cgroup.procs read");
    assert_eq!(
        (users.processes, users.total, users.charged),
        (1, 6, Some(7))
    );
    assert_eq!(users.top[0].pid, PID);
    let memory = read
        .shared
        .iter()
        .find(|s| s.name == "memory.max")
        .expect("memory.max is shared");
    assert_eq!(memory.limit, 536_870_912);
    let users = memory.users.as_ref().expect("cgroup.procs read");
    assert_eq!(users.total, 1584 * 1024, "the member's VmRSS");
    // Root (uid 0) is not bound by RLIMIT_NPROC: nothing to share there.
    assert!(read.shared.iter().all(|s| s.name != "RLIMIT_NPROC"));
}

#[test]
fn live_children_and_their_headroom_match_ps_and_proc() {
    if !common::require_tool("gcc") || !common::require_tool("ps") {
        return;
    }
    let target = common::family(3);
    let root = HostRoot::live();
    let read = family::read(&root, &cheap_sample(&root, target.pid()));
    let ps = Command::new("ps")
        .args(["--ppid", &target.pid().to_string(), "-o", "pid="])
        .output()
        .expect("ps");
    let mut expected: Vec<i32> = String::from_utf8_lossy(&ps.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    expected.sort_unstable();
    let children: Vec<i32> = read.children.iter().map(|c| c.pid).collect();
    assert_eq!(children, expected, "children as ps lists them");
    assert_eq!(children.len(), 3);
    let config = Config::default();
    for child in &read.children {
        let sample = child.reading.as_ref().expect("a live child is read");
        assert_eq!(child.comm, "family-child");
        let headroom = Headroom::of_reading(sample, &config);
        let fds = headroom.get(ResourceKind::Fds).expect("fds");
        let open = std::fs::read_dir(format!("/proc/{}/fd", child.pid))
            .expect("fd dir")
            .count();
        assert_eq!(fds.usage, Some(open as f64), "ls /proc/PID/fd");
        let limits =
            std::fs::read_to_string(format!("/proc/{}/limits", child.pid)).expect("limits");
        let soft: f64 = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .and_then(|l| l.split_whitespace().nth(3))
            .and_then(|v| v.parse().ok())
            .expect("soft NOFILE");
        assert_eq!(fds.binding.as_ref().map(|l| l.value), Some(soft));
    }
    let parent = read.parent.as_ref().expect("the test runner is the parent");
    assert_eq!(parent.pid, std::process::id() as i32);
}
