//! `jobfetch get` given something that cannot work: each answer says what is wrong and what to do next,
//! and never advises running the same command again when that cannot help.

use std::path::Path;
use std::process::{Command, Output};

use jobfetch_sim::{Sim, SimConfig};

/// What `jobfetch get SOURCE --out OUT --quiet` said, with a download queue of its own.
struct Run {
    code: Option<i32>,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// One download queue for the whole test run, outside every test's output folder.
static STATE_DIR: std::sync::LazyLock<tempfile::TempDir> =
    std::sync::LazyLock::new(|| tempfile::tempdir().unwrap());

/// Runs `jobfetch get` off the runtime, so the in-process simulator keeps serving meanwhile.
async fn get(source: &str, out: &Path) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jobfetch"));
    command
        .args(["get", source, "--quiet", "--out"])
        .arg(out)
        .env("JOBFETCH_STATE_DIR", STATE_DIR.path());
    tokio::task::spawn_blocking(move || command.output().expect("jobfetch runs").into())
        .await
        .unwrap()
}

/// Checks that `said` contains every one of `phrases`, and none of `never`.
fn says(run: &Run, phrases: &[&str], never: &[&str]) {
    for phrase in phrases {
        assert!(
            run.stderr.contains(phrase),
            "no {phrase:?} in:\n{}",
            run.stderr
        );
    }
    for phrase in never {
        assert!(
            !run.stderr.contains(phrase),
            "{phrase:?} in:\n{}",
            run.stderr
        );
    }
}

/// Advice that misleads when the failure is not a passing one.
const RUN_AGAIN: [&str; 2] = ["run the same command again", "try again"];

#[tokio::test]
async fn a_host_that_does_not_resolve_says_so() {
    let out = tempfile::tempdir().unwrap();
    let url =
        "http://no-such-host.invalid/files-desaccess/demo/cutout/c39008aa52f54b9e94335b566743af0c/";
    let run = get(url, out.path()).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    says(
        &run,
        &[
            "no-such-host.invalid does not resolve",
            "typo",
            "retrying will not help",
        ],
        &RUN_AGAIN,
    );
}

#[tokio::test]
async fn a_missing_job_folder_names_the_folder_given_and_no_json_url() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let folder = format!(
        "{}/demo/cutout/0123456789abcdef0123456789abcdef/",
        sim.desaccess_files_url()
    );
    let run = get(&folder, out.path()).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let not_found = format!("The folder {folder} was not found");
    says(
        &run,
        &[&not_found, "may have expired", "the address is wrong"],
        &[&RUN_AGAIN[..], &["/json"]].concat(),
    );
}
