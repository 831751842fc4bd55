//! The seed API's routes: `/oauth/token`, `/users/me` and `/projects/{p}/jobs/…`, in the `{data, error}` envelope.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::projects::{cancellable, succeeded, Project, Task, View};
use super::tokens::{Scope, LIFETIME};
use super::{Up42, ACCOUNT_ID, PASSWORD, USERNAME};
use crate::params::form_pairs;
use crate::state::SimState;

type Shared = State<Arc<SimState>>;

/// Jobs per page when the request gives no `size`.
const PAGE_SIZE: usize = 20;
const SORT_FIELDS: [&str; 7] = [
    "createdAt",
    "name",
    "id",
    "mode",
    "status",
    "startedAt",
    "finishedAt",
];

pub(crate) fn router() -> Router<Arc<SimState>> {
    let job = "/projects/{p}/jobs/{j}";
    let task = "/projects/{p}/jobs/{j}/tasks/{t}";
    let routes = [
        ("/users/me".to_owned(), get(users_me)),
        ("/projects/{p}".to_owned(), get(project)),
        ("/projects/{p}/jobs".to_owned(), get(jobs)),
        (job.to_owned(), get(job_info)),
        (format!("{job}/tasks"), get(tasks)),
        (format!("{job}/credits"), get(credits)),
        (format!("{job}/cancel"), post(cancel)),
        (format!("{job}/downloads/results"), get(job_results)),
        (format!("{job}/outputs/data-json"), get(job_data_json)),
        (format!("{task}/downloads/results"), get(task_results)),
        (format!("{task}/outputs/data-json"), get(task_data_json)),
        (format!("{task}/outputs/quicklooks"), get(quicklooks)),
        (
            format!("{task}/outputs/quicklooks/{{name}}"),
            get(quicklook),
        ),
        (format!("{task}/logs"), get(logs)),
    ];
    routes
        .into_iter()
        .fold(
            Router::new().route("/oauth/token", post(token)),
            |router, (path, route): (String, MethodRouter<_>)| {
                // The SDK adds a trailing slash to some paths, the docs' curl calls do not.
                router
                    .route(&format!("{path}/"), route.clone())
                    .route(&path, route)
            },
        )
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "No such resource: check the path against the API reference.",
            )
        })
}

/// `{"data": data, "error": null}`
fn data(data: Value) -> Response {
    Json(json!({"data": data, "error": null})).into_response()
}

/// An error reply: `{"data": null, "error": {"code", "message"}}` with an HTTP error status.
struct Failure {
    status: StatusCode,
    code: &'static str,
    message: String,
}

fn error(status: StatusCode, code: &'static str, message: &str) -> Failure {
    Failure {
        status,
        code,
        message: message.to_owned(),
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = json!({"data": null, "error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

type Reply = Result<Response, Failure>;

/// `POST /oauth/token`: a project token (client credentials) or an account token (password).
async fn token(State(state): Shared, headers: HeaderMap, body: Bytes) -> Reply {
    let form = form_pairs(&body);
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let up42 = &state.up42;
    let (scope, subject) = match field("grant_type") {
        Some("client_credentials") => match basic(&headers).and_then(|(id, key)| {
            up42.projects()
                .iter()
                .find(|project| project.id == id && project.api_key == key)
        }) {
            Some(project) => (Scope::Project(project.id.clone()), project.id.clone()),
            None => {
                return Err(error(
                    StatusCode::UNAUTHORIZED,
                    "INVALID_CLIENT",
                    "Bad client credentials: send the project id and API key as HTTP Basic user and password.",
                ))
            }
        },
        Some("password") => {
            if field("username") != Some(USERNAME) || field("password") != Some(PASSWORD) {
                return Err(error(
                    StatusCode::UNAUTHORIZED,
                    "INVALID_GRANT",
                    "Bad credentials: check the account's email address and password.",
                ));
            }
            (Scope::Account, ACCOUNT_ID.to_owned())
        }
        other => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "UNSUPPORTED_GRANT_TYPE",
                &format!(
                    "Unsupported grant type {other:?}: send grant_type=client_credentials (project) or grant_type=password (account)."
                ),
            ))
        }
    };
    let token = up42
        .tokens
        .issue(scope, &subject, up42.clock.now(), LIFETIME);
    Ok(Json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": LIFETIME,
        "data": {"accessToken": token, "tokenType": "bearer", "expiresIn": LIFETIME},
        "error": null,
    }))
    .into_response())
}

