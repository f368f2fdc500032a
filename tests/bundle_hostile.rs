//! Hostile bundles: each is refused by `report --from` and by `view` with exit 6 and one
//! printable stderr line, in bounded time (a hang is killed and fails the test) and with peak
//! memory under 256 MiB, measured with `wait4`. Each is made from a real bundle that healthtop
//! wrote, changed in one way, with a manifest that matches the change where the change should
//! be caught by more than a checksum.

mod hostile_support;

use hostile_support::{
    assert_refused, gzip, members, pack, real_bundle, run_measured, with_matching_manifest, Member,
};
use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;

const GIB: u64 = 1 << 30;

/// Runs `report --from` and `view` on `path`; both must refuse it. Returns the report line.
fn refused_by_both(path: &Path, what: &str) -> String {
    let report = run_measured(&[OsStr::new("report"), OsStr::new("--from"), path.as_os_str()]);
    assert_refused(&report, &format!("{what} (report --from)"));
    let view = run_measured(&[OsStr::new("view"), path.as_os_str()]);
    assert_refused(&view, &format!("{what} (view)"));
    report.stderr
}

fn write(dir: &Path, name: &str, data: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).expect("write");
    path
}

/// The real bundle's members with `report.json` replaced by `change(report)`.
fn with_report(change: impl FnOnce(&mut serde_json::Value)) -> Vec<Member> {
    let mut members = members(real_bundle());
    let (_, report) = members
        .iter_mut()
        .find(|(name, _)| name == "report.json")
        .expect("report.json");
    let mut value: serde_json::Value = serde_json::from_slice(report).expect("report");
    change(&mut value);
    *report = serde_json::to_vec(&value).expect("json");
    with_matching_manifest(members)
}

#[test]
fn the_real_bundle_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = write(dir.path(), "good.tar.gz", real_bundle());
    let run = run_measured(&[OsStr::new("report"), OsStr::new("--from"), good.as_os_str()]);
    assert_eq!(run.code, Some(0), "{run:?}");
    // The rebuilt archive (same members, manifest recomputed) opens too: the refusals below
    // are caused by what each changes, not by the rebuilding.
    let rebuilt = write(
        dir.path(),
        "rebuilt.tar.gz",
        &pack(&with_matching_manifest(members(real_bundle()))),
    );
    let run = run_measured(&[
        OsStr::new("report"),
        OsStr::new("--from"),
        rebuilt.as_os_str(),
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
}

#[test]
fn a_fifo_is_refused_not_waited_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("bundle.tar.gz");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
    let line = refused_by_both(&fifo, "FIFO");
    assert!(line.contains("FIFO"), "{line}");
    let dev = refused_by_both(Path::new("/dev/zero"), "device");
    assert!(dev.contains("device"), "{dev}");
}

/// A GNU sparse member whose map says 3 GiB, in a file of a few KB.
#[test]
fn a_sparse_member_is_refused() {
    let mut members = members(real_bundle());
    let data = vec![b'A'; 512];
    if let Some((_, maps)) = members.iter_mut().find(|(name, _)| name == "proc/maps") {
        maps.clone_from(&data);
    }
    let members = with_matching_manifest(members);
    let mut tar = tar::Builder::new(Vec::new());
    for (name, body) in &members {
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o600);
        if name == "proc/maps" {
            header.set_entry_type(tar::EntryType::GNUSparse);
            let gnu = header.as_gnu_mut().expect("gnu header");
            let octal = |field: &mut [u8], value: u64| {
                let text = format!("{value:0width$o}", width = field.len() - 1);
                field[..text.len()].copy_from_slice(text.as_bytes());
            };
            octal(&mut gnu.sparse[0].offset, 3 * GIB - 512);
            octal(&mut gnu.sparse[0].numbytes, 512);
            octal(&mut gnu.realsize, 3 * GIB);
        }
        tar.append_data(&mut header, name, body.as_slice())
            .expect("append");
    }
    let bytes = gzip(&tar.into_inner().expect("tar"));
    assert!(
        bytes.len() < 64 * 1024,
        "the bomb is small: {}",
        bytes.len()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "sparse.tar.gz", &bytes);
    let line = refused_by_both(&path, "sparse member");
    assert!(line.contains("sparse"), "{line}");
}

