//! Following one job of any archive until it ends: its status asked for again with backoff, each change reported, cancellable.

use std::future::Future;
use std::time::{Duration, Instant};

use jobfetch_engine::catalog::{Job, JobStatus};
use jobfetch_engine::providers::{ProviderInfo, Session};
use jobfetch_engine::{Error, ErrorCode, Result};
use tokio_util::sync::CancellationToken;

pub use jobfetch_engine::pacing::Pacing;

/// What happened while following a job, as it happens.
#[derive(Debug)]
pub enum FollowEvent<'a> {
    /// The job as first seen, and each time its status or message changed.
    Changed { job: &'a Job, after: Duration },
    /// Asking failed in a way that may pass (the network, a busy archive); asking again in `retry_in`.
    Trouble {
        error: &'a Error,
        retry_in: Duration,
    },
}

/// Follows `job_id` through `session` (an account of the archive `info` describes) until it ends, and
/// returns it as it ended: succeeded, failed (with the archive's message) or `unknown`. Every change
/// goes to `report`. Ends with an error when cancelled, when the archive's jobs are not jobs that
/// run, when the session has ended, or when the job is gone.
pub async fn follow(
    session: &dyn Session,
    info: &ProviderInfo,
    job_id: &str,
    pacing: &Pacing,
    cancel: &CancellationToken,
    report: impl FnMut(FollowEvent<'_>),
) -> Result<Job> {
    if !info.abilities.jobs {
        return Err(Error::invalid_input(format!(
            "What {} lists are search results, not jobs that run: there is nothing to wait for. \
             Download it without waiting.",
            info.name
        )));
    }
    let watched = Watched {
        archive: &info.name,
        job_id,
    };
    watched
        .until_ended(|| session.job(job_id), pacing, cancel, report)
        .await
}

/// The job a follow is about, for its messages.
struct Watched<'a> {
    archive: &'a str,
    job_id: &'a str,
}

