//! What a batch leaves behind from its queue rows: its manifests, and the items an export writes out.

use std::sync::Arc;
use std::time::Duration;

use super::{Live, Transfers};
use crate::error::Result;
use crate::transfer::export::{ExportItem, TokenNeed};
use crate::transfer::manifest::{ManifestEntry, ManifestHeader, ManifestPaths};
use crate::transfer::model::{AuthPolicy, BatchId, Source};

/// How often a running shard rewrites its manifest.
const SHARD_MANIFEST_EVERY: Duration = Duration::from_secs(3);

impl Transfers {
    /// Writes the batch's MANIFEST.json, MANIFEST.html and manifest.csv at the top of its folder, or,
    /// for a shard of a plan, in the shard's own folder.
    pub fn write_manifests(&self, id: BatchId) -> Result<ManifestPaths> {
        let batch = self.batch(id)?;
        let entries: Vec<ManifestEntry> = self
            .items(id)?
            .into_iter()
            .map(|item| ManifestEntry {
                uri: item.source.address(),
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
            origin: batch.origin,
            source: batch.source,
            created: batch.created,
            finished: batch.finished,
            state: batch.state,
        };
        let _writing = self.manifests.lock().expect("manifests lock");
        match &self.config.shard_dir {
            Some(dir) => crate::transfer::manifest::write_manifests_in(dir, &header, &entries),
            None => crate::transfer::manifest::write_manifests(&header, &entries),
        }
    }

    /// Keeps a shard's manifest current while its batch runs, so that `status --plan` on any machine
    /// sees how far it got (the batch loop writes the last one when the batch ends).
    pub(super) async fn keep_shard_manifest(self: Arc<Self>, live: Arc<Live>) {
        let mut finished = live.finished.subscribe();
        let id = live.id;
        loop {
            let ended =
                tokio::time::timeout(SHARD_MANIFEST_EVERY, finished.wait_for(Option::is_some));
            if ended.await.is_ok() || self.live(id).is_none() {
                return;
            }
            let engine = self.clone();
            let written = tokio::task::spawn_blocking(move || engine.write_manifests(id)).await;
            if let Ok(Err(err)) = written {
                tracing::warn!(
                    "could not write the manifests of batch {id}: {}",
                    err.message
                );
            }
        }
    }

    /// The batch's files as an export sees them, paths relative to the batch folder.
    pub fn export_items(&self, id: BatchId) -> Result<Vec<ExportItem>> {
        Ok(self
            .items(id)?
            .into_iter()
            .map(|item| ExportItem {
                url: match item.source {
                    Source::Url { url } => Some(url),
                    Source::Resolver { .. } => None,
                    // Written as a comment: `host:path` or a local path is no http(s) URL.
                    copied @ (Source::Sftp { .. } | Source::LocalFile { .. }) => {
                        Some(copied.address())
                    }
                },
                file: item.dest,
                size: item.size,
                digest: item.digest,
                needs_token: match item.auth {
                    AuthPolicy::ArchiveToken {
                        account, scheme, ..
                    } => Some(TokenNeed {
                        archive: account.provider().to_string(),
                        scheme,
                        env: None,
                    }),
                    AuthPolicy::Anonymous => None,
                },
            })
            .collect())
    }
}
