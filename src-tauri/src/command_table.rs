// The one list of the app's IPC commands: main.rs registers them, build.rs gives each a permission and
// writes the main window's capability from it, and a test writes the UI's `Command` type from it.

/// Calls `$then!` with every command's path, `module::command`.
macro_rules! with_commands {
    ($then:ident) => {
        $then! {
            commands::startup_state,
            commands::add_account,
            commands::sign_in,
            commands::resume_session,
            commands::sign_out,
            commands::remove_account,
            commands::list_jobs,
            commands::search_jobs,
            commands::job_outputs,
            commands::job_footprints,
            commands::last_job,
            commands::remember_job,
            folders::download_folder,
            folders::choose_download_folder,
            folders::free_space,
            downloads::start_download,
            files::open_file,
            files::download_file,
            follow::download_when_finished,
            follow::followed_jobs,
            follow::stop_following,
            downloads::watch_transfers,
            downloads::pause_batch,
            downloads::resume_batch,
            downloads::cancel_batch,
            downloads::retry_failed,
            downloads::pause_item,
            downloads::resume_item,
            downloads::cancel_item,
            folders::open_folder,
            folders::show_in_folder,
            downloads::bandwidth_limit,
            downloads::set_bandwidth_limit,
            previews::preview_details,
            previews::cancel_previews,
            previews::downloaded_outputs,
            diagnostics::diagnostics_report,
            launch::keep_downloading,
            launch::quit,
            demo::open_demo,
        }
    };
}
