//! A JDMA user's session: their details and notification setting, the storage backends, batches and
//! requests (one jobs list, each with its stage), a batch's archives and files as an output tree with
//! sizes and digests, and the requests that PUT, MIGRATE, GET and DELETE batches, and relabel them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{stream, StreamExt, TryStreamExt};
use serde_json::{json, Value};
use url::Url;

use super::api::Api;
use super::copy::RetrievedFile;
use super::records::{self, Batch, BatchFiles, Request, Storage, Submitted, User};
use super::stages::{self, RequestKind};
use super::{ACCESS_KEY, SECRET_KEY};
use crate::catalog::{classify, Job, JobStages, JobStatus, OutputKind, OutputNode};
use crate::error::{Error, ErrorCode, Result};
use crate::paths::{safe_component, SafeRelPath};
use crate::providers::notes::Notes;
use crate::providers::{Account, JobOffers, Located, Profile, Session};
use crate::secret::{blocking, SecretStore};
use crate::transfer::auth::{BoxFuture, Credentials};
use crate::transfer::plan::{self, Plan};

/// Batches' and requests' ids in the jobs list: `batch-<id>`, `request-<id>`.
const BATCH_PREFIX: &str = "batch-";
const REQUEST_PREFIX: &str = "request-";
/// The job type of a request, after its kind: `GET request`.
const REQUEST_TYPE: &str = "request";
/// How many failed requests are asked for at once, for their failure reasons.
const DETAIL_CONCURRENCY: usize = 4;

/// What a job id of a JDMA account names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKey {
    Batch(u64),
    Request(u64),
}

impl JobKey {
    pub fn parse(id: &str) -> Option<JobKey> {
        let id = id.trim();
        if let Some(batch) = id.strip_prefix(BATCH_PREFIX) {
            return batch.parse().ok().map(JobKey::Batch);
        }
        id.strip_prefix(REQUEST_PREFIX)?
            .parse()
            .ok()
            .map(JobKey::Request)
    }

    /// The id in the jobs list.
    pub fn id(self) -> String {
        match self {
            JobKey::Batch(id) => format!("{BATCH_PREFIX}{id}"),
            JobKey::Request(id) => format!("{REQUEST_PREFIX}{id}"),
        }
    }
}

/// Which batches and requests a listing covers: the user's own (in one workspace, if given), or with
/// `everyone` all users' in that workspace (the server's `filter=workspace`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub workspace: Option<String>,
    pub everyone: bool,
}

impl Scope {
    fn query(&self) -> Result<Vec<(&'static str, String)>> {
        let mut query = Vec::new();
        if let Some(workspace) = &self.workspace {
            query.push(("workspace", workspace.clone()));
        }
        if self.everyone {
            if self.workspace.is_none() {
                return Err(Error::invalid_input(
                    "Name the workspace whose users' batches and requests to list.",
                ));
            }
            query.push(("filter", "workspace".to_string()));
        }
        Ok(query)
    }
}

/// A PUT or MIGRATE: files and folders of a group workspace to copy to storage as a new batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutSpec {
    /// MIGRATE: the originals are deleted once the copy is verified.
    pub migrate: bool,
    pub workspace: String,
    /// A storage's short id, e.g. `elastictape`.
    pub storage: String,
    /// Absolute paths of files and folders in the workspace.
    pub filelist: Vec<String>,
    /// The batch's label; by default the first path's last name.
    pub label: Option<String>,
}

pub struct JdmaSession {
    pub(super) api: Api,
    pub(super) account: Account,
    profile: Profile,
    secrets: Arc<dyn SecretStore>,
    /// Whether JDMA knows the user (`jdma init` was run).
    registered: AtomicBool,
    /// Where GETs made from Jobfetch were asked to write, kept across restarts ([`target_key`]): JDMA
    /// never tells a GET's target again once it is made.
    pub(super) notes: Arc<dyn Notes>,
    /// The files of completed GETs whose outputs were listed, by request id, for `locate`.
    pub(super) retrieved: Mutex<HashMap<u64, Arc<Vec<RetrievedFile>>>>,
}

