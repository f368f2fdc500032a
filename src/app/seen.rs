//! The samples the user has seen in the live view, kept so the bundle key can hand the same
//! history to a bundle.
//!
//! Keeping a sample costs a pointer copy, not an encoding: a sample's census parts are shared
//! (`Arc`) with the collector and with every sample that carries the same census, and a new
//! census shares each thread and fd that did not change with the census before it (so ten
//! thousand idle threads are held once, plus a pointer each per census). Nothing is
//! serialised until a bundle is written. Memory maps are left out (the newest sample keeps
//! its own). Every value comes back as it was read; a thread whose details were read again and
//! found the same comes back with its first reading's time (`detail_at_ms`).
//!
//! Two bounds: [`SEEN_CAPACITY`] samples, and [`SEEN_BUDGET_BYTES`] of estimated heap; the
//! oldest samples go first when either is reached.

use crate::bundle::{GoroutineReading, Recorded, TargetExit};
use crate::sample::{FdInfo, Sample, TcpSummary, ThreadInfo};
use std::collections::VecDeque;
use std::mem::size_of;
use std::sync::Arc;

/// Samples kept: 5 minutes at the default 1 s interval.
pub const SEEN_CAPACITY: usize = 300;

/// Estimated heap the kept samples may hold. At 10,000 idle threads and 15,000 fds a census
/// that changes costs ~200 KiB of pointers; a census where every thread changes (~4 MiB at
/// 10,000 threads) shortens the history instead of growing memory. (At 16 MiB the TUI's RSS
/// passed 48 MiB at that size within ten minutes.)
pub const SEEN_BUDGET_BYTES: usize = 8 << 20;

/// One census part, its items shared with the census kept before it where unchanged.
type Shared<T> = Arc<Vec<Arc<T>>>;

/// One kept sample.
#[derive(Debug, Clone)]
struct Kept {
    /// The sample with its thread and fd census, TCP sockets and maps left out.
    rest: Sample,
    threads: Shared<ThreadInfo>,
    fds: Shared<FdInfo>,
    tcp: Option<Arc<TcpSummary>>,
    /// Estimated heap of `rest` alone.
    rest_bytes: usize,
}

/// Bounded ring of kept samples, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    kept: VecDeque<Kept>,
    /// Estimated heap held: every sample's rest, plus each distinct census and item once.
    bytes: usize,
}

/// What keys an item in its census list.
trait Keyed: PartialEq + Clone {
    fn key(&self) -> i64;
    /// Estimated heap of one item held behind an `Arc`.
    fn heap_bytes(&self) -> usize;
    /// The item as kept, its times absolute (a census taken at `census_ms`).
    fn kept(&self, _census_ms: Option<u64>) -> Self {
        self.clone()
    }
    /// The kept item as a census taken at `census_ms` carries it.
    fn carried(&self, _census_ms: Option<u64>) -> Self {
        self.clone()
    }
    /// Whether the kept item `kept` may stand for this one (already in kept form).
    fn same_as(&self, kept: &Self) -> bool {
        self == kept
    }
}

impl Keyed for ThreadInfo {
    fn key(&self) -> i64 {
        i64::from(self.tid)
    }

    /// A thread's details read with its census say when.
    fn kept(&self, census_ms: Option<u64>) -> Self {
        ThreadInfo {
            detail_at_ms: self.detail_at_ms.or(census_ms),
            ..self.clone()
        }
    }

    fn carried(&self, census_ms: Option<u64>) -> Self {
        ThreadInfo {
            detail_at_ms: self.detail_at_ms.filter(|&at| Some(at) != census_ms),
            ..self.clone()
        }
    }

    /// Details read again and found the same keep their first reading's time: still true
    /// (they were read then), and an idle thread costs nothing per census.
    fn same_as(&self, kept: &Self) -> bool {
        self.detail_at_ms >= kept.detail_at_ms
            && *self
                == ThreadInfo {
                    detail_at_ms: self.detail_at_ms,
                    ..kept.clone()
                }
    }

    fn heap_bytes(&self) -> usize {
        2 * size_of::<usize>()
            + size_of::<Self>()
            + self.name.capacity()
            + self.state.capacity()
            + self.wchan.as_ref().map_or(0, String::capacity)
            + self.syscall.as_ref().map_or(0, String::capacity)
            + strings_bytes(&self.blocked_signals)
            + strings_bytes(&self.pending_signals)
    }
}

