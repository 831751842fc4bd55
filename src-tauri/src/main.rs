//! The Jobfetch desktop app: wires the engine, the keyring and the settings store into a Tauri window.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod demo;
mod downloads;
mod listed;
mod previews;
mod progress;
mod secrets;
mod settings;
mod shutdown;
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
        .plugin(tauri_plugin_opener::init())
        .register_asynchronous_uri_scheme_protocol(previews::SCHEME, previews::serve)
        .setup(|app| {
            shutdown::exit_on_signals(app.handle());
            let demo = if demo::requested() {
                Some(tauri::async_runtime::block_on(demo::start())?)
            } else {
                None
            };
            let (data_dir, download_dir) = match &demo {
                Some(demo) => (demo.scratch.join("data"), demo.scratch.join("downloads")),
                None => (app.path().app_data_dir()?, settings::download_dir()),
            };
            let state = tauri::async_runtime::block_on(async {
                let state = state::AppState::new(demo, &data_dir, download_dir)?;
                downloads::resume_interrupted(&state)?;
                Ok::<_, jobfetch_engine::Error>(state)
            })?;
            if demo::slow_requested() {
                state
                    .transfers
                    .set_bandwidth_limit(Some(demo::SLOW_BYTES_PER_SECOND));
            } else if state.demo.is_none() {
                state
                    .transfers
                    .set_bandwidth_limit(settings::bandwidth_limit(app.handle()));
            }
            app.manage(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::startup_state,
            commands::sign_in,
            commands::resume_session,
            commands::sign_out,
            commands::list_jobs,
            commands::job_outputs,
            downloads::download_folder,
            downloads::start_download,
            downloads::watch_transfers,
            downloads::pause_batch,
            downloads::resume_batch,
            downloads::cancel_batch,
            downloads::retry_failed,
            downloads::pause_item,
            downloads::resume_item,
            downloads::cancel_item,
            downloads::open_folder,
            downloads::bandwidth_limit,
            downloads::set_bandwidth_limit,
            previews::preview_details,
            previews::cancel_previews,
            previews::downloaded_outputs,
        ])
        .build(tauri::generate_context!());
    match result {
        Ok(app) => app.run(shutdown::on_event),
        Err(err) => {
            eprintln!("Jobfetch could not start: {err}");
            std::process::exit(1);
        }
    }
}
