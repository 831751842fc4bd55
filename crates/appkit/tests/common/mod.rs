//! What the Desk's integration tests share: a Desk over a temporary folder and the real keyring, the
//! demo DESaccess account's sign-in form, and every file a test wrote, for scanning them for secrets.
#![allow(dead_code)] // each test binary uses some of these

use std::path::Path;
use std::sync::Arc;

use jobfetch_appkit::accounts::JsonFileBook;
use jobfetch_appkit::keyring::KeyringSecrets;
use jobfetch_appkit::Desk;
use jobfetch_engine::providers::notes::JsonFileNotes;
use jobfetch_engine::providers::{desaccess, Context, FieldValues, Registry};
use jobfetch_engine::transfer::{TransferConfig, Transfers};
use jobfetch_sim::{demo, Sim};

/// A Desk of `registry`'s archives with its queue and accounts in `dir` and its secrets in the keyring.
pub fn desk(dir: &Path, registry: Registry) -> Desk {
    let transfers =
        Transfers::open(&dir.join("transfers.sqlite"), TransferConfig::default()).unwrap();
    let context = Context {
        client: jobfetch_engine::http::client().unwrap(),
        secrets: Arc::new(KeyringSecrets),
        ssh: Default::default(),
        notes: Arc::new(JsonFileNotes::new(&dir.join("notes.json"))),
    };
    let book = Arc::new(JsonFileBook::new(&dir.join("accounts.json")));
    Desk::new(registry, context, book, transfers)
}

/// The sign-in form of the sim's demo DESaccess account, password included.
pub fn desaccess_values(sim: &Sim) -> FieldValues {
    [
        (desaccess::API_BASE, sim.desaccess_api_url()),
        (desaccess::USERNAME, demo::USERNAME.to_string()),
        (desaccess::PASSWORD, demo::PASSWORD.to_string()),
        (desaccess::DATABASE, demo::DATABASE.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Logs everything this thread does, at TRACE, to `<dir>/jobfetch.log` until the guard is dropped, so
/// the log can be scanned for secrets with every other file.
pub fn trace_log(dir: &Path) -> tracing::subscriber::DefaultGuard {
    let log = std::fs::File::create(dir.join("jobfetch.log")).unwrap();
    tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_writer(Arc::new(log))
            .with_max_level(tracing::Level::TRACE)
            .finish(),
    )
}

/// Every file below `dir`, read whole (SQLite's WAL and the log included).
pub fn every_file(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            every_file(&path, out);
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
}
