//! The benchmark account over real HTTP: the 2,000-file job, the 2 GiB file, ranges and `/_sim/stats`.

mod common;

use common::{client, get_bytes, get_text, json_reply, listing, start, walk};
use jobfetch_sim::bench;
use jobfetch_sim::latency_proxy::LatencyProxy;
use serde_json::Value;

fn bench_folder(sim: &jobfetch_sim::Sim, job_id: &str) -> String {
    format!(
        "{}/{}/{}/{job_id}",
        sim.desaccess_files_url(),
        bench::USERNAME,
        bench::JOB_TYPE
    )
}

async fn stats(client: &reqwest::Client, sim: &jobfetch_sim::Sim) -> Value {
    let reply = json_reply(client.get(format!("{}/_sim/stats", sim.base_url()))).await;
    reply["bytes_sent"].clone()
}

#[tokio::test]
async fn bench_2000_lists_2000_files_in_20_tiles_and_serves_them_with_ranges() {
    let (sim, client) = (start().await, client());
    let folder = bench_folder(&sim, bench::SMALL_JOB_ID);
    let top = listing(&client, &folder).await;
    assert_eq!(top.len(), bench::SMALL_TILES);
    assert!(top.iter().all(|entry| entry["type"] == "directory"));
    let files = walk(&client, &folder).await;
    assert_eq!(files.len(), bench::SMALL_FILES);
    assert!(files
        .iter()
        .all(|(_, size)| (bench::SMALL_MIN_BYTES..=bench::SMALL_MAX_BYTES).contains(size)));

    let (path, size) = &files[123];
    let url = format!("{folder}/{path}");
    let whole = get_bytes(&client, &url).await;
    assert_eq!(whole.len() as u64, *size);
    assert_eq!(whole, get_bytes(&client, &url).await, "deterministic");
    let response = client
        .get(&url)
        .header("Range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 206);
    let headers = response.headers().clone();
    assert_eq!(headers["content-length"], "1000");
    assert_eq!(headers["content-range"], format!("bytes 1000-1999/{size}"));
    assert!(headers.contains_key("etag") && headers.contains_key("last-modified"));
    assert_eq!(response.bytes().await.unwrap(), whole[1000..2000]);

    // The HTML autoindex that rclone's http backend reads: folders end in `/`.
    let html = get_text(&client, &format!("{folder}/")).await;
    let tile = top[0]["name"].as_str().unwrap().replace('+', "%2B");
    assert!(html.contains(&format!("<a href=\"{tile}/\">")), "{html}");
}

#[tokio::test]
async fn bench_big_is_one_2_gib_file_served_by_range_without_holding_it() {
    let (sim, client) = (start().await, client());
    let folder = bench_folder(&sim, bench::BIG_JOB_ID);
    let top = listing(&client, &folder).await;
    assert_eq!(top.len(), 1);
    assert_eq!(top[0]["name"], bench::BIG_FILE);
    assert_eq!(top[0]["size"].as_u64(), Some(bench::BIG_BYTES));
    let url = format!("{folder}/{}", bench::BIG_FILE);
    let head = client.head(&url).send().await.unwrap();
    assert_eq!(
        head.headers()["content-length"],
        bench::BIG_BYTES.to_string()
    );

    let range = |spec: &'static str| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let response = client.get(&url).header("Range", spec).send().await.unwrap();
            assert_eq!(response.status(), 206, "{spec}");
            response.bytes().await.unwrap()
        }
    };
    let tail = range("bytes=-100").await;
    assert_eq!(tail.len(), 100);
    let around_end = range("bytes=2147483548-2147483647").await;
    assert_eq!(tail, around_end);
    let middle = range("bytes=1073741000-1073743047").await;
    assert_eq!(middle.len(), 2048);
    assert_eq!(middle[24..], range("bytes=1073741024-1073743047").await[..]);
}

#[tokio::test]
async fn sim_stats_count_body_bytes_sent_per_path_until_reset() {
    let (sim, client) = (start().await, client());
    let folder = bench_folder(&sim, bench::SMALL_JOB_ID);
    let files = walk(&client, &folder).await;
    let (path, size) = &files[0];
    let url = format!("{folder}/{path}");
    let stats_url = format!("{}/_sim/stats", sim.base_url());
    client.delete(&stats_url).send().await.unwrap();
    assert_eq!(stats(&client, &sim).await, serde_json::json!({}));

    get_bytes(&client, &url).await;
    let partial = client
        .get(&url)
        .header("Range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(partial.bytes().await.unwrap().len(), 100);
    client.head(&url).send().await.unwrap();
    let key = format!(
        "/files-desaccess/bench/cutout/{}/{path}",
        bench::SMALL_JOB_ID
    );
    assert_eq!(stats(&client, &sim).await[&key].as_u64(), Some(size + 100));

    client.delete(&stats_url).send().await.unwrap();
    assert_eq!(stats(&client, &sim).await, serde_json::json!({}));
}

#[tokio::test]
async fn bench_20000_lists_20000_small_files_through_the_latency_proxy_unchanged() {
    let (sim, client) = (start().await, client());
    let direct = bench_folder(&sim, bench::LARGE_JOB_ID);
    let sim_addr = reqwest::Url::parse(&direct)
        .unwrap()
        .socket_addrs(|| None)
        .unwrap()[0];
    let delay = std::time::Duration::from_millis(5);
    let proxy = LatencyProxy::start("127.0.0.1:0".parse().unwrap(), sim_addr, delay)
        .await
        .unwrap();
    let through = direct.replace(&sim_addr.to_string(), &proxy.addr().to_string());
    assert_ne!(through, direct);

    let top = listing(&client, &through).await;
    assert_eq!(top.len(), bench::LARGE_TILES);
    let files = walk(&client, &through).await;
    assert_eq!(files.len(), bench::LARGE_FILES);
    assert!(files
        .iter()
        .all(|(_, size)| (bench::LARGE_MIN_BYTES..=bench::LARGE_MAX_BYTES).contains(size)));
    let (path, size) = &files[12_345];
    let proxied = get_bytes(&client, &format!("{through}/{path}")).await;
    assert_eq!(proxied.len() as u64, *size);
    assert_eq!(
        proxied,
        get_bytes(&client, &format!("{direct}/{path}")).await
    );
    // A folder without its slash redirects relatively, so a client stays on the proxy.
    let redirect = client.get(format!(
        "{through}/{}",
        files[0].0.split('/').next().unwrap()
    ));
    let reply = redirect.send().await.unwrap();
    assert_eq!(reply.status(), 301);
    assert!(reply.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with('/'));

    let relayed = proxy.stop();
    assert!(relayed.connections >= 1);
    assert!(relayed.bytes_from_target > *size, "{relayed:?}");
}
