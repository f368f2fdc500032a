//! `healthtop serve` against real processes and a real Prometheus (Debian's package, installed
//! by scripts/test.sh): what Prometheus stores must be what the kernel says; the exposition and
//! the shipped alerting rules must pass promtool; processes come and go as series should.

#[path = "common/mod.rs"]
mod common;

use common::{c_target, require_tool, wait_until, Target};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

/// The leak rate of the fd-leaking target, descriptors per second.
const LEAK_RATE: f64 = 5.0;

fn rules_target(args: &[&str]) -> Option<Target> {
    let mut command = Command::new(c_target("rules_target")?);
    command.args(args);
    Some(Target::start_group(command, "ready"))
}

/// `healthtop serve --listen 127.0.0.1:0 --interval 1s -p PID…`, ready once it printed its
/// address; stderr is kept for the tests that read it.
fn serve(pids: &[i32], extra: &[&str]) -> Target {
    let mut command = Command::new(env!("CARGO_BIN_EXE_healthtop"));
    command.args(["serve", "--listen", "127.0.0.1:0", "--interval", "1s"]);
    for pid in pids {
        command.args(["-p", &pid.to_string()]);
    }
    command.args(extra).stderr(Stdio::piped());
    Target::start_group(command, "healthtop serve:")
}

/// `127.0.0.1:PORT` from serve's first line (`http://127.0.0.1:PORT/metrics, …`).
fn address(serve: &Target) -> String {
    let url = serve.ready_arg.split(',').next().unwrap_or_default();
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("no address in {:?}", serve.ready_arg))
        .to_string()
}

/// One HTTP/1.0 GET: the status code, the headers and the body.
fn get(address: &str, path: &str, headers: &[&str]) -> (u16, String, String) {
    let mut stream = TcpStream::connect(address).expect("connect");
    let mut request = format!("GET {path} HTTP/1.0\r\nHost: {address}\r\n");
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read reply");
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn metrics(address: &str) -> String {
    let (status, _, body) = get(address, "/metrics", &[]);
    assert_eq!(status, 200, "{body}");
    body
}

/// The sample lines of `family` whose labels include every one of `labels`.
fn lines<'a>(exposition: &'a str, family: &str, labels: &[&str]) -> Vec<&'a str> {
    exposition
        .lines()
        .filter(|l| l.starts_with(&format!("{family}{{")) || l.starts_with(&format!("{family} ")))
        .filter(|l| labels.iter().all(|label| l.contains(label)))
        .collect()
}

