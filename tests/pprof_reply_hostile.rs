//! healthtop against a pprof "endpoint" that answers with hostile bytes, over real sockets: the
//! real binary, given `--pprof URL` of a listener in this test that answers every connection
//! with one crafted reply. Each case must end with the reason in one line (never a panic,
//! never a hang), and a dump that never ends is cut at its documented cap (16 MiB for debug=1)
//! with a note, in memory the test measures (the child's peak RSS from wait4).

mod dump_support;

use dump_support::*;
use healthtop::runtimes::go::DEBUG1_CAP;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};

/// What the fake endpoint sends on each connection, after reading the request.
#[derive(Clone, Copy)]
enum Hostile {
    /// Header bytes forever, never the blank line.
    EndlessHead,
    /// A 200 with no length, then body bytes forever.
    EndlessBody(&'static [u8]),
    /// A fixed reply, then the connection closes.
    Canned(&'static [u8]),
}

/// Serves `hostile` to every connection on a thread; returns the URL. Writes stop when the
/// client hangs up.
fn serve(hostile: Hostile) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let filler = [b'x'; 64 << 10];
                match hostile {
                    Hostile::EndlessHead => {
                        let _ = stream.write_all(b"HTTP/1.0 200 OK\r\nX-Filler: ");
                        while stream.write_all(&filler).is_ok() {}
                    }
                    Hostile::EndlessBody(start) => {
                        let _ = stream.write_all(b"HTTP/1.0 200 OK\r\n\r\n");
                        let _ = stream.write_all(start);
                        let line =
                            [b"1 @ 0x1\n#\t0x1\tmain.f+0x1\t/x.go:1\n\n".as_slice(); 1024].concat();
                        while stream.write_all(&line).is_ok() {}
                    }
                    Hostile::Canned(reply) => {
                        let _ = stream.write_all(reply);
                    }
                }
            });
        }
    });
    url
}

/// A harmless target to name with `-p` (the endpoint is given with `--pprof`).
fn sleeper() -> Option<Target> {
    let sleep = tool("sleep")?;
    let mut command = Command::new(sleep);
    command
        .arg("120")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    Some(Target::spawn(command))
}

/// `report --watch 2s --json --pprof URL`: the goroutine count is missing, and
/// `unavailable` says why, containing `reason`.
fn assert_refused(hostile: Hostile, reason: &str) {
    let Some(target) = sleeper() else { return };
    let url = serve(hostile);
    let pid = target.upid().to_string();
    let report = healthtop_json(&[
        "report", "-p", &pid, "--watch", "2s", "--json", "--pprof", &url,
    ]);
    assert!(report["goroutines"]["count"].is_null(), "{report:#}");
    let gap = report["unavailable"]
        .as_array()
        .expect("unavailable")
        .iter()
        .find(|u| u["field"] == "goroutines")
        .unwrap_or_else(|| panic!("{report:#}"));
    let said = gap["reason"].as_str().expect("reason");
    assert!(said.contains(reason), "{said}");
    assert!(!said.contains('\n'), "one line: {said:?}");
}

#[test]
fn endless_headers_are_cut_at_16_kib() {
    assert_refused(
        Hostile::EndlessHead,
        "reply headers larger than 16384 bytes",
    );
}

#[test]
fn an_endless_index_page_is_refused_at_its_cap() {
    assert_refused(
        Hostile::EndlessBody(b"<html>"),
        "reply body larger than 262144 bytes",
    );
}

#[test]
fn a_chunk_size_past_15_hex_digits_is_refused() {
    assert_refused(
        Hostile::Canned(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nabc",
        ),
        "chunk size is not 1 to 15 hex digits",
    );
}

#[test]
fn a_length_and_chunked_together_are_refused() {
    assert_refused(
        Hostile::Canned(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
        "Content-Length and Transfer-Encoding together",
    );
}

#[test]
fn a_reply_shorter_than_its_length_is_refused() {
    assert_refused(
        Hostile::Canned(b"HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n<tr><td>5</td>"),
        "the connection closed before Content-Length bytes",
    );
}

#[test]
fn a_page_without_a_goroutine_row_or_profile_is_said() {
    assert_refused(
        Hostile::Canned(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
        "no `goroutine profile: total N` header",
    );
}

/// A goroutine profile that never ends: `dump` keeps the first 16 MiB (the debug=1 cap), says
/// the dump is cut, and its peak RSS (measured here) stays under 256 MiB, whatever was sent.
#[test]
fn an_endless_dump_is_cut_at_its_cap_in_bounded_memory() {
    let Some(target) = sleeper() else { return };
    let url = serve(Hostile::EndlessBody(b"goroutine profile: total 5\n"));
    let pid = target.upid().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_healthtop"))
        .args(["dump", "-p", &pid, "--method", "pprof", "--pprof", &url])
        .args(["--timeout", "60s"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("healthtop runs");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut printed = 0usize;
    let mut buffer = vec![0u8; 1 << 20];
    while let Ok(n) = stdout.read(&mut buffer) {
        if n == 0 {
            break;
        }
        printed += n;
    }
    let (status, max_rss_kib) = wait_with_rusage(&mut child);
    let said = reader.join().expect("stderr");
    assert_eq!(status, Some(0), "{said}");
    assert!(said.contains("the dump is cut"), "{said}");
    assert!(said.contains("only the first 200000 entries"), "{said}");
    // The text as received, cut at the cap exactly.
    assert_eq!(printed, DEBUG1_CAP, "{said}");
    assert!(max_rss_kib < 256 << 10, "peak RSS {max_rss_kib} KiB");
    eprintln!("peak RSS {max_rss_kib} KiB for a {printed}-byte cut dump");
}

/// Waits for `child` with wait4 to get its peak RSS (KiB) along with its exit code.
#[allow(unsafe_code)]
fn wait_with_rusage(child: &mut std::process::Child) -> (Option<i32>, i64) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid out-parameter.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our unreaped child; status and usage point to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, usage.ru_maxrss)
}
