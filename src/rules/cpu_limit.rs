//! `cpu-limit`: CPU time against RLIMIT_CPU (SIGXCPU, then SIGKILL at the hard limit).

use super::forecast::{self, Verdict};
use super::{limits, Context, Finding, Kind, Rule, RuleDoc, Severity};
use crate::headroom::ResourceKind;
use crate::history::Metric;

pub struct CpuLimit;

static DOC: RuleDoc = RuleDoc {
    id: "cpu-limit",
    title: "CPU time running into RLIMIT_CPU",
    meaning: "The process has a CPU-time limit. When its user+system time reaches the soft limit \
              the kernel sends SIGXCPU (default action: die with a core), and SIGKILL at the hard \
              limit: a timed death of a long-running service.",
    threshold: "a soft RLIMIT_CPU is set and CPU time rises significantly toward it; crit / warn \
                by ETA as for every forecast. CPU time is that of the threads alive at each \
                census (exited threads are not counted, so the ETA errs late).",
    action: "Remove the limit (`prlimit --cpu=unlimited`, LimitCPU= in the unit) unless the \
             process is meant to be killed.",
    kind: Kind::Forecast,
};

impl Rule for CpuLimit {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let soft_secs = limits::rlimit_soft(sample, "cpu")?;
        let ticks = sample.system.clock_ticks_per_sec.max(1) as f64;
        let resource = ctx.resource(ResourceKind::CpuTime)?;
        let limit = resource.binding.as_ref()?;
        let used = resource.usage.unwrap_or(0.0) / ticks;
        let finding = match forecast::verdict(ctx, &resource.outlook, limit.value)? {
            Verdict::Rising(f) => Finding::new(
                &DOC,
                f.severity,
                format!(
                    "CPU time {used:.0}s of RLIMIT_CPU {soft_secs}s, using {:.0}% of a CPU: SIGXCPU {}",
                    f.trend.slope_per_sec / ticks * 100.0,
                    forecast::when(&f)
                ),
            )
            .with_eta(Some(f.eta_secs))
            .with_evidence(vec![forecast::evidence(Metric::CpuTicks, &f)]),
            Verdict::Stopped(stop) => Finding::new(
                &DOC,
                Severity::Info,
                format!(
                    "CPU time {used:.0}s of RLIMIT_CPU {soft_secs}s: it stopped using CPU ({})",
                    forecast::stopped(ctx, &stop, false)
                ),
            )
            .with_evidence(vec![forecast::stopped_evidence(Metric::CpuTicks, &stop)]),
        };
        Some(finding)
    }
}
