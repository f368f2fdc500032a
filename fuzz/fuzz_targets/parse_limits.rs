//! `/proc/PID/limits`: a fixed-width table whose row names contain spaces.
#![no_main]

use healthtop::parse::limits::parse_limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_limits(&String::from_utf8_lossy(data));
});
