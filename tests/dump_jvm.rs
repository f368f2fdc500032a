//! `healthtop dump` on a real JVM: 12 named threads parked in `Parker.parkHere`
//! (tests/targets/dump_parker.java), dumped through the attach protocol, checked against
//! `jstack` and the kernel's thread table.

mod dump_support;

use dump_support::*;
use std::collections::BTreeSet;
use std::process::{Command, Stdio};

const WORKERS: usize = 12;

fn worker_names() -> BTreeSet<String> {
    (0..WORKERS)
        .map(|i| format!("parked-worker-{i:02}"))
        .collect()
}

/// Java threads (`#id` in the header) of a jstack dump by name, each with its frame lines.
fn jstack_threads(text: &str) -> Vec<(String, Vec<String>)> {
    let mut threads: Vec<(String, Vec<String>)> = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        if line.starts_with('"') && line.contains("\" #") {
            threads.extend(current.take());
            let name = &line[1..line.find("\" #").expect("checked")];
            current = Some((name.to_string(), Vec::new()));
        } else if line.is_empty() {
            threads.extend(current.take());
        } else if let (Some(thread), Some(frame)) =
            (current.as_mut(), line.trim().strip_prefix("at "))
        {
            thread.1.push(frame.to_string());
        }
    }
    threads.extend(current);
    threads
}

