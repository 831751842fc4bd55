//! A job folder as a batch: lists the folder tree (nginx JSON autoindex) and queues its files while the
//! first ones already download. Running the same download again continues the same batch.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use url::Url;

use super::model::{AuthPolicy, BatchId, BatchOrigin, ItemSpec, Source};
use super::runner::Transfers;
use crate::error::{Error, Result};
use crate::paths::safe_component;
use crate::providers::desaccess::listing;

/// A folder download that has a batch and is ready to be listed.
pub struct FolderBatch {
    pub batch: BatchId,
    pub folder: Url,
    pub root: PathBuf,
}

/// Starts (or continues) downloading the folder at `folder_url` into `<out_dir>/<folder name>`, and
/// returns once the whole tree is listed; the batch keeps running. Wait for it with [`Transfers::wait`].
pub async fn download_folder(
    transfers: &Arc<Transfers>,
    client: &reqwest::Client,
    origin: &BatchOrigin,
    folder_url: &str,
    out_dir: &Path,
    listing_concurrency: usize,
) -> Result<BatchId> {
    let prepared = prepare(transfers, origin, None, folder_url, out_dir).await?;
    list_into(transfers, client, &prepared, listing_concurrency).await?;
    Ok(prepared.batch)
}

/// Finds the batch of an earlier run of the same download (readied for another go), or creates one
/// named `name` (default: the folder's name), and starts it; nothing is listed yet.
pub async fn prepare(
    transfers: &Arc<Transfers>,
    origin: &BatchOrigin,
    name: Option<&str>,
    folder_url: &str,
    out_dir: &Path,
) -> Result<FolderBatch> {
    let folder = listing::normalize_folder_url(folder_url)?;
    let folder_name = folder
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default()
        .to_string();
    let out_dir = std::path::absolute(out_dir).map_err(|err| Error::disk("find", out_dir, err))?;
    let root = out_dir.join(safe_component(&folder_name)?);
    tokio::fs::create_dir_all(&root)
        .await
        .map_err(|err| Error::disk("create the folder", &root, err))?;
    let batch = match transfers.find_batch(folder.as_str(), &root)? {
        Some(earlier) => {
            transfers.prepare_rerun(earlier.id).await?;
            earlier.id
        }
        None => {
            transfers.create_batch(name.unwrap_or(&folder_name), origin, folder.as_str(), &root)?
        }
    };
    transfers.set_listing_complete(batch, false)?;
    transfers.run(batch)?;
    Ok(FolderBatch {
        batch,
        folder,
        root,
    })
}

/// Lists the folder tree into the batch: folders are created as they are found (empty ones too),
/// files are queued at once, and names or folders that cannot be used are recorded as problems.
pub async fn list_into(
    transfers: &Arc<Transfers>,
    client: &reqwest::Client,
    prepared: &FolderBatch,
    listing_concurrency: usize,
) -> Result<()> {
    let FolderBatch {
        batch,
        folder,
        root,
    } = prepared;
    let batch = *batch;
    let mut failure = Ok(());
    listing::walk(client, folder, listing_concurrency, |url, rel, result| {
        let outcome = (|| {
            let found = match result {
                Ok(found) => found,
                Err(err) => return transfers.add_problem(batch, &rel.to_string(), &err),
            };
            let dir = rel.under(root);
            std::fs::create_dir_all(&dir)
                .map_err(|err| Error::disk("create the folder", &dir, err))?;
            for err in &found.refused {
                transfers.add_problem(batch, &rel.to_string(), err)?;
            }
            let items: Vec<ItemSpec> = found
                .entries
                .iter()
                .filter(|entry| !entry.is_dir)
                .map(|entry| ItemSpec {
                    source: Source::Url {
                        url: listing::child_url(url, &entry.name).to_string(),
                    },
                    dest: rel
                        .child(&entry.name)
                        .expect("listing names were checked")
                        .to_string(),
                    size: entry.size,
                    digest: None,
                    auth: AuthPolicy::Anonymous,
                })
                .collect();
            transfers.add_items(batch, &items).map(|_| ())
        })();
        if let Err(err) = outcome {
            if failure.is_ok() {
                failure = Err(err);
            }
        }
    })
    .await;
    transfers.set_listing_complete(batch, true)?;
    failure
}
