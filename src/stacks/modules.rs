//! The target's address space as the unwinder and symbolizer need it: one module per mapped
//! executable file (and the vDSO), where it is loaded (`bias`), and its unwind sections.
//! Modules are read once and cached by (path, device, inode); the build id is kept with them.
//!
//! Files are opened through `/proc/PID/root/…` (containers) or `/proc/PID/map_files/…` when the
//! file on disk is not the one mapped (deleted or replaced).
//!
//! May import: `parse::maps`, `sample::Mapping`, `stacks::{error, gopclntab}`.

use super::error::StacksError;
use super::gopclntab::GoTable;
use crate::collect::ProcessDir;
use crate::parse::maps::parse_maps;
use crate::sample::Mapping;
use nix::sys::uio::{process_vm_readv, RemoteIoVec};
use nix::unistd::Pid;
use object::{Object, ObjectSection, ObjectSegment};
use std::collections::HashMap;
use std::io::IoSliceMut;
use std::ops::Range;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;

/// Section bytes shared between the cache and the unwinder.
pub type Bytes = Arc<[u8]>;

/// What the unwinder needs from one file, in its own (stated) addresses.
#[derive(Debug, Clone, Default)]
pub struct UnwindSections {
    pub text_svma: Option<Range<u64>>,
    pub text: Option<Bytes>,
    pub eh_frame_svma: Option<Range<u64>>,
    pub eh_frame: Option<Bytes>,
    pub eh_frame_hdr_svma: Option<Range<u64>>,
    pub eh_frame_hdr: Option<Bytes>,
    pub debug_frame: Option<Bytes>,
    pub got_svma: Option<Range<u64>>,
}

/// Where the symbolizer finds a module's symbols.
#[derive(Debug, Clone)]
pub enum SymbolFile {
    /// An ELF file on disk (opened by path).
    Path(PathBuf),
    /// Bytes copied from the target (the vDSO).
    Memory(Bytes),
}

/// One executable file of the target, independent of where it is mapped.
#[derive(Debug)]
pub struct ModuleData {
    /// The path as the target sees it (`/usr/lib/…/libc.so.6`, `[vdso]`).
    pub name: String,
    pub build_id: Option<Vec<u8>>,
    /// Go code: unwound by frame pointers (no CFI is given to the unwinder).
    pub is_go: bool,
    /// The `.gopclntab` of a Go binary (stack-pointer deltas for the leaf frame).
    pub go_table: Option<Arc<GoTable>>,
    pub symbols: SymbolFile,
    pub unwind: UnwindSections,
    /// `PT_LOAD` segments, for the load bias.
    segments: Vec<Segment>,
}

impl ModuleData {
    /// The file name without directories, as flame graphs and eu-stack show it.
    pub fn short_name(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }
}

/// A `PT_LOAD` program header.
#[derive(Debug, Clone, Copy)]
struct Segment {
    vaddr: u64,
    offset: u64,
    size: u64,
    executable: bool,
}

/// One module placed in the target's memory.
#[derive(Debug, Clone)]
pub struct Mapped {
    pub data: Arc<ModuleData>,
    /// Union of the file's mappings.
    pub avma: Range<u64>,
    /// Runtime address minus stated address.
    pub bias: u64,
}

/// Modules read so far, by (path, device, inode).
#[derive(Debug, Default)]
pub struct ModuleCache {
    files: HashMap<(String, String, u64), Arc<ModuleData>>,
    vdso: Option<(Vec<u8>, Arc<ModuleData>)>,
}

/// The executable modules of one process at one moment.
#[derive(Debug, Clone, Default)]
pub struct AddressSpace {
    /// Sorted by start address.
    pub modules: Vec<Mapped>,
    /// Modules that could not be read, with why (shown as notes).
    pub unreadable: Vec<String>,
    /// Anonymous executable mappings: code a JIT compiler wrote (named from a perf map).
    pub jit: Vec<Range<u64>>,
}