/// Members that inflate to gigabytes from a few MB: one whose tar header claims 4 GiB (the
/// archive then holds 256 MiB of zeros and ends), and a `report.json` the manifest lists, with
/// its true SHA-256, at 1 GiB of zero bytes (within the caps, so the parser must stop at its
/// first byte rather than read it all). The zeros are made and compressed by coreutils and
/// gzip in a pipe, so this test process never holds them.
#[test]
fn gzip_bombs_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (what, kind, header_size, zeros, listed, needle) in [
        (
            "header claims 4 GiB",
            tar::EntryType::Regular,
            4 * GIB,
            256 << 20,
            false,
            "report.json",
        ),
        (
            "1 GiB of zeros, listed",
            tar::EntryType::Regular,
            GIB,
            GIB,
            true,
            "report.json",
        ),
        // The tar crate would read a GNU long name whole into memory before returning the
        // member it names.
        (
            "a 1 GiB GNU long name",
            tar::EntryType::GNULongName,
            GIB,
            GIB,
            false,
            "extension header",
        ),
    ] {
        let mut members = with_matching_manifest(members(real_bundle()));
        members.truncate(1);
        if listed {
            let sha = shell(&format!("head -c {zeros} /dev/zero | sha256sum"));
            let sha = sha
                .split_whitespace()
                .next()
                .expect("sha256sum")
                .to_string();
            let mut manifest: serde_json::Value =
                serde_json::from_slice(&members[0].1).expect("manifest");
            for item in manifest["contents"].as_array_mut().expect("contents") {
                if item["path"] == "report.json" {
                    item["bytes"] = zeros.into();
                    item["sha256"] = sha.clone().into();
                }
            }
            members[0].1 = serde_json::to_vec(&manifest).expect("json");
        }
        // The manifest member, then report.json's header; its data are the zeros that follow.
        let mut prefix = Vec::new();
        for (name, size, entry_type) in [
            (
                "manifest.json",
                members[0].1.len() as u64,
                tar::EntryType::Regular,
            ),
            ("report.json", header_size, kind),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_path(name).expect("path");
            header.set_size(size);
            header.set_mode(0o600);
            header.set_entry_type(entry_type);
            header.set_cksum();
            prefix.extend_from_slice(header.as_bytes());
            if name == "manifest.json" {
                prefix.extend_from_slice(&members[0].1);
                prefix.resize(prefix.len().next_multiple_of(512), 0);
            }
        }
        let prefix_path = write(dir.path(), "prefix.tar", &prefix);
        let path = dir.path().join("bomb.tar.gz");
        shell(&format!(
            "(cat {}; head -c {} /dev/zero) | gzip -1 > {}",
            prefix_path.display(),
            zeros + 1024,
            path.display()
        ));
        let compressed = std::fs::metadata(&path).expect("bomb").len();
        assert!(
            compressed < zeros / 100,
            "{what}: {compressed} bytes is a bomb"
        );
        let line = refused_by_both(&path, what);
        assert!(line.contains(needle), "{what}: {line}");
    }
}

/// Runs a shell pipeline; it must succeed. Returns its stdout.
fn shell(command: &str) -> String {
    let output = std::process::Command::new("sh")
        .args(["-c", command])
        .output()
        .expect("sh runs");
    assert!(output.status.success(), "{command}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Figures no kernel produces: the -1e300 that panicked converting to a Duration, a number
/// JSON cannot hold as a float, a string where a float goes, integers past their types and a
/// time past the year 9999.
#[test]
fn impossible_numbers_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(&str, &str, &str); 6] = [
        ("started_at_unix", "-1e300", "started_at_unix"),
        ("started_at_unix", "1e999", "report.json"),
        ("started_at_unix", "\"NaN\"", "report.json"),
        ("pid", "99999999999999999999999", "report.json"),
        ("taken_at_ms", "18446744073709551615", "year 9999"),
        ("ppid", "-9223372036854775809", "report.json"),
    ];
    for (key, number, needle) in cases {
        let marker = "\"__HEALTHTOP_TEST__\"";
        let members = with_report(|report| report[key] = marker.trim_matches('"').into());
        // Put the literal in as text: serde_json would not write some of these.
        let members: Vec<Member> = members
            .into_iter()
            .map(|(name, data)| {
                if name == "report.json" {
                    let text = String::from_utf8(data).expect("utf-8");
                    (name, text.replace(marker, number).into_bytes())
                } else {
                    (name, data)
                }
            })
            .collect();
        let path = write(
            dir.path(),
            "numbers.tar.gz",
            &pack(&with_matching_manifest(members)),
        );
        let line = refused_by_both(&path, &format!("{key}: {number}"));
        assert!(line.contains(needle), "{key}: {number}: {line}");
    }
}

