//! Download commands: start a job's download (all of it or a selection), control batches and items,
//! and stream progress to the UI.

use jobfetch_engine::catalog::{OutputKind, OutputNode};
use jobfetch_engine::ids::ProviderId;
use jobfetch_engine::providers::desaccess::{listing, LISTING_CONCURRENCY};
use jobfetch_engine::transfer::model::{AuthPolicy, BatchOrigin, OriginScope, Source};
use jobfetch_engine::transfer::{folder, BatchId, ItemId, ItemSpec, TransferEvent};
use jobfetch_engine::{Error, Result};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::listed::file_url;
use crate::state::AppState;

/// Where a DESaccess batch comes from: the job, if known, whole or a selection of it.
fn desaccess_origin(job: Option<&str>, scope: OriginScope) -> Result<BatchOrigin> {
    Ok(BatchOrigin {
        provider: ProviderId::new("desaccess")?,
        account: None,
        job: job.map(str::to_string),
        scope,
    })
}

#[tauri::command]
pub async fn download_folder(state: State<'_, AppState>) -> Result<String> {
    Ok(state.download_dir.display().to_string())
}

/// Starts downloading a job: the whole folder (`paths` = null), listed while it downloads, or the
/// selected outputs (files or folders, as paths in the job's output tree).
#[tauri::command]
pub async fn start_download(
    state: State<'_, AppState>,
    job_id: String,
    paths: Option<Vec<String>>,
) -> Result<BatchId> {
    let session = state.session().await?;
    let job = session.job(&job_id).await?;
    let Some(paths) = paths else {
        let prepared = folder::prepare(
            &state.transfers,
            &desaccess_origin(Some(&job.id), OriginScope::Whole)?,
            Some(&job.name),
            &job.folder_url,
            &state.download_dir,
        )
        .await?;
        let batch = prepared.batch;
        let (transfers, client) = (state.transfers.clone(), state.client.clone());
        tauri::async_runtime::spawn(async move {
            if let Err(err) =
                folder::list_into(&transfers, &client, &prepared, LISTING_CONCURRENCY).await
            {
                let _ = transfers.add_problem(batch, "", &err);
            }
        });
        return Ok(batch);
    };
    let tree = session.outputs(&job).await?;
    let mut files = Vec::new();
    collect_selected(&tree, &paths, &mut files);
    if files.is_empty() {
        return Err(Error::invalid_input(
            "Nothing is selected to download. Tick some files or folders first.",
        ));
    }
    let folder = listing::normalize_folder_url(&job.folder_url)?;
    let items: Vec<ItemSpec> = files
        .iter()
        .map(|file| ItemSpec {
            source: Source::Url {
                url: file_url(&folder, &file.path).to_string(),
            },
            dest: file.path.clone(),
            size: file.size,
            digest: None,
            auth: AuthPolicy::Anonymous,
        })
        .collect();
    let root = state
        .download_dir
        .join(jobfetch_engine::paths::safe_component(&job.id)?);
    let name = format!(
        "{} ({} of {} files)",
        job.name,
        items.len(),
        tree.file_count
    );
    let transfers = &state.transfers;
    let origin = desaccess_origin(Some(&job.id), OriginScope::Selection)?;
    let batch = transfers.create_batch(&name, &origin, &format!("{folder}#selection"), &root)?;
    transfers.add_items(batch, &items)?;
    transfers.set_listing_complete(batch, true)?;
    transfers.run(batch)?;
    Ok(batch)
}

/// The files at or below any of `paths`.
fn collect_selected<'a>(node: &'a OutputNode, paths: &[String], out: &mut Vec<&'a OutputNode>) {
    let selected = paths
        .iter()
        .any(|p| p.is_empty() || node.path == *p || node.path.starts_with(&format!("{p}/")));
    if node.kind == OutputKind::Directory {
        for child in &node.children {
            collect_selected(child, paths, out);
        }
    } else if selected {
        out.push(node);
    }
}

