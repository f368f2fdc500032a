//! The collector on fixture trees captured from real processes (see
//! `tests/fixtures/proc/README.txt`): every `Sample` field is compared with the fixture's files,
//! read here by plain string handling independent of `healthtop::parse`, and with the ground
//! truth `tests/targets/fixture_target.c` set up (thread names and where they sleep, signal
//! dispositions, seccomp, limits, fds of every kind, the truncated and the deleted mapping).

use healthtop::collect::{CollectError, Collector, HostRoot, Tiers};
use healthtop::sample::{FdInfo, Runtime, Sample};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

const PID: i32 = 5055;
const ZOMBIE_PID: i32 = 5056;
const PAGE: u64 = 4096;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/proc")
        .join(name)
}

fn read(root: &Path, relative: &str) -> String {
    fs::read_to_string(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The value of `Key:` in a `Key:\tvalue` file, trimmed.
fn keyed(root: &Path, relative: &str, key: &str) -> String {
    read(root, relative)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .unwrap_or_else(|| panic!("{key} not in {relative}"))
        .trim()
        .to_string()
}

/// A `kB` line of status or smaps_rollup, in bytes.
fn kib(root: &Path, relative: &str, key: &str) -> u64 {
    let value = keyed(root, relative, key);
    let number: u64 = value
        .trim_end_matches(" kB")
        .trim()
        .parse()
        .expect("kB value");
    number * 1024
}

/// Field `n` of a stat line (numbered as in proc(5), 1 = pid, 2 = comm).
fn stat_field(root: &Path, relative: &str, n: usize) -> String {
    let text = read(root, relative);
    let after_comm = &text[text.rfind(')').expect("comm") + 2..];
    after_comm
        .split(' ')
        .nth(n - 3)
        .expect("field")
        .trim()
        .to_string()
}

fn number(root: &Path, relative: &str) -> u64 {
    read(root, relative)
        .split_whitespace()
        .next()
        .expect("number")
        .parse()
        .expect("number")
}

fn sample(root: &Path, tiers: Tiers) -> Sample {
    let mut collector = Collector::new(HostRoot::at(root), PID).expect("collector");
    collector.sample(tiers).expect("sample")
}

fn unavailable(sample: &Sample) -> BTreeMap<&str, &str> {
    sample
        .unavailable
        .iter()
        .map(|u| (u.field.as_str(), u.reason.as_str()))
        .collect()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// (tid, name, wchan, syscall, syscall number, blocked signals, pending signals)
type ExpectedThread = (
    i32,
    &'static str,
    &'static str,
    &'static str,
    i64,
    Vec<&'static str>,
    Vec<&'static str>,
);

const PASTEOF_REASON: &str = "could not stat /tmp/healthtop-fixture/trunc.dat (deleted, replaced, or not permitted); past-EOF check skipped for it";
const DUMPABLE_REASON: &str =
    "the target runs as root, so /proc cannot tell whether it is dumpable";
/// Every fixture target runs as root, whom RLIMIT_NPROC does not bind: the host is not scanned.
const NPROC_REASON: &str = "not counted: RLIMIT_NPROC does not bind the root user";
const PIDS_REASON: &str = "the target's cgroup has no pids controller (or it is the root cgroup)";

/// Everything that does not depend on the cgroup layout, checked on every tree derived from the
/// capture.
fn assert_process_fields(root: &Path, s: &Sample, has_syscall_files: bool) {
    assert_identity(root, s);
    assert_threads(root, s, has_syscall_files);
    assert_security(root, s);
    assert_limits(root, s);
    assert_crash_evidence_and_memory(root, s);
    assert_host(root, s);
}

/// Identity: pid, names, command line, start time, ids, runtime.
fn assert_identity(root: &Path, s: &Sample) {
    let p = |f: &str| format!("proc/{PID}/{f}");
    assert_eq!(s.identity.pid, PID);
    assert_eq!(s.identity.comm, "fixture_target");
    assert_eq!(s.identity.comm, keyed(root, &p("status"), "Name"));
    let cmdline: Vec<String> = read(root, &p("cmdline"))
        .split('\0')
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(
        cmdline,
        names(&["./fixture_target", "/tmp/healthtop-fixture"])
    );
    assert_eq!(s.identity.cmdline, cmdline);
    assert_eq!(s.identity.state, "S");
    assert_eq!(s.identity.state, stat_field(root, &p("stat"), 3));
    assert_eq!(s.identity.ppid, 1);
    assert_eq!(
        s.identity.start_time.to_string(),
        stat_field(root, &p("stat"), 22)
    );
    let btime: f64 = read(root, "proc/stat")
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .expect("btime")
        .trim()
        .parse()
        .expect("btime");
    let ticks = s.system.clock_ticks_per_sec as f64;
    let expected_start = btime + s.identity.start_time as f64 / ticks;
    let started = s.identity.started_at_unix.expect("started_at_unix");
    assert!(
        (started - expected_start).abs() < 1e-6,
        "{started} vs {expected_start}"
    );
    for ids in [s.identity.uid, s.identity.gid] {
        assert_eq!(
            [ids.real, ids.effective, ids.saved, ids.fs],
            [0, 0, 0, 0],
            "status Uid/Gid are all 0"
        );
    }
    assert_eq!(keyed(root, &p("status"), "Uid"), "0\t0\t0\t0");
    assert_eq!(s.identity.user.as_deref(), Some("root"));
    assert_eq!(s.identity.runtime, Runtime::Native);
    assert_eq!(s.identity.tracer_pid, 0);
    assert_eq!(s.identity.dumpable, None);
}

/// Threads: the count every sample, the census with names, wchan and syscall names.
fn assert_threads(root: &Path, s: &Sample, has_syscall_files: bool) {
    let p = |f: &str| format!("proc/{PID}/{f}");
    assert_eq!(s.threads.count, 6);
    assert_eq!(keyed(root, &p("status"), "Threads"), "6");
    assert_eq!(s.threads.zombie_children, Some(1));
    assert_eq!(stat_field(root, &format!("proc/{ZOMBIE_PID}/stat"), 3), "Z");
    assert_eq!(s.threads.census_taken_at_ms, Some(s.taken_at_ms));
    let common = ["SIGTERM", "SIGRTMIN+3"];
    // (tid, name, wchan, syscall, nr, blocked, pending)
    let expected: [ExpectedThread; 6] = [
        (
            5055,
            "fixture_target",
            "anon_pipe_read",
            "read",
            0,
            vec!["SIGUSR1", "SIGTERM", "SIGRTMIN+3"],
            vec!["SIGUSR1"],
        ),
        (
            5058,
            "fx-lock",
            "futex_do_wait",
            "futex",
            202,
            vec!["SIGUSR2", "SIGTERM", "SIGRTMIN+3"],
            vec![],
        ),
        (
            5059,
            "fx-sleep",
            "hrtimer_nanosleep",
            "clock_nanosleep",
            230,
            common.to_vec(),
            vec![],
        ),
        (
            5060,
            "fx-poll",
            "do_epoll_wait",
            "epoll_wait",
            232,
            common.to_vec(),
            vec![],
        ),
        (
            5061,
            "fx-pipe",
            "anon_pipe_read",
            "read",
            0,
            common.to_vec(),
            vec![],
        ),
        (
            5062,
            "fx-accept",
            "inet_csk_accept",
            "accept",
            43,
            common.to_vec(),
            vec![],
        ),
    ];
    assert_eq!(s.threads.items.len(), expected.len());
    for (thread, (tid, name, wchan, syscall, nr, blocked, pending)) in
        s.threads.items.iter().zip(expected)
    {
        let t = |f: &str| format!("proc/{PID}/task/{tid}/{f}");
        assert_eq!(thread.tid, tid);
        assert_eq!(thread.name, name);
        assert_eq!(thread.name, keyed(root, &t("status"), "Name"));
        assert_eq!(thread.state, "S");
        let cpu: u64 = stat_field(root, &t("stat"), 14)
            .parse::<u64>()
            .expect("utime")
            + stat_field(root, &t("stat"), 15)
                .parse::<u64>()
                .expect("stime");
        assert_eq!(thread.cpu_ticks, cpu, "{name} cpu");
        assert_eq!(
            thread.voluntary_ctxt_switches.map(|v| v.to_string()),
            Some(keyed(root, &t("status"), "voluntary_ctxt_switches"))
        );
        assert_eq!(
            thread.nonvoluntary_ctxt_switches.map(|v| v.to_string()),
            Some(keyed(root, &t("status"), "nonvoluntary_ctxt_switches"))
        );
        assert_eq!(read(root, &t("wchan")), wchan);
        assert_eq!(thread.wchan.as_deref(), Some(wchan), "{name} wchan");
        if has_syscall_files {
            let nr_in_file = read(root, &t("syscall"));
            assert_eq!(
                nr_in_file.split(' ').next(),
                Some(nr.to_string().as_str()),
                "{name} syscall file"
            );
            assert_eq!(thread.syscall.as_deref(), Some(syscall), "{name} syscall");
            assert_eq!(thread.syscall_nr, Some(nr));
        } else {
            assert_eq!((thread.syscall.as_deref(), thread.syscall_nr), (None, None));
        }
        assert_eq!(thread.blocked_signals, names(&blocked), "{name} blocked");
        assert_eq!(thread.pending_signals, names(&pending), "{name} pending");
        assert_eq!(
            thread.start_time.to_string(),
            stat_field(root, &t("stat"), 22)
        );
    }
}

/// Security and signals: seccomp, capabilities, signal masks.
fn assert_security(root: &Path, s: &Sample) {
    let p = |f: &str| format!("proc/{PID}/{f}");
    assert_eq!(keyed(root, &p("status"), "Seccomp"), "2");
    assert_eq!(s.seccomp.mode.as_deref(), Some("filter"));
    assert_eq!(keyed(root, &p("status"), "SigBlk"), "0000001000004200");
    assert_eq!(
        s.signals.blocked,
        names(&["SIGUSR1", "SIGTERM", "SIGRTMIN+3"])
    );
    // SIGINT and SIGQUIT were ignored by the shell that started the target in the background.
    assert_eq!(keyed(root, &p("status"), "SigIgn"), "0000000000001006");
    assert_eq!(s.signals.ignored, names(&["SIGINT", "SIGQUIT", "SIGPIPE"]));
    // SIG33 is glibc's internal setxid signal.
    assert_eq!(keyed(root, &p("status"), "SigCgt"), "0000000100000400");
    assert_eq!(s.signals.caught, names(&["SIGSEGV", "SIG33"]));
    assert_eq!(keyed(root, &p("status"), "SigPnd"), "0000000000000200");
    assert_eq!(keyed(root, &p("status"), "ShdPnd"), "0000001000000000");
    assert_eq!(s.signals.pending, names(&["SIGUSR1", "SIGRTMIN+3"]));
    assert_eq!(keyed(root, &p("status"), "CapEff"), "0000000000000420");
    assert_eq!(
        s.capabilities,
        Some(names(&["CAP_KILL", "CAP_NET_BIND_SERVICE"]))
    );
}

/// Limits: every row of the file, read by its fixed columns.
fn assert_limits(root: &Path, s: &Sample) {
    let p = |f: &str| format!("proc/{PID}/{f}");
    let limits_text = read(root, &p("limits"));
    let mut rows = 0;
    for line in limits_text.lines().skip(1) {
        let name = line[..26].trim();
        let soft = line[26..47].trim();
        let hard = line[47..68].trim();
        let unit = line.get(68..).unwrap_or("").trim();
        let key = match name {
            "Max cpu time" => "cpu",
            "Max file size" => "fsize",
            "Max data size" => "data",
            "Max stack size" => "stack",
            "Max core file size" => "core",
            "Max resident set" => "rss",
            "Max processes" => "nproc",
            "Max open files" => "nofile",
            "Max locked memory" => "memlock",
            "Max address space" => "as",
            "Max file locks" => "locks",
            "Max pending signals" => "sigpending",
            "Max msgqueue size" => "msgqueue",
            "Max nice priority" => "nice",
            "Max realtime priority" => "rtprio",
            "Max realtime timeout" => "rttime",
            other => panic!("unknown limits row {other:?}"),
        };
        let value = |v: &str| (v != "unlimited").then(|| v.parse::<u64>().expect("limit"));
        let limit = &s.limits[key];
        assert_eq!(limit.name, name);
        assert_eq!(limit.soft, value(soft), "{key} soft");
        assert_eq!(limit.hard, value(hard), "{key} hard");
        assert_eq!(limit.unit, unit, "{key} unit");
        rows += 1;
    }
    assert_eq!(rows, 16);
    assert_eq!(s.limits.len(), 16);
    assert_eq!(
        (s.limits["nofile"].soft, s.limits["nofile"].hard),
        (Some(1000), Some(4096))
    );
    assert_eq!(
        (s.limits["nproc"].soft, s.limits["nproc"].hard),
        (Some(4000), Some(8000))
    );
}

/// Crash evidence, and memory from status, oom files, maps and the host.
fn assert_crash_evidence_and_memory(root: &Path, s: &Sample) {
    let p = |f: &str| format!("proc/{PID}/{f}");
    assert_eq!(s.core.rlimit_bytes, Some(1 << 20));
    assert_eq!(s.core.pattern.as_deref(), Some("core"));
    assert_eq!(read(root, "proc/sys/kernel/core_pattern"), "core\n");
    assert_eq!(s.core.piped, Some(false));
    assert_eq!(s.core.filter.as_deref(), Some("00000033"));

    // Memory from status, oom files, maps, host.
    let m = &s.memory;
    let status = p("status");
    assert_eq!(m.rss_bytes, Some(kib(root, &status, "VmRSS")));
    assert_eq!(m.rss_bytes, Some(1584 * 1024));
    assert_eq!(m.rss_anon_bytes, Some(kib(root, &status, "RssAnon")));
    assert_eq!(m.rss_file_bytes, Some(kib(root, &status, "RssFile")));
    assert_eq!(m.rss_shmem_bytes, Some(kib(root, &status, "RssShmem")));
    assert_eq!(m.swap_bytes, Some(kib(root, &status, "VmSwap")));
    assert_eq!(m.vm_size_bytes, Some(kib(root, &status, "VmSize")));
    assert_eq!(m.vm_hwm_bytes, Some(kib(root, &status, "VmHWM")));
    assert_eq!(m.vm_data_bytes, Some(kib(root, &status, "VmData")));
    let maps_text = read(root, &p("maps"));
    let lines: Vec<&str> = maps_text.lines().collect();
    assert_eq!(m.maps.len(), lines.len());
    // [vsyscall] is not a VMA of the process.
    assert!(lines.last().expect("maps").ends_with("[vsyscall]"));
    assert_eq!(m.map_count, Some(lines.len() as u64 - 1));
    assert_eq!(m.map_count, Some(37));
    for (mapping, line) in m.maps.iter().zip(&lines) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (start, end) = fields[0].split_once('-').expect("range");
        assert_eq!(mapping.start, u64::from_str_radix(start, 16).expect("hex"));
        assert_eq!(mapping.end, u64::from_str_radix(end, 16).expect("hex"));
        assert_eq!(mapping.perms, fields[1]);
        assert_eq!(
            mapping.offset,
            u64::from_str_radix(fields[2], 16).expect("hex")
        );
        assert_eq!(mapping.dev, fields[3]);
        assert_eq!(mapping.inode.to_string(), fields[4]);
        let path = fields.get(5..).map(|p| p.join(" ")).unwrap_or_default();
        assert_eq!(mapping.deleted, path.ends_with(" (deleted)"), "{line}");
        assert_eq!(mapping.path, path.trim_end_matches(" (deleted)"));
    }
    assert_eq!(m.maps_taken_at_ms, Some(s.taken_at_ms));
    assert_eq!(m.max_map_count, Some(65530));
    assert_eq!(
        m.max_map_count,
        Some(number(root, "proc/sys/vm/max_map_count"))
    );
    // The deleted file mapping counts; memfd and shared anonymous memory ("/dev/zero
    // (deleted)") are not files that were deleted.
    assert_eq!(m.deleted_mappings.len(), 1, "{:?}", m.deleted_mappings);
    let deleted = &m.deleted_mappings[0];
    assert_eq!(
        deleted.path,
        "/tmp/healthtop-fixture/mapped-then-deleted.bin"
    );
    assert!(deleted.deleted);
    assert_eq!((deleted.perms.as_str(), deleted.len()), ("r--p", 2 * PAGE));
    assert_eq!(m.oom_score, Some(880));
    assert_eq!(m.oom_score, Some(number(root, &p("oom_score")) as i64));
    assert_eq!(m.oom_score_adj, Some(321));
    let host = m.host.expect("host memory");
    assert_eq!(host.total_bytes, kib(root, "proc/meminfo", "MemTotal"));
    assert_eq!(
        host.available_bytes,
        kib(root, "proc/meminfo", "MemAvailable")
    );
    assert_eq!(
        host.swap_total_bytes,
        kib(root, "proc/meminfo", "SwapTotal")
    );
    assert_eq!(host.swap_free_bytes, kib(root, "proc/meminfo", "SwapFree"));
}

/// Host-wide limits and the live host constants.
fn assert_host(root: &Path, s: &Sample) {
    let sys = &s.system;
    assert_eq!(sys.kernel.as_deref(), Some("6.18.44-fc-v669"));
    assert_eq!(sys.threads_max, Some(192_730));
    assert_eq!(
        sys.threads_max,
        Some(number(root, "proc/sys/kernel/threads-max"))
    );
    assert_eq!(sys.pid_max, Some(number(root, "proc/sys/kernel/pid_max")));
    assert_eq!(sys.file_nr, Some(858));
    assert_eq!(sys.file_nr, Some(number(root, "proc/sys/fs/file-nr")));
    assert_eq!(sys.file_max, Some(number(root, "proc/sys/fs/file-max")));
    assert_eq!(sys.nr_open, Some(number(root, "proc/sys/fs/nr_open")));
    // Live host constants (not part of a capture).
    let clk = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .expect("CLK_TCK");
    assert_eq!(sys.clock_ticks_per_sec, clk as u64);
    assert_eq!(sys.page_size, PAGE);
}

/// The fd census of the capture: every descriptor with its kind, the deleted file, the TCP join.
fn assert_fds(root: &Path, s: &Sample) {
    let kinds: [(u64, &str); 22] = [
        (0, "pipe"),
        (1, "file"),
        (2, "file"),
        (3, "file"),
        (4, "directory"),
        (5, "device"),
        (6, "pipe"),
        (7, "pipe"),
        (8, "socket"),
        (9, "socket"),
        (10, "socket"),
        (11, "socket"),
        (12, "socket"),
        (13, "socket"),
        (14, "anon_inode:eventpoll"),
        (15, "anon_inode:eventfd"),
        (16, "anon_inode:timerfd"),
        (17, "anon_inode:signalfd"),
        (18, "anon_inode:inotify"),
        (19, "memfd"),
        (20, "file"),
        (200, "pipe"),
    ];
    let fd_dir = root.join(format!("proc/{PID}/fd"));
    let expected: Vec<FdInfo> = kinds
        .iter()
        .map(|&(fd, kind)| FdInfo {
            fd,
            kind: kind.to_string(),
            target: fs::read_link(fd_dir.join(fd.to_string()))
                .expect("fd link")
                .to_string_lossy()
                .into_owned(),
        })
        .collect();
    assert_eq!(fs::read_dir(&fd_dir).expect("fd dir").count(), 22);
    let f = &s.fds;
    assert_eq!(*f.items, expected);
    assert_eq!(f.open, Some(22));
    assert_eq!((f.soft_limit, f.hard_limit), (Some(1000), Some(4096)));
    assert_eq!(f.highest_fd, Some(200));
    let mut by_kind = BTreeMap::new();
    for (_, kind) in kinds {
        *by_kind.entry(kind.to_string()).or_insert(0u64) += 1;
    }
    assert_eq!(f.by_kind, by_kind);
    assert_eq!(f.by_kind["socket"], 6);
    assert_eq!(f.deleted_files.len(), 1);
    assert_eq!(f.deleted_files[0].fd, 20);
    assert_eq!(
        f.deleted_files[0].target,
        "/tmp/healthtop-fixture/gone.log (deleted)"
    );
    assert_eq!(f.census_taken_at_ms, Some(s.taken_at_ms));

    // TCP: the target's four sockets; the orphaned FIN_WAIT2 row and the not-yet-accepted
    // server end (inode 0) in the same table are not the target's.
    let tcp = f.tcp.as_ref().expect("tcp");
    let tcp4 = read(root, &format!("proc/{PID}/net/tcp"));
    assert!(tcp4.lines().any(|l| l.contains(" 05 ")), "orphan row kept");
    let got: Vec<(u64, u64, &str, &str, &str, u64, u64)> = tcp
        .sockets
        .iter()
        .map(|t| {
            (
                t.fd,
                t.inode,
                t.local.as_str(),
                t.remote.as_str(),
                t.state.as_str(),
                t.tx_queue,
                t.rx_queue,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            // 0100007F:AA09 LISTEN, one connection waiting in the accept queue.
            (10, 62127, "127.0.0.1:43529", "0.0.0.0:0", "LISTEN", 0, 1),
            (
                11,
                62130,
                "127.0.0.1:45110",
                "127.0.0.1:43529",
                "ESTABLISHED",
                0,
                0
            ),
            // The accepted socket whose peer closed: CLOSE_WAIT with the FIN unread.
            (
                12,
                62129,
                "127.0.0.1:43529",
                "127.0.0.1:45100",
                "CLOSE_WAIT",
                0,
                1
            ),
            (13, 62131, "[::1]:34939", "[::]:0", "LISTEN", 0, 0),
        ]
    );
    for socket in &tcp.sockets {
        let link = fs::read_link(fd_dir.join(socket.fd.to_string())).expect("socket fd");
        assert_eq!(link.to_string_lossy(), format!("socket:[{}]", socket.inode));
    }
    assert_eq!(tcp.close_wait, 1);
    assert_eq!(tcp.listen, 2);
    let by_state: BTreeMap<String, u64> = [("CLOSE_WAIT", 1), ("ESTABLISHED", 1), ("LISTEN", 2)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    assert_eq!(tcp.by_state, by_state);
}

/// The capture's full sample, one test per section (each fails alone, with its own name).
fn v1_hybrid() -> (PathBuf, Sample) {
    let root = fixture("v1-hybrid");
    let s = sample(&root, Tiers::ALL);
    (root, s)
}

#[test]
fn v1_hybrid_identity() {
    let (root, s) = v1_hybrid();
    assert_identity(&root, &s);
}

#[test]
fn v1_hybrid_threads() {
    let (root, s) = v1_hybrid();
    assert_threads(&root, &s, true);
}

#[test]
fn v1_hybrid_security_and_signals() {
    let (root, s) = v1_hybrid();
    assert_security(&root, &s);
}

#[test]
fn v1_hybrid_limits() {
    let (root, s) = v1_hybrid();
    assert_limits(&root, &s);
}

#[test]
fn v1_hybrid_crash_evidence_and_memory() {
    let (root, s) = v1_hybrid();
    assert_crash_evidence_and_memory(&root, &s);
}

#[test]
fn v1_hybrid_host() {
    let (root, s) = v1_hybrid();
    assert_host(&root, &s);
}

#[test]
fn v1_hybrid_fds() {
    let (root, s) = v1_hybrid();
    assert_fds(&root, &s);
}

#[test]
fn v1_hybrid_seccomp_exe_and_cgroups() {
    let (root, s) = v1_hybrid();
    assert_eq!(s.seccomp.filters, Some(2));
    assert_eq!(s.seccomp.no_new_privs, Some(true));
    assert_eq!(
        s.identity.exe.as_deref(),
        Some("/tmp/healthtop-fixture/fixture_target")
    );
    assert_eq!(
        s.memory.pss_bytes,
        Some(kib(&root, &format!("proc/{PID}/smaps_rollup"), "Pss"))
    );
    assert_eq!(s.memory.pss_bytes, Some(241 * 1024));
    // The truncated shared mapping is there, but its file is not in the fixture: the check
    // says it was skipped rather than reporting "none past EOF".
    assert!(read(&root, &format!("proc/{PID}/maps"))
        .lines()
        .any(|l| l.contains(" rw-s ") && l.ends_with("/tmp/healthtop-fixture/trunc.dat")));
    assert!(s.memory.mappings_past_eof.is_empty());

    // cgroup v1 memory controller, read where it lives; the hierarchical limit is unlimited.
    let cg = s.memory.cgroup.as_ref().expect("cgroup memory");
    let dir = "sys/fs/cgroup/memory/process_api/16b7615ddb0eced649b55e291f375ecf";
    assert!(read(&root, &format!("proc/{PID}/cgroup"))
        .contains("4:memory:/process_api/16b7615ddb0eced649b55e291f375ecf"));
    assert_eq!(cg.version, "v1");
    assert_eq!(cg.path, "/process_api/16b7615ddb0eced649b55e291f375ecf");
    assert_eq!(
        cg.current_bytes,
        Some(number(&root, &format!("{dir}/memory.usage_in_bytes")))
    );
    assert_eq!(cg.current_bytes, Some(27_422_720));
    assert!(read(&root, &format!("{dir}/memory.stat"))
        .contains("hierarchical_memory_limit 9223372036854771712"));
    assert_eq!(cg.max_bytes, None, "v1 'unlimited' is a huge number");
    assert_eq!(cg.high_bytes, None);
    let events: BTreeMap<String, u64> = [
        ("failcnt", 0),
        ("oom_kill", 0),
        ("oom_kill_disable", 0),
        ("under_oom", 0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(cg.events, events);
    // The v2 hierarchy is mounted beside the v1 controllers and the target sits in its root.
    let pressure = s.memory.pressure.as_ref().expect("pressure");
    assert_eq!(pressure.scope, "cgroup");
    assert_eq!(
        read(&root, "sys/fs/cgroup/unified/memory.pressure"),
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
    );
    assert_eq!(
        (
            pressure.some_avg10,
            pressure.some_avg60,
            pressure.some_avg300
        ),
        (0.0, 0.0, 0.0)
    );
    assert_eq!(
        (
            pressure.full_avg10,
            pressure.full_avg60,
            pressure.full_avg300
        ),
        (Some(0.0), Some(0.0), Some(0.0))
    );
    // The target is in the root of the v1 pids hierarchy, which has no pids.current.
    assert!(read(&root, &format!("proc/{PID}/cgroup")).contains("8:pids:/\n"));
    assert_eq!(s.threads.cgroup_pids_current, None);
    assert_eq!(s.threads.cgroup_pids_max, None);

    let gaps = unavailable(&s);
    let expected: BTreeMap<&str, &str> = [
        ("dumpable", DUMPABLE_REASON),
        ("threads.user_tasks", NPROC_REASON),
        ("memory.mappings_past_eof", PASTEOF_REASON),
        ("threads.cgroup_pids_current", PIDS_REASON),
        ("threads.cgroup_pids_max", PIDS_REASON),
    ]
    .into_iter()
    .collect();
    assert_eq!(gaps, expected);
}

#[test]
fn v2_assembled_tightest_limits_events_pressure_pids() {
    let root = fixture("v2-assembled");
    let s = sample(&root, Tiers::ALL);
    assert_process_fields(&root, &s, true);
    assert_fds(&root, &s);
    let cg = s.memory.cgroup.as_ref().expect("cgroup memory");
    let dir = "sys/fs/cgroup/healthtop.slice/fixture.service";
    assert_eq!(cg.version, "v2");
    assert_eq!(cg.path, "/healthtop.slice/fixture.service");
    assert_eq!(
        cg.current_bytes,
        Some(number(&root, &format!("{dir}/memory.current")))
    );
    // Own memory.max is "max": the parent's 512 MiB binds. memory.high is the target's own.
    assert_eq!(read(&root, &format!("{dir}/memory.max")), "max\n");
    assert_eq!(
        read(&root, "sys/fs/cgroup/healthtop.slice/memory.max"),
        "536870912\n"
    );
    assert_eq!(cg.max_bytes, Some(512 << 20));
    assert_eq!(cg.high_bytes, Some(384 << 20));
    let events: BTreeMap<String, u64> = read(&root, &format!("{dir}/memory.events"))
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(' ').expect("key value");
            (k.to_string(), v.parse().expect("count"))
        })
        .collect();
    assert_eq!(cg.events, events);
    assert_eq!((cg.events["oom"], cg.events["oom_kill"]), (1, 1));
    let pressure = s.memory.pressure.as_ref().expect("pressure");
    assert_eq!(pressure.scope, "cgroup");
    assert_eq!(
        (
            pressure.some_avg10,
            pressure.some_avg60,
            pressure.some_avg300
        ),
        (1.25, 0.5, 0.1)
    );
    assert_eq!(
        (
            pressure.full_avg10,
            pressure.full_avg60,
            pressure.full_avg300
        ),
        (Some(0.75), Some(0.25), Some(0.05))
    );
    assert_eq!(s.threads.cgroup_pids_current, Some(7));
    assert_eq!(
        read(&root, "sys/fs/cgroup/healthtop.slice/pids.max"),
        "512\n"
    );
    assert_eq!(s.threads.cgroup_pids_max, Some(512));
    let gaps = unavailable(&s);
    let expected: BTreeMap<&str, &str> = [
        ("dumpable", DUMPABLE_REASON),
        ("threads.user_tasks", NPROC_REASON),
        ("memory.mappings_past_eof", PASTEOF_REASON),
    ]
    .into_iter()
    .collect();
    assert_eq!(gaps, expected);
}

#[test]
fn old_kernel_without_seccomp_filters_and_no_new_privs() {
    let root = fixture("old-kernel");
    let status = read(&root, &format!("proc/{PID}/status"));
    assert!(!status.contains("Seccomp_filters") && !status.contains("NoNewPrivs"));
    let s = sample(&root, Tiers::ALL);
    assert_process_fields(&root, &s, true);
    assert_fds(&root, &s);
    assert_eq!(s.seccomp.mode.as_deref(), Some("filter"));
    assert_eq!(s.seccomp.filters, None);
    assert_eq!(s.seccomp.no_new_privs, None);
    let gaps = unavailable(&s);
    assert_eq!(
        gaps.get("seccomp.filters"),
        Some(&"no Seccomp_filters line in status: kernel older than 5.9")
    );
    assert_eq!(
        gaps.get("seccomp.no_new_privs"),
        Some(&"no NoNewPrivs line in status: kernel older than 4.10")
    );
    assert_eq!(gaps.get("threads.user_tasks"), Some(&NPROC_REASON));
    assert_eq!(gaps.len(), 7, "{gaps:#?}");
}

#[test]
fn unreadable_parts_are_unavailable_with_reasons_never_zero() {
    let root = fixture("no-fd");
    let s = sample(&root, Tiers::ALL);
    assert_process_fields(&root, &s, false);
    let f = &s.fds;
    assert_eq!(f.open, None);
    assert!(f.by_kind.is_empty() && f.items.is_empty() && f.deleted_files.is_empty());
    assert_eq!((f.highest_fd, f.census_taken_at_ms), (None, None));
    assert_eq!(f.tcp, None);
    // Limits are still readable, so the limits are known even though the count is not.
    assert_eq!((f.soft_limit, f.hard_limit), (Some(1000), Some(4096)));
    assert_eq!(s.identity.exe, None);
    assert_eq!(s.memory.pss_bytes, None);
    for thread in s.threads.items.iter() {
        assert_eq!((thread.syscall.as_deref(), thread.syscall_nr), (None, None));
        assert!(thread.wchan.is_some(), "wchan is still there");
    }
    let gaps = unavailable(&s);
    let missing = |relative: &str| {
        format!(
            "{} does not exist (kernel too old, or feature not configured)",
            root.join(relative).display()
        )
    };
    let fd_reason = missing(&format!("proc/{PID}/fd"));
    let expected: BTreeMap<&str, String> = [
        ("dumpable", DUMPABLE_REASON.to_string()),
        ("threads.user_tasks", NPROC_REASON.to_string()),
        ("memory.mappings_past_eof", PASTEOF_REASON.to_string()),
        ("threads.cgroup_pids_current", PIDS_REASON.to_string()),
        ("threads.cgroup_pids_max", PIDS_REASON.to_string()),
        ("exe", missing(&format!("proc/{PID}/exe"))),
        ("fds.open", fd_reason.clone()),
        ("fds.by_kind", fd_reason.clone()),
        // Every figure drawn from the fd list is unknown with it, never 0 or empty.
        ("fds.items", fd_reason.clone()),
        ("fds.deleted_files", fd_reason.clone()),
        ("fds.highest_fd", fd_reason.clone()),
        ("fds.tcp", fd_reason.clone()),
        ("fds.census_taken_at_ms", fd_reason),
        (
            "memory.pss_bytes",
            missing(&format!("proc/{PID}/smaps_rollup")),
        ),
        (
            "threads.items[].syscall",
            missing(&format!("proc/{PID}/task/{PID}/syscall")),
        ),
        (
            "threads.items[].syscall_nr",
            missing(&format!("proc/{PID}/task/{PID}/syscall")),
        ),
    ]
    .into_iter()
    .collect();
    let gaps: BTreeMap<&str, String> = gaps.into_iter().map(|(k, v)| (k, v.to_string())).collect();
    assert_eq!(gaps, expected);
}

#[test]
fn zombie_and_kernel_thread_are_refused_with_their_reason() {
    let zombie = Collector::new(HostRoot::at(fixture("zombie")), ZOMBIE_PID);
    match zombie {
        Err(CollectError::Zombie { pid, comm, ppid }) => {
            assert_eq!(
                (pid, comm.as_str(), ppid),
                (ZOMBIE_PID, "fixture_target", PID)
            );
        }
        other => panic!("expected a zombie error, got {other:?}"),
    }
    let root = fixture("kthread");
    let flags: u64 = stat_field(&root, "proc/2/stat", 9).parse().expect("flags");
    assert_ne!(flags & 0x0020_0000, 0, "PF_KTHREAD set in the capture");
    match Collector::new(HostRoot::at(&root), 2) {
        Err(CollectError::KernelThread { pid, comm }) => {
            assert_eq!((pid, comm.as_str()), (2, "kthreadd"));
        }
        other => panic!("expected a kernel-thread error, got {other:?}"),
    }
}

/// Copies a fixture tree, keeping symlinks as symlinks.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let kind = entry.file_type().expect("file type");
        let target = to.join(entry.file_name());
        if kind.is_symlink() {
            let link = fs::read_link(entry.path()).expect("readlink");
            std::os::unix::fs::symlink(link, &target).expect("symlink");
        } else if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// With the truncated file present in the tree (same device and inode as its maps line), the
/// past-EOF check finds the three pages beyond the one-page file.
#[test]
fn past_eof_mapping_detected_when_the_tree_holds_the_file() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let root = scratch.path();
    copy_tree(&fixture("v1-hybrid"), root);
    let file = root.join("tmp/healthtop-fixture/trunc.dat");
    fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    fs::write(&file, vec![0u8; PAGE as usize]).expect("one page");
    let meta = fs::metadata(&file).expect("stat");
    let dev = format!(
        "{:02x}:{:02x}",
        nix::sys::stat::major(meta.dev()),
        nix::sys::stat::minor(meta.dev())
    );
    let maps_path = root.join(format!("proc/{PID}/maps"));
    let maps = fs::read_to_string(&maps_path).expect("maps");
    let old = "rw-s 00000000 fe:00 10011829";
    assert!(maps.contains(old));
    let new = format!("rw-s 00000000 {dev} {}", meta.ino());
    fs::write(&maps_path, maps.replace(old, &new)).expect("rewrite maps");

    let s = sample(root, Tiers::ALL);
    assert_eq!(s.memory.mappings_past_eof.len(), 1);
    let past = &s.memory.mappings_past_eof[0];
    assert_eq!(past.mapping.path, "/tmp/healthtop-fixture/trunc.dat");
    assert_eq!(past.mapping.len(), 4 * PAGE);
    assert_eq!(past.file_size, PAGE);
    assert_eq!(past.pages_past_eof, 3);
    assert!(!unavailable(&s).contains_key("memory.mappings_past_eof"));

    // Grown back to four pages, the same mapping is no longer past the end.
    fs::write(&file, vec![0u8; 4 * PAGE as usize]).expect("four pages");
    let s = sample(root, Tiers::ALL);
    assert!(s.memory.mappings_past_eof.is_empty());
    assert!(!unavailable(&s).contains_key("memory.mappings_past_eof"));
}

/// The cheap tier carries the last census over with its own timestamp; asking for a tier
/// reads it again.
#[test]
fn tiers_carry_the_last_census_until_asked() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let root = scratch.path();
    copy_tree(&fixture("v1-hybrid"), root);
    let mut collector = Collector::new(HostRoot::at(root), PID).expect("collector");
    let first = collector.sample(Tiers::ALL).expect("first");
    assert_eq!(first.fds.items.len(), 22);

    // The deleted file is closed, a thread exits and a mapping goes away.
    fs::remove_file(root.join(format!("proc/{PID}/fd/20"))).expect("close fd 20");
    fs::remove_dir_all(root.join(format!("proc/{PID}/task/5062"))).expect("thread exits");
    let maps_path = root.join(format!("proc/{PID}/maps"));
    let maps = fs::read_to_string(&maps_path).expect("maps");
    let fewer: String = maps
        .lines()
        .filter(|l| !l.contains("mapped-then-deleted.bin"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&maps_path, fewer).expect("maps");

    let cheap = collector.sample(Tiers::CHEAP).expect("cheap");
    assert_eq!(cheap.fds.open, Some(21), "the count is read every time");
    assert_eq!(
        cheap.fds.items, first.fds.items,
        "the census is carried over"
    );
    assert_eq!(cheap.fds.census_taken_at_ms, first.fds.census_taken_at_ms);
    assert_eq!(cheap.threads.items, first.threads.items);
    assert_eq!(
        cheap.threads.census_taken_at_ms,
        first.threads.census_taken_at_ms
    );
    assert_eq!(cheap.memory.map_count, Some(37));
    assert_eq!(cheap.memory.maps_taken_at_ms, first.memory.maps_taken_at_ms);

    let census = collector
        .sample(Tiers {
            census: true,
            maps: false,
        })
        .expect("census");
    assert_eq!(census.fds.items.len(), 21);
    assert!(census.fds.deleted_files.is_empty());
    assert_eq!(census.threads.items.len(), 5);
    assert_eq!(census.threads.census_taken_at_ms, Some(census.taken_at_ms));
    assert_eq!(census.memory.map_count, Some(37), "maps not re-read");
    assert_eq!(census.memory.deleted_mappings.len(), 1);

    let maps_tier = collector
        .sample(Tiers {
            census: false,
            maps: true,
        })
        .expect("maps");
    assert_eq!(maps_tier.memory.map_count, Some(36));
    assert!(maps_tier.memory.deleted_mappings.is_empty());
    assert_eq!(
        maps_tier.memory.maps_taken_at_ms,
        Some(maps_tier.taken_at_ms)
    );
    assert_eq!(maps_tier.fds.items.len(), 21, "census carried over");
}

/// Rewrites field `n` (numbered as in proc(5)) of a thread's `stat` in a copied tree.
fn set_stat_field(root: &Path, tid: i32, n: usize, value: &str) {
    let path = root.join(format!("proc/{PID}/task/{tid}/stat"));
    let text = fs::read_to_string(&path).expect("stat");
    let close = text.rfind(')').expect("comm");
    let mut fields: Vec<String> = text[close + 1..]
        .split_whitespace()
        .map(String::from)
        .collect();
    fields[n - 3] = value.to_string();
    fs::write(&path, format!("{} {}\n", &text[..=close], fields.join(" "))).expect("stat");
}

/// Issue 14: a census reads `stat` for every thread, and `status`, `wchan` and `syscall` only
/// for a thread that is wanted (on screen) or whose `stat` moved (CPU time, state, faults,
/// the signal masks it shows); the others keep what was read before, saying when.
#[test]
fn a_census_reads_details_only_where_they_can_have_changed() {
    use healthtop::collect::DetailWanted;
    let scratch = tempfile::tempdir().expect("tempdir");
    let root = scratch.path();
    copy_tree(&fixture("v1-hybrid"), root);
    let census = Tiers {
        census: true,
        maps: false,
    };
    let mut collector = Collector::new(HostRoot::at(root), PID).expect("collector");
    collector.want_details(DetailWanted::Threads(Default::default()));
    let first = collector.sample(census).expect("first");
    assert!(first.threads.items.iter().all(|t| t.detail_at_ms.is_none()));

    // Every thread switched context; 5058 shows nothing of it in stat, 5060 is on screen,
    // 5061 used CPU, 5062 blocked another signal.
    for tid in [5058, 5060, 5061, 5062] {
        let path = root.join(format!("proc/{PID}/task/{tid}/status"));
        let status = fs::read_to_string(&path).expect("status");
        let switched = status.replace("voluntary_ctxt_switches:\t", "voluntary_ctxt_switches:\t9");
        fs::write(&path, switched).expect("status");
    }
    set_stat_field(root, 5061, 14, "77");
    set_stat_field(root, 5062, 32, "2");
    collector.want_details(DetailWanted::Threads([5060].into()));
    let second = collector.sample(census).expect("second");
    let thread = |tid: i32| {
        let found = second.threads.items.iter().find(|t| t.tid == tid);
        found.expect("thread").clone()
    };
    let before = |tid: i32| {
        let found = first.threads.items.iter().find(|t| t.tid == tid);
        found.expect("thread").voluntary_ctxt_switches
    };
    let idle = thread(5058);
    assert_eq!(idle.voluntary_ctxt_switches, before(5058), "kept");
    assert_eq!(idle.detail_at_ms, first.threads.census_taken_at_ms);
    for tid in [5060, 5061, 5062] {
        let read = thread(tid);
        let expected = format!("9{}", before(tid).expect("switches"));
        assert_eq!(read.voluntary_ctxt_switches, expected.parse().ok(), "{tid}");
        assert_eq!(read.detail_at_ms, None, "{tid}");
    }
    let stime: u64 = stat_field(root, &format!("proc/{PID}/task/5061/stat"), 15)
        .parse()
        .expect("stime");
    assert_eq!(
        thread(5061).cpu_ticks,
        77 + stime,
        "stat is read every census"
    );

    // No thread ran since, and a connection waits in the accept queue: a stall is suspected,
    // so every thread's switches and wait are read, wanted or not.
    collector.want_details(DetailWanted::Threads(Default::default()));
    let suspected = collector.sample(census).expect("suspected");
    assert!(suspected
        .threads
        .items
        .iter()
        .all(|t| t.detail_at_ms.is_none()));

    // Wanting every thread reads every thread.
    collector.want_details(DetailWanted::All);
    let all = collector.sample(census).expect("all");
    assert!(all.threads.items.iter().all(|t| t.detail_at_ms.is_none()));
    let idle = all
        .threads
        .items
        .iter()
        .find(|t| t.tid == 5058)
        .expect("5058");
    assert_eq!(
        idle.voluntary_ctxt_switches,
        format!("9{}", before(5058).expect("switches")).parse().ok()
    );
}
