//! A Go binary's `.gopclntab`, from a file the target chose: counts and offsets are its word.
#![no_main]

use healthtop::stacks::gopclntab::GoTable;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(table) = GoTable::parse(data, Some(0x40_1000)) {
        let _ = table.functions();
        for pc in [0, 0x40_1000, 0x40_1004, 0x40_1041, u64::MAX] {
            let _ = table.sp_delta_at(pc);
            let _ = table.is_top_frame(pc);
        }
    }
});
