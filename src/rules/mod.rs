//! Health rules: self-describing units that turn a [`History`] into [`Finding`]s.
//!
//! Each rule lives in its own file and carries its documentation ([`RuleDoc`]: id, title,
//! what it means, threshold, what to do) next to its code, so `healthtop rules` and
//! `docs/rules.md` are generated from [`REGISTRY`] and cannot drift from what runs.
//!
//! Forecasts read the headroom model ([`crate::headroom`]: binding limits, trends, ETAs,
//! provisional or confirmed, stopped), which [`RuleEngine`] assesses once per evaluation and
//! keeps for the views, so a finding and a gauge never disagree.
//!
//! Anti-false-alarm devices (see `docs/rules.md`): forecasts need a level gate and a
//! significant trend, are provisional (never crit) until confirmed, and are withdrawn when the
//! recent window stops growing ([`forecast`]); forecasts and levels must persist for
//! `trend.persistence` evaluations ([`RuleEngine`]); levels and trends clear with hysteresis.
//! Facts (event counters going up) and static checks are shown at once.
//!
//! May import: `headroom`, `history`, `config`, `sample`, `format`.

mod close_wait;
mod core_dumps;
mod cpu_limit;
mod d_state;
mod exited;
mod fault_signals;
mod fd_headroom;
mod fd_leak;
pub mod forecast;
mod goroutine_leak;
pub mod limits;
mod map_count;
mod memory_growth;
mod memory_pressure;
mod oom_events;
mod pending_signals;
mod restart;
mod seccomp;
mod sigbus_risk;
mod sigpipe;
mod sigterm;
mod stall;
mod thread_headroom;
mod thread_leak;
mod zombie_children;

use crate::config::Config;
use crate::headroom::{Headroom, Resource, ResourceKind};
use crate::history::History;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing will break because of it alone.
    Info,
    /// Will break if nothing changes, or breaks some function already.
    Warn,
    /// Breaks soon (within `trend.eta_crit_secs`) or is breaking now.
    Crit,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Crit => "crit",
        }
    }
}

/// One thing a rule found. Serialised as `{rule, severity, message, eta_seconds, evidence}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule's id (`fd-leak`).
    pub rule: String,
    pub severity: Severity,
    /// One sentence a tired human understands, with the numbers that matter.
    pub message: String,
    /// Seconds until the limit is reached, for forecasts.
    pub eta_seconds: Option<f64>,
    /// The readings behind the message.
    pub evidence: Vec<String>,
}

impl Finding {
    pub fn new(rule: &RuleDoc, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            rule: rule.id.to_string(),
            severity,
            message: message.into(),
            eta_seconds: None,
            evidence: Vec::new(),
        }
    }

    pub fn with_eta(mut self, eta_seconds: Option<f64>) -> Self {
        self.eta_seconds = eta_seconds;
        self
    }

    pub fn with_evidence(mut self, evidence: Vec<String>) -> Self {
        self.evidence = evidence;
        self
    }
}

/// What kind of judgement a rule makes; decides persistence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A trend toward a limit, with an ETA: needs warm-up and (live) persistence.
    Forecast,
    /// A level against a threshold: needs persistence, clears with hysteresis.
    Level,
    /// A counter that went up or a state that lasted: shown at once.
    Fact,
    /// A configuration read from the process: shown at once.
    Static,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Forecast => "forecast",
            Kind::Level => "level",
            Kind::Fact => "fact",
            Kind::Static => "static",
        }
    }

    /// Whether a finding must hold for `trend.persistence` evaluations before it is shown.
    /// In an explicit watch window a forecast is fitted on the whole window the user chose, so
    /// the fit itself is the persistence; levels persist in both modes.
    fn needs_persistence(self, window: Window) -> bool {
        match self {
            Kind::Level => true,
            Kind::Forecast => window == Window::Rolling,
            Kind::Fact | Kind::Static => false,
        }
    }
}

/// The documentation of a rule, shown by `healthtop rules` and in `docs/rules.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleDoc {
    /// Stable id, used in findings and JSON (`fd-leak`).
    pub id: &'static str,
    pub title: &'static str,
    /// What the finding means and which crash it predicts.
    pub meaning: &'static str,
    /// When it fires, in words (the numbers come from [`Rule::thresholds`]).
    pub threshold: &'static str,
    /// What to do about it.
    pub action: &'static str,
    pub kind: Kind,
}

