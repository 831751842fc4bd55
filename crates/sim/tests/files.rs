//! The nginx file server over real HTTP: listings, file bytes, ranges, FITS and PNG contents.

mod common;

use common::{
    client, get_bytes, get_text, job_folder, listing, start, start_on_the_documented_day, walk,
};
use jobfetch_sim::demo;
use serde_json::{json, Value};

const SEED_FILES: [&str; 10] = [
    "BTL_C39008AA52F54B9E94335B566743AF0C.csv",
    "BulkThumbs_20200706-152133.log",
    "BulkThumbs_20200706-152133_SUMMARY.json",
    "DES0226-1541/DESJ022640.4160-154120.0040_irg_stiff.png",
    "DES0226-1541/DESJ022640.4160-154120.0040_r.fits",
    "DES0226-1541/DESJ022642.8160-153932.0040_g.fits",
    "DES0226-1541/DESJ022642.8160-153932.0040_i.fits",
    "DES0305-3415/DESJ030510.9606-341521.6000_irg_lupton.png",
    "DES0305-3415/DESJ030510.9606-341521.6000_irg_stiff.png",
    "DES0305-3415/DESJ030510.9606-341521.6000_r.fits",
];

#[tokio::test]
async fn the_documented_sample_job_tree_is_reproduced() {
    let (sim, client) = (start().await, client());
    let files = walk(&client, &job_folder(&sim, "cutout", demo::SEED_TREE_JOB_ID)).await;
    let paths: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(paths, SEED_FILES);
}

#[tokio::test]
async fn listings_are_nginx_json_autoindex() {
    let (sim, client) = (start_on_the_documented_day().await, client());
    let folder = job_folder(&sim, "cutout", demo::SEED_TREE_JOB_ID);
    let response = client.get(format!("{folder}/json")).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.unwrap();
    assert!(text.starts_with("[\r\n{ \"name\":\"DES0226-1541\", \"type\":\"directory\", \"mtime\":\"Mon, 06 Jul 2020 15:"));
    assert!(text.ends_with(" }\r\n]"));
    assert!(text.contains(
        "\r\n{ \"name\":\"BulkThumbs_20200706-152133.log\", \"type\":\"file\", \"mtime\":\"Mon, 06 Jul 2020 15:22:04 GMT\", \"size\":"
    ));

    let entries: Vec<Value> = serde_json::from_str(&text).unwrap();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["directory", "directory", "file", "file", "file"]);
    let names: Vec<&str> = entries
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "DES0226-1541",
            "DES0305-3415",
            SEED_FILES[0],
            SEED_FILES[1],
            SEED_FILES[2]
        ]
    );
    for entry in &entries {
        assert_eq!(
            entry.get("size").is_some(),
            entry["type"] == "file",
            "size only for files: {entry}"
        );
        assert!(entry["mtime"].as_str().unwrap().ends_with(" GMT"));
    }
}

#[tokio::test]
async fn listed_sizes_match_served_bytes() {
    let (sim, client) = (start().await, client());
    for (job_type, id, count) in [
        ("cutout", demo::CUTOUT_JOB_ID, 48),
        ("cutout", demo::SEED_TREE_JOB_ID, 10),
        ("query", demo::SPLIT_QUERY_JOB_ID, 4),
    ] {
        let folder = job_folder(&sim, job_type, id);
        let files = walk(&client, &folder).await;
        assert_eq!(files.len(), count, "{id}");
        for (path, size) in files {
            let response = client.get(format!("{folder}/{path}")).send().await.unwrap();
            assert_eq!(
                response.headers()["content-length"],
                size.to_string().as_str(),
                "{path}"
            );
            assert_eq!(response.bytes().await.unwrap().len() as u64, size, "{path}");
        }
    }
}

