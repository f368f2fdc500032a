//! The pprof HTTP reply decoder and the parsers of what it carries never panic, on any input,
//! and stay within their caps: the stable-toolchain companion of `fuzz/fuzz_targets/pprof_reply.rs`.
//! Seeds are real replies of a Go 1.19 net/http/pprof (`tests/fixtures/pprof/`: the index page
//! over HTTP/1.0 and chunked HTTP/1.1, goroutine profiles, a 404). Each round mutates one with a
//! fixed-seed generator (byte flips, HTTP tokens, lengths and chunk sizes at the edges of the
//! integer types, cut and duplicated ranges), so a failure reproduces exactly.
//!
//! Properties, each of which can fail: no panic; the body never exceeds its cap, and a cut
//! body is exactly the cap; feeding the same bytes in two pieces, split anywhere, gives the
//! same result as feeding them at once (the state machine carries nothing across reads that
//! changes the answer).

#[path = "common/mod.rs"]
mod common;

use common::{mutate_bytes, Rng};
use healthtop::runtimes::go::http::{decode, Limits, Overflow, ReplyDecoder};
use healthtop::runtimes::go::{debug1_total, index_goroutine_count, parse_goroutines};
use std::path::Path;

const TOKENS: [&[u8]; 20] = [
    b"\r\n",
    b"\n",
    b"\r\n\r\n",
    b":",
    b";",
    b"Content-Length: ",
    b"Transfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: gzip, chunked\r\n",
    b"18446744073709551616",
    b"99999999999999999999",
    b"fffffffffffffff",
    b"ffffffffffffffff",
    b"0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n",
    b"<tr><td>",
    b"</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr>",
    b"goroutine profile: total ",
    b"goroutine 1 [running]:\n",
    b"\xff\xfe",
    b"\0",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    mutate_bytes(rng, &mut data, &TOKENS, 64, 1);
    data
}

fn seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pprof");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/pprof")
        .map(|e| std::fs::read(e.expect("entry").path()).expect("seed"))
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 5, "the real replies are the seeds");
    seeds
}

/// Rounds per seed; the total is printed so CI logs say how many inputs ran.
const ROUNDS: usize = 8000;

#[test]
fn the_reply_decoder_never_panics_stays_in_its_caps_and_ignores_read_boundaries() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut inputs = 0;
    let mut decoded = 0;
    for seed in seeds() {
        for round in 0..ROUNDS {
            let input = if round == 0 {
                seed.clone()
            } else {
                mutate(&mut rng, &seed)
            };
            let cap = [16, 700, 1 << 20][rng.below(3)];
            let overflow = [Overflow::Refuse, Overflow::Truncate][rng.below(2)];
            let limits = Limits {
                body_bytes: cap,
                overflow,
            };
            let whole = decode(&input, limits);
            if let Ok(reply) = &whole {
                decoded += 1;
                assert!(reply.body.len() <= cap, "body over its cap");
                if reply.truncated {
                    assert_eq!(reply.body.len(), cap, "a cut body is cut at the cap");
                    assert_eq!(overflow, Overflow::Truncate);
                }
                let text = String::from_utf8_lossy(&reply.body);
                let _ = index_goroutine_count(&text);
                let _ = debug1_total(&text);
                let _ = parse_goroutines(&text);
            }
            let split = rng.below(input.len() + 1);
            let mut pieces = ReplyDecoder::new(limits);
            let in_pieces = pieces
                .feed(&input[..split])
                .and_then(|done| {
                    if done {
                        Ok(true)
                    } else {
                        pieces.feed(&input[split..])
                    }
                })
                .and_then(|_| pieces.finish());
            assert_eq!(
                whole,
                in_pieces,
                "split at {split} of {:?}",
                String::from_utf8_lossy(&input)
            );
            inputs += 1;
        }
    }
    // The seeds are real replies: most mutations keep a decodable reply, so the checks on
    // decoded bodies above really ran.
    assert!(decoded * 10 > inputs, "{decoded} of {inputs} decoded");
    println!("pprof reply decoder: {inputs} inputs, {decoded} decoded");
}

#[test]
fn the_real_replies_decode_to_their_counts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pprof");
    let limits = Limits {
        body_bytes: 1 << 20,
        overflow: Overflow::Refuse,
    };
    let read = |name: &str| {
        let raw = std::fs::read(dir.join(name)).expect(name);
        decode(&raw, limits).expect(name)
    };
    let plain = read("index-go1.19-http1.0.reply");
    let chunked = read("index-go1.19-chunked.reply");
    assert_eq!(plain.status, 200);
    assert_eq!(
        plain.body, chunked.body,
        "both framings carry the same page"
    );
    // The numbers the captured pages carry (`grep` them): 29 goroutines on the index page and
    // in the debug=1 header, 30 goroutine blocks in the debug=2 dump taken after them.
    let count = index_goroutine_count(&String::from_utf8_lossy(&plain.body));
    assert_eq!(count, Some(29));
    let profile = read("goroutine-debug1-go1.19-chunked.reply");
    assert_eq!(
        debug1_total(&String::from_utf8_lossy(&profile.body)),
        Some(29)
    );
    let dump = read("goroutine-debug2-go1.19-http1.0.reply");
    let parsed = parse_goroutines(&String::from_utf8_lossy(&dump.body));
    assert_eq!(parsed.goroutines.len(), 30);
    assert_eq!(read("notfound-go1.19.reply").status, 404);
}
