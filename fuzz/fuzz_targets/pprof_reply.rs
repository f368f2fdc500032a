//! A pprof endpoint's HTTP reply (`runtimes::go::http`), fed in two pieces split where the
//! first byte says, then the parsers of what it carries: the index page's goroutine count and
//! the goroutine profile. Checks, beyond "no panic": the body stays within its cap, a cut body
//! is exactly the cap, and the split does not change the answer.
//! Seeds: `mkdir -p corpus/pprof_reply && cp ../tests/fixtures/pprof/* corpus/pprof_reply/`.
#![no_main]

use healthtop::runtimes::go::http::{decode, Limits, Overflow, ReplyDecoder};
use healthtop::runtimes::go::{index_goroutine_count, parse_goroutines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let limits = Limits {
        body_bytes: if first & 1 == 0 { 700 } else { 1 << 16 },
        overflow: if first & 2 == 0 {
            Overflow::Refuse
        } else {
            Overflow::Truncate
        },
    };
    let whole = decode(input, limits);
    if let Ok(reply) = &whole {
        assert!(reply.body.len() <= limits.body_bytes);
        assert!(!reply.truncated || reply.body.len() == limits.body_bytes);
        let text = String::from_utf8_lossy(&reply.body);
        let _ = index_goroutine_count(&text);
        let _ = parse_goroutines(&text);
    }
    let split = usize::from(first >> 2) * input.len() / 63;
    let split = split.min(input.len());
    let mut pieces = ReplyDecoder::new(limits);
    let in_pieces = pieces
        .feed(&input[..split])
        .and_then(|done| if done { Ok(true) } else { pieces.feed(&input[split..]) })
        .and_then(|_| pieces.finish());
    assert_eq!(whole, in_pieces);
});
