//! [`HostRoot`]: where `/proc`, `/sys` and `/etc` are. Live it is `/`; in tests it is a fixture
//! tree captured from a real host, so every collector runs on both.

use super::CollectError;
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The root of the filesystem the collector reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRoot {
    root: PathBuf,
}

impl HostRoot {
    /// The running host.
    pub fn live() -> Self {
        HostRoot {
            root: PathBuf::from("/"),
        }
    }

    /// A captured tree with `proc/`, `sys/` and `etc/` below `root`.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        HostRoot { root: root.into() }
    }

    /// `relative` below the root (`proc/42/status`).
    pub fn path(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.root.join(relative)
    }

    pub fn proc_path(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.root.join("proc").join(relative)
    }

    /// Reads a text file, mapping the error with its path.
    pub fn read(&self, path: &Path) -> Result<String, CollectError> {
        read_text(path)
    }

    /// Reads `proc/<relative>`.
    pub fn read_proc(&self, relative: impl AsRef<Path>) -> Result<String, CollectError> {
        read_text(&self.proc_path(relative))
    }

    /// Reads `proc/<relative>`, a file the kernel prints as one record (`stat`, `status`,
    /// `wchan`, `syscall`, `limits`: `single_open` files), in one `read` call when the
    /// buffer from the previous reads is big enough: such a read comes back short only at
    /// the end of the file. Multi-record files (`maps`, `net/tcp`, `children`) may come back
    /// short mid-file: read those with [`HostRoot::read_proc`].
    pub fn read_proc_record(&self, relative: impl AsRef<Path>) -> Result<String, CollectError> {
        read_record(&self.proc_path(relative))
    }

    /// Opens `proc/<relative>`, a directory, to read the files below it with [`OpenDir`].
    pub(crate) fn open_proc_dir(
        &self,
        relative: impl AsRef<Path>,
    ) -> Result<OpenDir, CollectError> {
        OpenDir::open(self.proc_path(relative))
    }

    /// Reads a `/proc/sys` value as a number.
    pub fn sysctl_number(&self, name: &str) -> Result<u64, CollectError> {
        let path = self.proc_path(Path::new("sys").join(name));
        let text = read_text(&path)?;
        text.split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| CollectError::Parse {
                path,
                detail: format!("not a number: {text:?}"),
            })
    }
}

/// Reads a whole file as text. The kernel's own text is ASCII, but names the target sets (comm,
/// argv, paths) may be any bytes: they are kept losslessly (see `safe_text::from_bytes`).
pub(crate) fn read_text(path: &Path) -> Result<String, CollectError> {
    read_with(path, Ending::EmptyRead)
}

/// How a read loop knows the file has ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// A read that returns nothing (any file).
    EmptyRead,
    /// A read that does not fill the buffer (single-record procfs files).
    ShortRead,
}

