//! DESaccess job records: what the job handler stores and how `/job/status` and `/job/list` report them.

use std::sync::{Arc, OnceLock};

use serde::{Serialize, Serializer};

use crate::clock::{self, UnixTime};
use crate::cutout_job::{self, CutoutJob, Summary};
use crate::query_job::{self, QueryJob};
use crate::replies::EmptyObject;
use crate::vfs::Dir;

/// Job files are deleted this long after completion (`DESACCESS_JOB_FILES_LIFETIME`).
const FILES_LIFETIME_SECS: UnixTime = 1_209_600;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JobStatus {
    Init,
    Started,
    Success,
    Failure,
}

impl JobStatus {
    /// The word `/job/status` and `/job/list` use.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JobStatus::Init => "init",
            JobStatus::Started => "started",
            JobStatus::Success => "success",
            JobStatus::Failure => "failure",
        }
    }
}

/// What the job was asked to do.
pub(crate) enum JobSpec {
    Cutout(CutoutJob),
    Query(QueryJob),
}

impl JobSpec {
    pub(crate) fn job_type(&self) -> &'static str {
        match self {
            JobSpec::Cutout(_) => "cutout",
            JobSpec::Query(_) => "query",
        }
    }
}

/// The job handler's bookkeeping for one job.
pub(crate) struct JobMeta {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) owner: String,
    pub(crate) status: JobStatus,
    pub(crate) status_message: String,
    pub(crate) submitted: UnixTime,
    pub(crate) started: Option<UnixTime>,
    pub(crate) completed: Option<UnixTime>,
    /// Empty until the job completes.
    pub(crate) renewal_token: String,
}

/// One job of one user.
pub(crate) struct Job {
    pub(crate) meta: JobMeta,
    pub(crate) spec: JobSpec,
    output: OnceLock<JobOutput>,
}

/// What a job left behind: its folder on the file server and what the worker reported.
pub(crate) struct JobOutput {
    /// `None` when nothing was written yet (the folder 404s).
    pub(crate) folder: Option<Arc<Dir>>,
    pub(crate) query_files: Vec<String>,
    pub(crate) summary: Option<Arc<Summary>>,
    /// The positions CSV as submitted (cutout jobs).
    pub(crate) positions_csv: String,
}

impl JobOutput {
    /// No folder and nothing reported (yet).
    pub(crate) fn nothing(positions_csv: String) -> JobOutput {
        JobOutput {
            folder: None,
            query_files: Vec::new(),
            summary: None,
            positions_csv,
        }
    }
}

impl Job {
    pub(crate) fn new(meta: JobMeta, spec: JobSpec) -> Job {
        Job {
            meta,
            spec,
            output: OnceLock::new(),
        }
    }

    /// The job's outputs, built on first use.
    pub(crate) fn output(&self) -> &JobOutput {
        self.output.get_or_init(|| match &self.spec {
            JobSpec::Cutout(cutout) => cutout_job::build(&self.meta, cutout),
            JobSpec::Query(query) => query_job::build(&self.meta, query),
        })
    }

    /// The full record of `POST /job/status`.
    pub(crate) fn status_record(&self) -> StatusRecord<'_> {
        let output = self.output();
        let query = match &self.spec {
            JobSpec::Query(query) => Some(query.query.as_str()),
            JobSpec::Cutout(_) => None,
        };
        let meta = &self.meta;
        StatusRecord {
            job_type: self.spec.job_type(),
            job_name: &meta.name,
            job_id: &meta.id,
            job_status: meta.status.as_str(),
            job_status_message: &meta.status_message,
            job_time_start: meta.started.map(clock::sql).unwrap_or_default(),
            job_time_complete: meta.completed.map(clock::sql).unwrap_or_default(),
            job_time_submitted: clock::sql(meta.submitted),
            data: EmptyObject,
            query,
            query_files: &output.query_files,
            cutout_files: ReportedFiles(output.summary.as_deref()),
            cutout_summary: output.summary.as_deref(),
            cutout_positions: &output.positions_csv,
            renewal_token: &meta.renewal_token,
            expiration_date: meta
                .completed
                .map(|done| clock::sql(done + FILES_LIFETIME_SECS))
                .unwrap_or_default(),
        }
    }

    /// The short record of `GET /job/list`.
    pub(crate) fn list_record(&self) -> ListRecord<'_> {
        let meta = &self.meta;
        ListRecord {
            job_id: &meta.id,
            job_status: meta.status.as_str(),
            job_type: self.spec.job_type(),
            job_name: &meta.name,
        }
    }
}

/// Orders jobs like `ORDER BY time_start DESC` in MySQL: newest first, never-started last.
pub(crate) fn newest_first(jobs: &mut [&Job]) {
    jobs.sort_by_key(|job| std::cmp::Reverse(job.meta.started));
}

#[derive(Serialize)]
pub(crate) struct StatusRecord<'a> {
    job_type: &'a str,
    job_name: &'a str,
    job_id: &'a str,
    job_status: &'a str,
    job_status_message: &'a str,
    job_time_start: String,
    job_time_complete: String,
    job_time_submitted: String,
    data: EmptyObject,
    query: Option<&'a str>,
    query_files: &'a [String],
    cutout_files: ReportedFiles<'a>,
    #[serde(serialize_with = "object_or_empty")]
    cutout_summary: Option<&'a Summary>,
    cutout_positions: &'a str,
    renewal_token: &'a str,
    expiration_date: String,
}

#[derive(Serialize)]
pub(crate) struct ListRecord<'a> {
    job_id: &'a str,
    job_status: &'a str,
    job_type: &'a str,
    job_name: &'a str,
}

/// A cutout job's `cutout_files`, made from its summary while the reply is written (none before it
/// completes).
struct ReportedFiles<'a>(Option<&'a Summary>);

impl Serialize for ReportedFiles<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.into_iter().flat_map(Summary::reported_files))
    }
}

fn object_or_empty<S: Serializer>(
    summary: &Option<&Summary>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match summary {
        Some(summary) => summary.serialize(serializer),
        None => EmptyObject.serialize(serializer),
    }
}