impl JdmaSession {
    /// A session for the API's user: their details when JDMA knows them, else a session in which
    /// they can register ([`JdmaSession::create_user`]).
    pub(super) async fn open(
        api: Api,
        account: Account,
        secrets: Arc<dyn SecretStore>,
        notes: Arc<dyn Notes>,
    ) -> Result<JdmaSession> {
        let mut session = JdmaSession {
            profile: Profile {
                username: api.user.clone(),
                ..Profile::default()
            },
            api,
            account,
            secrets,
            registered: AtomicBool::new(false),
            notes,
            retrieved: Mutex::default(),
        };
        match session.user().await {
            Ok(user) => {
                session.profile.email = user.email.unwrap_or_default();
                session.registered.store(true, Ordering::Relaxed);
            }
            Err(err) if err.code == ErrorCode::NotSignedIn => {}
            Err(err) => return Err(err),
        }
        Ok(session)
    }

    /// Where API calls go now: through an SSH host, the tunnel's local end (e.g.
    /// `http://127.0.0.1:PORT/jdma_control/api/v1/`).
    pub fn api_base(&self) -> Url {
        self.api.base()
    }

    /// Whether JDMA knows the user; if not, [`JdmaSession::create_user`] registers them.
    pub fn is_registered(&self) -> bool {
        self.registered.load(Ordering::Relaxed)
    }

    /// The user's details: `GET user?name=`.
    pub async fn user(&self) -> Result<User> {
        let reply = self.api.get("user", &[]).await?;
        records::one(reply, "the user's details")
    }

    /// Registers the user with their email, as `jdma init` does; false when JDMA knew them already.
    pub async fn create_user(&self, email: &str) -> Result<bool> {
        let email = email.trim();
        if !email.contains('@') {
            return Err(Error::invalid_input(format!(
                "{email:?} is not an email address; JDMA mails you when requests end."
            )));
        }
        let body = json!({"name": self.api.user, "email": email});
        match self.api.post("user", &body).await {
            Ok(_) => {
                self.registered.store(true, Ordering::Relaxed);
                Ok(true)
            }
            Err(err) if err.message.contains("already initiali") => {
                self.registered.store(true, Ordering::Relaxed);
                Ok(false)
            }
            Err(err) => Err(err),
        }
    }

    /// Whether JDMA emails the user when a request ends: `PUT user?name=` with `notify`.
    pub async fn set_notify(&self, notify: bool) -> Result<User> {
        let body = json!({"name": self.api.user, "notify": notify});
        let reply = self.api.put("user", &[], &body).await?;
        records::one(reply, "the user's details")
    }

