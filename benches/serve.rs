//! `healthtop serve`'s own CPU time at 1, 10 and 100 watched processes (real C targets,
//! `rules_target threads 4`: five threads and a few descriptors each), measured as the CPU
//! time of this process (`CLOCK_PROCESS_CPUTIME_ID`), not wall time, so the other work of a
//! shared machine does not count:
//! - `round/N`: one reading of every watched process (the tiers due, the headroom model, the
//!   rules), what serve does once per `--interval`; averaged over many rounds, so the census
//!   (every 3rd round) and the maps (every 10th) weigh what they weigh in a long run. The
//!   histories are filled first to the trend estimator's cap ([`MAX_POINTS`] readings: its
//!   cost stops growing there), which a real run at the default 5 s interval reaches after
//!   33 minutes: this is the steady state, the most a round costs.
//! - `scrape/N`: one `/metrics` reply (healthtop's own process read, the exposition written).
//!
//! Run: `cargo bench --bench serve`. Medians land in `target/criterion/serve/*/new/estimates.json`.

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, SamplingMode};
use healthtop::collect::HostRoot;
use healthtop::config::Config;
use healthtop::exposition::{render, Format};
use healthtop::history::trend::MAX_POINTS;
use healthtop::serve::{read_own, Fleet, Selector};
use nix::time::{clock_gettime, ClockId};
use std::hint::black_box;
use std::process::Command;
use std::time::Duration;

/// CPU time of the whole process.
struct ProcessCpu {
    /// Only for its formatter: CPU time is a duration too.
    wall: WallTime,
}

fn cpu_now() -> Duration {
    clock_gettime(ClockId::CLOCK_PROCESS_CPUTIME_ID).map_or(Duration::ZERO, Duration::from)
}

impl Measurement for ProcessCpu {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        cpu_now()
    }
    fn end(&self, started: Duration) -> Duration {
        cpu_now().saturating_sub(started)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}

fn bench(c: &mut Criterion<ProcessCpu>) {
    let binary = common::c_target("rules_target").expect("gcc builds the benchmark's targets");
    let mut group = c.benchmark_group("serve");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for count in [1_usize, 10, 100] {
        let targets: Vec<common::Target> = (0..count)
            .map(|_| {
                let mut command = Command::new(&binary);
                command.args(["threads", "4"]);
                common::Target::start_group(command, "ready")
            })
            .collect();
        let selectors = targets.iter().map(|t| Selector::Pid(t.pid())).collect();
        let mut fleet = Fleet::new(
            HostRoot::live(),
            selectors,
            Config::default(),
            Duration::from_secs(5),
        )
        .expect("the targets are watchable");
        for _ in 0..=MAX_POINTS {
            fleet.refresh();
        }
        assert_eq!(fleet.targets().len(), count, "every target is read");
        group.bench_function(format!("round/{count}"), |b| b.iter(|| fleet.refresh()));
        let mut own = fleet.take_own().expect("healthtop reads itself");
        let figures = fleet.targets();
        group.bench_function(format!("scrape/{count}"), |b| {
            b.iter(|| {
                let own = read_own(&mut own);
                black_box(render(&figures, own.as_ref(), Format::Text))
            })
        });
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default()
        .with_measurement(ProcessCpu { wall: WallTime })
        .configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
