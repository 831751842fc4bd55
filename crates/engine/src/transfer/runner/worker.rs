//! The item worker: fetches one item, retrying what may pass, and settles how it ended.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::header::HeaderMap;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::{Active, Live, Transfers};
use crate::error::{Error, ErrorCode, Result};
use crate::paths::SafeRelPath;
use crate::ssh::SftpChannel;
use crate::transfer::fetch::{fetch, prepare_target, FetchJob, Fetched, Landing, Start};
use crate::transfer::limits::SlotGuard;
use crate::transfer::model::{AuthPolicy, BatchState, ItemId, ItemState, Source};
use crate::transfer::part_file::part_path;
use crate::transfer::request::AuthorizedRequest;
use crate::transfer::store::ItemRow;

impl Transfers {
    /// Fetches one item, retrying what may pass, until it is done, fails for good, or is stopped.
    pub(super) async fn run_item(
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
            AuthPolicy::ArchiveToken { account, .. } => self
                .credentials
                .read()
                .expect("credentials lock")
                .get(account)
                .cloned(),
            AuthPolicy::Anonymous => None,
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
            let route = self.route(&item.source).await;
            let result = match route {
                Err(err) => Err(err),
                Ok((label, route)) => {
                    let store_validator =
                        |value: Option<&str>| self.store().set_item_validator(item.id, value);
                    let asked = tokio::time::Instant::now();
                    let on_start = |from: u64, start: Start| {
                        bytes.store(from, Ordering::Relaxed);
                        if start != Start::Answered {
                            return;
                        }
                        if let Some(slot) = slot.lock().expect("slot lock").as_ref() {
                            slot.answered(asked.elapsed());
                        }
                    };
                    let on_bytes = |n: u64| {
                        bytes.fetch_add(n, Ordering::Relaxed);
                        live.transferred.fetch_add(n, Ordering::Relaxed);
                    };
                    let landing = Landing {
                        label: &label,
                        target: &target,
                        size: item.size,
                        digest: item.digest.as_ref(),
                        validator: validator.clone(),
                        bandwidth: &self.bandwidth,
                        idle_timeout: self.config.idle_timeout,
                        cancel: &token,
                        on_start: &on_start,
                        on_body_done: &release_slot,
                        on_bytes: &on_bytes,
                        save_validator: &store_validator,
                    };
                    match route {
                        Route::Http(url) => {
                            let request = AuthorizedRequest {
                                client: &self.client,
                                url,
                                label: &label,
                                auth: &item.auth,
                                signed_url: matches!(item.source, Source::Resolver { .. }),
                                credentials: credentials.as_deref(),
                                headers: HeaderMap::new(),
                                cancel: &token,
                            };
                            fetch(FetchJob { request, landing }).await
                        }
                        Route::Sftp(channel, path) => {
                            crate::transfer::sftp::fetch(&channel, path, landing).await
                        }
                        Route::LocalFile(path) => {
                            crate::transfer::local_file::fetch(path, landing).await
                        }
                    }
                }
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
            if err.shows_strain() {
                if let Some(slot) = slot.lock().expect("slot lock").as_ref() {
                    slot.strained();
                }
            }
            // A waiting item holds no connection: others go on meanwhile.
            release_slot();
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

    /// Where an item's bytes come from this time, and how to name it in messages: a URL (a resolver's
    /// fresh one), a file over the host's SFTP channel, or a file of this computer.
    async fn route<'a>(&self, source: &'a Source) -> Result<(String, Route<'a>)> {
        let url = match source {
            Source::Sftp { host, path } => {
                let channel = self.ssh.sftp(host).await?;
                return Ok((source.address(), Route::Sftp(channel, path)));
            }
            Source::LocalFile { path } => return Ok((source.address(), Route::LocalFile(path))),
            Source::Url { url } => Url::parse(url)
                .map_err(|err| Error::protocol(format!("{url:?} is not a URL: {err}")))?,
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
                resolver.resolve(key).await?
            }
        };
        let label = crate::transfer::manifest::redact_url(url.as_str());
        Ok((label, Route::Http(url)))
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
}

/// The host an item's requests go to first, for the per-host limit.
fn item_host(item: &ItemRow) -> String {
    match &item.source {
        Source::Url { url } => Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default(),
        Source::Resolver { account, .. } => account.to_string(),
        Source::Sftp { host, .. } => host.destination.clone(),
        Source::LocalFile { .. } => LOCAL_HOST.to_string(),
    }
}

/// The "host" local copies share in the per-host limit.
const LOCAL_HOST: &str = "this computer";

/// How an item's bytes come this time.
enum Route<'a> {
    Http(Url),
    /// The file at the path, over the host's SFTP channel.
    Sftp(Arc<SftpChannel>, &'a str),
    /// The file of this computer at the path.
    LocalFile(&'a Path),
}
