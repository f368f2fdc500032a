//! A goroutine dump (`?debug=1` or `?debug=2`), as the target's pprof listener sent it.
#![no_main]

use healthtop::runtimes::go::goroutines::parse_goroutines;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dump = parse_goroutines(&String::from_utf8_lossy(data));
    let _ = (dump.total(), dump.folded_stacks());
});
