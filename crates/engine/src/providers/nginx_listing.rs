//! Reads nginx JSON autoindex listings (`<folder>/json`, as the DESaccess file server and many web
//! archives serve them), walks a folder tree concurrently, and turns it into an output tree or a plan.
//! Any provider whose files sit in such folders uses it.

use std::collections::{BTreeMap, VecDeque};

use futures_util::stream::{FuturesUnordered, StreamExt};
use serde::Deserialize;
use url::Url;

use crate::catalog::{http_time_to_iso, OutputKind, OutputNode};
use crate::error::{Error, Result};
use crate::http;
use crate::ids::ProviderId;
use crate::paths::SafeRelPath;
use crate::transfer::model::{AuthPolicy, BatchOrigin, ItemSpec, OriginScope, Source};
use crate::transfer::plan::{Plan, PlanStep};
use crate::transfer::retry::{retry_after, RetryPolicy};

/// Folders listed at once while walking a tree.
pub const CONCURRENCY: usize = 8;

/// The origin of a batch that fetches a public folder, not a job of an account.
pub fn folder_origin() -> BatchOrigin {
    BatchOrigin {
        provider: ProviderId::new("web-folder").expect("a valid id"),
        account: None,
        job: None,
        scope: OriginScope::Whole,
    }
}

/// Decides what kind of output a file is from its name.
pub type Classifier = fn(&str) -> OutputKind;

/// Deepest folder nesting followed; a hostile server cannot lead the walk on forever.
pub const MAX_DEPTH: usize = 32;
/// Most folders one walk lists.
pub const MAX_FOLDERS: usize = 100_000;

/// One checked entry of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    /// `None` for folders; `Some(size)` for files (nginx always gives files a size).
    pub size: Option<u64>,
    pub is_dir: bool,
    /// The raw HTTP date nginx gave.
    pub mtime: Option<String>,
}

/// A folder's entries, plus the entries refused because their names were unsafe.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub entries: Vec<Entry>,
    pub refused: Vec<Error>,
}

#[derive(Deserialize)]
struct RawEntry {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    mtime: Option<String>,
    size: Option<u64>,
}

/// Turns a job-folder URL (with or without a trailing `/`, or already ending in `/json`) into its folder URL.
pub fn normalize_folder_url(raw: &str) -> Result<Url> {
    let mut url = Url::parse(raw.trim())
        .map_err(|err| Error::invalid_input(format!("{raw:?} is not a valid URL ({err}).")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid_input(format!(
            "{raw:?} must start with http:// or https://."
        )));
    }
    url.set_query(None);
    url.set_fragment(None);
    let mut segments: Vec<String> = url
        .path_segments()
        .map(|s| s.map(str::to_string).collect())
        .unwrap_or_default();
    while segments.last().is_some_and(|s| s.is_empty()) {
        segments.pop();
    }
    if segments.last().is_some_and(|s| s == "json") {
        segments.pop();
    }
    if segments.is_empty() {
        return Err(Error::invalid_input(format!(
            "{raw:?} has no folder path; give the job folder URL."
        )));
    }
    url.set_path(&format!("/{}", segments.join("/")));
    Ok(url)
}

/// The URL of a child entry, with the name percent-encoded as nginx expects.
pub fn child_url(folder: &Url, name: &str) -> Url {
    let mut url = folder.clone();
    url.path_segments_mut()
        .expect("http URLs have paths")
        .pop_if_empty()
        .push(name);
    url
}

