//! UP42's five-minute bearer tokens: fetched with project credentials (the seed API's `/oauth/token`)
//! or account credentials (the current Keycloak password grant), renewed before they run out and once
//! when the API answers 401; the renewal the API calls, downloads and previews share.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderValue;
use serde_json::Value;

use super::Clock;
use crate::error::{Error, ErrorCode, Result};
use crate::http;
use crate::secret::Secret;
use crate::transfer::auth::{BoxFuture, Credentials};

/// How long a token lasts when the reply does not say: UP42's documented five minutes.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);
/// A token is renewed this long before it runs out, as up42-py does.
const RENEW_BEFORE: Duration = Duration::from_secs(30);
/// The OAuth client a third-party program names on UP42's sign-in server.
const CLIENT_ID: &str = "up42-api";

/// What a token is fetched with.
pub enum Grant {
    /// A project's id and API key, on the seed API's `/oauth/token` (HTTP Basic, client credentials).
    Project {
        token_url: String,
        project_id: String,
        api_key: Secret,
    },
    /// An account's email and password, on the sign-in server's OpenID token endpoint.
    Account {
        token_url: String,
        username: String,
        password: Secret,
    },
}

struct Held {
    token: Secret,
    renew_at: SystemTime,
}

/// One account's token, fetched when first needed and renewed as it runs out.
pub struct Tokens {
    client: reqwest::Client,
    grant: Grant,
    clock: Clock,
    held: Mutex<Option<Held>>,
    /// One renewal at a time: requests that find the token stale wait for the one renewing it.
    renewing: tokio::sync::Mutex<()>,
}

impl Tokens {
    pub fn new(client: reqwest::Client, grant: Grant, clock: Clock) -> Arc<Self> {
        Arc::new(Tokens {
            client,
            grant,
            clock,
            held: Mutex::new(None),
            renewing: tokio::sync::Mutex::new(()),
        })
    }

    /// The token to send now, fetched first when there is none or it is about to run out.
    pub async fn bearer(&self) -> Result<Secret> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _one = self.renewing.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        self.fetch().await
    }

    /// Fetches a new token whatever the old one's age (after a 401).
    pub async fn renew(&self) -> Result<Secret> {
        let _one = self.renewing.lock().await;
        self.fetch().await
    }

    fn fresh(&self) -> Option<Secret> {
        let held = self.held.lock().expect("token lock");
        held.as_ref()
            .filter(|held| (self.clock)() < held.renew_at)
            .map(|held| held.token.clone())
    }

    async fn fetch(&self) -> Result<Secret> {
        let (url, request) = match &self.grant {
            Grant::Project {
                token_url,
                project_id,
                api_key,
            } => (
                token_url,
                self.client
                    .post(token_url)
                    .basic_auth(project_id, Some(api_key.expose()))
                    .form(&[("grant_type", "client_credentials")]),
            ),
            Grant::Account {
                token_url,
                username,
                password,
            } => (
                token_url,
                self.client.post(token_url).form(&[
                    ("grant_type", "password"),
                    ("username", username.as_str()),
                    ("password", password.expose()),
                    ("client_id", CLIENT_ID),
                    ("scope", "openid"),
                ]),
            ),
        };
        let what = format!("UP42's sign-in ({url})");
        let response = request
            .send()
            .await
            .map_err(|err| Error::network(&what, &err))?;
        let status = response.status();
        if matches!(status.as_u16(), 400 | 401 | 403) {
            return Err(Error::new(
                ErrorCode::AuthFailed,
                match self.grant {
                    Grant::Project { .. } => "UP42 refused the project id and API key. Copy them again from the project's Developers page.",
                    Grant::Account { .. } => "UP42 refused the email and password. Check them, or sign in at up42.com to see whether the account works.",
                },
            ));
        }
        if !status.is_success() {
            return Err(Error::http_status(&what, status));
        }
        let body = http::read_limited(response, &what, 1 << 20).await?;
        let reply: Value = http::parse_json(&body, &what)?;
        let token = reply
            .get("access_token")
            .or_else(|| reply.pointer("/data/accessToken"))
            .and_then(Value::as_str)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| Error::protocol(format!("{what} answered without a token.")))?;
        let lifetime = reply
            .get("expires_in")
            .and_then(Value::as_u64)
            .map_or(DEFAULT_LIFETIME, Duration::from_secs);
        let token = Secret::new(token);
        *self.held.lock().expect("token lock") = Some(Held {
            token: token.clone(),
            renew_at: (self.clock)() + lifetime.saturating_sub(RENEW_BEFORE),
        });
        Ok(token)
    }
}

impl Credentials for Tokens {
    fn authorization(&self) -> Option<HeaderValue> {
        let held = self.held.lock().expect("token lock");
        let token = &held.as_ref()?.token;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    fn refresh(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.renew().await.map(drop) })
    }
}
