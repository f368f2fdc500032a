//! The dump key's I/O, off the UI thread: reading the facts the confirmation dialog states
//! (runtime, signal dispositions, attach socket, listening ports — `/proc` reads only, nothing
//! sent), and, after `y`, the dump itself through `runtimes::dump`.
//!
//! May import: `runtimes`, `collect::runtime_evidence`, `app` (messages and the pure plan).

use crate::app::dump::{plan, DumpMsg, Facts, PYTHON_SIGNAL};
use crate::app::Msg;
use crate::collect::{runtime_evidence, HostRoot};
use crate::runtimes::go::pprof::listening_loopback;
use crate::runtimes::jvm::attach::{attach_disabled_by, socket_path};
use crate::runtimes::target::Target;
use crate::runtimes::{self, DumpError, DumpRequest, Runtime};
use std::os::unix::fs::FileTypeExt;
use tokio::sync::mpsc::Sender;

const SIGQUIT: u32 = 3;

fn facts(pid: i32) -> Result<Facts, DumpError> {
    let upid = u32::try_from(pid).map_err(|_| DumpError::NoSuchProcess { pid: 0 })?;
    let target = Target::open(upid)?;
    let runtime =
        runtime_evidence(&HostRoot::live(), pid).map_err(|error| DumpError::AccessDenied {
            reason: format!(
                "cannot tell which runtime process {pid} runs: {}",
                error.reason()
            ),
        })?;
    let mut facts = Facts {
        pid: upid,
        runtime,
        sigquit: target.disposition(SIGQUIT)?,
        python_signal: target.disposition(PYTHON_SIGNAL)?,
        nspid: target.namespace_pid().unwrap_or(upid),
        attach_socket: None,
        attach_disabled: None,
        listeners: Vec::new(),
        other_netns: false,
    };
    match runtime {
        Runtime::Jvm => {
            facts.attach_disabled = attach_disabled_by(&target).map(str::to_string);
            let socket = socket_path(&target)?;
            let is_socket = std::fs::metadata(&socket).is_ok_and(|m| m.file_type().is_socket());
            if is_socket {
                facts.attach_socket = Some(socket.display().to_string());
            }
        }
        Runtime::Go => {
            facts.listeners = listening_loopback(&target)?;
            facts.other_netns = target.other_netns()?;
        }
        Runtime::Python | Runtime::Native | Runtime::Unknown => {}
    }
    Ok(facts)
}

/// Reads the facts and answers with the dialog's plan.
pub fn plan_for(pid: i32, tx: Sender<Msg>) {
    tokio::spawn(async move {
        let planned = tokio::task::spawn_blocking(move || facts(pid).map(|f| plan(&f)))
            .await
            .unwrap_or_else(|e| {
                Err(DumpError::Unavailable {
                    reason: e.to_string(),
                })
            });
        let msg = DumpMsg::Planned(planned.map_err(|e| e.to_string()));
        let _ = tx.send(Msg::Dump(msg)).await;
    });
}

/// The user said yes: take the dump (confirmed: the dialog asked).
pub fn run(pid: i32, tx: Sender<Msg>) {
    tokio::spawn(async move {
        let taken = tokio::task::spawn_blocking(move || {
            let upid = u32::try_from(pid).map_err(|_| DumpError::NoSuchProcess { pid: 0 })?;
            let request = DumpRequest {
                confirmed: true,
                ..DumpRequest::default()
            };
            runtimes::dump(upid, &request)
        })
        .await;
        let result = match taken {
            Ok(Ok(dump)) => Ok(Box::new(dump)),
            Ok(Err(error)) => Err(error.to_string()),
            Err(error) => Err(format!("the dump task stopped: {error}")),
        };
        let _ = tx.send(Msg::Dump(DumpMsg::Done(result))).await;
    });
}
