//! Helpers shared by the sim's HTTP tests.
#![allow(dead_code)]

use std::time::{Duration, UNIX_EPOCH};

use jobfetch_sim::{demo, Sim, SimConfig};
use serde_json::Value;

pub async fn start() -> Sim {
    Sim::start(SimConfig::default()).await.expect("sim starts")
}

/// A sim whose demo dates are those of the DESaccess documentation: the sample job completed on
/// 2020-07-06 at 15:22:04, two hours before this sim starts.
pub async fn start_on_the_documented_day() -> Sim {
    let start = UNIX_EPOCH + Duration::from_secs(1_594_056_124);
    Sim::start(SimConfig {
        demo_start: Some(start),
        ..SimConfig::default()
    })
    .await
    .expect("sim starts")
}

/// `POST /job/status` for one job (or `all`), signed in as the demo user.
pub async fn job_status(client: &reqwest::Client, sim: &Sim, job_id: &str) -> Value {
    let token = login(client, sim).await;
    json_reply(
        client
            .post(format!("{}/job/status", sim.desaccess_api_url()))
            .bearer_auth(token)
            .form(&[("job-id", job_id)]),
    )
    .await
}

/// A client that does not follow redirects, so tests see them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("client builds")
}

/// Sends `request` and reads its reply as JSON.
pub async fn json_reply(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

pub async fn login(client: &reqwest::Client, sim: &Sim) -> String {
    let reply = json_reply(
        client
            .post(format!("{}/login", sim.desaccess_api_url()))
            .form(&[
                ("username", demo::USERNAME),
                ("password", demo::PASSWORD),
                ("database", demo::DATABASE),
            ]),
    )
    .await;
    reply["token"]
        .as_str()
        .expect("login gives a token")
        .to_owned()
}

/// `{files}/demo/<job_type>/<job_id>`
pub fn job_folder(sim: &Sim, job_type: &str, job_id: &str) -> String {
    format!(
        "{}/{}/{job_type}/{job_id}",
        sim.desaccess_files_url(),
        demo::USERNAME
    )
}

pub async fn listing(client: &reqwest::Client, folder: &str) -> Vec<Value> {
    let response = client.get(format!("{folder}/json")).send().await.unwrap();
    assert_eq!(response.status(), 200, "listing {folder}");
    response.json().await.unwrap()
}

/// Every file under `folder` as (path relative to `folder`, listed size).
pub async fn walk(client: &reqwest::Client, folder: &str) -> Vec<(String, u64)> {
    let mut files = Vec::new();
    let mut pending = vec![String::new()];
    while let Some(relative) = pending.pop() {
        for entry in listing(client, &format!("{folder}{relative}")).await {
            let path = format!("{relative}/{}", entry["name"].as_str().unwrap());
            match entry["type"].as_str().unwrap() {
                "directory" => pending.push(path),
                _ => files.push((path[1..].to_owned(), entry["size"].as_u64().unwrap())),
            }
        }
    }
    files.sort();
    files
}

/// The body of a successful GET of `url`, as text.
pub async fn get_text(client: &reqwest::Client, url: &str) -> String {
    String::from_utf8(get_bytes(client, url).await).expect("a text reply")
}

pub async fn get_bytes(client: &reqwest::Client, url: &str) -> Vec<u8> {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {url}");
    response.bytes().await.unwrap().to_vec()
}
