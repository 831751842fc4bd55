//! UP42 through the Desk against the sim, both flavours: sign-in with project or account credentials
//! (kept in the real keyring) and renewal after five minutes on a test clock, job paging to the end,
//! tasks, quicklooks and footprints, results through signed URLs that refuse the bearer token and are
//! signed again when they expire mid-batch, and hostile result tarballs refused by name on unpacking.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use jobfetch_appkit::Desk;
use jobfetch_engine::catalog::{JobStatus, OutputKind, OutputNode};
use jobfetch_engine::ids::{AccountId, JobRef, ProviderId};
use jobfetch_engine::providers::up42::{
    self, Up42Provider, FOOTPRINTS_FILE, QUICKLOOK_PREFIX, RESULTS_FILE, TASK_PREFIX,
};
use jobfetch_engine::providers::{FieldValues, Registry};
use jobfetch_engine::transfer::{BatchState, ItemState};
use jobfetch_engine::unpack::{unpack, UnpackOptions};
use jobfetch_engine::ErrorCode;
use jobfetch_sim::up42 as sim42;
use jobfetch_sim::{FaultAction, FaultRule, Sim, SimConfig};

/// A clock the test moves: the system's, plus an offset.
#[derive(Clone, Default)]
struct TestClock(Arc<Mutex<Duration>>);

impl TestClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
    fn provider(&self) -> Up42Provider {
        let offset = self.0.clone();
        Up42Provider::with_clock(Arc::new(move || {
            SystemTime::now() + *offset.lock().unwrap()
        }))
    }
}

fn desk(dir: &Path, clock: &TestClock) -> Desk {
    common::desk(dir, Registry::with(vec![Arc::new(clock.provider())]))
}

fn values(pairs: &[(&str, &str)]) -> FieldValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn up42_id() -> ProviderId {
    ProviderId::new("up42").unwrap()
}

async fn project_account(desk: &Desk, sim: &Sim) -> AccountId {
    desk.add_account(
        &up42_id(),
        values(&[
            (up42::API, &sim.up42_url()),
            (up42::PROJECT_ID, sim42::DEMO_PROJECT_ID),
            (up42::API_KEY, sim42::DEMO_API_KEY),
        ]),
        false,
    )
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

fn find<'a>(node: &'a OutputNode, name: &str) -> Option<&'a OutputNode> {
    node.children.iter().find(|child| child.name == name)
}

