//! The transfer engine: runs batches from the durable queue within the limits, with retries,
//! pause/resume/cancel for batches and items, and throttled progress for observers.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::auth::{Credentials, Resolver};
use super::claim::Claims;
use super::fetch::{fetch, part_path, prepare_target, FetchJob, Fetched};
use super::limits::{Bandwidth, SlotGuard, Slots};
use super::manifest::{ManifestEntry, ManifestHeader};
use super::model::{
    BatchId, BatchSnapshot, BatchState, ItemId, ItemSnapshot, ItemSpec, ItemState, Source,
};
use super::progress::{eta_seconds, Observer, RateWindow};
use super::request::AuthorizedRequest;
use super::retry::RetryPolicy;
use super::store::{BatchRow, ItemRow, Store};
use crate::catalog::now_iso;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::AccountId;
use crate::paths::SafeRelPath;

/// Failed items listed in a snapshot at most.
const SNAPSHOT_FAILED_ITEMS: usize = 200;
/// Batches included in snapshots, newest first.
const SNAPSHOT_BATCHES: usize = 50;

/// Limits and patience of the engine.
#[derive(Debug, Clone)]
pub struct TransferConfig {
    /// Files fetched at once, overall.
    pub concurrency: usize,
    /// Files fetched at once from one host.
    pub per_host: usize,
    pub retry: RetryPolicy,
    /// A response that sends nothing for this long is stalled and tried again.
    pub idle_timeout: Duration,
    /// How often observers get snapshots, at most.
    pub progress_interval: Duration,
}

impl Default for TransferConfig {
    fn default() -> Self {
        TransferConfig {
            concurrency: 16,
            per_host: 16,
            retry: RetryPolicy::default(),
            idle_timeout: Duration::from_secs(30),
            progress_interval: Duration::from_millis(100),
        }
    }
}

/// The engine: one per process, shared behind an `Arc`.
pub struct Transfers {
    store: Mutex<Store>,
    client: reqwest::Client,
    config: TransferConfig,
    slots: Slots,
    bandwidth: Bandwidth,
    credentials: RwLock<HashMap<AccountId, Arc<dyn Credentials>>>,
    resolvers: RwLock<HashMap<AccountId, Arc<dyn Resolver>>>,
    live: Mutex<HashMap<BatchId, Arc<Live>>>,
    /// The folders this process downloads into, which no other process may meanwhile.
    claims: Claims,
    observers: Mutex<Vec<Arc<dyn Observer>>>,
    changed: Notify,
}

/// A batch that is being worked on in this process.
struct Live {
    id: BatchId,
    root: PathBuf,
    control: Mutex<Control>,
    queue: Mutex<VecDeque<ItemId>>,
    wake: Notify,
    active: Mutex<BTreeMap<ItemId, Active>>,
    transferred: AtomicU64,
    rate: Mutex<RateWindow>,
    /// Items under way or getting ready: twice the network slots, so the next ones are ready in time.
    ahead: Arc<tokio::sync::Semaphore>,
    finished: watch::Sender<Option<BatchState>>,
}

struct Control {
    paused: bool,
    /// The state (and why) to record once every running item has stopped after a pause.
    pausing: Option<(BatchState, Option<Error>)>,
    cancelled: bool,
    token: CancellationToken,
}

/// An item being fetched, retried or held paused.
struct Active {
    path: String,
    size: Option<u64>,
    bytes: Arc<AtomicU64>,
    state: ItemState,
    error: Option<Error>,
    token: CancellationToken,
    /// What the user asked of this one item, which wins over the batch's state when it stops.
    user_stop: Option<ItemState>,
}

impl Transfers {
    /// Opens the engine on the queue at `db` (created if missing); lock files, where a file system
    /// cannot lock folders, go beside it in `<db>-locks`.
    pub fn open(db: &Path, config: TransferConfig) -> Result<Arc<Transfers>> {
        let mut locks = db.as_os_str().to_owned();
        locks.push("-locks");
        Ok(Arc::new(Transfers {
            store: Mutex::new(Store::open(db)?),
            client: crate::http::transfer_client()?,
            slots: Slots::new(config.concurrency, config.per_host),
            config,
            bandwidth: Bandwidth::default(),
            credentials: RwLock::default(),
            resolvers: RwLock::default(),
            live: Mutex::default(),
            claims: Claims::new(locks.into()),
            observers: Mutex::default(),
            changed: Notify::new(),
        }))
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().expect("store lock")
    }

