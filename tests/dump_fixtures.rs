//! The dump parsers on real captured dumps (tests/fixtures/dumps/, see its README): jstack
//! output of the Parker target and of a deadlock, goroutine profiles at debug=1 and debug=2.
//! Expected values come from counting lines of the fixture text in the test itself.

mod dump_support;

use dump_support::fixture;
use healthtop::runtimes::go::{debug1_total, parse_goroutines};
use healthtop::runtimes::jvm::{parse_thread_dump, LockKind};
use healthtop::runtimes::{Detail, Dump, DumpMethod, Runtime};

/// Header lines (`"name" … nid=…`) of a thread dump: the thread count by plain counting.
fn header_count(text: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with('"') && l.contains(" nid="))
        .count()
}

#[test]
fn jstack_parker_threads_states_tids_and_locks() {
    for name in ["jstack_parker_jdk17.txt", "jstack_l_parker_jdk17.txt"] {
        let text = fixture(name);
        let dump = parse_thread_dump(&text);
        assert_eq!(dump.threads.len(), header_count(&text), "{name}");
        assert_eq!(dump.threads.len(), 31, "{name}");
        assert!(dump.deadlocked.is_empty());
        let workers: Vec<_> = dump
            .threads
            .iter()
            .filter(|t| t.name.starts_with("parked-worker-"))
            .collect();
        assert_eq!(workers.len(), 12, "{name}");
        for (i, worker) in workers.iter().enumerate() {
            assert_eq!(worker.name, format!("parked-worker-{i:02}"));
            assert!(worker.daemon);
            assert_eq!(worker.java_id, Some(12 + i as u64));
            // nid=0x2922 … 0x292d in the capture, in creation order.
            assert_eq!(worker.tid, Some(0x2922 + i as u32));
            assert_eq!(worker.state.as_deref(), Some("WAITING"));
            assert!(worker.frames.iter().any(|f| f.method == "Parker.parkHere"));
            let parks = i % 2 == 0;
            assert_eq!(
                worker.state_detail.as_deref(),
                Some(if parks {
                    "parking"
                } else {
                    "on object monitor"
                })
            );
            let first = &worker.locks[0];
            if parks {
                assert_eq!(first.kind, LockKind::ParkingFor);
                assert_eq!(first.address.as_deref(), Some("0x000000069ec1a5e0"));
                assert_eq!(
                    worker.frames[first.frame.expect("frame")].method,
                    "jdk.internal.misc.Unsafe.park"
                );
            } else {
                assert_eq!(first.kind, LockKind::WaitingOn);
                let locked = &worker.locks[1];
                assert_eq!(locked.kind, LockKind::Locked);
                assert_eq!(
                    worker.frames[locked.frame.expect("frame")].method,
                    "Parker.parkHere"
                );
            }
        }
        // VM threads: a nid, no Java id, no frames.
        let vm = dump
            .threads
            .iter()
            .find(|t| t.name == "VM Thread")
            .expect("VM Thread");
        assert_eq!(
            (vm.java_id, vm.tid, vm.frames.len()),
            (None, Some(0x2916), 0)
        );
        let main = dump
            .threads
            .iter()
            .find(|t| t.name == "main")
            .expect("main");
        assert_eq!(
            main.frames.last().map(|f| f.location.as_str()),
            Some("dump_parker.java:50")
        );
    }
}

#[test]
fn jstack_deadlock_is_reported_and_not_taken_for_threads() {
    let text = fixture("jstack_l_deadlock_jdk17.txt");
    let dump = parse_thread_dump(&text);
    assert_eq!(dump.threads.len(), header_count(&text));
    assert_eq!(dump.deadlocked, vec!["lock-a-then-b", "lock-b-then-a"]);
    for name in ["lock-a-then-b", "lock-b-then-a"] {
        let thread = dump.threads.iter().find(|t| t.name == name).expect(name);
        assert_eq!(thread.state.as_deref(), Some("BLOCKED"));
        let kinds: Vec<LockKind> = thread.locks.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, vec![LockKind::WaitingToLock, LockKind::Locked]);
        // The deadlock section repeats the stacks; they must not be appended again.
        assert_eq!(thread.frames.len(), 3, "{name}: {:?}", thread.frames);
    }
}

#[test]
fn goroutine_debug1_groups_and_total() {
    let text = fixture("goroutine_debug1_go119.txt");
    let dump = parse_goroutines(&text);
    assert_eq!(dump.debug, 1);
    assert_eq!(debug1_total(&text), Some(23));
    assert_eq!(dump.total(), 23, "group counts add up to the header");
    // One group per `N @ …` line.
    assert_eq!(
        dump.groups.len(),
        text.lines().filter(|l| l.contains(" @ ")).count()
    );
    let leak = &dump.groups[0];
    assert_eq!(leak.count, 20);
    assert_eq!(leak.frames.len(), 1);
    assert_eq!(leak.frames[0].function, "main.parkedForever");
    assert_eq!(leak.frames[0].line, Some(31));
    let serve = dump
        .groups
        .iter()
        .find(|g| {
            g.frames
                .iter()
                .any(|f| f.function == "net/http.(*conn).serve")
        })
        .expect("handler group");
    assert_eq!(
        serve.frames[0].function,
        "runtime/pprof.runtime_goroutineProfileWithLabels"
    );
    assert_eq!(
        serve.frames[0].file,
        "/usr/lib/go-1.19/src/runtime/mprof.go"
    );
}

