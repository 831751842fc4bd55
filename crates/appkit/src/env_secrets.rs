//! Secrets for machines without a keyring (HPC login nodes, containers): read from the environment
//! variable each archive's field names, or asked for on the terminal, and held in memory only. Nothing is
//! ever written to a file.

use std::collections::HashMap;
use std::sync::Mutex;

use jobfetch_engine::ids::AccountId;
use jobfetch_engine::providers::Registry;
use jobfetch_engine::secret::{Secret, SecretStore};
use jobfetch_engine::Result;

/// Asks the person at the terminal for a secret: the prompt text, and `None` when no one can answer.
pub type Prompt = Box<dyn Fn(&str) -> Option<Secret> + Send + Sync>;

/// Secrets from the environment or a prompt, kept for this process only.
pub struct EnvSecrets {
    registry: Registry,
    prompt: Option<Prompt>,
    held: Mutex<HashMap<(AccountId, String), Secret>>,
}

impl EnvSecrets {
    pub fn new(registry: Registry, prompt: Option<Prompt>) -> Self {
        EnvSecrets {
            registry,
            prompt,
            held: Mutex::default(),
        }
    }

    /// The environment variable an account's secret field is read from, if its archive names one.
    pub fn variable(&self, account: &AccountId, name: &str) -> Option<String> {
        let provider = self.registry.get(&account.provider()).ok()?;
        let field = provider.info().fields.iter().find(|f| f.key == name)?;
        field.env.clone()
    }
}

impl SecretStore for EnvSecrets {
    fn get(&self, account: &AccountId, name: &str) -> Result<Option<Secret>> {
        let key = (account.clone(), name.to_string());
        if let Some(held) = self.held.lock().expect("held lock").get(&key) {
            return Ok(Some(held.clone()));
        }
        let from_env = self
            .variable(account, name)
            .and_then(|var| std::env::var(var).ok())
            .filter(|value| !value.is_empty())
            .map(Secret::new);
        let found = from_env.or_else(|| {
            let field = self
                .registry
                .get(&account.provider())
                .ok()?
                .info()
                .fields
                .iter()
                .find(|f| f.key == name && f.is_secret())?
                .label
                .clone();
            self.prompt.as_ref()?(&format!("{field} for {account}: "))
        });
        if let Some(value) = &found {
            self.held
                .lock()
                .expect("held lock")
                .insert(key, value.clone());
        }
        Ok(found)
    }

    fn set(&self, account: &AccountId, name: &str, value: &Secret) -> Result<()> {
        self.held
            .lock()
            .expect("held lock")
            .insert((account.clone(), name.to_string()), value.clone());
        Ok(())
    }

    fn delete(&self, account: &AccountId, name: &str) -> Result<()> {
        self.held
            .lock()
            .expect("held lock")
            .remove(&(account.clone(), name.to_string()));
        Ok(())
    }
}