    /// Lets items with `AuthPolicy::ArchiveToken { account, .. }` carry that account's token.
    pub fn set_credentials(&self, account: &AccountId, credentials: Arc<dyn Credentials>) {
        self.credentials
            .write()
            .expect("credentials lock")
            .insert(account.clone(), credentials);
    }

    /// Lets items with `Source::Resolver { account, .. }` get their URLs from `resolver`.
    pub fn set_resolver(&self, account: &AccountId, resolver: Arc<dyn Resolver>) {
        self.resolvers
            .write()
            .expect("resolvers lock")
            .insert(account.clone(), resolver);
    }

    /// Limits all transfers together to `bytes_per_second` (`None`: no limit); applies at once.
    pub fn set_bandwidth_limit(&self, bytes_per_second: Option<u64>) {
        self.bandwidth.set_limit(bytes_per_second);
    }

    /// The bandwidth limit in force, in bytes per second.
    pub fn bandwidth_limit(&self) -> Option<u64> {
        self.bandwidth.limit()
    }

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

    fn publish(&self) {
        let Ok(snapshots) = self.snapshots() else {
            return;
        };
        for observer in self.observers.lock().expect("observers lock").iter() {
            observer.snapshot(&snapshots);
        }
    }

    /// Creates an empty batch writing into `root` (an error when another process downloads there).
    pub fn create_batch(
        &self,
        name: &str,
        archive: &str,
        source: &str,
        root: &Path,
    ) -> Result<BatchId> {
        self.claims.take(root)?;
        let id = self
            .store()
            .create_batch(name, archive, source, root, &now_iso())?;
        self.changed.notify_one();
        Ok(id)
    }

    /// The newest batch made from `source` into `root`.
    pub fn find_batch(&self, source: &str, root: &Path) -> Result<Option<BatchRow>> {
        self.store().find_batch(source, root)
    }

    pub fn batch(&self, id: BatchId) -> Result<BatchRow> {
        self.store().batch(id)
    }

    pub fn items(&self, id: BatchId) -> Result<Vec<ItemRow>> {
        self.store().items(id)
    }

    pub fn problems(&self, id: BatchId) -> Result<Vec<super::store::Problem>> {
        self.store().problems(id)
    }

    /// Adds items to a batch (those whose destination it already has are ignored); a running batch starts on them at once.
    /// Destinations are checked: one that could leave the batch's folder is refused.
    pub fn add_items(&self, id: BatchId, items: &[ItemSpec]) -> Result<usize> {
        for item in items {
            SafeRelPath::parse(&item.dest)?;
        }
        let added = self.store().add_items(id, items)?;
        if let Some(live) = self.live(id) {
            live.queue.lock().expect("queue lock").extend(&added);
            live.wake.notify_one();
        }
        self.changed.notify_one();
        Ok(added.len())
    }

    /// Records something that went wrong outside any one item (an unlistable folder, an unsafe name).
    pub fn add_problem(&self, id: BatchId, place: &str, error: &Error) -> Result<()> {
        self.store().add_problem(id, place, error)
    }

