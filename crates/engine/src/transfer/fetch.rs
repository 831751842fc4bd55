//! Fetches one file: resumes its `.part` with `Range`/`If-Range`, follows redirects under the auth policy,
//! streams to disk within the bandwidth limit, verifies, fsyncs and renames it into place.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::auth::{may_send_token, Credentials};
use super::limits::Bandwidth;
use super::model::{AuthPolicy, Digest};
use super::part_file::PartFile;
use super::retry::parse_retry_after;
use super::verify::{hash_prefix, is_whole, Hasher};
use crate::error::{Error, ErrorCode, Result};

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 10;

/// Everything one transfer needs.
pub struct FetchJob<'a> {
    pub client: &'a reqwest::Client,
    pub url: Url,
    /// How to name the file in messages: the URL with any secret removed.
    pub label: &'a str,
    pub target: &'a Path,
    pub size: Option<u64>,
    pub digest: Option<&'a Digest>,
    /// The validator (ETag or Last-Modified) of the bytes already in the `.part` file, if any.
    pub validator: Option<String>,
    pub auth: &'a AuthPolicy,
    /// True for URLs a provider signed; when storage refuses one (403, or 400 from object stores)
    /// the error is `LinkExpired` so the caller asks the provider for a fresh URL.
    pub signed_url: bool,
    pub credentials: Option<&'a dyn Credentials>,
    pub bandwidth: &'a Bandwidth,
    /// A response that sends nothing for this long counts as stalled.
    pub idle_timeout: Duration,
    pub cancel: &'a CancellationToken,
    /// Called once the server has answered, with the bytes already on disk that the transfer continues from.
    pub on_start: &'a (dyn Fn(u64) + Sync),
    /// Called once the body has arrived, before the file is synced, checked and renamed: the network
    /// part is over, so the caller may let another transfer start.
    pub on_body_done: &'a (dyn Fn() + Sync),
    /// Called with the number of bytes each time some are written.
    pub on_bytes: &'a (dyn Fn(u64) + Sync),
    /// Called with the validator of the bytes about to be written, before they are written.
    pub save_validator: &'a (dyn Fn(Option<&str>) -> Result<()> + Sync),
}

/// How a transfer ended well: `bytes` were fetched, continuing a `.part` file from `resumed_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: u64,
    pub resumed_from: u64,
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

