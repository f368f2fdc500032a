//! Names for addresses: DWARF (function, file:line, inlined frames) through `addr2line`, the ELF
//! symbol tables (`.symtab`, else `.dynsym`) where there is no DWARF, Rust and C++ demangling,
//! and `module+0xoffset` when nothing is known. Go binaries keep `.symtab` and DWARF unless
//! stripped; a stripped Go binary gets `module+offset` (no `.gopclntab` reader yet).
//!
//! Sources and results are cached per module, keyed by path and build id.
//!
//! May import: `stacks::modules`.

use super::modules::{Mapped, SymbolFile};
use addr2line::gimli;
use object::{Object, ObjectSymbol, ObjectSymbolTable};
use std::collections::HashMap;
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

enum Source {
    Dwarf(Box<addr2line::Loader>),
    /// Sorted (start, name) pairs from a symbol table in memory.
    Table(Vec<(u64, u64, String)>),
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
            .or_insert_with(|| open_source(&mapped.data.symbols));
        let frames = Arc::new(lookup_in(source, svma));
        self.lookups.insert((key, svma), frames.clone());
        frames
    }
}

fn open_source(file: &SymbolFile) -> Source {
    match file {
        SymbolFile::Path(path) => match addr2line::Loader::new(path) {
            Ok(loader) => Source::Dwarf(Box::new(loader)),
            Err(_) => Source::Unavailable,
        },
        SymbolFile::Memory(bytes) => match object::File::parse(&**bytes) {
            Ok(file) => Source::Table(symbol_table(&file)),
            Err(_) => Source::Unavailable,
        },
    }
}

fn symbol_table(file: &object::File<'_>) -> Vec<(u64, u64, String)> {
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
        Source::Dwarf(loader) => {
            let mut frames = Vec::new();
            if let Ok(mut iter) = loader.find_frames(svma) {
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
            let named = frames.last().is_some_and(|f| f.function.is_some());
            if !named {
                if let Some(symbol) = loader.find_symbol(svma) {
                    let symbol = demangle(symbol, None);
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
            frames.retain(|f| f.function.is_some() || f.file.is_some());
            frames
        }
        Source::Table(symbols) => {
            let index = symbols.partition_point(|(start, _, _)| *start <= svma);
            index
                .checked_sub(1)
                .and_then(|i| symbols.get(i))
                .filter(|(start, size, _)| *size == 0 || svma < start + size)
                .map(|(_, _, name)| {
                    vec![SymFrame {
                        function: Some(demangle(name, None)),
                        file: None,
                        line: None,
                        inlined: false,
                    }]
                })
                .unwrap_or_default()
        }
        Source::Unavailable => Vec::new(),
    }
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
        assert_eq!(
            demangle("_ZN4core3ptr13drop_in_place17h0123456789abcdefE", None),
            "core::ptr::drop_in_place"
        );
        assert_eq!(demangle("_ZN3foo3barEv", None), "foo::bar()");
        assert_eq!(demangle("_RNvCs1234_7mycrate3foo", None), "mycrate::foo");
        assert_eq!(demangle("level_two", None), "level_two");
        assert_eq!(demangle("main.levelTwo", None), "main.levelTwo");
    }
}
