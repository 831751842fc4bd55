//! How much room a download folder has: the space an unprivileged user may still fill on its file
//! system, asked of the nearest folder that exists (the download folder may not be made yet).

use std::path::Path;

use crate::error::{Error, Result};

/// The bytes that can still be written below `path`.
pub fn free_bytes(path: &Path) -> Result<u64> {
    let existing = path
        .ancestors()
        .find(|folder| folder.exists())
        .unwrap_or(Path::new("/"));
    let stats = rustix::fs::statvfs(existing)
        .map_err(|err| Error::disk("measure the free space of", existing, err.into()))?;
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_is_measured_where_the_folder_will_be() {
        let dir = tempfile::tempdir().unwrap();
        let here = free_bytes(dir.path()).unwrap();
        assert!(here > 0);
        let later = free_bytes(&dir.path().join("not/made/yet")).unwrap();
        // The same file system, measured twice: within what other processes wrote meanwhile.
        assert!(here.abs_diff(later) < 64 << 20, "{here} vs {later}");
    }
}
