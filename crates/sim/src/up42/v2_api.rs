//! The current API's routes: processing jobs with cursor paging, STAC results, asset download URLs; RFC 7807 errors.

use std::sync::Arc;

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use super::processing::Collection;
use super::tokens::Scope;
use super::{Up42, ACCOUNT_ID};
use crate::params::form_pairs;
use crate::state::SimState;

type Shared = State<Arc<SimState>>;

/// Jobs per page when the request gives no `limit`.
const PAGE_SIZE: usize = 10;
const MAX_PAGE_SIZE: usize = 100;

pub(crate) fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route("/v2/processing/jobs", get(jobs))
        .route("/v2/processing/jobs/{id}", get(job))
        .route("/v2/assets/stac/collections/{c}", get(collection))
        .route("/v2/assets/stac/collections/{c}/items", get(items))
        .route("/v2/assets/stac/collections/{c}/items/{i}", get(item))
        .route("/v2/assets/{id}/download-url", post(download_url))
        .fallback(|uri: OriginalUri| async move {
            problem(
                StatusCode::NOT_FOUND,
                "No such resource: check the path against the API reference.",
                uri.path(),
            )
        })
}

/// An RFC 7807 problem document.
struct Problem {
    status: StatusCode,
    detail: String,
    instance: String,
}