thread_local! {
    /// One buffer per collecting thread, reused by every read: its length only grows (to the
    /// largest file read), so reads neither allocate nor zero memory once it fits.
    static READ_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The buffer kept between reads: a big `maps` file is read, then its memory given back.
const KEPT_BUFFER: usize = 64 << 10;

/// Smallest free space offered to one `read`.
const READ_CHUNK: usize = 4096;

/// Reads a single-record procfs file (`stat`, `status`, `wchan`, `syscall`): the kernel
/// fills it in one read, so a short read ends it without a second, empty one.
pub(crate) fn read_record(path: &Path) -> Result<String, CollectError> {
    read_with(path, Ending::ShortRead)
}

fn read_with(path: &Path, ending: Ending) -> Result<String, CollectError> {
    READ_BUFFER.with_borrow_mut(|buffer| {
        let text = text_of(read_into(path, buffer, ending), buffer);
        text.map_err(|e| CollectError::io(path, e))
    })
}

/// The text of the `filled` bytes read into `buffer`; then gives back what a big file grew
/// the buffer to beyond [`KEPT_BUFFER`].
fn text_of(filled: io::Result<usize>, buffer: &mut Vec<u8>) -> io::Result<String> {
    let text = filled.map(|filled| crate::safe_text::from_bytes(&buffer[..filled]));
    if buffer.len() > KEPT_BUFFER {
        buffer.truncate(KEPT_BUFFER);
        buffer.shrink_to_fit();
    }
    text
}

/// Reads the whole file into `buffer` (no size probe: procfs reports size 0), returning the
/// bytes read.
fn read_into(path: &Path, buffer: &mut Vec<u8>, ending: Ending) -> io::Result<usize> {
    read_file(&mut File::open(path)?, buffer, ending)
}

fn read_file(file: &mut File, buffer: &mut Vec<u8>, ending: Ending) -> io::Result<usize> {
    let mut filled = 0;
    loop {
        if buffer.len() - filled < READ_CHUNK {
            let grown = (buffer.len() * 2).max(filled + READ_CHUNK);
            buffer.resize(grown, 0);
        }
        let space = buffer.len() - filled;
        let count = match file.read(&mut buffer[filled..]) {
            Ok(count) => count,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        filled += count;
        if count == 0 || (ending == Ending::ShortRead && count < space) {
            return Ok(filled);
        }
    }
}

/// A directory held open (`O_PATH`): the files below it are opened relative to it
/// (`openat`), so the kernel walks only the rest of the path, not `/proc/PID/task` again for
/// each of the 40,000 files of a 10,000-thread census.
#[derive(Debug)]
pub(crate) struct OpenDir {
    fd: OwnedFd,
    path: PathBuf,
}

impl OpenDir {
    fn open(path: PathBuf) -> Result<OpenDir, CollectError> {
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        match rustix::fs::open(&path, flags, Mode::empty()) {
            Ok(fd) => Ok(OpenDir { fd, path }),
            Err(errno) => Err(CollectError::io(&path, errno.into())),
        }
    }

    /// The directory's path (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads `<relative>`, a single-record procfs file, like [`read_record`].
    pub fn read_record(&self, relative: &str) -> Result<String, CollectError> {
        self.read_with(relative, Ending::ShortRead)
    }

    /// Reads `<relative>` whole, like [`read_text`].
    pub fn read_text(&self, relative: &str) -> Result<String, CollectError> {
        self.read_with(relative, Ending::EmptyRead)
    }

    fn read_with(&self, relative: &str, ending: Ending) -> Result<String, CollectError> {
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        let text = rustix::fs::openat(&self.fd, relative, flags, Mode::empty())
            .map_err(io::Error::from)
            .and_then(|fd| {
                let mut file = File::from(fd);
                READ_BUFFER
                    .with_borrow_mut(|buffer| text_of(read_file(&mut file, buffer, ending), buffer))
            });
        text.map_err(|e| CollectError::io(&self.path.join(relative), e))
    }

    /// Where the link `<name>` points (`fd/3`), as raw bytes.
    pub fn read_link(&self, name: &str, reuse: Vec<u8>) -> io::Result<std::ffi::CString> {
        Ok(rustix::fs::readlinkat(&self.fd, name, reuse)?)
    }

    /// Whether `<name>`, followed, is a directory.
    pub fn is_dir(&self, name: &str) -> bool {
        rustix::fs::statat(&self.fd, name, AtFlags::empty())
            .is_ok_and(|stat| FileType::from_raw_mode(stat.st_mode) == FileType::Directory)
    }
}

/// A file read again only when its device, inode, size or modification time changes
/// (`/etc/passwd`: looked up every sample, rewritten rarely, by rename or in place).
#[derive(Debug, Default)]
pub(crate) struct StampedFile {
    stamp: Option<(u64, u64, u64, i64, i64)>,
    text: String,
}

impl StampedFile {
    pub fn read(&mut self, path: &Path) -> Result<&str, CollectError> {
        let meta = std::fs::metadata(path).map_err(|e| CollectError::io(path, e))?;
        let stamp = (
            meta.dev(),
            meta.ino(),
            meta.size(),
            meta.mtime(),
            meta.mtime_nsec(),
        );
        if self.stamp != Some(stamp) {
            self.stamp = None;
            self.text = read_text(path)?;
            self.stamp = Some(stamp);
        }
        Ok(&self.text)
    }
}

/// `/proc/self/mountinfo`, read again only when the kernel flags a change of the mount table
/// (`POLLPRI` on the open file, proc(5)); a fixture tree's plain file is read once.
#[derive(Debug, Default)]
pub(crate) struct MountTable {
    file: Option<File>,
    text: String,
}

impl MountTable {
    /// The mount table; empty if it cannot be read.
    pub fn text(&mut self, root: &HostRoot) -> &str {
        if self
            .file
            .as_ref()
            .is_some_and(|file| !mount_table_changed(file))
        {
            return &self.text;
        }
        self.file = None;
        self.text.clear();
        let path = root.proc_path("self/mountinfo");
        let Ok(mut file) = File::open(&path) else {
            return &self.text;
        };
        let read = READ_BUFFER.with_borrow_mut(|buffer| {
            text_of(read_file(&mut file, buffer, Ending::EmptyRead), buffer)
        });
        if let Ok(text) = read {
            self.text = text;
            self.file = Some(file);
        }
        &self.text
    }
}

/// Whether the kernel flagged a mount or unmount since `file` was opened (a failed poll
/// counts as a change: read again rather than trust an old table).
fn mount_table_changed(file: &File) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let mut fds = [PollFd::new(file.as_fd(), PollFlags::POLLPRI)];
    match poll(&mut fds, PollTimeout::ZERO) {
        Ok(_) => fds[0]
            .revents()
            .is_some_and(|r| r.intersects(PollFlags::POLLPRI | PollFlags::POLLERR)),
        Err(_) => true,
    }
}

/// Whether an I/O error means "this process or thread is gone".
pub(crate) fn is_gone(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::NotFound) || error.raw_os_error() == Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_mount_table_is_read_once_while_no_mount_changes() {
        let mut table = MountTable::default();
        let first = table.text(&HostRoot::live()).to_string();
        assert!(first.contains(" - "), "{first}");
        let file = table.file.as_ref().expect("kept open");
        assert!(!mount_table_changed(file));
        assert_eq!(table.text(&HostRoot::live()), first);
    }

    #[test]
    fn reads_match_the_kernel_for_one_record_and_many_record_files() {
        let root = HostRoot::live();
        let status = root.read_proc_record("self/status").expect("status");
        let truth = std::fs::read_to_string("/proc/self/status").expect("status");
        assert_eq!(status.lines().count(), truth.lines().count());
        assert!(status.starts_with("Name:") && status.ends_with('\n'));
        // maps comes back a page per read: every line arrives anyway.
        let maps = root.read_proc("self/maps").expect("maps");
        let truth = std::fs::read_to_string("/proc/self/maps").expect("maps");
        assert_eq!(maps.lines().count(), truth.lines().count());
    }

    #[test]
    fn a_rewritten_file_is_read_again() {
        let dir = std::env::temp_dir().join(format!("healthtop-stamped-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("passwd");
        std::fs::write(&path, "a:x:1:1::/:/bin/sh\n").expect("write");
        let mut cached = StampedFile::default();
        assert_eq!(cached.read(&path).expect("read"), "a:x:1:1::/:/bin/sh\n");
        std::fs::write(&path, "bb:x:2:2::/:/bin/sh\n").expect("write");
        assert_eq!(cached.read(&path).expect("read"), "bb:x:2:2::/:/bin/sh\n");
        std::fs::remove_dir_all(&dir).expect("clean");
    }
}
