//! Deterministic Samples and AppStates for the TUI tests: a misbehaving service with a
//! leaking worker pool, sockets, a deleted and a truncated mapping, odd signal masks and
//! one unreadable field (to show "n/a (reason)").

#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use healthtop::app::{update, AppState, Effect, Msg};
use healthtop::sample::*;
use std::collections::BTreeMap;
use std::time::Duration;

pub const T0_MS: u64 = 1_764_424_800_000; // 2025-11-29 14:00:00 UTC
pub const PID: i32 = 4242;
pub const START_TIME: u64 = 123_456;

fn thread(
    tid: i32,
    name: &str,
    state: &str,
    cpu_ticks: u64,
    wchan: Option<&str>,
    syscall: &str,
) -> ThreadInfo {
    ThreadInfo {
        tid,
        name: name.to_string(),
        state: state.to_string(),
        cpu_ticks,
        voluntary_ctxt_switches: Some(tid as u64 * 3),
        nonvoluntary_ctxt_switches: Some(tid as u64 % 7),
        wchan: wchan.map(str::to_string),
        syscall: Some(syscall.to_string()),
        syscall_nr: (syscall == "futex").then_some(202),
        blocked_signals: if name.starts_with("worker") {
            vec!["SIGTERM".into(), "SIGUSR1".into()]
        } else {
            vec!["SIGTERM".into()]
        },
        pending_signals: if tid == PID + 3 {
            vec!["SIGUSR1".into()]
        } else {
            vec![]
        },
        start_time: START_TIME + tid as u64,
        detail_at_ms: None,
    }
}

fn mapping(start: u64, len: u64, perms: &str, path: &str, deleted: bool) -> Mapping {
    Mapping {
        start,
        end: start + len,
        perms: perms.to_string(),
        offset: 0,
        dev: "08:01".to_string(),
        inode: if path.starts_with('/') {
            1000 + start % 97
        } else {
            0
        },
        path: path.to_string(),
        deleted,
    }
}

