//! Request arguments read with Tornado's rules, as the DESaccess job handler reads them.
//!
//! A JSON body counts only for an exact JSON content type; otherwise query-string fields plus
//! url-encoded form fields.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::replies::BadRequest;

/// The arguments of one API request.
pub(crate) enum Args {
    Json(Map<String, Value>),
    Form(Vec<(String, String)>),
}

impl Args {
    /// A required argument; a missing one becomes the job handler's HTTP 400 reply.
    pub(crate) fn required(&self, name: &str) -> Result<String, BadRequest> {
        self.optional(name).ok_or_else(|| {
            let message = match self {
                // str(KeyError(name)) in Python.
                Args::Json(_) => format!("'{name}'"),
                Args::Form(_) => format!("HTTP 400: Bad Request (Missing argument {name})"),
            };
            BadRequest(message)
        })
    }

    /// Every value given for a repeated form or query field, in order (none for a JSON body).
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        match self {
            Args::Json(_) => Vec::new(),
            Args::Form(pairs) => pairs
                .iter()
                .filter(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
                .collect(),
        }
    }

    /// An argument if present; JSON numbers and booleans are given as text.
    pub(crate) fn optional(&self, name: &str) -> Option<String> {
        match self {
            Args::Json(map) => map.get(name).map(|value| match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            }),
            // Tornado's get_argument returns the last value given.
            Args::Form(pairs) => pairs
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone()),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for Args {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let is_json =
            content_type == "application/json" || content_type == "application/javascript";
        let is_form = content_type.starts_with("application/x-www-form-urlencoded");
        let mut pairs = form_pairs(request.uri().query().unwrap_or_default().as_bytes());
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if is_json {
            return serde_json::from_slice(&body)
                .map(Args::Json)
                .map_err(|error| BadRequest(error.to_string()).into_response());
        }
        if is_form {
            pairs.extend(form_pairs(&body));
        }
        Ok(Args::Form(pairs))
    }
}

/// Decodes `application/x-www-form-urlencoded` text into key/value pairs.
pub(crate) fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    bytes
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = match pair.iter().position(|&b| b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &[][..]),
            };
            (decode_component(key), decode_component(value))
        })
        .collect()
}

fn decode_component(bytes: &[u8]) -> String {
    let plus_as_space: Vec<u8> = bytes
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&plus_as_space)
        .decode_utf8_lossy()
        .into_owned()
}
