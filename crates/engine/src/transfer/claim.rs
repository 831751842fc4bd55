//! Which process is downloading into a folder: an OS lock on the destination folder, released when
//! the process ends however it ends. Two processes never write the same `.part` files at once (the
//! app and the CLI included, whatever queue each keeps), and a batch the queue calls running, whose
//! folder nobody holds, is known to have been interrupted.
//!
//! The shards of a plan write into one folder side by side, each fetching files no other shard
//! fetches: each holds its own shard folder alone and shares the download folder with the other
//! shards, so that one writer per shard is the rule there, and a whole-folder download waits for them all.
//! Shards of one split (the same N) run side by side; a shard of the same plan split another way is
//! refused while they run.

use std::collections::HashMap;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest as _, Sha256};

use crate::error::{Error, ErrorCode, Result};

/// The name of the lock file in a shard's folder.
const SHARD_LOCK: &str = "lock";

/// The lock files of one download queue, and the folders this process holds.
pub struct Claims {
    dir: PathBuf,
    /// The shard folder this process holds alone, when it is one shard of a plan.
    shard: Option<PathBuf>,
    held: Mutex<HashMap<PathBuf, Vec<HeldLock>>>,
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

/// Whether a lock keeps every other process out, or only those that want it alone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Alone,
    Shared,
}

impl Claims {
    /// Claims kept in `dir` (created when first needed); `shard`: the folder of the plan's shard this
    /// process fetches, when it fetches one.
    pub fn new(dir: PathBuf, shard: Option<PathBuf>) -> Claims {
        Claims {
            dir,
            shard,
            held: Mutex::default(),
        }
    }

