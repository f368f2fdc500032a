//! Reading a bundle back: every failure is a clear [`BundleError`], never a panic — the file
//! may be truncated, corrupt, foreign, or hostile.
//!
//! The file is checked to be a regular file on the one descriptor it is read from (a FIFO or a
//! device is refused, never waited on). Only regular tar members named in the manifest are
//! accepted, each once, each within its cap (`docs/bundle-format.md`, "Reading rules"); the
//! caps are enforced on the bytes as they are inflated, so a gzip bomb stops at the cap. JSON
//! is parsed as it streams in, through [`JsonGuard`] (depth, strings, arrays), and the report's
//! figures are checked before anything renders them. Member data other than the report is
//! hashed as it streams and not kept.

use super::json_guard::{JsonGuard, Shape};
use super::{BundleError, BundleReport, Manifest, READABLE};
use crate::sample::Sample;
use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{self, BufReader, Read};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

const MIB: u64 = 1 << 20;

/// Most bytes `manifest.json` may inflate to. Measured: 6.2 MB for a 10,000-thread process
/// (40,026 members, about 155 bytes each), so this holds about 400,000 members.
pub const MAX_MANIFEST_BYTES: u64 = 64 * MIB;
/// Most bytes `report.json` may inflate to. Measured: 3.7 MB a sample for a process with
/// 10,000 threads and 19,000 fds, so the 300 samples the TUI keeps come to 1.1 GB.
pub const MAX_REPORT_BYTES: u64 = 2048 * MIB;
/// Most bytes any other member may inflate to (a Go debug=2 dump is cut at 64 MiB by Go
/// itself, and its parsed JSON beside it is larger; `proc/maps` of a million mappings is
/// about 50 MB).
pub const MAX_MEMBER_BYTES: u64 = 256 * MIB;
/// Most bytes the whole archive may inflate to, tar headers included.
pub const MAX_TOTAL_BYTES: u64 = 3072 * MIB;
/// Most members: four per thread (`proc/task/TID/…`) for 65,536 threads, and the rest.
pub const MAX_MEMBERS: usize = 4 * 65_536 + 64;
/// Longest member path: what fits a tar header's name field, so healthtop's writer never
/// needs a GNU long-name entry (`proc/task/4194304/syscall` is 25 bytes).
const MAX_PATH: usize = 100;

/// JSON shape limits of `manifest.json` and `report.json`.
const JSON_SHAPE: Shape = Shape {
    max_depth: 32,
    // One argument of a command line may be 128 KiB (MAX_ARG_STRLEN), and a control byte in
    // it takes six in JSON (`\u001b`).
    max_string: 1 << 20,
    // pid_max's ceiling: no process has more threads; fd and map tables are capped by the
    // member sizes long before.
    max_array: 1 << 22,
    array_caps: &[
        ("unavailable", 1024),
        // One finding per rule at most.
        ("findings", 4096),
        ("blocked", 64),
        ("ignored", 64),
        ("caught", 64),
        ("pending", 64),
        ("blocked_signals", 64),
        ("pending_signals", 64),
        ("capabilities", 64),
        ("contents", MAX_MEMBERS as u64),
        ("missing", MAX_MEMBERS as u64),
    ],
};

/// Most bytes of members other than the report kept in memory, all together: a real bundle's
/// stacks, dump and raw copies of a 10,000-thread process are tens of MB.
pub const MAX_KEPT_BYTES: u64 = 128 * MIB;

/// Latest time a bundle may speak of: the year 9999, in ms since the Unix epoch.
const MAX_UNIX_MS: u64 = 253_402_300_799_999;

