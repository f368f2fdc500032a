//! The model the TUI shows, and the only code that changes it: [`update`] takes a [`Msg`]
//! (a key, a sample, a tick, the target's exit) and returns [`Effect`]s for the shell to
//! perform. No I/O and no clock here: time arrives inside messages, so every state is
//! reproducible in tests.
//!
//! May import: `sample`, `history`, `rules`, `config`, `decode`, `format`, `keymap`, and the
//! data types of `stacks`, `runtimes`, `bundle` and `scan`. Must not import: `collect`, `shell`, `view`, tokio,
//! the terminal, `std::fs`.

pub mod dump;
pub mod family;
pub mod flame;
mod msg;
pub mod picker;
pub mod replay;
pub mod rows;
pub mod seen;
pub mod stacks;
pub mod table;
pub mod trail;
mod update;

pub use msg::{Effect, Msg};
pub use update::update;

use crate::bundle::{GoroutineReading, TargetExit};
use crate::config::Config;
use crate::headroom::Headroom;
use crate::history::History;
use crate::rules::{Finding, RuleEngine};
use crate::runtimes::Dump;
use crate::sample::Sample;
use crate::stacks::folded::FoldedStacks;
use crate::stacks::ThreadStack;
use seen::Seen;
use std::sync::Arc;
use std::time::Duration;
pub use table::TableUi;
use trail::{ThreadCpu, Trail};

/// The eight views, in tab order (keys 1–8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Overview,
    Threads,
    Fds,
    Memory,
    Signals,
    Findings,
    Stacks,
    Family,
}

impl View {
    pub const ALL: [View; 8] = [
        View::Overview,
        View::Threads,
        View::Fds,
        View::Memory,
        View::Signals,
        View::Findings,
        View::Stacks,
        View::Family,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Threads => "Threads",
            View::Fds => "FDs",
            View::Memory => "Memory",
            View::Signals => "Signals",
            View::Findings => "Findings",
            View::Stacks => "Stacks",
            View::Family => "Family",
        }
    }

    pub fn index(self) -> usize {
        View::ALL.iter().position(|&v| v == self).unwrap_or(0)
    }

    /// Sort orders this view offers, in the order `s` cycles through them.
    pub fn sorts(self) -> &'static [&'static str] {
        match self {
            View::Threads => &["CPU%", "TID", "name", "state", "switches"],
            View::Fds => &["fd", "kind", "target"],
            View::Memory => &["size", "address", "path"],
            View::Family => family::SORTS,
            View::Overview | View::Signals | View::Findings | View::Stacks => &[],
        }
    }
}

/// What is known about the watched process's life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetStatus {
    /// No sample yet.
    Waiting,
    Live,
    /// The process is gone; the data shown is its last reading, frozen.
    Exited {
        at_ms: u64,
        how: String,
    },
    /// The PID now belongs to another process (different start time); nothing of the new one
    /// is shown or merged.
    Replaced {
        at_ms: u64,
    },
}

impl TargetStatus {
    /// Whether new samples are still accepted.
    pub fn is_live(&self) -> bool {
        matches!(self, TargetStatus::Waiting | TargetStatus::Live)
    }
}

/// Where the samples come from.
#[derive(Debug, Clone)]
pub enum Mode {
    /// A live process, sampled by the shell.
    Live,
    /// A bundle opened with `healthtop view`: read-only, stepped through sample by sample.
    Bundle(Replay),
}

/// A bundle's samples and the one shown.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The file, as the user named it (for the status line).
    pub file: String,
    /// Every sample of the bundle, oldest first (shared with the judging thread).
    pub samples: Arc<Vec<Sample>>,
    /// The sample shown; the views show the data as of this one.
    pub index: usize,
    /// The goroutine count read with each sample (Go targets), by sample index.
    pub goroutines: Arc<Vec<Option<GoroutineReading>>>,
    /// How the target ended, shown at the last sample.
    pub exit: Option<TargetExit>,
    /// The findings (and the headroom they were judged with) after each sample, as far as
    /// the judging has come.
    pub judged: Vec<(Vec<Finding>, Headroom)>,
    /// The findings after the exit, once judged.
    pub exit_findings: Option<(Vec<Finding>, Headroom)>,
    /// The derived state every [`replay::CHECKPOINT_EVERY`] samples, oldest first (built when
    /// the bundle is opened).
    pub checkpoints: Vec<replay::Derived>,
    /// Samples the state's trail, history and thread CPU have taken in.
    pub taken: usize,
}

