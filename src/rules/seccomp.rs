//! `seccomp`: a seccomp filter or strict mode is in force.

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity};

pub struct Seccomp;

static DOC: RuleDoc = RuleDoc {
    id: "seccomp",
    title: "Seccomp filter in force",
    meaning: "System calls outside the seccomp profile are killed (SIGSYS) or fail with EPERM. \
              After a runtime or glibc upgrade starts using a new syscall, the process dies for \
              no visible reason; an OOM hook that must fork cannot. Strict mode allows only \
              read, write, exit and sigreturn.",
    threshold: "info for filter mode (with the number of filters); warn for strict mode.",
    action: "If the process dies with SIGSYS or odd EPERMs, check the audit log (`ausearch -m \
             SECCOMP`) and extend the profile.",
    kind: Kind::Static,
};

impl Rule for Seccomp {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let s = &sample.seccomp;
        let na = |field: &str| crate::format::not_available(sample.unavailable_reason(field));
        let evidence = vec![format!(
            "Seccomp {}, Seccomp_filters {}, NoNewPrivs {}",
            s.mode
                .as_deref()
                .map_or_else(|| na("seccomp.mode"), str::to_string),
            s.filters
                .map_or_else(|| na("seccomp.filters"), |f| f.to_string()),
            s.no_new_privs
                .map_or_else(|| na("seccomp.no_new_privs"), |f| f.to_string())
        )];
        let (severity, message) = match s.mode.as_deref()? {
            "filter" => (
                Severity::Info,
                match s.filters {
                    Some(n) => format!("{n} seccomp filter(s) in force: syscalls outside the profile fail or kill the process"),
                    None => "a seccomp filter is in force: syscalls outside the profile fail or kill the process".to_string(),
                },
            ),
            "strict" => (
                Severity::Warn,
                "seccomp strict mode: any syscall but read, write, exit and sigreturn kills the process".to_string(),
            ),
            _ => return None,
        };
        Some(Finding::new(&DOC, severity, message).with_evidence(evidence))
    }
}
