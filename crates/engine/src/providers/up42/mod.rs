//! UP42 (Earth observation processing) as a Jobfetch archive, in both of its flavours: a project's
//! jobs and tasks on the seed API (project id + API key), and an account's processing jobs with STAC
//! results on the current API (email + password). Protocol facts: shared/research/up42_jdma.md Part 1.

mod api;
pub mod processing;
pub mod seed;
mod session;
mod status;
mod token;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::Deserialize;
use url::Url;

use crate::error::{Error, ErrorCode, Result};
use crate::ids::{AccountId, ProviderId};
use crate::providers::{
    Abilities, Account, Context, Field, FieldKind, FieldValues, Profile, Provider, ProviderInfo,
    Session, Suggestion,
};
use crate::secret::{blocking, Secret};
use crate::transfer::auth::BoxFuture;
use api::Api;
pub use session::{
    Flavour, Up42Session, FOOTPRINTS_FILE, LOG_FILE, QUICKLOOK_PREFIX, RESULTS_FILE, TASK_PREFIX,
};
use token::{Grant, Tokens};

/// The sign-in fields' keys.
pub const API: &str = "api";
pub const PROJECT_ID: &str = "project_id";
pub const API_KEY: &str = "api_key";
pub const USERNAME: &str = "username";
pub const PASSWORD: &str = "password";
pub const AUTH: &str = "auth";
/// UP42's API, in Europe and in South America.
pub const DEFAULT_API: &str = "https://api.up42.com";
const SOUTH_AMERICA_API: &str = "https://api.sa.up42.com";
/// Where the CLI and up42-py's users keep credentials on machines without a keyring.
pub const PROJECT_ID_ENV: &str = "UP42_PROJECT_ID";
pub const API_KEY_ENV: &str = "UP42_PROJECT_API_KEY";
pub const USERNAME_ENV: &str = "UP42_USERNAME";
pub const PASSWORD_ENV: &str = "UP42_PASSWORD";
/// The folder UP42's result archives hold their files in.
pub const ARCHIVE_FOLDER: &str = "output/";
/// The OpenID endpoints on UP42's sign-in server.
const TOKEN_PATH: &str = "/realms/public/protocol/openid-connect/token";
const USERINFO_PATH: &str = "/realms/public/protocol/openid-connect/userinfo";

/// What a token's age is measured with: the system clock, or a test's.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The UP42 archive.
pub struct Up42Provider {
    info: ProviderInfo,
    clock: Clock,
}

impl Up42Provider {
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemTime::now))
    }

    /// A provider whose tokens age by `clock` (tests move it instead of sleeping).
    pub fn with_clock(clock: Clock) -> Self {
        let mut api = Field::new(
            API,
            "Server",
            FieldKind::Url,
            "UP42's API address. Projects use its project/job/task API; accounts its processing API.",
        );
        api.required = true;
        api.default = Some(DEFAULT_API.into());
        api.suggestions = vec![
            Suggestion::new(DEFAULT_API, "UP42 (Europe)"),
            Suggestion::new(SOUTH_AMERICA_API, "UP42 South America"),
        ];
        let project = Field::new(
            PROJECT_ID,
            "Project id",
            FieldKind::Text,
            "Sign in to one project's jobs and tasks: its id and API key from the project's Developers page. Leave empty to sign in with your account instead.",
        );
        let mut key = Field::new(
            API_KEY,
            "Project API key",
            FieldKind::Secret,
            "With a project id. Kept in your system keyring.",
        );
        key.env = Some(API_KEY_ENV.into());
        let username = Field::new(
            USERNAME,
            "Email",
            FieldKind::Text,
            "Or sign in with your UP42 account (its processing jobs).",
        );
        let mut password = Field::new(
            PASSWORD,
            "Password",
            FieldKind::Secret,
            "With your email. Kept in your system keyring.",
        );
        password.env = Some(PASSWORD_ENV.into());
        let auth = Field::new(
            AUTH,
            "Sign-in server",
            FieldKind::Url,
            "Where accounts sign in. Leave empty: auth.up42.com for api.up42.com (auth.<domain> for api.<domain>).",
        );
        Up42Provider {
            info: ProviderInfo {
                id: ProviderId::new("up42").expect("a valid id"),
                name: "UP42".into(),
                summary: "Earth observation jobs: satellite scenes, their quicklooks and footprints, and processed results.".into(),
                fields: vec![api, project, key, username, password, auth],
                abilities: Abilities {
                    jobs: true,
                    previews: true,
                    footprints: true,
                    ..Abilities::default()
                },
                search: Vec::new(),
                token_env: None,
                expiry: None,
                opens: None,
                archive_folder: Some(ARCHIVE_FOLDER.into()),
                retrieval: None,
                deletion: None,
            },
            clock,
        }
    }
}

impl Default for Up42Provider {
    fn default() -> Self {
        Self::new()
    }
}

