//! `jobfetch jdma …` as a JASMIN user runs it: the real binary against the in-process sim's JDMA,
//! the user named by --user (no password), tables and JDMA's own records with --json, a GET
//! followed to the end and checked, a failed request's reason, and a delete that needs --force.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::Run;
use jobfetch_sim::jdma::{JdmaConfig, DEMO_BATCH_ID, DEMO_USER, ON_DISK_BATCH_ID};
use jobfetch_sim::{Sim, SimConfig};
use serde_json::Value;

const ENV: [(&str, &str); 1] = [("JOBFETCH_NO_KEYRING", "1")];

async fn start(stage_ms: u64) -> Sim {
    let config = SimConfig {
        jdma: JdmaConfig {
            stage_interval: Duration::from_millis(stage_ms),
            large_file_len: 2 << 20,
            workspace_root: None,
        },
        ..SimConfig::default()
    };
    Sim::start(config).await.unwrap()
}

async fn jdma(state: &Path, sim: &Sim, words: &[&str]) -> Run {
    let mut args: Vec<String> = vec!["jdma".into()];
    args.extend(words.iter().map(|w| w.to_string()));
    args.extend([
        "--api".to_string(),
        sim.jdma_api_url(),
        "--user".to_string(),
        DEMO_USER.to_string(),
    ]);
    common::jobfetch(state, &ENV, &args).await
}

