//! Every parser of input a target or a bundle controls survives any input: the bundle reader
//! (then the report, the rule replay and every view on what it accepts), `.gopclntab`, HotSpot
//! thread dumps, goroutine dumps and HotSpot attach replies. A stable-toolchain companion of
//! the `fuzz/` targets: a fixed-seed generator mutates real inputs with what each format cares
//! about, so a failure reproduces exactly. An error is fine; a panic fails the test (an abort
//! would kill the test binary). Each test prints `fuzz: <target>: N inputs in T`; together
//! they run 104,200 inputs.

mod hostile_support;

use healthtop::app::{AppState, View};
use healthtop::bundle::read::read_bundle;
use healthtop::config::Config;
use healthtop::runtimes::go::goroutines::parse_goroutines;
use healthtop::runtimes::jvm::attach::parse_reply;
use healthtop::runtimes::jvm::threaddump::parse_thread_dump;
use healthtop::stacks::gopclntab::GoTable;
use hostile_support::{members, mutate_bytes, real_bundle, with_matching_manifest, Member, Rng};
use std::path::Path;

/// Byte-level mutations: flips, inserted tokens, cut and duplicated ranges, truncation.
/// Runs `inputs` mutated inputs through `exercise`, each under `catch_unwind`.
fn fuzz(
    name: &str,
    inputs: usize,
    mut make: impl FnMut(&mut Rng) -> Vec<u8>,
    exercise: impl Fn(&[u8]),
) {
    let started = std::time::Instant::now();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ name.len() as u64);
    let mut making = std::time::Duration::ZERO;
    for round in 0..inputs {
        let t = std::time::Instant::now();
        let input = make(&mut rng);
        making += t.elapsed();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| exercise(&input)));
        assert!(
            outcome.is_ok(),
            "{name}: round {round} panicked on {:?}",
            String::from_utf8_lossy(&input[..input.len().min(4096)])
        );
    }
    println!(
        "fuzz: {name}: {inputs} inputs in {:.1?} (making {making:.1?})",
        started.elapsed()
    );
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/dumps")
            .join(name),
    )
    .expect("fixture")
}

// ---------------------------------------------------------------- bundles

/// A tar of `members`, gzip-stored (level 0: the reader's work, not the encoder's, is what is
/// exercised), with each header passed through `patch` first.
fn pack_with(members: &[Member], patch: &mut dyn FnMut(usize, &mut tar::Header)) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (index, (name, data)) in members.iter().enumerate() {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o600);
        header.set_entry_type(tar::EntryType::Regular);
        if header.set_path(name).is_err() {
            continue;
        }
        patch(index, &mut header);
        header.set_cksum();
        tar.append(&header, data.as_slice()).expect("append");
    }
    let tar = tar.into_inner().expect("tar");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
    std::io::Write::write_all(&mut encoder, &tar).expect("gzip");
    encoder.finish().expect("gzip")
}

const JSON_VALUES: [&[u8]; 16] = [
    b"-1e300",
    b"1e308",
    b"18446744073709551615",
    b"18446744073709551616",
    b"-9223372036854775808",
    b"-1",
    b"0",
    b"0.5",
    b"null",
    b"\"\\u001b]52;c;x\\u0007\"",
    b"\"\\u202e\"",
    b"[]",
    b"{}",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    b"true",
    b"\"\"",
];

/// Replaces the JSON number or literal at a random place of `json` by one of [`JSON_VALUES`].
fn mutate_json_value(rng: &mut Rng, json: &mut Vec<u8>) {
    let starts: Vec<usize> = json
        .windows(2)
        .enumerate()
        .filter(|(_, w)| {
            w[0] == b':'
                && (w[1] == b'-'
                    || w[1].is_ascii_digit()
                    || w[1] == b'n'
                    || w[1] == b't'
                    || w[1] == b'f')
        })
        .map(|(i, _)| i + 1)
        .collect();
    if starts.is_empty() {
        return;
    }
    let start = *rng.pick(&starts);
    let end = json[start..]
        .iter()
        .position(|&b| b == b',' || b == b'}' || b == b']')
        .map_or(json.len(), |n| start + n);
    json.splice(start..end, rng.pick(&JSON_VALUES).iter().copied());
}

