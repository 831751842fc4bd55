//! Fault injection over real HTTP, set in-process and through the `/_sim` control routes.

mod common;

use std::time::{Duration, Instant};

use common::{client, get_bytes, job_folder, json_reply, start};
use jobfetch_sim::{demo, FaultAction, FaultRule, Sim};
use serde_json::json;

fn fits_url(sim: &Sim) -> String {
    let name = "DES0305-3415/DESJ030510.9606-341521.6000_r.fits";
    format!(
        "{}/{name}",
        job_folder(sim, "cutout", demo::SEED_TREE_JOB_ID)
    )
}

#[tokio::test]
async fn status_bursts_run_out_after_n_requests() {
    let (sim, client) = (start().await, client());
    let url = fits_url(&sim);
    sim.faults().add(
        FaultRule::new(
            "/files-desaccess/",
            FaultAction::Status {
                code: 503,
                retry_after_secs: None,
            },
        )
        .times(2),
    );
    let statuses = [
        client.get(&url).send().await.unwrap().status().as_u16(),
        client.get(&url).send().await.unwrap().status().as_u16(),
        client.get(&url).send().await.unwrap().status().as_u16(),
    ];
    assert_eq!(statuses, [503, 503, 200]);
    assert!(sim.faults().rules().is_empty());
}

#[tokio::test]
async fn too_many_requests_carries_retry_after() {
    let (sim, client) = (start().await, client());
    sim.faults().add(FaultRule::new(
        "/desaccess/api/",
        FaultAction::Status {
            code: 429,
            retry_after_secs: Some(2),
        },
    ));
    let response = client
        .get(format!("{}/status", sim.desaccess_api_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
}

#[tokio::test]
async fn rules_filter_by_method_and_prefix() {
    let (sim, client) = (start().await, client());
    sim.faults().add(
        FaultRule::new(
            "/desaccess/api/login",
            FaultAction::Status {
                code: 500,
                retry_after_secs: None,
            },
        )
        .method("POST"),
    );
    let api = sim.desaccess_api_url();
    assert_eq!(
        client
            .get(format!("{api}/status"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client
            .get(format!("{api}/login"))
            .send()
            .await
            .unwrap()
            .status(),
        405
    );
    assert_eq!(
        client
            .post(format!("{api}/login"))
            .send()
            .await
            .unwrap()
            .status(),
        500
    );
}

#[tokio::test]
async fn latency_and_global_delay_slow_requests_down() {
    let (sim, client) = (start().await, client());
    let url = format!("{}/status", sim.desaccess_api_url());
    sim.faults()
        .add(FaultRule::new("/desaccess/api/status", FaultAction::Latency { ms: 200 }).times(1));
    let started = Instant::now();
    client.get(&url).send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));

    sim.faults().set_global_delay(Duration::from_millis(50));
    let started = Instant::now();
    client.get(&url).send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(50));
    sim.faults().clear();
    assert_eq!(sim.faults().global_delay(), Duration::ZERO);
}

/// Reads a response chunk by chunk; returns the bytes received and whether the body failed.
async fn read_body(mut response: reqwest::Response) -> (usize, bool) {
    let mut received = 0;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => return (received, false),
            Err(_) => return (received, true),
        }
    }
}

#[tokio::test]
async fn reset_and_truncation_break_the_body_after_n_bytes() {
    let (sim, client) = (start().await, client());
    let url = fits_url(&sim);
    let size = get_bytes(&client, &url).await.len();
    for action in [
        FaultAction::ResetAfter { bytes: 5000 },
        FaultAction::TruncateAfter { bytes: 5000 },
    ] {
        sim.faults()
            .add(FaultRule::new("/files-desaccess/", action.clone()).times(1));
        let response = client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-length"],
            size.to_string().as_str(),
            "{action:?}"
        );
        let (received, failed) = read_body(response).await;
        assert!(failed, "{action:?} must fail the body");
        assert!(received <= 5000, "{action:?} sent {received}");
    }
    assert_eq!(
        get_bytes(&client, &url).await.len(),
        size,
        "rules were used up"
    );
}

#[tokio::test]
async fn stalls_go_silent_then_resume() {
    let (sim, client) = (start().await, client());
    let url = fits_url(&sim);
    let expected = get_bytes(&client, &url).await;

    sim.faults().add(
        FaultRule::new(
            "/files-desaccess/",
            FaultAction::StallAfter {
                bytes: 1000,
                secs: 3600,
            },
        )
        .times(1),
    );
    let mut response = client.get(&url).send().await.unwrap();
    let mut received = 0;
    while received < 1000 {
        received += response.chunk().await.unwrap().unwrap().len();
    }
    assert_eq!(received, 1000);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), response.chunk())
            .await
            .is_err(),
        "stalled"
    );
    drop(response);

    sim.faults().add(
        FaultRule::new(
            "/files-desaccess/",
            FaultAction::StallAfter {
                bytes: 1000,
                secs: 1,
            },
        )
        .times(1),
    );
    let started = Instant::now();
    assert_eq!(get_bytes(&client, &url).await, expected);
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn ignored_ranges_and_changing_validators_force_whole_files() {
    let (sim, client) = (start().await, client());
    let url = fits_url(&sim);
    let size = get_bytes(&client, &url).await.len();

    sim.faults()
        .add(FaultRule::new("/files-desaccess/", FaultAction::IgnoreRange).times(1));
    let response = client
        .get(&url)
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().len(), size);

    sim.faults().add(FaultRule::new(
        "/files-desaccess/",
        FaultAction::ChangeValidator,
    ));
    let first = client.head(&url).send().await.unwrap();
    let second = client.head(&url).send().await.unwrap();
    assert_ne!(first.headers()["etag"], second.headers()["etag"]);
    assert_ne!(
        first.headers()["last-modified"],
        second.headers()["last-modified"]
    );
    let etag = second.headers()["etag"].clone();
    let response = client
        .get(&url)
        .header("range", "bytes=0-99")
        .header("if-range", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().len(), size);
}

#[tokio::test]
async fn faults_can_be_driven_over_http() {
    let (sim, client) = (start().await, client());
    let control = format!("{}/_sim", sim.base_url());
    let url = fits_url(&sim);
    let rule = json!({"path_prefix": "/files-desaccess/", "method": "GET", "times": 1, "kind": "status", "code": 502});
    let ack = json_reply(client.post(format!("{control}/faults")).json(&rule)).await;
    assert_eq!(ack, json!({"status": "ok", "rules": 1}));
    let listed = json_reply(client.get(format!("{control}/faults"))).await;
    assert_eq!(listed[0]["code"], 502);
    assert_eq!(client.get(&url).send().await.unwrap().status(), 502);
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);

    let rule = json!({"path_prefix": "/", "kind": "status", "code": 500});
    client
        .post(format!("{control}/faults"))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(client.get(&url).send().await.unwrap().status(), 500);
    assert_eq!(
        client
            .get(format!("{control}/faults"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "never faults /_sim"
    );
    client
        .delete(format!("{control}/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);

    let response = client
        .put(format!("{control}/delay"))
        .json(&json!({"ms": 20}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(sim.faults().global_delay(), Duration::from_millis(20));

    let bad = client
        .post(format!("{control}/faults"))
        .json(&json!({"kind": "explode"}))
        .send()
        .await
        .unwrap();
    assert!(bad.status().is_client_error());
}
