//! Response body bytes sent per file-server path, for `GET /_sim/stats` (and reset by `DELETE`).
//!
//! Counted as the HTTP server takes each chunk of a body, after fault injection, so a response
//! cut off by the client (or by a fault) counts only what went out. Paths are percent-decoded.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::response::Parts;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;

use crate::files;
use crate::state::SimState;

#[derive(Default)]
pub(crate) struct Stats {
    bytes_sent: Mutex<HashMap<String, Arc<AtomicU64>>>,
}

impl Stats {
    fn counter(&self, path: &str) -> Arc<AtomicU64> {
        self.bytes_sent
            .lock()
            .expect("stats lock poisoned")
            .entry(path.to_owned())
            .or_default()
            .clone()
    }

    /// Bytes sent per path since the last reset; paths with none are left out.
    pub(crate) fn bytes_sent(&self) -> BTreeMap<String, u64> {
        self.bytes_sent
            .lock()
            .expect("stats lock poisoned")
            .iter()
            .map(|(path, n)| (path.clone(), n.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// Starts counting from zero again (responses still in flight count from here on).
    pub(crate) fn reset(&self) {
        for n in self
            .bytes_sent
            .lock()
            .expect("stats lock poisoned")
            .values()
        {
            n.store(0, Ordering::Relaxed);
        }
    }
}

/// Middleware: counts the body bytes of every file-server response as they are sent.
pub(crate) async fn count(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if !path.starts_with(files::ROOT) || request.method() == Method::HEAD {
        return next.run(request).await;
    }
    let counter = state
        .stats
        .counter(&percent_encoding::percent_decode_str(path).decode_utf8_lossy());
    let response = next.run(request).await;
    let (parts, body) = split_keeping_length(response);
    let counted = body.into_data_stream().map(move |chunk| {
        if let Ok(bytes) = &chunk {
            counter.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        }
        chunk
    });
    Response::from_parts(parts, Body::from_stream(counted))
}

/// Splits a response whose body is about to be streamed anew, keeping the body's exact size as the
/// Content-Length header (a stream has none).
pub(crate) fn split_keeping_length(response: Response) -> (Parts, Body) {
    let (mut parts, body) = response.into_parts();
    if let Some(len) = body.size_hint().exact() {
        parts
            .headers
            .entry(CONTENT_LENGTH)
            .or_insert(HeaderValue::from(len));
    }
    (parts, body)
}
