//! The current API's processing jobs (shared/research/up42_jdma.md §1.6–1.7): cursor pages followed by
//! their `next` links, a job's results as the items of its STAC collection, and each asset's signed URL.

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::api::Api;
use super::seed::{check_id, parse};
use super::status;
use crate::catalog::{Footprint, Job};
use crate::error::{Error, Result};
use crate::ids::AccountId;
use crate::paths::safe_component;

/// The most pages followed (of jobs, or of a collection's items).
const MAX_PAGES: usize = 500;

/// A processing job as the API sends it; only the fields Jobfetch uses.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    #[serde(rename = "jobID")]
    pub job_id: String,
    #[serde(rename = "processID", default)]
    pub process_id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub definition: Option<Value>,
    #[serde(default)]
    pub results: Option<Results>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub started: Option<String>,
    #[serde(default)]
    pub finished: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Results {
    /// The STAC collection's address, once there are results.
    #[serde(default)]
    pub collection: Option<String>,
    #[serde(default)]
    pub errors: Vec<ProblemNote>,
}

#[derive(Debug, Deserialize)]
pub struct ProblemNote {
    #[serde(default)]
    pub message: String,
}

/// One downloadable file of a job's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// The STAC item it belongs to: its folder.
    pub item: String,
    /// Its file name there.
    pub file: String,
    /// What `POST /v2/assets/{id}/download-url` signs.
    pub id: String,
}

/// The workspace's processing jobs as UP42 sends them, newest first, every page.
pub async fn job_records(api: &Api, workspace: &str) -> Result<Vec<Value>> {
    #[derive(Deserialize)]
    struct Page {
        #[serde(default)]
        jobs: Vec<Value>,
        #[serde(default)]
        links: Vec<Link>,
    }
    let mut records = Vec::new();
    let mut path =
        format!("/v2/processing/jobs?workspaceId={workspace}&limit=20&sort=created,desc");
    for _ in 0..MAX_PAGES {
        let page: Page = api.json(Method::GET, &path).await?;
        records.extend(page.jobs);
        match next(&page.links) {
            Some(href) => path = api_path(api, href)?,
            None => break,
        }
    }
    Ok(records)
}

/// The workspace's processing jobs, newest first.
pub async fn jobs(api: &Api, workspace: &str, account: &AccountId) -> Result<Vec<Job>> {
    job_records(api, workspace)
        .await?
        .into_iter()
        .map(|record| to_job(api, account, &parse(record, "job")?))
        .collect()
}

/// One processing job, with its record (for its results).
pub async fn job(api: &Api, account: &AccountId, id: &str) -> Result<(Job, JobRecord)> {
    check_id(id, "job")?;
    let record: JobRecord = api
        .json(Method::GET, &format!("/v2/processing/jobs/{id}"))
        .await?;
    Ok((to_job(api, account, &record)?, record))
}

/// Every asset of a job's results collection, item by item (none before it has results), and each
/// item's footprint, with its image asset (a thumbnail or overview, else a PNG/JPEG) as its quicklook.
pub async fn assets(api: &Api, record: &JobRecord) -> Result<(Vec<Asset>, Vec<Footprint>)> {
    #[derive(Deserialize)]
    struct Items {
        #[serde(default)]
        features: Vec<Item>,
        #[serde(default)]
        links: Vec<Link>,
    }
    #[derive(Deserialize)]
    struct Item {
        id: String,
        #[serde(default)]
        geometry: Value,
        #[serde(default)]
        assets: serde_json::Map<String, Value>,
    }
    let Some(collection) = record
        .results
        .as_ref()
        .and_then(|r| r.collection.as_deref())
    else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut footprints = Vec::new();
    let mut path = format!("{}/items", api_path(api, collection)?.trim_end_matches('/'));
    let mut assets = Vec::new();
    for _ in 0..MAX_PAGES {
        let page: Items = api.json(Method::GET, &path).await?;
        for item in page.features {
            safe_name(&item.id, "item")?;
            let mut quicklook = None;
            for (key, asset) in item.assets {
                let href = asset
                    .get("href")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let id = asset_id(api, href)?;
                let file = asset
                    .get("title")
                    .and_then(Value::as_str)
                    .filter(|title| !title.is_empty())
                    .unwrap_or(&key)
                    .to_string();
                safe_name(&file, "asset")?;
                if is_picture(&key, &asset) {
                    quicklook.get_or_insert_with(|| format!("{}/{file}", item.id));
                }
                assets.push(Asset {
                    item: item.id.clone(),
                    file,
                    id,
                });
            }
            footprints.extend(Footprint::of_geometry(
                item.id.clone(),
                item.id.clone(),
                quicklook,
                &item.geometry,
            ));
        }
        match next(&page.links) {
            Some(href) => path = api_path(api, href)?,
            None => break,
        }
    }
    Ok((assets, footprints))
}

