//! The picker's source: one scan of the host per interval (`collect::scan`, its workers on
//! blocking threads), ranked by the one headroom model (`scan::rank`) off the UI thread, so
//! the picker's keys never wait on `/proc` however many processes the host has.
//!
//! To stay light on a big host, scanning takes at most a quarter of the time: when a pass
//! takes longer than a quarter of the interval, the next waits four times as long as it
//! took (the header says so). One scanning thread, as `healthtop scan` (more were slower on
//! the 2-CPU test host, `benches/scan.rs`), so the other cores stay with the UI.

use super::collector::Control;
use super::now_ms;
use crate::app::picker::{Scanned, SCAN_SHARE};
use crate::app::Msg;
use crate::collect::scan::scan_host;
use crate::collect::HostRoot;
use crate::config::Config;
use crate::scan::rank;
use tokio::sync::{mpsc::Sender, watch};
use tokio::time::Instant;

pub async fn run(
    root: HostRoot,
    config: Config,
    mut control: watch::Receiver<Control>,
    tx: Sender<Msg>,
) {
    loop {
        let now = *control.borrow_and_update();
        let started = Instant::now();
        let mut wait = now.interval;
        if !now.paused {
            let (root, config) = (root.clone(), config.clone());
            let joined = tokio::task::spawn_blocking(move || {
                let taken_at_ms = now_ms();
                let ranked = scan_host(&root, 1)
                    .map(|scan| rank(&scan, &config))
                    .map_err(|error| error.to_string());
                Scanned {
                    taken_at_ms,
                    ranked,
                    took: started.elapsed(),
                }
            })
            .await;
            let Ok(scanned) = joined else {
                return;
            };
            let took = scanned.took;
            if tx.send(Msg::Scanned(Box::new(scanned))).await.is_err() {
                return;
            }
            wait = now.interval.max(took * SCAN_SHARE);
        }
        tokio::select! {
            _ = tokio::time::sleep_until(started + wait) => {}
            changed = control.changed() => if changed.is_err() { return },
        }
    }
}