#[tokio::test]
async fn the_current_layout_nests_positions_under_tiles() {
    let (sim, client) = (start().await, client());
    let folder = job_folder(&sim, "cutout", demo::CUTOUT_JOB_ID);
    let files = walk(&client, &folder).await;
    let top: Vec<&str> = files
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| !p.contains('/'))
        .collect();
    assert_eq!(
        top,
        [
            format!("cutout_{}.log", demo::CUTOUT_JOB_ID),
            format!("positions_{}.csv", demo::CUTOUT_JOB_ID),
            "summary.json".into()
        ]
    );
    for (path, _) in files.iter().filter(|(p, _)| p.contains('/')) {
        let parts: Vec<&str> = path.split('/').collect();
        assert_eq!(parts.len(), 3, "{path}");
        assert!(
            parts[0].starts_with("DES") && parts[0].len() == 12,
            "{path}"
        );
        assert!(parts[2].starts_with(parts[1]), "{path}");
    }
    let summary: Value =
        serde_json::from_slice(&get_bytes(&client, &format!("{folder}/summary.json")).await)
            .unwrap();
    assert_eq!(summary["number_of_files"], 45);
    assert_eq!(
        summary["unmatched_positions"]["coord"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(summary["size_on_disk"].as_str().unwrap().ends_with(" MB"));
    for key in ["options", "cutouts", "query_time", "processing_time"] {
        assert!(summary.get(key).is_some(), "{key}");
    }
}

#[tokio::test]
async fn the_large_job_has_520_positions_over_20_tiles() {
    let (sim, client) = (start().await, client());
    let folder = job_folder(&sim, "cutout", demo::LARGE_CUTOUT_JOB_ID);
    let tiles: Vec<Value> = listing(&client, &folder)
        .await
        .into_iter()
        .filter(|e| e["type"] == "directory")
        .collect();
    assert_eq!(tiles.len(), 20);
    let mut positions = 0;
    for tile in &tiles {
        positions += listing(
            &client,
            &format!("{folder}/{}", tile["name"].as_str().unwrap()),
        )
        .await
        .len();
    }
    assert_eq!(positions, 520);
}

#[tokio::test]
async fn unfinished_and_failed_jobs_have_partial_or_no_folders() {
    let (sim, client) = (start().await, client());
    let running = walk(
        &client,
        &job_folder(&sim, "cutout", demo::RUNNING_CUTOUT_JOB_ID),
    )
    .await;
    assert!(running
        .iter()
        .all(|(path, _)| !path.ends_with("summary.json")));
    assert_eq!(
        running
            .iter()
            .filter(|(path, _)| path.ends_with(".fits"))
            .count(),
        17 * 3
    );

    let crashed = walk(
        &client,
        &job_folder(&sim, "cutout", demo::BULKTHUMBS_FAILED_JOB_ID),
    )
    .await;
    assert!(crashed
        .iter()
        .all(|(path, _)| !path.ends_with("_SUMMARY.json")));
    assert_eq!(
        crashed
            .iter()
            .filter(|(path, _)| path.ends_with(".fits"))
            .count(),
        2
    );

    let unmatched = walk(
        &client,
        &job_folder(&sim, "cutout", demo::FAILED_CUTOUT_JOB_ID),
    )
    .await;
    assert_eq!(unmatched.len(), 3);

    for (job_type, id) in [
        ("cutout", demo::QUEUED_CUTOUT_JOB_ID),
        ("query", demo::FAILED_QUERY_JOB_ID),
    ] {
        let response = client
            .get(format!("{}/json", job_folder(&sim, job_type, id)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{id}");
    }
}

#[tokio::test]
async fn query_outputs_have_csv_and_meta() {
    let (sim, client) = (start().await, client());
    let folder = job_folder(&sim, "query", demo::QUERY_JOB_ID);
    let files = walk(&client, &folder).await;
    assert_eq!(
        files.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        ["meta.json", "results.csv"]
    );
    let csv =
        String::from_utf8(get_bytes(&client, &format!("{folder}/results.csv")).await).unwrap();
    assert_eq!(csv.lines().count(), 2001);
    assert!(csv.starts_with("COADD_OBJECT_ID,RA,DEC,"));
    let meta: Value =
        serde_json::from_slice(&get_bytes(&client, &format!("{folder}/meta.json")).await).unwrap();
    assert_eq!(meta["status"], "ok");
    assert_eq!(meta["files"], json!(["results.csv"]));
    assert_eq!(meta["sizes"], json!([files[1].1]));
}

#[tokio::test]
async fn ranges_if_range_and_head_follow_nginx() {
    let (sim, client) = (start().await, client());
    let url = format!(
        "{}/{}",
        job_folder(&sim, "cutout", demo::SEED_TREE_JOB_ID),
        SEED_FILES[4]
    );
    let full = client.get(&url).send().await.unwrap();
    let etag = full.headers()["etag"].to_str().unwrap().to_owned();
    let last_modified = full.headers()["last-modified"].to_str().unwrap().to_owned();
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    let full = full.bytes().await.unwrap();
    let size = full.len();
    assert!(
        etag.starts_with('"') && etag.ends_with(&format!("-{size:x}\"")),
        "{etag}"
    );

    let ranged = |range: &str| client.get(&url).header("range", range.to_owned());
    let response = ranged("bytes=100-199").send().await.unwrap();
    assert_eq!(response.status(), 206);
    assert_eq!(
        response.headers()["content-range"],
        format!("bytes 100-199/{size}").as_str()
    );
    assert_eq!(response.bytes().await.unwrap(), full.slice(100..200));

    let response = ranged("bytes=-10").send().await.unwrap();
    assert_eq!(
        response.headers()["content-range"],
        format!("bytes {}-{}/{size}", size - 10, size - 1).as_str()
    );
    assert_eq!(response.bytes().await.unwrap(), full.slice(size - 10..));

    let response = ranged(&format!("bytes={}-", size - 3))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 206);
    assert_eq!(response.bytes().await.unwrap(), full.slice(size - 3..));

    let response = ranged(&format!("bytes={size}-")).send().await.unwrap();
    assert_eq!(response.status(), 416);
    assert_eq!(
        response.headers()["content-range"],
        format!("bytes */{size}").as_str()
    );

    for (validator, status) in [
        (etag.as_str(), 206),
        (last_modified.as_str(), 206),
        ("\"0-0\"", 200),
        ("Tue, 01 Jan 2019 00:00:00 GMT", 200),
    ] {
        let response = ranged("bytes=0-9")
            .header("if-range", validator)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "If-Range {validator}");
        let expected = if status == 206 {
            full.slice(0..10)
        } else {
            full.clone()
        };
        assert_eq!(response.bytes().await.unwrap(), expected);
    }

    let head = client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], size.to_string().as_str());
    assert_eq!(head.headers()["etag"], etag.as_str());
    assert!(head.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn fits_files_are_standard_conforming() {
    let (sim, client) = (start().await, client());
    let url = format!(
        "{}/{}",
        job_folder(&sim, "cutout", demo::SEED_TREE_JOB_ID),
        SEED_FILES[9]
    );
    let fits = get_bytes(&client, &url).await;
    assert_eq!(fits.len() % 2880, 0);
    let cards: Vec<&str> = fits
        .chunks(80)
        .map(|card| std::str::from_utf8(card).unwrap_or(""))
        .collect();
    let end = cards
        .iter()
        .position(|card| card.trim_end() == "END")
        .expect("END card");
    let header_len = (end + 1) * 80;
    let header_blocks = header_len.div_ceil(2880) * 2880;
    assert!(
        fits[header_len..header_blocks].iter().all(|&b| b == b' '),
        "header padded with spaces"
    );
    let value = |key: &str| {
        let card = cards[..end]
            .iter()
            .find(|card| card[..8].trim_end() == key)
            .unwrap_or_else(|| panic!("{key}"));
        card[10..]
            .split(" /")
            .next()
            .unwrap()
            .trim()
            .trim_matches('\'')
            .trim()
            .to_owned()
    };
    assert!(cards[0].starts_with("SIMPLE  =                    T"));
    assert_eq!(value("BITPIX"), "-32");
    assert_eq!(value("NAXIS"), "2");
    assert_eq!(value("CTYPE1"), "RA---TAN");
    assert_eq!(value("CTYPE2"), "DEC--TAN");
    assert_eq!(value("BAND"), "r");
    assert_eq!(value("TILENAME"), "DES0305-3415");
    assert!((value("CD2_2").parse::<f64>().unwrap() * 3600.0 - 0.263).abs() < 1e-9);
    let (width, height): (usize, usize) = (
        value("NAXIS1").parse().unwrap(),
        value("NAXIS2").parse().unwrap(),
    );
    assert_eq!((width, height), (228, 228));
    let data_len = width * height * 4;
    assert_eq!(fits.len(), header_blocks + data_len.div_ceil(2880) * 2880);
    let data = &fits[header_blocks..header_blocks + data_len];
    let pixels: Vec<f32> = data
        .chunks(4)
        .map(|b| f32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert!(pixels.iter().all(|p| p.is_finite()));
    let peak = pixels.iter().copied().fold(f32::MIN, f32::max);
    assert!(peak > 20.0, "has sources above the noise: {peak}");
    assert!(
        fits[header_blocks + data_len..].iter().all(|&b| b == 0),
        "data padded with zeros"
    );
}

#[tokio::test]
async fn png_previews_decode_and_the_stretches_differ() {
    let (sim, client) = (start().await, client());
    let folder = job_folder(&sim, "cutout", demo::SEED_TREE_JOB_ID);
    let mut mean_brightness = Vec::new();
    for name in [SEED_FILES[8], SEED_FILES[7]] {
        let png = get_bytes(&client, &format!("{folder}/{name}")).await;
        let image = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
            .unwrap()
            .to_rgb8();
        assert_eq!(image.dimensions(), (228, 228));
        let total: u64 = image.as_raw().iter().map(|&b| u64::from(b)).sum();
        mean_brightness.push(total as f64 / image.as_raw().len() as f64);
    }
    let [stiff, lupton] = mean_brightness[..] else {
        unreachable!()
    };
    assert!(
        stiff > lupton + 20.0,
        "STIFF keeps a grey sky, Lupton a black one: {stiff} vs {lupton}"
    );
}

#[tokio::test]
async fn folders_redirect_list_as_html_and_unknown_paths_404() {
    let (sim, client) = (start().await, client());
    let folder = job_folder(&sim, "cutout", demo::SEED_TREE_JOB_ID);
    let response = client.get(&folder).send().await.unwrap();
    assert_eq!(response.status(), 301);
    assert!(response.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with(&format!("{}/", demo::SEED_TREE_JOB_ID)));

    let html = get_text(&client, &format!("{folder}/")).await;
    assert!(html.contains(
        "<h1>Index of /files-desaccess/demo/cutout/c39008aa52f54b9e94335b566743af0c/</h1>"
    ));
    assert!(html.contains("<a href=\"DES0226-1541/\">DES0226-1541/</a>"));

    for path in [
        "nope/cutout/x/json",
        "demo/cutout/c39008aa52f54b9e94335b566743af0c/missing.fits",
        "demo/cutout/json",
    ] {
        let response = client
            .get(format!("{}/{path}", sim.desaccess_files_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    let outside = client
        .get(format!("{}/etc/passwd", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), 404);
    assert!(outside
        .text()
        .await
        .unwrap()
        .contains("<center>nginx/1.19.0</center>"));
    let escape = client
        .get(format!(
            "{}/demo/..%2F..%2F..%2Fetc/passwd",
            sim.desaccess_files_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(escape.status(), 400);
}

#[tokio::test]
async fn raw_listings_and_files_are_served_verbatim() {
    let (sim, client) = (start().await, client());
    let hostile = "[\r\n{ \"name\":\"../x\", \"type\":\"file\", \"mtime\":\"Wed, 22 Sep 2020 18:27:27 GMT\", \"size\":5 },\r\n\
                   { \"name\":\"/etc/passwd\", \"type\":\"file\", \"mtime\":\"Wed, 22 Sep 2020 18:27:27 GMT\", \"size\":5 },\r\n\
                   { \"name\":\"a\\u0000b\", \"type\":\"other\", \"mtime\":\"Wed, 22 Sep 2020 18:27:27 GMT\" },\r\n\
                   { \"name\":\"ok.txt\", \"type\":\"file\", \"mtime\":\"Wed, 22 Sep 2020 18:27:27 GMT\", \"size\":5 }\r\n]";
    sim.add_raw_listing("/demo/cutout/feedfacefeedfacefeedfacefeedface/", hostile);
    sim.add_raw_file(
        "demo/cutout/feedfacefeedfacefeedfacefeedface/ok.txt",
        "hello",
    );
    let folder = job_folder(&sim, "cutout", "feedfacefeedfacefeedfacefeedface");
    let response = client.get(format!("{folder}/json")).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.text().await.unwrap(), hostile);
    let ranged = client
        .get(format!("{folder}/ok.txt"))
        .header("range", "bytes=1-")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.text().await.unwrap(), "ello");

    sim.add_raw_listing(&format!("demo/cutout/{}", demo::SEED_TREE_JOB_ID), "[\r\n]");
    assert!(
        listing(&client, &job_folder(&sim, "cutout", demo::SEED_TREE_JOB_ID))
            .await
            .is_empty()
    );
}
