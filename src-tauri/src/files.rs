//! Files handed to the window (by a launch, or dropped on it) that an archive made for downloading:
//! what they hold, then their batch in the download folder of the account that signs them.

use std::path::Path;

use jobfetch_appkit::opened_file::OpenedFile;
use jobfetch_engine::transfer::BatchId;
use jobfetch_engine::Result;
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::state::AppState;

/// A handed file and where its files would go, for the window to ask before downloading.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FileOffer {
    pub file: OpenedFile,
    /// The folder its files go in.
    pub folder: String,
}

/// What the file at `path` holds, which archive made it and where its files would go; nothing is
/// downloaded.
#[tauri::command]
pub async fn open_file(state: State<'_, AppState>, path: String) -> Result<FileOffer> {
    let file = state.desk.open_file(Path::new(&path))?;
    let folder = state.prefs.folder_for(file.account.as_ref());
    Ok(FileOffer {
        folder: folder.join(&file.folder).display().to_string(),
        file,
    })
}

/// Starts (or continues) downloading the files the file at `path` lists, into the download folder of
/// the account that signs them (the default folder when none does).
#[tauri::command]
pub async fn download_file(state: State<'_, AppState>, path: String) -> Result<BatchId> {
    state
        .desk
        .download_file(Path::new(&path), |account| state.prefs.folder_for(account))
        .await
}
