//! Calls to the DESaccess API: sign-in, the token that every reply renews, and the one way an expired
//! session is renewed (signing in again with the password from the secret store), shared by API calls,
//! downloads and previews.
//!
//! Protocol notes (shared/research/desaccess_mast.md §1): the API answers auth failures with HTTP 200
//! and `{"status":"error","message":"Signature has expired"}`, and every authenticated reply carries a
//! fresh token in `new_token`, which replaces the stored one.

use std::sync::{Arc, Mutex};

use reqwest::header::HeaderValue;
use serde_json::Value;

use super::server::Server;
use crate::error::{Error, ErrorCode, Result};
use crate::http;
use crate::ids::AccountId;
use crate::providers::Profile;
use crate::secret::{blocking, Secret, SecretStore, SESSION_TOKEN};
use crate::transfer::auth::{BoxFuture, Credentials};
use crate::transfer::retry::retry_after;

/// The secret a DESaccess account signs in with.
pub const PASSWORD: &str = "password";

/// Messages with which the DESaccess API says "sign in again" (jwtutils.py).
const SESSION_ENDED_MESSAGES: [&str; 5] = [
    "Signature has expired",
    "Missing authorization",
    "Invalid header authorization",
    "Signature verification failed",
    "Invalid header string",
];

/// A connection to one account's DESaccess API.
pub struct Api {
    client: reqwest::Client,
    pub server: Server,
    account: AccountId,
    secrets: Arc<dyn SecretStore>,
    token: Mutex<Secret>,
}

impl Api {
    /// Opens the API with the token kept from last time, if any (empty otherwise: the first call renews it).
    pub async fn new(
        client: reqwest::Client,
        server: Server,
        account: AccountId,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Arc<Api>> {
        let kept = blocking_secret(secrets.clone(), account.clone(), SESSION_TOKEN).await?;
        Ok(Arc::new(Api {
            client,
            server,
            account,
            secrets,
            token: Mutex::new(kept.unwrap_or_else(|| Secret::new(""))),
        }))
    }

    fn token(&self) -> Secret {
        self.token.lock().expect("token lock").clone()
    }

    /// Keeps a new token in memory and in the secret store, so a restart needs no password.
    async fn keep_token(&self, token: Secret) -> Result<()> {
        *self.token.lock().expect("token lock") = token.clone();
        let (secrets, account) = (self.secrets.clone(), self.account.clone());
        blocking(move || secrets.set(&account, SESSION_TOKEN, &token)).await
    }

    /// Checks the session (renewing it if needed) and says who it belongs to.
    pub async fn profile(&self) -> Result<Profile> {
        let profile = self
            .call(reqwest::Method::POST, "profile", &[])
            .await?
            .parse("a profile")?;
        // The token changes with every reply; keep the newest for the next start.
        self.keep_token(self.token()).await?;
        Ok(to_profile(profile))
    }

    /// Signs in again with the password from the secret store and keeps the new token.
    pub async fn renew(&self) -> Result<()> {
        let password = blocking_secret(self.secrets.clone(), self.account.clone(), PASSWORD)
            .await?
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::AuthExpired,
                    "Your DESaccess session has ended and no password is kept for it. Sign in again.",
                )
            })?;
        let token = login(&self.client, &self.server, &password).await?;
        self.keep_token(token).await
    }

    /// An authenticated call; renews the session once when the token has expired (or there is none yet).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<Reply> {
        if self.token().is_empty() {
            self.renew().await?;
        }
        match self.call_once(method.clone(), path, params).await {
            Err(err) if err.code == ErrorCode::AuthExpired => {
                self.renew().await?;
                self.call_once(method, path, params).await
            }
            other => other,
        }
    }

    async fn call_once(
        &self,
        method: reqwest::Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<Reply> {
        let url = format!("{}/{path}", self.server.api_base);
        let what = format!("DESaccess ({})", self.server.api_base);
        let request = self
            .client
            .request(method.clone(), &url)
            .bearer_auth(self.token().expose());
        let request = if method == reqwest::Method::GET {
            request.query(params)
        } else {
            request.form(params)
        };
        let response = request
            .send()
            .await
            .map_err(|err| Error::network(&what, &err))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = http::read_limited(response, &what, http::MAX_JSON_BYTES).await?;
        let envelope: Envelope = match serde_json::from_slice(&body) {
            Ok(envelope) => envelope,
            Err(_) if !status.is_success() => {
                let mut err = Error::http_status(&what, status);
                err.retry_after = retry_after;
                return Err(err);
            }
            Err(err) => {
                return Err(Error::protocol(format!(
                    "{what} sent a reply that is not JSON ({err}). Is the API address right?"
                )))
            }
        };
        if let Some(new_token) = envelope.new_token().filter(|t| !t.is_empty()) {
            *self.token.lock().expect("token lock") = Secret::new(new_token);
        }
        check_status(&envelope, status, &what)?;
        Ok(Reply(body))
    }
}

