//! The fake JDMA over real HTTP: Django's routing quirks, the `"pk "` key, digests by presence,
//! JSON errors, stages in their documented order on the sim's clock, GETs writing real files,
//! refusals, failures with reasons, corrupted files, and faults on its port.

mod common;

use std::path::Path;
use std::time::Duration;

use common::client;
use jobfetch_sim::jdma::{self, JdmaConfig};
use jobfetch_sim::{FaultAction, FaultRule, Sim, SimConfig};
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Stages that last an hour of the sim's clock, so only the tests move them.
const STAGE: Duration = Duration::from_secs(3600);

async fn start() -> Sim {
    Sim::start(SimConfig {
        jdma: JdmaConfig {
            stage_interval: STAGE,
            large_file_len: 3 << 20,
            workspace_root: None,
        },
        ..SimConfig::default()
    })
    .await
    .expect("sim starts")
}

fn api(sim: &Sim, path: &str) -> String {
    format!("{}/jdma_control/api/v1/{path}", sim.jdma_url())
}

async fn get(client: &reqwest::Client, sim: &Sim, path: &str) -> (StatusCode, Value) {
    let response = client.get(api(sim, path)).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// POSTs `body` as the client does: a JSON string with no content type.
async fn post(client: &reqwest::Client, sim: &Sim, path: &str, body: Value) -> (StatusCode, Value) {
    let response = client
        .post(api(sim, path))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// One stage later, over the control route.
async fn next_stage(client: &reqwest::Client, sim: &Sim) {
    let response = client
        .put(format!("{}/_sim/clock/advance", sim.base_url()))
        .json(&json!({"secs": STAGE.as_secs()}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn request_stage(client: &reqwest::Client, sim: &Sim, id: &Value) -> Value {
    let (status, request) = get(client, sim, &format!("request?name=demo&request_id={id}")).await;
    assert_eq!(status, 200, "{request}");
    request
}

/// JDMA's ADLER32: zlib's, started from 0 (`calculate_digest_adler32`), as unpadded `0x` hex.
fn adler32(path: &Path) -> String {
    let mut adler = adler2::Adler32::from_checksum(0);
    adler.write_slice(&std::fs::read(path).unwrap());
    format!("{:#x}", adler.checksum())
}

/// Every listed file of a batch: `(path, size, digest)`.
async fn listed(client: &reqwest::Client, sim: &Sim, batch: u64) -> Vec<(String, u64, String)> {
    let (status, reply) = get(
        client,
        sim,
        &format!("file/?name=demo&migration_id={batch}&digest=1"),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    reply["migrations"][0]["archives"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|archive| archive["files"].as_array().unwrap().clone())
        .map(|file| {
            (
                file["path"].as_str().unwrap().to_owned(),
                file["size"].as_u64().unwrap(),
                file["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_description_points_jdma_client_at_the_api_and_the_workspace_is_on_disk() {
    let sim = start().await;
    let jdma = sim.description().jdma;
    assert_eq!(
        jdma.base,
        format!("{}/jdma_control/api/v1/", sim.jdma_url())
    );
    assert_eq!(
        (jdma.user.as_str(), jdma.workspace.as_str()),
        ("demo", "climate")
    );
    assert!(Path::new(&jdma.workspace_root).is_dir());
    assert!(jdma.workspace_path.starts_with(&jdma.workspace_root));
    let (status, reply) = get(&client(), &sim, "migration/?name=demo&migration_id=103").await;
    assert_eq!(status, 200);
    assert_eq!(reply["stage"], 2, "the demo batch is ON_STORAGE: {reply}");
    assert!(Path::new(&jdma.spare_folder).join("README.txt").is_file());
    sim.shutdown().await;
}

#[tokio::test]
async fn django_routes_redirect_without_the_slash_and_answer_html_for_unknown_paths() {
    let (sim, client) = (start().await, client());
    // APPEND_SLASH: the client's `file?…`, `migration?…`, `archive?…` and `list_backends`.
    for path in [
        "file?name=demo&migration_id=103&limit=0&digest=0",
        "migration?name=demo",
        "archive?name=demo",
        "list_backends",
    ] {
        let response = client.get(api(&sim, path)).send().await.unwrap();
        assert_eq!(response.status(), 301, "{path}");
        let (route, query) = path
            .split_once('?')
            .map_or((path, None), |(r, q)| (r, Some(q)));
        let expected = match query {
            Some(query) => format!("/jdma_control/api/v1/{route}/?{query}"),
            None => format!("/jdma_control/api/v1/{route}/"),
        };
        assert_eq!(response.headers()[LOCATION], expected.as_str());
    }
    // `user` and `request` match without a slash (and as prefixes).
    assert_eq!(get(&client, &sim, "user?name=demo").await.0, 200);
    assert_eq!(get(&client, &sim, "request?name=demo").await.0, 200);
    let (_, backends) = get(&client, &sim, "list_backends/").await;
    assert_eq!(
        backends,
        json!({"elastictape": "Elastic Tape", "objectstore": "Object Store"})
    );
    // Unknown paths: Django's HTML 404, not JSON.
    let response = client.get(api(&sim, "nothing/here")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("<h1>Not Found</h1>"));
    // A method the view lacks.
    let response = client
        .delete(api(&sim, "user?name=demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    // An id that is not a number: the view raises, Django answers its 500 page.
    let response = client
        .get(api(&sim, "request?name=demo&request_id=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Server Error (500)"));
    sim.shutdown().await;
}

#[tokio::test]
async fn errors_are_json_echoing_the_request_with_404_or_403_and_only_ampersands_separate() {
    let (sim, client) = (start().await, client());
    let (status, reply) = get(&client, &sim, "request?name=demo&request_id=9999").await;
    assert_eq!(status, 404);
    assert_eq!(
        reply,
        json!({"error": "Request not found.", "request_id": 9999, "name": "demo"})
    );
    // `;` is part of the value.
    let (status, reply) = get(&client, &sim, "user?name=demo;x=1").await;
    assert_eq!(status, 403);
    assert_eq!(
        reply["error"],
        "User demo;x=1 not initialised yet.  Run jdma.py init first."
    );
    // mkowalski is not in the climate workspace's group.
    let (status, reply) = get(&client, &sim, "migration/?name=mkowalski&migration_id=103").await;
    assert_eq!(status, 403);
    assert_eq!(reply["workspace"], "climate");
    // A POST's body is echoed with its credentials blanked.
    let body = json!({"name": "demo", "request_type": "GET", "migration_id": 104, "target_path": "/x", "credentials": {"secret_key": "s"}});
    let (status, reply) = post(&client, &sim, "request", body).await;
    assert_eq!(
        status, 404,
        "an Object Store GET without both keys: {reply}"
    );
    assert_eq!(reply["credentials"], json!({}));
    assert_eq!(reply["error"], "'error'");
    // A user: made once, refused the second time.
    let made = post(
        &client,
        &sim,
        "user",
        json!({"name": jdma::NEW_USER, "email": "r@example.org"}),
    )
    .await;
    assert_eq!(
        made,
        (
            StatusCode::OK,
            json!({"name": "rpatel", "email": "r@example.org"})
        )
    );
    let (status, again) = post(
        &client,
        &sim,
        "user",
        json!({"name": jdma::NEW_USER, "email": "r@example.org"}),
    )
    .await;
    assert_eq!(
        (status, again["error"].as_str()),
        (
            StatusCode::FORBIDDEN,
            Some("JDMA already initialized for this user.")
        )
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn files_have_a_pk_key_with_a_space_and_digests_whenever_digest_is_given() {
    let (sim, client) = (start().await, client());
    let (_, without) = get(&client, &sim, "file/?name=demo&migration_id=103").await;
    let archives = without["migrations"][0]["archives"].as_array().unwrap();
    assert!(
        archives.len() >= 2,
        "files are grouped into archives: {without}"
    );
    let file = &archives[0]["files"][0];
    assert!(
        file.get("pk ").is_some_and(Value::is_u64) && file.get("pk").is_none(),
        "{file}"
    );
    assert!(file.get("digest").is_none() && archives[0].get("digest").is_none());
    for digest in ["0", "1", ""] {
        let (_, with) = get(
            &client,
            &sim,
            &format!("file/?name=demo&migration_id=103&digest={digest}"),
        )
        .await;
        let archive = &with["migrations"][0]["archives"][0];
        assert_eq!(archive["digest"], "not packed");
        let file = &archive["files"][0];
        assert_eq!(file["digest_format"], "ADLER32", "digest={digest}");
        let value = file["digest"].as_str().unwrap();
        assert!(
            value.starts_with("0x") && u32::from_str_radix(&value[2..], 16).is_ok(),
            "{value}"
        );
    }
    // Older batches: SHA256, lowercase hex.
    let (_, old) = get(&client, &sim, "file/?name=demo&migration_id=101&digest=0").await;
    let file = &old["migrations"][0]["archives"][0]["files"][0];
    assert_eq!(file["digest_format"], "SHA256");
    assert_eq!(file["digest"].as_str().unwrap().len(), 64);
    // limit caps files per archive; archive/ caps archives per batch and lists no files.
    let (_, limited) = get(&client, &sim, "file/?name=demo&migration_id=103&limit=1").await;
    for archive in limited["migrations"][0]["archives"].as_array().unwrap() {
        assert!(archive["files"].as_array().unwrap().len() <= 1);
        assert_eq!(archive["limit"], 1);
    }
    let (_, only) = get(&client, &sim, "archive/?name=demo&migration_id=103&limit=1").await;
    let archives = only["migrations"][0]["archives"].as_array().unwrap();
    assert_eq!(archives.len(), 1);
    assert!(
        archives[0].get("files").is_none()
            && archives[0]["archive_id"]
                .as_str()
                .unwrap()
                .starts_with("archive_000")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_put_goes_through_its_stages_in_the_documented_order_and_stores_real_digests() {
    let (sim, client) = (start().await, client());
    let folder = sim.description().jdma.spare_folder;
    let body = json!({"name": "demo", "workspace": "climate", "filelist": [folder], "label": null,
                      "request_type": "PUT", "storage": "elastictape", "credentials": {"username": "demo"}});
    let (status, reply) = post(&client, &sim, "request", body.clone()).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (reply["stage"].as_u64(), reply["request_type"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        reply["error"], "",
        "the server's error data leaks into a successful PUT"
    );
    let (request, batch) = (
        reply["request_id"].clone(),
        reply["batch_id"].as_u64().unwrap(),
    );
    let batch_stage = |reply: Value| reply["stage"].as_u64().unwrap();
    let path = format!("migration/?name=demo&migration_id={batch}");
    assert_eq!(batch_stage(get(&client, &sim, &path).await.1), 0, "ON_DISK");
    let mut stages = vec![0];
    let mut batch_stages = vec![0];
    for _ in 0..9 {
        next_stage(&client, &sim).await;
        stages.push(
            request_stage(&client, &sim, &request).await["stage"]
                .as_u64()
                .unwrap(),
        );
        batch_stages.push(batch_stage(get(&client, &sim, &path).await.1));
    }
    assert_eq!(
        stages,
        [0, 1, 3, 2, 4, 5, 6, 7, 8, 9],
        "PACKING (3) before PENDING (2)"
    );
    batch_stages.dedup();
    assert_eq!(batch_stages, [0, 1, 2], "ON_DISK, PUTTING, ON_STORAGE");
    for (path, size, digest) in listed(&client, &sim, batch).await {
        assert_eq!(std::fs::metadata(&path).unwrap().len(), size, "{path}");
        assert_eq!(adler32(Path::new(&path)), digest, "{path}");
    }
    // The same filelist again: the server's own bug answers.
    let (status, again) = post(&client, &sim, "request", body).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (
            StatusCode::NOT_FOUND,
            Some("'list' object has no attribute 'first'")
        )
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn put_checks_come_in_the_servers_order() {
    let (sim, client) = (start().await, client());
    let folder = sim.description().jdma.spare_folder;
    let put = |extra: Value| {
        let mut body = json!({"name": "demo", "workspace": "climate", "filelist": [folder], "label": "x",
                              "request_type": "PUT", "storage": "elastictape"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    for (extra, status, error) in [
        (json!({"request_type": "COPY"}), 404, "Invalid request method"),
        (json!({"workspace": "nowhere"}), 404, "Workspace nowhere has no associated groupworkspace quota set"),
        (json!({"filelist": []}), 404, "Filelist is empty"),
        (json!({"filelist": ["/not/there"]}), 404, "Path /not/there does not exist"),
        (json!({"storage": "objectstore"}), 404, "Required credentials for: objectstore not supplied  Required credentials for: objectstore are: access_key, secret_key.  Supplied credentials: {}."),
        (json!({"storage": "tape"}), 404, "External storage: tape does not exist"),
        (
            json!({"workspace": "ocean", "storage": "objectstore", "credentials": {"access_key": "a", "secret_key": "s"}}),
            404,
            "External storage: objectstore has not been attached to the groupworkspace: ocean",
        ),
        (
            json!({"name": "ahughes", "workspace": "ocean"}),
            403,
            "User: ahughes does not have write permissions or the workspace: ocean does not exist for external storage: Elastic Tape",
        ),
    ] {
        let (got, reply) = post(&client, &sim, "request", put(extra.clone())).await;
        assert_eq!(got.as_u16(), status, "{extra}: {reply}");
        assert_eq!(reply["error"], error, "{extra}");
    }
    let mut without_label = put(json!({}));
    without_label.as_object_mut().unwrap().remove("label");
    let (_, reply) = post(&client, &sim, "request", without_label).await;
    assert_eq!(reply["error"], "'list' object has no attribute 'first'");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_get_is_refused_before_on_storage_and_twice_then_writes_the_files_it_lists() {
    let (sim, client) = (start().await, client());
    let workspace = sim.description().jdma.workspace_path;
    let get_body = |batch: u64, target: &str| json!({"name": "demo", "request_type": "GET", "migration_id": batch, "target_path": target, "credentials": {}});
    let target = format!("{workspace}/users/demo/restored");
    let (status, refused) = post(
        &client,
        &sim,
        "request",
        get_body(jdma::PUTTING_BATCH_ID, &target),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        refused["error"],
        "Batch stage is: PUTTING.  Cannot retrieve (GET) until stage is ON_STORAGE"
    );
    let (status, _) = post(
        &client,
        &sim,
        "request",
        get_body(jdma::ON_DISK_BATCH_ID, &target),
    )
    .await;
    assert_eq!(status, 403, "ON_DISK too");
    let (status, outside) = post(&client, &sim, "request", get_body(103, "/tmp")).await;
    assert_eq!(status, 403, "the target must be in a workspace: {outside}");

    let (status, made) = post(&client, &sim, "request", get_body(103, &target)).await;
    assert_eq!(status, 200, "{made}");
    assert_eq!(made["stage"], 100);
    assert_eq!(made["filelist"], Value::Null);
    let (status, duplicate) = post(&client, &sim, "request", get_body(103, &target)).await;
    assert_eq!(status, 403);
    assert_eq!(
        duplicate["error"],
        format!("Duplicate GET request made: batch: 103, Target path: {target}")
    );

    let mut stages = Vec::new();
    for _ in 0..6 {
        next_stage(&client, &sim).await;
        stages.push(
            request_stage(&client, &sim, &made["request_id"]).await["stage"]
                .as_u64()
                .unwrap(),
        );
    }
    assert_eq!(stages, [101, 102, 103, 104, 105, 106]);
    let files = listed(&client, &sim, 103).await;
    let common = format!("{workspace}/users/demo/hadgem3_ssp585_daily/");
    let large = files.iter().map(|(_, size, _)| *size).max().unwrap();
    assert!(large > 3_000_000, "the large file: {large}");
    for (path, size, digest) in &files {
        let retrieved = Path::new(&target).join(path.strip_prefix(&common).unwrap());
        assert_eq!(
            std::fs::metadata(&retrieved).unwrap().len(),
            *size,
            "{}",
            retrieved.display()
        );
        assert_eq!(&adler32(&retrieved), digest, "{}", retrieved.display());
    }
    // Completed: the same GET may be asked again.
    let (status, _) = post(&client, &sim, "request", get_body(103, &target)).await;
    assert_eq!(status, 200);

    // Verification catches a retrieved file whose bytes changed.
    let (path, size, digest) = &files[0];
    let retrieved = Path::new(&target).join(path.strip_prefix(&common).unwrap());
    let response = client
        .post(format!("{}/_sim/jdma/corrupt", sim.base_url()))
        .json(&json!({"path": retrieved}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(std::fs::metadata(&retrieved).unwrap().len(), *size);
    assert_ne!(
        &adler32(&retrieved),
        digest,
        "the listed digest no longer matches"
    );
    let response = client
        .post(format!("{}/_sim/jdma/corrupt", sim.base_url()))
        .json(&json!({"path": "/etc/hostname"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404, "only workspace files");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_get_of_some_files_writes_only_those() {
    let (sim, client) = (start().await, client());
    let workspace = sim.description().jdma.workspace_path;
    let files = listed(&client, &sim, 110).await;
    let wanted = &files[0].0;
    let ocean = Path::new(&workspace).parent().unwrap().join("ocean");
    let target = ocean
        .join("users/demo/one_file")
        .to_string_lossy()
        .into_owned();
    let body = json!({"name": "demo", "request_type": "GET", "migration_id": 110, "target_path": target, "filelist": [wanted]});
    let (status, made) = post(&client, &sim, "request", body).await;
    assert_eq!(status, 200, "{made}");
    let relative = made["filelist"][0].as_str().unwrap().to_owned();
    assert!(wanted.ends_with(&format!("/{relative}")), "{relative}");
    for _ in 0..6 {
        next_stage(&client, &sim).await;
    }
    let written: Vec<_> = walk(Path::new(&target));
    assert_eq!(written, vec![Path::new(&target).join(&relative)]);
    sim.shutdown().await;
}

fn walk(folder: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn delete_twice_is_refused_and_the_batch_ends_deleted() {
    let (sim, client) = (start().await, client());
    let body = json!({"name": "demo", "request_type": "DELETE", "migration_id": 110, "storage": "elastictape", "credentials": {}});
    let (status, made) = post(&client, &sim, "request", body.clone()).await;
    assert_eq!(status, 200, "{made}");
    assert_eq!(made["stage"], 200);
    let (status, again) = post(&client, &sim, "request", body).await;
    assert_eq!(status, 403);
    assert_eq!(again["error"], "Duplicate DELETE request made: batch: 110");
    let someone_else = json!({"name": "mkowalski", "request_type": "DELETE", "migration_id": 110, "storage": "elastictape"});
    assert_eq!(post(&client, &sim, "request", someone_else).await.0, 403);
    for _ in 0..4 {
        next_stage(&client, &sim).await;
    }
    assert_eq!(
        request_stage(&client, &sim, &made["request_id"]).await["stage"],
        204
    );
    let (_, batch) = get(&client, &sim, "migration/?name=demo&migration_id=110").await;
    assert_eq!(batch["stage"], 5, "DELETED");
    sim.shutdown().await;
}

#[tokio::test]
async fn requests_fail_with_a_reason_on_their_own_or_when_told() {
    let (sim, client) = (start().await, client());
    // The demo's GET 315 fails after its queue and a few stages.
    for _ in 0..12 {
        next_stage(&client, &sim).await;
    }
    let failed = request_stage(&client, &sim, &json!(jdma::FAILING_GET_ID)).await;
    assert_eq!(failed["stage"], 1000, "{failed}");
    assert!(failed["failure_reason"]
        .as_str()
        .unwrap()
        .contains("ET_GET"));
    let (_, list) = get(&client, &sim, "request?name=demo").await;
    assert!(list["requests"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r.get("failure_reason").is_none()));

    let target = format!(
        "{}/users/demo/to_fail",
        sim.description().jdma.workspace_path
    );
    let body =
        json!({"name": "demo", "request_type": "GET", "migration_id": 101, "target_path": target});
    let (_, made) = post(&client, &sim, "request", body).await;
    let fail = |id: &Value| format!("{}/_sim/jdma/requests/{id}/fail", sim.base_url());
    let reason = json!({"reason": "ET_GET: checksum mismatch on tape"});
    let response = client
        .post(fail(&made["request_id"]))
        .json(&reason)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let request = request_stage(&client, &sim, &made["request_id"]).await;
    assert_eq!(
        (
            request["stage"].as_u64(),
            request["failure_reason"].as_str()
        ),
        (Some(1000), Some("ET_GET: checksum mismatch on tape"))
    );
    let response = client
        .post(fail(&made["request_id"]))
        .json(&reason)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let response = client
        .post(fail(&json!(99_999)))
        .json(&reason)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // A failed PUT fails its batch and is tidied to FAILED_COMPLETED an interval later.
    let folder = sim.description().jdma.spare_folder;
    let body = json!({"name": "demo", "workspace": "climate", "filelist": [folder], "label": "doomed",
                      "request_type": "MIGRATE", "storage": "elastictape"});
    let (_, put) = post(&client, &sim, "request", body).await;
    client
        .post(fail(&put["request_id"]))
        .json(&reason)
        .send()
        .await
        .unwrap();
    let (_, batch) = get(
        &client,
        &sim,
        &format!("migration/?name=demo&migration_id={}", put["batch_id"]),
    )
    .await;
    assert_eq!(batch["stage"], 3, "FAILED");
    next_stage(&client, &sim).await;
    assert_eq!(
        request_stage(&client, &sim, &put["request_id"]).await["stage"],
        1001
    );
    assert!(
        Path::new(&folder).is_dir(),
        "a failed MIGRATE leaves the originals"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn fault_rules_apply_on_the_jdma_port() {
    let (sim, client) = (start().await, client());
    sim.faults().add(
        FaultRule::new(
            "/jdma_control/api/v1/request",
            FaultAction::Status {
                code: 503,
                retry_after_secs: None,
            },
        )
        .times(1),
    );
    assert_eq!(
        client
            .get(api(&sim, "request?name=demo"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    assert_eq!(get(&client, &sim, "request?name=demo").await.0, 200);
    sim.shutdown().await;
}
