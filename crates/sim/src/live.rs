//! Demo jobs that run while the sim does: `started`, with no files, until their time comes, then
//! finished; and [`Ending`], the movable end time they share with UP42's running jobs.

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
    ending: Ending,
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
                 desaccess.live_jobs and up42.live_jobs in the sim's description (its first line on stdout)."
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
            ending: Ending::after(ends_after),
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
        if !self.ending.has_ended(clock) {
            return (&self.running, false);
        }
        let ended = self
            .ended
            .get_or_init(|| (self.end)(clock.after_start(self.ending.ends_after())));
        (ended, true)
    }

    /// Makes the job end `after` the sim's start instead, unless it has ended already.
    pub(crate) fn end_after(&self, clock: &Clock, after: Duration) -> Result<(), EndRefused> {
        self.ending.move_to(clock, after)
    }

    /// What the sim's description says about the job.
    pub(crate) fn describe(&self, clock: &Clock) -> LiveJob {
        let meta = &self.running.meta;
        let ends_after = self.ending.ends_after();
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

/// When a running job ends, counted from the sim's start; it may move until the job has ended.
#[derive(Debug)]
pub(crate) struct Ending(Mutex<Duration>);

impl Ending {
    pub(crate) fn after(after: Duration) -> Ending {
        Ending(Mutex::new(after))
    }

    /// When the job ends, counted from the sim's start.
    pub(crate) fn ends_after(&self) -> Duration {
        *self.0.lock().expect("job end lock poisoned")
    }

    /// Whether the sim's time has reached the end.
    pub(crate) fn has_ended(&self, clock: &Clock) -> bool {
        clock.elapsed() >= self.ends_after()
    }

    /// Makes the job end `after` the sim's start instead, unless it has ended already.
    pub(crate) fn move_to(&self, clock: &Clock, after: Duration) -> Result<(), EndRefused> {
        let mut ends_after = self.0.lock().expect("job end lock poisoned");
        if clock.elapsed() >= *ends_after {
            return Err(EndRefused::Ended);
        }
        *ends_after = after;
        Ok(())
    }
}
