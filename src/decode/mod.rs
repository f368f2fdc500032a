//! Pure decoders of kernel encodings: signal masks, system call numbers, capability sets,
//! `wchan` names. No I/O.
//!
//! May import: nothing else in the crate.

pub mod capabilities;
pub mod signals;
pub mod syscalls;
pub mod wchan;