    /// Makes this process the one downloading into `root` (created if missing), or, for a shard, the
    /// one fetching that shard into `root`; an error when another process is.
    pub fn take(&self, root: &Path) -> Result<()> {
        let mut held = self.held.lock().expect("claims lock");
        if held.contains_key(root) {
            return Ok(());
        }
        std::fs::create_dir_all(root).map_err(|err| Error::disk("create the folder", root, err))?;
        let mut locks = Vec::new();
        if let Some(shard) = &self.shard {
            match lock_shard(shard, Mode::Alone)? {
                Some(lock) => {
                    locks.push(lock);
                    locks.extend(lock_split(shard)?);
                }
                None => {
                    return Err(Error::new(
                        ErrorCode::Busy,
                        format!(
                            "Another Jobfetch, on this machine or another, is fetching this shard right now \
                             (it holds {}). Let it finish or stop it, then try again.",
                            shard.display()
                        ),
                    ))
                }
            }
        }
        let mode = match self.shard {
            Some(_) => Mode::Shared,
            None => Mode::Alone,
        };
        match self.try_lock(root, mode)? {
            Some(lock) => {
                locks.push(lock);
                held.insert(root.to_owned(), locks);
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
        // Dropping the locks lets go of them.
        self.held.lock().expect("claims lock").remove(root);
    }

    /// True when some process (this one included) is downloading into `root`; for a shard, when some
    /// process is fetching this shard.
    pub fn is_taken(&self, root: &Path) -> Result<bool> {
        if self.held.lock().expect("claims lock").contains_key(root) {
            return Ok(true);
        }
        if let Some(shard) = &self.shard {
            return is_shard_taken(shard);
        }
        // Whoever downloads into a folder creates it first.
        Ok(root.is_dir() && self.try_lock(root, Mode::Alone)?.is_none())
    }

    /// Locks `root` for this process: the folder itself where the file system can lock a folder,
    /// so that every process writing there sees the lock; else a lock file of this queue. `None`
    /// when another process holds it in a way `mode` cannot share.
    fn try_lock(&self, root: &Path, mode: Mode) -> Result<Option<HeldLock>> {
        #[cfg(unix)]
        if let Ok(folder) = File::open(root) {
            match try_lock(&folder, mode) {
                Ok(()) => return Ok(Some(HeldLock(folder))),
                Err(TryLockError::WouldBlock) => return Ok(None),
                // Some network file systems lock only files opened for writing.
                Err(TryLockError::Error(_)) => {}
            }
        }
        self.try_lock_file(root, mode)
    }

    /// Locks the lock file for `root` in this queue's lock folder; `None` when another process holds it.
    fn try_lock_file(&self, root: &Path, mode: Mode) -> Result<Option<HeldLock>> {
        let file = self.lock_file(root)?;
        match try_lock(&file, mode) {
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
        open_lock_file(&self.dir.join(name + ".lock"))
    }
}

/// True when some process is fetching the shard whose folder is `shard`.
pub fn is_shard_taken(shard: &Path) -> Result<bool> {
    // A shard that never ran has no lock file, and asking leaves none behind.
    if !shard.join(SHARD_LOCK).is_file() {
        return Ok(false);
    }
    Ok(lock_shard(shard, Mode::Shared)?.is_none())
}

/// Holds, shared with the other shards of the same split, the lock of the split into N shards that
/// `shard` (`…/shards/<i>-of-<N>`) belongs to; an error when shards of the same plan split another way
/// are running, which would fetch some files twice at once. `None` for a folder not named as a shard.
fn lock_split(shard: &Path) -> Result<Option<HeldLock>> {
    let (Some(shards), Some(count)) = (
        shard.parent(),
        shard
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.split_once("-of-"))
            .map(|(_, count)| count),
    ) else {
        return Ok(None);
    };
    let own = format!("split-{count}.lock");
    let busy = |other: &str| {
        Error::new(
            ErrorCode::Busy,
            format!(
                "Shards of this plan split another way ({other}) are running into the same folder: \
                 they would fetch some files twice at once. Let them finish, or run this shard with \
                 the same number of shards they use."
            ),
        )
    };
    let file = open_lock_file(&shards.join(&own))?;
    match try_lock(&file, Mode::Shared) {
        Ok(()) => {}
        // Only a shard of another split, checking ours, holds it alone.
        Err(TryLockError::WouldBlock) => return Err(busy("another number of shards")),
        Err(TryLockError::Error(err)) => return Err(Error::disk("lock a file in", shards, err)),
    }
    let held = HeldLock(file);
    let entries =
        std::fs::read_dir(shards).map_err(|err| Error::disk("read the folder", shards, err))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == own || !name.starts_with("split-") || !name.ends_with(".lock") {
            continue;
        }
        let other = open_lock_file(&entry.path())?;
        match try_lock(&other, Mode::Alone) {
            Ok(()) => drop(HeldLock(other)),
            Err(TryLockError::WouldBlock) => {
                let count = &name["split-".len()..name.len() - ".lock".len()];
                return Err(busy(&format!("{count} shards")));
            }
            Err(TryLockError::Error(err)) => {
                return Err(Error::disk("lock a file in", shards, err))
            }
        }
    }
    Ok(Some(held))
}

/// Locks a shard's folder through the lock file in it (a file, which every file system that locks at
/// all can lock, network ones included); `None` when another process holds it.
fn lock_shard(shard: &Path, mode: Mode) -> Result<Option<HeldLock>> {
    std::fs::create_dir_all(shard).map_err(|err| Error::disk("create the folder", shard, err))?;
    let file = open_lock_file(&shard.join(SHARD_LOCK))?;
    match try_lock(&file, mode) {
        Ok(()) => Ok(Some(HeldLock(file))),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(err)) => Err(Error::disk("lock a file in", shard, err)),
    }
}

fn try_lock(file: &File, mode: Mode) -> std::result::Result<(), TryLockError> {
    match mode {
        Mode::Alone => file.try_lock(),
        Mode::Shared => file.try_lock_shared(),
    }
}

