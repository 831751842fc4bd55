//! The batch loop: starts queued items as slots free up, then records how the batch ended.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::task::JoinSet;

use super::{Live, Transfers};
use crate::catalog::now_iso;
use crate::paths::SafeRelPath;
use crate::transfer::model::{BatchState, ItemId, ItemState};

impl Transfers {
    /// Works on a batch until it is finished or cancelled.
    pub(super) async fn drive(self: Arc<Self>, live: Arc<Live>) {
        loop {
            self.work(&live).await;
            if self.finish(&live).await {
                return;
            }
        }
    }

    /// The batch loop: starts queued items as slots free up, until nothing is left or the batch is cancelled.
    async fn work(self: &Arc<Self>, live: &Arc<Live>) {
        let mut running = JoinSet::new();
        loop {
            while running.try_join_next().is_some() {}
            let (paused, cancelled, token) = {
                let control = live.control.lock().expect("control lock");
                (control.paused, control.cancelled, control.token.clone())
            };
            if cancelled {
                break;
            }
            let next = if paused {
                None
            } else {
                live.queue.lock().expect("queue lock").pop_front()
            };
            let Some(item_id) = next else {
                let listing_done = self
                    .store()
                    .batch(live.id)
                    .map(|b| b.listing_complete)
                    .unwrap_or(true);
                if !paused
                    && running.is_empty()
                    && listing_done
                    && live.queue.lock().expect("queue lock").is_empty()
                {
                    break;
                }
                if paused && running.is_empty() {
                    self.record_pause(live);
                }
                tokio::select! {
                    _ = live.wake.notified() => {}
                    Some(_) = running.join_next(), if !running.is_empty() => {}
                }
                continue;
            };
            let item = match self.store().item(item_id) {
                Ok(item) if item.state == ItemState::Queued => item,
                _ => continue,
            };
            // Items get ready (database, disk checks) a little ahead of their turn on the network.
            let ahead = tokio::select! {
                ahead = live.ahead.clone().acquire_owned() => ahead.expect("never closed"),
                _ = token.cancelled() => {
                    live.queue.lock().expect("queue lock").push_front(item_id);
                    continue;
                }
            };
            running.spawn(
                self.clone()
                    .run_item(live.clone(), item, ahead, token.child_token()),
            );
        }
        while running.join_next().await.is_some() {}
    }

    /// Records how the batch ended and writes its manifests; false when items were queued meanwhile and
    /// the batch must go on instead.
    async fn finish(&self, live: &Live) -> bool {
        let cancelled = live.control.lock().expect("control lock").cancelled;
        {
            // Items queued in the store after the loop looked at its queue (a resumed item, say) must not be
            // lost: while the batch is still in the live map, take them up in a new loop over the same batch.
            let mut live_map = self.live.lock().expect("live lock");
            let queued: Vec<ItemId> = self
                .store()
                .items(live.id)
                .map(|items| {
                    items
                        .into_iter()
                        .filter(|i| i.state == ItemState::Queued)
                        .map(|i| i.id)
                        .collect()
                })
                .unwrap_or_default();
            if !cancelled && !queued.is_empty() {
                live.queue.lock().expect("queue lock").extend(queued);
                return false;
            }
            live_map.remove(&live.id);
        }
        let result = if cancelled {
            self.cancel_unfinished(&live.root, live.id)
                .map(|_| BatchState::Cancelled)
        } else {
            let totals = self.store().totals(live.id);
            let problems = self.store().problems(live.id);
            let items = self.store().items(live.id);
            totals.and_then(|totals| {
                // Items the user paused are still wanted: the batch waits for them, paused.
                Ok(if items?.iter().any(|i| i.state == ItemState::Paused) {
                    BatchState::Paused
                } else if totals.failed > 0 || !problems?.is_empty() {
                    BatchState::DoneWithErrors
                } else {
                    BatchState::Done
                })
            })
        };
        let state = result.unwrap_or(BatchState::DoneWithErrors);
        let finished = (state != BatchState::Paused).then(now_iso);
        let _ = self
            .store()
            .set_batch_state(live.id, state, None, finished.as_deref());
        self.sync_folders(live).await;
        if let Err(err) = self.write_manifests(live.id) {
            tracing::warn!(
                "could not write the manifests of batch {}: {}",
                live.id,
                err.message
            );
            let _ = self.store().add_problem(live.id, "manifest", &err);
        }
        // The folder is free before anyone waiting hears the batch ended, so they can use it at once.
        self.release_claim(&live.root);
        live.finished.send_replace(Some(state));
        self.changed.notify_one();
        self.publish();
        true
    }

    /// Lets other processes download into `root` once no batch of this process works there.
    fn release_claim(&self, root: &Path) {
        let live_map = self.live.lock().expect("live lock");
        if !live_map.values().any(|live| live.root == root) {
            self.claims.release(root);
        }
    }

    /// Makes the renames of the batch's finished files durable: one fsync per folder, not per file.
    async fn sync_folders(&self, live: &Live) {
        let folders: std::collections::BTreeSet<PathBuf> = self
            .items(live.id)
            .unwrap_or_default()
            .into_iter()
            .filter(|item| item.state == ItemState::Done)
            .filter_map(|item| SafeRelPath::parse(&item.dest).ok())
            .filter_map(|rel| rel.under(&live.root).parent().map(Path::to_path_buf))
            .collect();
        let synced = tokio::task::spawn_blocking(move || {
            for folder in folders {
                if let Err(err) = crate::transfer::manifest::sync_dir(&folder) {
                    tracing::warn!("could not sync {}: {err}", folder.display());
                }
            }
        });
        let _ = synced.await;
    }
}
