//! Function names of a Go binary from its `.gopclntab`, which survives `-ldflags="-s -w"`
//! (stripped of `.symtab` and DWARF). Go 1.18 and later (magics `0xfffffff0`, `0xfffffff1`);
//! older tables and PIE builds (where the table sits inside `.data.rel.ro`) are not read.
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

/// `(entry address, size, name)` of every function, sorted by address; empty when the file has
/// no readable Go 1.18+ `.gopclntab`.
pub fn functions(file: &object::File<'_>) -> Vec<(u64, u64, String)> {
    let Some(section) = file.section_by_name(".gopclntab") else {
        return Vec::new();
    };
    let Ok(data) = section.data() else {
        return Vec::new();
    };
    let text_section = file.section_by_name(".text").map(|s| s.address());
    parse(data, text_section).unwrap_or_default()
}

fn parse(data: &[u8], text_section: Option<u64>) -> Option<Vec<(u64, u64, String)>> {
    let u32_at = |offset: usize| -> Option<u32> {
        Some(u32::from_le_bytes(
            data.get(offset..offset + 4)?.try_into().ok()?,
        ))
    };
    let magic = u32_at(0)?;
    if magic != MAGIC_118 && magic != MAGIC_120 {
        return None;
    }
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
    let nfunc = usize::try_from(word(0)?).ok()?;
    // The header's textStart is relocated at run time in PIE builds (zero on disk).
    let text_start = match word(2)? {
        0 => text_section?,
        start => start,
    };
    let funcname_offset = usize::try_from(word(3)?).ok()?;
    let functab = usize::try_from(word(7)?).ok()?;
    let mut functions = Vec::with_capacity(nfunc);
    for index in 0..nfunc {
        let entry = u32_at(functab + index * 8)?;
        let func_offset = usize::try_from(u32_at(functab + index * 8 + 4)?).ok()?;
        let next_entry = u32_at(functab + (index + 1) * 8)?;
        let name_offset = u32_at(functab + func_offset + 4)?;
        let name_start = funcname_offset + usize::try_from(name_offset).ok()?;
        let name_bytes = data.get(name_start..)?;
        let end = name_bytes.iter().position(|&b| b == 0)?;
        let name = String::from_utf8_lossy(&name_bytes[..end]).into_owned();
        functions.push((
            text_start + u64::from(entry),
            u64::from(next_entry.saturating_sub(entry)),
            name,
        ));
    }
    functions.sort();
    Some(functions)
}

#[cfg(test)]
mod tests {
    use super::parse;

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
        let functions = parse(&data, None).expect("parses");
        assert_eq!(
            functions,
            vec![
                (0x40_1000, 0x10, "main.a".to_string()),
                (0x40_1010, 0x20, "b".to_string())
            ]
        );
    }

    #[test]
    fn rejects_other_magics() {
        assert!(parse(&[0xfb, 0xff, 0xff, 0xff, 0, 0, 1, 8], None).is_none());
        assert!(parse(&[], None).is_none());
    }
}
