//! The Jobfetch desktop app: wires the engine, the keyring and the settings store into a Tauri window.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[macro_use]
mod command_table;
mod activity;
mod commands;
mod demo;
mod diagnostics;
mod downloads;
mod files;
mod folders;
mod follow;
mod launch;
mod links;
mod memory;
mod prefs;
mod previews;
mod progress;
mod rendering;
mod settings;
mod shutdown;
mod state;
mod storage;
mod tray;

use tauri::Manager;

/// Registers the commands [`with_commands`] lists.
macro_rules! handler {
    ($($module:ident :: $command:ident),* $(,)?) => {
        tauri::generate_handler![$($module::$command),*]
    };
}

fn main() {
    memory::return_large_blocks();
    rendering::choose_compositing();
    let context = tauri::generate_context!();
    let logs = diagnostics::log_dir(&context.config().identifier);
    let diagnostics =
        match jobfetch_appkit::diagnostics::Diagnostics::install(&logs, "JOBFETCH_LOG") {
            Ok(diagnostics) => diagnostics,
            Err(err) => {
                eprintln!("Jobfetch could not start: {}", err.message);
                std::process::exit(1);
            }
        };
    if let Err(message) = demo::check_display() {
        eprintln!("{message}");
        std::process::exit(2);
    }
    let demo_requested = demo::requested();
    let mut builder = tauri::Builder::default();
    // The demo runs beside an installed Jobfetch (`make run`, the tests): only the real app is one of a kind.
    if !demo_requested {
        builder = builder.plugin(tauri_plugin_single_instance::init(launch::on_second_launch));
    }
    let result = builder
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(launch::remembered_window_state())
                .build(),
        )
        .plugin(tauri_plugin_store::Builder::new().build())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .register_asynchronous_uri_scheme_protocol(previews::SCHEME, previews::serve)
        .on_window_event(launch::on_window_event)
        .setup(move |app| {
            shutdown::exit_on_signals(app.handle());
            diagnostics::report_failures_to(&diagnostics, app.handle().clone());
            app.manage(diagnostics);
            let demo = if demo_requested {
                Some(tauri::async_runtime::block_on(demo::start())?)
            } else {
                None
            };
            let (data_dir, prefs) = match &demo {
                Some(demo) => (
                    demo.scratch.join("data"),
                    prefs::Preferences::for_this_run(demo.scratch.join("downloads")),
                ),
                None => (
                    app.path().app_data_dir()?,
                    prefs::Preferences::saved(settings::download_dir(), app.handle().clone()),
                ),
            };
            // The demo's accounts live and die with its scratch folder, never in the real settings.
            let book: std::sync::Arc<dyn jobfetch_appkit::accounts::AccountBook> = match &demo {
                Some(demo) => std::sync::Arc::new(jobfetch_appkit::accounts::JsonFileBook::new(
                    &demo.scratch.join("accounts.json"),
                )),
                None => std::sync::Arc::new(settings::StoreBook::new(app.handle().clone())),
            };
            let state = tauri::async_runtime::block_on(async {
                state::AppState::new(demo, &data_dir, prefs, book)
            })?;
            if demo::slow_requested() {
                state
                    .desk
                    .transfers
                    .set_bandwidth_limit(Some(demo::SLOW_BYTES_PER_SECOND));
            } else if state.demo.is_none() {
                state
                    .desk
                    .transfers
                    .set_bandwidth_limit(settings::bandwidth_limit(app.handle()));
            }
            let activity = std::sync::Arc::new(activity::Activity::new(
                app.handle().clone(),
                tray::Tray::install(app.handle()),
            ));
            state.desk.transfers.observe(activity.clone());
            app.manage(activity);
            app.manage(std::sync::Arc::new(follow::Followed::default()));
            app.manage(state);
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                downloads::resume_interrupted(&handle.state::<state::AppState>()).await;
                downloads::unpack_pending_batches(&handle);
            });
            Ok(())
        })
        .invoke_handler(with_commands!(handler))
        .build(context);
    match result {
        Ok(app) => app.run(shutdown::on_event),
        Err(tauri::Error::PluginInitialization(plugin, why)) if plugin == "single-instance" => {
            launch::start_over(&why);
            eprintln!("Jobfetch could not start: another Jobfetch runs and did not answer ({why}). Close it, then start Jobfetch again.");
            std::process::exit(1);
        }
        Err(err) => {
            eprintln!("Jobfetch could not start: {err}");
            std::process::exit(1);
        }
    }
}
