//! MAST's pieces against the simulator over real HTTP: search, products asked for while MAST is still
//! executing, astroquery's filters, and downloads of public and exclusive-access products through the
//! transfer engine with the token sent to MAST only (not to the storage host a JWST file redirects to).

use std::sync::Arc;

use jobfetch_engine::ids::{AccountId, ProviderId};
use jobfetch_engine::providers::mast::model::{Observation, ProductFilter, MINIMUM_RECOMMENDED};
use jobfetch_engine::providers::mast::search::{self, Criteria};
use jobfetch_engine::providers::mast::token::{self, Token};
use jobfetch_engine::secret::Secret;
use jobfetch_engine::transfer::model::{BatchOrigin, OriginScope};
use jobfetch_engine::transfer::{
    BatchId, BatchState, ItemSpec, ItemState, TransferConfig, Transfers,
};
use jobfetch_engine::ErrorCode;
use jobfetch_sim::mast::{DEMO_COLLECTION, DEMO_PROPOSAL, DEMO_TOKEN};
use jobfetch_sim::{Sim, SimConfig};

async fn sim() -> Sim {
    Sim::start(SimConfig::default()).await.unwrap()
}

fn client() -> reqwest::Client {
    jobfetch_engine::http::client().unwrap()
}

fn account() -> AccountId {
    AccountId::new(&ProviderId::new("mast").unwrap(), "demo", "sim").unwrap()
}

/// The demo proposal's observations.
async fn demo_observations(base: &str) -> Vec<Observation> {
    let criteria = Criteria {
        proposal: Some(DEMO_PROPOSAL.into()),
        ..Default::default()
    };
    search::observations(&client(), base, &criteria)
        .await
        .unwrap()
}

