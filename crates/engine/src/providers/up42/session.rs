//! A signed-in UP42 account: a project's jobs and tasks (seed API) or a workspace's processing jobs
//! (current API), their outputs as a tree (per task: results, footprints, quicklooks, log; per STAC
//! item: its assets), and the signed URLs of results resolved afresh whenever they expire.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{stream, StreamExt, TryStreamExt};
use serde_json::Value;

use super::api::Api;
use super::processing::{self, Asset};
use super::seed::{self, TaskRecord};
use crate::catalog::{Footprint, Job, JobStatus, OutputKind, OutputNode};
use crate::error::{Error, ErrorCode, Result};
use crate::paths::SafeRelPath;
use crate::providers::{Account, Located, Profile, Session};
use crate::transfer::auth::{BoxFuture, Credentials, Resolver};
use crate::transfer::model::{AuthPolicy, Source};
use crate::transfer::plan::{self, Plan};
use crate::transfer::ItemSpec;
use url::Url;

/// A task's folder in a job's tree: `task_<task id>`, as the layout names it.
pub const TASK_PREFIX: &str = "task_";
/// A task's results archive, its footprints and its log, in its folder.
pub const RESULTS_FILE: &str = "results.tar.gz";
pub const FOOTPRINTS_FILE: &str = "data.json";
pub const LOG_FILE: &str = "log.txt";
/// Quicklooks are saved as `quicklook_<name>`, as up42-py names them.
pub const QUICKLOOK_PREFIX: &str = "quicklook_";
/// How many tasks' quicklook lists are asked for at once.
const LISTING_CONCURRENCY: usize = 4;
/// The most scenes of one task drawn on the map.
const MAX_FOOTPRINTS: usize = 10_000;

/// Which UP42 the account uses.
pub enum Flavour {
    /// The seed API, signed in with a project's credentials: that project's jobs.
    Projects { project: String },
    /// The current API, signed in with an account: its workspace's processing jobs.
    Processing { workspace: String },
}

pub struct Up42Session {
    pub(super) api: Arc<Api>,
    pub(super) account: Account,
    pub(super) profile: Profile,
    pub(super) flavour: Flavour,
    /// Each processing job's assets as last listed, by job id: where its tree's files come from.
    pub(super) assets: Mutex<HashMap<String, Vec<Asset>>>,
}

impl Up42Session {
    /// The project the account's jobs are in, for the seed API.
    pub fn project(&self) -> Option<&str> {
        match &self.flavour {
            Flavour::Projects { project } => Some(project),
            Flavour::Processing { .. } => None,
        }
    }

    /// A job's tasks (seed API), in workflow order.
    pub async fn tasks(&self, job: &str) -> Result<Vec<TaskRecord>> {
        seed::tasks(&self.api, self.seed_project()?, job).await
    }

    /// A job's tasks as UP42 sends them (seed API), for `--json`.
    pub async fn task_records(&self, job: &str) -> Result<Vec<Value>> {
        seed::task_records(&self.api, self.seed_project()?, job).await
    }

    /// The account's jobs as UP42 sends them, for `--json`; processing jobs gain UP42's seed-API
    /// names `id` and `name` beside their own `jobID`, so every listing has them.
    pub async fn job_records(&self) -> Result<Vec<Value>> {
        match &self.flavour {
            Flavour::Projects { project } => seed::job_records(&self.api, project).await,
            Flavour::Processing { workspace } => {
                let mut records = processing::job_records(&self.api, workspace).await?;
                for record in &mut records {
                    let id = record.get("jobID").cloned().unwrap_or(Value::Null);
                    let name = record
                        .pointer("/definition/inputs/title")
                        .cloned()
                        .unwrap_or_else(|| id.clone());
                    if let Some(map) = record.as_object_mut() {
                        map.entry("id").or_insert(id);
                        map.entry("name").or_insert(name);
                    }
                }
                Ok(records)
            }
        }
    }

    /// The source of a job's own results (the last task's), or of one task's: a signed URL resolved
    /// when fetched.
    pub fn results_source(&self, job: &str, task: Option<&str>) -> Result<Source> {
        self.seed_project()?;
        seed::check_id(job, "job")?;
        let key = match task {
            Some(task) => {
                seed::check_id(task, "task")?;
                format!("results/{job}/{task}")
            }
            None => format!("results/{job}"),
        };
        Ok(Source::Resolver {
            account: self.account.id.clone(),
            key,
        })
    }