/// Whether a STAC asset is a picture to show: a thumbnail or overview, or a PNG or JPEG.
fn is_picture(key: &str, asset: &Value) -> bool {
    let roles = asset.get("roles").and_then(Value::as_array);
    let role = |wanted: &str| key == wanted || roles.is_some_and(|r| r.iter().any(|v| v == wanted));
    let media = asset
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    role("thumbnail")
        || role("overview")
        || media.starts_with("image/png")
        || media.starts_with("image/jpeg")
}

/// A fresh signed URL of an asset.
pub async fn signed_asset_url(api: &Api, asset: &str) -> Result<Url> {
    #[derive(Deserialize)]
    struct Signed {
        url: String,
    }
    check_id(asset, "asset")?;
    let signed: Signed = api
        .json(Method::POST, &format!("/v2/assets/{asset}/download-url"))
        .await?;
    Url::parse(&signed.url)
        .ok()
        .filter(|url| matches!(url.scheme(), "https" | "http"))
        .ok_or_else(|| Error::protocol("UP42 sent a download link that is not an http(s) address."))
}

fn to_job(api: &Api, account: &AccountId, record: &JobRecord) -> Result<Job> {
    check_id(&record.job_id, "job")?;
    let (status, word) = status::of(&record.status);
    let failures: Vec<&str> = record
        .results
        .iter()
        .flat_map(|r| r.errors.iter().map(|e| e.message.as_str()))
        .filter(|m| !m.is_empty())
        .collect();
    let title = record
        .definition
        .as_ref()
        .and_then(|d| d.pointer("/inputs/title"))
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty());
    Ok(Job {
        name: title.map_or_else(|| record.job_id.clone(), str::to_string),
        job_type: if record.process_id.is_empty() {
            "processing".into()
        } else {
            record.process_id.clone()
        },
        status,
        status_message: if failures.is_empty() {
            word
        } else {
            failures.join(" ")
        },
        submitted: record
            .created
            .as_deref()
            .and_then(crate::catalog::rfc3339_to_iso),
        started: record
            .started
            .as_deref()
            .and_then(crate::catalog::rfc3339_to_iso),
        completed: record
            .finished
            .as_deref()
            .and_then(crate::catalog::rfc3339_to_iso),
        expires: None,
        account: account.clone(),
        location: api.url(&format!("/v2/processing/jobs/{}", record.job_id)),
        id: record.job_id.clone(),
    })
}

#[derive(Deserialize)]
struct Link {
    #[serde(default)]
    rel: String,
    #[serde(default)]
    href: String,
}

fn next(links: &[Link]) -> Option<&str> {
    links
        .iter()
        .find(|link| link.rel == "next" && !link.href.is_empty())
        .map(|link| link.href.as_str())
}

/// `href` (relative, or absolute on the API's own host) as a path on the API; any other host is
/// refused, so the token never goes elsewhere.
fn api_path(api: &Api, href: &str) -> Result<String> {
    if href.starts_with('/') && !href.starts_with("//") {
        return Ok(href.to_string());
    }
    let base = Url::parse(&api.base)
        .map_err(|err| Error::invalid_input(format!("{} is not an address ({err}).", api.base)))?;
    let url = Url::parse(href).map_err(|err| {
        Error::protocol(format!(
            "UP42 sent a link {href:?} that is not an address ({err})."
        ))
    })?;
    if url.origin() != base.origin() {
        return Err(Error::protocol(format!(
            "UP42 sent a link to another host ({href}); Jobfetch sends your token only to {}.",
            api.base
        )));
    }
    Ok(match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    })
}

/// The id in an asset's `href` (`…/v2/assets/<id>`).
fn asset_id(api: &Api, href: &str) -> Result<String> {
    let path = api_path(api, href)?;
    let id = path
        .strip_prefix("/v2/assets/")
        .filter(|id| !id.contains('/'))
        .ok_or_else(|| {
            Error::protocol(format!(
                "UP42 sent an asset link {href:?} that names no asset."
            ))
        })?;
    check_id(id, "asset")?;
    Ok(id.to_string())
}

fn safe_name(name: &str, what: &str) -> Result<()> {
    safe_component(name).map(drop).map_err(|err| {
        Error::protocol(format!(
            "UP42 named an {what} {name:?}, which Jobfetch refuses: {}",
            err.message
        ))
    })
}
