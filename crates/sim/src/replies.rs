//! JSON replies written the way the Tornado job handler writes them.

use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// How a handler wrote its reply, which decides the content type Tornado sends.
#[derive(Clone, Copy)]
pub(crate) enum Style {
    /// `self.write(json.dumps(out))`: a string, sent as `text/html`.
    Text,
    /// `self.write(json.dumps(out, indent=4))`.
    IndentedText,
    /// `self.write(out)` with a dict, sent as `application/json`.
    Dict,
}

pub(crate) fn json(status: StatusCode, style: Style, body: &impl Serialize) -> Response {
    let text = match style {
        Style::IndentedText => {
            let mut out = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
            body.serialize(&mut serializer)
                .expect("replies always serialize");
            String::from_utf8(out).expect("serde_json writes UTF-8")
        }
        Style::Text | Style::Dict => serde_json::to_string(body).expect("replies always serialize"),
    };
    let content_type = match style {
        Style::Text | Style::IndentedText => "text/html; charset=UTF-8",
        Style::Dict => "application/json; charset=UTF-8",
    };
    (status, [(CONTENT_TYPE, content_type)], text).into_response()
}

#[derive(Serialize)]
struct StatusMessage<'a> {
    status: &'a str,
    message: &'a str,
}

/// `{"status":...,"message":...}` with the given HTTP status.
pub(crate) fn status_message(
    http: StatusCode,
    style: Style,
    status: &str,
    message: &str,
) -> Response {
    json(http, style, &StatusMessage { status, message })
}

/// `{"status":"error","message":...}` with the given HTTP status.
pub(crate) fn error(http: StatusCode, style: Style, message: &str) -> Response {
    status_message(http, style, "error", message)
}

/// A missing or unreadable argument: HTTP 400 with the job handler's error body.
#[derive(Debug)]
pub(crate) struct BadRequest(pub(crate) String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        error(StatusCode::BAD_REQUEST, Style::Text, &self.0)
    }
}

/// Serializes as `{}`.
pub(crate) struct EmptyObject;

impl Serialize for EmptyObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}
