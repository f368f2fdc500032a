//! `/proc/PID/maps` and the helpers the collector calls on each mapping.
#![no_main]

use healthtop::parse::maps::parse_maps;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(maps) = parse_maps(&String::from_utf8_lossy(data)) {
        for mapping in maps {
            let _ = (mapping.len(), mapping.is_empty(), mapping.is_shared());
            let _ = (mapping.is_file_backed(), mapping.device());
        }
    }
});
