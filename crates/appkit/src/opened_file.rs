//! Files handed to Jobfetch (by a launch, a drop or a command) that an archive made for downloading,
//! e.g. MAST's download scripts: read without running, recognised by their archive, downloaded as one batch.

use std::path::{Path, PathBuf};

use jobfetch_engine::ids::{AccountId, ProviderId};
use jobfetch_engine::paths::safe_component;
use jobfetch_engine::providers::FileBatch;
use jobfetch_engine::transfer::model::{BatchOrigin, OriginScope};
use jobfetch_engine::transfer::plan::{self, NewBatch};
use jobfetch_engine::transfer::BatchId;
use jobfetch_engine::{Error, Result};
use serde::Serialize;
use ts_rs::TS;

use crate::Desk;

/// The largest file read: the archives' download files are text, about 500 bytes a file listed.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// What a handed file holds, for the window to show before anything is downloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OpenedFile {
    /// The file, as an absolute path.
    pub path: String,
    /// Its name, e.g. `MAST_2024-05-01T1200.sh`.
    pub name: String,
    /// The archive that made it.
    pub archive: ProviderId,
    /// What it is, e.g. `MAST download script`.
    pub kind: String,
    /// How many files it lists.
    pub files: usize,
    /// The folder below the download folder they go in: the file's name without its extension.
    pub folder: String,
    /// The account whose credentials go with the files that need them.
    pub account: Option<AccountId>,
    /// What to know before downloading, e.g. that some files need a token no account holds.
    pub warning: Option<String>,
}

/// A file's text, refused when it is too large or not text, with what to give instead.
pub fn read_text(path: &Path) -> Result<String> {
    let size = std::fs::metadata(path)
        .map_err(|err| Error::disk("read", path, err))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(Error::invalid_input(format!(
            "{} is larger than 64 MiB: it is not a download script or list an archive made.",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(|err| Error::disk("read", path, err))?;
    String::from_utf8(bytes).map_err(|_| {
        Error::invalid_input(format!(
            "{} is not a text file: give the download script or list the archive made.",
            path.display()
        ))
    })
}

impl Desk {
    /// What the file at `path` holds and which archive made it, without downloading anything.
    pub fn open_file(&self, path: &Path) -> Result<OpenedFile> {
        let (path, archive, batch) = self.read_file(path)?;
        Ok(OpenedFile {
            folder: batch_folder(&path)?,
            name: file_name(&path),
            path: path.display().to_string(),
            archive,
            kind: batch.kind,
            files: batch.items.len(),
            account: batch.account,
            warning: batch.warning,
        })
    }

    /// Starts (or continues) downloading the files the file at `path` lists into
    /// `<download dir>/<its name without extension>`, the download dir being `download_dir_of` the
    /// account that signs them (`None` when none does).
    pub async fn download_file(
        &self,
        path: &Path,
        download_dir_of: impl FnOnce(Option<&AccountId>) -> PathBuf,
    ) -> Result<BatchId> {
        let (path, archive, batch) = self.read_file(path)?;
        let download_dir = &download_dir_of(batch.account.as_ref());
        if let Some(account) = &batch.account {
            // Signing in hands the account's credentials to the transfers.
            self.session(account).await?;
        }
        let name = file_name(&path);
        let download_dir = std::path::absolute(download_dir)
            .map_err(|err| Error::disk("find", download_dir, err))?;
        let new = NewBatch {
            name: format!("{name} ({} files)", batch.items.len()),
            origin: BatchOrigin {
                provider: archive,
                account: batch.account,
                job: None,
                scope: OriginScope::Selection,
            },
            key: format!("file {}", path.display()),
            root: download_dir.join(batch_folder(&path)?),
            continue_earlier: true,
        };
        plan::start(&self.transfers, new, plan::of_items(batch.items)).await
    }

    /// The file's absolute path, the archive that recognised it and the batch it lists: the first
    /// archive that reads it, else the first one's reason for refusing it.
    fn read_file(&self, path: &Path) -> Result<(PathBuf, ProviderId, FileBatch)> {
        let path = std::path::absolute(path).map_err(|err| Error::disk("find", path, err))?;
        let text = read_text(&path)?;
        let accounts = self.accounts()?.accounts;
        let mut refusal = None;
        for provider in self.registry().all() {
            let id = provider.info().id.clone();
            let own: Vec<_> = accounts
                .iter()
                .filter(|account| account.provider == id)
                .cloned()
                .collect();
            match provider.read_file(&text, &own) {
                Some(Ok(batch)) => return Ok((path, id, batch)),
                Some(Err(err)) => {
                    refusal.get_or_insert(err);
                }
                None => {}
            }
        }
        Err(refusal.unwrap_or_else(|| self.unknown_file(&path)))
    }

    /// The error for a file no archive recognises, naming the files Jobfetch does open.
    fn unknown_file(&self, path: &Path) -> Error {
        let opens: Vec<String> = self
            .providers()
            .into_iter()
            .filter_map(|info| info.opens)
            .collect();
        Error::invalid_input(format!(
            "Jobfetch does not know what {} is. It opens {}.",
            file_name(path),
            match opens.as_slice() {
                [] => "no files, only jobfetch:// links".to_string(),
                _ => opens.join(", "),
            }
        ))
    }
}

/// The folder a file's batch goes in below the download folder: its name without the extension.
fn batch_folder(path: &Path) -> Result<String> {
    let stem = path.file_stem().map_or_else(
        || file_name(path),
        |stem| stem.to_string_lossy().into_owned(),
    );
    Ok(safe_component(&stem)?.to_string())
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}