fn problem(status: StatusCode, detail: &str, instance: &str) -> Problem {
    Problem {
        status,
        detail: detail.to_owned(),
        instance: instance.to_owned(),
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = json!({
            "type": "about:blank",
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
            "instance": self.instance,
        });
        (
            self.status,
            [(CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

type Reply = Result<Response, Problem>;

/// Checks for an account token; a project token is refused.
fn signed_in(up42: &Up42, headers: &HeaderMap, instance: &str) -> Result<(), Problem> {
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match up42.tokens.bearer(header, up42.clock.now()) {
        Ok(Scope::Account) => Ok(()),
        Ok(_) => Err(problem(
            StatusCode::FORBIDDEN,
            "Project tokens do not reach the current API: sign in with the account on the auth host.",
            instance,
        )),
        Err(refused) => Err(problem(StatusCode::UNAUTHORIZED, refused.message(), instance)),
    }
}

/// `GET /v2/processing/jobs`: a page of jobs and a `next` link while more remain.
async fn jobs(
    State(state): Shared,
    headers: HeaderMap,
    uri: OriginalUri,
    RawQuery(query): RawQuery,
) -> Reply {
    let up42 = &state.up42;
    let path = uri.path();
    signed_in(up42, &headers, path)?;
    let pairs = form_pairs(query.as_deref().unwrap_or_default().as_bytes());
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let list = |name: &str| -> Vec<&str> {
        param(name)
            .map(|v| v.split(',').collect())
            .unwrap_or_default()
    };
    let limit = match param("limit").map(str::parse::<usize>) {
        None => PAGE_SIZE,
        Some(Ok(limit)) if (1..=MAX_PAGE_SIZE).contains(&limit) => limit,
        Some(_) => {
            return Err(problem(
                StatusCode::BAD_REQUEST,
                &format!("limit must be between 1 and {MAX_PAGE_SIZE}."),
                path,
            ))
        }
    };
    let offset = match param("cursor").map(decode_cursor) {
        None => 0,
        Some(Some(offset)) => offset,
        Some(None) => {
            return Err(problem(
                StatusCode::BAD_REQUEST,
                "Invalid cursor: follow the links' next href as given.",
                path,
            ))
        }
    };
    if param("workspaceId").is_some_and(|id| id != ACCOUNT_ID) {
        return Err(problem(
            StatusCode::FORBIDDEN,
            "That workspace is not yours: use the sub of userinfo.",
            path,
        ));
    }
    let (field, direction) = param("sort")
        .unwrap_or("created,desc")
        .split_once(',')
        .unwrap_or(("created", "asc"));
    let key = match field {
        "created" | "createdAt" => "created",
        "processId" | "processID" => "processID",
        "status" => "status",
        "finished" => "finished",
        _ => {
            return Err(problem(
                StatusCode::BAD_REQUEST,
                &format!("Cannot sort by {field:?}: use created, processID, status or finished."),
                path,
            ))
        }
    };
    let (processes, statuses, ids) = (list("processId"), list("status"), list("ids"));
    let api = &up42.api_v2;
    let mut records: Vec<Value> = up42
        .processing()
        .jobs
        .iter()
        .map(|job| job.json(&up42.clock, api))
        .filter(|job| {
            let is_in = |wanted: &[&str], field: &str| {
                wanted.is_empty() || wanted.contains(&job[field].as_str().unwrap_or_default())
            };
            is_in(&processes, "processID") && is_in(&statuses, "status") && is_in(&ids, "jobID")
        })
        .collect();
    records.sort_by(|a, b| {
        let order = a[key].as_str().cmp(&b[key].as_str());
        if direction == "desc" {
            order.reverse()
        } else {
            order
        }
    });
    let total = records.len();
    let page: Vec<Value> = records.into_iter().skip(offset).take(limit).collect();
    let mut links = vec![json!({"rel": "self", "href": relative(path, &pairs, None)})];
    if offset + limit < total {
        links.push(json!({"rel": "next", "href": relative(path, &pairs, Some(&encode_cursor(offset + limit)))}));
    }
    Ok(Json(json!({"jobs": page, "links": links})).into_response())
}

/// `path?query` with `cursor` replaced (or dropped).
fn relative(path: &str, pairs: &[(String, String)], cursor: Option<&str>) -> String {
    let mut query = form_urlencoded(
        pairs
            .iter()
            .filter(|(key, _)| key != "cursor")
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    if let Some(cursor) = cursor {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&format!("cursor={cursor}"));
    }
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

fn form_urlencoded<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let quote = |text: &str| {
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    pairs
        .map(|(key, value)| format!("{}={}", quote(key), quote(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    text.strip_prefix("offset:")?.parse().ok()
}

async fn job(
    State(state): Shared,
    headers: HeaderMap,
    uri: OriginalUri,
    Path(id): Path<String>,
) -> Reply {
    let up42 = &state.up42;
    signed_in(up42, &headers, uri.path())?;
    let job = up42.processing().job(&id).ok_or_else(|| {
        problem(
            StatusCode::NOT_FOUND,
            &format!("Job {id} not found: list the jobs for their ids."),
            uri.path(),
        )
    })?;
    Ok(Json(job.json(&up42.clock, &up42.api_v2)).into_response())
}

/// The collection, if the bearer may see it and it exists now; else the problem reply.
fn collection_of<'a>(
    up42: &'a Up42,
    headers: &HeaderMap,
    id: &str,
    instance: &str,
) -> Result<&'a Collection, Problem> {
    signed_in(up42, headers, instance)?;
    up42.processing().collection(id, &up42.clock).ok_or_else(|| {
        problem(
            StatusCode::NOT_FOUND,
            &format!("Collection {id} not found: a job's results.collection names it once the job has results."),
            instance,
        )
    })
}

async fn collection(
    State(state): Shared,
    headers: HeaderMap,
    uri: OriginalUri,
    Path(c): Path<String>,
) -> Reply {
    let collection = collection_of(&state.up42, &headers, &c, uri.path())?;
    Ok(Json(collection.json(&state.up42.api_v2)).into_response())
}

async fn items(
    State(state): Shared,
    headers: HeaderMap,
    uri: OriginalUri,
    Path(c): Path<String>,
) -> Reply {
    let collection = collection_of(&state.up42, &headers, &c, uri.path())?;
    Ok(Json(collection.items_json(&state.up42.api_v2)).into_response())
}

async fn item(
    State(state): Shared,
    headers: HeaderMap,
    uri: OriginalUri,
    Path((c, i)): Path<(String, String)>,
) -> Reply {
    let collection = collection_of(&state.up42, &headers, &c, uri.path())?;
    let item = collection
        .items
        .iter()
        .find(|item| item.id == i)
        .ok_or_else(|| {
            problem(
                StatusCode::NOT_FOUND,
                &format!("Item {i} not found in collection {c}."),
                uri.path(),
            )
        })?;
    Ok(Json(item.json(&c, &state.up42.api_v2)).into_response())
}

/// `POST /v2/assets/{id}/download-url`: `{"url": <signed URL>}`.
async fn download_url(
    State(state): Shared,
    headers: HeaderMap,
    uri: OriginalUri,
    Path(id): Path<String>,
) -> Reply {
    let up42 = &state.up42;
    signed_in(up42, &headers, uri.path())?;
    let (_, asset) = up42.processing().asset(&id, &up42.clock).ok_or_else(|| {
        problem(
            StatusCode::NOT_FOUND,
            &format!("Asset {id} not found: take asset hrefs from a results collection's items."),
            uri.path(),
        )
    })?;
    let path = format!("/up42-sim-assets/{id}/{}", asset.file_name);
    let stem = asset
        .file_name
        .rsplit_once('.')
        .map_or(asset.file_name.as_str(), |(stem, _)| stem);
    Ok(Json(json!({"url": up42.signer.sign(&path, stem, up42.clock.now())})).into_response())
}
