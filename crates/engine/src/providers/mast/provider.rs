//! MAST as a Jobfetch archive: its sign-in form (an address and an optional token), its search form,
//! and sessions opened with the token checked by `/whoami`.

use std::collections::BTreeMap;
use std::sync::Arc;

use url::Url;

use super::search::{self, DEFAULT_RADIUS};
use super::session::MastSession;
use super::token::{self, Token, TOKEN_PAGE};
use crate::error::{Error, ErrorCode, Result};
use crate::ids::{AccountId, ProviderId};
use crate::providers::{
    Abilities, Account, Context, Field, FieldKind, FieldValues, FileBatch, Profile, Provider,
    ProviderInfo, Session, Suggestion,
};
use crate::transfer::auth::BoxFuture;

/// The sign-in fields' keys.
pub const BASE: &str = "base";
pub const TOKEN: &str = "token";
pub const TRUSTED_HOSTS: &str = "trusted_hosts";
/// MAST's public address.
pub const DEFAULT_BASE: &str = "https://mast.stsci.edu";
/// Where MAST's own scripts and astroquery read a token from.
pub const TOKEN_ENV: &str = "MAST_API_TOKEN";
/// The user part of the account id of an account with a token, and of one without.
pub(super) const WITH_TOKEN: &str = "token";
const ANONYMOUS: &str = "anonymous";

/// The MAST archive.
pub struct MastProvider {
    info: ProviderInfo,
}

impl MastProvider {
    pub fn new() -> Self {
        let mut base = Field::new(
            BASE,
            "Server",
            FieldKind::Url,
            "MAST's address (astroquery's [mast] server).",
        );
        base.required = true;
        base.default = Some(DEFAULT_BASE.into());
        base.suggestions = vec![Suggestion::new(DEFAULT_BASE, "MAST at STScI")];
        let mut token = Field::new(
            TOKEN,
            "API token",
            FieldKind::Secret,
            "Only exclusive-access data needs one (make it at auth.mast.stsci.edu/token). Kept in your system keyring.",
        );
        token.env = Some(TOKEN_ENV.into());
        let trusted = Field::new(
            TRUSTED_HOSTS,
            "Hosts trusted with the token",
            FieldKind::Text,
            "Other hosts MAST redirects to that may see your token, comma-separated. Leave empty: your token goes to MAST only.",
        );
        let text =
            |key: &str, label: &str, help: &str| Field::new(key, label, FieldKind::Text, help);
        MastProvider {
            info: ProviderInfo {
                id: ProviderId::new("mast").expect("a valid id"),
                name: "MAST".into(),
                summary: "Observations of HST, JWST, TESS and more (STScI's Mikulski Archive)."
                    .into(),
                fields: vec![base, token, trusted],
                abilities: Abilities {
                    search: true,
                    previews: true,
                    ..Abilities::default()
                },
                search: vec![
                    text("collection", "Collection", "e.g. HST, JWST, TESS."),
                    text(
                        "proposal",
                        "Proposal",
                        "The proposal (program) id, e.g. 16123.",
                    ),
                    text("instrument", "Instrument", "e.g. WFC3/UVIS, NIRCAM/IMAGE."),
                    text(
                        "target",
                        "Target",
                        "The target name as MAST records it; * is a wildcard.",
                    ),
                    text(
                        "ra",
                        "RA",
                        "Right ascension of a cone's centre, in degrees.",
                    ),
                    text("dec", "Dec", "Declination of a cone's centre, in degrees."),
                    text(
                        "radius",
                        "Radius",
                        &format!("The cone's radius in degrees (default {DEFAULT_RADIUS})."),
                    ),
                ],
                token_env: Some(TOKEN_ENV.into()),
                expiry: None,
                opens: Some("MAST download scripts (.sh)".into()),
                archive_folder: None,
                retrieval: None,
                deletion: None,
            },
        }
    }
}

impl Default for MastProvider {
    fn default() -> Self {
        Self::new()
    }
}

/// MAST's address from a form (empty: MAST's own).
fn base_of(values: &BTreeMap<String, String>) -> Result<String> {
    base_address(values.get(BASE).map_or("", String::as_str))
}

