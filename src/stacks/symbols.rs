//! Names for addresses: DWARF (function, file:line, inlined frames) through `addr2line`, the ELF
//! symbol tables (`.symtab`, else `.dynsym`) where there is no DWARF, Rust and C++ demangling,
//! and `module+0xoffset` when nothing is known. Go binaries keep `.symtab` and DWARF unless
//! stripped; a stripped Go binary is named from its `.gopclntab` (see `gopclntab`).
//!
//! Sources and results are cached per module, keyed by path and build id. Each file is read
//! once for both its symbol table and its DWARF; of the DWARF only what names, inlining and
//! lines need is inflated (not location lists, macros, type units); units and line tables are
//! parsed by `addr2line` on first use.
//!
//! May import: `stacks::modules`.

use super::modules::{Mapped, SymbolFile};
use object::{Object, ObjectSection, ObjectSymbol, ObjectSymbolTable};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One logical frame at an address (several when functions were inlined there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymFrame {
    pub function: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    /// Inlined into the frame that follows it.
    pub inlined: bool,
}

/// Sorted (start, size, name) of the text symbols of `.symtab` (else `.dynsym`).
type Table = Vec<(u64, u64, String)>;

/// DWARF sections shared without copying; `Send`, so the symbolizer can move threads.
type DwarfReader = gimli::EndianReader<gimli::RunTimeEndian, Arc<[u8]>>;
type Dwarf = addr2line::Context<DwarfReader>;

enum Source {
    /// DWARF (when present) and the symbol table of a file on disk.
    File {
        dwarf: Option<Box<Dwarf>>,
        table: Table,
    },
    /// The symbol table of a module copied from memory (the vDSO).
    Memory(Table),
    Unavailable,
}

type ModuleKey = (String, Option<Vec<u8>>);

/// Caches symbol sources and lookups. Not `Sync`: keep it on one thread.
#[derive(Default)]
pub struct Symbolizer {
    sources: HashMap<ModuleKey, Source>,
    lookups: HashMap<(ModuleKey, u64), Arc<Vec<SymFrame>>>,
}

impl Symbolizer {
    pub fn new() -> Symbolizer {
        Symbolizer::default()
    }

    /// The frames at `lookup` (an address inside `mapped`), innermost (most inlined) first.
    /// Empty when nothing is known.
    pub fn symbolize(&mut self, mapped: &Mapped, lookup: u64) -> Arc<Vec<SymFrame>> {
        let key: ModuleKey = (mapped.data.name.clone(), mapped.data.build_id.clone());
        let svma = lookup.wrapping_sub(mapped.bias);
        if let Some(found) = self.lookups.get(&(key.clone(), svma)) {
            return found.clone();
        }
        let source = self
            .sources
            .entry(key.clone())
            .or_insert_with(|| open_source(&mapped.data.symbols, mapped.data.build_id.as_deref()));
        let frames = Arc::new(lookup_in(source, svma));
        self.lookups.insert((key, svma), frames.clone());
        frames
    }
}

/// Where Debian's `-dbg`/`-dbgsym` packages put separate debug files: by build id.
fn debug_file(build_id: Option<&[u8]>) -> Option<PathBuf> {
    let id: String = build_id?.iter().map(|b| format!("{b:02x}")).collect();
    if id.len() < 3 {
        return None;
    }
    let path = PathBuf::from(format!(
        "/usr/lib/debug/.build-id/{}/{}.debug",
        &id[..2],
        &id[2..]
    ));
    path.is_file().then_some(path)
}

/// The symbol table of a file, plus the functions of `.gopclntab` when the symbol tables name
/// no Go function: a stripped Go binary has no `.symtab`, and a stripped cgo binary still has a
/// `.dynsym` with only its C exports (`_cgo_*`, `crosscall2`).
fn table_of(file: &object::File<'_>) -> Table {
    let mut table = symbol_table(file);
    if !table
        .iter()
        .any(|(_, _, name)| name.starts_with("runtime."))
    {
        let go = super::gopclntab::functions(file);
        if !go.is_empty() {
            table.extend(go);
            table.sort();
            table.dedup_by_key(|(start, _, _)| *start);
        }
    }
    table
}

/// The sections `addr2line` reads: names, inlining, ranges and lines. Location lists
/// (`.debug_loclists`, often the second largest section), macros and type units are never
/// read, so they are not decompressed.
const DWARF_SECTIONS: &[gimli::SectionId] = &[
    gimli::SectionId::DebugAbbrev,
    gimli::SectionId::DebugAddr,
    gimli::SectionId::DebugAranges,
    gimli::SectionId::DebugInfo,
    gimli::SectionId::DebugLine,
    gimli::SectionId::DebugLineStr,
    gimli::SectionId::DebugRanges,
    gimli::SectionId::DebugRngLists,
    gimli::SectionId::DebugStr,
    gimli::SectionId::DebugStrOffsets,
];

/// The DWARF context of a file (`bytes`, parsed as `file`); `None` when it has no
/// `.debug_info`. Uncompressed sections are read in place; compressed ones are inflated.
fn dwarf_of(bytes: &Arc<[u8]>, file: &object::File<'_>) -> Option<Dwarf> {
    file.section_by_name(".debug_info")?;
    let endian = if file.is_little_endian() {
        gimli::RunTimeEndian::Little
    } else {
        gimli::RunTimeEndian::Big
    };
    let empty = || gimli::EndianReader::new(Arc::from(&[][..]), endian);
    let load =
        |id: gimli::SectionId| -> Result<DwarfReader, gimli::Error> {
            let Some(section) = file
                .section_by_name(id.name())
                .filter(|_| DWARF_SECTIONS.contains(&id))
            else {
                return Ok(empty());
            };
            let in_place = section.compressed_file_range().ok().and_then(|range| {
                (range.format == object::CompressionFormat::None).then_some(range)
            });
            if let Some(range) = in_place {
                let start = usize::try_from(range.offset).ok();
                let len = usize::try_from(range.uncompressed_size).ok();
                if let (Some(start), Some(len)) = (start, len) {
                    if start.checked_add(len).is_some_and(|end| end <= bytes.len()) {
                        return Ok(gimli::EndianReader::new(bytes.clone(), endian)
                            .range(start..start + len));
                    }
                }
                return Ok(empty());
            }
            Ok(match section.uncompressed_data() {
                Ok(data) => gimli::EndianReader::new(Arc::from(data.into_owned()), endian),
                Err(_) => empty(),
            })
        };
    let dwarf = gimli::Dwarf::load(load).ok()?;
    addr2line::Context::from_dwarf(dwarf).ok()
}

/// Reads a file once for both its symbol table and its DWARF.
fn read_file(path: &Path) -> (Table, Option<Dwarf>) {
    let Ok(bytes) = std::fs::read(path) else {
        return (Table::new(), None);
    };
    let bytes: Arc<[u8]> = Arc::from(bytes);
    let Ok(file) = object::File::parse(&*bytes) else {
        return (Table::new(), None);
    };
    (table_of(&file), dwarf_of(&bytes, &file))
}

fn open_source(file: &SymbolFile, build_id: Option<&[u8]>) -> Source {
    match file {
        SymbolFile::Path(path) => {
            // A separate debug file has the full .symtab and the DWARF the binary lost.
            let best = debug_file(build_id).unwrap_or_else(|| path.clone());
            let (mut table, dwarf) = read_file(&best);
            if table.is_empty() && best != *path {
                table = read_file(path).0;
            }
            if dwarf.is_none() && table.is_empty() {
                Source::Unavailable
            } else {
                Source::File {
                    dwarf: dwarf.map(Box::new),
                    table,
                }
            }
        }
        SymbolFile::Memory(bytes) => match object::File::parse(&**bytes) {
            Ok(file) => Source::Memory(symbol_table(&file)),
            Err(_) => Source::Unavailable,
        },
    }
}

fn symbol_table(file: &object::File<'_>) -> Table {
    let table = file.symbol_table().or_else(|| file.dynamic_symbol_table());
    let mut symbols: Vec<(u64, u64, String)> = table
        .map(|t| {
            t.symbols()
                .filter(|s| s.kind() == object::SymbolKind::Text && s.address() != 0)
                .filter_map(|s| Some((s.address(), s.size(), s.name().ok()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    symbols.sort();
    symbols
}

fn lookup_in(source: &Source, svma: u64) -> Vec<SymFrame> {
    match source {
        Source::File { dwarf, table } => {
            let mut frames = dwarf
                .as_ref()
                .map(|d| dwarf_frames(d, svma))
                .unwrap_or_default();
            let named = frames.last().is_some_and(|f| f.function.is_some());
            if !named {
                if let Some(symbol) = table_lookup(table, svma) {
                    match frames.last_mut() {
                        Some(last) => last.function = Some(symbol),
                        None => frames.push(SymFrame {
                            function: Some(symbol),
                            file: None,
                            line: None,
                            inlined: false,
                        }),
                    }
                }
            }
            frames.retain(|f| f.function.is_some());
            frames
        }
        Source::Memory(table) => table_lookup(table, svma)
            .map(|name| {
                vec![SymFrame {
                    function: Some(name),
                    file: None,
                    line: None,
                    inlined: false,
                }]
            })
            .unwrap_or_default(),
        Source::Unavailable => Vec::new(),
    }
}

/// DWARF frames at `svma`, innermost (most inlined) first.
fn dwarf_frames(dwarf: &Dwarf, svma: u64) -> Vec<SymFrame> {
    let mut frames = Vec::new();
    // Split DWARF (.dwo files) is not followed: the frames of the skeleton unit are kept.
    if let Ok(mut iter) = dwarf.find_frames(svma).skip_all_loads() {
        while let Ok(Some(frame)) = iter.next() {
            let function = frame.function.as_ref().and_then(|name| {
                let raw = name.raw_name().ok()?;
                Some(demangle(&raw, name.language))
            });
            let (file, line) = frame
                .location
                .map(|l| (l.file.map(str::to_string), l.line))
                .unwrap_or((None, None));
            frames.push(SymFrame {
                function,
                file,
                line,
                inlined: true,
            });
        }
    }
    if let Some(last) = frames.last_mut() {
        last.inlined = false;
    }
    frames
}

/// The symbol whose [start, start + size) holds `svma` (size 0: up to the next symbol).
fn table_lookup(table: &Table, svma: u64) -> Option<String> {
    let index = table.partition_point(|(start, _, _)| *start <= svma);
    let (start, size, name) = table.get(index.checked_sub(1)?)?;
    (*size == 0 || svma < start + size).then(|| demangle(name, None))
}

/// Demangles Rust (legacy and v0) and C++ (Itanium) names; other names are returned as they
/// are. The language from DWARF, when known, picks the demangler.
pub fn demangle(name: &str, language: Option<gimli::DwLang>) -> String {
    let rust = || {
        rustc_demangle::try_demangle(name)
            .ok()
            .map(|d| format!("{d:#}"))
    };
    let cpp = || {
        cpp_demangle::Symbol::new(name)
            .ok()
            .and_then(|s| s.demangle().ok())
    };
    let demangled = match language {
        Some(gimli::DW_LANG_Rust) => rust(),
        Some(gimli::DW_LANG_C_plus_plus)
        | Some(gimli::DW_LANG_C_plus_plus_03)
        | Some(gimli::DW_LANG_C_plus_plus_11)
        | Some(gimli::DW_LANG_C_plus_plus_14) => cpp(),
        _ if name.starts_with("_R") || name.starts_with("_ZN") => rust().or_else(cpp),
        _ if name.starts_with("_Z") => cpp(),
        _ => None,
    };
    demangled.unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::demangle;

    #[test]
    fn demangles_rust_and_cpp() {
        for (symbol, name) in [
            (
                "_ZN4core3ptr13drop_in_place17h0123456789abcdefE",
                "core::ptr::drop_in_place",
            ),
            ("_ZN3foo3barEv", "foo::bar()"),
            ("_RNvCs1234_7mycrate3foo", "mycrate::foo"),
            ("level_two", "level_two"),
            ("main.levelTwo", "main.levelTwo"),
        ] {
            assert_eq!(demangle(symbol, None), name, "{symbol}");
        }
    }
}
