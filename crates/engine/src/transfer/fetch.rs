//! Fetches one file: resumes its `.part` from what it holds, streams to disk within the bandwidth
//! limit, verifies, fsyncs and renames it into place. [`Landing`] is that part, whatever brings the
//! bytes; [`fetch`] brings them over HTTP (`Range`/`If-Range`, redirects under the auth policy), and
//! [`crate::transfer::sftp`] over SFTP.

use std::path::Path;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;

use super::body::{next_chunk, Body};
use super::limits::Bandwidth;
use super::model::Digest;
use super::part_file::{part_path, PartFile};
use super::request::{
    content_length, content_range, open, validator_of, AuthorizedRequest, Opened,
};
use super::verify::{hash_prefix, is_whole, Hasher};
use crate::error::{Error, ErrorCode, Result};

/// How a transfer got under way, as [`Landing::on_start`] is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The source answered the request: its latency says how the host copes.
    Answered,
    /// The `.part` file already held the whole file: nothing was asked of the source.
    AlreadyWhole,
}

/// Where and how one file's bytes land, whatever transport brings them.
pub struct Landing<'a> {
    /// How to name the file in messages: a URL with any secret removed, or `host:path`.
    pub label: &'a str,
    pub target: &'a Path,
    pub size: Option<u64>,
    pub digest: Option<&'a Digest>,
    /// The version (an ETag, a Last-Modified, an SFTP file's size and time) of the bytes already
    /// in the `.part` file, if any.
    pub validator: Option<String>,
    pub bandwidth: &'a Bandwidth,
    /// A transfer that sends nothing for this long counts as stalled.
    pub idle_timeout: Duration,
    pub cancel: &'a CancellationToken,
    /// Called once the source has answered (or the `.part` file was found whole without asking it),
    /// with the bytes already on disk that the transfer continues from.
    pub on_start: &'a (dyn Fn(u64, Start) + Sync),
    /// Called once the body has arrived, before the file is synced, checked and renamed: the network
    /// part is over, so the caller may let another transfer start.
    pub on_body_done: &'a (dyn Fn() + Sync),
    /// Called with the number of bytes each time some are written.
    pub on_bytes: &'a (dyn Fn(u64) + Sync),
    /// Called with the version of the bytes about to be written, before they are written.
    pub save_validator: &'a (dyn Fn(Option<&str>) -> Result<()> + Sync),
}

/// What a source answered: the bytes to write after the `.part` file's first `resumed_from`.
pub struct Incoming {
    /// 0 to start the file again.
    pub resumed_from: u64,
    /// How many bytes will come, when the source said.
    pub length: Option<u64>,
    /// The version of the file the bytes belong to.
    pub validator: Option<String>,
    pub body: Body,
}

/// One transfer over HTTP.
pub struct FetchJob<'a> {
    /// Where the bytes come from and under which credential rules; its `Range` and `If-Range` are
    /// set here, from the `.part` file.
    pub request: AuthorizedRequest<'a>,
    pub landing: Landing<'a>,
}

/// How a transfer ended well: `bytes` were fetched, continuing a `.part` file from `resumed_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: u64,
    pub resumed_from: u64,
}

/// Readies the target before any network work: true when the file is already whole on disk (nothing
/// to fetch); otherwise its folder exists afterwards.
pub async fn prepare_target(
    target: &Path,
    size: Option<u64>,
    digest: Option<&Digest>,
) -> Result<bool> {
    if is_whole(target, size, digest).await? {
        return Ok(true);
    }
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|err| Error::disk("create the folder", parent, err))?;
    }
    Ok(false)
}

/// Runs one HTTP transfer into a target readied by [`prepare_target`], to the end or to the first error.
pub async fn fetch(job: FetchJob<'_>) -> Result<Fetched> {
    let FetchJob {
        mut request,
        landing,
    } = job;
    let have = landing.resumable().await;
    if let Some(done) = landing.finish_if_whole(have).await {
        return done;
    }
    request.headers = resume_headers(have, landing.validator.as_deref());
    let Opened {
        status,
        headers,
        body,
    } = open(&request).await?;
    let part = part_path(landing.target);
    let resumed_from = match status {
        // A server that ignores If-Range sends the changed file's tail: never splice it onto the old bytes.
        StatusCode::PARTIAL_CONTENT
            if have > 0
                && validator_of(&headers)
                    .is_some_and(|v| landing.validator.as_deref() != Some(&*v)) =>
        {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(Error::protocol(format!(
                "{} changed on the server since the partial file was written; starting it again.",
                request.label
            ))
            .retryable(true));
        }
        StatusCode::PARTIAL_CONTENT
            if have > 0 && content_range(&headers).map(|r| r.start) == Some(have) =>
        {
            have
        }
        StatusCode::PARTIAL_CONTENT => {
            return Err(Error::protocol(format!(
                "{} answered a range that was not asked for; starting the file again.",
                request.label
            ))
            .retryable(true))
            .inspect_err(|_| drop(std::fs::remove_file(&part)));
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(Error::protocol(format!(
                "{} refused to continue the partial file; starting it again.",
                request.label
            ))
            .retryable(true));
        }
        status if status.is_success() => 0,
        status => return Err(request.status_error(status, &headers)),
    };
    landing
        .receive(Incoming {
            resumed_from,
            length: content_length(&headers),
            validator: validator_of(&headers),
            body,
        })
        .await
}

