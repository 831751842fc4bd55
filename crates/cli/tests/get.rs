//! `jobfetch get` as a user runs it: the real binary against the in-process simulator.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use common::Run;
use jobfetch_engine::transfer::part_file::part_path;
use jobfetch_sim::{demo, FaultAction, FaultRule, Sim, SimConfig};

/// The documented sample job's files, relative to the job folder.
const SEED_FILES: [&str; 10] = [
    "BTL_C39008AA52F54B9E94335B566743AF0C.csv",
    "BulkThumbs_20200706-152133.log",
    "BulkThumbs_20200706-152133_SUMMARY.json",
    "DES0226-1541/DESJ022640.4160-154120.0040_irg_stiff.png",
    "DES0226-1541/DESJ022640.4160-154120.0040_r.fits",
    "DES0226-1541/DESJ022642.8160-153932.0040_g.fits",
    "DES0226-1541/DESJ022642.8160-153932.0040_i.fits",
    "DES0305-3415/DESJ030510.9606-341521.6000_irg_lupton.png",
    "DES0305-3415/DESJ030510.9606-341521.6000_irg_stiff.png",
    "DES0305-3415/DESJ030510.9606-341521.6000_r.fits",
];

/// The file the fault tests break.
const VICTIM: &str = "DES0305-3415/DESJ030510.9606-341521.6000_r.fits";

async fn start() -> Sim {
    Sim::start(SimConfig::default()).await.expect("sim starts")
}

fn seed_folder(sim: &Sim) -> String {
    format!(
        "{}/demo/cutout/{}",
        sim.desaccess_files_url(),
        demo::SEED_TREE_JOB_ID
    )
}

/// One download queue for the whole test run, outside every test's output folder.
static STATE_DIR: std::sync::LazyLock<tempfile::TempDir> =
    std::sync::LazyLock::new(|| tempfile::tempdir().unwrap());

/// Runs `jobfetch get URL --out OUT --quiet` with the test run's download queue.
async fn get(url: &str, out: &Path) -> Run {
    let args = [
        OsStr::new("get"),
        OsStr::new(url),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--quiet"),
    ];
    common::jobfetch(STATE_DIR.path(), &[], &args).await
}

