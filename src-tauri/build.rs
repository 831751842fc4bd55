//! Generates the Tauri context (config, icons, capabilities) at compile time, with a permission
//! for each of Jobfetch's commands: a window may call only the commands its capability allows.

/// Every command the UI may call; `allow-<name>` (in kebab-case) grants one in a capability.
const COMMANDS: &[&str] = &[
    "startup_state",
    "add_account",
    "sign_in",
    "resume_session",
    "sign_out",
    "remove_account",
    "list_jobs",
    "job_outputs",
    "download_folder",
    "start_download",
    "watch_transfers",
    "pause_batch",
    "resume_batch",
    "cancel_batch",
    "retry_failed",
    "pause_item",
    "resume_item",
    "cancel_item",
    "open_folder",
    "bandwidth_limit",
    "set_bandwidth_limit",
    "preview_details",
    "cancel_previews",
    "downloaded_outputs",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    if let Err(err) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
    {
        panic!("tauri-build failed: {err:#}");
    }
}
