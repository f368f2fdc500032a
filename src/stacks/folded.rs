//! Folded stacks (`root;…;leaf COUNT`, the input of flamegraph.pl and inferno): the shared
//! aggregate of `record`, the SVG writer and the TUI's flame view. A [`Recording`] keeps every
//! thread's stacks with both weights (captures and CPU time), so one recording folds into the
//! on-CPU or the wall-clock graph, merged or with a root frame per thread pool.
//!
//! Every stack held here is display-safe (no control, bidi or non-UTF-8 character; see
//! `safe_text`), so the `.folded` file, the SVG and the TUI can show it as it is: names from the
//! target are escaped as they come in, and so is any folded text read from elsewhere.
//!
//! May import: `stacks` (the `ThreadStack` and `Capture` types only), `safe_text`.

use super::{Capture, Frame, ThreadStack};
use crate::safe_text;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// What a flame graph's widths weigh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlameMode {
    /// Each thread's stack weighs the CPU time the thread used since the previous capture:
    /// a thread that did not run adds nothing.
    #[default]
    Cpu,
    /// Every thread counts once at every capture, running or not: where threads wait.
    Wall,
}

impl FlameMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FlameMode::Cpu => "cpu",
            FlameMode::Wall => "wall",
        }
    }

    pub fn toggled(self) -> FlameMode {
        match self {
            FlameMode::Cpu => FlameMode::Wall,
            FlameMode::Wall => FlameMode::Cpu,
        }
    }

    /// What one count of a stack folded in this mode is.
    pub fn unit(self) -> CountUnit {
        match self {
            FlameMode::Cpu => CountUnit::CpuMicros,
            FlameMode::Wall => CountUnit::Samples,
        }
    }

    /// The mode and what it shows, short enough for a title.
    pub fn label(self) -> &'static str {
        match self {
            FlameMode::Cpu => "cpu: on-CPU time",
            FlameMode::Wall => "wall: every thread, waiting too",
        }
    }

    /// What the widths mean, in full.
    pub fn meaning(self) -> &'static str {
        match self {
            FlameMode::Cpu => "on-CPU time since each previous capture",
            FlameMode::Wall => "every thread at every capture, running or waiting",
        }
    }
}

/// The unit of the counts of a [`FoldedStacks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CountUnit {
    /// Thread stacks seen at a capture.
    #[default]
    Samples,
    /// Microseconds of CPU time.
    CpuMicros,
}

impl CountUnit {
    /// How the SVG names a count.
    pub fn name(self) -> &'static str {
        match self {
            CountUnit::Samples => "samples",
            CountUnit::CpuMicros => "µs on CPU",
        }
    }
}

/// Counts per distinct stack, root first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoldedStacks {
    counts: BTreeMap<String, u64>,
    unit: CountUnit,
}

/// The pool a thread belongs to: its name with every run of digits replaced by `N`
/// (`http-worker-17` → `http-worker-N`), so a numbered pool is one root frame.
pub fn pool_name(thread_name: &str) -> String {
    let mut pool = String::with_capacity(thread_name.len());
    let mut in_digits = false;
    for c in thread_name.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                pool.push('N');
            }
            in_digits = true;
        } else {
            pool.push(c);
            in_digits = false;
        }
    }
    safe_text::folded_frame(&pool)
}

/// A thread's stack as folded frames without a root: `[truncated]` first when the unwinder
/// stopped early, then its frames from outermost to innermost. `None` when it has no frames.
fn stack_line(thread: &ThreadStack) -> Option<String> {
    if thread.frames.is_empty() {
        return None;
    }
    let mut line = String::new();
    if thread.truncated {
        line.push_str("[truncated]");
    }
    for frame in thread.frames.iter().rev() {
        if !line.is_empty() {
            line.push(';');
        }
        line.push_str(&frame_label(frame));
    }
    Some(line)
}

/// Both weights of one stack of one thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Weights {
    /// Captures that saw this stack.
    pub samples: u64,
    /// CPU time the thread used in the intervals that ended with this stack, in µs.
    pub cpu_micros: u64,
}

