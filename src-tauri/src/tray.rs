//! The status indicator (tray icon), where the desktop has one: how many downloads run, and a menu to
//! bring the window back or quit while the window is closed and downloads go on.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Wry};

/// The libraries GTK desktops show status icons through; Tauri's tray panics without one, so the tray
/// is made only when one loads.
const INDICATOR_LIBRARIES: [&str; 2] = ["libayatana-appindicator3.so.1", "libappindicator3.so.1"];

/// The tray icon and its status line.
pub struct Tray {
    icon: TrayIcon<Wry>,
    status: MenuItem<Wry>,
}

impl Tray {
    /// Puts the icon in the tray, or `None` (logged) where the desktop has no status indicator.
    pub fn install(app: &AppHandle) -> Option<Tray> {
        if cfg!(target_os = "linux") && !indicator_library_loads() {
            tracing::info!("no status indicator library (libayatana-appindicator3): no tray icon");
            return None;
        }
        match build(app) {
            Ok(tray) => Some(tray),
            Err(err) => {
                tracing::warn!("could not put Jobfetch in the tray: {err}");
                None
            }
        }
    }

    /// Shows how many downloads run and how far they are.
    pub fn show_activity(&self, activity: &str) {
        let tooltip = format!("Jobfetch: {activity}");
        if let Err(err) = self
            .status
            .set_text(activity)
            .and_then(|()| self.icon.set_tooltip(Some(&tooltip)))
        {
            tracing::debug!("could not update the tray: {err}");
        }
    }
}

fn build(app: &AppHandle) -> tauri::Result<Tray> {
    let status = MenuItem::with_id(app, "status", "No downloads running", false, None::<&str>)?;
    let show = MenuItem::with_id(app, "show", "Show Jobfetch", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Jobfetch", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[&status, &PredefinedMenuItem::separator(app)?, &show, &quit],
    )?;
    let mut builder = TrayIconBuilder::with_id("main")
        .tooltip("Jobfetch")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "show" => crate::launch::show_window(app),
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    Ok(Tray {
        icon: builder.build(app)?,
        status,
    })
}

fn indicator_library_loads() -> bool {
    INDICATOR_LIBRARIES.iter().any(|name| {
        // SAFETY: loading a system library runs its initialisers, as Tauri's tray would right after.
        unsafe { libloading::Library::new(name) }.is_ok()
    })
}