/// One mutated bundle: tar-level changes (order, duplicates, extras, header fields), JSON
/// values of the report or manifest (with the manifest made to match, so the parser and the
/// figure checks are reached), or raw damage to the compressed file.
fn mutated_bundle(rng: &mut Rng, seed: &[Member]) -> Vec<u8> {
    let mut members: Vec<Member> = seed.to_vec();
    let mut fix_manifest = true;
    match rng.below(10) {
        0 => {
            let (a, b) = (rng.below(members.len()), rng.below(members.len()));
            members.swap(a, b);
        }
        1 => {
            let copy = rng.pick(&members).clone();
            let at = rng.below(members.len() + 1);
            members.insert(at, copy);
        }
        2 => {
            let name = rng
                .pick(&[
                    "../escape",
                    "/etc/passwd",
                    "proc/../../x",
                    "extra.txt",
                    "proc//maps",
                    "\u{1b}[2J",
                ])
                .to_string();
            members.push((name, b"hello".to_vec()));
        }
        3 => {
            members.remove(rng.below(members.len()));
        }
        4 | 5 => {
            let (_, report) = members
                .iter_mut()
                .find(|(n, _)| n == "report.json")
                .expect("report.json");
            for _ in 0..=rng.below(3) {
                mutate_json_value(rng, report);
            }
        }
        6 => {
            let (_, manifest) = &mut members[0];
            mutate_json_value(rng, manifest);
            fix_manifest = false;
        }
        _ => {
            let index = rng.below(members.len());
            mutate_bytes(
                rng,
                &mut members[index].1,
                &[b"{", b"}", b"[", b"]", b",", b"\"", b"\\", b"1e999"],
                256,
                8,
            );
            fix_manifest = rng.below(2) == 0;
        }
    }
    if fix_manifest {
        members = with_matching_manifest(members);
    }
    let target = rng.below(members.len());
    let kind = rng.below(8);
    let value = rng.next();
    let mut bytes = pack_with(&members, &mut |index, header| {
        if index != target {
            return;
        }
        match kind {
            0 => header.set_entry_type(tar::EntryType::new(
                *b"12345679SLKxgD"
                    .get((value % 14) as usize)
                    .unwrap_or(&b'0'),
            )),
            1 => header.set_size(value >> (value % 64)),
            2 => header.as_mut_bytes()[124..136]
                .copy_from_slice(b"\x80\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff"),
            _ => {}
        }
    });
    match rng.below(6) {
        0 => {
            let at = rng.below(bytes.len());
            bytes.truncate(at);
        }
        1 => {
            let at = rng.below(bytes.len());
            bytes[at] ^= 1 << rng.below(8);
        }
        _ => {}
    }
    bytes
}

/// What the binary does with a bundle it accepted: the text report, the replayed rules and
/// every view.
fn use_bundle(bundle: healthtop::bundle::read::OpenedBundle) {
    let report = &bundle.report.report;
    let _ = healthtop::report::text::render(&report.sample, true);
    let _ = healthtop::report::findings::render(&report.findings, true);
    let samples = healthtop::cmd::view::timeline(bundle.report);
    let mut state = AppState::for_bundle("fuzz".into(), samples, Config::default());
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).expect("backend");
    for view in View::ALL {
        state.ui.view = view;
        terminal
            .draw(|frame| healthtop::view::render(&state, frame))
            .expect("draw");
    }
}

#[test]
fn mutated_bundles_never_panic() {
    let seed = members(real_bundle());
    let accepted = std::sync::atomic::AtomicUsize::new(0);
    fuzz(
        "bundle",
        4_000,
        |rng| mutated_bundle(rng, &seed),
        |bytes| {
            if let Ok(bundle) = read_bundle(bytes, Path::new("fuzz.tar.gz")) {
                let n = accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                // Rule replay and seven views cost far more than reading: every accepted
                // bundle gets the text report, one in eight the replay and the views.
                if n % 8 == 0 {
                    use_bundle(bundle);
                } else {
                    let report = &bundle.report.report;
                    let _ = healthtop::report::text::render(&report.sample, true);
                    let _ = healthtop::report::findings::render(&report.findings, true);
                }
            }
        },
    );
    // Some mutations keep the bundle valid (a changed figure within range): the views must
    // have been reached, or this test proves only the reader's first checks.
    println!(
        "fuzz: bundle: {} accepted and rendered",
        accepted.into_inner()
    );
}

// ---------------------------------------------------------------- .gopclntab

