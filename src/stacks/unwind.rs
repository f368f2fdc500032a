//! Turns copied registers and stack bytes into return addresses with `framehop`: DWARF CFI from
//! `.eh_frame` (or `.debug_frame` when a file has no `.eh_frame`), frame pointers where there is
//! no CFI, and for Go code (which has no `.eh_frame` and keeps frame pointers).
//!
//! Runs after the thread was resumed: it reads only the copy, never the live target.
//!
//! May import: `stacks::{modules, tracer}`.

use super::modules::{AddressSpace, Bytes};
use super::tracer::RawThread;
use framehop::{
    CacheNative, ExplicitModuleSectionInfo, MayAllocateDuringUnwind, Module, UnwindRegsNative,
    Unwinder as _, UnwinderNative,
};

/// One frame's address: the interrupted PC for the innermost frame, a return address above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameAddr {
    pub address: u64,
    /// The address to look up symbols with (return address − 1, inside the call).
    pub lookup: u64,
}

/// A thread's unwound addresses, innermost first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unwound {
    pub frames: Vec<FrameAddr>,
    /// The walk stopped early (stack copy too short, or unwind data missing or wrong).
    pub truncated: bool,
}

/// A framehop unwinder loaded with one address space's modules.
pub struct StackUnwinder {
    unwinder: UnwinderNative<Bytes, MayAllocateDuringUnwind>,
    cache: CacheNative<MayAllocateDuringUnwind>,
}

impl StackUnwinder {
    pub fn new(space: &AddressSpace) -> StackUnwinder {
        let mut unwinder = UnwinderNative::new();
        for mapped in &space.modules {
            let sections = &mapped.data.unwind;
            let info = ExplicitModuleSectionInfo {
                base_svma: 0,
                text_svma: sections.text_svma.clone(),
                text: sections.text.clone(),
                got_svma: sections.got_svma.clone(),
                eh_frame_svma: sections.eh_frame_svma.clone(),
                eh_frame: sections.eh_frame.clone(),
                eh_frame_hdr_svma: sections.eh_frame_hdr_svma.clone(),
                eh_frame_hdr: sections.eh_frame_hdr.clone(),
                debug_frame: sections.debug_frame.clone(),
                ..Default::default()
            };
            unwinder.add_module(Module::new(
                mapped.data.name.clone(),
                mapped.avma.clone(),
                mapped.bias,
                info,
            ));
        }
        StackUnwinder {
            unwinder,
            cache: CacheNative::new(),
        }
    }

    /// Unwinds one copied thread, at most `max_frames` deep.
    pub fn unwind(&mut self, raw: &RawThread, max_frames: usize) -> Unwound {
        let sp = raw.regs.sp;
        let stack = &raw.stack;
        let mut read_stack = |address: u64| -> Result<u64, ()> {
            let offset = usize::try_from(address.checked_sub(sp).ok_or(())?).map_err(|_| ())?;
            let bytes = stack
                .get(offset..offset.checked_add(8).ok_or(())?)
                .ok_or(())?;
            let word: [u8; 8] = bytes.try_into().map_err(|_| ())?;
            Ok(u64::from_le_bytes(word))
        };
        let mut frames = Vec::new();
        let mut iter = self.unwinder.iter_frames(
            raw.regs.pc,
            initial_regs(raw),
            &mut self.cache,
            &mut read_stack,
        );
        let mut truncated = false;
        loop {
            if frames.len() >= max_frames {
                truncated = true;
                break;
            }
            match iter.next() {
                Ok(Some(frame)) => frames.push(FrameAddr {
                    address: strip_pointer_auth(frame.address()),
                    lookup: strip_pointer_auth(frame.address_for_lookup()),
                }),
                Ok(None) => break,
                Err(_) => {
                    truncated = true;
                    break;
                }
            }
        }
        Unwound { frames, truncated }
    }
}

#[cfg(target_arch = "x86_64")]
fn initial_regs(raw: &RawThread) -> UnwindRegsNative {
    UnwindRegsNative::new(raw.regs.pc, raw.regs.sp, raw.regs.fp)
}

#[cfg(target_arch = "aarch64")]
fn initial_regs(raw: &RawThread) -> UnwindRegsNative {
    UnwindRegsNative::new(raw.regs.lr, raw.regs.sp, raw.regs.fp)
}

/// aarch64 pointer authentication puts a signature in the high bits of return addresses;
/// user-space addresses fit 48 bits. On x86_64 this is the identity.
fn strip_pointer_auth(address: u64) -> u64 {
    if cfg!(target_arch = "aarch64") {
        address & 0x0000_ffff_ffff_ffff
    } else {
        address
    }
}
