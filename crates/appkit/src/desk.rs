//! The Desk: accounts signed in side by side, their jobs and outputs, and downloads of whole jobs or
//! selections, for the app and the CLI alike. It knows archives only through the provider registry.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use jobfetch_engine::catalog::{Footprint, Job, OutputNode};
use jobfetch_engine::ids::{AccountId, JobRef, ProviderId};
use jobfetch_engine::paths::{safe_component, SafeRelPath};
use jobfetch_engine::providers::{
    nginx_listing, Account, Context, FieldValues, Profile, ProviderInfo, Registry, Session,
};
use jobfetch_engine::secret::{blocking, Secret, SESSION_TOKEN};
use jobfetch_engine::transfer::model::{BatchOrigin, OriginScope};
use jobfetch_engine::transfer::plan::{self, NewBatch};
use jobfetch_engine::transfer::{BatchId, Transfers};
use jobfetch_engine::{Error, ErrorCode, Result};
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::accounts::{AccountBook, SavedAccounts};
use crate::follow::{self, FollowEvent, Pacing};
use crate::selection::ListedJob;
use crate::trial::TrialSecrets;

/// A signed-in account, as the UI and the CLI see it: no secrets.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SignedIn {
    pub account: Account,
    pub profile: Profile,
}

/// How a job's folder is named when its archive leaves that to the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FolderNaming {
    /// `<job id>`, as the archives' own scripts name it (the CLI).
    #[default]
    JobId,
    /// `<job name>_<job id>`, which people recognise (the app).
    NameAndId,
}

impl FolderNaming {
    /// The folder of `job` below the download folder.
    pub fn folder(self, job: &Job) -> Result<SafeRelPath> {
        let id = safe_component(&job.id)?;
        let name = readable_name(&job.name);
        let folder = match self {
            FolderNaming::NameAndId if !name.is_empty() && name != id => format!("{name}_{id}"),
            _ => id.to_string(),
        };
        SafeRelPath::parse(&folder)
    }
}

/// A job's name as a folder name: path separators, control characters and leading dots replaced or
/// dropped, at most 80 characters.
fn readable_name(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c == ':' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .take(80)
        .collect();
    cleaned.trim_start_matches('.').trim().to_string()
}

/// Accounts, sessions, listings and downloads.
pub struct Desk {
    registry: Registry,
    context: Context,
    book: Arc<dyn AccountBook>,
    pub transfers: Arc<Transfers>,
    sessions: tokio::sync::RwLock<HashMap<AccountId, Arc<dyn Session>>>,
    listed: Mutex<HashMap<JobRef, Arc<ListedJob>>>,
    /// Accounts that live only as long as this process (the built-in demo): never saved.
    ephemeral: Mutex<Vec<Account>>,
    naming: FolderNaming,
}

impl Desk {
    pub fn new(
        registry: Registry,
        context: Context,
        book: Arc<dyn AccountBook>,
        transfers: Arc<Transfers>,
    ) -> Self {
        Desk {
            registry,
            context,
            book,
            transfers,
            sessions: Default::default(),
            listed: Mutex::default(),
            ephemeral: Mutex::default(),
            naming: FolderNaming::default(),
        }
    }

    /// Names the folders of jobs whose archive leaves it to the program as `naming` says.
    pub fn with_folder_naming(mut self, naming: FolderNaming) -> Self {
        self.naming = naming;
        self
    }

