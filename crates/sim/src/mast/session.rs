//! MAST tokens: read from `Authorization: token …` or the `mast_token` cookie; `GET /whoami`.

use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Json, Response};
use serde_json::json;

use super::DEMO_TOKEN;

/// The one signed-in MAST user: the demo account, whose token has the exclusive-access scope.
pub(crate) struct User {
    pub(crate) ezid: &'static str,
    eppn: &'static str,
    first_name: &'static str,
    last_name: &'static str,
    uuid: &'static str,
}

const DEMO_USER: User = User {
    ezid: "mastdemo",
    eppn: "mastdemo@example.org",
    first_name: "Demo",
    last_name: "Observer",
    uuid: "6f1c2a9e-3b7d-4c55-9a0e-2d8b41f7c603",
};

/// A token was sent but is not a valid one.
pub(crate) struct InvalidToken;

/// Who sent the request: `None` for anonymous (no token at all).
pub(crate) fn caller(headers: &HeaderMap) -> Result<Option<&'static User>, InvalidToken> {
    match token(headers) {
        None => Ok(None),
        Some(token) if token == DEMO_TOKEN => Ok(Some(&DEMO_USER)),
        Some(_) => Err(InvalidToken),
    }
}

/// The token of the `Authorization: token <t>` header, else of the `mast_token` cookie.
fn token(headers: &HeaderMap) -> Option<String> {
    let from_header = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("token")
                .then(|| token.trim().to_owned())
        });
    from_header.or_else(|| {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                (name == "mast_token").then(|| value.trim_matches('"').to_owned())
            })
    })
}

/// `GET /whoami`: the session's user, or the anonymous shape when no valid token came with it.
pub(crate) async fn whoami(headers: HeaderMap) -> Response {
    let body = match caller(&headers) {
        Ok(Some(user)) => json!({
            "eppn": user.eppn,
            "ezid": user.ezid,
            "attrib": {
                "uuid": user.uuid,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "display_name": format!("{} {}", user.first_name, user.last_name),
                "internal": "0",
                "email": user.eppn,
                "Jwstcalengdataaccess": "false",
            },
            "anon": false,
            "scopes": ["mast:user:info", "mast:exclusive_access"],
            "session": null,
            "token": DEMO_TOKEN,
        }),
        Ok(None) | Err(InvalidToken) => json!({
            "eppn": null,
            "ezid": null,
            "attrib": {},
            "anon": true,
            "scopes": [],
            "session": null,
            "token": null,
        }),
    };
    Json(body).into_response()
}