impl Watched<'_> {
    /// Asks for the job with `ask` until it has ended (the loop of [`follow`]).
    async fn until_ended<Asked>(
        &self,
        mut ask: impl FnMut() -> Asked,
        pacing: &Pacing,
        cancel: &CancellationToken,
        mut report: impl FnMut(FollowEvent<'_>),
    ) -> Result<Job>
    where
        Asked: Future<Output = Result<Job>>,
    {
        let started = Instant::now();
        let mut seen: Option<(JobStatus, String)> = None;
        let mut wait = pacing.first;
        loop {
            let asked = tokio::select! {
                asked = ask() => asked,
                () = cancel.cancelled() => return Err(self.cancelled()),
            };
            let pause = match asked {
                Ok(job) => {
                    let now = (job.status, job.status_message.clone());
                    if seen.as_ref() != Some(&now) {
                        report(FollowEvent::Changed {
                            job: &job,
                            after: started.elapsed(),
                        });
                        if seen.is_some() {
                            wait = pacing.first;
                        }
                        seen = Some(now);
                    }
                    if job.status.has_ended() {
                        return Ok(job);
                    }
                    wait
                }
                Err(error) if error.code == ErrorCode::NotFound && seen.is_some() => {
                    return Err(self.vanished())
                }
                Err(mut error) if error.code == ErrorCode::AuthExpired => {
                    error.message = format!(
                        "Stopped waiting for job {}: {} Then wait for it again.",
                        self.job_id, error.message
                    );
                    return Err(error);
                }
                Err(error) if error.retryable => {
                    let retry_in = error.retry_after.unwrap_or(wait);
                    report(FollowEvent::Trouble {
                        error: &error,
                        retry_in,
                    });
                    retry_in
                }
                Err(error) => return Err(error),
            };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = cancel.cancelled() => return Err(self.cancelled()),
            }
            wait = pacing.after(wait);
        }
    }

    fn vanished(&self) -> Error {
        Error::new(
            ErrorCode::NotFound,
            format!(
                "Job {} is no longer on {}: it was deleted while Jobfetch waited for it. \
                 See the account's jobs for what is left.",
                self.job_id, self.archive
            ),
        )
    }

    fn cancelled(&self) -> Error {
        Error::new(
            ErrorCode::Cancelled,
            format!("Stopped waiting for job {}.", self.job_id),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;
    use crate::sample;

    /// Follows a job whose archive answers `answers` in turn, waiting a millisecond between asks;
    /// gives the follow's result, the statuses reported and the waits asked for.
    async fn follow_answers(
        answers: Vec<Result<Job>>,
    ) -> (Result<Job>, Vec<JobStatus>, Vec<Duration>) {
        let answers = Mutex::new(VecDeque::from(answers));
        let ask = || {
            let next = answers.lock().unwrap().pop_front();
            async move { next.expect("the follow asked no more than it was given") }
        };
        let pacing = Pacing {
            first: Duration::from_millis(1),
            growth: 2.0,
            most: Duration::from_millis(4),
        };
        let (mut statuses, mut waits) = (Vec::new(), Vec::new());
        let watched = Watched {
            archive: "DESaccess",
            job_id: "j1",
        };
        let ended = watched
            .until_ended(
                ask,
                &pacing,
                &CancellationToken::new(),
                |event| match event {
                    FollowEvent::Changed { job, .. } => statuses.push(job.status),
                    FollowEvent::Trouble { retry_in, .. } => waits.push(retry_in),
                },
            )
            .await;
        (ended, statuses, waits)
    }

    fn job(status: JobStatus) -> Result<Job> {
        Ok(sample::job("j1", "tonight", status))
    }

    #[tokio::test]
    async fn each_change_is_reported_once_until_the_job_ends() {
        let (ended, statuses, _) = follow_answers(vec![
            job(JobStatus::Init),
            job(JobStatus::Init),
            job(JobStatus::Started),
            job(JobStatus::Started),
            job(JobStatus::Failure),
        ])
        .await;
        assert_eq!(ended.unwrap().status, JobStatus::Failure);
        assert_eq!(
            statuses,
            [JobStatus::Init, JobStatus::Started, JobStatus::Failure]
        );
    }

    #[tokio::test]
    async fn passing_trouble_is_retried_when_the_archive_says() {
        let network = Error::new(ErrorCode::Network, "connection refused");
        let mut busy = Error::new(ErrorCode::Http, "busy (HTTP 429)").retryable(true);
        busy.retry_after = Some(Duration::from_millis(3));
        let (ended, _, waits) = follow_answers(vec![
            job(JobStatus::Started),
            Err(network),
            Err(busy),
            job(JobStatus::Success),
        ])
        .await;
        assert_eq!(ended.unwrap().status, JobStatus::Success);
        assert_eq!(
            waits,
            [Duration::from_millis(2), Duration::from_millis(3)],
            "the backoff's next wait, then the archive's"
        );
    }

    /// The error a follow ends with when a running job's next answer is `error`.
    async fn stopped_by(error: Error) -> Error {
        let answers = vec![job(JobStatus::Started), Err(error)];
        follow_answers(answers).await.0.unwrap_err()
    }

    #[tokio::test]
    async fn a_job_that_vanishes_or_a_session_that_ends_stops_the_follow() {
        let err = stopped_by(Error::new(ErrorCode::NotFound, "no job j1")).await;
        assert_eq!(err.code, ErrorCode::NotFound);
        assert!(
            err.message.contains("no longer on DESaccess"),
            "{}",
            err.message
        );

        let said = "Your session has ended. Sign in again.";
        let err = stopped_by(Error::new(ErrorCode::AuthExpired, said)).await;
        assert_eq!(err.code, ErrorCode::AuthExpired);
        assert!(
            err.message.contains("Sign in again. Then wait"),
            "{}",
            err.message
        );

        let err = stopped_by(Error::protocol(
            "DESaccess sent records in an unknown shape.",
        ))
        .await;
        assert_eq!(err.code, ErrorCode::Protocol, "not worth asking again");
    }
}
