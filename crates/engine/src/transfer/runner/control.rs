//! Queue control: running, pausing, resuming, cancelling and retrying batches and single items.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

use super::{Control, Live, Transfers};
use crate::catalog::now_iso;
use crate::error::{Error, ErrorCode, Result};
use crate::paths::SafeRelPath;
use crate::transfer::model::{BatchId, BatchState, ItemId, ItemState};
use crate::transfer::part_file::part_path;

impl Transfers {
    /// Prepares a batch for another go: forgets earlier listing problems and re-checks files recorded as
    /// done: those still whole count as already present in this run, the others are queued again.
    pub async fn prepare_rerun(&self, id: BatchId) -> Result<()> {
        let batch = self.batch(id)?;
        self.claims.take(&batch.root)?;
        self.store().clear_problems(id)?;
        for item in self
            .items(id)?
            .into_iter()
            .filter(|i| matches!(i.state, ItemState::Done | ItemState::Skipped))
        {
            let target = SafeRelPath::parse(&item.dest)?.under(&batch.root);
            let whole = item.size.is_none() && target.is_file()
                || crate::transfer::verify::is_whole(&target, item.size, item.digest.as_ref())
                    .await?;
            let state = if whole {
                ItemState::Skipped
            } else {
                ItemState::Queued
            };
            self.store().finish_item(item.id, state, 0, None)?;
        }
        self.store()
            .requeue(id, &[ItemState::Failed, ItemState::Cancelled])?;
        self.store()
            .set_batch_state(id, BatchState::Running, None, None)
    }

    /// Starts (or continues) work on a batch; items interrupted earlier (a crash, `kill -9`) go back in the queue.
    pub fn run(self: &Arc<Self>, id: BatchId) -> Result<()> {
        let mut live_map = self.live.lock().expect("live lock");
        if live_map.contains_key(&id) {
            return Ok(());
        }
        let batch = self.store().batch(id)?;
        self.claims.take(&batch.root)?;
        self.store().requeue(
            id,
            &[ItemState::Running, ItemState::Retrying, ItemState::Paused],
        )?;
        self.store()
            .set_batch_state(id, BatchState::Running, None, None)?;
        let queued: VecDeque<ItemId> = self
            .store()
            .items(id)?
            .into_iter()
            .filter(|i| i.state == ItemState::Queued)
            .map(|i| i.id)
            .collect();
        let live = Arc::new(Live {
            id,
            root: batch.root,
            control: Mutex::new(Control {
                paused: false,
                pausing: None,
                cancelled: false,
                token: CancellationToken::new(),
            }),
            queue: Mutex::new(queued),
            wake: Notify::new(),
            active: Mutex::default(),
            transferred: AtomicU64::new(0),
            rate: Mutex::default(),
            ahead: Arc::new(tokio::sync::Semaphore::new(
                self.config
                    .concurrency
                    .min(self.config.per_host.ceiling())
                    .max(1)
                    * 2,
            )),
            finished: watch::channel(None).0,
        });
        live_map.insert(id, live.clone());
        if self.config.shard_dir.is_some() {
            tokio::spawn(self.clone().keep_shard_manifest(live.clone()));
        }
        tokio::spawn(self.clone().drive(live));
        self.changed.notify_one();
        Ok(())
    }

    /// Runs every batch that was running when the process last stopped, except those another
    /// process is working on; returns the ones it started.
    pub fn resume_interrupted(self: &Arc<Self>) -> Result<Vec<BatchId>> {
        let mut resumed = Vec::new();
        // Read before the loop: `run` takes the store's lock, which a guard in the loop's head would hold.
        let batches = self.store().batches()?;
        for batch in batches {
            if batch.state != BatchState::Running {
                continue;
            }
            match self.run(batch.id) {
                Ok(()) => resumed.push(batch.id),
                Err(err) if err.code == ErrorCode::Busy => {}
                Err(err) => return Err(err),
            }
        }
        Ok(resumed)
    }

    /// Waits until the batch stops: finished, cancelled, or paused (by the user or a full disk).
    pub async fn wait(&self, id: BatchId) -> Result<BatchState> {
        let Some(live) = self.live(id) else {
            return Ok(self.batch(id)?.state);
        };
        let mut finished = live.finished.subscribe();
        let state = finished
            .wait_for(Option::is_some)
            .await
            .map(|s| *s)
            .ok()
            .flatten();
        match state {
            Some(state) => Ok(state),
            None => Ok(self.batch(id)?.state),
        }
    }

    /// Pauses a batch: running transfers stop and keep what they have; nothing new starts.
    pub fn pause(&self, id: BatchId) -> Result<()> {
        self.stop(id, BatchState::Paused, None)
    }

    /// Continues a paused (or interrupted) batch.
    pub fn resume(self: &Arc<Self>, id: BatchId) -> Result<()> {
        if let Some(live) = self.live(id) {
            let mut control = live.control.lock().expect("control lock");
            if control.paused {
                control.paused = false;
                control.pausing = None;
                control.token = CancellationToken::new();
                // Under the control lock: items still stopping requeue themselves (see `settle_stopped`).
                let again = self.store().requeue(id, &[ItemState::Paused])?;
                drop(control);
                live.queue.lock().expect("queue lock").extend(again);
                live.rate.lock().expect("rate lock").reset();
                live.finished.send_replace(None);
                self.store()
                    .set_batch_state(id, BatchState::Running, None, None)?;
                live.wake.notify_one();
                self.changed.notify_one();
            }
            return Ok(());
        }
        self.run(id)
    }

