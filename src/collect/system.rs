//! Host-wide settings that bound the target: threads-max, pid_max, file-nr, max_map_count.

use super::{Gaps, HostRoot};
use crate::sample::System;

/// Values fixed for the life of the host, read once.
#[derive(Debug, Clone)]
pub(crate) struct HostConstants {
    pub clock_ticks_per_sec: u64,
    pub page_size: u64,
    pub boot_time_unix: Option<u64>,
}

impl HostConstants {
    pub fn read(root: &HostRoot) -> Self {
        let boot_time_unix = root.read_proc("stat").ok().and_then(|stat| {
            stat.lines()
                .find_map(|line| line.strip_prefix("btime "))
                .and_then(|v| v.trim().parse().ok())
        });
        HostConstants {
            clock_ticks_per_sec: sysconf(libc::_SC_CLK_TCK).unwrap_or(100),
            page_size: sysconf(libc::_SC_PAGESIZE).unwrap_or(4096),
            boot_time_unix,
        }
    }
}

fn sysconf(name: libc::c_int) -> Option<u64> {
    nix::unistd::sysconf(match name {
        libc::_SC_CLK_TCK => nix::unistd::SysconfVar::CLK_TCK,
        _ => nix::unistd::SysconfVar::PAGE_SIZE,
    })
    .ok()
    .flatten()
    .and_then(|v| u64::try_from(v).ok())
}

pub(super) fn read(root: &HostRoot, host: &HostConstants, gaps: &mut Gaps) -> System {
    let mut number = |name: &str, field: &str| gaps.keep(field, root.sysctl_number(name));
    let threads_max = number("kernel/threads-max", "system.threads_max");
    let pid_max = number("kernel/pid_max", "system.pid_max");
    let file_nr = number("fs/file-nr", "system.file_nr");
    let file_max = number("fs/file-max", "system.file_max");
    let nr_open = number("fs/nr_open", "system.nr_open");
    // `/proc/loadavg` field 4 is `running/total`; total counts every task (thread) on the host.
    let tasks_total = gaps
        .keep("system.tasks_total", root.read_proc("loadavg"))
        .and_then(|text| {
            text.split_whitespace()
                .nth(3)
                .and_then(|f| f.split('/').nth(1))
                .and_then(|t| t.parse().ok())
        });
    let kernel = gaps
        .keep("system.kernel", root.read_proc("sys/kernel/osrelease"))
        .map(|k| k.trim().to_string());
    System {
        kernel,
        threads_max,
        pid_max,
        tasks_total,
        file_nr,
        file_max,
        nr_open,
        clock_ticks_per_sec: host.clock_ticks_per_sec,
        page_size: host.page_size,
    }
}
