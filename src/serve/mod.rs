//! `healthtop serve`: the watched processes exposed to Prometheus on `/metrics`.
//!
//! A [`Fleet`] keeps one collector, history and rule engine per process (by `(pid, start
//! time)`: a restarted process is a new target with new series), reads every one each interval
//! with the TUI's tiers, and turns each reading into [`TargetMetrics`] with the headroom model
//! and the findings of the same rule engine the TUI runs. Which processes are watched is
//! decided again every interval from the selectors, so a process that exits disappears and a
//! new process holding a selected PID appears. [`http`] serves the figures; nothing here sends
//! a signal or stops a thread: `serve` is read-only.
//!
//! May import: `collect`, `history`, `headroom`, `rules`, `runtimes`, `config`, `sample`,
//! `exposition`, `scan` (the host's ranking), `shell` (the sampling cadence).

pub mod http;
pub mod web_config;

use crate::collect::resolve::find_by_name;
use crate::collect::scan::scan_host;
use crate::collect::{CollectError, Collector, HostRoot, Tiers};
use crate::config::Config;
use crate::exposition::{OwnProcess, TargetMetrics};
use crate::history::History;
use crate::rules::RuleEngine;
use crate::runtimes::go::GoroutineProbe;
use crate::shell::Cadence;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How the processes to watch are chosen; every selector is resolved again each interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Whichever process holds this PID.
    Pid(i32),
    /// Every process `-p NAME` means (an exact comm or executable name, else the name as a
    /// word of the command line): an nginx master and its workers alike.
    Name(String),
    /// The `top` processes of the host nearest a limit, as `healthtop scan` ranks them.
    Scan { top: usize },
}

/// One watched process.
struct Watched {
    collector: Collector,
    history: History,
    engine: RuleEngine,
    /// Found after the first reading; `None` inside: not a Go program.
    probe: Option<Option<GoroutineProbe>>,
    tick: u64,
    metrics: Option<TargetMetrics>,
}

impl Watched {
    fn new(collector: Collector, config: &Config, interval: Duration) -> Watched {
        Watched {
            collector,
            history: History::new(Duration::from_secs(3600), interval),
            engine: RuleEngine::new(config.clone()),
            probe: None,
            tick: 0,
            metrics: None,
        }
    }

    /// One reading: the tiers due this tick, the goroutine count of a Go program, the rules.
    fn read(&mut self, cadence: Cadence) -> Result<(), CollectError> {
        let started = Instant::now();
        let tiers = Tiers {
            census: self.tick % cadence.census_every.max(1) == 0,
            maps: self.tick % cadence.maps_every.max(1) == 0,
        };
        self.tick += 1;
        let sample = self.collector.sample(tiers)?;
        self.history.push(&sample);
        let timeout = (cadence.interval / 2).min(Duration::from_secs(1));
        let probe = self
            .probe
            .get_or_insert_with(|| GoroutineProbe::for_sample(&sample, None, timeout));
        let goroutines = probe.as_mut().and_then(|probe| {
            let _ = probe.tick(&mut self.history);
            probe.summary().count
        });
        let findings = self.engine.evaluate(&self.history);
        self.metrics = Some(TargetMetrics::of(
            &sample,
            self.engine.headroom(),
            &findings,
            goroutines,
            started.elapsed().as_secs_f64(),
        ));
        Ok(())
    }
}

/// The processes `serve` watches, and healthtop's own.
pub struct Fleet {
    root: HostRoot,
    selectors: Vec<Selector>,
    config: Config,
    cadence: Cadence,
    watched: BTreeMap<(i32, u64), Watched>,
    own: Option<Collector>,
}

impl Fleet {
    /// A fleet for `selectors`; each PID must name a watchable process now (an error says
    /// why not), later processes may come and go. Nothing is read until [`Fleet::refresh`].
    pub fn new(
        root: HostRoot,
        selectors: Vec<Selector>,
        config: Config,
        interval: Duration,
    ) -> Result<Fleet, CollectError> {
        for selector in &selectors {
            if let Selector::Pid(pid) = selector {
                Collector::new(root.clone(), *pid)?;
            }
        }
        Ok(Fleet {
            own: Collector::new(root.clone(), std::process::id() as i32).ok(),
            root,
            selectors,
            config,
            cadence: Cadence::new(interval),
            watched: BTreeMap::new(),
        })
    }

    fn add(&mut self, collector: Collector) {
        let watched = Watched::new(collector, &self.config, self.cadence.interval);
        self.watched.insert(watched.collector.identity(), watched);
    }

    /// The PIDs the selectors name now (a name or a scan that cannot be resolved this time
    /// names none).
    fn wanted(&self) -> Vec<i32> {
        let mut pids = Vec::new();
        for selector in &self.selectors {
            match selector {
                Selector::Pid(pid) => pids.push(*pid),
                Selector::Name(name) => {
                    if let Ok((candidates, _)) = find_by_name(&self.root, name) {
                        pids.extend(candidates.iter().map(|c| c.pid));
                    }
                }
                Selector::Scan { top } => pids.extend(self.nearest_a_limit(*top)),
            }
        }
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    /// The `top` processes of one host scan with the highest fraction of a limit in use
    /// (healthtop itself left out).
    fn nearest_a_limit(&self, top: usize) -> Vec<i32> {
        // One thread, as `healthtop scan` measured fastest on two cores; serve stays light.
        let Ok(host) = scan_host(&self.root, 1) else {
            return Vec::new();
        };
        let own = std::process::id() as i32;
        crate::scan::rank(&host, &self.config)
            .iter()
            .filter(|ranked| ranked.pid != own && ranked.worst_ratio().is_some())
            .take(top)
            .map(|ranked| ranked.pid)
            .collect()
    }

    /// One round: reads every watched process (one that exited or was replaced is dropped
    /// with its series), then watches and reads the processes the selectors name now.
    pub fn refresh(&mut self) {
        let cadence = self.cadence;
        self.watched
            .retain(|_, watched| watched.read(cadence).is_ok());
        let wanted = self.wanted();
        self.watched.retain(|(pid, _), _| wanted.contains(pid));
        for pid in wanted {
            if self.watched.keys().any(|(watched, _)| *watched == pid) {
                continue;
            }
            let Ok(collector) = Collector::new(self.root.clone(), pid) else {
                continue;
            };
            let identity = collector.identity();
            self.add(collector);
            if let Some(watched) = self.watched.get_mut(&identity) {
                if watched.read(cadence).is_err() {
                    self.watched.remove(&identity);
                }
            }
        }
    }

    /// The figures of every watched process that has been read, by identity.
    pub fn targets(&self) -> Vec<TargetMetrics> {
        self.watched
            .values()
            .filter_map(|w| w.metrics.clone())
            .collect()
    }

    /// The interval between rounds.
    pub fn interval(&self) -> Duration {
        self.cadence.interval
    }

    /// Takes the reader of healthtop's own process (for the `process_*` metrics).
    pub fn take_own(&mut self) -> Option<Collector> {
        self.own.take()
    }
}

/// healthtop's own process now: the cheap tier and its CPU time, through the collectors.
pub fn read_own(own: &mut Collector) -> Option<OwnProcess> {
    let sample = own.sample(Tiers::CHEAP).ok()?;
    let hz = sample.system.clock_ticks_per_sec.max(1) as f64;
    let cpu_seconds = own.cpu_ticks().ok().map(|ticks| ticks as f64 / hz);
    Some(OwnProcess {
        cpu_seconds,
        sample,
    })
}