fn restore(sim: &Sim, name: &str) -> PathBuf {
    Path::new(&sim.description().jdma.workspace_path)
        .join("users")
        .join(DEMO_USER)
        .join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_are_tables_or_jdma_s_own_records() {
    let sim = start(1500).await;
    let state = tempfile::tempdir().unwrap();

    let batches = jdma(state.path(), &sim, &["batches"]).await;
    batches.assert_code(0);
    assert!(batches.stdout.starts_with("batch "), "{}", batches.stdout);
    assert!(
        batches.stdout.contains("hadgem3_ssp585_daily") && batches.stdout.contains("ON_STORAGE")
    );
    let json = jdma(state.path(), &sim, &["batches", "--json"]).await;
    json.assert_code(0);
    let records: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    assert!(records
        .iter()
        .all(|r| r["migration_id"].is_u64() && r["stage"].is_u64()));

    let files = jdma(state.path(), &sim, &["files", "103", "--digest"]).await;
    files.assert_code(0);
    assert!(files.stdout.contains("ADLER32:0x"), "{}", files.stdout);
    let old = jdma(state.path(), &sim, &["files", "101", "--digest"]).await;
    assert!(old.stdout.contains("SHA256:"), "{}", old.stdout);
    let raw = jdma(state.path(), &sim, &["files", "103", "--json"]).await;
    let listing: Value = serde_json::from_str(&raw.stdout).unwrap();
    let file = &listing["migrations"][0]["archives"][0]["files"][0];
    assert!(
        file.get("pk ").is_some() && file.get("digest").is_none(),
        "{file}"
    );

    let requests = jdma(state.path(), &sim, &["requests", "--json"]).await;
    let records: Vec<Value> = serde_json::from_str(&requests.stdout).unwrap();
    assert!(records.iter().any(|r| r["request_id"] == 310));
    let failed = jdma(state.path(), &sim, &["request", "310"]).await;
    failed.assert_code(0);
    assert!(
        failed.stdout.contains("fail reason:") && failed.stdout.contains("CV4417"),
        "{}",
        failed.stdout
    );
    let table = jdma(state.path(), &sim, &["requests"]).await;
    assert!(
        table.stdout.contains("GET") && table.stdout.contains("FAILED"),
        "{}",
        table.stdout
    );

    let info = jdma(state.path(), &sim, &["info", "--json"]).await;
    let user: Value = serde_json::from_str(&info.stdout).unwrap();
    assert_eq!(user["name"], DEMO_USER);
    let storage = jdma(state.path(), &sim, &["storage"]).await;
    assert!(storage.stdout.contains("objectstore") && storage.stdout.contains("Elastic Tape"));
    let one = jdma(state.path(), &sim, &["batch", "103", "--json"]).await;
    let batch: Value = serde_json::from_str(&one.stdout).unwrap();
    assert!(batch["external_id"].is_string(), "{batch}");

    let missing = jdma(state.path(), &sim, &["batch", "9999"]).await;
    missing.assert_code(2);
    assert!(
        missing.stderr.contains("Batch not found"),
        "{}",
        missing.stderr
    );

    let relabel = jdma(state.path(), &sim, &["label", "103", "hadgem3_v2"]).await;
    relabel.assert_code(0);
    let relabelled = jdma(state.path(), &sim, &["batch", "103"]).await;
    assert!(
        relabelled.stdout.contains("hadgem3_v2"),
        "{}",
        relabelled.stdout
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_is_followed_through_its_stages_and_verified() {
    let sim = start(150).await;
    let state = tempfile::tempdir().unwrap();
    let target = restore(&sim, "restored");
    let run = jdma(
        state.path(),
        &sim,
        &[
            "get",
            "103",
            "--target",
            target.to_str().unwrap(),
            "--verify",
        ],
    )
    .await;
    run.assert_code(0);
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("request "))
        .collect();
    let names = [
        "GET_START",
        "GET_PENDING",
        "GETTING",
        "GET_UNPACKING",
        "GET_RESTORE",
        "GET_TIDY",
        "GET_COMPLETED",
    ];
    assert_eq!(lines.len(), names.len(), "{}", run.stdout);
    for (line, name) in lines.iter().zip(names) {
        assert!(line.contains(name), "{line}");
    }
    assert!(
        run.stdout.contains("All 7 file(s) of batch 103"),
        "{}",
        run.stdout
    );

    let early = jdma(
        state.path(),
        &sim,
        &[
            "get",
            &ON_DISK_BATCH_ID.to_string(),
            "--target",
            restore(&sim, "early").to_str().unwrap(),
        ],
    )
    .await;
    early.assert_code(2);
    assert!(early.stderr.contains("ON_STORAGE"), "{}", early.stderr);

    // A file changed after retrieval is named.
    let victim = std::fs::read_dir(target.join("fx"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&victim).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&victim, bytes).unwrap();
    let verify = jdma(
        state.path(),
        &sim,
        &[
            "verify",
            &DEMO_BATCH_ID.to_string(),
            "--target",
            target.to_str().unwrap(),
        ],
    )
    .await;
    verify.assert_code(2);
    let name = victim.file_name().unwrap().to_str().unwrap();
    assert!(
        verify
            .stdout
            .contains(&format!("WRONG    {}", victim.display())),
        "{}",
        verify.stdout
    );
    assert!(
        verify.stderr.contains(name) && verify.stderr.contains("digest"),
        "{}",
        verify.stderr
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_request_ends_with_its_reason_and_delete_needs_force() {
    let sim = start(60_000).await;
    let state = tempfile::tempdir().unwrap();
    let target = restore(&sim, "doomed");
    let made = jdma(
        state.path(),
        &sim,
        &["get", "103", "--target", target.to_str().unwrap()],
    )
    .await;
    made.assert_code(0);
    let id: u64 = made
        .stdout
        .split_whitespace()
        .nth(2)
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("{}", made.stdout));
    let failed = reqwest::Client::new()
        .post(format!("{}/_sim/jdma/requests/{id}/fail", sim.base_url()))
        .json(&serde_json::json!({"reason": "ET_GET: no tape drive free"}))
        .send()
        .await
        .unwrap();
    assert!(failed.status().is_success());
    let follow = jdma(
        state.path(),
        &sim,
        &["request", &id.to_string(), "--follow"],
    )
    .await;
    follow.assert_code(2);
    assert!(follow.stdout.contains("FAILED"), "{}", follow.stdout);
    assert!(
        follow.stderr.contains("ET_GET: no tape drive free"),
        "{}",
        follow.stderr
    );

    let refused = jdma(state.path(), &sim, &["delete", "101"]).await;
    refused.assert_code(2);
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    let requests = jdma(state.path(), &sim, &["requests", "--json"]).await;
    let records: Vec<Value> = serde_json::from_str(&requests.stdout).unwrap();
    assert!(
        !records
            .iter()
            .any(|r| r["request_type"] == 3 && r["migration_id"] == 101),
        "nothing was asked of JDMA"
    );
    let deleted = jdma(state.path(), &sim, &["delete", "101", "--force"]).await;
    deleted.assert_code(0);
    assert!(
        deleted.stdout.contains("DELETE of batch 101") && deleted.stdout.contains("DELETE_START"),
        "{}",
        deleted.stdout
    );
    let twice = jdma(state.path(), &sim, &["delete", "101", "--force"]).await;
    twice.assert_code(2);
    assert!(
        twice.stderr.contains("Duplicate DELETE"),
        "{}",
        twice.stderr
    );
    sim.shutdown().await;
}
