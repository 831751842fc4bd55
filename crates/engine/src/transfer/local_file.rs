//! Copies one file of this computer into its `.part`, through the same [`Landing`] as HTTP and SFTP:
//! it continues from the `.part` when the file is the version those bytes came from (same size and
//! modification time), and reads only a regular file, never one reached through a symbolic link.

use std::io::SeekFrom;
use std::path::Path;
use std::time::UNIX_EPOCH;

use bytes::BytesMut;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::body::Body;
use super::fetch::{Fetched, Incoming, Landing};
use crate::error::{Error, ErrorCode, Result};

/// How much is read at a time.
const READ_LEN: usize = 256 << 10;

/// Runs one copy of the file at `path` into a target readied by
/// [`prepare_target`](super::fetch::prepare_target), to the end or to the first error.
pub async fn fetch(path: &Path, landing: Landing<'_>) -> Result<Fetched> {
    let have = landing.resumable().await;
    if let Some(done) = landing.finish_if_whole(have).await {
        return done;
    }
    let (mut file, size, version) = open_regular(path).await?;
    let same_version = landing.validator.as_deref() == Some(version.as_str());
    let resumed_from = if same_version && have <= size {
        have
    } else {
        0
    };
    file.seek(SeekFrom::Start(resumed_from))
        .await
        .map_err(|err| unreadable(path, &err))?;
    landing
        .receive(Incoming {
            resumed_from,
            length: Some(size - resumed_from),
            validator: Some(version),
            body: read_from(file, path, size - resumed_from),
        })
        .await
}

/// The regular file at `path`, opened, with its size and version (size and modification time).
async fn open_regular(path: &Path) -> Result<(tokio::fs::File, u64, String)> {
    let linked = tokio::fs::symlink_metadata(path)
        .await
        .map_err(|err| unreadable(path, &err))?;
    if linked.file_type().is_symlink() {
        return Err(not_regular(path, "a symbolic link"));
    }
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|err| unreadable(path, &err))?;
    let meta = file
        .metadata()
        .await
        .map_err(|err| unreadable(path, &err))?;
    if meta.is_dir() {
        return Err(not_regular(path, "a folder"));
    }
    if !meta.is_file() {
        return Err(not_regular(path, "not a regular file"));
    }
    let modified = meta
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |since| since.as_nanos());
    let version = format!("local size={} mtime={modified}", meta.len());
    Ok((file, meta.len(), version))
}

/// The next `len` bytes of `file`, in chunks; the stream ends early if the file is shorter than it was
/// (the landing then finds the size wrong).
fn read_from(file: tokio::fs::File, path: &Path, len: u64) -> Body {
    let path = path.to_path_buf();
    futures_util::stream::unfold((file, len), move |(mut file, left)| {
        let path = path.clone();
        async move {
            if left == 0 {
                return None;
            }
            let want = usize::try_from(left).map_or(READ_LEN, |left| left.min(READ_LEN));
            let mut buffer = BytesMut::zeroed(want);
            match file.read(&mut buffer).await {
                Ok(0) => None,
                Ok(read) => {
                    buffer.truncate(read);
                    Some((Ok(buffer.freeze()), (file, left - read as u64)))
                }
                Err(err) => Some((Err(unreadable(&path, &err)), (file, 0))),
            }
        }
    })
    .boxed()
}

/// Why a file of this computer could not be read, and what to do.
fn unreadable(path: &Path, err: &std::io::Error) -> Error {
    let at = path.display();
    match err.kind() {
        std::io::ErrorKind::NotFound => Error::new(
            ErrorCode::NotFound,
            format!("{at} does not exist (any more): it may have been moved or deleted since it was listed."),
        ),
        std::io::ErrorKind::PermissionDenied => Error::new(
            ErrorCode::AuthFailed,
            format!("You may not read {at}: check its permissions."),
        ),
        _ => Error::new(ErrorCode::Disk, format!("Could not read {at}: {err}.")).retryable(true),
    }
}