/// One configurable number of a rule, with its config key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Threshold {
    /// Dotted key in the config file (`fd_headroom.warn_percent`).
    pub key: &'static str,
    pub value: String,
}

impl Threshold {
    pub fn new(key: &'static str, value: impl ToString) -> Self {
        Threshold {
            key,
            value: value.to_string(),
        }
    }
}

/// A health rule.
pub trait Rule: Sync {
    fn doc(&self) -> &'static RuleDoc;
    /// The config values this rule reads, as they are in `config` (most static checks read none).
    fn thresholds(&self, _config: &Config) -> Vec<Threshold> {
        Vec::new()
    }
    /// At most one finding about the newest state of `ctx.history`.
    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding>;
}

pub use crate::headroom::Window;

/// What a rule sees while it evaluates.
pub struct Context<'a> {
    pub history: &'a History,
    pub config: &'a Config,
    pub window: Window,
    /// The headroom model of the newest state: limits, usage, outlooks.
    pub headroom: &'a Headroom,
    active: Option<Severity>,
}

impl Context<'_> {
    /// One resource of the headroom model.
    pub fn resource(&self, kind: ResourceKind) -> Option<&Resource> {
        self.headroom.get(kind)
    }

    /// The severity this rule showed at the previous evaluation (for hysteresis).
    pub fn active(&self) -> Option<Severity> {
        self.active
    }

    /// Time of the newest sample, ms since the epoch: "now" for every rule (time is data).
    pub fn now_ms(&self) -> u64 {
        self.history.last_at_ms().unwrap_or(0)
    }

    /// Start of the stretch that facts (counter deltas, stalls) look at.
    pub fn fact_since_ms(&self, rolling_secs: u64) -> u64 {
        match self.window {
            Window::Explicit { since_ms } => since_ms,
            Window::Rolling => self.now_ms().saturating_sub(rolling_secs * 1000),
        }
    }
}

/// Every rule, in the order they are documented.
pub static REGISTRY: &[&dyn Rule] = &[
    &fd_headroom::FdHeadroom,
    &fd_leak::FdLeak,
    &close_wait::CloseWait,
    &thread_headroom::ThreadHeadroom,
    &thread_leak::ThreadLeak,
    &goroutine_leak::GoroutineLeak,
    &memory_growth::MemoryGrowth,
    &oom_events::OomEvents,
    &memory_pressure::MemoryPressure,
    &map_count::MapCount,
    &sigbus_risk::SigbusRisk,
    &cpu_limit::CpuLimit,
    &fault_signals::FaultSignals,
    &sigterm::Sigterm,
    &sigpipe::Sigpipe,
    &pending_signals::PendingSignals,
    &seccomp::Seccomp,
    &core_dumps::CoreDumps,
    &zombie_children::ZombieChildren,
    &d_state::DState,
    &stall::Stall,
    &restart::Restart,
    &exited::Exited,
];

/// Runs every rule with persistence and hysteresis. Keep one per watched target and call
/// [`RuleEngine::evaluate`] after every [`History::push`].
#[derive(Debug, Clone)]
pub struct RuleEngine {
    config: Config,
    window: Window,
    streak: BTreeMap<&'static str, u32>,
    active: BTreeMap<&'static str, Severity>,
    headroom: Headroom,
}

impl RuleEngine {
    /// For live watching (rolling windows, warm-up).
    pub fn new(config: Config) -> Self {
        RuleEngine::with_window(config, Window::Rolling)
    }

    /// For a watch window the user chose (`report --watch`), starting at `since_ms`.
    pub fn with_window(config: Config, window: Window) -> Self {
        RuleEngine {
            config,
            window,
            streak: BTreeMap::new(),
            active: BTreeMap::new(),
            headroom: Headroom::default(),
        }
    }

