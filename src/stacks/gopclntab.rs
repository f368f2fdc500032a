//! Function names of a Go binary from its `.gopclntab`, which survives `-ldflags="-s -w"`
//! (stripped of `.symtab` and DWARF). Go 1.18 and later (magics `0xfffffff0`, `0xfffffff1`);
//! older tables are not read. The table is the `.gopclntab` section, or in PIE builds
//! `.data.rel.ro.gopclntab` (internal linking) or a part of `.data.rel.ro` found by its header
//! (external linking, as with cgo).
//!
//! Layout (`debug/gosym/pclntab.go`): a header with `nfunc`, `textStart`, the offset of the
//! function-name table and of `functab`; `functab` holds `nfunc + 1` pairs of u32
//! (`entryoff` from `textStart`, `funcoff`); the `_func` at `functab + funcoff` starts with
//! `entryOff u32, nameOff i32`.
//!
//! May import: nothing from the crate.

use object::{Object, ObjectSection};

const MAGIC_118: u32 = 0xffff_fff0;
const MAGIC_120: u32 = 0xffff_fff1;
/// Longest function name kept (Go's longest real names, generic instantiations, are a few
/// hundred bytes).
const MAX_NAME: usize = 4096;

/// `(entry address, size, name)` of every function, sorted by address; empty when the file has
/// no readable Go 1.18+ `.gopclntab`.
pub fn functions(file: &object::File<'_>) -> Vec<(u64, u64, String)> {
    GoTable::from_file(file)
        .and_then(|table| table.functions())
        .unwrap_or_default()
}

/// A parsed `.gopclntab`: function names and stack-pointer deltas (`pcsp`).
#[derive(Debug, Clone)]
pub struct GoTable {
    data: Vec<u8>,
    /// Offset of `_func.flag` (Go 1.20 inserted `startLine` before it).
    flag_offset: usize,
    quantum: u64,
    nfunc: usize,
    text_start: u64,
    funcname_offset: usize,
    pctab_offset: usize,
    functab: usize,
}

impl GoTable {
    /// Reads the function table of a Go 1.18+ binary, wherever the linker put it.
    pub fn from_file(file: &object::File<'_>) -> Option<GoTable> {
        let text_section = file.section_by_name(".text").map(|s| s.address());
        let named = [".gopclntab", ".data.rel.ro.gopclntab"]
            .iter()
            .find_map(|name| file.section_by_name(name)?.data().ok());
        if let Some(data) = named {
            return GoTable::parse(data, text_section);
        }
        // The host linker merges the table into `.data.rel.ro`: look for a header whose
        // offsets all fall inside what follows it. The linker aligns the table to 32 bytes.
        let data = file.section_by_name(".data.rel.ro")?.data().ok()?;
        (0..data.len())
            .step_by(32)
            .filter(|&at| {
                matches!(data.get(at..at + 4), Some(m) if m == MAGIC_118.to_le_bytes() || m == MAGIC_120.to_le_bytes())
            })
            .find_map(|at| {
                let table = GoTable::parse(data.get(at..)?, text_section)?;
                table.is_consistent().then_some(table)
            })
    }

    /// Whether the header's offsets describe a table that fits in the bytes read, with a
    /// readable first function (rules out an accidental magic in other data).
    fn is_consistent(&self) -> bool {
        let functab_end = self
            .nfunc
            .checked_add(1)
            .and_then(|n| n.checked_mul(8))
            .and_then(|n| n.checked_add(self.functab));
        self.nfunc > 0
            && self.text_start != 0
            && functab_end.is_some_and(|end| end <= self.data.len())
            && self.funcname_offset < self.data.len()
            && self.pctab_offset < self.data.len()
            && self
                .entry(0)
                .is_some_and(|(entry, func)| self.u32_at(func) == Some(entry))
    }

    /// Parses a table; `None` when it is not a Go 1.18+ table or its header points outside
    /// the data. Public for the fuzz targets: the bytes come from a file the target chose.
    pub fn parse(data: &[u8], text_section: Option<u64>) -> Option<GoTable> {
        let magic = u32::from_le_bytes(data.get(0..4)?.try_into().ok()?);
        if magic != MAGIC_118 && magic != MAGIC_120 {
            return None;
        }
        let quantum = u64::from(*data.get(6)?);
        let ptr_size = usize::from(*data.get(7)?);
        if ptr_size != 8 && ptr_size != 4 {
            return None;
        }
        let word = |index: usize| -> Option<u64> {
            let offset = 8 + index * ptr_size;
            let bytes = data.get(offset..offset + ptr_size)?;
            Some(if ptr_size == 8 {
                u64::from_le_bytes(bytes.try_into().ok()?)
            } else {
                u64::from(u32::from_le_bytes(bytes.try_into().ok()?))
            })
        };
        let offset = |index: usize| -> Option<usize> {
            let value = usize::try_from(word(index)?).ok()?;
            (value <= data.len()).then_some(value)
        };
        let functab = offset(7)?;
        // `functab` holds nfunc + 1 entries of 8 bytes: a count the data cannot hold is a
        // lie, refused before anything is sized by it.
        let nfunc = usize::try_from(word(0)?).ok()?;
        let functab_bytes = nfunc.checked_add(1)?.checked_mul(8)?;
        if functab.checked_add(functab_bytes)? > data.len() {
            return None;
        }
        Some(GoTable {
            data: data.to_vec(),
            flag_offset: if magic == MAGIC_120 { 41 } else { 37 },
            quantum: quantum.max(1),
            nfunc,
            // The header's textStart is relocated at run time in PIE builds (zero on disk).
            text_start: match word(2)? {
                0 => text_section?,
                start => start,
            },
            funcname_offset: offset(3)?,
            pctab_offset: offset(6)?,
            functab,
        })
    }