/// The account's current `Authorization` header for downloads.
async fn bearer(desk: &Desk, account: &AccountId) -> String {
    let session = desk.session(account).await.unwrap();
    let header = session.credentials().unwrap().authorization().unwrap();
    header.to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_lists_every_job_page_its_tasks_quicklooks_and_footprints_and_renews_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let clock = TestClock::default();
    let desk = desk(dir.path(), &clock);
    let account = project_account(&desk, &sim).await;
    assert_eq!(
        account.as_str(),
        format!(
            "up42:project-{}@{}",
            sim42::DEMO_PROJECT_ID,
            sim.up42_url().trim_start_matches("http://")
        )
    );

    let jobs = desk.jobs(&account).await.unwrap();
    assert_eq!(jobs.len(), 24, "every page, to the empty one");
    let status_of = |id: &str| jobs.iter().find(|job| job.id == id).unwrap().status;
    assert_eq!(status_of(sim42::NOT_STARTED_JOB_ID), JobStatus::Init);
    assert_eq!(
        status_of(sim42::NOT_STARTED_UNDERSCORE_JOB_ID),
        JobStatus::Init
    );
    assert_eq!(status_of(sim42::RUNNING_JOB_ID), JobStatus::Started);
    assert_eq!(status_of(sim42::SUCCEEDED_JOB_ID), JobStatus::Success);
    let cancelled = jobs
        .iter()
        .find(|j| j.id == sim42::CANCELLED_JOB_ID)
        .unwrap();
    assert_eq!(
        (cancelled.status, cancelled.status_message.as_str()),
        (JobStatus::Failure, "CANCELLED")
    );

    let out = dir.path().join("downloads");
    let listed = desk
        .outputs(&job_ref(&account, sim42::SUCCEEDED_JOB_ID), &out)
        .await
        .unwrap();
    assert_eq!(
        listed.root,
        out.join(format!("project_{}", sim42::DEMO_PROJECT_ID))
            .join(format!("job_{}", sim42::SUCCEEDED_JOB_ID))
    );
    assert_eq!(listed.tree.children.len(), 3, "three tasks");
    let mut titles: Vec<_> = listed
        .tree
        .children
        .iter()
        .map(|task| task.title.as_deref().unwrap_or("no title"))
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        [
            "NDVI",
            "Pansharpening SPOT/Pléiades",
            "Pléiades Display (AOI clipped)"
        ],
        "each task folder says which block it ran"
    );
    let first = &listed.tree.children[0];
    assert!(first.name.starts_with(TASK_PREFIX));
    assert_eq!(find(first, RESULTS_FILE).unwrap().kind, OutputKind::Tar);
    assert_eq!(
        find(first, FOOTPRINTS_FILE).unwrap().kind,
        OutputKind::GeoJson
    );
    let quicklooks: Vec<&OutputNode> = first
        .children
        .iter()
        .filter(|c| c.name.starts_with(QUICKLOOK_PREFIX))
        .collect();
    assert_eq!(quicklooks.len(), 2, "{first:?}");
    assert!(quicklooks.iter().all(|q| q.kind == OutputKind::Image));

    // Five minutes on: the archive refuses the old token and the account signs in again by itself.
    let before = bearer(&desk, &account).await;
    sim.advance_clock(Duration::from_secs(301));
    assert_eq!(desk.jobs(&account).await.unwrap().len(), 24);
    let renewed = bearer(&desk, &account).await;
    assert_ne!(renewed, before, "a new token after the old one expired");
    // And before it runs out, by the account's own clock, without a refusal.
    clock.advance(Duration::from_secs(280));
    desk.jobs(&account).await.unwrap();
    assert_ne!(
        bearer(&desk, &account).await,
        renewed,
        "renewed ahead of its end"
    );

    // The whole job: every task's results, footprints, quicklooks and log, then unpacked.
    let batch = desk
        .download(&job_ref(&account, sim42::SUCCEEDED_JOB_ID), None, &out)
        .await
        .unwrap();
    assert_eq!(
        desk.transfers.wait(batch).await.unwrap(),
        BatchState::Done,
        "{:?}",
        desk.transfers.items(batch)
    );
    let task_dir = listed.root.join(&first.name);
    let footprints: serde_json::Value =
        serde_json::from_slice(&std::fs::read(task_dir.join(FOOTPRINTS_FILE)).unwrap()).unwrap();
    assert_eq!(footprints["type"], "FeatureCollection");
    let feature = &footprints["features"][0];
    assert_eq!(feature["geometry"]["type"], "Polygon");
    let data_path = feature["properties"]["up42.data_path"].as_str().unwrap();
    let quicklook = std::fs::read(task_dir.join(&quicklooks[0].name)).unwrap();
    assert!(quicklook.starts_with(&[0xff, 0xd8]), "a JPEG quicklook");
    let unpacked = unpack(
        &task_dir.join(RESULTS_FILE),
        &task_dir,
        &UnpackOptions {
            strip_prefix: Some("output/".into()),
            ..UnpackOptions::default()
        },
    )
    .unwrap();
    assert!(unpacked.iter().any(|f| f.path.to_string() == "data.json"));
    assert!(task_dir.join(data_path).is_file(), "{data_path} unpacked");
    let mut scene = std::fs::File::open(task_dir.join(data_path)).unwrap();
    let mut magic = [0u8; 4];
    std::io::Read::read_exact(&mut scene, &mut magic).unwrap();
    assert!(
        magic == *b"II*\0" || magic == *b"MM\0*",
        "a TIFF scene: {magic:?}"
    );

    desk.remove_account(&account).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_come_from_signed_urls_without_the_token_and_are_signed_again_when_they_expire() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let desk = desk(dir.path(), &TestClock::default());
    let account = project_account(&desk, &sim).await;
    let job = job_ref(&account, sim42::SUCCEEDED_JOB_ID);
    let out = dir.path().join("downloads");
    let listed = desk.outputs(&job, &out).await.unwrap();
    let results: Vec<String> = listed
        .tree
        .children
        .iter()
        .map(|task| format!("{}/{RESULTS_FILE}", task.name))
        .collect();
    // Each storage request waits a second, so the links signed for them expire while they wait.
    sim.faults().add(FaultRule::new(
        "/up42-sim-results/",
        FaultAction::Latency { ms: 1000 },
    ));
    let batch = desk.download(&job, Some(&results), &out).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    sim.expire_up42_signed_urls();
    assert_eq!(
        desk.transfers.wait(batch).await.unwrap(),
        BatchState::Done,
        "{:?}",
        desk.transfers.items(batch)
    );
    let items = desk.transfers.items(batch).unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|item| item.state == ItemState::Done));
    assert!(
        items.iter().any(|item| item.attempts >= 2),
        "an expired link was signed again: {items:?}"
    );
    desk.remove_account(&account).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_result_tarballs_are_refused_by_name_and_write_nothing_outside() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let desk = desk(dir.path(), &TestClock::default());
    let account = project_account(&desk, &sim).await;
    let job = job_ref(&account, sim42::HOSTILE_JOB_ID);
    let out = dir.path().join("downloads");
    let listed = desk.outputs(&job, &out).await.unwrap();
    let results: Vec<String> = listed
        .tree
        .children
        .iter()
        .map(|task| format!("{}/{RESULTS_FILE}", task.name))
        .collect();
    let batch = desk.download(&job, Some(&results), &out).await.unwrap();
    assert_eq!(desk.transfers.wait(batch).await.unwrap(), BatchState::Done);
    let options = UnpackOptions {
        strip_prefix: Some("output/".into()),
        max_bytes: 1 << 30,
    };
    for (task, member, code) in [
        (
            sim42::HOSTILE_TRAVERSAL_TASK_ID,
            "output/../../escaped.txt",
            ErrorCode::UnsafeName,
        ),
        (
            sim42::HOSTILE_ABSOLUTE_TASK_ID,
            "/tmp/jobfetch-up42-absolute.txt",
            ErrorCode::UnsafeName,
        ),
        (
            sim42::HOSTILE_SYMLINK_TASK_ID,
            "output/escape",
            ErrorCode::UnsafeName,
        ),
        (
            sim42::HOSTILE_BOMB_TASK_ID,
            "output/bomb.tif",
            ErrorCode::Integrity,
        ),
    ] {
        let task_dir = listed.root.join(format!("{TASK_PREFIX}{task}"));
        let err = unpack(
            &task_dir.join(RESULTS_FILE),
            &task_dir.join("unpacked"),
            &options,
        )
        .unwrap_err();
        assert_eq!(err.code, code, "{}", err.message);
        assert!(
            err.message.contains(&format!("{member:?}")),
            "{}",
            err.message
        );
    }
    assert!(!out.join("escaped.txt").exists() && !listed.root.join("escaped.txt").exists());
    assert!(!Path::new("/tmp/jobfetch-up42-absolute.txt").exists());
    assert!(!Path::new("/tmp/jobfetch-up42-symlinked.txt").exists());
    desk.remove_account(&account).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_lists_its_processing_jobs_page_by_page_and_downloads_their_stac_assets() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let desk = desk(dir.path(), &TestClock::default());
    let refused = desk
        .add_account(
            &up42_id(),
            values(&[
                (up42::API, &sim.up42_api_v2_url()),
                (up42::USERNAME, sim42::USERNAME),
                (up42::PASSWORD, "not the password"),
                (up42::AUTH, &sim.up42_auth_url()),
            ]),
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::AuthFailed, "{}", refused.message);
    let signed_in = desk
        .add_account(
            &up42_id(),
            values(&[
                (up42::API, &sim.up42_api_v2_url()),
                (up42::USERNAME, sim42::USERNAME),
                (up42::PASSWORD, sim42::PASSWORD),
                (up42::AUTH, &sim.up42_auth_url()),
            ]),
            false,
        )
        .await
        .unwrap();
    let account = signed_in.account.id;
    assert_eq!(signed_in.profile.email, sim42::USERNAME);
    let jobs = desk.jobs(&account).await.unwrap();
    assert_eq!(jobs.len(), 23, "every cursor page");
    let done = jobs
        .iter()
        .find(|j| j.id == sim42::PROCESSING_JOB_ID)
        .unwrap();
    assert_eq!(
        (done.status, done.status_message.as_str()),
        (JobStatus::Success, "captured")
    );
    assert_eq!(
        jobs.iter()
            .find(|j| j.id == sim42::LIVE_PROCESSING_JOB_ID)
            .unwrap()
            .status,
        JobStatus::Started
    );

    let job = job_ref(&account, sim42::PROCESSING_JOB_ID);
    let out = dir.path().join("downloads");
    let listed = desk.outputs(&job, &out).await.unwrap();
    assert_eq!(
        listed.root,
        out.join(format!("job_{}", sim42::PROCESSING_JOB_ID))
    );
    assert!(listed.tree.file_count >= 2, "{:?}", listed.tree);
    sim.advance_clock(Duration::from_secs(301));
    let batch = desk.download(&job, None, &out).await.unwrap();
    assert_eq!(
        desk.transfers.wait(batch).await.unwrap(),
        BatchState::Done,
        "{:?}",
        desk.transfers.items(batch)
    );
    for item in desk.transfers.items(batch).unwrap() {
        assert!(listed.root.join(&item.dest).is_file(), "{}", item.dest);
    }
    desk.remove_account(&account).await.unwrap();
}
