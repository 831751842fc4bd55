//! `jobfetch-sim` as a process: its first stdout line describes each archive, and a client can sign in with it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use jobfetch_sim::demo;
use serde_json::Value;

/// A `jobfetch-sim` process, killed when dropped.
struct SimProcess {
    child: Child,
    /// The first line it printed, parsed.
    description: Value,
}

impl SimProcess {
    /// Starts the binary on a free port, reads its first stdout line and closes the pipe, as a client that
    /// wants only the description does: the sim must keep serving.
    fn start() -> SimProcess {
        SimProcess::start_with(&[])
    }

    /// As [`SimProcess::start`], with more command-line arguments.
    fn start_with(args: &[&str]) -> SimProcess {
        let child = Command::new(env!("CARGO_BIN_EXE_jobfetch-sim"))
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("jobfetch-sim starts");
        let mut sim = SimProcess {
            child,
            description: Value::Null,
        };
        let mut first = String::new();
        BufReader::new(sim.child.stdout.take().unwrap())
            .read_line(&mut first)
            .expect("jobfetch-sim prints a line");
        sim.description = serde_json::from_str(&first)
            .unwrap_or_else(|err| panic!("the first line is not JSON ({err}): {first:?}"));
        sim
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Signs in with the described DESaccess account against the described API, returning the token.
async fn sign_in(desaccess: &Value) -> String {
    let text = |key: &str| {
        desaccess[key]
            .as_str()
            .unwrap_or_else(|| panic!("no {key} in {desaccess}"))
            .to_owned()
    };
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let reply: Value = client
        .post(format!("{}/login", text("api")))
        .form(&[
            ("username", text("username")),
            ("password", text("password")),
            ("database", text("database")),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["status"], "ok", "{reply}");
    reply["token"].as_str().expect("a token").to_owned()
}

#[tokio::test]
async fn the_first_line_describes_desaccess_and_its_account_signs_in() {
    let sim = SimProcess::start();
    let desaccess = &sim.description["desaccess"];
    let (api, files) = (
        desaccess["api"].as_str().unwrap(),
        desaccess["files"].as_str().unwrap(),
    );
    assert!(
        api.starts_with("http://127.0.0.1:") && api.ends_with("/desaccess/api"),
        "{api}"
    );
    assert!(files.ends_with("/files-desaccess"), "{files}");
    assert!(!sign_in(desaccess).await.is_empty());
}

#[tokio::test]
async fn the_first_line_describes_mast_and_its_token_signs_in() {
    let sim = SimProcess::start();
    let mast = &sim.description["mast"];
    let base = mast["base"].as_str().unwrap();
    assert!(
        base.starts_with("http://127.0.0.1:") && !base.ends_with('/'),
        "{base}"
    );
    assert_ne!(
        base, sim.description["desaccess"]["api"],
        "a port of its own"
    );
    assert_eq!(mast["collection"], "HST");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let me: Value = client
        .get(format!("{base}/whoami"))
        .header(
            "cookie",
            format!("mast_token={}", mast["token"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["anon"], false, "{me}");
}

#[tokio::test]
async fn two_sims_run_side_by_side() {
    let (one, two) = (SimProcess::start(), SimProcess::start());
    let (a, b) = (&one.description["desaccess"], &two.description["desaccess"]);
    assert_ne!(a["api"], b["api"], "two sims, two ports");
    sign_in(a).await;
    sign_in(b).await;
}

#[test]
fn the_first_line_says_when_the_running_demo_jobs_end() {
    let live = |sim: &SimProcess| -> Vec<(String, u64)> {
        let jobs = sim.description["desaccess"]["live_jobs"]
            .as_array()
            .unwrap()
            .clone();
        jobs.iter()
            .map(|job| {
                (
                    job["id"].as_str().unwrap().to_owned(),
                    job["ends_after_ms"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let default = live(&SimProcess::start());
    assert_eq!(default[0], (demo::LIVE_CUTOUT_JOB_ID.to_owned(), 30_000));
    let soon = live(&SimProcess::start_with(&["--live-jobs-end-after", "2"]));
    assert_eq!(soon.len(), 3);
    assert!(soon.iter().all(|(_, after)| *after == 2000), "{soon:?}");
}
