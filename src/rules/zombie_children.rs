//! `zombie-children`: exited children nobody reaps.

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity, Threshold};
use crate::config::Config;
use crate::history::{Metric, TrendGate};

pub struct ZombieChildren;

static DOC: RuleDoc = RuleDoc {
    id: "zombie-children",
    title: "Zombie children accumulating",
    meaning: "Children exited and this process never called wait() on them. Each zombie keeps a \
              PID, which counts against pids.max and pid_max: a container whose main process \
              never reaps slowly loses the ability to fork.",
    threshold: "warn at warn_count zombies, or at 2 or more while their count rises \
                significantly; crit at crit_count.",
    action: "Reap children (SIGCHLD handler with waitpid(-1, WNOHANG) in a loop), or run under an \
             init that reaps (tini, `docker run --init`).",
    kind: Kind::Level,
};

impl Rule for ZombieChildren {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn thresholds(&self, config: &Config) -> Vec<Threshold> {
        let c = &config.zombie_children;
        vec![
            Threshold::new("zombie_children.warn_count", c.warn_count),
            Threshold::new("zombie_children.crit_count", c.crit_count),
        ]
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let zombies = ctx.history.latest()?.threads.zombie_children?;
        let c = &ctx.config.zombie_children;
        let since = ctx.fact_since_ms(ctx.config.trend.short_window_secs);
        let gate = TrendGate {
            min_tau: ctx.config.trend.min_tau,
            min_z: ctx.config.trend.min_z,
        };
        let rising = ctx
            .history
            .trend(Metric::ZombieChildren, since, gate)
            .filter(|t| t.significant && t.slope_per_sec > 0.0);
        let severity = if zombies >= c.crit_count {
            Severity::Crit
        } else if zombies >= c.warn_count || (zombies >= 2 && rising.is_some()) {
            Severity::Warn
        } else {
            return None;
        };
        let mut evidence = vec![format!("{zombies} zombie children")];
        if let Some(t) = rising {
            evidence.push(format!(
                "rising {:.3}/s (Kendall tau {:.2})",
                t.slope_per_sec, t.tau
            ));
        }
        Some(
            Finding::new(
                &DOC,
                severity,
                format!("{zombies} exited children are not reaped: each holds a PID until this process waits for it"),
            )
            .with_evidence(evidence),
        )
    }
}