impl Replay {
    /// The samples and what goes with them, for judging or deriving.
    pub fn timeline(&self, interval: Duration) -> replay::Timeline {
        replay::Timeline {
            samples: Arc::clone(&self.samples),
            goroutines: Arc::clone(&self.goroutines),
            exit: self.exit.clone(),
            interval,
        }
    }

    /// Whether every sample (and the exit) has been judged.
    pub fn fully_judged(&self) -> bool {
        self.judged.len() >= self.samples.len()
            && (self.exit.is_none() || self.exit_findings.is_some())
    }
}

/// What a bundle holds beyond its samples, shown by `view` as the live view showed it.
#[derive(Debug, Clone)]
pub struct Frozen {
    /// The goroutine count read with each sample, by sample index (may be shorter).
    pub goroutines: Vec<Option<GoroutineReading>>,
    pub exit: Option<TargetExit>,
    /// The stacks sampled while watching (`stacks.folded`), or why the bundle has none.
    pub folded: Result<FoldedStacks, String>,
    /// Each thread's newest stack (`stacks.json`), for the thread drill-down.
    pub threads: Vec<ThreadStack>,
    /// The runtime dump (`dumps/<runtime>.json`), or why the bundle has none.
    pub dump: Option<Result<Dump, String>>,
}

/// Everything about the screen that is not data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ui {
    pub view: View,
    pub help: bool,
    /// Keys go into the current view's filter until Enter or Esc.
    pub editing_filter: bool,
    /// One per view, indexed by [`View::index`].
    pub tables: [TableUi; 8],
    /// Threads view drilled into this thread.
    pub thread_detail: Option<i32>,
    /// Threads view shows one row per name prefix.
    pub group_threads: bool,
    /// First line shown of the detail pane (thread drill-down, finding detail); back to 0
    /// when what it details changes.
    pub detail_scroll: usize,
    /// Terminal size, for page-wise movement.
    pub width: u16,
    pub height: u16,
}

impl Ui {
    pub fn table(&self) -> &TableUi {
        &self.tables[self.view.index()]
    }
    pub fn table_mut(&mut self) -> &mut TableUi {
        &mut self.tables[self.view.index()]
    }
}

/// The whole model.
#[derive(Debug, Clone)]
pub struct AppState {
    pub pid: i32,
    /// Start time (clock ticks after boot) of the first sample: the identity being watched.
    pub start_time: Option<u64>,
    pub status: TargetStatus,
    /// The newest accepted sample, with its census and maps (the collector carries those over
    /// between tiers, each with its own timestamp).
    pub current: Option<Sample>,
    /// Bounded history of the gauges, for sparklines and the per-kind fd trend.
    pub trail: Trail,
    /// The rules' history (one hour): trends, ETAs and findings come from it.
    pub history: History,
    /// Persistence and hysteresis of the rules across evaluations.
    pub engine: RuleEngine,
    /// Per-thread CPU time, for CPU% and the thread drill-down.
    pub thread_cpu: ThreadCpu,
    /// From the rules after the newest sample, most severe first.
    pub findings: Vec<Finding>,
    /// In a bundle: the headroom model judged with the sample shown (see [`AppState::headroom`]).
    pub shown_headroom: Option<Headroom>,
    /// The grouped Threads table's rows (derived with its order, see `rows::refresh`).
    pub thread_groups: Vec<rows::ThreadGroup>,
    pub ui: Ui,
    pub interval: Duration,
    pub paused: bool,
    /// Wall clock of the newest message that carried time, ms since the Unix epoch.
    pub now_ms: u64,
    /// The last collection problem that did not end the watch.
    pub notice: Option<String>,
    pub mode: Mode,
    /// Live: the samples taken in, for the bundle key.
    pub seen: Seen,
    /// A bundle is being written (the key waits for it).
    pub writing_bundle: bool,
    /// One line for the status line (where a bundle went, why a key does nothing here);
    /// cleared by the next key.
    pub message: Option<String>,
    /// The Stacks view and each thread's last stack.
    pub stacks: stacks::StacksUi,
    /// The dump key's dialog and result.
    pub dump: dump::DumpUi,
    /// Go targets only: the newest goroutine count from the pprof endpoint, or why not.
    pub goroutines: Option<Goroutines>,
    /// Live, Go targets: the goroutine readings of the samples the bundle key hands over
    /// (as many as [`Seen`] keeps samples, oldest dropped first).
    pub goroutine_log: std::collections::VecDeque<GoroutineReading>,
    /// The watched process's parent and children with their headroom (the Family view).
    pub family: family::FamilyUi,
    /// Counts family readings taken in (the Family table's derivation).
    pub family_generation: u64,
    /// The processes watched before this one, newest last: Back returns to them.
    pub came_from: Vec<i32>,
    /// The host's processes to pick from (shown while no process is watched).
    pub picker: picker::PickerUi,
}

