//! Accounts against the real Secret Service (run under scripts/with-keyring.sh): two DESaccess accounts
//! on two simulators and one account of a second archive side by side; a restart signs them in again
//! without asking; removing one deletes its secrets; and no secret is written anywhere else.

mod common;

use std::path::Path;
use std::sync::Arc;

use jobfetch_appkit::accounts::{AccountBook, JsonFileBook};
use jobfetch_appkit::keyring::KeyringSecrets;
use jobfetch_appkit::Desk;
use jobfetch_engine::catalog::{Job, JobStatus, OutputNode};
use jobfetch_engine::ids::{AccountId, JobRef, ProviderId};
use jobfetch_engine::paths::SafeRelPath;
use jobfetch_engine::providers::desaccess::{self, DesAccessProvider};
use jobfetch_engine::providers::{
    Abilities, Account, Context, Field, FieldKind, FieldValues, Located, Profile, Provider,
    ProviderInfo, Registry, Session,
};
use jobfetch_engine::secret::{Secret, SecretStore, SESSION_TOKEN};
use jobfetch_engine::transfer::auth::{BoxFuture, Credentials};
use jobfetch_engine::transfer::plan::Plan;
use jobfetch_engine::transfer::BatchState;
use jobfetch_engine::{Error, ErrorCode, Result};
use jobfetch_sim::{demo, Sim, SimConfig};

/// A second archive: a user and an API key, which `open` checks.
struct KeyArchive {
    info: ProviderInfo,
}

const API_KEY: &str = "key-7f3a9c2e5b1d";

impl KeyArchive {
    fn new() -> Self {
        let field = |key: &str, label: &str, input| Field {
            key: key.into(),
            label: label.into(),
            input,
            required: true,
            default: None,
            help: String::new(),
            env: None,
            suggestions: Vec::new(),
        };
        KeyArchive {
            info: ProviderInfo {
                id: ProviderId::new("keyarchive").unwrap(),
                name: "Key Archive".into(),
                summary: "A test double of a second archive.".into(),
                fields: vec![
                    field("user", "User", FieldKind::Text),
                    field("api_key", "API key", FieldKind::Secret),
                ],
                abilities: Abilities::default(),
                search: Vec::new(),
                token_env: Some("KEYARCHIVE_TOKEN".into()),
                expiry: None,
                opens: None,
                archive_folder: None,
                retrieval: None,
                deletion: None,
            },
        }
    }
}

struct KeySession {
    account: Account,
    profile: Profile,
}

impl Provider for KeyArchive {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn account(&self, values: &FieldValues) -> Result<Account> {
        let user = values.get("user").cloned().unwrap_or_default();
        Ok(Account {
            id: AccountId::new(&self.info.id, &user, "keys.example.org")?,
            provider: self.info.id.clone(),
            label: format!("{user} at Key Archive"),
            settings: [("user".to_string(), user)].into(),
        })
    }

    fn open<'a>(
        &'a self,
        context: &'a Context,
        account: &'a Account,
    ) -> BoxFuture<'a, Result<Arc<dyn Session>>> {
        Box::pin(async move {
            let key = context.secrets.get(&account.id, "api_key")?;
            if key.as_ref().map(Secret::expose) != Some(API_KEY) {
                return Err(Error::new(ErrorCode::AuthFailed, "wrong API key"));
            }
            Ok(Arc::new(KeySession {
                account: account.clone(),
                profile: Profile {
                    username: account.settings["user"].clone(),
                    ..Profile::default()
                },
            }) as Arc<dyn Session>)
        })
    }
}

impl Session for KeySession {
    fn account(&self) -> &Account {
        &self.account
    }
    fn profile(&self) -> &Profile {
        &self.profile
    }
    fn jobs(&self) -> BoxFuture<'_, Result<Vec<Job>>> {
        Box::pin(async {
            Ok(vec![Job {
                id: "k1".into(),
                account: self.account.id.clone(),
                name: "key job".into(),
                job_type: "request".into(),
                status: JobStatus::Success,
                status_message: String::new(),
                submitted: None,
                started: None,
                completed: None,
                expires: None,
                location: "https://keys.example.org/k1".into(),
            }])
        })
    }
    fn job<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Job>> {
        Box::pin(async { Err(Error::new(ErrorCode::NotFound, "no such job")) })
    }
    fn outputs<'a>(&'a self, _: &'a Job) -> BoxFuture<'a, Result<OutputNode>> {
        Box::pin(async { Err(Error::new(ErrorCode::NotFound, "no outputs")) })
    }
    fn locate(&self, _: &Job, _: &SafeRelPath) -> Result<Located> {
        Err(Error::new(ErrorCode::NotFound, "no outputs"))
    }
    fn plan(self: Arc<Self>, _: Job) -> Plan {
        jobfetch_engine::transfer::plan::failed(Error::new(ErrorCode::NotFound, "no outputs"))
    }
    fn credentials(&self) -> Option<Arc<dyn Credentials>> {
        None
    }
}

fn registry() -> Registry {
    Registry::with(vec![
        Arc::new(DesAccessProvider::new()),
        Arc::new(KeyArchive::new()),
    ])
}

