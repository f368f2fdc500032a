//! Must-show 3 on Sample fixtures: every rule fires on a series made to trip it and stays
//! quiet on a near miss. The base Sample is captured from a real healthy process
//! (`tests/targets/rules_base_sample.json`); each test edits copies of it.

mod rules_support;

use healthtop::config::Config;
use healthtop::history::{History, Metric};
use healthtop::rules::{Finding, RuleEngine, Severity, Window, REGISTRY};
use healthtop::sample::{Mapping, PastEofMapping, Runtime, Sample, TcpSocket};
use rules_support::{base_sample, series};
use std::sync::Arc;
use std::time::Duration;

/// Watches `samples` as `report --watch` does (explicit window, rules after every sample).
fn watch(samples: &[Sample]) -> Vec<Finding> {
    watch_with(samples, Config::default())
}

fn watch_with(samples: &[Sample], config: Config) -> Vec<Finding> {
    watch_recording(samples, config, |_, _, _| {})
}

/// Watches as `report --watch` does (one window from the first sample); `record(i, sample,
/// history)` adds readings taken beside sample `i` before it is judged.
fn watch_recording(
    samples: &[Sample],
    config: Config,
    record: impl Fn(usize, &Sample, &mut History),
) -> Vec<Finding> {
    let mut history = History::default();
    let mut engine = RuleEngine::with_window(
        config,
        Window::Explicit {
            since_ms: samples[0].taken_at_ms,
        },
    );
    let mut findings = Vec::new();
    for (i, sample) in samples.iter().enumerate() {
        history.push(sample);
        record(i, sample, &mut history);
        findings = engine.evaluate(&history);
    }
    findings
}

/// Watches live (rolling windows, warm-up) and returns the last evaluation.
fn rolling(samples: &[Sample]) -> Vec<Finding> {
    let mut history = History::default();
    let mut engine = RuleEngine::new(Config::default());
    let mut findings = Vec::new();
    for sample in samples {
        history.push(sample);
        findings = engine.evaluate(&history);
    }
    findings
}

fn get<'a>(findings: &'a [Finding], rule: &str) -> Option<&'a Finding> {
    findings.iter().find(|f| f.rule == rule)
}

fn fired(findings: &[Finding], rule: &str, severity: Severity) -> Finding {
    let f = get(findings, rule).unwrap_or_else(|| panic!("{rule} did not fire: {findings:#?}"));
    assert_eq!(f.severity, severity, "{f:#?}");
    f.clone()
}

fn quiet(findings: &[Finding], rule: &str) {
    assert!(get(findings, rule).is_none(), "{rule} fired: {findings:#?}");
}

/// Deterministic noise in -amplitude..=amplitude (no RNG dependency).
fn noise(i: usize, amplitude: f64) -> f64 {
    let x = ((i as u64).wrapping_mul(2_654_435_761) % 1000) as f64 / 999.0;
    (x * 2.0 - 1.0) * amplitude
}

fn socket(state: &str, rx_queue: u64) -> TcpSocket {
    TcpSocket {
        fd: 4,
        inode: 1234,
        local: "127.0.0.1:8080".into(),
        remote: "127.0.0.1:50000".into(),
        state: state.into(),
        tx_queue: 0,
        rx_queue,
    }
}

fn mapping(path: &str, perms: &str, deleted: bool) -> Mapping {
    Mapping {
        start: 0x7f00_0000_0000,
        end: 0x7f00_0000_4000,
        perms: perms.into(),
        offset: 0,
        dev: "fe:00".into(),
        inode: 42,
        path: path.into(),
        deleted,
    }
}

