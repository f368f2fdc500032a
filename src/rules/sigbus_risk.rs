//! `sigbus-risk`: shared mappings past the end of their file, and deleted code mappings.

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity};
use crate::sample::Mapping;

pub struct SigbusRisk;

static DOC: RuleDoc = RuleDoc {
    id: "sigbus-risk",
    title: "Mapped files truncated or deleted (SIGBUS risk)",
    meaning: "A shared file mapping reaches past the end of its file (someone truncated it, e.g. \
              logrotate copytruncate): touching those pages kills the process with SIGBUS. A \
              mapped executable or library that was deleted or replaced (an upgrade while \
              running) makes later loads mix old and new code (SIGSEGV/SIGILL).",
    threshold: "crit for any shared mapping past EOF; warn for a deleted executable mapping; \
                info for other deleted file mappings (memfd and SysV shared memory are normal \
                and ignored).",
    action: "Stop truncating files that are mapped (rotate by rename, not copytruncate); restart \
             the process after upgrades so it maps the new files.",
    kind: Kind::Static,
};

fn describe(m: &Mapping) -> String {
    format!("{:x}-{:x} {} {}", m.start, m.end, m.perms, m.path)
}

/// Deleted mappings that are normal: memfd, SysV shm, and anonymous shared memory.
fn expected_deleted(m: &Mapping) -> bool {
    m.path.starts_with("/memfd:") || m.path.starts_with("/SYSV") || m.path.starts_with("/dev/zero")
}

impl Rule for SigbusRisk {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let memory = &ctx.history.latest()?.memory;
        if !memory.mappings_past_eof.is_empty() {
            let evidence = memory
                .mappings_past_eof
                .iter()
                .map(|p| {
                    format!(
                        "{}: file is {} bytes, {} page(s) mapped past its end",
                        describe(&p.mapping),
                        p.file_size,
                        p.pages_past_eof
                    )
                })
                .collect();
            let first = &memory.mappings_past_eof[0];
            return Some(
                Finding::new(
                    &DOC,
                    Severity::Crit,
                    format!(
                        "{} is mapped past its end ({} page(s)): touching them kills the process with SIGBUS",
                        first.mapping.path, first.pages_past_eof
                    ),
                )
                .with_evidence(evidence),
            );
        }
        let deleted: Vec<&Mapping> = memory
            .deleted_mappings
            .iter()
            .filter(|m| !expected_deleted(m))
            .collect();
        let code: Vec<&&Mapping> = deleted.iter().filter(|m| m.perms.contains('x')).collect();
        let evidence = deleted.iter().map(|m| describe(m)).collect();
        if let Some(first) = code.first() {
            return Some(
                Finding::new(
                    &DOC,
                    Severity::Warn,
                    format!(
                        "running code from a deleted file ({}): it was replaced while running; restart to load the new version",
                        first.path
                    ),
                )
                .with_evidence(evidence),
            );
        }
        let first = deleted.first()?;
        Some(
            Finding::new(
                &DOC,
                Severity::Info,
                format!(
                    "{} mapping(s) of deleted files ({}): their disk space stays used while mapped",
                    deleted.len(),
                    first.path
                ),
            )
            .with_evidence(evidence),
        )
    }
}
