//! `jobfetch up42 jobs|tasks|get` as a user runs them: the real binary against the in-process sim's UP42,
//! credentials from the environment as up42-py's users keep them, and results unpacked safely.

mod common;

use std::path::{Path, PathBuf};

use common::Run;
use jobfetch_sim::up42::{
    DEMO_API_KEY, DEMO_PROJECT_ID, HOSTILE_JOB_ID, HOSTILE_TRAVERSAL_TASK_ID, PASSWORD,
    PROCESSING_JOB_ID, SUCCEEDED_JOB_ID, USERNAME,
};
use jobfetch_sim::{Sim, SimConfig};
use serde_json::Value;

const PROJECT_ENV: [(&str, &str); 3] = [
    ("JOBFETCH_NO_KEYRING", "1"),
    ("UP42_PROJECT_ID", DEMO_PROJECT_ID),
    ("UP42_PROJECT_API_KEY", DEMO_API_KEY),
];

async fn up42(state: &Path, env: &[(&str, &str)], sim: &Sim, words: &[&str]) -> Run {
    let mut args: Vec<String> = vec!["up42".into(), words[0].into()];
    args.extend(words[1..].iter().map(|w| w.to_string()));
    args.extend(["--api".to_string(), sim.up42_url()]);
    common::jobfetch(state, env, &args).await
}

fn job_folder(out: &Path, job: &str) -> PathBuf {
    out.join(format!("project_{DEMO_PROJECT_ID}"))
        .join(format!("job_{job}"))
}