/// A Go 1.18 table in the layout the runtime writes: header, function names, pcsp tables,
/// `functab` and `_func` records, for `names.len()` functions 0x40 bytes apart.
fn synthetic_table(names: &[&str]) -> Vec<u8> {
    let ptr = 8;
    let header = 8 + 8 * ptr;
    let mut names_blob = Vec::new();
    let mut name_offsets = Vec::new();
    for name in names {
        name_offsets.push(names_blob.len() as u32);
        names_blob.extend_from_slice(name.as_bytes());
        names_blob.push(0);
    }
    // pcsp: 0 for 4 bytes, then 8 up to 0x40; a zero delta ends it.
    let pctab = vec![0u8, 2, 4, 16, 0x3c, 0];
    let funcname_offset = header;
    let pctab_offset = funcname_offset + names_blob.len();
    let functab = pctab_offset + pctab.len();
    let n = names.len();
    let funcs_at = (n + 1) * 8;
    let func_size = 44;
    let mut data = vec![0u8; functab + funcs_at + n * func_size];
    data[0..4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    data[6] = 1;
    data[7] = ptr as u8;
    let mut put_word = |index: usize, value: u64| {
        data[8 + index * ptr..16 + index * ptr].copy_from_slice(&value.to_le_bytes());
    };
    put_word(0, n as u64);
    put_word(2, 0x40_1000);
    put_word(3, funcname_offset as u64);
    put_word(6, pctab_offset as u64);
    put_word(7, functab as u64);
    data[funcname_offset..pctab_offset].copy_from_slice(&names_blob);
    data[pctab_offset..functab].copy_from_slice(&pctab);
    for i in 0..=n {
        let at = functab + i * 8;
        data[at..at + 4].copy_from_slice(&((i * 0x40) as u32).to_le_bytes());
        let func = (funcs_at + i.min(n.saturating_sub(1)) * func_size) as u32;
        data[at + 4..at + 8].copy_from_slice(&func.to_le_bytes());
    }
    for (i, offset) in name_offsets.iter().enumerate() {
        let at = functab + funcs_at + i * func_size;
        data[at..at + 4].copy_from_slice(&((i * 0x40) as u32).to_le_bytes());
        data[at + 4..at + 8].copy_from_slice(&offset.to_le_bytes());
        data[at + 16..at + 20].copy_from_slice(&1u32.to_le_bytes()); // pcsp offset
        data[at + 37] = u8::from(i == 0); // funcFlag_TOPFRAME on the first
    }
    data
}

fn exercise_table(data: &[u8]) {
    if let Some(table) = GoTable::parse(data, Some(0x40_1000)) {
        let _ = table.functions();
        for pc in [
            0,
            0x40_0fff,
            0x40_1000,
            0x40_1003,
            0x40_1004,
            0x40_1041,
            0x40_10ff,
            u64::MAX,
        ] {
            let _ = table.sp_delta_at(pc);
            let _ = table.is_top_frame(pc);
        }
    }
}

#[test]
fn mutated_gopclntabs_never_panic() {
    let seed = synthetic_table(&[
        "runtime.goexit",
        "main.main",
        "main.worker",
        "runtime.futex",
    ]);
    assert_eq!(
        GoTable::parse(&seed, None)
            .and_then(|t| t.functions())
            .map(|f| f.len()),
        Some(4),
        "the seed table is well-formed"
    );
    let extremes: [u64; 8] = [
        u64::MAX,
        1 << 61,
        1 << 40,
        u32::MAX as u64,
        seed.len() as u64,
        seed.len() as u64 - 1,
        0,
        1,
    ];
    fuzz(
        "gopclntab",
        45_000,
        |rng| {
            let mut data = seed.clone();
            if rng.below(2) == 0 {
                // A header word (nfunc, textStart, the offsets) at an edge.
                let word = *rng.pick(&[0usize, 2, 3, 6, 7]);
                let value = *rng.pick(&extremes);
                data[8 + word * 8..16 + word * 8].copy_from_slice(&value.to_le_bytes());
            }
            if rng.below(2) == 0 {
                data[7] = *rng.pick(&[4u8, 8, 0, 255]);
            }
            mutate_bytes(rng, &mut data, &[&[0xff; 4], &[0x80; 5], &[0; 8]], 256, 8);
            data
        },
        exercise_table,
    );
}

/// The crafted ELF of the issue: a real Go binary whose `.gopclntab` claims 2^61 functions.
/// This aborted on the allocation; now the table is refused.
#[test]
fn a_huge_nfunc_in_a_real_go_binary_is_refused() {
    let Some(go) = hostile_support::tool("go") else {
        return;
    };
    let path = std::fs::canonicalize(go).expect("go binary");
    let mut bytes = std::fs::read(&path).expect("read go");
    let (offset, len) = {
        use object::{Object, ObjectSection};
        let file = object::File::parse(bytes.as_slice()).expect("ELF");
        let section = file.section_by_name(".gopclntab").expect(".gopclntab");
        let (offset, len) = section.file_range().expect("in file");
        assert!(!healthtop::stacks::gopclntab::functions(&file).is_empty());
        (offset as usize, len as usize)
    };
    let nfunc = offset + 8;
    bytes[nfunc..nfunc + 8].copy_from_slice(&(1u64 << 61).to_le_bytes());
    let file = object::File::parse(bytes.as_slice()).expect("ELF");
    assert!(healthtop::stacks::gopclntab::functions(&file).is_empty());
    assert!(GoTable::from_file(&file).is_none());
    // And a few hundred header mutations of the real table.
    let table = bytes[offset..offset + len].to_vec();
    fuzz(
        "gopclntab (real go binary)",
        200,
        |rng| {
            let mut data = table.clone();
            let word = *rng.pick(&[0usize, 3, 6, 7]);
            let value = rng.next() >> rng.below(64);
            data[8 + word * 8..16 + word * 8].copy_from_slice(&value.to_le_bytes());
            data
        },
        exercise_table,
    );
}

// ---------------------------------------------------------------- runtime dumps

const DUMP_TOKENS: [&[u8]; 18] = [
    b"\n",
    b"\"",
    b"\" ",
    b" tid=",
    b" nid=0x",
    b" nid=99999999999",
    b"\tat ",
    b"(",
    b")",
    b"\t- locked <0x",
    b"goroutine ",
    b" [",
    b"]:\n",
    b" @ ",
    b"18446744073709551616 @ 0x1",
    b"#\t0x1\t",
    b"Found one Java-level deadlock",
    b"\xff\xfe\xe2\x80\xae",
];

#[test]
fn mutated_thread_dumps_never_panic() {
    let seeds: Vec<Vec<u8>> = [
        "jstack_l_deadlock_jdk17.txt",
        "jstack_l_parker_jdk17.txt",
        "jstack_parker_jdk17.txt",
    ]
    .iter()
    .map(|n| fixture(n))
    .collect();
    fuzz(
        "jvm thread dump",
        15_000,
        |rng| {
            let mut data = rng.pick(&seeds).clone();
            mutate_bytes(rng, &mut data, &DUMP_TOKENS, 256, 8);
            data
        },
        |data| {
            let dump = parse_thread_dump(&String::from_utf8_lossy(data));
            let _ = dump.folded_stacks();
        },
    );
}

#[test]
fn mutated_goroutine_dumps_never_panic() {
    let seeds: Vec<Vec<u8>> = [
        "goroutine_debug1_go119.txt",
        "goroutine_debug2_go119.txt",
        "goroutine_debug2_waits_go119.txt",
    ]
    .iter()
    .map(|n| fixture(n))
    .collect();
    fuzz(
        "goroutine dump",
        20_000,
        |rng| {
            let mut data = rng.pick(&seeds).clone();
            mutate_bytes(rng, &mut data, &DUMP_TOKENS, 256, 8);
            data
        },
        |data| {
            let dump = parse_goroutines(&String::from_utf8_lossy(data));
            let _ = (dump.total(), dump.folded_stacks());
        },
    );
}

#[test]
fn mutated_attach_replies_never_panic() {
    let dump = fixture("jstack_parker_jdk17.txt");
    let seeds: Vec<Vec<u8>> = vec![
        [b"0\n".as_slice(), &dump].concat(),
        b"101\n".to_vec(),
        b"1\njava.lang.IllegalArgumentException: unknown command\n".to_vec(),
        b"-2147483649\n".to_vec(),
        Vec::new(),
    ];
    fuzz(
        "attach reply",
        20_000,
        |rng| {
            let mut data = rng.pick(&seeds).clone();
            mutate_bytes(
                rng,
                &mut data,
                &[b"\n", b"0", b"-", b"\xff", b"99999999999"],
                256,
                8,
            );
            data
        },
        |data| {
            if let Ok(text) = parse_reply(data, "threaddump") {
                let _ = parse_thread_dump(&text);
            }
        },
    );
}
