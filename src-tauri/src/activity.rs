//! What the downloads are doing, told outside the window: the tray's status line, and a desktop
//! notification when a batch ends while the window is not in front (or one the user asked to hear of).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use jobfetch_engine::transfer::{BatchId, BatchSnapshot, BatchState, Observer};
use jobfetch_engine::units::human_size;
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::tray::Tray;

/// Follows the batches' states from snapshot to snapshot.
pub struct Activity {
    app: AppHandle,
    tray: Option<Tray>,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    states: BTreeMap<BatchId, BatchState>,
    /// Batches whose end is told even with the window in front ("Download when finished").
    announced: BTreeSet<BatchId>,
    running: usize,
    /// What the tray says now.
    tray_line: String,
}

impl Activity {
    pub fn new(app: AppHandle, tray: Option<Tray>) -> Self {
        Activity {
            app,
            tray,
            seen: Mutex::default(),
        }
    }

    /// The number of batches downloading now.
    pub fn running(&self) -> usize {
        self.seen.lock().expect("activity lock").running
    }

    /// Tells of the batch's end even when the window is in front; at once if it has ended already (a
    /// small batch may be done before its starter gets here).
    pub fn announce_end_of(&self, batch: &BatchSnapshot) {
        let ended = {
            let mut seen = self.seen.lock().expect("activity lock");
            let ended = seen
                .states
                .get(&batch.id)
                .is_some_and(|state| *state != BatchState::Running);
            if !ended {
                seen.announced.insert(batch.id);
            }
            ended
        };
        if let Some((title, body)) = end_message(batch).filter(|_| ended) {
            self.notify(&title, &body);
        }
    }

    /// Sends a desktop notification; a desktop without a notification service only loses the message.
    pub fn notify(&self, title: &str, body: &str) {
        tracing::info!("notification: {title}: {body}");
        if let Err(err) = self
            .app
            .notification()
            .builder()
            .title(title)
            .body(body)
            .show()
        {
            tracing::warn!("could not show the notification {title:?}: {err}");
        }
    }

    fn window_in_front(&self) -> bool {
        self.app.get_webview_window("main").is_some_and(|window| {
            window.is_visible().unwrap_or(false) && window.is_focused().unwrap_or(false)
        })
    }
}

impl Observer for Activity {
    fn snapshot(&self, batches: &[BatchSnapshot]) {
        let mut ended = Vec::new();
        let (running, tray_line) = {
            let mut seen = self.seen.lock().expect("activity lock");
            for batch in batches {
                let before = seen.states.insert(batch.id, batch.state);
                // Ended since the last look; or announced, and ended before it was ever seen running.
                let was_running = before == Some(BatchState::Running)
                    || (before.is_none() && seen.announced.contains(&batch.id));
                if was_running && batch.state != BatchState::Running {
                    let announced = seen.announced.remove(&batch.id);
                    ended.push((batch, announced));
                }
            }
            let running: Vec<&BatchSnapshot> = batches
                .iter()
                .filter(|batch| batch.state == BatchState::Running)
                .collect();
            seen.running = running.len();
            let line = describe_running(&running);
            let changed = seen.tray_line != line;
            seen.tray_line = line;
            // The tray is told outside the lock: it waits for the main thread, whose window events
            // read the running count under this lock.
            (running.len(), changed.then(|| seen.tray_line.clone()))
        };
        if let (Some(tray), Some(line)) = (&self.tray, tray_line) {
            tray.show_activity(&line);
        }
        let in_front = !ended.is_empty() && self.window_in_front();
        for (batch, announced) in ended {
            if let Some((title, body)) = end_message(batch).filter(|_| announced || !in_front) {
                self.notify(&title, &body);
            }
        }
        tracing::trace!(running, "batches");
    }
}

/// The tray's status line for the batches running: how many, and how far in whole percent (so it
/// changes a hundred times a download, not with every snapshot).
fn describe_running(running: &[&BatchSnapshot]) -> String {
    let (done, total) = running.iter().fold((0, 0), |(done, total), batch| {
        (done + batch.bytes_done, total + batch.bytes_total)
    });
    let what = match running.len() {
        0 => return "No downloads running".to_string(),
        1 => "1 download running".to_string(),
        count => format!("{count} downloads running"),
    };
    match (done * 100).checked_div(total) {
        Some(percent) => format!("{what}: {}% of {}", percent.min(100), human_size(total)),
        None => what,
    }
}

/// The notification for a batch that stopped running, or `None` when the user stopped it.
fn end_message(batch: &BatchSnapshot) -> Option<(String, String)> {
    let files = |count: u32| match count {
        1 => "1 file".to_string(),
        n => format!("{n} files"),
    };
    match batch.state {
        BatchState::Done => Some((
            format!("Downloaded {}", batch.name),
            format!(
                "{} ({}) in {}",
                files(batch.files_done),
                human_size(batch.bytes_done),
                batch.root
            ),
        )),
        BatchState::DoneWithErrors => Some((
            format!("{} finished with errors", batch.name),
            format!(
                "{} downloaded, {} failed: open Jobfetch to see why and try them again.",
                files(batch.files_done),
                files(batch.files_failed)
            ),
        )),
        BatchState::PausedDiskFull => Some((
            format!("{} paused: the disk is full", batch.name),
            "Make room, then resume it in Jobfetch.".to_string(),
        )),
        BatchState::Running | BatchState::Paused | BatchState::Cancelled => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(state: BatchState) -> BatchSnapshot {
        BatchSnapshot {
            id: 1,
            name: "cutouts_c39008aa".into(),
            origin: None,
            root: "/home/ana/Downloads/Jobfetch/cutouts_c39008aa".into(),
            state,
            listing_complete: true,
            files_total: 3,
            files_done: 2,
            files_failed: 1,
            bytes_total: 3 << 20,
            bytes_done: 2 << 20,
            rate: 0.0,
            eta_seconds: None,
            connections: 0,
            items: Vec::new(),
            error: None,
        }
    }

    #[test]
    fn a_batch_the_user_stopped_is_not_announced_and_the_others_say_what_happened() {
        assert_eq!(end_message(&batch(BatchState::Cancelled)), None);
        assert_eq!(end_message(&batch(BatchState::Paused)), None);
        let (title, body) = end_message(&batch(BatchState::DoneWithErrors)).unwrap();
        assert_eq!(title, "cutouts_c39008aa finished with errors");
        assert!(
            body.starts_with("2 files downloaded, 1 file failed"),
            "{body}"
        );
        let (title, body) = end_message(&batch(BatchState::Done)).unwrap();
        assert_eq!(title, "Downloaded cutouts_c39008aa");
        assert!(
            body.contains("/home/ana/Downloads/Jobfetch/cutouts_c39008aa"),
            "{body}"
        );
    }

    #[test]
    fn the_tray_line_counts_the_running_batches_and_their_bytes() {
        assert_eq!(describe_running(&[]), "No downloads running");
        let one = batch(BatchState::Running);
        assert_eq!(
            describe_running(&[&one]),
            "1 download running: 66% of 3.0 MiB"
        );
        assert!(describe_running(&[&one, &one]).starts_with("2 downloads running"));
    }
}
