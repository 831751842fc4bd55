//! The OS keyring (Secret Service, Keychain, Credential Manager) as the engine's `SecretStore`: the
//! only place Jobfetch keeps passwords, tokens and API keys.

use jobfetch_engine::ids::AccountId;
use jobfetch_engine::secret::{Secret, SecretStore};
use jobfetch_engine::{Error, ErrorCode, Result};

/// The keyring service name all of Jobfetch's secrets are filed under.
const SERVICE: &str = "Jobfetch";

/// Secrets filed as `<account id>#<name>` under the service `Jobfetch`.
pub struct KeyringSecrets;

impl KeyringSecrets {
    fn entry(account: &AccountId, name: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(SERVICE, &format!("{account}#{name}")).map_err(unavailable)
    }

    /// Checks that a keyring answers, so the app can say so at once rather than at the first sign-in.
    pub fn check() -> Result<()> {
        let probe = keyring::Entry::new(SERVICE, "jobfetch#probe").map_err(unavailable)?;
        match probe.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(unavailable(err)),
        }
    }
}

impl SecretStore for KeyringSecrets {
    fn get(&self, account: &AccountId, name: &str) -> Result<Option<Secret>> {
        match Self::entry(account, name)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(unavailable(err)),
        }
    }

    fn set(&self, account: &AccountId, name: &str, value: &Secret) -> Result<()> {
        Self::entry(account, name)?
            .set_password(value.expose())
            .map_err(unavailable)
    }

    fn delete(&self, account: &AccountId, name: &str) -> Result<()> {
        match Self::entry(account, name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(unavailable(err)),
        }
    }
}

fn unavailable(err: keyring::Error) -> Error {
    Error::new(
        ErrorCode::Keychain,
        format!(
            "Could not use the system keyring ({err}). On Linux, make sure a Secret Service such as \
             GNOME Keyring is running and unlocked, then try again. Jobfetch never keeps secrets in a file instead."
        ),
    )
}