#[tauri::command]
pub async fn watch_transfers(
    state: State<'_, AppState>,
    on_event: Channel<TransferEvent>,
) -> Result<()> {
    state
        .progress
        .subscribe(on_event, state.transfers.snapshots()?);
    Ok(())
}

#[tauri::command]
pub async fn pause_batch(state: State<'_, AppState>, batch_id: BatchId) -> Result<()> {
    state.transfers.pause(batch_id)
}

#[tauri::command]
pub async fn resume_batch(state: State<'_, AppState>, batch_id: BatchId) -> Result<()> {
    state.transfers.resume(batch_id)
}

#[tauri::command]
pub async fn cancel_batch(state: State<'_, AppState>, batch_id: BatchId) -> Result<()> {
    state.transfers.cancel(batch_id)
}

#[tauri::command]
pub async fn retry_failed(state: State<'_, AppState>, batch_id: BatchId) -> Result<()> {
    state.transfers.retry_failed(batch_id)
}

#[tauri::command]
pub async fn pause_item(
    state: State<'_, AppState>,
    batch_id: BatchId,
    item_id: ItemId,
) -> Result<()> {
    state.transfers.pause_item(batch_id, item_id)
}

#[tauri::command]
pub async fn resume_item(
    state: State<'_, AppState>,
    batch_id: BatchId,
    item_id: ItemId,
) -> Result<()> {
    state.transfers.resume_item(batch_id, item_id)
}

#[tauri::command]
pub async fn cancel_item(
    state: State<'_, AppState>,
    batch_id: BatchId,
    item_id: ItemId,
) -> Result<()> {
    state.transfers.cancel_item(batch_id, item_id)
}

/// The bandwidth limit for all downloads together, in bytes per second (`null`: no limit).
#[tauri::command]
pub async fn bandwidth_limit(state: State<'_, AppState>) -> Result<Option<u64>> {
    Ok(state.transfers.bandwidth_limit())
}

/// Changes the bandwidth limit; it applies to running downloads at once and is kept for next time.
#[tauri::command]
pub async fn set_bandwidth_limit(
    app: AppHandle,
    state: State<'_, AppState>,
    bytes_per_second: Option<u64>,
) -> Result<()> {
    let limit = bytes_per_second.filter(|rate| *rate > 0);
    state.transfers.set_bandwidth_limit(limit);
    if state.demo.is_none() {
        crate::settings::save_bandwidth_limit(&app, limit);
    }
    Ok(())
}

#[tauri::command]
pub async fn open_folder(
    app: AppHandle,
    state: State<'_, AppState>,
    batch_id: BatchId,
) -> Result<()> {
    let root = state.transfers.batch(batch_id)?.root;
    app.opener()
        .open_path(root.display().to_string(), None::<&str>)
        .map_err(|err| {
            Error::new(
                jobfetch_engine::ErrorCode::Internal,
                format!("Could not open {}: {err}", root.display()),
            )
        })
}

/// Continues the batches that were running when the app last stopped, listing again any folder
/// whose listing was cut short.
pub fn resume_interrupted(state: &AppState) -> Result<()> {
    for batch in state.transfers.resume_interrupted()? {
        let row = state.transfers.batch(batch)?;
        if row.listing_complete || row.source.contains('#') {
            continue;
        }
        let origin = match row.origin.clone() {
            Some(origin) => origin,
            None => desaccess_origin(None, OriginScope::Whole)?,
        };
        let (transfers, client) = (state.transfers.clone(), state.client.clone());
        tauri::async_runtime::spawn(async move {
            let parent = row
                .root
                .parent()
                .map(|p| p.to_path_buf())
                .unwrap_or_default();
            let listed =
                match folder::prepare(&transfers, &origin, None, &row.source, &parent).await {
                    Ok(prepared) => {
                        folder::list_into(&transfers, &client, &prepared, LISTING_CONCURRENCY).await
                    }
                    Err(err) => Err(err),
                };
            if let Err(err) = listed {
                let _ = transfers.add_problem(batch, "", &err);
            }
        });
    }
    Ok(())
}
