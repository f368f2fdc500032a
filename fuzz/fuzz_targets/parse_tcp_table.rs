//! `/proc/PID/net/tcp` and `tcp6`: hex addresses in host byte order, states by code.
#![no_main]

use healthtop::parse::tcp::{parse_tcp_table, tcp_state_name};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = parse_tcp_table(&String::from_utf8_lossy(data)) {
        for row in rows {
            let _ = tcp_state_name(row.state);
        }
    }
});
