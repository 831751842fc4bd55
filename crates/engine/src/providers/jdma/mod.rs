//! JDMA (JASMIN's Joint-storage Data Migration App) as a Jobfetch archive: a user's batches on tape or
//! object storage and their requests (PUT, MIGRATE, GET, DELETE) in one jobs list, a batch's archives
//! and files with their digests, requests followed through their stages in the documented order, and
//! a completed GET's files checked against JDMA's digests and copied to this computer (`copy`).
//! Protocol facts: shared/research/up42_jdma.md Part 2.
//!
//! JDMA has no password or token: the user is whoever the `name` parameter names, which is why the
//! service answers only inside JASMIN. Object Store requests carry the store's access and secret keys,
//! kept in the keyring. An account may name an SSH host (a JASMIN login or transfer server) to reach
//! JDMA through: its session then calls the API through a tunnel over the process's SSH connection
//! to that host, dug again when the connection drops (see `ssh_route`).

mod api;
mod copy;
mod follow;
mod get_and_delete;
pub mod records;
mod retrieval;
mod session;
mod ssh_route;
pub mod stages;

use std::collections::BTreeMap;
use std::sync::Arc;

use url::Url;

use crate::error::{Error, Result};
use crate::ids::{AccountId, ProviderId};
use crate::providers::{
    Abilities, Account, Context, Field, FieldKind, FieldValues, Provider, ProviderInfo,
    RetrievalInfo, Session,
};
use crate::ssh::SshHost;
use crate::transfer::auth::BoxFuture;
use api::Api;
pub use follow::{RequestEvent, RequestStatus};
pub use retrieval::{BaseFrom, FileCheck, Outcome, Retrieval};
pub use session::{JdmaSession, JobKey, PutSpec, Scope};
use ssh_route::SshRoute;

/// The sign-in fields' keys.
pub const API: &str = "api";
pub const USER: &str = "user";
pub const SSH_HOST: &str = "ssh_host";
pub const SSH_CONFIG: &str = "ssh_config";
pub const ACCESS_KEY: &str = "access_key";
pub const SECRET_KEY: &str = "secret_key";
/// JDMA's API as jdma_client 1.0.1 (August 2024, "to match Rocky9 server") names it.
pub const DEFAULT_API: &str = "https://jdma3.ceda.ac.uk/jdma_control/api/v1/";
/// Where the CLI reads the Object Store keys on a machine without a keyring.
pub const ACCESS_KEY_ENV: &str = "JDMA_ACCESS_KEY";
pub const SECRET_KEY_ENV: &str = "JDMA_SECRET_KEY";

/// The JDMA archive.
pub struct JdmaProvider {
    info: ProviderInfo,
}

