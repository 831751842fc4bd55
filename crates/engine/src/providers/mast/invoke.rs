//! MAST's Mashup service API (`POST <base>/api/v0/invoke`, form body `request=<JSON>`): one request
//! re-sent unchanged while MAST answers `EXECUTING`, then every page of the result gathered.
//!
//! Protocol notes (shared/research/desaccess_mast.md §2.3): the reply is `{status, msg, fields, data,
//! paging}`; `status` is `EXECUTING`, `COMPLETE` or `ERROR`; clients page on `paging.pagesFiltered`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::{Error, ErrorCode, Result};
use crate::http;

/// Rows asked for per page.
pub const PAGE_SIZE: u64 = 50_000;
/// The longest MAST may keep answering `EXECUTING` before Jobfetch gives up on a request.
const MAX_WAIT: Duration = Duration::from_secs(600);
/// Pause between polls of an executing request, growing to `MAX_POLL_GAP`.
const FIRST_POLL_GAP: Duration = Duration::from_millis(250);
const MAX_POLL_GAP: Duration = Duration::from_secs(5);

/// One Mashup reply.
#[derive(Debug, Deserialize)]
struct Reply {
    status: String,
    #[serde(default)]
    msg: Option<String>,
    #[serde(default)]
    data: Vec<Map<String, Value>>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Paging {
    #[serde(default)]
    pages_filtered: u64,
}

/// Calls `service` with `params` and returns every row of every page.
pub async fn invoke(
    client: &reqwest::Client,
    base: &str,
    service: &str,
    params: Value,
) -> Result<Vec<Map<String, Value>>> {
    let mut rows = Vec::new();
    let mut page = 1;
    loop {
        let reply = one_page(client, base, service, &params, page).await?;
        let pages = reply.paging.as_ref().map_or(1, |p| p.pages_filtered.max(1));
        rows.extend(reply.data);
        if page >= pages {
            return Ok(rows);
        }
        page += 1;
    }
}

/// One page, polled until it is no longer executing.
async fn one_page(
    client: &reqwest::Client,
    base: &str,
    service: &str,
    params: &Value,
    page: u64,
) -> Result<Reply> {
    let url = format!("{}/api/v0/invoke", base.trim_end_matches('/'));
    let what = format!("MAST ({service})");
    // Re-sent unchanged while executing, cache breaker included, as MAST asks.
    let request = json!({
        "service": service,
        "params": params,
        "format": "json",
        "pagesize": PAGE_SIZE,
        "page": page,
        "cacheBreaker": format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
    })
    .to_string();
    let started = tokio::time::Instant::now();
    let mut gap = FIRST_POLL_GAP;
    loop {
        let response = client
            .post(&url)
            .header(reqwest::header::ACCEPT, "text/plain")
            .form(&[("request", request.as_str())])
            .send()
            .await
            .map_err(|err| Error::network(&what, &err))?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::http_status(&what, status));
        }
        let body = http::read_limited(response, &what, http::MAX_JSON_BYTES).await?;
        let reply: Reply = http::parse_json(&body, &what)?;
        match reply.status.as_str() {
            "COMPLETE" => return Ok(reply),
            "EXECUTING" if started.elapsed() < MAX_WAIT => {
                tokio::time::sleep(gap).await;
                gap = (gap * 2).min(MAX_POLL_GAP);
            }
            "EXECUTING" => {
                return Err(Error::new(
                    ErrorCode::Network,
                    format!(
                        "{what} was still working after {} minutes; try a smaller search.",
                        MAX_WAIT.as_secs() / 60
                    ),
                )
                .retryable(true))
            }
            "ERROR" => {
                return Err(Error::new(
                    ErrorCode::Http,
                    format!(
                        "{what} said: {}",
                        reply
                            .msg
                            .as_deref()
                            .filter(|m| !m.is_empty())
                            .unwrap_or("an error, without saying which")
                    ),
                ))
            }
            other => {
                return Err(Error::protocol(format!(
                    "{what} answered with the status {other:?}, which Jobfetch does not know."
                )))
            }
        }
    }
}