#[test]
fn the_captured_healthy_process_is_quiet_on_every_rule() {
    let findings = watch(&series(30, |_, _| {}));
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn every_registered_rule_is_covered_here() {
    // When a rule is added, it must be added here with a fire and a quiet test.
    let tested = [
        "fd-headroom",
        "fd-leak",
        "close-wait",
        "thread-headroom",
        "thread-leak",
        "goroutine-leak",
        "memory-growth",
        "oom-events",
        "memory-pressure",
        "map-count",
        "sigbus-risk",
        "cpu-limit",
        "fault-signals",
        "sigterm",
        "sigpipe",
        "pending-signals",
        "seccomp",
        "core-dumps",
        "zombie-children",
        "d-state",
        "stall",
        "restart",
        "exited",
    ];
    let registered: Vec<&str> = REGISTRY.iter().map(|r| r.doc().id).collect();
    assert_eq!(registered, tested);
}

// fd-headroom

#[test]
fn fd_headroom_fires_by_level_with_hysteresis() {
    let at = |open: u64| {
        series(5, move |_, s| {
            s.fds.open = Some(open);
            s.fds.soft_limit = Some(1024);
            s.fds.highest_fd = Some(open);
        })
    };
    fired(&watch(&at(980)), "fd-headroom", Severity::Crit);
    fired(&watch(&at(900)), "fd-headroom", Severity::Warn);
    quiet(&watch(&at(850)), "fd-headroom");
    // 900 raises warn; 860 (84 %) is within the 5-point clear margin and keeps it; 800 clears.
    let mut falling = at(900);
    falling.extend(series(10, |i, s| {
        s.taken_at_ms += 5000;
        s.fds.soft_limit = Some(1024);
        s.fds.open = Some(if i < 5 { 860 } else { 800 });
    }));
    fired(&watch(&falling[..10]), "fd-headroom", Severity::Warn);
    quiet(&watch(&falling), "fd-headroom");
}

/// Open descriptors `fds`, each a plain file, as a census lists them.
fn files(fds: impl Iterator<Item = u64>) -> std::sync::Arc<Vec<healthtop::sample::FdInfo>> {
    fds.map(|fd| healthtop::sample::FdInfo {
        fd,
        kind: "file".into(),
        target: "/dev/null".into(),
    })
    .collect::<Vec<_>>()
    .into()
}

#[test]
fn fd_headroom_does_not_count_fds_above_a_lowered_limit() {
    // 10 fds below a limit of 12 and 5 opened above it before it was lowered: 83 %, quiet.
    let samples = series(3, |_, s| {
        s.fds.soft_limit = Some(12);
        s.fds.open = Some(15);
        s.fds.items = files((0..10).chain(100..105));
    });
    quiet(&watch(&samples), "fd-headroom");
    let crowded = series(3, |_, s| {
        s.fds.soft_limit = Some(12);
        s.fds.open = Some(12);
        s.fds.items = files(0..12);
    });
    fired(&watch(&crowded), "fd-headroom", Severity::Crit);
}

// fd-leak

#[test]
fn fd_leak_fires_with_an_eta_on_a_steady_rise() {
    let samples = series(30, |i, s| {
        s.fds.open = Some(100 + 2 * i as u64);
        s.fds.soft_limit = Some(1024);
    });
    let f = fired(&watch(&samples), "fd-leak", Severity::Crit);
    let eta = f.eta_seconds.expect("eta");
    // 158 open now, +2/s, limit 1024: 433 s.
    assert!((eta - 433.0).abs() < 5.0, "{eta}");
    assert!(f.message.contains("158/1024"), "{}", f.message);
}

#[test]
fn fd_leak_is_quiet_on_noise_and_on_a_leak_too_slow_to_matter() {
    let noisy = series(60, |i, s| {
        s.fds.open = Some((100.0 + noise(i, 20.0)) as u64);
    });
    quiet(&watch(&noisy), "fd-leak");
    // +1 fd per 10 s against 1 048 576: years away.
    let slow = series(60, |i, s| {
        s.fds.open = Some(100 + i as u64 / 10);
        s.fds.soft_limit = Some(1_048_576);
    });
    quiet(&watch(&slow), "fd-leak");
}

#[test]
fn live_watching_confirms_only_after_the_warm_up() {
    // +1/s toward 4096: after a minute the limit is over an hour away, so the provisional
    // forecast is not shown; after the warm-up it is confirmed, and crit within the hour.
    let leak = |n| {
        series(n, |i, s| {
            s.fds.open = Some(100 + i as u64);
            s.fds.soft_limit = Some(4096);
            s.identity.started_at_unix = Some(s.taken_at_ms as f64 / 1000.0 - 3600.0);
        })
    };
    quiet(&rolling(&leak(60)), "fd-leak");
    fired(&rolling(&leak(400)), "fd-leak", Severity::Crit);
}

// close-wait

#[test]
fn close_wait_fires_on_many_and_on_a_rise() {
    let many = series(3, |_, s| {
        let tcp = Arc::make_mut(s.fds.tcp.as_mut().expect("tcp"));
        tcp.close_wait = 70;
        tcp.sockets = vec![socket("CLOSE_WAIT", 0)];
    });
    fired(&watch(&many), "close-wait", Severity::Warn);
    let rising = series(30, |i, s| {
        s.fds.open = Some(20 + i as u64);
        s.fds.soft_limit = Some(1024);
        Arc::make_mut(s.fds.tcp.as_mut().expect("tcp")).close_wait = 10 + i as u64;
    });
    let f = fired(&watch(&rising), "close-wait", Severity::Crit);
    assert!(f.eta_seconds.is_some());
}

#[test]
fn close_wait_is_quiet_on_a_few_steady_ones() {
    let few = series(30, |_, s| {
        Arc::make_mut(s.fds.tcp.as_mut().expect("tcp")).close_wait = 3;
    });
    quiet(&watch(&few), "close-wait");
}

/// Counters a bundle controls may hold anything: sums, limits and gaps saturate instead of
/// overflowing (the test profile has overflow checks on, so an overflow here is a panic).
#[test]
fn extreme_counters_and_intervals_never_overflow() {
    let extreme = series(4, |i, s| {
        s.fds.open = Some(1);
        s.fds.soft_limit = Some(u64::MAX);
        let tcp = Arc::make_mut(s.fds.tcp.as_mut().expect("tcp"));
        tcp.close_wait = u64::MAX;
        tcp.sockets = vec![
            socket("CLOSE_WAIT", u64::MAX),
            socket("ESTABLISHED", u64::MAX),
        ];
        tcp.sockets
            .extend([socket("LISTEN", u64::MAX), socket("LISTEN", u64::MAX)]);
        for thread in Arc::make_mut(&mut s.threads.items) {
            thread.cpu_ticks = u64::MAX;
            thread.voluntary_ctxt_switches = Some(u64::MAX);
            thread.nonvoluntary_ctxt_switches = Some(u64::MAX);
        }
        s.taken_at_ms = u64::MAX / 2 + i as u64 * (u64::MAX / 8);
    });
    fired(&watch(&extreme), "close-wait", Severity::Warn);
    let last = extreme.last().expect("samples");
    assert_eq!(Metric::AcceptQueued.read(last), Some(u64::MAX as f64));
    assert_eq!(
        Metric::SocketRxQueuedBytes.read(last),
        Some(u64::MAX as f64)
    );
    let mut slow = History::new(Duration::MAX, Duration::MAX);
    for sample in &extreme {
        slow.push(sample);
    }
    assert_eq!(slow.samples(), extreme.len());
}

// thread-headroom and thread-leak

#[test]
fn thread_headroom_uses_the_tightest_limit() {
    let near = series(4, |_, s| {
        s.threads.count = 96;
        s.threads.cgroup_pids_max = Some(100);
        s.threads.cgroup_pids_current = Some(96);
    });
    let f = fired(&watch(&near), "thread-headroom", Severity::Crit);
    assert!(f.evidence.iter().any(|e| e.contains("pids.max")), "{f:#?}");
    let far = series(4, |_, s| {
        s.threads.count = 50;
        s.threads.cgroup_pids_max = Some(100);
        s.threads.cgroup_pids_current = Some(50);
    });
    quiet(&watch(&far), "thread-headroom");
}

#[test]
fn thread_leak_fires_on_a_rise_and_not_on_a_busy_pool() {
    let leak = series(30, |i, s| {
        s.threads.count = 20 + i as u64;
        s.threads.cgroup_pids_max = Some(500);
        s.threads.cgroup_pids_current = Some(20 + i as u64);
    });
    let f = fired(&watch(&leak), "thread-leak", Severity::Crit);
    // 49 threads now, +1/s, room for 500: about 451 s.
    let eta = f.eta_seconds.expect("eta");
    assert!((eta - 451.0).abs() < 5.0, "{eta}");
    let pool = series(60, |i, s| {
        s.threads.count = (40.0 + noise(i, 8.0)) as u64;
    });
    quiet(&watch(&pool), "thread-leak");
}

// goroutine-leak

/// Watches a Go target as `report --watch` does, recording `count(i)` (the pprof endpoint's
/// reading, or why it failed) beside sample `i`.
fn watch_goroutines(
    samples: &[Sample],
    config: Config,
    count: impl Fn(usize) -> Result<f64, String>,
) -> Vec<Finding> {
    watch_recording(samples, config, |i, sample, history| {
        history.record(Metric::Goroutines, sample.taken_at_ms + 5, count(i));
    })
}

fn go_series(n: usize) -> Vec<Sample> {
    series(n, |_, s| s.identity.runtime = Runtime::Go)
}

#[test]
fn goroutine_leak_fires_with_an_eta_to_the_configured_ceiling() {
    let findings = watch_goroutines(&go_series(30), Config::default(), |i| {
        Ok(200.0 + 20.0 * i as f64)
    });
    let f = fired(&findings, "goroutine-leak", Severity::Warn);
    assert!(
        f.message
            .starts_with("goroutines 780 → rising 20/s: 100,000 goroutines"),
        "{}",
        f.message
    );
    // 780 now, +20/s, ceiling 100 000 (the host's memory is far): (100000 - 780) / 20.
    let eta = f.eta_seconds.expect("eta");
    assert!((eta - 4961.0).abs() < 1.0, "{eta}");
}

#[test]
fn goroutine_leak_aims_at_the_memory_limit_when_it_is_nearer() {
    // 100 MiB left under the cgroup limit: at 2 KiB per goroutine that is 51 200 more, 2560 s
    // at 20/s: crit.
    let tight = |rss_per_goroutine: u64| {
        series(30, move |i, s| {
            s.identity.runtime = Runtime::Go;
            let cg = s.memory.cgroup.as_mut().expect("cgroup");
            cg.max_bytes = Some(1 << 30);
            cg.current_bytes = Some((1 << 30) - (100 << 20));
            s.memory.rss_bytes = Some(50_000_000 + rss_per_goroutine * 20 * i as u64);
        })
    };
    let count = |i: usize| Ok(200.0 + 20.0 * i as f64);
    let f = fired(
        &watch_goroutines(&tight(0), Config::default(), count),
        "goroutine-leak",
        Severity::Crit,
    );
    assert!(
        f.message.contains("the cgroup memory limit"),
        "{}",
        f.message
    );
    let eta = f.eta_seconds.expect("eta");
    assert!((eta - 2560.0).abs() < 1.0, "{eta}");
    // Memory rising 10 KiB per goroutine: that measured cost is used, 512 s.
    let f = fired(
        &watch_goroutines(&tight(10 << 10), Config::default(), count),
        "goroutine-leak",
        Severity::Crit,
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("10.0 KiB per goroutine measured")),
        "{f:#?}"
    );
    let eta = f.eta_seconds.expect("eta");
    assert!((eta - 512.0).abs() < 1.0, "{eta}");
}