/// Runs one transfer into a target readied by [`prepare_target`], to the end or to the first error.
pub async fn fetch(job: FetchJob<'_>) -> Result<Fetched> {
    let part = part_path(job.target);
    let mut have = tokio::fs::metadata(&part)
        .await
        .map(|m| m.len())
        .unwrap_or(0);
    if job.validator.is_none() || job.size.is_some_and(|size| have > size) {
        have = 0;
    }
    if have > 0 && job.size == Some(have) {
        (job.on_start)(have);
        return finish(&job, &part, have, 0, None).await;
    }

    let (status, headers, mut body) = open(&job, have).await?;
    let resumed_from = match status {
        // A server that ignores If-Range sends the changed file's tail: never splice it onto the old bytes.
        StatusCode::PARTIAL_CONTENT
            if have > 0
                && validator_of(&headers)
                    .is_some_and(|v| job.validator.as_deref() != Some(&*v)) =>
        {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(Error::protocol(format!(
                "{} changed on the server since the partial file was written; starting it again.",
                job.label
            ))
            .retryable(true));
        }
        StatusCode::PARTIAL_CONTENT if have > 0 && content_range_start(&headers) == Some(have) => {
            have
        }
        StatusCode::PARTIAL_CONTENT => {
            return Err(Error::protocol(format!(
                "{} answered a range that was not asked for; starting the file again.",
                job.label
            ))
            .retryable(true))
            .inspect_err(|_| drop(std::fs::remove_file(&part)));
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(Error::protocol(format!(
                "{} refused to continue the partial file; starting it again.",
                job.label
            ))
            .retryable(true));
        }
        status if status.is_success() => 0,
        status => return Err(status_error(&job, status, &headers)),
    };
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let (Some(expected), Some(length)) = (job.size, length) {
        if resumed_from + length != expected {
            return Err(size_mismatch(job.label, expected, resumed_from + length).retryable(true));
        }
    }
    (job.save_validator)(validator_of(&headers).as_deref())?;
    (job.on_start)(resumed_from);

    let expected_len = job.size.or(length.map(|length| resumed_from + length));
    let mut file = PartFile::open(&part, resumed_from, expected_len)
        .await
        .map_err(|err| Error::disk("create", &part, err))?;
    let mut hasher = match job.digest {
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
        let next = tokio::select! {
            biased;
            _ = job.cancel.cancelled() => break Err(Error::new(ErrorCode::Cancelled, "Stopped.")),
            next = tokio::time::timeout(job.idle_timeout, body.next()) => next,
        };
        let chunk = match next {
            Err(_) => {
                break Err(Error::new(
                    ErrorCode::Network,
                    format!(
                        "{} stopped sending data for {} s; trying again.",
                        job.label,
                        job.idle_timeout.as_secs()
                    ),
                ))
            }
            Ok(None) => break Ok(()),
            Ok(Some(Err(err))) => break Err(Error::network(job.label, &err)),
            Ok(Some(Ok(chunk))) => chunk,
        };
        if job
            .size
            .is_some_and(|size| resumed_from + written + chunk.len() as u64 > size)
        {
            break Err(size_mismatch(
                job.label,
                job.size.unwrap_or(0),
                resumed_from + written + chunk.len() as u64,
            )
            .retryable(true));
        }
        tokio::select! {
            biased;
            _ = job.cancel.cancelled() => break Err(Error::new(ErrorCode::Cancelled, "Stopped.")),
            _ = job.bandwidth.take(chunk.len() as u64) => {}
        }
        if let Err(err) = file.write(&chunk).await {
            break Err(Error::disk("write", &part, err));
        }
        if let Some(hasher) = hasher.as_mut() {
            hasher.update(&chunk);
        }
        written += chunk.len() as u64;
        (job.on_bytes)(chunk.len() as u64);
    };
    if outcome.is_ok() {
        (job.on_body_done)();
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
    finish(&job, &part, resumed_from + written, written, hasher).await
}

/// True when a request to `url` may carry the archive's token: never a signed URL, else as the policy says.
fn may_carry_token(job: &FetchJob<'_>, url: &Url) -> bool {
    !job.signed_url && may_send_token(job.auth, url)
}

/// Sends the request (continuing from `have` bytes when possible), following redirects by hand so that
/// the token only ever goes where the policy allows, and refreshing it once on a 401.
async fn send(job: &FetchJob<'_>, have: u64) -> Result<reqwest::Response> {
    let mut url = job.url.clone();
    let mut refreshed = false;
    let mut redirects = 0;
    loop {
        let mut request = job.client.get(url.clone());
        if have > 0 {
            request = request
                .header(header::RANGE, format!("bytes={have}-"))
                .header(header::IF_RANGE, job.validator.clone().unwrap_or_default());
        }
        if may_carry_token(job, &url) {
            if let Some(value) = job.credentials.and_then(|c| c.authorization()) {
                request = request.header(header::AUTHORIZATION, value);
            }
        }
        let response = tokio::select! {
            biased;
            _ = job.cancel.cancelled() => return Err(Error::new(ErrorCode::Cancelled, "Stopped.")),
            sent = request.send() => sent.map_err(|err| Error::network(job.label, &err))?,
        };
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok());
            let next = location.and_then(|l| url.join(l).ok()).ok_or_else(|| {
                Error::protocol(format!(
                    "{} redirected without a usable Location header.",
                    job.label
                ))
            })?;
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(Error::protocol(format!(
                    "{} redirected more than {MAX_REDIRECTS} times.",
                    job.label
                )));
            }
            url = next;
            continue;
        }
        let session_over = status == StatusCode::UNAUTHORIZED;
        if session_over && !refreshed && may_carry_token(job, &url) {
            if let Some(credentials) = job.credentials {
                credentials.refresh().await?;
                refreshed = true;
                url = job.url.clone();
                continue;
            }
        }
        if session_over {
            return Err(Error::new(
                ErrorCode::AuthExpired,
                format!("{} needs you to sign in again.", job.label),
            ));
        }
        return Ok(response);
    }
}