/// An opened bundle.
#[derive(Debug)]
pub struct OpenedBundle {
    pub path: PathBuf,
    pub manifest: Manifest,
    pub report: BundleReport,
    /// Every member but the manifest, with its size (checked against the manifest).
    pub sizes: BTreeMap<String, u64>,
    /// The bytes of those members but the report, as long as they fit [`MAX_KEPT_BYTES`] together (the view's
    /// stacks and dump, the raw copies `report --from` re-derives from); the rest were checked
    /// and not kept.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl OpenedBundle {
    /// Why a member's bytes are not at hand: not in the bundle, or not kept.
    pub fn why_not_kept(&self, path: &str) -> Option<String> {
        if self.files.contains_key(path) {
            return None;
        }
        Some(match self.sizes.get(path) {
            Some(bytes) => format!(
                "{path} ({bytes} bytes) is over what healthtop keeps of a bundle in memory \
                 ({} MiB in all)",
                MAX_KEPT_BYTES >> 20
            ),
            None => format!("the bundle has no {path}"),
        })
    }
}

/// Opens, checks and parses a bundle.
pub fn open_bundle(path: &Path) -> Result<OpenedBundle, BundleError> {
    read_bundle(open_regular(path)?, path)
}

/// Checks and parses a bundle read from `file` (named `path` in errors). Public for the
/// property tests, which feed it mutated bundles from memory.
pub fn read_bundle(mut file: impl Read, path: &Path) -> Result<OpenedBundle, BundleError> {
    let corrupt = |detail: String| BundleError::Corrupt {
        path: path.to_path_buf(),
        detail: crate::safe_text::line(&detail).into_owned(),
    };
    let foreign = |detail: &str| BundleError::Foreign {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    };
    let mut magic = [0u8; 2];
    if file.read_exact(&mut magic).is_err() || magic != [0x1f, 0x8b] {
        return Err(foreign("not a gzip file"));
    }
    let inflated = CappedReader::new(
        GzDecoder::new(BufReader::new(magic.as_slice().chain(file))),
        MAX_TOTAL_BYTES,
    );
    let mut archive = tar::Archive::new(inflated);
    // Raw: every header is an entry as written. Otherwise the tar crate itself reads GNU long
    // names and pax headers whole into memory and expands sparse maps, before any check here.
    let mut entries = archive
        .entries()
        .map_err(|e| corrupt(tar_error(&e)))?
        .raw(true);

    let manifest = {
        let mut entry = match entries.next() {
            Some(entry) => entry.map_err(|e| corrupt(tar_error(&e)))?,
            None => return Err(foreign("an empty archive")),
        };
        if member_name(&entry).map_err(&corrupt)? != "manifest.json" {
            return Err(foreign("manifest.json is not the first member"));
        }
        check_member_header(&entry, Size::AtMost(MAX_MANIFEST_BYTES))
            .map_err(|d| corrupt(d.to_string()))?;
        let mut bytes = Vec::new();
        (&mut entry)
            .take(MAX_MANIFEST_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| corrupt(format!("manifest.json: {}", tar_error(&e))))?;
        parse_manifest(&bytes, path)?
    };
    let listed: BTreeMap<&str, &super::ContentEntry> = manifest
        .contents
        .iter()
        .map(|item| (item.path.as_str(), item))
        .collect();

    let mut sizes = BTreeMap::new();
    let mut files = BTreeMap::new();
    let mut kept = 0u64;
    let mut report = None;
    for entry in entries {
        let mut entry = entry.map_err(|e| corrupt(tar_error(&e)))?;
        let name = member_name(&entry).map_err(&corrupt)?;
        // What it is first: a link or a sparse file is refused as such, whatever its name.
        check_member_header(&entry, Size::AtMost(MAX_REPORT_BYTES))
            .map_err(|d| corrupt(format!("{name}: {d}")))?;
        let Some(item) = listed.get(name.as_str()) else {
            return Err(corrupt(format!("{name} is not listed in the manifest")));
        };
        if sizes.contains_key(&name) {
            return Err(corrupt(format!("{name} appears twice")));
        }
        check_member_header(&entry, Size::Exact(item.bytes))
            .map_err(|d| corrupt(format!("{name}: {d}")))?;
        let mut hashed = HashingReader::new((&mut entry).take(item.bytes.saturating_add(1)));
        let keep = name != "report.json" && kept.saturating_add(item.bytes) <= MAX_KEPT_BYTES;
        if keep {
            hashed.kept = Some(Vec::new());
        }
        if name == "report.json" {
            let guarded = BufReader::new(JsonGuard::new(&mut hashed, JSON_SHAPE));
            let parsed = serde_json::from_reader(guarded).map_err(|e| match e.io_error_kind() {
                // Our own words (the caps, the JSON guard) or a short read; never tar's.
                Some(io::ErrorKind::InvalidData) => format!("report.json: {}", json_error(&e)),
                Some(io::ErrorKind::UnexpectedEof) => "report.json: the archive ends early".into(),
                Some(_) => "report.json: the archive is damaged".into(),
                None => format!("report.json: {}", json_error(&e)),
            });
            report = Some(parsed.map_err(&corrupt)?);
        }
        hashed
            .drain()
            .map_err(|e| corrupt(format!("{name}: {}", tar_error(&e))))?;
        if hashed.count != item.bytes {
            return Err(corrupt(format!(
                "{name} holds {} bytes, the manifest says {}",
                hashed.count, item.bytes
            )));
        }
        if !hashed.matches(item) {
            return Err(corrupt(format!("checksum of {name} does not match")));
        }
        if let Some(bytes) = hashed.kept.take() {
            kept += item.bytes;
            files.insert(name.clone(), bytes);
        }
        sizes.insert(name, item.bytes);
    }
    if let Some(item) = manifest
        .contents
        .iter()
        .find(|item| !sizes.contains_key(&item.path))
    {
        return Err(corrupt(format!("{} is listed but missing", item.path)));
    }
    let report = report.ok_or_else(|| corrupt("no report.json".to_string()))?;
    check_figures(&report).map_err(|d| corrupt(format!("report.json: {d}")))?;
    Ok(OpenedBundle {
        path: path.to_path_buf(),
        manifest,
        report,
        sizes,
        files,
    })
}

