//! Passwords and session tokens in the OS keyring (Secret Service, Keychain, Credential Manager), and nowhere else.

use jobfetch_engine::providers::desaccess::DesAccessAccount;
use jobfetch_engine::{Error, ErrorCode, Result};

/// The keyring service name all of Jobfetch's secrets are filed under.
const SERVICE: &str = "Jobfetch";

/// Which secret of an account.
#[derive(Clone, Copy)]
pub enum Secret {
    Password,
    Token,
}

/// Where one account's secrets are filed. `scope` is the API base, or `demo` for the built-in archive
/// (whose address changes every run).
#[derive(Clone)]
pub struct SecretKey {
    user: String,
}

impl SecretKey {
    pub fn new(account: &DesAccessAccount, is_demo: bool) -> Self {
        let scope = if is_demo {
            "demo"
        } else {
            account.api_base.as_str()
        };
        SecretKey {
            user: format!("desaccess:{}@{scope}", account.username),
        }
    }

    fn entry(&self, secret: Secret) -> Result<keyring::Entry> {
        let kind = match secret {
            Secret::Password => "password",
            Secret::Token => "token",
        };
        keyring::Entry::new(SERVICE, &format!("{}#{kind}", self.user)).map_err(keychain_error)
    }

    /// Stores a secret, replacing any earlier one.
    pub fn store(&self, secret: Secret, value: &str) -> Result<()> {
        self.entry(secret)?
            .set_password(value)
            .map_err(keychain_error)
    }

    /// Reads a secret; `None` when there is none.
    pub fn load(&self, secret: Secret) -> Result<Option<String>> {
        match self.entry(secret)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(keychain_error(err)),
        }
    }

    /// Removes a secret; removing one that is not there is fine.
    pub fn forget(&self, secret: Secret) -> Result<()> {
        match self.entry(secret)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(keychain_error(err)),
        }
    }
}

/// Runs blocking keyring work off the async runtime's worker threads.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| Error::new(ErrorCode::Internal, format!("Keyring task failed: {err}")))?
}

fn keychain_error(err: keyring::Error) -> Error {
    Error::new(
        ErrorCode::Keychain,
        format!(
            "Could not use the system keyring ({err}). On Linux, make sure a Secret Service such as \
             GNOME Keyring is running and unlocked, then try again."
        ),
    )
}
