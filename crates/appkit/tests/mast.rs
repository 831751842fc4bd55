//! MAST through the Desk, as the app uses it: an account with the demo token kept in the real keyring
//! (tests run under scripts/with-keyring.sh), a search whose observations become the jobs list, an
//! observation's products as its tree, a selection and a whole observation downloaded into
//! `<out>/<collection>/<obs_id>`, a PREVIEW product's source, and the token found in no file written.

mod common;

use std::path::Path;

use jobfetch_appkit::keyring::KeyringSecrets;
use jobfetch_appkit::Desk;
use jobfetch_engine::catalog::OutputKind;
use jobfetch_engine::ids::{JobRef, ProviderId};
use jobfetch_engine::preview::cache::ThumbnailCache;
use jobfetch_engine::preview::{PreviewOutcome, Previews, RenderOptions};
use jobfetch_engine::providers::mast::search::{self, Criteria};
use jobfetch_engine::providers::mast::{BASE, TOKEN, TRUSTED_HOSTS};
use jobfetch_engine::providers::{FieldValues, Registry};
use jobfetch_engine::secret::SecretStore;
use jobfetch_engine::transfer::model::{BatchOrigin, OriginScope};
use jobfetch_engine::transfer::{BatchState, ItemState};
use jobfetch_engine::ErrorCode;
use jobfetch_sim::mast::{DEMO_COLLECTION, DEMO_PROPOSAL, DEMO_TOKEN};
use jobfetch_sim::{Sim, SimConfig};

fn desk(dir: &Path) -> Desk {
    common::desk(dir, Registry::builtin())
}

