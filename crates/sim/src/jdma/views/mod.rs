//! Django's side of JDMA: URL patterns, APPEND_SLASH redirects, query strings, error pages and `HttpError`, then the views.

mod batches;
mod requests;
mod user;

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::{ALLOW, CONTENT_TYPE, LOCATION};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::{Map, Value};

use super::db::Db;
use super::Jdma;
use crate::state::SimState;

/// Where `jdma_site` mounts the app.
const MOUNT: &str = "/jdma_control/";

/// The views, in `urls.py` order.
#[derive(Clone, Copy)]
enum View {
    User,
    Request,
    Migration,
    Archive,
    File,
    ListBackends,
}

/// `urls.py`'s `re_path` patterns: anchored at the start only, so `user` and `request` match
/// any path that begins with them, and the others need their slash.
const PATTERNS: [(&str, View); 6] = [
    ("api/v1/user", View::User),
    ("api/v1/request", View::Request),
    ("api/v1/migration/", View::Migration),
    ("api/v1/archive/", View::Archive),
    ("api/v1/file/", View::File),
    ("api/v1/list_backends/", View::ListBackends),
];

/// Every path of the JDMA port goes through [`dispatch`], so fault rules apply to all of them.
pub(crate) fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route("/", any(dispatch))
        .route("/{*path}", any(dispatch))
}

fn resolve(path: &str) -> Option<View> {
    let rest = path.strip_prefix(MOUNT)?;
    PATTERNS
        .iter()
        .find(|(pattern, _)| rest.starts_with(pattern))
        .map(|(_, view)| *view)
}

async fn dispatch(State(state): State<Arc<SimState>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let Some(view) = resolve(&path) else {
        // CommonMiddleware: a path that matches once slashed is redirected there, query kept.
        if !path.ends_with('/') && resolve(&format!("{path}/")).is_some() {
            let location = match &query {
                Some(query) => format!("{path}/?{query}"),
                None => format!("{path}/"),
            };
            return (
                StatusCode::MOVED_PERMANENTLY,
                [(LOCATION, location), (CONTENT_TYPE, HTML.into())],
            )
                .into_response();
        }
        return page(
            StatusCode::NOT_FOUND,
            "Not Found",
            "<h1>Not Found</h1><p>The requested resource was not found on this server.</p>",
        );
    };
    let method = request.method().clone();
    let Ok(body) = to_bytes(request.into_body(), 16 << 20).await else {
        return server_error();
    };
    let call = Call {
        method,
        query: Query::parse(query.as_deref()),
        body: body.to_vec(),
    };
    // Views may read and write files (a stage's work, or checking paths), so they run off the async threads.
    tokio::task::spawn_blocking(move || call.serve(&state.jdma, view))
        .await
        .unwrap_or_else(|_| server_error())
}

/// One request to a view.
struct Call {
    method: Method,
    query: Query,
    body: Vec<u8>,
}

impl Call {
    fn serve(&self, jdma: &Jdma, view: View) -> Response {
        let mut db = jdma.db();
        let db = &mut *db;
        let served = match (view, &self.method) {
            (View::User, &Method::GET) => user::get(self, db),
            (View::User, &Method::POST) => user::post(self, db),
            (View::User, &Method::PUT) => user::put(self, db),
            (View::User, _) => return not_allowed("GET, POST, PUT"),
            (View::Request, &Method::GET) => requests::get(self, db),
            (View::Request, &Method::POST) => requests::post(self, jdma, db),
            (View::Request, _) => return not_allowed("GET, POST"),
            (View::Migration, &Method::GET) => batches::get(self, db),
            (View::Migration, &Method::PUT) => batches::put(self, db),
            (View::Migration, _) => return not_allowed("GET, PUT"),
            (View::File, &Method::GET) => batches::files(self, db, true),
            (View::Archive, &Method::GET) => batches::files(self, db, false),
            (View::File | View::Archive, _) => return not_allowed("GET"),
            (View::ListBackends, _) => Ok(batches::backends()),
        };
        match served {
            Ok(data) => ok(data),
            Err(Refusal::Json { status, data }) => error_reply(status, data),
            Err(Refusal::Crash) => server_error(),
        }
    }

    /// The body as `json.loads` reads it; anything but an object is a 500 here.
    fn json(&self) -> Result<Map<String, Value>, Refusal> {
        match serde_json::from_slice(&self.body) {
            Ok(Value::Object(data)) => Ok(data),
            _ => Err(Refusal::Crash),
        }
    }
}