#[test]
fn goroutine_leak_is_quiet_on_small_noisy_or_slow_changes() {
    // Each gate is shown to be what keeps the series quiet: with the ceiling near enough for
    // an ETA, lowering that one gate makes the same series fire.
    let samples = go_series(30);
    let near = |max: f64| {
        let mut config = Config::default();
        config.goroutine_leak.max_goroutines = max;
        config
    };
    let check = |config: Config, lowered: Config, count: &dyn Fn(usize) -> Result<f64, String>| {
        quiet(&watch_goroutines(&samples, config, count), "goroutine-leak");
        fired(
            &watch_goroutines(&samples, lowered, count),
            "goroutine-leak",
            Severity::Crit,
        );
    };
    // 20 → 25 (+10/min): below the level gate (min_level 100).
    let mut lowered = near(200.0);
    lowered.goroutine_leak.min_level = 0.0;
    lowered.goroutine_leak.min_rise = 0.0;
    let mut config = near(200.0);
    config.goroutine_leak.min_rise = 0.0;
    check(config, lowered, &|i| Ok(20.0 + (i / 6) as f64));
    // 500 → 529: significant, but a rise under min_rise (50).
    let mut lowered = near(2000.0);
    lowered.goroutine_leak.min_rise = 0.0;
    check(near(2000.0), lowered, &|i| Ok(500.0 + i as f64));
    // +0.6/min: under min_rate_per_min (1/min).
    let mut config = near(520.0);
    config.goroutine_leak.min_rise = 0.0;
    let mut lowered = config.clone();
    lowered.goroutine_leak.min_rate_per_min = 0.5;
    check(config, lowered, &|i| Ok(500.0 + 0.01 * i as f64));
    // A busy pool: noise, no significant trend, even with a near ceiling and no gates.
    let mut open = near(400.0);
    open.goroutine_leak.min_rise = 0.0;
    open.goroutine_leak.min_rate_per_min = 0.0;
    quiet(
        &watch_goroutines(&samples, open, |i| Ok(300.0 + noise(i, 30.0))),
        "goroutine-leak",
    );
}

