//! Where each account's downloads go: the user's `Downloads/Jobfetch` until they choose another folder
//! with the native folder dialog (remembered per account); and showing downloads in the file manager.

use std::path::{Path, PathBuf};

use jobfetch_engine::ids::{AccountId, JobRef};
use jobfetch_engine::{Error, ErrorCode, Result};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use crate::state::AppState;

/// Set to a folder, the folder dialog is not shown and this is its answer: how end-to-end tests, which
/// cannot click in a native dialog, choose a folder at the plugin's boundary.
const INJECTED_CHOICE: &str = "JOBFETCH_TEST_CHOOSE_FOLDER";

/// The folder the account's downloads go to.
#[tauri::command]
pub async fn download_folder(state: State<'_, AppState>, account: AccountId) -> Result<String> {
    Ok(state.prefs.folder_of(&account).display().to_string())
}

/// The bytes the account's download folder's disk can still take, for a warning before a batch that
/// won't fit.
#[tauri::command]
pub async fn free_space(state: State<'_, AppState>, account: AccountId) -> Result<u64> {
    jobfetch_engine::disk_space::free_bytes(&state.prefs.folder_of(&account))
}

/// Asks for a new download folder for the account with the system's folder dialog, opened in the
/// current one; remembers and returns the choice, or `None` when the dialog was cancelled.
#[tauri::command]
pub async fn choose_download_folder(
    app: AppHandle,
    state: State<'_, AppState>,
    account: AccountId,
) -> Result<Option<String>> {
    let current = state.prefs.folder_of(&account);
    let Some(folder) = pick_folder(&app, &current).await? else {
        return Ok(None);
    };
    std::fs::create_dir_all(&folder).map_err(|err| Error::disk("create", &folder, err))?;
    state.prefs.set_folder(&account, Some(folder.clone()));
    Ok(Some(folder.display().to_string()))
}

/// The folder dialog's answer (or the injected one).
async fn pick_folder(app: &AppHandle, current: &Path) -> Result<Option<PathBuf>> {
    if let Some(injected) = std::env::var_os(INJECTED_CHOICE).filter(|v| !v.is_empty()) {
        return Ok(Some(PathBuf::from(injected)));
    }
    let (answer, answered) = tokio::sync::oneshot::channel();
    let mut dialog = app
        .dialog()
        .file()
        .set_title("Choose where Jobfetch saves this account's downloads");
    // The dialog opens in the current folder, or the nearest one that exists.
    if let Some(existing) = current.ancestors().find(|dir| dir.is_dir()) {
        dialog = dialog.set_directory(existing);
    }
    dialog.pick_folder(move |chosen| {
        let _ = answer.send(chosen);
    });
    let chosen = answered.await.unwrap_or(None);
    chosen
        .map(|path| {
            path.into_path().map_err(|err| {
                Error::invalid_input(format!(
                    "The folder dialog gave a place that is not a local folder ({err}); choose a folder on this computer."
                ))
            })
        })
        .transpose()
}

/// Opens the batch's folder in the system file manager.
#[tauri::command]
pub async fn open_folder(
    app: AppHandle,
    state: State<'_, AppState>,
    batch_id: jobfetch_engine::transfer::BatchId,
) -> Result<()> {
    let root = existing(state.desk.transfers.batch(batch_id)?.root)?;
    app.opener()
        .open_path(root.display().to_string(), None::<&str>)
        .map_err(|err| no_file_manager(&root, "open the folder", err))
}

/// Shows a downloaded output of a job in the file manager, selected in its folder.
#[tauri::command]
pub async fn show_in_folder(
    app: AppHandle,
    state: State<'_, AppState>,
    account: AccountId,
    job_id: String,
    path: String,
) -> Result<()> {
    let job = state.desk.listed(&JobRef {
        account,
        job: job_id,
    })?;
    let local = job.local_copy(&path)?.ok_or_else(|| {
        Error::new(
            ErrorCode::NotFound,
            format!("{path} is not downloaded yet: download it first, then show it in its folder."),
        )
    })?;
    let local = existing(local)?;
    app.opener()
        .reveal_item_in_dir(&local)
        .map_err(|err| no_file_manager(&local, "show the file", err))
}

/// `path`, or a clear error when it is gone.
fn existing(path: PathBuf) -> Result<PathBuf> {
    if path.exists() {
        return Ok(path);
    }
    Err(Error::new(
        ErrorCode::NotFound,
        format!(
            "{} is not there any more (moved or deleted?). Download the job again to fetch its files.",
            path.display()
        ),
    ))
}

/// The error when no file manager answered: the path, to copy and open by hand.
fn no_file_manager(path: &Path, what: &str, err: tauri_plugin_opener::Error) -> Error {
    tracing::warn!(
        "no file manager answered to {what} {}: {err}",
        path.display()
    );
    Error::new(
        ErrorCode::NoOpener,
        format!(
            "No file manager answered to {what}. Copy its path and open it yourself: {}",
            path.display()
        ),
    )
}