/// `raw` as an http(s) address without a trailing `/`; empty is `default`.
fn address(raw: &str, default: &str, what: &str) -> Result<String> {
    let raw = match raw.trim() {
        "" => default,
        given => given,
    };
    let url = Url::parse(raw).map_err(|err| {
        Error::invalid_input(format!("{what}: {raw:?} is not an address ({err})."))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::invalid_input(format!(
            "{what}: {raw:?} must start with https:// (or http:// for a local server)."
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The sign-in server of the API at `api`: the form's, else `auth.<domain>` for `api.<domain>`.
fn auth_address(api: &str, given: &str) -> Result<String> {
    if !given.trim().is_empty() {
        return address(given, "", "Sign-in server");
    }
    let mut url = Url::parse(api).map_err(|err| Error::invalid_input(err.to_string()))?;
    let host = url.host_str().unwrap_or_default().to_string();
    let Some(domain) = host.strip_prefix("api.") else {
        return Err(Error::invalid_input(format!(
            "Give the sign-in server of {api}: Jobfetch derives it only for api.<domain> addresses."
        )));
    };
    url.set_host(Some(&format!("auth.{domain}")))
        .map_err(|err| Error::invalid_input(err.to_string()))?;
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn value<'a>(values: &'a BTreeMap<String, String>, key: &str) -> &'a str {
    values.get(key).map_or("", |v| v.trim())
}

impl Provider for Up42Provider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn account(&self, values: &FieldValues) -> Result<Account> {
        let api = address(value(values, API), DEFAULT_API, "Server")?;
        let host = Url::parse(&api)
            .ok()
            .and_then(|url| {
                let host = url.host_str()?.to_string();
                Some(match url.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                })
            })
            .unwrap_or_default();
        let (project, username) = (value(values, PROJECT_ID), value(values, USERNAME));
        let mut settings = BTreeMap::from([(API.to_string(), api.clone())]);
        let (user, label) = match (project.is_empty(), username.is_empty()) {
            (false, true) => {
                seed::check_id(project, "project")?;
                settings.insert(PROJECT_ID.into(), project.into());
                (
                    format!("project-{project}"),
                    format!("project {project} on {host}"),
                )
            }
            (true, false) => {
                settings.insert(USERNAME.into(), username.into());
                settings.insert(AUTH.into(), auth_address(&api, value(values, AUTH))?);
                (username.to_string(), format!("{username} on {host}"))
            }
            (false, false) => return Err(Error::invalid_input(
                "Give a project id (with its API key) or an email (with its password), not both.",
            )),
            (true, true) => {
                return Err(Error::invalid_input(
                    "Give a project id and its API key, or your account's email and password.",
                ))
            }
        };
        Ok(Account {
            id: AccountId::new(&self.info.id, &user, &host)?,
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
            let api = address(value(&account.settings, API), DEFAULT_API, "Server")?;
            let project = value(&account.settings, PROJECT_ID).to_string();
            let secret_name = if project.is_empty() {
                PASSWORD
            } else {
                API_KEY
            };
            let (secrets, id) = (context.secrets.clone(), account.id.clone());
            let secret = blocking(move || secrets.get(&id, secret_name))
                .await?
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::AuthFailed,
                        format!(
                            "The {} for {} is not kept here; sign in again.",
                            if project.is_empty() {
                                "password"
                            } else {
                                "project API key"
                            },
                            account.label
                        ),
                    )
                })?;
            let client = context.client.clone();
            let (grant, auth) = if project.is_empty() {
                let auth = auth_address(&api, value(&account.settings, AUTH))?;
                let grant = Grant::Account {
                    token_url: format!("{auth}{TOKEN_PATH}"),
                    username: value(&account.settings, USERNAME).to_string(),
                    password: secret,
                };
                (grant, Some(auth))
            } else {
                let grant = Grant::Project {
                    token_url: format!("{api}/oauth/token"),
                    project_id: project.clone(),
                    api_key: secret,
                };
                (grant, None)
            };
            let tokens = Tokens::new(client.clone(), grant, self.clock.clone());
            let api = Arc::new(Api {
                client: client.clone(),
                base: api,
                tokens,
            });
            let (profile, flavour) = match auth {
                None => (
                    project_profile(&api, &project).await?,
                    Flavour::Projects { project },
                ),
                Some(auth) => {
                    let (profile, workspace) = account_profile(&api, &auth).await?;
                    (profile, Flavour::Processing { workspace })
                }
            };
            Ok(Arc::new(Up42Session {
                api,
                account: account.clone(),
                profile,
                flavour,
                assets: Mutex::default(),
            }) as Arc<dyn Session>)
        })
    }
}

/// Who a project token belongs to: the project, by name (this also checks the credentials).
async fn project_profile(api: &Api, project: &str) -> Result<Profile> {
    #[derive(Deserialize)]
    struct Project {
        #[serde(default)]
        name: String,
    }
    let found: Project = api.data(&format!("/projects/{project}")).await?;
    Ok(Profile {
        username: format!("project {project}"),
        name: found.name,
        email: String::new(),
    })
}

/// Who an account token belongs to, and its workspace (the `sub` of the sign-in server's userinfo).
async fn account_profile(api: &Api, auth: &str) -> Result<(Profile, String)> {
    #[derive(Deserialize)]
    struct UserInfo {
        sub: String,
        #[serde(default)]
        email: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        preferred_username: String,
    }
    let token: Secret = api.tokens.bearer().await?;
    let what = format!("UP42's sign-in ({auth})");
    let response = api
        .client
        .get(format!("{auth}{USERINFO_PATH}"))
        .bearer_auth(token.expose())
        .send()
        .await
        .map_err(|err| Error::network(&what, &err))?;
    if !response.status().is_success() {
        return Err(Error::http_status(&what, response.status()));
    }
    let info: UserInfo = crate::http::read_json(response, &what).await?;
    seed::check_id(&info.sub, "workspace")?;
    Ok((
        Profile {
            username: if info.preferred_username.is_empty() {
                info.email.clone()
            } else {
                info.preferred_username
            },
            name: info.name,
            email: info.email,
        },
        info.sub,
    ))
}