/// Opens `path` without blocking (a FIFO with no writer would wait forever) and refuses
/// anything but a regular file, checked on the descriptor that is then read.
fn open_regular(path: &Path) -> Result<std::fs::File, BundleError> {
    let read_error = |source: io::Error| BundleError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = crate::safe_file::open_for_reading(path).map_err(read_error)?;
    let kind = file.metadata().map_err(read_error)?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    let what = if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    };
    Err(BundleError::Foreign {
        path: path.to_path_buf(),
        detail: format!("it is {what}, not a regular file"),
    })
}

/// The member's path, if it is one a bundle may hold: relative, no `.` or `..`, only the
/// characters healthtop writes.
fn member_name<R: Read>(entry: &tar::Entry<'_, R>) -> Result<String, String> {
    let bytes = entry.path_bytes();
    if valid_member_path(&bytes) {
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    } else {
        Err(format!(
            "a member has a name no bundle uses: {}",
            quote(&bytes)
        ))
    }
}

/// Whether `path` is a name healthtop writes: `a/b.c` of ASCII letters, digits, `._-`.
pub fn valid_member_path(path: &[u8]) -> bool {
    !path.is_empty()
        && path.len() <= MAX_PATH
        && path
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
        && path
            .split(|&b| b == b'/')
            .all(|part| !part.is_empty() && part != b"." && part != b"..")
}

