//! The transfer engine over real HTTP: faults from the simulator and tiny test servers, checked byte for byte on disk.

mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use jobfetch_engine::ids::ProviderId;
use jobfetch_engine::transfer::auth::{BoxFuture, Credentials, Resolver};
use jobfetch_engine::transfer::manifest::Manifest;
use jobfetch_engine::transfer::model::{AuthPolicy, BatchOrigin, Digest, OriginScope, Source};
use jobfetch_engine::transfer::part_file::part_path;
use jobfetch_engine::transfer::retry::RetryPolicy;
use jobfetch_engine::transfer::store::ItemRow;
use jobfetch_engine::transfer::{
    BatchId, BatchSnapshot, BatchState, HostConcurrency, ItemSpec, ItemState, Observer,
    TransferConfig, Transfers,
};
use jobfetch_engine::{ErrorCode, Result};
use jobfetch_sim::{FaultAction, FaultRule, Sim, SimConfig};
use reqwest::header::HeaderValue;
use sha2::Digest as _;
use support::{test_account, Seen, TestServer};
use url::Url;

/// How long any one batch may take before the test gives up on it.
const PATIENCE: Duration = Duration::from_secs(60);

/// `len` bytes that follow from `seed`, different for every seed.
fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..len).map(|_| rng.u8(..)).collect()
}

fn sha256(bytes: &[u8]) -> Digest {
    Digest::Sha256(format!("{:x}", sha2::Sha256::digest(bytes)))
}

/// Patient enough for a loaded machine, but quick to retry.
fn config() -> TransferConfig {
    TransferConfig {
        concurrency: 4,
        per_host: HostConcurrency::Fixed(4),
        retry: RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(10),
        },
        idle_timeout: Duration::from_secs(10),
        progress_interval: Duration::from_millis(100),
        shard_dir: None,
    }
}

/// Where test batches come from: the test archive, a whole job.
fn test_origin() -> BatchOrigin {
    BatchOrigin {
        provider: ProviderId::new("test").unwrap(),
        account: Some(test_account()),
        job: Some("42".into()),
        scope: OriginScope::Whole,
    }
}

fn item(url: &str, dest: &str, size: Option<usize>) -> ItemSpec {
    ItemSpec {
        source: Source::Url { url: url.into() },
        dest: dest.into(),
        size: size.map(|s| s as u64),
        digest: None,
        auth: AuthPolicy::Anonymous,
    }
}

