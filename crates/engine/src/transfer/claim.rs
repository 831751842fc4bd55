//! Which process is downloading into a folder: an OS file lock per destination folder, released when
//! the process ends however it ends. Two processes never write the same `.part` files at once, and a
//! batch the queue calls running, whose folder nobody holds, is known to have been interrupted.

use std::collections::HashMap;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest as _, Sha256};

use crate::error::{Error, ErrorCode, Result};

/// The lock files of one download queue, and the folders this process holds.
pub struct Claims {
    dir: PathBuf,
    held: Mutex<HashMap<PathBuf, File>>,
}

impl Claims {
    /// Claims kept in `dir` (created when first needed).
    pub fn new(dir: PathBuf) -> Claims {
        Claims {
            dir,
            held: Mutex::default(),
        }
    }

    /// Makes this process the one downloading into `root`; an error when another process is.
    pub fn take(&self, root: &Path) -> Result<()> {
        let mut held = self.held.lock().expect("claims lock");
        if held.contains_key(root) {
            return Ok(());
        }
        let file = self.open(root)?;
        match file.try_lock() {
            Ok(()) => {
                held.insert(root.to_owned(), file);
                Ok(())
            }
            Err(TryLockError::WouldBlock) => Err(Error::new(
                ErrorCode::Busy,
                format!(
                    "Another Jobfetch (the app or a `jobfetch get`) is downloading into {} right now. \
                     Let it finish or stop it, then try again.",
                    root.display()
                ),
            )),
            Err(TryLockError::Error(err)) => Err(self.lock_error(err)),
        }
    }

    /// Lets other processes download into `root` again.
    pub fn release(&self, root: &Path) {
        // Dropping the file lets go of its lock.
        self.held.lock().expect("claims lock").remove(root);
    }

    /// True when some process (this one included) is downloading into `root`.
    pub fn is_taken(&self, root: &Path) -> Result<bool> {
        if self.held.lock().expect("claims lock").contains_key(root) {
            return Ok(true);
        }
        let file = self.open(root)?;
        match file.try_lock() {
            Ok(()) => Ok(false),
            Err(TryLockError::WouldBlock) => Ok(true),
            Err(TryLockError::Error(err)) => Err(self.lock_error(err)),
        }
    }

    /// The lock file for `root`, named by a hash of its path (any path fits in a file name that way).
    fn open(&self, root: &Path) -> Result<File> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|err| Error::disk("create the folder", &self.dir, err))?;
        let hash = Sha256::digest(root.as_os_str().as_encoded_bytes());
        let name: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
        let path = self.dir.join(name + ".lock");
        // Lock files stay: removing one while another process waits on it would let two hold "the" lock.
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|err| Error::disk("open the lock file", &path, err))
    }

    fn lock_error(&self, err: std::io::Error) -> Error {
        Error::disk("lock a file in", &self.dir, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_held_by_one_queue_at_a_time_until_released() {
        let dir = tempfile::tempdir().unwrap();
        // Two queues on the same lock folder conflict as two processes would: each opens its own file.
        let (first, second) = (
            Claims::new(dir.path().join("locks")),
            Claims::new(dir.path().join("locks")),
        );
        let root = Path::new("/data/jobs/abc");
        assert!(!second.is_taken(root).unwrap());
        first.take(root).unwrap();
        first.take(root).unwrap();
        assert!(second.is_taken(root).unwrap());
        let refused = second.take(root).unwrap_err();
        assert!(
            refused.message.contains("/data/jobs/abc"),
            "{}",
            refused.message
        );
        second.take(Path::new("/data/jobs/other")).unwrap();
        first.release(root);
        assert!(!second.is_taken(root).unwrap());
        second.take(root).unwrap();
        assert!(first.is_taken(root).unwrap());
    }
}
