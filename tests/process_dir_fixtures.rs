//! Stacks' process discovery and the runtimes' detection and target checks on captured fixture
//! trees (`tests/fixtures/proc`): both read the process only through `collect::ProcessDir`, so
//! the same code that runs live runs here. Expected values are read from the fixture's files
//! by plain string handling, independent of `healthtop::parse`.

use healthtop::collect::{runtime_evidence, HostRoot, ProcessDir};
use healthtop::runtimes::go::pprof::listening_loopback;
use healthtop::runtimes::target::Target;
use healthtop::runtimes::DumpError;
use healthtop::sample::Runtime;
use healthtop::stacks::error::StacksError;
use healthtop::stacks::procfs;
use std::fs;
use std::path::{Path, PathBuf};

const PID: i32 = 5055;
const ZOMBIE_PID: i32 = 5056;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/proc")
        .join(name)
}

fn dir(name: &str, pid: i32) -> ProcessDir {
    ProcessDir::new(HostRoot::at(fixture(name)), pid)
}

/// The name between the parentheses of a `stat` line.
fn comm_of(stat: &Path) -> String {
    let text = fs::read_to_string(stat).expect("stat");
    let open = text.find('(').expect("(");
    let close = text.rfind(')').expect(")");
    text[open + 1..close].to_string()
}

#[test]
fn stacks_discover_the_process_and_its_threads_on_a_fixture() {
    let target = dir("v1-hybrid", PID);
    let task = fixture("v1-hybrid").join(format!("proc/{PID}/task"));
    let stat = procfs::check_target(&target).expect("the fixture target is watchable");
    assert_eq!(
        stat.comm,
        comm_of(&fixture("v1-hybrid").join(format!("proc/{PID}/stat")))
    );
    let mut expected: Vec<i32> = fs::read_dir(&task)
        .expect("task dir")
        .map(|e| {
            e.expect("entry")
                .file_name()
                .to_string_lossy()
                .parse()
                .expect("tid")
        })
        .collect();
    expected.sort_unstable();
    assert_eq!(expected.len(), 6, "the capture has six threads");
    assert_eq!(procfs::thread_ids(&target).expect("tids"), expected);
    for tid in expected {
        let thread = procfs::thread_stat(&target, tid).expect("thread stat");
        assert_eq!(thread.comm, comm_of(&task.join(format!("{tid}/stat"))));
        let wchan = fs::read_to_string(task.join(format!("{tid}/wchan"))).expect("wchan");
        let wchan = wchan.trim();
        let expected_wchan = (!wchan.is_empty() && wchan != "0").then(|| wchan.to_string());
        assert_eq!(procfs::thread_wchan(&target, tid), expected_wchan);
        assert_eq!(procfs::thread_tracer_pid(&target, tid), Some(0));
    }
    assert_eq!(procfs::tracer_pid(&target).expect("tracer"), 0);
    assert_eq!(procfs::thread_stat(&target, 1), None, "no such thread");
}

#[test]
fn stacks_refuse_what_has_no_user_stacks_on_fixtures() {
    let zombie = procfs::check_target(&dir("zombie", ZOMBIE_PID));
    assert!(
        matches!(zombie, Err(StacksError::Zombie { pid: ZOMBIE_PID })),
        "{zombie:?}"
    );
    let kthread = procfs::check_target(&dir("kthread", 2));
    assert!(
        matches!(kthread, Err(StacksError::KernelThread { pid: 2 })),
        "{kthread:?}"
    );
    let missing = procfs::check_target(&dir("v1-hybrid", 4_000_000));
    assert!(
        matches!(missing, Err(StacksError::NoSuchProcess { .. })),
        "{missing:?}"
    );
    // A thread's own directory (`proc/5058` is the same files as `proc/5055/task/5058`).
    let tree = tempfile::tempdir().expect("tempdir");
    fs::create_dir(tree.path().join("proc")).expect("proc");
    let thread = fixture("v1-hybrid").join(format!("proc/{PID}/task/5058"));
    std::os::unix::fs::symlink(thread, tree.path().join("proc/5058")).expect("link");
    let as_pid = procfs::check_target(&ProcessDir::new(HostRoot::at(tree.path()), 5058));
    assert!(
        matches!(
            as_pid,
            Err(StacksError::ThreadOfProcess {
                pid: 5058,
                tgid: PID
            })
        ),
        "{as_pid:?}"
    );
}

