//! Which runtime a process runs: Go (a `.go.buildinfo` or `.gopclntab` section in its
//! executable), JVM (`libjvm.so` mapped), Python (`libpython` mapped, or an executable named
//! `python*`), else native.
//!
//! Kept here until the collector's `collect::detect_runtime` lands on main; the dump code only
//! needs this function's answer.
//!
//! May import: `parse::maps`, `sample::Runtime`, the parent's error type.

use super::{DumpError, Runtime};
use crate::parse::maps::parse_maps;
use object::{Object, ObjectSection};
use std::path::{Path, PathBuf};

/// Detects the runtime of `pid` from `/proc/PID/exe` and `/proc/PID/maps`.
pub fn detect_runtime(pid: u32) -> Result<Runtime, DumpError> {
    let exe = PathBuf::from(format!("/proc/{pid}/exe"));
    if is_go_executable(&exe) {
        return Ok(Runtime::Go);
    }
    let maps_path = PathBuf::from(format!("/proc/{pid}/maps"));
    let maps_text = std::fs::read_to_string(&maps_path)
        .map_err(|e| DumpError::from_proc_io(pid, maps_path, e))?;
    let exe_name = std::fs::read_link(&exe)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    Ok(runtime_from_maps(&maps_text, exe_name.as_deref()))
}

/// JVM or Python from the mapped libraries and the executable's name; Native otherwise.
pub fn runtime_from_maps(maps_text: &str, exe_name: Option<&str>) -> Runtime {
    let mappings = parse_maps(maps_text).unwrap_or_default();
    let file_name = |path: &str| {
        Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
    };
    let mapped = |wanted: &dyn Fn(&str) -> bool| {
        mappings
            .iter()
            .filter_map(|m| file_name(&m.path))
            .any(|name| wanted(&name))
    };
    if mapped(&|name| name == "libjvm.so") {
        return Runtime::Jvm;
    }
    if mapped(&|name| name.starts_with("libpython"))
        || exe_name.is_some_and(|name| name.starts_with("python"))
    {
        return Runtime::Python;
    }
    Runtime::Native
}

/// Whether the ELF file at `path` was built by the Go toolchain. Unreadable or non-ELF → false.
pub fn is_go_executable(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let cache = object::ReadCache::new(file);
    let Ok(elf) = object::File::parse(&cache) else {
        return false;
    };
    let found = elf
        .sections()
        .any(|s| matches!(s.name(), Ok(".go.buildinfo") | Ok(".gopclntab")));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_decide_jvm_and_python() {
        let jvm = "7f0000000000-7f0000001000 r-xp 00000000 08:01 42 /usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so\n";
        assert_eq!(runtime_from_maps(jvm, Some("java")), Runtime::Jvm);
        let py = "7f0000000000-7f0000001000 r-xp 00000000 08:01 42 /usr/lib/libpython3.11.so.1.0\n";
        assert_eq!(runtime_from_maps(py, Some("app")), Runtime::Python);
        assert_eq!(runtime_from_maps("", Some("python3.11")), Runtime::Python);
        assert_eq!(runtime_from_maps("", Some("cat")), Runtime::Native);
    }

    #[test]
    fn the_test_binary_is_not_go() {
        assert!(!is_go_executable(Path::new("/proc/self/exe")));
        assert_eq!(
            detect_runtime(std::process::id()).expect("self"),
            Runtime::Native
        );
    }
}