#[test]
fn jvm_dump_names_every_parked_thread_like_jstack() {
    let (Some(javac), Some(java), Some(jstack)) = (tool("javac"), tool("java"), tool("jstack"))
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    compile_java(&javac, dir.path(), "dump_parker.java");
    let workers = WORKERS.to_string();
    let mut jvm = start_parker(&java, dir.path(), &[], &workers);
    let pid = jvm.upid();

    let dump = healthtop_json(&["dump", "-p", &pid.to_string(), "--json"]);
    assert_eq!(dump["runtime"], "jvm");
    assert_eq!(dump["method"], "jvm-attach");
    let threads = dump["threads"].as_array().expect("threads");
    assert_eq!(dump["total"].as_u64(), Some(threads.len() as u64));

    // All 12 workers, each WAITING with Parker.parkHere on its stack and the right lock line.
    let workers: Vec<&serde_json::Value> = threads
        .iter()
        .filter(|t| worker_names().contains(t["name"].as_str().unwrap_or("")))
        .collect();
    let names: BTreeSet<String> = workers
        .iter()
        .map(|t| t["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(names, worker_names());
    let tasks = task_comms(pid);
    for worker in &workers {
        let name = worker["name"].as_str().unwrap_or("");
        assert_eq!(worker["state"], "WAITING", "{name}");
        let methods: Vec<&str> = worker["frames"]
            .as_array()
            .expect("frames")
            .iter()
            .filter_map(|f| f["method"].as_str())
            .collect();
        assert!(methods.contains(&"Parker.parkHere"), "{name}: {methods:?}");
        let kinds: Vec<&str> = worker["locks"]
            .as_array()
            .expect("locks")
            .iter()
            .filter_map(|l| l["kind"].as_str())
            .collect();
        let index: usize = name[name.len() - 2..].parse().expect("index");
        if index % 2 == 1 {
            assert_eq!(kinds, vec!["waiting-on", "locked"], "{name}");
        } else {
            assert_eq!(kinds, vec!["parking-for"], "{name}");
        }
        // nid → Linux tid: a task of this JVM whose kernel name is the Java name, truncated to
        // 15 bytes by the kernel (truth: /proc/PID/task/TID/comm).
        let tid = worker["tid"].as_u64().expect("tid") as u32;
        assert_eq!(
            tasks.get(&tid).map(String::as_str),
            Some(&name[..15]),
            "{name}"
        );
        assert_eq!(worker["task_comm"].as_str(), Some(&name[..15]));
    }
    let cwd_trigger = dir.path().join(format!(".attach_pid{pid}"));
    assert!(!cwd_trigger.exists(), "attach trigger file left behind");

    // Truth: jstack sees the same Java threads, and the workers in Parker.parkHere.
    let jstack_out = Command::new(jstack)
        .arg(pid.to_string())
        .output()
        .expect("jstack runs");
    assert!(jstack_out.status.success(), "jstack failed");
    let jstack_threads = jstack_threads(&String::from_utf8_lossy(&jstack_out.stdout));
    let jstack_names: BTreeSet<&str> = jstack_threads.iter().map(|(n, _)| n.as_str()).collect();
    let our_java_names: BTreeSet<&str> = threads
        .iter()
        .filter(|t| t["java_id"].is_u64())
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(our_java_names, jstack_names);
    for (name, frames) in jstack_threads
        .iter()
        .filter(|(n, _)| worker_names().contains(n))
    {
        assert!(
            frames.iter().any(|f| f.starts_with("Parker.parkHere(")),
            "jstack: {name} not in parkHere"
        );
    }

    // Text mode, now through the already running listener: the dump text itself.
    let text = healthtop(&["dump", "-p", &pid.to_string()]);
    assert!(text.status.success(), "{}", stderr(&text));
    let text = stdout(&text);
    assert!(text.contains("Full thread dump"), "{text}");
    assert_eq!(text.matches("at Parker.parkHere(").count(), WORKERS);
    assert!(jvm.alive());

    // Closing stdin ends the JVM; everything it printed must be our "ready" line only: the
    // SIGQUIT healthtop sent started the attach listener instead of printing a dump.
    let rest = rest_of_stdout(jvm);
    assert!(
        !rest.contains("Full thread dump"),
        "the JVM printed a thread dump on its stdout: {rest}"
    );
}

/// A JVM in its own pid namespace (as in a container): the attach socket is named after the
/// namespace pid (`NSpid`), and the printed nids are namespace tids that healthtop must map
/// back to host tids; its /tmp is private, so the socket is found only through
/// /proc/PID/root/tmp. Needs CAP_SYS_ADMIN for `unshare`; skipped with a reason without.
#[test]
fn jvm_in_a_pid_namespace_attaches_by_namespace_pid_and_maps_tids() {
    let (Some(javac), Some(java), Some(unshare)) = (tool("javac"), tool("java"), tool("unshare"))
    else {
        return;
    };
    let probe = Command::new(&unshare)
        .args([
            "--pid",
            "--fork",
            "--mount-proc",
            "sh",
            "-c",
            "mount -t tmpfs tmpfs /tmp",
        ])
        .output()
        .expect("unshare runs");
    if !probe.status.success() {
        eprintln!(
            "SKIP: cannot create a pid namespace here ({})",
            String::from_utf8_lossy(&probe.stderr).trim()
        );
        return;
    }
    // Outside /tmp, which the JVM's private tmpfs hides: not the target dir either, since a
    // checkout may itself live under /tmp (CI clones anywhere).
    let dir = tempfile::tempdir_in("/var/tmp").expect("tempdir in /var/tmp");
    compile_java(&javac, dir.path(), "dump_parker.java");
    let mut command = Command::new(unshare);
    command
        .args([
            "--pid",
            "--fork",
            "--mount-proc",
            "--kill-child",
            "sh",
            "-c",
        ])
        // A private /tmp, as in a container: the socket is only reachable through
        // /proc/PID/root, and no other JVM with namespace pid 1 shares it.
        .arg("mount -t tmpfs tmpfs /tmp && exec \"$0\" \"$@\"")
        .arg(java)
        .arg("-cp")
        .arg(dir.path())
        .arg("Parker")
        .arg("3")
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut wrapper = Target::spawn(command);
    // Inside its namespace the JVM is pid 1.
    assert_eq!(wrapper.read_line(), "ready 1");
    let children = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", wrapper.upid()))
        .expect("children of unshare");
    let pid: u32 = children.trim().parse().expect("one child: the JVM");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("NSpid:") && l.ends_with("\t1")),
        "the JVM is pid 1 in its namespace"
    );

    let dump = healthtop_json(&["dump", "-p", &pid.to_string(), "--json"]);
    {
        use std::os::unix::fs::FileTypeExt;
        let socket = std::fs::symlink_metadata(format!("/proc/{pid}/root/tmp/.java_pid1"))
            .expect("the listener's socket in the JVM's own /tmp");
        assert!(socket.file_type().is_socket());
    }
    let tasks = task_comms(pid);
    let workers: Vec<&serde_json::Value> = dump["threads"]
        .as_array()
        .expect("threads")
        .iter()
        .filter(|t| {
            t["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("parked-worker-"))
        })
        .collect();
    assert_eq!(workers.len(), 3);
    for worker in workers {
        let name = worker["name"].as_str().expect("name");
        let nid = worker["nid"].as_u64().expect("nid");
        let tid = worker["tid"].as_u64().expect("host tid") as u32;
        assert_ne!(
            nid,
            u64::from(tid),
            "{name}: namespace tid was not translated"
        );
        assert_eq!(
            tasks.get(&tid).map(String::as_str),
            Some(&name[..15]),
            "{name}"
        );
        // Truth for the mapping: the task's own NSpid ends with the printed nid.
        let task_status =
            std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).expect("task");
        assert!(
            task_status
                .lines()
                .any(|l| l.starts_with("NSpid:") && l.ends_with(&format!("\t{nid}"))),
            "{name}"
        );
    }
    assert!(wrapper.alive());
}

