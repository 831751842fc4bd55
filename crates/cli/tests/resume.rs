//! `jobfetch get` stopped for real — `kill -9` mid-batch, a full disk — then run again: nothing whole is fetched twice, every file ends byte-identical.
//!
//! The tests run on a multi-threaded runtime, so the simulator keeps serving while the test body blocks on the CLI.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use jobfetch_engine::transfer::part_file::part_path;
use jobfetch_engine::transfer::store::ItemRow;
use jobfetch_engine::transfer::{BatchState, TransferConfig, Transfers};
use jobfetch_engine::ErrorCode;
use jobfetch_sim::{FaultAction, Sim, SimConfig};

mod common;
use common::{parts, Job};

fn len(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}

async fn start() -> Sim {
    Sim::start(SimConfig::default()).await.expect("sim starts")
}

/// `jobfetch get URL --out OUT --quiet -j N` with its own download queue in `state`.
fn get(state: &Path, url: &str, out: &Path, concurrency: u32) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jobfetch"));
    command
        .args([
            "get",
            url,
            "--quiet",
            "-j",
            &concurrency.to_string(),
            "--out",
        ])
        .arg(out)
        .env("JOBFETCH_STATE_DIR", state);
    command
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `jobfetch status`'s line for the batch named `name`.
fn status_line(state: &Path, name: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_jobfetch"))
        .arg("status")
        .env("JOBFETCH_STATE_DIR", state)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    stdout
        .lines()
        .find(|line| line.contains(&format!(" {name} ")))
        .unwrap_or_else(|| panic!("no batch {name} in:\n{stdout}"))
        .to_string()
}

/// The download queue the CLI keeps in `state` (the file name is the CLI's, see `state::queue_path`).
fn queue(state: &Path) -> std::sync::Arc<Transfers> {
    Transfers::open(&state.join("transfers.sqlite"), TransferConfig::default()).unwrap()
}

/// The only batch in `state`'s queue and its items.
fn recorded(state: &Path) -> (jobfetch_engine::transfer::store::BatchRow, Vec<ItemRow>) {
    let transfers = queue(state);
    let snapshots = transfers.snapshots().unwrap();
    assert_eq!(snapshots.len(), 1);
    let id = snapshots[0].id;
    (transfers.batch(id).unwrap(), transfers.items(id).unwrap())
}

fn row<'a>(items: &'a [ItemRow], dest: &str) -> &'a ItemRow {
    items.iter().find(|i| i.dest == dest).unwrap()
}