    fn u32_at(&self, offset: usize) -> Option<u32> {
        Some(u32::from_le_bytes(
            self.data
                .get(offset..offset.checked_add(4)?)?
                .try_into()
                .ok()?,
        ))
    }

    /// (entry offset from textStart, offset of the `_func`) of function `index`.
    fn entry(&self, index: usize) -> Option<(u32, usize)> {
        let at = index.checked_mul(8)?.checked_add(self.functab)?;
        let func = usize::try_from(self.u32_at(at.checked_add(4)?)?).ok()?;
        Some((self.u32_at(at)?, self.functab.checked_add(func)?))
    }

    /// Every function's `(entry address, size, name)`, sorted; `None` when an offset points
    /// outside the table. Names are cut at [`MAX_NAME`] bytes.
    pub fn functions(&self) -> Option<Vec<(u64, u64, String)>> {
        // `parse` checked that `functab` holds `nfunc` entries, so this is bounded by the data.
        let mut functions = Vec::with_capacity(self.nfunc);
        for index in 0..self.nfunc {
            let (entry, func) = self.entry(index)?;
            let (next_entry, _) = self.entry(index + 1).unwrap_or((entry, 0));
            let name_offset = usize::try_from(self.u32_at(func.checked_add(4)?)?).ok()?;
            let name_bytes = self
                .data
                .get(self.funcname_offset.checked_add(name_offset)?..)?;
            let name_bytes = &name_bytes[..name_bytes.len().min(MAX_NAME)];
            let end = name_bytes
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(name_bytes.len());
            functions.push((
                self.text_start.checked_add(u64::from(entry))?,
                u64::from(next_entry.saturating_sub(entry)),
                String::from_utf8_lossy(&name_bytes[..end]).into_owned(),
            ));
        }
        functions.sort();
        Some(functions)
    }

