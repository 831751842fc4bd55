//! Opens the Desk for a CLI command: the accounts file and download queue in the state folder, and the
//! system keyring for secrets, or, where there is none, secrets from the environment or a prompt.

use std::path::Path;
use std::sync::Arc;

use jobfetch_appkit::accounts::JsonFileBook;
use jobfetch_appkit::env_secrets::EnvSecrets;
use jobfetch_appkit::keyring::KeyringSecrets;
use jobfetch_appkit::Desk;
use jobfetch_engine::providers::{Context, Registry};
use jobfetch_engine::secret::{Secret, SecretStore};
use jobfetch_engine::transfer::{TransferConfig, Transfers};
use jobfetch_engine::Result;

use crate::state;

/// The Desk over the state folder's queue and accounts.
pub fn open(state_dir: &Path, config: TransferConfig) -> Result<Desk> {
    let transfers = Transfers::open(&state::queue_path(state_dir), config)?;
    let registry = Registry::builtin();
    let context = Context {
        client: jobfetch_engine::http::client()?,
        secrets: secret_store(&registry),
    };
    let book = Arc::new(JsonFileBook::new(&state_dir.join("accounts.json")));
    Ok(Desk::new(registry, context, book, transfers))
}

/// The system keyring when one answers; else secrets from the environment or the terminal, said once.
fn secret_store(registry: &Registry) -> Arc<dyn SecretStore> {
    let forced_off = std::env::var_os("JOBFETCH_NO_KEYRING").is_some_and(|v| v == "1");
    let keyring = if forced_off {
        Err(jobfetch_engine::Error::invalid_input(
            "JOBFETCH_NO_KEYRING=1",
        ))
    } else {
        KeyringSecrets::check()
    };
    match keyring {
        Ok(()) => Arc::new(KeyringSecrets),
        Err(err) => {
            eprintln!(
                "jobfetch: no system keyring here ({}); secrets are read from each archive's \
                 environment variable (e.g. DESACCESS_PASSWORD) or asked for, and never kept.",
                err.message.split(". ").next().unwrap_or_default()
            );
            Arc::new(EnvSecrets::new(registry.clone(), Some(Box::new(prompt))))
        }
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
