//! The fake UP42 over real HTTP: tokens on the sim's clock, the envelope, paging, signed URLs,
//! hostile tarballs, the current API's cursor paging, STAC and problem JSON, and faults.

mod common;

use std::io::Read;
use std::time::Duration;

use common::{client, start};
use futures_util::StreamExt;
use jobfetch_sim::{up42, FaultAction, FaultRule, Sim};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, RANGE};
use reqwest::StatusCode;
use serde_json::Value;

/// A project token for the demo project.
async fn project_token(client: &reqwest::Client, sim: &Sim) -> String {
    let reply: Value = client
        .post(format!("{}/oauth/token", sim.up42_url()))
        .basic_auth(up42::DEMO_PROJECT_ID, Some(up42::DEMO_API_KEY))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        reply["access_token"], reply["data"]["accessToken"],
        "{reply}"
    );
    assert_eq!(reply["expires_in"], 300);
    reply["access_token"].as_str().unwrap().to_owned()
}

/// An account token from the auth host, with its refresh token.
async fn account_tokens(client: &reqwest::Client, sim: &Sim) -> (String, String) {
    let reply: Value = client
        .post(format!(
            "{}/realms/public/protocol/openid-connect/token",
            sim.up42_auth_url()
        ))
        .form(&[
            ("grant_type", "password"),
            ("username", up42::USERNAME),
            ("password", up42::PASSWORD),
            ("client_id", "up42-api"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["expires_in"], 300, "{reply}");
    assert_eq!(reply["token_type"], "Bearer");
    (
        reply["access_token"].as_str().unwrap().to_owned(),
        reply["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// GET `{seed api}{path}` with the token: status and JSON body.
async fn get(client: &reqwest::Client, sim: &Sim, token: &str, path: &str) -> (StatusCode, Value) {
    let response = client
        .get(format!("{}{path}", sim.up42_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

fn job_path(job_id: &str) -> String {
    format!("/projects/{}/jobs/{job_id}", up42::DEMO_PROJECT_ID)
}

#[tokio::test]
async fn project_tokens_last_five_minutes_of_the_sims_clock() {
    let (sim, client) = (start().await, client());
    let token = project_token(&client, &sim).await;
    let (status, me) = get(&client, &sim, &token, "/users/me").await;
    assert_eq!(
        (status, &me["data"]["id"], &me["error"]),
        (StatusCode::OK, &up42::ACCOUNT_ID.into(), &Value::Null)
    );
    sim.advance_clock(Duration::from_secs(299));
    assert_eq!(
        get(&client, &sim, &token, "/users/me").await.0,
        StatusCode::OK
    );
    sim.advance_clock(Duration::from_secs(1));
    let (status, refused) = get(&client, &sim, &token, "/users/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused["data"], Value::Null);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{refused}"
    );
    // A new token works again.
    let token = project_token(&client, &sim).await;
    assert_eq!(
        get(&client, &sim, &token, "/users/me").await.0,
        StatusCode::OK
    );

    let wrong = client
        .post(format!("{}/oauth/token", sim.up42_url()))
        .basic_auth(up42::DEMO_PROJECT_ID, Some("not-the-key"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let (status, missing) = get(&client, &sim, "", "/users/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{missing}");
}

#[tokio::test]
async fn jobs_come_in_pages_that_end_with_an_empty_one() {
    let (sim, client) = (start().await, client());
    let token = project_token(&client, &sim).await;
    let jobs = format!("/projects/{}/jobs", up42::DEMO_PROJECT_ID);
    let mut all = Vec::new();
    for page in 0.. {
        let (status, reply) = get(
            &client,
            &sim,
            &token,
            &format!("{jobs}?page={page}&sort=createdAt,desc"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let data = reply["data"].as_array().unwrap().clone();
        if data.is_empty() {
            assert_eq!(page, 2, "20 a page, 24 jobs");
            break;
        }
        all.extend(data);
    }
    assert_eq!(all.len(), 24);
    let created: Vec<&str> = all
        .iter()
        .map(|job| job["createdAt"].as_str().unwrap())
        .collect();
    assert!(
        created.windows(2).all(|pair| pair[0] >= pair[1]),
        "newest first"
    );
    let (_, by_name) = get(
        &client,
        &sim,
        &token,
        &format!("{jobs}?page=0&sort=name,asc&size=5"),
    )
    .await;
    let names: Vec<&str> = by_name["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 5);
    assert!(names.windows(2).all(|pair| pair[0] <= pair[1]), "{names:?}");
    let (status, bad) = get(&client, &sim, &token, &format!("{jobs}?sort=colour,asc")).await;
    assert_eq!(
        (status, &bad["data"]),
        (StatusCode::BAD_REQUEST, &Value::Null)
    );
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("createdAt"),
        "{bad}"
    );

    let (status, job) = get(&client, &sim, &token, &job_path(up42::SUCCEEDED_JOB_ID)).await;
    assert_eq!((status, &job["error"]), (StatusCode::OK, &Value::Null));
    assert_eq!(job["data"]["status"], "SUCCEEDED");
    assert_eq!(job["data"]["displayId"], &up42::SUCCEEDED_JOB_ID[..8]);
    let (status, missing) = get(&client, &sim, &token, &job_path("no-such-job")).await;
    assert_eq!(
        (status, &missing["data"]),
        (StatusCode::NOT_FOUND, &Value::Null)
    );
    // Another project's jobs need the account.
    let other = &sim.up42_projects()[1].id;
    let (status, _) = get(&client, &sim, &token, &format!("/projects/{other}/jobs")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn cancelling_and_live_jobs_change_status() {
    let (sim, client) = (start().await, client());
    let token = project_token(&client, &sim).await;
    let cancel = |job_id: &str| {
        client
            .post(format!("{}{}/cancel", sim.up42_url(), job_path(job_id)))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(
        cancel(up42::PENDING_JOB_ID).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let (_, job) = get(&client, &sim, &token, &job_path(up42::PENDING_JOB_ID)).await;
    assert_eq!(job["data"]["status"], "CANCELLED");
    assert_eq!(
        cancel(up42::SUCCEEDED_JOB_ID).await.unwrap().status(),
        StatusCode::CONFLICT
    );

    let (_, job) = get(&client, &sim, &token, &job_path(up42::LIVE_JOB_ID)).await;
    assert_eq!(job["data"]["status"], "RUNNING");
    let results = format!("{}/downloads/results/", job_path(up42::LIVE_JOB_ID));
    assert_eq!(
        get(&client, &sim, &token, &results).await.0,
        StatusCode::NOT_FOUND
    );
    // A cancel while it runs wins over the end that comes later.
    assert_eq!(
        cancel(up42::LIVE_FAILING_JOB_ID).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    // Both end when the clock gets there.
    sim.advance_clock(Duration::from_secs(60));
    let (_, job) = get(&client, &sim, &token, &job_path(up42::LIVE_JOB_ID)).await;
    assert_eq!(job["data"]["status"], "SUCCEEDED");
    assert!(job["data"]["finishedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(get(&client, &sim, &token, &results).await.0, StatusCode::OK);
    let (_, job) = get(&client, &sim, &token, &job_path(up42::LIVE_FAILING_JOB_ID)).await;
    assert_eq!(job["data"]["status"], "CANCELLED");

    // Tasks that have ended say when, in a job still running too.
    let (_, tasks) = get(
        &client,
        &sim,
        &token,
        &format!("{}/tasks/", job_path(up42::RUNNING_JOB_ID)),
    )
    .await;
    for task in tasks["data"].as_array().unwrap() {
        let ended = task["status"] == "SUCCEEDED";
        assert_eq!(task["finishedAt"].is_string(), ended, "{task}");
    }
}

/// The signed URL of a task's (or, with `None`, the job's) results.
async fn results_url(
    client: &reqwest::Client,
    sim: &Sim,
    token: &str,
    job_id: &str,
    task_id: Option<&str>,
) -> String {
    let path = match task_id {
        Some(task) => format!("{}/tasks/{task}/downloads/results/", job_path(job_id)),
        None => format!("{}/downloads/results/", job_path(job_id)),
    };
    let (status, reply) = get(client, sim, token, &path).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    reply["data"]["url"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn signed_urls_refuse_a_bearer_and_expire() {
    let (sim, client) = (start().await, client());
    let token = project_token(&client, &sim).await;
    let url = results_url(&client, &sim, &token, up42::SUCCEEDED_JOB_ID, None).await;
    assert!(url.starts_with(&sim.up42_storage_url()), "{url}");
    let with_bearer = client.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(with_bearer.status(), StatusCode::BAD_REQUEST);
    assert!(with_bearer
        .text()
        .await
        .unwrap()
        .contains("<Code>InvalidArgument</Code>"));

    let tarball = client.get(&url).send().await.unwrap();
    assert_eq!(tarball.status(), StatusCode::OK);
    let bytes = tarball.bytes().await.unwrap();
    let tail = client
        .get(&url)
        .header(RANGE, "bytes=100-")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.bytes().await.unwrap(), bytes.slice(100..));
    let mut names = Vec::new();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".tif") {
            let mut head = [0; 4];
            entry.read_exact(&mut head).unwrap();
            assert_eq!(&head, b"II*\0", "{name} is a TIFF");
        }
        names.push(name);
    }
    assert_eq!(names[..2], ["output/", "output/data.json"]);
    assert_eq!(
        names.iter().filter(|name| name.ends_with(".tif")).count(),
        2,
        "{names:?}"
    );

    // Expired on request, in the middle of a batch: the next URL works.
    sim.expire_up42_signed_urls();
    let expired = client.get(&url).send().await.unwrap();
    assert_eq!(expired.status(), StatusCode::BAD_REQUEST);
    assert!(expired.text().await.unwrap().contains("ExpiredToken"));
    let fresh = results_url(&client, &sim, &token, up42::SUCCEEDED_JOB_ID, None).await;
    assert_eq!(
        client.get(&fresh).send().await.unwrap().status(),
        StatusCode::OK
    );
    // And by the clock.
    sim.advance_clock(Duration::from_secs(300));
    assert_eq!(
        client.get(&fresh).send().await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let forged = fresh.replace("X-Goog-Expires=300", "X-Goog-Expires=900");
    assert_eq!(
        client.get(&forged).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

/// The first `count` members of a (possibly endless) tar.gz at `url`: name, type and claimed size.
async fn first_members(
    client: &reqwest::Client,
    url: &str,
    count: usize,
) -> Vec<(String, tar::EntryType, u64)> {
    let mut body = client.get(url).send().await.unwrap().bytes_stream();
    let mut gz = Vec::new();
    while gz.len() < 256 * 1024 {
        match body.next().await {
            Some(chunk) => gz.extend_from_slice(&chunk.unwrap()),
            None => break,
        }
    }
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&gz[..]));
    archive
        .entries()
        .unwrap()
        .take(count)
        .map(|entry| {
            let entry = entry.unwrap();
            let header = entry.header();
            let name = String::from_utf8(entry.path_bytes().into_owned()).unwrap();
            (name, header.entry_type(), header.size().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn the_hostile_job_serves_hostile_tarballs() {
    use tar::EntryType::{Regular, Symlink};
    let (sim, client) = (start().await, client());
    let token = project_token(&client, &sim).await;
    let task = |id| results_url(&client, &sim, &token, up42::HOSTILE_JOB_ID, Some(id));
    let members = first_members(&client, &task(up42::HOSTILE_TRAVERSAL_TASK_ID).await, 3).await;
    assert_eq!(members[2].0, "output/../../escaped.txt");
    let members = first_members(&client, &task(up42::HOSTILE_ABSOLUTE_TASK_ID).await, 3).await;
    assert_eq!(members[2].0, "/tmp/jobfetch-up42-absolute.txt");
    let members = first_members(&client, &task(up42::HOSTILE_SYMLINK_TASK_ID).await, 4).await;
    assert_eq!(
        (members[2].0.as_str(), members[2].1),
        ("output/escape", Symlink)
    );
    assert_eq!(members[3].0, "output/escape/jobfetch-up42-symlinked.txt");
    let members = first_members(&client, &task(up42::HOSTILE_BOMB_TASK_ID).await, 3).await;
    assert_eq!(members[2], ("output/bomb.tif".into(), Regular, 64 << 30));
    // The job's own results: all four, the bomb last.
    let job = results_url(&client, &sim, &token, up42::HOSTILE_JOB_ID, None).await;
    let names: Vec<String> = first_members(&client, &job, 7)
        .await
        .into_iter()
        .map(|m| m.0)
        .collect();
    assert_eq!(
        names[2..],
        [
            "output/../../escaped.txt",
            "/tmp/jobfetch-up42-absolute.txt",
            "output/escape",
            "output/escape/jobfetch-up42-symlinked.txt",
            "output/bomb.tif"
        ]
    );
}

#[tokio::test]
async fn quicklooks_and_data_json_need_the_bearer() {
    let (sim, client) = (start().await, client());
    let token = project_token(&client, &sim).await;
    let (_, tasks) = get(
        &client,
        &sim,
        &token,
        &format!("{}/tasks/", job_path(up42::SUCCEEDED_JOB_ID)),
    )
    .await;
    let data_task = tasks["data"][0]["id"].as_str().unwrap().to_owned();
    let task_path = format!("{}/tasks/{data_task}", job_path(up42::SUCCEEDED_JOB_ID));
    let (_, names) = get(
        &client,
        &sim,
        &token,
        &format!("{task_path}/outputs/quicklooks/"),
    )
    .await;
    let name = names["data"][0].as_str().unwrap();
    let url = format!("{}{task_path}/outputs/quicklooks/{name}", sim.up42_url());
    assert_eq!(
        client.get(&url).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let image = client.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(image.headers()[CONTENT_TYPE], "image/jpeg");
    assert_eq!(&image.bytes().await.unwrap()[..3], [0xff, 0xd8, 0xff]);
    let (status, geojson) = get(
        &client,
        &sim,
        &token,
        &format!("{task_path}/outputs/data-json/"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        geojson["type"], "FeatureCollection",
        "raw GeoJSON, no envelope"
    );
    let feature = &geojson["features"][0];
    assert_eq!(format!("{}.jpg", feature["id"].as_str().unwrap()), name);
    assert!(feature["properties"]["up42.data_path"]
        .as_str()
        .unwrap()
        .ends_with(".tif"));
    let log = client
        .get(format!("{}{task_path}/logs", sim.up42_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(log.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
}

/// GET on the current API: status, content type and JSON.
async fn v2(
    client: &reqwest::Client,
    sim: &Sim,
    token: &str,
    path_or_href: &str,
) -> (StatusCode, String, Value) {
    let url = if path_or_href.starts_with("http") {
        path_or_href.to_owned()
    } else {
        format!("{}{path_or_href}", sim.up42_api_v2_url())
    };
    let response = client
        .get(url)
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    let kind = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    (response.status(), kind, response.json().await.unwrap())
}

#[tokio::test]
async fn the_current_api_pages_by_cursor_and_serves_stac_results() {
    let (sim, client) = (start().await, client());
    let (token, refresh) = account_tokens(&client, &sim).await;
    let info: Value = client
        .get(format!(
            "{}/realms/public/protocol/openid-connect/userinfo",
            sim.up42_auth_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], up42::ACCOUNT_ID);

    let mut jobs = Vec::new();
    let mut next = Some(format!(
        "/v2/processing/jobs?workspaceId={}&limit=10",
        up42::ACCOUNT_ID
    ));
    while let Some(href) = next {
        let (status, _, page) = v2(&client, &sim, &token, &href).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        jobs.extend(page["jobs"].as_array().unwrap().clone());
        next = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|link| link["rel"] == "next")
            .map(|link| link["href"].as_str().unwrap().to_owned());
        assert!(jobs.len() <= 23, "paging must end");
    }
    assert_eq!(jobs.len(), 23);
    let statuses: std::collections::BTreeSet<&str> = jobs
        .iter()
        .map(|job| job["status"].as_str().unwrap())
        .collect();
    assert!(statuses.len() >= 12, "{statuses:?}");
    let (_, _, failed) = v2(&client, &sim, &token, "/v2/processing/jobs?status=failed").await;
    assert!(failed["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|job| job["status"] == "failed"));

    let (_, _, job) = v2(
        &client,
        &sim,
        &token,
        &format!("/v2/processing/jobs/{}", up42::PROCESSING_JOB_ID),
    )
    .await;
    let collection_url = job["results"]["collection"].as_str().unwrap();
    let (status, _, collection) = v2(&client, &sim, &token, collection_url).await;
    assert_eq!(
        (status, &collection["type"]),
        (StatusCode::OK, &"Collection".into())
    );
    let (_, _, items) = v2(&client, &sim, &token, &format!("{collection_url}/items")).await;
    let item = &items["features"][0];
    let href = item["assets"]["data"]["href"].as_str().unwrap();
    assert!(href.starts_with(&sim.up42_api_v2_url()), "{href}");
    let signed: Value = client
        .post(format!("{href}/download-url"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tiff = client
        .get(signed["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&tiff[..4], b"II*\0");

    // The live job has no collection until it has ended.
    let live = format!("/v2/processing/jobs/{}", up42::LIVE_PROCESSING_JOB_ID);
    let (_, _, running) = v2(&client, &sim, &token, &live).await;
    assert_eq!(
        (&running["status"], &running["results"]["collection"]),
        (&"running".into(), &Value::Null)
    );
    sim.end_job_in(up42::LIVE_PROCESSING_JOB_ID, Duration::ZERO)
        .unwrap();
    let (_, _, ended) = v2(&client, &sim, &token, &live).await;
    assert_eq!(ended["status"], "captured");
    assert!(ended["results"]["collection"].is_string());

    // RFC 7807 problems.
    let (status, kind, problem) = v2(&client, &sim, &token, "/v2/processing/jobs/nope").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::NOT_FOUND, "application/problem+json")
    );
    assert_eq!(
        (&problem["status"], &problem["title"]),
        (&404.into(), &"Not Found".into())
    );
    assert!(problem["detail"].is_string() && problem["instance"] == "/v2/processing/jobs/nope");
    let project = project_token(&client, &sim).await;
    assert_eq!(
        v2(&client, &sim, &project, "/v2/processing/jobs").await.0,
        StatusCode::FORBIDDEN
    );
    sim.advance_clock(Duration::from_secs(300));
    let (status, kind, _) = v2(&client, &sim, &token, "/v2/processing/jobs").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::UNAUTHORIZED, "application/problem+json")
    );
    // The refresh token (30 minutes) still gets a new access token.
    let renewed: Value = client
        .post(format!(
            "{}/realms/public/protocol/openid-connect/token",
            sim.up42_auth_url()
        ))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_id", "up42-api"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = renewed["access_token"].as_str().unwrap();
    assert_eq!(
        v2(&client, &sim, token, "/v2/processing/jobs").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn faults_apply_on_the_up42_ports() {
    let (sim, client) = (start().await, client());
    let token = project_token(&client, &sim).await;
    let status = FaultAction::Status {
        code: 503,
        retry_after_secs: Some(1),
    };
    sim.faults()
        .add(FaultRule::new("/projects/", status.clone()).times(1));
    assert_eq!(
        get_status(
            &client,
            &format!("{}{}", sim.up42_url(), job_path(up42::SUCCEEDED_JOB_ID)),
            &token
        )
        .await,
        503
    );
    assert_eq!(
        get_status(
            &client,
            &format!("{}{}", sim.up42_url(), job_path(up42::SUCCEEDED_JOB_ID)),
            &token
        )
        .await,
        200
    );
    let url = results_url(&client, &sim, &token, up42::SUCCEEDED_JOB_ID, None).await;
    sim.faults()
        .add(FaultRule::new("/up42-sim-results/", status.clone()).times(1));
    assert_eq!(client.get(&url).send().await.unwrap().status(), 503);
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    sim.faults().add(FaultRule::new("/v2/", status).times(1));
    let (account, _) = account_tokens(&client, &sim).await;
    assert_eq!(
        get_status(
            &client,
            &format!("{}/v2/processing/jobs", sim.up42_api_v2_url()),
            &account
        )
        .await,
        503
    );
}

async fn get_status(client: &reqwest::Client, url: &str, token: &str) -> u16 {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_description_names_the_up42_endpoints_and_credentials() {
    let sim = start().await;
    let description = serde_json::to_value(sim.description()).unwrap();
    let up42 = &description["up42"];
    for key in ["base", "project_id", "api_key", "username", "password"] {
        assert!(up42[key].is_string(), "up42.{key} in {up42}");
    }
    assert_eq!(up42["base"], sim.up42_url());
    assert_eq!(up42["projects"][0]["id"], up42::DEMO_PROJECT_ID);
    assert_eq!(up42["projects"].as_array().unwrap().len(), 3);
    assert_eq!(up42["live_jobs"].as_array().unwrap().len(), 3);
    let ports: std::collections::BTreeSet<&str> = ["base", "api_v2", "auth", "storage"]
        .iter()
        .map(|key| up42[key].as_str().unwrap())
        .collect();
    assert_eq!(ports.len(), 4, "each on its own port: {up42}");
}