/// One thread's part of a [`Recording`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadSamples {
    /// The newest name the thread had.
    pub name: String,
    /// Stacks without a root frame (see `stack_line`), with their weights.
    pub stacks: BTreeMap<String, Weights>,
    /// CPU time used while it was sampled.
    pub cpu: Duration,
    /// Captures that saw a stack of it.
    pub samples: u64,
}

/// Which part of a recording to fold, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FoldView {
    pub mode: FlameMode,
    /// A root frame per thread pool ([`pool_name`]); merged otherwise.
    pub per_thread: bool,
    /// Only this thread (tid).
    pub thread: Option<i32>,
}

/// Every thread's stacks over a run of captures, weighed both ways. Threads that exited are
/// merged into their pool ([`pool_name`]), so a process that keeps creating short-lived
/// threads does not grow the recording by one entry per thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recording {
    /// Live threads by tid.
    threads: BTreeMap<i32, ThreadSamples>,
    /// Exited threads by pool name.
    exited: BTreeMap<String, ThreadSamples>,
    captures: u64,
}

impl Recording {
    /// Adds one capture: each thread's stack (captured or reused) with one sample and the CPU
    /// time the thread used since the previous capture.
    pub fn add(&mut self, capture: &Capture) {
        self.captures += 1;
        for thread in &capture.threads {
            let Some(line) = stack_line(thread) else {
                continue;
            };
            let cpu = capture
                .cpu_used
                .get(&thread.tid)
                .copied()
                .unwrap_or_default();
            let micros = u64::try_from(cpu.as_micros()).unwrap_or(u64::MAX);
            let samples = self.threads.entry(thread.tid).or_default();
            samples.name = thread.name.clone();
            samples.cpu += cpu;
            samples.samples += 1;
            let weights = samples.stacks.entry(line).or_default();
            weights.samples += 1;
            weights.cpu_micros = weights.cpu_micros.saturating_add(micros);
        }
        let live: std::collections::HashSet<i32> = capture.threads.iter().map(|t| t.tid).collect();
        let gone: Vec<i32> = self
            .threads
            .keys()
            .filter(|tid| !live.contains(tid))
            .copied()
            .collect();
        for tid in gone {
            if let Some(thread) = self.threads.remove(&tid) {
                let pool = self.exited.entry(pool_name(&thread.name)).or_default();
                pool.name = pool_name(&thread.name);
                pool.cpu += thread.cpu;
                pool.samples += thread.samples;
                for (stack, weights) in thread.stacks {
                    let merged = pool.stacks.entry(stack).or_default();
                    merged.samples += weights.samples;
                    merged.cpu_micros = merged.cpu_micros.saturating_add(weights.cpu_micros);
                }
            }
        }
    }

    pub fn captures(&self) -> u64 {
        self.captures
    }

    pub fn is_empty(&self) -> bool {
        self.threads.is_empty() && self.exited.is_empty()
    }

    /// Live threads by tid.
    pub fn threads(&self) -> impl Iterator<Item = (i32, &ThreadSamples)> {
        self.threads.iter().map(|(&tid, samples)| (tid, samples))
    }

    pub fn thread(&self, tid: i32) -> Option<&ThreadSamples> {
        self.threads.get(&tid)
    }

    /// The folded stacks of `view` (exited threads count for all threads, not for one);
    /// stacks that weigh nothing in its mode are left out.
    pub fn fold(&self, view: &FoldView) -> FoldedStacks {
        let mut folded = FoldedStacks::with_unit(view.mode.unit());
        let live = self
            .threads
            .iter()
            .filter(|(&tid, _)| view.thread.is_none_or(|only| only == tid))
            .map(|(_, thread)| thread);
        let exited = self.exited.values().filter(|_| view.thread.is_none());
        for thread in live.chain(exited) {
            let root = view.per_thread.then(|| pool_name(&thread.name));
            for (stack, weights) in &thread.stacks {
                let count = match view.mode {
                    FlameMode::Cpu => weights.cpu_micros,
                    FlameMode::Wall => weights.samples,
                };
                if count == 0 {
                    continue;
                }
                match &root {
                    Some(root) => folded.add_folded(&format!("{root};{stack}"), count),
                    None => folded.add_folded(stack, count),
                }
            }
        }
        folded
    }
}

