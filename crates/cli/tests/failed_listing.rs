//! A download whose folder cannot be listed leaves nothing behind: no folder, no manifests, no batch.

use std::process::Command;

use jobfetch_sim::{Sim, SimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_that_cannot_be_listed_leaves_no_folder_and_no_batch() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (state, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let missing = format!(
        "{}/demo/cutout/0123456789abcdef0123456789abcdef/",
        sim.desaccess_files_url()
    );
    let run = |args: Vec<String>| {
        let state = state.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_jobfetch"))
                .args(args)
                .env("JOBFETCH_STATE_DIR", state)
                .output()
                .unwrap()
        })
    };
    let get = run(vec![
        "get".into(),
        missing,
        "--out".into(),
        out.path().display().to_string(),
        "--quiet".into(),
    ])
    .await
    .unwrap();
    assert_ne!(get.status.code(), Some(0));
    let left: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let status = run(vec!["status".into()]).await.unwrap();
    let listed = String::from_utf8_lossy(&status.stdout);
    assert!(
        !listed.contains("0123456789abcdef"),
        "a batch row remains: {listed}"
    );
}
