//! Downloads: a job folder fetched file by file into a local tree, listing and downloading at the same time.

pub mod file;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use url::Url;

use crate::error::{Error, Result};
use crate::paths::{safe_component, SafeRelPath};
use crate::providers::desaccess::listing;

pub use file::FileOutcome;

/// Files fetched at once unless the caller says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Tries per file for errors that may pass (network trouble, 5xx, short bodies).
const ATTEMPTS: u32 = 3;

/// Receives progress from a folder download. Every method has a do-nothing default.
pub trait Observer: Send + Sync {
    /// A file was found in a listing and queued.
    fn file_queued(&self, _rel: &SafeRelPath, _size: Option<u64>) {}
    /// Bytes of some file were written.
    fn bytes_written(&self, _count: u64) {}
    /// A file finished, one way or the other.
    fn file_finished(&self, _rel: &SafeRelPath, _result: &Result<FileOutcome>) {}
}

/// An observer that ignores everything.
pub struct Quiet;
impl Observer for Quiet {}

/// The end of a folder download: what arrived and what did not, and why.
#[derive(Debug, Default)]
pub struct Report {
    /// The local folder the job was written to (`<out>/<job_id>`).
    pub root: PathBuf,
    pub fetched: u64,
    pub already_present: u64,
    pub bytes_fetched: u64,
    /// Entries that failed or were refused, with the path (relative to the job folder) they concern.
    pub failures: Vec<(String, Error)>,
}

impl Report {
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Downloads the job folder at `folder_url` (an nginx JSON-autoindex tree, as DESaccess serves)
/// to `<out_dir>/<job_id>/...`, `concurrency` files at a time.
pub async fn download_folder(
    client: &reqwest::Client,
    folder_url: &str,
    out_dir: &Path,
    concurrency: usize,
    observer: Arc<dyn Observer>,
) -> Result<Report> {
    let folder = listing::normalize_folder_url(folder_url)?;
    let job_name = folder
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default()
        .to_string();
    let root = out_dir.join(safe_component(&job_name)?);
    tokio::fs::create_dir_all(&root)
        .await
        .map_err(|err| Error::disk("create the folder", &root, err))?;

    let (queue_tx, mut queue_rx) = mpsc::unbounded_channel::<(Url, SafeRelPath, Option<u64>)>();
    let failures = std::sync::Mutex::new(Vec::new());
    let lister = async {
        let mut dir_errors = Vec::new();
        listing::walk(client, &folder, concurrency, |url, rel, result| {
            let found = match result {
                Ok(found) => found,
                Err(err) => return dir_errors.push((rel.to_string(), err)),
            };
            let dir = rel.under(&root);
            if let Err(err) = std::fs::create_dir_all(&dir) {
                return dir_errors
                    .push((rel.to_string(), Error::disk("create the folder", &dir, err)));
            }
            dir_errors.extend(
                found
                    .refused
                    .iter()
                    .map(|err| (rel.to_string(), err.clone())),
            );
            for entry in found.entries.iter().filter(|e| !e.is_dir) {
                let child = rel.child(&entry.name).expect("listing names were checked");
                observer.file_queued(&child, entry.size);
                let _ = queue_tx.send((listing::child_url(url, &entry.name), child, entry.size));
            }
        })
        .await;
        drop(queue_tx);
        failures.lock().expect("failures lock").extend(dir_errors);
    };

    let fetched = AtomicU64::new(0);
    let present = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let downloader = async {
        let slots = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut running = tokio::task::JoinSet::new();
        while let Some((url, rel, size)) = queue_rx.recv().await {
            let permit = slots
                .clone()
                .acquire_owned()
                .await
                .expect("semaphore is never closed");
            let (client, target, observer) = (client.clone(), rel.under(&root), observer.clone());
            running.spawn(async move {
                let result =
                    fetch_with_retries(&client, &url, &target, size, observer.as_ref()).await;
                observer.file_finished(&rel, &result);
                drop(permit);
                (rel, result)
            });
            while let Some(done) = running.try_join_next() {
                record(done, &fetched, &present, &bytes, &failures);
            }
        }
        while let Some(done) = running.join_next().await {
            record(done, &fetched, &present, &bytes, &failures);
        }
    };
    tokio::join!(lister, downloader);

    let mut failures = failures.into_inner().expect("failures lock");
    failures.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Report {
        root,
        fetched: fetched.into_inner(),
        already_present: present.into_inner(),
        bytes_fetched: bytes.into_inner(),
        failures,
    })
}

type Finished = std::result::Result<(SafeRelPath, Result<FileOutcome>), tokio::task::JoinError>;

fn record(
    done: Finished,
    fetched: &AtomicU64,
    present: &AtomicU64,
    bytes: &AtomicU64,
    failures: &std::sync::Mutex<Vec<(String, Error)>>,
) {
    match done {
        Ok((_, Ok(FileOutcome::Fetched(n)))) => {
            fetched.fetch_add(1, Ordering::Relaxed);
            bytes.fetch_add(n, Ordering::Relaxed);
        }
        Ok((_, Ok(FileOutcome::AlreadyPresent(_)))) => {
            present.fetch_add(1, Ordering::Relaxed);
        }
        Ok((rel, Err(err))) => failures
            .lock()
            .expect("failures lock")
            .push((rel.to_string(), err)),
        Err(join_err) => failures.lock().expect("failures lock").push((
            String::new(),
            Error::new(
                crate::ErrorCode::Internal,
                format!("A download task failed: {join_err}"),
            ),
        )),
    }
}

async fn fetch_with_retries(
    client: &reqwest::Client,
    url: &Url,
    target: &Path,
    size: Option<u64>,
    observer: &dyn Observer,
) -> Result<FileOutcome> {
    let mut attempt = 1;
    loop {
        let result =
            file::fetch_file(client, url, target, size, &|n| observer.bytes_written(n)).await;
        match result {
            Err(err) if err.retryable && attempt < ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}