/// Every file below `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_and_tasks_list_as_tables_and_as_up42_s_own_records() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let state = tempfile::tempdir().unwrap();
    let run = up42(state.path(), &PROJECT_ENV, &sim, &["jobs", "--json"]).await;
    run.assert_code(0);
    let jobs: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(jobs.len(), 24);
    assert!(jobs
        .iter()
        .all(|job| job["id"].is_string() && job["name"].is_string()));
    let spellings: Vec<&str> = jobs
        .iter()
        .filter_map(|job| job["status"].as_str())
        .collect();
    assert!(
        spellings.contains(&"NOT STARTED") && spellings.contains(&"NOT_STARTED"),
        "{spellings:?}"
    );

    let table = up42(state.path(), &PROJECT_ENV, &sim, &["jobs"]).await;
    table.assert_code(0);
    assert!(table.stdout.starts_with("id "), "{}", table.stdout);
    assert!(table.stdout.contains(SUCCEEDED_JOB_ID) && table.stdout.contains("SUCCEEDED"));

    let tasks = up42(
        state.path(),
        &PROJECT_ENV,
        &sim,
        &["tasks", SUCCEEDED_JOB_ID],
    )
    .await;
    tasks.assert_code(0);
    assert_eq!(
        tasks.stdout.lines().count(),
        4,
        "a header and three tasks: {}",
        tasks.stdout
    );
    let records = up42(
        state.path(),
        &PROJECT_ENV,
        &sim,
        &["tasks", SUCCEEDED_JOB_ID, "--json"],
    )
    .await;
    let records: Vec<Value> = serde_json::from_str(&records.stdout).unwrap();
    assert!(records.iter().all(|task| task["status"] == "SUCCEEDED"));

    // An account's processing jobs, with email and password from the environment.
    let account_env = [
        ("JOBFETCH_NO_KEYRING", "1"),
        ("UP42_USERNAME", USERNAME),
        ("UP42_PASSWORD", PASSWORD),
    ];
    let args = args(&[
        "up42",
        "jobs",
        "--json",
        "--api",
        &sim.up42_api_v2_url(),
        "--auth",
        &sim.up42_auth_url(),
    ]);
    let processing = common::jobfetch(state.path(), &account_env, &args).await;
    processing.assert_code(0);
    let jobs: Vec<Value> = serde_json::from_str(&processing.stdout).unwrap();
    let job = jobs
        .iter()
        .find(|job| job["id"] == PROCESSING_JOB_ID)
        .unwrap();
    assert_eq!(
        (job["jobID"].as_str(), job["status"].as_str()),
        (Some(PROCESSING_JOB_ID), Some("captured"))
    );
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_fetches_results_quicklooks_and_footprints_unpacks_them_and_continues_when_run_again() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (state, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out_arg = out.path().display().to_string();
    let get = [
        "get",
        SUCCEEDED_JOB_ID,
        "--quicklooks",
        "--footprints",
        "--extract",
        "--remove-archive",
        "--quiet",
        "--out",
        &out_arg,
    ];
    let run = up42(state.path(), &PROJECT_ENV, &sim, &get).await;
    run.assert_code(0);
    let folder = job_folder(out.path(), SUCCEEDED_JOB_ID);
    let got = files(&folder);
    let tasks: Vec<&String> = got.iter().filter(|f| f.ends_with("/data.json")).collect();
    assert_eq!(tasks.len(), 3, "{got:?}");
    // Only the data block's task has quicklooks: one per scene.
    assert_eq!(
        got.iter().filter(|f| f.contains("/quicklook_")).count(),
        2,
        "{got:?}"
    );
    assert!(
        got.iter().filter(|f| f.ends_with(".tif")).count() >= 6,
        "unpacked scenes: {got:?}"
    );
    assert!(
        !got.iter().any(|f| f.ends_with("results.tar.gz")),
        "archives removed: {got:?}"
    );
    assert!(
        !got.iter()
            .any(|f| f.starts_with("output/") || f.contains("/output/")),
        "{got:?}"
    );
    assert!(run.stderr.contains("unpacked"), "{}", run.stderr);

    // Without --remove-archive a second run finds the files there and fetches nothing.
    let keep = ["get", SUCCEEDED_JOB_ID, "--quiet", "--out", &out_arg];
    up42(state.path(), &PROJECT_ENV, &sim, &keep)
        .await
        .assert_code(0);
    let again = up42(state.path(), &PROJECT_ENV, &sim, &keep).await;
    again.assert_code(0);
    let said = format!("{}{}", again.stdout, again.stderr);
    assert!(
        said.contains("0 file(s) fetched") && said.contains("3 already present"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_archive_is_refused_by_member_and_missing_credentials_say_how_to_give_them() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (state, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out_arg = out.path().display().to_string();
    let get = [
        "get",
        HOSTILE_JOB_ID,
        "--task",
        HOSTILE_TRAVERSAL_TASK_ID,
        "--extract",
        "--quiet",
        "--out",
        &out_arg,
    ];
    let run = up42(state.path(), &PROJECT_ENV, &sim, &get).await;
    run.assert_code(2);
    assert!(
        run.stderr.contains("\"output/../../escaped.txt\""),
        "{}",
        run.stderr
    );
    assert!(!out.path().join("escaped.txt").exists());
    assert!(files(out.path()).iter().all(|f| !f.contains("escaped")));

    let no_task = [
        "get",
        SUCCEEDED_JOB_ID,
        "--task",
        "not-a-task",
        "--out",
        &out_arg,
    ];
    let missing = up42(state.path(), &PROJECT_ENV, &sim, &no_task).await;
    missing.assert_code(2);
    assert!(
        missing.stderr.contains("has no task not-a-task"),
        "{}",
        missing.stderr
    );

    let nobody = up42(
        state.path(),
        &[("JOBFETCH_NO_KEYRING", "1")],
        &sim,
        &["jobs"],
    )
    .await;
    nobody.assert_code(2);
    assert!(
        nobody.stderr.contains("UP42_PROJECT_API_KEY"),
        "{}",
        nobody.stderr
    );
    let wrong = [
        ("JOBFETCH_NO_KEYRING", "1"),
        ("UP42_PROJECT_ID", DEMO_PROJECT_ID),
        ("UP42_PROJECT_API_KEY", "wrong"),
    ];
    let refused = up42(state.path(), &wrong, &sim, &["jobs"]).await;
    refused.assert_code(2);
    assert!(
        refused
            .stderr
            .contains("refused the project id and API key"),
        "{}",
        refused.stderr
    );
}