impl Landing<'_> {
    /// How many bytes of the `.part` file a transfer may continue from: none when their version is
    /// not known, or when there are more than the file has.
    pub async fn resumable(&self) -> u64 {
        let have = tokio::fs::metadata(part_path(self.target))
            .await
            .map(|m| m.len())
            .unwrap_or(0);
        if self.validator.is_none() || self.size.is_some_and(|size| have > size) {
            0
        } else {
            have
        }
    }

    /// When the `.part` file already holds all `have` bytes the file has, checks it and renames it
    /// into place without any transfer; `None` when bytes are missing.
    pub async fn finish_if_whole(&self, have: u64) -> Option<Result<Fetched>> {
        if have == 0 || self.size != Some(have) {
            return None;
        }
        (self.on_start)(have, Start::AlreadyWhole);
        Some(self.finish(&part_path(self.target), have, 0, None).await)
    }

    /// Writes what a source sent after the `.part` file's first `resumed_from` bytes, then checks
    /// the size and digest and renames the file into place. What arrived before an error is kept
    /// for the next try.
    pub async fn receive(&self, incoming: Incoming) -> Result<Fetched> {
        let Incoming {
            resumed_from,
            length,
            validator,
            mut body,
        } = incoming;
        let part = part_path(self.target);
        if let (Some(expected), Some(length)) = (self.size, length) {
            if resumed_from + length != expected {
                return Err(
                    size_mismatch(self.label, expected, resumed_from + length).retryable(true)
                );
            }
        }
        (self.save_validator)(validator.as_deref())?;
        (self.on_start)(resumed_from, Start::Answered);

        let expected_len = self.size.or(length.map(|length| resumed_from + length));
        let mut file = PartFile::open(&part, resumed_from, expected_len)
            .await
            .map_err(|err| Error::disk("create", &part, err))?;
        let mut hasher = match self.digest {
            Some(digest) => {
                let mut hasher = Hasher::for_digest(digest);
                if resumed_from > 0 {
                    hash_prefix(&part, resumed_from, &mut hasher).await?;
                }
                Some(hasher)
            }
            None => None,
        };
        let mut written = 0u64;
        let outcome: Result<()> = loop {
            let next = next_chunk(&mut body, self.label, self.idle_timeout, self.cancel);
            let chunk = match next.await {
                Err(err) => break Err(err),
                Ok(None) => break Ok(()),
                Ok(Some(chunk)) => chunk,
            };
            if self
                .size
                .is_some_and(|size| resumed_from + written + chunk.len() as u64 > size)
            {
                break Err(size_mismatch(
                    self.label,
                    self.size.unwrap_or(0),
                    resumed_from + written + chunk.len() as u64,
                )
                .retryable(true));
            }
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => break Err(Error::new(ErrorCode::Cancelled, "Stopped.")),
                _ = self.bandwidth.take(chunk.len() as u64) => {}
            }
            if let Err(err) = file.write(&chunk).await {
                break Err(Error::disk("write", &part, err));
            }
            if let Some(hasher) = hasher.as_mut() {
                hasher.update(&chunk);
            }
            written += chunk.len() as u64;
            (self.on_bytes)(chunk.len() as u64);
        };
        if outcome.is_ok() {
            (self.on_body_done)();
        }
        // Whatever happened, what did arrive is kept for the next try.
        let flushed = file
            .finish()
            .await
            .map_err(|err| Error::disk("write", &part, err));
        if outcome.is_err() || flushed.is_err() {
            // Nothing reached the disk (bytes may have been buffered when it filled up): an empty `.part`
            // would only clutter the folder.
            if tokio::fs::metadata(&part)
                .await
                .is_ok_and(|meta| meta.len() == 0)
            {
                let _ = tokio::fs::remove_file(&part).await;
            }
        }
        outcome?;
        flushed?;
        self.finish(&part, resumed_from + written, written, hasher)
            .await
    }

    /// Checks the size and digest of the `.part` file and renames it into place. `hasher` has seen the
    /// file's bytes as they arrived; without one, the file is read to check its digest.
    /// The folder's entry is not synced here: a rename lost in a crash leaves a whole `.part`, which the
    /// next run renames without fetching anything (the batch syncs its folders when it ends).
    async fn finish(
        &self,
        part: &Path,
        total: u64,
        fetched: u64,
        hasher: Option<Hasher>,
    ) -> Result<Fetched> {
        if let Some(expected) = self.size {
            if total != expected {
                return Err(size_mismatch(self.label, expected, total).retryable(true));
            }
        }
        if let Some(digest) = self.digest {
            let hasher = match hasher {
                Some(hasher) => hasher,
                None => {
                    let mut hasher = Hasher::for_digest(digest);
                    hash_prefix(part, total, &mut hasher).await?;
                    hasher
                }
            };
            if !hasher.matches(digest) {
                let _ = tokio::fs::remove_file(part).await;
                return Err(Error::new(
                    ErrorCode::Integrity,
                    format!(
                        "{} arrived with the wrong checksum; it was not kept.",
                        self.label
                    ),
                )
                .retryable(true));
            }
        }
        tokio::fs::rename(part, self.target)
            .await
            .map_err(|err| Error::disk("rename into place", self.target, err))?;
        Ok(Fetched {
            bytes: fetched,
            resumed_from: total - fetched,
        })
    }
}

/// `Range` and `If-Range` to continue from `have` bytes of the version `validator` names; none to
/// start from the beginning.
fn resume_headers(have: u64, validator: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let validator = validator.and_then(|v| HeaderValue::from_str(v).ok());
    if let (true, Some(validator)) = (have > 0, validator) {
        let range = format!("bytes={have}-");
        headers.insert(
            header::RANGE,
            HeaderValue::from_str(&range).expect("a valid header"),
        );
        headers.insert(header::IF_RANGE, validator);
    }
    headers
}

fn size_mismatch(label: &str, expected: u64, got: u64) -> Error {
    Error::new(
        ErrorCode::Integrity,
        format!(
            "{label} should be {expected} bytes but {got} arrived; the file was not kept as whole."
        ),
    )
}
