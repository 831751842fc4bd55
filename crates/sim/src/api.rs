//! The DESaccess API under `/desaccess/api`: login, profile, job status and job list.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    AUTHORIZATION, CONTENT_TYPE,
};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use crate::auth::{self, Session};
use crate::jobs::{ListRecord, StatusRecord};
use crate::params::Args;
use crate::replies::{self, BadRequest, EmptyObject, Style};
use crate::state::SimState;

/// URL prefix of the API.
pub(crate) const ROOT: &str = "/desaccess/api";

/// What the Oracle user manager says about bad credentials.
const BAD_CREDENTIALS: &str = "ORA-01017: invalid username/password; logon denied";

pub(crate) fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/profile", post(profile))
        .route("/status", get(status))
        .route("/job/status", post(job_status))
        .route("/job/list", get(job_list))
        .fallback(not_found)
        .layer(middleware::from_fn(cors))
}

/// A request that passed the `@authenticated` checks, with the fresh token every such reply carries.
struct Authenticated {
    session: Session,
    new_token: String,
}

impl FromRequestParts<Arc<SimState>> for Authenticated {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<SimState>,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .map(|value| value.to_str().unwrap_or_default());
        let session = state
            .tokens
            .verify(header)
            .map_err(|error| replies::error(error.status(), Style::Dict, error.message()))?;
        let new_token = state.tokens.issue(session.account, &session.db);
        Ok(Authenticated { session, new_token })
    }
}

#[derive(Serialize)]
struct LoginOk<'a> {
    status: &'a str,
    message: &'a str,
    username: &'a str,
    name: &'a str,
    lastname: &'a str,
    email: &'a str,
    db: &'a str,
    roles: [&'a str; 1],
    token: String,
    preferences: EmptyObject,
}

#[derive(Serialize)]
struct LoginFailed<'a> {
    username: &'a str,
    update: bool,
    status: &'a str,
    message: &'a str,
}

async fn login(State(state): State<Arc<SimState>>, args: Args) -> Result<Response, BadRequest> {
    let user = ["username", "email"]
        .iter()
        .find_map(|key| args.optional(key).filter(|value| !value.is_empty()));
    let Some(user) = user else {
        return Err(BadRequest(
            "Either username or email must be provided.".into(),
        ));
    };
    let password = args.required("password")?;
    let database = args.required("database")?;
    let Some(account) = auth::authenticate(&user, &password, &database) else {
        let failed = LoginFailed {
            username: &user,
            update: false,
            status: "error",
            message: BAD_CREDENTIALS,
        };
        return Ok(replies::json(
            StatusCode::UNAUTHORIZED,
            Style::Text,
            &failed,
        ));
    };
    let reply = LoginOk {
        status: "ok",
        message: "login",
        username: account.username,
        name: account.name,
        lastname: account.lastname,
        email: account.email,
        db: &database,
        roles: ["default"],
        token: state.tokens.issue(account, &database),
        preferences: EmptyObject,
    };
    Ok(replies::json(StatusCode::OK, Style::Text, &reply))
}

#[derive(Serialize)]
struct Logout {
    status: &'static str,
    message: String,
    new_token: String,
}

async fn logout(auth: Authenticated) -> Response {
    let message = format!("logout {}", auth.session.account.username);
    replies::json(
        StatusCode::OK,
        Style::Text,
        &Logout {
            status: "ok",
            message,
            new_token: auth.new_token,
        },
    )
}

#[derive(Serialize)]
struct Profile<'a> {
    status: &'a str,
    message: &'a str,
    name: &'a str,
    lastname: &'a str,
    username: &'a str,
    email: &'a str,
    db: &'a str,
    roles: [&'a str; 1],
    preferences: EmptyObject,
    ttl: u64,
    new_token: String,
}

async fn profile(auth: Authenticated) -> Response {
    let account = auth.session.account;
    let profile = Profile {
        status: "ok",
        message: "valid token",
        name: account.name,
        lastname: account.lastname,
        username: account.username,
        email: account.email,
        db: &auth.session.db,
        roles: ["default"],
        preferences: EmptyObject,
        ttl: auth.session.seconds_left(),
        new_token: auth.new_token,
    };
    replies::json(StatusCode::OK, Style::Dict, &profile)
}

async fn status() -> Response {
    replies::status_message(StatusCode::OK, Style::Dict, "ok", "")
}

#[derive(Serialize)]
struct Jobs<'a, R> {
    status: &'a str,
    message: String,
    jobs: Vec<R>,
    new_token: String,
}

async fn job_status(
    State(state): State<Arc<SimState>>,
    auth: Authenticated,
    args: Args,
) -> Result<Response, BadRequest> {
    let job_id = args.required("job-id")?;
    let user = auth.session.account.username;
    // The first look at a job lays out its files: keep that off the async workers.
    let reply = tokio::task::spawn_blocking(move || {
        let jobs = state.archive.jobs_of(user);
        let records: Vec<StatusRecord> = jobs
            .into_iter()
            .filter(|job| job_id == "all" || job.meta.id == job_id)
            .map(|job| job.status_record())
            .collect();
        let (status, message) = if job_id != "all" && records.is_empty() {
            (
                "error",
                format!("Error retrieving job status for user {user}, specific job_id {job_id}"),
            )
        } else {
            ("ok", String::new())
        };
        replies::json(
            StatusCode::OK,
            Style::IndentedText,
            &Jobs {
                status,
                message,
                jobs: records,
                new_token: auth.new_token,
            },
        )
    });
    Ok(reply
        .await
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()))
}

async fn job_list(State(state): State<Arc<SimState>>, auth: Authenticated) -> Response {
    let records: Vec<ListRecord> = state
        .archive
        .jobs_of(auth.session.account.username)
        .into_iter()
        .map(|job| job.list_record())
        .collect();
    let jobs = Jobs {
        status: "ok",
        message: String::new(),
        jobs: records,
        new_token: auth.new_token,
    };
    replies::json(StatusCode::OK, Style::IndentedText, &jobs)
}

/// Tornado's default 404 page.
async fn not_found() -> Response {
    let page = "<html><title>404: Not Found</title><body>404: Not Found</body></html>";
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "text/html; charset=UTF-8")],
        page,
    )
        .into_response()
}

/// The job handler's CORS headers on every reply, and 204 for preflight `OPTIONS`.
async fn cors(request: Request, next: Next) -> Response {
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Origin, X-Requested-With, Content-Type, Accept, Authorization"),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(" POST, PUT, DELETE, OPTIONS, GET"),
    );
    response
}