/// `ls /proc/PID/fd | wc -l`, the truth the tests compare with.
fn ls_fd_count(pid: i32) -> f64 {
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("ls /proc/{pid}/fd | wc -l"))
        .output()
        .expect("sh runs");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("a count")
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A real Prometheus scraping `target` every second, with the shipped alerting rules.
struct Prometheus {
    _process: Target,
    address: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(target: &str) -> Prometheus {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let config = dir.path().join("prometheus.yml");
        let rules = repo_file("assets/prometheus-rules.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [{rules:?}]\n\
                 scrape_configs:\n  - job_name: healthtop\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .expect("write config");
        let log = std::fs::File::create(dir.path().join("log")).expect("log file");
        // The shell says `ready` and becomes Prometheus: the one spawner keeps its group.
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg("echo ready; exec \"$0\" \"$@\"")
            .arg("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stderr(log);
        let process = Target::start_group(command, "ready");
        let address = format!("127.0.0.1:{port}");
        wait_until("Prometheus to be ready", || {
            TcpStream::connect(&address).is_ok() && get(&address, "/-/ready", &[]).0 == 200
        });
        Prometheus {
            _process: process,
            address,
            _dir: dir,
        }
    }

    /// The instant vector of `query`: (labels, sample time, value) per series.
    fn query(&self, query: &str) -> Vec<(Value, f64, f64)> {
        let encoded: String = query
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        let (status, _, body) = get(
            &self.address,
            &format!("/api/v1/query?query={encoded}"),
            &[],
        );
        assert_eq!(status, 200, "{body}");
        let reply: Value = serde_json::from_str(&body).expect("JSON");
        reply["data"]["result"]
            .as_array()
            .expect("a vector")
            .iter()
            .map(|series| {
                let value = &series["value"];
                let at = value[0].as_f64().unwrap_or(0.0);
                let number = value[1]
                    .as_str()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(f64::NAN);
                (series["metric"].clone(), at, number)
            })
            .collect()
    }
}

#[test]
fn prometheus_stores_the_kernels_fd_count_and_an_eta_while_the_target_leaks() {
    if !require_tool("prometheus") {
        return;
    }
    // 300 descriptors at 5 a second after stdin closes: a minute of leaking, then flat.
    let Some(mut target) = rules_target(&["fdburst", "4096", "5", "300"]) else {
        return;
    };
    let pid = target.pid();
    let serve = serve(&[pid], &[]);
    let prometheus = Prometheus::start(&address(&serve));
    target.close_stdin();
    assert!(target.next_line().starts_with("start "));

    let eta = format!("healthtop_eta_seconds{{resource=\"fds\",pid=\"{pid}\"}}");
    wait_until("an fds ETA in Prometheus while the target leaks", || {
        !prometheus.query(&eta).is_empty()
    });
    let (labels, _, seconds) = prometheus.query(&eta).remove(0);
    assert_eq!(labels["comm"], "rules_target");
    assert!(seconds > 0.0 && seconds.is_finite(), "{seconds}");

    // While it leaks: the stored count trails the kernel's by at most what the leak added
    // since healthtop read it (one interval before the scrape) .
    let fds = format!("healthtop_open_fds{{pid=\"{pid}\"}}");
    let (_, scraped_at, stored) = prometheus.query(&fds).remove(0);
    let kernel = ls_fd_count(pid);
    let drift = (LEAK_RATE * (now_secs() - scraped_at + 1.0)).ceil() + 1.0;
    assert!(
        stored <= kernel && kernel - stored <= drift,
        "Prometheus has {stored} fds, the kernel {kernel}, the leak's drift {drift}"
    );
    assert!(target.next_line().starts_with("stopped "));
    // Once it stopped: exactly the kernel's count.
    let kernel = ls_fd_count(pid);
    wait_until("Prometheus to store the kernel's fd count", || {
        prometheus.query(&fds).first().map(|s| s.2) == Some(kernel)
    });
}

#[test]
fn promtool_accepts_the_exposition_and_the_alerting_rules() {
    if !require_tool("promtool") {
        return;
    }
    let rules = Command::new("promtool")
        .args(["check", "rules"])
        .arg(repo_file("assets/prometheus-rules.yml"))
        .output()
        .expect("promtool runs");
    assert!(
        rules.status.success(),
        "{}",
        String::from_utf8_lossy(&rules.stdout)
    );
    assert!(String::from_utf8_lossy(&rules.stdout).contains("SUCCESS: 3 rules found"));

    let Some(mut target) = rules_target(&["fdleak", "4096", "20"]) else {
        return;
    };
    let serve = serve(&[target.pid()], &[]);
    let address = address(&serve);
    // Every family a leaking process has: a forecast and a finding included.
    wait_until("an fds ETA and a finding", || {
        let text = metrics(&address);
        !lines(&text, "healthtop_eta_seconds", &[]).is_empty()
            && !lines(&text, "healthtop_finding", &["rule=\"fd-leak\""]).is_empty()
    });
    let exposition = metrics(&address);
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs");
    check
        .stdin
        .take()
        .expect("stdin")
        .write_all(exposition.as_bytes())
        .expect("feed promtool");
    let checked = check.wait_with_output().expect("promtool ends");
    assert!(
        checked.status.success() && checked.stdout.is_empty() && checked.stderr.is_empty(),
        "promtool: {}{}\n{exposition}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    // OpenMetrics when asked for: its content type, `# EOF`, a counter family without _total.
    let (status, head, body) = get(
        &address,
        "/metrics",
        &["Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5"],
    );
    assert_eq!(status, 200);
    assert!(
        head.contains("application/openmetrics-text; version=1.0.0"),
        "{head}"
    );
    assert!(body.ends_with("# EOF\n"));
    assert!(body.contains("# TYPE process_cpu_seconds counter\nprocess_cpu_seconds_total "));
    target.kill();
}

#[test]
fn a_target_that_exits_disappears_and_the_others_stay() {
    let (Some(mut leaving), Some(staying)) = (
        rules_target(&["threads", "2"]),
        rules_target(&["threads", "1"]),
    ) else {
        return;
    };
    let (gone, kept) = (leaving.pid(), staying.pid());
    let serve = serve(&[gone, kept], &[]);
    let address = address(&serve);
    let gone_label = format!("pid=\"{gone}\"");
    wait_until("both processes in the metrics", || {
        let text = metrics(&address);
        lines(&text, "healthtop_threads", &[]).len() == 2
    });
    let text = metrics(&address);
    assert_eq!(
        lines(&text, "healthtop_threads", &[&gone_label])[0]
            .rsplit(' ')
            .next(),
        Some("3")
    );
    leaving.kill();
    wait_until("the exited process to disappear", || {
        !metrics(&address).contains(&gone_label)
    });
    let text = metrics(&address);
    assert_eq!(
        lines(&text, "healthtop_watched_processes", &[]),
        ["healthtop_watched_processes 1"]
    );
    assert_eq!(
        lines(&text, "healthtop_threads", &[&format!("pid=\"{kept}\"")])[0]
            .rsplit(' ')
            .next(),
        Some("2")
    );
}

/// Starts `rules_target threads 1` again until the kernel gives it `pid` (through
/// `ns_last_pid`, root only), so a restart keeps its PID; `None` where that is not possible.
fn restart_with_pid(pid: i32) -> Option<Target> {
    for _ in 0..200 {
        std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string()).ok()?;
        let target = rules_target(&["threads", "1"])?;
        if target.pid() == pid {
            return Some(target);
        }
    }
    None
}

#[test]
fn a_restarted_process_gets_a_new_series_even_with_the_same_pid() {
    let Some(mut first) = rules_target(&["threads", "1"]) else {
        return;
    };
    let pid = first.pid();
    let serve = serve(&[pid], &[]);
    let address = address(&serve);
    let pid_label = format!("pid=\"{pid}\"");
    let start_of = |text: &str| -> Vec<String> {
        lines(text, "healthtop_threads", &[&pid_label])
            .iter()
            .filter_map(|l| {
                l.split("start_time=\"")
                    .nth(1)?
                    .split('"')
                    .next()
                    .map(String::from)
            })
            .collect()
    };
    wait_until("the first process in the metrics", || {
        start_of(&metrics(&address)).len() == 1
    });
    let before = start_of(&metrics(&address));
    first.kill();
    let Some(_second) = restart_with_pid(pid) else {
        eprintln!("skipping: cannot choose the next PID (needs root for ns_last_pid)");
        return;
    };
    // One series, of the new process: the old one ended, nothing merged into it.
    wait_until("the restarted process as a new series", || {
        let now = start_of(&metrics(&address));
        now.len() == 1 && now != before
    });
}

#[test]
fn a_bad_listen_address_is_one_line_and_exit_2() {
    for bad in ["nonsense", "127.0.0.1", "127.0.0.1:99999", "example.com:80"] {
        let output = Command::new(env!("CARGO_BIN_EXE_healthtop"))
            .args(["serve", "-p", "1", "--listen", bad])
            .output()
            .expect("healthtop runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{bad}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{bad}: {stderr}");
        assert!(
            stderr.starts_with("healthtop: ") && stderr.contains("--listen"),
            "{stderr}"
        );
    }
}

#[test]
fn a_port_in_use_is_one_line_and_exit_9() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address").to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_healthtop"))
        .args([
            "serve",
            "-p",
            &std::process::id().to_string(),
            "--listen",
            &address,
        ])
        .output()
        .expect("healthtop runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(9), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("healthtop: cannot listen on {address}: ")),
        "{stderr}"
    );
}