/// The name a frame gets in folded output.
pub fn frame_label(frame: &Frame) -> String {
    let name = match (&frame.function, &frame.module) {
        (Some(function), _) => function.clone(),
        (None, Some(module)) => format!("{module}+{:#x}", frame.address),
        (None, None) => "[unknown]".to_string(),
    };
    safe_text::folded_frame(&name)
}

impl FoldedStacks {
    /// Counts in samples.
    pub fn new() -> FoldedStacks {
        FoldedStacks::default()
    }

    pub fn with_unit(unit: CountUnit) -> FoldedStacks {
        FoldedStacks {
            counts: BTreeMap::new(),
            unit,
        }
    }

    pub fn unit(&self) -> CountUnit {
        self.unit
    }

    /// Adds one sample of a thread: its name as the root frame, `[truncated]` under it when the
    /// unwinder stopped early, then its frames from outermost to innermost. Threads with no
    /// frames (skipped, gone) add nothing.
    pub fn add_thread(&mut self, thread: &ThreadStack, count: u64) {
        if count == 0 {
            return;
        }
        if let Some(stack) = stack_line(thread) {
            let line = format!("{};{stack}", safe_text::folded_frame(&thread.name));
            *self.counts.entry(line).or_insert(0) += count;
        }
    }

    /// Adds `count` to an already folded stack (`a;b;c`); one read from elsewhere that holds a
    /// control character is escaped first.
    pub fn add_folded(&mut self, stack: &str, count: u64) {
        let stack = if safe_text::is_displayable(stack) {
            stack.to_string()
        } else {
            safe_text::line(stack).into_owned()
        };
        *self.counts.entry(stack).or_insert(0) += count;
    }