impl AddressSpace {
    /// Reads `/proc/PID/maps` and loads (or reuses) every executable module.
    pub fn load(pid: i32, cache: &mut ModuleCache) -> Result<AddressSpace, StacksError> {
        let dir = ProcessDir::live(pid);
        let path = dir.path("maps");
        // A mapped file's name may be any bytes; one that is not UTF-8 must not fail the capture.
        let text = dir
            .read("maps")
            .map_err(|e| StacksError::from_collect(&dir, e))?;
        let maps = parse_maps(&text).map_err(|e| StacksError::Parse {
            path,
            detail: e.to_string(),
        })?;
        let mut space = AddressSpace::default();
        for exec in maps.iter().filter(|m| m.perms.contains('x')) {
            if exec.path == "[vdso]" {
                match cache.vdso(pid, exec) {
                    Ok(data) => space.modules.push(Mapped {
                        avma: exec.start..exec.end,
                        bias: exec.start.wrapping_sub(first_vaddr(&data)),
                        data,
                    }),
                    Err(why) => space.unreadable.push(format!("[vdso]: {why}")),
                }
                continue;
            }
            if exec.path.is_empty() || exec.path.starts_with("[anon") {
                space.jit.push(exec.start..exec.end);
                continue;
            }
            if !exec.path.starts_with('/') {
                continue;
            }
            let data = match cache.file(pid, exec) {
                Ok(data) => data,
                Err(why) => {
                    space.unreadable.push(format!("{}: {why}", exec.path));
                    continue;
                }
            };
            let Some(bias) = bias_of(&data, exec) else {
                space.unreadable.push(format!(
                    "{}: no PT_LOAD covers offset {:#x}",
                    exec.path, exec.offset
                ));
                continue;
            };
            let same_file = maps
                .iter()
                .filter(|m| m.path == exec.path && m.inode == exec.inode && m.dev == exec.dev);
            let start = same_file
                .clone()
                .map(|m| m.start)
                .min()
                .unwrap_or(exec.start);
            let end = same_file.map(|m| m.end).max().unwrap_or(exec.end);
            if space
                .modules
                .iter()
                .any(|m| Arc::ptr_eq(&m.data, &data) && m.bias == bias)
            {
                continue;
            }
            space.modules.push(Mapped {
                data,
                avma: start..end,
                bias,
            });
        }
        space.modules.sort_by_key(|m| m.avma.start);
        Ok(space)
    }

    /// Whether `address` is in anonymous executable memory (JIT-compiled code).
    pub fn is_jit(&self, address: u64) -> bool {
        self.jit.iter().any(|range| range.contains(&address))
    }

    /// The module whose mappings contain `address`.
    pub fn find(&self, address: u64) -> Option<&Mapped> {
        let index = self
            .modules
            .partition_point(|m| m.avma.start <= address)
            .checked_sub(1)?;
        let module = &self.modules[index];
        module.avma.contains(&address).then_some(module)
    }
}

/// The stated address of file offset 0 (the vDSO is mapped whole from its start).
fn first_vaddr(data: &ModuleData) -> u64 {
    data.segments
        .first()
        .map(|s| s.vaddr.wrapping_sub(s.offset))
        .unwrap_or(0)
}

/// The kernel's page size (mappings start at page-aligned file offsets).
fn page_size() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|n| u64::try_from(n).ok())
        .filter(|n| n.is_power_of_two())
        .unwrap_or(4096)
}

/// `bias = start − (p_vaddr + (map_offset − p_offset))`, both page-aligned, for the `PT_LOAD`
/// this mapping was made from. Two segments can share a file page (the end of one and the
/// start of the next), so the segment whose aligned offset equals the mapping's offset wins,
/// executable segments first.
fn bias_of(data: &ModuleData, exec: &Mapping) -> Option<u64> {
    let mask = !(page_size() - 1);
    let aligned = |s: &Segment| (s.vaddr & mask, s.offset & mask);
    let starts_here = |s: &&Segment| s.offset & mask == exec.offset;
    let contains =
        |s: &&Segment| exec.offset >= s.offset & mask && exec.offset < s.offset + s.size.max(1);
    let segment = data
        .segments
        .iter()
        .filter(starts_here)
        .max_by_key(|s| s.executable)
        .or_else(|| {
            data.segments
                .iter()
                .filter(contains)
                .max_by_key(|s| s.executable)
        })?;
    let (vaddr, offset) = aligned(segment);
    Some(exec.start.wrapping_sub(vaddr + (exec.offset - offset)))
}