/// Fetches and checks one folder's listing, trying again (with backoff, or as long as `Retry-After` says)
/// when the server is busy or the connection fails.
pub async fn list_folder(client: &reqwest::Client, folder: &Url) -> Result<Listing> {
    let retry = RetryPolicy::default();
    let mut attempt = 1;
    loop {
        match list_folder_once(client, folder).await {
            Err(err) if err.retryable && attempt < retry.attempts => {
                tokio::time::sleep(retry.delay(attempt, err.retry_after)).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// One try at [`list_folder`]: a busy server, a dropped connection or a timeout may pass on the next.
async fn list_folder_once(client: &reqwest::Client, folder: &Url) -> Result<Listing> {
    let json_url = child_url(folder, "json");
    let what = format!("the listing {json_url}");
    let response = client
        .get(json_url.clone())
        .send()
        .await
        .map_err(|err| Error::network(&what, &err))?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Err(Error::folder_not_found(folder));
    }
    if !response.status().is_success() {
        return Err(Error {
            retry_after: retry_after(response.headers()),
            ..Error::http_status(&what, response.status())
        });
    }
    let body = http::read_limited(response, &what, http::MAX_JSON_BYTES).await?;
    parse_listing(&body, &what)
}

/// Parses an nginx JSON autoindex body. Entries of type `other` (sockets, broken links) are skipped.
pub fn parse_listing(body: &[u8], what: &str) -> Result<Listing> {
    let raw: Vec<RawEntry> = http::parse_json(body, what)?;
    let mut listing = Listing::default();
    let mut seen = std::collections::HashSet::new();
    for entry in raw {
        let is_dir = match entry.kind.as_str() {
            "directory" => true,
            "file" => false,
            _ => continue,
        };
        if let Err(err) = crate::paths::safe_component(&entry.name) {
            listing.refused.push(err);
            continue;
        }
        if !seen.insert(entry.name.clone()) {
            listing.refused.push(Error::protocol(format!(
                "{what} lists {:?} twice; the duplicate was ignored.",
                entry.name
            )));
            continue;
        }
        if !is_dir && entry.size.is_none() {
            listing.refused.push(Error::protocol(format!(
                "{what} gives no size for the file {:?}.",
                entry.name
            )));
            continue;
        }
        listing.entries.push(Entry {
            name: entry.name,
            size: if is_dir { None } else { entry.size },
            is_dir,
            mtime: entry.mtime,
        });
    }
    Ok(listing)
}

/// Walks the tree under `root`, listing up to `concurrency` folders at once, and calls `on_folder`
/// with each folder's URL, relative path and listing as soon as it arrives (so downloads can start early).
/// A folder that cannot be listed or followed is reported to `on_folder` as an error and the walk goes on.
pub async fn walk(
    client: &reqwest::Client,
    root: &Url,
    concurrency: usize,
    mut on_folder: impl FnMut(&Url, &SafeRelPath, Result<&Listing>),
) {
    let mut pending = VecDeque::from([(root.clone(), SafeRelPath::root())]);
    let mut in_flight = FuturesUnordered::new();
    let mut folders_seen = 1usize;
    loop {
        while in_flight.len() < concurrency.max(1) {
            let Some((url, rel)) = pending.pop_front() else {
                break;
            };
            in_flight.push(async move {
                let result = list_folder(client, &url).await;
                (url, rel, result)
            });
        }
        let Some((url, rel, result)) = in_flight.next().await else {
            break;
        };
        match result {
            Ok(listing) => {
                on_folder(&url, &rel, Ok(&listing));
                for entry in listing.entries.iter().filter(|e| e.is_dir) {
                    let child = rel.child(&entry.name).expect("listing names were checked");
                    if child.components().len() > MAX_DEPTH || folders_seen >= MAX_FOLDERS {
                        let err = Error::protocol(format!(
                            "The folder {child} is nested deeper than {MAX_DEPTH} levels or past {MAX_FOLDERS} folders; it was not followed."
                        ));
                        on_folder(&url, &child, Err(err));
                        continue;
                    }
                    folders_seen += 1;
                    pending.push_back((child_url(&url, &entry.name), child));
                }
            }
            Err(err) => on_folder(&url, &rel, Err(err)),
        }
    }
}

/// The files under `folder` as a plan: each folder's files, fetched from their URLs with `auth`, are
/// handed on as soon as the folder is listed; names and folders that cannot be used become problems.
pub fn plan_folder(
    client: reqwest::Client,
    folder: Url,
    concurrency: usize,
    auth: AuthPolicy,
) -> Plan {
    let (steps, receiver) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        walk(&client, &folder, concurrency, |url, rel, result| {
            let found = match result {
                Ok(found) => found,
                Err(error) => {
                    let _ = steps.send(PlanStep::Problem {
                        place: rel.to_string(),
                        error,
                    });
                    return;
                }
            };
            for error in &found.refused {
                let _ = steps.send(PlanStep::Problem {
                    place: rel.to_string(),
                    error: error.clone(),
                });
            }
            let items = found
                .entries
                .iter()
                .filter(|entry| !entry.is_dir)
                .map(|entry| ItemSpec {
                    source: Source::Url {
                        url: child_url(url, &entry.name).to_string(),
                    },
                    dest: rel
                        .child(&entry.name)
                        .expect("listing names were checked")
                        .to_string(),
                    size: entry.size,
                    digest: None,
                    auth: auth.clone(),
                })
                .collect();
            let _ = steps.send(PlanStep::Folder {
                path: rel.clone(),
                items,
            });
        })
        .await;
    });
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|step| (step, receiver))
    })
    .boxed()
}

/// The URL of a file below `folder`, given by its `/`-separated path.
pub fn file_url(folder: &Url, path: &SafeRelPath) -> Url {
    path.components()
        .iter()
        .fold(folder.clone(), |url, part| child_url(&url, part))
}

