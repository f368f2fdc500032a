//! The dump key's model: the confirmation dialog that says exactly what will be sent before
//! anything is, the request's progress, and the result (JVM threads joined to the thread
//! table by tid, Go goroutines grouped). [`plan`] turns what the shell read from `/proc`
//! ([`Facts`]) into the dialog's words; the shell sends nothing until the user presses `y`.
//! Nothing here can force a refused request: that is `healthtop dump --force`, on purpose.
//!
//! Pure. May import: `runtimes` (data types and the pure `signal::refusal`), `decode`,
//! `keymap`.

use super::{AppState, Effect};
use crate::decode::signals::signal_name;
use crate::keymap::{self, Command};
use crate::runtimes::jvm::JvmThread;
use crate::runtimes::signal::refusal;
use crate::runtimes::target::Disposition;
use crate::runtimes::{Detail, Dump, Runtime};
use crossterm::event::{KeyCode, KeyEvent};
use std::net::SocketAddr;

const SIGQUIT: u32 = 3;
/// faulthandler's signal in its docs (and healthtop's default for Python).
pub const PYTHON_SIGNAL: u32 = 10;

/// What the shell read about the target before asking, without sending anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub pid: u32,
    pub runtime: Runtime,
    /// How the target treats SIGQUIT (JVM attach, and the Go refusal).
    pub sigquit: Disposition,
    /// How it treats [`PYTHON_SIGNAL`].
    pub python_signal: Disposition,
    /// JVM: the pid inside the target's namespace (names the attach files).
    pub nspid: u32,
    /// JVM: an attach listener already answers at this socket path.
    pub attach_socket: Option<String>,
    /// JVM: where `-XX:+DisableAttachMechanism` was given ("on its command line"): it never
    /// listens, so there is nothing to send.
    pub attach_disabled: Option<String>,
    /// Go: the target's loopback-reachable listening TCP sockets, in probe order.
    pub listeners: Vec<SocketAddr>,
    /// Go: requests run inside the target's network namespace.
    pub other_netns: bool,
}

/// What the dialog says; `refusal` set means there is nothing to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub runtime: Runtime,
    /// Exactly what `y` does, one step per line.
    pub steps: Vec<String>,
    pub refusal: Option<String>,
}

/// From the shell.
#[derive(Debug, Clone)]
pub enum DumpMsg {
    Planned(Result<Plan, String>),
    Done(Result<Box<Dump>, String>),
}

/// To the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpEffect {
    /// Read what is needed for the dialog (no signal, no request); answer `Planned`.
    Plan,
    /// The user said yes: run the dump off the UI thread; answer `Done`.
    Run,
}

/// Where the dump key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    Planning,
    Ask(Plan),
    Running(Plan),
    /// The plan could not even be made (the process is gone, /proc unreadable).
    Failed(String),
}

#[derive(Debug, Clone, Default)]
pub struct DumpUi {
    pub dialog: Option<Dialog>,
    /// The newest dump, or why it failed.
    pub result: Option<Result<Box<Dump>, String>>,
    /// The result panel is shown.
    pub panel: bool,
}

