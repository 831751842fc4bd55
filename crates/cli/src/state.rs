//! Where the CLI keeps its download queue.

use std::path::{Path, PathBuf};

/// `<data dir>/jobfetch`, e.g. `~/.local/share/jobfetch` on Linux.
pub fn default_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("jobfetch"))
}

pub fn queue_path(state_dir: &Path) -> PathBuf {
    state_dir.join("transfers.sqlite")
}
