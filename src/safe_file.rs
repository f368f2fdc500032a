//! The one place healthtop creates files: bundles, `record`'s SVG and folded stacks, the
//! TUI's exports, the demo target's scratch files and the JVM attach trigger.
//!
//! healthtop often runs as root in directories that other users can write, so a destination
//! name is hostile until proven otherwise:
//! - the last path component is never followed: a symbolic link, a FIFO, a device or a
//!   directory there is refused ([`SafeFileError::is_refusal`]), even when replacing is allowed;
//! - an existing regular file is replaced only when the caller says so (`--force`), and then
//!   by a new inode linked under its name: a hard link someone planted to another file is never
//!   written into;
//! - contents are written into an unnamed `O_TMPFILE` in the destination's directory and
//!   linked into place (`linkat`) once complete, so no reader sees half a file and no
//!   temporary name exists that a SIGKILL could leave behind; filesystems without `O_TMPFILE`
//!   are refused with a clear error rather than risking one;
//! - a file that must be created in another user's directory ([`MarkerFile`]) is created and
//!   removed on a short-lived thread whose filesystem identity is that user's, so it can land
//!   nowhere that user could not write themselves.
//!
//! May import: nothing from the crate (std, nix, libc).

use nix::errno::Errno;
use nix::fcntl::{openat, AtFlags, OFlag, AT_FDCWD};
use nix::sys::stat::{fstat, fstatat, Mode, SFlag};
use nix::unistd::{linkat, unlinkat, UnlinkatFlags};
use std::ffi::OsString;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use thiserror::Error;

/// Mode of files that may hold secrets (bundles, triggers): owner only.
pub const PRIVATE: u32 = 0o600;
/// Mode of exports meant to be shared (flame graphs): readable by all, less the umask.
pub const SHARED: u32 = 0o644;

#[derive(Debug, Error)]
pub enum SafeFileError {
    #[error("{path} is a symbolic link: healthtop never writes through or replaces one")]
    Symlink { path: PathBuf },
    #[error("{path} is {kind}, not a regular file: healthtop never writes to or replaces it")]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{path} already exists")]
    Exists { path: PathBuf },
    #[error(
        "cannot write {path}: its filesystem cannot create unnamed files (O_TMPFILE), which \
         healthtop needs so that no temporary file is ever left behind; write to a local \
         filesystem (ext4, xfs, btrfs, tmpfs)"
    )]
    NoTmpfile { path: PathBuf },
    #[error("cannot write {path} as uid {uid}, gid {gid}: {detail}")]
    Identity {
        path: PathBuf,
        uid: u32,
        gid: u32,
        detail: String,
    },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SafeFileError {
    /// Something is in the way that healthtop will not write over (exit code 7).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            SafeFileError::Symlink { .. }
                | SafeFileError::NotRegular { .. }
                | SafeFileError::Exists { .. }
        )
    }

    /// The underlying I/O error kind, for callers that classify (permission, missing dir).
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            SafeFileError::Io { source, .. } => Some(source.kind()),
            _ => None,
        }
    }

    fn io(path: &Path, source: impl Into<std::io::Error>) -> SafeFileError {
        SafeFileError::Io {
            path: path.to_path_buf(),
            source: source.into(),
        }
    }
}

/// What to do when the destination name is already taken by a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Refuse,
    /// `--force`: a regular file is replaced (never a link, a directory or a device).
    ReplaceRegular,
}

impl Existing {
    pub fn replace_if(force: bool) -> Existing {
        if force {
            Existing::ReplaceRegular
        } else {
            Existing::Refuse
        }
    }
}

/// A file being written: unnamed until [`NewFile::commit`] links it under its name. Dropped
/// without a commit (an error, a panic, SIGKILL), it vanishes with its descriptor.
#[derive(Debug)]
pub struct NewFile {
    file: File,
    dir: OwnedFd,
    name: OsString,
    path: PathBuf,
    existing: Existing,
}

impl NewFile {
    /// Checks the destination (refusing what [`SafeFileError::is_refusal`] lists) and opens an
    /// unnamed file with `mode` (less the umask) in its directory.
    pub fn create(path: &Path, existing: Existing, mode: u32) -> Result<NewFile, SafeFileError> {
        let (dir, name) = open_parent(path)?;
        check_existing(&dir, &name, path, existing)?;
        let fd = openat(
            &dir,
            ".",
            OFlag::O_TMPFILE | OFlag::O_WRONLY | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(mode),
        )
        .map_err(|errno| match errno {
            // EISDIR: a kernel without O_TMPFILE; EOPNOTSUPP: a filesystem without it.
            Errno::EOPNOTSUPP | Errno::EISDIR => SafeFileError::NoTmpfile {
                path: path.to_path_buf(),
            },
            other => SafeFileError::io(path, other),
        })?;
        Ok(NewFile {
            file: File::from(fd),
            dir,
            name,
            path: path.to_path_buf(),
            existing,
        })
    }