/// The user and password of an HTTP Basic `Authorization` header.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// The bearer's scope, or the error reply.
fn signed_in(up42: &Up42, headers: &HeaderMap) -> Result<Scope, Failure> {
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    up42.tokens
        .bearer(header, up42.clock.now())
        .map_err(|refused| error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", refused.message()))
}

/// The project, if the bearer may see it.
fn project_of<'a>(
    up42: &'a Up42,
    headers: &HeaderMap,
    project_id: &str,
) -> Result<&'a Project, Failure> {
    let scope = signed_in(up42, headers)?;
    let project = up42.project(project_id).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("Project {project_id} not found: check the project id."),
        )
    })?;
    match scope {
        Scope::Project(id) if id != project.id => Err(error(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            &format!("This token belongs to project {id}: get a token for project {project_id}, or sign in with the account."),
        )),
        _ => Ok(project),
    }
}

/// The job as it stands now, if the bearer may see it.
fn job_of<'a>(
    up42: &'a Up42,
    headers: &HeaderMap,
    project_id: &str,
    job_id: &str,
) -> Result<View<'a>, Failure> {
    let project = project_of(up42, headers, project_id)?;
    project
        .jobs
        .iter()
        .find(|job| job.id == job_id)
        .map(|job| job.view(&up42.clock, up42.cancelled_at(job_id)))
        .ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                &format!("Job {job_id} not found in project {project_id}: list the project's jobs for their ids."),
            )
        })
}

async fn users_me(State(state): Shared, headers: HeaderMap) -> Reply {
    signed_in(&state.up42, &headers)?;
    Ok(data(
        json!({"id": ACCOUNT_ID, "email": USERNAME, "firstName": "Demo", "lastName": "Surveyor"}),
    ))
}

async fn project(State(state): Shared, headers: HeaderMap, Path(p): Path<String>) -> Reply {
    Ok(data(project_of(&state.up42, &headers, &p)?.json()))
}

/// A whole-number query parameter.
fn number(value: Option<&str>, name: &str, default: usize) -> Result<usize, Failure> {
    value.map_or(Ok(default), |text| {
        text.parse().map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("{name} must be a whole number, not {text:?}."),
            )
        })
    })
}

/// `GET /projects/{p}/jobs?page=N&sort=field,dir`: one page; an empty page means no more.
async fn jobs(
    State(state): Shared,
    headers: HeaderMap,
    Path(p): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    let up42 = &state.up42;
    let project = project_of(up42, &headers, &p)?;
    let query = form_pairs(query.unwrap_or_default().as_bytes());
    let param = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let page = number(param("page"), "page", 0)?;
    let size = number(param("size"), "size", PAGE_SIZE)?;
    if !(1..=100).contains(&size) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "size must be between 1 and 100.",
        ));
    }
    let sort = param("sort").unwrap_or("createdAt,desc");
    let (field, direction) = sort.split_once(',').unwrap_or((sort, "asc"));
    if !SORT_FIELDS.contains(&field) || !matches!(direction, "asc" | "desc") {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            &format!("Cannot sort by {sort:?}: use <field>,<asc|desc> with a field among {SORT_FIELDS:?}."),
        ));
    }
    let mut records: Vec<Value> = project
        .jobs
        .iter()
        .map(|job| {
            job.view(&up42.clock, up42.cancelled_at(&job.id))
                .json(&project.id)
        })
        .collect();
    records.sort_by(|a, b| {
        let order = a[field].as_str().cmp(&b[field].as_str());
        if direction == "desc" {
            order.reverse()
        } else {
            order
        }
    });
    let page: Vec<Value> = records
        .into_iter()
        .skip(page.saturating_mul(size))
        .take(size)
        .collect();
    Ok(data(Value::Array(page)))
}

async fn job_info(
    State(state): Shared,
    headers: HeaderMap,
    Path((p, j)): Path<(String, String)>,
) -> Reply {
    Ok(data(job_of(&state.up42, &headers, &p, &j)?.json(&p)))
}

async fn tasks(
    State(state): Shared,
    headers: HeaderMap,
    Path((p, j)): Path<(String, String)>,
) -> Reply {
    Ok(data(Value::Array(
        job_of(&state.up42, &headers, &p, &j)?.tasks_json(),
    )))
}

async fn credits(
    State(state): Shared,
    headers: HeaderMap,
    Path((p, j)): Path<(String, String)>,
) -> Reply {
    let view = job_of(&state.up42, &headers, &p, &j)?;
    Ok(data(json!({"creditsUsed": view.job.credits})))
}

