//! The misbehaving process behind `healthtop demo`. Every behaviour maps to a crash scenario
//! healthtop warns about (see the seed article): it leaks fds toward a low RLIMIT_NOFILE,
//! threads, and memory toward RLIMIT_AS; holds a shared mapping of a file truncated under it
//! (SIGBUS on touch) and a mapping of a deleted file; leaves a socket in CLOSE_WAIT; runs
//! under a seccomp filter with NoNewPrivs; blocks SIGTERM, ignores SIGPIPE and catches SIGSEGV.
//!
//! Each leak stops at 90% of its limit, so the demo warns without ever crashing.

#![allow(unsafe_code)]

use crate::safe_file;
use nix::sys::resource::{getrlimit, setrlimit, Resource};
use nix::sys::signal::{self, SigHandler, SigSet, Signal};
use std::fs::File;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;

/// The line the target prints on stdout once everything is set up.
pub const READY: &str = "healthtop-demo-ready";

/// Soft RLIMIT_NOFILE the target gives itself, so the fd ETA is minutes, not days.
pub const FD_LIMIT: u64 = 1024;
/// Headroom of RLIMIT_AS above the size at start.
pub const ADDRESS_SPACE_HEADROOM: u64 = 1 << 30;
const THREAD_CAP: usize = 400;
const PAGE: usize = 4096;

/// Runs forever (until killed). Errors in setup are reported on stderr and end the process.
pub fn run() -> ! {
    match setup() {
        Ok(state) => leak_forever(state),
        Err(error) => {
            eprintln!("demo-target: {error}");
            std::process::exit(1)
        }
    }
}

struct State {
    fds: Vec<OwnedFd>,
    memory: Vec<Vec<u8>>,
    threads: usize,
    memory_cap: usize,
    _mappings: Vec<Mapping>,
    _sockets: Vec<TcpStream>,
    _listener: TcpListener,
}

fn setup() -> Result<State, String> {
    // Die with healthtop, even if it is SIGKILLed.
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
        .map_err(|e| format!("PR_SET_PDEATHSIG: {e}"))?;
    if nix::unistd::getppid().as_raw() == 1 {
        return Err("parent already gone".into());
    }
    signals()?;
    // One malloc arena: otherwise glibc reserves 64 MiB of address space for each thread that
    // allocates, and the thread leak alone would run into RLIMIT_AS within seconds.
    // SAFETY: mallopt only tunes the allocator; no other thread exists yet.
    if unsafe { libc::mallopt(libc::M_ARENA_MAX, 1) } != 1 {
        return Err("mallopt(M_ARENA_MAX) failed".into());
    }
    setrlimit(
        Resource::RLIMIT_NOFILE,
        FD_LIMIT,
        getrlimit(Resource::RLIMIT_NOFILE)
            .map_err(|e| e.to_string())?
            .1,
    )
    .map_err(|e| format!("RLIMIT_NOFILE: {e}"))?;
    let vm_size = vm_size_bytes().ok_or("cannot read VmSize")?;
    let as_limit = vm_size + ADDRESS_SPACE_HEADROOM;
    setrlimit(Resource::RLIMIT_AS, as_limit, as_limit).map_err(|e| format!("RLIMIT_AS: {e}"))?;
    let mappings = vec![truncated_shared_mapping()?, deleted_file_mapping()?];
    let (listener, sockets) = close_wait_socket()?;
    install_seccomp_filter()?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{READY}")
        .and_then(|()| stdout.flush())
        .map_err(|e| e.to_string())?;
    Ok(State {
        fds: Vec::new(),
        memory: Vec::new(),
        threads: 0,
        memory_cap: (ADDRESS_SPACE_HEADROOM as usize / 10) * 9 - (64 << 20),
        _mappings: mappings,
        _sockets: sockets,
        _listener: listener,
    })
}

/// SIGTERM blocked (process-wide: set before any thread starts, so every thread inherits it),
/// SIGPIPE ignored, SIGSEGV caught.
fn signals() -> Result<(), String> {
    let mut blocked = SigSet::empty();
    blocked.add(Signal::SIGTERM);
    blocked
        .thread_block()
        .map_err(|e| format!("block SIGTERM: {e}"))?;
    // SAFETY: SIG_IGN installs no Rust code as a handler.
    unsafe { signal::signal(Signal::SIGPIPE, SigHandler::SigIgn) }
        .map_err(|e| format!("SIGPIPE: {e}"))?;
    // SAFETY: the handler only calls _exit, which is async-signal-safe.
    unsafe { signal::signal(Signal::SIGSEGV, SigHandler::Handler(on_segv)) }
        .map_err(|e| format!("SIGSEGV: {e}"))?;
    Ok(())
}