#[test]
fn goroutine_leak_sees_through_gaps_and_says_nothing_without_readings() {
    let findings = watch_goroutines(&go_series(30), Config::default(), |i| {
        if i % 5 == 2 {
            Err("pprof at 127.0.0.1:6060: connect: Connection refused".into())
        } else {
            Ok(200.0 + 20.0 * i as f64)
        }
    });
    let f = fired(&findings, "goroutine-leak", Severity::Warn);
    assert!(
        f.evidence.iter().any(|e| e.contains("Connection refused")),
        "{f:#?}"
    );
    quiet(
        &watch_goroutines(&go_series(30), Config::default(), |_| {
            Err("no pprof endpoint".into())
        }),
        "goroutine-leak",
    );
}

// memory-growth

#[test]
fn memory_growth_forecasts_the_cgroup_limit() {
    let samples = series(30, |i, s| {
        let cg = s.memory.cgroup.as_mut().expect("cgroup");
        cg.max_bytes = Some(1 << 30);
        cg.current_bytes = Some(500_000_000 + 5_000_000 * i as u64);
    });
    let f = fired(&watch(&samples), "memory-growth", Severity::Crit);
    assert!(f.message.contains("cgroup"), "{}", f.message);
    assert!(f.eta_seconds.is_some());
}

#[test]
fn memory_growth_fires_on_a_level_near_the_limit() {
    let samples = series(5, |_, s| {
        let cg = s.memory.cgroup.as_mut().expect("cgroup");
        cg.max_bytes = Some(1 << 30);
        cg.current_bytes = Some((1u64 << 30) / 100 * 95);
    });
    fired(&watch(&samples), "memory-growth", Severity::Warn);
}

#[test]
fn memory_growth_fits_the_gc_floor() {
    // A GC sawtooth of 200 MB on a flat floor: quiet for Go; a rising floor fires.
    let heap = |runtime, floor_slope: f64| {
        series(40, move |i, s| {
            s.identity.runtime = runtime;
            let floor = 300e6 + floor_slope * i as f64;
            let saw = 200e6 * ((i % 5) as f64 / 4.0);
            let cg = s.memory.cgroup.as_mut().expect("cgroup");
            cg.max_bytes = Some(2 << 30);
            cg.current_bytes = Some((floor + saw) as u64);
        })
    };
    quiet(&watch(&heap(Runtime::Go, 0.0)), "memory-growth");
    quiet(&watch(&heap(Runtime::Jvm, 0.0)), "memory-growth");
    fired(
        &watch(&heap(Runtime::Go, 10e6)),
        "memory-growth",
        Severity::Crit,
    );
}

// oom-events

#[test]
fn oom_events_are_facts_shown_at_once() {
    let kill = series(5, |i, s| {
        let events = &mut s.memory.cgroup.as_mut().expect("cgroup").events;
        events.insert("oom_kill".into(), if i >= 3 { 1 } else { 0 });
    });
    fired(&watch(&kill), "oom-events", Severity::Crit);
    let hits = series(5, |i, s| {
        let events = &mut s.memory.cgroup.as_mut().expect("cgroup").events;
        events.insert("max".into(), i as u64);
    });
    fired(&watch(&hits), "oom-events", Severity::Warn);
    let old = series(5, |_, s| {
        let events = &mut s.memory.cgroup.as_mut().expect("cgroup").events;
        events.insert("oom_kill".into(), 3);
    });
    fired(&watch(&old), "oom-events", Severity::Info);
}

#[test]
fn oom_events_are_quiet_without_kills() {
    let none = series(5, |_, s| {
        let events = &mut s.memory.cgroup.as_mut().expect("cgroup").events;
        events.insert("oom_kill".into(), 0);
        events.insert("max".into(), 0);
    });
    quiet(&watch(&none), "oom-events");
}

// memory-pressure

#[test]
fn memory_pressure_by_psi() {
    let with = |some: f64, full: f64| {
        series(4, move |_, s| {
            let p = s.memory.pressure.as_mut().expect("pressure");
            p.some_avg10 = some;
            p.full_avg10 = Some(full);
        })
    };
    fired(&watch(&with(70.0, 50.0)), "memory-pressure", Severity::Crit);
    fired(&watch(&with(15.0, 1.0)), "memory-pressure", Severity::Warn);
    quiet(&watch(&with(2.0, 0.0)), "memory-pressure");
}

// map-count

#[test]
fn map_count_by_level_and_by_trend() {
    let high = series(4, |_, s| {
        s.memory.map_count = Some(60_000);
        s.memory.max_map_count = Some(65_530);
    });
    fired(&watch(&high), "map-count", Severity::Warn);
    let rising = series(30, |i, s| {
        s.memory.map_count = Some(2000 + 100 * i as u64);
        s.memory.max_map_count = Some(65_530);
    });
    let f = fired(&watch(&rising), "map-count", Severity::Crit);
    assert!(f.eta_seconds.is_some());
    let steady = series(30, |i, s| {
        s.memory.map_count = Some((5000.0 + noise(i, 50.0)) as u64);
        s.memory.max_map_count = Some(65_530);
    });
    quiet(&watch(&steady), "map-count");
}

// sigbus-risk

#[test]
fn sigbus_risk_by_mapping_kind() {
    let past = series(1, |_, s| {
        s.memory.mappings_past_eof = vec![PastEofMapping {
            mapping: mapping("/var/lib/app/data.bin", "rw-s", false),
            file_size: 4096,
            pages_past_eof: 3,
        }];
    });
    fired(&watch(&past), "sigbus-risk", Severity::Crit);
    let code = series(1, |_, s| {
        s.memory.deleted_mappings = vec![mapping("/usr/lib/libssl.so.3", "r-xp", true)];
    });
    fired(&watch(&code), "sigbus-risk", Severity::Warn);
    let data = series(1, |_, s| {
        s.memory.deleted_mappings = vec![mapping("/var/cache/old.idx", "r--s", true)];
    });
    fired(&watch(&data), "sigbus-risk", Severity::Info);
}

