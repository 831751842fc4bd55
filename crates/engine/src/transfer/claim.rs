//! Which process is downloading into a folder: an OS lock on the destination folder, released when
//! the process ends however it ends. Two processes never write the same `.part` files at once (the
//! app and the CLI included, whatever queue each keeps), and a batch the queue calls running, whose
//! folder nobody holds, is known to have been interrupted.

use std::collections::HashMap;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest as _, Sha256};

use crate::error::{Error, ErrorCode, Result};

/// The lock files of one download queue, and the folders this process holds.
pub struct Claims {
    dir: PathBuf,
    held: Mutex<HashMap<PathBuf, HeldLock>>,
}

/// An OS lock held on an open file, let go of explicitly when dropped.
///
/// Closing our descriptor is not enough: a child process forked meanwhile (the app opening the file
/// manager, a test running `bash`) holds a copy of it until it execs, and the lock lives as long as any
/// copy does. Unlocking acts on the lock itself, whoever else holds a descriptor.
struct HeldLock(File);

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl Claims {
    /// Claims kept in `dir` (created when first needed).
    pub fn new(dir: PathBuf) -> Claims {
        Claims {
            dir,
            held: Mutex::default(),
        }
    }

    /// Makes this process the one downloading into `root` (created if missing); an error when another
    /// process is.
    pub fn take(&self, root: &Path) -> Result<()> {
        let mut held = self.held.lock().expect("claims lock");
        if held.contains_key(root) {
            return Ok(());
        }
        std::fs::create_dir_all(root).map_err(|err| Error::disk("create the folder", root, err))?;
        match self.try_lock(root)? {
            Some(lock) => {
                held.insert(root.to_owned(), lock);
                Ok(())
            }
            None => Err(Error::new(
                ErrorCode::Busy,
                format!(
                    "Another Jobfetch (the app or a `jobfetch get`) is downloading into {} right now. \
                     Let it finish or stop it, then try again.",
                    root.display()
                ),
            )),
        }
    }

    /// Lets other processes download into `root` again.
    pub fn release(&self, root: &Path) {
        // Dropping the lock lets go of it.
        self.held.lock().expect("claims lock").remove(root);
    }

    /// True when some process (this one included) is downloading into `root`.
    pub fn is_taken(&self, root: &Path) -> Result<bool> {
        if self.held.lock().expect("claims lock").contains_key(root) {
            return Ok(true);
        }
        // Whoever downloads into a folder creates it first.
        Ok(root.is_dir() && self.try_lock(root)?.is_none())
    }

    /// Locks `root` for this process: the folder itself where the file system can lock a folder,
    /// so that every process writing there sees the lock; else a lock file of this queue. `None`
    /// when another process holds it.
    fn try_lock(&self, root: &Path) -> Result<Option<HeldLock>> {
        #[cfg(unix)]
        if let Ok(folder) = File::open(root) {
            match folder.try_lock() {
                Ok(()) => return Ok(Some(HeldLock(folder))),
                Err(TryLockError::WouldBlock) => return Ok(None),
                // Some network file systems lock only files opened for writing.
                Err(TryLockError::Error(_)) => {}
            }
        }
        self.try_lock_file(root)
    }

    /// Locks the lock file for `root` in this queue's lock folder; `None` when another process holds it.
    fn try_lock_file(&self, root: &Path) -> Result<Option<HeldLock>> {
        let file = self.lock_file(root)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(HeldLock(file))),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(err)) => Err(Error::disk("lock a file in", &self.dir, err)),
        }
    }

    /// The lock file for `root` in this queue's lock folder, named by a hash of its path.
    fn lock_file(&self, root: &Path) -> Result<File> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_held_by_one_process_at_a_time_until_released() {
        let dir = tempfile::tempdir().unwrap();
        // Two queues with lock folders of their own (the app's and the CLI's, say) still conflict:
        // the lock is on the download folder. Each opens its own file, as two processes would.
        let (first, second) = (
            Claims::new(dir.path().join("app-locks")),
            Claims::new(dir.path().join("cli-locks")),
        );
        let root = dir.path().join("jobs").join("abc");
        assert!(!second.is_taken(&root).unwrap());
        assert!(!root.exists(), "asking does not create the folder");
        first.take(&root).unwrap();
        assert!(root.is_dir());
        first.take(&root).unwrap();
        assert!(second.is_taken(&root).unwrap());
        let refused = second.take(&root).unwrap_err();
        assert_eq!(refused.code, ErrorCode::Busy);
        assert!(
            refused.message.contains(&root.display().to_string()),
            "{}",
            refused.message
        );
        second.take(&dir.path().join("jobs").join("other")).unwrap();
        first.release(&root);
        assert!(!second.is_taken(&root).unwrap());
        second.take(&root).unwrap();
        assert!(first.is_taken(&root).unwrap());
    }

    #[test]
    fn where_folders_cannot_be_locked_a_lock_file_of_the_queue_stands_in() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (
            Claims::new(dir.path().join("locks")),
            Claims::new(dir.path().join("locks")),
        );
        let root = Path::new("/data/jobs/abc");
        let held = first.try_lock_file(root).unwrap();
        assert!(held.is_some());
        assert!(second.try_lock_file(root).unwrap().is_none());
        assert!(second
            .try_lock_file(Path::new("/data/jobs/other"))
            .unwrap()
            .is_some());
        drop(held);
        assert!(second.try_lock_file(root).unwrap().is_some());
    }

    /// Starts `true` from another thread, with the child pausing between fork and exec: for that
    /// while it holds copies of every descriptor this process has open, the locks' included.
    #[cfg(unix)]
    fn child_paused_before_exec() -> std::thread::JoinHandle<()> {
        use std::os::unix::process::CommandExt as _;
        let mut command = std::process::Command::new("true");
        // SAFETY: the closure only sleeps, which is async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                std::thread::sleep(std::time::Duration::from_millis(600));
                Ok(())
            });
        }
        let spawner = std::thread::spawn(move || {
            command.spawn().unwrap().wait().unwrap();
        });
        std::thread::sleep(std::time::Duration::from_millis(150));
        spawner
    }

    #[cfg(unix)]
    #[test]
    fn a_released_folder_is_free_while_a_child_process_is_still_starting() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (
            Claims::new(dir.path().join("app-locks")),
            Claims::new(dir.path().join("cli-locks")),
        );
        let root = dir.path().join("jobs").join("abc");
        first.take(&root).unwrap();
        let child = child_paused_before_exec();
        first.release(&root);
        assert!(!second.is_taken(&root).unwrap());
        second.take(&root).unwrap();
        child.join().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_released_lock_file_is_free_while_a_child_process_is_still_starting() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (
            Claims::new(dir.path().join("locks")),
            Claims::new(dir.path().join("locks")),
        );
        let root = Path::new("/data/jobs/abc");
        let held = first.try_lock_file(root).unwrap();
        let child = child_paused_before_exec();
        drop(held);
        assert!(second.try_lock_file(root).unwrap().is_some());
        child.join().unwrap();
    }
}
