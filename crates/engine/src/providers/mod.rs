//! Archive providers: what every archive offers Jobfetch, behind one `Provider` trait (describe itself,
//! make accounts, open sessions) and one `Session` trait (jobs, output trees, where each file comes from,
//! transfer plans streamed as folders are listed). One module per archive; the registry lists them.
//! Nothing outside `providers/<archive>/` names an archive.

pub mod desaccess;
pub mod jdma;
pub mod mast;
pub mod nginx_listing;
pub mod notes;
mod registry;
pub mod up42;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalog::{Footprint, Job, JobStages, OutputNode};
use crate::error::Error;
use crate::error::Result;
use crate::ids::{AccountId, ProviderId};
use crate::paths::SafeRelPath;
use crate::secret::SecretStore;
use crate::ssh::SshConnections;
use crate::transfer::auth::{BoxFuture, Credentials, Resolver};
use crate::transfer::model::{AuthPolicy, Source};
use crate::transfer::plan::Plan;
use crate::transfer::ItemSpec;

pub use registry::Registry;

/// How a sign-in field is entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[ts(export)]
pub enum FieldKind {
    Text,
    /// An http(s) address.
    Url,
    /// A password, token or API key: kept only in the OS keyring, never shown again.
    Secret,
    /// One of a few values.
    Choice {
        options: Vec<String>,
    },
}

/// One field of an archive's sign-in form, like one of rclone's backend options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Field {
    /// The setting's name, e.g. `api_base` or `password`.
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub input: FieldKind,
    pub required: bool,
    /// What an empty field means.
    pub default: Option<String>,
    /// One line of help under the field.
    pub help: String,
    /// Where the CLI looks for this secret on a machine without a keyring, e.g. `DESACCESS_PASSWORD`.
    pub env: Option<String>,
    /// Values people usually give (an archive's known servers), offered beside a free-text field.
    pub suggestions: Vec<Suggestion>,
}

/// A value offered for a field, with what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Suggestion {
    pub value: String,
    /// E.g. `Public release (DR1, DR2)`.
    pub label: String,
}

impl Suggestion {
    pub fn new(value: &str, label: &str) -> Self {
        Suggestion {
            value: value.into(),
            label: label.into(),
        }
    }
}

impl Field {
    /// An optional field with no default, no environment variable and no suggestions.
    pub fn new(key: &str, label: &str, input: FieldKind, help: &str) -> Self {
        Field {
            key: key.into(),
            label: label.into(),
            input,
            required: false,
            default: None,
            help: help.into(),
            env: None,
            suggestions: Vec::new(),
        }
    }

    pub fn is_secret(&self) -> bool {
        self.input == FieldKind::Secret
    }
}

/// What an archive can do; the app shows only what its archive has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Abilities {
    /// Jobs (or searches, batches) the user ran, each with outputs.
    pub jobs: bool,
    /// Searching the archive's holdings.
    pub search: bool,
    /// Thumbnails of outputs before downloading.
    pub previews: bool,
    /// Sending files to the archive.
    pub uploads: bool,
    /// Requests the archive carries out over time (e.g. tape retrievals).
    pub requests: bool,
    /// Where a job's scenes lie on Earth, for a map ([`Session::footprints`]).
    pub footprints: bool,
}

/// How an archive describes itself to the app, the CLI and the sign-in form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProviderInfo {
    pub id: ProviderId,
    /// The name users know, e.g. `DESaccess`.
    pub name: String,
    /// One line saying what the archive is.
    pub summary: String,
    pub fields: Vec<Field>,
    pub abilities: Abilities,
    /// The fields of the archive's search form (empty when it has none): what a search's matches,
    /// shown as the account's jobs, are chosen by.
    pub search: Vec<Field>,
    /// The environment variable the archive's own scripts read an API token from (e.g. MAST's
    /// `MAST_API_TOKEN`), which exported curl scripts read too; `None` when its sessions are not tokens
    /// a user holds.
    pub token_env: Option<String>,
    /// What a job's expiry date means on this archive (what happens to its files), for a job that shows
    /// one; `None` when its jobs do not expire.
    pub expiry: Option<String>,
    /// The files of its own that Jobfetch downloads from (see [`Provider::read_file`]), e.g. `MAST
    /// download scripts (.sh)`; `None` when it has none.
    pub opens: Option<String>,
    /// The folder its result archives keep their files in, left out when they are unpacked (UP42's
    /// `output/`); `None` when its archives unpack as they are.
    pub archive_folder: Option<String>,
    /// How the archive brings files back from storage on request ([`Session::retrieve`]); `None`
    /// when its files are there to download.
    pub retrieval: Option<RetrievalInfo>,
    /// What deleting a job does there, said before asking ([`Session::delete`]); `None` when jobs are
    /// not deleted from Jobfetch.
    pub deletion: Option<String>,
}

