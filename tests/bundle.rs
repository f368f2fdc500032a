//! Snapshot bundles from real processes: contents, figures, secrets, safe writing, bad files.

mod live_support;

use live_support::{healthtop, proc_text, sh, wait_until, Target};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const SECRET_ARG: &str = "hunter2-supersecret";
const SECRET_ENV: &str = "tok-verysecret-4711";
const SECRET_URL_PASSWORD: &str = "urlpass-0815";

fn bundle(pid: i32, out: &Path, extra: &[&str]) -> Output {
    healthtop()
        .args(["bundle", "-p", &pid.to_string(), "-o"])
        .arg(out)
        .args(extra)
        .output()
        .expect("healthtop runs")
}

/// `healthtop report --from PATH`, captured.
fn report_from(path: &Path) -> Output {
    healthtop()
        .args(["report", "--from"])
        .arg(path)
        .output()
        .expect("healthtop report --from")
}

/// The bundle's manifest, changed by `edit` and stored back into `files`.
fn edit_manifest(files: &mut BTreeMap<String, Vec<u8>>, edit: impl FnOnce(&mut Value)) {
    let mut manifest: Value = serde_json::from_slice(&files["manifest.json"]).expect("manifest");
    edit(&mut manifest);
    files.insert(
        "manifest.json".into(),
        serde_json::to_vec(&manifest).expect("json"),
    );
}

/// Writes `files` as a gzip'd tar, the manifest first (a reader refuses any other order).
fn write_bundle_members(path: &Path, files: &BTreeMap<String, Vec<u8>>) {
    let file = std::fs::File::create(path).expect("create");
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    let manifest_first = files
        .iter()
        .filter(|(name, _)| name.as_str() == "manifest.json")
        .chain(
            files
                .iter()
                .filter(|(name, _)| name.as_str() != "manifest.json"),
        );
    for (name, data) in manifest_first {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o600);
        builder
            .append_data(&mut header, name, data.as_slice())
            .expect("append");
    }
    builder
        .into_inner()
        .expect("finish")
        .finish()
        .expect("gzip");
}

fn files_of(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let bytes = std::fs::read(path).expect("bundle exists");
    live_support::archive_members(&bytes).into_iter().collect()
}

/// A Python process holding secrets in its arguments and environment.
fn secret_holder() -> Target {
    let mut command = Command::new("python3");
    command
        .args([
            "-c",
            "import threading,time\nprint('ready',flush=True)\ntime.sleep(1000)",
        ])
        .arg(format!("--password={SECRET_ARG}"))
        .arg(format!("postgres://app:{SECRET_URL_PASSWORD}@db:5432/x"))
        .env("HEALTHTOP_TEST_API_TOKEN", SECRET_ENV);
    Target::start(command, "ready")
}

/// Drops what legitimately changes between two readings of an idle process. PSS is shared
/// out among every process mapping the same pages (healthtop itself maps libc), so it moves
/// whenever another process starts or exits.
fn stable(mut v: Value) -> Value {
    if let Some(object) = v.as_object_mut() {
        for key in [
            "pss_bytes",
            "taken_at_ms",
            "census_taken_at_ms",
            "maps_taken_at_ms",
            "history",
            "file_nr",
            "tasks_total",
            "user_tasks",
            "headroom",
            "host",
            "pressure",
            "cgroup",
            "healthtop_version",
        ] {
            object.remove(key);
        }
        for value in object.values_mut() {
            *value = stable(value.take());
        }
    } else if let Some(array) = v.as_array_mut() {
        for value in array.iter_mut() {
            *value = stable(value.take());
        }
    }
    v
}

