//! Native thread stacks of another process, without harming it: capture (ptrace on one
//! dedicated tracer thread, one thread stopped at a time, registers + a bounded stack copy,
//! immediate detach), then unwinding and symbolization while the target runs, then folded
//! stacks and flame graphs.
//!
//! Entry points: [`capture_all`] for one capture; [`Stacker`] for repeated captures of one
//! process (the TUI and `record`), which keeps modules, symbols and the tracer thread between
//! captures and does not stop threads that have not run since the last capture.
//!
//! Its only `unsafe` is the raw ptrace/wait calls in `sys`. Reads the process through
//! `collect::ProcessDir`. May import: `collect`, `parse`, `decode`, `sample`, `exit`,
//! `safe_file`.

pub mod error;
pub mod flamegraph;
pub mod folded;
pub mod gopclntab;
pub mod modules;
pub mod perfmap;
pub mod procfs;
pub mod signals;
pub mod symbols;
mod sys;
pub mod tracer;
pub mod unwind;

pub use error::StacksError;

use crate::collect::ProcessDir;
use modules::{AddressSpace, ModuleCache};
use perfmap::PerfMap;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;
use symbols::Symbolizer;
use tracer::{Event, Job, StopKind, ThreadOutcome, Tracer};
use unwind::StackUnwinder;

/// How to capture.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    /// Bytes of stack copied from the stack pointer up (a deeper stack is truncated).
    pub stack_bytes: usize,
    /// Deepest stack reported.
    pub max_frames: usize,
    /// How long one thread may take to reach the stop before it is released untouched.
    pub stop_deadline: Duration,
    /// Reuse the previous stack of threads whose CPU time has not changed (for sampling).
    pub skip_idle: bool,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            stack_bytes: 256 * 1024,
            max_frames: 256,
            stop_deadline: Duration::from_millis(250),
            skip_idle: false,
        }
    }
}

/// One frame of a thread's stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// The PC (innermost frame) or return address.
    pub address: u64,
    /// Demangled function name; `module+0xoffset` when no symbol covers the address; in
    /// anonymous executable memory the perf map's name, else `[jit]`; `None` outside any
    /// mapping of code (garbage).
    pub function: Option<String>,
    /// Path of the module as the target maps it.
    pub module: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    /// Inlined into the next (outer) frame, at the same address.
    pub inlined: bool,
}

/// What happened to a thread in this capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThreadState {
    /// Stopped, copied and released.
    Captured {
        stop_time: Duration,
        /// Someone else had stopped the process with this signal; it was left stopped.
        group_stopped_by: Option<i32>,
    },
    /// Not stopped: it has not run since the last capture, so its stack is the same.
    Reused,
    /// In uninterruptible sleep; not stopped.
    Uninterruptible {
        wchan: Option<String>,
    },
    /// Exited during the capture.
    Gone,
    /// Did not stop within the deadline; released untouched.
    TimedOut,
    Failed(String),
}

/// One thread's stack, innermost frame first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadStack {
    pub tid: i32,
    pub name: String,
    pub frames: Vec<Frame>,
    /// The unwinder stopped before the outermost frame.
    pub truncated: bool,
    pub state: ThreadState,
}

/// The result of one capture of every thread.
#[derive(Debug, Clone, Default)]
pub struct Capture {
    pub pid: i32,
    /// Threads in tid order, including those that could not be captured (see `state`).
    pub threads: Vec<ThreadStack>,
    /// How long each stopped thread was stopped (only threads stopped in this capture).
    pub stop_times: Vec<Duration>,
    /// Things the user should know: skipped threads, unreadable modules, signals re-injected.
    pub notes: Vec<String>,
    /// Signals that arrived while a thread was stopped, as (tid, signal); each was re-injected.
    pub reinjected: Vec<(i32, i32)>,
    /// Threads found in t/T after the capture that were not stopped before it. Always empty
    /// unless something is badly wrong; commands fail loudly when it is not.
    pub left_stopped: Vec<i32>,
    /// CPU time (user + system) each thread used since the previous capture read it: the
    /// weight of its stack in an on-CPU flame graph (or since
    /// [`Stacker::restart_cpu_accounting`]). A thread with no earlier reading has no entry.
    pub cpu_used: HashMap<i32, Duration>,
}

/// Share of each thread's time it may spend stopped by repeated captures (1%).
pub const STOP_BUDGET: f64 = 0.01;
/// Share of wall time one capture round may take, so rounds do not run back to back (the
/// round costs healthtop's CPU and reads every thread's /proc files).
pub const ROUND_BUDGET: f64 = 0.25;

