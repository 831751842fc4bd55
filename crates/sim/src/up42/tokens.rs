//! UP42 bearer tokens: JWT-shaped, remembered server-side, expiring by the sim's clock (5 minutes).

use std::collections::HashMap;
use std::sync::Mutex;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

use crate::clock::UnixTime;
use crate::rng::Rng;

/// Lifetime of every access token, seconds: UP42's five minutes.
pub(crate) const LIFETIME: UnixTime = 300;
/// Lifetime of the auth host's refresh tokens, seconds (Keycloak's `refresh_expires_in`).
pub(crate) const REFRESH_LIFETIME: UnixTime = 1800;

/// What a token lets its bearer do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A project token (client credentials): that project only.
    Project(String),
    /// An account token: every project of the account, and the current API.
    Account,
    /// A refresh token of the auth host: only good for `grant_type=refresh_token`.
    Refresh,
}

/// Why a bearer token is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    Missing,
    Unknown,
    Expired,
}

impl Refused {
    pub(crate) fn message(&self) -> &'static str {
        match self {
            Refused::Missing => {
                "Full authentication is required to access this resource: send Authorization: Bearer <token>."
            }
            Refused::Unknown => "Invalid access token: sign in again to get a new one.",
            Refused::Expired => {
                "Access token expired: tokens last 5 minutes, sign in again to get a new one."
            }
        }
    }
}

struct Grant {
    scope: Scope,
    expires_at: UnixTime,
}

pub(crate) struct Tokens {
    grants: Mutex<HashMap<String, Grant>>,
    rng: Mutex<Rng>,
}

impl Tokens {
    pub(crate) fn new(seed: u64) -> Tokens {
        Tokens {
            grants: Mutex::default(),
            rng: Mutex::new(Rng::derive(seed, "up42-tokens")),
        }
    }

    /// A new token for `scope`, valid `lifetime` seconds from `now`; forgets tokens long expired.
    pub(crate) fn issue(
        &self,
        scope: Scope,
        subject: &str,
        now: UnixTime,
        lifetime: UnixTime,
    ) -> String {
        let (jti, signature) = {
            let mut rng = self.rng.lock().expect("token rng poisoned");
            (rng.uuid(), rng.bytes(32))
        };
        let claims = json!({
            "sub": subject,
            "aud": subject,
            "iss": "https://api.up42.com",
            "iat": now,
            "exp": now + lifetime,
            "jti": jti,
            "authorities": match scope {
                Scope::Project(_) => vec!["RUN_JOB", "VIEW_PROJECT"],
                Scope::Account => vec!["ACCOUNT"],
                Scope::Refresh => vec!["REFRESH"],
            },
        });
        let token = [
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode(signature),
        ]
        .join(".");
        let mut grants = self.grants.lock().expect("token grants poisoned");
        grants.retain(|_, grant| grant.expires_at + REFRESH_LIFETIME > now);
        grants.insert(
            token.clone(),
            Grant {
                scope,
                expires_at: now + lifetime,
            },
        );
        token
    }

    /// The scope of a token, if it is known and not expired at `now`.
    pub(crate) fn check(&self, token: &str, now: UnixTime) -> Result<Scope, Refused> {
        let grants = self.grants.lock().expect("token grants poisoned");
        let grant = grants.get(token).ok_or(Refused::Unknown)?;
        if now >= grant.expires_at {
            return Err(Refused::Expired);
        }
        Ok(grant.scope.clone())
    }

    /// The scope of an `Authorization: Bearer <token>` header value; refresh tokens are refused.
    pub(crate) fn bearer(&self, header: Option<&str>, now: UnixTime) -> Result<Scope, Refused> {
        let token = header
            .and_then(|value| value.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or(Refused::Missing)?;
        match self.check(token, now)? {
            Scope::Refresh => Err(Refused::Unknown),
            scope => Ok(scope),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_after_their_lifetime() {
        let tokens = Tokens::new(1);
        let token = tokens.issue(Scope::Account, "me", 1000, LIFETIME);
        let header = format!("Bearer {token}");
        assert_eq!(
            tokens.bearer(Some(&header), 1000 + LIFETIME - 1),
            Ok(Scope::Account)
        );
        assert_eq!(
            tokens.bearer(Some(&header), 1000 + LIFETIME),
            Err(Refused::Expired)
        );
        assert_eq!(
            tokens.bearer(Some("Bearer nope"), 1000),
            Err(Refused::Unknown)
        );
        assert_eq!(tokens.bearer(None, 1000), Err(Refused::Missing));
        let refresh = tokens.issue(Scope::Refresh, "me", 1000, REFRESH_LIFETIME);
        assert_eq!(
            tokens.bearer(Some(&format!("Bearer {refresh}")), 1000),
            Err(Refused::Unknown)
        );
    }
}
