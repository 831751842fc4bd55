//! Download commands: start a job's download (all of it or a selection), control batches and items,
//! and stream progress to the UI.

use jobfetch_engine::ids::{AccountId, JobRef};
use jobfetch_engine::transfer::{BatchId, ItemId, TransferEvent};
use jobfetch_engine::Result;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use crate::state::AppState;

/// Starts downloading a job: the whole job (`paths` = null), listed while it downloads, or the
/// selected outputs (files or folders, as paths in the job's output tree).
#[tauri::command]
pub async fn start_download(
    state: State<'_, AppState>,
    account: AccountId,
    job_id: String,
    paths: Option<Vec<String>>,
) -> Result<BatchId> {
    let folder = state.prefs.folder_of(&account);
    let job = JobRef {
        account,
        job: job_id,
    };
    state.desk.download(&job, paths.as_deref(), &folder).await
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