/// A tree holding one process, 42, with the given `maps` text and `exe` link.
fn tree_with(maps: &str, exe: &Path) -> tempfile::TempDir {
    let tree = tempfile::tempdir().expect("tempdir");
    let proc_dir = tree.path().join("proc/42");
    fs::create_dir_all(&proc_dir).expect("proc/42");
    fs::write(proc_dir.join("maps"), maps).expect("maps");
    std::os::unix::fs::symlink(exe, proc_dir.join("exe")).expect("exe");
    tree
}

/// An ELF executable carrying Go's `.go.buildinfo` section, built with gcc.
fn elf_with_go_section(dir: &Path) -> PathBuf {
    let source = dir.join("go_like.c");
    fs::write(
        &source,
        "__attribute__((section(\".go.buildinfo\"), used)) static const char info[32] = \"\\xff Go buildinf:\";\nint main(void) { return 0; }\n",
    )
    .expect("source");
    let binary = dir.join("go_like");
    let status = std::process::Command::new("gcc")
        .arg("-o")
        .arg(&binary)
        .arg(&source)
        .status()
        .expect("gcc runs");
    assert!(status.success(), "gcc failed");
    binary
}

#[test]
fn runtime_detection_runs_on_fixture_trees() {
    let captured = runtime_evidence(&HostRoot::at(fixture("v1-hybrid")), PID);
    assert_eq!(captured.expect("evidence"), Runtime::Native);
    let line = |path: &str| format!("7f0000000000-7f0000001000 r-xp 00000000 08:01 12 {path}\n");
    let cases = [
        (
            line("/usr/lib/jvm/lib/server/libjvm.so"),
            "/usr/bin/java",
            Runtime::Jvm,
        ),
        (
            line("/usr/lib/libpython3.11.so.1.0"),
            "/usr/bin/app",
            Runtime::Python,
        ),
        (
            line("/usr/lib/libc.so.6"),
            "/usr/bin/python3.11",
            Runtime::Python,
        ),
        (line("/usr/lib/libc.so.6"), "/usr/bin/app", Runtime::Native),
    ];
    for (maps, exe, expected) in cases {
        let tree = tree_with(&maps, Path::new(exe));
        let found = runtime_evidence(&HostRoot::at(tree.path()), 42).expect("evidence");
        assert_eq!(found, expected, "maps {maps:?}, exe {exe}");
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let go_like = elf_with_go_section(scratch.path());
    let tree = tree_with(&line("/usr/lib/libc.so.6"), &go_like);
    let found = runtime_evidence(&HostRoot::at(tree.path()), 42).expect("evidence");
    assert_eq!(found, Runtime::Go);
    let unreadable = tempfile::tempdir().expect("tempdir");
    let missing = runtime_evidence(&HostRoot::at(unreadable.path()), 42);
    assert!(
        missing.is_err(),
        "no maps is no evidence, not native: {missing:?}"
    );
}

#[test]
fn dump_targets_and_their_listeners_are_read_from_fixtures() {
    let target = Target::open_at(dir("v1-hybrid", PID)).expect("watchable");
    assert_eq!(target.pid, PID as u32);
    // status: SigBlk 0x4200 blocks SIGUSR1 (10) and SIGTERM (15); SigCgt 0x400 catches SIGSEGV.
    assert!(target.disposition(15).expect("disposition").blocked);
    assert!(target.disposition(11).expect("disposition").caught);
    assert!(!target.disposition(15).expect("disposition").caught);
    assert_eq!(target.namespace_pid().expect("nspid"), PID as u32);
    // Its LISTEN sockets: net/tcp row 0 (inode 62127 = fd 10, 127.0.0.1 port 0xAA09) and
    // net/tcp6 row 0 (inode 62131 = fd 13, ::1 port 0x887B); loopback binds, in table order.
    let listeners = listening_loopback(&target).expect("listeners");
    let expected: Vec<std::net::SocketAddr> = ["127.0.0.1:43529", "[::1]:34939"]
        .iter()
        .map(|a| a.parse().expect("addr"))
        .collect();
    assert_eq!(listeners, expected);
    let zombie = Target::open_at(dir("zombie", ZOMBIE_PID));
    assert!(
        matches!(zombie, Err(DumpError::NotWatchable { .. })),
        "{zombie:?}"
    );
    let kthread = Target::open_at(dir("kthread", 2));
    assert!(
        matches!(kthread, Err(DumpError::NotWatchable { .. })),
        "{kthread:?}"
    );
    let missing = Target::open_at(dir("v1-hybrid", 4_000_000));
    assert!(
        matches!(missing, Err(DumpError::NoSuchProcess { .. })),
        "{missing:?}"
    );
}
