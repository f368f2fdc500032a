//! A bundle from anywhere (`report --from`, `view`): gzip, tar, manifest, report. What the
//! reader accepts is rendered as the text report, as the binary would print it.
#![no_main]

use healthtop::bundle::read::read_bundle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = read_bundle(data, std::path::Path::new("fuzz.tar.gz")) {
        let report = &bundle.report.report;
        let _ = healthtop::report::text::render(&report.sample, false);
        let _ = healthtop::report::findings::render(&report.findings, false);
    }
});
