//! `jobfetch mast search|get|import` as a user runs them: the real binary against the in-process sim's
//! MAST, with the token given the ways MAST's own scripts take it and found nowhere afterwards.

mod common;

use std::path::{Path, PathBuf};

use common::Run;
use jobfetch_engine::providers::mast::model::Product;
use jobfetch_engine::providers::mast::search::{self, Criteria};
use jobfetch_sim::mast::{DEMO_COLLECTION, DEMO_PROPOSAL, DEMO_TOKEN};
use jobfetch_sim::{Sim, SimConfig};
use serde_json::Value;

/// Runs `jobfetch ARGS` with its queue in `state`, no keyring, no MAST token but those in `env`.
async fn jobfetch(state: &Path, env: &[(&str, &str)], args: &[String]) -> Run {
    let mut all = vec![("JOBFETCH_NO_KEYRING", "1")];
    all.extend_from_slice(env); // the caller's settings win
    common::jobfetch(state, &all, args).await
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// `mast get` of the demo proposal from `sim` into `out`, with `extra` filters and options.
fn get_args(sim: &Sim, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut words = args(&["mast", "get", "--mast-url", &sim.mast_url()]);
    words.extend(args(&["--proposal", DEMO_PROPOSAL, "--quiet", "--out"]));
    words.push(out.display().to_string());
    words.extend(args(extra));
    words
}

async fn sim() -> Sim {
    Sim::start(SimConfig::default()).await.unwrap()
}

/// A sim, a state folder for the CLI's queue, and a folder for what it downloads.
async fn setup() -> (Sim, tempfile::TempDir, tempfile::TempDir) {
    (
        sim().await,
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    )
}

/// The demo proposal's products, as the engine lists them.
async fn demo_products(sim: &Sim) -> Vec<Product> {
    let client = jobfetch_engine::http::client().unwrap();
    let criteria = Criteria {
        proposal: Some(DEMO_PROPOSAL.into()),
        ..Default::default()
    };
    let observations = search::observations(&client, &sim.mast_url(), &criteria)
        .await
        .unwrap();
    let obsids: Vec<String> = observations.into_iter().map(|o| o.obsid).collect();
    search::products(&client, &sim.mast_url(), &obsids)
        .await
        .unwrap()
}

/// Every file below `dir`, relative, sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    found
}

/// Fails if the demo token is in any file below `dirs` or in what the runs printed.
fn assert_token_nowhere(dirs: &[&Path], runs: &[&Run]) {
    for dir in dirs {
        for file in files(dir) {
            let bytes = std::fs::read(dir.join(&file)).unwrap();
            let found = bytes
                .windows(DEMO_TOKEN.len())
                .any(|w| w == DEMO_TOKEN.as_bytes());
            assert!(!found, "the token is in {}", dir.join(&file).display());
        }
    }
    for run in runs {
        assert!(!run.stdout.contains(DEMO_TOKEN) && !run.stderr.contains(DEMO_TOKEN));
    }
}

