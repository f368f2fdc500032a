//! Which language runtime the target runs: Go, a JVM, Python, or native code.

use super::HostRoot;
use crate::sample::Runtime;
use object::{Object, ObjectSection};
use std::fs::File;

/// Detects the runtime from the executable's ELF sections and the mapped libraries.
///
/// Go binaries (even stripped ones) carry a `.go.buildinfo` section; a JVM maps `libjvm.so`;
/// CPython maps `libpython*` or runs a `python*` executable. Anything else is native.
pub fn detect_runtime(root: &HostRoot, pid: i32) -> Runtime {
    let maps = root.read_proc(format!("{pid}/maps")).unwrap_or_default();
    let mapped = |needle: &str| {
        maps.lines().any(|line| {
            line.rsplit('/')
                .next()
                .is_some_and(|f| f.starts_with(needle))
        })
    };
    if mapped("libjvm.so") {
        return Runtime::Jvm;
    }
    if is_go_binary(root, pid) {
        return Runtime::Go;
    }
    let exe_name = std::fs::read_link(root.proc_path(format!("{pid}/exe")))
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    if mapped("libpython") || exe_name.starts_with("python") {
        return Runtime::Python;
    }
    Runtime::Native
}

fn is_go_binary(root: &HostRoot, pid: i32) -> bool {
    let Ok(file) = File::open(root.proc_path(format!("{pid}/exe"))) else {
        return false;
    };
    // ReadCache reads only the headers and section table, not the whole binary.
    let cache = object::ReadCache::new(file);
    let Ok(elf) = object::File::parse(&cache) else {
        return false;
    };
    elf.section_by_name(".go.buildinfo").is_some()
        || elf
            .sections()
            .any(|s| s.name().is_ok_and(|n| n == ".gopclntab"))
}