    /// The function containing `pc`: (entry offset from textStart, offset of its `_func`).
    fn function_at(&self, pc: u64) -> Option<(u32, usize)> {
        let offset = u32::try_from(pc.checked_sub(self.text_start)?).ok()?;
        // Last function whose entry is <= pc.
        let (mut low, mut high) = (0, self.nfunc);
        while low < high {
            let mid = (low + high) / 2;
            if self.entry(mid)?.0 <= offset {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        let found = self.entry(low.checked_sub(1)?)?;
        // Past the end of the last function (the end entry bounds it).
        (self.entry(low)?.0 > offset).then_some(found)
    }

    /// How far the stack pointer has moved since the function at `pc` was entered (its
    /// `pcsp` value): 0 at the entry and in frameless assembly, where the return address is
    /// still at the stack pointer.
    pub fn sp_delta_at(&self, pc: u64) -> Option<u64> {
        let (entry, func) = self.function_at(pc)?;
        let pcsp = usize::try_from(self.u32_at(func.checked_add(16)?)?).ok()?;
        if pcsp == 0 {
            return None;
        }
        self.pcvalue(
            self.pctab_offset.checked_add(pcsp)?,
            self.text_start.checked_add(u64::from(entry))?,
            pc,
        )
        .and_then(|v| u64::try_from(v).ok())
    }

    /// Whether the function at `pc` is the outermost frame of a stack for the Go runtime
    /// (`funcFlag_TOPFRAME`: `runtime.goexit`, `runtime.mstart`, `runtime.rt0_go`…). What lies
    /// above it is not a Go frame, and frame pointers there are garbage.
    pub fn is_top_frame(&self, pc: u64) -> bool {
        const FUNC_FLAG_TOPFRAME: u8 = 1;
        self.flag_at(pc)
            .is_some_and(|flag| flag & FUNC_FLAG_TOPFRAME != 0)
    }

    /// Whether the function at `pc` switches stacks (`funcFlag_SPWRITE`: `runtime.mcall`,
    /// `systemstack`, `morestack`, `asmcgocall`…). Its caller's frame is on another stack
    /// (a goroutine's), outside the copied window; the Go runtime's own traceback stops here.
    pub fn switches_stack(&self, pc: u64) -> bool {
        const FUNC_FLAG_SPWRITE: u8 = 2;
        self.flag_at(pc)
            .is_some_and(|flag| flag & FUNC_FLAG_SPWRITE != 0)
    }

    fn flag_at(&self, pc: u64) -> Option<u8> {
        let (_, func) = self.function_at(pc)?;
        self.data.get(func.checked_add(self.flag_offset)?).copied()
    }

    /// Decodes a pcvalue table (`step` in runtime/symtab.go) up to `target`.
    fn pcvalue(&self, mut at: usize, entry: u64, target: u64) -> Option<i64> {
        let mut value: i64 = -1;
        let mut pc = entry;
        let mut first = true;
        loop {
            let (uvdelta, n) = self.varint(at)?;
            if uvdelta == 0 && !first {
                return None;
            }
            at += n;
            let delta = i64::from(uvdelta >> 1) ^ -i64::from(uvdelta & 1);
            value = value.checked_add(delta)?;
            let (pcdelta, n) = self.varint(at)?;
            at += n;
            pc = pc.checked_add(u64::from(pcdelta).checked_mul(self.quantum)?)?;
            first = false;
            if target < pc {
                return Some(value);
            }
        }
    }

    fn varint(&self, at: usize) -> Option<(u32, usize)> {
        let mut value: u32 = 0;
        for (i, &byte) in self.data.get(at..)?.iter().take(5).enumerate() {
            value |= u32::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Some((value, i + 1));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::GoTable;

    /// A hand-built 1.18 table with two functions.
    #[test]
    fn reads_a_minimal_table() {
        let mut data = vec![0u8; 0x100];
        data[0..4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        data[6] = 1; // minLC
        data[7] = 8; // ptrSize
        let mut put_word = |index: usize, value: u64| {
            data[8 + index * 8..16 + index * 8].copy_from_slice(&value.to_le_bytes());
        };
        put_word(0, 2); // nfunc
        put_word(2, 0x40_1000); // textStart
        put_word(3, 0x60); // funcnameOffset
        put_word(7, 0x80); // pclnOffset (functab)
        data[0x60..0x69].copy_from_slice(b"main.a\0b\0");
        // functab: (entryoff, funcoff) × 3
        for (i, (entry, func)) in [(0u32, 0x20u32), (0x10, 0x28), (0x30, 0)]
            .iter()
            .enumerate()
        {
            data[0x80 + i * 8..0x84 + i * 8].copy_from_slice(&entry.to_le_bytes());
            data[0x84 + i * 8..0x88 + i * 8].copy_from_slice(&func.to_le_bytes());
        }
        // _func records: entryOff, nameOff
        data[0xa4..0xa8].copy_from_slice(&0u32.to_le_bytes());
        data[0xac..0xb0].copy_from_slice(&7u32.to_le_bytes());
        let functions = GoTable::parse(&data, None)
            .and_then(|t| t.functions())
            .expect("parses");
        assert_eq!(
            functions,
            vec![
                (0x40_1000, 0x10, "main.a".to_string()),
                (0x40_1010, 0x20, "b".to_string())
            ]
        );
    }

    /// pcsp: 0 for the first 4 bytes (entry, before the frame is set up), then 8.
    #[test]
    fn decodes_pcvalue_steps() {
        let table = GoTable {
            data: vec![2, 4, 16, 10, 0],
            flag_offset: 37,
            quantum: 1,
            nfunc: 0,
            text_start: 0,
            funcname_offset: 0,
            pctab_offset: 0,
            functab: 0,
        };
        assert_eq!(table.pcvalue(0, 0x1000, 0x1000), Some(0));
        assert_eq!(table.pcvalue(0, 0x1000, 0x1003), Some(0));
        assert_eq!(table.pcvalue(0, 0x1000, 0x1004), Some(8));
        assert_eq!(table.pcvalue(0, 0x1000, 0x100d), Some(8));
        assert_eq!(table.pcvalue(0, 0x1000, 0x100e), None);
    }

    /// A count the data cannot hold (the crafted ELF that aborted on its allocation) and
    /// offsets past the end are refused before anything is sized by them.
    #[test]
    fn refuses_counts_and_offsets_past_the_data() {
        let mut data = vec![0u8; 0x100];
        data[0..4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        data[6] = 1;
        data[7] = 8;
        let put = |data: &mut Vec<u8>, index: usize, value: u64| {
            data[8 + index * 8..16 + index * 8].copy_from_slice(&value.to_le_bytes());
        };
        put(&mut data, 2, 0x40_1000);
        put(&mut data, 7, 0x80);
        for nfunc in [u64::MAX, 1 << 61, 16] {
            put(&mut data, 0, nfunc);
            assert!(GoTable::parse(&data, None).is_none(), "nfunc {nfunc}");
        }
        put(&mut data, 0, 2);
        assert!(GoTable::parse(&data, None).is_some());
        put(&mut data, 3, u64::MAX);
        assert!(GoTable::parse(&data, None).is_none(), "funcname offset");
    }

    #[test]
    fn rejects_other_magics() {
        assert!(GoTable::parse(&[0xfb, 0xff, 0xff, 0xff, 0, 0, 1, 8], None).is_none());
        assert!(GoTable::parse(&[], None).is_none());
    }
}
