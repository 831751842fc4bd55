//! Tiny HTTP servers for the cases the simulator cannot play: they record every request and answer as the test says.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_RANGE, LOCATION, RANGE,
};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Path and query, e.g. `/file.bin?expires=2`.
    pub uri: String,
    pub headers: HeaderMap,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn authorization(&self) -> Option<&str> {
        self.header(AUTHORIZATION.as_str())
    }
}

/// A server on `127.0.0.1` answering every request with `handler`, and remembering what it was asked.
pub struct TestServer {
    address: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: JoinHandle<()>,
}

impl TestServer {
    pub async fn start(handler: impl Fn(&Seen) -> Response + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (log, handler) = (seen.clone(), Arc::new(handler));
        let app = Router::new().fallback(move |request: Request| {
            let (log, handler) = (log.clone(), handler.clone());
            async move {
                let request = Seen {
                    uri: request.uri().to_string(),
                    headers: request.headers().clone(),
                };
                log.lock().unwrap().push(request.clone());
                handler(&request)
            }
        });
        let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TestServer {
            address,
            seen,
            task,
        }
    }

    /// `127.0.0.1:PORT`, as an auth policy lists hosts.
    pub fn authority(&self) -> String {
        self.address.to_string()
    }

    /// `http://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `bytes` as a static file with a strong `etag`, honouring `Range: bytes=N-` (and, if `if_range`, `If-Range`).
pub fn file(request: &Seen, bytes: &[u8], etag: &str, if_range: bool) -> Response {
    let stale = if_range && request.header(IF_RANGE.as_str()).is_some_and(|v| v != etag);
    let start = request
        .header(RANGE.as_str())
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| n < bytes.len() && !stale);
    let mut headers = HeaderMap::new();
    headers.insert(ETAG, etag.parse().unwrap());
    headers.insert(CONTENT_TYPE, "application/octet-stream".parse().unwrap());
    match start {
        Some(start) => {
            let range = format!("bytes {start}-{}/{}", bytes.len() - 1, bytes.len());
            headers.insert(CONTENT_RANGE, range.parse().unwrap());
            let body = Bytes::copy_from_slice(&bytes[start..]);
            (StatusCode::PARTIAL_CONTENT, headers, body).into_response()
        }
        None => (headers, Bytes::copy_from_slice(bytes)).into_response(),
    }
}

/// Like [`file`] (a full answer), but the connection breaks after `after` bytes of the body.
pub fn broken_file(bytes: &[u8], etag: &str, after: usize) -> Response {
    let head = Bytes::copy_from_slice(&bytes[..after]);
    let parts = futures_util::stream::iter([Ok(head), Err(())]).then(|part| async move {
        match part {
            Ok(head) => Ok(head),
            Err(()) => {
                // Let the server flush what it has before the connection goes down.
                tokio::time::sleep(Duration::from_millis(200)).await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "cut off by the test",
                ))
            }
        }
    });
    Response::builder()
        .header(ETAG, etag)
        .header(CONTENT_LENGTH, bytes.len())
        .body(Body::from_stream(parts))
        .unwrap()
}

/// `bytes` in small chunks with no `Content-Length` (chunked transfer encoding).
pub fn chunked(bytes: &[u8]) -> Response {
    let chunks: Vec<Result<Bytes, std::io::Error>> = bytes
        .chunks(10_000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let stream = futures_util::stream::iter(chunks).then(|c| async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        c
    });
    Response::new(Body::from_stream(stream))
}

/// A 302 to `location`.
pub fn redirect(location: &str) -> Response {
    (StatusCode::FOUND, [(LOCATION, location.to_string())]).into_response()
}

/// A bare status with no body worth keeping.
pub fn status(code: StatusCode) -> Response {
    (code, format!("HTTP {}", code.as_u16())).into_response()
}

/// DESaccess's answer to an expired token on a protected file: HTTP 200 and a tiny JSON error.
pub fn session_ended_json() -> Response {
    (
        [(CONTENT_TYPE, "application/json")],
        r#"{"status":"error","message":"Signature has expired"}"#,
    )
        .into_response()
}

/// The account that test items needing a token belong to.
pub fn test_account() -> jobfetch_engine::ids::AccountId {
    let provider = jobfetch_engine::ids::ProviderId::new("test").expect("a valid provider id");
    jobfetch_engine::ids::AccountId::new(&provider, "tester", "127.0.0.1").expect("a valid account")
}
