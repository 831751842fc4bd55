//! A queue written by the previous release (`fixtures/queue-2b79fbe.sql`, a `jobfetch get` killed
//! mid-batch) opens with today's engine, is migrated, and its unfinished batch finishes on the simulator.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jobfetch_engine::ids::ProviderId;
use jobfetch_engine::providers::nginx_listing;
use jobfetch_engine::transfer::model::{AuthPolicy, BatchOrigin, OriginScope};
use jobfetch_engine::transfer::plan::{self, NewBatch};
use jobfetch_engine::transfer::{BatchState, ItemState, TransferConfig, Transfers};
use jobfetch_engine::ErrorCode;
use jobfetch_sim::{demo, Sim, SimConfig};

/// The old release's queue, with `{{FILES}}` for the file server and `{{OUT}}` for the `--out` folder.
const FIXTURE: &str = include_str!("fixtures/queue-2b79fbe.sql");
/// The schema version this build writes.
const LATEST: usize = 2;
/// The job the old run was downloading, and its batch in the queue.
const JOB: &str = demo::SEED_TREE_JOB_ID;
const BATCH: i64 = 1;

/// A fresh state folder holding the old queue, pointed at `sim` and at `<dir>/out`.
struct OldQueue {
    db: PathBuf,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl OldQueue {
    fn new(sim: &Sim) -> OldQueue {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let db = dir.path().join("state").join("transfers.sqlite");
        std::fs::create_dir_all(db.parent().unwrap()).unwrap();
        let sql = FIXTURE
            .replace("{{FILES}}", &sim.desaccess_files_url())
            .replace("{{OUT}}", out.to_str().unwrap());
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch(&sql)
            .unwrap();
        OldQueue { db, out, _dir: dir }
    }

    fn user_version(&self) -> usize {
        rusqlite::Connection::open(&self.db)
            .unwrap()
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap()
    }

    fn open(&self) -> Arc<Transfers> {
        Transfers::open(&self.db, TransferConfig::default()).unwrap()
    }
}

fn folder_url(sim: &Sim) -> String {
    format!(
        "{}/{}/cutout/{JOB}/",
        sim.desaccess_files_url(),
        demo::USERNAME
    )
}

/// Every file of the batch is in its folder with the simulator's bytes, and no `.part` is left.
async fn assert_all_whole(sim: &Sim, transfers: &Transfers, root: &Path) {
    let items = transfers.items(BATCH).unwrap();
    assert_eq!(items.len(), 10, "the job's ten files");
    let client = reqwest::Client::new();
    for item in &items {
        let url = format!("{}/{}", folder_url(sim).trim_end_matches('/'), item.dest);
        let served = client
            .get(&url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let local = std::fs::read(root.join(&item.dest))
            .unwrap_or_else(|err| panic!("{}: {err}", item.dest));
        assert!(
            local == served,
            "{} differs from the simulator's",
            item.dest
        );
    }
    let mut parts = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.to_string_lossy().ends_with(".part") {
                parts.push(path);
            }
        }
    }
    assert_eq!(parts, Vec::<PathBuf>::new(), "partial files left");
}

