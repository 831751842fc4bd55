//! Opens the Desk for a CLI command: the accounts file and download queue in the state folder, and the
//! system keyring for secrets, or, where there is none, secrets from the environment or a prompt.

use std::path::Path;
use std::sync::{Arc, Once};

use jobfetch_appkit::accounts::JsonFileBook;
use jobfetch_appkit::env_secrets::EnvSecrets;
use jobfetch_appkit::keyring::KeyringSecrets;
use jobfetch_appkit::Desk;
use jobfetch_engine::ids::AccountId;
use jobfetch_engine::providers::notes::JsonFileNotes;
use jobfetch_engine::providers::{Context, Registry};
use jobfetch_engine::secret::{Secret, SecretStore};
use jobfetch_engine::transfer::{TransferConfig, Transfers};
use jobfetch_engine::Result;

use crate::state;

/// The Desk over the state folder's queue and accounts.
pub fn open(state_dir: &Path, config: TransferConfig) -> Result<Desk> {
    open_with_queue(state_dir, &state::queue_path(state_dir), config)
}

/// The Desk over the state folder's accounts and the queue at `queue` (a plan's shard keeps its own).
pub fn open_with_queue(state_dir: &Path, queue: &Path, config: TransferConfig) -> Result<Desk> {
    let transfers = Transfers::open(queue, config)?;
    let registry = Registry::builtin();
    let context = Context {
        client: jobfetch_engine::http::client()?,
        secrets: secret_store(&registry),
        ssh: transfers.ssh().clone(),
        notes: Arc::new(JsonFileNotes::new(&state_dir.join("notes.json"))),
    };
    let book = Arc::new(JsonFileBook::new(&state_dir.join("accounts.json")));
    Ok(Desk::new(registry, context, book, transfers))
}

/// The system keyring when one answers; else secrets from the environment or the terminal.
fn secret_store(registry: &Registry) -> Arc<dyn SecretStore> {
    let forced_off = std::env::var_os("JOBFETCH_NO_KEYRING").is_some_and(|v| v == "1");
    let keyring = if forced_off {
        Err("JOBFETCH_NO_KEYRING=1".to_string())
    } else {
        KeyringSecrets::check().map_err(|err| err.message)
    };
    match keyring {
        Ok(()) => Arc::new(KeyringSecrets),
        Err(why) => Arc::new(WithoutKeyring {
            inner: EnvSecrets::new(registry.clone(), Some(Box::new(prompt))),
            why,
            told: Once::new(),
            registry: registry.clone(),
        }),
    }
}

/// Secrets from the environment or a prompt, saying so the first time one is needed.
struct WithoutKeyring {
    inner: EnvSecrets,
    why: String,
    told: Once,
    registry: Registry,
}

impl WithoutKeyring {
    fn tell(&self) {
        self.told.call_once(|| {
            let variables: Vec<String> = self
                .registry
                .infos()
                .iter()
                .flat_map(|info| info.fields.iter().filter_map(|f| f.env.clone()))
                .map(|var| format!("${var}"))
                .collect();
            eprintln!(
                "jobfetch: no system keyring here ({}); secrets are read from each archive's \
                 environment variable ({}) or asked for, and never kept.",
                self.why,
                variables.join(", ")
            );
        });
    }
}

impl SecretStore for WithoutKeyring {
    fn get(&self, account: &AccountId, name: &str) -> Result<Option<Secret>> {
        self.tell();
        self.inner.get(account, name)
    }
    fn set(&self, account: &AccountId, name: &str, value: &Secret) -> Result<()> {
        self.tell();
        self.inner.set(account, name, value)
    }
    fn delete(&self, account: &AccountId, name: &str) -> Result<()> {
        self.inner.delete(account, name)
    }
}

/// Asks on the terminal without echo; `None` when there is no terminal.
pub fn prompt(text: &str) -> Option<Secret> {
    let term = console::Term::stderr();
    if !term.is_term() {
        return None;
    }
    term.write_str(text).ok()?;
    term.read_secure_line().ok().map(Secret::new)
}
