//! Progress for observers and the UI: snapshots of the newest batches, sent at most every `progress_interval`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::Transfers;
use crate::error::Result;
use crate::transfer::model::{BatchSnapshot, BatchState, ItemSnapshot, ItemState};
use crate::transfer::progress::{eta_seconds, Observer};
use crate::transfer::store::BatchRow;

/// Failed items listed in a snapshot at most.
const SNAPSHOT_FAILED_ITEMS: usize = 200;
/// Batches included in snapshots, newest first.
const SNAPSHOT_BATCHES: usize = 50;

impl Transfers {
    /// Starts sending snapshots to `observer`: one now, then at most every `progress_interval` while anything changes.
    pub fn observe(self: &Arc<Self>, observer: Arc<dyn Observer>) {
        let first = self.observers.lock().expect("observers lock").is_empty();
        self.observers
            .lock()
            .expect("observers lock")
            .push(observer.clone());
        if let Ok(snapshots) = self.snapshots() {
            observer.snapshot(&snapshots);
        }
        if first {
            let weak = Arc::downgrade(self);
            let interval = self.config.progress_interval;
            tokio::spawn(async move {
                loop {
                    {
                        let Some(engine) = weak.upgrade() else { return };
                        let changed = engine.changed.notified();
                        let busy = !engine.live.lock().expect("live lock").is_empty();
                        if busy
                            || tokio::time::timeout(Duration::from_secs(1), changed)
                                .await
                                .is_ok()
                        {
                            engine.publish();
                        }
                    }
                    tokio::time::sleep(interval).await;
                }
            });
        }
    }

    pub(super) fn publish(&self) {
        let Ok(snapshots) = self.snapshots() else {
            return;
        };
        for observer in self.observers.lock().expect("observers lock").iter() {
            observer.snapshot(&snapshots);
        }
    }

    /// Snapshots of the newest batches, for observers and the UI.
    pub fn snapshots(&self) -> Result<Vec<BatchSnapshot>> {
        let batches = self.store().batches()?;
        batches
            .into_iter()
            .take(SNAPSHOT_BATCHES)
            .map(|batch| self.snapshot_of(batch))
            .collect()
    }

    fn snapshot_of(&self, batch: BatchRow) -> Result<BatchSnapshot> {
        let totals = self.store().totals(batch.id)?;
        let live = self.live(batch.id);
        let mut items = Vec::new();
        let mut in_flight = 0;
        let mut connections = 0;
        let mut rate = 0.0;
        if let Some(live) = &live {
            for (id, active) in live.active.lock().expect("active lock").iter() {
                let bytes = active.bytes.load(Ordering::Relaxed);
                in_flight += bytes;
                connections += u32::from(active.state == ItemState::Running);
                items.push(ItemSnapshot {
                    id: *id,
                    path: active.path.clone(),
                    state: active.state,
                    bytes_done: bytes,
                    size: active.size,
                    error: active.error.clone(),
                });
            }
            rate = live
                .rate
                .lock()
                .expect("rate lock")
                .record(live.transferred.load(Ordering::Relaxed));
        }
        if totals.failed > 0 || !batch.state.eq(&BatchState::Running) {
            // Paused items that are not in the live set belong to a batch paused in an earlier run.
            let states: &[ItemState] = if live.is_none() {
                &[ItemState::Failed, ItemState::Paused]
            } else {
                &[ItemState::Failed]
            };
            let rows = self
                .store()
                .items_in_states(batch.id, states, SNAPSHOT_FAILED_ITEMS)?;
            items.extend(rows.into_iter().map(|row| ItemSnapshot {
                id: row.id,
                path: row.dest,
                state: row.state,
                bytes_done: 0,
                size: row.size,
                error: row.error,
            }));
        }
        let bytes_done = totals.bytes_finished + in_flight;
        let problems = self.store().problems(batch.id)?.len() as u32;
        Ok(BatchSnapshot {
            id: batch.id,
            name: batch.name,
            origin: batch.origin,
            root: batch.root.display().to_string(),
            state: batch.state,
            listing_complete: batch.listing_complete,
            files_total: totals.files,
            files_done: totals.finished,
            files_failed: totals.failed + problems,
            bytes_total: totals.bytes,
            bytes_done,
            rate,
            eta_seconds: live
                .as_ref()
                .and_then(|_| eta_seconds(totals.bytes.saturating_sub(bytes_done), rate)),
            connections,
            items,
            error: batch.error,
        })
    }
}
