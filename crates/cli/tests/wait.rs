//! `jobfetch get --wait`: a running demo job is waited for (a line per change on stderr) and then
//! downloaded; a job that fails stops it with the archive's message; a finished job downloads at once.
//! Secrets come from the environment (no keyring), so these run anywhere.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{jobfetch, Run};
use jobfetch_sim::{demo, Sim, SimConfig};

const NO_KEYRING: (&str, &str) = ("JOBFETCH_NO_KEYRING", "1");
const PASSWORD: (&str, &str) = ("DESACCESS_PASSWORD", demo::PASSWORD);

/// A sim and a state folder with its demo DESaccess account added.
async fn setup() -> (Sim, tempfile::TempDir) {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let state = tempfile::tempdir().unwrap();
    let api_base = format!("api_base={}", sim.desaccess_api_url());
    let username = format!("username={}", demo::USERNAME);
    let add = [
        "account",
        "add",
        "desaccess",
        "--set",
        &api_base,
        "--set",
        &username,
    ];
    jobfetch(state.path(), &[NO_KEYRING, PASSWORD], &add)
        .await
        .assert_code(0);
    (sim, state)
}

/// `jobfetch get JOB --wait --out OUT --quiet` and any `more` arguments.
async fn get_wait(state: &Path, job: &str, out: &Path, more: &[&str]) -> Run {
    let out = out.to_str().unwrap();
    let mut args = vec!["get", job, "--wait", "--out", out, "--quiet"];
    args.extend_from_slice(more);
    jobfetch(state, &[NO_KEYRING, PASSWORD], &args).await
}

/// The lines `--wait` printed for the job's changes, without their times.
fn changes(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter_map(|line| {
            line.strip_prefix('[')?
                .split_once("] ")
                .map(|(_, rest)| rest)
        })
        .collect()
}

/// Makes the running demo job `job` end in `secs` seconds and runs `get JOB --wait` into `out`.
async fn wait_for_ending(job: &str, secs: u64, out: &Path) -> Run {
    let (sim, state) = setup().await;
    sim.end_job_in(job, Duration::from_secs(secs)).unwrap();
    get_wait(state.path(), job, out, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_job_is_waited_for_then_downloaded() {
    let out = tempfile::tempdir().unwrap();
    let run = wait_for_ending(demo::LIVE_CUTOUT_JOB_ID, 2, out.path()).await;
    run.assert_code(0);
    assert_eq!(
        changes(&run),
        ["transient-hosts: running", "transient-hosts: succeeded"],
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("15 file(s) fetched"), "{}", run.stderr);
    let job_dir = out.path().join(demo::LIVE_CUTOUT_JOB_ID);
    assert!(job_dir.join("summary.json").is_file());
    assert!(job_dir.join("MANIFEST.json").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_fails_ends_with_the_archives_message_and_nothing_downloaded() {
    let out = tempfile::tempdir().unwrap();
    let run = wait_for_ending(demo::LIVE_FAILING_JOB_ID, 1, out.path()).await;
    run.assert_code(2);
    let said = format!("wide-join: failed: {}", demo::LIVE_FAILING_MESSAGE);
    assert_eq!(changes(&run), ["wide-join: running", said.as_str()]);
    let last = run.stderr.lines().last().unwrap();
    assert!(
        last.starts_with("jobfetch: job wide-join") && last.contains(demo::LIVE_FAILING_MESSAGE),
        "{}",
        run.stderr
    );
    assert!(!out.path().join(demo::LIVE_FAILING_JOB_ID).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_job_downloads_at_once() {
    let ((_sim, state), out) = (setup().await, tempfile::tempdir().unwrap());
    let run = get_wait(state.path(), demo::SEED_TREE_JOB_ID, out.path(), &[]).await;
    run.assert_code(0);
    let name = format!("cutout-{}-demo: succeeded", demo::SEED_TREE_JOB_ID);
    assert_eq!(changes(&run), [name.as_str()]);
    assert!(run.stderr.contains("10 file(s) fetched"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_stops_at_the_timeout_and_needs_a_job_id() {
    let ((sim, state), out) = (setup().await, tempfile::tempdir().unwrap());
    let timeout = ["--wait-timeout", "1s"];
    let run = get_wait(
        state.path(),
        demo::RUNNING_CUTOUT_JOB_ID,
        out.path(),
        &timeout,
    )
    .await;
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("has not finished after 1s; run the same command again"),
        "{}",
        run.stderr
    );
    assert!(!out.path().join(demo::RUNNING_CUTOUT_JOB_ID).exists());

    let folder = format!(
        "{}/demo/cutout/{}/",
        sim.desaccess_files_url(),
        demo::SEED_TREE_JOB_ID
    );
    let run = get_wait(state.path(), &folder, out.path(), &[]).await;
    run.assert_code(2);
    assert!(
        run.stderr.contains("--wait works with a job id"),
        "{}",
        run.stderr
    );

    let timeout_alone = ["get", demo::SEED_TREE_JOB_ID, "--wait-timeout", "1m"];
    let run = jobfetch(state.path(), &[NO_KEYRING, PASSWORD], &timeout_alone).await;
    run.assert_code(2);
    assert!(run.stderr.contains("--wait"), "{}", run.stderr);
}