#[test]
fn sigbus_risk_ignores_memfd_and_sysv_shared_memory() {
    let normal = series(1, |_, s| {
        s.memory.deleted_mappings = vec![
            mapping("/memfd:wayland-shm", "rw-s", true),
            mapping("/SYSV00000000", "rw-s", true),
        ];
    });
    quiet(&watch(&normal), "sigbus-risk");
}

// cpu-limit

#[test]
fn cpu_limit_forecasts_sigxcpu() {
    let spin = |limit: Option<u64>| {
        series(30, move |i, s| {
            s.limits.get_mut("cpu").expect("cpu row").soft = limit;
            Arc::make_mut(&mut s.threads.items)[0].cpu_ticks = 1000 + 100 * i as u64;
        })
    };
    let f = fired(&watch(&spin(Some(60))), "cpu-limit", Severity::Crit);
    // 39 s used of 60 at one CPU: 21 s left.
    let eta = f.eta_seconds.expect("eta");
    assert!((eta - 21.0).abs() < 1.0, "{eta}");
    quiet(&watch(&spin(None)), "cpu-limit");
    let idle = series(30, |_, s| {
        s.limits.get_mut("cpu").expect("cpu row").soft = Some(60);
    });
    quiet(&watch(&idle), "cpu-limit");
}

// signals

#[test]
fn fault_signals_blocked_on_a_thread_or_ignored() {
    let blocked = series(1, |_, s| {
        Arc::make_mut(&mut s.threads.items)[0].blocked_signals = vec!["SIGSEGV".into()];
    });
    let f = fired(&watch(&blocked), "fault-signals", Severity::Warn);
    assert!(f.message.contains("SIGSEGV"), "{}", f.message);
    let ignored = series(1, |_, s| s.signals.ignored.push("SIGBUS".into()));
    fired(&watch(&ignored), "fault-signals", Severity::Warn);
    let harmless = series(1, |_, s| {
        Arc::make_mut(&mut s.threads.items)[0].blocked_signals =
            vec!["SIGUSR1".into(), "SIGCHLD".into()];
    });
    quiet(&watch(&harmless), "fault-signals");
}

#[test]
fn sigterm_ignored_or_blocked_everywhere() {
    let ignored = series(1, |_, s| s.signals.ignored.push("SIGTERM".into()));
    fired(&watch(&ignored), "sigterm", Severity::Warn);
    let blocked = series(1, |_, s| {
        Arc::make_mut(&mut s.threads.items)[0].blocked_signals = vec!["SIGTERM".into()];
    });
    fired(&watch(&blocked), "sigterm", Severity::Warn);
    // One thread of two leaves SIGTERM unblocked: it will be delivered there.
    let one_of_two = series(1, |_, s| {
        let mut other = s.threads.items[0].clone();
        other.tid += 1;
        Arc::make_mut(&mut s.threads.items)[0].blocked_signals = vec!["SIGTERM".into()];
        Arc::make_mut(&mut s.threads.items).push(other);
    });
    quiet(&watch(&one_of_two), "sigterm");
}

#[test]
fn sigterm_is_judged_by_who_stops_the_process() {
    use healthtop::sample::Parent;
    let ignoring = |parent: Parent, cgroup: &str| {
        series(1, |_, s| {
            s.signals.ignored.push("SIGTERM".into());
            s.identity.exe = Some("/usr/lib/postgresql/16/bin/postgres".into());
            s.identity.comm = "postgres".into();
            s.identity.parent = Some(parent.clone());
            s.memory.cgroup.as_mut().expect("cgroup").path = cgroup.into();
        })
    };
    let service = "/system.slice/postgresql@16-main.service";
    let cases = [
        // A checkpointer under its postmaster: said, not warned.
        (
            (900, "postgres", "/usr/lib/postgresql/16/bin/postgres"),
            service,
            Severity::Info,
            "supervising parent postgres (pid 900)",
        ),
        // The same program under systemd: systemctl stop will SIGKILL it, with the unit named.
        (
            (1, "systemd", "/usr/lib/systemd/systemd"),
            service,
            Severity::Warn,
            "`systemctl stop postgresql@16-main.service`",
        ),
        // A helper of the service under another program of it: what each KillMode does.
        (
            (950, "pg_ctl", "/usr/lib/postgresql/16/bin/pg_ctl"),
            service,
            Severity::Warn,
            "KillMode=mixed",
        ),
        // Under a shell (another program): the plain warning.
        (
            (700, "bash", "/usr/bin/bash"),
            "/user.slice",
            Severity::Warn,
            "will be SIGKILLed",
        ),
    ];
    for ((pid, comm, exe), cgroup, severity, says) in cases {
        let parent = Parent {
            pid,
            comm: comm.into(),
            exe: Some(exe.into()),
        };
        let f = fired(&watch(&ignoring(parent, cgroup)), "sigterm", severity);
        assert!(f.message.contains(says), "{comm}: {}", f.message);
    }
}

#[test]
fn sigpipe_default_matters_only_with_sockets() {
    let default = series(1, |_, s| s.signals.ignored.retain(|x| x != "SIGPIPE"));
    fired(&watch(&default), "sigpipe", Severity::Warn);
    let no_sockets = series(1, |_, s| {
        s.signals.ignored.retain(|x| x != "SIGPIPE");
        s.fds.by_kind.remove("socket");
    });
    quiet(&watch(&no_sockets), "sigpipe");
    let caught = series(1, |_, s| {
        s.signals.ignored.retain(|x| x != "SIGPIPE");
        s.signals.caught.push("SIGPIPE".into());
    });
    quiet(&watch(&caught), "sigpipe");
}

