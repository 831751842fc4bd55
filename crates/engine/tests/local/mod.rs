//! What the JDMA and SSH tests share: secrets kept in memory, notes in a file of their own, and a
//! queue of its own writing into its own folder, quick to retry.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jobfetch_engine::ids::AccountId;
use jobfetch_engine::providers::notes::JsonFileNotes;
use jobfetch_engine::secret::{Secret, SecretStore};
use jobfetch_engine::transfer::retry::RetryPolicy;
use jobfetch_engine::transfer::{HostConcurrency, TransferConfig, Transfers};

/// A notes file of its own, in Cargo's temporary folder for integration tests (tests run side by
/// side, each on a sim of its own).
#[allow(dead_code)] // the SSH tests share this module and open no JDMA session
pub fn fresh_notes() -> Arc<JsonFileNotes> {
    static OPENED: AtomicUsize = AtomicUsize::new(0);
    let n = OPENED.fetch_add(1, Ordering::Relaxed);
    let name = format!("jdma-notes-{}-{n}.json", std::process::id());
    Arc::new(JsonFileNotes::new(
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join(name),
    ))
}

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
