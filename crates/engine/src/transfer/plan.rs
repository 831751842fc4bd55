//! Batches from plans: a provider streams a job's files folder by folder, and this turns the stream into a
//! queued batch that downloads from the first listed folder on. A plan that lists nothing leaves nothing
//! behind: no folder on disk and no batch in the queue.

use std::path::PathBuf;
use std::sync::Arc;

use futures_util::stream::{BoxStream, StreamExt};

use super::model::{BatchId, BatchOrigin, ItemSpec};
use super::runner::Transfers;
use crate::error::{Error, Result};
use crate::paths::SafeRelPath;

/// One step of a plan.
#[derive(Debug)]
pub enum PlanStep {
    /// A listed folder (created on disk, empty ones too) and the files in it to fetch.
    Folder {
        path: SafeRelPath,
        items: Vec<ItemSpec>,
    },
    /// Something that could not be listed or used; `place` is the output path it concerns.
    Problem { place: String, error: Error },
}

/// A provider's plan for a batch, produced while the archive is still being listed.
pub type Plan = BoxStream<'static, PlanStep>;

/// A plan that could not start: it reports `error` and ends.
pub fn failed(error: Error) -> Plan {
    futures_util::stream::once(async move {
        PlanStep::Problem {
            place: String::new(),
            error,
        }
    })
    .boxed()
}

/// A plan of files already known: one step with all of them.
pub fn of_items(items: Vec<ItemSpec>) -> Plan {
    futures_util::stream::once(async move {
        PlanStep::Folder {
            path: SafeRelPath::root(),
            items,
        }
    })
    .boxed()
}

/// A plan of the files one listing finds: one step with all of them, or the listing's problem.
pub fn of_listing(
    listing: impl std::future::Future<Output = Result<Vec<ItemSpec>>> + Send + 'static,
) -> Plan {
    futures_util::stream::once(async move {
        match listing.await {
            Ok(items) => PlanStep::Folder {
                path: SafeRelPath::root(),
                items,
            },
            Err(error) => PlanStep::Problem {
                place: String::new(),
                error,
            },
        }
    })
    .boxed()
}

/// The batch a plan fills.
#[derive(Debug, Clone)]
pub struct NewBatch {
    pub name: String,
    pub origin: BatchOrigin,
    /// What makes two runs the same download (with `root`): running it again continues the same batch.
    pub key: String,
    /// The local folder the batch writes into.
    pub root: PathBuf,
    /// True to continue an earlier batch with the same key and root; false for a new batch every time.
    pub continue_earlier: bool,
}

/// Starts the batch `new` describes, or continues an earlier run of it, fed by `plan`. Returns the
/// batch's id once the first folder is listed; the rest of the plan is queued in the background
/// ([`Transfers::wait`] follows the batch to its end). Fails, leaving nothing behind, when the plan ends
/// before listing a single folder.
pub async fn start(transfers: &Arc<Transfers>, new: NewBatch, mut plan: Plan) -> Result<BatchId> {
    let earlier = match new.continue_earlier {
        true => transfers.find_batch(&new.key, &new.root)?,
        false => None,
    };
    if let Some(earlier) = earlier {
        transfers.prepare_rerun(earlier.id).await?;
        transfers.set_listing_complete(earlier.id, false)?;
        transfers.run(earlier.id)?;
        tokio::spawn(queue_rest(transfers.clone(), earlier.id, new.root, plan));
        return Ok(earlier.id);
    }
    let mut early_problems = Vec::new();
    let (path, items) = loop {
        match plan.next().await {
            Some(PlanStep::Folder { path, items }) => break (path, items),
            Some(PlanStep::Problem { place, error }) => early_problems.push((place, error)),
            None => {
                return Err(early_problems.into_iter().next().map_or_else(
                    || Error::invalid_input("There is nothing to download there."),
                    |(_, error)| error,
                ))
            }
        }
    };
    tokio::fs::create_dir_all(&new.root)
        .await
        .map_err(|err| Error::disk("create the folder", &new.root, err))?;
    let batch = transfers.create_batch(&new.name, &new.origin, &new.key, &new.root)?;
    transfers.set_listing_complete(batch, false)?;
    for (place, error) in &early_problems {
        transfers.add_problem(batch, place, error)?;
    }
    queue_folder(transfers, batch, &new.root, &path, &items)?;
    transfers.run(batch)?;
    tokio::spawn(queue_rest(transfers.clone(), batch, new.root, plan));
    Ok(batch)
}

/// Queues the plan's remaining steps, then marks the listing complete.
async fn queue_rest(transfers: Arc<Transfers>, batch: BatchId, root: PathBuf, mut plan: Plan) {
    while let Some(step) = plan.next().await {
        let outcome = match step {
            PlanStep::Folder { path, items } => {
                queue_folder(&transfers, batch, &root, &path, &items)
                    .or_else(|err| transfers.add_problem(batch, &path.to_string(), &err))
            }
            PlanStep::Problem { place, error } => transfers.add_problem(batch, &place, &error),
        };
        if let Err(err) = outcome {
            tracing::warn!("could not record batch {batch}'s listing: {err}");
        }
    }
    if let Err(err) = transfers.set_listing_complete(batch, true) {
        tracing::warn!("could not finish batch {batch}'s listing: {err}");
    }
}

fn queue_folder(
    transfers: &Transfers,
    batch: BatchId,
    root: &std::path::Path,
    path: &SafeRelPath,
    items: &[ItemSpec],
) -> Result<()> {
    let dir = path.under(root);
    std::fs::create_dir_all(&dir).map_err(|err| Error::disk("create the folder", &dir, err))?;
    transfers.add_items(batch, items).map(|_| ())
}