/// Lists the whole tree under `root` and returns it as an output tree with per-folder totals, each file
/// classified by `classify`. Unsafe names or unlistable folders fail the call with the first such error.
pub async fn output_tree(
    client: &reqwest::Client,
    root: &Url,
    concurrency: usize,
    classify: Classifier,
) -> Result<OutputNode> {
    let mut listings: BTreeMap<SafeRelPath, Vec<Entry>> = BTreeMap::new();
    let mut first_error = None;
    walk(client, root, concurrency, |_, rel, result| match result {
        Ok(listing) => {
            if let Some(err) = listing.refused.first() {
                first_error.get_or_insert_with(|| err.clone());
            }
            listings.insert(rel.clone(), listing.entries.clone());
        }
        Err(err) => {
            first_error.get_or_insert(err);
        }
    })
    .await;
    if let Some(err) = first_error {
        return Err(err);
    }
    let root_name = root
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default()
        .to_string();
    Ok(build_node(
        &listings,
        &SafeRelPath::root(),
        root_name,
        None,
        classify,
    ))
}

fn build_node(
    listings: &BTreeMap<SafeRelPath, Vec<Entry>>,
    rel: &SafeRelPath,
    name: String,
    mtime: Option<&str>,
    classify: Classifier,
) -> OutputNode {
    let children: Vec<OutputNode> = listings
        .get(rel)
        .map(|entries| {
            entries
                .iter()
                .map(|entry| {
                    let child = rel.child(&entry.name).expect("listing names were checked");
                    if entry.is_dir {
                        build_node(
                            listings,
                            &child,
                            entry.name.clone(),
                            entry.mtime.as_deref(),
                            classify,
                        )
                    } else {
                        OutputNode {
                            name: entry.name.clone(),
                            path: child.to_string(),
                            kind: classify(&entry.name),
                            size: entry.size,
                            modified: entry.mtime.as_deref().and_then(http_time_to_iso),
                            file_count: 1,
                            title: None,
                            digest: None,
                            children: Vec::new(),
                        }
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    OutputNode {
        name,
        path: rel.to_string(),
        kind: OutputKind::Directory,
        size: Some(children.iter().filter_map(|c| c.size).sum()),
        modified: mtime.and_then(http_time_to_iso),
        file_count: children.iter().map(|c| c.file_count).sum(),
        title: None,
        digest: None,
        children,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NGINX_BODY: &str = r#"[
{ "name":"DES0226-1541", "type":"directory", "mtime":"Wed, 22 Sep 2020 18:27:27 GMT" },
{ "name":"link", "type":"other", "mtime":"Wed, 22 Sep 2020 18:27:27 GMT" },
{ "name":"summary.json", "type":"file", "mtime":"Wed, 22 Sep 2020 18:27:30 GMT", "size":48213 }
]"#;

    #[test]
    fn parses_nginx_autoindex_json() {
        let listing = parse_listing(NGINX_BODY.as_bytes(), "test").unwrap();
        assert_eq!(listing.entries.len(), 2);
        assert!(listing.entries[0].is_dir);
        assert_eq!(listing.entries[1].size, Some(48213));
        assert!(listing.refused.is_empty());
    }

    #[test]
    fn refuses_hostile_names_but_keeps_the_rest() {
        let body = r#"[{"name":"../x","type":"file","size":1},{"name":"/etc/passwd","type":"file","size":1},
            {"name":"a\u0000b","type":"file","size":1},{"name":"ok.fits","type":"file","size":3}]"#;
        let listing = parse_listing(body.as_bytes(), "test").unwrap();
        assert_eq!(listing.entries.len(), 1);
        assert_eq!(listing.refused.len(), 3);
        assert!(listing.refused[0].message.contains("../x"));
    }

    #[test]
    fn malformed_listings_are_protocol_errors() {
        for body in ["<html>", "{}", r#"[{"name":1}]"#, ""] {
            let err = parse_listing(body.as_bytes(), "the listing").unwrap_err();
            assert_eq!(err.code, crate::ErrorCode::Protocol, "{body}");
        }
    }

    #[test]
    fn folder_urls_are_normalized() {
        for raw in [
            "http://h/files-desaccess/u/cutout/j",
            "http://h/files-desaccess/u/cutout/j/",
            "http://h/files-desaccess/u/cutout/j/json",
        ] {
            assert_eq!(
                normalize_folder_url(raw).unwrap().as_str(),
                "http://h/files-desaccess/u/cutout/j"
            );
        }
        assert!(normalize_folder_url("ftp://h/x").is_err());
        assert!(normalize_folder_url("http://h/").is_err());
        let folder = normalize_folder_url("http://h/a/b").unwrap();
        assert_eq!(
            child_url(&folder, "x y#1.fits").as_str(),
            "http://h/a/b/x%20y%231.fits"
        );
    }
}