/// The shortest interval between captures that keeps each thread stopped at most
/// [`STOP_BUDGET`] of the time (from the median stop) and a round at most [`ROUND_BUDGET`] of
/// the interval; never shorter than `fastest`.
pub fn sustainable_interval(median_stop: Duration, round: Duration, fastest: Duration) -> Duration {
    let by_stop = median_stop.as_secs_f64() / STOP_BUDGET;
    let by_round = round.as_secs_f64() / ROUND_BUDGET;
    Duration::from_secs_f64(by_stop.max(by_round)).max(fastest)
}

/// Captures every thread of `pid` once.
pub fn capture_all(pid: i32, options: &CaptureOptions) -> Result<Capture, StacksError> {
    Stacker::new(pid)?.capture(options)
}

/// CPU time of a thread: `utime + stime` in ticks, and run nanoseconds from schedstat.
type CpuTime = (u64, Option<u64>);

/// CPU time used between two readings: from schedstat's nanoseconds when both have them,
/// else from the clock ticks of `stat`.
fn cpu_between(earlier: CpuTime, later: CpuTime) -> Duration {
    match (earlier.1, later.1) {
        (Some(before), Some(after)) => Duration::from_nanos(after.saturating_sub(before)),
        _ => {
            let ticks_per_sec = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
                .ok()
                .flatten()
                .and_then(|t| u64::try_from(t).ok())
                .filter(|&t| t > 0)
                .unwrap_or(100);
            let ticks = later.0.saturating_sub(earlier.0);
            Duration::from_nanos(ticks.saturating_mul(1_000_000_000 / ticks_per_sec))
        }
    }
}

struct Previous {
    cpu: CpuTime,
    stack: ThreadStack,
}

/// Repeated captures of one process: keeps the tracer thread, the modules, the symbol caches
/// and each thread's last stack.
pub struct Stacker {
    pid: i32,
    /// Where its `/proc` files are read.
    dir: ProcessDir,
    /// Identity of the process with `pid` (a PID can be reused after it exits).
    start_time: u64,
    tracer: Tracer,
    modules: ModuleCache,
    space: Option<(AddressSpace, StackUnwinder)>,
    symbolizer: Symbolizer,
    previous: HashMap<i32, Previous>,
    /// Each thread's CPU time as of the previous capture, the baseline of `cpu_used`.
    cpu_base: HashMap<i32, CpuTime>,
    /// The target's perf map and the (size, mtime) it was read at; read again when it changes.
    perf_map: Option<(PerfMap, (u64, i64))>,
}

/// The name of a frame in anonymous executable memory that no perf map names.
pub const JIT_FRAME: &str = "[jit]";

