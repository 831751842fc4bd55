//! One GET to an archive under its credential rules: manual redirects, the token only where the policy allows, one renewal.
//!
//! Downloads and previews both fetch through here, so a file's bytes travel under the same rules
//! whichever of them asks. The client must not follow redirects by itself ([`crate::http::transfer_client`]):
//! every hop is decided here.

use futures_util::StreamExt;
#[cfg(test)]
use reqwest::header::HeaderValue;
use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::auth::{may_send_token, Credentials};
use super::body::Body;
use super::model::AuthPolicy;
use super::retry::retry_after;
use crate::error::{Error, ErrorCode, Result};

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 10;

/// A GET to make under an archive's credential rules.
pub struct AuthorizedRequest<'a> {
    /// A client that does not follow redirects by itself.
    pub client: &'a reqwest::Client,
    pub url: Url,
    /// How to name the file in messages: the URL with any secret removed.
    pub label: &'a str,
    pub auth: &'a AuthPolicy,
    /// True for URLs a provider signed: they never carry the token, and when storage refuses one
    /// (403, or 400 from object stores) the error is `LinkExpired` so the caller gets a fresh URL.
    pub signed_url: bool,
    pub credentials: Option<&'a dyn Credentials>,
    /// Sent on every hop, e.g. `Range` and `If-Range`.
    pub headers: HeaderMap,
    pub cancel: &'a CancellationToken,
}

/// A final answer (no redirect, no expired session): its status and headers, and its body to stream
/// (possibly already read, when a tiny JSON reply had to be looked at).
pub struct Opened {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Body,
}

impl AuthorizedRequest<'_> {
    /// True when a request to `url` may carry the archive's token: never a signed URL, else as the policy says.
    fn may_carry_token(&self, url: &Url) -> bool {
        !self.signed_url && may_send_token(self.auth, url)
    }

    /// The error for a 401 that refreshing did not cure: the session ended, or, when no credentials
    /// went with the request, the file is not open to everyone.
    fn sign_in_again(&self) -> Error {
        match self.credentials {
            Some(_) => Error::new(
                ErrorCode::AuthExpired,
                format!("{} needs you to sign in again.", self.label),
            ),
            None => Error::new(
                ErrorCode::NotSignedIn,
                format!(
                    "{} is not open to everyone: sign in with an account (or give a token) that may fetch it.",
                    self.label
                ),
            ),
        }
    }

    /// The error for an answer that is not the file: `LinkExpired` for a refused signed URL, else
    /// as [`Error::http_status`] says, keeping the server's `Retry-After`.
    pub fn status_error(&self, status: StatusCode, headers: &HeaderMap) -> Error {
        let what = self.label;
        let mut err = match status.as_u16() {
            400 | 403 if self.signed_url => Error::new(
                ErrorCode::LinkExpired,
                format!("The signed link for {what} expired; getting a fresh one."),
            )
            .retryable(true)
            .retry_now(),
            408 => Error::http_status(what, status).retryable(true),
            _ => Error::http_status(what, status),
        };
        err.retry_after = retry_after(headers);
        err
    }
}

/// Sends the request, following redirects by hand so that the token only ever goes where the policy
/// allows, and refreshing it once on a 401.
pub async fn send(req: &AuthorizedRequest<'_>) -> Result<reqwest::Response> {
    let mut url = req.url.clone();
    let mut refreshed = false;
    let mut redirects = 0;
    loop {
        let mut request = req.client.get(url.clone()).headers(req.headers.clone());
        if req.may_carry_token(&url) {
            if let Some(value) = req.credentials.and_then(|c| c.authorization()) {
                request = request.header(header::AUTHORIZATION, value);
            }
        }
        let response = tokio::select! {
            biased;
            _ = req.cancel.cancelled() => return Err(Error::new(ErrorCode::Cancelled, "Stopped.")),
            sent = request.send() => sent.map_err(|err| Error::network(req.label, &err))?,
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
                    req.label
                ))
            })?;
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(Error::protocol(format!(
                    "{} redirected more than {MAX_REDIRECTS} times.",
                    req.label
                )));
            }
            url = next;
            continue;
        }
        let session_over = status == StatusCode::UNAUTHORIZED;
        if session_over && !refreshed && req.may_carry_token(&url) {
            if let Some(credentials) = req.credentials {
                credentials.refresh().await?;
                refreshed = true;
                url = req.url.clone();
                continue;
            }
        }
        if session_over {
            return Err(req.sign_in_again());
        }
        return Ok(response);
    }
}

/// Sends the request and, when the archive's token went with it, looks inside tiny JSON replies: some
/// archives answer an expired token with HTTP 200 and a message instead of the file
/// ([`Credentials::is_session_ended_reply`]). That reply renews the token once and asks again; any other
/// body is kept as the file's.
pub async fn open(req: &AuthorizedRequest<'_>) -> Result<Opened> {
    let mut refreshed = false;
    loop {
        let response = send(req).await?;
        let (status, headers) = (response.status(), response.headers().clone());
        let token_sent = req.may_carry_token(response.url()) && req.credentials.is_some();
        let tiny_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
            && response.content_length().is_some_and(|len| len <= 1024);
        if !(token_sent && tiny_json && status == StatusCode::OK) {
            let label = req.label.to_string();
            let body = response
                .bytes_stream()
                .map(move |chunk| chunk.map_err(|err| Error::network(&label, &err)))
                .boxed();
            return Ok(Opened {
                status,
                headers,
                body,
            });
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|err| Error::network(req.label, &err))?;
        let expired = req
            .credentials
            .is_some_and(|credentials| credentials.is_session_ended_reply(&bytes));
        if !expired {
            let body = futures_util::stream::once(async move { Ok(bytes) }).boxed();
            return Ok(Opened {
                status,
                headers,
                body,
            });
        }
        match (refreshed, req.credentials) {
            (false, Some(credentials)) => {
                credentials.refresh().await?;
                refreshed = true;
            }
            _ => return Err(req.sign_in_again()),
        }
    }
}

/// The validator of a response's bytes: a strong ETag, else Last-Modified (what `If-Range` accepts).
pub fn validator_of(headers: &HeaderMap) -> Option<String> {
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

/// The body's length as the server announced it.
pub fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Which bytes a `206 Partial Content` answer holds, from `Content-Range: bytes 100-199/1234`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    pub start: u64,
    /// The whole file's size; `None` when the server wrote `*`.
    pub total: Option<u64>,
}

pub fn content_range(headers: &HeaderMap) -> Option<ContentRange> {
    let value = headers.get(header::CONTENT_RANGE)?.to_str().ok()?;
    let value = value.strip_prefix("bytes ")?;
    let (range, total) = value.split_once('/').unwrap_or((value, "*"));
    Some(ContentRange {
        start: range.split('-').next()?.trim().parse().ok()?,
        total: total.trim().parse().ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_gives_start_and_total() {
        let mut headers = HeaderMap::new();
        assert_eq!(content_range(&headers), None);
        headers.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_static("bytes 100-199/1234"),
        );
        let range = content_range(&headers);
        assert_eq!(
            range,
            Some(ContentRange {
                start: 100,
                total: Some(1234)
            })
        );
        headers.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_static("bytes 0-9/*"),
        );
        assert_eq!(
            content_range(&headers),
            Some(ContentRange {
                start: 0,
                total: None
            })
        );
        headers.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_static("items 0-9/10"),
        );
        assert_eq!(content_range(&headers), None);
    }
}
