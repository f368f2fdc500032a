//! A HotSpot thread dump, as the JVM (or whoever answers on its attach socket) wrote it.
#![no_main]

use healthtop::runtimes::jvm::threaddump::parse_thread_dump;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dump = parse_thread_dump(&String::from_utf8_lossy(data));
    let _ = dump.folded_stacks();
});