/// Goroutine readings kept for the bundle key: one per sample [`Seen`] keeps, with room for
/// readings that fell between samples.
pub const GOROUTINE_LOG_CAPACITY: usize = 2 * seen::SEEN_CAPACITY;

/// The newest goroutine reading of a Go target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goroutines {
    pub count: Result<u64, String>,
    /// The endpoint read (`http://127.0.0.1:6060/debug/pprof/`), when one was found.
    pub endpoint: Option<String>,
    /// Set while readings are spaced wider than the tick because they are slow.
    pub pace: Option<crate::runtimes::go::Pace>,
    /// The newest count that was read, kept when a later reading fails.
    pub last_count: Option<u64>,
}

/// The median time between consecutive samples, to the nearest 10 ms (a 1 s watch samples
/// 1002 ms apart; the header says "every 1s"); 1 s when there are fewer than two.
fn sample_interval(samples: &[Sample]) -> Duration {
    let mut gaps: Vec<u64> = samples
        .windows(2)
        .map(|w| w[1].taken_at_ms.saturating_sub(w[0].taken_at_ms))
        .filter(|&gap| gap > 0)
        .collect();
    gaps.sort_unstable();
    gaps.get(gaps.len() / 2)
        .map_or(Duration::from_secs(1), |&ms| {
            Duration::from_millis(((ms + 5) / 10 * 10).max(1))
        })
}

/// Interval steps for `+` and `-`, within the documented range (500 ms … 30 s).
pub const INTERVALS: [Duration; 6] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(5),
    Duration::from_secs(10),
    Duration::from_secs(30),
];

impl AppState {
    /// The headroom model the gauges show: judged with the sample shown in a bundle, the
    /// rules' newest live.
    pub fn headroom(&self) -> &Headroom {
        self.shown_headroom
            .as_ref()
            .unwrap_or_else(|| self.engine.headroom())
    }

    /// A model with the default rule thresholds.
    pub fn new(pid: i32, interval: Duration, now_ms: u64) -> AppState {
        AppState::with_config(pid, interval, now_ms, Config::default())
    }

    pub fn with_config(pid: i32, interval: Duration, now_ms: u64, config: Config) -> AppState {
        AppState {
            pid,
            start_time: None,
            status: TargetStatus::Waiting,
            current: None,
            trail: Trail::default(),
            history: History::new(Duration::from_secs(3600), interval),
            engine: RuleEngine::new(config),
            thread_cpu: ThreadCpu::default(),
            findings: Vec::new(),
            shown_headroom: None,
            thread_groups: Vec::new(),
            ui: Ui {
                view: View::Overview,
                help: false,
                editing_filter: false,
                tables: Default::default(),
                thread_detail: None,
                group_threads: false,
                detail_scroll: 0,
                width: 80,
                height: 24,
            },
            interval,
            paused: false,
            now_ms,
            notice: None,
            mode: Mode::Live,
            seen: Seen::default(),
            writing_bundle: false,
            message: None,
            stacks: Default::default(),
            dump: Default::default(),
            goroutines: None,
            goroutine_log: Default::default(),
            family: Default::default(),
            family_generation: 0,
            came_from: Vec::new(),
            picker: Default::default(),
        }
    }

    /// The picker, with no process watched yet: `only` restricts it to the processes a name
    /// answered (their PIDs, and the name in words for the title).
    pub fn picking(
        interval: Duration,
        now_ms: u64,
        config: Config,
        only: Option<(Vec<i32>, String)>,
    ) -> AppState {
        let mut state = AppState::with_config(0, interval, now_ms, config);
        state.picker.active = true;
        state.picker.reachable = true;
        state.picker.only = only;
        state
    }

    /// Back to the picker from a watched process: a fresh model keeping the screen, the
    /// interval, the thresholds and the picker as it was left.
    pub fn back_to_picker(&self, now_ms: u64) -> AppState {
        let mut next =
            AppState::with_config(0, self.interval, now_ms, self.engine.config().clone());
        next.ui.width = self.ui.width;
        next.ui.height = self.ui.height;
        next.picker = self.picker.clone();
        next.picker.active = true;
        next
    }

    /// A fresh model watching `pid`, keeping what is about the screen and the session (view,
    /// size, interval, thresholds, the way back), none of the old target's data.
    pub fn switched_to(&self, pid: i32, came_from: Vec<i32>, now_ms: u64) -> AppState {
        let mut next =
            AppState::with_config(pid, self.interval, now_ms, self.engine.config().clone());
        next.ui.view = self.ui.view;
        next.ui.width = self.ui.width;
        next.ui.height = self.ui.height;
        next.came_from = came_from;
        next.picker = self.picker.clone();
        next.picker.active = false;
        next.message = Some(format!("now watching pid {pid}"));
        next
    }