impl Keyed for FdInfo {
    fn key(&self) -> i64 {
        i64::try_from(self.fd).unwrap_or(i64::MAX)
    }

    fn heap_bytes(&self) -> usize {
        2 * size_of::<usize>() + size_of::<Self>() + self.kind.capacity() + self.target.capacity()
    }
}

fn strings_bytes(strings: &[String]) -> usize {
    strings
        .iter()
        .map(|s| s.capacity() + size_of::<String>())
        .sum()
}

fn list_bytes<T>(items: &[Arc<T>]) -> usize {
    2 * size_of::<usize>() + size_of::<Vec<Arc<T>>>() + size_of_val(items)
}

fn tcp_bytes(tcp: &TcpSummary) -> usize {
    size_of::<TcpSummary>()
        + tcp.by_state.len() * 48
        + tcp
            .sockets
            .iter()
            .map(|s| size_of_val(s) + s.local.capacity() + s.remote.capacity())
            .sum::<usize>()
}

fn rest_bytes(rest: &Sample) -> usize {
    size_of::<Sample>()
        + strings_bytes(&rest.identity.cmdline)
        + rest.fds.by_kind.len() * 64
        + rest
            .fds
            .deleted_files
            .iter()
            .map(FdInfo::heap_bytes)
            .sum::<usize>()
        + (rest.memory.deleted_mappings.len() + rest.memory.mappings_past_eof.len()) * 160
        + rest
            .unavailable
            .iter()
            .map(|u| u.field.capacity() + u.reason.capacity() + 48)
            .sum::<usize>()
        + strings_bytes(&rest.signals.blocked)
        + strings_bytes(&rest.signals.ignored)
        + strings_bytes(&rest.signals.caught)
        + strings_bytes(&rest.signals.pending)
        + rest.limits.len() * 96
}

/// `items` as a list sharing every item equal to the one with its key in `previous` (both
/// lists are sorted by key, as the collector reads them; an unsorted list only shares less),
/// and the estimated heap of the items not shared.
fn share_unchanged<T: Keyed>(
    previous: &[Arc<T>],
    items: &[T],
    census_ms: Option<u64>,
) -> (Vec<Arc<T>>, usize) {
    let mut old = previous.iter().peekable();
    let mut new_bytes = 0;
    let shared = items
        .iter()
        .map(|item| {
            let item = item.kept(census_ms);
            while old.next_if(|o| o.key() < item.key()).is_some() {}
            match old.next_if(|o| o.key() == item.key()) {
                Some(same) if item.same_as(same) => Arc::clone(same),
                _ => {
                    new_bytes += item.heap_bytes();
                    Arc::new(item)
                }
            }
        })
        .collect();
    (shared, new_bytes)
}

/// Estimated heap freed when `oldest` is dropped and `next` (the census kept after it, if
/// any) stays: its list, and its items `next` does not share.
fn freed_bytes<T: Keyed>(oldest: &[Arc<T>], next: Option<&[Arc<T>]>) -> usize {
    let mut later = next.unwrap_or_default().iter().peekable();
    let items: usize = oldest
        .iter()
        .map(|item| {
            while later.next_if(|l| l.key() < item.key()).is_some() {}
            match later.peek() {
                Some(l) if Arc::ptr_eq(l, item) => 0,
                _ => item.heap_bytes(),
            }
        })
        .sum();
    items + list_bytes(oldest)
}

/// The census list for a new sample: the previous one when the sample carries the same
/// census, else a new list sharing the unchanged items; with the heap it adds.
fn census_list<T: Keyed>(
    previous: Option<(&Shared<T>, Option<u64>)>,
    taken_at_ms: Option<u64>,
    items: &[T],
) -> (Shared<T>, usize) {
    match previous {
        Some((list, at)) if at == taken_at_ms && list.len() == items.len() => (Arc::clone(list), 0),
        _ => {
            let before: &[Arc<T>] = previous.map_or(&[], |(l, _)| l);
            let (shared, bytes) = share_unchanged(before, items, taken_at_ms);
            match previous {
                // Nothing changed since the census before: keep its list too.
                Some((list, _)) if bytes == 0 && shared.len() == list.len() => {
                    (Arc::clone(list), 0)
                }
                _ => {
                    let bytes = bytes + list_bytes(&shared);
                    (Arc::new(shared), bytes)
                }
            }
        }
    }
}

