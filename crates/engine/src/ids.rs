//! Typed names for what Jobfetch keeps apart: a kind of archive (`ProviderId`), one account on one
//! server (`AccountId`), and one job of an account (`JobRef`).

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};

/// A kind of archive, e.g. `desaccess`: lower-case ASCII letters, digits and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, TS)]
#[ts(export, type = "string")]
pub struct ProviderId(String);

impl ProviderId {
    /// Checks a provider id: 1–32 characters of `a-z`, `0-9` and `-`.
    pub fn new(id: &str) -> Result<Self> {
        let valid = !id.is_empty()
            && id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(Error::invalid_input(format!(
                "{id:?} is not an archive kind; kinds are short lower-case names such as \"desaccess\"."
            )));
        }
        Ok(ProviderId(id.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProviderId {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        ProviderId::new(&value)
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One account on one server: `<provider>:<user>@<server>`, e.g. `desaccess:ana@des.ncsa.illinois.edu`.
/// Two accounts of one archive on two servers, or two users on one server, never share an id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, TS)]
#[ts(export, type = "string")]
pub struct AccountId(String);

impl AccountId {
    /// The id of `user` on `server` (a host, `host:port`, or `host:port/path` when one host serves several).
    pub fn new(provider: &ProviderId, user: &str, server: &str) -> Result<Self> {
        let user = user.trim();
        let server = server.trim().trim_end_matches('/');
        if user.is_empty() || server.is_empty() || user.chars().any(char::is_control) {
            return Err(Error::invalid_input(
                "An account needs a user name and a server.",
            ));
        }
        Ok(AccountId(format!("{provider}:{user}@{server}")))
    }

    /// The kind of archive the account belongs to.
    pub fn provider(&self) -> ProviderId {
        ProviderId(
            self.0
                .split_once(':')
                .map_or("", |(provider, _)| provider)
                .to_string(),
        )
    }

    /// The user part: who the account signs in as on its server.
    pub fn user(&self) -> &str {
        let rest = self.0.split_once(':').map_or("", |(_, rest)| rest);
        rest.rsplit_once('@').map_or(rest, |(user, _)| user)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AccountId {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        let (provider, rest) = value.split_once(':').ok_or_else(|| {
            Error::invalid_input(format!(
                "{value:?} is not an account id (kind:user@server)."
            ))
        })?;
        let provider = ProviderId::new(provider)?;
        let (user, server) = rest.rsplit_once('@').ok_or_else(|| {
            Error::invalid_input(format!(
                "{value:?} is not an account id (kind:user@server)."
            ))
        })?;
        AccountId::new(&provider, user, server)
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Both ids travel as their text, checked again when read.
macro_rules! serde_as_checked_text {
    ($id:ty) => {
        impl Serialize for $id {
            fn serialize<S: serde::Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $id {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> std::result::Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                <$id>::try_from(text).map_err(|err| serde::de::Error::custom(err.message))
            }
        }
    };
}
serde_as_checked_text!(ProviderId);
serde_as_checked_text!(AccountId);

/// One job (or search, or request) of one account, as the archive names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct JobRef {
    pub account: AccountId,
    pub job: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_keep_servers_and_users_apart_and_round_trip() {
        let des = ProviderId::new("desaccess").unwrap();
        let a = AccountId::new(&des, "ana", "127.0.0.1:8080").unwrap();
        let b = AccountId::new(&des, "ana", "127.0.0.1:8081").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.provider(), des);
        let text = serde_json::to_string(&a).unwrap();
        assert_eq!(text, "\"desaccess:ana@127.0.0.1:8080\"");
        assert_eq!(serde_json::from_str::<AccountId>(&text).unwrap(), a);
        let with_at = AccountId::new(&des, "ana@lab.org", "h").unwrap();
        assert_eq!(
            serde_json::from_str::<AccountId>(&serde_json::to_string(&with_at).unwrap()).unwrap(),
            with_at
        );
        assert!(serde_json::from_str::<AccountId>("\"no-colon\"").is_err());
        assert!(ProviderId::new("DESaccess").is_err());
        assert!(AccountId::new(&des, " ", "h").is_err());
    }
}
