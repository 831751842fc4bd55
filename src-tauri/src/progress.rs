//! Transfer progress to the UI: every subscribed `Channel` gets the engine's throttled snapshots.

use std::sync::Mutex;

use jobfetch_engine::transfer::{BatchSnapshot, Observer, TransferEvent};
use tauri::ipc::Channel;

/// The UI's open channels; one that can no longer be sent to (a closed or reloaded window) is dropped.
#[derive(Default)]
pub struct ProgressChannels {
    channels: Mutex<Vec<Channel<TransferEvent>>>,
}

impl ProgressChannels {
    pub fn subscribe(&self, channel: Channel<TransferEvent>, now: Vec<BatchSnapshot>) {
        if channel.send(TransferEvent::Snapshot(now)).is_ok() {
            self.channels.lock().expect("channels lock").push(channel);
        }
    }
}

impl Observer for ProgressChannels {
    fn snapshot(&self, batches: &[BatchSnapshot]) {
        self.channels
            .lock()
            .expect("channels lock")
            .retain(|channel| {
                channel
                    .send(TransferEvent::Snapshot(batches.to_vec()))
                    .is_ok()
            });
    }
}