fn open_lock_file(path: &Path) -> Result<File> {
    // Lock files stay: removing one while another process waits on it would let two hold "the" lock.
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|err| Error::disk("open the lock file", path, err))
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
            Claims::new(dir.path().join("app-locks"), None),
            Claims::new(dir.path().join("cli-locks"), None),
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
            Claims::new(dir.path().join("locks"), None),
            Claims::new(dir.path().join("locks"), None),
        );
        let root = Path::new("/data/jobs/abc");
        let held = first.try_lock_file(root, Mode::Alone).unwrap();
        assert!(held.is_some());
        assert!(second.try_lock_file(root, Mode::Alone).unwrap().is_none());
        assert!(second
            .try_lock_file(Path::new("/data/jobs/other"), Mode::Alone)
            .unwrap()
            .is_some());
        drop(held);
        assert!(second.try_lock_file(root, Mode::Alone).unwrap().is_some());
    }

    #[test]
    fn shards_share_a_folder_one_process_per_shard_and_a_whole_download_waits_for_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("out");
        let shard_dir = |i: u32| {
            dir.path()
                .join("out/.jobfetch/shards")
                .join(format!("{i}-of-2"))
        };
        let shard = |i: u32| Claims::new(dir.path().join(format!("locks-{i}")), Some(shard_dir(i)));
        let (first, second, first_again) = (shard(0), shard(1), shard(0));
        let whole = Claims::new(dir.path().join("whole-locks"), None);
        assert!(!is_shard_taken(&shard_dir(0)).unwrap());
        first.take(&root).unwrap();
        second.take(&root).unwrap();
        assert!(is_shard_taken(&shard_dir(0)).unwrap());
        assert!(first_again.is_taken(&root).unwrap());
        let refused = first_again.take(&root).unwrap_err();
        assert_eq!(refused.code, ErrorCode::Busy);
        assert!(
            refused.message.contains("this shard"),
            "{}",
            refused.message
        );
        let refused = whole.take(&root).unwrap_err();
        assert!(
            refused.message.contains("downloading into"),
            "{}",
            refused.message
        );
        first.release(&root);
        second.release(&root);
        assert!(!is_shard_taken(&shard_dir(0)).unwrap());
        whole.take(&root).unwrap();
        let refused = first_again.take(&root).unwrap_err();
        assert!(
            refused.message.contains("downloading into"),
            "{}",
            refused.message
        );
        assert!(
            !is_shard_taken(&shard_dir(0)).unwrap(),
            "a shard refused for the folder does not hold its own"
        );
    }

    #[test]
    fn shards_of_one_plan_split_two_ways_never_run_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("out");
        let shards = dir.path().join("out/.jobfetch/plans/p/shards");
        let shard = |i: u32, n: u32| {
            Claims::new(
                dir.path().join(format!("locks-{i}-{n}")),
                Some(shards.join(format!("{i}-of-{n}"))),
            )
        };
        let (zero_of_four, one_of_four, zero_of_three) = (shard(0, 4), shard(1, 4), shard(0, 3));
        zero_of_four.take(&root).unwrap();
        one_of_four.take(&root).unwrap();
        let refused = zero_of_three.take(&root).unwrap_err();
        assert_eq!(refused.code, ErrorCode::Busy);
        assert!(refused.message.contains("4 shards"), "{}", refused.message);
        assert!(
            refused.message.contains("folder: they would fetch"),
            "{}",
            refused.message
        );
        assert!(
            !is_shard_taken(&shards.join("0-of-3")).unwrap(),
            "a refused shard holds nothing"
        );
        zero_of_four.release(&root);
        assert!(zero_of_three.take(&root).is_err(), "1 of 4 still runs");
        one_of_four.release(&root);
        zero_of_three.take(&root).unwrap();
        let refused = shard(2, 4).take(&root).unwrap_err();
        assert!(refused.message.contains("3 shards"), "{}", refused.message);
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
            Claims::new(dir.path().join("app-locks"), None),
            Claims::new(dir.path().join("cli-locks"), None),
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
            Claims::new(dir.path().join("locks"), None),
            Claims::new(dir.path().join("locks"), None),
        );
        let root = Path::new("/data/jobs/abc");
        let held = first.try_lock_file(root, Mode::Alone).unwrap();
        let child = child_paused_before_exec();
        drop(held);
        assert!(second.try_lock_file(root, Mode::Alone).unwrap().is_some());
        child.join().unwrap();
    }
}
