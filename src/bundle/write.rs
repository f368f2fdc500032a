//! Writing a bundle: build the archive in memory-light streaming fashion into a temporary file
//! next to the destination, then move it into place — never a partial bundle, never through a
//! symlink, never over an existing file without `force`.

use super::{sha256_hex, BundleError, ContentEntry, Manifest};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A file to put in the bundle.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub data: Vec<u8>,
}

/// Writes `entries` plus a `manifest.json` (whose `contents` this fills in) to `destination`.
pub fn write_bundle(
    destination: &Path,
    mut manifest: Manifest,
    entries: &[Entry],
    force: bool,
) -> Result<(), BundleError> {
    manifest.contents = entries
        .iter()
        .map(|e| ContentEntry {
            path: e.path.clone(),
            bytes: e.data.len() as u64,
            sha256: sha256_hex(&e.data),
        })
        .collect();
    let manifest_json = serde_json::to_vec_pretty(&manifest).map_err(|e| BundleError::Write {
        path: destination.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    let mtime = manifest.created_at_ms / 1000;
    write_atomically(destination, force, |file| {
        let mut archive = tar::Builder::new(GzEncoder::new(file, Compression::default()));
        append(&mut archive, "manifest.json", &manifest_json, mtime)?;
        for entry in entries {
            append(&mut archive, &entry.path, &entry.data, mtime)?;
        }
        archive.into_inner()?.finish()?.sync_all()
    })
}

fn append(
    archive: &mut tar::Builder<GzEncoder<&mut File>>,
    path: &str,
    data: &[u8],
    mtime: u64,
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(mtime);
    header.set_entry_type(tar::EntryType::Regular);
    archive.append_data(&mut header, path, data)
}

/// Writes through `fill` into a 0600 temporary file beside `destination`, then links it into
/// place (fails if something appeared there meanwhile) or, with `force`, renames over it — a
/// rename replaces a symlink itself and never writes through it.
pub fn write_atomically(
    destination: &Path,
    force: bool,
    fill: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<(), BundleError> {
    let error = |source| BundleError::Write {
        path: destination.to_path_buf(),
        source,
    };
    match fs::symlink_metadata(destination) {
        Ok(meta) if meta.is_dir() => {
            return Err(BundleError::IsDirectory {
                path: destination.to_path_buf(),
            })
        }
        Ok(_) if !force => {
            return Err(BundleError::Exists {
                path: destination.to_path_buf(),
            })
        }
        _ => {}
    }
    let temp = temp_path(destination);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&temp)
        .map_err(error)?;
    let result = file
        .set_permissions(fs::Permissions::from_mode(0o600))
        .and_then(|()| fill(&mut file))
        .and_then(|()| {
            if force {
                fs::rename(&temp, destination)
            } else {
                fs::hard_link(&temp, destination)
            }
        });
    let _ = fs::remove_file(&temp);
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(BundleError::Exists {
            path: destination.to_path_buf(),
        }),
        Err(e) => Err(error(e)),
    }
}

fn temp_path(destination: &Path) -> PathBuf {
    let name = destination
        .file_name()
        .map_or_else(|| "bundle".into(), |n| n.to_string_lossy().into_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    destination.with_file_name(format!(".{name}.tmp-{}-{nanos}", std::process::id()))
}
