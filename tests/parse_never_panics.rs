//! The parsers and decoders never panic, on any input: a stable-toolchain companion of the
//! `fuzz/` targets (libFuzzer needs nightly, CI runs stable). Seeds are the real kernel files
//! of `tests/fixtures/proc`; each round mutates one with a fixed-seed generator (byte flips,
//! bytes the formats care about, numbers at the edges of the integer types, cut and duplicated
//! ranges), so a failure reproduces exactly. A parse error is fine; a panic fails the test.

#[path = "common/mod.rs"]
mod common;

use common::{mutate_bytes, Rng};
use healthtop::decode::capabilities::capability_names;
use healthtop::decode::signals::{mask_has, mask_names, signal_name, signal_number};
use healthtop::decode::syscalls::{syscall_name, Arch};
use healthtop::decode::wchan::classify;
use healthtop::parse::cgroup::{parse_flat_keyed, parse_limit, parse_memberships, parse_pressure};
use healthtop::parse::limits::parse_limits;
use healthtop::parse::maps::parse_maps;
use healthtop::parse::stat::parse_stat;
use healthtop::parse::status::Status;
use healthtop::parse::tcp::{parse_tcp_table, tcp_state_name};
use std::fs;
use std::path::{Path, PathBuf};

const TOKENS: [&[u8]; 16] = [
    b":",
    b" ",
    b"\n",
    b"\t",
    b"(",
    b")",
    b"-",
    b"=",
    b"max",
    b"unlimited",
    b" (deleted)",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"ffffffffffffffffff",
    b"\xff\xfe",
    b"0:",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    mutate_bytes(rng, &mut data, &TOKENS, 64, 1);
    data
}

/// Every parser and decoder on one input.
fn exercise(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(stat) = parse_stat(&text) {
        let _ = stat.is_kernel_thread();
    }
    let status = Status::parse(&text);
    for key in [
        "Threads",
        "VmRSS",
        "SigBlk",
        "Uid",
        "Seccomp",
        "TracerPid",
        "Pss",
    ]
    .into_iter()
    .chain(
        text.lines()
            .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim())),
    ) {
        let _ = (status.get(key), status.number(key), status.signed(key));
        let _ = (
            status.kib_as_bytes(key),
            status.hex_mask(key),
            status.ids(key),
        );
    }
    let _ = parse_limits(&text);
    if let Ok(maps) = parse_maps(&text) {
        for m in maps {
            let _ = (m.len(), m.is_empty(), m.is_shared(), m.is_file_backed());
            let _ = m.device();
        }
    }
    if let Ok(rows) = parse_tcp_table(&text) {
        for row in rows {
            let _ = tcp_state_name(row.state);
        }
    }
    let _ = parse_memberships(&text);
    let _ = parse_limit(&text);
    let _ = parse_flat_keyed(&text);
    let _ = parse_pressure(&text);
    let _ = signal_number(&text);
    let _ = classify(&text);
    let mut word = [0u8; 8];
    let n = data.len().min(8);
    word[..n].copy_from_slice(&data[..n]);
    let value = u64::from_le_bytes(word);
    let _ = (
        mask_names(value),
        capability_names(value),
        signal_name(value as u32),
    );
    let _ = mask_has(value, (value >> 56) as u32);
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let _ = syscall_name(arch, value as i64);
    }
}

fn seeds() -> Vec<Vec<u8>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).expect("fixture dir").flatten() {
            let path = entry.path();
            let kind = entry.file_type().expect("file type");
            if kind.is_dir() {
                walk(&path, out);
            } else if kind.is_file() {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/proc"),
        &mut files,
    );
    files.sort();
    let seeds: Vec<Vec<u8>> = files
        .iter()
        .filter(|p| p.extension().is_none_or(|e| e != "txt"))
        .map(|p| fs::read(p).expect("seed"))
        .filter(|s| s.len() <= 16 * 1024)
        .collect();
    assert!(seeds.len() > 50, "fixture seeds found: {}", seeds.len());
    seeds
}

#[test]
fn mutated_kernel_files_never_panic() {
    let seeds = seeds();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for seed in &seeds {
        exercise(seed);
    }
    for round in 0..20_000 {
        let seed = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed);
        let outcome = std::panic::catch_unwind(|| exercise(&input));
        assert!(
            outcome.is_ok(),
            "round {round} panicked on {:?}",
            String::from_utf8_lossy(&input)
        );
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for round in 0..5_000 {
        let len = rng.below(512);
        let input: Vec<u8> = (0..len).map(|_| (rng.next() & 0xff) as u8).collect();
        let outcome = std::panic::catch_unwind(|| exercise(&input));
        assert!(outcome.is_ok(), "round {round} panicked on {input:?}");
    }
}