fn not_regular(path: &Path, what: &str) -> Error {
    Error::unsafe_name(format!(
        "{} is {what}; only regular files are copied.",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;
    use std::time::Duration;

    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::transfer::limits::Bandwidth;
    use crate::transfer::model::Digest;
    use crate::transfer::part_file::part_path;
    use crate::transfer::verify::Hasher;

    fn sha256(bytes: &[u8]) -> Digest {
        let mut hasher = Hasher::for_digest(&Digest::Sha256(String::new()));
        hasher.update(bytes);
        Digest::Sha256(hasher.text())
    }

    /// Copies `source` into `target` as the queue would, with the version saved last time;
    /// returns how it ended, the bytes it started from and the version it saved.
    async fn copy(
        source: &Path,
        target: &Path,
        bytes: &[u8],
        validator: Option<String>,
    ) -> (Result<Fetched>, u64, Option<String>) {
        let started = AtomicU64::new(u64::MAX);
        let saved = Mutex::new(None);
        let digest = sha256(bytes);
        let bandwidth = Bandwidth::default();
        let cancel = CancellationToken::new();
        let label = source.display().to_string();
        let landing = Landing {
            label: &label,
            target,
            size: Some(bytes.len() as u64),
            digest: Some(&digest),
            validator,
            bandwidth: &bandwidth,
            idle_timeout: Duration::from_secs(30),
            cancel: &cancel,
            on_start: &|from, _| started.store(from, Ordering::Relaxed),
            on_body_done: &|| {},
            on_bytes: &|_| {},
            save_validator: &|value| {
                *saved.lock().unwrap() = value.map(str::to_string);
                Ok(())
            },
        };
        let result = fetch(source, landing).await;
        let saved = saved.lock().unwrap().clone();
        (result, started.load(Ordering::Relaxed), saved)
    }

    #[tokio::test]
    async fn a_part_of_the_same_version_is_continued_and_a_changed_file_starts_again() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("a.nc");
        let target = dir.path().join("copy/a.nc");
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let bytes: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&source, &bytes).unwrap();

        // A first copy saves the file's version; its first bytes are kept as if it had stopped there.
        let (first, _, version) = copy(&source, &target, &bytes, None).await;
        assert_eq!(first.unwrap().bytes, bytes.len() as u64);
        assert_eq!(std::fs::read(&target).unwrap(), bytes);
        std::fs::remove_file(&target).unwrap();
        std::fs::write(part_path(&target), &bytes[..300_000]).unwrap();
        let (resumed, from, _) = copy(&source, &target, &bytes, version.clone()).await;
        let resumed = resumed.unwrap();
        assert_eq!((from, resumed.resumed_from), (300_000, 300_000));
        assert_eq!(resumed.bytes, bytes.len() as u64 - 300_000);
        assert_eq!(std::fs::read(&target).unwrap(), bytes);

        // The same bytes written again are another version: the part is not trusted.
        std::fs::remove_file(&target).unwrap();
        std::fs::write(part_path(&target), &bytes[..300_000]).unwrap();
        let later = std::time::SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&source)
            .unwrap()
            .set_modified(later)
            .unwrap();
        let (again, from, newer) = copy(&source, &target, &bytes, version.clone()).await;
        assert_eq!((from, again.unwrap().resumed_from), (0, 0));
        assert_ne!(newer, version);
        assert_eq!(std::fs::read(&target).unwrap(), bytes);
    }

    #[tokio::test]
    async fn only_regular_files_are_read_and_a_missing_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.nc");
        std::fs::write(&real, b"data").unwrap();
        let link = dir.path().join("link.nc");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let target = dir.path().join("out.nc");
        for (source, code, words) in [
            (dir.path().to_path_buf(), ErrorCode::UnsafeName, "a folder"),
            (dir.path().join("gone.nc"), ErrorCode::NotFound, "gone.nc"),
            #[cfg(unix)]
            (link, ErrorCode::UnsafeName, "a symbolic link"),
        ] {
            let err = copy(&source, &target, b"data", None).await.0.unwrap_err();
            assert_eq!(err.code, code, "{}", err.message);
            assert!(err.message.contains(words), "{}", err.message);
            assert!(!target.exists());
        }
    }
}
