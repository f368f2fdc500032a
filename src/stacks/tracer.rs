//! The tracer thread: the only place that calls ptrace. It stops one thread at a time
//! (`PTRACE_SEIZE` + `PTRACE_INTERRUPT`, never `PTRACE_ATTACH`, never `PTRACE_O_EXITKILL`),
//! copies its registers and a bounded window of its stack, and detaches at once. Unwinding and
//! symbolization happen elsewhere, after the thread runs again.
//!
//! Safety of the target, in order of defence:
//! 1. every seized thread is owned by a [`Seized`] guard whose `Drop` detaches (error paths and
//!    panics included), re-injecting a signal that arrived during the stop;
//! 2. a thread that does not stop in time is polled a little longer and detached when it does;
//!    if it still has not stopped, the tracer thread exits, and the kernel detaches every
//!    tracee of an exiting tracer (ptrace(2), "If the tracer dies…");
//! 3. if healthtop is killed outright the same kernel rule applies: an interrupted thread sits
//!    in `PTRACE_EVENT_STOP`, not in a group-stop, so it is resumed.
//!
//! May import: `stacks::{sys, procfs, error}`.

use super::error::StacksError;
use super::procfs;
use super::sys::{self, WaitOutcome};
use crate::collect::ProcessDir;
use nix::errno::Errno;
use nix::sys::ptrace;
use nix::sys::uio::{process_vm_readv, RemoteIoVec};
use nix::unistd::Pid;
use std::io::IoSliceMut;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The registers an unwinder needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Regs {
    pub pc: u64,
    pub sp: u64,
    /// Frame pointer (`rbp` on x86_64, `x29` on aarch64).
    pub fp: u64,
    /// Link register (aarch64 `x30`; zero on x86_64).
    pub lr: u64,
}

/// How the thread was stopped, which decides what detach must hand back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// Our `PTRACE_INTERRUPT` stop.
    Interrupted,
    /// A signal was being delivered; it was re-injected at detach.
    SignalReinjected(i32),
    /// Someone else had stopped the process (job control); it was left stopped.
    GroupStopped(i32),
}

/// One thread's registers and stack bytes, copied while it was stopped.
#[derive(Debug, Clone)]
pub struct RawThread {
    pub tid: i32,
    pub regs: Regs,
    /// Bytes starting at `regs.sp`.
    pub stack: Vec<u8>,
    /// From `PTRACE_INTERRUPT` to the return of `PTRACE_DETACH`.
    pub stop_time: Duration,
    pub stop_kind: StopKind,
}

/// What happened to one requested thread.
#[derive(Debug, Clone)]
pub enum ThreadOutcome {
    Captured(RawThread),
    /// The thread exited before or during the capture.
    Gone,
    /// In uninterruptible sleep: stopping it would wait for the kernel, so it was not touched.
    SkippedUninterruptible {
        wchan: Option<String>,
    },
    /// It did not reach the stop within the deadline; it was released untouched.
    TimedOut,
    /// ptrace or the memory read failed for this thread alone.
    Failed(String),
}

/// One round of captures.
#[derive(Debug, Clone)]
pub struct Job {
    pub pid: i32,
    pub tids: Vec<i32>,
    /// Upper bound of the stack copy, from the stack pointer up.
    pub stack_bytes: usize,
    /// How long to wait for one thread to stop.
    pub stop_deadline: Duration,
}

/// Messages from the tracer thread for one job, ending with `Done` or `Fatal`.
#[derive(Debug)]
pub enum Event {
    Thread {
        tid: i32,
        outcome: ThreadOutcome,
    },
    /// `abandoned`: a tracee never stopped and the tracer thread is exiting so that the kernel
    /// releases it; call [`Tracer::finish`] before checking the target's state.
    Done {
        abandoned: bool,
    },
    /// The whole job is impossible (permission): later threads were not touched.
    Fatal(StacksError),
}

