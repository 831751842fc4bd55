//! The demo's jobs that end while the sim runs: `started` with no folder, then succeeded with their
//! files or failed with a message, at the time a test sets.

mod common;

use std::time::{Duration, Instant};

use common::{client, get_text, job_folder, job_status, walk};
use jobfetch_sim::demo::{self, Endings};
use jobfetch_sim::{Sim, SimConfig};
use serde_json::{json, Value};

/// A sim whose running jobs end `after` it starts.
async fn start_ending_after(after: Duration) -> Sim {
    Sim::start(SimConfig {
        live_jobs: Endings::all_after(after),
        ..SimConfig::default()
    })
    .await
    .expect("sim starts")
}

/// The job's `/job/status` record.
async fn record(client: &reqwest::Client, sim: &Sim, job_id: &str) -> Value {
    let reply = job_status(client, sim, job_id).await;
    assert_eq!(reply["status"], "ok", "{reply}");
    reply["jobs"][0].clone()
}

/// Asks for the job's record until its status is no longer `started`, for at most 10 s.
async fn record_once_ended(client: &reqwest::Client, sim: &Sim, job_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let record = record(client, sim, job_id).await;
        if record["job_status"] != "started" || Instant::now() > deadline {
            return record;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn listing_status(client: &reqwest::Client, folder: &str) -> u16 {
    let response = client.get(format!("{folder}/json")).send().await.unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn a_running_cutout_job_has_no_files_until_it_succeeds() {
    let (sim, client) = (start_ending_after(Duration::from_secs(3)).await, client());
    let folder = job_folder(&sim, "cutout", demo::LIVE_CUTOUT_JOB_ID);

    let running = record(&client, &sim, demo::LIVE_CUTOUT_JOB_ID).await;
    assert_eq!(running["job_status"], "started", "{running}");
    assert_eq!(running["job_name"], "transient-hosts");
    assert_ne!(running["job_time_start"], "");
    assert_eq!(
        (&running["job_time_complete"], &running["expiration_date"]),
        (&json!(""), &json!(""))
    );
    assert_eq!(running["cutout_files"], json!([]));
    assert_eq!(running["cutout_summary"], json!({}));
    assert_eq!(listing_status(&client, &folder).await, 404, "no folder yet");

    let ended = record_once_ended(&client, &sim, demo::LIVE_CUTOUT_JOB_ID).await;
    assert_eq!(ended["job_status"], "success", "{ended}");
    assert_eq!(ended["job_time_start"], running["job_time_start"]);
    assert!(
        ended["job_time_complete"].as_str().unwrap() > ended["job_time_start"].as_str().unwrap()
    );
    assert_ne!(ended["expiration_date"], "");
    assert_eq!(ended["cutout_files"].as_array().unwrap().len(), 12);
    assert_eq!(ended["cutout_summary"]["number_of_files"], 12);
    let files = walk(&client, &folder).await;
    assert_eq!(
        files.len(),
        15,
        "12 images, positions, log and summary: {files:?}"
    );
    assert!(files.iter().any(|(path, _)| path == "summary.json"));
}

#[tokio::test]
async fn a_running_query_job_fails_with_its_message_and_no_folder() {
    let (sim, client) = (start_ending_after(Duration::from_secs(2)).await, client());
    let running = record(&client, &sim, demo::LIVE_FAILING_JOB_ID).await;
    assert_eq!(running["job_status"], "started", "{running}");
    assert_eq!(running["job_status_message"], "");

    let failed = record_once_ended(&client, &sim, demo::LIVE_FAILING_JOB_ID).await;
    assert_eq!(failed["job_status"], "failure", "{failed}");
    assert_eq!(failed["job_status_message"], demo::LIVE_FAILING_MESSAGE);
    assert_ne!(failed["job_time_complete"], "");
    let folder = job_folder(&sim, "query", demo::LIVE_FAILING_JOB_ID);
    assert_eq!(listing_status(&client, &folder).await, 404);
}

#[tokio::test]
async fn a_running_query_job_gets_its_results_when_it_succeeds() {
    let (sim, client) = (start_ending_after(Duration::from_secs(2)).await, client());
    let folder = job_folder(&sim, "query", demo::LIVE_QUERY_JOB_ID);
    assert_eq!(listing_status(&client, &folder).await, 404);
    let ended = record_once_ended(&client, &sim, demo::LIVE_QUERY_JOB_ID).await;
    assert_eq!(ended["job_status"], "success", "{ended}");
    assert_eq!(ended["query_files"], json!(["results.csv"]));
    let names: Vec<String> = walk(&client, &folder)
        .await
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    assert_eq!(names, ["meta.json", "results.csv"]);
}

#[tokio::test]
async fn the_job_list_and_the_file_tree_change_together() {
    let (sim, client) = (start_ending_after(Duration::from_secs(2)).await, client());
    let user_folder = format!("{}/{}/cutout/", sim.desaccess_files_url(), demo::USERNAME);
    let before = get_text(&client, &user_folder).await;
    assert!(!before.contains(demo::LIVE_CUTOUT_JOB_ID), "{before}");
    record_once_ended(&client, &sim, demo::LIVE_CUTOUT_JOB_ID).await;
    let after = get_text(&client, &user_folder).await;
    assert!(after.contains(demo::LIVE_CUTOUT_JOB_ID), "{after}");
    assert!(
        after.contains(demo::SEED_TREE_JOB_ID),
        "the other jobs stay: {after}"
    );
}

#[tokio::test]
async fn the_control_route_ends_a_running_job_when_asked() {
    let (sim, client) = (common::start().await, client());
    let end = |id: &str, after_secs: f64| {
        client
            .put(format!("{}/_sim/jobs/{id}/end", sim.base_url()))
            .json(&json!({ "after_secs": after_secs }))
            .send()
    };
    assert_eq!(
        record(&client, &sim, demo::LIVE_QUERY_JOB_ID).await["job_status"],
        "started"
    );
    assert_eq!(
        end(demo::LIVE_QUERY_JOB_ID, 0.0).await.unwrap().status(),
        200
    );
    assert_eq!(
        record(&client, &sim, demo::LIVE_QUERY_JOB_ID).await["job_status"],
        "success"
    );
    assert_eq!(
        end(demo::LIVE_QUERY_JOB_ID, 5.0).await.unwrap().status(),
        409,
        "an ended job does not run again"
    );
    assert_eq!(
        end(demo::SEED_TREE_JOB_ID, 0.0).await.unwrap().status(),
        404
    );
    assert_eq!(
        end(demo::LIVE_CUTOUT_JOB_ID, -1.0).await.unwrap().status(),
        400
    );
}

#[tokio::test]
async fn the_description_says_which_jobs_end_and_when() {
    let sim = start_ending_after(Duration::from_secs(3)).await;
    let live = sim.description().desaccess.live_jobs;
    let ids: Vec<&str> = live.iter().map(|job| job.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            demo::LIVE_CUTOUT_JOB_ID,
            demo::LIVE_FAILING_JOB_ID,
            demo::LIVE_QUERY_JOB_ID
        ]
    );
    assert!(live.iter().all(|job| job.ends_after_ms == 3000));
    let ends: Vec<(&str, &str)> = live
        .iter()
        .map(|job| (job.ends_as.as_str(), job.message.as_str()))
        .collect();
    assert_eq!(
        ends,
        [
            ("success", ""),
            ("failure", demo::LIVE_FAILING_MESSAGE),
            ("success", "")
        ]
    );
    assert!(live[0].ends_at.ends_with('Z') && live[0].ends_at.contains('T'));
}
