//! `jobfetch account`, `jobs`, `outputs` and `get JOB`: the app's accounts and jobs from a terminal,
//! with the system keyring (tests run under scripts/with-keyring.sh) and without one.

mod common;

use std::path::Path;

use common::jobfetch;
use jobfetch_sim::{demo, Sim, SimConfig};
use serde_json::Value;

async fn sim() -> Sim {
    Sim::start(SimConfig::default()).await.unwrap()
}

fn add_args(sim: &Sim) -> Vec<String> {
    vec![
        "account".into(),
        "add".into(),
        "desaccess".into(),
        "--set".into(),
        format!("api_base={}", sim.desaccess_api_url()),
        "--set".into(),
        format!("username={}", demo::USERNAME),
    ]
}

/// Every file below `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy();
                found.push(rel.into_owned());
            }
        }
    }
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_keyring_an_account_is_added_once_and_used_by_id() {
    let (sim, state, out) = (
        sim().await,
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let add = add_args(&sim);
    let add: Vec<&str> = add.iter().map(String::as_str).collect();
    let run = jobfetch(
        state.path(),
        &[("DESACCESS_PASSWORD", demo::PASSWORD)],
        &add,
    )
    .await;
    run.assert_code(0);
    assert!(run.stderr.contains("$DESACCESS_PASSWORD"), "{}", run.stderr);
    let accounts = std::fs::read_to_string(state.path().join("accounts.json")).unwrap();
    assert!(
        !accounts.contains(demo::PASSWORD),
        "the password is in accounts.json"
    );

    // No password given from now on: the keyring has it.
    let run = jobfetch(state.path(), &[], &["jobs", "--json"]).await;
    run.assert_code(0);
    let jobs: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(jobs.len(), demo::JOB_COUNT);
    let run = jobfetch(state.path(), &[], &["jobs"]).await;
    run.assert_code(0);
    assert!(run.stdout.contains("succeeded") && run.stdout.contains(demo::SEED_TREE_JOB_ID));

    let run = jobfetch(
        state.path(),
        &[],
        &["outputs", demo::SEED_TREE_JOB_ID, "--json"],
    )
    .await;
    run.assert_code(0);
    let tree: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(tree["fileCount"], 10);

    let out_dir = out.path().to_str().unwrap();
    let select = [
        "get",
        demo::SEED_TREE_JOB_ID,
        "--select",
        "*.fits",
        "--out",
        out_dir,
        "--quiet",
    ];
    jobfetch(state.path(), &[], &select).await.assert_code(0);
    let fetched = files(&out.path().join(demo::SEED_TREE_JOB_ID));
    let fits: Vec<&String> = fetched.iter().filter(|f| f.ends_with(".fits")).collect();
    assert_eq!(fits.len(), 4, "{fetched:?}");
    assert!(
        fetched
            .iter()
            .all(|f| f.ends_with(".fits") || f.contains("MANIFEST") || f.ends_with(".csv")),
        "{fetched:?}"
    );

    let whole = ["get", demo::SEED_TREE_JOB_ID, "--out", out_dir, "--quiet"];
    jobfetch(state.path(), &[], &whole).await.assert_code(0);
    let fetched = files(&out.path().join(demo::SEED_TREE_JOB_ID));
    assert_eq!(
        fetched
            .iter()
            .filter(|f| !f.contains("MANIFEST") && !f.starts_with("manifest"))
            .count(),
        10,
        "{fetched:?}"
    );

    let run = jobfetch(state.path(), &[], &["account", "list"]).await;
    run.assert_code(0);
    let id = format!(
        "desaccess:demo@{}",
        sim.desaccess_api_url().trim_start_matches("http://")
    );
    assert!(run.stdout.contains(&format!("* {id}")), "{}", run.stdout);

    jobfetch(state.path(), &[], &["account", "remove", &id])
        .await
        .assert_code(0);
    let run = jobfetch(state.path(), &[], &["jobs"]).await;
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("jobfetch account add"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keyring_the_password_comes_from_the_environment_and_is_never_kept() {
    let (sim, state) = (sim().await, tempfile::tempdir().unwrap());
    let no_keyring = ("JOBFETCH_NO_KEYRING", "1");
    let add = add_args(&sim);
    let add: Vec<&str> = add.iter().map(String::as_str).collect();
    let run = jobfetch(
        state.path(),
        &[no_keyring, ("DESACCESS_PASSWORD", demo::PASSWORD)],
        &add,
    )
    .await;
    run.assert_code(0);
    assert!(run.stderr.contains("no system keyring"), "{}", run.stderr);
    assert!(run.stderr.contains("never kept"), "{}", run.stderr);

    let run = jobfetch(
        state.path(),
        &[no_keyring, ("DESACCESS_PASSWORD", demo::PASSWORD)],
        &["jobs", "--json"],
    )
    .await;
    run.assert_code(0);
    let run = jobfetch(state.path(), &[no_keyring], &["jobs"]).await;
    assert_eq!(run.code, Some(2), "{}", run.stdout);
    for file in files(state.path()) {
        let bytes = std::fs::read(state.path().join(&file)).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(demo::PASSWORD),
            "the password is in {file}"
        );
    }
}

#[tokio::test]
async fn a_job_id_without_an_account_says_how_to_add_one() {
    let state = tempfile::tempdir().unwrap();
    let run = jobfetch(
        state.path(),
        &[],
        &[
            "get",
            demo::SEED_TREE_JOB_ID,
            "--out",
            state.path().to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("jobfetch account add desaccess"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("job folder URL"), "{}", run.stderr);
}

#[test]
fn output_into_a_pipe_nobody_reads_ends_quietly_as_ls_does() {
    use std::process::{Command, Stdio};
    let state = tempfile::tempdir().unwrap();
    // The reader is gone before a line is written, as `head` is once it has read its lines.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let run = Command::new(env!("CARGO_BIN_EXE_jobfetch"))
        .args(["account", "archives"])
        .env("JOBFETCH_STATE_DIR", state.path())
        .env("JOBFETCH_NO_KEYRING", "1")
        .stdout(Stdio::from(writer))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(run.status.code(), Some(141), "{stderr}");
}
