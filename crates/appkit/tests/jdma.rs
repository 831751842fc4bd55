//! JDMA through the Desk as the app uses it: what a batch on storage offers, a GET of selected folders
//! into the default target followed through its stages, and the GET's files copied to this computer
//! as a selection, each checked against the digest JDMA published (a file changed after the GET wrote
//! it is refused by name).

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jobfetch_appkit::Desk;
use jobfetch_engine::catalog::{JobStatus, OutputKind, OutputNode, StepState};
use jobfetch_engine::ids::{AccountId, JobRef, ProviderId};
use jobfetch_engine::paths::SafeRelPath;
use jobfetch_engine::providers::jdma::{self, JdmaProvider};
use jobfetch_engine::providers::{FieldValues, Registry};
use jobfetch_engine::transfer::model::Source;
use jobfetch_engine::transfer::{BatchState, ItemState};
use jobfetch_engine::ErrorCode;
use jobfetch_sim::jdma::{JdmaConfig, DEMO_BATCH_ID, DEMO_USER};
use jobfetch_sim::{Sim, SimConfig};

/// A sim whose JDMA requests move a stage only when the test moves its clock a minute.
async fn start_sim() -> Sim {
    let config = SimConfig {
        jdma: JdmaConfig {
            stage_interval: Duration::from_secs(60),
            ..JdmaConfig::default()
        },
        ..SimConfig::default()
    };
    Sim::start(config).await.unwrap()
}

fn desk(dir: &Path) -> Desk {
    common::desk(dir, Registry::with(vec![Arc::new(JdmaProvider::new())]))
}

async fn sign_in(desk: &Desk, sim: &Sim) -> AccountId {
    let values: FieldValues = [
        (jdma::API.to_string(), sim.jdma_api_url()),
        (jdma::USER.to_string(), DEMO_USER.to_string()),
    ]
    .into();
    desk.add_account(&ProviderId::new("jdma").unwrap(), values, false)
        .await
        .unwrap()
        .account
        .id
}

fn job_ref(account: &AccountId, job: &str) -> JobRef {
    JobRef {
        account: account.clone(),
        job: job.to_string(),
    }
}

/// Every file below a tree node.
fn files(node: &OutputNode) -> Vec<&OutputNode> {
    match node.kind {
        OutputKind::Directory => node.children.iter().flat_map(files).collect(),
        _ => vec![node],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_on_storage_comes_back_in_part_and_its_files_copy_here_checked_by_digest() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim().await;
    let desk = desk(dir.path());
    let account = sign_in(&desk, &sim).await;
    let batch = job_ref(&account, &format!("batch-{DEMO_BATCH_ID}"));

    let offers = desk.offers(&batch).await.unwrap();
    assert!(
        offers.retrieve && offers.delete && !offers.download,
        "{offers:?}"
    );
    assert_eq!(
        desk.stages(&batch).await.unwrap(),
        None,
        "a batch has no stages"
    );
    let out = dir.path().join("downloads");
    let refused = desk.download(&batch, None, &out).await;
    let refused = match refused {
        Ok(id) => desk.transfers.wait(id).await.unwrap_err(),
        Err(error) => error,
    };
    assert!(refused.message.contains("GET"), "{refused}");

    // One of the batch's archives, by its folder in the tree, into the default target.
    let listed = desk.outputs(&batch, &out).await.unwrap();
    let folder = listed.tree.children[0].clone();
    assert_eq!(folder.kind, OutputKind::Directory);
    let target = desk.retrieval_target(&batch).await.unwrap();
    assert!(target.ends_with("_get"), "{target}");
    let get = desk
        .retrieve(&batch, std::slice::from_ref(&folder.path), &target)
        .await
        .unwrap();
    assert_eq!(get.job_type, "GET request");
    let get = job_ref(&account, &get.id);
    let pending = desk.offers(&get).await.unwrap();
    assert!(
        !pending.download && pending.download_when_finished,
        "{pending:?}"
    );
    let coming = desk.outputs(&get, &out).await.unwrap();
    assert_eq!(
        files(&coming.tree).len(),
        files(&folder).len(),
        "a pending GET lists what it brings back, not the whole batch"
    );
    assert!(files(&listed.tree).len() > files(&folder).len());
    let stages = desk.stages(&get).await.unwrap().expect("a GET has stages");
    assert!(!stages.ended);
    assert_eq!(stages.steps[0].state, StepState::Current, "{stages:?}");
    for _ in 0..10 {
        if desk.stages(&get).await.unwrap().unwrap().ended {
            break;
        }
        sim.advance_clock(Duration::from_secs(61));
    }
    let stages = desk.stages(&get).await.unwrap().unwrap();
    assert!(stages.ended && !stages.failed, "{stages:?}");
    assert!(stages.steps.iter().all(|s| s.state == StepState::Done));
    let done = desk.jobs(&account).await.unwrap();
    let done = done.iter().find(|job| job.id == get.job).unwrap();
    assert_eq!(done.status, JobStatus::Success);
    assert!(desk.offers(&get).await.unwrap().download);

    // What it brought back: that folder's files, with JDMA's digests.
    let brought = desk.outputs(&get, &out).await.unwrap();
    let brought_files = files(&brought.tree);
    assert_eq!(
        brought_files.len(),
        files(&folder).len(),
        "{:?}",
        brought.tree
    );
    assert!(brought_files.iter().all(|f| f.digest.is_some()));
    let mut paths: Vec<String> = brought_files.iter().map(|f| f.path.clone()).collect();
    paths.sort();
    let changed = &paths[0];
    let session = desk.session(&account).await.unwrap();
    let Source::LocalFile { path: written } = session
        .locate(&brought.job, &SafeRelPath::parse(changed).unwrap())
        .unwrap()
        .source
    else {
        panic!("the sim's GET writes on this computer");
    };
    // Changed after the GET wrote it, same size: only the digest can tell.
    let mut bytes = std::fs::read(&written).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(&written, &bytes).unwrap();

    let id = desk.download(&get, Some(&paths), &out).await.unwrap();
    assert_eq!(
        desk.transfers.wait(id).await.unwrap(),
        BatchState::DoneWithErrors
    );
    for item in desk.transfers.items(id).unwrap() {
        assert!(
            item.digest.is_some(),
            "a selection is checked too: {item:?}"
        );
        let copy = SafeRelPath::parse(&item.dest).unwrap().under(&brought.root);
        if &item.dest == changed {
            assert_eq!(item.state, ItemState::Failed, "{item:?}");
            let error = item.error.unwrap();
            assert_eq!(error.code, ErrorCode::Integrity, "{error:?}");
            assert!(!copy.exists(), "a file that fails its digest is not kept");
        } else {
            assert_eq!(item.state, ItemState::Done, "{item:?}");
            assert!(copy.is_file(), "{}", copy.display());
        }
    }
}
