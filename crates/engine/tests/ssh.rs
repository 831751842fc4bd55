//! SSH for real: tunnels and SFTP copies through a local OpenSSH server (`sshd` with keys made for the
//! test), the copies going through the transfer engine's queue like any download.

#[allow(dead_code)]
mod local;
mod sshd;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jobfetch_engine::ids::ProviderId;
use jobfetch_engine::ssh::{SftpChannel, SshConnection, SshConnections, SshHost};
use jobfetch_engine::transfer::model::{AuthPolicy, BatchOrigin, Digest, OriginScope, Source};
use jobfetch_engine::transfer::part_file::part_path;
use jobfetch_engine::transfer::{BatchId, BatchState, ItemSpec, ItemState};
use jobfetch_engine::ErrorCode;
use jobfetch_sim::{Sim, SimConfig};
use local::Engine;
use sha2::Digest as _;
use sshd::TestSshd;
use url::Url;

/// How long any one batch or connection may take before the test gives up on it.
const PATIENCE: Duration = Duration::from_secs(90);
/// Where ADLER-32 starts in JDMA's digests and the engine's check (`zlib.adler32(data, 0)`).
const ADLER32_START: u32 = 0;

/// `len` bytes that follow from `seed`.
fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..len).map(|_| rng.u8(..)).collect()
}

fn sha256(bytes: &[u8]) -> Digest {
    Digest::Sha256(format!("{:x}", sha2::Sha256::digest(bytes)))
}

/// ADLER-32 as JDMA writes it: `0x` and unpadded hex.
fn adler32(bytes: &[u8]) -> Digest {
    let (mut a, mut b) = (ADLER32_START & 0xffff, ADLER32_START >> 16);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    Digest::Adler32(format!("{:#x}", (b << 16) | a))
}

/// Files on "the SSH host" (this machine, through sshd): written into a folder of their own.
struct RemoteFiles {
    dir: tempfile::TempDir,
}

