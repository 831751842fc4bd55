//! Where the CLI keeps its download queue, and how batch states read in a terminal.

use std::path::{Path, PathBuf};

use jobfetch_engine::transfer::BatchState;

/// `<data dir>/jobfetch`, e.g. `~/.local/share/jobfetch` on Linux.
pub fn default_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("jobfetch"))
}

pub fn queue_path(state_dir: &Path) -> PathBuf {
    state_dir.join("transfers.sqlite")
}

pub fn describe(state: BatchState) -> &'static str {
    match state {
        BatchState::Running => "running",
        BatchState::Paused => "paused",
        BatchState::PausedDiskFull => "paused: disk full",
        BatchState::Done => "done",
        BatchState::DoneWithErrors => "done, with errors",
        BatchState::Cancelled => "cancelled",
    }
}
