//! The samples the user has seen in the live view, kept so the bundle key can hand the same
//! history to a bundle. Bounded, maps left out (the newest sample keeps its own), and each
//! sample kept as gzip-compressed JSON: a 200-thread sample is ~50 KiB as JSON and ~80 KiB in
//! memory, ~4 KiB compressed, so five minutes of history costs about a megabyte, not 25. A
//! thread and fd census carried over unchanged from the previous sample (the collector reads
//! them every few ticks) is not encoded again: that sample is kept without it and gets it back
//! from its predecessor when read.

use crate::bundle::{GoroutineReading, Recorded, TargetExit};
use crate::sample::Sample;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::collections::VecDeque;
use std::io::Write;

/// Samples kept: 5 minutes at the default 1 s interval.
pub const SEEN_CAPACITY: usize = 300;

/// One kept sample.
#[derive(Debug, Clone)]
struct Packed {
    bytes: Vec<u8>,
    /// Thread items left out: the previous sample's census.
    threads_carried: bool,
    /// Fd items and TCP sockets left out: the previous sample's census.
    fds_carried: bool,
    threads_census_ms: Option<u64>,
    fds_census_ms: Option<u64>,
}

/// Bounded ring of compressed samples, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    packed: VecDeque<Packed>,
    /// Samples that could not be encoded (none expected: every field serialises).
    unkept: usize,
}

fn pack(sample: &Sample) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    serde_json::to_writer(&mut encoder, sample)?;
    encoder.flush()?;
    encoder.finish()
}

fn unpack(bytes: &[u8]) -> Result<Sample, String> {
    serde_json::from_reader(GzDecoder::new(bytes))
        .map_err(|e| format!("a kept sample cannot be read back: {e}"))
}

impl Seen {
    pub fn push(&mut self, sample: &Sample) {
        let threads_census_ms = sample.threads.census_taken_at_ms;
        let fds_census_ms = sample.fds.census_taken_at_ms;
        let previous = self.packed.back();
        let threads_carried = threads_census_ms.is_some()
            && previous.is_some_and(|p| p.threads_census_ms == threads_census_ms);
        let fds_carried =
            fds_census_ms.is_some() && previous.is_some_and(|p| p.fds_census_ms == fds_census_ms);
        let mut slim = sample.clone();
        slim.memory.maps.clear();
        if threads_carried {
            slim.threads.items = Vec::new();
        }
        if fds_carried {
            slim.fds.items = Vec::new();
            slim.fds.tcp = None;
        }
        let Ok(bytes) = pack(&slim) else {
            self.unkept += 1;
            return;
        };
        if self.packed.len() == SEEN_CAPACITY {
            self.packed.pop_front();
            // Samples that lean on the dropped one's census go with it.
            while self
                .packed
                .front()
                .is_some_and(|p| p.threads_carried || p.fds_carried)
            {
                self.packed.pop_front();
            }
        }
        self.packed.push_back(Packed {
            bytes,
            threads_carried,
            fds_carried,
            threads_census_ms,
            fds_census_ms,
        });
    }

    pub fn len(&self) -> usize {
        self.packed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packed.is_empty()
    }

    /// Samples that could not be kept.
    pub fn unkept(&self) -> usize {
        self.unkept
    }

    /// Compressed bytes held.
    pub fn bytes(&self) -> usize {
        self.packed.iter().map(|p| p.bytes.len()).sum()
    }

    /// Every sample kept, oldest first, each with its census (decompressing: run it off the UI
    /// thread).
    pub fn samples(&self) -> Result<Vec<Sample>, String> {
        let mut out: Vec<Sample> = Vec::with_capacity(self.packed.len());
        for packed in &self.packed {
            let mut sample = unpack(&packed.bytes)?;
            if let Some(previous) = out.last() {
                if packed.threads_carried {
                    sample.threads.items = previous.threads.items.clone();
                }
                if packed.fds_carried {
                    sample.fds.items = previous.fds.items.clone();
                    sample.fds.tcp = previous.fds.tcp.clone();
                }
            }
            out.push(sample);
        }
        Ok(out)
    }
}

/// What a bundle written now is made of: the samples seen and the newest one, with its maps,
/// the goroutine readings beside them and the target's end, if it ended.
/// Cheap to take on the UI thread; [`BundleSource::samples`] does the decompressing.
#[derive(Debug, Clone)]
pub struct BundleSource {
    pub seen: Seen,
    pub current: Option<Sample>,
    /// Oldest first.
    pub goroutines: Vec<GoroutineReading>,
    pub exit: Option<TargetExit>,
}

impl BundleSource {
    /// The samples, oldest first, the newest with its memory maps, each with the goroutine
    /// reading made after it and before the next one.
    pub fn samples(self) -> Result<Vec<Recorded>, String> {
        let mut samples = self.seen.samples()?;
        if let Some(current) = self.current {
            match samples.last_mut() {
                Some(last) if last.taken_at_ms == current.taken_at_ms => *last = current,
                _ => samples.push(current),
            }
        }
        let mut readings = self.goroutines.into_iter().peekable();
        let mut recorded = Vec::with_capacity(samples.len());
        for (index, sample) in samples.iter().enumerate() {
            let until = samples.get(index + 1).map_or(u64::MAX, |s| s.taken_at_ms);
            let mut reading = None;
            while let Some(next) = readings.next_if(|r| r.at_ms < until) {
                if next.at_ms >= sample.taken_at_ms {
                    reading = Some(next);
                }
            }
            recorded.push(reading);
        }
        Ok(samples
            .into_iter()
            .zip(recorded)
            .map(|(sample, goroutines)| Recorded { sample, goroutines })
            .collect())
    }
}
