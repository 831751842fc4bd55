//! The auth host of the current API: Keycloak's OpenID Connect token and userinfo endpoints for realm `public`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

use super::tokens::{Scope, LIFETIME, REFRESH_LIFETIME};
use super::{ACCOUNT_ID, PASSWORD, USERNAME};
use crate::params::form_pairs;
use crate::state::SimState;

const REALM: &str = "/realms/public/protocol/openid-connect";

pub(crate) fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route(&format!("{REALM}/token"), post(token))
        .route(&format!("{REALM}/userinfo"), get(userinfo))
        .fallback(|| async {
            oauth_error(
                StatusCode::NOT_FOUND,
                "not_found",
                "No such endpoint on the auth host.",
            )
        })
}

/// Keycloak's error shape.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// `grant_type=password` (the SDK's way) or `grant_type=refresh_token`.
async fn token(State(state): State<Arc<SimState>>, body: Bytes) -> Response {
    let form = form_pairs(&body);
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let up42 = &state.up42;
    let now = up42.clock.now();
    match field("grant_type") {
        Some("password") => {
            if field("username") != Some(USERNAME) || field("password") != Some(PASSWORD) {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_grant",
                    "Invalid user credentials",
                );
            }
        }
        Some("refresh_token") => {
            let valid = field("refresh_token").map(|token| up42.tokens.check(token, now));
            if valid != Some(Ok(Scope::Refresh)) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Token is not active: sign in again with the password grant.",
                );
            }
        }
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Unsupported grant_type",
            )
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing form parameter: grant_type",
            )
        }
    }
    let access = up42.tokens.issue(Scope::Account, ACCOUNT_ID, now, LIFETIME);
    let refresh = up42
        .tokens
        .issue(Scope::Refresh, ACCOUNT_ID, now, REFRESH_LIFETIME);
    Json(json!({
        "access_token": access,
        "expires_in": LIFETIME,
        "refresh_expires_in": REFRESH_LIFETIME,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "not-before-policy": 0,
        "session_state": ACCOUNT_ID,
        "scope": "openid email profile",
    }))
    .into_response()
}

async fn userinfo(State(state): State<Arc<SimState>>, headers: HeaderMap) -> Response {
    let up42 = &state.up42;
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match up42.tokens.bearer(header, up42.clock.now()) {
        Ok(Scope::Account) => Json(json!({
            "sub": ACCOUNT_ID,
            "email": USERNAME,
            "email_verified": true,
            "name": "Demo Surveyor",
            "preferred_username": USERNAME,
        }))
        .into_response(),
        Ok(_) => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Not an account token: sign in with the password grant.",
        ),
        Err(refused) => oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", refused.message()),
    }
}