    /// What requests to the API carry: the bearer token, to the API's host only.
    pub fn api_policy(&self) -> Result<AuthPolicy> {
        let url = Url::parse(&self.api.base).map_err(|err| {
            Error::invalid_input(format!("{} is not an address ({err}).", self.api.base))
        })?;
        let host = url.host_str().unwrap_or_default();
        Ok(AuthPolicy::ArchiveToken {
            account: self.account.id.clone(),
            scheme: "Bearer".into(),
            hosts: vec![match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            }],
        })
    }

    fn seed_project(&self) -> Result<&str> {
        self.project().ok_or_else(|| {
            Error::invalid_input(
                "This UP42 account signs in with email and password: its jobs are processing jobs, which have no tasks. Use a project's id and API key for the project/job/task API.",
            )
        })
    }

    async fn seed_tree(&self, project: &str, job: &Job) -> Result<OutputNode> {
        let tasks = seed::tasks(&self.api, project, &job.id).await?;
        let folders: Vec<OutputNode> = stream::iter(tasks.into_iter().map(|task| async move {
            let quicklooks = if task.has_results() {
                seed::quicklooks(&self.api, project, &job.id, &task.id).await?
            } else {
                Vec::new()
            };
            Ok::<_, Error>(task_folder(&task, &quicklooks))
        }))
        .buffered(LISTING_CONCURRENCY)
        .try_collect()
        .await?;
        Ok(folder("", "", folders))
    }

    async fn processing_tree(&self, job: &Job) -> Result<OutputNode> {
        let (_, record) = processing::job(&self.api, &self.account.id, &job.id).await?;
        let (assets, _) = processing::assets(&self.api, &record).await?;
        let mut items: Vec<(String, Vec<OutputNode>)> = Vec::new();
        for asset in &assets {
            let node = file(&format!("{}/{}", asset.item, asset.file), &asset.file, None);
            match items.iter_mut().find(|(item, _)| item == &asset.item) {
                Some((_, files)) => files.push(node),
                None => items.push((asset.item.clone(), vec![node])),
            }
        }
        self.assets
            .lock()
            .expect("assets lock")
            .insert(job.id.clone(), assets);
        Ok(folder(
            "",
            "",
            items
                .into_iter()
                .map(|(item, files)| folder(&item, &item, files))
                .collect(),
        ))
    }

    /// Each scene of a seed-API job once: the features of its tasks' footprints (data.json), with the
    /// quicklook a task has for the feature.
    async fn seed_footprints(&self, project: &str, job: &Job) -> Result<Vec<Footprint>> {
        let tasks = seed::tasks(&self.api, project, &job.id).await?;
        let per_task: Vec<Vec<Footprint>> = stream::iter(
            tasks
                .into_iter()
                .filter(TaskRecord::has_results)
                .map(|task| async move { self.task_footprints(project, &job.id, &task).await }),
        )
        .buffered(LISTING_CONCURRENCY)
        .try_collect()
        .await?;
        let mut footprints: Vec<Footprint> = Vec::new();
        for footprint in per_task.into_iter().flatten() {
            match footprints
                .iter_mut()
                .find(|seen| seen.geometry == footprint.geometry)
            {
                Some(seen) => {
                    if seen.quicklook.is_none() {
                        seen.quicklook = footprint.quicklook;
                    }
                }
                None => footprints.push(footprint),
            }
        }
        Ok(footprints)
    }

    async fn task_footprints(
        &self,
        project: &str,
        job: &str,
        task: &TaskRecord,
    ) -> Result<Vec<Footprint>> {
        let path = format!(
            "/projects/{project}/jobs/{job}/tasks/{}/outputs/data-json/",
            task.id
        );
        let collection: Value = self.api.json(reqwest::Method::GET, &path).await?;
        let quicklooks = seed::quicklooks(&self.api, project, job, &task.id).await?;
        let features = collection
            .get("features")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        Ok(features
            .iter()
            .take(MAX_FOOTPRINTS)
            .filter_map(|feature| {
                let id = match feature.get("id")? {
                    Value::String(id) => id.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return None,
                };
                let properties = feature.get("properties");
                let label = properties
                    .and_then(|p| p.get("sceneId").or_else(|| p.get("acquisitionDate")))
                    .and_then(Value::as_str)
                    .unwrap_or(&id)
                    .to_string();
                let quicklook = quicklooks
                    .iter()
                    .find(|name| {
                        name.rsplit_once('.')
                            .map_or(name.as_str(), |(stem, _)| stem)
                            == id
                    })
                    .map(|name| format!("{TASK_PREFIX}{}/{QUICKLOOK_PREFIX}{name}", task.id));
                Footprint::of_geometry(id, label, quicklook, feature.get("geometry")?)
            })
            .collect())
    }

    /// Where a seed-API output at `path` (`task_<t>/<file>`) comes from.
    fn locate_seed(&self, project: &str, job: &Job, path: &SafeRelPath) -> Result<Located> {
        let unknown = || {
            Error::new(
                ErrorCode::NotFound,
                format!("UP42 job {} has no output {path}.", job.id),
            )
        };
        let [task_folder, name] = path.components() else {
            return Err(unknown());
        };
        let task = task_folder.strip_prefix(TASK_PREFIX).ok_or_else(unknown)?;
        seed::check_id(task, "task")?;
        let url = |tail: &str| seed::task_output_url(&self.api, project, &job.id, task, tail);
        let (source, auth) = match name.as_str() {
            RESULTS_FILE => (
                self.results_source(&job.id, Some(task))?,
                AuthPolicy::Anonymous,
            ),
            FOOTPRINTS_FILE => (
                Source::Url {
                    url: url("outputs/data-json/"),
                },
                self.api_policy()?,
            ),
            LOG_FILE => (Source::Url { url: url("logs") }, self.api_policy()?),
            other => {
                let quicklook = other.strip_prefix(QUICKLOOK_PREFIX).ok_or_else(unknown)?;
                (
                    Source::Url {
                        url: url(&format!("outputs/quicklooks/{quicklook}")),
                    },
                    self.api_policy()?,
                )
            }
        };
        Ok(Located {
            source,
            auth,
            size_is_exact: true,
        })
    }

    fn locate_asset(&self, job: &Job, path: &SafeRelPath) -> Result<Located> {
        let assets = self.assets.lock().expect("assets lock");
        let asset = assets
            .get(&job.id)
            .and_then(|assets| {
                assets
                    .iter()
                    .find(|asset| format!("{}/{}", asset.item, asset.file) == path.to_string())
            })
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotFound,
                    format!(
                        "UP42 job {} has no result {path}; open the job again to list its results.",
                        job.id
                    ),
                )
            })?;
        Ok(Located {
            source: Source::Resolver {
                account: self.account.id.clone(),
                key: format!("asset/{}", asset.id),
            },
            auth: AuthPolicy::Anonymous,
            size_is_exact: true,
        })
    }
}

