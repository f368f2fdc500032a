//! Decoders of kernel encodings fed from untrusted text: signal masks and names, system call
//! numbers (both tables), capability sets, wchan names.
#![no_main]

use healthtop::decode::capabilities::capability_names;
use healthtop::decode::signals::{mask_has, mask_names, signal_name, signal_number};
use healthtop::decode::syscalls::{syscall_name, Arch};
use healthtop::decode::wchan::classify;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut word = [0u8; 8];
    let n = data.len().min(8);
    word[..n].copy_from_slice(&data[..n]);
    let value = u64::from_le_bytes(word);
    let _ = mask_names(value);
    let _ = mask_has(value, (value >> 56) as u32);
    let _ = signal_name(value as u32);
    let _ = capability_names(value);
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let _ = syscall_name(arch, value as i64);
    }
    let text = String::from_utf8_lossy(data);
    let _ = signal_number(&text);
    let _ = classify(&text);
});
