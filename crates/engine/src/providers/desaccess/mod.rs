//! DESaccess (Dark Energy Survey data access): accounts, sign-in, jobs and their output trees on the
//! file server (nginx JSON listings), and how its outputs are named.

mod advice;
mod api;
pub mod kinds;
mod server;
mod session;
pub mod time;

use std::sync::Arc;

use crate::error::Result;
use crate::ids::{AccountId, ProviderId};
use crate::providers::{
    Abilities, Account, Context, Field, FieldKind, FieldValues, Provider, ProviderInfo, Session,
    Suggestion,
};
use crate::transfer::auth::BoxFuture;

pub use server::Server;

/// Folders listed at once while walking a job's outputs.
const LISTING_CONCURRENCY: usize = crate::providers::nginx_listing::CONCURRENCY;
/// The API of the public release, and of the collaboration's deployment.
const PUBLIC_API: &str = "https://des.ncsa.illinois.edu/desaccess/api";
const COLLABORATION_API: &str = "https://deslabs.ncsa.illinois.edu/desaccess/api";
/// The public release database, used when the form leaves it empty.
const DEFAULT_DATABASE: &str = "desdr";

/// The sign-in fields' keys.
pub const API_BASE: &str = "api_base";
pub const USERNAME: &str = "username";
pub const DATABASE: &str = "database";
pub use api::PASSWORD;

/// The DESaccess archive.
pub struct DesAccessProvider {
    info: ProviderInfo,
}

impl DesAccessProvider {
    pub fn new() -> Self {
        let field =
            |key: &str, label: &str, input, required, default: Option<&str>, help: &str| Field {
                key: key.into(),
                label: label.into(),
                input,
                required,
                default: default.map(str::to_string),
                help: help.into(),
                env: None,
                suggestions: Vec::new(),
            };
        let mut password = field(
            PASSWORD,
            "Password",
            FieldKind::Secret,
            true,
            None,
            "Kept in your system keyring, never on disk.",
        );
        password.env = Some("DESACCESS_PASSWORD".into());
        let mut server = field(
            API_BASE,
            "Server",
            FieldKind::Url,
            true,
            Some(PUBLIC_API),
            "The DESaccess API address.",
        );
        server.suggestions = vec![
            Suggestion::new(PUBLIC_API, "Public release (DR1, DR2; database desdr)"),
            Suggestion::new(
                COLLABORATION_API,
                "DES collaboration (databases dessci, desoper)",
            ),
        ];
        DesAccessProvider {
            info: ProviderInfo {
                id: ProviderId::new("desaccess").expect("a valid id"),
                name: "DESaccess".into(),
                summary: "Dark Energy Survey cutout and query jobs (NCSA).".into(),
                fields: vec![
                    server,
                    field(USERNAME, "Username", FieldKind::Text, true, None, ""),
                    password,
                    field(
                        DATABASE,
                        "Database",
                        FieldKind::Choice {
                            options: vec!["desdr".into(), "dessci".into(), "desoper".into()],
                        },
                        false,
                        Some(DEFAULT_DATABASE),
                        "desdr for public data releases; dessci or desoper for the collaboration.",
                    ),
                ],
                abilities: Abilities {
                    jobs: true,
                    previews: true,
                    ..Abilities::default()
                },
                search: Vec::new(),
                token_env: None,
                expiry: Some(
                    "DESaccess deletes a job's files some time after the job expires (14 days after it \
                     finished, unless renewed from the DESaccess site). Until they are deleted they still \
                     download; after that, submit the job again."
                        .into(),
                ),
                opens: None,
                archive_folder: None,
                retrieval: None,
                deletion: None,
            },
        }
    }

    fn server(&self, settings: &std::collections::BTreeMap<String, String>) -> Result<Server> {
        let value = |key: &str| settings.get(key).map(String::as_str).unwrap_or_default();
        let api_base = match value(API_BASE) {
            "" => self.info.fields[0].default.as_deref().unwrap_or_default(),
            given => given,
        };
        Server::new(api_base, value(USERNAME), value(DATABASE))
    }
}

impl Default for DesAccessProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl Provider for DesAccessProvider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn account(&self, values: &FieldValues) -> Result<Account> {
        let server = self.server(values)?;
        let id = AccountId::new(&self.info.id, &server.username, &server.identity())?;
        Ok(Account {
            label: format!("{} on {}", server.username, server.identity()),
            id,
            provider: self.info.id.clone(),
            settings: [
                (API_BASE.to_string(), server.api_base),
                (USERNAME.to_string(), server.username),
                (DATABASE.to_string(), server.database),
            ]
            .into(),
        })
    }

    fn advise(&self, source: &str) -> Option<String> {
        advice::advise(source)
    }

    fn open<'a>(
        &'a self,
        context: &'a Context,
        account: &'a Account,
    ) -> BoxFuture<'a, Result<Arc<dyn Session>>> {
        Box::pin(async move {
            self.info.check_owns(account)?;
            let server = self.server(&account.settings)?;
            let api = api::Api::new(
                context.client.clone(),
                server,
                account.id.clone(),
                context.secrets.clone(),
            )
            .await?;
            let profile = api.profile().await?;
            Ok(Arc::new(session::DesAccessSession {
                api,
                account: account.clone(),
                profile,
                client: context.client.clone(),
            }) as Arc<dyn Session>)
        })
    }
}
