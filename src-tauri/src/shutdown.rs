//! Ending the app cleanly: SIGTERM and SIGINT (Ctrl-C) close it as its window does, and the exit removes the demo's scratch folder.

use tauri::{AppHandle, Manager, RunEvent};

use crate::state::AppState;

/// Exits the event loop on SIGTERM or SIGINT, so the app ends through [`on_event`] as on a normal exit.
/// The signals are watched from the moment this returns, so one that comes during setup counts too.
#[cfg(unix)]
pub fn exit_on_signals(app: &AppHandle) {
    use tokio::signal::unix::{signal, SignalKind};
    let watched = tauri::async_runtime::block_on(async {
        Ok::<_, std::io::Error>((
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        ))
    });
    let (mut terminate, mut interrupt) = match watched {
        Ok(both) => both,
        Err(err) => {
            tracing::warn!(
                "cannot watch for SIGTERM and SIGINT ({err}); they end the app without cleaning up"
            );
            return;
        }
    };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        tracing::info!("asked to stop; exiting");
        app.exit(0);
    });
}

/// Exits the event loop on Ctrl-C, so the app ends through [`on_event`] as on a normal exit.
#[cfg(not(unix))]
pub fn exit_on_signals(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            app.exit(0);
        }
    });
}

/// Handles the event loop's events. The process exits right after [`RunEvent::Exit`] without dropping
/// the app's state, so what must not outlive the app is removed there: in demo mode, the accounts added
/// (their secrets leave the keyring) and the scratch folder.
pub fn on_event(app: &AppHandle, event: RunEvent) {
    if let RunEvent::Exit = event {
        let Some(state) = app.try_state::<AppState>() else {
            return;
        };
        if let Some(demo) = state.demo.as_ref() {
            let desk = &state.desk;
            tauri::async_runtime::block_on(async {
                for account in desk
                    .accounts()
                    .map(|saved| saved.accounts)
                    .unwrap_or_default()
                {
                    if let Err(err) = desk.remove_account(&account.id).await {
                        tracing::warn!("could not forget the demo's account {}: {err}", account.id);
                    }
                }
            });
            demo.remove_scratch();
        }
    }
}