/// What can be done with one job from Jobfetch, so the app offers only that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct JobOffers {
    /// Its files can be downloaded now.
    pub download: bool,
    /// While it runs: its files can be downloaded once it has finished ("Download when finished").
    pub download_when_finished: bool,
    /// Its files can be brought back from storage ([`Session::retrieve`]).
    pub retrieve: bool,
    /// It can be deleted at the archive ([`Session::delete`]).
    pub delete: bool,
    /// Its list of outputs is whole even while it runs (a request for named files), so the app does
    /// not warn that a running job's outputs may be incomplete.
    pub outputs_final: bool,
}

impl Default for JobOffers {
    /// A job whose files are there to download, as most archives' are.
    fn default() -> Self {
        JobOffers {
            download: true,
            download_when_finished: true,
            retrieve: false,
            delete: false,
            outputs_final: false,
        }
    }
}

/// The words of the form that asks an archive to bring files back from storage (JDMA's GET).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RetrievalInfo {
    /// The action, e.g. `Bring back from storage`.
    pub action: String,
    /// What the target is, e.g. `Folder on JASMIN`.
    pub target_label: String,
    /// One line saying what happens, under the form.
    pub help: String,
}

impl ProviderInfo {
    /// An error unless `account` is one of this archive's: a session is opened by its own archive only.
    pub fn check_owns(&self, account: &Account) -> Result<()> {
        if account.provider == self.id {
            return Ok(());
        }
        Err(Error::new(
            crate::error::ErrorCode::Internal,
            format!("{} is not a {} account.", account.id, self.name),
        ))
    }
}

/// The values typed into a sign-in form, by field key (secrets included until they are stored).
pub type FieldValues = BTreeMap<String, String>;

/// One account: its archive, its non-secret settings, and a name to show. Its secrets live in the
/// `SecretStore` under its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Account {
    pub id: AccountId,
    pub provider: ProviderId,
    /// E.g. `ana on des.ncsa.illinois.edu`.
    pub label: String,
    /// The non-secret field values, by key.
    pub settings: BTreeMap<String, String>,
}

/// Who a session belongs to, as the archive describes them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Profile {
    pub username: String,
    /// The person's name, when the archive gives it.
    pub name: String,
    pub email: String,
}

/// What a session needs from the program it runs in.
#[derive(Clone)]
pub struct Context {
    pub client: reqwest::Client,
    pub secrets: Arc<dyn SecretStore>,
    /// The process's SSH connections (shared with its transfers), for archives reached through a host.
    pub ssh: SshConnections,
    /// What sessions remember across restarts that their archive does not say again.
    pub notes: Arc<dyn notes::Notes>,
}

/// The files listed in a file an archive made for downloading them (e.g. MAST's download scripts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileBatch {
    /// What the file is, e.g. `MAST download script`.
    pub kind: String,
    /// Each file, where it goes below the batch's folder, and what goes with its requests.
    pub items: Vec<ItemSpec>,
    /// The account whose credentials go with the files that need them.
    pub account: Option<AccountId>,
    /// What to know before downloading, e.g. that some files need a token no account holds.
    pub warning: Option<String>,
}

/// Where one output's bytes come from and which credentials may go with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub source: Source,
    pub auth: AuthPolicy,
    /// Whether the size the archive listed is what arrives, so a download of another size is refused;
    /// false where the archive's sizes are known to be unreliable.
    pub size_is_exact: bool,
}

/// An archive.
pub trait Provider: Send + Sync {
    fn info(&self) -> &ProviderInfo;

    /// Checks the non-secret values of a sign-in form and makes the account (no network).
    fn account(&self, values: &FieldValues) -> Result<Account>;

    /// What to tell someone who gave `source` (a job id, an address) where a download address or a job
    /// of a signed-in account belongs, when this archive recognises it: e.g. its API address given for
    /// its file server, with an example of what to give instead.
    fn advise(&self, _source: &str) -> Option<String> {
        None
    }