/// The products a filter keeps, as `<collection>/<obs_id>/<file>`, sorted.
fn expected(products: &[Product], keep: impl Fn(&Product) -> bool) -> Vec<String> {
    let mut paths: Vec<String> = products
        .iter()
        .filter(|p| keep(p))
        .map(|p| search::local_path(p).unwrap().to_string())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

const MANIFESTS: [&str; 3] = ["MANIFEST.html", "MANIFEST.json", "manifest.csv"];

/// The downloaded files below `out`, manifests left out.
fn downloaded(out: &Path) -> Vec<String> {
    files(out)
        .into_iter()
        .filter(|f| !MANIFESTS.contains(&f.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_prints_the_demo_proposal_as_a_table_and_as_json() {
    let (sim, state) = (sim().await, tempfile::tempdir().unwrap());
    let search = args(&[
        "mast",
        "search",
        "--mast-url",
        &sim.mast_url(),
        "--proposal",
        DEMO_PROPOSAL,
    ]);
    let run = jobfetch(state.path(), &[], &search).await;
    run.assert_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("obs_id") && lines[0].contains("data rights"),
        "{}",
        run.stdout
    );
    assert!(lines.len() >= 3, "{}", run.stdout);
    let collection_at = lines[0].find("collection").unwrap();
    for line in &lines[1..] {
        assert_eq!(
            &line[collection_at..][..DEMO_COLLECTION.len()],
            DEMO_COLLECTION
        );
        assert!(line.contains(DEMO_PROPOSAL) && line.contains("WFC3/UVIS"));
    }
    assert!(run.stdout.contains("EXCLUSIVE_ACCESS") && run.stdout.contains("PUBLIC"));

    let mut json = search.clone();
    json.push("--json".into());
    let run = jobfetch(state.path(), &[], &json).await;
    run.assert_code(0);
    let rows: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(rows.len(), lines.len() - 1);
    for row in &rows {
        assert_eq!(row["proposal"], DEMO_PROPOSAL);
        assert_eq!(row["collection"], DEMO_COLLECTION);
        for field in [
            "obsid",
            "obs_id",
            "instrument",
            "target",
            "data_rights",
            "calib_level",
            "t_min",
        ] {
            assert!(!row[field].is_null(), "{field} missing in {row}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_without_criteria_or_with_half_a_cone_are_refused_clearly() {
    let (sim, state) = (sim().await, tempfile::tempdir().unwrap());
    let base = sim.mast_url();
    let run = jobfetch(
        state.path(),
        &[],
        &args(&["mast", "search", "--mast-url", &base]),
    )
    .await;
    run.assert_code(2);
    assert!(
        run.stderr.contains("Say what to search for"),
        "{}",
        run.stderr
    );
    let half_cone = args(&["mast", "search", "--mast-url", &base, "--ra", "10.5"]);
    let run = jobfetch(state.path(), &[], &half_cone).await;
    run.assert_code(2);
    assert!(
        run.stderr.contains("--dec") && run.stderr.contains("--radius"),
        "{}",
        run.stderr
    );
    let both = args(&[
        "mast", "search", "--target", "M101", "--ra", "1", "--dec", "-2", "--radius", "0.1",
    ]);
    let run = jobfetch(state.path(), &[], &both).await;
    run.assert_code(2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    let far = args(&[
        "mast",
        "search",
        "--mast-url",
        &base,
        "--ra",
        "400",
        "--dec",
        "0",
        "--radius",
        "1",
    ]);
    let run = jobfetch(state.path(), &[], &far).await;
    run.assert_code(2);
    assert!(run.stderr.contains("0 ≤ RA < 360"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_with_the_token_fetches_exclusive_products_writes_manifests_and_a_rerun_finds_them_present(
) {
    let (sim, state, dir) = setup().await;
    let out = dir.path().join("out");
    let products = demo_products(&sim).await;
    let want = expected(&products, |p| {
        p.product_type == "SCIENCE" && p.filename.ends_with(".fits")
    });
    assert!(products
        .iter()
        .any(|p| !p.is_public() && p.product_type == "SCIENCE"));
    let get = get_args(
        &sim,
        &out,
        &["--extension", "fits", "--product-type", "SCIENCE"],
    );
    let first = jobfetch(state.path(), &[("MAST_API_TOKEN", DEMO_TOKEN)], &get).await;
    first.assert_code(0);
    assert!(first.stderr.contains("$MAST_API_TOKEN"), "{}", first.stderr);
    assert_eq!(downloaded(&out), want);
    assert!(want.iter().all(|f| f.starts_with("HST/ieq30")), "{want:?}");
    for file in &want {
        let bytes = std::fs::read(out.join(file)).unwrap();
        assert!(bytes.starts_with(b"SIMPLE  ="), "{file} is not FITS");
    }
    let csv = std::fs::read_to_string(out.join("manifest.csv")).unwrap();
    assert!(
        csv.starts_with("Local Path,Status,Message,URL\r\n"),
        "{csv}"
    );
    assert_eq!(csv.matches(",COMPLETE,").count(), want.len(), "{csv}");
    assert!(out.join("MANIFEST.html").is_file() && out.join("MANIFEST.json").is_file());

    let again = jobfetch(state.path(), &[("MAST_API_TOKEN", DEMO_TOKEN)], &get).await;
    again.assert_code(0);
    let present = format!(
        "0 file(s) fetched (0 B), {} already present, 0 failed",
        want.len()
    );
    assert!(again.stderr.contains(&present), "{}", again.stderr);
    let status = jobfetch(state.path(), &[], &args(&["status"])).await;
    status.assert_code(0);
    assert_token_nowhere(&[state.path(), dir.path()], &[&first, &again, &status]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_without_a_token_fetches_public_products_says_the_others_need_one_and_a_rerun_with_it_fetches_them(
) {
    let (sim, state, dir) = setup().await;
    let out = dir.path().join("out");
    let products = demo_products(&sim).await;
    let keep = |p: &Product| p.calib_level == Some(3) && p.filename.ends_with(".fits");
    let public = expected(&products, |p| keep(p) && p.is_public());
    let exclusive = expected(&products, |p| keep(p) && !p.is_public());
    assert!(!public.is_empty() && !exclusive.is_empty());
    let run = jobfetch(
        state.path(),
        &[],
        &get_args(&sim, &out, &["--calib-level", "3", "--extension", "fits"]),
    )
    .await;
    run.assert_code(1);
    assert_eq!(downloaded(&out), public);
    assert!(
        run.stderr.contains("exclusive-access") && run.stderr.contains("need a MAST token"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("$MAST_API_TOKEN"), "{}", run.stderr);
    let failed = format!("{} failed", exclusive.len());
    assert!(run.stderr.contains(&failed), "{}", run.stderr);
    let csv = std::fs::read_to_string(out.join("manifest.csv")).unwrap();
    assert_eq!(csv.matches(",ERROR,").count(), exclusive.len(), "{csv}");

    // The same command with the token continues the same batch: only what failed is fetched.
    let get = get_args(&sim, &out, &["--calib-level", "3", "--extension", "fits"]);
    let again = jobfetch(state.path(), &[("MAST_API_TOKEN", DEMO_TOKEN)], &get).await;
    again.assert_code(0);
    let counts = format!("{} file(s) fetched", exclusive.len());
    let present = format!("{} already present, 0 failed", public.len());
    assert!(
        again.stderr.contains(&counts) && again.stderr.contains(&present),
        "{}",
        again.stderr
    );
    let mut all = [public, exclusive].concat();
    all.sort();
    assert_eq!(downloaded(&out), all);
    let status = jobfetch(state.path(), &[], &args(&["status"])).await;
    assert_eq!(
        status.stdout.matches("MAST").count(),
        1,
        "{}",
        status.stdout
    );
    assert_token_nowhere(&[state.path(), dir.path()], &[&run, &again, &status]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_stops_before_any_download_and_another_variable_can_hold_the_token() {
    let (sim, state, dir) = setup().await;
    let out = dir.path().join("out");
    let get = get_args(&sim, &out, &["--mrp", "--calib-level", "3"]);
    let run = jobfetch(state.path(), &[("MAST_API_TOKEN", "not-a-token")], &get).await;
    run.assert_code(2);
    assert!(
        run.stderr.contains("MAST refused your token"),
        "{}",
        run.stderr
    );
    assert!(!out.exists(), "nothing is downloaded: {:?}", files(&out));

    let mut other = get.clone();
    other.extend(args(&["--token-env", "MY_MAST_TOKEN"]));
    let run = jobfetch(state.path(), &[("MY_MAST_TOKEN", DEMO_TOKEN)], &other).await;
    run.assert_code(0);
    assert!(run.stderr.contains("$MY_MAST_TOKEN"), "{}", run.stderr);
    let files = downloaded(&out);
    assert_eq!(
        files.len(),
        3,
        "one combined image per observation: {files:?}"
    );
    assert!(files.iter().all(|f| f.ends_with("_drz.fits")), "{files:?}");
    assert_token_nowhere(&[state.path(), dir.path()], &[&run]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_matched_is_an_error_that_leaves_nothing_behind() {
    let (sim, state, dir) = setup().await;
    let out = dir.path().join("out");
    let mut none = args(&[
        "mast",
        "get",
        "--mast-url",
        &sim.mast_url(),
        "--proposal",
        "99999",
    ]);
    none.extend(["--out".into(), out.display().to_string()]);
    let run = jobfetch(state.path(), &[], &none).await;
    run.assert_code(2);
    assert!(
        run.stderr.contains("no observation matching"),
        "{}",
        run.stderr
    );
    let run = jobfetch(
        state.path(),
        &[],
        &get_args(&sim, &out, &["--extension", ".xyz"]),
    )
    .await;
    run.assert_code(2);
    assert!(run.stderr.contains("passes the filters"), "{}", run.stderr);
    assert!(!out.exists());
    let status = jobfetch(state.path(), &[], &args(&["status"])).await;
    assert!(!status.stdout.contains("MAST"), "{}", status.stdout);
}

/// The sim's `Download/bundle.sh` for `uris`, as the MAST Portal hands it out.
async fn bundle(sim: &Sim, uris: &[&str]) -> String {
    let form: Vec<(&str, &str)> = uris.iter().map(|uri| ("uri", *uri)).collect();
    let response = reqwest::Client::new()
        .post(format!("{}/api/v0.1/Download/bundle.sh", sim.mast_url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    response.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_bundle_is_imported_with_the_token_for_its_exclusive_files_only() {
    let (sim, state, dir) = setup().await;
    let products = demo_products(&sim).await;
    let chosen: Vec<&Product> = products
        .iter()
        .filter(|p| p.filename.ends_with("_flt.fits"))
        .collect();
    assert!(chosen.iter().any(|p| !p.is_public()) && chosen.iter().any(|p| p.is_public()));
    let uris: Vec<&str> = chosen.iter().map(|p| p.data_uri.as_str()).collect();
    let script = bundle(&sim, &uris).await;
    assert!(script.contains("Authorization: token $MAST_API_TOKEN"));
    let script_path = dir.path().join("MAST_bundle.sh");
    std::fs::write(&script_path, &script).unwrap();
    let out = dir.path().join("out");
    let import = args(&[
        "mast",
        "import",
        &script_path.display().to_string(),
        "--out",
        &out.display().to_string(),
        "--quiet",
    ]);
    let run = jobfetch(state.path(), &[("MAST_API_TOKEN", DEMO_TOKEN)], &import).await;
    run.assert_code(0);
    let mut want: Vec<String> = chosen
        .iter()
        .map(|p| search::local_path(p).unwrap().to_string())
        .collect();
    want.sort();
    assert_eq!(downloaded(&out), want);
    let csv = std::fs::read_to_string(out.join("manifest.csv")).unwrap();
    assert!(
        csv.starts_with("Local Path,Status,Message,URL\r\n"),
        "{csv}"
    );
    assert_eq!(csv.matches(",COMPLETE,").count(), want.len(), "{csv}");
    assert_token_nowhere(&[state.path(), &out], &[&run]);

    // Without the token, the public files come and the others are named as needing it.
    let out = dir.path().join("anonymous");
    let mut anonymous = import.clone();
    let at = anonymous.len() - 2;
    anonymous[at] = out.display().to_string();
    let run = jobfetch(state.path(), &[], &anonymous).await;
    run.assert_code(1);
    assert!(run.stderr.contains("need a MAST token"), "{}", run.stderr);
    assert_eq!(
        downloaded(&out).len(),
        chosen.iter().filter(|p| p.is_public()).count()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mast_search_style_script_is_imported_without_running_it() {
    let (sim, state, dir) = setup().await;
    let products = demo_products(&sim).await;
    let public: Vec<&Product> = products
        .iter()
        .filter(|p| p.is_public() && p.product_type == "PREVIEW")
        .collect();
    assert!(!public.is_empty());
    // As MAST Search writes them (shared/research/desaccess_mast.md §2.6), pointed at the sim.
    let folder = "MAST_2024-05-01T12:00:00";
    let mut script = String::from("#!/bin/bash\n");
    for product in &public {
        let url = search::download_url(&sim.mast_url(), &product.data_uri).unwrap();
        script.push_str(&format!(
            "curl -L -X GET \"{url}\" --output \"{folder}/HST/{}\" --fail --create-dirs\n",
            product.filename
        ));
    }
    script.push_str(&format!(
        "curl -L -X POST \"{}/search/hst/api/v0.1/retrieve_product_zip\" -F mission=HST -F structure=flat \
         -F uri=X -F manifestonly=true --output \"{folder}/MANIFEST.html\" --fail --create-dirs\n\
         touch ran-it\n",
        sim.mast_url()
    ));
    let script_path = dir.path().join("search.sh");
    std::fs::write(&script_path, script).unwrap();
    let out = dir.path().join("out");
    let import = args(&[
        "mast",
        "import",
        &script_path.display().to_string(),
        "-o",
        &out.display().to_string(),
        "-q",
        "-j",
        "2",
    ]);
    let run = jobfetch(state.path(), &[], &import).await;
    run.assert_code(0);
    let mut want: Vec<String> = public
        .iter()
        .map(|p| format!("HST/{}", p.filename))
        .collect();
    want.sort();
    assert_eq!(downloaded(&out), want);
    assert!(!dir.path().join("ran-it").exists() && !Path::new("ran-it").exists());
    let again = jobfetch(state.path(), &[], &import).await;
    again.assert_code(0);
    assert!(
        again
            .stderr
            .contains(&format!("{} already present", want.len())),
        "{}",
        again.stderr
    );

    let junk: PathBuf = dir.path().join("junk.sh");
    std::fs::write(&junk, "#!/bin/bash\necho hello\n").unwrap();
    let junk_out = dir.path().join("junk");
    let run = jobfetch(
        state.path(),
        &[],
        &args(&[
            "mast",
            "import",
            &junk.display().to_string(),
            "--out",
            &junk_out.display().to_string(),
        ]),
    )
    .await;
    run.assert_code(2);
    assert!(
        run.stderr.contains("No file downloads found"),
        "{}",
        run.stderr
    );
    assert!(!junk_out.exists());
}

/// Needs a system keyring: run under scripts/with-keyring.sh, as `make test` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_mast_account_lends_its_token_from_the_keyring() {
    let (sim, state, dir) = setup().await;
    let keyring = ("JOBFETCH_NO_KEYRING", "0");
    let base = format!("base={}", sim.mast_url());
    let add = args(&["account", "add", "mast", "--set", &base]);
    let added = jobfetch(
        state.path(),
        &[keyring, ("MAST_API_TOKEN", DEMO_TOKEN)],
        &add,
    )
    .await;
    added.assert_code(0);
    let out = dir.path().join("out");
    let get = get_args(&sim, &out, &["--mrp", "--calib-level", "3"]);
    let run = jobfetch(state.path(), &[keyring], &get).await;
    run.assert_code(0);
    let account = format!(
        "mast:token@{}",
        sim.mast_url().trim_start_matches("http://")
    );
    assert!(
        run.stderr
            .contains(&format!("using the MAST account {account}")),
        "{}",
        run.stderr
    );
    assert!(downloaded(&out)
        .iter()
        .any(|f| f.starts_with("HST/ieq303010/")));
    let removed = jobfetch(
        state.path(),
        &[keyring],
        &args(&["account", "remove", &account]),
    )
    .await;
    removed.assert_code(0);
    assert_token_nowhere(&[state.path(), dir.path()], &[&added, &run, &removed]);
}
