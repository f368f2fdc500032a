//! healthtop: watch one Linux process and warn before it crashes.
//!
//! Data flows one way; each floor imports only from floors below it:
//!
//! ```text
//! cli (main.rs, cmd/)          parse arguments, run a command, map errors to exit codes
//! shell/                       tokio loop, terminal, signals, tracer thread
//! serve/                       `healthtop serve`: HTTP(S) /metrics for Prometheus, the watched set
//! view/                        pure render(&AppState)
//! bundle/  report/             write/read bundles; one-shot report text and JSON
//! exposition/                  pure: the headroom model and findings as Prometheus metric families
//! app/                         AppState + update(), no I/O
//! scan/                        host-wide ranking of processes by their nearest limit (healthtop scan)
//! rules/                       health rules, reading the headroom model
//! headroom/                    per resource: binding limit, usage, trend, ETA (one source)
//! history/                     bounded series, Theil–Sen trends
//! collect/ stacks/ runtimes/   the only code that reads /proc (through collect::ProcessDir),
//!                              ptraces, or talks to a runtime
//! sample.rs decode/ format.rs  plain data; pure decoders of kernel encodings; units for humans
//! safe_file.rs                 the one writer of files: no-follow, exclusive, O_TMPFILE + linkat
//! safe_text.rs                 the one sanitizer of target-controlled text for display
//! ```
//!
//! `collect` owns the reading of `/proc`, `/sys` and cgroupfs (stacks and runtimes read a process
//! through its `ProcessDir`); everything above works on [`sample::Sample`] values, so it can be
//! tested without a live process.

pub mod app;
pub mod bundle;
pub mod cli;
pub mod cmd;
pub mod collect;
pub mod config;
pub mod decode;
pub mod demo;
pub mod exit;
pub mod exposition;
pub mod format;
pub mod headroom;
pub mod history;
pub mod keymap;
pub mod parse;
pub mod report;
pub mod rules;
pub mod runtimes;
pub mod safe_file;
pub mod safe_text;
pub mod sample;
pub mod scan;
pub mod serve;
pub mod shell;
pub mod stacks;
pub mod view;
