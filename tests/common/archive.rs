//! Reading a bundle back in tests: every member of a gzip-compressed tar, in archive order.
//! (Trusted input: bundles healthtop wrote; the hostile ones go through `healthtop` itself.)

use std::io::Read;

/// Every member of the gzip-compressed tar `bytes`: (path, contents), in archive order.
pub fn archive_members(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    archive
        .entries()
        .expect("tar")
        .map(|e| {
            let mut e = e.expect("entry");
            let name = e.path().expect("path").to_string_lossy().into_owned();
            let mut data = Vec::new();
            e.read_to_end(&mut data).expect("read");
            (name, data)
        })
        .collect()
}
