//! Non-secret preferences in the Tauri settings store: the accounts (without secrets), the active one,
//! each account's preferences (download folder, last job), the bandwidth limit, and the batches to
//! unpack when done.

use std::collections::{BTreeMap, BTreeSet};

use jobfetch_appkit::accounts::{AccountBook, SavedAccounts};
use jobfetch_engine::ids::AccountId;
use jobfetch_engine::transfer::BatchId;

use crate::prefs::AccountPrefs;
use jobfetch_engine::{Error, ErrorCode, Result};
use tauri::{AppHandle, Runtime, Wry};
use tauri_plugin_store::StoreExt;

const STORE_FILE: &str = "settings.json";
const ACCOUNTS_KEY: &str = "accounts";
const BANDWIDTH_KEY: &str = "bandwidthLimit";
const ACCOUNT_PREFS_KEY: &str = "accountPrefs";
const UNPACK_PENDING_KEY: &str = "unpackWhenDone";

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
    save(app, BANDWIDTH_KEY, serde_json::json!(limit));
}

/// Each account's preferences.
pub fn account_prefs<R: Runtime>(app: &AppHandle<R>) -> BTreeMap<AccountId, AccountPrefs> {
    app.store(STORE_FILE)
        .ok()
        .and_then(|store| store.get(ACCOUNT_PREFS_KEY))
        .and_then(|value| serde_json::from_value(value).ok())
        .unwrap_or_default()
}

/// Remembers each account's preferences.
pub fn save_account_prefs<R: Runtime>(
    app: &AppHandle<R>,
    prefs: &BTreeMap<AccountId, AccountPrefs>,
) {
    save(app, ACCOUNT_PREFS_KEY, serde_json::json!(prefs));
}

/// The batches whose result archives are to be unpacked once every file has arrived.
pub fn unpack_pending<R: Runtime>(app: &AppHandle<R>) -> BTreeSet<BatchId> {
    app.store(STORE_FILE)
        .ok()
        .and_then(|store| store.get(UNPACK_PENDING_KEY))
        .and_then(|value| serde_json::from_value(value).ok())
        .unwrap_or_default()
}

/// Remembers which batches are to be unpacked when done, so a restart still unpacks them.
pub fn save_unpack_pending<R: Runtime>(app: &AppHandle<R>, batches: &BTreeSet<BatchId>) {
    save(app, UNPACK_PENDING_KEY, serde_json::json!(batches));
}

/// Sets one setting and writes the file, warning (not failing) when it cannot: a preference lost is
/// not worth stopping a download for.
fn save<R: Runtime>(app: &AppHandle<R>, key: &str, value: serde_json::Value) {
    match app.store(STORE_FILE) {
        Ok(store) => {
            store.set(key, value);
            if let Err(err) = store.save() {
                tracing::warn!("could not save settings: {err}");
            }
        }
        Err(err) => tracing::warn!("could not open settings: {err}"),
    }
}

/// Where downloads go by default: `$JOBFETCH_DOWNLOAD_DIR`, else `Jobfetch` in the user's download folder
/// (XDG_DOWNLOAD_DIR, or `~/Downloads` where the desktop names none).
pub fn download_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("JOBFETCH_DOWNLOAD_DIR").filter(|d| !d.is_empty()) {
        return dir.into();
    }
    dirs::download_dir()
        .or_else(|| dirs::home_dir().map(|home| home.join("Downloads")))
        .unwrap_or_else(std::env::temp_dir)
        .join("Jobfetch")
}
