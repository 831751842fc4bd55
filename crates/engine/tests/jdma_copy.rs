//! JDMA through the generic session shape, as the app uses it: timelines, GET and DELETE of a job's
//! batch, and a completed GET's files copied to this computer through the transfer queue, each
//! checked against JDMA's digest: from a local folder, and from a laptop through a real local sshd
//! (the API through its tunnel, the files over SFTP) with the connection killed mid-file.

// Shared with ssh.rs, which uses the rest of it.
#[allow(dead_code)]
mod local;
#[allow(dead_code)]
mod sshd;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use jobfetch_engine::catalog::{Job, JobStatus, OutputKind, OutputNode, StepState};
use jobfetch_engine::paths::SafeRelPath;
use jobfetch_engine::providers::jdma::{self, JdmaProvider, JdmaSession};
use jobfetch_engine::providers::notes::JsonFileNotes;
use jobfetch_engine::providers::{Account, Context, FieldValues, Provider, Session};
use jobfetch_engine::ssh::SshConnections;
use jobfetch_engine::transfer::model::{BatchOrigin, OriginScope, Source};
use jobfetch_engine::transfer::plan::{self, NewBatch, Plan, PlanStep};
use jobfetch_engine::transfer::{BatchId, BatchState, ItemState};
use jobfetch_engine::{http, ErrorCode};
use jobfetch_sim::jdma::{JdmaConfig, DEMO_BATCH_ID, DEMO_USER, ON_DISK_BATCH_ID};
use jobfetch_sim::{Sim, SimConfig};
use local::{fresh_notes, Engine, MemorySecrets};
use serde_json::json;
use sshd::TestSshd;

/// How long anything may take before the test gives up on it.
const PATIENCE: Duration = Duration::from_secs(120);
/// The demo batch's large file, big enough to be caught mid-copy when throttled.
const LARGE_FILE_LEN: u64 = 6 << 20;
/// The batch the sim shows as DELETED.
const DELETED_BATCH_ID: u64 = 107;

/// A sim whose JDMA requests move only when the test moves its clock.
async fn start_sim() -> Sim {
    let config = SimConfig {
        jdma: JdmaConfig {
            stage_interval: Duration::from_secs(60),
            large_file_len: LARGE_FILE_LEN,
            workspace_root: None,
        },
        ..SimConfig::default()
    };
    Sim::start(config).await.expect("sim starts")
}

