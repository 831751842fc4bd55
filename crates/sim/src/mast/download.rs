//! `GET /api/v0.1/Download/file?uri=<dataURI>`: a product's bytes, a redirect to storage, or a refusal.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use serde_json::json;

use super::catalog::{Delivery, Product, PUBLIC};
use super::session::{self, InvalidToken};
use super::storage;
use crate::params::form_pairs;
use crate::state::SimState;
use crate::static_file::{self, ValidatorShift};

/// Chunk size of generated (unsized) products.
const GENERATED_CHUNK: usize = 16 * 1024;

pub(crate) async fn file(State(state): State<Arc<SimState>>, request: Request) -> Response {
    let shift = request
        .extensions()
        .get::<ValidatorShift>()
        .copied()
        .unwrap_or_default();
    let (parts, _) = request.into_parts();
    let query = form_pairs(parts.uri.query().unwrap_or_default().as_bytes());
    // bundle_name and any other parameter are accepted and ignored, as MAST does.
    let Some(uri) = query
        .into_iter()
        .find(|(key, _)| key == "uri")
        .map(|(_, uri)| uri)
    else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "Required parameter 'uri' is missing.",
        );
    };
    let caller = match session::caller(&parts.headers) {
        Ok(caller) => caller,
        Err(InvalidToken) => {
            return refusal(
                StatusCode::UNAUTHORIZED,
                "The MAST token is invalid or expired.",
            )
        }
    };
    tokio::task::spawn_blocking(move || {
        let catalog = state.mast.catalog();
        let Some((obs, product)) = catalog.product(&uri) else {
            return refusal(StatusCode::NOT_FOUND, &format!("File not found: {uri}"));
        };
        if obs.data_rights != PUBLIC && caller.is_none() {
            return refusal(
                StatusCode::UNAUTHORIZED,
                "This file is in its exclusive access period: a MAST token is required.",
            );
        }
        let mut response = match product.delivery {
            Delivery::Direct => static_file::serve(
                &product.file,
                &product.filename,
                &parts.method,
                &parts.headers,
                shift,
            ),
            Delivery::Redirect => {
                let location = state.mast.signed_url(&storage::key(obs, product));
                let mut response = StatusCode::FOUND.into_response();
                response.headers_mut().insert(
                    LOCATION,
                    HeaderValue::from_str(&location).expect("a URL is a valid header value"),
                );
                return response;
            }
            Delivery::Generated => generated(product, &parts.method),
        };
        if let Ok(value) =
            HeaderValue::from_str(&format!("attachment; filename={}", product.filename))
        {
            response.headers_mut().insert(CONTENT_DISPOSITION, value);
        }
        response
    })
    .await
    .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// A product made per request: streamed in chunks with no length, no validators, no ranges.
fn generated(product: &Product, method: &Method) -> Response {
    let bytes = product.file.bytes();
    let chunks: Vec<Result<_, Infallible>> = if method == Method::HEAD {
        Vec::new()
    } else {
        (0..bytes.len())
            .step_by(GENERATED_CHUNK)
            .map(|at| Ok(bytes.slice(at..(at + GENERATED_CHUNK).min(bytes.len()))))
            .collect()
    };
    let body = Body::from_stream(futures_util::stream::iter(chunks));
    ([(CONTENT_TYPE, "image/jpeg")], body).into_response()
}

/// An error as the download service words it, as JSON.
fn refusal(status: StatusCode, message: &str) -> Response {
    let mut response = (status, Json(json!({"status": "ERROR", "msg": message}))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("token"));
    }
    response
}
