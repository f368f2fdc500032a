//! A HotSpot attach reply (`<status>\n<text>`), read from a socket in the target's /tmp.
#![no_main]

use healthtop::runtimes::jvm::attach::parse_reply;
use healthtop::runtimes::jvm::threaddump::parse_thread_dump;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = parse_reply(data, "threaddump") {
        let _ = parse_thread_dump(&text);
    }
});
