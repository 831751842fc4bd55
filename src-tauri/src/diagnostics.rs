//! The app's diagnostics: its log folder, panics told to the window as they happen, and the text
//! "Copy diagnostics" gives (versions, system, account kinds, last errors; never a secret).

use std::collections::BTreeMap;
use std::path::PathBuf;

use jobfetch_appkit::diagnostics::Diagnostics;
use jobfetch_engine::Result;
use tauri::{AppHandle, Emitter, State};

use crate::state::AppState;

/// The window event that carries a panic's sentence.
pub const FAILURE_EVENT: &str = "background-failure";

/// Where the app's logs go: the app log folder Tauri names on Linux, `<data dir>/<identifier>/logs`
/// (`~/.local/share/org.jobfetch.desktop/logs`), known before Tauri starts so the start is logged too.
pub fn log_dir(identifier: &str) -> PathBuf {
    dirs::data_local_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join(identifier)
        .join("logs")
}

/// Tells the window of every panic from now on.
pub fn report_failures_to(diagnostics: &Diagnostics, app: AppHandle) {
    diagnostics.on_failure(move |sentence| {
        let _ = app.emit(FAILURE_EVENT, sentence.to_string());
    });
}

/// What a bug report needs, as text to paste.
#[tauri::command]
pub fn diagnostics_report(
    app: AppHandle,
    state: State<'_, AppState>,
    diagnostics: State<'_, Diagnostics>,
) -> Result<String> {
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for account in state.desk.accounts()?.accounts {
        let name = state
            .desk
            .registry()
            .get(&account.provider)
            .map_or(account.provider.to_string(), |p| p.info().name.clone());
        *kinds.entry(name).or_default() += 1;
    }
    let accounts = match kinds.is_empty() {
        true => "none".to_string(),
        false => kinds
            .iter()
            .map(|(name, count)| format!("{name} × {count}"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let facts = [
        (
            "Jobfetch".to_string(),
            app.package_info().version.to_string(),
        ),
        ("Tauri".to_string(), tauri::VERSION.to_string()),
        (
            "Window drawing".to_string(),
            crate::rendering::description().to_string(),
        ),
        ("Demo archive".to_string(), state.demo.is_some().to_string()),
        ("Accounts".to_string(), accounts),
    ];
    Ok(diagnostics.report(&facts))
}
