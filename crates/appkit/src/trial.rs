//! Secrets on trial: a sign-in with newly typed secrets reads and writes them here, in memory, so a
//! failed attempt leaves the keyring (and an account that worked before) exactly as it was; a
//! successful one commits them, and from then on every call goes to the real store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use jobfetch_engine::ids::AccountId;
use jobfetch_engine::secret::{Secret, SecretStore};
use jobfetch_engine::Result;

pub struct TrialSecrets {
    inner: Arc<dyn SecretStore>,
    account: AccountId,
    fresh: Mutex<HashMap<String, Secret>>,
    committed: AtomicBool,
}

impl TrialSecrets {
    /// A trial of `fresh` secrets for `account` over the real store `inner`.
    pub fn new(
        inner: Arc<dyn SecretStore>,
        account: AccountId,
        fresh: HashMap<String, Secret>,
    ) -> Self {
        TrialSecrets {
            inner,
            account,
            fresh: Mutex::new(fresh),
            committed: AtomicBool::new(false),
        }
    }

    fn on_trial(&self, account: &AccountId) -> bool {
        !self.committed.load(Ordering::SeqCst) && account == &self.account
    }

    /// Replaces the account's secrets in the real store with the ones tried (`names` are every secret
    /// the account may have), then passes every later call through. Blocking.
    pub fn commit(&self, names: &[String]) -> Result<()> {
        let fresh = self.fresh.lock().expect("fresh lock");
        for name in names {
            match fresh.get(name) {
                Some(value) => self.inner.set(&self.account, name, value)?,
                None => self.inner.delete(&self.account, name)?,
            }
        }
        self.committed.store(true, Ordering::SeqCst);
        Ok(())
    }
}

impl SecretStore for TrialSecrets {
    fn get(&self, account: &AccountId, name: &str) -> Result<Option<Secret>> {
        if self.on_trial(account) {
            return Ok(self.fresh.lock().expect("fresh lock").get(name).cloned());
        }
        self.inner.get(account, name)
    }

    fn set(&self, account: &AccountId, name: &str, value: &Secret) -> Result<()> {
        if self.on_trial(account) {
            self.fresh
                .lock()
                .expect("fresh lock")
                .insert(name.to_string(), value.clone());
            return Ok(());
        }
        self.inner.set(account, name, value)
    }

    fn delete(&self, account: &AccountId, name: &str) -> Result<()> {
        if self.on_trial(account) {
            self.fresh.lock().expect("fresh lock").remove(name);
            return Ok(());
        }
        self.inner.delete(account, name)
    }
}
