//! The JDMA provider over real HTTP against the simulator's Django-like JDMA: its quirks (the `"pk "`
//! key, digests switched on by the mere `digest` parameter, 404/403 JSON errors, APPEND_SLASH
//! redirects, stage codes that do not sort in the order stages happen), requests followed to
//! COMPLETED and to FAILED, GETs checked file by file, and hostile replies refused clearly.

#[allow(dead_code)]
mod local;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use jobfetch_engine::catalog::{JobStatus, OutputNode, StepState};
use jobfetch_engine::pacing::Pacing;
use jobfetch_engine::providers::jdma::stages::FAILED;
use jobfetch_engine::providers::jdma::{
    self, BaseFrom, JdmaProvider, JdmaSession, Outcome, PutSpec, RequestEvent, Scope,
};
use jobfetch_engine::providers::{Context, FieldValues, JobOffers, Provider, Session};
use jobfetch_engine::secret::Secret;
use jobfetch_engine::transfer::model::Digest;
use jobfetch_engine::{http, ErrorCode};
use jobfetch_sim::jdma::{
    JdmaConfig, DEMO_BATCH_ID, DEMO_USER, NEW_USER, OBJECT_STORE_BATCH_ID, ON_DISK_BATCH_ID,
};
use jobfetch_sim::{FaultAction, FaultRule, Sim, SimConfig};
use local::{fresh_notes, MemorySecrets};
use serde_json::{json, Value};

/// A sim whose JDMA requests move one stage every `stage_ms` (its large file kept small).
async fn start(stage_ms: u64) -> Sim {
    let config = SimConfig {
        jdma: JdmaConfig {
            stage_interval: Duration::from_millis(stage_ms),
            large_file_len: 3 << 20,
            workspace_root: None,
        },
        ..SimConfig::default()
    };
    Sim::start(config).await.expect("sim starts")
}

fn base(sim: &Sim) -> String {
    format!("{}/jdma_control/api/v1/", sim.jdma_url())
}

async fn open_with(sim: &Sim, user: &str, secrets: Arc<MemorySecrets>) -> Arc<JdmaSession> {
    let provider = JdmaProvider::new();
    let values = FieldValues::from([
        (jdma::API.to_string(), base(sim)),
        (jdma::USER.to_string(), user.to_string()),
    ]);
    let account = provider.account(&values).unwrap();
    let context = Context {
        client: http::client().unwrap(),
        secrets,
        ssh: Default::default(),
        notes: fresh_notes(),
    };
    let session: Arc<dyn Session> = provider.open(&context, &account).await.unwrap();
    let any: Arc<dyn std::any::Any + Send + Sync> = session;
    any.downcast::<JdmaSession>().unwrap()
}

async fn open(sim: &Sim, user: &str) -> Arc<JdmaSession> {
    open_with(sim, user, Arc::default()).await
}

fn quick() -> Pacing {
    Pacing {
        first: Duration::from_millis(15),
        growth: 1.0,
        most: Duration::from_millis(15),
    }
}

/// Every stage a followed request showed, and how it ended.
async fn follow(session: &Arc<JdmaSession>, id: u64) -> (Vec<u16>, RequestEvent) {
    let mut events = session.clone().follow(id, quick());
    let mut stages = Vec::new();
    let mut last = None;
    while let Some(event) = events.next().await {
        let event = event.unwrap();
        if let RequestEvent::Changed(status) = &event {
            stages.push(status.request.stage);
        }
        last = Some(event);
    }
    (stages, last.expect("at least one event"))
}

/// A folder for a GET in the demo user's part of the workspace.
fn target(sim: &Sim, name: &str) -> PathBuf {
    Path::new(&sim.description().jdma.workspace_path)
        .join("users")
        .join(DEMO_USER)
        .join(name)
}

async fn control(sim: &Sim, path: &str, body: Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/_sim/{path}", sim.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

fn find<'a>(node: &'a OutputNode, name: &str) -> Option<&'a OutputNode> {
    if node.name == name {
        return Some(node);
    }
    node.children.iter().find_map(|child| find(child, name))
}

