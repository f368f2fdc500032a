//! Python: a stack dump through `faulthandler`, only when the process is seen to catch the
//! signal (`faulthandler.register(signal.SIGUSR1)` installs a handler, so `SigCgt` shows it)
//! and the user confirmed — SigCgt cannot tell faulthandler from a log-reopen handler.
//! Otherwise say what is possible (py-spy, faulthandler.register).
//!
//! May import: `decode::signals`, siblings `signal` and `target`, the parent's types.

use super::signal::send_and_capture;
use super::target::Target;
use super::{Detail, Dump, DumpError, DumpMethod, DumpRequest, Runtime};
use crate::decode::signals::signal_name;

/// SIGUSR1: the signal the faulthandler docs use in their `register` example.
pub const DEFAULT_SIGNAL: u32 = 10;

/// What to do instead, for messages.
fn alternatives(pid: u32, name: &str) -> String {
    format!(
        "`py-spy dump --pid {pid}` reads the stacks from memory without a signal; or make the \
         program call `faulthandler.register(signal.{name}, all_threads=True)` at start and ask \
         again"
    )
}

pub fn dump(target: &Target, runtime: Runtime, request: &DumpRequest) -> Result<Dump, DumpError> {
    let signal = request.signal.unwrap_or(DEFAULT_SIGNAL);
    let name = signal_name(signal);
    let pid = target.pid;
    if runtime != Runtime::Python && !request.force {
        return Err(DumpError::Unavailable {
            reason: format!(
                "process {pid} does not look like Python ({} detected)",
                runtime.as_str()
            ),
        });
    }
    let disposition = target.disposition(signal)?;
    if disposition.ignored || !disposition.caught {
        return Err(DumpError::Refused {
            reason: format!(
                "process {pid} does not catch {name}, so faulthandler is not registered for it \
                 and the signal would {}. Instead: {}",
                if disposition.ignored {
                    "be ignored"
                } else {
                    "kill it"
                },
                alternatives(pid, &name)
            ),
        });
    }
    if !request.confirmed {
        return Err(DumpError::NeedsConfirmation {
            question: format!(
                "send {name} to Python process {pid}? It catches {name}; if the handler is \
                 faulthandler it writes every thread's stack to stderr, but another handler \
                 (log reopen, reload) would run instead"
            ),
        });
    }
    let mut notes = vec![format!(
        "faulthandler output: at most 100 frames per thread and 100 threads, ASCII only"
    )];
    let (captured, text) = send_and_capture(target, signal, disposition, request, &mut notes)?;
    Ok(Dump {
        pid,
        runtime,
        method: DumpMethod::Faulthandler,
        total: None,
        text,
        detail: Detail::Captured(captured),
        notes,
    })
}
