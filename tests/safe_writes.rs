//! Issue 12: healthtop, usually root, writes files where others may have planted links.
//! `record -o` and `bundle -o` never write through a symlink (to a file or dangling, at the
//! SVG or at its `.folded` companion): exit 7, the link's target unchanged, nothing created.
//! A `bundle` killed with SIGKILL at any moment leaves no temporary file behind.

mod live_support;

use live_support::{healthtop, wait_until, Target};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

fn run(args: &[&str], output: &Path, extra: &[&str]) -> Output {
    healthtop()
        .args(args)
        .arg("-o")
        .arg(output)
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("healthtop runs")
}

/// Every name in `dir` with what it is: a symlink's target, or a file's bytes.
fn listing(dir: &Path) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("read_dir")
        .flatten()
        .map(|e| {
            let path = e.path();
            let what = match std::fs::read_link(&path) {
                Ok(target) => format!("-> {}", target.display()),
                Err(_) => {
                    String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned()
                }
            };
            (e.file_name().to_string_lossy().into_owned(), what)
        })
        .collect();
    entries.sort();
    entries
}

/// Asserts a one-line refusal with exit 7 that names the link.
fn assert_refused(output: &Output, link: &Path, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(7), "{what}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
    assert!(stderr.starts_with("healthtop: "), "{what}: {stderr}");
    assert!(
        stderr.contains(&link.display().to_string()) && stderr.contains("symbolic link"),
        "{what}: {stderr}"
    );
}

#[test]
fn record_and_bundle_never_write_through_a_symlink() {
    let target = Target::sleeper();
    let pid = target.pid().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"root's precious file").expect("victim");
    let absent = dir.path().join("absent");
    let to_file = dir.path().join("to-file.svg");
    std::os::unix::fs::symlink(&victim, &to_file).expect("symlink");
    let dangling = dir.path().join("dangling.svg");
    std::os::unix::fs::symlink(&absent, &dangling).expect("symlink");
    // The companion: record -o companion.svg also writes companion.folded, a link here.
    let companion_svg = dir.path().join("companion.svg");
    let companion = dir.path().join("companion.folded");
    std::os::unix::fs::symlink(&victim, &companion).expect("symlink");
    let before = listing(dir.path());

    let record = ["record", "-p", &pid, "--duration", "1s"];
    let bundle = ["bundle", "-p", &pid];
    for force in [&[][..], &["--force"][..]] {
        for link in [&to_file, &dangling] {
            let what = format!("record -o {} {force:?}", link.display());
            assert_refused(&run(&record, link, force), link, &what);
            let what = format!("bundle -o {} {force:?}", link.display());
            assert_refused(&run(&bundle, link, force), link, &what);
        }
        let what = format!("record with a linked .folded {force:?}");
        assert_refused(&run(&record, &companion_svg, force), &companion, &what);
    }
    assert_eq!(
        std::fs::read(&victim).expect("victim"),
        b"root's precious file"
    );
    assert!(!absent.exists(), "a dangling link's target was created");
    assert_eq!(
        listing(dir.path()),
        before,
        "something was created or changed"
    );
}

#[test]
fn record_replaces_an_existing_file_only_with_force() {
    let target = Target::sleeper();
    let pid = target.pid().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let svg = dir.path().join("flame.svg");
    std::fs::write(&svg, b"an earlier recording").expect("svg");
    // The target is idle: only wall mode has stacks to draw.
    let record = [
        "record",
        "-p",
        &pid,
        "--duration",
        "1s",
        "--hz",
        "5",
        "--mode",
        "wall",
    ];
    let refused = run(&record, &svg, &[]);
    assert_eq!(refused.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    assert_eq!(std::fs::read(&svg).expect("svg"), b"an earlier recording");
    assert!(!dir.path().join("flame.folded").exists());

    let forced = run(&record, &svg, &["--force"]);
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    let text = std::fs::read_to_string(&svg).expect("svg");
    assert!(text.contains("<svg"), "{text}");
    let folded = std::fs::read_to_string(dir.path().join("flame.folded")).expect("folded");
    assert!(
        folded.lines().all(|l| l.rsplit_once(' ').is_some()),
        "{folded}"
    );
}

fn random_below(limit: u64) -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(limit);
    hasher.finish() % limit
}

/// The unnamed files `pid` holds open in `dir`: an O_TMPFILE shows as `dir/#ino (deleted)`.
fn unnamed_files_in(pid: u32, dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|fds| {
            fds.flatten()
                .filter_map(|fd| std::fs::read_link(fd.path()).ok())
                .filter(|target| {
                    target.starts_with(dir) && target.to_string_lossy().ends_with(" (deleted)")
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Killed with SIGKILL while its bundle is open, or at a random moment of a short run, `bundle`
/// leaves nothing in the destination directory but, at most, a complete bundle.
#[test]
fn sigkill_of_bundle_leaves_no_temporary_file() {
    let target = Target::sleeper();
    let pid = target.pid().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("b.tar.gz");

    // While it watches, the bundle already exists as an unnamed file in the directory.
    let mut child = healthtop()
        .args(["bundle", "-p", &pid, "--duration", "60s", "-o"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bundle starts");
    let child_pid = child.id();
    wait_until("bundle to open its unnamed file", || {
        !unnamed_files_in(child_pid, dir.path()).is_empty()
    });
    assert_eq!(
        listing(dir.path()),
        vec![],
        "the file has a name before it is complete"
    );
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    assert_eq!(listing(dir.path()), vec![], "SIGKILL left something behind");

    // At random moments of a whole run: nothing, or the finished bundle (which reads back).
    for _ in 0..10 {
        let mut child = healthtop()
            .args(["bundle", "-p", &pid, "--no-stacks", "-o"])
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("bundle starts");
        std::thread::sleep(std::time::Duration::from_millis(random_below(400)));
        let _ = child.kill();
        child.wait().expect("reap");
        let names: Vec<String> = listing(dir.path()).into_iter().map(|(n, _)| n).collect();
        match names.as_slice() {
            [] => {}
            [name] if name == "b.tar.gz" => {
                let read = healthtop()
                    .args(["report", "--from"])
                    .arg(&out)
                    .output()
                    .expect("report runs");
                assert!(
                    read.status.success(),
                    "a partial bundle was left: {}",
                    String::from_utf8_lossy(&read.stderr)
                );
                std::fs::remove_file(&out).expect("remove");
            }
            other => panic!("left behind: {other:?}"),
        }
    }
}
