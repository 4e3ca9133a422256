//! Names for data and bss addresses from the program's own ELF symbol table (`--binary`), read
//! with the `object` crate: `main.userCache`, `main.eventLog+0x8`. Go links statically and,
//! unless built with `-buildmode=pie`, at fixed addresses, so the binary's symbol addresses
//! are the dump's. A stripped binary (`-ldflags=-s`) has no `.symtab`: an error says so.

use std::path::Path;

use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};

use crate::ParseError;

/// Data symbols sorted by address: `(address, size, name)`.
pub struct Symbols {
    syms: Vec<(u64, u64, Box<str>)>,
    /// The binary's `.data` section address, to check the binary against the dump.
    pub data_addr: Option<u64>,
}

impl Symbols {
    /// Read the data and bss symbols of the ELF file at `path`.
    pub fn read(path: &Path) -> Result<Symbols, ParseError> {
        let bytes = std::fs::read(path).map_err(|e| ParseError::io(path, e))?;
        let file = object::File::parse(&*bytes).map_err(|e| {
            ParseError::new(
                path,
                0,
                format!("--binary: an ELF executable (the program that wrote the dump): {e}"),
            )
        })?;
        let mut syms: Vec<(u64, u64, Box<str>)> = file
            .symbols()
            .filter(|s| s.kind() == SymbolKind::Data && s.address() != 0)
            .filter_map(|s| Some((s.address(), s.size(), s.name().ok()?.into())))
            .collect();
        if syms.is_empty() {
            return Err(ParseError::new(
                path,
                0,
                "--binary: a symbol table with data symbols (.symtab; was the binary built with -ldflags=-s or stripped?)",
            ));
        }
        syms.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(&b.2)));
        let data_addr = file.section_by_name(".data").map(|s| s.address());
        Ok(Symbols { syms, data_addr })
    }

    /// The symbol holding `addr`, and the offset into it.
    pub fn lookup(&self, addr: u64) -> Option<(&str, u64)> {
        let i = self.syms.partition_point(|s| s.0 <= addr).checked_sub(1)?;
        let (start, size, name) = &self.syms[i];
        let off = addr - start;
        (off < (*size).max(1)).then_some((name, off))
    }
}
