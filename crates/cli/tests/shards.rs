//! `jobfetch plan`, then `jobfetch get --plan --shard i/N` side by side into one folder: every file
//! arrives once, a shard killed mid-run continues where it stopped, and `jobfetch status --plan` says
//! what is missing before and nothing after. Real processes against the simulator over loopback.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use jobfetch_engine::transfer::part_file::part_path;
use jobfetch_engine::transfer::plan_file::PlanFile;
use jobfetch_engine::transfer::shard::Shard;
use jobfetch_sim::{FaultAction, Sim, SimConfig};

mod common;
use common::Job;

/// `jobfetch ARGS` with its queue and accounts in `state`.
fn jobfetch(state: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jobfetch"));
    command
        .args(args)
        .env("JOBFETCH_STATE_DIR", state)
        .env("JOBFETCH_NO_KEYRING", "1");
    command
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Body bytes the simulator sent per file of `job`.
async fn sent(sim: &Sim, job: &Job) -> std::collections::HashMap<String, u64> {
    let stats: serde_json::Value = reqwest::get(format!("{}/_sim/stats", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    job.files
        .iter()
        .map(|(file, _)| {
            let path = format!("{}{file}", job.prefix);
            (
                file.clone(),
                stats["bytes_sent"][&path].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// `jobfetch plan URL --out OUT --save PLAN`, checked to succeed; the plan as read back.
fn plan(state: &Path, job: &Job, out: &Path, plan: &Path) -> PlanFile {
    let made = jobfetch(state, &["plan", &job.url, "--save"])
        .arg(plan)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made));
    let listed = String::from_utf8_lossy(&made.stdout);
    for (file, bytes) in &job.files {
        let line = format!("{}/{file}\t{}\t", job.name, bytes.len());
        assert!(listed.contains(&line), "{line:?} is not listed:\n{listed}");
    }
    PlanFile::read(plan).unwrap()
}

fn shard(state: &Path, plan: &Path, shard: &str) -> Command {
    let mut command = jobfetch(
        state,
        &["get", "--quiet", "-j", "2", "--shard", shard, "--plan"],
    );
    command.arg(plan);
    command
}

fn status(state: &Path, plan: &Path) -> Output {
    jobfetch(state, &["status", "--plan"])
        .arg(plan)
        .output()
        .unwrap()
}

/// A process killed if the test fails before it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_shards_side_by_side_fetch_every_file_once_and_status_says_what_is_missing() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let sizes: Vec<(String, usize)> = (0..31)
        .map(|i| {
            (
                format!("f{i:02}.fits"),
                [0, 10, 3_000, 70_000, 400_000][i % 5] + i,
            )
        })
        .collect();
    let sizes: Vec<(&str, usize)> = sizes.iter().map(|(f, n)| (f.as_str(), *n)).collect();
    let job = Job::new(&sim, "sharded", &sizes);
    let (state, out, dir) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let plan_path = dir.path().join("plan.json");
    let plan_file = plan(state.path(), &job, out.path(), &plan_path);
    assert_eq!(plan_file.items.len(), 31);
    assert!(
        !out.path().join(&job.name).exists(),
        "planning downloads nothing"
    );

    let before = status(state.path(), &plan_path);
    assert_eq!(before.status.code(), Some(1), "{}", text(&before));
    let said = String::from_utf8_lossy(&before.stdout);
    assert!(
        said.contains("No shard has run yet") && said.contains("31 missing"),
        "{said}"
    );

    let without_plan = jobfetch(state.path(), &["get", &job.url, "--shard", "0/3"])
        .output()
        .unwrap();
    assert_eq!(
        without_plan.status.code(),
        Some(2),
        "{}",
        text(&without_plan)
    );
    assert!(
        text(&without_plan).contains("needs --plan"),
        "{}",
        text(&without_plan)
    );

    let running: Vec<Running> = (0..3)
        .map(|i| {
            Running(
                shard(state.path(), &plan_path, &format!("{i}/3"))
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    for mut run in running {
        let status = run.0.wait().unwrap();
        assert!(status.success(), "a shard failed: {status:?}");
    }
    job.assert_all_whole(&out.path().join(&job.name));
    for (file, bytes) in sent(&sim, &job).await {
        assert_eq!(
            bytes,
            job.bytes(&file).len() as u64,
            "{file} was sent other than once"
        );
    }

    let after = status(state.path(), &plan_path);
    assert_eq!(after.status.code(), Some(0), "{}", text(&after));
    let said = String::from_utf8_lossy(&after.stdout);
    assert!(
        said.contains("Nothing is missing") && said.contains("31 of 31"),
        "{said}"
    );
    for i in 0..3 {
        let line = said
            .lines()
            .find(|l| l.starts_with(&format!("{i}/3 ")))
            .unwrap_or_default();
        assert!(line.contains("Done"), "shard {i}/3: {line:?} in\n{said}");
    }
    let combined = plan_file.state_dir().join("MANIFEST.json");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(combined).unwrap()).unwrap();
    assert_eq!(manifest["totals"]["retrieved"], 31);
    assert!(
        !out.path().join(&job.name).join("MANIFEST.json").exists(),
        "shards keep their manifests in their own folders, not among the files"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_shard_run_again_continues_where_it_stopped() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut sizes = vec![("big.bin", 4_000_000)];
    let small: Vec<String> = (0..9).map(|i| format!("s{i}.fits")).collect();
    sizes.extend(small.iter().map(|s| (s.as_str(), 30_000)));
    let job = Job::new(&sim, "killed", &sizes);
    let (state, out, dir) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let plan_path = dir.path().join("plan.json");
    let plan_file = plan(state.path(), &job, out.path(), &plan_path);
    let big_shard = (0..2)
        .map(|i| Shard::new(i, 2).unwrap())
        .find(|s| {
            plan_file
                .shard_items(*s)
                .iter()
                .any(|i| i.dest.ends_with("big.bin"))
        })
        .unwrap();
    // Small files come slowly; big.bin stops after 1.5 MB until the kill.
    sim.faults()
        .add(job.fault("s", FaultAction::Latency { ms: 200 }));
    let stall = FaultAction::StallAfter {
        bytes: 1_500_000,
        secs: 3600,
    };
    sim.faults().add(job.fault("big.bin", stall).times(1));
    let big_part = part_path(&out.path().join(&job.name).join("big.bin"));
    let mut first = Running(
        shard(state.path(), &plan_path, &big_shard.to_string())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(&big_part).map_or(0, |m| m.len()) < 1_000_000 {
        assert!(Instant::now() < deadline, "big.bin never got under way");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Meanwhile the same shard may not run twice.
    let twice = shard(state.path(), &plan_path, &big_shard.to_string())
        .output()
        .unwrap();
    assert_eq!(twice.status.code(), Some(2), "{}", text(&twice));
    assert!(
        text(&twice).contains("fetching this shard"),
        "{}",
        text(&twice)
    );
    std::thread::sleep(Duration::from_millis(3_500)); // the shard's manifest is rewritten meanwhile
    first.0.kill().unwrap(); // SIGKILL
    first.0.wait().unwrap();
    let kept = std::fs::metadata(&big_part).unwrap().len();
    let sent_before = sent(&sim, &job).await;

    let between = status(state.path(), &plan_path);
    assert_eq!(between.status.code(), Some(1), "{}", text(&between));
    let said = String::from_utf8_lossy(&between.stdout);
    let line = said
        .lines()
        .find(|l| l.starts_with(&format!("{big_shard} ")))
        .unwrap_or_default();
    assert!(line.contains("Interrupted"), "{line:?} in\n{said}");
    assert!(
        said.contains("killed/big.bin"),
        "big.bin is missing: {said}"
    );

    let again = shard(state.path(), &plan_path, &big_shard.to_string())
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", text(&again));
    let other = Shard::new(1 - big_shard.index, 2).unwrap();
    let rest = shard(state.path(), &plan_path, &other.to_string())
        .output()
        .unwrap();
    assert!(rest.status.success(), "{}", text(&rest));
    job.assert_all_whole(&out.path().join(&job.name));
    let sent_after = sent(&sim, &job).await;
    assert_eq!(
        sent_after["big.bin"] - sent_before["big.bin"],
        4_000_000 - kept,
        "big.bin continued from the {kept} bytes of its .part"
    );
    for file in &small {
        if sent_before[file] == 30_000 {
            assert_eq!(
                sent_after[file], 30_000,
                "{file} was whole before the kill and was fetched again"
            );
        }
    }
    let done = status(state.path(), &plan_path);
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_is_fetched_only_into_its_own_folder() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let job = Job::new(&sim, "moved", &[("a.fits", 10)]);
    let (state, out, dir) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let plan_path = dir.path().join("plan.json");
    plan(state.path(), &job, out.path(), &plan_path);
    let elsewhere = jobfetch(state.path(), &["get", "--plan"])
        .arg(&plan_path)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(elsewhere.status.code(), Some(2), "{}", text(&elsewhere));
    assert!(
        text(&elsewhere).contains("--out cannot move it"),
        "{}",
        text(&elsewhere)
    );
    let mut moved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&plan_path).unwrap()).unwrap();
    moved["out"] = "/nonexistent-jobfetch-mount/out".into();
    std::fs::write(&plan_path, moved.to_string()).unwrap();
    let unreachable = jobfetch(state.path(), &["get", "--plan"])
        .arg(&plan_path)
        .output()
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(2), "{}", text(&unreachable));
    assert!(
        text(&unreachable).contains("does not exist on this machine"),
        "{}",
        text(&unreachable)
    );
    assert!(!Path::new("/nonexistent-jobfetch-mount").exists());
}