struct Request {
    job: Job,
    reply: SyncSender<Event>,
}

/// Handle to the dedicated tracer thread. Dropping it ends the thread.
pub struct Tracer {
    requests: Option<Sender<Request>>,
    handle: Option<JoinHandle<()>>,
}

/// How many captured threads may wait in the channel: bounds the stack copies held at once.
const REPLY_QUEUE: usize = 32;

impl Tracer {
    pub fn spawn() -> Result<Tracer, StacksError> {
        let (tx, rx) = mpsc::channel::<Request>();
        let handle = std::thread::Builder::new()
            .name("healthtop-tracer".to_string())
            .spawn(move || tracer_main(rx))
            .map_err(|e| StacksError::Tracer(format!("cannot start: {e}")))?;
        Ok(Tracer {
            requests: Some(tx),
            handle: Some(handle),
        })
    }

    /// Starts a job; events arrive on the returned receiver. Restarts the tracer thread if it
    /// ended (it ends itself after a round that left a tracee it could not detach).
    pub fn submit(&mut self, job: Job) -> Result<Receiver<Event>, StacksError> {
        if self.handle.as_ref().is_none_or(|h| h.is_finished()) {
            self.shutdown();
            *self = Tracer::spawn()?;
        }
        let (reply, events) = mpsc::sync_channel(REPLY_QUEUE);
        self.requests
            .as_ref()
            .ok_or_else(|| StacksError::Tracer("not running".to_string()))?
            .send(Request { job, reply })
            .map_err(|_| StacksError::Tracer("exited".to_string()))?;
        Ok(events)
    }

    /// Waits until the tracer thread, which exits after abandoning a tracee, is gone (the
    /// kernel has then released the tracee). The next `submit` starts a new one.
    pub fn finish(&mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.requests = None;
        if let Some(handle) = self.handle.take() {
            // A panic in the tracer thread has already detached through the guards.
            let _ = handle.join();
        }
    }
}

impl Drop for Tracer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn tracer_main(requests: Receiver<Request>) {
    // Short sleeps in `pause` must be short: the default slack is 50 µs.
    let _ = nix::sys::prctl::set_timerslack(1000);
    let mut buffer = Vec::new();
    while let Ok(Request { job, reply }) = requests.recv() {
        let abandoned = run_job(&job, &reply, &mut buffer);
        let _ = reply.send(Event::Done { abandoned });
        if abandoned {
            // Exiting the tracer thread makes the kernel detach the tracee we could not.
            return;
        }
    }
}

/// Runs one job; true when a tracee had to be abandoned to the kernel.
fn run_job(job: &Job, reply: &SyncSender<Event>, buffer: &mut Vec<u8>) -> bool {
    buffer.resize(job.stack_bytes, 0);
    let mut abandoned = false;
    for &tid in &job.tids {
        match capture_thread(job, tid, buffer, &mut abandoned) {
            Ok(outcome) => {
                if reply.send(Event::Thread { tid, outcome }).is_err() {
                    break;
                }
            }
            Err(fatal) => {
                let _ = reply.send(Event::Fatal(fatal));
                break;
            }
        }
    }
    abandoned
}

/// A seized thread. Dropping it detaches, whatever path led there.
struct Seized<'a> {
    tid: i32,
    /// `Some(signal)` once the thread is in a ptrace-stop; the signal to re-inject (0 = none).
    stopped: Option<i32>,
    gone: bool,
    abandoned: &'a mut bool,
}

/// How long a thread that missed its deadline is still polled before it is left to the kernel.
const GRACE: Duration = Duration::from_millis(200);