/// Reading number `i` (one per second): fds and workers grow by one per reading.
pub fn sample(i: u64) -> Sample {
    let at = T0_MS + i * 1000;
    let workers = 6 + i as i32;
    let mut items = vec![thread(
        PID,
        "service",
        "S",
        500 + i * 20,
        Some("do_epoll_wait"),
        "epoll_wait",
    )];
    items.push(thread(PID + 1, "io-0", "R", 300 + i * 90, None, "running"));
    items.push(thread(
        PID + 2,
        "io-1",
        "D",
        200 + i * 5,
        Some("folio_wait_bit_common"),
        "read",
    ));
    for w in 0..workers {
        items.push(thread(
            PID + 3 + w,
            &format!("worker-{w}"),
            "S",
            10 + w as u64,
            Some("futex_wait_queue"),
            "futex",
        ));
    }
    let open_files = 40 + i;
    let mut fd_items = vec![
        FdInfo {
            fd: 0,
            kind: "device".into(),
            target: "/dev/null".into(),
        },
        FdInfo {
            fd: 1,
            kind: "pipe".into(),
            target: "pipe:[5001]".into(),
        },
        FdInfo {
            fd: 2,
            kind: "pipe".into(),
            target: "pipe:[5001]".into(),
        },
        FdInfo {
            fd: 3,
            kind: "socket".into(),
            target: "socket:[7001]".into(),
        },
        FdInfo {
            fd: 4,
            kind: "socket".into(),
            target: "socket:[7002]".into(),
        },
        FdInfo {
            fd: 5,
            kind: "anon_inode:eventpoll".into(),
            target: "anon_inode:[eventpoll]".into(),
        },
        FdInfo {
            fd: 6,
            kind: "file".into(),
            target: "/var/log/service.log (deleted)".into(),
        },
    ];
    for n in 7..open_files {
        fd_items.push(FdInfo {
            fd: n,
            kind: "file".into(),
            target: format!("/srv/data/chunk-{n:04}.bin"),
        });
    }
    let mut by_kind = BTreeMap::new();
    for f in &fd_items {
        *by_kind.entry(f.kind.clone()).or_insert(0) += 1;
    }
    let truncated = mapping(0x7f00_0000_0000, 0x4000, "rw-s", "/tmp/shared.bin", false);
    let deleted = mapping(
        0x7f00_1000_0000,
        0x20_0000,
        "r-xp",
        "/usr/lib/libold.so.1",
        true,
    );
    let maps = vec![
        mapping(
            0x5555_0000_0000,
            0x40_0000,
            "r-xp",
            "/usr/bin/service",
            false,
        ),
        mapping(
            0x5555_1000_0000,
            0x800_0000 + i * 0x10_0000,
            "rw-p",
            "[heap]",
            false,
        ),
        truncated.clone(),
        deleted.clone(),
        mapping(0x7f00_2000_0000, 0x100_0000, "rw-p", "", false),
        mapping(0x7ffc_0000_0000, 0x2_1000, "rw-p", "[stack]", false),
    ];
    let mut limits = BTreeMap::new();
    for (key, name, soft, unit) in [
        ("nofile", "Max open files", Some(64u64), "files"),
        ("nproc", "Max processes", Some(4096), "processes"),
        ("as", "Max address space", None, "bytes"),
        ("data", "Max data size", None, "bytes"),
        ("stack", "Max stack size", Some(8 << 20), "bytes"),
        ("core", "Max core file size", Some(0), "bytes"),
    ] {
        limits.insert(
            key.to_string(),
            Limit {
                name: name.into(),
                soft,
                hard: soft,
                unit: unit.into(),
            },
        );
    }
    Sample {
        taken_at_ms: at,
        identity: Identity {
            pid: PID,
            comm: "service".into(),
            cmdline: vec![
                "/usr/bin/service".into(),
                "--config".into(),
                "/etc/service.toml".into(),
            ],
            exe: Some("/usr/bin/service".into()),
            state: "S".into(),
            ppid: 1,
            start_time: START_TIME,
            started_at_unix: Some((T0_MS / 1000 - 3600) as f64),
            uid: Ids {
                real: 1000,
                effective: 1000,
                saved: 1000,
                fs: 1000,
            },
            gid: Ids {
                real: 1000,
                effective: 1000,
                saved: 1000,
                fs: 1000,
            },
            user: Some("svc".into()),
            runtime: Runtime::Native,
            dumpable: Some(true),
            tracer_pid: 0,
            parent: None,
        },
        threads: Threads {
            count: items.len() as u64,
            items: items.into(),
            census_taken_at_ms: Some(at),
            zombie_children: Some(0),
            cgroup_pids_current: Some(30),
            cgroup_pids_max: Some(100),
            user_tasks: Some(140),
        },
        fds: Fds {
            open: Some(open_files),
            soft_limit: Some(64),
            hard_limit: Some(64),
            highest_fd: Some(open_files - 1),
            by_kind,
            deleted_files: vec![fd_items[6].clone()],
            items: fd_items.into(),
            tcp: Some(std::sync::Arc::new(TcpSummary {
                by_state: BTreeMap::from([
                    ("CLOSE_WAIT".to_string(), 1),
                    ("LISTEN".to_string(), 1),
                ]),
                close_wait: 1,
                listen: 1,
                sockets: vec![
                    TcpSocket {
                        fd: 3,
                        inode: 7001,
                        local: "0.0.0.0:8080".into(),
                        remote: "0.0.0.0:0".into(),
                        state: "LISTEN".into(),
                        tx_queue: 0,
                        rx_queue: 0,
                    },
                    TcpSocket {
                        fd: 4,
                        inode: 7002,
                        local: "10.0.0.5:8080".into(),
                        remote: "10.0.0.9:51234".into(),
                        state: "CLOSE_WAIT".into(),
                        tx_queue: 0,
                        rx_queue: 1,
                    },
                ],
            })),
            census_taken_at_ms: Some(at),
        },
        memory: Memory {
            rss_bytes: Some((200 << 20) + i * (4 << 20)),
            rss_anon_bytes: Some((180 << 20) + i * (4 << 20)),
            rss_file_bytes: Some(20 << 20),
            rss_shmem_bytes: Some(0),
            swap_bytes: Some(0),
            vm_size_bytes: Some(2 << 30),
            vm_hwm_bytes: Some((210 << 20) + i * (4 << 20)),
            vm_data_bytes: Some(600 << 20),
            pss_bytes: None,
            map_count: Some(maps.len() as u64),
            max_map_count: Some(65530),
            deleted_mappings: vec![deleted],
            mappings_past_eof: vec![PastEofMapping {
                mapping: truncated,
                file_size: 4096,
                pages_past_eof: 3,
            }],
            maps: maps.into(),
            maps_taken_at_ms: Some(at),
            oom_score: Some(700),
            oom_score_adj: Some(0),
            cgroup: Some(CgroupMemory {
                version: "v2".into(),
                path: "/system.slice/service.service".into(),
                current_bytes: Some(300 << 20),
                max_bytes: Some(512 << 20),
                high_bytes: None,
                events: BTreeMap::from([
                    ("max".to_string(), 2),
                    ("oom".to_string(), 0),
                    ("oom_kill".to_string(), 0),
                ]),
            }),
            pressure: Some(Pressure {
                scope: "cgroup".into(),
                some_avg10: 1.5,
                some_avg60: 0.7,
                some_avg300: 0.2,
                full_avg10: Some(0.5),
                full_avg60: Some(0.1),
                full_avg300: Some(0.0),
            }),
            host: Some(HostMemory {
                total_bytes: 16 << 30,
                available_bytes: 9 << 30,
                swap_total_bytes: 0,
                swap_free_bytes: 0,
            }),
        },
        seccomp: Seccomp {
            mode: Some("filter".into()),
            filters: Some(1),
            no_new_privs: Some(true),
        },
        signals: Signals {
            blocked: vec!["SIGTERM".into()],
            ignored: vec!["SIGPIPE".into()],
            caught: vec!["SIGHUP".into(), "SIGSEGV".into(), "SIGRTMIN+2".into()],
            pending: vec![],
        },
        capabilities: Some(vec!["CAP_NET_BIND_SERVICE".into()]),
        core: CoreDump {
            rlimit_bytes: Some(0),
            pattern: Some("core".into()),
            piped: Some(false),
            filter: Some("00000033".into()),
        },
        limits,
        system: System {
            kernel: Some("6.8.0-test".into()),
            threads_max: Some(126_000),
            pid_max: Some(4_194_304),
            tasks_total: Some(410),
            file_nr: Some(12_000),
            file_max: Some(9_223_372_036_854_775_807),
            nr_open: Some(1_048_576),
            clock_ticks_per_sec: 100,
            page_size: 4096,
        },
        unavailable: vec![Unavailable {
            field: "memory.pss_bytes".into(),
            reason: "permission denied reading /proc/4242/smaps_rollup".into(),
        }],
    }
}