    /// Cancels a batch: transfers stop, partial files are removed, finished files stay.
    pub fn cancel(&self, id: BatchId) -> Result<()> {
        if self.live(id).is_some() {
            return self.stop(id, BatchState::Cancelled, None);
        }
        let batch = self.batch(id)?;
        self.cancel_unfinished(&batch.root, id)?;
        self.store()
            .set_batch_state(id, BatchState::Cancelled, None, Some(&now_iso()))?;
        self.changed.notify_one();
        Ok(())
    }

    /// Queues the failed items of a batch again and runs it.
    pub fn retry_failed(self: &Arc<Self>, id: BatchId) -> Result<()> {
        let again = self.store().requeue(id, &[ItemState::Failed])?;
        match self.live(id) {
            Some(live) => {
                live.queue.lock().expect("queue lock").extend(again);
                live.wake.notify_one();
                Ok(())
            }
            None => self.run(id),
        }
    }

    /// Pauses one item; the rest of the batch goes on.
    pub fn pause_item(&self, batch: BatchId, item: ItemId) -> Result<()> {
        self.stop_item(batch, item, ItemState::Paused)
    }

    /// Cancels one item and removes its partial file.
    pub fn cancel_item(&self, batch: BatchId, item: ItemId) -> Result<()> {
        self.stop_item(batch, item, ItemState::Cancelled)
    }

    /// Puts a paused, cancelled or failed item back in the queue.
    pub fn resume_item(self: &Arc<Self>, batch: BatchId, item: ItemId) -> Result<()> {
        let row = self.store().item(item)?;
        if row.batch_id != batch
            || !matches!(
                row.state,
                ItemState::Paused | ItemState::Cancelled | ItemState::Failed
            )
        {
            return Ok(());
        }
        self.store().set_item_state(item, ItemState::Queued, None)?;
        if let Some(live) = self.live(batch) {
            live.active.lock().expect("active lock").remove(&item);
            live.queue.lock().expect("queue lock").push_front(item);
            live.wake.notify_one();
            self.changed.notify_one();
            return Ok(());
        }
        self.run(batch)
    }

    fn stop_item(&self, batch: BatchId, item: ItemId, state: ItemState) -> Result<()> {
        let row = self.store().item(item)?;
        if row.batch_id != batch || row.state.is_final() {
            return Ok(());
        }
        if let Some(live) = self.live(batch) {
            if let Some(active) = live.active.lock().expect("active lock").get_mut(&item) {
                active.user_stop = Some(state);
                active.token.cancel();
                return Ok(());
            }
            live.queue
                .lock()
                .expect("queue lock")
                .retain(|queued| *queued != item);
        }
        self.store().set_item_state(item, state, None)?;
        self.changed.notify_one();
        Ok(())
    }

    pub(super) fn stop(&self, id: BatchId, state: BatchState, error: Option<&Error>) -> Result<()> {
        let Some(live) = self.live(id) else {
            if state != BatchState::Cancelled && !self.batch(id)?.state.eq(&BatchState::Running) {
                return Ok(());
            }
            self.store().set_batch_state(id, state, error, None)?;
            return Ok(());
        };
        let mut control = live.control.lock().expect("control lock");
        match state {
            BatchState::Cancelled => control.cancelled = true,
            _ => {
                // Recorded by the batch loop once the running items have stopped, so that a batch
                // shown as paused really moves no more bytes.
                control.paused = true;
                control.pausing = Some((state, error.cloned()));
            }
        }
        control.token.cancel();
        drop(control);
        live.wake.notify_one();
        self.changed.notify_one();
        Ok(())
    }

    /// Records a pause once nothing of the batch is running any more (unless it was resumed meanwhile).
    pub(super) fn record_pause(&self, live: &Live) {
        let mut control = live.control.lock().expect("control lock");
        let Some((state, error)) = control.pausing.take().filter(|_| control.paused) else {
            return;
        };
        let _ = self
            .store()
            .set_batch_state(live.id, state, error.as_ref(), None);
        live.finished.send_replace(Some(state));
        self.changed.notify_one();
    }

    /// True when the queue says the batch is running but no process works on it: the one that did
    /// was killed or crashed, and running the download again continues it.
    pub fn is_interrupted(&self, id: BatchId) -> Result<bool> {
        let batch = self.batch(id)?;
        Ok(batch.state == BatchState::Running
            && self.live(id).is_none()
            && !self.claims.is_taken(&batch.root)?)
    }

    /// Marks every unfinished item cancelled and removes its partial file.
    pub(super) fn cancel_unfinished(&self, root: &Path, id: BatchId) -> Result<()> {
        for item in self.items(id)?.into_iter().filter(|i| !i.state.is_final()) {
            if let Ok(rel) = SafeRelPath::parse(&item.dest) {
                let _ = std::fs::remove_file(part_path(&rel.under(root)));
            }
            self.store()
                .set_item_state(item.id, ItemState::Cancelled, None)?;
        }
        Ok(())
    }
}
