//! Calls to UP42's APIs with the bearer token (renewed once on a 401): the seed API's `{data, error}`
//! envelope, the current API's plain JSON and RFC 7807 problems, and raw text (task logs).

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::token::Tokens;
use crate::error::{Error, ErrorCode, Result};
use crate::http;

/// One account's way to the API at `base`.
pub struct Api {
    pub client: reqwest::Client,
    /// `https://api.up42.com`, without a trailing `/`.
    pub base: String,
    pub tokens: Arc<Tokens>,
}

impl Api {
    /// `{base}{path}`, `path` starting with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A seed-API call: the envelope's `data`, or its `error` as the error.
    pub async fn data<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let body = self.send(Method::GET, path).await?;
        let what = self.what(path);
        let reply: Value = http::parse_json(&body, &what)?;
        let data = reply.get("data").cloned().unwrap_or(Value::Null);
        if data.is_null() {
            return Err(Error::protocol(format!(
                "{what} answered without data{}.",
                error_text(reply.get("error"))
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            )));
        }
        serde_json::from_value(data).map_err(|err| {
            Error::protocol(format!("{what} sent data in an unknown shape ({err})."))
        })
    }

    /// A current-API (or raw GeoJSON) call's JSON, without an envelope.
    pub async fn json<T: DeserializeOwned>(&self, method: Method, path: &str) -> Result<T> {
        let body = self.send(method, path).await?;
        http::parse_json(&body, &self.what(path))
    }

    /// The body of a call, after renewing the token once on a 401; an error status becomes an error
    /// with what the server said.
    async fn send(&self, method: Method, path: &str) -> Result<Vec<u8>> {
        let token = self.tokens.bearer().await?;
        let mut response = self.once(method.clone(), path, token.expose()).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            let token = self.tokens.renew().await?;
            response = self.once(method, path, token.expose()).await?;
        }
        let what = self.what(path);
        let status = response.status();
        let retry = crate::transfer::retry::retry_after(response.headers());
        let body = http::read_limited(response, &what, http::MAX_JSON_BYTES).await?;
        if status.is_success() {
            return Ok(body.to_vec());
        }
        let said = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|reply| said_by_server(&reply));
        let mut err = match status {
            StatusCode::NOT_FOUND => Error::new(
                ErrorCode::NotFound,
                format!(
                    "UP42 has no {}{}.",
                    path.trim_matches('/'),
                    said.map(|s| format!(" ({s})")).unwrap_or_default()
                ),
            ),
            StatusCode::UNAUTHORIZED => Error::new(
                ErrorCode::AuthExpired,
                "UP42 no longer accepts this account's credentials. Sign in again.",
            ),
            StatusCode::FORBIDDEN => Error::new(
                ErrorCode::AuthFailed,
                format!(
                    "UP42 does not let this account see {}{}.",
                    path.trim_matches('/'),
                    said.map(|s| format!(" ({s})")).unwrap_or_default()
                ),
            ),
            _ => {
                let mut err = Error::http_status(&what, status);
                if let Some(said) = said {
                    err.message = format!("{} UP42 said: {said}", err.message);
                }
                err
            }
        };
        err.retry_after = retry;
        Err(err)
    }

    async fn once(&self, method: Method, path: &str, token: &str) -> Result<reqwest::Response> {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|err| Error::network(&self.what(path), &err))
    }

    fn what(&self, path: &str) -> String {
        let path = path.split('?').next().unwrap_or(path);
        format!("UP42 ({}{path})", self.base)
    }
}

/// What an error reply says: the envelope's `error` (an object with `message`, or a string) or an
/// RFC 7807 problem's `detail` and `title`.
fn said_by_server(reply: &Value) -> Option<String> {
    error_text(reply.get("error")).or_else(|| {
        let detail = reply.get("detail").and_then(Value::as_str);
        let title = reply.get("title").and_then(Value::as_str);
        match (title, detail) {
            (Some(title), Some(detail)) => Some(format!("{title}: {detail}")),
            (title, detail) => title.or(detail).map(str::to_string),
        }
    })
}

fn error_text(error: Option<&Value>) -> Option<String> {
    match error? {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Object(map) => map
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| Some(Value::Object(map.clone()).to_string())),
        _ => None,
    }
}