#[test]
fn goroutine_debug2_states_creators_and_waits() {
    let text = fixture("goroutine_debug2_go119.txt");
    let dump = parse_goroutines(&text);
    assert_eq!(dump.debug, 2);
    let headers = text.lines().filter(|l| l.starts_with("goroutine ")).count();
    assert_eq!(dump.goroutines.len(), headers);
    assert_eq!(dump.total(), headers as u64);
    let leaked: Vec<_> = dump
        .goroutines
        .iter()
        .filter(|g| {
            g.frames
                .first()
                .is_some_and(|f| f.function == "main.parkedForever")
        })
        .collect();
    assert_eq!(leaked.len(), 20);
    for g in &leaked {
        assert_eq!(g.state, "chan receive");
        assert_eq!(g.wait, None);
        assert_eq!(
            g.created_by.as_ref().map(|f| f.function.as_str()),
            Some("main.leak")
        );
    }
    let main = dump
        .goroutines
        .iter()
        .find(|g| g.id == 1)
        .expect("goroutine 1");
    assert_eq!(main.state, "IO wait");
    assert_eq!(
        main.frames.last().map(|f| f.function.as_str()),
        Some("main.main")
    );
    // Inlined frame: `(...)` arguments, no +0x offset.
    assert!(main
        .frames
        .iter()
        .any(|f| f.function == "internal/poll.(*pollDesc).waitRead" && f.line == Some(89)));
    assert_eq!(dump.groups[0].count, 20);
    assert_eq!(dump.groups[0].state.as_deref(), Some("chan receive"));

    let waits = parse_goroutines(&fixture("goroutine_debug2_waits_go119.txt"));
    let waiting: Vec<_> = waits
        .goroutines
        .iter()
        .filter(|g| g.wait.is_some())
        .collect();
    assert_eq!(waiting.len(), 20);
    assert!(waiting
        .iter()
        .all(|g| g.wait.as_deref() == Some("2 minutes") && g.wait_minutes == Some(2)));
}

#[test]
fn folded_and_json_shapes() {
    let text = fixture("goroutine_debug1_go119.txt");
    let dump = Dump {
        pid: 1,
        runtime: Runtime::Go,
        method: DumpMethod::Pprof,
        total: debug1_total(&text),
        detail: Detail::Go(parse_goroutines(&text)),
        text: text.clone(),
        notes: Vec::new(),
    };
    let folded = dump.folded();
    assert!(
        folded.contains(&"main.parkedForever 20".to_string()),
        "{folded:?}"
    );
    assert!(folded
        .iter()
        .any(|l| l.starts_with("runtime.main;main.main;net/http.Serve;")));
    let sum: u64 = folded
        .iter()
        .filter_map(|l| l.rsplit_once(' ').and_then(|(_, n)| n.parse::<u64>().ok()))
        .sum();
    assert_eq!(sum, 23);
    let json = serde_json::to_value(&dump).expect("json");
    assert_eq!(json["runtime"], "go");
    assert_eq!(json["total"], 23);
    assert!(json["goroutines"].is_array() && json["groups"].is_array());
    let back: Dump = serde_json::from_value(json).expect("round trip");
    assert_eq!(back, dump);

    let jvm_text = fixture("jstack_parker_jdk17.txt");
    let jvm = Dump {
        pid: 1,
        runtime: Runtime::Jvm,
        method: DumpMethod::JvmAttach,
        total: Some(31),
        detail: Detail::Jvm(parse_thread_dump(&jvm_text)),
        text: jvm_text,
        notes: Vec::new(),
    };
    let json = serde_json::to_value(&jvm).expect("json");
    assert_eq!(json["runtime"], "jvm");
    assert_eq!(json["threads"][0]["name"], "main");
    let back: Dump = serde_json::from_value(json).expect("round trip");
    assert_eq!(back, jvm);
    assert!(jvm
        .folded()
        .iter()
        .any(|l| l.starts_with("parked-worker-00;java.lang.Thread.run_[j];")));
}

/// pprof cuts debug=2 at 64 MiB and a dump can end anywhere: every prefix of every captured
/// dump parses without panicking, and never yields more threads/goroutines than the whole.
#[test]
fn every_prefix_of_every_fixture_parses() {
    for name in [
        "goroutine_debug1_go119.txt",
        "goroutine_debug2_go119.txt",
        "goroutine_debug2_waits_go119.txt",
    ] {
        let text = fixture(name);
        let whole = parse_goroutines(&text).total();
        for (at, _) in text.char_indices().step_by(5) {
            assert!(
                parse_goroutines(&text[..at]).total() <= whole,
                "{name} cut at {at}"
            );
        }
    }
    for name in [
        "jstack_parker_jdk17.txt",
        "jstack_l_parker_jdk17.txt",
        "jstack_l_deadlock_jdk17.txt",
    ] {
        let text = fixture(name);
        let whole = parse_thread_dump(&text).threads.len();
        for (at, _) in text.char_indices().step_by(5) {
            assert!(
                parse_thread_dump(&text[..at]).threads.len() <= whole,
                "{name} cut at {at}"
            );
        }
    }
}