/// The dialog's words for `facts`.
pub fn plan(facts: &Facts) -> Plan {
    let pid = facts.pid;
    let quit = signal_name(SIGQUIT);
    let mut steps = Vec::new();
    let mut refused = None;
    match facts.runtime {
        Runtime::Jvm if facts.attach_disabled.is_some() => {
            refused = Some(format!(
                "attach is disabled in JVM {pid} (-XX:+DisableAttachMechanism {}): it never \
                 listens, so nothing is sent",
                facts.attach_disabled.as_deref().unwrap_or_default()
            ));
        }
        Runtime::Jvm => {
            let quit_refused = refusal(SIGQUIT, Runtime::Jvm, facts.sigquit);
            let trigger = format!(
                "creates .attach_pid{} in its working directory, sends {quit} which this JVM \
                 catches: SigCgt has {quit}",
                facts.nspid
            );
            match (&facts.attach_socket, quit_refused) {
                (Some(socket), refused) => {
                    steps.push(format!(
                        "connect to the JVM's attach listener {socket} (no signal) and run \
                         threaddump"
                    ));
                    steps.push(match refused {
                        None => format!("if it does not answer: attach anew ({trigger})"),
                        Some(reason) => {
                            format!("if it does not answer: nothing more ({quit}: {reason})")
                        }
                    });
                }
                (None, None) => {
                    steps.push(format!(
                        "attach to the HotSpot JVM ({trigger}) and run threaddump"
                    ));
                    steps.push(format!(
                        "(then /tmp/.java_pid{} answers; every Java thread pauses briefly at a \
                         safepoint while the dump is printed)",
                        facts.nspid
                    ));
                }
                (None, Some(reason)) => {
                    refused = Some(format!("{quit} to JVM {pid}: {reason}"));
                }
            }
        }
        Runtime::Go => match facts.listeners.split_first() {
            Some((first, rest)) => {
                steps.push(format!(
                    "GET http://{first}/debug/pprof/goroutine?debug=1 — no signal{}",
                    if facts.other_netns {
                        " (from inside the target's network namespace)"
                    } else {
                        ""
                    }
                ));
                if !rest.is_empty() {
                    let others: Vec<String> = rest.iter().map(ToString::to_string).collect();
                    steps.push(format!(
                        "if that is not pprof, the same GET on {} until one answers",
                        others.join(", ")
                    ));
                }
            }
            None => {
                let why_not_quit = refusal(SIGQUIT, Runtime::Go, facts.sigquit)
                    .unwrap_or_else(|| format!("{quit} is not offered"));
                refused = Some(format!(
                    "Go process {pid} listens on no loopback TCP port, so there is no pprof \
                     endpoint to ask (import net/http/pprof and serve it on 127.0.0.1). \
                     {quit} refused: {why_not_quit}"
                ));
            }
        },
        Runtime::Python => {
            let name = signal_name(PYTHON_SIGNAL);
            match refusal(PYTHON_SIGNAL, Runtime::Python, facts.python_signal) {
                Some(reason) => {
                    refused = Some(format!(
                        "{name} to Python process {pid}: {reason}; faulthandler is not \
                         registered for it (py-spy dump --pid {pid} needs no signal)"
                    ))
                }
                None => {
                    steps.push(format!(
                        "send {name} to Python process {pid}, which catches it (SigCgt has \
                         {name})"
                    ));
                    steps.push(
                        "if the handler is faulthandler, it writes every thread's stack to \
                         stderr; healthtop reads it back when stderr is a file (another \
                         handler would run instead)"
                            .to_string(),
                    );
                }
            }
        }
        Runtime::Unknown => {
            refused = Some(format!(
                "which runtime process {pid} runs could not be read: no safe dump request"
            ));
        }
        Runtime::Native => {
            refused = Some(format!(
                "process {pid} is not a Go, JVM or Python program: no safe dump request. \
                 `healthtop dump -p {pid} --signal SIG` sends a signal it catches"
            ));
        }
    }
    Plan {
        runtime: facts.runtime,
        steps,
        refusal: refused,
    }
}

/// `D`: open the dialog (the shell reads the facts first).
pub fn start(state: &mut AppState) -> Vec<Effect> {
    if state.replay().is_some() {
        // A bundle's dump is the one taken when it was written: shown, never asked for.
        match &state.dump.result {
            Some(Ok(_)) => state.dump.panel = true,
            Some(Err(reason)) => state.message = Some(format!("no dump in this bundle: {reason}")),
            None => state.message = Some("this bundle holds no runtime dump".into()),
        }
        return Vec::new();
    }
    if !state.status.is_live() {
        state.message = Some("dumps need a live process".into());
        return Vec::new();
    }
    if matches!(state.dump.dialog, Some(Dialog::Running(_))) {
        state.message = Some("a dump is running already".into());
        return Vec::new();
    }
    state.dump.dialog = Some(Dialog::Planning);
    vec![Effect::Dump(DumpEffect::Plan)]
}

