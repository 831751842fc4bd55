//! The app's managed state and the types that cross IPC besides the engine's own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use jobfetch_engine::preview::cache::{ThumbnailCache, DEFAULT_CAP_BYTES};
use jobfetch_engine::preview::Previews;
use jobfetch_engine::providers::desaccess::{DesAccess, DesAccessAccount, Profile};
use jobfetch_engine::transfer::{TransferConfig, Transfers};
use jobfetch_engine::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::demo::DemoArchive;
use crate::listed::ListedJob;
use crate::progress::ProgressChannels;

/// What the sign-in form sends.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SignInForm {
    pub api_base: String,
    pub username: String,
    pub password: String,
    pub database: String,
}

/// A signed-in account, as the UI sees it: no secrets.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Session {
    pub account: DesAccessAccount,
    pub profile: Profile,
}

/// What the UI needs to know when it starts.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StartupState {
    /// The built-in demo archive's account, when the app runs on it; the UI signs in with it at once.
    pub demo: Option<SignInForm>,
    /// The account used last time (never its password).
    pub saved_account: Option<DesAccessAccount>,
}

/// Everything the commands share.
pub struct AppState {
    pub client: reqwest::Client,
    pub session: tokio::sync::RwLock<Option<Arc<DesAccess>>>,
    pub demo: Option<DemoArchive>,
    pub transfers: Arc<Transfers>,
    /// Where downloads go: `<job id>/…` below it.
    pub download_dir: PathBuf,
    pub progress: Arc<ProgressChannels>,
    pub previews: Arc<Previews>,
    /// The jobs whose outputs were listed, by job id: what thumbnails and download marks are looked up in.
    listed: Mutex<HashMap<String, Arc<ListedJob>>>,
}

impl AppState {
    /// Opens the transfer queue and the thumbnail cache in `data_dir` and picks the download folder.
    pub fn new(demo: Option<DemoArchive>, data_dir: &Path, download_dir: PathBuf) -> Result<Self> {
        let transfers = Transfers::open(
            &data_dir.join("transfers.sqlite"),
            TransferConfig::default(),
        )?;
        let progress = Arc::new(ProgressChannels::default());
        transfers.observe(progress.clone());
        let client = jobfetch_engine::http::client()?;
        let cache = ThumbnailCache::open(&data_dir.join("previews"), DEFAULT_CAP_BYTES)?;
        Ok(AppState {
            previews: Previews::new(jobfetch_engine::http::transfer_client()?, cache),
            client,
            session: Default::default(),
            demo,
            transfers,
            download_dir,
            progress,
            listed: Mutex::default(),
        })
    }

    /// Remembers a job's freshly listed outputs.
    pub fn remember_listing(&self, job_id: &str, job: ListedJob) {
        self.listed
            .lock()
            .expect("listed jobs lock")
            .insert(job_id.to_string(), Arc::new(job));
    }

    /// The outputs of a job listed earlier, or an error asking to list them.
    pub fn listed_job(&self, job_id: &str) -> Result<Arc<ListedJob>> {
        self.listed
            .lock()
            .expect("listed jobs lock")
            .get(job_id)
            .cloned()
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotFound,
                    "This job's outputs are not listed yet. Open the job to list them.",
                )
            })
    }

    /// The current session, or an error telling the user to sign in.
    pub async fn session(&self) -> Result<Arc<DesAccess>> {
        self.session.read().await.clone().ok_or_else(|| {
            Error::new(
                ErrorCode::NotSignedIn,
                "You are not signed in. Sign in to see your jobs.",
            )
        })
    }

    /// True when `account` is the built-in demo account (its settings are not saved).
    pub fn is_demo(&self, account: &DesAccessAccount) -> bool {
        self.demo
            .as_ref()
            .is_some_and(|demo| demo.form.api_base == account.api_base)
    }
}