    /// Says whether more items may still come (while folders are being listed).
    pub fn set_listing_complete(&self, id: BatchId, complete: bool) -> Result<()> {
        self.store().set_listing_complete(id, complete)?;
        if let Some(live) = self.live(id) {
            live.wake.notify_one();
        }
        Ok(())
    }

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
                || super::verify::is_whole(&target, item.size, item.digest.as_ref()).await?;
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
                self.config.concurrency.max(1) * 2,
            )),
            finished: watch::channel(None).0,
        });
        live_map.insert(id, live.clone());
        tokio::spawn(self.clone().drive(live));
        self.changed.notify_one();
        Ok(())
    }

    /// Runs every batch that was running when the process last stopped, except those another
    /// process is working on; returns the ones it started.
    pub fn resume_interrupted(self: &Arc<Self>) -> Result<Vec<BatchId>> {
        let mut resumed = Vec::new();
        for batch in self.store().batches()? {
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

    fn stop(&self, id: BatchId, state: BatchState, error: Option<&Error>) -> Result<()> {
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
    fn record_pause(&self, live: &Live) {
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

    fn live(&self, id: BatchId) -> Option<Arc<Live>> {
        self.live.lock().expect("live lock").get(&id).cloned()
    }

    /// Works on a batch until it is finished or cancelled.
    async fn drive(self: Arc<Self>, live: Arc<Live>) {
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
        live.finished.send_replace(Some(state));
        self.release_claim(&live.root);
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

    /// True when the queue says the batch is running but no process works on it: the one that did
    /// was killed or crashed, and running the download again continues it.
    pub fn is_interrupted(&self, id: BatchId) -> Result<bool> {
        let batch = self.batch(id)?;
        Ok(batch.state == BatchState::Running
            && self.live(id).is_none()
            && !self.claims.is_taken(&batch.root)?)
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
                if let Err(err) = super::manifest::sync_dir(&folder) {
                    tracing::warn!("could not sync {}: {err}", folder.display());
                }
            }
        });
        let _ = synced.await;
    }

    /// Writes the batch's MANIFEST.json, MANIFEST.html and manifest.csv at the top of its folder.
    pub fn write_manifests(&self, id: BatchId) -> Result<super::manifest::ManifestPaths> {
        let batch = self.batch(id)?;
        let entries: Vec<ManifestEntry> = self
            .items(id)?
            .into_iter()
            .map(|item| ManifestEntry {
                uri: match item.source {
                    Source::Url { url } => url,
                    Source::Resolver { account, key } => format!("{account}/{key}"),
                },
                file: item.dest,
                size: item.size,
                digest: item.digest,
                state: item.state,
                message: item.error.map(|e| e.message),
            })
            .collect();
        let header = ManifestHeader {
            batch_name: batch.name,
            root: batch.root,
            archive: batch.archive,
            source: batch.source,
            created: batch.created,
            finished: batch.finished,
            state: batch.state,
        };
        super::manifest::write_manifests(&header, &entries)
    }

    /// The batch's files as an export sees them, paths relative to the batch folder.
    pub fn export_items(&self, id: BatchId) -> Result<Vec<super::export::ExportItem>> {
        Ok(self
            .items(id)?
            .into_iter()
            .map(|item| super::export::ExportItem {
                url: match item.source {
                    Source::Url { url } => Some(url),
                    Source::Resolver { .. } => None,
                },
                file: item.dest,
                size: item.size,
                digest: item.digest,
                needs_token: match item.auth {
                    super::model::AuthPolicy::ArchiveToken {
                        account, scheme, ..
                    } => Some(super::export::TokenNeed {
                        archive: account.provider().to_string(),
                        scheme,
                        env: None,
                    }),
                    super::model::AuthPolicy::Anonymous => None,
                },
            })
            .collect())
    }

    /// Marks every unfinished item cancelled and removes its partial file.
    fn cancel_unfinished(&self, root: &Path, id: BatchId) -> Result<()> {
        for item in self.items(id)?.into_iter().filter(|i| !i.state.is_final()) {
            if let Ok(rel) = SafeRelPath::parse(&item.dest) {
                let _ = std::fs::remove_file(part_path(&rel.under(root)));
            }
            self.store()
                .set_item_state(item.id, ItemState::Cancelled, None)?;
        }
        Ok(())
    }

    /// Fetches one item, retrying what may pass, until it is done, fails for good, or is stopped.
    async fn run_item(
        self: Arc<Self>,
        live: Arc<Live>,
        item: ItemRow,
        _ahead: tokio::sync::OwnedSemaphorePermit,
        token: CancellationToken,
    ) {
        // A network slot is held only while bytes come over the network: not while the item gets
        // ready, nor while its file is synced and renamed.
        let slot: Mutex<Option<SlotGuard>> = Mutex::new(None);
        let release_slot = || drop(slot.lock().expect("slot lock").take());
        let target = match SafeRelPath::parse(&item.dest) {
            Ok(rel) => rel.under(&live.root),
            Err(err) => return self.settle(&live, item.id, ItemState::Failed, 0, Some(err)),
        };
        let bytes = Arc::new(AtomicU64::new(0));
        live.active.lock().expect("active lock").insert(
            item.id,
            Active {
                path: item.dest.clone(),
                size: item.size,
                bytes: bytes.clone(),
                state: ItemState::Queued,
                error: None,
                token: token.clone(),
                user_stop: None,
            },
        );
        let mut attempt = self.store().start_attempt(item.id).unwrap_or(1);
        self.changed.notify_one();
        let credentials = match &item.auth {
            super::model::AuthPolicy::ArchiveToken { account, .. } => self
                .credentials
                .read()
                .expect("credentials lock")
                .get(account)
                .cloned(),
            super::model::AuthPolicy::Anonymous => None,
        };
        let mut validator = item.validator.clone();
        match prepare_target(&target, item.size, item.digest.as_ref()).await {
            Ok(true) => return self.settle(&live, item.id, ItemState::Skipped, 0, None),
            Ok(false) => {}
            Err(err) if err.code == ErrorCode::DiskFull => {
                return self.pause_for_full_disk(&live, item.id, err)
            }
            Err(err) => return self.settle(&live, item.id, ItemState::Failed, 0, Some(err)),
        }
        loop {
            if slot.lock().expect("slot lock").is_none() {
                let host = item_host(&item);
                let again = tokio::select! {
                    again = self.slots.acquire(&host) => again,
                    _ = token.cancelled() => return self.settle_stopped(&live, item.id, &target),
                };
                *slot.lock().expect("slot lock") = Some(again);
                if let Some(active) = live.active.lock().expect("active lock").get_mut(&item.id) {
                    active.state = ItemState::Running;
                }
            }
            let result = match self.resolve(&item.source).await {
                Ok(url) => {
                    let label = super::manifest::redact_url(url.as_str());
                    let store_validator =
                        |value: Option<&str>| self.store().set_item_validator(item.id, value);
                    let on_start = |from: u64| bytes.store(from, Ordering::Relaxed);
                    let on_bytes = |n: u64| {
                        bytes.fetch_add(n, Ordering::Relaxed);
                        live.transferred.fetch_add(n, Ordering::Relaxed);
                    };
                    fetch(FetchJob {
                        request: AuthorizedRequest {
                            client: &self.client,
                            url,
                            label: &label,
                            auth: &item.auth,
                            signed_url: matches!(item.source, Source::Resolver { .. }),
                            credentials: credentials.as_deref(),
                            headers: HeaderMap::new(),
                            cancel: &token,
                        },
                        target: &target,
                        size: item.size,
                        digest: item.digest.as_ref(),
                        validator: validator.clone(),
                        bandwidth: &self.bandwidth,
                        idle_timeout: self.config.idle_timeout,
                        on_start: &on_start,
                        on_body_done: &release_slot,
                        on_bytes: &on_bytes,
                        save_validator: &store_validator,
                    })
                    .await
                }
                Err(err) => Err(err),
            };
            let err = match result {
                Ok(Fetched { bytes: fetched, .. }) => {
                    return self.settle(&live, item.id, ItemState::Done, fetched, None)
                }
                Err(err) => err,
            };
            if err.code == ErrorCode::Cancelled {
                return self.settle_stopped(&live, item.id, &target);
            }
            if err.code == ErrorCode::DiskFull {
                return self.pause_for_full_disk(&live, item.id, err);
            }
            if !err.retryable || attempt >= self.config.retry.attempts {
                return self.settle(&live, item.id, ItemState::Failed, 0, Some(err));
            }
            let delay = self.config.retry.delay(attempt, err.retry_after);
            tracing::debug!(item = item.id, attempt, ?delay, "retrying: {}", err.message);
            let _ = self
                .store()
                .set_item_state(item.id, ItemState::Retrying, Some(&err));
            if let Some(active) = live.active.lock().expect("active lock").get_mut(&item.id) {
                active.state = ItemState::Retrying;
                active.error = Some(err);
            }
            self.changed.notify_one();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = token.cancelled() => return self.settle_stopped(&live, item.id, &target),
            }
            validator = self
                .store()
                .item(item.id)
                .ok()
                .and_then(|row| row.validator);
            attempt = self.store().start_attempt(item.id).unwrap_or(attempt + 1);
            if let Some(active) = live.active.lock().expect("active lock").get_mut(&item.id) {
                active.state = ItemState::Running;
            }
        }
    }

    async fn resolve(&self, source: &Source) -> Result<Url> {
        match source {
            Source::Url { url } => Url::parse(url)
                .map_err(|err| Error::protocol(format!("{url:?} is not a URL: {err}"))),
            Source::Resolver { account, key } => {
                let resolver = self
                    .resolvers
                    .read()
                    .expect("resolvers lock")
                    .get(account)
                    .cloned();
                let resolver = resolver.ok_or_else(|| {
                    Error::new(
                        ErrorCode::NotSignedIn,
                        format!("Sign in to the account {account} to continue this download."),
                    )
                })?;
                resolver.resolve(key).await
            }
        }
    }

    /// Records how an item ended and forgets it from the active set.
    fn settle(
        &self,
        live: &Live,
        id: ItemId,
        state: ItemState,
        fetched: u64,
        error: Option<Error>,
    ) {
        let _ = self.store().finish_item(id, state, fetched, error.as_ref());
        let mut active = live.active.lock().expect("active lock");
        if state == ItemState::Paused {
            if let Some(item) = active.get_mut(&id) {
                item.state = ItemState::Paused;
                item.error = error;
            }
        } else {
            active.remove(&id);
        }
        drop(active);
        self.changed.notify_one();
    }

    /// A full disk: the item waits, paused, and so does its whole batch, until the user makes room and resumes.
    fn pause_for_full_disk(&self, live: &Live, id: ItemId, err: Error) {
        self.settle(live, id, ItemState::Paused, 0, Some(err.clone()));
        let _ = self.stop(live.id, BatchState::PausedDiskFull, Some(&err));
    }

    /// An item stopped because the user paused or cancelled it, or its batch.
    fn settle_stopped(&self, live: &Live, id: ItemId, target: &Path) {
        let user_stop = live
            .active
            .lock()
            .expect("active lock")
            .get(&id)
            .and_then(|a| a.user_stop);
        // Held until the item is settled, so that a batch resumed meanwhile cannot miss it (see `resume`).
        let control = live.control.lock().expect("control lock");
        if user_stop == Some(ItemState::Cancelled) || (user_stop.is_none() && control.cancelled) {
            drop(control);
            let _ = std::fs::remove_file(part_path(target));
            self.settle(live, id, ItemState::Cancelled, 0, None);
        } else if user_stop.is_none() && !control.paused {
            // The batch was paused and resumed again while this item was stopping: it goes back in the queue.
            let _ = self.store().set_item_state(id, ItemState::Queued, None);
            live.active.lock().expect("active lock").remove(&id);
            live.queue.lock().expect("queue lock").push_back(id);
            drop(control);
            live.wake.notify_one();
            self.changed.notify_one();
        } else {
            self.settle(live, id, ItemState::Paused, 0, None);
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
        let mut rate = 0.0;
        if let Some(live) = &live {
            for (id, active) in live.active.lock().expect("active lock").iter() {
                let bytes = active.bytes.load(Ordering::Relaxed);
                in_flight += bytes;
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
            items,
            error: batch.error,
        })
    }
}

/// The host an item's requests go to first, for the per-host limit.
fn item_host(item: &ItemRow) -> String {
    match &item.source {
        Source::Url { url } => Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default(),
        Source::Resolver { account, .. } => account.to_string(),
    }
}