impl Session for Up42Session {
    fn account(&self) -> &Account {
        &self.account
    }

    fn profile(&self) -> &Profile {
        &self.profile
    }

    fn jobs(&self) -> BoxFuture<'_, Result<Vec<Job>>> {
        Box::pin(async move {
            match &self.flavour {
                Flavour::Projects { project } => {
                    seed::jobs(&self.api, project, &self.account.id).await
                }
                Flavour::Processing { workspace } => {
                    processing::jobs(&self.api, workspace, &self.account.id).await
                }
            }
        })
    }

    fn folder(&self, job: &Job) -> Result<Option<SafeRelPath>> {
        seed::check_id(&job.id, "job")?;
        let folder = match &self.flavour {
            Flavour::Projects { project } => format!("project_{project}/job_{}", job.id),
            Flavour::Processing { .. } => format!("job_{}", job.id),
        };
        SafeRelPath::parse(&folder).map(Some)
    }

    fn job<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Job>> {
        Box::pin(async move {
            match &self.flavour {
                Flavour::Projects { project } => {
                    seed::job(&self.api, project, &self.account.id, id).await
                }
                Flavour::Processing { .. } => processing::job(&self.api, &self.account.id, id)
                    .await
                    .map(|(job, _)| job),
            }
        })
    }

    fn outputs<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<OutputNode>> {
        Box::pin(async move {
            match &self.flavour {
                Flavour::Projects { project } => self.seed_tree(project, job).await,
                Flavour::Processing { .. } => self.processing_tree(job).await,
            }
        })
    }

    fn locate(&self, job: &Job, path: &SafeRelPath) -> Result<Located> {
        match &self.flavour {
            Flavour::Projects { project } => self.locate_seed(project, job, path),
            Flavour::Processing { .. } => self.locate_asset(job, path),
        }
    }

    fn plan(self: Arc<Self>, job: Job) -> Plan {
        plan::of_listing(async move {
            let tree = self.outputs(&job).await?;
            let mut items = Vec::new();
            for path in file_paths(&tree) {
                let located = self.locate(&job, &SafeRelPath::parse(&path)?)?;
                items.push(ItemSpec {
                    source: located.source,
                    dest: path,
                    size: None,
                    digest: None,
                    auth: located.auth,
                });
            }
            Ok(items)
        })
    }

    fn footprints<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<Vec<Footprint>>> {
        Box::pin(async move {
            match &self.flavour {
                Flavour::Projects { project } => self.seed_footprints(project, job).await,
                Flavour::Processing { .. } => {
                    let (_, record) = processing::job(&self.api, &self.account.id, &job.id).await?;
                    Ok(processing::assets(&self.api, &record).await?.1)
                }
            }
        })
    }

    fn credentials(&self) -> Option<Arc<dyn Credentials>> {
        Some(self.api.tokens.clone())
    }

    fn resolver(&self) -> Option<Arc<dyn Resolver>> {
        Some(Arc::new(SignedUrls {
            api: self.api.clone(),
            project: self.project().map(str::to_string),
        }))
    }
}

