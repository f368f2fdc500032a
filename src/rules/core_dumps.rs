//! `core-dumps`: a crash would leave no core dump.

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity};
use crate::format;

pub struct CoreDumps;

static DOC: RuleDoc = RuleDoc {
    id: "core-dumps",
    title: "A crash would leave no core dump",
    meaning: "If this process crashes there will be nothing to debug: RLIMIT_CORE is 0 (also \
              honoured by systemd-coredump), the process is not dumpable (set-uid, \
              PR_SET_DUMPABLE 0), or kernel.core_pattern is empty.",
    threshold: "info when RLIMIT_CORE is 0 and core_pattern does not pipe to a helper other than \
                systemd-coredump, when the process is not dumpable, or when core_pattern is empty.",
    action: "Raise the core limit (LimitCORE=infinity, `prlimit --core=unlimited`) where crashes \
             must be debugged; check core_pattern and coredumpctl.",
    kind: Kind::Static,
};

impl Rule for CoreDumps {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let core = &sample.core;
        let pattern = core.pattern.as_deref();
        let evidence = vec![
            format!(
                "RLIMIT_CORE {}",
                core.rlimit_bytes
                    .map_or("unlimited".into(), |b| b.to_string())
            ),
            format!(
                "core_pattern {}",
                pattern.map_or_else(
                    || format::not_available(sample.unavailable_reason("core.pattern")),
                    str::to_string
                )
            ),
            format!(
                "dumpable {}",
                sample.identity.dumpable.map_or_else(
                    || format::not_available(sample.unavailable_reason("dumpable")),
                    |d| d.to_string()
                )
            ),
        ];
        let piped_elsewhere =
            core.piped == Some(true) && pattern.is_some_and(|p| !p.contains("systemd-coredump"));
        let reason = if sample.identity.dumpable == Some(false) {
            "the process is not dumpable (set-uid or PR_SET_DUMPABLE 0)"
        } else if pattern.is_some_and(|p| p.trim().is_empty()) {
            "kernel.core_pattern is empty"
        } else if core.rlimit_bytes == Some(0) && !piped_elsewhere {
            "RLIMIT_CORE is 0"
        } else {
            return None;
        };
        Some(
            Finding::new(
                &DOC,
                Severity::Info,
                format!("a crash would leave no core dump: {reason}"),
            )
            .with_evidence(evidence),
        )
    }
}