/// Runs `items` as one batch into `<dir>/out` and returns the batch's end state.
async fn download(
    transfers: &Arc<Transfers>,
    dir: &std::path::Path,
    items: &[ItemSpec],
    account: Option<AccountId>,
) -> (BatchId, BatchState) {
    let root = dir.join("out");
    std::fs::create_dir_all(&root).unwrap();
    let origin = BatchOrigin {
        provider: ProviderId::new("mast").unwrap(),
        account,
        job: None,
        scope: OriginScope::Selection,
    };
    let batch = transfers
        .create_batch("mast", &origin, "mast-test", &root)
        .unwrap();
    transfers.add_items(batch, items).unwrap();
    transfers.set_listing_complete(batch, true).unwrap();
    transfers.run(batch).unwrap();
    (batch, transfers.wait(batch).await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_is_searched_its_products_listed_through_polling_and_filtered() {
    let sim = sim().await;
    let base = sim.mast_url();
    let observations = demo_observations(&base).await;
    assert!(observations.len() >= 2, "{observations:?}");
    assert!(observations
        .iter()
        .all(|o| o.proposal == DEMO_PROPOSAL && o.collection == DEMO_COLLECTION));
    // More than EXECUTING_OBSIDS observations at once: MAST says EXECUTING first, and the client polls.
    let obsids: Vec<String> = observations.iter().map(|o| o.obsid.clone()).collect();
    assert!(obsids.len() > jobfetch_sim::mast::EXECUTING_OBSIDS);
    let products = search::products(&client(), &base, &obsids).await.unwrap();
    for kind in ["SCIENCE", "CALIBRATION", "AUXILIARY", "PREVIEW", "INFO"] {
        assert!(
            products.iter().any(|p| p.product_type == kind),
            "no {kind} product"
        );
    }
    let mrp = ProductFilter {
        minimum_recommended: true,
        extensions: vec!["fits".into()],
        ..Default::default()
    }
    .apply(products.clone());
    assert!(!mrp.is_empty());
    assert!(mrp
        .iter()
        .all(|p| p.group == MINIMUM_RECOMMENDED && p.filename.ends_with(".fits")));
    let cone = Criteria {
        cone: Some((0.0, -89.5, 0.01)),
        ..Default::default()
    };
    // A cone far from every target finds nothing, without an error.
    assert!(search::observations(&client(), &base, &cone)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_checked_and_a_wrong_one_is_refused_clearly() {
    let sim = sim().await;
    let base = sim.mast_url();
    let who = token::whoami(&client(), &base, Some(&Secret::new(DEMO_TOKEN)))
        .await
        .unwrap();
    assert!(!who.anonymous);
    assert!(
        token::whoami(&client(), &base, None)
            .await
            .unwrap()
            .anonymous
    );
    let err = token::whoami(&client(), &base, Some(&Secret::new("not-a-token")))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::AuthFailed);
    assert!(
        err.message.contains("MAST refused your token"),
        "{}",
        err.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_exclusive_and_redirected_products_download_with_the_token_only_to_mast() {
    let sim = sim().await;
    let base = sim.mast_url();
    let dir = tempfile::tempdir().unwrap();
    let transfers =
        Transfers::open(&dir.path().join("q.sqlite"), TransferConfig::default()).unwrap();
    transfers.set_credentials(&account(), Arc::new(Token(Secret::new(DEMO_TOKEN))));
    let mut all = Vec::new();
    for collection in ["HST", "JWST"] {
        let criteria = Criteria {
            collection: Some(collection.into()),
            ..Default::default()
        };
        let observations = search::observations(&client(), &base, &criteria)
            .await
            .unwrap();
        let obsids: Vec<String> = observations
            .iter()
            .take(3)
            .map(|o| o.obsid.clone())
            .collect();
        let products = search::products(&client(), &base, &obsids).await.unwrap();
        all.extend(
            ProductFilter {
                product_types: vec!["SCIENCE".into()],
                ..Default::default()
            }
            .apply(products),
        );
    }
    assert!(
        all.iter().any(|p| !p.is_public()),
        "an exclusive-access product is in the batch"
    );
    assert!(
        all.iter().any(|p| p.collection == "JWST"),
        "a redirected (JWST) product is in the batch"
    );
    let items = search::items(&base, &all, Some(&account())).unwrap();
    let (batch, state) = download(&transfers, dir.path(), &items, Some(account())).await;
    let unfinished: Vec<_> = transfers
        .items(batch)
        .unwrap()
        .into_iter()
        .filter(|i| i.state != ItemState::Done)
        .collect();
    assert_eq!(state, BatchState::Done, "{unfinished:?}");
    let root = dir.path().join("out");
    for product in &all {
        let local = root.join(search::local_path(product).unwrap().to_string());
        let served = client()
            .get(search::download_url(&base, &product.data_uri).unwrap())
            .header("Authorization", format!("token {DEMO_TOKEN}"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(
            std::fs::read(&local).unwrap(),
            served.to_vec(),
            "{}",
            local.display()
        );
    }
    // Nothing written holds the token.
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
                assert!(
                    !text.contains(DEMO_TOKEN),
                    "the token is in {}",
                    path.display()
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_token_an_exclusive_product_is_refused_and_says_to_sign_in() {
    let sim = sim().await;
    let base = sim.mast_url();
    let observations = demo_observations(&base).await;
    let obsids: Vec<String> = observations.iter().map(|o| o.obsid.clone()).collect();
    let exclusive: Vec<_> = search::products(&client(), &base, &obsids)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| !p.is_public())
        .take(1)
        .collect();
    assert_eq!(exclusive.len(), 1);
    let dir = tempfile::tempdir().unwrap();
    let transfers =
        Transfers::open(&dir.path().join("q.sqlite"), TransferConfig::default()).unwrap();
    let items = search::items(&base, &exclusive, None).unwrap();
    let (batch, state) = download(&transfers, dir.path(), &items, None).await;
    assert_eq!(state, BatchState::DoneWithErrors);
    let failed = &transfers.items(batch).unwrap()[0];
    let message = failed.error.as_ref().unwrap().message.clone();
    assert!(message.to_lowercase().contains("sign in"), "{message}");
}

/// The first SCIENCE product of the first observation of `collection`.
async fn first_science_product(
    base: &str,
    collection: &str,
) -> jobfetch_engine::providers::mast::model::Product {
    let criteria = Criteria {
        collection: Some(collection.into()),
        ..Default::default()
    };
    let observation = search::observations(&client(), base, &criteria)
        .await
        .unwrap()
        .remove(0);
    let products = search::products(&client(), base, &[observation.obsid])
        .await
        .unwrap();
    ProductFilter {
        product_types: vec!["SCIENCE".into()],
        ..Default::default()
    }
    .apply(products)
    .remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_follows_a_redirect_only_to_a_host_trusted_with_it() {
    let sim = sim().await;
    let base = sim.mast_url();
    // A JWST product: MAST answers its download with a redirect to the storage host.
    let product = first_science_product(&base, "JWST").await;
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let reply = no_follow
        .get(search::download_url(&base, &product.data_uri).unwrap())
        .send()
        .await
        .unwrap();
    assert!(reply.status().is_redirection(), "{}", reply.status());
    let storage = search::host_of(reply.headers()["location"].to_str().unwrap()).unwrap();
    assert_ne!(Some(&storage), search::host_of(&base).as_ref());
    for trusted in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let transfers =
            Transfers::open(&dir.path().join("q.sqlite"), TransferConfig::default()).unwrap();
        transfers.set_credentials(&account(), Arc::new(Token(Secret::new(DEMO_TOKEN))));
        let hosts = if trusted {
            vec![storage.clone()]
        } else {
            Vec::new()
        };
        let auth = search::token_policy(&base, Some(&account()), &hosts).unwrap();
        let item = search::item(&base, &product, "product.fits".into(), &auth).unwrap();
        let (batch, state) = download(&transfers, dir.path(), &[item], Some(account())).await;
        let outcome = &transfers.items(batch).unwrap()[0];
        if trusted {
            // The storage host got the token: S3 refuses a pre-signed URL that carries one as well.
            assert_eq!(state, BatchState::DoneWithErrors);
            let message = &outcome.error.as_ref().unwrap().message;
            assert!(message.contains("400"), "{message}");
        } else {
            assert_eq!(state, BatchState::Done, "{outcome:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_served_without_a_length_downloads_whole() {
    let sim = sim().await;
    let base = sim.mast_url();
    let observations = demo_observations(&base).await;
    let obsids: Vec<String> = observations.iter().map(|o| o.obsid.clone()).collect();
    let previews = ProductFilter {
        product_types: vec!["PREVIEW".into()],
        ..Default::default()
    }
    .apply(search::products(&client(), &base, &obsids).await.unwrap());
    let mut chunked = None;
    for product in previews.into_iter().filter(|p| p.is_public()) {
        let url = search::download_url(&base, &product.data_uri).unwrap();
        let reply = client().get(url).send().await.unwrap();
        assert!(reply.status().is_success());
        if reply.content_length().is_none() {
            chunked = Some((product, reply.bytes().await.unwrap()));
            break;
        }
    }
    let (product, served) = chunked.expect("a preview MAST sends without Content-Length");
    let dir = tempfile::tempdir().unwrap();
    let transfers =
        Transfers::open(&dir.path().join("q.sqlite"), TransferConfig::default()).unwrap();
    let items = search::items(&base, std::slice::from_ref(&product), None).unwrap();
    let (_, state) = download(&transfers, dir.path(), &items, None).await;
    assert_eq!(state, BatchState::Done);
    // What arrived counts, though the size was not known beforehand.
    let snapshot = transfers.snapshots().unwrap().remove(0);
    assert_eq!(snapshot.bytes_done, served.len() as u64);
    assert_eq!(snapshot.bytes_total, served.len() as u64);
    let local = dir
        .path()
        .join("out")
        .join(search::local_path(&product).unwrap().to_string());
    assert_eq!(std::fs::read(local).unwrap(), served.to_vec());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_refused_during_a_download_says_so_and_where_to_make_a_new_one() {
    let sim = sim().await;
    let base = sim.mast_url();
    let product = first_science_product(&base, "HST").await;
    let dir = tempfile::tempdir().unwrap();
    let transfers =
        Transfers::open(&dir.path().join("q.sqlite"), TransferConfig::default()).unwrap();
    // A token revoked (or expired) since sign-in: MAST answers 401 to it, even for a public product.
    transfers.set_credentials(&account(), Arc::new(Token(Secret::new("revoked-token"))));
    let items = search::items(&base, &[product], Some(&account())).unwrap();
    let (batch, state) = download(&transfers, dir.path(), &items, Some(account())).await;
    assert_eq!(state, BatchState::DoneWithErrors);
    let item = &transfers.items(batch).unwrap()[0];
    let message = &item.error.as_ref().unwrap().message;
    assert!(message.contains("MAST refused your token"), "{message}");
    assert!(message.contains(token::TOKEN_PAGE), "{message}");
}