fn desk(dir: &Path) -> Desk {
    common::desk(dir, registry())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_side_by_side_survive_a_restart_and_their_secrets_live_only_in_the_keyring() {
    let dir = tempfile::tempdir().unwrap();
    let _log = common::trace_log(dir.path());
    let (sim_a, sim_b) = (
        Sim::start(SimConfig::default()).await.unwrap(),
        Sim::start(SimConfig::default()).await.unwrap(),
    );
    let des = ProviderId::new("desaccess").unwrap();
    let first = desk(dir.path());
    let a = first
        .add_account(&des, common::desaccess_values(&sim_a), false)
        .await
        .unwrap();
    let b = first
        .add_account(&des, common::desaccess_values(&sim_b), false)
        .await
        .unwrap();
    let key_values: FieldValues = [
        ("user".to_string(), "kim".to_string()),
        ("api_key".to_string(), API_KEY.to_string()),
    ]
    .into();
    let k = first
        .add_account(&ProviderId::new("keyarchive").unwrap(), key_values, false)
        .await
        .unwrap();
    let ids = [&a.account.id, &b.account.id, &k.account.id];
    assert_ne!(a.account.id, b.account.id, "two servers, two accounts");
    assert_eq!(first.accounts().unwrap().accounts.len(), 3);
    for id in [&a.account.id, &b.account.id] {
        let jobs = first.jobs(id).await.unwrap();
        assert_eq!(jobs.len(), demo::JOB_COUNT);
        assert!(jobs.iter().all(|job| &job.account == id));
    }
    assert_eq!(first.jobs(&k.account.id).await.unwrap()[0].name, "key job");

    // A download from each DESaccess account, each into its own folder.
    for (n, id) in [&a.account.id, &b.account.id].into_iter().enumerate() {
        let job = JobRef {
            account: id.clone(),
            job: demo::SEED_TREE_JOB_ID.into(),
        };
        let out = dir.path().join(format!("downloads-{n}"));
        let batch = first.download(&job, None, &out).await.unwrap();
        assert_eq!(first.transfers.wait(batch).await.unwrap(), BatchState::Done);
        let row = first.transfers.batch(batch).unwrap();
        assert_eq!(row.root, out.join(demo::SEED_TREE_JOB_ID));
    }

    // Every secret the keyring holds for these accounts now.
    let mut secrets: Vec<String> = vec![demo::PASSWORD.into(), API_KEY.into()];
    for id in ids {
        if let Some(token) = KeyringSecrets.get(id, SESSION_TOKEN).unwrap() {
            secrets.push(token.expose().to_string());
        }
    }
    assert_eq!(secrets.len(), 4, "both DESaccess sessions kept a token");
    drop(first);

    // Restart: a new Desk over the same files signs every account in without being given a secret.
    let second = desk(dir.path());
    for id in ids {
        assert_eq!(&second.sign_in(id).await.unwrap().account.id, id);
    }
    assert_eq!(
        second.jobs(&b.account.id).await.unwrap().len(),
        demo::JOB_COUNT
    );

    // Removing an account deletes its secrets and nothing of the others'.
    second.remove_account(&b.account.id).await.unwrap();
    for name in [desaccess::PASSWORD, SESSION_TOKEN] {
        let kept = KeyringSecrets.get(&b.account.id, name).unwrap();
        assert!(kept.is_none(), "{name} kept after removal");
    }
    let other = KeyringSecrets.get(&a.account.id, desaccess::PASSWORD);
    assert!(other.unwrap().is_some());
    let book = JsonFileBook::new(&dir.path().join("accounts.json"));
    assert_eq!(book.load().unwrap().accounts.len(), 2);

    let mut files = Vec::new();
    common::every_file(dir.path(), &mut files);
    assert!(files
        .iter()
        .any(|(path, _)| path.ends_with("MANIFEST.json")));
    assert!(files.iter().any(|(path, _)| path.ends_with("jobfetch.log")));
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "a secret is in {path}");
        }
    }

    for id in [&a.account.id, &k.account.id] {
        second.remove_account(id).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mistyped_password_on_an_existing_account_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let des = ProviderId::new("desaccess").unwrap();
    let first = desk(dir.path());
    let added = first
        .add_account(&des, common::desaccess_values(&sim), false)
        .await
        .unwrap();
    let mut wrong = common::desaccess_values(&sim);
    wrong.insert(desaccess::PASSWORD.into(), "not-the-password".into());
    let err = match first.add_account(&des, wrong, false).await {
        Ok(_) => panic!("a wrong password signed in"),
        Err(err) => err,
    };
    assert_eq!(err.code, ErrorCode::AuthFailed, "{}", err.message);
    let kept = KeyringSecrets
        .get(&added.account.id, desaccess::PASSWORD)
        .unwrap();
    assert_eq!(kept.as_ref().map(Secret::expose), Some(demo::PASSWORD));
    drop(first);
    let second = desk(dir.path());
    assert_eq!(
        second.jobs(&added.account.id).await.unwrap().len(),
        demo::JOB_COUNT
    );
    second.remove_account(&added.account.id).await.unwrap();
}
