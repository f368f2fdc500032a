//! `stall`: no thread made progress for a window while work was waiting.

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity, Threshold, Window};
use crate::config::Config;
use crate::history::Metric;

pub struct Stall;

static DOC: RuleDoc = RuleDoc {
    id: "stall",
    title: "Stalled: work waits and no thread runs",
    meaning: "For the whole window no thread used CPU and no thread was switched in or out, while \
              input waited: bytes received on its connections and not read, or connections \
              waiting in a listen queue. The process is deadlocked or hung, not idle. An idle \
              server (nothing queued) never fires this.",
    threshold: "CPU time and context switches of every thread unchanged across at least \
                min_censuses thread censuses spanning window_secs (with --watch: the watch \
                window), no thread running, and unread input at every fd census in that window.",
    action: "Take stacks (`healthtop stacks -p PID`): threads all in futex waits on the same \
             locks is a deadlock; a thread in D is an I/O hang (see d-state).",
    kind: Kind::Fact,
};

impl Rule for Stall {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn thresholds(&self, config: &Config) -> Vec<Threshold> {
        vec![
            Threshold::new("stall.window_secs", config.stall.window_secs),
            Threshold::new("stall.min_censuses", config.stall.min_censuses),
        ]
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let c = &ctx.config.stall;
        let now = ctx.now_ms();
        let since = match ctx.window {
            Window::Explicit { since_ms } => since_ms,
            Window::Rolling => {
                let since = now.saturating_sub(c.window_secs * 1000);
                if ctx.history.first_at_ms()? > since {
                    return None;
                }
                since
            }
        };
        let values = |metric| -> Vec<f64> {
            ctx.history
                .series(metric)
                .since(since)
                .filter_map(|p| p.value)
                .collect()
        };
        let unchanged = |v: &[f64]| v.len() >= c.min_censuses && v.iter().all(|&x| x == v[0]);
        let cpu = values(Metric::CpuTicks);
        let switches = values(Metric::CtxtSwitches);
        if !unchanged(&cpu) || !unchanged(&switches) {
            return None;
        }
        if sample.threads.items.iter().any(|t| t.state == "R") {
            return None;
        }
        let waiting = |v: &[f64]| v.len() >= 2 && v.iter().all(|&x| x > 0.0);
        let unread = values(Metric::SocketRxQueuedBytes);
        let backlog = values(Metric::AcceptQueued);
        let unread_now = unread.last().copied().unwrap_or(0.0);
        let backlog_now = backlog.last().copied().unwrap_or(0.0);
        let work = match (waiting(&unread), waiting(&backlog)) {
            (true, true) => format!(
                "{unread_now:.0} bytes unread and {backlog_now:.0} connection(s) waiting to be accepted"
            ),
            (true, false) => format!("{unread_now:.0} bytes unread on its connections"),
            (false, true) => format!("{backlog_now:.0} connection(s) waiting to be accepted"),
            (false, false) => return None,
        };
        let window_secs = (now.saturating_sub(since)) as f64 / 1000.0;
        let mut evidence = vec![
            format!(
                "CPU ticks {:.0} and context switches {:.0} unchanged over {} censuses in {window_secs:.0}s",
                cpu[0],
                switches[0],
                cpu.len()
            ),
            work.clone(),
        ];
        for t in sample.threads.items.iter() {
            let place = t.syscall.as_deref().or(t.wchan.as_deref()).map_or_else(
                || {
                    crate::format::not_available(
                        sample.unavailable_reason("threads.items[].syscall"),
                    )
                },
                str::to_string,
            );
            evidence.push(format!(
                "thread {} ({}) {} in {place}",
                t.tid, t.name, t.state
            ));
        }
        Some(
            Finding::new(
                &DOC,
                Severity::Crit,
                format!(
                    "stalled: no thread ran for {window_secs:.0}s while {work}: deadlock or hang, not idleness"
                ),
            )
            .with_evidence(evidence),
        )
    }
}