extern "C" fn on_segv(_: libc::c_int) {
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(139) }
}

fn vm_size_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmSize:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A shared mapping, unmapped on drop.
struct Mapping {
    address: *mut libc::c_void,
    length: usize,
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: address/length come from a successful mmap and are unmapped once.
        unsafe { libc::munmap(self.address, self.length) };
    }
}

fn map_shared(file: &File, length: usize) -> Result<Mapping, String> {
    // SAFETY: a fresh shared mapping of an open file; nothing else aliases it.
    let address = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            length,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        )
    };
    if address == libc::MAP_FAILED {
        return Err(format!("mmap: {}", std::io::Error::last_os_error()));
    }
    Ok(Mapping { address, length })
}

/// Where target `pid` keeps its scratch file `name`.
pub fn scratch_path(pid: u32, name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("healthtop-demo-{pid}-{name}"))
}

/// A new scratch file in the shared temporary directory: a name left there by an earlier
/// process with this PID is removed (unlinking never follows a link), then the file is
/// created exclusively, so a link someone planted is never written through.
fn scratch_file(name: &str) -> Result<(std::path::PathBuf, File), String> {
    let path = scratch_path(std::process::id(), name);
    let _ = std::fs::remove_file(&path);
    let file = safe_file::create_new(&path, safe_file::PRIVATE).map_err(|e| e.to_string())?;
    file.set_len((4 * PAGE) as u64).map_err(|e| e.to_string())?;
    Ok((path, file))
}

/// Removes scratch files of earlier demo targets that are gone: when healthtop is SIGKILLed,
/// its target dies too (PR_SET_PDEATHSIG) but nobody is left to remove the file.
fn remove_stale_scratch_files() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("healthtop-demo-"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        // Gone, or a zombie nobody reaps: its file is litter. (A reused PID keeps it a while.)
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let alive = stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.starts_with(" Z"));
        if !alive {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Four pages mapped, then the file cut to one: touching pages 2-4 would raise SIGBUS.
fn truncated_shared_mapping() -> Result<Mapping, String> {
    remove_stale_scratch_files();
    let (path, file) = scratch_file("truncated")?;
    let mapping = map_shared(&file, 4 * PAGE)?;
    file.set_len(PAGE as u64).map_err(|e| e.to_string())?;
    // The file stays on disk so the past-EOF check can stat it; the parent removes it
    // (`scratch_path`) when it kills the target.
    drop(path);
    Ok(mapping)
}

/// A mapping whose file was deleted afterwards (shows as "(deleted)" in maps).
fn deleted_file_mapping() -> Result<Mapping, String> {
    let (path, file) = scratch_file("deleted")?;
    let mapping = map_shared(&file, PAGE)?;
    std::fs::remove_file(&path).map_err(|e| e.to_string())?;
    Ok(mapping)
}

/// A connection whose peer closed: our end sits in CLOSE_WAIT because we never close it.
fn close_wait_socket() -> Result<(TcpListener, Vec<TcpStream>), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let client = TcpStream::connect(address).map_err(|e| e.to_string())?;
    let (server_side, _) = listener.accept().map_err(|e| e.to_string())?;
    drop(client);
    Ok((listener, vec![server_side]))
}

/// An allow-everything seccomp filter: shows up as mode "filter" with one filter, harms nothing.
fn install_seccomp_filter() -> Result<(), String> {
    let mut filter = [libc::sock_filter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k: libc::SECCOMP_RET_ALLOW,
    }];
    let program = libc::sock_fprog {
        len: 1,
        filter: filter.as_mut_ptr(),
    };
    // SAFETY: plain prctl calls; `program` outlives the call, which copies the filter.
    let result = unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            -1
        } else {
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &program as *const libc::sock_fprog,
            )
        }
    };
    if result != 0 {
        return Err(format!("seccomp: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

fn leak_forever(mut state: State) -> ! {
    let fd_cap = (FD_LIMIT as usize * 9) / 10;
    let mut tick: u64 = 0;
    loop {
        tick += 1;
        if state.fds.len() < fd_cap {
            if let Ok(file) = File::open("/dev/null") {
                state.fds.push(file.into());
            }
        }
        if tick % 2 == 0 && state.threads < THREAD_CAP {
            let name = format!("demo-leak-{}", state.threads);
            let spawned = std::thread::Builder::new()
                .name(name)
                .stack_size(64 * 1024)
                .spawn(|| loop {
                    std::thread::park();
                });
            if spawned.is_ok() {
                state.threads += 1;
            }
        }
        if state.memory.len() * (2 << 20) < state.memory_cap {
            // Touch every page so the growth shows in RSS, not only in the address space.
            state.memory.push(vec![0xA5; 2 << 20]);
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}