/// The model after `readings` one-second samples, on the Overview at `width`×`height`.
pub fn state(readings: u64, width: u16, height: u16) -> AppState {
    let mut state = AppState::new(PID, Duration::from_secs(1), T0_MS);
    update(&mut state, Msg::Resize { width, height });
    for i in 0..readings {
        update(&mut state, Msg::Sample(Box::new(sample(i))));
    }
    state
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Presses keys written as a space-separated list: `2 j j Enter Esc`.
pub fn press(state: &mut AppState, keys: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for word in keys.split_whitespace() {
        let code = match word {
            "Enter" => KeyCode::Enter,
            "Esc" => KeyCode::Esc,
            "Tab" => KeyCode::Tab,
            "BackTab" => KeyCode::BackTab,
            "Backspace" => KeyCode::Backspace,
            "Up" => KeyCode::Up,
            "Down" => KeyCode::Down,
            "PgUp" => KeyCode::PageUp,
            "PgDn" => KeyCode::PageDown,
            "Home" => KeyCode::Home,
            "End" => KeyCode::End,
            "F1" => KeyCode::F(1),
            "F10" => KeyCode::F(10),
            "Space" => KeyCode::Char(' '),
            other => {
                let mut chars = other.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => panic!("unknown key {other}"),
                }
            }
        };
        effects.extend(update(state, key(code)));
    }
    effects
}

/// A bundle of readings `0..n` opened read-only (as `healthtop view` does), at 80×24.
pub fn bundle_state(n: u64) -> AppState {
    let samples = (0..n).map(sample).collect();
    let mut state = AppState::for_bundle(
        "snap.tar.gz".to_string(),
        samples,
        healthtop::config::Config::default(),
    );
    update(
        &mut state,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    state
}

/// `state` drawn by the real view into a `width`×`height` test terminal.
pub fn draw(
    state: &AppState,
    width: u16,
    height: u16,
) -> ratatui::Terminal<ratatui::backend::TestBackend> {
    let backend = ratatui::backend::TestBackend::new(width, height);
    let mut terminal = ratatui::Terminal::new(backend).expect("test backend");
    terminal
        .draw(|frame| healthtop::view::render(state, frame))
        .expect("draw");
    terminal
}

/// The screen `state` draws at `width`×`height`, as insta snapshots it.
pub fn screen(state: &AppState, width: u16, height: u16) -> String {
    draw(state, width, height).backend().to_string()
}

/// Each case's screen: a state made by `make`, the case's keys pressed, drawn at
/// `width`×`height`; named `NAME_WxH`, as its snapshot is.
pub fn screens_after_keys(
    cases: &[(&str, &str)],
    width: u16,
    height: u16,
    make: impl Fn() -> AppState,
) -> Vec<(String, String)> {
    cases
        .iter()
        .map(|(name, keys)| {
            let mut state = make();
            press(&mut state, keys);
            let screen = screen(&state, width, height);
            (format!("{name}_{width}x{height}"), screen)
        })
        .collect()
}