    /// The storage backends: `list_backends/`, short id to display name, in the server's order; also its JSON.
    pub async fn storage(&self) -> Result<(Vec<Storage>, Value)> {
        let reply = self.api.get("list_backends/", &[]).await?;
        let storage = reply
            .as_object()
            .map(|map| {
                map.iter()
                    .map(|(id, name)| Storage {
                        id: id.clone(),
                        name: name
                            .as_str()
                            .map_or_else(|| name.to_string(), str::to_string),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok((storage, reply))
    }

    /// The batches in `scope`, by id.
    pub async fn batches(&self, scope: &Scope) -> Result<Vec<Batch>> {
        let reply = self.api.get("migration/", &scope.query()?).await?;
        records::list(reply, "migrations", "its batches")
    }

    /// One batch, or `NotFound`.
    pub async fn batch(&self, id: u64) -> Result<Batch> {
        let reply = self
            .api
            .get("migration/", &[("migration_id", id.to_string())])
            .await?;
        records::one(reply, "a batch")
    }

    /// The batch with this label (of anyone's in the user's workspaces; the least advanced if several).
    pub async fn batch_by_label(&self, label: &str) -> Result<Batch> {
        let reply = self
            .api
            .get("migration/", &[("label", label.to_string())])
            .await?;
        records::one(reply, "a batch")
    }

    /// Batches with their archives and files (`file/`): one batch's, or those in `scope`. With `digest`
    /// the listing carries digests (the server turns them on for any `digest` parameter, so it is sent
    /// only then). `limit` caps the files listed per archive. Also the server's JSON.
    pub async fn files(
        &self,
        batch: Option<u64>,
        scope: &Scope,
        digest: bool,
        limit: Option<u64>,
    ) -> Result<(Vec<BatchFiles>, Value)> {
        let mut query = scope.query()?;
        if let Some(batch) = batch {
            query.push(("migration_id", batch.to_string()));
        }
        if let Some(limit) = limit {
            query.push(("limit", limit.to_string()));
        }
        if digest {
            query.push(("digest", "1".to_string()));
        }
        let reply = self.api.get("file/", &query).await?;
        let listing = match reply.get("migrations") {
            Some(migrations) => records::parse(migrations.clone(), "its files")?,
            None => {
                return Err(Error::protocol(
                    "JDMA sent its files without their \"migrations\" list.",
                ))
            }
        };
        Ok((listing, reply))
    }

    /// One batch's files with their digests.
    pub async fn batch_files(&self, batch: u64) -> Result<BatchFiles> {
        let (listing, _) = self
            .files(Some(batch), &Scope::default(), true, None)
            .await?;
        listing
            .into_iter()
            .find(|listed| listed.migration_id == batch)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotFound,
                    format!("JDMA lists no files for batch {batch}."),
                )
            })
    }

    /// The requests in `scope`, by id (without filelists or failure reasons: ask for one for those).
    pub async fn requests(&self, scope: &Scope) -> Result<Vec<Request>> {
        let reply = self.api.get("request", &scope.query()?).await?;
        records::list(reply, "requests", "its requests")
    }

    /// One request with its filelist and, once failed, its failure reason; or `NotFound`.
    pub async fn request(&self, id: u64) -> Result<Request> {
        let reply = self
            .api
            .get("request", &[("request_id", id.to_string())])
            .await?;
        records::one(reply, "a request")
    }

    /// Submits a PUT or MIGRATE of workspace files as a new batch.
    pub async fn put(&self, spec: &PutSpec) -> Result<Submitted> {
        if spec.filelist.is_empty() {
            return Err(Error::invalid_input("Name the files or folders to put."));
        }
        if let Some(relative) = spec.filelist.iter().find(|p| !p.starts_with('/')) {
            return Err(Error::invalid_input(format!(
                "{relative:?} is not an absolute path: JDMA reads the files where they are in the group workspace."
            )));
        }
        let label = spec.label.clone().unwrap_or_else(|| {
            let first = spec.filelist[0].trim_end_matches('/');
            first.rsplit('/').next().unwrap_or(first).to_string()
        });
        let kind = if spec.migrate {
            RequestKind::Migrate
        } else {
            RequestKind::Put
        };
        // The server crashes on a body without "label", so it is always sent.
        let body = json!({
            "name": self.api.user,
            "request_type": kind.name(),
            "workspace": spec.workspace,
            "filelist": spec.filelist,
            "label": label,
            "storage": spec.storage,
            "credentials": self.credentials(&spec.storage).await?,
        });
        self.submit(&body).await
    }

    /// Submits a GET of a batch, or of some of its files (their original paths, as listed), into
    /// `target`, a folder whose parent exists where JDMA runs.
    pub async fn get(
        &self,
        batch: u64,
        target: &str,
        files: Option<&[String]>,
    ) -> Result<Submitted> {
        if !target.starts_with('/') {
            return Err(Error::invalid_input(format!(
                "{target:?} is not an absolute path: JDMA writes the files there, on JASMIN."
            )));
        }
        // Its storage says which credentials go with it.
        let found = self.batch(batch).await?;
        if found.stage != stages::ON_STORAGE {
            return Err(Error::invalid_input(format!(
                "Batch {batch} is {}, not on storage: JDMA brings back only batches that are ON_STORAGE.{}",
                found.stage_name(),
                match found.stage {
                    stages::DELETING | stages::DELETED => " It was deleted from storage; its files cannot be brought back.",
                    _ => " Wait until its PUT has completed (jobfetch jdma batch <id> shows its stage).",
                }
            )));
        }
        let mut body = json!({
            "name": self.api.user,
            "request_type": RequestKind::Get.name(),
            "migration_id": batch,
            "target_path": target,
            "credentials": self.credentials(&found.storage).await?,
        });
        if let Some(files) = files.filter(|files| !files.is_empty()) {
            body["filelist"] = json!(files);
        }
        let made = self.submit(&body).await?;
        // The GET is made either way; without the note its files are looked for in the default target.
        if let Err(err) = self
            .notes
            .set(&self.account.id, &target_key(made.request_id), target)
        {
            tracing::warn!(
                "could not note where GET {} writes ({target}): {}",
                made.request_id,
                err.message
            );
        }
        Ok(made)
    }

    /// Submits a DELETE of a batch from its storage (the caller has asked for confirmation).
    pub async fn delete(&self, batch: u64) -> Result<Submitted> {
        let found = self.batch(batch).await?;
        if matches!(found.stage, stages::DELETING | stages::DELETED) {
            return Err(Error::invalid_input(format!(
                "Batch {batch} is already {} from storage: there is nothing more to delete.",
                if found.stage == stages::DELETED {
                    "deleted"
                } else {
                    "being deleted"
                }
            )));
        }
        let body = json!({
            "name": self.api.user,
            "request_type": RequestKind::Delete.name(),
            "migration_id": batch,
            "storage": found.storage,
            "credentials": self.credentials(&found.storage).await?,
        });
        self.submit(&body).await
    }

    /// Gives a batch of the user's a new label.
    pub async fn relabel(&self, batch: u64, label: &str) -> Result<()> {
        if label.trim().is_empty() {
            return Err(Error::invalid_input("Give the batch's new label."));
        }
        self.api
            .put(
                "migration/",
                &[("migration_id", batch.to_string())],
                &json!({"label": label}),
            )
            .await?;
        Ok(())
    }

    /// The original paths of what is chosen in a batch's output tree (files, or folders for everything
    /// below them), for a GET of part of it.
    pub async fn originals(&self, batch: u64, chosen: &[String]) -> Result<Vec<String>> {
        let listing = self.batch_files(batch).await?;
        let placed = placed_files(&listing)?;
        let mut originals = Vec::new();
        for wanted in chosen {
            let wanted = wanted.trim_matches('/');
            let below: Vec<&str> = placed
                .iter()
                .filter(|(tree, _)| {
                    wanted.is_empty() || tree == wanted || tree.starts_with(&format!("{wanted}/"))
                })
                .map(|(_, file)| file.path.as_str())
                .collect();
            if below.is_empty() {
                return Err(Error::new(
                    ErrorCode::NotFound,
                    format!("Batch {batch} has nothing at {wanted}."),
                ));
            }
            originals.extend(below.into_iter().map(str::to_string));
        }
        originals.sort();
        originals.dedup();
        Ok(originals)
    }

    async fn submit(&self, body: &Value) -> Result<Submitted> {
        let reply = self.api.post("request", body).await?;
        records::one(reply, "the new request")
    }

    /// What a request for `storage` carries as `credentials`: the Object Store's keys from the secret
    /// store, the user name for Elastic Tape (as jdma_client's template does), nothing for others.
    async fn credentials(&self, storage: &str) -> Result<Value> {
        match storage {
            "objectstore" => {
                let (secrets, id) = (self.secrets.clone(), self.account.id.clone());
                let (access, secret) = blocking(move || {
                    Ok((secrets.get(&id, ACCESS_KEY)?, secrets.get(&id, SECRET_KEY)?))
                })
                .await?;
                match (access, secret) {
                    (Some(access), Some(secret)) if !access.is_empty() && !secret.is_empty() => {
                        Ok(json!({"access_key": access.expose(), "secret_key": secret.expose()}))
                    }
                    _ => Err(Error::new(
                        ErrorCode::NotSignedIn,
                        format!(
                            "Object Store requests need its access key and secret key, which {} does not keep: \
                             add them to the account (its sign-in form), or set ${} and ${}.",
                            self.account.label,
                            super::ACCESS_KEY_ENV,
                            super::SECRET_KEY_ENV
                        ),
                    )),
                }
            }
            "elastictape" => Ok(json!({"username": self.api.user})),
            _ => Ok(json!({})),
        }
    }

    /// The account's batches and requests as jobs, newest first; failed requests with their reasons.
    async fn all_jobs(&self) -> Result<Vec<Job>> {
        let scope = Scope::default();
        let (batches, requests) = tokio::try_join!(self.batches(&scope), self.requests(&scope))?;
        let failed: Vec<u64> = requests
            .iter()
            .filter(|r| stages::is_failed(r.stage))
            .map(|r| r.request_id)
            .collect();
        let detailed: Vec<Request> = stream::iter(failed.into_iter().map(|id| self.request(id)))
            .buffered(DETAIL_CONCURRENCY)
            .try_collect()
            .await?;
        let mut jobs: Vec<Job> = batches.iter().map(|b| self.batch_job(b)).collect();
        for request in &requests {
            let full = detailed
                .iter()
                .find(|d| d.request_id == request.request_id)
                .unwrap_or(request);
            jobs.push(self.request_job(full)?);
        }
        jobs.sort_by(|a, b| b.submitted.cmp(&a.submitted));
        Ok(jobs)
    }

    /// A batch as a job: its label, its stage as the status message.
    pub fn batch_job(&self, batch: &Batch) -> Job {
        Job {
            id: JobKey::Batch(batch.migration_id).id(),
            name: batch
                .label
                .clone()
                .filter(|label| !label.is_empty())
                .unwrap_or_else(|| format!("batch {}", batch.migration_id)),
            job_type: "batch".into(),
            status: stages::batch_status(batch.stage),
            status_message: batch.stage_name(),
            submitted: batch.registered(),
            started: None,
            completed: None,
            expires: None,
            account: self.account.id.clone(),
            location: format!(
                "batch {} of {} in {} on {}",
                batch.migration_id, batch.user, batch.workspace, batch.storage
            ),
        }
    }

    /// A request as a job: what it does to which batch, its stage (and failure reason) as the message.
    pub fn request_job(&self, request: &Request) -> Result<Job> {
        let kind = request.kind()?;
        let batch = request
            .migration_id
            .map_or_else(|| "a batch".to_string(), |id| format!("batch {id}"));
        let name = match request.label.as_deref().filter(|l| !l.is_empty()) {
            Some(label) => format!("{} of {batch} ({label})", kind.name()),
            None => format!("{} of {batch}", kind.name()),
        };
        let status_message = match &request.failure_reason {
            Some(reason) if stages::is_failed(request.stage) => {
                format!("{}: {}", request.stage_name(), reason.trim())
            }
            _ => request.stage_name(),
        };
        Ok(Job {
            id: JobKey::Request(request.request_id).id(),
            name,
            job_type: request_type(kind),
            status: stages::job_status(kind, request.stage),
            status_message,
            submitted: request.made(),
            started: None,
            completed: None,
            expires: None,
            account: self.account.id.clone(),
            location: format!("{batch} in {} on {}", request.workspace, request.storage),
        })
    }

    pub(super) fn not_a_job(&self, id: &str) -> Error {
        Error::new(
            ErrorCode::NotFound,
            format!(
                "{id:?} is not a JDMA batch or request of {}: their ids are batch-<number> and request-<number>.",
                self.account.label
            ),
        )
    }

    /// The batch a job is, or a request's batch.
    pub(super) fn batch_of(&self, job: &Job) -> BoxFuture<'_, Result<u64>> {
        let key = JobKey::parse(&job.id);
        let id = job.id.clone();
        Box::pin(async move {
            match key {
                Some(JobKey::Batch(batch)) => Ok(batch),
                Some(JobKey::Request(request)) => {
                    self.request(request).await?.migration_id.ok_or_else(|| {
                        Error::protocol(format!("JDMA request {request} names no batch."))
                    })
                }
                None => Err(self.not_a_job(&id)),
            }
        })
    }
}

