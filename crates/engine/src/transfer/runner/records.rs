//! What a batch leaves behind from its queue rows: its manifests, and the items an export writes out.

use super::Transfers;
use crate::error::Result;
use crate::transfer::export::{ExportItem, TokenNeed};
use crate::transfer::manifest::{ManifestEntry, ManifestHeader, ManifestPaths};
use crate::transfer::model::{AuthPolicy, BatchId, Source};

impl Transfers {
    /// Writes the batch's MANIFEST.json, MANIFEST.html and manifest.csv at the top of its folder.
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
        crate::transfer::manifest::write_manifests(&header, &entries)
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
                    // Written as a comment: `host:path` is no http(s) URL.
                    sftp @ Source::Sftp { .. } => Some(sftp.address()),
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