impl RemoteFiles {
    fn new() -> RemoteFiles {
        RemoteFiles {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Writes `bytes` at `name` below the folder; returns the path the SSH host knows it by.
    fn put(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_string()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn sftp_item(host: &SshHost, path: &str, dest: &str, size: usize, digest: Digest) -> ItemSpec {
    ItemSpec {
        source: Source::Sftp {
            host: host.clone(),
            path: path.into(),
        },
        dest: dest.into(),
        size: Some(size as u64),
        digest: Some(digest),
        auth: AuthPolicy::Anonymous,
    }
}

impl Engine {
    /// Runs a batch of `items` to its end; returns it and how it ended.
    async fn run(&self, items: &[ItemSpec]) -> (BatchId, BatchState) {
        let id = self.start(items);
        (id, self.finish(id).await)
    }

    fn start(&self, items: &[ItemSpec]) -> BatchId {
        let origin = BatchOrigin {
            provider: ProviderId::new("test").unwrap(),
            account: None,
            job: Some("get-7".into()),
            scope: OriginScope::Selection,
        };
        let id = self
            .transfers
            .create_batch("GET 7 over SSH", &origin, "sftp://test", &self.root)
            .unwrap();
        self.transfers.add_items(id, items).unwrap();
        self.transfers.set_listing_complete(id, true).unwrap();
        self.transfers.run(id).unwrap();
        id
    }

    async fn finish(&self, id: BatchId) -> BatchState {
        tokio::time::timeout(PATIENCE, self.transfers.wait(id))
            .await
            .expect("the batch ended in time")
            .unwrap()
    }

    fn local(&self, dest: &str) -> PathBuf {
        self.root.join(dest)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tunnel_reaches_a_server_only_the_ssh_host_sees_and_says_when_it_went_down() {
    let sshd = TestSshd::start();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let connection = SshConnection::open(&sshd.host()).await.unwrap();
    let sim_api = Url::parse(&sim.jdma_api_url()).unwrap();
    let sim_port = sim_api.port().unwrap();

    // An address, and a name (which keeps its name, as HTTPS needs): both through one connection.
    for host in ["127.0.0.1", "localhost"] {
        let tunnel = connection.tunnel(host, sim_port).await.unwrap();
        assert_ne!(tunnel.local_addr().port(), sim_port);
        let mut api = sim_api.clone();
        api.set_host(Some(host)).unwrap();
        let (client, through) = tunnel.client_for(&api).unwrap();
        assert_eq!(
            through.host_str(),
            Some(if host == "localhost" {
                "localhost"
            } else {
                "127.0.0.1"
            })
        );
        assert_eq!(through.port(), Some(tunnel.local_addr().port()));
        let backends: serde_json::Value = client
            .get(through.join("list_backends/").unwrap())
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(backends.get("objectstore").is_some(), "{backends}");
    }

    let tunnel = connection.tunnel("127.0.0.1", sim_port).await.unwrap();
    assert!(tunnel.check().is_ok());
    assert!(sshd.kill_sessions() > 0, "the tunnel's session was found");
    let ended = tokio::time::timeout(PATIENCE, tunnel.ended())
        .await
        .unwrap();
    assert_eq!((ended.code, ended.retryable), (ErrorCode::Network, true));
    assert!(
        ended
            .message
            .contains("The SSH connection to jobfetch-test-sshd ended"),
        "{}",
        ended.message
    );
    assert_eq!(tunnel.check().unwrap_err(), ended);
    let (client, through) = tunnel.client_for(&sim_api).unwrap();
    assert!(
        client.get(through).send().await.is_err(),
        "a dead tunnel carries nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sftp_items_arrive_through_the_queue_each_checked_against_its_digest() {
    let sshd = TestSshd::start();
    let host = sshd.host();
    let remote = RemoteFiles::new();
    let files = [
        ("get-7/README.txt", content(1, 1_234)),
        ("get-7/data/tas_day_2020.nc", content(2, 5 << 20)),
        ("get-7/data/empty.txt", Vec::new()),
        ("get-7/data/pr_day_2020.h5", content(3, 300_001)),
    ];
    let items: Vec<ItemSpec> = files
        .iter()
        .enumerate()
        .map(|(i, (name, bytes))| {
            let digest = if i % 2 == 0 {
                adler32(bytes)
            } else {
                sha256(bytes)
            };
            sftp_item(&host, &remote.put(name, bytes), name, bytes.len(), digest)
        })
        .collect();
    let engine = Engine::new();
    let (id, state) = engine.run(&items).await;
    assert_eq!(
        state,
        BatchState::Done,
        "{:?}\n{}",
        engine.transfers.items(id),
        sshd.log()
    );
    for (name, bytes) in &files {
        assert!(
            std::fs::read(engine.local(name)).unwrap() == *bytes,
            "{name}"
        );
        assert!(!part_path(&engine.local(name)).exists());
    }
    let rows = engine.transfers.items(id).unwrap();
    assert!(rows
        .iter()
        .all(|row| row.state == ItemState::Done && row.attempts == 1));
    let manifest = std::fs::read_to_string(engine.root.join("MANIFEST.json")).unwrap();
    assert!(
        manifest.contains(&format!(
            "jobfetch-test-sshd:{}",
            remote.path(files[1].0).display()
        )),
        "{manifest}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_mid_file_resumes_from_the_part_file() {
    let sshd = TestSshd::start();
    let remote = RemoteFiles::new();
    let bytes = content(4, 8 << 20);
    let path = remote.put("big.nc", &bytes);
    let engine = Engine::new();
    // Slow enough to be caught in the middle.
    engine.transfers.set_bandwidth_limit(Some(2 << 20));
    let id = engine.start(&[sftp_item(
        &sshd.host(),
        &path,
        "big.nc",
        bytes.len(),
        adler32(&bytes),
    )]);

    let deadline = Instant::now() + PATIENCE;
    let arrived = loop {
        assert!(Instant::now() < deadline, "the copy never got going");
        let snapshot = engine.transfers.snapshots().unwrap();
        let done = snapshot[0].items.first().map_or(0, |item| item.bytes_done);
        if done >= 1 << 20 {
            break done;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(sshd.kill_sessions() > 0);
    engine.transfers.set_bandwidth_limit(None);
    assert_eq!(engine.finish(id).await, BatchState::Done, "{}", sshd.log());

    assert!(std::fs::read(engine.local("big.nc")).unwrap() == bytes);
    let row = &engine.transfers.items(id).unwrap()[0];
    assert!(row.attempts >= 2, "the copy was tried again: {row:?}");
    assert!(
        row.bytes_done < bytes.len() as u64 && row.bytes_done > 0,
        "the second try fetched only the rest ({} of {} bytes; {arrived} had arrived before the cut)",
        row.bytes_done,
        bytes.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_does_not_match_its_digest_is_named_and_not_kept() {
    let sshd = TestSshd::start();
    let host = sshd.host();
    let remote = RemoteFiles::new();
    let good = content(5, 70_000);
    let changed = content(6, 90_000);
    let mut published = changed.clone();
    published[45_000] ^= 1;
    let changed_path = remote.put("get-8/changed.nc", &changed);
    let items = [
        sftp_item(
            &host,
            &remote.put("get-8/good.nc", &good),
            "good.nc",
            good.len(),
            sha256(&good),
        ),
        sftp_item(
            &host,
            &changed_path,
            "changed.nc",
            changed.len(),
            adler32(&published),
        ),
    ];
    let engine = Engine::new();
    let (id, state) = engine.run(&items).await;
    assert_eq!(state, BatchState::DoneWithErrors);
    let rows = engine.transfers.items(id).unwrap();
    assert_eq!(rows[0].state, ItemState::Done);
    assert_eq!(rows[1].state, ItemState::Failed);
    let err = rows[1].error.as_ref().unwrap();
    assert_eq!(err.code, ErrorCode::Integrity);
    assert!(
        err.message
            .contains(&format!("jobfetch-test-sshd:{changed_path}"))
            && err.message.contains("wrong checksum"),
        "{}",
        err.message
    );
    assert!(!engine.local("changed.nc").exists());
    assert!(!part_path(&engine.local("changed.nc")).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_or_an_unknown_host_key_says_what_to_do_and_never_prompts() {
    let sshd = TestSshd::start();
    let started = Instant::now();
    let refused = SshConnection::open(&sshd.host_with_stranger_key())
        .await
        .err()
        .unwrap();
    assert_eq!(
        (refused.code, refused.retryable),
        (ErrorCode::AuthFailed, false)
    );
    assert!(refused.message.contains("ssh-add"), "{}", refused.message);
    let unseen = SshConnection::open(&sshd.host_never_seen())
        .await
        .err()
        .unwrap();
    assert_eq!(unseen.code, ErrorCode::AuthFailed);
    assert!(
        unseen
            .message
            .contains("connect once with ssh jobfetch-test-sshd"),
        "{}",
        unseen.message
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "nothing waited for an answer"
    );

    // A key that a passphrase prompt would unlock: ssh could ask through SSH_ASKPASS (forced, so
    // it would not need a terminal), and a plain ssh does, but Jobfetch's never asks.
    let asked = tempfile::tempdir().unwrap();
    let askpass = asked.path().join("askpass");
    let marker = asked.path().join("asked");
    std::fs::write(
        &askpass,
        format!(
            "#!/bin/sh\necho asked >> '{}'\necho '{}'\n",
            marker.display(),
            sshd::LOCKED_KEY_PASSPHRASE
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &askpass,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::env::set_var("SSH_ASKPASS", &askpass);
    std::env::set_var("SSH_ASKPASS_REQUIRE", "force");
    let locked = sshd.host_with_locked_key();
    let err = SshConnection::open(&locked).await.err().unwrap();
    assert_eq!(err.code, ErrorCode::AuthFailed);
    assert!(err.message.contains("ssh-add"), "{}", err.message);
    assert!(!marker.exists(), "Jobfetch's ssh asked for a passphrase");
    let prompted = std::process::Command::new("ssh")
        .arg("-F")
        .arg(locked.config_file.as_ref().unwrap())
        .args([&locked.destination, "true"])
        .stdin(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(
        prompted.success() && marker.exists(),
        "the trap catches a prompt"
    );

    // In the queue, the item fails at once with the same words, and nothing is written.
    let remote = RemoteFiles::new();
    let bytes = content(7, 1_000);
    let item = sftp_item(
        &sshd.host_with_stranger_key(),
        &remote.put("a.txt", &bytes),
        "a.txt",
        bytes.len(),
        sha256(&bytes),
    );
    let engine = Engine::new();
    let (id, state) = engine.run(&[item]).await;
    assert_eq!(state, BatchState::DoneWithErrors);
    let row = &engine.transfers.items(id).unwrap()[0];
    assert_eq!((row.state, row.attempts), (ItemState::Failed, 1));
    assert_eq!(row.error.as_ref().unwrap(), &refused);
    assert!(!engine.local("a.txt").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_regular_files_are_copied() {
    let sshd = TestSshd::start();
    let remote = RemoteFiles::new();
    let real = remote.put("real.nc", b"data");
    std::os::unix::fs::symlink(&real, remote.path("link.nc")).unwrap();
    std::fs::create_dir(remote.path("folder")).unwrap();
    let connections = SshConnections::default();
    let channel: Arc<SftpChannel> = connections.sftp(&sshd.host()).await.unwrap();
    assert_eq!(channel.open_file(&real).await.unwrap().size(), 4);
    for (name, what) in [("link.nc", "a symbolic link"), ("folder", "a folder")] {
        let path = remote.path(name);
        let err = channel
            .open_file(path.to_str().unwrap())
            .await
            .err()
            .unwrap();
        assert_eq!(err.code, ErrorCode::UnsafeName);
        assert!(err.message.contains(what), "{}", err.message);
    }
    let missing = channel
        .open_file(remote.path("missing.nc").to_str().unwrap())
        .await
        .err()
        .unwrap();
    assert_eq!(missing.code, ErrorCode::NotFound, "{}", missing.message);
    assert!(Path::new(&real).exists());
}

/// Set in the process the next test starts: the host it connects to, as JSON.
const TETHERED_HOST: &str = "JOBFETCH_TEST_TETHERED_HOST";
/// What that process prints once its connection is up.
const CONNECTED: &str = "tethered: connected";

/// A Jobfetch killed outright (SIGKILL: nothing of it runs after) must not leave its `ssh` master
/// connected. The test starts itself again as that Jobfetch, which connects and waits to be killed.
#[tokio::test]
async fn a_jobfetch_killed_outright_takes_its_ssh_connection_with_it() {
    if let Some(host) = std::env::var_os(TETHERED_HOST) {
        let host: SshHost = serde_json::from_str(host.to_str().unwrap()).unwrap();
        let _connection = SshConnection::open(&host).await.unwrap();
        println!("{CONNECTED}");
        tokio::time::sleep(PATIENCE).await;
        panic!("the test that started this process was to kill it long before");
    }
    let sshd = TestSshd::start();
    let mut jobfetch = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_jobfetch_killed_outright_takes_its_ssh_connection_with_it",
            "--nocapture",
        ])
        .env(TETHERED_HOST, serde_json::to_string(&sshd.host()).unwrap())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(jobfetch.stdout.take().unwrap());
    let connected = std::io::BufRead::lines(stdout)
        .map_while(Result::ok)
        .any(|line| line == CONNECTED);
    assert!(
        connected,
        "the second process did not connect: {}",
        sshd.log()
    );
    let masters = running_children(jobfetch.id(), "ssh");
    assert_eq!(masters.len(), 1, "one ssh master: {masters:?}");

    jobfetch.kill().unwrap();
    jobfetch.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while is_running(masters[0]) {
        assert!(
            Instant::now() < deadline,
            "ssh (pid {}) still runs 10 s after the Jobfetch that started it was killed",
            masters[0]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The processes named `name` whose parent is `parent`.
fn running_children(parent: u32, name: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| stat_of(pid).is_some_and(|(comm, _, ppid)| comm == name && ppid == parent))
        .collect()
}

/// False once `pid` has ended (gone, or a zombie nobody has collected yet).
fn is_running(pid: u32) -> bool {
    stat_of(pid).is_some_and(|(_, state, _)| state != 'Z' && state != 'X')
}

/// A process's name, state and parent, from `/proc/<pid>/stat`.
fn stat_of(pid: u32) -> Option<(String, char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (name, rest) = stat.split_once(" (")?.1.rsplit_once(") ")?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((name.to_string(), state, ppid))
}