#[test]
fn sigterm_and_sigint_end_it_cleanly() {
    for signal in [nix::sys::signal::SIGTERM, nix::sys::signal::SIGINT] {
        let mut serve = serve(&[std::process::id() as i32], &[]);
        let address = address(&serve);
        assert!(metrics(&address).contains("healthtop_threads{"));
        let pid = nix::unistd::Pid::from_raw(serve.pid());
        nix::sys::signal::kill(pid, signal).expect("signal");
        let status = serve.child.wait().expect("serve ends");
        let mut stderr = String::new();
        if let Some(mut pipe) = serve.child.stderr.take() {
            pipe.read_to_string(&mut stderr).expect("stderr");
        }
        assert_eq!(status.code(), Some(0), "{signal}: {stderr}");
        assert!(stderr.is_empty(), "{signal}: {stderr}");
        assert!(
            TcpStream::connect(&address).is_err(),
            "still listening after {signal}"
        );
    }
}

/// `curl` on `url` with `args`: the HTTP status it got (0: no HTTP reply at all).
fn curl_status(url: &str, args: &[&str]) -> u16 {
    let output = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "20",
        ])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

#[test]
fn tls_and_basic_auth_from_a_web_config_file() {
    if !require_tool("openssl") || !require_tool("curl") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .args(["-keyout", "key.pem", "-out", "cert.pem"])
        .current_dir(dir.path())
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let hash = bcrypt::hash("s3cret", 4).expect("bcrypt");
    let web = dir.path().join("web.yml");
    std::fs::write(
        &web,
        format!(
            "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n\
             basic_auth_users:\n  prometheus: '{hash}'\n"
        ),
    )
    .expect("write web config");
    let serve = serve(
        &[std::process::id() as i32],
        &["--web-config", &web.to_string_lossy()],
    );
    assert!(
        serve.ready_arg.starts_with("https://"),
        "{}",
        serve.ready_arg
    );
    let url = format!("https://{}/metrics", address(&serve));
    let ca = dir.path().join("cert.pem");
    let ca = ca.to_string_lossy();
    assert_eq!(curl_status(&url, &["--cacert", &ca]), 401);
    assert_eq!(
        curl_status(&url, &["--cacert", &ca, "-u", "prometheus:wrong"]),
        401
    );
    assert_eq!(
        curl_status(&url, &["--cacert", &ca, "-u", "nobody:s3cret"]),
        401
    );
    assert_eq!(
        curl_status(&url, &["--cacert", &ca, "-u", "prometheus:s3cret"]),
        200
    );
    // Twice: the second is answered from the remembered verification.
    assert_eq!(
        curl_status(&url, &["--cacert", &ca, "-u", "prometheus:s3cret"]),
        200
    );
    let plain = url.replacen("https://", "http://", 1);
    assert_eq!(curl_status(&plain, &["-u", "prometheus:s3cret"]), 0);
}