    /// Where the file will appear.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The unnamed file, to write into.
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// An I/O error while filling the file, named after its destination.
    pub fn error(&self, source: std::io::Error) -> SafeFileError {
        SafeFileError::io(&self.path, source)
    }

    /// Flushes the contents to disk and links them under the destination name. A regular file
    /// there is replaced only if allowed (its name is unlinked and the new inode linked, so a
    /// reader sees the old file, then no file, then the whole new one); anything else that
    /// appeared meanwhile is refused as in [`NewFile::create`].
    pub fn commit(self) -> Result<(), SafeFileError> {
        self.file.sync_all().map_err(|e| self.error(e))?;
        // linkat(fd, "", …, AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH on older kernels; the
        // /proc/self/fd link is the documented way to name an O_TMPFILE for everyone.
        let source = format!("/proc/self/fd/{}", self.file.as_raw_fd());
        for _ in 0..3 {
            match linkat(
                AT_FDCWD,
                source.as_str(),
                &self.dir,
                self.name.as_os_str(),
                AtFlags::AT_SYMLINK_FOLLOW,
            ) {
                Ok(()) => return Ok(()),
                Err(Errno::EEXIST) => {
                    check_existing(&self.dir, &self.name, &self.path, self.existing)?;
                    // A regular file we may replace. unlinkat never follows: if someone swapped
                    // in a link since the check, the link itself goes, and linkat runs again.
                    match unlinkat(&self.dir, self.name.as_os_str(), UnlinkatFlags::NoRemoveDir) {
                        Ok(()) | Err(Errno::ENOENT) => {}
                        Err(errno) => return Err(SafeFileError::io(&self.path, errno)),
                    }
                }
                Err(errno) => return Err(SafeFileError::io(&self.path, errno)),
            }
        }
        Err(SafeFileError::Exists { path: self.path })
    }
}

/// Writes `contents` into `file` and links it under its name.
pub fn write_into(mut file: NewFile, contents: &[u8]) -> Result<(), SafeFileError> {
    std::io::Write::write_all(file.file(), contents).map_err(|e| file.error(e))?;
    file.commit()
}

/// Creates `path` for reading and writing, which must not exist (`O_EXCL`, never through a
/// link): for files that must have a name while in use, like the demo target's mappings.
pub fn create_new(path: &Path, mode: u32) -> Result<File, SafeFileError> {
    let (dir, name) = open_parent(path)?;
    match openat(
        &dir,
        name.as_os_str(),
        OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_RDWR | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(mode),
    ) {
        Ok(fd) => Ok(File::from(fd)),
        Err(Errno::EEXIST) => {
            check_existing(&dir, &name, path, Existing::Refuse)?;
            Err(SafeFileError::Exists {
                path: path.to_path_buf(),
            })
        }
        Err(errno) => Err(SafeFileError::io(path, errno)),
    }
}

/// A user's identity on the filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

/// An empty file created as another user in a directory that user controls (a signal to
/// their process, like HotSpot's `.attach_pid<pid>` trigger), removed when dropped.
///
/// Creation and removal run on a dedicated thread whose filesystem uid and gid are `owner`'s
/// and whose supplementary groups are dropped (raw `setfsuid`/`setfsgid`/`setgroups`, which
/// the kernel applies per thread), with `O_CREAT | O_EXCL | O_NOFOLLOW` relative to a
/// descriptor of the directory: a link planted under the name is refused, never followed,
/// and the file lands only where `owner` could write.
#[derive(Debug)]
pub struct MarkerFile {
    dir: OwnedFd,
    name: OsString,
    path: PathBuf,
    owner: Owner,
    inode: (u64, u64),
}