/// Signs result and asset URLs afresh: `results/<job>[/<task>]` on the seed API, `asset/<id>` on the
/// current one.
struct SignedUrls {
    api: Arc<Api>,
    project: Option<String>,
}

impl Resolver for SignedUrls {
    fn resolve<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Url>> {
        Box::pin(async move {
            let parts: Vec<&str> = key.split('/').collect();
            match (parts.as_slice(), &self.project) {
                (["results", job], Some(project)) => {
                    seed::signed_results_url(&self.api, &seed::results_path(project, job, None))
                        .await
                }
                (["results", job, task], Some(project)) => {
                    seed::signed_results_url(
                        &self.api,
                        &seed::results_path(project, job, Some(task)),
                    )
                    .await
                }
                (["asset", asset], None) => processing::signed_asset_url(&self.api, asset).await,
                _ => Err(Error::new(
                    ErrorCode::Internal,
                    format!(
                        "This UP42 account cannot sign {key:?}; download it again from its job."
                    ),
                )),
            }
        })
    }
}

/// A task's folder: its results, footprints and quicklooks once it succeeded, and its log once it ran.
fn task_folder(task: &TaskRecord, quicklooks: &[String]) -> OutputNode {
    let name = format!("{TASK_PREFIX}{}", task.id);
    let at = |file: &str| format!("{name}/{file}");
    let mut children = Vec::new();
    if task.has_results() {
        children.push(file(&at(RESULTS_FILE), RESULTS_FILE, Some(OutputKind::Tar)));
        children.push(file(
            &at(FOOTPRINTS_FILE),
            FOOTPRINTS_FILE,
            Some(OutputKind::GeoJson),
        ));
        for quicklook in quicklooks {
            let saved = format!("{QUICKLOOK_PREFIX}{quicklook}");
            children.push(file(&at(&saved), &saved, None));
        }
    }
    if super::status::of(&task.status).0 != JobStatus::Init {
        children.push(file(&at(LOG_FILE), LOG_FILE, Some(OutputKind::Log)));
    }
    OutputNode {
        title: Some(task.label()),
        ..folder(&name, &name, children)
    }
}

fn file(path: &str, name: &str, kind: Option<OutputKind>) -> OutputNode {
    OutputNode {
        name: name.to_string(),
        path: path.to_string(),
        kind: kind.unwrap_or_else(|| crate::catalog::classify(name)),
        size: None,
        modified: None,
        file_count: 1,
        title: None,
        digest: None,
        children: Vec::new(),
    }
}

fn folder(path: &str, name: &str, children: Vec<OutputNode>) -> OutputNode {
    OutputNode {
        name: name.to_string(),
        path: path.to_string(),
        kind: OutputKind::Directory,
        size: None,
        modified: None,
        file_count: children.iter().map(|child| child.file_count).sum(),
        title: None,
        digest: None,
        children,
    }
}

/// Every file's path in a tree.
fn file_paths(node: &OutputNode) -> Vec<String> {
    if node.kind != OutputKind::Directory {
        return vec![node.path.clone()];
    }
    node.children.iter().flat_map(file_paths).collect()
}
