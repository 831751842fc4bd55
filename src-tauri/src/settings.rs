//! Non-secret preferences (the last account used) in the Tauri settings store.

use jobfetch_engine::providers::desaccess::DesAccessAccount;
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::StoreExt;

const STORE_FILE: &str = "settings.json";
const ACCOUNT_KEY: &str = "desaccessAccount";
const BANDWIDTH_KEY: &str = "bandwidthLimit";

/// The account signed in to last time, if any and if readable.
pub fn saved_account<R: Runtime>(app: &AppHandle<R>) -> Option<DesAccessAccount> {
    let store = app.store(STORE_FILE).ok()?;
    serde_json::from_value(store.get(ACCOUNT_KEY)?).ok()
}

/// The bandwidth limit chosen last time, in bytes per second (`None`: no limit).
pub fn bandwidth_limit<R: Runtime>(app: &AppHandle<R>) -> Option<u64> {
    app.store(STORE_FILE).ok()?.get(BANDWIDTH_KEY)?.as_u64()
}

/// Remembers the bandwidth limit for the next start.
pub fn save_bandwidth_limit<R: Runtime>(app: &AppHandle<R>, limit: Option<u64>) {
    save(app, BANDWIDTH_KEY, serde_json::json!(limit));
}

/// Remembers the account (address, username, database; never the password).
pub fn save_account<R: Runtime>(app: &AppHandle<R>, account: &DesAccessAccount) {
    save(
        app,
        ACCOUNT_KEY,
        serde_json::to_value(account).expect("accounts serialize"),
    );
}

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
