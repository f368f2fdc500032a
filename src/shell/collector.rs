//! Background collection: one reading per interval in `spawn_blocking`, tiers by tick count,
//! interval and pause changed live through a watch channel; the family (parent, children,
//! shared limits) with each census. Ends when the target does.

use super::{now_ms, Cadence};
use crate::app::Msg;
use crate::collect::{family, CollectError, Collector, DetailWanted, Tiers};
use crate::runtimes::go::GoroutineProbe;
use std::time::Duration;
use tokio::sync::{mpsc::Sender, watch};
use tokio::time::Instant;

/// What the UI controls about collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    pub interval: Duration,
    pub paused: bool,
}

/// What the UI steers: the collection's pace, and whose thread details the census reads.
pub struct Steering {
    pub control: watch::Sender<Control>,
    pub detail: watch::Sender<DetailWanted>,
}

/// What the collection loop hears from the UI and tells it.
pub struct Channels {
    pub control: watch::Receiver<Control>,
    /// Whose thread details the census reads (the rows on screen).
    pub detail: watch::Receiver<DetailWanted>,
    pub tx: Sender<Msg>,
}

pub async fn run(mut collector: Collector, cadence: Cadence, channels: Channels) {
    let Channels {
        mut control,
        detail,
        tx,
    } = channels;
    let (pid, start_time) = collector.identity();
    let root = collector.root().clone();
    let mut tick: u64 = 0;
    // Go targets: found on the first sample; `None` inside means "not a Go program".
    let mut probe: Option<Option<GoroutineProbe>> = None;
    let mut sent_pace = None;
    loop {
        let now = *control.borrow_and_update();
        let started = Instant::now();
        if !now.paused {
            let tiers = Tiers {
                census: tick % cadence.census_every.max(1) == 0,
                maps: tick % cadence.maps_every.max(1) == 0,
            };
            tick += 1;
            if tiers.census {
                collector.want_details(detail.borrow().clone());
            }
            let joined = tokio::task::spawn_blocking(move || {
                if tiers.census || tiers.maps {
                    // The census this one replaces was freed a tick ago.
                    release_free_memory();
                }
                let result = collector.sample(tiers);
                // The family (parent, children, shared limits) is read with the census.
                let family = match (&result, tiers.census) {
                    (Ok(sample), true) => Some(family::read(collector.root(), sample)),
                    _ => None,
                };
                (collector, result, family)
            })
            .await;
            let Ok((back, result, family)) = joined else {
                return;
            };
            collector = back;
            let msg = match result {
                Ok(sample) if probe.is_none() => {
                    // Finding the endpoint may take seconds: off the async threads.
                    let timeout = (now.interval / 2).min(Duration::from_secs(1));
                    let first = sample.clone();
                    probe = Some(
                        tokio::task::spawn_blocking(move || {
                            GoroutineProbe::for_sample(&first, None, timeout)
                        })
                        .await
                        .unwrap_or(None),
                    );
                    Msg::Sample(Box::new(sample))
                }
                Ok(sample) => Msg::Sample(Box::new(sample)),
                Err(CollectError::PidReused { .. }) => {
                    let _ = tx.send(Msg::TargetReplaced { at_ms: now_ms() }).await;
                    return;
                }
                Err(
                    CollectError::Gone { .. }
                    | CollectError::NoSuchProcess { .. }
                    | CollectError::Zombie { .. },
                ) => {
                    let at_ms = now_ms();
                    let how = tokio::task::spawn_blocking(move || {
                        crate::collect::exit_status::describe(&root, pid, start_time)
                    })
                    .await
                    .unwrap_or_else(|_| "exit status unknown".to_string());
                    let _ = tx.send(Msg::TargetExited { at_ms, how }).await;
                    return;
                }
                Err(other) => Msg::CollectFailed {
                    at_ms: now_ms(),
                    reason: other.to_string(),
                },
            };
            if tx.send(msg).await.is_err() {
                return;
            }
            if let Some(family) = family {
                if tx.send(Msg::Family(Box::new(family))).await.is_err() {
                    return;
                }
            }
            if let Some(mut go) = probe.as_mut().and_then(Option::take) {
                let joined = tokio::task::spawn_blocking(move || {
                    let count = go.poll();
                    (go, count)
                })
                .await;
                let Ok((go, count)) = joined else {
                    return;
                };
                let endpoint = go.endpoint().ok().map(ToString::to_string);
                let pace = go.pace();
                probe = Some(Some(go));
                // A skipped tick (backing off) sends only a change of pace: the view keeps the
                // last count and says why it is not read every tick.
                let msg = match count {
                    Some(count) => Some(Msg::Goroutines {
                        at_ms: now_ms(),
                        count,
                        endpoint,
                        pace,
                    }),
                    None if pace != sent_pace => Some(Msg::GoroutinePace { pace }),
                    None => None,
                };
                sent_pace = pace;
                if let Some(msg) = msg {
                    if tx.send(msg).await.is_err() {
                        return;
                    }
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep_until(started + now.interval) => {}
            changed = control.changed() => if changed.is_err() { return },
        }
    }
}

/// Hands the free pages inside the allocator's heaps back to the kernel. A 10,000-thread
/// census frees tens of thousands of small blocks between longer-lived ones; without this
/// the heap keeps their pages resident (RSS a third above the live heap).
#[allow(unsafe_code)]
fn release_free_memory() {
    // SAFETY: malloc_trim only returns unused pages of glibc's own heaps to the kernel; it
    // takes the allocator's locks like any allocation and touches no memory in use.
    #[cfg(target_env = "gnu")]
    unsafe {
        libc::malloc_trim(0);
    }
}
