//! Secrets (passwords, tokens, API keys) in memory: never printed, wiped when dropped, and kept by a
//! `SecretStore` (the OS keyring in the app and the CLI) and nowhere else.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};
use crate::ids::AccountId;

/// A secret value. `Debug` and `Display` print `[redacted]`; the bytes are zeroed when it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where an account's secrets are kept, by account and by the name of the sign-in field (or `session`
/// for the session token an archive hands out). Calls may block (a keyring talks over D-Bus).
pub trait SecretStore: Send + Sync {
    fn get(&self, account: &AccountId, name: &str) -> Result<Option<Secret>>;
    fn set(&self, account: &AccountId, name: &str, value: &Secret) -> Result<()>;
    /// Removing a secret that is not there is fine.
    fn delete(&self, account: &AccountId, name: &str) -> Result<()>;
}

/// The name under which a provider keeps the session token it got at sign-in.
pub const SESSION_TOKEN: &str = "session";

/// Runs secret-store work (which may block on D-Bus) off the async workers.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|err| {
        Error::new(
            ErrorCode::Internal,
            format!("The secret store task failed: {err}"),
        )
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "[redacted] [redacted]");
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some([redacted])");
        assert_eq!(secret.expose(), "hunter2");
    }
}