/// An engine on a fresh queue, writing batches into its own folder.
struct Engine {
    transfers: Arc<Transfers>,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Engine {
    fn new() -> Engine {
        Engine::with(config())
    }

    fn with(config: TransferConfig) -> Engine {
        let dir = tempfile::tempdir().unwrap();
        let transfers = Transfers::open(&dir.path().join("queue.sqlite"), config).unwrap();
        let root = dir.path().join("out");
        std::fs::create_dir(&root).unwrap();
        Engine {
            transfers,
            root,
            _dir: dir,
        }
    }

    /// Queues `items` as one batch and starts it.
    fn start(&self, items: &[ItemSpec]) -> BatchId {
        let t = &self.transfers;
        let id = t
            .create_batch("test", &test_origin(), "test", &self.root)
            .unwrap();
        assert_eq!(t.add_items(id, items).unwrap(), items.len());
        t.set_listing_complete(id, true).unwrap();
        t.run(id).unwrap();
        id
    }

    async fn wait(&self, id: BatchId) -> BatchState {
        tokio::time::timeout(PATIENCE, self.transfers.wait(id))
            .await
            .expect("the batch stops in time")
            .unwrap()
    }

    async fn run(&self, items: &[ItemSpec]) -> (BatchId, BatchState) {
        let id = self.start(items);
        (id, self.wait(id).await)
    }

    fn row(&self, id: BatchId, dest: &str) -> ItemRow {
        let rows = self.transfers.items(id).unwrap();
        rows.into_iter()
            .find(|r| r.dest == dest)
            .expect("item exists")
    }

    fn path(&self, dest: &str) -> PathBuf {
        self.root.join(dest)
    }

    fn part_len(&self, dest: &str) -> Option<u64> {
        std::fs::metadata(part_path(&self.path(dest)))
            .ok()
            .map(|m| m.len())
    }

    /// The file is exactly `expected`, and no `.part` is left beside it.
    fn assert_whole(&self, dest: &str, expected: &[u8]) {
        let local = std::fs::read(self.path(dest)).unwrap_or_else(|e| panic!("{dest}: {e}"));
        assert!(
            local == expected,
            "{dest}: {} bytes on disk differ from the {} served",
            local.len(),
            expected.len()
        );
        assert_eq!(self.part_len(dest), None, "{dest}.part left behind");
    }

    fn snapshot(&self, id: BatchId) -> BatchSnapshot {
        let snapshots = self.transfers.snapshots().unwrap();
        snapshots.into_iter().find(|b| b.id == id).unwrap()
    }

    /// Polls until `done` holds (or fails the test after a while).
    async fn until(&self, what: &str, mut done: impl FnMut(&Engine) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !done(self) {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until no item of the batch is still busy (running or retrying).
    async fn until_settled(&self, id: BatchId) {
        self.until("items settle", |e| {
            e.transfers
                .items(id)
                .unwrap()
                .iter()
                .all(|r| !matches!(r.state, ItemState::Running | ItemState::Retrying))
        })
        .await;
    }
}

/// A file on the simulator: its URL, the prefix fault rules use for it, and its bytes.
struct SimFile {
    url: String,
    prefix: String,
    bytes: Vec<u8>,
}

async fn sim() -> Sim {
    Sim::start(SimConfig::default()).await.unwrap()
}

fn sim_file(sim: &Sim, name: &str, len: usize) -> SimFile {
    let path = format!("t/{name}");
    let bytes = content(name.len() as u64 * 7919 + len as u64, len);
    sim.add_raw_file(&path, bytes.clone());
    SimFile {
        url: format!("{}/{path}", sim.desaccess_files_url()),
        prefix: format!("/files-desaccess/{path}"),
        bytes,
    }
}

impl SimFile {
    fn item(&self, dest: &str) -> ItemSpec {
        item(&self.url, dest, Some(self.bytes.len()))
    }
}

/// Runs one sim file through `faults` and checks it arrived whole; returns the engine and the item's row.
async fn survives(len: usize, faults: &[FaultRule], engine: Engine) -> (Engine, ItemRow) {
    let sim = sim().await;
    let file = sim_file(&sim, "victim.fits", len);
    for rule in faults {
        let mut rule = rule.clone();
        rule.path_prefix = file.prefix.clone();
        sim.faults().add(rule);
    }
    let (id, state) = engine.run(&[file.item("victim.fits")]).await;
    assert_eq!(
        state,
        BatchState::Done,
        "{:?}",
        engine.row(id, "victim.fits")
    );
    engine.assert_whole("victim.fits", &file.bytes);
    assert!(
        sim.faults().rules().iter().all(|r| r.times.is_none()),
        "every counted fault was served: {:?}",
        sim.faults().rules()
    );
    let row = engine.row(id, "victim.fits");
    (engine, row)
}

/// A fault rule whose prefix [`survives`] fills in.
fn fault(action: FaultAction) -> FaultRule {
    FaultRule::new("", action)
}

/// Stops sending after 100 kB, for an hour: with [`impatient`] the try is abandoned and the bytes kept.
fn stalls_once() -> FaultRule {
    let stall = FaultAction::StallAfter {
        bytes: 100_000,
        secs: 3600,
    };
    fault(stall).times(1)
}

/// An engine that gives up on a silent response after a second.
fn impatient() -> Engine {
    Engine::with(TransferConfig {
        idle_timeout: Duration::from_secs(1),
        ..config()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_mid_body_is_retried() {
    let reset = fault(FaultAction::ResetAfter { bytes: 100_000 }).times(1);
    let (_, row) = survives(300_000, &[reset], Engine::new()).await;
    assert_eq!(row.bytes_done, 200_000, "continued from the 100 kB kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_connection_resumes_from_the_part_file() {
    resumes_after_a_break(300_000, 120_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_file_broken_off_mid_block_resumes_and_verifies() {
    // Large files are written straight to disk in aligned blocks: the break falls inside one.
    let size = jobfetch_engine::transfer::part_file::LARGE_FILE_BYTES as usize + 4_200_007;
    resumes_after_a_break(size, 5_000_003).await;
}

/// A file whose first answer breaks off after `break_at` bytes arrives whole, checked against its
/// SHA-256, with only the rest fetched the second time.
async fn resumes_after_a_break(size: usize, break_at: usize) {
    let bytes = content(9, size);
    let served = bytes.clone();
    let asked = AtomicUsize::new(0);
    let server = TestServer::start(move |r| match asked.fetch_add(1, Ordering::SeqCst) {
        0 => support::broken_file(&served, "\"v\"", break_at),
        _ => support::file(r, &served, "\"v\"", true),
    })
    .await;
    let engine = Engine::new();
    let mut spec = item(&server.url("/f.fits"), "f.fits", Some(bytes.len()));
    spec.digest = Some(sha256(&bytes));
    let (id, state) = engine.run(&[spec]).await;
    assert_eq!(state, BatchState::Done);
    engine.assert_whole("f.fits", &bytes);
    let second = &server.requests()[1];
    let range = format!("bytes={break_at}-");
    assert_eq!(
        (second.header("range"), second.header("if-range")),
        (Some(range.as_str()), Some("\"v\""))
    );
    assert_eq!(
        second.header("accept-encoding"),
        Some("identity"),
        "files are asked for as stored, never compressed on the fly"
    );
    assert_eq!(
        engine.row(id, "f.fits").bytes_done,
        (size - break_at) as u64,
        "only the rest was fetched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_500s_is_retried() {
    let busy = FaultAction::Status {
        code: 500,
        retry_after_secs: None,
    };
    let (_, row) = survives(50_000, &[fault(busy).times(3)], Engine::new()).await;
    assert_eq!(row.attempts, 4, "three failures, then success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_waits_as_long_as_retry_after_says() {
    let slow_down = FaultAction::Status {
        code: 429,
        retry_after_secs: Some(2),
    };
    let started = Instant::now();
    survives(50_000, &[fault(slow_down).times(1)], Engine::new()).await;
    // The backoff alone would have waited at most 20 ms.
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "retried after {:?}",
        started.elapsed()
    );
}

/// Adaptive connections on a sim whose file host answers each request 20 ms late (so that requests
/// overlap, as over a network) and `strain`s (a rule for every file): 300 small files fetched with
/// `config`; every file must arrive. Returns the engine, the sim and the batch.
async fn under_strain(strain: FaultAction, config: TransferConfig) -> (Engine, Sim, BatchId) {
    let sim = sim().await;
    let files: Vec<SimFile> = (0..300)
        .map(|i| sim_file(&sim, &format!("s{i:03}.txt"), 2_000))
        .collect();
    let files_prefix = "/files-desaccess/t/";
    sim.faults().add(FaultRule::new(
        files_prefix,
        FaultAction::Latency { ms: 20 },
    ));
    sim.faults().add(FaultRule::new(files_prefix, strain));
    let engine = Engine::with(config);
    let items: Vec<ItemSpec> = files
        .iter()
        .enumerate()
        .map(|(i, file)| file.item(&format!("s{i:03}.txt")))
        .collect();
    let (id, state) = engine.run(&items).await;
    let failed: Vec<_> = engine
        .transfers
        .items(id)
        .unwrap()
        .into_iter()
        .filter(|row| row.state != ItemState::Done)
        .map(|row| (row.dest, row.error))
        .collect();
    assert_eq!((state, failed), (BatchState::Done, Vec::new()));
    (engine, sim, id)
}

/// The default adaptive gate, with the patience a strained host needs.
fn adaptive() -> TransferConfig {
    TransferConfig {
        concurrency: 256,
        per_host: HostConcurrency::default(),
        retry: RetryPolicy {
            attempts: 20,
            ..config().retry
        },
        ..config()
    }
}

impl Engine {
    /// The connections the sim's host may have now.
    fn connections_to_sim(&self) -> usize {
        let allowed = self.transfers.connections_allowed();
        match allowed.as_slice() {
            [(host, n)] if host == "127.0.0.1" => *n,
            other => panic!("only the sim was fetched from: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adaptive_connections_settle_below_a_host_that_refuses_more_than_eight() {
    let crowded = FaultAction::Crowded {
        above: 8,
        code: 503,
        retry_after_secs: None,
    };
    let (engine, _sim, _) = under_strain(crowded, adaptive()).await;
    let settled = engine.connections_to_sim();
    assert!(
        (2..=8).contains(&settled),
        "settled at {settled} connections"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adaptive_connections_settle_near_where_a_host_starts_to_queue() {
    let queueing = FaultAction::Queueing {
        above: 6,
        ms_each: 25,
    };
    let (engine, _sim, _) = under_strain(queueing, adaptive()).await;
    let settled = engine.connections_to_sim();
    assert!(
        (2..=12).contains(&settled),
        "settled at {settled} connections, near the 6 the host answers without queueing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adaptive_connections_back_off_on_429_and_wait_as_retry_after_says() {
    let crowded = FaultAction::Crowded {
        above: 4,
        code: 429,
        retry_after_secs: Some(1),
    };
    let started = Instant::now();
    let (engine, _sim, _) = under_strain(crowded, adaptive()).await;
    let settled = engine.connections_to_sim();
    assert!(
        (1..=4).contains(&settled),
        "settled at {settled} connections"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the refused waited the second asked: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adaptive_connections_grow_to_the_ceiling_and_never_beyond() {
    let slow = FaultAction::Latency { ms: 10 };
    let config = TransferConfig {
        per_host: HostConcurrency::Adaptive {
            start: 2,
            ceiling: 6,
        },
        ..adaptive()
    };
    let (engine, sim, id) = under_strain(slow, config).await;
    let retried: Vec<_> = engine
        .transfers
        .items(id)
        .unwrap()
        .into_iter()
        .filter(|item| item.attempts > 1)
        .map(|item| (item.dest, item.error))
        .collect();
    assert_eq!(
        retried,
        Vec::new(),
        "a host that only answers late refuses nothing"
    );
    assert_eq!(engine.connections_to_sim(), 6);
    assert!(
        sim.faults().peak_in_flight() <= 6,
        "the host saw {} requests at once",
        sim.faults().peak_in_flight()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_response_is_abandoned_and_continued() {
    let started = Instant::now();
    let (_, row) = survives(400_000, &[stalls_once()], impatient()).await;
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(row.bytes_done, 300_000, "continued from the 100 kB kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_body_is_completed() {
    let truncate = fault(FaultAction::TruncateAfter { bytes: 70_000 }).times(1);
    let (_, row) = survives(250_000, &[truncate], Engine::new()).await;
    assert_eq!(row.bytes_done, 180_000, "continued from the 70 kB kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_ignoring_range_restarts_the_file_from_zero() {
    // The stall leaves 100 kB in the .part (see above); the 200 answer must replace them, not follow them.
    let ignore = fault(FaultAction::IgnoreRange);
    let (_, row) = survives(300_000, &[stalls_once(), ignore], impatient()).await;
    assert_eq!(
        row.bytes_done, 300_000,
        "the 200 answer was written from zero"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_validator_restarts_the_file() {
    // The sim keeps the bytes and changes only the validators: the resume must still start over.
    let changing = fault(FaultAction::ChangeValidator);
    let (_, row) = survives(300_000, &[stalls_once(), changing], impatient()).await;
    assert_eq!(row.bytes_done, 300_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_digest_fails_the_item_and_keeps_nothing() {
    let (sim, engine) = (sim().await, Engine::new());
    let file = sim_file(&sim, "bad.fits", 80_000);
    let mut spec = file.item("bad.fits");
    spec.digest = Some(sha256(b"something else"));
    let (id, state) = engine.run(&[spec]).await;

    assert_eq!(state, BatchState::DoneWithErrors);
    let row = engine.row(id, "bad.fits");
    assert_eq!(row.state, ItemState::Failed);
    let error = row.error.expect("the failure is recorded");
    assert_eq!(error.code, ErrorCode::Integrity, "{}", error.message);
    assert!(
        !engine.path("bad.fits").exists(),
        "kept under its final name"
    );
    assert_eq!(engine.part_len("bad.fits"), None, "kept as a .part");

    let manifest = Manifest::read(&engine.root.join("MANIFEST.json")).unwrap();
    let entry = &manifest.entries[0];
    assert_eq!(
        (entry.file.as_str(), entry.state),
        ("bad.fits", ItemState::Failed)
    );
    assert!(
        entry
            .message
            .as_deref()
            .is_some_and(|m| m.contains("wrong checksum")),
        "{entry:?}"
    );
    assert_eq!((manifest.totals.failed, manifest.totals.retrieved), (1, 0));
}

/// A file whose bytes (and strong ETag) change after the first request, which breaks half-way.
fn changing_file(honour_if_range: bool) -> (Vec<u8>, impl Fn(&Seen) -> axum::response::Response) {
    let (old, new) = (content(1, 200_000), content(2, 200_000));
    let asked = AtomicUsize::new(0);
    let expected = new.clone();
    let handler = move |request: &Seen| match asked.fetch_add(1, Ordering::SeqCst) {
        0 => support::broken_file(&old, "\"old\"", 120_000),
        _ => support::file(request, &new, "\"new\"", honour_if_range),
    };
    (expected, handler)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_content_is_not_spliced_onto_old_bytes() {
    let (new, handler) = changing_file(true);
    let server = TestServer::start(handler).await;
    let engine = Engine::new();
    let (_, state) = engine
        .run(&[item(&server.url("/f.bin"), "f.bin", Some(new.len()))])
        .await;
    assert_eq!(state, BatchState::Done);
    engine.assert_whole("f.bin", &new);
    let second = &server.requests()[1];
    assert_eq!(
        (second.header("range"), second.header("if-range")),
        (Some("bytes=120000-"), Some("\"old\"")),
        "the second try asked to continue the old bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_answer_for_a_changed_file_is_not_spliced() {
    // A server that ignores If-Range answers 206 with the new file's tail and its new ETag.
    let (new, handler) = changing_file(false);
    let server = TestServer::start(handler).await;
    let engine = Engine::new();
    let (id, state) = engine
        .run(&[item(&server.url("/f.bin"), "f.bin", Some(new.len()))])
        .await;
    assert_eq!(state, BatchState::Done, "{:?}", engine.row(id, "f.bin"));
    engine.assert_whole("f.bin", &new);
}

/// An archive token that turns from `stale` to `fresh` when refreshed.
struct Token {
    current: Mutex<&'static str>,
    refreshes: AtomicUsize,
}

impl Token {
    fn new(current: &'static str) -> Arc<Token> {
        Arc::new(Token {
            current: Mutex::new(current),
            refreshes: AtomicUsize::new(0),
        })
    }

    fn refreshes(&self) -> usize {
        self.refreshes.load(Ordering::SeqCst)
    }
}

impl Credentials for Token {
    fn authorization(&self) -> Option<HeaderValue> {
        let token = *self.current.lock().unwrap();
        Some(HeaderValue::from_str(&format!("Bearer {token}")).unwrap())
    }

    fn refresh(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.refreshes.fetch_add(1, Ordering::SeqCst);
            *self.current.lock().unwrap() = "fresh";
            Ok(())
        })
    }

    /// As DESaccess does: HTTP 200 with a JSON message saying the signature expired.
    fn is_session_ended_reply(&self, body: &[u8]) -> bool {
        String::from_utf8_lossy(body).contains("Signature has expired")
    }
}

/// An item that may carry archive `test`'s token to `hosts`.
fn with_token(mut spec: ItemSpec, hosts: &[String]) -> ItemSpec {
    spec.auth = AuthPolicy::ArchiveToken {
        account: test_account(),
        scheme: "Bearer".into(),
        hosts: hosts.to_vec(),
    };
    spec
}

/// Fetches from server A, which redirects to server B; returns what A and B were sent.
async fn through_a_redirect(trust_b: bool) -> (Vec<Seen>, Vec<Seen>) {
    let bytes = content(3, 60_000);
    let served = bytes.clone();
    let b = TestServer::start(move |r| support::file(r, &served, "\"b\"", true)).await;
    let location = b.url("/storage/f.bin");
    let a = TestServer::start(move |_| support::redirect(&location)).await;
    let mut hosts = vec![a.authority()];
    if trust_b {
        hosts.push(b.authority());
    }
    let engine = Engine::new();
    engine
        .transfers
        .set_credentials(&test_account(), Token::new("secret"));
    let spec = with_token(item(&a.url("/f.bin"), "f.bin", Some(bytes.len())), &hosts);
    let (_, state) = engine.run(&[spec]).await;
    assert_eq!(state, BatchState::Done);
    engine.assert_whole("f.bin", &bytes);
    (a.requests(), b.requests())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_host_drops_the_token() {
    let (a, b) = through_a_redirect(false).await;
    assert_eq!(
        a[0].authorization(),
        Some("Bearer secret"),
        "the archive got it"
    );
    assert!(!b.is_empty());
    assert!(
        b.iter().all(|r| r.authorization().is_none()),
        "the other host got the token: {b:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_a_trusted_host_keeps_the_token() {
    let (_, b) = through_a_redirect(true).await;
    assert_eq!(b[0].authorization(), Some("Bearer secret"));
}

/// Hands out `{base}/{key}?expires=N` with N counting the calls.
struct Signer {
    base: String,
    calls: AtomicUsize,
}

impl Resolver for Signer {
    fn resolve<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Url>> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Url::parse(&format!("{}/{key}?expires={n}", self.base)).unwrap())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_signed_url_is_resolved_again_without_the_token() {
    let bytes = content(4, 90_000);
    let served = bytes.clone();
    let storage = TestServer::start(move |r| {
        if r.uri.ends_with("expires=1") {
            support::status(StatusCode::FORBIDDEN)
        } else {
            support::file(r, &served, "\"s\"", true)
        }
    })
    .await;
    let signer = Arc::new(Signer {
        base: storage.url(""),
        calls: AtomicUsize::new(0),
    });
    let engine = Engine::new();
    engine
        .transfers
        .set_resolver(&test_account(), signer.clone());
    engine
        .transfers
        .set_credentials(&test_account(), Token::new("secret"));
    let spec = ItemSpec {
        source: Source::Resolver {
            account: test_account(),
            key: "f.bin".into(),
        },
        // Even where the archive's token may go, a signed URL never gets it.
        ..with_token(item("", "f.bin", Some(bytes.len())), &[storage.authority()])
    };
    let (id, state) = engine.run(&[spec]).await;
    assert_eq!(state, BatchState::Done, "{:?}", engine.row(id, "f.bin"));
    engine.assert_whole("f.bin", &bytes);
    assert!(signer.calls.load(Ordering::SeqCst) >= 2);
    let seen = storage.requests();
    assert_eq!(seen[0].uri, "/f.bin?expires=1");
    assert!(
        seen.iter().all(|r| r.authorization().is_none()),
        "storage got the token: {seen:?}"
    );
}

/// A protected file: with the fresh token it is served, otherwise `refuse` answers.
async fn protected(bytes: &[u8], refuse: fn() -> axum::response::Response) -> TestServer {
    let served = bytes.to_vec();
    TestServer::start(move |r| match r.authorization() {
        Some("Bearer fresh") => support::file(r, &served, "\"p\"", true),
        _ => refuse(),
    })
    .await
}

/// Fetches from `server` with a stale token that refreshes to the fresh one; returns the token.
async fn fetch_protected(server: &TestServer, bytes: &[u8], size: Option<usize>) -> Arc<Token> {
    let engine = Engine::new();
    let token = Token::new("stale");
    engine
        .transfers
        .set_credentials(&test_account(), token.clone());
    let spec = with_token(
        item(&server.url("/f.fits"), "f.fits", size),
        &[server.authority()],
    );
    let (id, state) = engine.run(&[spec]).await;
    assert_eq!(state, BatchState::Done, "{:?}", engine.row(id, "f.fits"));
    engine.assert_whole("f.fits", bytes);
    token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_refreshes_the_token_once_and_retries() {
    let bytes = content(5, 40_000);
    let server = protected(&bytes, || support::status(StatusCode::UNAUTHORIZED)).await;
    let token = fetch_protected(&server, &bytes, Some(bytes.len())).await;
    assert_eq!(token.refreshes(), 1);
    let tokens: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.authorization().map(str::to_string))
        .collect();
    assert_eq!(
        tokens,
        [Some("Bearer stale".into()), Some("Bearer fresh".into())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_reply_saying_the_session_ended_refreshes_and_is_not_saved() {
    let bytes = content(6, 40_000);
    let server = protected(&bytes, support::session_ended_json).await;
    // No size: only the engine's reading of the reply keeps the JSON from becoming the file.
    let token = fetch_protected(&server, &bytes, None).await;
    assert_eq!(token.refreshes(), 1);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failed_item_does_not_fail_the_batch() {
    let (sim, engine) = (sim().await, Engine::new());
    let (a, b) = (
        sim_file(&sim, "a.fits", 30_000),
        sim_file(&sim, "b.fits", 20_000),
    );
    let missing = format!("{}/t/missing.fits", sim.desaccess_files_url());
    let (id, state) = engine
        .run(&[
            a.item("a.fits"),
            item(&missing, "missing.fits", Some(10)),
            b.item("b.fits"),
        ])
        .await;

    assert_eq!(state, BatchState::DoneWithErrors);
    engine.assert_whole("a.fits", &a.bytes);
    engine.assert_whole("b.fits", &b.bytes);
    let row = engine.row(id, "missing.fits");
    assert_eq!(row.state, ItemState::Failed);
    assert_eq!(row.error.unwrap().code, ErrorCode::NotFound);
    assert!(!engine.path("missing.fits").exists());

    let snapshot = engine.snapshot(id);
    assert_eq!((snapshot.files_done, snapshot.files_failed), (2, 1));
    let reported: Vec<_> = snapshot
        .items
        .iter()
        .map(|i| (i.path.as_str(), i.state))
        .collect();
    assert_eq!(reported, [("missing.fits", ItemState::Failed)]);
    assert_eq!(
        snapshot.items[0].error.as_ref().unwrap().code,
        ErrorCode::NotFound
    );
    let manifest = Manifest::read(&engine.root.join("MANIFEST.json")).unwrap();
    assert_eq!((manifest.totals.retrieved, manifest.totals.failed), (2, 1));

    // The batch keeps where it came from, in the queue, its snapshots and its manifest.
    assert_eq!(snapshot.origin, Some(test_origin()));
    let batch = engine.transfers.batch(id).unwrap();
    assert_eq!(
        (batch.archive.as_str(), batch.origin),
        ("test", Some(test_origin()))
    );
    assert_eq!(manifest.batch.origin, Some(test_origin()));
    assert_eq!(manifest.batch.archive, "test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_of_unknown_length_arrives_whole() {
    let bytes = content(7, 150_000);
    let served = bytes.clone();
    let server = TestServer::start(move |_| support::chunked(&served)).await;
    let engine = Engine::new();
    let url = server.url("/stream.csv");
    let (_, state) = engine
        .run(&[
            item(&url, "unsized.csv", None),
            item(&url, "sized.csv", Some(bytes.len())),
        ])
        .await;
    assert_eq!(state, BatchState::Done);
    engine.assert_whole("unsized.csv", &bytes);
    engine.assert_whole("sized.csv", &bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_file_on_disk_is_skipped_without_a_request() {
    let bytes = content(8, 50_000);
    let served = bytes.clone();
    let server = TestServer::start(move |r| support::file(r, &served, "\"w\"", true)).await;
    let engine = Engine::new();
    std::fs::write(engine.path("whole.fits"), &bytes).unwrap();
    // Same size, other bytes: the digest gives it away, and it is fetched again.
    let mut damaged = bytes.clone();
    damaged[100] ^= 0xff;
    std::fs::write(engine.path("damaged.fits"), &damaged).unwrap();
    let spec = |name: &str| ItemSpec {
        digest: Some(sha256(&bytes)),
        ..item(&server.url(&format!("/{name}")), name, Some(bytes.len()))
    };
    let (id, state) = engine
        .run(&[spec("whole.fits"), spec("damaged.fits")])
        .await;

    assert_eq!(state, BatchState::Done);
    assert_eq!(engine.row(id, "whole.fits").state, ItemState::Skipped);
    assert_eq!(engine.row(id, "damaged.fits").state, ItemState::Done);
    let asked: Vec<_> = server.requests().into_iter().map(|r| r.uri).collect();
    assert_eq!(
        asked,
        ["/damaged.fits"],
        "only the damaged file was asked for"
    );
    engine.assert_whole("whole.fits", &bytes);
    engine.assert_whole("damaged.fits", &bytes);
}

/// Two files on the sim, the engine limited to `rate` bytes per second so that they take a while.
async fn slow_batch(rate: u64) -> (Sim, Engine, [SimFile; 2], BatchId) {
    let (sim, engine) = (sim().await, Engine::new());
    let files = [
        sim_file(&sim, "big.fits", 1_500_000),
        sim_file(&sim, "bigger.fits", 2_000_000),
    ];
    engine.transfers.set_bandwidth_limit(Some(rate));
    let id = engine.start(&[files[0].item("big.fits"), files[1].item("bigger.fits")]);
    (sim, engine, files, id)
}

/// Bytes in the two files' `.part`s.
fn parts(engine: &Engine) -> [Option<u64>; 2] {
    ["big.fits", "bigger.fits"].map(|f| engine.part_len(f))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_left_running_by_a_stopped_process_resumes() {
    let sim = sim().await;
    let file = sim_file(&sim, "left.bin", 50_000);
    let engine = Engine::new();
    let t = &engine.transfers;
    // Recorded as running but never run here: what a process that was killed leaves in the queue.
    let id = t
        .create_batch("left", &test_origin(), "test", &engine.root)
        .unwrap();
    t.add_items(id, &[item(&file.url, "left.bin", Some(file.bytes.len()))])
        .unwrap();
    t.set_listing_complete(id, true).unwrap();
    assert_eq!(t.resume_interrupted().unwrap(), vec![id]);
    assert_eq!(engine.wait(id).await, BatchState::Done);
    engine.assert_whole("left.bin", &file.bytes);
    assert_eq!(t.resume_interrupted().unwrap(), Vec::<BatchId>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pausing_a_batch_stops_its_bytes_and_resuming_finishes_it() {
    let (_sim, engine, files, id) = slow_batch(300_000).await;
    engine
        .until("bytes arrive", |e| e.snapshot(id).bytes_done >= 100_000)
        .await;
    engine.transfers.pause(id).unwrap();
    assert_eq!(engine.wait(id).await, BatchState::Paused);
    engine.until_settled(id).await;
    let held = parts(&engine);
    assert!(held.iter().any(|p| p.is_some_and(|n| n > 0)), "{held:?}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(parts(&engine), held, "bytes kept coming while paused");
    assert_eq!(
        engine.transfers.batch(id).unwrap().state,
        BatchState::Paused
    );

    engine.transfers.set_bandwidth_limit(None);
    engine.transfers.resume(id).unwrap();
    assert_eq!(engine.wait(id).await, BatchState::Done);
    engine.assert_whole("big.fits", &files[0].bytes);
    engine.assert_whole("bigger.fits", &files[1].bytes);
    let fetched: u64 = ["big.fits", "bigger.fits"]
        .iter()
        .map(|f| engine.row(id, f).bytes_done)
        .sum();
    assert!(
        fetched < 3_500_000,
        "resumed from the .parts: fetched {fetched}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pausing_and_resuming_at_once_loses_no_item() {
    let (_sim, engine, files, id) = slow_batch(300_000).await;
    engine
        .until("bytes arrive", |e| e.snapshot(id).bytes_done >= 50_000)
        .await;
    engine.transfers.pause(id).unwrap();
    engine.transfers.set_bandwidth_limit(None);
    engine.transfers.resume(id).unwrap();
    assert_eq!(engine.wait(id).await, BatchState::Done);
    engine.assert_whole("big.fits", &files[0].bytes);
    engine.assert_whole("bigger.fits", &files[1].bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_batch_removes_parts_and_keeps_finished_files() {
    let (sim, engine) = (sim().await, Engine::new());
    let small = sim_file(&sim, "small.csv", 10_000);
    let big = sim_file(&sim, "big.fits", 2_000_000);
    engine.transfers.set_bandwidth_limit(Some(200_000));
    let id = engine.start(&[small.item("small.csv"), big.item("big.fits")]);
    engine
        .until("the small file is done and the big one under way", |e| {
            e.row(id, "small.csv").state == ItemState::Done && e.part_len("big.fits").is_some()
        })
        .await;
    engine.transfers.cancel(id).unwrap();
    assert_eq!(engine.wait(id).await, BatchState::Cancelled);
    engine.assert_whole("small.csv", &small.bytes);
    assert!(!engine.path("big.fits").exists());
    assert_eq!(
        engine.part_len("big.fits"),
        None,
        "the .part was not removed"
    );
    assert_eq!(engine.row(id, "big.fits").state, ItemState::Cancelled);
    assert_eq!(engine.row(id, "small.csv").state, ItemState::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_item_pauses_and_resumes_while_the_rest_goes_on() {
    let (_sim, engine, files, id) = slow_batch(400_000).await;
    let big = engine.row(id, "big.fits").id;
    engine
        .until("big.fits gets bytes", |e| {
            let items = e.snapshot(id).items;
            items.iter().any(|i| i.id == big && i.bytes_done > 0)
        })
        .await;
    engine.transfers.pause_item(id, big).unwrap();
    engine
        .until("big.fits pauses", |e| {
            e.row(id, "big.fits").state == ItemState::Paused
        })
        .await;
    let held = engine.part_len("big.fits");
    engine.transfers.set_bandwidth_limit(None);
    assert_eq!(
        engine.wait(id).await,
        BatchState::Paused,
        "a batch with a paused item is not done"
    );
    engine.assert_whole("bigger.fits", &files[1].bytes);
    assert_eq!(
        engine.part_len("big.fits"),
        held,
        "the paused item kept going"
    );

    engine.transfers.resume_item(id, big).unwrap();
    assert_eq!(engine.wait(id).await, BatchState::Done);
    engine.assert_whole("big.fits", &files[0].bytes);
    assert!(
        engine.row(id, "big.fits").bytes_done < 1_500_000,
        "resumed from its .part"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_one_item_removes_its_part_while_the_rest_goes_on() {
    let (_sim, engine, files, id) = slow_batch(400_000).await;
    let big = engine.row(id, "big.fits").id;
    engine
        .until("big.fits is under way", |e| {
            e.part_len("big.fits").is_some()
        })
        .await;
    engine.transfers.cancel_item(id, big).unwrap();
    engine.transfers.set_bandwidth_limit(None);
    assert_eq!(engine.wait(id).await, BatchState::Done);
    engine.assert_whole("bigger.fits", &files[1].bytes);
    assert_eq!(engine.row(id, "big.fits").state, ItemState::Cancelled);
    assert!(!engine.path("big.fits").exists());
    assert_eq!(
        engine.part_len("big.fits"),
        None,
        "the .part was not removed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_bandwidth_limit_applies_while_running() {
    let (sim, engine) = (sim().await, Engine::new());
    let file = sim_file(&sim, "big.fits", 3_000_000);
    let rate = 100_000;
    engine.transfers.set_bandwidth_limit(Some(rate));
    let started = Instant::now();
    let id = engine.start(&[file.item("big.fits")]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let done = engine.snapshot(id).bytes_done;
    let elapsed = started.elapsed().as_secs_f64();
    // At most the rate, one second of burst, and one read's worth of debt (hyper reads up to ~400 KiB).
    let bound = (rate as f64 * (elapsed + 1.0)) as u64 + 420_000;
    assert!(
        done <= bound,
        "{done} bytes in {elapsed:.2} s at {rate} B/s"
    );

    // At the old rate the rest would take half a minute.
    engine.transfers.set_bandwidth_limit(Some(100_000_000));
    let state = tokio::time::timeout(Duration::from_secs(15), engine.transfers.wait(id))
        .await
        .expect("the new limit applied at once");
    assert_eq!(state.unwrap(), BatchState::Done);
    engine.assert_whole("big.fits", &file.bytes);
}

/// Counts the snapshots it gets.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Observer for Counter {
    fn snapshot(&self, _: &[BatchSnapshot]) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observers_get_at_most_about_ten_snapshots_a_second() {
    let (_sim, engine, files, id) = slow_batch(200_000).await;
    let counter = Arc::new(Counter::default());
    engine.transfers.observe(counter.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (before, started) = (counter.0.load(Ordering::SeqCst), Instant::now());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = counter.0.load(Ordering::SeqCst) - before;
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(
        engine.snapshot(id).state,
        BatchState::Running,
        "busy all along"
    );
    assert!(got >= 2, "snapshots flow while running: {got}");
    assert!(
        got as f64 <= 10.0 * elapsed + 2.0,
        "{got} snapshots in {elapsed:.2} s"
    );

    engine.transfers.set_bandwidth_limit(None);
    assert_eq!(engine.wait(id).await, BatchState::Done);
    engine.assert_whole("big.fits", &files[0].bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_never_download_into_the_same_folder_at_once() {
    let bytes = content(12, 100_000);
    let served = bytes.clone();
    // The answer waits a while, so the first queue is still at work when the second one tries.
    let server = TestServer::start(move |_| {
        let body = served.clone();
        let slow = futures_util::stream::once(async move {
            tokio::time::sleep(Duration::from_millis(800)).await;
            Ok::<_, std::io::Error>(bytes::Bytes::from(body))
        });
        axum::response::Response::builder()
            .header("content-length", 100_000)
            .body(axum::body::Body::from_stream(slow))
            .unwrap()
    })
    .await;
    let first = Engine::new();
    let id = first.start(&[item(&server.url("/f.fits"), "f.fits", Some(bytes.len()))]);
    // A second queue on the same database stands in for a second process: it has its own lock files.
    let second = Transfers::open(&first._dir.path().join("queue.sqlite"), config()).unwrap();
    assert!(!second.is_interrupted(id).unwrap(), "someone works on it");
    for refused in [
        second.run(id).unwrap_err(),
        second.prepare_rerun(id).await.unwrap_err(),
        second
            .create_batch("again", &test_origin(), "test", &first.root)
            .unwrap_err(),
    ] {
        assert_eq!(refused.code, ErrorCode::Busy, "{}", refused.message);
        assert!(refused.message.contains(&first.root.display().to_string()));
    }
    assert_eq!(first.wait(id).await, BatchState::Done);
    first.assert_whole("f.fits", &bytes);
    // Once the first is done with the folder, the second may use it.
    second.prepare_rerun(id).await.unwrap();
    second.run(id).unwrap();
    assert_eq!(
        tokio::time::timeout(PATIENCE, second.wait(id))
            .await
            .unwrap()
            .unwrap(),
        BatchState::Done
    );
}