async fn cancel(
    State(state): Shared,
    headers: HeaderMap,
    Path((p, j)): Path<(String, String)>,
) -> Reply {
    let up42 = &state.up42;
    let view = job_of(up42, &headers, &p, &j)?;
    if !cancellable(view.phase.status) {
        return Err(error(
            StatusCode::CONFLICT,
            "CONFLICT",
            &format!(
                "Job {j} is {} and can no longer be cancelled.",
                view.phase.status
            ),
        ));
    }
    up42.cancelled
        .lock()
        .expect("cancellations poisoned")
        .entry(j)
        .or_insert(up42.clock.now());
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The task `task_id` names (the last one, whose results are the job's, for `None`), its status,
/// and whether its results are ready: for the job's own, once the job has succeeded.
fn results_of<'a>(
    view: &'a View<'_>,
    task_id: Option<&str>,
) -> Result<(&'a Task, &'static str), Failure> {
    let (task, status) = match task_id {
        Some(id) => view.task(id).ok_or_else(|| no_task(&view.job.id, id))?,
        None => view.last_task(),
    };
    let (what, status) = match task_id {
        Some(_) => ("task", status),
        None => ("job", view.phase.status),
    };
    if !succeeded(status) {
        return Err(error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!(
                "No results yet: the {what} is {status}; results exist once it has SUCCEEDED."
            ),
        ));
    }
    Ok((task, status))
}

/// A signed URL for a job's or task's results.
fn results_url(up42: &Up42, view: &View<'_>, project_id: &str, task_id: Option<&str>) -> Reply {
    let (task, _) = results_of(view, task_id)?;
    let job = &view.job.id;
    let (path, name) = match task_id {
        Some(_) => (
            format!(
                "/up42-sim-results/{project_id}/{job}/{}/output.tgz",
                task.id
            ),
            format!("output_{}", task.id),
        ),
        None => (
            format!("/up42-sim-results/{project_id}/{job}/output.tgz"),
            format!("output_{job}"),
        ),
    };
    Ok(data(
        json!({"url": up42.signer.sign(&path, &name, up42.clock.now())}),
    ))
}

fn no_task(job_id: &str, task_id: &str) -> Failure {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        &format!("Task {task_id} not found in job {job_id}: list the job's tasks for their ids."),
    )
}

async fn job_results(
    State(state): Shared,
    headers: HeaderMap,
    Path((p, j)): Path<(String, String)>,
) -> Reply {
    results_url(
        &state.up42,
        &job_of(&state.up42, &headers, &p, &j)?,
        &p,
        None,
    )
}

async fn task_results(
    State(state): Shared,
    headers: HeaderMap,
    Path((p, j, t)): Path<(String, String, String)>,
) -> Reply {
    results_url(
        &state.up42,
        &job_of(&state.up42, &headers, &p, &j)?,
        &p,
        Some(&t),
    )
}

async fn job_data_json(
    State(state): Shared,
    headers: HeaderMap,
    Path((p, j)): Path<(String, String)>,
) -> Reply {
    let view = job_of(&state.up42, &headers, &p, &j)?;
    Ok(Json(results_of(&view, None)?.0.data_json()).into_response())
}

async fn task_data_json(
    State(state): Shared,
    headers: HeaderMap,
    Path((p, j, t)): Path<(String, String, String)>,
) -> Reply {
    let view = job_of(&state.up42, &headers, &p, &j)?;
    Ok(Json(results_of(&view, Some(&t))?.0.data_json()).into_response())
}

async fn quicklooks(
    State(state): Shared,
    headers: HeaderMap,
    Path((p, j, t)): Path<(String, String, String)>,
) -> Reply {
    let view = job_of(&state.up42, &headers, &p, &j)?;
    let (task, status) = view.task(&t).ok_or_else(|| no_task(&j, &t))?;
    let names: Vec<String> = if succeeded(status) {
        task.quicklooks()
            .iter()
            .map(|o| o.quicklook_name())
            .collect()
    } else {
        Vec::new()
    };
    Ok(data(json!(names)))
}

async fn quicklook(
    State(state): Shared,
    headers: HeaderMap,
    Path((p, j, t, name)): Path<(String, String, String, String)>,
) -> Reply {
    let view = job_of(&state.up42, &headers, &p, &j)?;
    let scene = view
        .task(&t)
        .filter(|(_, status)| succeeded(status))
        .and_then(|(task, _)| {
            task.quicklooks()
                .iter()
                .find(|o| o.quicklook_name() == name)
        })
        .map(|output| output.scene.clone())
        .ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                &format!(
                    "No quicklook {name} in task {t}: list the task's quicklooks for their names."
                ),
            )
        })?;
    Ok(
        match tokio::task::spawn_blocking(move || scene.quicklook_jpeg()).await {
            Ok(jpeg) => ([(CONTENT_TYPE, "image/jpeg")], jpeg).into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
    )
}

async fn logs(
    State(state): Shared,
    headers: HeaderMap,
    Path((p, j, t)): Path<(String, String, String)>,
) -> Reply {
    let view = job_of(&state.up42, &headers, &p, &j)?;
    let (task, status) = view.task(&t).ok_or_else(|| no_task(&j, &t))?;
    Ok((
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        view.log(task, status),
    )
        .into_response())
}
