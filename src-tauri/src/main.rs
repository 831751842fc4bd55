//! The Jobfetch desktop app: wires the engine, the keyring and the settings store into a Tauri window.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod demo;
mod secrets;
mod settings;
mod state;

use tauri::Manager;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("JOBFETCH_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    if let Err(message) = demo::check_display() {
        eprintln!("{message}");
        std::process::exit(2);
    }
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::new().build())
        .setup(|app| {
            let demo = if demo::requested() {
                Some(tauri::async_runtime::block_on(demo::start())?)
            } else {
                None
            };
            app.manage(state::AppState::new(demo)?);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::startup_state,
            commands::sign_in,
            commands::resume_session,
            commands::sign_out,
            commands::list_jobs,
            commands::job_outputs,
        ])
        .run(tauri::generate_context!());
    if let Err(err) = result {
        eprintln!("Jobfetch could not start: {err}");
        std::process::exit(1);
    }
}
