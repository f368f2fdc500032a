//! Shared by the hostile-file tests: a real bundle written by healthtop, its members, a way to
//! pack members back (with or without a manifest that matches them), and a run of the binary
//! that measures its exit, stderr and peak memory.
#![allow(dead_code)]

#[path = "../live_support/mod.rs"]
mod live_support;
#[allow(unused_imports)]
pub use live_support::{healthtop, mutate_bytes, tool, Rng, Target};

use sha2::Digest;
use std::io::Read;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

/// One archive member: path and data.
pub type Member = (String, Vec<u8>);

/// A bundle of a real `sleep` process, written by `healthtop bundle` once per test binary.
pub fn real_bundle() -> &'static [u8] {
    static BUNDLE: OnceLock<Vec<u8>> = OnceLock::new();
    BUNDLE.get_or_init(|| {
        let target = Target::sleeper();
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("real.tar.gz");
        let status = healthtop()
            .args(["bundle", "-p", &target.pid().to_string(), "-o"])
            .arg(&out)
            .args(["--duration", "0s"])
            .stdout(Stdio::null())
            .status()
            .expect("healthtop bundle runs");
        assert!(status.success(), "healthtop bundle failed");
        std::fs::read(&out).expect("bundle written")
    })
}

/// The members of a well-formed bundle, in archive order (trusted: written by healthtop).
pub fn members(bundle: &[u8]) -> Vec<Member> {
    live_support::archive_members(bundle)
}

/// `members` with `manifest.json`'s `contents` rewritten to list every other member with its
/// real size and SHA-256, so a reader gets past the checksums to what was changed.
pub fn with_matching_manifest(mut members: Vec<Member>) -> Vec<Member> {
    let contents: Vec<serde_json::Value> = members
        .iter()
        .filter(|(name, _)| name != "manifest.json")
        .map(|(name, data)| {
            let sha: String = sha2::Sha256::digest(data)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            serde_json::json!({"path": name, "bytes": data.len(), "sha256": sha})
        })
        .collect();
    if let Some((_, manifest)) = members.iter_mut().find(|(name, _)| name == "manifest.json") {
        if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(manifest) {
            value["contents"] = serde_json::Value::Array(contents);
            *manifest = serde_json::to_vec(&value).expect("json");
        }
    }
    members
}

/// A tar of `members` (regular files, mode 0600), gzip-compressed.
pub fn pack(members: &[Member]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o600);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, name, data.as_slice())
            .expect("append");
    }
    gzip(&builder.into_inner().expect("tar"))
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

/// What one run of healthtop did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stderr: String,
    /// Peak resident memory of the process (`ru_maxrss` from `wait4`), KiB. Linux counts the
    /// forked test process's own peak in it too (the child's address space starts as a copy),
    /// so the tests keep their own memory small: this is an upper bound of healthtop's peak.
    pub max_rss_kib: i64,
    pub elapsed: Duration,
}

/// A run that outlives this is a hang: it is killed and the test fails.
const HANG: Duration = Duration::from_secs(120);

/// Runs healthtop with `args`, stdin and stdout closed, and measures it.
pub fn run_measured(args: &[&std::ffi::OsStr]) -> Run {
    let started = std::time::Instant::now();
    // Reaped below by wait4, which also gives its resource usage.
    #[allow(clippy::zombie_processes)]
    let mut child = healthtop()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("healthtop starts");
    let mut stderr_pipe = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr_pipe.read_to_end(&mut text);
        text
    });
    let pid = child.id() as libc::pid_t;
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(HANG).is_err() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            true
        } else {
            false
        }
    });
    let mut status: libc::c_int = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    #[allow(unsafe_code)]
    // SAFETY: `pid` is our own child, not yet reaped; `status` and `usage` are valid for
    // writes of their types.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
    let _ = done.send(());
    assert_eq!(reaped, pid, "wait4 failed");
    let hung = watchdog.join().expect("watchdog");
    assert!(!hung, "healthtop {args:?} ran for {HANG:?} and was killed");
    #[allow(unsafe_code)]
    // SAFETY: wait4 succeeded, so it filled `usage`.
    let usage = unsafe { usage.assume_init() };
    let stderr = String::from_utf8_lossy(&reader.join().expect("stderr reader")).into_owned();
    Run {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stderr,
        max_rss_kib: usage.ru_maxrss,
        elapsed: started.elapsed(),
    }
}

/// Refusal of a hostile file: exit 6, exactly one stderr line starting `healthtop:` with no
/// control byte, peak memory under 256 MiB.
pub fn assert_refused(run: &Run, what: &str) {
    assert_eq!(run.code, Some(6), "{what}: {run:?}");
    let line = run.stderr.strip_suffix('\n').unwrap_or(&run.stderr);
    assert!(
        !line.contains('\n'),
        "{what}: more than one line: {:?}",
        run.stderr
    );
    assert!(line.starts_with("healthtop: "), "{what}: {line:?}");
    assert!(
        !line.chars().any(|c| c.is_control()),
        "{what}: control character in {line:?}"
    );
    assert!(
        run.max_rss_kib < 256 * 1024,
        "{what}: peak RSS {} KiB",
        run.max_rss_kib
    );
    println!(
        "{what}: exit 6 after {:.2?}, peak RSS {} KiB: {line}",
        run.elapsed, run.max_rss_kib
    );
}
