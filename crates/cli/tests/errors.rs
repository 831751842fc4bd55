//! `jobfetch get` given something that cannot work: each answer says what is wrong and what to do next,
//! and never advises running the same command again when that cannot help.

mod common;

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::Run;
use jobfetch_sim::{demo, FaultAction, FaultRule, Sim, SimConfig};

/// One download queue for the whole test run, outside every test's output folder.
static STATE_DIR: std::sync::LazyLock<tempfile::TempDir> =
    std::sync::LazyLock::new(|| tempfile::tempdir().unwrap());

/// What `jobfetch get SOURCE --out OUT --quiet` said, with the test run's download queue.
async fn get(source: &str, out: &Path) -> Run {
    let args = [
        OsStr::new("get"),
        OsStr::new(source),
        OsStr::new("--quiet"),
        OsStr::new("--out"),
        out.as_os_str(),
    ];
    common::jobfetch(STATE_DIR.path(), &[], &args).await
}

/// Checks that `said` contains every one of `phrases`, and none of `never`.
fn says(run: &Run, phrases: &[&str], never: &[&str]) {
    for phrase in phrases {
        assert!(
            run.stderr.contains(phrase),
            "no {phrase:?} in:\n{}",
            run.stderr
        );
    }
    for phrase in never {
        assert!(
            !run.stderr.contains(phrase),
            "{phrase:?} in:\n{}",
            run.stderr
        );
    }
}

/// Advice that misleads when the failure is not a passing one.
const RUN_AGAIN: [&str; 2] = ["run the same command again", "try again"];

#[tokio::test]
async fn a_host_that_does_not_resolve_says_so() {
    let out = tempfile::tempdir().unwrap();
    let url =
        "http://no-such-host.invalid/files-desaccess/demo/cutout/c39008aa52f54b9e94335b566743af0c/";
    let run = get(url, out.path()).await;
    // Nothing could be listed, so no batch began: a fatal error, as a bad address is.
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    says(
        &run,
        &[
            "no-such-host.invalid does not resolve",
            "typo",
            "retrying will not help",
        ],
        &RUN_AGAIN,
    );
}

#[tokio::test]
async fn a_missing_job_folder_names_the_folder_given_and_no_json_url() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let folder = format!(
        "{}/demo/cutout/0123456789abcdef0123456789abcdef/",
        sim.desaccess_files_url()
    );
    let run = get(&folder, out.path()).await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let not_found = format!("The folder {folder} was not found");
    says(
        &run,
        &[&not_found, "may have expired", "the address is wrong"],
        &[&RUN_AGAIN[..], &["/json"]].concat(),
    );
}

/// Sources recognised as something other than a job folder: refused with exit status 2 before any
/// request (a one-shot fault rule on every path stays unused) and before anything is written.
#[tokio::test]
async fn not_a_job_folder_is_recognised_before_any_download() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let files = sim.desaccess_files_url();
    let seed = format!("{files}/demo/cutout/{}", demo::SEED_TREE_JOB_ID);
    let example = "https://des.ncsa.illinois.edu/files-desaccess/<user>/cutout/";
    let cases: Vec<(String, Vec<String>)> = vec![
        (
            format!("{}/job/status", sim.desaccess_api_url()),
            vec!["is a DESaccess API address".into(), example.into()],
        ),
        (
            format!("{seed}/DES0226-1541/DESJ022640.4160-154120.0040_r.fits"),
            vec![
                "is a single file, not a folder".into(),
                format!("{seed}/DES0226-1541/"),
            ],
        ),
        (
            format!("{seed}/BulkThumbs_20200706-152133_SUMMARY.json"),
            vec!["is a single file, not a folder".into(), format!("{seed}/")],
        ),
        (
            demo::SEED_TREE_JOB_ID.into(),
            vec![
                "looks like a job id".into(),
                "jobfetch account add desaccess".into(),
                format!("{example}{}/", demo::SEED_TREE_JOB_ID),
            ],
        ),
        (
            "3f6d0e9a-1b2c-4d5e-8f7a-6b5c4d3e2f10".into(),
            vec![
                "looks like a job id".into(),
                "jobfetch account add desaccess".into(),
            ],
        ),
    ];
    for (source, phrases) in cases {
        let out = tempfile::tempdir().unwrap();
        let unused = FaultRule::new(
            "/",
            FaultAction::Status {
                code: 418,
                retry_after_secs: None,
            },
        )
        .times(1);
        sim.faults().add(unused.clone());
        let run = get(&source, out.path()).await;
        assert_eq!(run.code, Some(2), "{source}: {}", run.stderr);
        let phrases: Vec<&str> = phrases.iter().map(String::as_str).collect();
        says(&run, &phrases, &RUN_AGAIN);
        assert_eq!(
            sim.faults().rules(),
            [unused],
            "{source}: a request was made"
        );
        sim.faults().clear();
        let written: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
        assert!(written.is_empty(), "{source}: wrote {written:?}");
    }
}

/// True when this process may write into a folder whose mode forbids it (root, or CAP_DAC_OVERRIDE).
fn permissions_are_overridden(dir: &Path) -> bool {
    let probe = dir.join("probe");
    let written = std::fs::create_dir(&probe).is_ok();
    let _ = std::fs::remove_dir(&probe);
    written
}

#[tokio::test]
async fn a_folder_that_may_not_be_written_says_to_choose_another() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let folder = format!(
        "{}/demo/cutout/{}",
        sim.desaccess_files_url(),
        demo::SEED_TREE_JOB_ID
    );
    let tmp = tempfile::tempdir().unwrap();
    let locked = tmp.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = if permissions_are_overridden(&locked) {
        // Root writes through a mode of 0555; sysfs refuses new folders even to root.
        println!("running with permission checks overridden: using /sys for a folder that may not be written");
        Path::new("/sys/jobfetch-test").to_owned()
    } else {
        locked.join("out")
    };
    let run = get(&folder, &out).await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    says(
        &run,
        &["may not write", "Choose another folder with --out."],
        &RUN_AGAIN,
    );
}

#[tokio::test]
async fn a_read_only_file_system_says_to_choose_another_folder() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let folder = format!(
        "{}/demo/cutout/{}",
        sim.desaccess_files_url(),
        demo::SEED_TREE_JOB_ID
    );
    let tmp = tempfile::tempdir().unwrap();
    let mount = tmp.path().join("ro");
    std::fs::create_dir(&mount).unwrap();
    // A read-only tmpfs in a mount namespace of its own (unshare(1) from util-linux), so nothing
    // outlives the command and no privilege is needed where user namespaces are allowed.
    let jobfetch = env!("CARGO_BIN_EXE_jobfetch");
    let script = format!(
        "mount -t tmpfs -o ro tmpfs '{0}' && exec '{jobfetch}' get '{folder}' --quiet --out '{0}/out'",
        mount.display()
    );
    let output = tokio::task::spawn_blocking(move || {
        Command::new("unshare")
            .args(["--map-root-user", "--mount", "sh", "-c", &script])
            .env("JOBFETCH_STATE_DIR", STATE_DIR.path())
            .output()
            .expect("unshare runs")
    })
    .await
    .unwrap();
    let run = Run::from(output);
    if run.stderr.contains("unshare:") || run.stderr.contains("mount:") {
        println!(
            "skipped: cannot make a read-only file system here ({})",
            run.stderr.trim()
        );
        return;
    }
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    says(
        &run,
        &["read-only", "Choose another folder with --out."],
        &RUN_AGAIN,
    );
}
