//! One file served like nginx's static module: ETag, Last-Modified, byte ranges, If-Range, HEAD.

use axum::body::Body;
use axum::http::header::{
    ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, LAST_MODIFIED,
};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::clock::{self, UnixTime};
use crate::nginx_error;
use crate::ranges::{self, RangeDecision};
use crate::vfs::File;

/// Seconds added to a file's modification time, to make its validators change between requests.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ValidatorShift(pub(crate) UnixTime);

/// Serves `file` (named `name`, for the content type) for a GET or HEAD with these headers.
pub(crate) fn serve(
    file: &File,
    name: &str,
    method: &Method,
    headers: &HeaderMap,
    shift: ValidatorShift,
) -> Response {
    let size = file.size();
    let mtime = file.mtime() + shift.0;
    let etag = format!("\"{mtime:x}-{size:x}\"");
    let (status, start, len) = match ranges::decide(headers, size, &etag, mtime) {
        RangeDecision::Full => (StatusCode::OK, 0, size),
        RangeDecision::Partial { start, end } => {
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        RangeDecision::Unsatisfiable => {
            let mut response = nginx_error::page(StatusCode::RANGE_NOT_SATISFIABLE);
            let unsatisfied = format!("bytes */{size}")
                .parse()
                .expect("a valid header value");
            response.headers_mut().insert(CONTENT_RANGE, unsatisfied);
            return response;
        }
    };
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        file.body(start, len)
    };
    let mut response = (
        status,
        [
            (CONTENT_TYPE, content_type(name).to_owned()),
            (CONTENT_LENGTH, len.to_string()),
            (LAST_MODIFIED, clock::http(mtime)),
            (ETAG, etag),
            (ACCEPT_RANGES, "bytes".to_owned()),
        ],
        body,
    )
        .into_response();
    if status == StatusCode::PARTIAL_CONTENT {
        let range = format!("bytes {start}-{}/{size}", start + len - 1)
            .parse()
            .expect("a valid header value");
        response.headers_mut().insert(CONTENT_RANGE, range);
    }
    response
}

/// nginx `mime.types`, except CSV and logs, sent as text.
fn content_type(name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "json" => "application/json",
        "csv" => "text/csv",
        "log" | "txt" => "text/plain",
        "html" => "text/html",
        _ => "application/octet-stream",
    }
}