impl ModuleCache {
    fn file(&mut self, pid: i32, exec: &Mapping) -> Result<Arc<ModuleData>, String> {
        let key = (exec.path.clone(), exec.dev.clone(), exec.inode);
        if let Some(data) = self.files.get(&key) {
            return Ok(data.clone());
        }
        let dir = ProcessDir::live(pid);
        let mut through_root = dir.path("root").into_os_string();
        through_root.push(&exec.path);
        let through_root = PathBuf::from(through_root);
        let same_inode = std::fs::metadata(&through_root)
            .map(|m| m.ino() == exec.inode)
            .unwrap_or(false);
        let open_path = if same_inode && !exec.deleted {
            through_root
        } else {
            dir.path(format!("map_files/{:x}-{:x}", exec.start, exec.end))
        };
        let bytes =
            std::fs::read(&open_path).map_err(|e| format!("{}: {e}", open_path.display()))?;
        let data = Arc::new(parse_module(
            exec.path.clone(),
            &bytes,
            SymbolFile::Path(open_path),
        )?);
        self.files.insert(key, data.clone());
        Ok(data)
    }

    fn vdso(&mut self, pid: i32, exec: &Mapping) -> Result<Arc<ModuleData>, String> {
        let len = usize::try_from(exec.len()).map_err(|e| e.to_string())?;
        let mut bytes = vec![0u8; len];
        let remote = [RemoteIoVec {
            base: exec.start as usize,
            len,
        }];
        let got = process_vm_readv(
            Pid::from_raw(pid),
            &mut [IoSliceMut::new(&mut bytes)],
            &remote,
        )
        .map_err(|e| format!("process_vm_readv: {e}"))?;
        bytes.truncate(got);
        if let Some((cached, data)) = &self.vdso {
            if *cached == bytes {
                return Ok(data.clone());
            }
        }
        let shared: Bytes = Arc::from(bytes.clone());
        let data = Arc::new(parse_module(
            "[vdso]".to_string(),
            &bytes,
            SymbolFile::Memory(shared),
        )?);
        self.vdso = Some((bytes, data.clone()));
        Ok(data)
    }
}

fn parse_module(name: String, bytes: &[u8], symbols: SymbolFile) -> Result<ModuleData, String> {
    let file = object::File::parse(bytes).map_err(|e| format!("not an object file: {e}"))?;
    let section = |name: &str| {
        let section = file.section_by_name(name)?;
        let data = section.uncompressed_data().ok()?;
        let range = section.address()..section.address() + section.size();
        Some((range, Bytes::from(data.as_ref())))
    };
    let is_go = file.section_by_name(".gopclntab").is_some()
        || file.section_by_name(".go.buildinfo").is_some();
    let mut unwind = UnwindSections::default();
    if let Some((range, data)) = section(".text") {
        unwind.text_svma = Some(range);
        unwind.text = Some(data);
    }
    if let Some(got) = file.section_by_name(".got") {
        unwind.got_svma = Some(got.address()..got.address() + got.size());
    }
    // Go functions have no `.eh_frame` entries (the unwinder falls back to frame pointers for
    // them); the C parts of a cgo binary do. Go's `.debug_frame` misleads unwinders.
    if let Some((range, data)) = section(".eh_frame") {
        unwind.eh_frame_svma = Some(range);
        unwind.eh_frame = Some(data);
    }
    if let Some((range, data)) = section(".eh_frame_hdr") {
        unwind.eh_frame_hdr_svma = Some(range);
        unwind.eh_frame_hdr = Some(data);
    }
    if unwind.eh_frame.is_none() && !is_go {
        unwind.debug_frame = section(".debug_frame").map(|(_, data)| data);
    }
    let segments = file
        .segments()
        .map(|s| {
            let (offset, size) = s.file_range();
            let executable = match s.flags() {
                object::SegmentFlags::Elf { p_flags } => p_flags & object::elf::PF_X != 0,
                _ => false,
            };
            Segment {
                vaddr: s.address(),
                offset,
                size,
                executable,
            }
        })
        .collect();
    Ok(ModuleData {
        name,
        build_id: file.build_id().ok().flatten().map(<[u8]>::to_vec),
        is_go,
        go_table: is_go
            .then(|| GoTable::from_file(&file).map(Arc::new))
            .flatten(),
        symbols,
        unwind,
        segments,
    })
}
