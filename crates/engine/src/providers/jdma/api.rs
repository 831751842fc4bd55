//! Calls to JDMA's Django API: the user named by `name` (no token of any kind), `&`-separated queries,
//! JSON bodies, Django's APPEND_SLASH redirects followed, and its errors (404 or 403 with the request
//! echoed plus `"error"`, HTML pages for crashes) turned into errors that say what JDMA said.

use std::sync::RwLock;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use super::ssh_route::{SshRoute, Way};
use crate::error::{Error, ErrorCode, Result};
use crate::http;
use crate::ssh::SshHost;

/// One user's way to the API.
pub struct Api {
    /// The client, and the address ending in `/` (`https://jdma3.ceda.ac.uk/jdma_control/api/v1/`),
    /// that calls use now. Through an SSH host, the address is the tunnel's local end, and both
    /// change when the tunnel is dug again.
    way: RwLock<Way>,
    /// Set when JDMA is reached through an SSH host.
    route: Option<SshRoute>,
    /// The JASMIN user name every call names.
    pub user: String,
}

impl Api {
    /// Calls straight to the API at `base`.
    pub fn new(client: reqwest::Client, base: Url, user: String) -> Api {
        Api {
            way: RwLock::new(Way { client, base }),
            route: None,
            user,
        }
    }

    /// Calls through an SSH tunnel, `way` being the one [`SshRoute::open`] gave.
    pub fn through(route: SshRoute, way: Way, user: String) -> Api {
        Api {
            way: RwLock::new(way),
            route: Some(route),
            user,
        }
    }

    /// Where calls go now.
    pub fn base(&self) -> Url {
        self.way.read().expect("way lock").base.clone()
    }

    /// The SSH host JDMA is reached through, if any: where a GET's files are copied from too.
    pub fn ssh_host(&self) -> Option<&SshHost> {
        self.route.as_ref().map(SshRoute::host)
    }

    /// The client to call with now: through a new tunnel if the last one went down.
    async fn client(&self) -> Result<reqwest::Client> {
        if let Some(route) = &self.route {
            if let Some(fresh) = route.reopened().await? {
                *self.way.write().expect("way lock") = fresh;
            }
        }
        Ok(self.way.read().expect("way lock").client.clone())
    }

    /// `GET route?name=<user>&…`.
    pub async fn get(&self, route: &str, query: &[(&str, String)]) -> Result<Value> {
        self.send(Method::GET, route, query, None).await
    }

    /// `POST route` with a JSON body (the user goes in the body, as `name`).
    pub async fn post(&self, route: &str, body: &Value) -> Result<Value> {
        self.send(Method::POST, route, &[], Some(body)).await
    }

    /// `PUT route?name=<user>&…` with a JSON body.
    pub async fn put(&self, route: &str, query: &[(&str, String)], body: &Value) -> Result<Value> {
        self.send(Method::PUT, route, query, Some(body)).await
    }

    /// The URL of `route` with `name` and `query`, joined with `&` (JDMA's server no longer splits on `;`).
    pub fn url(&self, route: &str, query: &[(&str, String)], with_name: bool) -> Result<Url> {
        let base = self.base();
        let mut url = base.join(route).map_err(|err| {
            Error::new(
                ErrorCode::Internal,
                format!("{route} is not a path below {base}: {err}"),
            )
        })?;
        {
            let mut pairs = url.query_pairs_mut();
            if with_name {
                pairs.append_pair("name", &self.user);
            }
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        Ok(url)
    }

    async fn send(
        &self,
        method: Method,
        route: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value> {
        let client = self.client().await?;
        let url = self.url(route, query, method != Method::POST)?;
        let what = format!(
            "JDMA ({})",
            url.as_str().split('?').next().unwrap_or_default()
        );
        let mut request = client.request(method, url);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|err| Error::network(&what, &err))?;
        let status = response.status();
        let text = http::read_limited(response, &what, http::MAX_JSON_BYTES).await?;
        if !status.is_success() {
            return Err(refusal(status, &text, &what));
        }
        let reply: Value = http::parse_json(&text, &what)?;
        if !reply.is_object() {
            return Err(Error::protocol(format!(
                "{what} sent {} where JDMA sends a JSON object. Is the address right?",
                kind_of(&reply)
            )));
        }
        Ok(reply)
    }
}

/// An error reply as an error: JDMA's own `"error"` when the body is its JSON, else what the status
/// says (a Django HTML page for a crash, a proxy's page, …).
fn refusal(status: StatusCode, body: &[u8], what: &str) -> Error {
    let said = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|reply| {
            reply
                .get("error")
                .and_then(Value::as_str)
                .map(|text| text.trim().to_string())
        });
    let Some(said) = said else {
        let mut err = Error::http_status(what, status);
        if status.is_server_error() {
            err.message = format!(
                "{what} failed with an error of its own (HTTP {}): JDMA's server crashed on this \
                 request. Try again later; if it keeps failing, tell the JASMIN helpdesk.",
                status.as_u16()
            );
        }
        return err;
    };
    if said.contains("not initialised") {
        return Error::new(
            ErrorCode::NotSignedIn,
            format!(
                "JDMA says: {said} Register first, as `jdma init` does: jobfetch jdma init --email <your address>."
            ),
        );
    }
    // The server answers `'error'` (a KeyError's text) when a GET lacks the storage's credentials.
    let said = if said == "'error'" {
        "the request was refused without a reason ('error'); JDMA answers so when the batch's storage \
         needs credentials that were not sent (the Object Store's access and secret keys)."
            .to_string()
    } else {
        said
    };
    let code = match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        _ => ErrorCode::InvalidInput,
    };
    Error::new(
        code,
        format!("JDMA refused (HTTP {}): {said}", status.as_u16()),
    )
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_joined_with_ampersands_and_encoded() {
        let api = Api::new(
            reqwest::Client::new(),
            Url::parse("https://jdma3.ceda.ac.uk/jdma_control/api/v1/").unwrap(),
            "a b;c".into(),
        );
        let url = api
            .url(
                "migration/",
                &[("label", "x&y".into()), ("limit", "0".into())],
                true,
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://jdma3.ceda.ac.uk/jdma_control/api/v1/migration/?name=a+b%3Bc&label=x%26y&limit=0"
        );
        assert_eq!(
            api.url("request", &[], false).unwrap().as_str(),
            "https://jdma3.ceda.ac.uk/jdma_control/api/v1/request"
        );
    }

    #[test]
    fn refusals_say_what_jdma_said() {
        let err = refusal(
            StatusCode::FORBIDDEN,
            br#"{"name": "u", "error": "Duplicate GET request made: batch: 3, Target path: /t"}"#,
            "JDMA",
        );
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(
            err.message.contains("Duplicate GET request"),
            "{}",
            err.message
        );
        let missing = refusal(
            StatusCode::NOT_FOUND,
            br#"{"error": "Batch not found."}"#,
            "JDMA",
        );
        assert_eq!(missing.code, ErrorCode::NotFound);
        let crash = refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            b"<h1>Server Error (500)</h1>",
            "JDMA",
        );
        assert!(crash.message.contains("crashed"), "{}", crash.message);
        let init = refusal(
            StatusCode::FORBIDDEN,
            br#"{"error": "User x not initialised yet.  Run jdma.py init first"}"#,
            "JDMA",
        );
        assert_eq!(init.code, ErrorCode::NotSignedIn);
        assert!(init.message.contains("jobfetch jdma init"));
    }
}
