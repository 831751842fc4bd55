//! The storage host UP42's signed URLs point at: GCS-style V4 signed URLs that expire by the sim's
//! clock (or all at once, on request), refused with an XML error when an `Authorization` header comes too.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use crate::clock::{self, UnixTime};
use crate::params::form_pairs;
use crate::rng::Rng;
use crate::state::SimState;
use crate::static_file::ValidatorShift;

/// How long a signed URL stays valid, seconds.
pub(crate) const URL_LIFETIME: UnixTime = 300;
const SERVICE_ACCOUNT: &str = "up42-sim-storage@up42-sim.iam.gserviceaccount.com";

/// Signs storage URLs; [`Signer::expire_all`] makes every URL issued so far expire.
pub(crate) struct Signer {
    base: String,
    seed: u64,
    /// Bumped by [`Signer::expire_all`]; URLs signed under an older generation have expired.
    generation: AtomicU64,
}

/// Why a signed URL is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    Unsigned,
    BadSignature,
    Expired { at: UnixTime },
}

impl Signer {
    pub(crate) fn new(base: String, seed: u64) -> Signer {
        Signer {
            base,
            seed,
            generation: AtomicU64::new(0),
        }
    }

    /// A URL for the object at `path` (starting with `/`), issued at `now`, that downloads as `name`.
    pub(crate) fn sign(&self, path: &str, name: &str, now: UnixTime) -> String {
        let date = goog_date(now);
        let credential = format!(
            "{SERVICE_ACCOUNT}/{}/auto/storage/goog4_request",
            &date[..8]
        );
        let disposition = format!("attachment; filename={name}");
        let signature = self.signature(
            self.generation.load(Ordering::Relaxed),
            path,
            &date,
            URL_LIFETIME,
            &disposition,
        );
        let quote = |text: &str| utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
        format!(
            "{}{path}?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential={}&X-Goog-Date={date}\
             &X-Goog-Expires={URL_LIFETIME}&X-Goog-SignedHeaders=host&response-content-disposition={}\
             &X-Goog-Signature={signature}",
            self.base,
            quote(&credential),
            quote(&disposition)
        )
    }