/// Starts Parker with `workers` threads and extra JVM options, its classes dir as its cwd;
/// returns it once ready.
fn start_parker(
    java: &std::path::Path,
    classes: &std::path::Path,
    options: &[&str],
    workers: &str,
) -> Target {
    let mut command = Command::new(java);
    command
        .args(options)
        .arg("-cp")
        .arg(classes)
        .args(["Parker", workers])
        .current_dir(classes);
    start_java(command)
}

fn catches_sigquit(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let caught = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .expect("SigCgt");
    caught & (1 << 2) != 0
}

/// A JVM started with -Xrs installs no SIGQUIT handler (truth: SigCgt), so SIGQUIT would kill
/// it. HotSpot then starts the attach listener at startup, and healthtop uses it without a
/// signal. With attach disabled as well, healthtop says so (exit 8) and sends nothing.
#[test]
fn jvm_without_a_sigquit_handler_is_not_signalled() {
    let (Some(javac), Some(java)) = (tool("javac"), tool("java")) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    compile_java(&javac, dir.path(), "dump_parker.java");

    let mut jvm = start_parker(&java, dir.path(), &["-Xrs"], "1");
    let pid = jvm.upid();
    assert!(!catches_sigquit(pid), "-Xrs JVM catches SIGQUIT?");
    let output = healthtop(&["dump", "-p", &pid.to_string()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).matches("at Parker.parkHere(").count(), 1);
    assert!(jvm.alive());
    drop(jvm);

    let mut jvm = start_parker(
        &java,
        dir.path(),
        &["-Xrs", "-XX:+DisableAttachMechanism"],
        "1",
    );
    let pid = jvm.upid();
    assert!(!catches_sigquit(pid));
    let output = healthtop(&["dump", "-p", &pid.to_string()]);
    assert_eq!(output.status.code(), Some(8), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("attach is disabled"),
        "{}",
        stderr(&output)
    );
    assert!(jvm.alive(), "the JVM was signalled");
    assert!(!dir.path().join(format!(".attach_pid{pid}")).exists());
}

/// What the JVM printed on its stdout after its "ready" line, once it has exited (closing its
/// stdin ends it): a thread dump there means it was sent SIGQUIT without an attach trigger.
fn rest_of_stdout(mut jvm: Target) -> String {
    drop(jvm.child.stdin.take());
    let mut rest = String::new();
    std::io::Read::read_to_string(jvm.stdout.as_mut().expect("piped"), &mut rest)
        .expect("read JVM stdout");
    rest
}

