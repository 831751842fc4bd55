//! The seed API's projects, jobs and tasks (shared/research/up42_jdma.md §1.4): job pages until an empty
//! one, a job's tasks in workflow order, task quicklooks, and the signed URLs of job and task results.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::api::Api;
use super::status;
use crate::catalog::Job;
use crate::error::{Error, Result};
use crate::ids::AccountId;
use crate::paths::safe_component;

/// The most job pages read (up42-py stops at 500 jobs; pages hold 20 or more).
const MAX_PAGES: usize = 200;

/// A job as the seed API sends it; only the fields Jobfetch uses.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub workflow_name: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
}

/// A task of a job.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRecord {
    pub id: String,
    /// E.g. `oneatlas-pleiades-aoiclipped:1`.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub block: Option<Block>,
    #[serde(default)]
    pub block_version: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Block {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

impl TaskRecord {
    /// The block's name users know, e.g. `Pléiades Display (Clipped)`, else the task's name.
    pub fn label(&self) -> String {
        self.block
            .as_ref()
            .and_then(|block| block.display_name.clone().or(Some(block.name.clone())))
            .filter(|label| !label.is_empty())
            .unwrap_or_else(|| self.name.clone())
    }

    /// Whether the task finished with results to fetch.
    pub fn has_results(&self) -> bool {
        status::of(&self.status).0 == crate::catalog::JobStatus::Success
    }
}

/// The project's jobs as UP42 sends them, newest first, every page until an empty one.
pub async fn job_records(api: &Api, project: &str) -> Result<Vec<Value>> {
    let mut records = Vec::new();
    for page in 0..MAX_PAGES {
        let page: Vec<Value> = api
            .data(&format!(
                "/projects/{project}/jobs?page={page}&sort=createdAt,desc"
            ))
            .await?;
        if page.is_empty() {
            break;
        }
        records.extend(page);
    }
    Ok(records)
}

/// The project's jobs, newest first.
pub async fn jobs(api: &Api, project: &str, account: &AccountId) -> Result<Vec<Job>> {
    job_records(api, project)
        .await?
        .into_iter()
        .map(|record| to_job(api, project, account, parse(record, "job")?))
        .collect()
}

/// One job of the project.
pub async fn job(api: &Api, project: &str, account: &AccountId, id: &str) -> Result<Job> {
    check_id(id, "job")?;
    let record: JobRecord = api.data(&format!("/projects/{project}/jobs/{id}")).await?;
    to_job(api, project, account, record)
}

/// A job's tasks as UP42 sends them, in workflow order.
pub async fn task_records(api: &Api, project: &str, job: &str) -> Result<Vec<Value>> {
    check_id(job, "job")?;
    api.data(&format!("/projects/{project}/jobs/{job}/tasks/"))
        .await
}

/// A job's tasks, in workflow order.
pub async fn tasks(api: &Api, project: &str, job: &str) -> Result<Vec<TaskRecord>> {
    let mut tasks = Vec::new();
    for record in task_records(api, project, job).await? {
        let task: TaskRecord = parse(record, "task")?;
        check_id(&task.id, "task")?;
        tasks.push(task);
    }
    Ok(tasks)
}

/// A record UP42 sent, read as `T`.
pub fn parse<T: serde::de::DeserializeOwned>(record: Value, what: &str) -> Result<T> {
    serde_json::from_value(record)
        .map_err(|err| Error::protocol(format!("UP42 sent a {what} in an unknown shape ({err}).")))
}

/// The names of a task's quicklooks (`<feature id>.jpg`), each a safe file name.
pub async fn quicklooks(api: &Api, project: &str, job: &str, task: &str) -> Result<Vec<String>> {
    let names: Vec<String> = api
        .data(&format!(
            "/projects/{project}/jobs/{job}/tasks/{task}/outputs/quicklooks/"
        ))
        .await?;
    for name in &names {
        safe_component(name).map_err(|err| {
            Error::protocol(format!(
                "UP42 named a quicklook {name:?}, which Jobfetch refuses: {}",
                err.message
            ))
        })?;
    }
    Ok(names)
}

/// The path of a job's results (`task` = `None`: the job's own, else one task's).
pub fn results_path(project: &str, job: &str, task: Option<&str>) -> String {
    match task {
        Some(task) => format!("/projects/{project}/jobs/{job}/tasks/{task}/downloads/results/"),
        None => format!("/projects/{project}/jobs/{job}/downloads/results/"),
    }
}

/// A fresh signed URL of results at `path` (see [`results_path`]).
pub async fn signed_results_url(api: &Api, path: &str) -> Result<Url> {
    #[derive(Deserialize)]
    struct Signed {
        url: String,
    }
    let signed: Signed = api.data(path).await?;
    let url = Url::parse(&signed.url).map_err(|err| {
        Error::protocol(format!(
            "UP42 sent a results link that is not an address ({err})."
        ))
    })?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(Error::protocol(format!(
            "UP42 sent a results link that is not http(s): {}.",
            url.scheme()
        )));
    }
    Ok(url)
}

/// The address of a task's output at `tail` (`outputs/data-json/`, `outputs/quicklooks/<name>`, `logs`).
pub fn task_output_url(api: &Api, project: &str, job: &str, task: &str, tail: &str) -> String {
    api.url(&format!(
        "/projects/{project}/jobs/{job}/tasks/{task}/{tail}"
    ))
}

fn to_job(api: &Api, project: &str, account: &AccountId, record: JobRecord) -> Result<Job> {
    check_id(&record.id, "job")?;
    let (status, message) = status::of(&record.status);
    let test_query = record.mode.as_deref() == Some("DRY_RUN");
    Ok(Job {
        name: record
            .name
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| record.id.clone()),
        job_type: match (test_query, record.workflow_name) {
            (true, _) => "test query".into(),
            (false, Some(workflow)) if !workflow.is_empty() => workflow,
            _ => "job".into(),
        },
        status,
        status_message: message,
        submitted: record
            .created_at
            .as_deref()
            .and_then(crate::catalog::rfc3339_to_iso),
        started: record
            .started_at
            .as_deref()
            .and_then(crate::catalog::rfc3339_to_iso),
        completed: record
            .finished_at
            .as_deref()
            .and_then(crate::catalog::rfc3339_to_iso),
        expires: None,
        account: account.clone(),
        location: api.url(&format!("/projects/{project}/jobs/{}", record.id)),
        id: record.id,
    })
}

/// An id UP42 sent, or that goes into a path: letters, digits and `-` only.
pub fn check_id(id: &str, what: &str) -> Result<()> {
    if id.is_empty()
        || id.len() > 100
        || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(Error::invalid_input(format!(
            "{id:?} is not a UP42 {what} id (letters, digits and '-')."
        )));
    }
    Ok(())
}
