//! The DESaccess API over real HTTP: login, token rules, profile, job status and job list.

mod common;

use std::time::Duration;

use common::{client, json_reply, login, start, start_on_the_documented_day};
use jobfetch_sim::demo;
use serde_json::{json, Value};

async fn post_form(client: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = client.post(url).form(form).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn login_with_form_returns_the_account_and_a_jwt_shaped_token() {
    let (sim, client) = (start().await, client());
    let url = format!("{}/login", sim.desaccess_api_url());
    let form = [
        ("username", "Demo"),
        ("password", demo::PASSWORD),
        ("database", demo::DATABASE),
    ];
    let (status, reply) = post_form(&client, &url, &form).await;
    assert_eq!(status, 200);
    assert_eq!(reply["status"], "ok");
    assert_eq!(reply["message"], "login");
    assert_eq!(reply["username"], "demo");
    assert_eq!(reply["db"], "desdr");
    assert_eq!(reply["roles"], json!(["default"]));
    assert_eq!(reply["preferences"], json!({}));
    for key in ["name", "lastname", "email"] {
        assert!(reply[key].is_string(), "{key}");
    }
    assert_eq!(reply["token"].as_str().unwrap().split('.').count(), 3);
}

#[tokio::test]
async fn login_reads_json_only_with_the_exact_content_type() {
    let (sim, client) = (start().await, client());
    let url = format!("{}/login", sim.desaccess_api_url());
    let body =
        json!({"username": demo::USERNAME, "password": demo::PASSWORD, "database": "dessci"})
            .to_string();
    let reply = json_reply(
        client
            .post(&url)
            .json(&serde_json::from_str::<Value>(&body).unwrap()),
    )
    .await;
    assert_eq!(reply["status"], "ok");
    assert_eq!(reply["db"], "dessci");

    let response = client
        .post(&url)
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let reply: Value = response.json().await.unwrap();
    assert_eq!(
        reply,
        json!({"status": "error", "message": "Either username or email must be provided."})
    );
}

#[tokio::test]
async fn bad_credentials_give_401_and_missing_fields_400() {
    let (sim, client) = (start().await, client());
    let url = format!("{}/login", sim.desaccess_api_url());
    let (status, reply) = post_form(
        &client,
        &url,
        &[
            ("username", "demo"),
            ("password", "nope"),
            ("database", "desdr"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(reply["status"], "error");
    assert_eq!(reply["update"], false);
    assert!(reply["message"]
        .as_str()
        .unwrap()
        .contains("invalid username/password"));

    let (status, reply) = post_form(
        &client,
        &url,
        &[("username", "demo"), ("database", "desdr")],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        reply["message"],
        "HTTP 400: Bad Request (Missing argument password)"
    );

    let (status, reply) =
        post_form(&client, &url, &[("password", "x"), ("database", "desdr")]).await;
    assert_eq!(status, 400);
    assert_eq!(
        reply["message"],
        "Either username or email must be provided."
    );
}

#[tokio::test]
async fn authorization_failures_use_the_jwtutils_messages() {
    let (sim, client) = (start().await, client());
    let url = format!("{}/job/list", sim.desaccess_api_url());
    let token = login(&client, &sim).await;
    let forged = format!("{}.AAAA", token.rsplit_once('.').unwrap().0);
    let cases = [
        (None, 200, "Missing authorization"),
        (Some(token.clone()), 200, "Invalid header authorization"),
        (
            Some(format!("Token {token}")),
            200,
            "Invalid header authorization",
        ),
        (
            Some("Bearer not-a-jwt".to_owned()),
            500,
            "Invalid header string",
        ),
        (
            Some(format!("Bearer {forged}")),
            200,
            "Signature verification failed",
        ),
    ];
    for (header, status, message) in cases {
        let mut request = client.get(&url);
        if let Some(header) = &header {
            request = request.header("authorization", header);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{header:?}");
        let reply: Value = response.json().await.unwrap();
        assert_eq!(
            reply,
            json!({"status": "error", "message": message}),
            "{header:?}"
        );
    }
}

#[tokio::test]
async fn expired_tokens_are_reported_and_every_reply_refreshes_the_token() {
    let (sim, client) = (start().await, client());
    let api = sim.desaccess_api_url();
    sim.set_token_ttl(Duration::from_millis(1));
    let short = login(&client, &sim).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let reply = json_reply(client.post(format!("{api}/profile")).bearer_auth(&short)).await;
    assert_eq!(
        reply,
        json!({"status": "error", "message": "Signature has expired"})
    );

    sim.set_token_ttl(Duration::from_secs(3600));
    let token = login(&client, &sim).await;
    let reply = json_reply(client.get(format!("{api}/job/list")).bearer_auth(&token)).await;
    let renewed = reply["new_token"].as_str().unwrap();
    assert_ne!(renewed, token);
    let profile = json_reply(client.post(format!("{api}/profile")).bearer_auth(renewed)).await;
    assert_eq!(profile["status"], "ok");
    assert_eq!(profile["message"], "valid token");
    assert_eq!(profile["username"], "demo");
    assert!((3590..=3600).contains(&profile["ttl"].as_u64().unwrap()));
    assert!(profile["new_token"].is_string());
}

#[tokio::test]
async fn job_status_all_gives_full_records_in_order() {
    let (sim, client) = (start_on_the_documented_day().await, client());
    let token = login(&client, &sim).await;
    let url = format!("{}/job/status", sim.desaccess_api_url());
    let response = client
        .post(&url)
        .bearer_auth(&token)
        .form(&[("job-id", "all")])
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert!(
        text.starts_with("{\n    \"status\": \"ok\""),
        "indented like json.dumps(indent=4)"
    );
    let reply: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(reply["message"], "");
    assert!(reply["new_token"].is_string());
    let jobs = reply["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), demo::JOB_COUNT);
    let expected = [
        "job_type",
        "job_name",
        "job_id",
        "job_status",
        "job_status_message",
        "job_time_start",
        "job_time_complete",
        "job_time_submitted",
        "data",
        "query",
        "query_files",
        "cutout_files",
        "cutout_summary",
        "cutout_positions",
        "renewal_token",
        "expiration_date",
    ];
    assert_eq!(jobs[0].as_object().unwrap().len(), expected.len());
    let first_record = &text[..text.find("\n        },").unwrap()];
    let offsets: Vec<usize> = expected
        .iter()
        .map(|key| first_record.find(&format!("\"{key}\": ")).expect(key))
        .collect();
    assert!(
        offsets.windows(2).all(|pair| pair[0] < pair[1]),
        "fields in job_status order"
    );

    let seed = jobs
        .iter()
        .find(|job| job["job_id"] == demo::SEED_TREE_JOB_ID)
        .unwrap();
    assert_eq!(seed["job_status"], "success");
    assert_eq!(
        seed["job_name"],
        format!("cutout-{}-demo", demo::SEED_TREE_JOB_ID)
    );
    assert_eq!(seed["job_time_submitted"], "2020-07-06 15:21:29");
    assert_eq!(seed["job_time_start"], "2020-07-06 15:21:33");
    assert_eq!(seed["job_time_complete"], "2020-07-06 15:22:04");
    assert_eq!(seed["expiration_date"], "2020-07-20 15:22:04");
    assert_eq!(seed["renewal_token"].as_str().unwrap().len(), 32);
    assert_eq!(seed["data"], json!({}));
    assert_eq!(seed["query"], Value::Null);
    assert_eq!(seed["cutout_files"].as_array().unwrap().len(), 7);
    assert!(seed["cutout_files"][0]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/DES", demo::SEED_TREE_JOB_ID)));
    assert_eq!(seed["cutout_summary"]["number_of_files"], 7);
    assert!(seed["cutout_positions"]
        .as_str()
        .unwrap()
        .starts_with("RA,DEC"));

    let queued = jobs
        .iter()
        .find(|job| job["job_id"] == demo::QUEUED_CUTOUT_JOB_ID)
        .unwrap();
    assert_eq!(queued["job_status"], "init");
    assert_eq!(
        (&queued["job_time_start"], &queued["job_time_complete"]),
        (&json!(""), &json!(""))
    );
    assert_eq!(
        (&queued["renewal_token"], &queued["expiration_date"]),
        (&json!(""), &json!(""))
    );
    assert_eq!(queued["cutout_summary"], json!({}));

    let failed = jobs
        .iter()
        .find(|job| job["job_id"] == demo::FAILED_QUERY_JOB_ID)
        .unwrap();
    assert_eq!(failed["job_status"], "failure");
    assert_eq!(
        failed["job_status_message"],
        "ORA-00942: table or view does not exist"
    );
    let split = jobs
        .iter()
        .find(|job| job["job_id"] == demo::SPLIT_QUERY_JOB_ID)
        .unwrap();
    assert_eq!(
        split["query_files"],
        json!([
            "results_000001.csv",
            "results_000002.csv",
            "results_000003.csv"
        ])
    );
    assert!(split["query"].as_str().unwrap().starts_with("SELECT"));
}

#[tokio::test]
async fn job_status_for_one_job_reads_form_query_or_json() {
    let (sim, client) = (start().await, client());
    let token = login(&client, &sim).await;
    let url = format!("{}/job/status", sim.desaccess_api_url());
    let requests = [
        client.post(&url).form(&[("job-id", demo::CUTOUT_JOB_ID)]),
        client.post(format!("{url}?job-id={}", demo::CUTOUT_JOB_ID)),
        client
            .post(&url)
            .json(&json!({"job-id": demo::CUTOUT_JOB_ID})),
    ];
    for request in requests {
        let reply = json_reply(request.bearer_auth(&token)).await;
        assert_eq!(reply["status"], "ok");
        assert_eq!(reply["jobs"].as_array().unwrap().len(), 1);
        assert_eq!(reply["jobs"][0]["job_id"], demo::CUTOUT_JOB_ID);
        assert_eq!(
            reply["jobs"][0]["cutout_files"].as_array().unwrap().len(),
            45
        );
    }

    let unknown = "0123456789abcdef0123456789abcdef";
    let reply = json_reply(
        client
            .post(&url)
            .bearer_auth(&token)
            .form(&[("job-id", unknown)]),
    )
    .await;
    assert_eq!(reply["status"], "error");
    assert_eq!(reply["jobs"], json!([]));
    assert_eq!(
        reply["message"],
        format!("Error retrieving job status for user demo, specific job_id {unknown}")
    );

    let response = client.post(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let reply: Value = response.json().await.unwrap();
    assert_eq!(
        reply["message"],
        "HTTP 400: Bad Request (Missing argument job-id)"
    );
}

#[tokio::test]
async fn job_list_is_newest_first_with_four_fields() {
    let (sim, client) = (start().await, client());
    let token = login(&client, &sim).await;
    let reply = json_reply(
        client
            .get(format!("{}/job/list", sim.desaccess_api_url()))
            .bearer_auth(&token),
    )
    .await;
    let jobs = reply["jobs"].as_array().unwrap();
    let ids: Vec<&str> = jobs
        .iter()
        .map(|job| job["job_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), demo::JOB_COUNT);
    assert_eq!(
        ids[..5],
        [
            demo::LIVE_CUTOUT_JOB_ID,
            demo::LIVE_FAILING_JOB_ID,
            demo::LIVE_QUERY_JOB_ID,
            demo::RUNNING_QUERY_JOB_ID,
            demo::RUNNING_CUTOUT_JOB_ID
        ],
        "the running jobs started last"
    );
    assert_eq!(ids[5], demo::SEED_TREE_JOB_ID);
    assert_eq!(ids[6], demo::LARGE_CUTOUT_JOB_ID);
    assert_eq!(
        ids[demo::JOB_COUNT - 1],
        demo::QUEUED_CUTOUT_JOB_ID,
        "never started sorts last"
    );
    for job in jobs {
        let mut keys: Vec<&String> = job.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["job_id", "job_name", "job_status", "job_type"]);
    }
    assert_eq!(jobs[6]["job_name"], "des-wide-520");
}

#[tokio::test]
async fn the_second_account_has_no_jobs() {
    let (sim, client) = (start().await, client());
    let api = sim.desaccess_api_url();
    let form = [
        ("email", "astrobuff@example.org"),
        ("password", demo::EMPTY_PASSWORD),
        ("database", "desdr"),
    ];
    let (_, reply) = post_form(&client, &format!("{api}/login"), &form).await;
    assert_eq!(reply["username"], demo::EMPTY_USERNAME);
    let token = reply["token"].as_str().unwrap();
    let reply = json_reply(client.get(format!("{api}/job/list")).bearer_auth(token)).await;
    assert_eq!(reply["status"], "ok");
    assert_eq!(reply["jobs"], json!([]));
}

#[tokio::test]
async fn status_cors_and_unknown_routes() {
    let (sim, client) = (start().await, client());
    let api = sim.desaccess_api_url();
    let reply = json_reply(client.get(format!("{api}/status"))).await;
    assert_eq!(reply, json!({"status": "ok", "message": ""}));

    let preflight = client
        .request(reqwest::Method::OPTIONS, format!("{api}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert!(preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("Authorization"));

    assert_eq!(
        client
            .get(format!("{api}/job/nope"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    sim.shutdown().await;
}