/// Refuses anything but a regular file of the expected size (`Exact`) or at most `AtMost`.
fn check_member_header<R: Read>(entry: &tar::Entry<'_, R>, size: Size) -> Result<(), String> {
    let kind = entry.header().entry_type();
    if !kind.is_file() {
        let what = match kind {
            tar::EntryType::GNUSparse => "a sparse file",
            tar::EntryType::Symlink | tar::EntryType::Link => "a link",
            tar::EntryType::Char | tar::EntryType::Block => "a device",
            tar::EntryType::Fifo => "a FIFO",
            tar::EntryType::Directory => "a directory",
            tar::EntryType::GNULongName
            | tar::EntryType::GNULongLink
            | tar::EntryType::XHeader
            | tar::EntryType::XGlobalHeader => "an extension header (long name or pax)",
            _ => "not a regular file",
        };
        return Err(format!("refused: it is {what}"));
    }
    let declared = entry
        .header()
        .size()
        .map_err(|_| "its size field is damaged")?;
    let fits = declared == entry.size()
        && match size {
            Size::Exact(bytes) => declared == bytes,
            Size::AtMost(bytes) => declared <= bytes,
        };
    if !fits {
        return Err(format!(
            "its tar header says {} bytes, expected {size}",
            entry.size()
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
enum Size {
    Exact(u64),
    AtMost(u64),
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Size::Exact(bytes) => write!(f, "{bytes}"),
            Size::AtMost(bytes) => write!(f, "at most {bytes}"),
        }
    }
}

fn parse_manifest(bytes: &[u8], path: &Path) -> Result<Manifest, BundleError> {
    let corrupt = |detail: String| BundleError::Corrupt {
        path: path.to_path_buf(),
        detail: crate::safe_text::line(&detail).into_owned(),
    };
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(corrupt(format!(
            "manifest.json is larger than {} MiB",
            MAX_MANIFEST_BYTES / MIB
        )));
    }
    let manifest: Manifest =
        serde_json::from_reader(JsonGuard::new(bytes, JSON_SHAPE)).map_err(|e| {
            let schema =
                serde_json::from_reader::<_, serde_json::Value>(JsonGuard::new(bytes, JSON_SHAPE))
                    .ok()
                    .and_then(|v| v.get("schema")?.as_str().map(str::to_string));
            match schema {
                Some(found) if !READABLE.contains(&found.as_str()) => {
                    BundleError::UnsupportedSchema {
                        path: path.to_path_buf(),
                        found: crate::safe_text::line(&found).into_owned(),
                    }
                }
                _ => corrupt(format!("manifest.json: {}", json_error(&e))),
            }
        })?;
    if !READABLE.contains(&manifest.schema.as_str()) {
        return Err(BundleError::UnsupportedSchema {
            path: path.to_path_buf(),
            found: crate::safe_text::line(&manifest.schema).into_owned(),
        });
    }
    let mut total: u64 = 0;
    let mut seen = std::collections::BTreeSet::new();
    for item in &manifest.contents {
        if !valid_member_path(item.path.as_bytes()) || item.path == "manifest.json" {
            return Err(corrupt(format!(
                "the manifest lists a name no bundle uses: {}",
                quote(item.path.as_bytes())
            )));
        }
        if !seen.insert(item.path.as_str()) {
            return Err(corrupt(format!("the manifest lists {} twice", item.path)));
        }
        let cap = if item.path == "report.json" {
            MAX_REPORT_BYTES
        } else {
            MAX_MEMBER_BYTES
        };
        if item.bytes > cap {
            return Err(corrupt(format!(
                "{} is {} bytes, more than the {} MiB a bundle member may hold",
                item.path,
                item.bytes,
                cap / MIB
            )));
        }
        total = total.saturating_add(item.bytes);
        if item.sha256.len() != 64 || !item.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(corrupt(format!(
                "the checksum of {} is not SHA-256",
                item.path
            )));
        }
    }
    if total > MAX_TOTAL_BYTES {
        return Err(corrupt(format!(
            "its members add up to {total} bytes, more than {} MiB",
            MAX_TOTAL_BYTES / MIB
        )));
    }
    Ok(manifest)
}

/// The figures a renderer computes with must be ones a kernel could have produced: times
/// within the Unix epoch to the year 9999, the start time finite, percentages within 0–100.
/// (JSON holds no infinity or NaN, and every ETA is clamped where it is shown.)
pub fn check_figures(report: &BundleReport) -> Result<(), String> {
    check_sample(&report.report.sample)?;
    for recorded in &report.history {
        check_sample(&recorded.sample)?;
    }
    Ok(())
}