/// The body of a response, possibly already read (when a tiny JSON reply had to be looked at).
type Body = futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>;

/// Sends the request and, when the archive's token went with it, looks inside tiny JSON replies:
/// DESaccess answers an expired token with HTTP 200 and `{"status":"error","message":"Signature has expired"}`
/// instead of the file. That reply renews the token once and asks again; any other body is kept as the file's.
async fn open(job: &FetchJob<'_>, have: u64) -> Result<(StatusCode, HeaderMap, Body)> {
    let mut refreshed = false;
    loop {
        let response = send(job, have).await?;
        let (status, headers) = (response.status(), response.headers().clone());
        let token_sent = may_carry_token(job, response.url()) && job.credentials.is_some();
        let tiny_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
            && response.content_length().is_some_and(|len| len <= 1024);
        if !(token_sent && tiny_json && status == StatusCode::OK) {
            return Ok((status, headers, response.bytes_stream().boxed()));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|err| Error::network(job.label, &err))?;
        let expired = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|reply| {
                reply
                    .get("message")
                    .and_then(|m| m.as_str())
                    .map(|m| m.contains("Signature has expired"))
            })
            .unwrap_or(false);
        if !expired {
            return Ok((
                status,
                headers,
                futures_util::stream::once(async move { Ok(bytes) }).boxed(),
            ));
        }
        match (refreshed, job.credentials) {
            (false, Some(credentials)) => {
                credentials.refresh().await?;
                refreshed = true;
            }
            _ => {
                return Err(Error::new(
                    ErrorCode::AuthExpired,
                    format!("{} needs you to sign in again.", job.label),
                ))
            }
        }
    }
}

/// Checks the size and digest of the `.part` file and renames it into place. `hasher` has seen the
/// file's bytes as they arrived; without one, the file is read to check its digest.
/// The folder's entry is not synced here: a rename lost in a crash leaves a whole `.part`, which the
/// next run renames without fetching anything (the batch syncs its folders when it ends).
async fn finish(
    job: &FetchJob<'_>,
    part: &Path,
    total: u64,
    fetched: u64,
    hasher: Option<Hasher>,
) -> Result<Fetched> {
    if let Some(expected) = job.size {
        if total != expected {
            return Err(size_mismatch(job.label, expected, total).retryable(true));
        }
    }
    if let Some(digest) = job.digest {
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
                    job.label
                ),
            )
            .retryable(true));
        }
    }
    tokio::fs::rename(part, job.target)
        .await
        .map_err(|err| Error::disk("rename into place", job.target, err))?;
    Ok(Fetched {
        bytes: fetched,
        resumed_from: total - fetched,
    })
}

/// The validator to resume against later: a strong ETag, else Last-Modified.
fn validator_of(headers: &HeaderMap) -> Option<String> {
    let etag = headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .filter(|e| !e.starts_with("W/"));
    etag.or_else(|| {
        headers
            .get(header::LAST_MODIFIED)
            .and_then(|v| v.to_str().ok())
    })
    .map(str::to_string)
}

fn content_range_start(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(header::CONTENT_RANGE)?.to_str().ok()?;
    value
        .strip_prefix("bytes ")?
        .split('-')
        .next()?
        .trim()
        .parse()
        .ok()
}

fn status_error(job: &FetchJob<'_>, status: StatusCode, headers: &HeaderMap) -> Error {
    let what = job.label;
    let retry_after = headers
        .get(header::RETRY_AFTER)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .and_then(parse_retry_after);
    let mut err = match status.as_u16() {
        400 | 403 if job.signed_url => Error::new(
            ErrorCode::LinkExpired,
            format!(
                "The signed link for {} expired; getting a fresh one.",
                job.target.display()
            ),
        )
        .retryable(true)
        .retry_now(),
        408 => Error::http_status(what, status).retryable(true),
        _ => Error::http_status(what, status),
    };
    err.retry_after = retry_after;
    err
}

fn size_mismatch(label: &str, expected: u64, got: u64) -> Error {
    Error::new(
        ErrorCode::Integrity,
        format!(
            "{label} should be {expected} bytes but {got} arrived; the file was not kept as whole."
        ),
    )
}