impl JdmaProvider {
    pub fn new() -> Self {
        let mut api = Field::new(
            API,
            "JDMA address",
            FieldKind::Url,
            "JDMA's API. It answers only inside JASMIN: from a laptop, also give an SSH host.",
        );
        api.required = true;
        api.default = Some(DEFAULT_API.into());
        let mut user = Field::new(
            USER,
            "JASMIN user name",
            FieldKind::Text,
            "JDMA has no password: it knows you by your JASMIN user name alone, and trusts JASMIN's network.",
        );
        user.required = true;
        let ssh = Field::new(
            SSH_HOST,
            "SSH host",
            FieldKind::Text,
            "Optional: a JASMIN login or transfer server (e.g. you@login-01.jasmin.ac.uk) to reach JDMA through, with your own SSH key or agent. No SSH password is kept.",
        );
        let ssh_config = Field::new(
            SSH_CONFIG,
            "SSH config file",
            FieldKind::Text,
            "Optional: the full path of an ssh config file to reach the SSH host with, instead of your ~/.ssh/config (as ssh -F).",
        );
        let mut access = Field::new(
            ACCESS_KEY,
            "Object Store access key",
            FieldKind::Secret,
            "Optional: only Object Store batches need it. Kept in your system keyring.",
        );
        access.env = Some(ACCESS_KEY_ENV.into());
        let mut secret = Field::new(
            SECRET_KEY,
            "Object Store secret key",
            FieldKind::Secret,
            "With the access key. Kept in your system keyring.",
        );
        secret.env = Some(SECRET_KEY_ENV.into());
        JdmaProvider {
            info: ProviderInfo {
                id: ProviderId::new("jdma").expect("a valid id"),
                name: "JDMA".into(),
                summary: "JASMIN's data migration app: group workspace batches on tape and object storage, and the requests that put, get and delete them.".into(),
                fields: vec![api, user, ssh, ssh_config, access, secret],
                abilities: Abilities {
                    jobs: true,
                    requests: true,
                    ..Abilities::default()
                },
                search: Vec::new(),
                token_env: None,
                expiry: None,
                opens: None,
                archive_folder: None,
                retrieval: Some(RetrievalInfo {
                    action: "Bring back from storage (GET)".into(),
                    target_label: "Folder on JASMIN".into(),
                    help: "JDMA copies the files from tape or object storage into this folder, below a folder whose parent must already exist, which can take hours; once the GET has completed, its files can be copied to this computer.".into(),
                }),
                deletion: Some("Deletes the batch's copy on tape or object storage for good: it can never be brought back from storage again. Files on disk (the originals, unless a MIGRATE removed them, and what GETs brought back) are not touched. A PUT still running is stopped.".into()),
            },
        }
    }
}

impl Default for JdmaProvider {
    fn default() -> Self {
        Self::new()
    }
}

/// `raw` (empty: the real service) as JDMA's API address, ending in `/` so routes join below it.
pub fn api_address(raw: &str) -> Result<Url> {
    let raw = match raw.trim() {
        "" => DEFAULT_API,
        given => given,
    };
    let mut url = Url::parse(raw).map_err(|err| {
        Error::invalid_input(format!("JDMA address: {raw:?} is not an address ({err})."))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::invalid_input(format!(
            "JDMA address: {raw:?} must start with https:// (or http:// for a local server)."
        )));
    }
    if !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    url.set_query(None);
    Ok(url)
}

/// A JASMIN user name: letters, digits, `.`, `_` and `-` (it goes into every query as `name`).
fn check_user(user: &str) -> Result<&str> {
    let user = user.trim();
    let fits = !user.is_empty()
        && user.len() <= 64
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !fits {
        return Err(Error::invalid_input(format!(
            "{user:?} is not a JASMIN user name: give yours (letters, digits, '.', '_' or '-')."
        )));
    }
    Ok(user)
}

/// An SSH destination, `[user@]host`: no spaces, and never starting with `-` (ssh would read an option).
fn check_ssh_host(host: &str) -> Result<&str> {
    let host = host.trim();
    let fits = !host.starts_with('-')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@' | b':'));
    if !fits {
        return Err(Error::invalid_input(format!(
            "SSH host: {host:?} is not a host name (like you@login-01.jasmin.ac.uk)."
        )));
    }
    Ok(host)
}

/// An ssh config file's path: absolute, so that it means the same wherever Jobfetch runs from.
fn check_ssh_config(path: &str) -> Result<&str> {
    let path = path.trim();
    if !path.is_empty() && !std::path::Path::new(path).is_absolute() {
        return Err(Error::invalid_input(format!(
            "SSH config file: give its full path (like /home/you/.ssh/jasmin_config), not {path:?}."
        )));
    }
    Ok(path)
}

/// The SSH host an account reaches JDMA through, with its ssh config file; `None` without one.
fn ssh_host(settings: &BTreeMap<String, String>) -> Result<Option<SshHost>> {
    let destination = check_ssh_host(value(settings, SSH_HOST))?;
    if destination.is_empty() {
        return Ok(None);
    }
    let host = SshHost::new(destination)?;
    Ok(Some(match check_ssh_config(value(settings, SSH_CONFIG))? {
        "" => host,
        config => host.with_config_file(config),
    }))
}

