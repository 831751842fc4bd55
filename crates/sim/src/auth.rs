//! Accounts and bearer tokens, checked with the rules and messages of DESaccess's `jwtutils.py`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

use crate::demo;
use crate::rng::Rng;

/// A user of the archive.
#[derive(Debug)]
pub(crate) struct Account {
    pub(crate) username: &'static str,
    password: &'static str,
    pub(crate) name: &'static str,
    pub(crate) lastname: &'static str,
    pub(crate) email: &'static str,
    databases: &'static [&'static str],
}

const ACCOUNTS: [Account; 2] = [
    Account {
        username: demo::USERNAME,
        password: demo::PASSWORD,
        name: "Demo",
        lastname: "User",
        email: "demo@example.org",
        databases: &["desdr", "dessci"],
    },
    Account {
        username: demo::EMPTY_USERNAME,
        password: demo::EMPTY_PASSWORD,
        name: "Astro",
        lastname: "Buff",
        email: "astrobuff@example.org",
        databases: &["desdr"],
    },
];

/// Checks a login; `user` may be the username (any case) or the email address.
pub(crate) fn authenticate(user: &str, password: &str, database: &str) -> Option<&'static Account> {
    ACCOUNTS.iter().find(|account| {
        (account.username.eq_ignore_ascii_case(user) || account.email.eq_ignore_ascii_case(user))
            && account.password == password
            && account.databases.contains(&database)
    })
}

/// Who a valid token belongs to.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub(crate) account: &'static Account,
    pub(crate) db: String,
    expires_at: Instant,
}

impl Session {
    /// Whole seconds until the token expires.
    pub(crate) fn seconds_left(&self) -> u64 {
        self.expires_at
            .saturating_duration_since(Instant::now())
            .as_secs()
    }
}

/// Why a request is not authenticated; DESaccess answers all but one of these with HTTP 200.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AuthError {
    Missing,
    InvalidHeader,
    Undecodable,
    BadSignature,
    Expired,
}

impl AuthError {
    pub(crate) fn message(&self) -> &'static str {
        match self {
            AuthError::Missing => "Missing authorization",
            AuthError::InvalidHeader => "Invalid header authorization",
            AuthError::Undecodable => "Invalid header string",
            AuthError::BadSignature => "Signature verification failed",
            AuthError::Expired => "Signature has expired",
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            AuthError::Undecodable => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::OK,
        }
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    name: &'a str,
    lastname: &'a str,
    username: &'a str,
    email: &'a str,
    db: &'a str,
    roles: [&'a str; 1],
    exp: u64,
}

/// JWT-shaped tokens (HS256 header, real claims, random signature) remembered server-side.
pub(crate) struct Tokens {
    sessions: Mutex<HashMap<String, Session>>,
    ttl: Mutex<Duration>,
    rng: Mutex<Rng>,
}

impl Tokens {
    pub(crate) fn new(seed: u64, ttl: Duration) -> Tokens {
        Tokens {
            sessions: Mutex::default(),
            ttl: Mutex::new(ttl),
            rng: Mutex::new(Rng::derive(seed, "tokens")),
        }
    }

    /// Lifetime of tokens issued from now on.
    pub(crate) fn set_ttl(&self, ttl: Duration) {
        *self.ttl.lock().expect("ttl lock poisoned") = ttl;
    }

    /// A new token for `account` on `db`, valid for the full TTL.
    pub(crate) fn issue(&self, account: &'static Account, db: &str) -> String {
        let ttl = *self.ttl.lock().expect("ttl lock poisoned");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let claims = Claims {
            name: account.name,
            lastname: account.lastname,
            username: account.username,
            email: account.email,
            db,
            roles: ["default"],
            exp: (now + ttl).as_secs(),
        };
        let signature = self.rng.lock().expect("rng lock poisoned").bytes(32);
        let token = [
            URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256"}"#),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("claims always serialize")),
            URL_SAFE_NO_PAD.encode(signature),
        ]
        .join(".");
        let session = Session {
            account,
            db: db.to_owned(),
            expires_at: Instant::now() + ttl,
        };
        self.sessions
            .lock()
            .expect("sessions lock poisoned")
            .insert(token.clone(), session);
        token
    }

    /// Checks an `Authorization` header value like the `@authenticated` decorator.
    pub(crate) fn verify(&self, authorization: Option<&str>) -> Result<Session, AuthError> {
        let header = authorization.ok_or(AuthError::Missing)?;
        let parts: Vec<&str> = header.split_whitespace().collect();
        let [scheme, token] = parts[..] else {
            return Err(AuthError::InvalidHeader);
        };
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::InvalidHeader);
        }
        if !is_jwt(token) {
            return Err(AuthError::Undecodable);
        }
        let sessions = self.sessions.lock().expect("sessions lock poisoned");
        let session = sessions.get(token).ok_or(AuthError::BadSignature)?;
        if Instant::now() >= session.expires_at {
            return Err(AuthError::Expired);
        }
        Ok(session.clone())
    }
}

/// Three base64url segments whose first two decode to JSON objects.
fn is_jwt(token: &str) -> bool {
    let segments: Vec<&str> = token.split('.').collect();
    let [header, claims, _signature] = segments[..] else {
        return false;
    };
    [header, claims].iter().all(|segment| {
        URL_SAFE_NO_PAD
            .decode(segment)
            .ok()
            .and_then(|json| {
                serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&json).ok()
            })
            .is_some()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(7, Duration::from_secs(60))
    }

    #[test]
    fn header_rules_follow_jwtutils() {
        let tokens = tokens();
        let account = authenticate("demo", demo::PASSWORD, "desdr").unwrap();
        let token = tokens.issue(account, "desdr");
        assert!(tokens.verify(Some(&format!("Bearer {token}"))).is_ok());
        assert!(tokens.verify(Some(&format!("bearer {token}"))).is_ok());
        assert_eq!(tokens.verify(None).unwrap_err(), AuthError::Missing);
        assert_eq!(
            tokens.verify(Some(&token)).unwrap_err(),
            AuthError::InvalidHeader
        );
        assert_eq!(
            tokens.verify(Some(&format!("Token {token}"))).unwrap_err(),
            AuthError::InvalidHeader
        );
        assert_eq!(
            tokens
                .verify(Some(&format!("Bearer {token} x")))
                .unwrap_err(),
            AuthError::InvalidHeader
        );
        assert_eq!(
            tokens.verify(Some("Bearer abc")).unwrap_err(),
            AuthError::Undecodable
        );
        let forged = format!("{}.AAAA", token.rsplit_once('.').unwrap().0);
        assert_eq!(
            tokens
                .verify(Some(&format!("Bearer {forged}")))
                .unwrap_err(),
            AuthError::BadSignature
        );
    }

    #[test]
    fn login_accepts_email_and_known_databases_only() {
        assert!(authenticate("demo@example.org", demo::PASSWORD, "dessci").is_some());
        assert!(authenticate("DEMO", demo::PASSWORD, "desdr").is_some());
        assert!(authenticate("demo", demo::PASSWORD, "desoper").is_none());
        assert!(authenticate("demo", "wrong", "desdr").is_none());
    }
}