fn check_sample(sample: &Sample) -> Result<(), String> {
    let time = |what: &str, ms: Option<u64>| match ms {
        Some(ms) if ms > MAX_UNIX_MS => Err(format!("{what} {ms} is past the year 9999")),
        _ => Ok(()),
    };
    time("taken_at_ms", Some(sample.taken_at_ms))?;
    time(
        "threads.census_taken_at_ms",
        sample.threads.census_taken_at_ms,
    )?;
    time("fds.census_taken_at_ms", sample.fds.census_taken_at_ms)?;
    time("memory.maps_taken_at_ms", sample.memory.maps_taken_at_ms)?;
    if let Some(started) = sample.identity.started_at_unix {
        if !started.is_finite() || !(0.0..=MAX_UNIX_MS as f64 / 1000.0).contains(&started) {
            return Err(format!("impossible started_at_unix {started:e}"));
        }
    }
    if let Some(pressure) = &sample.memory.pressure {
        let figures = [
            Some(pressure.some_avg10),
            Some(pressure.some_avg60),
            Some(pressure.some_avg300),
            pressure.full_avg10,
            pressure.full_avg60,
            pressure.full_avg300,
        ];
        if figures
            .into_iter()
            .flatten()
            .any(|p| !p.is_finite() || !(0.0..=100.0).contains(&p))
        {
            return Err("a pressure average outside 0–100 %".to_string());
        }
    }
    Ok(())
}

/// Inflated bytes pass through this: past `cap`, reading fails (a bomb stops here).
struct CappedReader<R> {
    inner: R,
    left: u64,
    cap: u64,
}

impl<R> CappedReader<R> {
    fn new(inner: R, cap: u64) -> Self {
        CappedReader {
            inner,
            left: cap,
            cap,
        }
    }
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a file of exactly `cap` bytes from a larger one.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("it inflates to more than {} MiB", self.cap / MIB),
                )),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Counts and hashes what is read through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
    digest: Option<String>,
    /// What was read, when the member is kept.
    kept: Option<Vec<u8>>,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
            digest: None,
            kept: None,
        }
    }

    /// Reads to the end, hashing; the digest is then final.
    fn drain(&mut self) -> io::Result<()> {
        if self.digest.is_none() {
            io::copy(self, &mut io::sink())?;
            let digest = std::mem::take(&mut self.hasher).finalize();
            self.digest = Some(digest.iter().map(|b| format!("{b:02x}")).collect());
        }
        Ok(())
    }

    fn matches(&self, item: &super::ContentEntry) -> bool {
        self.count == item.bytes
            && self
                .digest
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case(&item.sha256))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        if let Some(kept) = self.kept.as_mut() {
            kept.extend_from_slice(&buf[..n]);
        }
        self.count += n as u64;
        Ok(n)
    }
}

/// A read error in words of our own: the tar crate's messages quote header bytes.
fn tar_error(error: &io::Error) -> String {
    let text = error.to_string();
    if error.kind() == io::ErrorKind::UnexpectedEof {
        "the archive ends early".to_string()
    } else if text.starts_with("it inflates to more than") {
        text
    } else if text.contains("deflate") || text.contains("gzip") {
        "the gzip stream is damaged".to_string()
    } else {
        "a tar header is damaged".to_string()
    }
}

/// serde_json's message (which may quote the document: it is made printable), cut short.
fn json_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let cut: String = text.chars().take(200).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// Bytes from the file, quoted with every non-printable or non-ASCII byte escaped, at most
/// 64 of them.
fn quote(bytes: &[u8]) -> String {
    let shown: String = bytes[..bytes.len().min(64)].escape_ascii().to_string();
    let more = if bytes.len() > 64 { "…" } else { "" };
    format!("\"{shown}{more}\"")
}
