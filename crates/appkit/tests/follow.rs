//! Following a running demo job through the Desk until it ends (run under scripts/with-keyring.sh): it
//! succeeds or fails while the test watches, a busy archive is asked again when it says, and a MAST
//! search result is no job to wait for.

mod common;

use std::time::{Duration, Instant};

use jobfetch_appkit::follow::{FollowEvent, Pacing};
use jobfetch_appkit::Desk;
use jobfetch_engine::catalog::JobStatus;
use jobfetch_engine::ids::{JobRef, ProviderId};
use jobfetch_engine::providers::mast::BASE;
use jobfetch_engine::providers::Registry;
use jobfetch_engine::ErrorCode;
use jobfetch_sim::demo::{self, Endings};
use jobfetch_sim::{FaultAction, FaultRule, Sim, SimConfig};
use tokio_util::sync::CancellationToken;

/// When the sim's running jobs end in this test.
const ENDS_AFTER: Duration = Duration::from_secs(2);

/// Quick asking, so a test sees a job end soon after it does.
fn quick() -> Pacing {
    Pacing {
        first: Duration::from_millis(100),
        growth: 1.5,
        most: Duration::from_millis(400),
    }
}

/// A sim whose running jobs end after [`ENDS_AFTER`], a Desk with its demo DESaccess account, and
/// the ref of `job_id` on it.
async fn setup(dir: &std::path::Path, job_id: &str) -> (Sim, Desk, JobRef) {
    let sim = Sim::start(SimConfig {
        live_jobs: Endings::all_after(ENDS_AFTER),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let desk = common::desk(dir, Registry::builtin());
    let des = ProviderId::new("desaccess").unwrap();
    let signed_in = desk
        .add_account(&des, common::desaccess_values(&sim), false)
        .await
        .unwrap();
    let job = JobRef {
        account: signed_in.account.id,
        job: job_id.into(),
    };
    (sim, desk, job)
}

/// The statuses reported, in order, and the follow's result.
async fn follow(
    desk: &Desk,
    job: &JobRef,
) -> (
    Vec<JobStatus>,
    jobfetch_engine::Result<jobfetch_engine::catalog::Job>,
) {
    let mut seen = Vec::new();
    let ended = desk
        .follow_job(job, &quick(), &CancellationToken::new(), |event| {
            if let FollowEvent::Changed { job, .. } = event {
                seen.push(job.status);
            }
        })
        .await;
    (seen, ended)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_job_is_followed_until_it_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, desk, job) = setup(dir.path(), demo::LIVE_CUTOUT_JOB_ID).await;
    let began = Instant::now();
    let (seen, ended) = follow(&desk, &job).await;
    let ended = ended.unwrap();
    assert_eq!(seen, [JobStatus::Started, JobStatus::Success]);
    assert_eq!(ended.status, JobStatus::Success);
    assert!(ended.completed.is_some(), "{ended:?}");
    assert!(began.elapsed() < ENDS_AFTER + Duration::from_secs(5));

    let files = desk
        .outputs(&job, dir.path())
        .await
        .unwrap()
        .tree
        .file_count;
    assert_eq!(files, 15, "its folder appeared when it ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_fails_ends_the_follow_with_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, desk, job) = setup(dir.path(), demo::LIVE_FAILING_JOB_ID).await;
    let (seen, ended) = follow(&desk, &job).await;
    let ended = ended.unwrap();
    assert_eq!(seen, [JobStatus::Started, JobStatus::Failure]);
    assert_eq!(ended.status_message, demo::LIVE_FAILING_MESSAGE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_archive_is_asked_again_after_the_wait_it_asks_for() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, desk, job) = setup(dir.path(), demo::SEED_TREE_JOB_ID).await;
    let busy = FaultAction::Status {
        code: 429,
        retry_after_secs: Some(1),
    };
    sim.faults()
        .add(FaultRule::new("/desaccess/api/job/status", busy).times(1));
    let mut waits = Vec::new();
    let ended = desk
        .follow_job(&job, &quick(), &CancellationToken::new(), |event| {
            if let FollowEvent::Trouble { retry_in, .. } = event {
                waits.push(retry_in);
            }
        })
        .await
        .unwrap();
    assert_eq!(
        ended.status,
        JobStatus::Success,
        "a finished job ends the follow at once"
    );
    assert_eq!(waits, [Duration::from_secs(1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_job_and_a_cancelled_follow_end_with_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, desk, job) = setup(dir.path(), "0123456789abcdef0123456789abcdef").await;
    let err = follow(&desk, &job).await.1.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound, "{}", err.message);

    let running = JobRef {
        job: demo::RUNNING_CUTOUT_JOB_ID.into(),
        ..job
    };
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.cancel();
    });
    let err = desk
        .follow_job(&running, &quick(), &cancel, |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Cancelled, "{}", err.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_result_is_no_job_to_wait_for() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let desk = common::desk(dir.path(), Registry::builtin());
    let mast = ProviderId::new("mast").unwrap();
    let base = [(BASE.to_string(), sim.mast_url())].into();
    let account = desk.add_account(&mast, base, false).await.unwrap().account;
    let observation = JobRef {
        account: account.id,
        job: "any".into(),
    };
    let err = follow(&desk, &observation).await.1.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput, "{}", err.message);
    assert!(err.message.contains("MAST"), "{}", err.message);
}
