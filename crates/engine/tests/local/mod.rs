//! What the JDMA and SSH tests share: secrets kept in memory, and a queue of its own writing into its
//! own folder, quick to retry.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jobfetch_engine::ids::AccountId;
use jobfetch_engine::secret::{Secret, SecretStore};
use jobfetch_engine::transfer::retry::RetryPolicy;
use jobfetch_engine::transfer::{HostConcurrency, TransferConfig, Transfers};

/// Secrets in memory.
#[derive(Default)]
pub struct MemorySecrets(pub Mutex<HashMap<String, Secret>>);

impl SecretStore for MemorySecrets {
    fn get(&self, _: &AccountId, name: &str) -> jobfetch_engine::Result<Option<Secret>> {
        Ok(self.0.lock().unwrap().get(name).cloned())
    }
    fn set(&self, _: &AccountId, name: &str, value: &Secret) -> jobfetch_engine::Result<()> {
        self.0.lock().unwrap().insert(name.into(), value.clone());
        Ok(())
    }
    fn delete(&self, _: &AccountId, name: &str) -> jobfetch_engine::Result<()> {
        self.0.lock().unwrap().remove(name);
        Ok(())
    }
}

/// A queue of its own (four at a time, retried quickly), writing batches into its own folder.
pub struct Engine {
    pub transfers: Arc<Transfers>,
    pub root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Engine {
    pub fn new() -> Engine {
        let dir = tempfile::tempdir().unwrap();
        let config = TransferConfig {
            concurrency: 4,
            per_host: HostConcurrency::Fixed(4),
            retry: RetryPolicy {
                attempts: 5,
                base_delay: Duration::from_millis(50),
                max_delay: Duration::from_secs(2),
            },
            idle_timeout: Duration::from_secs(20),
            progress_interval: Duration::from_millis(50),
            ..TransferConfig::default()
        };
        let transfers = Transfers::open(&dir.path().join("transfers.sqlite"), config).unwrap();
        Engine {
            transfers,
            root: dir.path().join("downloads"),
            _dir: dir,
        }
    }
}