impl Session for JdmaSession {
    fn account(&self) -> &Account {
        &self.account
    }

    fn profile(&self) -> &Profile {
        &self.profile
    }

    fn jobs(&self) -> BoxFuture<'_, Result<Vec<Job>>> {
        Box::pin(self.all_jobs())
    }

    fn job<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Job>> {
        Box::pin(async move {
            match JobKey::parse(id) {
                Some(JobKey::Batch(batch)) => Ok(self.batch_job(&self.batch(batch).await?)),
                Some(JobKey::Request(request)) => self.request_job(&self.request(request).await?),
                None => Err(self.not_a_job(id)),
            }
        })
    }

    /// A batch's (or a request's batch's) archives, each a folder of its files below the folder
    /// they all share, with sizes and digests; for a GET, the files it brings back.
    fn outputs<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<OutputNode>> {
        Box::pin(async move {
            if let Some(JobKey::Request(id)) = JobKey::parse(&job.id) {
                let request = self.request(id).await?;
                if request.kind()? == RequestKind::Get {
                    return self.get_tree(&request).await;
                }
            }
            let batch = self.batch_of(job).await?;
            tree(&self.batch_files(batch).await?)
        })
    }

    /// A completed GET's file (once its outputs were listed): where the GET wrote it.
    fn locate(&self, job: &Job, path: &SafeRelPath) -> Result<Located> {
        self.retrieved_source(job, path)
            .ok_or_else(|| not_downloadable(&job.id, &path.to_string()))
    }

    /// A completed GET's files, each from where the GET wrote it.
    fn plan(self: Arc<Self>, job: Job) -> Plan {
        match JobKey::parse(&job.id) {
            Some(JobKey::Request(id)) => {
                plan::of_listing(async move { self.retrieved_items(id).await })
            }
            _ => plan::failed(not_downloadable(&job.id, "")),
        }
    }

    /// A batch on storage can be brought back and deleted; a GET's files download once it has
    /// completed (and while it runs, when it will have); other requests and batches on their way
    /// offer nothing. Every batch and request names its files when made, so its list is whole.
    fn offers(&self, job: &Job) -> JobOffers {
        let nothing = JobOffers {
            download: false,
            download_when_finished: false,
            retrieve: false,
            delete: false,
            outputs_final: true,
        };
        match JobKey::parse(&job.id) {
            Some(JobKey::Batch(_))
                if job.status_message == stages::batch_stage_name(stages::ON_STORAGE) =>
            {
                JobOffers {
                    retrieve: true,
                    delete: true,
                    ..nothing
                }
            }
            Some(JobKey::Request(_)) if job.job_type == request_type(RequestKind::Get) => {
                JobOffers {
                    download: job.status == JobStatus::Success,
                    download_when_finished: true,
                    ..nothing
                }
            }
            _ => nothing,
        }
    }

    fn stages<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<Option<JobStages>>> {
        Box::pin(self.job_stages(job))
    }

    fn retrieval_target<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<String>> {
        Box::pin(self.default_target(job))
    }

    fn retrieve<'a>(
        &'a self,
        job: &'a Job,
        paths: &'a [SafeRelPath],
        target: &'a str,
    ) -> BoxFuture<'a, Result<Job>> {
        Box::pin(self.retrieve_into(job, paths, target))
    }

    fn delete<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<Job>> {
        Box::pin(self.delete_job(job))
    }

    fn credentials(&self) -> Option<Arc<dyn Credentials>> {
        None
    }
}