/// Paths where two JSON values differ, with both values.
fn diff(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                diff(
                    x.get(key).unwrap_or(&Value::Null),
                    y.get(key).unwrap_or(&Value::Null),
                    &format!("{path}.{key}"),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(p, q, &format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => out.push(format!("{path}: {a} vs {b}")),
        _ => {}
    }
}

#[test]
fn a_bundle_holds_every_file_with_the_reports_figures() {
    let target = Target::sleeper();
    let pid = target.pid();
    wait_until("sleep exec'd", || {
        proc_text(&format!("{pid}/comm")).trim() == "sleep"
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("snap.tar.gz");
    let output = bundle(pid, &out, &["--duration", "2s", "--interval", "500ms"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let live = healthtop()
        .args(["report", "--json", "-p", &pid.to_string()])
        .output()
        .expect("report");
    let live: Value = serde_json::from_slice(&live.stdout).expect("report JSON");

    let files = files_of(&out);
    let tid = pid.to_string();
    for name in [
        "manifest.json",
        "report.json",
        "README.txt",
        "proc/status",
        "proc/stat",
        "proc/limits",
        "proc/maps",
        "proc/smaps_rollup",
        "proc/cgroup",
        "proc/io",
        "proc/fd.txt",
        "proc/net/tcp",
        "proc/net/tcp6",
        &format!("proc/task/{tid}/stat"),
        &format!("proc/task/{tid}/status"),
        &format!("proc/task/{tid}/wchan"),
        &format!("proc/task/{tid}/syscall"),
        "stacks.txt",
        "stacks.json",
        "stacks.folded",
        "flamegraph.svg",
    ] {
        assert!(
            files.contains_key(name),
            "{name} missing; have {:?}",
            files.keys().collect::<Vec<_>>()
        );
    }
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).expect("manifest JSON");
    assert_eq!(manifest["schema"], "healthtop.bundle/2");
    assert_eq!(manifest["target"]["pid"], pid);
    assert!(manifest["samples"].as_u64() >= Some(2));
    let listed: Vec<&str> = manifest["contents"]
        .as_array()
        .expect("contents")
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert_eq!(
        listed.len() + 1,
        files.len(),
        "every file but the manifest is listed"
    );
    let report: Value = serde_json::from_slice(&files["report.json"]).expect("report JSON");
    assert!(report["history"].as_array().map(Vec::len) >= Some(2));
    let mut differences = Vec::new();
    diff(&stable(report), &stable(live), "", &mut differences);
    assert!(
        differences.is_empty(),
        "bundle and live report differ: {differences:#?}"
    );
    assert_eq!(
        files["proc/limits"],
        proc_text(&format!("{pid}/limits")).into_bytes()
    );

    // The stacks: sleep is parked in nanosleep; the flame graph is well-formed SVG.
    let stacks = String::from_utf8_lossy(&files["stacks.txt"]).into_owned();
    assert!(stacks.contains("nanosleep"), "{stacks}");
    let folded = String::from_utf8_lossy(&files["stacks.folded"]).into_owned();
    assert!(folded.lines().all(|l| l
        .rsplit_once(' ')
        .is_some_and(|(_, n)| n.parse::<u64>().is_ok())));
    assert!(folded.starts_with("sleep;"), "{folded}");
    let svg = dir.path().join("flame.svg");
    std::fs::write(&svg, &files["flamegraph.svg"]).expect("write svg");
    let parsed = Command::new("python3")
        .args(["-c", "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); assert r.tag.endswith('svg'), r.tag"])
        .arg(&svg)
        .status()
        .expect("python3 runs");
    assert!(
        parsed.success(),
        "flamegraph.svg is well-formed XML with an <svg> root"
    );
    let manifest_missing = manifest["missing"].as_array().expect("missing");
    assert!(
        !manifest_missing.iter().any(|m| m["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("stacks") || p.starts_with("flame"))),
        "{manifest_missing:?}"
    );

    // report --from re-reads the raw copies with the collectors: they agree with report.json.
    let text = report_from(&out);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("agree with report.json: state S, threads 1,"),
        "{text}"
    );
    assert!(!text.contains("differ:"), "{text}");
    // A raw copy that says otherwise is pointed out.
    let tampered = dir.path().join("tampered.tar.gz");
    {
        let mut files = files_of(&out);
        let status = String::from_utf8_lossy(&files["proc/status"])
            .replace("Threads:\t1\n", "Threads:\t7\n")
            .into_bytes();
        edit_manifest(&mut files, |manifest| {
            for item in manifest["contents"].as_array_mut().expect("contents") {
                if item["path"] == "proc/status" {
                    use sha2::Digest;
                    let digest = sha2::Sha256::digest(&status);
                    item["sha256"] = digest
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                        .into();
                    item["bytes"] = status.len().into();
                }
            }
        });
        files.insert("proc/status".into(), status);
        write_bundle_members(&tampered, &files);
    }
    let text = report_from(&tampered);
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("differ: threads is 7 in the copies, 1 in report.json"),
        "{text}"
    );

    // report --from prints the same report.
    let from = healthtop()
        .args(["report", "--json", "--from"])
        .arg(&out)
        .output()
        .expect("from");
    assert!(from.status.success());
    let from: Value = serde_json::from_slice(&from.stdout).expect("JSON");
    assert_eq!(from["pid"], pid);
}

#[test]
fn secrets_appear_in_no_file() {
    let target = secret_holder();
    let pid = target.pid();
    assert!(
        proc_text(&format!("{pid}/cmdline")).contains(SECRET_ARG),
        "the secret is really there"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, extra) in [
        ("plain.tar.gz", vec![]),
        ("env.tar.gz", vec!["--include-env"]),
    ] {
        let out = dir.path().join(name);
        let output = bundle(pid, &out, &extra);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let files = files_of(&out);
        for (file, data) in &files {
            let text = String::from_utf8_lossy(data);
            for secret in [SECRET_ARG, SECRET_ENV, SECRET_URL_PASSWORD] {
                assert!(
                    !text.contains(secret),
                    "{secret} leaked into {file} of {name}"
                );
            }
        }
        assert!(String::from_utf8_lossy(&files["proc/cmdline"]).contains("--password=********"));
        if name == "env.tar.gz" {
            let environ = String::from_utf8_lossy(&files["proc/environ"]).into_owned();
            assert!(
                environ.contains("HEALTHTOP_TEST_API_TOKEN=********"),
                "{environ}"
            );
        } else {
            assert!(!files.contains_key("proc/environ"));
        }
    }
}

/// What once made a bundle unreadable: a secret-looking key whose value (`false`, `2048`) also
/// appears as JSON text. Masking by structure keeps report.json's numbers and booleans intact.
#[test]
fn a_bundle_of_secret_looking_arguments_opens_with_the_live_figures() {
    const TOKEN: &str = "tok-roundtrip-93817";
    let mut command = Command::new("python3");
    command
        .args([
            "-c",
            "import time\nprint('ready',flush=True)\ntime.sleep(1000)",
            "-Dsize=2048",
            "--auth=false",
            "--password=hunter2",
        ])
        .env("SERVICE_TOKEN", TOKEN);
    let target = Target::start(command, "ready");
    let pid = target.pid();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("roundtrip.tar.gz");
    let output = bundle(
        pid,
        &out,
        &["--duration", "1s", "--interval", "500ms", "--include-env"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let from = healthtop()
        .args(["report", "--json", "--from"])
        .arg(&out)
        .output()
        .expect("report --from runs");
    assert_eq!(
        from.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&from.stderr)
    );
    let from: Value = serde_json::from_slice(&from.stdout).expect("report --from JSON");
    let live = healthtop()
        .args(["report", "--json", "-p", &pid.to_string()])
        .output()
        .expect("report");
    let mut live: Value = serde_json::from_slice(&live.stdout).expect("live JSON");
    // The bundle's command line is masked where the key says so, and only there.
    assert_eq!(
        from["cmdline"]
            .as_array()
            .map(|args| Value::from(args[1..].to_vec())),
        Some(serde_json::json!([
            "-c",
            "import time\nprint('ready',flush=True)\ntime.sleep(1000)",
            "-Dsize=2048",
            "--auth=********",
            "--password=********"
        ]))
    );
    live["cmdline"] = from["cmdline"].clone();
    let mut differences = Vec::new();
    diff(&stable(from), &stable(live), "", &mut differences);
    assert!(
        differences.is_empty(),
        "bundle and live report differ: {differences:#?}"
    );
    let files = files_of(&out);
    assert!(files.contains_key("proc/environ"));
    for (file, data) in &files {
        let text = String::from_utf8_lossy(data);
        for secret in ["hunter2", TOKEN] {
            assert!(!text.contains(secret), "{secret} leaked into {file}");
        }
    }
    assert!(String::from_utf8_lossy(&files["proc/environ"]).contains("SERVICE_TOKEN=********"));
}

/// `--duration 5s --interval 1s` is a sample at 0, 1, … 5 s: six, first and last included,
/// however slow the machine (the schedule counts ticks, not time left).
#[test]
fn a_duration_is_honoured_first_and_last_sample_included() {
    let target = Target::sleeper();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("five.tar.gz");
    let output = bundle(
        target.pid(),
        &out,
        &["--duration", "5s", "--interval", "1s", "--no-stacks"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let files = files_of(&out);
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).expect("manifest");
    let report: Value = serde_json::from_slice(&files["report.json"]).expect("report");
    let history = report["history"].as_array().expect("history");
    assert!(history.len() >= 5, "{} samples", history.len());
    assert_eq!(history.len(), 6);
    assert_eq!(manifest["samples"], 6);
    let first = history[0]["taken_at_ms"].as_u64().expect("first");
    let last = history[5]["taken_at_ms"].as_u64().expect("last");
    assert!(
        last - first >= 5000,
        "the last sample is taken at 5 s, not before"
    );
    // Longer than 2 s: progress on stderr (not a terminal here: whole lines).
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("healthtop: bundle: 1/6 samples"),
        "{stderr}"
    );
    assert!(stderr.contains("bytes written"), "{stderr}");
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "{stderr:?}"
    );
}

/// A target killed while it is watched: the bundle keeps the death (the exit and the
/// `exited` finding with the signal), and `report --from` replays it.
#[test]
fn a_target_killed_during_the_watch_keeps_its_death() {
    let target = Target::sleeper();
    let pid = target.pid();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("killed.tar.gz");
    let mut child = healthtop()
        .args(["bundle", "-p", &pid.to_string(), "-o"])
        .arg(&out)
        .args(["--duration", "30s", "--interval", "500ms", "--no-stacks"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("bundle runs");
    // Killed once healthtop has sampled it (its first progress line is on stderr).
    let mut stderr = child.stderr.take().expect("stderr");
    let mut first = [0u8; 1];
    stderr.read_exact(&mut first).expect("progress begins");
    sh(&format!("kill -9 {pid}"));
    let status = child.wait().expect("bundle ends");
    let mut rest = String::new();
    let _ = stderr.read_to_string(&mut rest);
    assert!(status.success(), "{rest}");
    let files = files_of(&out);
    let report: Value = serde_json::from_slice(&files["report.json"]).expect("report");
    assert_eq!(
        report["exit"]["how"], "killed by SIGKILL",
        "{}",
        report["exit"]
    );
    let from = report_from(&out);
    assert_eq!(from.status.code(), Some(0));
    let text = String::from_utf8_lossy(&from.stdout);
    assert!(text.contains("exited"), "{text}");
    assert!(text.contains("killed by SIGKILL"), "{text}");
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).expect("manifest");
    assert!(
        manifest["missing"]
            .as_array()
            .expect("missing")
            .iter()
            .any(|m| m["path"] == "proc/status"
                && m["reason"].as_str().is_some_and(|r| r.contains("SIGKILL"))),
        "{manifest}"
    );
}

#[test]
fn writing_is_safe() {
    let target = Target::sleeper();
    let pid = target.pid();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("b.tar.gz");
    assert!(bundle(pid, &out, &[]).status.success());
    assert_eq!(
        std::fs::metadata(&out).expect("meta").permissions().mode() & 0o777,
        0o600
    );

    // An existing file is kept without --force.
    std::fs::write(&out, b"precious").expect("write");
    let refused = bundle(pid, &out, &[]);
    assert_eq!(refused.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    assert_eq!(std::fs::read(&out).expect("read"), b"precious");
    assert!(bundle(pid, &out, &["--force"]).status.success());
    assert!(files_of(&out).contains_key("manifest.json"));

    // A symlink at the destination is never written through nor replaced, even with --force
    // (more cases in tests/safe_writes.rs).
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"untouched").expect("victim");
    let link = dir.path().join("link.tar.gz");
    std::os::unix::fs::symlink(&victim, &link).expect("symlink");
    assert_eq!(bundle(pid, &link, &[]).status.code(), Some(7));
    assert_eq!(bundle(pid, &link, &["--force"]).status.code(), Some(7));
    assert_eq!(std::fs::read(&victim).expect("victim"), b"untouched");
    assert!(std::fs::symlink_metadata(&link)
        .expect("meta")
        .file_type()
        .is_symlink());

    // No temporary file is left behind.
    let leftovers = sh(&format!("ls -A {}", dir.path().display()));
    assert!(!leftovers.contains(".tmp-"), "{leftovers}");
}

#[test]
fn bad_bundles_get_a_clear_error() {
    let target = Target::sleeper();
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.tar.gz");
    assert!(bundle(target.pid(), &good, &[]).status.success());
    let bytes = std::fs::read(&good).expect("read");

    let truncated = dir.path().join("truncated.tar.gz");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let foreign = dir.path().join("foreign.tar.gz");
    std::fs::write(&foreign, b"just some text").expect("write");
    let missing = dir.path().join("missing.tar.gz");
    // A well-formed archive whose report (same size, one byte changed) does not match its
    // checksum.
    let tampered = dir.path().join("tampered.tar.gz");
    {
        let mut files = files_of(&good);
        let report = files.get_mut("report.json").expect("report");
        let at = report
            .windows(18)
            .position(|w| w == b"healthtop.report/1")
            .expect("schema in report");
        report[at + 17] = b'2';
        write_bundle_members(&tampered, &files);
    }
    // The previous schema still opens; an unknown one is refused with a line naming it.
    let with_schema = |schema: &str| {
        let mut files = files_of(&good);
        edit_manifest(&mut files, |manifest| manifest["schema"] = schema.into());
        let path = dir
            .path()
            .join(format!("{}.tar.gz", schema.replace('/', "-")));
        write_bundle_members(&path, &files);
        path
    };
    let previous = with_schema("healthtop.bundle/1");
    let opened = report_from(&previous);
    assert_eq!(
        opened.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&opened.stderr)
    );
    let future = with_schema("healthtop.bundle/9");
    for (path, needle) in [
        (&future, "uses bundle schema \"healthtop.bundle/9\""),
        (&truncated, "corrupt or truncated"),
        (&foreign, "not a healthtop bundle"),
        (&missing, "cannot read"),
        (&tampered, "checksum of report.json"),
    ] {
        let output = report_from(path);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(6),
            "{}: {stderr}",
            path.display()
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr:?} lacks {needle:?}");
        assert!(!stderr.contains("panicked"));
    }
}
