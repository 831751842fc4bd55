//! A signed-in DESaccess account: its jobs, their output trees on the file server, and plans to fetch them.

use std::sync::Arc;

use serde::Deserialize;
use url::Url;

use super::api::{Api, Reply};
use super::time::archive_time_to_iso;
use super::{kinds, LISTING_CONCURRENCY};
use crate::catalog::{Job, JobStatus, OutputNode};
use crate::error::{Error, ErrorCode, Result};
use crate::paths::SafeRelPath;
use crate::providers::{nginx_listing, Account, Located, Profile, Session};
use crate::transfer::auth::{BoxFuture, Credentials};
use crate::transfer::model::{AuthPolicy, Source};
use crate::transfer::plan::Plan;

pub struct DesAccessSession {
    pub(super) api: Arc<Api>,
    pub(super) account: Account,
    pub(super) profile: Profile,
    pub(super) client: reqwest::Client,
}

impl DesAccessSession {
    async fn all_jobs(&self) -> Result<Vec<Job>> {
        let reply = self
            .api
            .call(reqwest::Method::POST, "job/status", &[("job-id", "all")])
            .await?;
        let mut jobs = self
            .records(&reply)?
            .into_iter()
            .map(|record| self.to_job(record))
            .collect::<Result<Vec<_>>>()?;
        jobs.sort_by(|a, b| {
            b.submitted
                .cmp(&a.submitted)
                .then_with(|| b.started.cmp(&a.started))
        });
        Ok(jobs)
    }

    async fn one_job(&self, job_id: &str) -> Result<Job> {
        let not_found = || {
            Error::new(
                ErrorCode::NotFound,
                format!("DESaccess has no job {job_id:?} for this account."),
            )
        };
        let reply = match self
            .api
            .call(reqwest::Method::POST, "job/status", &[("job-id", job_id)])
            .await
        {
            // DESaccess says "error" for an id it does not know; a busy or failing server is not that.
            Err(err) if err.code == ErrorCode::Http && !err.retryable => return Err(not_found()),
            other => other?,
        };
        let record = self
            .records(&reply)?
            .into_iter()
            .find(|r| r.job_id == job_id)
            .ok_or_else(not_found)?;
        self.to_job(record)
    }

    fn records(&self, reply: &Reply) -> Result<Vec<JobRecord>> {
        let records: JobRecords = reply.parse("job records")?;
        Ok(records.jobs.unwrap_or_default())
    }

    fn job_folder(&self, job: &Job) -> Result<Url> {
        self.api.server.job_folder_url(&job.job_type, &job.id)
    }

    fn to_job(&self, record: JobRecord) -> Result<Job> {
        if record.job_id.is_empty()
            || !record
                .job_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(Error::protocol(format!(
                "DESaccess sent a job id {:?} that is not a job id.",
                record.job_id
            )));
        }
        let job_type = if record.job_type.is_empty() {
            "cutout".to_string()
        } else {
            record.job_type
        };
        crate::paths::safe_component(&job_type)?;
        let location = self
            .api
            .server
            .job_folder_url(&job_type, &record.job_id)?
            .to_string();
        Ok(Job {
            name: if record.job_name.is_empty() {
                record.job_id.clone()
            } else {
                record.job_name
            },
            id: record.job_id,
            account: self.account.id.clone(),
            job_type,
            status: JobStatus::from_archive(&record.job_status),
            status_message: record.job_status_message.unwrap_or_default(),
            submitted: archive_time_to_iso(&record.job_time_submitted),
            started: archive_time_to_iso(&record.job_time_start),
            completed: archive_time_to_iso(&record.job_time_complete),
            expires: archive_time_to_iso(&record.expiration_date),
            location,
        })
    }
}

impl Session for DesAccessSession {
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
        Box::pin(self.one_job(id))
    }

    fn outputs<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<OutputNode>> {
        Box::pin(async move {
            let folder = self.job_folder(job)?;
            nginx_listing::output_tree(&self.client, &folder, LISTING_CONCURRENCY, kinds::classify)
                .await
        })
    }

    fn locate(&self, job: &Job, path: &SafeRelPath) -> Result<Located> {
        Ok(Located {
            source: Source::Url {
                url: nginx_listing::file_url(&self.job_folder(job)?, path).to_string(),
            },
            auth: AuthPolicy::Anonymous,
            size_is_exact: true,
        })
    }

    fn plan(self: Arc<Self>, job: Job) -> Plan {
        match self.job_folder(&job) {
            Ok(folder) => nginx_listing::plan_folder(
                self.client.clone(),
                folder,
                LISTING_CONCURRENCY,
                AuthPolicy::Anonymous,
            ),
            Err(error) => crate::transfer::plan::failed(error),
        }
    }

    fn credentials(&self) -> Option<Arc<dyn Credentials>> {
        Some(self.api.clone())
    }
}

/// A `POST /job/status` reply (des-jobhandler jobutils.py `job_status`): its job records.
#[derive(Deserialize)]
struct JobRecords {
    #[serde(default)]
    jobs: Option<Vec<JobRecord>>,
}

/// One job record; only the fields Jobfetch uses. The rest (a cutout job's file list, summary and
/// positions) is skipped while parsing, never held.
#[derive(Deserialize)]
struct JobRecord {
    job_id: String,
    #[serde(default)]
    job_name: String,
    #[serde(default)]
    job_type: String,
    #[serde(default)]
    job_status: String,
    #[serde(default)]
    job_status_message: Option<String>,
    #[serde(default)]
    job_time_submitted: String,
    #[serde(default)]
    job_time_start: String,
    #[serde(default)]
    job_time_complete: String,
    #[serde(default)]
    expiration_date: String,
}