    /// The batch of the files listed in `text`, a file this archive made for downloading them,
    /// with the credentials of one of `accounts` (this archive's) where files need them; `None` when
    /// `text` is not such a file.
    fn read_file(&self, _text: &str, _accounts: &[Account]) -> Option<Result<FileBatch>> {
        None
    }

    /// Opens a session for `account`: with the session token kept from last time while it works, else
    /// by signing in with the account's secrets from `context.secrets`. A new token is kept there too.
    fn open<'a>(
        &'a self,
        context: &'a Context,
        account: &'a Account,
    ) -> BoxFuture<'a, Result<Arc<dyn Session>>>;
}

/// A signed-in account. An archive's own commands reach its session type by downcasting (`Any`).
pub trait Session: std::any::Any + Send + Sync {
    fn account(&self) -> &Account;
    fn profile(&self) -> &Profile;

    /// Every job of the account, newest first (for an archive that searches: the last search's matches).
    fn jobs(&self) -> BoxFuture<'_, Result<Vec<Job>>>;
    /// The matches of a filled search form (`ProviderInfo::search`), as jobs; they become the account's
    /// jobs until the next search.
    fn search<'a>(&'a self, _values: &'a FieldValues) -> BoxFuture<'a, Result<Vec<Job>>> {
        let name = self.account().provider.to_string();
        Box::pin(async move { Err(Error::invalid_input(format!("{name} has no search."))) })
    }
    /// The folder a job's files go into below the download folder, when the archive lays its downloads
    /// out its own way (e.g. MAST's `<collection>/<observation>`); `None` leaves it to the program
    /// (the job's id, or its name and id).
    fn folder(&self, _job: &Job) -> Result<Option<SafeRelPath>> {
        Ok(None)
    }
    /// One job, or `NotFound`.
    fn job<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Job>>;
    /// A job's outputs as a tree.
    fn outputs<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<OutputNode>>;
    /// Where an output (a path in the job's tree) is fetched from, for downloads and previews.
    fn locate(&self, job: &Job, path: &SafeRelPath) -> Result<Located>;
    /// All of a job's files as a stream of folders, so downloads start while the rest is listed.
    fn plan(self: Arc<Self>, job: Job) -> Plan;
    /// Where a job's scenes lie on Earth, for an archive whose abilities say `footprints`.
    fn footprints<'a>(&'a self, _job: &'a Job) -> BoxFuture<'a, Result<Vec<Footprint>>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    /// The credentials downloads and previews of this account carry: the one way a session is renewed.
    fn credentials(&self) -> Option<Arc<dyn Credentials>>;
    /// Turns the keys of `Source::Resolver` items into URLs to fetch now (e.g. fresh signed URLs).
    fn resolver(&self) -> Option<Arc<dyn Resolver>> {
        None
    }
    /// What can be done with `job` now.
    fn offers(&self, _job: &Job) -> JobOffers {
        JobOffers::default()
    }
    /// A job's stages in the order they happen, for a job that moves through named stages (a tape
    /// request's); `None` for jobs that do not.
    fn stages<'a>(&'a self, _job: &'a Job) -> BoxFuture<'a, Result<Option<JobStages>>> {
        Box::pin(async { Ok(None) })
    }
    /// Where a retrieval of `job`'s files goes unless the user says otherwise, for an archive whose
    /// info has `retrieval`.
    fn retrieval_target<'a>(&'a self, _job: &'a Job) -> BoxFuture<'a, Result<String>> {
        let error = cannot(self.account(), "bring files back from storage");
        Box::pin(async move { Err(error) })
    }
    /// Asks the archive to bring `paths` of `job`'s output tree (all of it when empty) back from
    /// storage into `target`, a folder where the archive writes; the request it made, as a job.
    fn retrieve<'a>(
        &'a self,
        _job: &'a Job,
        _paths: &'a [SafeRelPath],
        _target: &'a str,
    ) -> BoxFuture<'a, Result<Job>> {
        let error = cannot(self.account(), "bring files back from storage");
        Box::pin(async move { Err(error) })
    }
    /// Deletes `job` at the archive, for an archive whose info has `deletion`; the request doing it,
    /// as a job.
    fn delete<'a>(&'a self, _job: &'a Job) -> BoxFuture<'a, Result<Job>> {
        let error = cannot(self.account(), "delete jobs");
        Box::pin(async move { Err(error) })
    }
}

/// The error saying `account`'s archive cannot do `what`.
fn cannot(account: &Account, what: &str) -> Error {
    Error::invalid_input(format!("{} cannot {what} from Jobfetch.", account.provider))
}
