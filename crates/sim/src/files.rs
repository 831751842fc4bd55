//! The `/files-desaccess` file server: nginx's JSON and HTML listings and static files, no auth.
//!
//! `<folder>/json` gives the JSON autoindex, `<folder>/` the HTML one, anything else a file.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::autoindex;
use crate::nginx_error;
use crate::state::SimState;
use crate::static_file::{self, ValidatorShift};
use crate::vfs::Found;

/// URL prefix of the file server.
pub(crate) const ROOT: &str = "/files-desaccess";

pub(crate) fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route(ROOT, get(serve))
        .route(&format!("{ROOT}/"), get(serve))
        .route(&format!("{ROOT}/{{*path}}"), get(serve))
}

async fn serve(State(state): State<Arc<SimState>>, request: Request) -> Response {
    let shift = request
        .extensions()
        .get::<ValidatorShift>()
        .copied()
        .unwrap_or_default();
    let (parts, _) = request.into_parts();
    let path = parts.uri.path().to_owned();
    // Lookups may lay out the archive and render images: keep that off the async workers.
    tokio::task::spawn_blocking(move || {
        respond(&state, &path, &parts.method, &parts.headers, shift)
    })
    .await
    .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn respond(
    state: &SimState,
    path: &str,
    method: &Method,
    headers: &HeaderMap,
    shift: ValidatorShift,
) -> Response {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let relative = decoded.strip_prefix(ROOT).unwrap_or_default();
    let Some(segments) = normalize(relative) else {
        return nginx_error::page(StatusCode::BAD_REQUEST);
    };
    let root = state.archive.root();

    // location ~ ^/files-desaccess/.+/.+/.+/json$ → autoindex_format json on the folder.
    if let Some((&"json", folder)) = segments.split_last() {
        if folder.len() >= 3 {
            let body = match state.raw.listing(&folder.join("/")) {
                Some(raw) => raw,
                None => match root.lookup(folder) {
                    Some(Found::Dir(dir)) => autoindex::json(dir).into(),
                    _ => return nginx_error::page(StatusCode::NOT_FOUND),
                },
            };
            return ([(CONTENT_TYPE, "application/json")], body).into_response();
        }
    }

    let name = segments.last().copied().unwrap_or_default();
    if let Some(file) = state.raw.file(&segments.join("/")) {
        return static_file::serve(&file, name, method, headers, shift);
    }
    let wants_folder = relative.ends_with('/') || segments.is_empty();
    match root.lookup(&segments) {
        Some(Found::Dir(dir)) if wants_folder => {
            let listing = autoindex::html(&format!("{ROOT}/{}", folder_path(&segments)), dir);
            ([(CONTENT_TYPE, "text/html")], listing).into_response()
        }
        Some(Found::Dir(_)) => {
            let mut response = nginx_error::page(StatusCode::MOVED_PERMANENTLY);
            let location = format!("{path}/")
                .parse()
                .expect("a request path plus / is a valid header value");
            response.headers_mut().insert(LOCATION, location);
            response
        }
        Some(Found::File(file)) if !wants_folder => {
            static_file::serve(file, name, method, headers, shift)
        }
        _ => nginx_error::page(StatusCode::NOT_FOUND),
    }
}

/// Merges slashes and resolves `.` and `..` like nginx; `None` for NUL bytes or escaping the root.
fn normalize(path: &str) -> Option<Vec<&str>> {
    if path.contains('\0') {
        return None;
    }
    let mut segments = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop()?;
            }
            name => segments.push(name),
        }
    }
    Some(segments)
}

fn folder_path(segments: &[&str]) -> String {
    segments
        .iter()
        .map(|segment| format!("{segment}/"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalize_like_nginx() {
        assert_eq!(normalize("/a//b/./c/").unwrap(), ["a", "b", "c"]);
        assert_eq!(normalize("/a/../b").unwrap(), ["b"]);
        assert!(normalize("/../etc/passwd").is_none());
        assert!(normalize("/a\0b").is_none());
    }
}