    /// The headroom model of the last evaluation (what the gauges draw).
    pub fn headroom(&self) -> &Headroom {
        &self.headroom
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Findings about the newest state of `history`, worst first. A forecast or level finding
    /// is shown once it held for `trend.persistence` consecutive evaluations.
    pub fn evaluate(&mut self, history: &History) -> Vec<Finding> {
        self.headroom = Headroom::assess(history, &self.config, self.window, Some(&self.headroom));
        let mut findings = Vec::new();
        for rule in REGISTRY {
            let doc = rule.doc();
            let ctx = Context {
                history,
                config: &self.config,
                window: self.window,
                headroom: &self.headroom,
                active: self.active.get(doc.id).copied(),
            };
            match rule.evaluate(&ctx) {
                Some(finding) => {
                    let streak = self.streak.entry(doc.id).or_insert(0);
                    *streak = streak.saturating_add(1);
                    if !doc.kind.needs_persistence(self.window)
                        || *streak >= self.config.trend.persistence
                    {
                        self.active.insert(doc.id, finding.severity);
                        findings.push(finding);
                    }
                }
                None => {
                    self.streak.remove(doc.id);
                    self.active.remove(doc.id);
                }
            }
        }
        sort(&mut findings);
        findings
    }
}

/// One evaluation without persistence (a one-shot report has no previous evaluations).
pub fn evaluate(history: &History, config: &Config, window: Window) -> Vec<Finding> {
    let headroom = Headroom::assess(history, config, window, None);
    let mut findings: Vec<Finding> = REGISTRY
        .iter()
        .filter_map(|rule| {
            rule.evaluate(&Context {
                history,
                config,
                window,
                headroom: &headroom,
                active: None,
            })
        })
        .collect();
    sort(&mut findings);
    findings
}

fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.rule.cmp(&b.rule)));
}

/// The rule catalogue as plain text (for `healthtop rules`).
pub fn catalogue_text(config: &Config) -> String {
    let mut out = String::new();
    for rule in REGISTRY {
        let doc = rule.doc();
        let _ = writeln!(out, "{}  ({})  {}", doc.id, doc.kind.as_str(), doc.title);
        let _ = writeln!(out, "  means:     {}", doc.meaning);
        let _ = writeln!(out, "  fires:     {}", doc.threshold);
        let _ = writeln!(out, "  do:        {}", doc.action);
        for t in rule.thresholds(config) {
            let _ = writeln!(out, "  {} = {}", t.key, t.value);
        }
        out.push('\n');
    }
    out
}

