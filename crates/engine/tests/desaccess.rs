//! The DESaccess provider over real HTTP: sign-in, tokens, jobs and output trees against the simulator.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jobfetch_engine::catalog::{to_iso, JobStatus, OutputKind, OutputNode};
use jobfetch_engine::http;
use jobfetch_engine::ids::AccountId;
use jobfetch_engine::providers::desaccess::{self, DesAccessProvider};
use jobfetch_engine::providers::notes::JsonFileNotes;
use jobfetch_engine::providers::{nginx_listing, Account, Context, Provider, Session};
use jobfetch_engine::secret::{Secret, SecretStore, SESSION_TOKEN};
use jobfetch_engine::{Error, ErrorCode};
use jobfetch_sim::{demo, FaultAction, FaultRule, Sim, SimConfig};
use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn start() -> Sim {
    Sim::start(SimConfig::default()).await.expect("sim starts")
}

/// Secrets in memory, counting how often the password is read.
#[derive(Default)]
struct Secrets {
    held: Mutex<HashMap<String, Secret>>,
    password_reads: AtomicUsize,
}

impl SecretStore for Secrets {
    fn get(&self, _: &AccountId, name: &str) -> jobfetch_engine::Result<Option<Secret>> {
        if name == desaccess::PASSWORD {
            self.password_reads.fetch_add(1, Ordering::SeqCst);
        }
        Ok(self.held.lock().unwrap().get(name).cloned())
    }
    fn set(&self, _: &AccountId, name: &str, value: &Secret) -> jobfetch_engine::Result<()> {
        self.held.lock().unwrap().insert(name.into(), value.clone());
        Ok(())
    }
    fn delete(&self, _: &AccountId, name: &str) -> jobfetch_engine::Result<()> {
        self.held.lock().unwrap().remove(name);
        Ok(())
    }
}

