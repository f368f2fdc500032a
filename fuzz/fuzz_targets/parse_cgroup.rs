//! `/proc/PID/cgroup` and the cgroupfs files: limits (`max`, v1's huge numbers), flat-keyed
//! files (`memory.events`, `memory.stat`, `memory.oom_control`) and PSI files.
#![no_main]

use healthtop::parse::cgroup::{parse_flat_keyed, parse_limit, parse_memberships, parse_pressure};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_memberships(&text);
    let _ = parse_limit(&text);
    let _ = parse_flat_keyed(&text);
    let _ = parse_pressure(&text);
});