impl Stacker {
    /// Checks that `pid` can have user stacks and starts the tracer thread.
    pub fn new(pid: i32) -> Result<Stacker, StacksError> {
        let dir = ProcessDir::live(pid);
        let stat = procfs::check_target(&dir)?;
        Ok(Stacker {
            pid,
            dir,
            start_time: stat.start_time,
            tracer: Tracer::spawn()?,
            modules: ModuleCache::default(),
            space: None,
            symbolizer: Symbolizer::new(),
            previous: HashMap::new(),
            cpu_base: HashMap::new(),
            perf_map: None,
        })
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Takes every thread's CPU time now as the baseline of the next capture's `cpu_used`:
    /// at the start of a recording (so its first capture weighs too), and after a pause in
    /// sampling (so the CPU used while nobody looked is weighed onto no stack). Reads `/proc`
    /// only; stops nothing.
    pub fn restart_cpu_accounting(&mut self) {
        self.cpu_base.clear();
        let Ok(tids) = procfs::thread_ids(&self.dir) else {
            return;
        };
        for tid in tids {
            if let Some(stat) = procfs::thread_stat(&self.dir, tid) {
                let cpu = (
                    stat.utime + stat.stime,
                    procfs::thread_run_ns(&self.dir, tid),
                );
                self.cpu_base.insert(tid, cpu);
            }
        }
    }

    /// Captures every thread once (rolling: one thread stopped at a time).
    pub fn capture(&mut self, options: &CaptureOptions) -> Result<Capture, StacksError> {
        let pid = self.pid;
        if procfs::check_target(&self.dir)?.start_time != self.start_time {
            // The process exited and another one got its PID.
            return Err(StacksError::NoSuchProcess { pid });
        }
        let mut capture = Capture {
            pid,
            ..Capture::default()
        };
        let tids = procfs::thread_ids(&self.dir)?;
        let mut before: HashMap<i32, (String, char, CpuTime)> = HashMap::new();
        let mut to_stop = Vec::new();
        let mut reused = std::collections::HashSet::new();
        for &tid in &tids {
            let Some(stat) = procfs::thread_stat(&self.dir, tid) else {
                continue;
            };
            let cpu = (
                stat.utime + stat.stime,
                procfs::thread_run_ns(&self.dir, tid),
            );
            let idle = options.skip_idle
                && stat.state != 'R'
                && self.previous.get(&tid).is_some_and(|p| p.cpu == cpu);
            if idle {
                reused.insert(tid);
            } else {
                to_stop.push(tid);
            }
            before.insert(tid, (stat.comm, stat.state, cpu));
        }
        if self.space.is_none() {
            self.reload_space(&mut capture)?;
        }
        if self.space.as_ref().is_some_and(|(s, _)| !s.jit.is_empty()) {
            self.refresh_perf_map(&mut capture);
        }
        let events = self.tracer.submit(Job {
            pid,
            tids: to_stop,
            stack_bytes: options.stack_bytes,
            stop_deadline: options.stop_deadline,
        })?;
        let mut stacks: HashMap<i32, ThreadStack> = HashMap::new();
        let mut fatal = None;
        let mut done = false;
        for event in events {
            match event {
                Event::Thread { tid, outcome } => {
                    let name = before.get(&tid).map(|b| b.0.clone()).unwrap_or_default();
                    let stack = self.finish_thread(tid, name, outcome, options, &mut capture)?;
                    stacks.insert(tid, stack);
                }
                Event::Done { abandoned } => {
                    if abandoned {
                        self.tracer.finish();
                    }
                    done = true;
                    break;
                }
                Event::Fatal(error) => {
                    fatal = Some(error);
                }
            }
        }
        if let Some(error) = fatal {
            return Err(error);
        }
        if !done {
            // The tracer thread died (a panic); its guards detached what it held.
            self.tracer.finish();
            return Err(StacksError::Tracer("ended during the capture".to_string()));
        }
        for &tid in &reused {
            if let Some(previous) = self.previous.get(&tid) {
                let mut stack = previous.stack.clone();
                stack.state = ThreadState::Reused;
                stacks.insert(tid, stack);
            }
        }
        // Verify: nothing we touched may be left stopped. The CPU times read here (after our
        // own stop woke each thread briefly) are the baseline of the next idle check.
        let mut cpu_after: HashMap<i32, CpuTime> = HashMap::new();
        for (&tid, (_, state_before, _)) in &before {
            if reused.contains(&tid) {
                // Not touched in this capture.
                continue;
            }
            if let Some(after) = procfs::thread_stat(&self.dir, tid) {
                if matches!(after.state, 't' | 'T') && !matches!(state_before, 't' | 'T') {
                    // We only ever cause ptrace-stops (`t`) while a thread is ours; a `T`
                    // (job control) or a `t` under another tracer came from someone else.
                    let tracer = procfs::thread_tracer_pid(&self.dir, tid);
                    let ours = tracer == Some(std::process::id() as i32);
                    if ours || (after.state == 't' && tracer == Some(0)) {
                        capture.left_stopped.push(tid);
                    } else {
                        capture.notes.push(format!(
                            "thread {tid} was stopped by someone else during the capture (state {})",
                            after.state
                        ));
                    }
                }
                // A thread still running back into its sleep has not settled: no baseline, so
                // it is stopped again next time rather than trusted as idle.
                if after.state != 'R' {
                    cpu_after.insert(
                        tid,
                        (
                            after.utime + after.stime,
                            procfs::thread_run_ns(&self.dir, tid),
                        ),
                    );
                }
            }
        }
        capture.left_stopped.sort_unstable();
        // CPU used since the previous capture. The baseline is the reading after our own stop
        // when the thread had settled (so the wake-up our stop caused is not counted), else
        // the reading before it.
        let mut cpu_base = HashMap::new();
        for (&tid, &(_, _, cpu)) in &before {
            if let Some(&base) = self.cpu_base.get(&tid) {
                capture.cpu_used.insert(tid, cpu_between(base, cpu));
            }
            cpu_base.insert(tid, cpu_after.get(&tid).copied().unwrap_or(cpu));
        }
        self.cpu_base = cpu_base;
        let mut threads: Vec<ThreadStack> = stacks.into_values().collect();
        threads.sort_by_key(|t| t.tid);
        self.previous.retain(|tid, _| before.contains_key(tid));
        for stack in &threads {
            if let (ThreadState::Captured { .. }, Some(&cpu)) =
                (&stack.state, cpu_after.get(&stack.tid))
            {
                self.previous.insert(
                    stack.tid,
                    Previous {
                        cpu,
                        stack: stack.clone(),
                    },
                );
            }
        }
        capture.threads = threads;
        Ok(capture)
    }

    /// Reads the target's perf map when it appeared or changed since the last read.
    fn refresh_perf_map(&mut self, capture: &mut Capture) {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::symlink_metadata(PerfMap::path(self.pid)) else {
            return;
        };
        let stamp = (meta.len(), meta.mtime_nsec() + meta.mtime() * 1_000_000_000);
        if self.perf_map.as_ref().is_some_and(|(_, s)| *s == stamp) {
            return;
        }
        match PerfMap::load(self.pid) {
            Ok(Some(map)) => {
                if map.truncated {
                    capture.notes.push(format!(
                        "perf map cut at {} MiB or {} entries: later JIT code is unnamed",
                        perfmap::MAX_BYTES >> 20,
                        perfmap::MAX_ENTRIES
                    ));
                }
                self.perf_map = Some((map, stamp));
            }
            Ok(None) => self.perf_map = None,
            Err(why) => {
                capture.notes.push(format!("perf map not read: {why}"));
                self.perf_map = None;
            }
        }
    }

    fn reload_space(&mut self, capture: &mut Capture) -> Result<(), StacksError> {
        let space = AddressSpace::load(self.pid, &mut self.modules)?;
        for why in &space.unreadable {
            capture.notes.push(format!("module not readable: {why}"));
        }
        let unwinder = StackUnwinder::new(&space);
        self.space = Some((space, unwinder));
        Ok(())
    }

    fn finish_thread(
        &mut self,
        tid: i32,
        name: String,
        outcome: ThreadOutcome,
        options: &CaptureOptions,
        capture: &mut Capture,
    ) -> Result<ThreadStack, StacksError> {
        let mut stack = ThreadStack {
            tid,
            name,
            frames: Vec::new(),
            truncated: false,
            state: ThreadState::Gone,
        };
        let raw = match outcome {
            ThreadOutcome::Captured(raw) => raw,
            ThreadOutcome::Gone => return Ok(stack),
            ThreadOutcome::SkippedUninterruptible { wchan } => {
                capture.notes.push(format!(
                    "thread {tid} is in uninterruptible sleep (D, in {}): not stopped",
                    wchan.as_deref().unwrap_or("the kernel")
                ));
                stack.state = ThreadState::Uninterruptible { wchan };
                return Ok(stack);
            }
            ThreadOutcome::TimedOut => {
                capture.notes.push(format!(
                    "thread {tid} did not stop within {:?}: released",
                    options.stop_deadline
                ));
                stack.state = ThreadState::TimedOut;
                return Ok(stack);
            }
            ThreadOutcome::Failed(why) => {
                capture.notes.push(format!("thread {tid}: {why}"));
                stack.state = ThreadState::Failed(why);
                return Ok(stack);
            }
        };
        capture.stop_times.push(raw.stop_time);
        let group_stopped_by = match raw.stop_kind {
            StopKind::GroupStopped(signal) => {
                capture.notes.push(format!(
                    "thread {tid} was stopped by someone else (signal {signal}); left stopped"
                ));
                Some(signal)
            }
            StopKind::SignalReinjected(signal) => {
                capture.notes.push(format!(
                    "thread {tid} was receiving signal {signal}; re-injected"
                ));
                capture.reinjected.push((tid, signal));
                None
            }
            StopKind::Interrupted => None,
        };
        stack.state = ThreadState::Captured {
            stop_time: raw.stop_time,
            group_stopped_by,
        };
        let known = |space: &Option<(AddressSpace, StackUnwinder)>| {
            space
                .as_ref()
                .is_some_and(|(s, _)| s.find(raw.regs.pc).is_some())
        };
        if !known(&self.space) {
            // A library loaded since the maps were read (dlopen): read them again.
            self.reload_space(capture)?;
        }
        let Some((space, unwinder)) = self.space.as_mut() else {
            return Ok(stack);
        };
        let mut unwound = unwinder.unwind(&raw, options.max_frames);
        fix_go_leaf(space, &raw, &mut unwound);
        end_at_go_top_frame(space, &mut unwound);
        stack.truncated = unwound.truncated;
        for addr in unwound.frames {
            let Some(mapped) = space.find(addr.lookup) else {
                // JIT code: named from the perf map, else marked, never dropped.
                let function = space.is_jit(addr.lookup).then(|| {
                    self.perf_map
                        .as_ref()
                        .and_then(|(map, _)| map.lookup(addr.lookup))
                        .unwrap_or(JIT_FRAME)
                        .to_string()
                });
                stack.frames.push(Frame {
                    address: addr.address,
                    function,
                    module: None,
                    file: None,
                    line: None,
                    inlined: false,
                });
                continue;
            };
            let module = Some(mapped.data.name.clone());
            let symbols = self.symbolizer.symbolize(mapped, addr.lookup);
            if symbols.is_empty() {
                stack.frames.push(Frame {
                    address: addr.address,
                    function: Some(format!(
                        "{}+{:#x}",
                        mapped.data.short_name(),
                        addr.lookup.wrapping_sub(mapped.bias)
                    )),
                    module,
                    file: None,
                    line: None,
                    inlined: false,
                });
                continue;
            }
            for symbol in symbols.iter() {
                stack.frames.push(Frame {
                    address: addr.address,
                    function: symbol.function.clone(),
                    module: module.clone(),
                    file: symbol.file.clone(),
                    line: symbol.line,
                    inlined: symbol.inlined,
                });
            }
        }
        Ok(stack)
    }
}

/// Go assembly leaves (`runtime.futex`, syscall stubs) and function prologues have not set up
/// the frame pointer, so a frame-pointer walk from them skips their caller. The caller's
/// return address sits at `sp + pcsp(pc)`: insert it when the walk missed it.
fn fix_go_leaf(space: &AddressSpace, raw: &tracer::RawThread, unwound: &mut unwind::Unwound) {
    let Some(leaf) = unwound.frames.first() else {
        return;
    };
    let Some(mapped) = space.find(leaf.address) else {
        return;
    };
    let Some(table) = &mapped.data.go_table else {
        return;
    };
    let Some(delta) = table.sp_delta_at(leaf.address.wrapping_sub(mapped.bias)) else {
        return;
    };
    let Some(offset) = usize::try_from(delta).ok() else {
        return;
    };
    let Some(bytes) = raw.stack.get(offset..offset + 8) else {
        return;
    };
    let Ok(word) = <[u8; 8]>::try_from(bytes) else {
        return;
    };
    let ret = u64::from_le_bytes(word);
    if space.find(ret).is_none() || unwound.frames.get(1).is_some_and(|f| f.address == ret) {
        return;
    }
    unwound.frames.insert(
        1,
        unwind::FrameAddr {
            address: ret,
            lookup: ret - 1,
        },
    );
}

/// Go stacks end at a top frame (`runtime.goexit` for goroutines, `runtime.mstart` for the
/// scheduler stack of a thread); the frame pointer above it is whatever `clone` left there.
/// A thread's stack also ends where it switched stacks (`runtime.mcall` of an idle thread in
/// the scheduler, `systemstack`): the caller's frame lies on a goroutine's stack, which belongs
/// to a parked goroutine or was not copied. This is where Go's own traceback stops too.
fn end_at_go_top_frame(space: &AddressSpace, unwound: &mut unwind::Unwound) {
    let top = unwound.frames.iter().position(|frame| {
        space.find(frame.lookup).is_some_and(|mapped| {
            mapped.data.go_table.as_ref().is_some_and(|table| {
                let svma = frame.lookup.wrapping_sub(mapped.bias);
                table.is_top_frame(svma) || table.switches_stack(svma)
            })
        })
    });
    if let Some(index) = top {
        unwound.frames.truncate(index + 1);
        unwound.truncated = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_between_prefers_nanoseconds_then_ticks() {
        assert_eq!(
            cpu_between((10, Some(1_000)), (12, Some(501_000))),
            Duration::from_micros(500)
        );
        let ticks = cpu_between((10, None), (12, Some(7)));
        assert!(ticks >= Duration::from_millis(2), "{ticks:?}");
        assert_eq!(cpu_between((12, Some(9)), (10, Some(5))), Duration::ZERO);
    }

    /// The TUI runs captures on a thread of its own: the session must move there.
    #[test]
    fn stacker_and_capture_are_send() {
        fn assert_send<T: Send>() {}
        assert_send::<Stacker>();
        assert_send::<Capture>();
    }
}