    /// Where `job`'s files go below `download_dir`: the archive's layout, else as the Desk names folders.
    fn job_root(&self, session: &dyn Session, job: &Job, download_dir: &Path) -> Result<PathBuf> {
        let folder = match session.folder(job)? {
            Some(folder) => folder,
            None => self.naming.folder(job)?,
        };
        Ok(folder.under(download_dir))
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The archives an account can be added for.
    pub fn providers(&self) -> Vec<ProviderInfo> {
        self.registry.infos()
    }

    /// Every account (the saved ones, then this run's own) and the active one.
    pub fn accounts(&self) -> Result<SavedAccounts> {
        let mut saved = self.book.load()?;
        saved.accounts.extend(
            self.ephemeral
                .lock()
                .expect("ephemeral lock")
                .iter()
                .cloned(),
        );
        Ok(saved)
    }

    fn account(&self, id: &AccountId) -> Result<Account> {
        self.accounts()?
            .accounts
            .into_iter()
            .find(|a| &a.id == id)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotFound,
                    format!("There is no account {id}. Add it first (jobfetch account add)."),
                )
            })
    }

    /// Adds an account from a filled sign-in form (or updates the one with the same id): keeps its
    /// secrets in the secret store, signs in, and saves its settings (unless `ephemeral`). A failed
    /// sign-in keeps nothing.
    pub async fn add_account(
        &self,
        provider: &ProviderId,
        values: FieldValues,
        ephemeral: bool,
    ) -> Result<SignedIn> {
        let (account, trial, session, names) = self.try_form(provider, values).await?;
        blocking(move || trial.commit(&names)).await?;
        if ephemeral {
            self.keep_for_now(&account);
        } else {
            let mut saved = self.book.load()?;
            match saved.accounts.iter_mut().find(|a| a.id == account.id) {
                Some(earlier) => *earlier = account.clone(),
                None => saved.accounts.push(account.clone()),
            }
            saved.active = Some(account.id.clone());
            self.book.save(&saved)?;
        }
        Ok(self.keep_session(session).await)
    }

    /// Signs in with a filled sign-in form for this process only: nothing is saved and the secrets stay
    /// in memory (the CLI's credentials from the environment).
    pub async fn sign_in_for_now(
        &self,
        provider: &ProviderId,
        values: FieldValues,
    ) -> Result<SignedIn> {
        let (account, _in_memory, session, _) = self.try_form(provider, values).await?;
        self.keep_for_now(&account);
        Ok(self.keep_session(session).await)
    }

    /// Opens a session with a form's values, its secrets held in memory until committed; also the
    /// names of the secrets the archive keeps.
    async fn try_form(
        &self,
        provider: &ProviderId,
        values: FieldValues,
    ) -> Result<(Account, Arc<TrialSecrets>, Arc<dyn Session>, Vec<String>)> {
        let provider = self.registry.get(provider)?;
        let account = provider.account(&values)?;
        let secrets: Vec<(String, Secret)> = provider
            .info()
            .fields
            .iter()
            .filter(|field| field.is_secret())
            .filter_map(|field| {
                let value = values.get(&field.key).filter(|v| !v.is_empty())?;
                Some((field.key.clone(), Secret::new(value.clone())))
            })
            .collect();
        let missing = provider
            .info()
            .fields
            .iter()
            .find(|f| f.is_secret() && f.required && !secrets.iter().any(|(k, _)| *k == f.key));
        if let Some(field) = missing {
            return Err(Error::invalid_input(format!(
                "Enter your {}.",
                field.label.to_lowercase()
            )));
        }
        // The typed secrets are tried in memory first: a failed sign-in leaves the keyring as it was.
        let trial = Arc::new(TrialSecrets::new(
            self.context.secrets.clone(),
            account.id.clone(),
            secrets.into_iter().collect(),
        ));
        let context = Context {
            client: self.context.client.clone(),
            secrets: trial.clone(),
            ssh: self.context.ssh.clone(),
            notes: self.context.notes.clone(),
        };
        let session = provider.open(&context, &account).await?;
        Ok((account, trial, session, secret_names(provider.info())))
    }

    /// Keeps an account for this process only.
    fn keep_for_now(&self, account: &Account) {
        let mut kept = self.ephemeral.lock().expect("ephemeral lock");
        kept.retain(|a| a.id != account.id);
        kept.push(account.clone());
    }

    /// Keeps a session and lets the transfer engine use its credentials and resolver for the account's items.
    async fn keep_session(&self, session: Arc<dyn Session>) -> SignedIn {
        let signed_in = SignedIn {
            account: session.account().clone(),
            profile: session.profile().clone(),
        };
        if let Some(credentials) = session.credentials() {
            self.transfers
                .set_credentials(&signed_in.account.id, credentials);
        }
        if let Some(resolver) = session.resolver() {
            self.transfers.set_resolver(&signed_in.account.id, resolver);
        }
        self.sessions
            .write()
            .await
            .insert(signed_in.account.id.clone(), session);
        signed_in
    }

    /// Signs an account in with what the secret store keeps (no questions asked); `AuthFailed` or
    /// `AuthExpired` when the kept secrets no longer work.
    pub async fn sign_in(&self, id: &AccountId) -> Result<SignedIn> {
        if let Some(session) = self.sessions.read().await.get(id) {
            return Ok(SignedIn {
                account: session.account().clone(),
                profile: session.profile().clone(),
            });
        }
        let account = self.account(id)?;
        let provider = self.registry.get(&account.provider)?;
        let session = provider.open(&self.context, &account).await?;
        Ok(self.keep_session(session).await)
    }

    /// The account's session, signing in with kept secrets when there is none yet.
    pub async fn session(&self, id: &AccountId) -> Result<Arc<dyn Session>> {
        if let Some(session) = self.sessions.read().await.get(id) {
            return Ok(session.clone());
        }
        self.sign_in(id).await?;
        self.sessions
            .read()
            .await
            .get(id)
            .cloned()
            .ok_or_else(|| Error::new(ErrorCode::NotSignedIn, format!("Sign in to {id} first.")))
    }

    /// Signs out: forgets the session and every secret of the account, keeping the account itself.
    pub async fn sign_out(&self, id: &AccountId) -> Result<()> {
        self.sessions.write().await.remove(id);
        self.transfers.forget_account(id);
        self.listed
            .lock()
            .expect("listed lock")
            .retain(|job, _| &job.account != id);
        match self.account(id) {
            Ok(account) => self.forget_secrets(&account).await,
            Err(_) => Ok(()),
        }
    }

    /// Removes an account: signs it out (its secrets are deleted) and forgets its settings.
    pub async fn remove_account(&self, id: &AccountId) -> Result<()> {
        self.account(id)?;
        self.sign_out(id).await?;
        self.ephemeral
            .lock()
            .expect("ephemeral lock")
            .retain(|a| &a.id != id);
        let mut saved = self.book.load()?;
        saved.accounts.retain(|a| &a.id != id);
        if saved.active.as_ref() == Some(id) {
            saved.active = saved.accounts.first().map(|a| a.id.clone());
        }
        self.book.save(&saved)
    }

    /// Makes `id` the account the app opens with next time.
    pub fn set_active(&self, id: &AccountId) -> Result<()> {
        let mut saved = self.book.load()?;
        if saved.accounts.iter().any(|a| &a.id == id) {
            saved.active = Some(id.clone());
            self.book.save(&saved)?;
        }
        Ok(())
    }

    async fn forget_secrets(&self, account: &Account) -> Result<()> {
        let names = secret_names(self.registry.get(&account.provider)?.info());
        let (store, id) = (self.context.secrets.clone(), account.id.clone());
        blocking(move || names.iter().try_for_each(|name| store.delete(&id, name))).await
    }

    /// Forgets a session the archive ended, so the next call signs in afresh.
    pub(crate) async fn end_if_expired<T>(&self, id: &AccountId, result: Result<T>) -> Result<T> {
        if result
            .as_ref()
            .is_err_and(|err| err.code == ErrorCode::AuthExpired)
        {
            self.sessions.write().await.remove(id);
        }
        result
    }

    /// The account's jobs, newest first.
    pub async fn jobs(&self, id: &AccountId) -> Result<Vec<Job>> {
        let session = self.session(id).await?;
        let jobs = session.jobs().await;
        self.end_if_expired(id, jobs).await
    }

    /// The jobs matching a filled search form of the account's archive; they become its jobs list.
    pub async fn search(&self, id: &AccountId, values: &FieldValues) -> Result<Vec<Job>> {
        let session = self.session(id).await?;
        let found = session.search(values).await;
        self.end_if_expired(id, found).await
    }

    /// Follows a job of an account until it ends, reporting each change (see [`follow::follow`]).
    pub async fn follow_job(
        &self,
        job: &JobRef,
        pacing: &Pacing,
        cancel: &CancellationToken,
        report: impl FnMut(FollowEvent<'_>),
    ) -> Result<Job> {
        let session = self.session(&job.account).await?;
        let provider = self.registry.get(&job.account.provider())?;
        let followed = follow::follow(
            session.as_ref(),
            provider.info(),
            &job.job,
            pacing,
            cancel,
            report,
        )
        .await;
        self.end_if_expired(&job.account, followed).await
    }

    /// A job's output tree, listed now and remembered for previews and selections.
    pub async fn outputs(&self, job: &JobRef, download_dir: &Path) -> Result<Arc<ListedJob>> {
        let session = self.session(&job.account).await?;
        let found = session.job(&job.job).await;
        let found = self.end_if_expired(&job.account, found).await?;
        let tree: OutputNode = session.outputs(&found).await?;
        let root = self.job_root(session.as_ref(), &found, download_dir)?;
        let listed = Arc::new(ListedJob::new(session, found, tree, root));
        self.listed
            .lock()
            .expect("listed lock")
            .insert(job.clone(), listed.clone());
        Ok(listed)
    }

    /// The outputs listed last for a job, or an error asking to list them.
    pub fn listed(&self, job: &JobRef) -> Result<Arc<ListedJob>> {
        self.listed
            .lock()
            .expect("listed lock")
            .get(job)
            .cloned()
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotFound,
                    "This job's outputs are not listed yet. Open the job to list them.",
                )
            })
    }

    /// Where a job's scenes lie on Earth, for archives that say (none for the others).
    pub async fn footprints(&self, job: &JobRef) -> Result<Vec<Footprint>> {
        let session = self.session(&job.account).await?;
        let found = match self.listed(job) {
            Ok(listed) => listed.job.clone(),
            Err(_) => session.job(&job.job).await?,
        };
        session.footprints(&found).await
    }

    /// Starts downloading a job into its folder in `download_dir` (see [`FolderNaming`]): all of it, listed while it downloads
    /// (running it again continues the same batch), or the selected files and folders (a new batch).
    pub async fn download(
        &self,
        job: &JobRef,
        selection: Option<&[String]>,
        download_dir: &Path,
    ) -> Result<BatchId> {
        let (new, plan) = self.plan(job, selection, download_dir).await?;
        plan::start(&self.transfers, new, plan).await
    }

    /// The batch [`Desk::download`] would start and the plan that lists its files, without starting it.
    pub async fn plan(
        &self,
        job: &JobRef,
        selection: Option<&[String]>,
        download_dir: &Path,
    ) -> Result<(NewBatch, plan::Plan)> {
        let session = self.session(&job.account).await?;
        let origin = |scope| BatchOrigin {
            provider: job.account.provider(),
            account: Some(job.account.clone()),
            job: Some(job.job.clone()),
            scope,
        };
        let Some(paths) = selection else {
            let found = session.job(&job.job).await;
            let found = self.end_if_expired(&job.account, found).await?;
            let new = NewBatch {
                name: found.name.clone(),
                origin: origin(OriginScope::Whole),
                key: found.location.clone(),
                root: self.job_root(session.as_ref(), &found, download_dir)?,
                continue_earlier: true,
            };
            return Ok((new, session.plan(found)));
        };
        let listed = match self.listed(job) {
            Ok(listed) => listed,
            Err(_) => self.outputs(job, download_dir).await?,
        };
        let items = listed.items(paths)?;
        if items.is_empty() {
            return Err(Error::invalid_input(
                "Nothing is selected to download. Tick some files or folders first.",
            ));
        }
        let new = NewBatch {
            name: format!(
                "{} ({} of {} files)",
                listed.job.name,
                items.len(),
                listed.tree.file_count
            ),
            origin: origin(OriginScope::Selection),
            key: format!("{}#selection", listed.job.location),
            root: listed.root.clone(),
            continue_earlier: false,
        };
        Ok((new, plan::of_items(items)))
    }

    /// Starts (or continues) downloading a public folder (an nginx JSON listing) into `<out_dir>/<its name>`.
    pub async fn download_folder(&self, url: &str, out_dir: &Path) -> Result<BatchId> {
        let (new, plan) = self.folder_plan(url, out_dir)?;
        plan::start(&self.transfers, new, plan).await
    }

    /// The batch [`Desk::download_folder`] would start and the plan that lists its files, without starting it.
    pub fn folder_plan(&self, url: &str, out_dir: &Path) -> Result<(NewBatch, plan::Plan)> {
        let folder = nginx_listing::normalize_folder_url(url)?;
        let name = folder
            .path_segments()
            .and_then(|mut s| s.next_back())
            .unwrap_or_default()
            .to_string();
        let out_dir: PathBuf =
            std::path::absolute(out_dir).map_err(|err| Error::disk("find", out_dir, err))?;
        let new = NewBatch {
            root: out_dir.join(safe_component(&name)?),
            name,
            origin: nginx_listing::folder_origin(),
            key: folder.to_string(),
            continue_earlier: true,
        };
        let plan = nginx_listing::plan_folder(
            self.context.client.clone(),
            folder,
            nginx_listing::CONCURRENCY,
            jobfetch_engine::transfer::model::AuthPolicy::Anonymous,
        );
        Ok((new, plan))
    }

    /// Continues the batches that were running when the program last stopped, listing again any job
    /// or folder whose listing was cut short (with the account's kept secrets).
    pub async fn resume_interrupted(&self) -> Result<Vec<BatchId>> {
        let resumed = self.transfers.resume_interrupted()?;
        for batch in &resumed {
            let row = self.transfers.batch(*batch)?;
            if row.listing_complete {
                continue;
            }
            let relisted = self.relist(&row).await;
            if let Err(err) = relisted {
                self.transfers.add_problem(*batch, "", &err)?;
                self.transfers.set_listing_complete(*batch, true)?;
            }
        }
        Ok(resumed)
    }

    /// Lists a batch's job (through its account) or public folder again into the batch; a batch of
    /// another origin (e.g. a search's products) cannot be listed again without what started it.
    async fn relist(&self, row: &jobfetch_engine::transfer::store::BatchRow) -> Result<BatchId> {
        let parent = row.root.parent().map(Path::to_path_buf).unwrap_or_default();
        let account_job = row
            .origin
            .as_ref()
            .and_then(|origin| Some((origin.account.clone()?, origin.job.clone()?)));
        let is_folder = row
            .origin
            .as_ref()
            .is_none_or(|origin| origin.provider == nginx_listing::folder_origin().provider);
        match account_job {
            Some((account, job)) => self.download(&JobRef { account, job }, None, &parent).await,
            None if is_folder => self.download_folder(&row.source, &parent).await,
            None => Err(Error::invalid_input(
                "This batch's list of files was cut short and Jobfetch cannot list it again by itself: \
                 run the command that started it again to fetch the rest.",
            )),
        }
    }
}