    /// Sum of all counts.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// `(stack, count)` pairs in stack order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.counts
            .iter()
            .map(|(stack, count)| (stack.as_str(), *count))
    }

    /// Count of samples whose stack contains a frame named exactly `function`.
    pub fn samples_containing(&self, function: &str) -> u64 {
        self.iter()
            .filter(|(stack, _)| stack.split(';').any(|f| f == function))
            .map(|(_, count)| count)
            .sum()
    }

    /// The text form: one `stack count` line per distinct stack.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for (stack, count) in self.iter() {
            let _ = writeln!(text, "{stack} {count}");
        }
        text
    }

    /// Parses the text form; lines that do not end in a count are ignored.
    pub fn parse(text: &str) -> FoldedStacks {
        let mut folded = FoldedStacks::new();
        for line in text.lines() {
            if let Some((stack, count)) = line.rsplit_once(' ') {
                if let Ok(count) = count.parse() {
                    folded.add_folded(stack, count);
                }
            }
        }
        folded
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stacks::ThreadState;

    fn frame(name: &str) -> Frame {
        Frame {
            address: 0x10,
            function: Some(name.to_string()),
            module: Some("/bin/x".to_string()),
            file: None,
            line: None,
            inlined: false,
        }
    }

    #[test]
    fn root_first_with_thread_name_and_merged_counts() {
        let thread = ThreadStack {
            tid: 7,
            name: "worker".to_string(),
            frames: vec![frame("leaf"), frame("mid;dle"), frame("main")],
            truncated: false,
            state: ThreadState::Reused,
        };
        let mut folded = FoldedStacks::new();
        folded.add_thread(&thread, 2);
        folded.add_thread(&thread, 1);
        assert_eq!(folded.to_text(), "worker;main;mid\\x3bdle;leaf 3\n");
        assert_eq!(folded.samples_containing("leaf"), 3);
        assert_eq!(FoldedStacks::parse(&folded.to_text()), folded);
    }

    fn stack(tid: i32, name: &str, frames: &[&str], state: ThreadState) -> ThreadStack {
        ThreadStack {
            tid,
            name: name.to_string(),
            frames: frames.iter().map(|f| frame(f)).collect(),
            truncated: false,
            state,
        }
    }

    #[test]
    fn pools_fold_runs_of_digits() {
        assert_eq!(pool_name("http-worker-17"), "http-worker-N");
        assert_eq!(pool_name("C2 CompilerThre"), "CN CompilerThre");
        assert_eq!(pool_name("pool-3-thread-120"), "pool-N-thread-N");
        assert_eq!(pool_name("main"), "main");
        assert_eq!(pool_name("a;b\n"), "a\\x3bb\\x0a");
    }

    #[test]
    fn cpu_mode_weighs_cpu_time_and_wall_mode_counts_every_thread() {
        let captured = ThreadState::Captured {
            stop_time: Duration::from_micros(30),
            group_stopped_by: None,
        };
        let mut recording = Recording::default();
        for round in 0..4 {
            let mut capture = Capture {
                threads: vec![stack(1, "spinner", &["spin", "main"], captured.clone())],
                ..Capture::default()
            };
            for tid in 2..12 {
                let name = format!("worker-{tid}");
                capture
                    .threads
                    .push(stack(tid, &name, &["park", "worker"], ThreadState::Reused));
            }
            if round > 0 {
                capture.cpu_used.insert(1, Duration::from_millis(100));
                for tid in 2..12 {
                    capture.cpu_used.insert(tid, Duration::ZERO);
                }
            }
            recording.add(&capture);
        }
        let cpu = recording.fold(&FoldView::default());
        assert_eq!(cpu.unit(), CountUnit::CpuMicros);
        assert_eq!(
            cpu.to_text(),
            "main;spin 300000\n",
            "idle threads add nothing"
        );
        let wall_per_thread = FoldView {
            mode: FlameMode::Wall,
            per_thread: true,
            thread: None,
        };
        let wall = recording.fold(&wall_per_thread);
        assert_eq!(
            wall.to_text(),
            "spinner;main;spin 4\nworker-N;worker;park 40\n"
        );
        let one = recording.fold(&FoldView {
            mode: FlameMode::Wall,
            per_thread: false,
            thread: Some(3),
        });
        assert_eq!(one.to_text(), "worker;park 4\n");
        assert_eq!(
            recording.thread(1).map(|t| t.cpu),
            Some(Duration::from_millis(300))
        );

        // The workers exit: their samples stay, merged into their pool.
        let spinner_only = Capture {
            threads: vec![stack(1, "spinner", &["spin", "main"], captured.clone())],
            ..Capture::default()
        };
        recording.add(&spinner_only);
        assert_eq!(recording.threads().count(), 1);
        assert_eq!(recording.exited.len(), 1);
        let wall = recording.fold(&wall_per_thread);
        assert_eq!(
            wall.to_text(),
            "spinner;main;spin 5\nworker-N;worker;park 40\n"
        );
    }

    #[test]
    fn hostile_names_stay_on_one_line_and_one_frame() {
        let thread = ThreadStack {
            tid: 7,
            name: "evil\n;\x1b]52;c;eA==\x07\u{202e}".to_string(),
            frames: vec![frame("f\r\nfake 99")],
            truncated: false,
            state: ThreadState::Reused,
        };
        let mut folded = FoldedStacks::new();
        folded.add_thread(&thread, 1);
        let text = folded.to_text();
        assert_eq!(
            text,
            "evil\\x0a\\x3b\\x1b]52\\x3bc\\x3beA==\\x07\\u202e;f\\x0d\\x0afake 99 1\n"
        );
        assert_eq!(FoldedStacks::parse(&text), folded);
        // Folded text from elsewhere (a bundle) is escaped too.
        let mut read = FoldedStacks::new();
        read.add_folded("a\x1bb;c", 2);
        assert_eq!(read.to_text(), "a\\x1bb;c 2\n");
    }
}