/// `raw` as a MAST address: an http(s) URL with a host, without a trailing `/`; empty is MAST's own.
pub fn base_address(raw: &str) -> Result<String> {
    let raw = match raw.trim() {
        "" => DEFAULT_BASE,
        given => given,
    };
    let url = Url::parse(raw).map_err(|err| {
        Error::invalid_input(format!(
            "{raw:?} is not a valid address ({err}); MAST's is {DEFAULT_BASE}."
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::invalid_input(format!(
            "{raw:?} must start with https:// (or http:// for a local archive); MAST's is {DEFAULT_BASE}."
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The hosts trusted with the token: `host[:port]` each, lowercased, from a comma- or space-separated list.
fn trusted_hosts(raw: &str) -> Result<Vec<String>> {
    raw.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|host| !host.is_empty())
        .map(|host| {
            search::host_of(&format!("https://{host}"))
                .filter(|parsed| parsed == &host.to_ascii_lowercase())
                .ok_or_else(|| {
                    Error::invalid_input(format!(
                        "{host:?} is not a host name (with an optional :port), e.g. s3.amazonaws.com."
                    ))
                })
        })
        .collect()
}

impl Provider for MastProvider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn read_file(&self, text: &str, accounts: &[Account]) -> Option<Result<FileBatch>> {
        super::script::batch(text, accounts)
    }

    fn account(&self, values: &FieldValues) -> Result<Account> {
        let base = base_of(values)?;
        let host = search::host_of(&base).unwrap_or_default();
        let trusted = trusted_hosts(values.get(TRUSTED_HOSTS).map_or("", String::as_str))?;
        let with_token = values.get(TOKEN).is_some_and(|t| !t.trim().is_empty());
        let user = if with_token { WITH_TOKEN } else { ANONYMOUS };
        let mut settings = BTreeMap::from([(BASE.to_string(), base)]);
        if !trusted.is_empty() {
            settings.insert(TRUSTED_HOSTS.to_string(), trusted.join(","));
        }
        Ok(Account {
            id: AccountId::new(&self.info.id, user, &host)?,
            provider: self.info.id.clone(),
            label: match with_token {
                true => format!("your token on {host}"),
                false => format!("anonymous on {host}"),
            },
            settings,
        })
    }

    fn open<'a>(
        &'a self,
        context: &'a Context,
        account: &'a Account,
    ) -> BoxFuture<'a, Result<Arc<dyn Session>>> {
        Box::pin(async move {
            self.info.check_owns(account)?;
            let base = base_of(&account.settings)?;
            let with_token = account.id.user() == WITH_TOKEN;
            let token = if with_token {
                let (secrets, id) = (context.secrets.clone(), account.id.clone());
                let kept = crate::secret::blocking(move || secrets.get(&id, TOKEN)).await?;
                Some(kept.ok_or_else(|| {
                    Error::new(
                        ErrorCode::AuthFailed,
                        format!("Your MAST token for {} is not kept here; sign in with it again (make one at {TOKEN_PAGE}).", account.label),
                    )
                })?)
            } else {
                None
            };
            let who = token::whoami(&context.client, &base, token.as_ref()).await?;
            let profile = Profile {
                username: if who.anonymous {
                    ANONYMOUS.to_string()
                } else {
                    who.username
                },
                name: who.display_name,
                email: who.email,
            };
            let trusted = trusted_hosts(
                account
                    .settings
                    .get(TRUSTED_HOSTS)
                    .map_or("", String::as_str),
            )?;
            let auth = search::token_policy(&base, token.as_ref().map(|_| &account.id), &trusted)?;
            Ok(Arc::new(MastSession::new(
                context.client.clone(),
                base,
                account.clone(),
                profile,
                token.map(|t| Arc::new(Token(t))),
                auth,
            )) as Arc<dyn Session>)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_lose_their_trailing_slash_and_must_be_web_addresses() {
        assert_eq!(
            base_address("https://mast.stsci.edu/").unwrap(),
            DEFAULT_BASE
        );
        assert_eq!(base_address(" ").unwrap(), DEFAULT_BASE);
        assert_eq!(
            base_address("http://127.0.0.1:9000").unwrap(),
            "http://127.0.0.1:9000"
        );
        assert!(base_address("mast.stsci.edu").is_err());
        assert!(base_address("ftp://mast.stsci.edu").is_err());
    }

    #[test]
    fn accounts_are_told_apart_by_token_and_host() {
        let provider = MastProvider::new();
        let anonymous = provider.account(&FieldValues::new()).unwrap();
        assert_eq!(anonymous.id.as_str(), "mast:anonymous@mast.stsci.edu");
        assert_eq!(anonymous.settings[BASE], DEFAULT_BASE);
        let values = FieldValues::from([
            (BASE.to_string(), "http://127.0.0.1:8123/".to_string()),
            (TOKEN.to_string(), "abc".to_string()),
            (
                TRUSTED_HOSTS.to_string(),
                "S3.amazonaws.com, 127.0.0.1:9000".to_string(),
            ),
        ]);
        let signed = provider.account(&values).unwrap();
        assert_eq!(signed.id.as_str(), "mast:token@127.0.0.1:8123");
        assert_eq!(signed.settings[BASE], "http://127.0.0.1:8123");
        assert_eq!(
            signed.settings[TRUSTED_HOSTS],
            "s3.amazonaws.com,127.0.0.1:9000"
        );
        assert!(
            !signed.settings.values().any(|v| v.contains("abc")),
            "no secret in settings"
        );
        let bad = FieldValues::from([(TRUSTED_HOSTS.to_string(), "https://x/y".to_string())]);
        assert!(provider.account(&bad).is_err());
        let ftp = FieldValues::from([(BASE.to_string(), "ftp://mast".to_string())]);
        assert!(provider.account(&ftp).is_err());
    }
}