/// Bytes the simulator sent per file-server path, since it started.
async fn bytes_sent(sim: &Sim) -> serde_json::Map<String, serde_json::Value> {
    let stats: serde_json::Value = reqwest::get(format!("{}/_sim/stats", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stats["bytes_sent"].as_object().cloned().unwrap_or_default()
}

async fn wait(transfers: &Transfers) -> BatchState {
    tokio::time::timeout(Duration::from_secs(60), transfers.wait(BATCH))
        .await
        .expect("the batch finishes within a minute")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_previous_releases_queue_opens_and_the_same_get_finishes_its_batch() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let old = OldQueue::new(&sim);
    assert_eq!(old.user_version(), 0, "the old release kept no version");

    let transfers = old.open();
    assert_eq!(old.user_version(), LATEST);
    let snapshots = transfers.snapshots().unwrap();
    assert_eq!(snapshots.len(), 1);
    assert_eq!(snapshots[0].id, BATCH);
    assert_eq!(snapshots[0].origin, None, "old batches have no origin");
    assert_eq!(snapshots[0].state, BatchState::Running);
    assert_eq!((snapshots[0].files_done, snapshots[0].files_total), (5, 10));
    let row = transfers.batch(BATCH).unwrap();
    assert_eq!(row.archive, "DESaccess", "the old archive name is kept");
    assert_eq!(row.origin, None);
    assert!(
        transfers.is_interrupted(BATCH).unwrap(),
        "the old run was killed"
    );

    // `jobfetch get` with the same URL and folder continues the old batch: files it recorded as done
    // are checked again (they are not in this fresh folder, so they are fetched), the rest resumes.
    let origin = BatchOrigin {
        provider: ProviderId::new("desaccess").unwrap(),
        account: None,
        job: None,
        scope: OriginScope::Whole,
    };
    let folder = nginx_listing::normalize_folder_url(&folder_url(&sim)).unwrap();
    let new = NewBatch {
        name: JOB.into(),
        origin,
        key: folder.to_string(),
        root: old.out.join(JOB),
        continue_earlier: true,
    };
    let client = jobfetch_engine::http::client().unwrap();
    let listing = nginx_listing::plan_folder(client, folder, 4, AuthPolicy::Anonymous);
    let batch = plan::start(&transfers, new, listing).await.unwrap();
    assert_eq!(batch, BATCH, "no new batch: the old one continues");
    assert_eq!(wait(&transfers).await, BatchState::Done);
    assert_all_whole(&sim, &transfers, &old.out.join(JOB)).await;
    assert_eq!(
        transfers.batch(BATCH).unwrap().origin,
        None,
        "a continued batch keeps what it had"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_restart_continues_the_old_batchs_unfinished_files() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let old = OldQueue::new(&sim);
    let transfers = old.open();
    let done_before: Vec<String> = transfers
        .items(BATCH)
        .unwrap()
        .into_iter()
        .filter(|item| item.state == ItemState::Done)
        .map(|item| item.dest)
        .collect();
    assert_eq!(done_before.len(), 5);

    // What the app does when it starts: run every batch that was running.
    assert_eq!(transfers.resume_interrupted().unwrap(), vec![BATCH]);
    assert_eq!(wait(&transfers).await, BatchState::Done);
    let sent = bytes_sent(&sim).await;
    let root = old.out.join(JOB);
    for item in transfers.items(BATCH).unwrap() {
        let path = format!(
            "/files-desaccess/{}/cutout/{JOB}/{}",
            demo::USERNAME,
            item.dest
        );
        if done_before.contains(&item.dest) {
            assert!(!sent.contains_key(&path), "{} fetched again", item.dest);
        } else {
            assert_eq!(item.state, ItemState::Done, "{}", item.dest);
            assert_eq!(
                std::fs::metadata(root.join(&item.dest)).unwrap().len(),
                item.size.unwrap(),
                "{}",
                item.dest
            );
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn opening_the_queue_again_changes_nothing() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let old = OldQueue::new(&sim);
    drop(old.open());
    let schema = |db: &Path| -> Vec<String> {
        let db = rusqlite::Connection::open(db).unwrap();
        let mut query = db
            .prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
            .unwrap();
        let rows = query.query_map([], |row| row.get(0)).unwrap();
        rows.collect::<rusqlite::Result<_>>().unwrap()
    };
    let once = schema(&old.db);
    assert!(
        once.iter()
            .any(|sql| sql.contains("origin TEXT") && sql.contains("batches")),
        "{once:?}"
    );
    drop(old.open());
    assert_eq!(schema(&old.db), once);
    assert_eq!(old.user_version(), LATEST);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_queue_from_a_newer_jobfetch_is_refused_and_left_alone() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let old = OldQueue::new(&sim);
    rusqlite::Connection::open(&old.db)
        .unwrap()
        .pragma_update(None, "user_version", LATEST + 1)
        .unwrap();
    let before = std::fs::read(&old.db).unwrap();
    let err = match Transfers::open(&old.db, TransferConfig::default()) {
        Ok(_) => panic!("a newer queue was opened"),
        Err(err) => err,
    };
    assert_eq!(err.code, ErrorCode::Disk);
    assert!(
        err.message.contains("newer version of Jobfetch")
            && err.message.contains("Update Jobfetch"),
        "{}",
        err.message
    );
    assert_eq!(std::fs::read(&old.db).unwrap(), before, "the file changed");
    assert_eq!(old.user_version(), LATEST + 1);
    sim.shutdown().await;
}