/// A JVM started with `-XX:+DisableAttachMechanism`, on its command line or in
/// JAVA_TOOL_OPTIONS, still catches SIGQUIT (truth: SigCgt) but never listens: healthtop says
/// attach is disabled, exits 8, creates no trigger and sends nothing (no thread dump printed).
#[test]
fn jvm_with_attach_disabled_is_sent_nothing() {
    let (Some(javac), Some(java)) = (tool("javac"), tool("java")) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    compile_java(&javac, dir.path(), "dump_parker.java");

    let on_command_line = start_parker(&java, dir.path(), &["-XX:+DisableAttachMechanism"], "1");
    let in_environment = {
        let mut command = Command::new(&java);
        command
            .env("JAVA_TOOL_OPTIONS", "-Xss1m -XX:+DisableAttachMechanism")
            .arg("-cp")
            .arg(dir.path())
            .args(["Parker", "1"])
            .current_dir(dir.path());
        start_java(command)
    };
    for (mut jvm, source) in [
        (on_command_line, "on its command line"),
        (in_environment, "in JAVA_TOOL_OPTIONS"),
    ] {
        let pid = jvm.upid();
        assert!(
            catches_sigquit(pid),
            "SIGQUIT would reach the JVM's handler"
        );
        let output = healthtop(&["dump", "-p", &pid.to_string()]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(8), "{message}");
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(
            message.contains("attach is disabled") && message.contains(source),
            "{message}"
        );
        assert!(!dir.path().join(format!(".attach_pid{pid}")).exists());
        assert!(jvm.alive());
        let rest = rest_of_stdout(jvm);
        assert!(
            !rest.contains("Full thread dump"),
            "the JVM was sent SIGQUIT: {rest}"
        );
    }
}

/// The JVM's user (`nobody`) plants `.attach_pid<PID>` in the JVM's working directory as a
/// symlink to a root-owned file, and root runs `healthtop dump`: the file is unchanged, the
/// dump is refused with one line and nothing is sent. With the link gone, the dump works: the
/// trigger is created as the JVM's user (HotSpot accepts it) and removed afterwards.
#[test]
fn a_planted_attach_trigger_link_never_redirects_roots_write() {
    use std::os::unix::fs::PermissionsExt;
    let (Some(javac), Some(java), Some(setpriv)) = (tool("javac"), tool("java"), tool("setpriv"))
    else {
        return;
    };
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP: needs root to run the JVM as another user");
        return;
    }
    const NOBODY: u32 = 65534;
    // Outside /tmp (private per test) and readable by nobody: the classes; the JVM's cwd is
    // nobody's own directory, where its user can plant anything.
    let base = tempfile::tempdir_in("/var/tmp").expect("tempdir in /var/tmp");
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let classes = base.path().join("classes");
    let cwd = base.path().join("cwd");
    std::fs::create_dir(&classes).expect("classes dir");
    std::fs::create_dir(&cwd).expect("cwd");
    std::os::unix::fs::chown(&cwd, Some(NOBODY), Some(NOBODY)).expect("chown cwd");
    compile_java(&javac, &classes, "dump_parker.java");
    let victim = base.path().join("root-owned");
    std::fs::write(&victim, b"root's file, not to be truncated").expect("victim");

    let mut command = Command::new(setpriv);
    command
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--reset-env",
        ])
        .arg(&java)
        .arg("-cp")
        .arg(&classes)
        .args(["Parker", "2"])
        .current_dir(&cwd);
    let mut jvm = start_java(command);
    let pid = jvm.upid();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("Uid:") && l.contains("\t65534\t65534")),
        "the JVM runs as nobody: {status}"
    );

    let trigger = cwd.join(format!(".attach_pid{pid}"));
    std::os::unix::fs::symlink(&victim, &trigger).expect("plant the link");
    std::os::unix::fs::lchown(&trigger, Some(NOBODY), Some(NOBODY)).expect("the user's link");
    let output = healthtop(&["dump", "-p", &pid.to_string()]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(7), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with("healthtop: ")
            && message.contains("symbolic link")
            && message.contains("nothing was sent"),
        "{message}"
    );
    assert_eq!(
        std::fs::read(&victim).expect("victim"),
        b"root's file, not to be truncated"
    );
    assert!(std::fs::symlink_metadata(&trigger)
        .expect("the link")
        .file_type()
        .is_symlink());
    assert!(jvm.alive());

    // Without the link: the trigger is made as nobody, the dump works, nothing is left.
    std::fs::remove_file(&trigger).expect("remove the link");
    let output = healthtop(&["dump", "-p", &pid.to_string()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).matches("at Parker.parkHere(").count(), 2);
    assert!(!trigger.exists(), "attach trigger left behind");
    assert_eq!(
        std::fs::read(&victim).expect("victim"),
        b"root's file, not to be truncated"
    );
    assert!(jvm.alive());
    let rest = rest_of_stdout(jvm);
    assert!(
        !rest.contains("Full thread dump"),
        "SIGQUIT printed a dump instead of starting the listener: {rest}"
    );
}