/// What a view answers: JSON, or a refusal.
type Reply = Result<Value, Refusal>;

/// A view's refusal: `HttpError`, or an exception Django turns into its 500 page.
enum Refusal {
    Json {
        status: StatusCode,
        /// The data with its `"error"`.
        data: Map<String, Value>,
    },
    Crash,
}

/// `request.GET`: `&`-separated pairs (`;` is not a separator), `+` and `%XX` decoded, a key
/// without `=` present with an empty value, the last of repeated keys winning.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(query: Option<&str>) -> Query {
        let pairs = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        Query(pairs)
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value.as_str())
    }

    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `int(request.GET.get(key))`: an unparsable value raises, which Django turns into a 500.
    fn int(&self, key: &str) -> Result<Option<i64>, Refusal> {
        self.get(key)
            .map(python_int)
            .transpose()
            .map_err(|()| Refusal::Crash)
    }
}

/// Python's `int()` of a string (surrounding spaces allowed).
fn python_int(text: &str) -> Result<i64, ()> {
    text.trim().parse().map_err(drop)
}

const HTML: &str = "text/html; charset=utf-8";

/// A JSON reply.
fn ok(data: Value) -> Response {
    (
        [(CONTENT_TYPE, "application/json")],
        serde_json::to_string(&data).unwrap_or_default(),
    )
        .into_response()
}

/// `HttpError`: `data` with its `"error"`.
fn error(mut data: Map<String, Value>, message: impl Into<String>, status: StatusCode) -> Refusal {
    data.insert("error".into(), message.into().into());
    Refusal::Json { status, data }
}

/// `HttpError`'s reply: the data as JSON, the error message also the status line's reason.
fn error_reply(status: StatusCode, data: Map<String, Value>) -> Response {
    let message = data["error"].as_str().unwrap_or_default();
    // HTTP/1 allows spaces and visible ASCII only in a reason.
    let reason: String = message
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { ' ' })
        .collect();
    let mut response = (status, ok(Value::Object(data))).into_response();
    if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(reason) {
        response.extensions_mut().insert(reason);
    }
    response
}

/// `HttpError(data)`: 404.
fn not_found(data: Map<String, Value>, message: impl Into<String>) -> Refusal {
    error(data, message, StatusCode::NOT_FOUND)
}

/// `HttpError(data, status=403)`.
fn forbidden(data: Map<String, Value>, message: impl Into<String>) -> Refusal {
    error(data, message, StatusCode::FORBIDDEN)
}

/// A small JSON object.
fn object<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Django's plain HTML page for a status (DEBUG off).
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>{title}</title>\n</head>\n<body>\n  {body}\n</body>\n</html>\n"
    );
    (status, [(CONTENT_TYPE, HTML)], html).into_response()
}

/// What an uncaught exception in a view gives.
fn server_error() -> Response {
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Server Error (500)",
        "<h1>Server Error (500)</h1><p></p>",
    )
}

/// `HttpResponseNotAllowed`: empty body, `Allow` header.
fn not_allowed(allow: &'static str) -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(ALLOW, allow), (CONTENT_TYPE, HTML)],
        Body::empty(),
    )
        .into_response()
}

/// The `workspace`/`filter` rules every list view shares: the rows' owner filter (`None`: all
/// users), or the error reply.
fn list_scope(
    call: &Call,
    db: &Db,
    name: &str,
    denied: &str,
) -> Result<(Option<String>, Option<String>), Refusal> {
    let workspace = call.query.get("workspace").map(str::to_owned);
    if let Some(ws) = &workspace {
        if db.workspace(ws).is_none() {
            let data = object([("name", name.into()), ("workspace", ws.as_str().into())]);
            return Err(not_found(data, "Workspace not found."));
        }
    }
    if call.query.get("filter") == Some("workspace") {
        let Some(ws) = &workspace else {
            let data = object([("name", name.into())]);
            return Err(not_found(
                data,
                "No workspace supplied and filter=workspace.",
            ));
        };
        if !db.is_member(name, ws) {
            let data = object([("workspace", ws.as_str().into()), ("name", name.into())]);
            return Err(forbidden(data, denied));
        }
        return Ok((workspace, None));
    }
    Ok((workspace, Some(name.to_owned())))
}