impl MarkerFile {
    pub fn create_as(dir: &Path, name: &str, owner: Owner) -> Result<MarkerFile, SafeFileError> {
        let path = dir.join(name);
        let dir = open_dir(dir).map_err(|errno| SafeFileError::io(&path, errno))?;
        let created = as_owner(owner, &path, || {
            openat(
                &dir,
                name,
                OFlag::O_CREAT
                    | OFlag::O_EXCL
                    | OFlag::O_NOFOLLOW
                    | OFlag::O_WRONLY
                    | OFlag::O_CLOEXEC,
                Mode::from_bits_truncate(PRIVATE),
            )
            .and_then(fstat)
        })?;
        let name = OsString::from(name);
        match created {
            Ok(stat) => Ok(MarkerFile {
                dir,
                name,
                path,
                owner,
                inode: (stat.st_dev, stat.st_ino),
            }),
            Err(Errno::EEXIST) => {
                check_existing(&dir, &name, &path, Existing::Refuse)?;
                Err(SafeFileError::Exists { path })
            }
            Err(errno) => Err(SafeFileError::io(&path, errno)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for MarkerFile {
    /// Removes the name if it still is the file created (best effort: as the owner, so
    /// nothing the owner could not remove is touched).
    fn drop(&mut self) {
        let _ = as_owner(self.owner, &self.path, || {
            let same = fstatat(
                &self.dir,
                self.name.as_os_str(),
                AtFlags::AT_SYMLINK_NOFOLLOW,
            )
            .is_ok_and(|stat| (stat.st_dev, stat.st_ino) == self.inode);
            if same {
                let _ = unlinkat(&self.dir, self.name.as_os_str(), UnlinkatFlags::NoRemoveDir);
            }
        });
    }
}

/// Runs `work` on a new thread whose filesystem identity is `owner`'s; the thread and its
/// credentials end with it.
fn as_owner<T: Send>(
    owner: Owner,
    path: &Path,
    work: impl FnOnce() -> T + Send,
) -> Result<T, SafeFileError> {
    let identity_error = |detail: String| SafeFileError::Identity {
        path: path.to_path_buf(),
        uid: owner.uid,
        gid: owner.gid,
        detail,
    };
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("healthtop-as-owner".into())
            .spawn_scoped(scope, || {
                become_owner(owner)?;
                Ok(work())
            })
            .map_err(|e| identity_error(format!("cannot start a thread: {e}")))?;
        worker
            .join()
            .map_err(|_| identity_error("the thread panicked".into()))?
            .map_err(identity_error)
    })
}

/// Sets this thread's supplementary groups (when root), fsgid and fsuid to `owner`, and checks
/// that the kernel took them.
#[allow(unsafe_code)]
fn become_owner(owner: Owner) -> Result<(), String> {
    // The raw syscalls change this thread only; glibc's setgroups would change every thread.
    if nix::unistd::geteuid().is_root() {
        // SAFETY: setgroups(0, NULL) reads no memory and changes only this thread's credentials.
        let result =
            unsafe { libc::syscall(libc::SYS_setgroups, 0, std::ptr::null::<libc::gid_t>()) };
        if result != 0 {
            return Err(format!("setgroups: {}", std::io::Error::last_os_error()));
        }
    }
    // The gid first, while the fsuid still carries root's right to choose any.
    // SAFETY: setfsgid/setfsuid take an integer and change only this thread's credentials;
    // given -1 (invalid) they change nothing and return the current value.
    let (fsuid, fsgid) = unsafe {
        libc::syscall(libc::SYS_setfsgid, libc::c_long::from(owner.gid));
        libc::syscall(libc::SYS_setfsuid, libc::c_long::from(owner.uid));
        (
            libc::syscall(libc::SYS_setfsuid, libc::c_long::from(u32::MAX)),
            libc::syscall(libc::SYS_setfsgid, libc::c_long::from(u32::MAX)),
        )
    };
    if fsuid != libc::c_long::from(owner.uid) || fsgid != libc::c_long::from(owner.gid) {
        return Err(format!(
            "the kernel kept fsuid {fsuid}, fsgid {fsgid} (run healthtop as that user or root)"
        ));
    }
    Ok(())
}

/// A descriptor of `path`'s directory and its last component, which must be a file name.
fn open_parent(path: &Path) -> Result<(OwnedFd, OsString), SafeFileError> {
    let Some(Component::Normal(name)) = path.components().next_back() else {
        return Err(SafeFileError::NotRegular {
            path: path.to_path_buf(),
            kind: "a directory",
        });
    };
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = open_dir(parent).map_err(|errno| SafeFileError::io(path, errno))?;
    Ok((dir, name.to_os_string()))
}

fn open_dir(path: &Path) -> nix::Result<OwnedFd> {
    nix::fcntl::open(
        path,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
}

/// Refuses what is at `dir/name` unless it is absent, or a regular file that may be replaced.
fn check_existing(
    dir: &OwnedFd,
    name: &OsString,
    path: &Path,
    existing: Existing,
) -> Result<(), SafeFileError> {
    let stat = match fstatat(dir, name.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(stat) => stat,
        Err(Errno::ENOENT) => return Ok(()),
        Err(errno) => return Err(SafeFileError::io(path, errno)),
    };
    let path = path.to_path_buf();
    let kind = SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT;
    let not_regular = |kind| {
        Err(SafeFileError::NotRegular {
            path: path.clone(),
            kind,
        })
    };
    match kind {
        SFlag::S_IFLNK => Err(SafeFileError::Symlink { path }),
        SFlag::S_IFREG if existing == Existing::ReplaceRegular => Ok(()),
        SFlag::S_IFREG => Err(SafeFileError::Exists { path }),
        SFlag::S_IFDIR => not_regular("a directory"),
        SFlag::S_IFIFO => not_regular("a FIFO"),
        SFlag::S_IFSOCK => not_regular("a socket"),
        SFlag::S_IFCHR => not_regular("a character device"),
        SFlag::S_IFBLK => not_regular("a block device"),
        _ => not_regular("of an unknown type"),
    }
}

/// Opens a file someone else may have put there, to read it: read-only, without waiting (a
/// FIFO does not block the open) and without making a terminal ours. The caller checks what
/// it opened (`metadata`) before it reads.
pub fn open_for_reading(path: &Path) -> std::io::Result<File> {
    open_read_only(path, 0)
}

/// [`open_for_reading`] a file a target controls (its perf map): a link at the last
/// component is refused (ELOOP), never followed.
pub fn open_target_file(path: &Path) -> std::io::Result<File> {
    open_read_only(path, libc::O_NOFOLLOW)
}

fn open_read_only(path: &Path, flags: libc::c_int) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | flags)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn write(
        path: &Path,
        existing: Existing,
        mode: u32,
        contents: &[u8],
    ) -> Result<(), SafeFileError> {
        write_into(NewFile::create(path, existing, mode)?, contents)
    }

    fn scratch() -> tempfile::TempDir {
        tempfile::tempdir().expect("tempdir")
    }

    /// Every name in `dir`, to show that nothing else appeared.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read_dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_a_new_file_with_its_mode_and_nothing_else() {
        let dir = scratch();
        let path = dir.path().join("out.svg");
        write(&path, Existing::Refuse, PRIVATE, b"hello").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"hello");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(names(dir.path()), ["out.svg"]);
    }

    #[test]
    fn the_file_is_unnamed_until_committed_and_gone_if_dropped() {
        let dir = scratch();
        let path = dir.path().join("bundle.tar.gz");
        let mut file = NewFile::create(&path, Existing::Refuse, PRIVATE).expect("create");
        std::io::Write::write_all(file.file(), b"partial").expect("write");
        assert!(names(dir.path()).is_empty(), "a name exists before commit");
        drop(file);
        assert!(names(dir.path()).is_empty(), "a file outlived its writer");
    }

    #[test]
    fn symlinks_are_refused_and_their_targets_untouched_even_with_force() {
        let dir = scratch();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").expect("victim");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&victim, &link).expect("symlink");
        let dangling = dir.path().join("dangling");
        let absent = dir.path().join("absent");
        std::os::unix::fs::symlink(&absent, &dangling).expect("symlink");
        for existing in [Existing::Refuse, Existing::ReplaceRegular] {
            for path in [&link, &dangling] {
                let error = write(path, existing, PRIVATE, b"evil").expect_err("refused");
                assert!(matches!(error, SafeFileError::Symlink { .. }), "{error}");
                assert!(error.is_refusal());
            }
        }
        assert_eq!(std::fs::read(&victim).expect("victim"), b"precious");
        assert!(!absent.exists(), "a dangling link's target was created");
        assert_eq!(names(dir.path()), ["dangling", "link", "victim"]);
    }

    #[test]
    fn fifos_and_directories_are_refused_even_with_force() {
        let dir = scratch();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, Mode::from_bits_truncate(0o600)).expect("mkfifo");
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).expect("mkdir");
        for existing in [Existing::Refuse, Existing::ReplaceRegular] {
            let error = write(&fifo, existing, PRIVATE, b"x").expect_err("fifo");
            assert!(
                matches!(error, SafeFileError::NotRegular { kind: "a FIFO", .. }),
                "{error}"
            );
            let error = write(&sub, existing, PRIVATE, b"x").expect_err("dir");
            assert!(
                matches!(
                    error,
                    SafeFileError::NotRegular {
                        kind: "a directory",
                        ..
                    }
                ),
                "{error}"
            );
            let error = write(&dir.path().join(".."), existing, PRIVATE, b"x").expect_err("..");
            assert!(error.is_refusal(), "{error}");
        }
        let fifo_type = std::fs::symlink_metadata(&fifo).expect("fifo").file_type();
        assert!(std::os::unix::fs::FileTypeExt::is_fifo(&fifo_type));
        assert!(names(&sub).is_empty());
    }

    #[test]
    fn an_existing_file_is_replaced_only_with_force_and_never_written_into() {
        let dir = scratch();
        let path = dir.path().join("out");
        std::fs::write(&path, b"old").expect("old");
        // A hard link planted at the destination must not carry our bytes to its other name.
        let other_name = dir.path().join("other-name");
        std::fs::hard_link(&path, &other_name).expect("hard link");
        let error = write(&path, Existing::Refuse, PRIVATE, b"new").expect_err("exists");
        assert!(matches!(error, SafeFileError::Exists { .. }), "{error}");
        assert_eq!(std::fs::read(&path).expect("read"), b"old");
        write(&path, Existing::ReplaceRegular, PRIVATE, b"new").expect("forced");
        assert_eq!(std::fs::read(&path).expect("read"), b"new");
        assert_eq!(std::fs::read(&other_name).expect("read"), b"old");
        assert_eq!(names(dir.path()), ["other-name", "out"]);
    }

    #[test]
    fn a_name_taken_while_writing_is_refused_at_commit() {
        let dir = scratch();
        let path = dir.path().join("out");
        let file = NewFile::create(&path, Existing::ReplaceRegular, PRIVATE).expect("create");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").expect("victim");
        std::os::unix::fs::symlink(&victim, &path).expect("symlink");
        let error = file.commit().expect_err("refused");
        assert!(matches!(error, SafeFileError::Symlink { .. }), "{error}");
        assert_eq!(std::fs::read(&victim).expect("victim"), b"precious");
    }

    #[test]
    fn create_new_refuses_links_and_existing_files() {
        let dir = scratch();
        let path = dir.path().join("scratch");
        let file = create_new(&path, PRIVATE).expect("create");
        assert!(file.metadata().expect("meta").is_file());
        let error = create_new(&path, PRIVATE).expect_err("exists");
        assert!(matches!(error, SafeFileError::Exists { .. }), "{error}");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).expect("symlink");
        let error = create_new(&link, PRIVATE).expect_err("link");
        assert!(matches!(error, SafeFileError::Symlink { .. }), "{error}");
        assert!(!dir.path().join("nowhere").exists());
    }

    #[test]
    fn a_marker_is_created_as_its_owner_and_removed_when_dropped() {
        let dir = scratch();
        let me = Owner {
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
        };
        let marker = MarkerFile::create_as(dir.path(), ".attach_pid1", me).expect("marker");
        let meta = std::fs::symlink_metadata(marker.path()).expect("exists");
        assert!(meta.is_file());
        assert_eq!((meta.uid(), meta.gid()), (me.uid, me.gid));
        drop(marker);
        assert!(names(dir.path()).is_empty());

        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").expect("victim");
        std::os::unix::fs::symlink(&victim, dir.path().join(".attach_pid2")).expect("symlink");
        let error = MarkerFile::create_as(dir.path(), ".attach_pid2", me).expect_err("link");
        assert!(matches!(error, SafeFileError::Symlink { .. }), "{error}");
        assert_eq!(std::fs::read(&victim).expect("victim"), b"precious");
    }

    #[test]
    fn a_marker_is_created_only_where_its_owner_may_write() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("SKIP: needs root to act as another user");
            return;
        }
        let dir = scratch();
        let nobody = Owner {
            uid: 65534,
            gid: 65534,
        };
        // A 0755 root directory: root could write here, nobody cannot.
        let error = MarkerFile::create_as(dir.path(), ".attach_pid3", nobody).expect_err("denied");
        assert_eq!(
            error.io_kind(),
            Some(std::io::ErrorKind::PermissionDenied),
            "{error}"
        );
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777))
            .expect("chmod");
        let marker = MarkerFile::create_as(dir.path(), ".attach_pid3", nobody).expect("marker");
        let meta = std::fs::symlink_metadata(marker.path()).expect("exists");
        assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
        // This thread kept root's filesystem identity (the fourth `Uid:` field).
        let status = std::fs::read_to_string("/proc/thread-self/status").expect("status");
        let fsuid = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(3))
            .expect("fsuid");
        assert_eq!(fsuid, "0");
        drop(marker);
        assert!(names(dir.path()).is_empty());
    }
}
