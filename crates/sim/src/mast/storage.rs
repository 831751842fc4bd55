//! The storage host that JWST downloads are redirected to: S3-style pre-signed URLs, refused (as S3
//! does) when an `Authorization` header comes too, as a MAST token forwarded across the redirect would.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::catalog::{Observation, Product};
use crate::clock::{self, UnixTime};
use crate::params::form_pairs;
use crate::rng::Rng;
use crate::state::SimState;
use crate::static_file::{self, ValidatorShift};

/// How long a pre-signed URL stays valid, in seconds.
const URL_LIFETIME: UnixTime = 3600;
/// The access key id the pre-signed URLs carry.
const ACCESS_KEY_ID: &str = "ASIAMASTSIMSTORAGE01";

pub(crate) fn router() -> Router<Arc<SimState>> {
    Router::new().route("/{*key}", get(object))
}

/// Where a product lies in the bucket, as in MAST's public S3 layout.
pub(crate) fn key(obs: &Observation, product: &Product) -> String {
    format!(
        "stpubdata/{}/public/{}/{}",
        obs.collection.to_ascii_lowercase(),
        obs.obs_id,
        product.filename
    )
}

/// `{storage}/{key}?AWSAccessKeyId=…&Expires=<unix>&Signature=…`, valid for [`URL_LIFETIME`].
pub(crate) fn signed_url(storage: &str, seed: u64, key: &str) -> String {
    let expires = clock::now() + URL_LIFETIME;
    format!(
        "{storage}/{key}?AWSAccessKeyId={ACCESS_KEY_ID}&Expires={expires}&Signature={}",
        signature(seed, key, expires)
    )
}

fn signature(seed: u64, key: &str, expires: UnixTime) -> String {
    Rng::derive(seed, &format!("storage|{key}|{expires}")).hex(20)
}

async fn object(State(state): State<Arc<SimState>>, request: Request) -> Response {
    let shift = request
        .extensions()
        .get::<ValidatorShift>()
        .copied()
        .unwrap_or_default();
    let (parts, _) = request.into_parts();
    let key = percent_encoding::percent_decode_str(parts.uri.path().trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    let query = form_pairs(parts.uri.query().unwrap_or_default().as_bytes());
    let param = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    // S3 takes one way of signing a request: a pre-signed URL with an Authorization header as well
    // (a client that forwarded MAST's token here) is refused.
    if parts.headers.contains_key(AUTHORIZATION) {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
        );
    }
    let expires = param("Expires").and_then(|text| text.parse::<UnixTime>().ok());
    let Some(expires) = expires.filter(|_| param("AWSAccessKeyId") == Some(ACCESS_KEY_ID)) else {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied");
    };
    if param("Signature") != Some(signature(state.mast.seed, &key, expires).as_str()) {
        return s3_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        );
    }
    if expires < clock::now() {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
    }
    tokio::task::spawn_blocking(move || match state.mast.catalog().stored(&key) {
        Some((_, product)) => static_file::serve(
            &product.file,
            &product.filename,
            &parts.method,
            &parts.headers,
            shift,
        ),
        None => s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        ),
    })
    .await
    .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// S3's XML error document.
fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    (status, [(CONTENT_TYPE, "application/xml")], body).into_response()
}