fn value<'a>(values: &'a BTreeMap<String, String>, key: &str) -> &'a str {
    values.get(key).map_or("", |v| v.trim())
}

impl Provider for JdmaProvider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn account(&self, values: &FieldValues) -> Result<Account> {
        let api = api_address(value(values, API))?;
        let user = check_user(value(values, USER))?;
        let host = match api.port() {
            Some(port) => format!("{}:{port}", api.host_str().unwrap_or_default()),
            None => api.host_str().unwrap_or_default().to_string(),
        };
        let mut settings = BTreeMap::from([
            (API.to_string(), api.to_string()),
            (USER.to_string(), user.to_string()),
        ]);
        let ssh = check_ssh_host(value(values, SSH_HOST))?;
        let ssh_config = check_ssh_config(value(values, SSH_CONFIG))?;
        let label = if ssh.is_empty() {
            format!("{user} on {host}")
        } else {
            settings.insert(SSH_HOST.into(), ssh.into());
            if !ssh_config.is_empty() {
                settings.insert(SSH_CONFIG.into(), ssh_config.into());
            }
            format!("{user} on {host} via {ssh}")
        };
        Ok(Account {
            id: AccountId::new(&self.info.id, user, &host)?,
            provider: self.info.id.clone(),
            label,
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
            let api = api_address(value(&account.settings, API))?;
            let user = check_user(value(&account.settings, USER))?.to_string();
            let api = match ssh_host(&account.settings)? {
                None => Api::new(context.client.clone(), api, user),
                Some(host) => {
                    let (route, way) = SshRoute::open(context.ssh.clone(), host, api).await?;
                    Api::through(route, way, user)
                }
            };
            let session = JdmaSession::open(
                api,
                account.clone(),
                context.secrets.clone(),
                context.notes.clone(),
            )
            .await?;
            Ok(Arc::new(session) as Arc<dyn Session>)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_a_user_on_a_server() {
        let provider = JdmaProvider::new();
        let values = FieldValues::from([(USER.to_string(), " demo ".to_string())]);
        let account = provider.account(&values).unwrap();
        assert_eq!(account.id.as_str(), "jdma:demo@jdma3.ceda.ac.uk");
        assert_eq!(account.settings[API], DEFAULT_API);
        assert_eq!(account.label, "demo on jdma3.ceda.ac.uk");
        let local = FieldValues::from([
            (
                API.to_string(),
                "http://127.0.0.1:8080/jdma_control/api/v1".to_string(),
            ),
            (USER.to_string(), "demo".to_string()),
            (
                SSH_HOST.to_string(),
                "demo@login-01.jasmin.ac.uk".to_string(),
            ),
        ]);
        let account = provider.account(&local).unwrap();
        assert_eq!(
            account.settings[API],
            "http://127.0.0.1:8080/jdma_control/api/v1/"
        );
        assert_eq!(account.settings[SSH_HOST], "demo@login-01.jasmin.ac.uk");
        for bad in [
            (USER, "two words"),
            (USER, ""),
            (API, "ftp://x/"),
            (SSH_HOST, "-oProxyCommand=x"),
            (SSH_CONFIG, "relative/config"),
        ] {
            let mut values = FieldValues::from([(USER.to_string(), "demo".to_string())]);
            values.insert(bad.0.to_string(), bad.1.to_string());
            assert!(provider.account(&values).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_sign_in_form_says_there_is_no_password() {
        let info = JdmaProvider::new().info;
        let user = info.fields.iter().find(|f| f.key == USER).unwrap();
        assert!(user.help.contains("no password"));
        assert!(info.abilities.requests && info.abilities.jobs);
        assert!(info
            .fields
            .iter()
            .filter(|f| f.is_secret())
            .all(|f| !f.required));
    }
}
