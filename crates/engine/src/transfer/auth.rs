//! Credentials on the wire: which requests may carry an archive's token, refreshing it, and re-resolving signed URLs.

use std::future::Future;
use std::pin::Pin;

use reqwest::header::HeaderValue;
use url::Url;

use super::model::AuthPolicy;
use crate::error::Result;

/// A boxed future, so the traits below stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Gives an archive's `Authorization` header and renews it when the archive says it has expired.
pub trait Credentials: Send + Sync {
    /// The header value to send now (e.g. `Bearer …` or `token …`).
    fn authorization(&self) -> Option<HeaderValue>;
    /// Gets a fresh token (sign in again, or use a refresh token). Called at most once per failed request.
    fn refresh(&self) -> BoxFuture<'_, Result<()>>;
    /// True when a small successful reply is really the archive saying the session has ended (DESaccess
    /// answers HTTP 200 with a JSON message); such a reply renews the session once instead of being kept.
    fn is_session_ended_reply(&self, _body: &[u8]) -> bool {
        false
    }
}

/// Turns a provider's reference into a URL to fetch now, e.g. a fresh signed URL.
pub trait Resolver: Send + Sync {
    fn resolve<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Url>>;
}

/// True when a request to `url` under `policy` may carry the archive's token.
pub fn may_send_token(policy: &AuthPolicy, url: &Url) -> bool {
    match policy {
        AuthPolicy::Anonymous => false,
        AuthPolicy::ArchiveToken { hosts, .. } => {
            let Some(host) = url.host_str() else {
                return false;
            };
            let authority = match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            };
            hosts.iter().any(|allowed| {
                allowed.eq_ignore_ascii_case(host) || allowed.eq_ignore_ascii_case(&authority)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AccountId, ProviderId};

    #[test]
    fn tokens_go_only_to_the_archive_hosts() {
        let policy = AuthPolicy::ArchiveToken {
            account: AccountId::new(&ProviderId::new("mast").unwrap(), "u", "mast.stsci.edu")
                .unwrap(),
            scheme: "token".into(),
            hosts: vec!["mast.stsci.edu".into(), "127.0.0.1:8080".into()],
        };
        assert!(may_send_token(
            &policy,
            &Url::parse("https://mast.stsci.edu/api/v0.1/Download/file").unwrap()
        ));
        assert!(may_send_token(
            &policy,
            &Url::parse("http://127.0.0.1:8080/x").unwrap()
        ));
        assert!(!may_send_token(
            &policy,
            &Url::parse("http://127.0.0.1:9090/x").unwrap()
        ));
        assert!(!may_send_token(
            &policy,
            &Url::parse("https://storage.example.org/x").unwrap()
        ));
        assert!(!may_send_token(
            &AuthPolicy::Anonymous,
            &Url::parse("https://mast.stsci.edu/").unwrap()
        ));
    }
}
