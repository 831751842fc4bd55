//! Non-secret preferences in the Tauri settings store: the accounts (without secrets), the active one,
//! and the bandwidth limit.

use jobfetch_appkit::accounts::{AccountBook, SavedAccounts};
use jobfetch_engine::{Error, ErrorCode, Result};
use tauri::{AppHandle, Runtime, Wry};
use tauri_plugin_store::StoreExt;

const STORE_FILE: &str = "settings.json";
const ACCOUNTS_KEY: &str = "accounts";
const BANDWIDTH_KEY: &str = "bandwidthLimit";

/// The accounts, kept in the settings store.
pub struct StoreBook {
    app: AppHandle<Wry>,
}

impl StoreBook {
    pub fn new(app: AppHandle<Wry>) -> Self {
        StoreBook { app }
    }
}

impl AccountBook for StoreBook {
    fn load(&self) -> Result<SavedAccounts> {
        let store = self.app.store(STORE_FILE).map_err(store_error)?;
        Ok(store
            .get(ACCOUNTS_KEY)
            .and_then(|value| serde_json::from_value(value).ok())
            .unwrap_or_default())
    }

    fn save(&self, accounts: &SavedAccounts) -> Result<()> {
        let store = self.app.store(STORE_FILE).map_err(store_error)?;
        store.set(
            ACCOUNTS_KEY,
            serde_json::to_value(accounts).expect("accounts serialize"),
        );
        store.save().map_err(store_error)
    }
}

fn store_error(err: tauri_plugin_store::Error) -> Error {
    Error::new(
        ErrorCode::Internal,
        format!("Could not use the settings file ({err}); check that the app's config folder is writable."),
    )
}

/// The bandwidth limit chosen last time, in bytes per second (`None`: no limit).
pub fn bandwidth_limit<R: Runtime>(app: &AppHandle<R>) -> Option<u64> {
    app.store(STORE_FILE).ok()?.get(BANDWIDTH_KEY)?.as_u64()
}

/// Remembers the bandwidth limit for the next start.
pub fn save_bandwidth_limit<R: Runtime>(app: &AppHandle<R>, limit: Option<u64>) {
    match app.store(STORE_FILE) {
        Ok(store) => {
            store.set(BANDWIDTH_KEY, serde_json::json!(limit));
            if let Err(err) = store.save() {
                tracing::warn!("could not save settings: {err}");
            }
        }
        Err(err) => tracing::warn!("could not open settings: {err}"),
    }
}

/// Where downloads go: `$JOBFETCH_DOWNLOAD_DIR`, else `Jobfetch` in the user's Downloads folder (or home).
pub fn download_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("JOBFETCH_DOWNLOAD_DIR").filter(|d| !d.is_empty()) {
        return dir.into();
    }
    dirs::download_dir()
        .or_else(dirs::home_dir)
        .unwrap_or_default()
        .join("Jobfetch")
}
