//! `thread-leak`: a significant rise of threads, forecast to the tightest thread limit.

use super::forecast::{self, Verdict};
use super::{limits, Context, Finding, Kind, Rule, RuleDoc, Severity, Threshold};
use crate::config::Config;
use crate::headroom::ResourceKind;
use crate::history::Metric;

pub struct ThreadLeak;

static DOC: RuleDoc = RuleDoc {
    id: "thread-leak",
    title: "Thread leak",
    meaning: "The thread count keeps rising toward the tightest limit (see thread-headroom). \
              At the ETA new threads fail: the JVM throws 'unable to create native thread', C \
              servers fail pthread_create; at its own limit of 10,000 threads the Go runtime \
              aborts the whole program ('runtime: program exceeds 10000-thread limit').",
    threshold: "a significant rise (Theil–Sen, Kendall gate) from at least min_level threads \
                toward the binding limit (see the limit resolution above), graded as every \
                forecast; info once the recent window stops growing.",
    action: "Take stacks (`healthtop stacks`) and look for many threads in the same place: \
             blocked syscalls or cgo calls (Go), unbounded executors (JVM), threads never joined.",
    kind: Kind::Forecast,
};

impl Rule for ThreadLeak {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn thresholds(&self, config: &Config) -> Vec<Threshold> {
        vec![Threshold::new(
            "thread_leak.min_level",
            config.thread_leak.min_level,
        )]
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let resource = ctx.resource(ResourceKind::Threads)?;
        let limit = resource.binding.as_ref()?;
        let threads = sample.threads.count;
        let finding = match forecast::verdict(ctx, &resource.outlook, limit.value)? {
            Verdict::Rising(f) => Finding::new(
                &DOC,
                f.severity,
                format!(
                    "threads {threads}/{:.0} ({}), {}: {} {}",
                    limit.value,
                    limit.name,
                    forecast::rate(f.trend.slope_per_sec),
                    limits::at_thread_limit(limit),
                    forecast::when(&f)
                ),
            )
            .with_eta(Some(f.eta_secs))
            .with_evidence(vec![
                forecast::evidence(Metric::Threads, &f),
                format!("binding limit: {}", limit.detail),
            ]),
            Verdict::Stopped(stop) => Finding::new(
                &DOC,
                Severity::Info,
                format!(
                    "threads {threads}/{:.0} ({}): {}",
                    limit.value,
                    limit.name,
                    forecast::stopped(ctx, &stop, false)
                ),
            )
            .with_evidence(vec![
                forecast::stopped_evidence(Metric::Threads, &stop),
                format!("binding limit: {}", limit.detail),
            ]),
        };
        Some(finding)
    }
}