    /// Every URL signed so far expires now.
    pub(crate) fn expire_all(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// Checks a request's query string for `path` at `now`.
    pub(crate) fn verify(&self, path: &str, query: &str, now: UnixTime) -> Result<(), Refusal> {
        let pairs = form_pairs(query.as_bytes());
        let param = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let (Some(date), Some(expires), Some(signature)) = (
            param("X-Goog-Date"),
            param("X-Goog-Expires").and_then(|text| text.parse::<UnixTime>().ok()),
            param("X-Goog-Signature"),
        ) else {
            return Err(Refusal::Unsigned);
        };
        let disposition = param("response-content-disposition").unwrap_or_default();
        let issued = parse_goog_date(date).ok_or(Refusal::BadSignature)?;
        let current = self.generation.load(Ordering::Relaxed);
        let generation = (0..=current)
            .rev()
            .find(|&g| self.signature(g, path, date, expires, disposition) == signature)
            .ok_or(Refusal::BadSignature)?;
        if generation < current {
            // Expired on request: as of now.
            return Err(Refusal::Expired { at: now });
        }
        if now >= issued + expires {
            return Err(Refusal::Expired {
                at: issued + expires,
            });
        }
        Ok(())
    }

    fn signature(
        &self,
        generation: u64,
        path: &str,
        date: &str,
        expires: UnixTime,
        disposition: &str,
    ) -> String {
        Rng::derive(
            self.seed,
            &format!("up42-storage|{generation}|{path}|{date}|{expires}|{disposition}"),
        )
        .hex(32)
    }
}

/// `20240101T120000Z`
fn goog_date(t: UnixTime) -> String {
    clock::compact(t).replace('-', "T") + "Z"
}

fn parse_goog_date(text: &str) -> Option<UnixTime> {
    let digits = text.strip_suffix('Z')?.replace('T', "");
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let field = |at: usize, len: usize| digits[at..at + len].parse::<i64>().ok();
    Some(clock::utc(
        field(0, 4)?,
        field(4, 2)?,
        field(6, 2)?,
        field(8, 2)?,
        field(10, 2)?,
        field(12, 2)?,
    ))
}

pub(crate) fn router() -> Router<Arc<SimState>> {
    Router::new().route("/{*path}", get(object))
}

async fn object(State(state): State<Arc<SimState>>, request: Request) -> Response {
    let shift = request
        .extensions()
        .get::<ValidatorShift>()
        .copied()
        .unwrap_or_default();
    let (parts, _) = request.into_parts();
    let path = parts.uri.path().to_owned();
    // A signed URL carries its own authorization; GCS refuses a second one.
    if parts.headers.contains_key(AUTHORIZATION) {
        return gcs_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Invalid argument.",
            "A signed URL must not come with an Authorization header: send the request without it.",
        );
    }
    let up42 = &state.up42;
    let now = up42.clock.now();
    match up42.signer.verify(&path, parts.uri.query().unwrap_or_default(), now) {
        Ok(()) => {}
        Err(Refusal::Unsigned) => {
            return gcs_error(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "Access denied.",
                "Anonymous caller does not have storage.objects.get access to the object: ask UP42 for a signed URL.",
            )
        }
        Err(Refusal::BadSignature) => {
            return gcs_error(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                "Access denied.",
                "The request signature we calculated does not match the signature you provided.",
            )
        }
        Err(Refusal::Expired { at }) => {
            return gcs_error(
                StatusCode::BAD_REQUEST,
                "ExpiredToken",
                "Invalid argument.",
                &format!(
                    "The provided token has expired. Request signature expired at: {}: ask UP42 for a new signed URL.",
                    clock::iso(at)
                ),
            )
        }
    }
    let state = state.clone();
    tokio::task::spawn_blocking(move || match state.up42.stored(&path) {
        Some(object) => object.serve(&parts.method, &parts.headers, shift),
        None => gcs_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
            &format!("No such object: {path}"),
        ),
    })
    .await
    .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Google Cloud Storage's XML error document.
fn gcs_error(status: StatusCode, code: &str, message: &str, details: &str) -> Response {
    let body = format!(
        "<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message><Details>{details}</Details></Error>"
    );
    (
        status,
        [(CONTENT_TYPE, "application/xml; charset=UTF-8")],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_verify_until_they_expire_or_are_expired() {
        let signer = Signer::new("http://127.0.0.1:1".into(), 7);
        let url = signer.sign("/bucket/a.tgz", "a", 1_700_000_000);
        let query = url.split_once('?').unwrap().1;
        assert_eq!(
            signer.verify("/bucket/a.tgz", query, 1_700_000_000 + URL_LIFETIME - 1),
            Ok(())
        );
        assert_eq!(
            signer.verify("/bucket/a.tgz", query, 1_700_000_000 + URL_LIFETIME),
            Err(Refusal::Expired {
                at: 1_700_000_000 + URL_LIFETIME
            })
        );
        assert_eq!(
            signer.verify("/bucket/b.tgz", query, 1_700_000_000),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            signer.verify("/bucket/a.tgz", "", 1_700_000_000),
            Err(Refusal::Unsigned)
        );
        signer.expire_all();
        assert_eq!(
            signer.verify("/bucket/a.tgz", query, 1_700_000_001),
            Err(Refusal::Expired { at: 1_700_000_001 })
        );
        let fresh = signer.sign("/bucket/a.tgz", "a", 1_700_000_001);
        assert_eq!(
            signer.verify(
                "/bucket/a.tgz",
                fresh.split_once('?').unwrap().1,
                1_700_000_002
            ),
            Ok(())
        );
    }
}