#[tokio::test]
async fn batches_and_requests_are_one_jobs_list_with_their_stages() {
    let sim = start(1500).await;
    let session = open(&sim, DEMO_USER).await;
    assert!(session.is_registered());
    assert_eq!(session.profile().email, "demo.user@example.ac.uk");
    let jobs = session.jobs().await.unwrap();
    let job = |id: &str| {
        jobs.iter()
            .find(|j| j.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let batch = job("batch-103");
    assert_eq!(
        (batch.job_type.as_str(), batch.status),
        ("batch", JobStatus::Success)
    );
    assert_eq!(batch.status_message, "ON_STORAGE");
    assert_eq!(batch.name, "hadgem3_ssp585_daily");
    let on_storage = session.offers(batch);
    assert!(on_storage.retrieve && on_storage.delete && !on_storage.download);
    assert_eq!(job("batch-108").status_message, "ON_DISK");
    assert_eq!(session.offers(job("batch-108")), no_offers());
    assert_eq!(session.offers(job("batch-107")), no_offers());
    assert_eq!(job("batch-107").status_message, "DELETED");
    let failed = job("request-310");
    assert_eq!(
        (failed.job_type.as_str(), failed.status),
        ("GET request", JobStatus::Failure)
    );
    let failed_get = session.offers(failed);
    assert!(
        !failed_get.download && failed_get.download_when_finished,
        "a GET's files download once it completes: {failed_get:?}"
    );
    assert!(
        failed.status_message.starts_with("FAILED: "),
        "{}",
        failed.status_message
    );
    assert!(
        failed.status_message.contains("CV4417"),
        "{}",
        failed.status_message
    );
    assert_eq!(job("request-314").status, JobStatus::Started);
    assert!(jobs.windows(2).all(|w| w[0].submitted >= w[1].submitted));
    // One job asked for alone says the same.
    assert_eq!(&session.job("request-310").await.unwrap(), failed);
    let err = session.job("103").await.unwrap_err();
    assert!(err.message.contains("batch-<number>"), "{}", err.message);

    // A batch's outputs: its archives, then its files below the folder they share, with digests.
    let tree = session.outputs(batch).await.unwrap();
    assert!(tree.children.iter().all(|a| a.name.starts_with("archive_")));
    let large = find(
        &tree,
        "tas_day_HadGEM3-GC31-LL_ssp585_r1i1p1f3_gn_20150101-20491230.nc",
    )
    .unwrap();
    assert!(large.path.contains("/day/tas/"), "{}", large.path);
    assert!(matches!(large.digest, Some(Digest::Adler32(ref d)) if d.starts_with("0x")));
    assert_eq!(tree.file_count, 7);
    assert!(large.size.unwrap() > 2 << 20);
    // The oldest batches have SHA256 digests.
    let old = session.outputs(job("batch-101")).await.unwrap();
    assert!(find(&old, "README.txt")
        .unwrap()
        .digest
        .as_ref()
        .is_some_and(|d| matches!(d, Digest::Sha256(_))));
    // A selection in the tree becomes original paths for a GET.
    let day = find(&tree, "day").unwrap();
    let originals = session
        .originals(DEMO_BATCH_ID, std::slice::from_ref(&day.path))
        .await
        .unwrap();
    assert_eq!(originals.len(), day.file_count as usize);
    assert!(!originals.is_empty());
    assert!(
        originals
            .iter()
            .all(|p| p.contains("/hadgem3_ssp585_daily/day/")),
        "{originals:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_servers_quirks_are_read_as_it_sends_them() {
    let sim = start(1500).await;
    let session = open(&sim, DEMO_USER).await;
    // Files carry "pk " with a trailing space; digests only when the parameter is sent at all.
    let (plain, raw) = session
        .files(Some(DEMO_BATCH_ID), &Scope::default(), false, None)
        .await
        .unwrap();
    let first = &raw["migrations"][0]["archives"][0]["files"][0];
    assert!(
        first.get("pk ").is_some() && first.get("pk").is_none(),
        "{first}"
    );
    assert!(first.get("digest").is_none(), "{first}");
    assert!(plain[0].archives[0].files[0].pk.is_some());
    let (with, _) = session
        .files(Some(DEMO_BATCH_ID), &Scope::default(), true, Some(1))
        .await
        .unwrap();
    assert!(with[0].archives.iter().all(|a| a.files.len() <= 1));
    assert_eq!(
        with[0].archives[0].files[0].digest_format.as_deref(),
        Some("ADLER32")
    );
    // The server turns digests on for digest=0 too: Jobfetch never sends it for "no digests".
    let client = http::client().unwrap();
    let zero: Value = client
        .get(format!(
            "{}file/?name=demo&migration_id=103&digest=0",
            base(&sim)
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(zero["migrations"][0]["archives"][0]["files"][0]
        .get("digest")
        .is_some());

    // Django's APPEND_SLASH: a route without its slash answers 301, which the client follows.
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}list_backends", base(&sim)))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 301);
    let followed = client
        .get(format!("{}migration?name=demo", base(&sim)))
        .send()
        .await
        .unwrap();
    assert_eq!(followed.status(), 200);
    assert!(followed.url().path().ends_with("/migration/"));
    let (storage, _) = session.storage().await.unwrap();
    assert_eq!(
        storage.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["elastictape", "objectstore"]
    );

    // Errors are JSON with the request echoed and "error": they become errors in JDMA's words.
    let missing = session.batch(9999).await.unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
    assert!(
        missing.message.contains("Batch not found"),
        "{}",
        missing.message
    );
    let stranger = open(&sim, "mkowalski").await;
    let denied = stranger.batch(DEMO_BATCH_ID).await.unwrap_err();
    assert_eq!(denied.code, ErrorCode::InvalidInput);
    assert!(
        denied.message.contains("HTTP 403") && denied.message.contains("permission"),
        "{}",
        denied.message
    );
    let nobody = stranger
        .files(
            None,
            &Scope {
                workspace: Some("nowhere".into()),
                everyone: false,
            },
            false,
            None,
        )
        .await
        .unwrap_err();
    assert!(
        nobody.message.contains("Workspace not found"),
        "{}",
        nobody.message
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_new_user_registers_and_sets_notifications() {
    let sim = start(1500).await;
    let session = open(&sim, NEW_USER).await;
    assert!(!session.is_registered());
    let err = session.user().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotSignedIn);
    assert!(
        err.message.contains("jobfetch jdma init"),
        "{}",
        err.message
    );
    assert!(session.create_user("not an address").await.is_err());
    assert!(session.create_user("r.patel@example.ac.uk").await.unwrap());
    assert!(!session.create_user("r.patel@example.ac.uk").await.unwrap());
    assert!(session.is_registered());
    let user = session.set_notify(false).await.unwrap();
    assert_eq!(user.notify, Some(false));
    assert_eq!(session.user().await.unwrap().raw["notify"], json!(false));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_put_goes_through_its_stages_in_the_documented_order_not_by_code() {
    let sim = start(250).await;
    let session = open(&sim, DEMO_USER).await;
    let described = sim.description().jdma;
    let folder = described.spare_folder.clone();
    let name = folder.rsplit('/').next().unwrap().to_string();
    let empty = PutSpec {
        migrate: false,
        workspace: described.workspace.clone(),
        storage: "elastictape".into(),
        filelist: vec!["relative/path".into()],
        label: None,
    };
    assert_eq!(
        session.put(&empty).await.unwrap_err().code,
        ErrorCode::InvalidInput
    );
    let spec = PutSpec {
        filelist: vec![folder.clone()],
        ..empty
    };
    let made = session.put(&spec).await.unwrap();
    assert_eq!(made.stage, 0);
    assert_eq!(made.raw["credentials"], json!({}));
    let batch = session.batch(made.batch_id).await.unwrap();
    assert_eq!(batch.label.as_deref(), Some(name.as_str()));
    // The same files again: the server's own bug answers.
    let again = session.put(&spec).await.unwrap_err();
    assert!(again.message.contains("HTTP 404"), "{}", again.message);

    let (seen, last) = follow(&session, made.request_id).await;
    let order = [0, 1, 3, 2, 4, 5, 6, 7, 8, 9];
    let places: Vec<usize> = seen
        .iter()
        .map(|s| order.iter().position(|o| o == s).unwrap())
        .collect();
    assert!(places.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert!(
        seen.contains(&3) && seen.contains(&2),
        "seen every stage: {seen:?}"
    );
    let RequestEvent::Changed(status) = last else {
        panic!("{last:?}")
    };
    assert_eq!(status.timeline.stage, "PUT_COMPLETED");
    assert!(
        status.timeline.ended
            && status
                .timeline
                .steps
                .iter()
                .all(|s| s.state == StepState::Done)
    );
    assert_eq!(
        session.batch(made.batch_id).await.unwrap().stage_name(),
        "ON_STORAGE"
    );
    session.relabel(made.batch_id, "renamed").await.unwrap();
    assert_eq!(
        session
            .batch_by_label("renamed")
            .await
            .unwrap()
            .migration_id,
        made.batch_id
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn gets_are_refused_before_on_storage_and_when_duplicated_and_deletes_twice() {
    let sim = start(60_000).await;
    let session = open(&sim, DEMO_USER).await;
    let early = session
        .get(
            ON_DISK_BATCH_ID,
            target(&sim, "early").to_str().unwrap(),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        early
            .message
            .contains("Batch 108 is ON_DISK, not on storage"),
        "{}",
        early.message
    );
    let to = target(&sim, "twice");
    session
        .get(DEMO_BATCH_ID, to.to_str().unwrap(), None)
        .await
        .unwrap();
    let twice = session
        .get(DEMO_BATCH_ID, to.to_str().unwrap(), None)
        .await
        .unwrap_err();
    assert!(
        twice.message.contains("Duplicate GET request"),
        "{}",
        twice.message
    );
    assert!(session.get(DEMO_BATCH_ID, "relative", None).await.is_err());

    // The Object Store needs its keys: said before asking JDMA, and sent once kept.
    let store = target(&sim, "store");
    let keyless = session
        .get(OBJECT_STORE_BATCH_ID, store.to_str().unwrap(), None)
        .await
        .unwrap_err();
    assert_eq!(keyless.code, ErrorCode::NotSignedIn);
    assert!(
        keyless.message.contains(jdma::ACCESS_KEY_ENV),
        "{}",
        keyless.message
    );
    let keys = Arc::new(MemorySecrets::default());
    for (name, value) in [(jdma::ACCESS_KEY, "AK"), (jdma::SECRET_KEY, "SK")] {
        keys.0
            .lock()
            .unwrap()
            .insert(name.into(), Secret::new(value));
    }
    let keyed = open_with(&sim, DEMO_USER, keys).await;
    let made = keyed
        .get(OBJECT_STORE_BATCH_ID, store.to_str().unwrap(), None)
        .await
        .unwrap();
    assert_eq!(made.stage, 100);
    assert_eq!(
        made.raw["credentials"],
        json!({}),
        "JDMA blanks the keys it was sent"
    );

    let deleted = session.delete(101).await.unwrap();
    assert_eq!(deleted.stage, 200);
    let again = session.delete(101).await.unwrap_err();
    assert!(
        again.message.contains("Duplicate DELETE request"),
        "{}",
        again.message
    );
    let theirs = session.delete(102).await.unwrap_err();
    assert!(
        theirs
            .message
            .contains("does not have permission to delete"),
        "{}",
        theirs.message
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_get_is_followed_to_completed_and_its_files_checked_where_they_landed() {
    let sim = start(80).await;
    let session = open(&sim, DEMO_USER).await;
    let to = target(&sim, "restored");
    let made = session
        .get(DEMO_BATCH_ID, to.to_str().unwrap(), None)
        .await
        .unwrap();
    let (seen, last) = follow(&session, made.request_id).await;
    assert_eq!(seen.last(), Some(&106), "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    let RequestEvent::Changed(done) = last else {
        panic!("{last:?}")
    };
    assert!(done.timeline.ended && !done.timeline.failed);

    let checked = session
        .verify_retrieval(DEMO_BATCH_ID, &to, None, Some(made.request_id))
        .await
        .unwrap();
    assert_eq!(checked.base_from, BaseFrom::PutRequest);
    assert_eq!(checked.files.len(), 7);
    assert!(
        checked.files.iter().all(|f| f.outcome == Outcome::Matches),
        "{:?}",
        checked.problems()
    );
    checked.ensure_whole().unwrap();

    // Bytes changed after retrieval, a file gone and one grown: each named.
    let corrupted = checked.files[0].local.clone().unwrap();
    control(&sim, "jdma/corrupt", json!({"path": corrupted})).await;
    let gone = checked.files[1].local.clone().unwrap();
    std::fs::remove_file(&gone).unwrap();
    let grown = checked.files[2].local.clone().unwrap();
    let mut bytes = std::fs::read(&grown).unwrap();
    bytes.push(b'!');
    std::fs::write(&grown, bytes).unwrap();
    let again = session
        .verify_retrieval(DEMO_BATCH_ID, &to, None, None)
        .await
        .unwrap();
    let outcome = |path: &PathBuf| {
        again
            .files
            .iter()
            .find(|f| f.local.as_ref() == Some(path))
            .unwrap()
            .outcome
            .clone()
    };
    assert!(matches!(outcome(&corrupted), Outcome::DigestDiffers { .. }));
    assert_eq!(outcome(&gone), Outcome::Missing);
    assert!(matches!(outcome(&grown), Outcome::SizeDiffers { .. }));
    let err = again.ensure_whole().unwrap_err();
    assert_eq!(err.code, ErrorCode::Integrity);
    let name = corrupted.file_name().unwrap().to_str().unwrap();
    assert!(
        err.message.contains(name) && err.message.contains("3 of 7"),
        "{}",
        err.message
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_partial_get_and_a_batch_whose_put_is_gone_are_checked_too() {
    let sim = start(60).await;
    let session = open(&sim, DEMO_USER).await;
    let (listing, _) = session
        .files(Some(DEMO_BATCH_ID), &Scope::default(), true, None)
        .await
        .unwrap();
    let some: Vec<String> = listing[0]
        .archives
        .iter()
        .flat_map(|a| &a.files)
        .map(|f| f.path.clone())
        .filter(|p| p.contains("/fx/"))
        .collect();
    assert_eq!(some.len(), 2);
    let to = target(&sim, "fx_only");
    let made = session
        .get(DEMO_BATCH_ID, to.to_str().unwrap(), Some(&some))
        .await
        .unwrap();
    follow(&session, made.request_id).await;
    let checked = session
        .verify_retrieval(DEMO_BATCH_ID, &to, Some(&some), Some(made.request_id))
        .await
        .unwrap();
    assert_eq!(checked.base_from, BaseFrom::GetRequest);
    assert_eq!(checked.files.len(), 2);
    checked.ensure_whole().unwrap();
    assert!(to.join("fx").is_dir() && !to.join("day").exists());

    // Batch 102 is another user's: its PUT is not among the demo user's requests, so where its
    // files are is found by looking.
    let theirs = target(&sim, "nemo");
    let made = session
        .get(102, theirs.to_str().unwrap(), None)
        .await
        .unwrap();
    follow(&session, made.request_id).await;
    let checked = session
        .verify_retrieval(102, &theirs, None, None)
        .await
        .unwrap();
    assert_eq!(checked.base_from, BaseFrom::Inferred);
    checked.ensure_whole().unwrap();
    assert!(checked
        .files
        .iter()
        .any(|f| f.path.ends_with("restart/ORCA025_00043800_restart.h5")));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_request_followed_to_failed_ends_with_its_reason() {
    let sim = start(60_000).await;
    let session = open(&sim, DEMO_USER).await;
    let to = target(&sim, "doomed");
    let made = session
        .get(DEMO_BATCH_ID, to.to_str().unwrap(), None)
        .await
        .unwrap();
    let mut events = session.clone().follow(made.request_id, quick());
    let Some(Ok(RequestEvent::Changed(first))) = events.next().await else {
        panic!()
    };
    assert_eq!(first.timeline.stage, "GET_START");
    control(
        &sim,
        &format!("jdma/requests/{}/fail", made.request_id),
        json!({"reason": "ET_GET: tape drive on fire"}),
    )
    .await;
    let Some(Ok(RequestEvent::Changed(failed))) = events.next().await else {
        panic!()
    };
    assert!(
        events.next().await.is_none(),
        "the stream ends with the request"
    );
    assert_eq!(failed.request.stage, FAILED);
    assert_eq!(
        failed.request.failure_reason.as_deref(),
        Some("ET_GET: tape drive on fire")
    );
    assert!(failed.timeline.failed && failed.timeline.ended);
    assert_eq!(failed.timeline.steps[0].state, StepState::Failed);
    let job = session
        .job(&format!("request-{}", made.request_id))
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Failure);
    assert_eq!(job.status_message, "FAILED: ET_GET: tape drive on fire");
    sim.shutdown().await;
}

#[tokio::test]
async fn hostile_and_broken_replies_get_clear_errors_and_nothing_outside_the_target_is_read() {
    let sim = start(1500).await;
    let session = open(&sim, DEMO_USER).await;
    let reply = |path: &str, code: u16, content_type: &str, body: &str| {
        FaultRule::new(
            format!("/jdma_control/api/v1/{path}"),
            FaultAction::Reply {
                code,
                content_type: content_type.into(),
                body: body.into(),
            },
        )
        .times(1)
    };
    sim.faults().add(reply(
        "file/",
        200,
        "application/json",
        "{\"migrations\": [{",
    ));
    let malformed = session.batch_files(DEMO_BATCH_ID).await.unwrap_err();
    assert_eq!(malformed.code, ErrorCode::Protocol);
    assert!(
        malformed.message.contains("not the expected JSON"),
        "{}",
        malformed.message
    );
    sim.faults().add(reply(
        "request",
        500,
        "text/html",
        "<h1>Server Error (500)</h1>",
    ));
    let crash = session.requests(&Scope::default()).await.unwrap_err();
    assert!(
        crash.message.contains("crashed") && crash.retryable,
        "{}",
        crash.message
    );
    sim.faults()
        .add(reply("migration/", 200, "application/json", "[1, 2]"));
    let list = session.batch(DEMO_BATCH_ID).await.unwrap_err();
    assert!(list.message.contains("a list"), "{}", list.message);

    // A listing whose paths climb out of the batch: its tree is refused, and a check reads nothing
    // outside the target even where a file of the right bytes waits there.
    let to = target(&sim, "hostile");
    std::fs::create_dir_all(&to).unwrap();
    std::fs::write(to.join("a.nc"), b"abc").unwrap();
    let outside = to.parent().unwrap().join("outside.nc");
    std::fs::write(&outside, b"abc").unwrap();
    let users = to.parent().unwrap().to_str().unwrap().to_string();
    // Batch 102 is another user's, so no PUT of the demo user's says where its files are.
    let hostile = json!({"migrations": [{"migration_id": 102, "archives": [{"archive_id": "archive_0000000001",
        "files": [
            {"pk ": 1, "path": format!("{users}/hostile/a.nc"), "size": 3, "digest": "0x24a0126", "digest_format": "ADLER32"},
            {"pk ": 2, "path": format!("{users}/hostile/../outside.nc"), "size": 3, "digest": "0x24a0126", "digest_format": "ADLER32"}
        ]}]}]})
    .to_string();
    sim.faults()
        .add(reply("file/", 200, "application/json", &hostile));
    let job = session.job("batch-102").await.unwrap();
    let refused = session.outputs(&job).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::UnsafeName);
    sim.faults()
        .add(reply("file/", 200, "application/json", &hostile));
    let checked = session
        .verify_retrieval(102, &to, None, None)
        .await
        .unwrap();
    assert_eq!(checked.files[0].outcome, Outcome::Matches);
    assert!(
        matches!(checked.files[1].outcome, Outcome::Refused { .. }),
        "{:?}",
        checked.files[1]
    );
    assert!(checked.files[1].local.is_none());
    assert!(checked
        .ensure_whole()
        .unwrap_err()
        .message
        .contains("outside.nc"));
    sim.shutdown().await;
}

/// What a job that can be neither downloaded, retrieved nor deleted offers.
fn no_offers() -> JobOffers {
    JobOffers {
        download: false,
        download_when_finished: false,
        retrieve: false,
        delete: false,
        outputs_final: true,
    }
}