#[test]
fn pending_signals_stuck_for_long() {
    let stuck = series(15, |_, s| s.signals.pending = vec!["SIGUSR1".into()]);
    fired(&watch(&stuck), "pending-signals", Severity::Warn);
    // Pending now and then, never for 10 s in a row.
    let flicker = series(30, |i, s| {
        if i % 6 < 4 {
            s.signals.pending = vec!["SIGUSR1".into()];
        }
    });
    quiet(&watch(&flicker), "pending-signals");
}

#[test]
fn seccomp_filter_is_info_strict_is_warn() {
    let filter = series(1, |_, s| {
        s.seccomp.mode = Some("filter".into());
        s.seccomp.filters = Some(2);
    });
    let f = fired(&watch(&filter), "seccomp", Severity::Info);
    assert!(f.message.contains('2'), "{}", f.message);
    let strict = series(1, |_, s| s.seccomp.mode = Some("strict".into()));
    fired(&watch(&strict), "seccomp", Severity::Warn);
    quiet(&watch(&series(1, |_, _| {})), "seccomp");
}

#[test]
fn core_dumps_impossible_is_info() {
    let zero = series(1, |_, s| s.core.rlimit_bytes = Some(0));
    fired(&watch(&zero), "core-dumps", Severity::Info);
    let undumpable = series(1, |_, s| s.identity.dumpable = Some(false));
    fired(&watch(&undumpable), "core-dumps", Severity::Info);
    // A pipe helper other than systemd-coredump ignores RLIMIT_CORE.
    let piped = series(1, |_, s| {
        s.core.rlimit_bytes = Some(0);
        s.core.pattern = Some("|/usr/share/apport/apport -p%p -s%s -c%c".into());
        s.core.piped = Some(true);
    });
    quiet(&watch(&piped), "core-dumps");
}

// zombie-children

#[test]
fn zombie_children_by_count_and_by_rise() {
    let many = series(3, |_, s| s.threads.zombie_children = Some(6));
    fired(&watch(&many), "zombie-children", Severity::Warn);
    let lots = series(3, |_, s| s.threads.zombie_children = Some(150));
    fired(&watch(&lots), "zombie-children", Severity::Crit);
    let rising = series(30, |i, s| s.threads.zombie_children = Some(i as u64 / 8));
    fired(&watch(&rising), "zombie-children", Severity::Warn);
    let one = series(30, |_, s| s.threads.zombie_children = Some(1));
    quiet(&watch(&one), "zombie-children");
}

// d-state

#[test]
fn d_state_for_long_is_reported() {
    let stuck = |n| {
        series(n, |_, s| {
            Arc::make_mut(&mut s.threads.items)[0].state = "D".into()
        })
    };
    fired(&watch(&stuck(40)), "d-state", Severity::Warn);
    fired(&watch(&stuck(130)), "d-state", Severity::Crit);
    // Short D sleeps (disk I/O) come and go.
    let brief = series(60, |i, s| {
        if i % 10 < 3 {
            Arc::make_mut(&mut s.threads.items)[0].state = "D".into();
        }
    });
    quiet(&watch(&brief), "d-state");
}

// stall

#[test]
fn stall_needs_no_progress_and_waiting_work() {
    let frozen = |queued: u64, cpu_moves: bool| {
        series(10, move |i, s| {
            Arc::make_mut(s.fds.tcp.as_mut().expect("tcp")).sockets =
                vec![socket("ESTABLISHED", queued)];
            if cpu_moves {
                Arc::make_mut(&mut s.threads.items)[0].cpu_ticks = 100 + i as u64;
            }
        })
    };
    let f = fired(&watch(&frozen(512, false)), "stall", Severity::Crit);
    assert!(f.message.contains("512 bytes"), "{}", f.message);
    // Idle: nothing waits. Busy: input waits but threads run.
    quiet(&watch(&frozen(0, false)), "stall");
    quiet(&watch(&frozen(512, true)), "stall");
}

#[test]
fn stall_counts_a_full_accept_queue_as_waiting_work() {
    let backlog = series(10, |_, s| {
        Arc::make_mut(s.fds.tcp.as_mut().expect("tcp")).sockets = vec![socket("LISTEN", 7)];
    });
    let f = fired(&watch(&backlog), "stall", Severity::Crit);
    assert!(f.message.contains("7 connection"), "{}", f.message);
}

// restart

#[test]
fn restart_is_reported_and_trends_start_over() {
    let samples = series(10, |i, s| {
        if i >= 5 {
            s.identity.start_time += 500;
        }
    });
    fired(&watch(&samples), "restart", Severity::Warn);
    quiet(&watch(&series(10, |_, _| {})), "restart");
}

#[test]
fn a_finding_needs_persistence_but_a_fact_does_not() {
    let mut config = Config::default();
    config.trend.persistence = 5;
    let level = series(4, |_, s| {
        s.fds.open = Some(1000);
        s.fds.soft_limit = Some(1024);
        s.signals.ignored.push("SIGTERM".into());
    });
    let findings = watch_with(&level, config);
    quiet(&findings, "fd-headroom");
    fired(&findings, "sigterm", Severity::Warn);
}

#[test]
fn findings_serialise_with_the_documented_keys() {
    let f = fired(
        &watch(&series(1, |_, s| s.signals.ignored.push("SIGTERM".into()))),
        "sigterm",
        Severity::Warn,
    );
    let json = serde_json::to_value(&f).expect("serialises");
    let mut keys: Vec<&str> = json
        .as_object()
        .expect("object")
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["eta_seconds", "evidence", "message", "rule", "severity"]
    );
    assert_eq!(json["severity"], "warn");
    let _ = base_sample();
}

