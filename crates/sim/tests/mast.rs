//! The fake MAST over real HTTP: the Portal API, downloads, redirects, auth, bundles and faults.

mod common;

use std::collections::BTreeSet;

use common::{client, start};
use jobfetch_sim::{mast, FaultAction, FaultRule, Sim};
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, COOKIE, ETAG, LOCATION, RANGE};
use serde_json::{json, Value};

/// `POST {mast}/api/v0/invoke` with `request=<JSON>`, as astroquery sends it.
async fn invoke(client: &reqwest::Client, sim: &Sim, request: &Value) -> Value {
    client
        .post(format!("{}/api/v0/invoke", sim.mast_url()))
        .form(&[("request", request.to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn filtered(filters: Value) -> Value {
    json!({"service": "Mast.Caom.Filtered", "params": {"columns": "*", "filters": filters},
           "format": "json", "pagesize": 50000, "page": 1})
}

fn column<'a>(reply: &'a Value, name: &str) -> Vec<&'a Value> {
    reply["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| &row[name])
        .collect()
}

async fn demo_observations(client: &reqwest::Client, sim: &Sim) -> Value {
    invoke(
        client,
        sim,
        &filtered(json!([{"paramName": "proposal_id", "values": [mast::DEMO_PROPOSAL]}])),
    )
    .await
}

/// The demo proposal's products (polled until complete).
async fn demo_products(client: &reqwest::Client, sim: &Sim) -> Vec<Value> {
    let observations = demo_observations(client, sim).await;
    let obsids: Vec<&str> = column(&observations, "obsid")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let request = json!({"service": "Mast.Caom.Products", "params": {"obsid": obsids.join(",")},
                         "format": "json", "pagesize": 50000, "page": 1, "cacheBreaker": "demo-products"});
    loop {
        let reply = invoke(client, sim, &request).await;
        if reply["status"] != "EXECUTING" {
            assert_eq!(reply["status"], "COMPLETE", "{reply}");
            return reply["data"].as_array().unwrap().clone();
        }
    }
}

fn download_url(sim: &Sim, uri: &str) -> String {
    let quoted: String = uri
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{}/api/v0.1/Download/file?uri={quoted}", sim.mast_url())
}

fn product(products: &[Value], test: impl Fn(&Value) -> bool) -> &Value {
    products
        .iter()
        .find(|row| test(row))
        .expect("such a product")
}

#[tokio::test]
async fn filtered_queries_select_by_column_wildcard_and_range() {
    let (sim, client) = (start().await, client());
    let demo = demo_observations(&client, &sim).await;
    assert_eq!(demo["status"], "COMPLETE");
    assert_eq!(demo["msg"], "");
    assert_eq!(demo["paging"]["rowsFiltered"], 3);
    let names: Vec<&str> = demo["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for expected in [
        "obsid",
        "obs_collection",
        "obs_id",
        "target_name",
        "s_ra",
        "s_dec",
        "instrument_name",
        "proposal_id",
        "dataproduct_type",
        "calib_level",
        "t_min",
        "t_max",
        "t_exptime",
        "dataRights",
        "filters",
        "intentType",
        "project",
        "wavelength_region",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    // Row keys come in the fields' order.
    let first = demo["data"][0].as_object().unwrap();
    assert_eq!(first.len(), names.len());
    let rights: BTreeSet<&str> = column(&demo, "dataRights")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(rights, BTreeSet::from(["EXCLUSIVE_ACCESS", "PUBLIC"]));

    let by = |filters| {
        let request = filtered(filters);
        let (client, sim) = (&client, &sim);
        async move { invoke(client, sim, &request).await }
    };
    let jwst = by(json!([{"paramName": "obs_collection", "values": ["JWST"]}])).await;
    assert_eq!(jwst["paging"]["rowsFiltered"], 5);
    let both = by(
        json!([{"paramName": "obs_collection", "values": ["HST", "TESS"]},
                         {"paramName": "dataproduct_type", "values": ["timeseries"]}]),
    )
    .await;
    assert_eq!(both["paging"]["rowsFiltered"], 3);
    let wild = by(json!([{"paramName": "target_name", "values": [], "freeText": "ngc%"}])).await;
    let targets: BTreeSet<&str> = column(&wild, "target_name")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(targets, BTreeSet::from(["NGC1300", "NGC4244"]));
    let star = by(json!([{"paramName": "instrument_name", "values": ["NIRCAM*"]}])).await;
    assert_eq!(star["paging"]["rowsFiltered"], 3);
    let obs_id = by(json!([{"paramName": "obs_id", "values": ["ieq302010"]}])).await;
    assert_eq!(column(&obs_id, "obs_id"), [&json!("ieq302010")]);
    let level = by(json!([{"paramName": "calib_level", "values": ["3"]}])).await;
    assert_eq!(level["paging"]["rowsFiltered"], 15);
    // Exposures between 10 and 45 minutes: HST and JWST, never TESS's month-long sectors.
    let range =
        by(json!([{"paramName": "t_exptime", "values": [{"min": 600, "max": 2700}]}])).await;
    assert_eq!(range["paging"]["rowsFiltered"], 12);
    let none = by(json!([{"paramName": "proposal_id", "values": ["99999"]}])).await;
    assert_eq!(
        (
            none["status"].as_str(),
            none["data"].as_array().unwrap().len()
        ),
        (Some("COMPLETE"), 0)
    );
}

#[tokio::test]
async fn positions_and_cones_use_angular_distance() {
    let (sim, client) = (start().await, client());
    let demo = demo_observations(&client, &sim).await;
    let (ra, dec) = (
        demo["data"][0]["s_ra"].as_f64().unwrap(),
        demo["data"][0]["s_dec"].as_f64().unwrap(),
    );
    let cone = |radius: f64| {
        json!({"service": "Mast.Caom.Cone", "params": {"ra": ra, "dec": dec, "radius": radius},
                                   "format": "json", "pagesize": 100, "page": 1})
    };
    let near = invoke(&client, &sim, &cone(0.2)).await;
    let proposals: BTreeSet<&str> = column(&near, "proposal_id")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(proposals, BTreeSet::from([mast::DEMO_PROPOSAL]));
    assert_eq!(near["paging"]["rowsFiltered"], 3);
    let tiny = invoke(&client, &sim, &cone(1e-6)).await;
    assert_eq!(tiny["paging"]["rowsFiltered"], 1);
    let position = json!({"service": "Mast.Caom.Filtered.Position",
        "params": {"columns": "*", "position": format!("{ra}, {dec}, 0.2"),
                   "filters": [{"paramName": "dataRights", "values": ["PUBLIC"]}]},
        "format": "json", "pagesize": 100, "page": 1});
    let public_near = invoke(&client, &sim, &position).await;
    assert_eq!(public_near["paging"]["rowsFiltered"], 2);
}

#[tokio::test]
async fn results_are_paged() {
    let (sim, client) = (start().await, client());
    let mut request =
        filtered(json!([{"paramName": "obs_collection", "values": ["HST", "JWST", "TESS"]}]));
    request["pagesize"] = json!(4);
    let mut seen = Vec::new();
    for page in 1..=4 {
        request["page"] = json!(page);
        let reply = invoke(&client, &sim, &request).await;
        let paging = &reply["paging"];
        assert_eq!(paging["rowsTotal"], 15);
        assert_eq!(paging["rowsFiltered"], 15);
        assert_eq!(paging["pagesFiltered"], 4);
        assert_eq!(paging["pageSize"], 4);
        assert_eq!(paging["page"], page);
        assert_eq!(paging["rows"], if page == 4 { 3 } else { 4 });
        seen.extend(
            column(&reply, "obsid")
                .iter()
                .map(|v| v.as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 15);
    // GET ?request= answers too, with the server's default page size.
    let reply: Value = client
        .get(format!("{}/api/v0/invoke", sim.mast_url()))
        .query(&[(
            "request",
            json!({"service": "Mast.Caom.Filtered", "params": {"filters": []}}).to_string(),
        )])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["paging"]["pageSize"], 1000);
    assert_eq!(reply["paging"]["rows"], 15);
}

#[tokio::test]
async fn large_product_requests_poll_once_then_complete() {
    let (sim, client) = (start().await, client());
    let observations = demo_observations(&client, &sim).await;
    let obsids: Vec<&str> = column(&observations, "obsid")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(obsids.len() > mast::EXECUTING_OBSIDS);
    let request = |breaker: &str| {
        json!({"service": "Mast.Caom.Products", "params": {"obsid": obsids.join(",")},
                                         "format": "json", "pagesize": 50000, "page": 1, "cacheBreaker": breaker})
    };
    let first = invoke(&client, &sim, &request("a")).await;
    assert_eq!(first["status"], "EXECUTING");
    assert_eq!(first["data"], json!([]));
    let second = invoke(&client, &sim, &request("a")).await;
    assert_eq!(second["status"], "COMPLETE");
    // A new cacheBreaker is a new request.
    assert_eq!(
        invoke(&client, &sim, &request("b")).await["status"],
        "EXECUTING"
    );
    // Few obsids complete at once.
    let one = json!({"service": "Mast.Caom.Products", "params": {"obsid": obsids[0]}, "format": "json", "cacheBreaker": "c"});
    assert_eq!(invoke(&client, &sim, &one).await["status"], "COMPLETE");
}

#[tokio::test]
async fn product_rows_have_mast_fields_types_and_true_sizes() {
    let (sim, client) = (start().await, client());
    let products = demo_products(&client, &sim).await;
    let keys: Vec<&str> = products[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "obsID",
        "obs_collection",
        "dataproduct_type",
        "obs_id",
        "description",
        "type",
        "dataURI",
        "productType",
        "productGroupDescription",
        "productSubGroupDescription",
        "productDocumentationURL",
        "project",
        "prvversion",
        "proposal_id",
        "productFilename",
        "size",
        "parent_obsid",
        "dataRights",
        "calib_level",
        "filters",
    ];
    let (mut sorted_keys, _) = (keys.clone(), expected.sort());
    sorted_keys.sort();
    assert_eq!(sorted_keys, expected);
    let types: BTreeSet<&str> = products
        .iter()
        .map(|p| p["productType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        BTreeSet::from(["AUXILIARY", "CALIBRATION", "INFO", "PREVIEW", "SCIENCE"])
    );
    let levels: BTreeSet<i64> = products
        .iter()
        .map(|p| p["calib_level"].as_i64().unwrap())
        .collect();
    assert!(levels.len() >= 3, "{levels:?}");
    assert!(products
        .iter()
        .any(|p| p["productGroupDescription"] == "Minimum Recommended Products"));
    assert!(products
        .iter()
        .any(|p| p["dataRights"] == "EXCLUSIVE_ACCESS"));
    let auth = format!("token {}", mast::DEMO_TOKEN);
    for row in products
        .iter()
        .filter(|p| !p["dataURI"].as_str().unwrap().contains('?'))
    {
        let response = client
            .get(download_url(&sim, row["dataURI"].as_str().unwrap()))
            .header(AUTHORIZATION, &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{row}");
        let bytes = response.bytes().await.unwrap();
        assert_eq!(bytes.len() as u64, row["size"].as_u64().unwrap(), "{row}");
        let name = row["productFilename"].as_str().unwrap();
        if name.ends_with(".fits") {
            assert!(
                bytes.starts_with(b"SIMPLE  =                    T"),
                "{name}"
            );
        } else if name.ends_with(".jpg") {
            assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "{name}");
        }
    }
}

#[tokio::test]
async fn bad_requests_are_errors_in_the_reply() {
    let (sim, client) = (start().await, client());
    let unknown = invoke(
        &client,
        &sim,
        &json!({"service": "Mast.Nothing", "params": {}}),
    )
    .await;
    assert_eq!(unknown["status"], "ERROR");
    assert!(unknown["msg"].as_str().unwrap().contains("Mast.Nothing"));
    let obs_id = invoke(
        &client,
        &sim,
        &json!({"service": "Mast.Caom.Products", "params": {"obs_id": "ieq301010"}}),
    )
    .await;
    assert_eq!(obs_id["status"], "ERROR");
    assert!(
        obs_id["msg"].as_str().unwrap().contains("obsid"),
        "{obs_id}"
    );
    let obs_id_value = invoke(
        &client,
        &sim,
        &json!({"service": "Mast.Caom.Products", "params": {"obsid": "ieq301010"}}),
    )
    .await;
    assert_eq!(
        obs_id_value["msg"],
        "Error converting data type nvarchar to bigint."
    );
    let column = invoke(
        &client,
        &sim,
        &filtered(json!([{"paramName": "colour", "values": ["red"]}])),
    )
    .await;
    assert_eq!(column["status"], "ERROR");
    let cone = invoke(
        &client,
        &sim,
        &json!({"service": "Mast.Caom.Cone", "params": {"ra": 10}}),
    )
    .await;
    assert_eq!(cone["status"], "ERROR");
    let position = invoke(
        &client,
        &sim,
        &json!({"service": "Mast.Caom.Filtered.Position",
        "params": {"filters": [], "position": "10, north"}}),
    )
    .await;
    assert_eq!(position["status"], "ERROR");
    let broken: Value = client
        .post(format!("{}/api/v0/invoke", sim.mast_url()))
        .form(&[("request", "{\"service\": ")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(broken["status"], "ERROR");
    assert!(broken["msg"]
        .as_str()
        .unwrap()
        .starts_with("Could not parse the request"));
}

#[tokio::test]
async fn columns_config_types_the_columns() {
    let (sim, client) = (start().await, client());
    let config = |id: &'static str| {
        let client = client.clone();
        let url = format!("{}/portal/Mashup/Mashup.asmx/columnsconfig", sim.mast_url());
        async move {
            client
                .post(url)
                .form(&[("colConfigId", id)])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let cone = config("Mast.Caom.Cone").await;
    assert_eq!(cone["proposal_id"]["vot.datatype"], "char");
    assert_eq!(cone["t_min"]["vot.datatype"], "double");
    assert_eq!(
        config("Mast.Caom.Products").await["size"]["vot.datatype"],
        "int"
    );
    assert_eq!(config("Mast.Unknown").await, json!({}));
}

#[tokio::test]
async fn exclusive_files_need_a_valid_token_by_header_or_cookie() {
    let (sim, client) = (start().await, client());
    let products = demo_products(&client, &sim).await;
    let secret = product(&products, |p| {
        p["dataRights"] == "EXCLUSIVE_ACCESS" && p["productType"] == "SCIENCE"
    });
    let public = product(&products, |p| {
        p["dataRights"] == "PUBLIC" && p["productType"] == "SCIENCE"
    });
    let url = download_url(&sim, secret["dataURI"].as_str().unwrap());
    assert_eq!(client.get(&url).send().await.unwrap().status(), 401);
    let wrong = client
        .get(&url)
        .header(AUTHORIZATION, "token 0123456789abcdef")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let wrong_cookie = client
        .get(download_url(&sim, public["dataURI"].as_str().unwrap()))
        .header(COOKIE, "mast_token=nope")
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong_cookie.status(),
        401,
        "an invalid token is refused even for public files"
    );
    let by_header = client
        .get(&url)
        .header(AUTHORIZATION, format!("token {}", mast::DEMO_TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 200);
    let by_cookie = client
        .get(&url)
        .header(COOKIE, format!("other=1; mast_token={}", mast::DEMO_TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), 200);
    assert_eq!(
        by_cookie.bytes().await.unwrap().len() as u64,
        secret["size"].as_u64().unwrap()
    );
    let anonymous_public = client
        .get(download_url(&sim, public["dataURI"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous_public.status(), 200);
}

#[tokio::test]
async fn files_have_validators_ranges_and_404s() {
    let (sim, client) = (start().await, client());
    let products = demo_products(&client, &sim).await;
    let row = product(&products, |p| {
        p["dataRights"] == "PUBLIC" && p["productSubGroupDescription"] == "FLT"
    });
    let url = download_url(&sim, row["dataURI"].as_str().unwrap());
    let whole = client.get(&url).send().await.unwrap();
    let etag = whole.headers()[ETAG].to_str().unwrap().to_owned();
    assert!(whole.headers().contains_key("last-modified"));
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    let whole = whole.bytes().await.unwrap();
    // Extra parameters (as in bundle scripts) are ignored.
    let part = client
        .get(format!("{url}&bundle_name=MAST_x.sh"))
        .header(RANGE, "bytes=100-199")
        .header("if-range", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap(), whole.slice(100..200));
    let stale = client
        .get(&url)
        .header(RANGE, "bytes=100-")
        .header("if-range", "\"0-0\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
    let head = client.head(&url).send().await.unwrap();
    assert_eq!(
        head.headers()[CONTENT_LENGTH],
        whole.len().to_string().as_str()
    );
    let missing = client
        .get(download_url(&sim, "mast:HST/product/nothing_flt.fits"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let no_uri = client
        .get(format!("{}/api/v0.1/Download/file", sim.mast_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(no_uri.status(), 400);
}

#[tokio::test]
async fn generated_previews_come_chunked_without_a_length() {
    let (sim, client) = (start().await, client());
    let products = demo_products(&client, &sim).await;
    let row = product(&products, |p| {
        p["dataRights"] == "PUBLIC" && p["dataURI"].as_str().unwrap().starts_with("mast:HLA/")
    });
    let uri = row["dataURI"].as_str().unwrap();
    assert!(uri.contains("?red="), "{uri}");
    let response = client.get(download_url(&sim, uri)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(!response.headers().contains_key(CONTENT_LENGTH));
    assert!(!response.headers().contains_key("accept-ranges"));
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, row["size"].as_u64().unwrap());
    assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
}

#[tokio::test]
async fn jwst_files_redirect_to_the_storage_host_which_needs_no_token() {
    let (sim, client) = (start().await, client());
    let jwst = invoke(
        &client,
        &sim,
        &filtered(json!([{"paramName": "proposal_id", "values": ["1837"]}])),
    )
    .await;
    let obsids: Vec<&str> = column(&jwst, "obsid")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let products = invoke(
        &client,
        &sim,
        &json!({"service": "Mast.Caom.Products",
        "params": {"obsid": obsids.join(",")}, "format": "json"}),
    )
    .await;
    let products = products["data"].as_array().unwrap();
    let row = product(products, |p| {
        p["productSubGroupDescription"] == "I2D"
            && p["productFilename"].as_str().unwrap().ends_with(".fits")
    });
    let response = client
        .get(download_url(&sim, row["dataURI"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        !location.starts_with(&sim.mast_url()),
        "another host: {location}"
    );
    assert!(
        location.contains("Expires=") && location.contains("Signature="),
        "{location}"
    );
    let stored = client.get(&location).send().await.unwrap();
    assert_eq!(stored.status(), 200);
    assert_eq!(
        stored.bytes().await.unwrap().len() as u64,
        row["size"].as_u64().unwrap()
    );
    let ranged = client
        .get(&location)
        .header(RANGE, "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    let tampered = client
        .get(location.replace("Signature=", "Signature=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 403);
    // Following the redirect, as clients do, gives the file.
    let following = reqwest::Client::builder().no_proxy().build().unwrap();
    let bytes = following
        .get(download_url(&sim, row["dataURI"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.len() as u64, row["size"].as_u64().unwrap());
    // One association pool is listed with size 0, as MAST sometimes does; the file is not empty.
    let zero = product(products, |p| p["size"] == 0);
    let bytes = following
        .get(download_url(&sim, zero["dataURI"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(bytes.starts_with(b"{"), "an association JSON");
}

#[tokio::test]
async fn bundle_scripts_follow_mast() {
    let (sim, client) = (start().await, client());
    let products = demo_products(&client, &sim).await;
    let public: Vec<&Value> = products
        .iter()
        .filter(|p| p["dataRights"] == "PUBLIC" && p["productType"] == "SCIENCE")
        .collect();
    let form: Vec<(&str, &str)> = public
        .iter()
        .map(|p| ("uri", p["dataURI"].as_str().unwrap()))
        .collect();
    let url = format!("{}/api/v0.1/Download/bundle.sh", sim.mast_url());
    let script = client
        .post(&url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(script.starts_with("#!/bin/bash\n"));
    assert!(script.contains("command -v curl"));
    assert!(
        !script.contains("MAST_API_TOKEN"),
        "no token block for public files"
    );
    assert!(script.contains("FOLDER=MAST_20"));
    assert!(script.contains("(C)ontinue writing to existing folder or use (N)ew folder? [N]"));
    assert!(script.contains("CONT=\"-C -\""));
    assert!(script.contains("MANIFEST.HTML"));
    assert!(script.contains(
        "<th>URI</th><th>File</th><th>Access</th><th>Status</th><th>Logged In User</th>"
    ));
    assert!(script.contains(&format!("Total Files: {}", public.len())));
    assert!(script.trim_end().ends_with("exit 0"));
    let first = public[0];
    let path = format!(
        "HST/{}/{}",
        first["obs_id"].as_str().unwrap(),
        first["productFilename"].as_str().unwrap()
    );
    assert!(script.contains(&format!(
        "<<< Downloading File: {}",
        first["dataURI"].as_str().unwrap()
    )));
    assert!(script.contains(&format!(
        "curl --globoff --location-trusted -f --progress-bar --create-dirs $CONT --output ./${{DOWNLOAD_FOLDER}}'/{path}' '{}/api/v0.1/Download/file?bundle_name=MAST_",
        sim.mast_url()
    )), "{script}");
    assert!(script.contains(&format!(
        "<td>{}</td><td>{path}</td><td>PUBLIC</td><td>OK</td><td>anonymous</td>",
        first["dataURI"].as_str().unwrap()
    )));
    assert_eq!(script.matches("\ncurl ").count(), public.len());

    let secret = product(&products, |p| p["dataRights"] == "EXCLUSIVE_ACCESS");
    let script = client
        .post(&url)
        .header(COOKIE, format!("mast_token={}", mast::DEMO_TOKEN))
        .form(&[
            ("uri", secret["dataURI"].as_str().unwrap()),
            ("uri", first["dataURI"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(script.contains("read -p \"Enter your MAST API token: \" MAST_API_TOKEN"));
    assert!(script.contains("MAST_API_TOKEN=$1"));
    assert_eq!(
        script
            .matches("curl -H \"Authorization: token $MAST_API_TOKEN\" --globoff")
            .count(),
        1
    );
    assert!(script.contains("<td>EXCLUSIVE_ACCESS</td><td>OK</td><td>mastdemo</td>"));
}

#[tokio::test]
async fn whoami_tells_anonymous_from_signed_in() {
    let (sim, client) = (start().await, client());
    let url = format!("{}/whoami", sim.mast_url());
    let anonymous: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(anonymous["anon"], true);
    let invalid: Value = client
        .get(&url)
        .header(COOKIE, "mast_token=bad")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(invalid["anon"], true);
    for request in [
        client
            .get(&url)
            .header(COOKIE, format!("mast_token={}", mast::DEMO_TOKEN)),
        client
            .get(&url)
            .header(AUTHORIZATION, format!("token {}", mast::DEMO_TOKEN)),
    ] {
        let me: Value = request.send().await.unwrap().json().await.unwrap();
        assert_eq!(me["anon"], false);
        assert_eq!(me["ezid"], "mastdemo");
        assert_eq!(me["attrib"]["display_name"], "Demo Observer");
        assert!(me["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("mast:exclusive_access")));
    }
}

#[tokio::test]
async fn faults_apply_to_mast_routes() {
    let (sim, client) = (start().await, client());
    sim.faults().add(
        FaultRule::new(
            "/api/v0/invoke",
            FaultAction::Status {
                code: 503,
                retry_after_secs: Some(3),
            },
        )
        .times(1),
    );
    let response = client
        .post(format!("{}/api/v0/invoke", sim.mast_url()))
        .form(&[("request", filtered(json!([])).to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "3");
    assert_eq!(demo_observations(&client, &sim).await["status"], "COMPLETE");
    let products = demo_products(&client, &sim).await;
    let row = product(&products, |p| {
        p["dataRights"] == "PUBLIC" && p["productSubGroupDescription"] == "DRZ"
    });
    sim.faults().add(
        FaultRule::new(
            "/api/v0.1/Download/",
            FaultAction::TruncateAfter { bytes: 1000 },
        )
        .times(1),
    );
    let cut = client
        .get(download_url(&sim, row["dataURI"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        cut.headers()[CONTENT_LENGTH],
        row["size"].to_string().as_str()
    );
    assert!(cut.bytes().await.is_err(), "the body stops short");
}

#[tokio::test]
async fn unknown_mast_paths_are_404() {
    let (sim, client) = (start().await, client());
    let response = client
        .get(format!("{}/api/v0/nothing", sim.mast_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}
