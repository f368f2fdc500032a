//! `thread-headroom`: threads against the tightest limit on creating more, now.

use super::{limits, Context, Finding, Kind, Rule, RuleDoc, Threshold};
use crate::config::Config;
use crate::headroom::ResourceKind;

pub struct ThreadHeadroom;

static DOC: RuleDoc = RuleDoc {
    id: "thread-headroom",
    title: "Threads close to a limit",
    meaning: "The process is near the binding limit on new threads: cgroup pids.max, \
              RLIMIT_NPROC (every task of the real user, host-wide; not for root nor with \
              CAP_SYS_RESOURCE/CAP_SYS_ADMIN), kernel.threads-max and pid_max (every task on the \
              host), vm.max_map_count (each thread stack costs mappings) or the Go runtime's \
              10000. Past it pthread_create and fork fail with EAGAIN (JVM 'unable to create \
              native thread'); past Go's own limit the runtime aborts the whole program \
              ('runtime: program exceeds 10000-thread limit').",
    threshold: "threads reach warn_percent / crit_percent of the tightest limit (clears \
                clear_margin_percent lower).",
    action: "Look for threads blocked forever (the thread census, stacks) or a pool without a \
             bound; raise the limit (TasksMax=, pids.max, ulimit -u) only once the growth is \
             understood.",
    kind: Kind::Level,
};

impl Rule for ThreadHeadroom {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn thresholds(&self, config: &Config) -> Vec<Threshold> {
        limits::headroom_thresholds(
            &config.thread_headroom,
            [
                "thread_headroom.warn_percent",
                "thread_headroom.crit_percent",
                "thread_headroom.clear_margin_percent",
            ],
        )
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let threads = sample.threads.count;
        let limit = ctx.resource(ResourceKind::Threads)?.binding.clone()?;
        let c = &ctx.config.thread_headroom;
        let pct = limits::percent(threads as f64, limit.value);
        let severity = limits::headroom_level(pct, c, ctx.active())?;
        Some(
            Finding::new(
                &DOC,
                severity,
                format!(
                    "{threads} threads, {pct:.0}% of the binding limit ({}, {:.0}): past it {}",
                    limit.name,
                    limit.value,
                    super::limits::at_thread_limit(&limit)
                ),
            )
            .with_evidence(vec![
                format!("threads {threads}"),
                format!("binding limit: {}", limit.detail),
            ]),
        )
    }
}