#[test]
fn a_shown_forecast_clears_only_below_the_clear_tau() {
    // A leak of +1/s for 30 s, then 30 s around the middle of that rise: Kendall's tau over the
    // window falls to about 0.25, between trend.clear_tau (0.2) and trend.min_tau (0.3).
    let samples = series(60, |i, s| {
        s.fds.soft_limit = Some(1024);
        let open = if i < 30 {
            100.0 + i as f64
        } else {
            115.0 + noise(i, 3.0)
        };
        s.fds.open = Some(open as u64);
    });
    let since_ms = samples[0].taken_at_ms;
    let mut history = History::default();
    let mut engine = RuleEngine::with_window(Config::default(), Window::Explicit { since_ms });
    let mut shown = Vec::new();
    for sample in &samples {
        history.push(sample);
        shown = engine.evaluate(&history);
    }
    let trend = history
        .trend(
            healthtop::history::Metric::FdsOpen,
            since_ms,
            healthtop::history::TrendGate::default(),
        )
        .expect("trend");
    assert!(trend.tau > 0.2 && trend.tau < 0.3, "{trend:?}");
    // Raised while the leak was clear, it stays raised (hysteresis)...
    assert!(get(&shown, "fd-leak").is_some(), "{shown:#?}");
    // ...while the same window judged afresh is no trend at all.
    let fresh =
        healthtop::rules::evaluate(&history, &Config::default(), Window::Explicit { since_ms });
    quiet(&fresh, "fd-leak");
}

// exited

#[test]
fn exited_is_reported_with_the_last_state() {
    let samples = series(5, |_, _| {});
    let mut history = History::default();
    let mut engine = RuleEngine::with_window(
        Config::default(),
        Window::Explicit {
            since_ms: samples[0].taken_at_ms,
        },
    );
    for sample in &samples {
        history.push(sample);
        quiet(&engine.evaluate(&history), "exited");
    }
    history.mark_gone(
        samples[4].taken_at_ms + 700,
        "process 7 exited while being read",
    );
    let f = fired(&engine.evaluate(&history), "exited", Severity::Crit);
    assert!(f.evidence[0].contains("exited while being read"), "{f:#?}");
    assert!(f.message.contains("after 5 sample"), "{}", f.message);
}

#[test]
fn no_new_forecast_on_a_sample_that_fell_fast() {
    // A leak whose newest reading dropped by a fifth (a pool shrank): no new alarm on it.
    let samples = series(30, |i, s| {
        s.fds.soft_limit = Some(1024);
        let open = 100 + 2 * i as u64;
        s.fds.open = Some(if i == 29 { open * 4 / 5 } else { open });
    });
    let judge = |samples: &[Sample]| {
        let mut history = History::default();
        samples.iter().for_each(|s| {
            history.push(s);
        });
        let window = Window::Explicit {
            since_ms: samples[0].taken_at_ms,
        };
        healthtop::rules::evaluate(&history, &Config::default(), window)
    };
    quiet(&judge(&samples), "fd-leak");
    fired(&judge(&samples[..29]), "fd-leak", Severity::Crit);
}

#[test]
fn live_watching_forecasts_a_go_leak_through_its_gc_drops() {
    // Every collection drops the heap by far more than 15 %: that must neither suppress the
    // forecast nor reset its persistence.
    let samples = series(400, |i, s| {
        s.identity.runtime = Runtime::Go;
        s.identity.started_at_unix = Some(s.taken_at_ms as f64 / 1000.0 - 3600.0);
        let floor = 300e6 + 1e6 * i as f64;
        let saw = 200e6 * ((i % 5) as f64 / 4.0);
        let cg = s.memory.cgroup.as_mut().expect("cgroup");
        cg.max_bytes = Some(2 << 30);
        cg.current_bytes = Some((floor + saw) as u64);
    });
    fired(&rolling(&samples), "memory-growth", Severity::Crit);
}

// The headroom model: early, graded, honest when growth stops.

/// A fresh process (started just before the first sample) leaking `rate` fds a second toward
/// `limit`, watched live for `n` samples.
fn young_fd_leak(n: usize, rate: u64, limit: u64) -> Vec<Sample> {
    series(n, |i, s| {
        s.fds.open = Some(40 + rate * i as u64);
        s.fds.soft_limit = Some(limit);
        s.identity.started_at_unix = Some(s.taken_at_ms as f64 / 1000.0 - i as f64 - 1.0);
    })
}

#[test]
fn a_fast_leak_is_reported_provisionally_within_about_ten_samples_live() {
    // 4 fds/s toward 300: EMFILE about 65 s after start. Live, on a process seconds old.
    let first_shown = (1..=30)
        .find(|&n| get(&rolling(&young_fd_leak(n, 4, 300)), "fd-leak").is_some())
        .expect("fd-leak shown within 30 samples");
    // watch_min_samples (10) plus persistence (3 evaluations in a row).
    assert!(first_shown <= 12, "first shown after {first_shown} samples");
    let f = fired(
        &rolling(&young_fd_leak(first_shown, 4, 300)),
        "fd-leak",
        Severity::Warn,
    );
    assert!(f.message.contains("(provisional)"), "{}", f.message);
    let eta = f.eta_seconds.expect("eta");
    let truth = (300.0 - (40.0 + 4.0 * (first_shown - 1) as f64)) / 4.0;
    assert!((eta - truth).abs() <= 0.1 * truth, "ETA {eta} vs {truth}");
}

#[test]
fn a_provisional_forecast_is_never_crit_and_stays_quiet_when_far() {
    // Young and failing in a minute: warn, not crit (not confirmed on a young process).
    fired(
        &rolling(&young_fd_leak(20, 4, 300)),
        "fd-leak",
        Severity::Warn,
    );
    // Too few samples: nothing yet.
    quiet(&rolling(&young_fd_leak(8, 4, 300)), "fd-leak");
    // Provisional and the limit beyond trend.eta_crit_secs (+1/s toward 100 000): nothing.
    quiet(&rolling(&young_fd_leak(20, 1, 100_000)), "fd-leak");
}

