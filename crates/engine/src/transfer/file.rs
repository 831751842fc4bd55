//! Streams one remote file to `<name>.part` beside its target, checks its size, fsyncs and renames it into place.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use url::Url;

use crate::error::{Error, ErrorCode, Result};

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOutcome {
    /// Fetched and written under its final name; the byte count.
    Fetched(u64),
    /// Already on disk with the expected size; nothing was fetched.
    AlreadyPresent(u64),
}

/// The `.part` path beside `target`, where bytes go until the file is whole.
pub fn part_path(target: &Path) -> PathBuf {
    let mut name = target
        .file_name()
        .expect("targets have file names")
        .to_os_string();
    name.push(".part");
    target.with_file_name(name)
}

/// Fetches `url` into `target`. `expected_size` (from the listing) must match what arrives.
/// `on_bytes` is called with each chunk's length as it is written.
pub async fn fetch_file(
    client: &reqwest::Client,
    url: &Url,
    target: &Path,
    expected_size: Option<u64>,
    on_bytes: &(dyn Fn(u64) + Send + Sync),
) -> Result<FileOutcome> {
    if let (Some(expected), Ok(meta)) = (expected_size, tokio::fs::metadata(target).await) {
        if meta.is_file() && meta.len() == expected {
            return Ok(FileOutcome::AlreadyPresent(expected));
        }
    }
    let what = url.as_str();
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|err| Error::network(what, &err))?;
    if !response.status().is_success() {
        return Err(Error::http_status(what, response.status()));
    }
    let declared = response.content_length();
    if let (Some(declared), Some(expected)) = (declared, expected_size) {
        if declared != expected {
            return Err(size_mismatch(what, expected, declared));
        }
    }
    let part = part_path(target);
    let mut file = tokio::fs::File::create(&part)
        .await
        .map_err(|err| Error::disk("create", &part, err))?;
    let mut written = 0u64;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|err| Error::network(what, &err))?;
        file.write_all(&chunk)
            .await
            .map_err(|err| Error::disk("write", &part, err))?;
        written += chunk.len() as u64;
        on_bytes(chunk.len() as u64);
    }
    file.flush()
        .await
        .map_err(|err| Error::disk("write", &part, err))?;
    file.sync_all()
        .await
        .map_err(|err| Error::disk("sync", &part, err))?;
    drop(file);
    if let Some(expected) = expected_size.or(declared) {
        if written != expected {
            return Err(size_mismatch(what, expected, written).retryable(true));
        }
    }
    tokio::fs::rename(&part, target)
        .await
        .map_err(|err| Error::disk("rename into place", target, err))?;
    Ok(FileOutcome::Fetched(written))
}

fn size_mismatch(what: &str, expected: u64, got: u64) -> Error {
    Error::new(
        ErrorCode::Integrity,
        format!("{what} should be {expected} bytes but {got} arrived; the file was not kept. Try again."),
    )
}