/// The rule catalogue as Markdown: the content of `docs/rules.md` (with the defaults).
pub fn catalogue_markdown(config: &Config) -> String {
    let mut out = String::from(
        "# healthtop rules\n\n\
         <!-- Generated by `healthtop rules --markdown` from the rule registry \
         (src/rules/). Do not edit: tests/rules_catalogue.rs fails when this file is stale. -->\n\n\
         Every rule is listed with what it means, when it fires, what to do, and the config \
         keys that set its thresholds (defaults shown; change them in \
         `$XDG_CONFIG_HOME/healthtop/config.toml`, see `assets/default-config.toml`).\n\n\
         Kinds: **forecast** (a significant trend toward a limit, with an ETA), **level** (a reading past a threshold; must persist, clears with \
         hysteresis), **fact** (a counter went up or a state lasted; shown at once), \
         **static** (a setting of the process; shown at once).\n\n\
         Severities: `info` worth knowing, `warn` will break if nothing changes, `crit` breaks \
         soon or now.\n\n\
         ## The headroom model: one limit, one trend, one ETA per resource\n\n\
         Gauges, findings, `report` (text and JSON `headroom`) and bundles all read one \
         model (src/headroom/), assessed once per evaluation. For each resource (fds, threads, \
         memory, address space, mappings, CPU time) it holds every limit that really applies, \
         the binding one (reached first), the usage, and the outlook (warming up, steady, \
         rising with rate and ETA, or stopped).\n\n\
         Limit resolution, with the kernel's rules, each limit turned into \"units of this \
         process\" (the room left in a shared budget added to what the process has now):\n\n\
         - **fds:** the soft RLIMIT_NOFILE, plus descriptors numbered above a limit lowered \
         after they were opened.\n\
         - **threads:** cgroup `pids.max` (every task of the cgroup counts); RLIMIT_NPROC \
         (every task of the target's *real* uid, host-wide, counted by one scan of \
         `/proc/*/status` with the thread census; it does not bind the root user nor a process \
         with CAP_SYS_RESOURCE or CAP_SYS_ADMIN in CapEff, and without the count it is left \
         out rather than guessed); kernel.threads-max and kernel.pid_max (every task on the \
         host, `/proc/loadavg`); vm.max_map_count (a thread maps a stack and a guard page); \
         Go's 10,000 threads (Go targets only).\n\
         - **memory:** the cgroup's `memory.max` against `memory.current`, else the host's \
         memory against RSS (RSS plus what is available). **address space:** RLIMIT_AS \
         against VmSize. **maps:** vm.max_map_count. **CPU time:** RLIMIT_CPU.\n\n\
         ## How forecasts are made and avoid false alarms\n\n\
         - **Robust slope:** Theil–Sen (median of pairwise slopes) ignores spikes and follows \
         step-wise leaks; for Go and JVM targets memory is fitted on its floor (lowest point \
         per bucket), not the GC sawtooth.\n\
         - **Significance:** no forecast unless Kendall's tau reaches `trend.min_tau` and the \
         Mann–Kendall z score `trend.min_z`; once seen, it clears only below `trend.clear_tau` \
         (hysteresis).\n\
         - **Two windows.** The *long* window gives the rate and the ETA: live, the nearer \
         failure of a short (`trend.short_window_secs`) and a long (`trend.long_window_secs`) \
         rolling window; in `report --watch`, the whole window the user chose. The *recent* \
         window is the last `trend.recent_window_secs` seconds, longer for a slow rise (long \
         enough for the long rate to add three times the series' noise, or one unit). When its \
         slope is under a quarter of the long one, growth has stopped: the ETA is withdrawn, \
         and a finding that was shown becomes info, \"grew by X in Y, flat since Z\" \
         (about 10 to 15 s after a fast leak stops, at 1 Hz), in the gauges as well.\n\
         - **Provisional, then confirmed.** A rise is *provisional* from \
         `trend.watch_min_samples` samples passing the gate: it is shown as warn (marked \
         `(provisional)`, a `?` after the gauge's ETA) only when the limit is nearer than \
         `trend.eta_crit_secs`, so a fast leak is reported within about 10 samples. It is \
         *confirmed* once its z score reaches `trend.confirm_z` (or 6 points or more all rise), \
         and live also after `trend.warmup_samples` samples spanning `trend.warmup_secs` on a \
         process older than `trend.young_process_secs`. Only a confirmed rise is crit (limit \
         nearer than `trend.eta_crit_secs`); it is warn nearer than `trend.eta_warn_secs`.\n\
         - **\"now\" means now:** the ETA is 0 only when the newest reading is at the limit; \
         a fitted line that passed the limit while the reading has not counts from the \
         reading.\n\
         - **Falling fast:** no new forecast on a sample that dropped more than 15 % below \
         the one before (a pool shrinking, a restart; GC drops of Go and JVM heaps excepted, \
         their floor is fitted).\n\
         - **Level gate:** each forecast has a floor (`min_level`) below which growth is not \
         judged, and ETAs beyond `trend.eta_warn_secs` are not reported.\n\
         - **Persistence:** levels (and live forecasts) must hold for `trend.persistence` \
         evaluations in a row; facts and static checks are shown at once.\n\
         - **Resets:** a new (pid, start time) identity clears every series (rule `restart`).\n\n",
    );
    for rule in REGISTRY {
        let doc = rule.doc();
        let _ = writeln!(out, "## `{}`: {}\n", doc.id, doc.title);
        let _ = writeln!(out, "- **Kind:** {}", doc.kind.as_str());
        let _ = writeln!(out, "- **Means:** {}", doc.meaning);
        let _ = writeln!(out, "- **Fires:** {}", doc.threshold);
        let _ = writeln!(out, "- **Do:** {}", doc.action);
        let thresholds = rule.thresholds(config);
        if !thresholds.is_empty() {
            let _ = writeln!(out, "- **Thresholds:**");
            for t in thresholds {
                let _ = writeln!(out, "  - `{}` = {}", t.key, t.value);
            }
        }
        out.push('\n');
    }
    out
}
