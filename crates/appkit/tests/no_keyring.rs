//! Without a keyring, adding an account fails with a message that says what to do, and nothing is
//! kept anywhere else: no plain-text fallback. (Its own test binary: it points D-Bus at nowhere.)

use std::sync::Arc;

use jobfetch_appkit::accounts::JsonFileBook;
use jobfetch_appkit::keyring::KeyringSecrets;
use jobfetch_appkit::Desk;
use jobfetch_engine::ids::ProviderId;
use jobfetch_engine::providers::desaccess;
use jobfetch_engine::providers::notes::JsonFileNotes;
use jobfetch_engine::providers::{Context, Registry};
use jobfetch_engine::transfer::{TransferConfig, Transfers};
use jobfetch_engine::ErrorCode;
use jobfetch_sim::{demo, Sim, SimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_keyring_is_a_clear_error_and_nothing_is_kept_elsewhere() {
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/jobfetch-test-bus",
    );
    std::env::remove_var("DISPLAY");
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let transfers = Transfers::open(
        &dir.path().join("transfers.sqlite"),
        TransferConfig::default(),
    )
    .unwrap();
    let desk = Desk::new(
        Registry::builtin(),
        Context {
            client: jobfetch_engine::http::client().unwrap(),
            secrets: Arc::new(KeyringSecrets),
            ssh: Default::default(),
            notes: Arc::new(JsonFileNotes::new(&dir.path().join("notes.json"))),
        },
        Arc::new(JsonFileBook::new(&dir.path().join("accounts.json"))),
        transfers,
    );
    let values = [
        (desaccess::API_BASE, sim.desaccess_api_url()),
        (desaccess::USERNAME, demo::USERNAME.to_string()),
        (desaccess::PASSWORD, demo::PASSWORD.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let err = desk
        .add_account(&ProviderId::new("desaccess").unwrap(), values, false)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Keychain, "{}", err.message);
    assert!(err.message.contains("Secret Service"), "{}", err.message);
    assert!(
        err.message.contains("never keeps secrets in a file"),
        "{}",
        err.message
    );
    assert!(desk.accounts().unwrap().accounts.is_empty());
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            assert!(!text.contains(demo::PASSWORD), "{}", path.display());
        }
    }
}