/// The job type of a `kind` request: `GET request`.
fn request_type(kind: RequestKind) -> String {
    format!("{} {REQUEST_TYPE}", kind.name())
}

/// Why a JDMA file is not copied from here: it comes back from storage through a GET request first.
fn not_downloadable(job: &str, path: &str) -> Error {
    Error::invalid_input(format!(
        "JDMA files are copied to this computer from where a completed GET wrote them: bring {} back \
         with a GET first (jobfetch jdma get <batch> --target <folder>), then copy that GET's \
         files once it has completed and its outputs are listed.",
        if path.is_empty() {
            format!("{job}'s files")
        } else {
            path.to_string()
        }
    ))
}

/// The folder every listed path is below: their longest common run of whole folders.
pub(super) fn common_folder<'a>(paths: impl IntoIterator<Item = &'a str>) -> String {
    let mut common: Option<Vec<&str>> = None;
    for path in paths {
        let folders: Vec<&str> = match path.rsplit_once('/') {
            Some((folder, _)) => folder.split('/').collect(),
            None => Vec::new(),
        };
        common = Some(match common {
            None => folders,
            Some(before) => before
                .iter()
                .zip(&folders)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    common.unwrap_or_default().join("/")
}

/// Each listed file with its path in the output tree: `<archive id>/<path below the common folder>`.
pub(super) fn placed_files(listing: &BatchFiles) -> Result<Vec<(String, &records::File)>> {
    let files = listing.archives.iter().flat_map(|a| &a.files);
    let base = common_folder(files.map(|f| f.path.as_str()));
    let mut placed = Vec::new();
    for archive in &listing.archives {
        let folder = safe_component(&archive.archive_id)?;
        for file in &archive.files {
            let below = file
                .path
                .strip_prefix(&base)
                .map(|rest| rest.trim_start_matches('/'))
                .unwrap_or(&file.path);
            let relative = SafeRelPath::parse(below)?;
            placed.push((format!("{folder}/{relative}"), file));
        }
    }
    Ok(placed)
}

/// A batch's listing as an output tree: archives, then the folders and files below the common folder.
pub(super) fn tree(listing: &BatchFiles) -> Result<OutputNode> {
    Ok(tree_of(placed_files(listing)?))
}

/// Files placed in a batch's tree ([`placed_files`]) as that tree.
pub(super) fn tree_of<'a>(
    placed: impl IntoIterator<Item = (String, &'a records::File)>,
) -> OutputNode {
    let mut root = folder_node("", "");
    for (path, file) in placed {
        let parts: Vec<&str> = path.split('/').collect();
        let mut node = &mut root;
        for depth in 1..parts.len() {
            let at = parts[..depth].join("/");
            let index = match node.children.iter().position(|c| c.path == at) {
                Some(index) => index,
                None => {
                    node.children.push(folder_node(&at, parts[depth - 1]));
                    node.children.len() - 1
                }
            };
            node = &mut node.children[index];
        }
        let name = parts[parts.len() - 1];
        node.children.push(OutputNode {
            name: name.to_string(),
            path: path.clone(),
            kind: classify(name),
            size: Some(file.size),
            modified: None,
            file_count: 1,
            digest: file.digest(),
            title: None,
            children: Vec::new(),
        });
    }
    total(&mut root);
    root
}

fn folder_node(path: &str, name: &str) -> OutputNode {
    OutputNode {
        name: name.to_string(),
        path: path.to_string(),
        kind: OutputKind::Directory,
        size: None,
        modified: None,
        file_count: 0,
        digest: None,
        title: None,
        children: Vec::new(),
    }
}

/// Fills folders' sizes and file counts from what is below them.
fn total(node: &mut OutputNode) {
    if node.kind != OutputKind::Directory {
        return;
    }
    node.children.iter_mut().for_each(total);
    node.file_count = node.children.iter().map(|c| c.file_count).sum();
    node.size = Some(node.children.iter().filter_map(|c| c.size).sum());
}

/// The note under which the target folder of GET `request` is kept.
pub(super) fn target_key(request: u64) -> String {
    format!("get-target/{request}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_name_batches_and_requests() {
        assert_eq!(JobKey::parse("batch-103"), Some(JobKey::Batch(103)));
        assert_eq!(JobKey::parse("request-7"), Some(JobKey::Request(7)));
        assert_eq!(JobKey::parse("103"), None);
        assert_eq!(JobKey::parse("batch-x"), None);
        assert_eq!(JobKey::Request(9).id(), "request-9");
    }

    #[test]
    fn the_common_folder_is_made_of_whole_folders() {
        assert_eq!(common_folder(["/g/run1/a.nc", "/g/run2/b.nc"]), "/g");
        assert_eq!(common_folder(["/g/run/a.nc", "/g/run/x/b.nc"]), "/g/run");
        assert_eq!(common_folder(["/g/run/a.nc"]), "/g/run");
    }

    #[test]
    fn a_listing_becomes_archives_of_files_and_refuses_escapes() {
        let listing: BatchFiles = records::parse(
            json!({"migration_id": 1, "archives": [
                {"archive_id": "archive_0000000001", "files": [
                    {"pk ": 1, "path": "/g/run/day/a.nc", "size": 10, "digest": "0x1", "digest_format": "ADLER32"},
                    {"pk ": 2, "path": "/g/run/b.txt", "size": 5, "digest": "0x2", "digest_format": "ADLER32"}]},
                {"archive_id": "archive_0000000002", "files": [
                    {"pk ": 3, "path": "/g/run/day/c.nc", "size": 7}]}]}),
            "a listing",
        )
        .unwrap();
        let root = tree(&listing).unwrap();
        assert_eq!((root.size, root.file_count), (Some(22), 3));
        let first = &root.children[0];
        assert_eq!(first.name, "archive_0000000001");
        assert_eq!(first.children[0].path, "archive_0000000001/day");
        assert_eq!(
            first.children[0].children[0].path,
            "archive_0000000001/day/a.nc"
        );
        assert!(first.children[0].children[0].digest.is_some());
        let hostile: BatchFiles = records::parse(
            json!({"migration_id": 1, "archives": [{"archive_id": "archive_1", "files": [
                {"pk ": 1, "path": "/g/run/a.nc", "size": 1},
                {"pk ": 2, "path": "/g/run/../../etc/passwd", "size": 1}]}]}),
            "a listing",
        )
        .unwrap();
        assert_eq!(tree(&hostile).unwrap_err().code, ErrorCode::UnsafeName);
        let bad_archive: BatchFiles = records::parse(
            json!({"migration_id": 1, "archives": [{"archive_id": "../x", "files": []}]}),
            "a listing",
        )
        .unwrap();
        assert_eq!(tree(&bad_archive).unwrap_err().code, ErrorCode::UnsafeName);
    }
}
