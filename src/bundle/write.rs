//! Writing a bundle: stream the archive into an unnamed 0600 file beside the destination and
//! link it into place when complete ([`crate::safe_file`]) — never a partial bundle, never a
//! temporary left behind, never through a symlink, never over an existing file without `force`.

use super::{sha256_hex, BundleError, ContentEntry, Manifest};
use crate::safe_file::NewFile;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::fs::File;

/// A file to put in the bundle.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub data: Vec<u8>,
}

/// Writes `entries` plus a `manifest.json` (whose `contents` this fills in) into
/// `destination`, and links it under its name.
pub fn write_bundle(
    mut destination: NewFile,
    mut manifest: Manifest,
    entries: &[Entry],
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
        path: destination.path().to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    let mtime = manifest.created_at_ms / 1000;
    let filled = (|| {
        let mut archive =
            tar::Builder::new(GzEncoder::new(destination.file(), Compression::default()));
        append(&mut archive, "manifest.json", &manifest_json, mtime)?;
        for entry in entries {
            append(&mut archive, &entry.path, &entry.data, mtime)?;
        }
        archive.into_inner()?.finish().map(drop)
    })();
    if let Err(source) = filled {
        return Err(BundleError::Write {
            path: destination.path().to_path_buf(),
            source,
        });
    }
    Ok(destination.commit()?)
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