impl Seized<'_> {
    fn detach(&mut self) -> Result<(), Errno> {
        if self.gone {
            return Ok(());
        }
        let result = match self.stopped {
            Some(signal) => sys::detach(self.tid, signal),
            None => {
                // Seized but never seen stopped: the interrupt is pending. Wait for the stop
                // (it comes as soon as the thread leaves the kernel), then detach.
                let start = Instant::now();
                loop {
                    match sys::wait_nohang(self.tid) {
                        Ok(WaitOutcome::Running) if start.elapsed() < GRACE => pause(start),
                        Ok(WaitOutcome::Running) => {
                            *self.abandoned = true;
                            break Ok(());
                        }
                        Ok(WaitOutcome::Gone) | Err(Errno::ECHILD) => break Ok(()),
                        Ok(WaitOutcome::SignalStop { signal }) => {
                            break sys::detach(self.tid, signal)
                        }
                        Ok(_) => break sys::detach(self.tid, 0),
                        Err(e) => break Err(e),
                    }
                }
            }
        };
        self.gone = true;
        match result {
            // ESRCH: the thread died while stopped (SIGKILL wakes tracees).
            Err(Errno::ESRCH) => Ok(()),
            other => other,
        }
    }
}

impl Drop for Seized<'_> {
    fn drop(&mut self) {
        let _ = self.detach();
    }
}

/// Spin briefly, then sleep in short steps: a stop usually takes microseconds, and every
/// microsecond between the stop and our noticing it is stop time for the target. Not
/// `sched_yield`: on a busy machine it hands the CPU to other tasks for their whole slice
/// (milliseconds of stop time for a running thread, measured). Sleeping (with a tight timer
/// slack, set in `tracer_main`) gives up the CPU to the target thread when both share one.
fn pause(start: Instant) {
    if start.elapsed() < Duration::from_micros(50) {
        std::hint::spin_loop();
    } else {
        std::thread::sleep(Duration::from_micros(10));
    }
}

fn capture_thread(
    job: &Job,
    tid: i32,
    buffer: &mut [u8],
    abandoned: &mut bool,
) -> Result<ThreadOutcome, StacksError> {
    let dir = ProcessDir::live(job.pid);
    let Some(stat) = procfs::thread_stat(&dir, tid) else {
        return Ok(ThreadOutcome::Gone);
    };
    match stat.state {
        'D' => {
            return Ok(ThreadOutcome::SkippedUninterruptible {
                wchan: procfs::thread_wchan(&dir, tid),
            })
        }
        'Z' | 'X' | 'x' => return Ok(ThreadOutcome::Gone),
        _ => {}
    }
    match ptrace::seize(Pid::from_raw(tid), ptrace::Options::empty()) {
        Ok(()) => {}
        Err(Errno::ESRCH) => return Ok(ThreadOutcome::Gone),
        Err(Errno::EPERM) => {
            // An exiting thread answers EPERM too.
            return match procfs::thread_stat(&dir, tid) {
                None => Ok(ThreadOutcome::Gone),
                Some(s) if matches!(s.state, 'Z' | 'X' | 'x') => Ok(ThreadOutcome::Gone),
                Some(_) => Err(StacksError::PermissionDenied {
                    pid: job.pid,
                    reason: procfs::explain_eperm(&dir),
                }),
            };
        }
        Err(errno) => {
            return Ok(ThreadOutcome::Failed(format!("PTRACE_SEIZE: {errno}")));
        }
    }
    let mut seized = Seized {
        tid,
        stopped: None,
        gone: false,
        abandoned,
    };
    let start = Instant::now();
    match ptrace::interrupt(Pid::from_raw(tid)) {
        Ok(()) => {}
        Err(Errno::ESRCH) => {
            seized.gone = true;
            return Ok(ThreadOutcome::Gone);
        }
        Err(errno) => return Ok(ThreadOutcome::Failed(format!("PTRACE_INTERRUPT: {errno}"))),
    }
    let stop_kind = loop {
        match sys::wait_nohang(tid) {
            Ok(WaitOutcome::Running) => {
                if start.elapsed() > job.stop_deadline {
                    // Drop detaches once it stops, or leaves it to the kernel.
                    return Ok(ThreadOutcome::TimedOut);
                }
                pause(start);
            }
            Ok(WaitOutcome::EventStop { signal }) => {
                seized.stopped = Some(0);
                break if signal == libc::SIGTRAP {
                    StopKind::Interrupted
                } else {
                    StopKind::GroupStopped(signal)
                };
            }
            Ok(WaitOutcome::OtherEvent { .. }) => {
                seized.stopped = Some(0);
                break StopKind::Interrupted;
            }
            Ok(WaitOutcome::SignalStop { signal }) => {
                // Registers are valid here too; detaching delivers the signal and cancels our
                // pending interrupt.
                seized.stopped = Some(signal);
                break StopKind::SignalReinjected(signal);
            }
            Ok(WaitOutcome::Gone) | Err(Errno::ECHILD) => {
                seized.gone = true;
                return Ok(ThreadOutcome::Gone);
            }
            Err(Errno::EINTR) => {}
            Err(errno) => return Ok(ThreadOutcome::Failed(format!("waitpid: {errno}"))),
        }
    };
    let regs = match read_regs(tid) {
        Ok(regs) => regs,
        Err(Errno::ESRCH) => {
            let _ = seized.detach();
            return Ok(ThreadOutcome::Gone);
        }
        Err(errno) => return Ok(ThreadOutcome::Failed(format!("PTRACE_GETREGS: {errno}"))),
    };
    let copied = read_stack(tid, regs.sp, buffer);
    let detached = seized.detach();
    let stop_time = start.elapsed();
    drop(seized);
    if let Err(errno) = detached {
        return Err(StacksError::Ptrace {
            op: "DETACH",
            tid,
            errno,
        });
    }
    let stack = match copied {
        Ok(n) => buffer[..n].to_vec(),
        Err(errno) => return Ok(ThreadOutcome::Failed(format!("process_vm_readv: {errno}"))),
    };
    Ok(ThreadOutcome::Captured(RawThread {
        tid,
        regs,
        stack,
        stop_time,
        stop_kind,
    }))
}

