//! `jobfetch status` as a user reads it: one table whose columns line up whatever the states say.

use std::path::Path;
use std::process::{Command, Output};

use jobfetch_sim::{demo, FaultAction, FaultRule, Sim, SimConfig};

fn jobfetch(state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jobfetch"))
        .args(args)
        .env("JOBFETCH_STATE_DIR", state)
        .output()
        .expect("jobfetch runs")
}

/// Where each cell of a table line starts: cells are separated by two spaces or more, and hold at most
/// single spaces themselves (`done, with errors`, `1.2 MiB / 3.4 MiB`).
fn cell_starts(line: &str) -> Vec<usize> {
    let chars: Vec<char> = line.chars().collect();
    (0..chars.len())
        .filter(|&i| {
            chars[i] != ' ' && (i == 0 || (i >= 2 && chars[i - 1] == ' ' && chars[i - 2] == ' '))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_line_up_with_a_long_state() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (state, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let folder =
        |job_type: &str, id: &str| format!("{}/demo/{job_type}/{id}", sim.desaccess_files_url());
    let broken = format!(
        "/files-desaccess/demo/cutout/{}/BulkThumbs_20200706-152133.log",
        demo::SEED_TREE_JOB_ID
    );
    sim.faults().add(FaultRule::new(
        broken,
        FaultAction::Status {
            code: 404,
            retry_after_secs: None,
        },
    ));
    let (state_dir, out_dir, seed, query) = (
        state.path().to_owned(),
        out.path().to_str().unwrap().to_owned(),
        folder("cutout", demo::SEED_TREE_JOB_ID),
        folder("query", demo::QUERY_JOB_ID),
    );
    let status = tokio::task::spawn_blocking(move || {
        let failed = jobfetch(&state_dir, &["get", &seed, "--out", &out_dir, "--quiet"]);
        assert_eq!(failed.status.code(), Some(1), "one file fails");
        let whole = jobfetch(&state_dir, &["get", &query, "--out", &out_dir, "--quiet"]);
        assert!(whole.status.success(), "the query job downloads");
        jobfetch(&state_dir, &["status"])
    })
    .await
    .unwrap();
    assert!(status.status.success());
    let table = String::from_utf8(status.stdout).unwrap();
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.take_while(|line| !line.is_empty()).collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert!(
        rows.iter().any(|row| row.contains("Done with errors")),
        "{table}"
    );
    let columns = cell_starts(header);
    assert_eq!(columns.len(), 6, "{header}");
    for row in rows {
        assert_eq!(cell_starts(row), columns, "misaligned:\n{table}");
    }
}
