//! Demo jobs that run while the sim does: `started`, with no files, until their time comes, then finished.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::clock::{Clock, UnixTime};
use crate::demo::LiveJob;
use crate::jobs::{Job, JobStatus};

/// A job running when the sim starts, and how it looks once it has ended.
pub(crate) struct RunningJob {
    running: Job,
    /// The status and message it ends with.
    ends_as: (JobStatus, &'static str),
    /// The job as it ends, given when it completed.
    end: Box<dyn Fn(UnixTime) -> Job + Send + Sync>,
    /// When it ends, counted from the sim's start; it may move while the job runs.
    ends_after: Mutex<Duration>,
    /// Laid out (once) when the job is first seen ended.
    ended: OnceLock<Job>,
}

/// Why a job's end could not be moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndRefused {
    /// No demo job of that id is running when the sim starts.
    NotLive,
    /// The job has already ended: jobs do not run again.
    Ended,
}

impl EndRefused {
    /// What to tell whoever asked to end `job_id`.
    pub fn message(self, job_id: &str) -> String {
        match self {
            EndRefused::NotLive => format!(
                "Job {job_id} is not one of the demo's running jobs; their ids are under \
                 desaccess.live_jobs in the sim's description (its first line on stdout)."
            ),
            EndRefused::Ended => {
                format!("Job {job_id} has already ended; start a new sim to watch it run again.")
            }
        }
    }
}

impl RunningJob {
    pub(crate) fn new(
        running: Job,
        ends_as: (JobStatus, &'static str),
        ends_after: Duration,
        end: impl Fn(UnixTime) -> Job + Send + Sync + 'static,
    ) -> RunningJob {
        RunningJob {
            running,
            ends_as,
            end: Box::new(end),
            ends_after: Mutex::new(ends_after),
            ended: OnceLock::new(),
        }
    }

    pub(crate) fn id(&self) -> &str {
        &self.running.meta.id
    }

    /// The job as it stands at the clock's time, and whether it has ended.
    pub(crate) fn now(&self, clock: &Clock) -> (&Job, bool) {
        if let Some(ended) = self.ended.get() {
            return (ended, true);
        }
        let after = self.ends_after();
        if clock.elapsed() < after {
            return (&self.running, false);
        }
        let ended = self
            .ended
            .get_or_init(|| (self.end)(clock.after_start(after)));
        (ended, true)
    }

    /// When the job ends, counted from the sim's start.
    pub(crate) fn ends_after(&self) -> Duration {
        *self.ends_after.lock().expect("job end lock poisoned")
    }

    /// Makes the job end `after` the sim's start instead, unless it has ended already.
    pub(crate) fn end_after(&self, clock: &Clock, after: Duration) -> Result<(), EndRefused> {
        let mut ends_after = self.ends_after.lock().expect("job end lock poisoned");
        if self.ended.get().is_some() || clock.elapsed() >= *ends_after {
            return Err(EndRefused::Ended);
        }
        *ends_after = after;
        Ok(())
    }

    /// What the sim's description says about the job.
    pub(crate) fn describe(&self, clock: &Clock) -> LiveJob {
        let meta = &self.running.meta;
        let ends_after = self.ends_after();
        LiveJob {
            id: meta.id.clone(),
            name: meta.name.clone(),
            job_type: self.running.spec.job_type().into(),
            ends_as: self.ends_as.0.as_str().into(),
            message: self.ends_as.1.into(),
            ends_after_ms: u64::try_from(ends_after.as_millis()).unwrap_or(u64::MAX),
            ends_at: crate::clock::iso(clock.after_start(ends_after)),
        }
    }
}