/// Copies up to `buffer.len()` bytes from `sp` up; a short copy ends at the first unmapped
/// page (the top of the stack mapping).
fn read_stack(tid: i32, sp: u64, buffer: &mut [u8]) -> Result<usize, Errno> {
    if sp == 0 || buffer.is_empty() {
        return Ok(0);
    }
    let mut total = 0;
    while total < buffer.len() {
        let remote = [RemoteIoVec {
            base: (sp as usize).saturating_add(total),
            len: buffer.len() - total,
        }];
        let mut local = [IoSliceMut::new(&mut buffer[total..])];
        match process_vm_readv(Pid::from_raw(tid), &mut local, &remote) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(Errno::EFAULT) if total > 0 => break,
            Err(Errno::EFAULT) => {
                // The first page is readable (sp is in it) but the range crosses unmapped
                // memory: fall back to copying what is before the next page boundary.
                let len = (4096 - (sp as usize % 4096)).min(buffer.len());
                let remote = [RemoteIoVec {
                    base: sp as usize,
                    len,
                }];
                let mut local = [IoSliceMut::new(&mut buffer[..len])];
                return process_vm_readv(Pid::from_raw(tid), &mut local, &remote);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

#[cfg(target_arch = "x86_64")]
fn read_regs(tid: i32) -> Result<Regs, Errno> {
    let regs = ptrace::getregs(Pid::from_raw(tid))?;
    Ok(Regs {
        pc: regs.rip,
        sp: regs.rsp,
        fp: regs.rbp,
        lr: 0,
    })
}

#[cfg(target_arch = "aarch64")]
fn read_regs(tid: i32) -> Result<Regs, Errno> {
    let regs = ptrace::getregset::<ptrace::regset::NT_PRSTATUS>(Pid::from_raw(tid))?;
    Ok(Regs {
        pc: regs.pc,
        sp: regs.sp,
        fp: regs.regs[29],
        lr: regs.regs[30],
    })
}