#[test]
fn a_confirmed_forecast_becomes_crit_once_warmed_up() {
    // An old process leaking +1/s toward 2048, watched live for 6 minutes: confirmed, crit.
    let samples = series(360, |i, s| {
        s.fds.open = Some(100 + i as u64);
        s.fds.soft_limit = Some(2048);
        s.identity.started_at_unix = Some(s.taken_at_ms as f64 / 1000.0 - 3600.0);
    });
    let f = fired(&rolling(&samples), "fd-leak", Severity::Crit);
    assert!(!f.message.contains("provisional"), "{}", f.message);
}

/// 10 fds/s for `rising` samples, then flat for the rest of `n`.
fn leak_then_flat(n: usize, rising: usize) -> Vec<Sample> {
    series(n, |i, s| {
        s.fds.open = Some(100 + 10 * i.min(rising) as u64);
        s.fds.soft_limit = Some(1024);
        s.identity.started_at_unix = Some(s.taken_at_ms as f64 / 1000.0 - 3600.0);
    })
}

/// Index of the first evaluation from `from` on at which `fd-leak` no longer carries an ETA,
/// for an engine fed `samples` one by one; the gauge's ETA must go at the same evaluation.
fn eta_withdrawn_at(mut engine: RuleEngine, samples: &[Sample], from: usize) -> Option<usize> {
    let mut history = History::default();
    let mut withdrawn = None;
    for (i, sample) in samples.iter().enumerate() {
        history.push(sample);
        let findings = engine.evaluate(&history);
        let eta = get(&findings, "fd-leak").and_then(|f| f.eta_seconds);
        let gauge = engine
            .headroom()
            .get(healthtop::headroom::ResourceKind::Fds)
            .and_then(|r| r.eta_secs());
        if i >= from && withdrawn.is_none() && eta.is_none() {
            assert_eq!(gauge, None, "the gauge kept an ETA at sample {i}");
            withdrawn = Some(i);
        }
    }
    withdrawn
}

#[test]
fn a_leak_that_stops_loses_its_eta_within_30_samples_and_says_so() {
    // report --watch 40s: 10 fds/s for 15 s, then flat for 25 s.
    let samples = leak_then_flat(40, 15);
    let window = Window::Explicit {
        since_ms: samples[0].taken_at_ms,
    };
    let f = fired(&watch(&samples), "fd-leak", Severity::Info);
    assert_eq!(f.eta_seconds, None, "{f:#?}");
    assert!(
        f.message.contains("grew by 150 in 15s, flat since"),
        "{}",
        f.message
    );
    let at = eta_withdrawn_at(
        RuleEngine::with_window(Config::default(), window),
        &samples,
        15,
    )
    .expect("withdrawn");
    assert!(at - 15 <= 30, "withdrawn {} s after the stop", at - 15);
    // A flat stretch before the rise is not part of "grew in".
    let late = series(60, |i, s| {
        s.fds.open = Some(100 + 10 * i.clamp(20, 35) as u64 - 200);
        s.fds.soft_limit = Some(1024);
    });
    let f = fired(&watch(&late), "fd-leak", Severity::Info);
    assert!(f.message.contains("grew by 150 in 15s"), "{}", f.message);
    // Live, the same: withdrawn within 30 samples of the stop, and info afterwards.
    let live = leak_then_flat(70, 30);
    let at = eta_withdrawn_at(RuleEngine::new(Config::default()), &live, 30).expect("withdrawn");
    assert!(at - 30 <= 30, "withdrawn {} s after the stop", at - 30);
    fired(&rolling(&live), "fd-leak", Severity::Info);
}

#[test]
fn a_leak_that_goes_on_keeps_its_eta_and_a_rise_never_shown_stays_quiet_when_it_stops() {
    // Still leaking at the end: the recent window agrees, the ETA stays.
    let f = fired(&watch(&leak_then_flat(40, 40)), "fd-leak", Severity::Crit);
    assert!(f.eta_seconds.is_some());
    // A slow step-wise leak (+1 fd every 5 s) is not mistaken for a stop.
    let steps = series(60, |i, s| {
        s.fds.open = Some(100 + i as u64 / 5);
        s.fds.soft_limit = Some(160);
    });
    let judged = watch(&steps);
    let f = get(&judged, "fd-leak").unwrap_or_else(|| panic!("no fd-leak: {judged:#?}"));
    assert!(f.eta_seconds.is_some(), "{f:#?}");
    // A pool that warmed up far from its limit and stopped: no finding was shown, none now.
    let pool = series(40, |i, s| {
        s.fds.open = Some(100 + 10 * i.min(10) as u64);
        s.fds.soft_limit = Some(1_048_576);
    });
    quiet(&watch(&pool), "fd-leak");
}

#[test]
fn now_only_when_the_reading_is_at_the_limit() {
    // Address space rising toward RLIMIT_AS; the last readings hover just under the limit
    // (mmap fails, the process runs on): never "now" while the reading is below it.
    let limit: u64 = 1 << 30;
    let samples = series(30, |i, s| {
        let vm = if i < 25 {
            (limit as f64 * (0.5 + 0.02 * i as f64)) as u64
        } else {
            limit - 4096 * (30 - i as u64)
        };
        s.memory.vm_size_bytes = Some(vm);
        s.limits.get_mut("as").expect("as row").soft = Some(limit);
    });
    let findings = watch(&samples);
    let f = get(&findings, "memory-growth").unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(!f.message.contains(" now"), "{}", f.message);
    assert_ne!(f.eta_seconds, Some(0.0), "{f:#?}");
}