/// A million `unavailable` entries (52 MB) compress to a small file; they are refused at the
/// array's bound, before serde buffers them. The array is streamed into the archive, so this
/// test process never holds it.
#[test]
fn a_huge_unavailable_array_is_refused() {
    const ENTRY: &[u8] = br#"{"field":"memory.pss_bytes","reason":"x"},"#;
    const COUNT: usize = 1_000_000;
    let marker = "__HEALTHTOP_TEST__";
    let members = members(real_bundle());
    let report = &members
        .iter()
        .find(|(name, _)| name == "report.json")
        .expect("report.json")
        .1;
    let mut value: serde_json::Value = serde_json::from_slice(report).expect("report");
    value["unavailable"] = marker.into();
    let text = serde_json::to_string(&value).expect("json");
    let (head, tail) = text.split_once(&format!("\"{marker}\"")).expect("marker");
    let (head, tail) = (format!("{head}["), format!("{{}}]{tail}"));
    let report_stream = || {
        head.as_bytes()
            .chain(Repeat::new(ENTRY, COUNT))
            .chain(tail.as_bytes())
    };
    let size = (head.len() + ENTRY.len() * COUNT + tail.len()) as u64;
    let sha = {
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        std::io::copy(&mut report_stream(), &mut hasher).expect("hash");
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let mut members = with_matching_manifest(members);
    let mut manifest: serde_json::Value = serde_json::from_slice(&members[0].1).expect("manifest");
    for item in manifest["contents"].as_array_mut().expect("contents") {
        if item["path"] == "report.json" {
            item["bytes"] = size.into();
            item["sha256"] = sha.clone().into();
        }
    }
    members[0].1 = serde_json::to_vec(&manifest).expect("json");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("unavailable.tar.gz");
    {
        let file = std::fs::File::create(&path).expect("create");
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ));
        for (name, data) in &members {
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o600);
            if name == "report.json" {
                header.set_size(size);
                tar.append_data(&mut header, name, report_stream())
                    .expect("append");
            } else {
                header.set_size(data.len() as u64);
                tar.append_data(&mut header, name, data.as_slice())
                    .expect("append");
            }
        }
        tar.into_inner().expect("tar").finish().expect("gzip");
    }
    let line = refused_by_both(&path, "huge unavailable array");
    assert!(line.contains("unavailable"), "{line}");
}

/// `count` copies of `unit`, read without holding them.
struct Repeat {
    unit: &'static [u8],
    left: usize,
    at: usize,
}

impl Repeat {
    fn new(unit: &'static [u8], count: usize) -> Self {
        Repeat {
            unit,
            left: count,
            at: 0,
        }
    }
}

impl std::io::Read for Repeat {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() && self.left > 0 {
            let take = (self.unit.len() - self.at).min(buf.len() - n);
            buf[n..n + take].copy_from_slice(&self.unit[self.at..self.at + take]);
            n += take;
            self.at += take;
            if self.at == self.unit.len() {
                self.at = 0;
                self.left -= 1;
            }
        }
        Ok(n)
    }
}

/// Random bytes, gzip of random bytes, and a tar of a random member: one printable line, no
/// byte of the file in it.
#[test]
fn random_bytes_are_refused_in_one_printable_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut random = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect()
    };
    for round in 0..4 {
        let noise = random(20_000);
        let mut gzipped = gzip(&noise);
        // Keep the gzip magic but damage the stream after it.
        let damaged = {
            let tail = random(4096);
            gzipped.truncate(10);
            gzipped.extend_from_slice(&tail);
            gzipped
        };
        for (what, bytes) in [
            ("random bytes", noise.clone()),
            ("gzip of random bytes", gzip(&noise)),
            ("damaged gzip", damaged),
            (
                "tar of a random member",
                pack(&[("\u{1b}]52;c;evil\u{7}".to_string(), noise.clone())]),
            ),
        ] {
            let path = write(dir.path(), "random.tar.gz", &bytes);
            refused_by_both(&path, &format!("{what}, round {round}"));
        }
    }
}

/// Members a bundle never has: a symlink, a name that climbs out, an absolute name, a member
/// the manifest does not list, the same member twice, the manifest not first.
#[test]
fn links_escapes_extras_and_duplicates_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = with_matching_manifest(members(real_bundle()));
    let archive = |members: &[Member], link: Option<&str>| -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        for (name, data) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o600);
            // Written raw: the tar crate itself refuses to write `..` or absolute names.
            header.as_mut_bytes()[..name.len()].copy_from_slice(name.as_bytes());
            header.set_cksum();
            tar.append(&header, data.as_slice()).expect("append");
        }
        if let Some(name) = link {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            tar.append_link(&mut header, name, "/etc/shadow")
                .expect("link");
        }
        gzip(&tar.into_inner().expect("tar"))
    };
    let with_extra = |name: &str| {
        let mut members = seed.clone();
        members.push((name.to_string(), b"x".to_vec()));
        members
    };
    let mut duplicated = seed.clone();
    duplicated.push(seed[1].clone());
    let mut manifest_last = seed.clone();
    manifest_last.rotate_left(1);
    let cases: [(&str, Vec<u8>, &str); 6] = [
        ("symlink", archive(&seed, Some("proc/status")), "a link"),
        (
            "escaping name",
            archive(&with_extra("../../etc/cron.d/x"), None),
            "no bundle uses",
        ),
        (
            "absolute name",
            archive(&with_extra("/etc/passwd"), None),
            "no bundle uses",
        ),
        (
            "unlisted member",
            archive(&with_extra("extra.txt"), None),
            "not listed",
        ),
        ("duplicate member", archive(&duplicated, None), "twice"),
        (
            "manifest not first",
            archive(&manifest_last, None),
            "first member",
        ),
    ];
    for (what, bytes, needle) in cases {
        let path = write(dir.path(), "members.tar.gz", &bytes);
        let line = refused_by_both(&path, what);
        assert!(line.contains(needle), "{what}: {line}");
    }
}