/// Keys while the dialog or the result panel is up; `None` when neither is.
pub fn on_key(state: &mut AppState, key: &KeyEvent) -> Option<Vec<Effect>> {
    let ui = &mut state.dump;
    if let Some(dialog) = &ui.dialog {
        match (dialog, key.code) {
            (Dialog::Ask(plan), KeyCode::Char('y' | 'Y')) if plan.refusal.is_none() => {
                ui.dialog = Some(Dialog::Running(plan.clone()));
                return Some(vec![Effect::Dump(DumpEffect::Run)]);
            }
            (Dialog::Running(_), KeyCode::Esc | KeyCode::Char('n' | 'N')) => {
                // The request is under way; the dialog goes, the result still shows up.
                ui.dialog = None;
            }
            (_, KeyCode::Esc | KeyCode::Char('n' | 'N')) => ui.dialog = None,
            _ => {}
        }
        return Some(Vec::new());
    }
    if ui.panel {
        // The panel covers the view: a key meant for the view (Enter opening a thread detail)
        // must not act behind it. Esc closes it; quitting and a new dump still work.
        if matches!(key.code, KeyCode::Esc | KeyCode::Backspace) {
            ui.panel = false;
            state.message = None;
            return Some(Vec::new());
        }
        if matches!(keymap::resolve(key), Some(Command::Quit | Command::Dump)) {
            return None;
        }
        state.message = Some("the dump panel is open: Esc closes it".to_string());
        return Some(Vec::new());
    }
    None
}

pub fn on_msg(state: &mut AppState, msg: DumpMsg) -> Vec<Effect> {
    let ui = &mut state.dump;
    match msg {
        DumpMsg::Planned(planned) => {
            if ui.dialog == Some(Dialog::Planning) {
                ui.dialog = Some(match planned {
                    Ok(plan) => Dialog::Ask(plan),
                    Err(reason) => Dialog::Failed(reason),
                });
            }
        }
        DumpMsg::Done(result) => {
            if matches!(ui.dialog, Some(Dialog::Running(_))) {
                ui.dialog = None;
            }
            state.message = Some(match &result {
                Ok(dump) => match dump.total {
                    Some(total) => format!("dump: {total} in total"),
                    None => "dump taken".to_string(),
                },
                Err(reason) => format!("dump failed: {reason}"),
            });
            ui.result = Some(result);
            ui.panel = true;
        }
    }
    Vec::new()
}

/// The JVM thread of the newest dump running on kernel thread `tid`.
pub fn java_thread(state: &AppState, tid: i32) -> Option<&JvmThread> {
    let Some(Ok(dump)) = &state.dump.result else {
        return None;
    };
    let Detail::Jvm(threads) = &dump.detail else {
        return None;
    };
    let tid = u32::try_from(tid).ok()?;
    threads.threads.iter().find(|t| t.tid == Some(tid))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(runtime: Runtime) -> Facts {
        let caught = Disposition {
            caught: true,
            ignored: false,
            blocked: false,
        };
        Facts {
            pid: 77,
            runtime,
            sigquit: caught,
            python_signal: Disposition {
                caught: false,
                ..caught
            },
            nspid: 77,
            attach_socket: None,
            attach_disabled: None,
            listeners: vec!["127.0.0.1:6060".parse().expect("addr")],
            other_netns: false,
        }
    }

    #[test]
    fn plans_say_what_is_sent_and_refuse_what_kills() {
        let go = plan(&facts(Runtime::Go));
        assert_eq!(
            go.steps[0],
            "GET http://127.0.0.1:6060/debug/pprof/goroutine?debug=1 — no signal"
        );
        assert!(go.refusal.is_none());
        let mut no_port = facts(Runtime::Go);
        no_port.listeners.clear();
        let refused = plan(&no_port).refusal.expect("refused");
        assert!(refused.contains("exits with status 2"), "{refused}");
        let jvm = plan(&facts(Runtime::Jvm));
        assert!(
            jvm.steps[0].contains("SigCgt has SIGQUIT"),
            "{:?}",
            jvm.steps
        );
        let mut disabled = facts(Runtime::Jvm);
        disabled.attach_disabled = Some("in JAVA_TOOL_OPTIONS".into());
        let disabled = plan(&disabled);
        assert!(disabled.steps.is_empty(), "{:?}", disabled.steps);
        let refused = disabled.refusal.expect("refused");
        assert!(
            refused.contains("-XX:+DisableAttachMechanism in JAVA_TOOL_OPTIONS"),
            "{refused}"
        );
        let python = plan(&facts(Runtime::Python));
        assert!(python.refusal.expect("refused").contains("would kill it"));
        let mut handled = facts(Runtime::Python);
        handled.python_signal.caught = true;
        let python = plan(&handled);
        assert!(python.refusal.is_none());
        assert!(
            python.steps[0].contains("send SIGUSR1 to Python process 77, which catches it"),
            "{:?}",
            python.steps
        );
        let native = plan(&facts(Runtime::Native));
        assert!(native.steps.is_empty() && native.refusal.is_some());
    }
}