impl Credentials for Api {
    fn authorization(&self) -> Option<HeaderValue> {
        let token = self.token();
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).ok()?;
        value.set_sensitive(true);
        (!token.is_empty()).then_some(value)
    }

    fn refresh(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.renew())
    }

    fn is_session_ended_reply(&self, body: &[u8]) -> bool {
        serde_json::from_slice::<Envelope>(body)
            .ok()
            .and_then(|reply| reply.message().map(session_ended))
            .unwrap_or(false)
    }
}

fn session_ended(message: &str) -> bool {
    SESSION_ENDED_MESSAGES.iter().any(|m| message.contains(m))
}

/// Turns DESaccess's `status`/`message` fields (and the HTTP status) into an error where they say so.
fn check_status(reply: &Envelope, http_status: reqwest::StatusCode, what: &str) -> Result<()> {
    if reply.status() == Some("ok") && http_status.is_success() {
        return Ok(());
    }
    let message = reply.message().unwrap_or("no message").to_string();
    if session_ended(&message) {
        return Err(Error::new(
            ErrorCode::AuthExpired,
            format!("Your DESaccess session has ended ({message}). Sign in again."),
        ));
    }
    if message == "Access denied." {
        return Err(Error::new(
            ErrorCode::AuthFailed,
            "DESaccess denied this account access to that. Ask the DES help desk about your roles.",
        ));
    }
    if http_status.is_server_error() {
        return Err(Error::http_status(what, http_status));
    }
    Err(Error::new(
        ErrorCode::Http,
        format!("{what} said: {message}"),
    ))
}

/// The fields every DESaccess reply shares. Parsing only these skips the rest of a reply without
/// keeping it: a `job/status` of every job carries each cutout job's file list and summary, megabytes
/// for a job of thousands of positions.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
struct Envelope {
    status: Value,
    message: Value,
    new_token: Value,
    token: Value,
}

impl Envelope {
    fn status(&self) -> Option<&str> {
        self.status.as_str()
    }

    fn message(&self) -> Option<&str> {
        self.message.as_str()
    }

    fn new_token(&self) -> Option<&str> {
        self.new_token.as_str()
    }
}

/// A reply the API said "ok" to, not yet parsed.
pub struct Reply(Vec<u8>);

impl Reply {
    /// The reply as `T`, reading only the fields `T` has; `what` names it in the error ("a profile").
    pub fn parse<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T> {
        serde_json::from_slice(&self.0).map_err(|err| {
            Error::protocol(format!(
                "DESaccess sent {what} in an unknown shape ({err})."
            ))
        })
    }
}

/// Signs in with a password and returns the session token.
async fn login(client: &reqwest::Client, server: &Server, password: &Secret) -> Result<Secret> {
    if password.is_empty() {
        return Err(Error::invalid_input("Enter your DESaccess password."));
    }
    let what = format!("DESaccess ({})", server.api_base);
    let response = client
        .post(format!("{}/login", server.api_base))
        .form(&[
            ("username", server.username.as_str()),
            ("password", password.expose()),
            ("database", server.database.as_str()),
        ])
        .send()
        .await
        .map_err(|err| Error::network(&what, &err))?;
    let status = response.status();
    let body = http::read_limited(response, &what, http::MAX_JSON_BYTES).await?;
    let reply: Envelope = serde_json::from_slice(&body).map_err(|_| {
        if status.is_success() {
            Error::protocol(format!(
                "{what} did not answer like a DESaccess server. Check the API address."
            ))
        } else if status == reqwest::StatusCode::NOT_FOUND {
            Error::new(
                ErrorCode::NotFound,
                format!("{what} has no DESaccess sign-in (HTTP 404). Check the API address."),
            )
        } else {
            Error::http_status(&what, status)
        }
    })?;
    let message = reply.message().unwrap_or_default();
    match status.as_u16() {
        401 => return Err(Error::new(ErrorCode::AuthFailed, format!("DESaccess did not accept that username and password ({message})."))),
        406 => return Err(Error::new(ErrorCode::AuthFailed, "DESaccess says your password must be changed; change it on the DESaccess website, then sign in here.")),
        _ => check_status(&reply, status, &what)?,
    }
    let token = reply
        .token
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::protocol(format!("{what} accepted the sign-in but sent no token."))
        })?;
    Ok(Secret::new(token))
}

/// Who is signed in, as DESaccess's `/profile` and `/login` replies say.
#[derive(serde::Deserialize)]
struct DesProfile {
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    lastname: String,
    #[serde(default)]
    email: String,
}

fn to_profile(profile: DesProfile) -> Profile {
    Profile {
        username: profile.username,
        name: format!("{} {}", profile.name, profile.lastname)
            .trim()
            .to_string(),
        email: profile.email,
    }
}

async fn blocking_secret(
    secrets: Arc<dyn SecretStore>,
    account: AccountId,
    name: &'static str,
) -> Result<Option<Secret>> {
    blocking(move || secrets.get(&account, name)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_end_messages_map_to_auth_expired() {
        let reply: Envelope =
            serde_json::from_str(r#"{"status":"error","message":"Signature has expired"}"#)
                .unwrap();
        let err = check_status(&reply, reqwest::StatusCode::OK, "x").unwrap_err();
        assert_eq!(err.code, ErrorCode::AuthExpired);
    }
}
