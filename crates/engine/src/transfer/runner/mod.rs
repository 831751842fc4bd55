//! The transfer engine: runs batches from the durable queue within the limits, with retries,
//! pause/resume/cancel for batches and items, and throttled progress for observers.
//!
//! This module holds the engine and its batches' shared state; the work is split by what it does:
//! [`control`] (run, pause, resume, cancel), [`batch_loop`], the item [`worker`], [`snapshots`] for
//! observers, and [`records`] (manifests, exports).

mod batch_loop;
mod control;
mod records;
mod snapshots;
mod worker;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

use super::auth::{Credentials, Resolver};
use super::claim::Claims;
use super::congestion::{self, HostConcurrency};
use super::limits::{Bandwidth, Slots};
use super::model::{BatchId, BatchOrigin, BatchState, ItemId, ItemSpec, ItemState};
use super::progress::{Observer, RateWindow};
use super::retry::RetryPolicy;
use super::store::{BatchRow, ItemRow, Store};
use crate::catalog::now_iso;
use crate::error::{Error, Result};
use crate::ids::AccountId;
use crate::paths::SafeRelPath;
use crate::ssh::SshConnections;

/// Limits and patience of the engine.
#[derive(Debug, Clone)]
pub struct TransferConfig {
    /// Files fetched at once, overall.
    pub concurrency: usize,
    /// Files fetched at once from one host: a fixed number, or as many as the host copes with.
    pub per_host: HostConcurrency,
    pub retry: RetryPolicy,
    /// A response that sends nothing for this long is stalled and tried again.
    pub idle_timeout: Duration,
    /// How often observers get snapshots, at most.
    pub progress_interval: Duration,
    /// Set when this engine fetches one shard of a plan (see [`crate::transfer::plan_file`]): the
    /// shard's own folder, which it holds alone while it shares its batches' folders with the other
    /// shards, and where it keeps its manifests, rewritten every few seconds while it runs.
    pub shard_dir: Option<PathBuf>,
}

impl Default for TransferConfig {
    fn default() -> Self {
        TransferConfig {
            concurrency: 4 * congestion::DEFAULT_CEILING,
            per_host: HostConcurrency::default(),
            retry: RetryPolicy::default(),
            idle_timeout: Duration::from_secs(30),
            progress_interval: Duration::from_millis(100),
            shard_dir: None,
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
    /// The SSH connections `Source::Sftp` items are copied through.
    ssh: SshConnections,
    live: Mutex<HashMap<BatchId, Arc<Live>>>,
    /// The folders this process downloads into, which no other process may meanwhile.
    claims: Claims,
    /// Held while a batch's manifests are written, so two writes never share their `.part` files.
    manifests: Mutex<()>,
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
            bandwidth: Bandwidth::default(),
            credentials: RwLock::default(),
            resolvers: RwLock::default(),
            ssh: SshConnections::default(),
            live: Mutex::default(),
            claims: Claims::new(locks.into(), config.shard_dir.clone()),
            manifests: Mutex::default(),
            observers: Mutex::default(),
            changed: Notify::new(),
            config,
        }))
    }

    /// The connections each host fetched from may have now, as its gate set them, by host name.
    pub fn connections_allowed(&self) -> Vec<(String, usize)> {
        self.slots.limits()
    }

    /// How many connections each host gets.
    pub fn host_concurrency(&self) -> HostConcurrency {
        self.config.per_host
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

    /// The SSH connections SFTP items are copied through: a provider that tunnels to the same host
    /// shares them, so one connection carries both.
    pub fn ssh(&self) -> &SshConnections {
        &self.ssh
    }

    /// Forgets an account's credentials and resolver (it signed out): its items wait for a new sign-in.
    pub fn forget_account(&self, account: &AccountId) {
        self.credentials
            .write()
            .expect("credentials lock")
            .remove(account);
        self.resolvers
            .write()
            .expect("resolvers lock")
            .remove(account);
    }

    /// Limits all transfers together to `bytes_per_second` (`None`: no limit); applies at once.
    pub fn set_bandwidth_limit(&self, bytes_per_second: Option<u64>) {
        self.bandwidth.set_limit(bytes_per_second);
    }

    /// The bandwidth limit in force, in bytes per second.
    pub fn bandwidth_limit(&self) -> Option<u64> {
        self.bandwidth.limit()
    }

    /// Creates an empty batch writing into `root` (an error when another process downloads there).
    pub fn create_batch(
        &self,
        name: &str,
        origin: &BatchOrigin,
        source: &str,
        root: &Path,
    ) -> Result<BatchId> {
        self.claims.take(root)?;
        let id = self
            .store()
            .create_batch(name, origin, source, root, &now_iso())?;
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

    fn live(&self, id: BatchId) -> Option<Arc<Live>> {
        self.live.lock().expect("live lock").get(&id).cloned()
    }
}
