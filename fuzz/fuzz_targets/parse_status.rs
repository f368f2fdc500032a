//! `/proc/PID/status` (also meminfo and smaps_rollup, which the collector reads the same way):
//! the parser and every typed getter, on the keys the collector asks for and on keys taken
//! from the input itself.
#![no_main]

use healthtop::parse::status::Status;
use libfuzzer_sys::fuzz_target;

const KEYS: [&str; 14] = [
    "Threads",
    "Tgid",
    "TracerPid",
    "Seccomp",
    "Seccomp_filters",
    "NoNewPrivs",
    "VmRSS",
    "SigBlk",
    "SigPnd",
    "ShdPnd",
    "CapEff",
    "Uid",
    "Gid",
    "Pss",
];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let status = Status::parse(&text);
    let own_keys = text
        .lines()
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim()));
    for key in KEYS.into_iter().chain(own_keys) {
        let _ = status.get(key);
        let _ = status.number(key);
        let _ = status.signed(key);
        let _ = status.kib_as_bytes(key);
        let _ = status.hex_mask(key);
        let _ = status.ids(key);
    }
});
