//! Which language runtime the target runs: Go, a JVM, Python, native code — or unknown, when
//! the executable or the mappings may not be read (another user's process).

use super::{CollectError, HostRoot, ProcessDir};
use crate::sample::{Mapping, Runtime};
use object::{Object, ObjectSection};
use std::fs::File;

/// Detects the runtime from the executable's ELF sections and the mapped libraries.
///
/// Go binaries (even stripped ones) carry a `.go.buildinfo` section; a JVM maps `libjvm.so`;
/// CPython maps `libpython*` or runs a `python*` executable. Anything else is native.
/// [`Runtime::Unknown`] when the evidence could not be read; [`runtime_evidence`] says why.
pub fn detect_runtime(root: &HostRoot, pid: i32) -> Runtime {
    runtime_evidence(root, pid).unwrap_or(Runtime::Unknown)
}

/// The runtime, or why it cannot be told: `maps` and `exe` need ptrace read access (the
/// target's user and a dumpable target, or `CAP_SYS_PTRACE`), and "native" would be a guess.
pub fn runtime_evidence(root: &HostRoot, pid: i32) -> Result<Runtime, CollectError> {
    let dir = ProcessDir::new(root.clone(), pid);
    let maps = dir.read("maps")?;
    runtime_of(&dir, |needle| {
        maps.lines().any(|line| {
            line.rsplit('/')
                .next()
                .is_some_and(|f| f.starts_with(needle))
        })
    })
}

/// [`runtime_evidence`] from mappings already read (the collector's maps tier).
pub(super) fn runtime_from_mappings(
    root: &HostRoot,
    pid: i32,
    maps: &[Mapping],
) -> Result<Runtime, CollectError> {
    runtime_of(&ProcessDir::new(root.clone(), pid), |needle| {
        maps.iter().any(|m| {
            m.path
                .rsplit('/')
                .next()
                .is_some_and(|f| f.starts_with(needle))
        })
    })
}

/// The runtime, given whether some mapped file's name starts with a given text.
fn runtime_of(dir: &ProcessDir, mapped: impl Fn(&str) -> bool) -> Result<Runtime, CollectError> {
    if mapped("libjvm.so") {
        return Ok(Runtime::Jvm);
    }
    if is_go_binary(dir)? {
        return Ok(Runtime::Go);
    }
    let exe_name = dir
        .read_link("exe")
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    if mapped("libpython") || exe_name.starts_with("python") {
        return Ok(Runtime::Python);
    }
    Ok(Runtime::Native)
}

/// Whether the executable carries Go's sections. An executable that may not be opened is an
/// error; one that is gone (deleted, a fixture without it) or not ELF is not Go.
fn is_go_binary(dir: &ProcessDir) -> Result<bool, CollectError> {
    let path = dir.path("exe");
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(CollectError::io(&path, e))
        }
        Err(_) => return Ok(false),
    };
    // ReadCache reads only the headers and section table, not the whole binary.
    let cache = object::ReadCache::new(file);
    let Ok(elf) = object::File::parse(&cache) else {
        return Ok(false);
    };
    Ok(elf.section_by_name(".go.buildinfo").is_some()
        || elf
            .sections()
            .any(|s| s.name().is_ok_and(|n| n == ".gopclntab")))
}