/// Every file and folder below `dir`, as sorted `/`-separated relative paths.
fn tree(dir: &Path) -> Vec<String> {
    fn visit(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(base).unwrap();
            out.push(rel.to_string_lossy().replace('\\', "/"));
            if path.is_dir() {
                visit(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    visit(dir, dir, &mut out);
    out.sort();
    out
}

/// The manifests jobfetch writes at the top of each job folder, besides the job's own files.
const MANIFESTS: [&str; 3] = ["MANIFEST.html", "MANIFEST.json", "manifest.csv"];

/// Only the job's own files below `dir`: Jobfetch's manifests at its top are left out.
fn files(dir: &Path) -> Vec<String> {
    tree(dir)
        .into_iter()
        .filter(|rel| dir.join(rel).is_file() && !MANIFESTS.contains(&rel.as_str()))
        .collect()
}

/// The bytes a plain GET of `url` gives.
async fn served(url: &str) -> Vec<u8> {
    let client = jobfetch_engine::http::client().unwrap();
    let response = client.get(url).send().await.unwrap();
    assert!(response.status().is_success(), "GET {url}");
    response.bytes().await.unwrap().to_vec()
}

/// Checks that each of `rels` under `job_dir` holds exactly what the server serves for it.
async fn assert_same_bytes(job_dir: &Path, folder_url: &str, rels: &[&str]) {
    for rel in rels {
        let local = std::fs::read(job_dir.join(rel)).unwrap();
        assert!(
            local == served(&format!("{folder_url}/{rel}")).await,
            "{rel} differs"
        );
    }
}

fn assert_success(run: &Run) {
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
}

#[tokio::test]
async fn downloads_the_seed_job_byte_for_byte() {
    let (sim, tmp) = (start().await, tempfile::tempdir().unwrap());
    let run = get(&seed_folder(&sim), tmp.path()).await;
    assert_success(&run);
    let job_dir = tmp.path().join(demo::SEED_TREE_JOB_ID);
    assert_eq!(
        files(&job_dir),
        SEED_FILES,
        "exactly the ten files, no .part"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(job_dir.join("MANIFEST.json")).unwrap()).unwrap();
    assert_eq!(manifest["totals"]["retrieved"], 10, "{manifest}");
    assert_eq!(manifest["totals"]["failed"], 0, "{manifest}");
    let outside: Vec<String> = tree(tmp.path())
        .into_iter()
        .filter(|p| !p.starts_with(demo::SEED_TREE_JOB_ID))
        .collect();
    assert!(
        outside.is_empty(),
        "written beside the job folder: {outside:?}"
    );
    assert_same_bytes(&job_dir, &seed_folder(&sim), &SEED_FILES).await;
    assert!(
        run.stderr.contains("10 file(s) fetched (")
            && run.stderr.contains("), 0 already present, 0 failed"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_second_run_fetches_nothing() {
    let (sim, tmp) = (start().await, tempfile::tempdir().unwrap());
    assert_success(&get(&seed_folder(&sim), tmp.path()).await);
    let job_dir = tmp.path().join(demo::SEED_TREE_JOB_ID);
    let modified = |rel: &str| {
        std::fs::metadata(job_dir.join(rel))
            .unwrap()
            .modified()
            .unwrap()
    };
    let before: Vec<_> = SEED_FILES.iter().map(|rel| modified(rel)).collect();

    let again = get(&seed_folder(&sim), tmp.path()).await;
    assert_success(&again);
    assert!(
        again
            .stderr
            .contains("0 file(s) fetched (0 B), 10 already present, 0 failed"),
        "{}",
        again.stderr
    );
    let after: Vec<_> = SEED_FILES.iter().map(|rel| modified(rel)).collect();
    assert_eq!(before, after, "no file was rewritten");
    assert_eq!(files(&job_dir), SEED_FILES);
}

#[tokio::test]
async fn trailing_slash_and_json_urls_work() {
    let sim = start().await;
    for suffix in ["/", "/json"] {
        let tmp = tempfile::tempdir().unwrap();
        let run = get(&format!("{}{suffix}", seed_folder(&sim)), tmp.path()).await;
        assert_success(&run);
        assert_eq!(
            files(&tmp.path().join(demo::SEED_TREE_JOB_ID)),
            SEED_FILES,
            "URL ending in {suffix:?}"
        );
    }
}

/// A fault rule for every request of [`VICTIM`].
fn fault_on_victim(action: FaultAction) -> FaultRule {
    let path = format!(
        "/files-desaccess/demo/cutout/{}/{VICTIM}",
        demo::SEED_TREE_JOB_ID
    );
    FaultRule::new(path, action)
}

#[tokio::test]
async fn a_burst_of_503s_is_retried() {
    let (sim, tmp) = (start().await, tempfile::tempdir().unwrap());
    let busy = FaultAction::Status {
        code: 503,
        retry_after_secs: None,
    };
    sim.faults().add(fault_on_victim(busy).times(2));
    let run = get(&seed_folder(&sim), tmp.path()).await;
    assert_success(&run);
    assert!(sim.faults().rules().is_empty(), "both 503s were served");
    let job_dir = tmp.path().join(demo::SEED_TREE_JOB_ID);
    assert_eq!(files(&job_dir), SEED_FILES);
    assert_same_bytes(&job_dir, &seed_folder(&sim), &[VICTIM]).await;
}

#[tokio::test]
async fn a_file_that_always_breaks_fails_the_run_and_is_not_kept() {
    let (sim, tmp) = (start().await, tempfile::tempdir().unwrap());
    sim.faults()
        .add(fault_on_victim(FaultAction::TruncateAfter { bytes: 1000 }));
    let run = get(&seed_folder(&sim), tmp.path()).await;
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
    assert!(run.stderr.contains(VICTIM), "{}", run.stderr);
    assert!(
        run.stderr.contains("run the same command again"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("9 file(s) fetched"), "{}", run.stderr);
    assert!(run.stderr.contains("1 failed"), "{}", run.stderr);

    let job_dir = tmp.path().join(demo::SEED_TREE_JOB_ID);
    assert!(
        !job_dir.join(VICTIM).exists(),
        "a broken file kept its final name"
    );
    let others: Vec<&str> = SEED_FILES.into_iter().filter(|f| *f != VICTIM).collect();
    let victim_part = part_path(Path::new(VICTIM)).to_string_lossy().into_owned();
    assert!(
        files(&job_dir)
            .iter()
            .all(|f| others.contains(&f.as_str()) || *f == victim_part),
        "{:?}",
        files(&job_dir)
    );
    assert_same_bytes(&job_dir, &seed_folder(&sim), &others).await;
}

#[tokio::test]
async fn hostile_names_are_refused_and_nothing_escapes() {
    let (sim, tmp) = (start().await, tempfile::tempdir().unwrap());
    let entry = |name: &str| {
        format!(
            r#"{{"name":"{name}","type":"file","mtime":"Tue, 02 Jan 2024 03:04:05 GMT","size":3}}"#
        )
    };
    let listing = format!(
        "[{}, {}, {}]",
        entry("../x"),
        entry("../../x"),
        entry("ok.txt")
    );
    sim.add_raw_listing("demo/cutout/hostile", listing);
    sim.add_raw_file("demo/cutout/hostile/ok.txt", "ok\n");
    let out: PathBuf = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    assert_eq!(tree(tmp.path()), ["out"]);

    let url = format!("{}/demo/cutout/hostile", sim.desaccess_files_url());
    let run = get(&url, &out).await;
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
    assert!(run.stderr.contains(r#""../x""#), "{}", run.stderr);
    assert!(run.stderr.contains(r#""../../x""#), "{}", run.stderr);
    assert_eq!(std::fs::read(out.join("hostile/ok.txt")).unwrap(), b"ok\n");
    assert_eq!(
        tree(tmp.path()),
        [
            "out",
            "out/hostile",
            "out/hostile/MANIFEST.html",
            "out/hostile/MANIFEST.json",
            "out/hostile/manifest.csv",
            "out/hostile/ok.txt"
        ],
        "nothing written outside the job folder"
    );
}

#[tokio::test]
async fn bad_urls_exit_2_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    for (url, says) in [
        (
            "ftp://example.org/files/job",
            "must start with http:// or https://",
        ),
        ("not a url", "is not a valid URL"),
    ] {
        let run = get(url, tmp.path()).await;
        assert_eq!(run.code, Some(2), "{url}: {}", run.stderr);
        assert!(
            run.stderr.contains(says) && run.stderr.contains(url),
            "{url}: {}",
            run.stderr
        );
    }
    assert!(tree(tmp.path()).is_empty(), "nothing created for a bad URL");
}
