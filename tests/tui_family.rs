//! The Family view (key 8) from samples built here: the parent and children of the watched
//! process with their headroom, a child that could not be read, the limits they share and who
//! uses them; snapshots at 80×24 and 40×12 (nothing cut mid-number, the names there), and the
//! keys that switch the watched process to a relative and back.

mod tui_fixture;

use healthtop::app::{update, AppState, Effect, Msg};
use healthtop::sample::{Family, Relative, SharedLimit, SharedUnit, SharedUser, SharedUsers};
use tui_fixture::{press, sample, screen, state, PID, T0_MS};

/// A reading of relative `pid` named `comm`, with `fds` open.
fn relative(pid: i32, comm: &str, fds: u64) -> Relative {
    let mut reading = sample(3);
    reading.identity.pid = pid;
    reading.identity.comm = comm.to_string();
    reading.fds.open = Some(fds);
    reading.fds.items = Default::default();
    Relative {
        pid,
        comm: comm.to_string(),
        reading: Ok(Box::new(reading)),
    }
}

fn family() -> Family {
    let user = |pid, comm: &str, amount| SharedUser {
        pid,
        comm: comm.to_string(),
        amount,
    };
    Family {
        pid: PID,
        taken_at_ms: T0_MS + 19_000,
        parent: Some(relative(4000, "supervisor", 12)),
        children: vec![
            relative(4300, "worker", 30),
            relative(4301, "worker", 50),
            Relative {
                pid: 4302,
                comm: "worker".into(),
                reading: Err("PID 4302 (worker) is a zombie: it has exited and waits for its parent 4242 to reap it".into()),
            },
        ],
        children_source: "/proc/PID/task/*/children".into(),
        children_not_read: 0,
        shared: vec![
            SharedLimit {
                name: "RLIMIT_NPROC".into(),
                scope: "the tasks of real uid 1000 (app), host-wide".into(),
                limit: 4096,
                unit: SharedUnit::Tasks,
                users: Ok(SharedUsers {
                    processes: 7,
                    total: 310,
                    charged: None,
                    top: vec![user(PID, "service", 26), user(5000, "batch", 200)],
                }),
            },
            SharedLimit {
                name: "memory.max".into(),
                scope: "the processes of cgroup /app.slice/service.service".into(),
                limit: 1 << 30,
                unit: SharedUnit::Bytes,
                users: Err("permission denied reading /sys/fs/cgroup/app.slice/service.service/cgroup.procs".into()),
            },
        ],
    }
}

fn with_family(width: u16, height: u16) -> AppState {
    let mut state = state(20, width, height);
    update(&mut state, Msg::Family(Box::new(family())));
    press(&mut state, "8");
    state
}

#[test]
fn the_family_pane_at_80x24_and_40x12() {
    for (width, height) in [(80, 24), (40, 12)] {
        let screen = screen(&with_family(width, height), width, height);
        for needle in ["4000", "supervisor", "4242", "4301", "worker"] {
            assert!(
                screen.contains(needle),
                "{needle} at {width}x{height}:\n{screen}"
            );
        }
        insta::assert_snapshot!(format!("family_{width}x{height}"), screen);
    }
    let screen = screen(&with_family(80, 24), 80, 24);
    // fds against the soft RLIMIT_NOFILE of the relative's own reading, whole numbers.
    assert!(screen.contains("50/64"), "{screen}");
    assert!(
        screen.contains("shared by the tasks of real uid 1000"),
        "{screen}"
    );
}

#[test]
fn enter_watches_the_selected_relative_and_back_returns() {
    let mut state = with_family(80, 24);
    // Rows: parent, watched, three children; the last child is the zombie.
    let effects = press(&mut state, "j j Enter");
    assert_eq!(
        effects,
        [Effect::Watch {
            pid: 4300,
            came_from: vec![PID]
        }]
    );
    // The shell starts over on the child with that way back; Esc asks for the parent again.
    let mut child = state.switched_to(4300, vec![PID], T0_MS);
    assert_eq!(
        press(&mut child, "Esc"),
        [Effect::Watch {
            pid: PID,
            came_from: vec![]
        }]
    );
    // Nothing to go back to: Esc does nothing.
    assert!(press(&mut state, "Esc").is_empty());
    // A zombie cannot be watched: said, no switch.
    assert!(press(&mut state, "End Enter").is_empty());
    assert!(state.message.as_deref().is_some_and(|m| m.contains("4302")));
}

#[test]
fn a_family_of_another_process_is_not_shown() {
    let mut state = state(20, 80, 24);
    let mut stale = family();
    stale.pid = PID + 1;
    update(&mut state, Msg::Family(Box::new(stale)));
    assert!(state.family.members.is_empty());
}