fn values(pairs: &[(&str, &str)]) -> FieldValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mast_account_searches_previews_and_downloads_with_its_token_in_the_keyring_only() {
    let dir = tempfile::tempdir().unwrap();
    let _log = common::trace_log(dir.path());
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mast = ProviderId::new("mast").unwrap();
    let desk = desk(dir.path());
    let base = sim.mast_url();
    let signed_in = desk
        .add_account(&mast, values(&[(BASE, &base), (TOKEN, DEMO_TOKEN)]), false)
        .await
        .unwrap();
    let id = signed_in.account.id.clone();
    assert_eq!(id.user(), "token");
    assert_ne!(signed_in.profile.username, "anonymous");
    assert!(desk.jobs(&id).await.unwrap().is_empty(), "no search yet");

    let found = desk
        .search(&id, &values(&[("proposal", DEMO_PROPOSAL)]))
        .await
        .unwrap();
    assert!(found.len() >= 2, "{found:?}");
    assert_eq!(
        desk.jobs(&id).await.unwrap(),
        found,
        "the matches are the jobs list"
    );
    let job = &found[0];
    let job_ref = JobRef {
        account: id.clone(),
        job: job.id.clone(),
    };
    let out = dir.path().join("downloads");
    let listed = desk.outputs(&job_ref, &out).await.unwrap();
    assert_eq!(listed.root, out.join(DEMO_COLLECTION).join(&job.name));
    let files = &listed.tree.children;
    let preview = files
        .iter()
        .find(|f| f.kind == OutputKind::Image)
        .expect("a PREVIEW image among the products");
    // Its thumbnail, through the preview path the app's gallery uses (with the account's token).
    let located = listed.located(&preview.path).unwrap();
    let credentials = listed.session.credentials();
    let mut source = listed.preview_source(&preview.path, &located).unwrap();
    assert!(source.url.as_str().starts_with(&base), "{}", source.url);
    source.credentials = credentials.as_deref();
    let cache = ThumbnailCache::open(&dir.path().join("previews"), 64 << 20).unwrap();
    let previews = Previews::new(jobfetch_engine::http::transfer_client().unwrap(), cache);
    let ticket = previews.ticket("mast-preview");
    let outcome = previews
        .thumbnail(source, &RenderOptions::default(), ticket.token())
        .await
        .unwrap();
    let PreviewOutcome::Image(thumbnail) = outcome else {
        panic!("a PREVIEW image has a thumbnail, not {outcome:?}");
    };
    assert!(thumbnail.png.starts_with(b"\x89PNG"));

    // A selection, then the whole observation (which continues into the same folder).
    let fits: Vec<String> = files
        .iter()
        .filter(|f| matches!(f.kind, OutputKind::Fits { .. }))
        .map(|f| f.path.clone())
        .take(2)
        .collect();
    assert!(!fits.is_empty());
    let batch = desk.download(&job_ref, Some(&fits), &out).await.unwrap();
    assert_eq!(desk.transfers.wait(batch).await.unwrap(), BatchState::Done);
    for path in &fits {
        assert!(listed.root.join(path).is_file(), "{path}");
    }
    let whole = desk.download(&job_ref, None, &out).await.unwrap();
    assert_eq!(desk.transfers.wait(whole).await.unwrap(), BatchState::Done);
    assert_eq!(desk.transfers.batch(whole).unwrap().root, listed.root);
    let items = desk.transfers.items(whole).unwrap();
    assert_eq!(items.len() as u32, listed.tree.file_count);
    assert!(items.iter().all(|i| i.state != ItemState::Failed));

    // Every observation of the proposal, the exclusive-access one too, downloads with the token.
    for job in &found {
        let job_ref = JobRef {
            account: id.clone(),
            job: job.id.clone(),
        };
        let batch = desk.download(&job_ref, None, &out).await.unwrap();
        let state = desk.transfers.wait(batch).await.unwrap();
        assert_eq!(
            state,
            BatchState::Done,
            "{}: {:?}",
            job.name,
            desk.transfers.items(batch)
        );
    }

    let mut written = Vec::new();
    common::every_file(dir.path(), &mut written);
    assert!(written
        .iter()
        .any(|(path, _)| path.ends_with("manifest.csv")));
    for (path, bytes) in &written {
        assert!(
            !String::from_utf8_lossy(bytes).contains(DEMO_TOKEN),
            "the token is in {path}"
        );
    }
    assert!(KeyringSecrets.get(&id, TOKEN).unwrap().is_some());
    desk.remove_account(&id).await.unwrap();
    assert!(KeyringSecrets.get(&id, TOKEN).unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_use_needs_no_token_and_a_wrong_token_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mast = ProviderId::new("mast").unwrap();
    let desk = desk(dir.path());
    let base = sim.mast_url();
    let refused = desk
        .add_account(
            &mast,
            values(&[(BASE, &base), (TOKEN, "not-a-token")]),
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::AuthFailed);
    assert!(
        refused.message.contains("MAST refused your token"),
        "{}",
        refused.message
    );
    assert!(desk.accounts().unwrap().accounts.is_empty());

    let anonymous = desk
        .add_account(&mast, values(&[(BASE, &base), (TRUSTED_HOSTS, "")]), false)
        .await
        .unwrap();
    assert_eq!(anonymous.profile.username, "anonymous");
    let found = desk
        .search(&anonymous.account.id, &values(&[("collection", "JWST")]))
        .await
        .unwrap();
    assert!(!found.is_empty());
    let cone = desk
        .search(
            &anonymous.account.id,
            &values(&[("ra", "400"), ("dec", "0")]),
        )
        .await
        .unwrap_err();
    assert_eq!(cone.code, ErrorCode::InvalidInput);
    desk.remove_account(&anonymous.account.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_batch_cut_short_resumes_what_it_has_and_says_to_run_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let base = sim.mast_url();
    let out = dir.path().join("out");
    let batch = {
        // A batch of search results, stopped (the process ended) before its listing was complete.
        let first = desk(dir.path());
        let observations = search::observations(
            &jobfetch_engine::http::client().unwrap(),
            &base,
            &Criteria {
                proposal: Some(DEMO_PROPOSAL.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let products = search::products(
            &jobfetch_engine::http::client().unwrap(),
            &base,
            &[observations[0].obsid.clone()],
        )
        .await
        .unwrap();
        let origin = BatchOrigin {
            provider: ProviderId::new("mast").unwrap(),
            account: None,
            job: None,
            scope: OriginScope::Selection,
        };
        std::fs::create_dir_all(&out).unwrap();
        let batch = first
            .transfers
            .create_batch("mast search", &origin, "MAST proposal", &out)
            .unwrap();
        let items = search::items(&base, &products, None).unwrap();
        first.transfers.add_items(batch, &items).unwrap();
        batch
    };
    let second = desk(dir.path());
    assert_eq!(second.resume_interrupted().await.unwrap(), vec![batch]);
    assert_eq!(
        second.transfers.wait(batch).await.unwrap(),
        BatchState::DoneWithErrors,
        "the files it had arrive; the listing it lacked is a problem"
    );
    let problems = second.transfers.problems(batch).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0]
        .error
        .message
        .contains("run the command that started it again"));
    let items = second.transfers.items(batch).unwrap();
    assert!(
        items.iter().all(|i| i.state == ItemState::Done),
        "{items:?}"
    );
}

/// The sim's `Download/bundle.sh` for the demo proposal's calibrated files, public and exclusive-access.
async fn demo_bundle(sim: &Sim) -> String {
    let client = jobfetch_engine::http::client().unwrap();
    let criteria = Criteria {
        proposal: Some(DEMO_PROPOSAL.into()),
        ..Default::default()
    };
    let observations = search::observations(&client, &sim.mast_url(), &criteria)
        .await
        .unwrap();
    let obsids: Vec<String> = observations.into_iter().map(|o| o.obsid).collect();
    let products = search::products(&client, &sim.mast_url(), &obsids)
        .await
        .unwrap();
    let form: Vec<(&str, &str)> = products
        .iter()
        .filter(|p| p.filename.ends_with("_flt.fits"))
        .map(|p| ("uri", p.data_uri.as_str()))
        .collect();
    client
        .post(format!("{}/api/v0.1/Download/bundle.sh", sim.mast_url()))
        .form(&form)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handed_mast_script_downloads_with_the_token_of_the_account_for_its_mast() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let desk = desk(dir.path());
    let script = dir.path().join("MAST_2026-12-02T1200.sh");
    std::fs::write(&script, demo_bundle(&sim).await).unwrap();

    // Without an account for that MAST, it says which files will be refused.
    let opened = desk.open_file(&script).unwrap();
    assert_eq!(opened.archive.as_str(), "mast");
    assert_eq!(opened.kind, "MAST download script");
    assert_eq!(opened.name, "MAST_2026-12-02T1200.sh");
    assert_eq!(opened.folder, "MAST_2026-12-02T1200");
    assert_eq!(opened.account, None);
    let warning = opened.warning.expect("exclusive-access files named");
    assert!(warning.contains(&sim.mast_url()), "{warning}");

    let mast = ProviderId::new("mast").unwrap();
    let account = desk
        .add_account(
            &mast,
            values(&[(BASE, &sim.mast_url()), (TOKEN, DEMO_TOKEN)]),
            false,
        )
        .await
        .unwrap()
        .account;
    let opened = desk.open_file(&script).unwrap();
    assert_eq!(
        (&opened.account, &opened.warning),
        (&Some(account.id.clone()), &None)
    );
    assert!(opened.files >= 2, "{opened:?}");

    let out = dir.path().join("downloads");
    let batch = desk
        .download_file(&script, |signer| {
            assert_eq!(
                signer,
                Some(&account.id),
                "the folder of the account that signs it"
            );
            out.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        desk.transfers.wait(batch).await.unwrap(),
        BatchState::Done,
        "{:?}",
        desk.transfers.items(batch)
    );
    let root = out.join("MAST_2026-12-02T1200");
    assert_eq!(desk.transfers.batch(batch).unwrap().root, root);
    let items = desk.transfers.items(batch).unwrap();
    assert_eq!(items.len(), opened.files);
    for item in &items {
        assert!(root.join(&item.dest).is_file(), "{}", item.dest);
    }
    assert_eq!(
        desk.download_file(&script, |_| out.clone()).await.unwrap(),
        batch,
        "the same file again continues its batch"
    );
    desk.remove_account(&account.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_no_archive_made_is_refused_with_what_jobfetch_opens() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(dir.path());
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "observing notes, nothing to download\n").unwrap();
    let err = desk.open_file(&notes).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(
        err.message.contains("notes.txt") && err.message.contains("MAST download scripts (.sh)"),
        "{}",
        err.message
    );
    let binary = dir.path().join("image.fits.gz");
    std::fs::write(&binary, [0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe]).unwrap();
    assert!(desk
        .open_file(&binary)
        .unwrap_err()
        .message
        .contains("is not a text file"));
    let hostile = dir.path().join("hostile.sh");
    std::fs::write(
        &hostile,
        "curl --output './${DOWNLOAD_FOLDER}/../../.bashrc' 'https://mast.stsci.edu/x'\n",
    )
    .unwrap();
    assert!(desk
        .open_file(&hostile)
        .unwrap_err()
        .message
        .contains("refuses"));
    assert!(desk.open_file(&dir.path().join("missing.sh")).is_err());
}