/// Every secret an account of the archive may keep: its secret fields and the session token.
fn secret_names(info: &ProviderInfo) -> Vec<String> {
    let mut names: Vec<String> = info
        .fields
        .iter()
        .filter(|f| f.is_secret())
        .map(|f| f.key.clone())
        .collect();
    names.push(SESSION_TOKEN.to_string());
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobfetch_engine::catalog::JobStatus;

    fn job(id: &str, name: &str) -> Job {
        crate::sample::job(id, name, JobStatus::Success)
    }

    #[test]
    fn job_folders_are_named_by_id_or_by_name_and_id() {
        let id = "3f6d0e9a1b2c4d5e8f7a6b5c4d3e2f10";
        let named = |name: &str| {
            FolderNaming::NameAndId
                .folder(&job(id, name))
                .unwrap()
                .to_string()
        };
        assert_eq!(
            FolderNaming::JobId
                .folder(&job(id, "sn-hosts"))
                .unwrap()
                .to_string(),
            id
        );
        assert_eq!(named("sn-hosts-2020"), format!("sn-hosts-2020_{id}"));
        assert_eq!(named("a/b: c"), format!("a_b_ c_{id}"));
        assert_eq!(named(".."), id, "a name of dots says nothing");
        assert_eq!(named(id), id, "a job named by its id is not named twice");
        assert_eq!(named(&"x".repeat(300)), format!("{}_{id}", "x".repeat(80)));
        assert!(FolderNaming::JobId.folder(&job("../x", "n")).is_err());
    }
}
