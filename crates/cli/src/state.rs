//! Where the CLI keeps its download queue.

use std::path::{Path, PathBuf};

/// `<data dir>/jobfetch`, e.g. `~/.local/share/jobfetch` on Linux.
pub fn default_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("jobfetch"))
}

/// The download queue in a state folder (the user's, or a plan shard's own).
pub fn queue_path(state_dir: &Path) -> PathBuf {
    state_dir.join("transfers.sqlite")
}
