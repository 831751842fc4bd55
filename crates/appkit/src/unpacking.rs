//! The result archives (`.tar.gz`, `.tgz`, `.tar`) of a finished batch unpacked in place, each into its own
//! folder without its archive's own folder (UP42's `output/`), safely, for the app and the CLI alike.

use std::path::PathBuf;

use jobfetch_engine::transfer::{BatchId, ItemState};
use jobfetch_engine::unpack::{unpack, UnpackOptions};
use jobfetch_engine::{Error, ErrorCode, Result};

use crate::Desk;

/// What unpacking a batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackedBatch {
    /// Archives unpacked.
    pub archives: usize,
    /// Files written from them.
    pub files: usize,
}

/// Whether a downloaded file is a result archive Jobfetch unpacks.
pub fn is_archive(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".tar.gz", ".tgz", ".tar"]
        .iter()
        .any(|end| lower.ends_with(end))
}

impl Desk {
    /// Unpacks every result archive a finished batch fetched into the folder it lies in, and deletes
    /// each once unpacked if `remove_archives`. The first archive that cannot be unpacked (a member
    /// that would escape, a bomb, a damaged file) stops it, named in the error.
    pub async fn unpack_batch(
        &self,
        batch: BatchId,
        remove_archives: bool,
    ) -> Result<UnpackedBatch> {
        let row = self.transfers.batch(batch)?;
        let archive_folder = row
            .origin
            .as_ref()
            .and_then(|origin| self.registry().get(&origin.provider).ok())
            .and_then(|provider| provider.info().archive_folder.clone());
        let archives: Vec<PathBuf> = self
            .transfers
            .items(batch)?
            .into_iter()
            .filter(|item| item.state == ItemState::Done && is_archive(&item.dest))
            .map(|item| row.root.join(&item.dest))
            .collect();
        let options = UnpackOptions {
            strip_prefix: archive_folder,
            ..UnpackOptions::default()
        };
        tokio::task::spawn_blocking(move || {
            let mut done = UnpackedBatch {
                archives: 0,
                files: 0,
            };
            for archive in &archives {
                let folder = archive.parent().unwrap_or(&row.root);
                done.files += unpack(archive, folder, &options)?.len();
                done.archives += 1;
                if remove_archives {
                    std::fs::remove_file(archive)
                        .map_err(|err| Error::disk("remove", archive, err))?;
                }
            }
            Ok(done)
        })
        .await
        .map_err(|err| {
            Error::new(
                ErrorCode::Internal,
                format!("Unpacking stopped unexpectedly: {err}"),
            )
        })?
    }
}