/// Moves the sim's clock a stage on; JDMA's requests move with it (a GET writes its files first).
async fn next_stage(sim: &Sim) {
    let response = reqwest::Client::new()
        .put(format!("{}/_sim/clock/advance", sim.base_url()))
        .json(&json!({"secs": 61}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

fn account(api: &str, ssh: Option<&TestSshd>) -> Account {
    let mut values = FieldValues::from([
        (jdma::API.to_string(), api.to_string()),
        (jdma::USER.to_string(), DEMO_USER.to_string()),
    ]);
    if let Some(sshd) = ssh {
        let host = sshd.host();
        values.insert(jdma::SSH_HOST.into(), host.destination.clone());
        let config = host.config_file.unwrap().to_str().unwrap().to_string();
        values.insert(jdma::SSH_CONFIG.into(), config);
    }
    JdmaProvider::new().account(&values).unwrap()
}

async fn open(account: &Account, ssh: SshConnections) -> Arc<dyn Session> {
    open_noting(account, ssh, fresh_notes()).await
}

/// A session that keeps its notes in `notes` (the same notes again: the app started again).
async fn open_noting(
    account: &Account,
    ssh: SshConnections,
    notes: Arc<JsonFileNotes>,
) -> Arc<dyn Session> {
    let context = Context {
        client: http::client().unwrap(),
        secrets: Arc::new(MemorySecrets::default()),
        ssh,
        notes,
    };
    JdmaProvider::new().open(&context, account).await.unwrap()
}

impl Engine {
    /// Starts copying `job`'s files as the app's "Copy to this computer" does: its plan, into a batch.
    async fn start(&self, session: &Arc<dyn Session>, job: &Job) -> BatchId {
        let new = NewBatch {
            name: job.name.clone(),
            origin: BatchOrigin {
                provider: job.account.provider(),
                account: Some(job.account.clone()),
                job: Some(job.id.clone()),
                scope: OriginScope::Whole,
            },
            key: format!("{}/{}", job.account, job.id),
            root: self.root.clone(),
            continue_earlier: false,
        };
        plan::start(&self.transfers, new, session.clone().plan(job.clone()))
            .await
            .unwrap()
    }

    async fn finish(&self, id: BatchId) -> BatchState {
        tokio::time::timeout(PATIENCE, self.transfers.wait(id))
            .await
            .expect("the batch ended in time")
            .unwrap()
    }

    /// Waits until the item at `dest` has at least `bytes` on disk.
    async fn until_item_has(&self, dest: &str, bytes: u64) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            assert!(
                Instant::now() < deadline,
                "the copy of {dest} never got going"
            );
            let snapshots = self.transfers.snapshots().unwrap();
            let done = snapshots[0]
                .items
                .iter()
                .find(|item| item.path == dest)
                .map_or(0, |item| item.bytes_done);
            if done >= bytes {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Submits a whole-batch GET of the demo batch into its default target through the generic
/// session, and moves the sim on until it has completed; the GET's job.
async fn completed_get(sim: &Sim, session: &Arc<dyn Session>) -> Job {
    completed_get_into(sim, session, |default| default.to_string()).await
}

/// [`completed_get`] into the folder `choose` makes of the default target.
async fn completed_get_into(
    sim: &Sim,
    session: &Arc<dyn Session>,
    mut choose: impl FnMut(&str) -> String,
) -> Job {
    let batch = session
        .job(&format!("batch-{DEMO_BATCH_ID}"))
        .await
        .unwrap();
    let target = choose(&session.retrieval_target(&batch).await.unwrap());
    let get = session.retrieve(&batch, &[], &target).await.unwrap();
    for _ in 0..10 {
        if session.job(&get.id).await.unwrap().status == JobStatus::Success {
            break;
        }
        next_stage(sim).await;
    }
    let done = session.job(&get.id).await.unwrap();
    assert_eq!(done.status, JobStatus::Success, "{done:?}");
    done
}

/// Every file below a tree node, with its node.
fn files(node: &OutputNode) -> Vec<&OutputNode> {
    match node.kind {
        OutputKind::Directory => node.children.iter().flat_map(files).collect(),
        _ => vec![node],
    }
}

/// The largest file of a tree.
fn largest(tree: &OutputNode) -> &OutputNode {
    files(tree).into_iter().max_by_key(|f| f.size).unwrap()
}

/// Where the GET wrote the file at `path` of its tree, as the session locates it on this computer.
fn written(session: &Arc<dyn Session>, job: &Job, path: &str) -> PathBuf {
    match session
        .locate(job, &SafeRelPath::parse(path).unwrap())
        .unwrap()
        .source
    {
        Source::LocalFile { path } => path,
        Source::Sftp { path, .. } => PathBuf::from(path),
        other => panic!("{other:?}"),
    }
}

/// Checks the batch ended Done with every file as the GET wrote it.
fn assert_copied(
    engine: &Engine,
    id: BatchId,
    state: BatchState,
    session: &Arc<dyn Session>,
    job: &Job,
    tree: &OutputNode,
) {
    assert_eq!(state, BatchState::Done, "{:?}", engine.transfers.items(id));
    for file in files(tree) {
        let copy = SafeRelPath::parse(&file.path).unwrap().under(&engine.root);
        let original = written(session, job, &file.path);
        assert!(
            std::fs::read(&copy).unwrap() == std::fs::read(&original).unwrap(),
            "{}",
            file.path
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stages_gets_and_deletes_go_through_the_generic_session_with_clear_refusals() {
    let sim = start_sim().await;
    let session = open(
        &account(&sim.jdma_api_url(), None),
        SshConnections::default(),
    )
    .await;
    let info = JdmaProvider::new();
    let info = info.info();
    assert!(info.retrieval.as_ref().unwrap().action.contains("GET"));
    assert!(info.deletion.as_ref().unwrap().contains("not touched"));

    let batch = session
        .job(&format!("batch-{DEMO_BATCH_ID}"))
        .await
        .unwrap();
    assert_eq!(session.stages(&batch).await.unwrap(), None);
    let target = session.retrieval_target(&batch).await.unwrap();
    let workspace = sim.description().jdma.workspace_path;
    assert!(
        target.starts_with(&workspace) && target.ends_with("_get"),
        "{target}"
    );
    assert!(Path::new(&target).parent().unwrap().is_dir(), "{target}");

    // Part of the batch: its `fx` folder, chosen in the batch's tree.
    let tree = session.outputs(&batch).await.unwrap();
    let fx = files(&tree)
        .into_iter()
        .find(|f| f.path.contains("/fx/"))
        .map(|f| f.path.rsplit_once('/').unwrap().0.to_string())
        .unwrap();
    let chosen = [SafeRelPath::parse(&fx).unwrap()];
    let get = session.retrieve(&batch, &chosen, &target).await.unwrap();
    assert!(get.id.starts_with("request-") && get.name.starts_with("GET of batch 103"));
    let stages = session.stages(&get).await.unwrap().unwrap();
    assert_eq!(stages.stage, "GET_START");
    assert_eq!(stages.steps.len(), 7);
    assert_eq!(stages.steps[0].state, StepState::Current);
    assert!(!stages.ended && stages.reason.is_none());
    // Unfinished, its files are not copied yet, and say so.
    let early = first_problem(session.clone().plan(get.clone())).await;
    assert!(
        early.message.contains("not GET_COMPLETED"),
        "{}",
        early.message
    );

    // Not on storage, deleted already, or a request: refused before JDMA is asked, saying why.
    let on_disk = session
        .job(&format!("batch-{ON_DISK_BATCH_ID}"))
        .await
        .unwrap();
    let refused = session.retrieve(&on_disk, &[], &target).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    assert!(
        refused.message.contains("is ON_DISK, not on storage"),
        "{}",
        refused.message
    );
    let deleted = session
        .job(&format!("batch-{DELETED_BATCH_ID}"))
        .await
        .unwrap();
    let again = session.delete(&deleted).await.unwrap_err();
    assert!(
        again.message.contains("already deleted"),
        "{}",
        again.message
    );
    assert!(session
        .delete(&get)
        .await
        .unwrap_err()
        .message
        .contains("delete its batch"));
    let gone = session.retrieve(&deleted, &[], &target).await.unwrap_err();
    assert!(
        gone.message.contains("cannot be brought back"),
        "{}",
        gone.message
    );

    // A DELETE of the user's own batch, as a request job with its own timeline.
    let doomed = session.job("batch-101").await.unwrap();
    let delete = session.delete(&doomed).await.unwrap();
    assert!(
        delete.name.starts_with("DELETE of batch 101"),
        "{}",
        delete.name
    );
    let steps = session.stages(&delete).await.unwrap().unwrap();
    assert_eq!(steps.steps.first().unwrap().name, "DELETE_START");
    let twice = session.delete(&doomed).await.unwrap_err();
    assert!(
        twice.message.contains("Duplicate DELETE"),
        "{}",
        twice.message
    );

    // A batch's own files are brought back with a GET first.
    let path = SafeRelPath::parse(&files(&tree)[0].path).unwrap();
    let not_yet = session.locate(&batch, &path).unwrap_err();
    assert!(not_yet.message.contains("GET first"), "{}", not_yet.message);
    let plan_of_batch = first_problem(session.clone().plan(batch.clone())).await;
    assert!(
        plan_of_batch.message.contains("GET first"),
        "{}",
        plan_of_batch.message
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_into_a_folder_of_its_own_is_found_there_after_a_restart() {
    let sim = start_sim().await;
    let account = account(&sim.jdma_api_url(), None);
    let notes = fresh_notes();
    let session = open_noting(&account, SshConnections::default(), notes.clone()).await;
    let mut elsewhere = String::new();
    let get = completed_get_into(&sim, &session, |default| {
        elsewhere = format!("{}_elsewhere", default.trim_end_matches("_get"));
        elsewhere.clone()
    })
    .await;

    // Started again: JDMA does not say where the GET wrote, the note kept on disk does.
    let restarted = open_noting(&account, SshConnections::default(), notes).await;
    let get = restarted.job(&get.id).await.unwrap();
    let tree = restarted.outputs(&get).await.unwrap();
    let file = written(&restarted, &get, &largest(&tree).path);
    assert!(
        file.starts_with(&elsewhere) && file.is_file(),
        "{} is in {elsewhere}",
        file.display()
    );

    // Without the note (a GET made with the jdma command), the default folder is assumed.
    let forgetful = open(&account, SshConnections::default()).await;
    let tree = forgetful.outputs(&get).await.unwrap();
    let assumed = written(&forgetful, &get, &largest(&tree).path);
    assert!(
        assumed.to_string_lossy().contains("_get/"),
        "{}",
        assumed.display()
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_get_is_copied_from_this_computer_through_the_queue_and_resumes_after_a_pause()
{
    let sim = start_sim().await;
    let session = open(
        &account(&sim.jdma_api_url(), None),
        SshConnections::default(),
    )
    .await;
    let get = completed_get(&sim, &session).await;
    let stages = session.stages(&get).await.unwrap().unwrap();
    assert!(stages.ended && stages.steps.iter().all(|s| s.state == StepState::Done));
    let tree = session.outputs(&get).await.unwrap();
    assert_eq!(tree.file_count, 7);
    assert!(files(&tree)
        .iter()
        .all(|f| f.digest.is_some() && f.size.is_some()));
    let large = largest(&tree).clone();
    assert!(matches!(
        session
            .locate(&get, &SafeRelPath::parse(&large.path).unwrap())
            .unwrap()
            .source,
        Source::LocalFile { .. }
    ));

    // Throttled, paused mid-file and resumed: the rest comes from the part.
    let engine = Engine::new();
    engine.transfers.set_bandwidth_limit(Some(1 << 20));
    let id = engine.start(&session, &get).await;
    engine.until_item_has(&large.path, 1 << 20).await;
    engine.transfers.pause(id).unwrap();
    let deadline = Instant::now() + PATIENCE;
    while engine.transfers.snapshots().unwrap()[0].state != BatchState::Paused {
        assert!(Instant::now() < deadline, "the batch paused");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    engine.transfers.set_bandwidth_limit(None);
    engine.transfers.resume(id).unwrap();
    let state = engine.finish(id).await;
    assert_copied(&engine, id, state, &session, &get, &tree);
    let rows = engine.transfers.items(id).unwrap();
    let row = rows.iter().find(|r| r.dest == large.path).unwrap();
    assert!(
        row.bytes_done < large.size.unwrap() && row.bytes_done > 0,
        "the resumed copy fetched only the rest: {row:?}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_a_laptop_jdma_is_reached_and_a_get_copied_through_a_real_sshd_that_drops_mid_file() {
    let sshd = TestSshd::start();
    let sim = start_sim().await;
    // The API by a name the tunnel keeps: the session must call it through the tunnel's port.
    let sim_port = url::Url::parse(&sim.jdma_api_url())
        .unwrap()
        .port()
        .unwrap();
    let api = format!("http://localhost:{sim_port}/jdma_control/api/v1/");
    let engine = Engine::new();
    let account = account(&api, Some(&sshd));
    let session = open(&account, engine.transfers.ssh().clone()).await;
    let any: Arc<dyn std::any::Any + Send + Sync> = session.clone();
    let jdma: Arc<JdmaSession> = any.downcast().unwrap();
    let through = jdma.api_base();
    assert_eq!(through.host_str(), Some("localhost"));
    assert_ne!(
        through.port(),
        Some(sim_port),
        "calls go to the tunnel's local end"
    );
    let jobs = session.jobs().await.unwrap();
    assert!(jobs
        .iter()
        .any(|j| j.id == format!("batch-{DEMO_BATCH_ID}")));

    let get = completed_get(&sim, &session).await;
    let tree = session.outputs(&get).await.unwrap();
    let large = largest(&tree).clone();
    let located = session
        .locate(&get, &SafeRelPath::parse(&large.path).unwrap())
        .unwrap();
    assert!(
        matches!(&located.source, Source::Sftp { host, .. } if host.destination == "jobfetch-test-sshd"),
        "{located:?}"
    );

    // Throttled so the cut lands mid-file; the copy resumes from its part over a new connection.
    engine.transfers.set_bandwidth_limit(Some(1 << 20));
    let id = engine.start(&session, &get).await;
    engine.until_item_has(&large.path, 1 << 20).await;
    assert!(sshd.kill_sessions() > 0, "the connection was found");
    engine.transfers.set_bandwidth_limit(None);
    let state = engine.finish(id).await;
    assert_copied(&engine, id, state, &session, &get, &tree);
    let rows = engine.transfers.items(id).unwrap();
    let row = rows.iter().find(|r| r.dest == large.path).unwrap();
    assert!(row.attempts >= 2, "tried again after the cut: {row:?}");
    assert!(
        row.bytes_done < large.size.unwrap() && row.bytes_done > 0,
        "only the rest came after the cut: {row:?}\n{}",
        sshd.log()
    );

    // The API's tunnel went down with the connection: the session digs a new one.
    let deadline = Instant::now() + PATIENCE;
    loop {
        match session.jobs().await {
            Ok(jobs) => break assert!(!jobs.is_empty()),
            Err(err) if err.retryable && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            Err(err) => panic!("the session never came back: {err:?}"),
        }
    }

    // A file changed on the "remote" side after the GET: the copy names it and does not keep it.
    let tampered = written(&session, &get, &large.path);
    let response = reqwest::Client::new()
        .post(format!("{}/_sim/jdma/corrupt", sim.base_url()))
        .json(&json!({"path": tampered}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let second = Engine::new();
    let id = second.start(&session, &get).await;
    assert_eq!(second.finish(id).await, BatchState::DoneWithErrors);
    let rows = second.transfers.items(id).unwrap();
    let failed: Vec<_> = rows
        .iter()
        .filter(|r| r.state == ItemState::Failed)
        .collect();
    assert_eq!(failed.len(), 1, "{rows:?}");
    let err = failed[0].error.as_ref().unwrap();
    assert_eq!(err.code, ErrorCode::Integrity);
    assert!(
        err.message.contains(tampered.to_str().unwrap()) && err.message.contains("wrong checksum"),
        "{}",
        err.message
    );
    assert!(!SafeRelPath::parse(&large.path)
        .unwrap()
        .under(&second.root)
        .exists());
    sim.shutdown().await;
}

/// The first problem a plan reports.
async fn first_problem(mut plan: Plan) -> jobfetch_engine::Error {
    loop {
        match plan.next().await {
            Some(PlanStep::Problem { error, .. }) => return error,
            Some(PlanStep::Folder { .. }) => continue,
            None => panic!("the plan reported no problem"),
        }
    }
}