#[test]
fn a_bad_web_config_is_one_line_and_exit_6() {
    let dir = tempfile::tempdir().expect("temp dir");
    let web = dir.path().join("web.yml");
    for bad in [
        "basic_auth_users:\n  alice: plain-text\n",
        "tls_server_config:\n  cert_file: missing.pem\n  key_file: missing.pem\n",
        "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n",
        "[not yaml",
    ] {
        std::fs::write(&web, bad).expect("write");
        let output = Command::new(env!("CARGO_BIN_EXE_healthtop"))
            .args(["serve", "-p", &std::process::id().to_string(), "--listen", "127.0.0.1:0"])
            .arg("--web-config")
            .arg(&web)
            .output()
            .expect("healthtop runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(6), "{bad}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{bad}: {stderr}");
        assert!(stderr.starts_with("healthtop: "), "{stderr}");
    }
}

/// `rules_target` copied under a name of its own (its comm), so no other process on the host
/// answers to it.
fn named_target(dir: &Path) -> Option<(PathBuf, String)> {
    let name = format!("srv{}", std::process::id());
    let path = dir.join(&name);
    std::fs::copy(c_target("rules_target")?, &path).expect("copy target");
    Some((path, name))
}

#[test]
fn a_name_follows_a_restart_to_its_new_pid() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((binary, name)) = named_target(dir.path()) else {
        return;
    };
    let start = || {
        let mut command = Command::new(&binary);
        command.args(["threads", "1"]);
        Target::start_group(command, "ready")
    };
    let mut first = start();
    let serve = serve(&[], &["-p", &name]);
    let address = address(&serve);
    let comm = format!("comm=\"{name}\"");
    let pids = |text: &str| -> Vec<String> {
        lines(text, "healthtop_threads", &[&comm])
            .iter()
            .filter_map(|l| {
                l.split("pid=\"")
                    .nth(1)?
                    .split('"')
                    .next()
                    .map(String::from)
            })
            .collect()
    };
    assert_eq!(pids(&metrics(&address)), [first.pid().to_string()]);
    first.kill();
    let second = start();
    wait_until(
        "the restarted process under its new PID, the old one gone",
        || pids(&metrics(&address)) == [second.pid().to_string()],
    );
}

#[test]
fn scan_watches_a_process_at_its_fd_limit() {
    // 64 descriptors allowed, leaked until EMFILE: no headroom left.
    let Some(mut target) = rules_target(&["fdleak", "64", "200"]) else {
        return;
    };
    assert!(target.next_line().starts_with("emfile "));
    let pid = format!("pid=\"{}\"", target.pid());
    let serve = serve(&[], &["--scan", "--top", "5"]);
    let address = address(&serve);
    let text = metrics(&address);
    assert_eq!(
        lines(
            &text,
            "healthtop_headroom_ratio",
            &[&pid, "resource=\"fds\""]
        )
        .first()
        .and_then(|l| l.rsplit(' ').next()),
        Some("0"),
        "{text}"
    );
    assert_eq!(
        lines(&text, "healthtop_open_fds", &[&pid])[0]
            .rsplit(' ')
            .next(),
        Some(ls_fd_count(target.pid()).to_string().as_str())
    );
}
