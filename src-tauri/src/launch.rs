//! The main window's life on the desktop: one Jobfetch at a time (a second launch brings the window to
//! the front and hands it its links), and the question when the window closes while downloads run.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use jobfetch_engine::Result;
use tauri::{AppHandle, Emitter, Manager, State, Window, WindowEvent};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

use crate::activity::Activity;
use crate::links::{requests, OpenRequest};

/// The window event that carries what a later launch asked to open.
pub const OPEN_EVENT: &str = "open-request";
/// The window event that asks whether to keep downloading with the window closed; carries the number
/// of batches running.
pub const CLOSE_EVENT: &str = "close-requested";

/// The window or the tray said to quit even though downloads run.
static QUIT_CONFIRMED: AtomicBool = AtomicBool::new(false);

/// Brings the main window to the front, shown again if it was closed to the background.
pub fn show_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        for (what, result) in [
            ("show", window.show()),
            ("unminimize", window.unminimize()),
            ("focus", window.set_focus()),
        ] {
            if let Err(err) = result {
                tracing::warn!("could not {what} the window: {err}");
            }
        }
    }
}

/// A second launch of Jobfetch (a double-click on its icon, a `jobfetch://` link, a file opened with
/// it) ran while this one runs, in `cwd`: it exits, and this window comes forward with what it was
/// asked to open.
pub fn on_second_launch(app: &AppHandle, args: Vec<String>, cwd: String) {
    tracing::info!("Jobfetch was launched again: bringing this window forward");
    show_window(app);
    for request in requests(args.get(1..).unwrap_or_default(), Path::new(&cwd)) {
        if let Err(err) = app.emit(OPEN_EVENT, &request) {
            tracing::warn!("could not hand the window a link: {err}");
        }
    }
}

/// How many times this launch started over because the running Jobfetch was closing (see [`start_over`]).
const ATTEMPT_VARIABLE: &str = "JOBFETCH_LAUNCH_ATTEMPT";
const MOST_ATTEMPTS: u32 = 5;

/// A launch that found another Jobfetch running which then did not take its arguments (it was closing
/// as this one started) starts over in its place, up to a few times, instead of failing: once the other
/// has gone, this one is the first. Returns only when it cannot start over.
pub fn start_over(why: &str) {
    let attempt: u32 = std::env::var(ATTEMPT_VARIABLE)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    if attempt >= MOST_ATTEMPTS {
        return;
    }
    tracing::warn!(
        "the running Jobfetch did not answer ({why}); it may be closing: starting again"
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let Ok(program) = std::env::current_exe() else {
            return;
        };
        let failure = std::process::Command::new(program)
            .args(std::env::args_os().skip(1))
            .env(ATTEMPT_VARIABLE, (attempt + 1).to_string())
            .exec();
        tracing::warn!("could not start Jobfetch again: {failure}");
    }
}

/// What this launch was asked to open.
pub fn first_launch_requests() -> Vec<OpenRequest> {
    let cwd = std::env::current_dir().unwrap_or_default();
    requests(&std::env::args().skip(1).collect::<Vec<_>>(), &cwd)
}

/// What the window-state plugin remembers of the window: all but whether it shows, so a window closed
/// to the background opens visible next time.
pub fn remembered_window_state() -> StateFlags {
    StateFlags::all() - StateFlags::VISIBLE
}

/// Counts the window's moves and resizes, so only the last of a burst is saved.
static GEOMETRY_CHANGES: AtomicU64 = AtomicU64::new(0);

/// The window's size and place are saved a second after it stops moving, not only at a clean exit: an
/// app that is killed or crashes still opens where it was left.
fn save_geometry_soon(window: &Window) {
    let change = GEOMETRY_CHANGES.fetch_add(1, Ordering::SeqCst) + 1;
    let app = window.app_handle().clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        if GEOMETRY_CHANGES.load(Ordering::SeqCst) != change {
            return;
        }
        // On the main thread, where the plugin reads the window and handles its events: from another
        // thread it would wait for the main thread while holding its cache, which those events need.
        let saver = app.clone();
        let queued = app.run_on_main_thread(move || {
            if let Err(err) = saver.save_window_state(remembered_window_state()) {
                tracing::warn!("could not save the window's size and place: {err}");
            }
        });
        if let Err(err) = queued {
            tracing::warn!("could not save the window's size and place: {err}");
        }
    });
}

/// Closing the window while batches download asks first (the window answers with [`keep_downloading`]
/// or [`quit`]); otherwise the window closes and the app ends. Moves and resizes are saved.
pub fn on_window_event(window: &Window, event: &WindowEvent) {
    if matches!(event, WindowEvent::Moved(_) | WindowEvent::Resized(_)) {
        save_geometry_soon(window);
        return;
    }
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let running = window
        .app_handle()
        .try_state::<Arc<Activity>>()
        .map_or(0, |activity| activity.running());
    if running > 0 && !QUIT_CONFIRMED.load(Ordering::SeqCst) {
        api.prevent_close();
        if let Err(err) = window.emit(CLOSE_EVENT, running) {
            tracing::warn!("could not ask the window about closing: {err}");
        }
    }
}

/// Hides the window and keeps downloading; the tray, the notifications and a new launch bring it back.
#[tauri::command]
pub fn keep_downloading(app: AppHandle, activity: State<'_, Arc<Activity>>) -> Result<()> {
    if let Some(window) = app.get_webview_window("main") {
        window.hide().map_err(|err| {
            jobfetch_engine::Error::new(
                jobfetch_engine::ErrorCode::Internal,
                format!(
                    "Could not hide the window ({err}); minimise it instead: the downloads go on."
                ),
            )
        })?;
    }
    activity.notify(
        "Jobfetch keeps downloading",
        "Open Jobfetch again (from its icon, or the tray) to see the downloads; you are told when they end.",
    );
    Ok(())
}

/// Quits although downloads run; they continue where they stopped the next time Jobfetch starts.
#[tauri::command]
pub fn quit(app: AppHandle) {
    QUIT_CONFIRMED.store(true, Ordering::SeqCst);
    app.exit(0);
}