fn account_at(api_base: &str) -> Account {
    let values: BTreeMap<String, String> = [
        (desaccess::API_BASE, api_base),
        (desaccess::USERNAME, demo::USERNAME),
        (desaccess::DATABASE, demo::DATABASE),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    DesAccessProvider::new()
        .account(&values)
        .expect("valid account")
}

/// Opens a session for `account` with the secrets in `secrets`.
async fn open(account: &Account, secrets: &Arc<Secrets>) -> Result<Arc<dyn Session>, Error> {
    let context = Context {
        client: http::client().unwrap(),
        secrets: secrets.clone(),
        ssh: Default::default(),
        // DESaccess keeps no notes: this file is never written.
        notes: Arc::new(JsonFileNotes::new(
            &Path::new(env!("CARGO_TARGET_TMPDIR")).join("desaccess-notes.json"),
        )),
    };
    DesAccessProvider::new().open(&context, account).await
}

/// Secrets holding just `password`.
fn with_password(password: &str) -> Arc<Secrets> {
    let secrets = Arc::new(Secrets::default());
    secrets
        .held
        .lock()
        .unwrap()
        .insert(desaccess::PASSWORD.into(), Secret::new(password));
    secrets
}

async fn try_sign_in(api_base: &str, password: &str) -> Result<Arc<dyn Session>, Error> {
    open(&account_at(api_base), &with_password(password)).await
}

/// Why a sign-in failed (sessions are not `Debug`, so there is no `unwrap_err`).
async fn sign_in_error(api_base: &str, password: &str) -> Error {
    match try_sign_in(api_base, password).await {
        Ok(_) => panic!("signing in to {api_base} succeeded"),
        Err(err) => err,
    }
}

async fn sign_in(sim: &Sim) -> Arc<dyn Session> {
    try_sign_in(&sim.desaccess_api_url(), demo::PASSWORD)
        .await
        .expect("demo signs in")
}

fn job_folder(sim: &Sim, job_type: &str, id: &str) -> String {
    format!("{}/demo/{job_type}/{id}", sim.desaccess_files_url())
}

/// Every file below `node`, depth first.
fn files(node: &OutputNode) -> Vec<&OutputNode> {
    if node.kind != OutputKind::Directory {
        return vec![node];
    }
    node.children.iter().flat_map(files).collect()
}

/// Every file below `node` as (path, size), sorted like [`listed_files`].
fn sized_files(node: &OutputNode) -> Vec<(String, u64)> {
    let mut found: Vec<_> = files(node)
        .into_iter()
        .map(|f| (f.path.clone(), f.size.unwrap()))
        .collect();
    found.sort();
    found
}

/// Checks that every folder's size and file count are the sums over its children.
fn assert_totals_consistent(node: &OutputNode) {
    if node.kind != OutputKind::Directory {
        assert_eq!(node.file_count, 1, "{}", node.path);
        assert!(node.size.is_some(), "{} has a size", node.path);
        return;
    }
    let size: u64 = node.children.iter().map(|c| c.size.unwrap()).sum();
    let count: u32 = node.children.iter().map(|c| c.file_count).sum();
    assert_eq!(node.size, Some(size), "size of {:?}", node.path);
    assert_eq!(node.file_count, count, "file count of {:?}", node.path);
    node.children.iter().for_each(assert_totals_consistent);
}

/// Counts the files under `folder` by reading its `/json` listings with plain reqwest, not the engine.
async fn listed_files(folder: &str) -> Vec<(String, u64)> {
    let client = reqwest::Client::new();
    let mut pending = vec![String::new()];
    let mut found = Vec::new();
    while let Some(rel) = pending.pop() {
        let entries: Vec<Value> = client
            .get(format!("{folder}{rel}/json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for entry in entries {
            let path = format!("{rel}/{}", entry["name"].as_str().unwrap());
            match entry["type"].as_str().unwrap() {
                "directory" => pending.push(path),
                _ => found.push((path[1..].to_string(), entry["size"].as_u64().unwrap())),
            }
        }
    }
    found.sort();
    found
}

fn is_iso_utc(time: &str) -> bool {
    let pattern = "dddd-dd-ddTdd:dd:ddZ";
    time.len() == pattern.len()
        && time.bytes().zip(pattern.bytes()).all(|(b, p)| {
            if p == b'd' {
                b.is_ascii_digit()
            } else {
                b == p
            }
        })
}

#[tokio::test]
async fn sign_in_returns_the_profile_and_keeps_the_token() {
    let sim = start().await;
    let secrets = with_password(demo::PASSWORD);
    let account = account_at(&sim.desaccess_api_url());
    let session = open(&account, &secrets).await.unwrap();
    assert_eq!(session.profile().username, "demo");
    assert_eq!(session.profile().email, "demo@example.org");
    assert_eq!(account.id.provider().as_str(), "desaccess");
    assert!(account
        .id
        .as_str()
        .contains(&sim.desaccess_api_url().replace("http://", "")));
    assert!(secrets.held.lock().unwrap().contains_key(SESSION_TOKEN));
}

#[tokio::test]
async fn a_wrong_password_is_auth_failed_with_advice() {
    let sim = start().await;
    let err = sign_in_error(&sim.desaccess_api_url(), "not-the-password").await;
    assert_eq!(err.code, ErrorCode::AuthFailed);
    assert!(
        err.message.contains("username and password"),
        "{}",
        err.message
    );
    assert!(
        !err.message.contains("not-the-password"),
        "password leaked: {}",
        err.message
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_network_error() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = sign_in_error(&format!("http://127.0.0.1:{port}/desaccess/api"), "pw").await;
    assert_eq!(err.code, ErrorCode::Network);
    assert!(err.retryable);
    assert!(err.message.contains("could not connect"), "{}", err.message);
}

#[tokio::test]
async fn a_server_that_is_not_desaccess_gets_a_clear_error() {
    let sim = start().await;
    let missing = sign_in_error(&format!("{}/elsewhere/desaccess/api", sim.base_url()), "pw").await;
    assert_eq!(missing.code, ErrorCode::NotFound, "{}", missing.message);
    assert!(
        missing.message.contains("Check the API address"),
        "{}",
        missing.message
    );

    let html =
        TinyServer::start(|_| (200, "text/html", "<html><body>Welcome</body></html>".into())).await;
    let err = sign_in_error(&format!("{}/desaccess/api", html.base), "pw").await;
    assert_eq!(err.code, ErrorCode::Protocol, "{}", err.message);
    assert!(
        err.message.contains("Check the API address"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn jobs_lists_all_demo_jobs_newest_first() {
    let sim = start().await;
    let jobs = sign_in(&sim).await.jobs().await.unwrap();
    assert_eq!(jobs.len(), demo::JOB_COUNT);
    for status in [
        JobStatus::Init,
        JobStatus::Started,
        JobStatus::Success,
        JobStatus::Failure,
    ] {
        assert!(
            jobs.iter().any(|j| j.status == status),
            "{status:?} present"
        );
    }
    assert!(jobs.iter().all(|j| j.status != JobStatus::Unknown));
    for job in &jobs {
        assert!(is_iso_utc(job.submitted.as_deref().unwrap()), "{job:?}");
        for time in [&job.started, &job.completed, &job.expires]
            .into_iter()
            .flatten()
        {
            assert!(is_iso_utc(time), "{time:?} in {job:?}");
        }
        assert_eq!(job.location, job_folder(&sim, &job.job_type, &job.id));
    }
    let submitted: Vec<&str> = jobs
        .iter()
        .map(|j| j.submitted.as_deref().unwrap())
        .collect();
    assert!(
        submitted.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {submitted:?}"
    );

    let by_id = |id: &str| jobs.iter().find(|j| j.id == id).unwrap();
    let queued = by_id(demo::QUEUED_CUTOUT_JOB_ID);
    assert_eq!(queued.status, JobStatus::Init);
    let not_yet = [&queued.started, &queued.completed, &queued.expires];
    assert!(not_yet.iter().all(|t| t.is_none()), "{queued:?}");
    let running = by_id(demo::RUNNING_QUERY_JOB_ID);
    assert_eq!(running.status, JobStatus::Started);
    assert!(
        running.started.is_some() && running.completed.is_none(),
        "{running:?}"
    );
    // Dates read as of today: the sample job finished two hours ago and its files expire in 14 days.
    let from_now = |hours: i64| to_iso(OffsetDateTime::now_utc() + time::Duration::hours(hours));
    let seed = by_id(demo::SEED_TREE_JOB_ID);
    let (completed, expires) = (
        seed.completed.clone().unwrap(),
        seed.expires.clone().unwrap(),
    );
    assert!(
        from_now(-3) < completed && completed < from_now(-1),
        "{seed:?}"
    );
    assert!(
        from_now(13 * 24) < expires && expires < from_now(15 * 24),
        "{seed:?}"
    );
    assert!(
        jobs.iter()
            .all(|job| job.submitted.clone().unwrap() > from_now(-30 * 24)),
        "no job is years old: {jobs:?}"
    );
    let failed = by_id(demo::FAILED_QUERY_JOB_ID);
    assert_eq!(failed.status, JobStatus::Failure);
    assert!(failed.status_message.contains("ORA-00942"));
}

#[tokio::test]
async fn job_finds_one_job_and_reports_unknown_ids() {
    let sim = start().await;
    let session = sign_in(&sim).await;
    let job = session.job(demo::LARGE_CUTOUT_JOB_ID).await.unwrap();
    assert_eq!(
        (job.name.as_str(), job.status),
        ("des-wide-520", JobStatus::Success)
    );
    let err = session
        .job("0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound, "{}", err.message);
}

#[tokio::test]
async fn a_busy_api_is_worth_asking_again_not_a_missing_job() {
    let sim = start().await;
    let session = sign_in(&sim).await;
    let busy = FaultAction::Status {
        code: 429,
        retry_after_secs: Some(7),
    };
    sim.faults()
        .add(FaultRule::new("/desaccess/api/job/status", busy).times(1));
    let err = session.job(demo::SEED_TREE_JOB_ID).await.unwrap_err();
    assert_eq!(
        (err.code, err.retryable, err.retry_after),
        (ErrorCode::Http, true, Some(Duration::from_secs(7))),
        "{}",
        err.message
    );
    assert!(session.job(demo::SEED_TREE_JOB_ID).await.is_ok());
}

#[tokio::test]
async fn the_newest_token_is_kept_and_a_restart_needs_no_password() {
    let sim = start().await;
    let secrets = with_password(demo::PASSWORD);
    let account = account_at(&sim.desaccess_api_url());
    open(&account, &secrets).await.unwrap();
    let first = secrets.held.lock().unwrap()[SESSION_TOKEN].clone();
    secrets.held.lock().unwrap().remove(desaccess::PASSWORD);
    let reads = secrets.password_reads.load(Ordering::SeqCst);
    let again = open(&account, &secrets).await.unwrap();
    again.jobs().await.unwrap();
    assert_eq!(
        secrets.password_reads.load(Ordering::SeqCst),
        reads,
        "no password asked"
    );
    assert_ne!(secrets.held.lock().unwrap()[SESSION_TOKEN], first);
}

#[tokio::test]
async fn an_expired_token_is_renewed_once_with_the_kept_password() {
    let sim = start().await;
    sim.set_token_ttl(Duration::from_secs(1));
    let secrets = with_password(demo::PASSWORD);
    let account = account_at(&sim.desaccess_api_url());
    let session = open(&account, &secrets).await.unwrap();
    let original = secrets.held.lock().unwrap()[SESSION_TOKEN].clone();
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let reads = secrets.password_reads.load(Ordering::SeqCst);
    assert_eq!(session.jobs().await.unwrap().len(), demo::JOB_COUNT);
    assert_eq!(secrets.password_reads.load(Ordering::SeqCst), reads + 1);
    assert_ne!(secrets.held.lock().unwrap()[SESSION_TOKEN], original);

    tokio::time::sleep(Duration::from_millis(1500)).await;
    secrets.held.lock().unwrap().remove(desaccess::PASSWORD);
    let err = match open(&account, &secrets).await {
        Ok(_) => panic!("an expired token without a password signed in"),
        Err(err) => err,
    };
    assert_eq!(err.code, ErrorCode::AuthExpired, "{}", err.message);
    assert!(err.message.contains("Sign in again"), "{}", err.message);
}

#[tokio::test]
async fn the_seed_job_has_exactly_its_ten_files() {
    let sim = start().await;
    let session = sign_in(&sim).await;
    let job = session.job(demo::SEED_TREE_JOB_ID).await.unwrap();
    let tree = session.outputs(&job).await.unwrap();

    let fits = |band: &str| OutputKind::Fits {
        band: Some(band.into()),
    };
    let stiff = OutputKind::StiffPng {
        colors: "irg".into(),
    };
    let lupton = OutputKind::LuptonPng {
        colors: "irg".into(),
    };
    let mut got: Vec<(&str, OutputKind)> = files(&tree)
        .into_iter()
        .map(|f| (f.path.as_str(), f.kind.clone()))
        .collect();
    got.sort_by(|a, b| a.0.cmp(b.0));
    assert_eq!(
        got,
        [
            ("BTL_C39008AA52F54B9E94335B566743AF0C.csv", OutputKind::Csv),
            ("BulkThumbs_20200706-152133.log", OutputKind::Log),
            (
                "BulkThumbs_20200706-152133_SUMMARY.json",
                OutputKind::Summary
            ),
            (
                "DES0226-1541/DESJ022640.4160-154120.0040_irg_stiff.png",
                stiff.clone()
            ),
            ("DES0226-1541/DESJ022640.4160-154120.0040_r.fits", fits("r")),
            ("DES0226-1541/DESJ022642.8160-153932.0040_g.fits", fits("g")),
            ("DES0226-1541/DESJ022642.8160-153932.0040_i.fits", fits("i")),
            (
                "DES0305-3415/DESJ030510.9606-341521.6000_irg_lupton.png",
                lupton
            ),
            (
                "DES0305-3415/DESJ030510.9606-341521.6000_irg_stiff.png",
                stiff
            ),
            ("DES0305-3415/DESJ030510.9606-341521.6000_r.fits", fits("r")),
        ]
    );

    assert_eq!(
        (tree.name.as_str(), tree.path.as_str()),
        (demo::SEED_TREE_JOB_ID, "")
    );
    assert_eq!(tree.file_count, 10);
    assert_totals_consistent(&tree);
    let listed = listed_files(&job.location).await;
    assert_eq!(
        sized_files(&tree),
        listed,
        "paths and sizes are the listing's"
    );
    assert_eq!(tree.size, Some(listed.iter().map(|(_, n)| n).sum()));
    let tile = tree
        .children
        .iter()
        .find(|c| c.name == "DES0226-1541")
        .unwrap();
    assert_eq!(tile.file_count, 4);
    assert!(tile.modified.as_deref().is_some_and(is_iso_utc), "{tile:?}");
}

#[tokio::test]
async fn the_large_job_lists_every_cutout() {
    let sim = start().await;
    let session = sign_in(&sim).await;
    let job = session.job(demo::LARGE_CUTOUT_JOB_ID).await.unwrap();
    let tree = session.outputs(&job).await.unwrap();
    let listed = listed_files(&job.location).await;
    assert!(listed.len() >= 1040, "{} files listed", listed.len());
    assert_eq!(tree.file_count as usize, listed.len());
    assert_eq!(sized_files(&tree), listed);
    assert_totals_consistent(&tree);
    let all = files(&tree);
    let fits: Vec<_> = all
        .iter()
        .filter(|f| matches!(f.kind, OutputKind::Fits { .. }))
        .collect();
    assert_eq!(fits.len(), 520);
    assert!(fits.iter().all(|f| f.kind
        == OutputKind::Fits {
            band: Some("i".into())
        }));
    let luptons = all
        .iter()
        .filter(|f| matches!(&f.kind, OutputKind::LuptonPng { colors } if colors == "gri"))
        .count();
    assert_eq!(luptons, 520);
    assert_eq!(
        tree.children
            .iter()
            .filter(|c| c.kind == OutputKind::Directory)
            .count(),
        20
    );
}

#[tokio::test]
async fn hostile_names_fail_the_listing_with_the_name() {
    let sim = start().await;
    let session = sign_in(&sim).await;
    let job = session.job(demo::SEED_TREE_JOB_ID).await.unwrap();
    let folder = format!("demo/cutout/{}", demo::SEED_TREE_JOB_ID);
    let long = "n".repeat(300);
    for (bad, shown) in [
        ("../x", "../x"),
        ("/etc/passwd", "/etc/passwd"),
        ("a\u{0}b", "a\\0b"),
        (long.as_str(), &long[..80]),
    ] {
        let body = json!([
            {"name": bad, "type": "file", "mtime": "Mon, 06 Jul 2020 15:22:04 GMT", "size": 3},
            {"name": "good.fits", "type": "file", "mtime": "Mon, 06 Jul 2020 15:22:04 GMT", "size": 3},
        ]);
        sim.add_raw_listing(&folder, body.to_string());
        let err = session.outputs(&job).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::UnsafeName, "{bad:?}: {}", err.message);
        assert!(
            err.message.contains(shown),
            "{shown:?} not in {}",
            err.message
        );
    }
}

#[tokio::test]
async fn malformed_listings_are_protocol_errors() {
    let sim = start().await;
    let session = sign_in(&sim).await;
    let job = session.job(demo::SEED_TREE_JOB_ID).await.unwrap();
    for body in ["<html>", "{}"] {
        sim.add_raw_listing(&format!("demo/cutout/{}", demo::SEED_TREE_JOB_ID), body);
        let err = session.outputs(&job).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Protocol, "{body}: {}", err.message);
        assert!(
            err.message.contains("/json"),
            "names the listing: {}",
            err.message
        );
    }
}

#[tokio::test]
async fn folders_are_listed_concurrently_and_within_the_limit() {
    let server = TinyServer::start(tree_listing).await;
    let root = nginx_listing::normalize_folder_url(&format!("{}/job/", server.base)).unwrap();
    let mut folders = 0;
    nginx_listing::walk(&http::client().unwrap(), &root, 1, |_, _, result| {
        result.unwrap();
        folders += 1;
    })
    .await;
    assert_eq!(folders, 5);
    assert_eq!(
        server.max_in_flight(),
        1,
        "a limit of 1 lists one folder at a time"
    );

    let server = TinyServer::start(tree_listing).await;
    let root = nginx_listing::normalize_folder_url(&format!("{}/job", server.base)).unwrap();
    let tree = nginx_listing::output_tree(
        &http::client().unwrap(),
        &root,
        nginx_listing::CONCURRENCY,
        desaccess::kinds::classify,
    )
    .await
    .unwrap();
    assert_eq!(tree.file_count, 9);
    assert!(
        server.max_in_flight() > 1,
        "sibling folders were listed one by one"
    );
}

/// A job folder `/job` with one file and four subfolders of two files each.
fn tree_listing(path: &str) -> (u16, &'static str, String) {
    let entry = |name: &str, kind: &str| json!({"name": name, "type": kind, "mtime": "Mon, 06 Jul 2020 15:22:04 GMT", "size": 5});
    let body = match path {
        "/job/json" => {
            let mut all: Vec<Value> = (0..4)
                .map(|i| entry(&format!("d{i}"), "directory"))
                .collect();
            all.push(entry("top.txt", "file"));
            all
        }
        _ if path.starts_with("/job/d") && path.ends_with("/json") => {
            vec![entry("a.fits", "file"), entry("b.fits", "file")]
        }
        _ => return (404, "text/html", "<html>404</html>".into()),
    };
    (200, "application/json", Value::from(body).to_string())
}

/// A hand-written HTTP/1.1 server for what the sim cannot do: count requests in flight, or answer
/// like something other than DESaccess. Each request waits (briefly) for another to arrive, so
/// concurrent clients overlap visibly without any timing assertion.
struct TinyServer {
    base: String,
    max_in_flight: Arc<AtomicUsize>,
}

/// How long a request waits for a second one before answering anyway.
const PEER_WAIT: Duration = Duration::from_millis(300);

impl TinyServer {
    async fn start(answer: fn(&str) -> (u16, &'static str, String)) -> TinyServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let (now, max) = (in_flight.clone(), max_in_flight.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, answer, now.clone(), max.clone()));
            }
        });
        TinyServer {
            base,
            max_in_flight,
        }
    }

    fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

async fn serve(
    mut stream: TcpStream,
    answer: fn(&str) -> (u16, &'static str, String),
    in_flight: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
) {
    let Some(path) = read_request(&mut stream).await else {
        return;
    };
    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    max.fetch_max(now, Ordering::SeqCst);
    let since = Instant::now();
    while max.load(Ordering::SeqCst) < 2 && since.elapsed() < PEER_WAIT {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (status, content_type, body) = answer(&path);
    // Leave before answering, so a client that waits for this reply never overlaps with it.
    in_flight.fetch_sub(1, Ordering::SeqCst);
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(format!("{head}{body}").as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Reads one request (head and any body) and returns its path.
async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let body_len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while data.len() < head_end + body_len {
        let n = stream.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        data.extend_from_slice(&buf[..n]);
    }
    head.split_whitespace().nth(1).map(str::to_string)
}