/// A process that is killed if the test fails before it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `done` until it holds, failing after `limit`.
fn until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_then_the_same_command_fetches_only_what_is_missing() {
    let sim = start().await;
    let small: Vec<String> = (0..8).map(|i| format!("s{i}.fits")).collect();
    let mut sizes = vec![("big.bin", 4_000_000)];
    sizes.extend(small.iter().map(|s| (s.as_str(), 30_000)));
    let job = Job::new(&sim, "killed", &sizes);
    // Small files come slowly, one after another; the big one stops after 1.5 MB until the kill.
    sim.faults()
        .add(job.fault("s", FaultAction::Latency { ms: 250 }));
    let stall = FaultAction::StallAfter {
        bytes: 1_500_000,
        secs: 3600,
    };
    sim.faults().add(job.fault("big.bin", stall).times(1));
    let (state, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let dir = out.path().join(&job.name);
    let big_part = part_path(&dir.join("big.bin"));

    let mut first = Running(
        get(state.path(), &job.url, out.path(), 2)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let complete = || -> Vec<String> {
        small
            .iter()
            .filter(|s| dir.join(s).exists())
            .cloned()
            .collect()
    };
    until(
        "two small files are whole and big.bin is under way",
        Duration::from_secs(30),
        || complete().len() >= 2 && len(&big_part).is_some_and(|n| n >= 1_000_000),
    );
    // Even with a queue of its own, a second run may not write into the same folder meanwhile.
    let other_queue = tempfile::tempdir().unwrap();
    let meanwhile = get(other_queue.path(), &job.url, out.path(), 2)
        .output()
        .unwrap();
    assert_eq!(meanwhile.status.code(), Some(2), "{}", stderr(&meanwhile));
    assert!(
        stderr(&meanwhile).contains("Another Jobfetch"),
        "a second run into the same folder is refused: {}",
        stderr(&meanwhile)
    );
    assert!(status_line(state.path(), &job.name).contains("Downloading"));
    first.0.kill().unwrap(); // SIGKILL
    first.0.wait().unwrap();

    let kept: Vec<(String, u64, SystemTime)> = complete()
        .into_iter()
        .map(|s| {
            let meta = std::fs::metadata(dir.join(&s)).unwrap();
            (s, meta.ino(), meta.modified().unwrap())
        })
        .collect();
    let big_kept = len(&big_part).unwrap();
    for (file, _, _) in &kept {
        assert!(
            std::fs::read(dir.join(file)).unwrap() == job.bytes(file),
            "{file}"
        );
    }
    let line = status_line(state.path(), &job.name);
    assert!(line.contains("Interrupted"), "{line}");
    assert_eq!(recorded(state.path()).0.state, BatchState::Running);

    let again = get(state.path(), &job.url, out.path(), 2).output().unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    job.assert_all_whole(&dir);
    for (file, ino, modified) in &kept {
        let meta = std::fs::metadata(dir.join(file)).unwrap();
        assert_eq!(
            (meta.ino(), meta.modified().unwrap()),
            (*ino, *modified),
            "{file} was whole before the kill and was written again"
        );
    }
    let (batch, items) = recorded(state.path());
    assert_eq!(batch.state, BatchState::Done);
    assert_eq!(
        row(&items, "big.bin").bytes_done,
        4_000_000 - big_kept,
        "big.bin continued from the {big_kept} bytes of its .part"
    );
    let line = status_line(state.path(), &job.name);
    assert!(line.contains("Done") && line.contains("9/9"), "{line}");
}

/// A file system of about 1 MB that only the commands given to [`SmallDisk::run`] see.
///
/// A helper shell holds the mount: in a private mount namespace when it can (`unshare --user
/// --map-root-user --mount`, then `unshare --mount` as root), else mounted for everyone (root only).
/// The test looks at the files through `/proc/<shell>/root`, which shows the shell's mounts.
struct SmallDisk {
    shell: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    mount: PathBuf,
    grow: String,
    cleanup: Option<String>,
    _dir: tempfile::TempDir,
}

/// One way of getting a small disk: how to start the shell, and the commands to mount and grow it.
struct Strategy {
    name: &'static str,
    shell: &'static [&'static str],
    mount: &'static str,
    grow: &'static str,
    /// For mounts that everyone sees: how to take it down again.
    cleanup: Option<&'static str>,
}

const TMPFS: &str = "mount -t tmpfs -o size=1m jobfetch-test \"$MNT\"";
const TMPFS_GROW: &str = "mount -o remount,size=64m \"$MNT\"";
const EXT4: &str = "truncate -s 1m \"$IMG\" && mkfs.ext4 -q -m 0 -O ^has_journal \"$IMG\" && mount -o loop \"$IMG\" \"$MNT\"";
const EXT4_GROW: &str = "umount \"$MNT\" && e2fsck -fp \"$IMG\" >/dev/null && resize2fs \"$IMG\" 64m >/dev/null 2>&1 && mount -o loop \"$IMG\" \"$MNT\"";

const STRATEGIES: [Strategy; 4] = [
    Strategy {
        name: "unshare --user --map-root-user --mount + tmpfs",
        shell: &["unshare", "--user", "--map-root-user", "--mount", "sh"],
        mount: TMPFS,
        grow: TMPFS_GROW,
        cleanup: None,
    },
    Strategy {
        name: "unshare --mount + tmpfs (root)",
        shell: &["unshare", "--mount", "sh"],
        mount: TMPFS,
        grow: TMPFS_GROW,
        cleanup: None,
    },
    Strategy {
        name: "mount -t tmpfs (root)",
        shell: &["sh"],
        mount: TMPFS,
        grow: TMPFS_GROW,
        cleanup: Some("umount \"$MNT\""),
    },
    Strategy {
        name: "loop-mounted ext4 image (root)",
        shell: &["sh"],
        mount: EXT4,
        grow: EXT4_GROW,
        cleanup: Some("umount \"$MNT\""),
    },
];

/// Runs each line it reads and answers `exit=<status>`.
const LOOP: &str =
    "while IFS= read -r line; do eval \"$line\" </dev/null >/dev/null; echo \"exit=$?\"; done";

impl SmallDisk {
    /// The first strategy that works here; `JOBFETCH_TEST_SMALL_DISK=<n>` picks strategy n (0–3) alone.
    fn mount() -> SmallDisk {
        let only: Option<usize> = std::env::var("JOBFETCH_TEST_SMALL_DISK")
            .ok()
            .map(|n| n.parse().ok().filter(|&n| n < STRATEGIES.len()))
            .map(|n| n.expect("JOBFETCH_TEST_SMALL_DISK is a strategy number, 0 to 3"));
        let mut tried = Vec::new();
        for (i, strategy) in STRATEGIES.iter().enumerate() {
            if only.is_some_and(|n| n != i) {
                continue;
            }
            match SmallDisk::try_mount(strategy) {
                Ok(disk) => return disk,
                Err(why) => tried.push(format!("  {}: {why}", strategy.name)),
            }
        }
        panic!(
            "this test needs a small file system to fill up, and none could be mounted here:\n{}\n\
             Run it as root (CI does), or where unprivileged user namespaces are allowed.",
            tried.join("\n")
        );
    }

    fn try_mount(strategy: &Strategy) -> Result<SmallDisk, String> {
        let dir = tempfile::tempdir().unwrap();
        let mount = dir.path().join("disk");
        std::fs::create_dir(&mount).unwrap();
        let mut shell = Command::new(strategy.shell[0])
            .args(&strategy.shell[1..])
            .args(["-c", LOOP])
            .env("MNT", &mount)
            .env("IMG", dir.path().join("disk.img"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", strategy.shell))?;
        let mut disk = SmallDisk {
            stdin: shell.stdin.take().unwrap(),
            stdout: BufReader::new(shell.stdout.take().unwrap()),
            shell,
            mount,
            grow: strategy.grow.into(),
            cleanup: None,
            _dir: dir,
        };
        match disk.run(strategy.mount) {
            Some(0) => {
                disk.cleanup = strategy.cleanup.map(str::to_string);
                Ok(disk)
            }
            Some(code) => Err(format!("mounting failed with status {code}")),
            None => Err("the shell did not start (namespaces not allowed?)".into()),
        }
    }

    /// Runs `command` (a shell line) beside the mount; its exit status, or `None` if the shell is gone.
    fn run(&mut self, command: &str) -> Option<i32> {
        writeln!(self.stdin, "{command}").ok()?;
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).ok()?;
        answer.trim().strip_prefix("exit=")?.parse().ok()
    }

    /// Where the test sees what is on the disk.
    fn view(&self) -> PathBuf {
        let inside = self.mount.strip_prefix("/").unwrap();
        PathBuf::from(format!("/proc/{}/root", self.shell.id())).join(inside)
    }

    /// Makes the disk much larger, keeping its files.
    fn grow(&mut self) {
        let grow = self.grow.clone();
        assert_eq!(self.run(&grow), Some(0), "could not grow the disk");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        if let Some(cleanup) = self.cleanup.take() {
            self.run(&cleanup);
        }
        let _ = self.shell.kill();
        let _ = self.shell.wait();
    }
}

/// Quotes `text` for the shell.
fn quoted(text: impl AsRef<std::ffi::OsStr>) -> String {
    let text = text.as_ref().to_string_lossy();
    assert!(!text.contains('\''), "{text}");
    format!("'{text}'")
}

/// Runs `jobfetch get` on the small disk; its exit status and what it said.
fn get_on(disk: &mut SmallDisk, state: &Path, job: &Job, log: &Path) -> (Option<i32>, String) {
    let line = format!(
        "JOBFETCH_STATE_DIR={} {} get {} --quiet -j 1 --out {} 2>{}",
        quoted(state),
        quoted(env!("CARGO_BIN_EXE_jobfetch")),
        quoted(&job.url),
        quoted(&disk.mount),
        quoted(log),
    );
    let code = disk.run(&line);
    (code, std::fs::read_to_string(log).unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_pauses_the_batch_and_the_same_command_finishes_it_later() {
    let sim = start().await;
    let job = Job::new(
        &sim,
        "crowded",
        &[
            ("a.fits", 100_000),
            ("b.fits", 100_000),
            // Large enough to be written straight to disk in blocks (part_file::LARGE_FILE_BYTES):
            // it fills the disk, and what fits of it is kept.
            ("c.fits", 9_000_000),
            ("d.fits", 100_000),
        ],
    );
    let mut disk = SmallDisk::mount();
    let (state, logs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let log = logs.path().join("stderr");

    let (code, said) = get_on(&mut disk, state.path(), &job, &log);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("disk is full"), "{said}");
    let dir = disk.view().join(&job.name);
    let whole: Vec<&String> = job
        .files
        .iter()
        .map(|(f, _)| f)
        .filter(|f| dir.join(f).exists())
        .collect();
    assert!(whole.len() < job.files.len(), "everything fit: {whole:?}");
    for file in &whole {
        assert!(
            std::fs::read(dir.join(file)).unwrap() == job.bytes(file),
            "{file} is corrupt"
        );
    }
    let kept = parts(&dir);
    assert!(!kept.is_empty(), "the partial file was not kept");
    let part_bytes: Vec<u64> = kept.iter().map(|p| len(&dir.join(p)).unwrap()).collect();
    assert!(
        part_bytes.iter().all(|&n| n > 0),
        "{kept:?}: {part_bytes:?}"
    );
    let (batch, _) = recorded(state.path());
    assert_eq!(batch.state, BatchState::PausedDiskFull);
    assert_eq!(batch.error.map(|e| e.code), Some(ErrorCode::DiskFull));
    let line = status_line(state.path(), &job.name);
    assert!(line.contains("Paused: disk full"), "{line}");

    disk.grow();
    let (code, said) = get_on(&mut disk, state.path(), &job, &log);
    assert_eq!(code, Some(0), "{said}");
    job.assert_all_whole(&dir);
    let (batch, items) = recorded(state.path());
    assert_eq!(batch.state, BatchState::Done);
    for (part, kept) in kept.iter().zip(part_bytes) {
        let file = part.trim_end_matches(".part");
        let fetched = row(&items, file).bytes_done;
        assert_eq!(
            fetched,
            job.bytes(file).len() as u64 - kept,
            "{file} continued from its .part"
        );
    }
    let line = status_line(state.path(), &job.name);
    assert!(line.contains("Done") && line.contains("4/4"), "{line}");
}
