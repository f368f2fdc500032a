//! `/proc/PID/stat` and `task/TID/stat` lines: `comm` may hold anything, including `)`.
#![no_main]

use healthtop::parse::stat::parse_stat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(stat) = parse_stat(&text) {
        let _ = stat.is_kernel_thread();
    }
});
