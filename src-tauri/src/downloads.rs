//! Download commands: start a job's download (all of it or a selection), control batches and items,
//! and stream progress to the UI.

use jobfetch_engine::ids::{AccountId, JobRef};
use jobfetch_engine::transfer::{BatchId, BatchState, ItemId, TransferEvent};
use jobfetch_engine::Result;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, Manager, State};
use ts_rs::TS;

use crate::state::AppState;

/// The event that says what unpacking a finished batch's result archives did.
pub const UNPACKED_EVENT: &str = "batch-unpacked";

/// What unpacking a finished batch's result archives did, for its card in the transfers panel.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Unpacked {
    #[ts(type = "number")]
    pub batch_id: BatchId,
    pub archives: usize,
    pub files: usize,
    /// Why nothing (more) was unpacked: a member refused by name, or files that did not all arrive.
    pub error: Option<String>,
}

/// Starts downloading a job: the whole job (`paths` = null), listed while it downloads, or the
/// selected outputs (files or folders, as paths in the job's output tree); with `unpack`, its result
/// archives are unpacked in place once every file has arrived.
#[tauri::command]
pub async fn start_download(
    app: AppHandle,
    state: State<'_, AppState>,
    account: AccountId,
    job_id: String,
    paths: Option<Vec<String>>,
    unpack: bool,
) -> Result<BatchId> {
    let folder = state.prefs.folder_of(&account);
    let job = JobRef {
        account,
        job: job_id,
    };
    let batch = state.desk.download(&job, paths.as_deref(), &folder).await?;
    if unpack {
        set_unpack_pending(&app, batch, true);
        unpack_when_done(app, batch);
    }
    Ok(batch)
}

/// Notes (or forgets) that a batch is to be unpacked when done, across restarts; not on the demo, whose
/// downloads last one run.
fn set_unpack_pending(app: &AppHandle, batch: BatchId, pending: bool) {
    if app.state::<AppState>().demo.is_some() {
        return;
    }
    let mut batches = crate::settings::unpack_pending(app);
    let changed = match pending {
        true => batches.insert(batch),
        false => batches.remove(&batch),
    };
    if changed {
        crate::settings::save_unpack_pending(app, &batches);
    }
}

/// Waits again for the batches a download started with unpacking before the app last stopped.
pub fn unpack_pending_batches(app: &AppHandle) {
    for batch in crate::settings::unpack_pending(app) {
        unpack_when_done(app.clone(), batch);
    }
}

/// Waits for the batch to end (a paused one is waited for until it does), unpacks its result archives if every file arrived, and says how it went.
fn unpack_when_done(app: AppHandle, batch: BatchId) {
    tauri::async_runtime::spawn(async move {
        let desk = &app.state::<AppState>().desk;
        // A paused batch has not ended: it is looked at again until it does.
        let ended = loop {
            match desk.transfers.wait(batch).await {
                Ok(BatchState::Running | BatchState::Paused | BatchState::PausedDiskFull) => {
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await
                }
                other => break other,
            }
        };
        set_unpack_pending(&app, batch, false);
        let outcome = match ended {
            Ok(BatchState::Done) => desk.unpack_batch(batch, false).await,
            Ok(BatchState::Cancelled) => return,
            Ok(_) => Err(jobfetch_engine::Error::invalid_input(
                "Nothing was unpacked: not every file arrived. Retry the failed files, then download again with unpacking.",
            )),
            Err(err) => Err(err),
        };
        let report = match outcome {
            Ok(done) => Unpacked {
                batch_id: batch,
                archives: done.archives,
                files: done.files,
                error: None,
            },
            Err(err) => Unpacked {
                batch_id: batch,
                archives: 0,
                files: 0,
                error: Some(err.message),
            },
        };
        if let Err(err) = app.emit(UNPACKED_EVENT, &report) {
            tracing::warn!("could not tell the window what was unpacked: {err}");
        }
    });
}

#[tauri::command]
pub async fn watch_transfers(
    state: State<'_, AppState>,
    on_event: Channel<TransferEvent>,
) -> Result<()> {
    state
        .progress
        .subscribe(on_event, state.desk.transfers.snapshots()?);
    Ok(())
}

#[tauri::command]
pub async fn pause_batch(state: State<'_, AppState>, batch_id: BatchId) -> Result<()> {
    state.desk.transfers.pause(batch_id)
}

#[tauri::command]
pub async fn resume_batch(state: State<'_, AppState>, batch_id: BatchId) -> Result<()> {
    state.desk.transfers.resume(batch_id)
}

#[tauri::command]
pub async fn cancel_batch(state: State<'_, AppState>, batch_id: BatchId) -> Result<()> {
    state.desk.transfers.cancel(batch_id)
}

#[tauri::command]
pub async fn retry_failed(state: State<'_, AppState>, batch_id: BatchId) -> Result<()> {
    state.desk.transfers.retry_failed(batch_id)
}

#[tauri::command]
pub async fn pause_item(
    state: State<'_, AppState>,
    batch_id: BatchId,
    item_id: ItemId,
) -> Result<()> {
    state.desk.transfers.pause_item(batch_id, item_id)
}

#[tauri::command]
pub async fn resume_item(
    state: State<'_, AppState>,
    batch_id: BatchId,
    item_id: ItemId,
) -> Result<()> {
    state.desk.transfers.resume_item(batch_id, item_id)
}

#[tauri::command]
pub async fn cancel_item(
    state: State<'_, AppState>,
    batch_id: BatchId,
    item_id: ItemId,
) -> Result<()> {
    state.desk.transfers.cancel_item(batch_id, item_id)
}

/// The bandwidth limit for all downloads together, in bytes per second (`null`: no limit).
#[tauri::command]
pub async fn bandwidth_limit(state: State<'_, AppState>) -> Result<Option<u64>> {
    Ok(state.desk.transfers.bandwidth_limit())
}

/// Changes the bandwidth limit; it applies to running downloads at once and is kept for next time.
#[tauri::command]
pub async fn set_bandwidth_limit(
    app: AppHandle,
    state: State<'_, AppState>,
    bytes_per_second: Option<u64>,
) -> Result<()> {
    let limit = bytes_per_second.filter(|rate| *rate > 0);
    state.desk.transfers.set_bandwidth_limit(limit);
    if state.demo.is_none() {
        crate::settings::save_bandwidth_limit(&app, limit);
    }
    Ok(())
}

/// Continues the batches that were running when the app last stopped, listing again what was cut short.
pub async fn resume_interrupted(state: &AppState) {
    if let Err(err) = state.desk.resume_interrupted().await {
        tracing::warn!("could not resume the interrupted downloads: {err}");
    }
}