    /// A read-only model on a bundle's samples (oldest first), showing the newest. The rules
    /// judge the whole bundle as the window (as `report --from` did when it was written), at
    /// the interval the samples were taken.
    pub fn for_bundle(file: String, samples: Vec<Sample>, config: Config) -> AppState {
        let frozen = Frozen {
            goroutines: Vec::new(),
            exit: None,
            folded: Err("this bundle holds no stacks".into()),
            threads: Vec::new(),
            dump: None,
        };
        let mut state = AppState::for_bundle_with(file, samples, frozen, config);
        state.judge_now();
        state
    }

    /// [`AppState::for_bundle`] with what the bundle holds beside its samples: the stacks
    /// and the dump are shown as the live view showed them, goroutine counts and the exit
    /// replayed with the samples.
    pub fn for_bundle_with(
        file: String,
        samples: Vec<Sample>,
        frozen: Frozen,
        config: Config,
    ) -> AppState {
        let pid = samples.first().map_or(0, |s| s.identity.pid);
        let mut state = AppState::with_config(pid, sample_interval(&samples), 0, config);
        let index = samples.len().saturating_sub(1);
        let at_ms = samples.last().map_or(0, |s| s.taken_at_ms);
        match frozen.folded {
            Ok(folded) => state.stacks.load(folded),
            Err(reason) => state.stacks.error = Some(reason),
        }
        for thread in frozen.threads {
            state.stacks.last.insert(thread.tid, (thread, at_ms));
        }
        state.dump.result = frozen.dump.map(|dump| dump.map(Box::new));
        let mut replay = Replay {
            file,
            samples: Arc::new(samples),
            index,
            goroutines: Arc::new(frozen.goroutines),
            exit: frozen.exit,
            judged: Vec::new(),
            exit_findings: None,
            checkpoints: Vec::new(),
            taken: 0,
        };
        replay.checkpoints = replay.timeline(state.interval).checkpoints();
        state.mode = Mode::Bundle(replay);
        update::replay(&mut state);
        state
    }

    /// The judge of a bundle's whole history, for the shell to run off the UI thread (its
    /// results come back as [`Msg::Judged`]); `None` live.
    pub fn judge(&self) -> Option<replay::Judge> {
        let replay = self.replay()?;
        Some(replay::Judge::new(
            replay.timeline(self.interval),
            self.engine.config().clone(),
        ))
    }

    /// Judges the whole bundle here and now (tests, and `report`-like callers that can wait).
    pub fn judge_now(&mut self) {
        if let Some(mut judge) = self.judge() {
            let mut judged = Vec::new();
            while let Some(next) = judge.next_judged() {
                judged.push(next);
            }
            update(self, Msg::Judged(judged));
        }
    }

    /// The replay, in bundle mode.
    pub fn replay(&self) -> Option<&Replay> {
        match &self.mode {
            Mode::Bundle(replay) => Some(replay),
            Mode::Live => None,
        }
    }

    /// What a bundle written now holds (cheap: the samples stay compressed until
    /// [`seen::BundleSource::samples`], which the shell runs off the UI thread).
    pub fn bundle_source(&self) -> seen::BundleSource {
        seen::BundleSource {
            seen: self.seen.clone(),
            current: self.current.clone(),
            goroutines: self.goroutine_log.iter().cloned().collect(),
            exit: match &self.status {
                TargetStatus::Exited { at_ms, how } => Some(TargetExit {
                    at_ms: *at_ms,
                    how: how.clone(),
                }),
                _ => None,
            },
        }
    }

    /// Why the target's `/proc` files cannot be copied into a bundle now, if they cannot.
    pub fn raw_copies_unavailable(&self) -> Option<String> {
        match &self.status {
            TargetStatus::Exited { how, .. } => Some(format!(
                "the target had exited ({how}) when the bundle was written"
            )),
            TargetStatus::Replaced { .. } => Some(format!(
                "pid {} belonged to another process when the bundle was written",
                self.pid
            )),
            TargetStatus::Waiting | TargetStatus::Live => None,
        }
    }

    /// Rows available for a table body at the current terminal height (header, tabs, banner,
    /// table header, footer and borders taken off).
    pub fn page_rows(&self) -> usize {
        usize::from(self.ui.height.saturating_sub(8)).max(1)
    }
}
