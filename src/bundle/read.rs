//! Reading a bundle back: every failure is a clear [`BundleError`], never a panic — the file
//! may be truncated, corrupt, foreign, or hostile.

use super::{sha256_hex, BundleError, BundleReport, Manifest, READABLE};
use flate2::read::GzDecoder;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Refuse to inflate more than this: a bundle is megabytes, a gzip bomb is not a bundle.
const MAX_TOTAL_BYTES: u64 = 2 << 30;

/// An opened bundle.
#[derive(Debug)]
pub struct OpenedBundle {
    pub path: PathBuf,
    pub manifest: Manifest,
    pub report: BundleReport,
    /// Every file but the manifest, by path.
    pub files: BTreeMap<String, Vec<u8>>,
}

pub fn open_bundle(path: &Path) -> Result<OpenedBundle, BundleError> {
    let corrupt = |detail: String| BundleError::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    let foreign = |detail: &str| BundleError::Foreign {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    };
    let mut file = std::fs::File::open(path).map_err(|source| BundleError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut magic = [0u8; 2];
    if file.read_exact(&mut magic).is_err() || magic != [0x1f, 0x8b] {
        return Err(foreign("not a gzip file"));
    }
    let file = std::fs::File::open(path).map_err(|source| BundleError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut archive = tar::Archive::new(GzDecoder::new(file).take(MAX_TOTAL_BYTES));
    let mut files = BTreeMap::new();
    let entries = archive.entries().map_err(|e| corrupt(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| corrupt(e.to_string()))?;
        let name = entry
            .path()
            .map_err(|e| corrupt(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .map_err(|e| corrupt(format!("{name}: {e}")))?;
        files.insert(name, data);
    }
    let manifest_bytes = files
        .remove("manifest.json")
        .ok_or_else(|| foreign("no manifest.json"))?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(|e| {
        let schema = serde_json::from_slice::<serde_json::Value>(&manifest_bytes)
            .ok()
            .and_then(|v| v.get("schema")?.as_str().map(str::to_string));
        match schema {
            Some(found) if !READABLE.contains(&found.as_str()) => BundleError::UnsupportedSchema {
                path: path.to_path_buf(),
                found,
            },
            _ => corrupt(format!("manifest.json: {e}")),
        }
    })?;
    if !READABLE.contains(&manifest.schema.as_str()) {
        return Err(BundleError::UnsupportedSchema {
            path: path.to_path_buf(),
            found: manifest.schema,
        });
    }
    for item in &manifest.contents {
        let data = files
            .get(&item.path)
            .ok_or_else(|| corrupt(format!("{} is listed but missing", item.path)))?;
        if sha256_hex(data) != item.sha256 {
            return Err(corrupt(format!("checksum of {} does not match", item.path)));
        }
    }
    let report_bytes = files
        .get("report.json")
        .ok_or_else(|| corrupt("no report.json".to_string()))?;
    let report: BundleReport =
        serde_json::from_slice(report_bytes).map_err(|e| corrupt(format!("report.json: {e}")))?;
    Ok(OpenedBundle {
        path: path.to_path_buf(),
        manifest,
        report,
        files,
    })
}
