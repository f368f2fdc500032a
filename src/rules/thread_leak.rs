//! `thread-leak`: a significant rise of threads, forecast to the tightest thread limit.

use super::forecast::{self, forecast};
use super::{limits, Context, Finding, Kind, Rule, RuleDoc, Threshold};
use crate::config::Config;
use crate::history::Metric;

pub struct ThreadLeak;

static DOC: RuleDoc = RuleDoc {
    id: "thread-leak",
    title: "Thread leak",
    meaning: "The thread count keeps rising toward the tightest limit (see thread-headroom). \
              At the ETA new threads fail: the JVM throws 'unable to create native thread', C \
              servers fail pthread_create; at its own limit of 10,000 threads the Go runtime \
              aborts the whole program ('runtime: program exceeds 10000-thread limit').",
    threshold:
        "a significant rise (Theil–Sen, Kendall gate) from at least min_level threads; crit \
                when the limit is nearer than trend.eta_crit_secs, warn when nearer than \
                trend.eta_warn_secs.",
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
        let limit = limits::tightest(limits::thread_limits(sample))?;
        let f = forecast(
            ctx,
            Metric::Threads,
            limit.value,
            ctx.config.thread_leak.min_level,
        )?;
        Some(
            Finding::new(
                &DOC,
                f.severity,
                format!(
                    "threads {}/{:.0}, {}: {} in {}",
                    sample.threads.count,
                    limit.value,
                    forecast::rate(f.trend.slope_per_sec),
                    limits::at_thread_limit(&limit),
                    forecast::eta(f.eta_secs)
                ),
            )
            .with_eta(Some(f.eta_secs))
            .with_evidence(vec![
                forecast::evidence(Metric::Threads, &f),
                format!("tightest limit: {}", limit.name),
            ]),
        )
    }
}
