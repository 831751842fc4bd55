//! The app's managed state and the types that cross IPC besides the engine's and the appkit's own.

use std::path::Path;
use std::sync::Arc;

use jobfetch_appkit::accounts::AccountBook;
use jobfetch_appkit::desk::FolderNaming;
use jobfetch_appkit::keyring::KeyringSecrets;
use jobfetch_appkit::Desk;
use jobfetch_engine::ids::{AccountId, ProviderId};
use jobfetch_engine::preview::cache::{ThumbnailCache, DEFAULT_CAP_BYTES};
use jobfetch_engine::preview::Previews;
use jobfetch_engine::providers::notes::JsonFileNotes;
use jobfetch_engine::providers::{Account, Context, FieldValues, ProviderInfo, Registry};
use jobfetch_engine::transfer::{TransferConfig, Transfers};
use jobfetch_engine::Result;
use serde::Serialize;
use ts_rs::TS;

use crate::demo::DemoArchive;
use crate::prefs::Preferences;
use crate::progress::ProgressChannels;

/// A filled sign-in form: the archive and the values of its fields. Not `Debug`: it may hold a password.
#[derive(Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SignInForm {
    pub provider: ProviderId,
    pub values: FieldValues,
}

/// What the UI needs to know when it starts. Not `Debug`: the demo's sign-in holds its password.
#[derive(Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StartupState {
    /// The archives an account can be added for, with their sign-in fields.
    pub providers: Vec<ProviderInfo>,
    /// The accounts added so far (never their secrets).
    pub accounts: Vec<Account>,
    /// The account used last time.
    pub active: Option<AccountId>,
    /// The built-in demo archive's sign-ins, one per archive it serves, when the app runs on it: one
    /// click signs in with one. The app opens on the first.
    pub demos: Vec<SignInForm>,
    /// What this launch was asked to open (`jobfetch://` links on its command line).
    pub open: Vec<crate::links::OpenRequest>,
}

/// Everything the commands share.
pub struct AppState {
    pub desk: Desk,
    pub demo: Option<DemoArchive>,
    /// Each account's preferences, among them where its downloads go: `<job name>_<job id>/…` below
    /// that folder (or the archive's own layout).
    pub prefs: Preferences,
    pub progress: Arc<ProgressChannels>,
    pub previews: Arc<Previews>,
}

impl AppState {
    /// Opens the transfer queue and the thumbnail cache in `data_dir`, with accounts kept in `book`.
    pub fn new(
        demo: Option<DemoArchive>,
        data_dir: &Path,
        prefs: Preferences,
        book: Arc<dyn AccountBook>,
    ) -> Result<Self> {
        let transfers = Transfers::open(
            &data_dir.join("transfers.sqlite"),
            TransferConfig::default(),
        )?;
        let progress = Arc::new(ProgressChannels::default());
        transfers.observe(progress.clone());
        let context = Context {
            client: jobfetch_engine::http::client()?,
            secrets: Arc::new(KeyringSecrets),
            ssh: transfers.ssh().clone(),
            notes: Arc::new(JsonFileNotes::new(&data_dir.join("notes.json"))),
        };
        let cache = ThumbnailCache::open(&data_dir.join("previews"), DEFAULT_CAP_BYTES)?;
        Ok(AppState {
            desk: Desk::new(Registry::builtin(), context, book, transfers)
                .with_folder_naming(FolderNaming::NameAndId),
            previews: Previews::new(jobfetch_engine::http::transfer_client()?, cache),
            demo,
            prefs,
            progress,
        })
    }

    /// True when `form` signs in to the built-in demo archive (whose accounts are not saved).
    pub fn is_demo(&self, form: &SignInForm) -> bool {
        self.demo.as_ref().is_some_and(|demo| {
            demo.forms
                .iter()
                .any(|known| known.provider == form.provider && known.values == form.values)
        })
    }
}