impl Seen {
    pub fn push(&mut self, sample: &Sample) {
        let previous = self.kept.back();
        let (threads, threads_bytes) = census_list(
            previous.map(|p| (&p.threads, p.rest.threads.census_taken_at_ms)),
            sample.threads.census_taken_at_ms,
            &sample.threads.items,
        );
        let (fds, fds_bytes) = census_list(
            previous.map(|p| (&p.fds, p.rest.fds.census_taken_at_ms)),
            sample.fds.census_taken_at_ms,
            &sample.fds.items,
        );
        let (tcp, tcp_added) = match (previous.and_then(|p| p.tcp.as_ref()), &sample.fds.tcp) {
            (Some(old), Some(new)) if Arc::ptr_eq(old, new) || **old == **new => {
                (Some(Arc::clone(old)), 0)
            }
            (_, Some(new)) => (Some(Arc::clone(new)), tcp_bytes(new)),
            (_, None) => (None, 0),
        };
        let mut rest = sample.clone();
        rest.threads.items = Arc::default();
        rest.fds.items = Arc::default();
        rest.fds.tcp = None;
        rest.memory.maps = Arc::default();
        let rest_bytes = rest_bytes(&rest);
        self.bytes += rest_bytes + threads_bytes + fds_bytes + tcp_added;
        self.kept.push_back(Kept {
            rest,
            threads,
            fds,
            tcp,
            rest_bytes,
        });
        while self.kept.len() > SEEN_CAPACITY
            || (self.bytes > SEEN_BUDGET_BYTES && self.kept.len() > 1)
        {
            self.drop_oldest();
        }
    }

    fn drop_oldest(&mut self) {
        let Some(oldest) = self.kept.pop_front() else {
            return;
        };
        let next = self.kept.front();
        let mut freed = oldest.rest_bytes;
        if !next.is_some_and(|n| Arc::ptr_eq(&n.threads, &oldest.threads)) {
            freed += freed_bytes(&oldest.threads, next.map(|n| n.threads.as_slice()));
        }
        if !next.is_some_and(|n| Arc::ptr_eq(&n.fds, &oldest.fds)) {
            freed += freed_bytes(&oldest.fds, next.map(|n| n.fds.as_slice()));
        }
        if let Some(tcp) = &oldest.tcp {
            if !next.is_some_and(|n| n.tcp.as_ref().is_some_and(|t| Arc::ptr_eq(t, tcp))) {
                freed += tcp_bytes(tcp);
            }
        }
        self.bytes = self.bytes.saturating_sub(freed);
    }

    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// Estimated heap held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Every sample kept, oldest first, each with its census (samples carrying the same census
    /// share one copy of it; building it copies each census once: run it off the UI thread).
    pub fn samples(&self) -> Vec<Sample> {
        let mut out: Vec<Sample> = Vec::with_capacity(self.kept.len());
        let mut previous: Option<&Kept> = None;
        for kept in &self.kept {
            let mut sample = kept.rest.clone();
            let before = previous.zip(out.last());
            sample.threads.items = match before {
                // The same list of the same census (a list shared by two censuses says when
                // each thread was read relative to its own).
                Some((p, s))
                    if Arc::ptr_eq(&p.threads, &kept.threads)
                        && s.threads.census_taken_at_ms == sample.threads.census_taken_at_ms =>
                {
                    Arc::clone(&s.threads.items)
                }
                _ => {
                    let at = kept.rest.threads.census_taken_at_ms;
                    Arc::new(kept.threads.iter().map(|t| t.carried(at)).collect())
                }
            };
            sample.fds.items = match before {
                Some((p, s)) if Arc::ptr_eq(&p.fds, &kept.fds) => Arc::clone(&s.fds.items),
                _ => Arc::new(kept.fds.iter().map(|f| (**f).clone()).collect()),
            };
            sample.fds.tcp = kept.tcp.clone();
            out.push(sample);
            previous = Some(kept);
        }
        out
    }
}

/// What a bundle written now is made of: the samples seen and the newest one, with its maps,
/// the goroutine readings beside them and the target's end, if it ended.
/// Cheap to take on the UI thread (pointer copies); [`BundleSource::samples`] builds them.
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
    pub fn samples(self) -> Vec<Recorded> {
        let mut samples = self.seen.samples();
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
        samples
            .into_iter()
            .zip(recorded)
            .map(|(sample, goroutines)| Recorded { sample, goroutines })
            .collect()
    }
}
