//! The record a batch leaves beside its files: `MANIFEST.json` for programs, `MANIFEST.html` for people
//! (requested against retrieved, like the manifest MAST's curl scripts write, with sizes, digests and
//! reasons), and `manifest.csv` with astroquery's `download_products` columns for existing pipelines.
//!
//! No secret ever appears in a manifest: every URI goes through [`redact_url`], and every message
//! through [`redact_text`], before it is written. Each file is written to `<name>.part`, synced and
//! renamed, so a reader never sees half a manifest.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use url::Url;

use super::model::{BatchState, Digest, ItemState};
use crate::error::{Error, Result};

/// What replaces a secret in a redacted URL.
pub const REDACTED: &str = "REDACTED";

/// The version of the `MANIFEST.json` layout; bumped only when a field changes meaning or goes away.
pub const FORMAT: &str = "jobfetch-manifest/1";

/// One requested file and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestEntry {
    /// Where the file was asked for (a URL, or an archive URI such as `mast:HST/product/x.fits`).
    pub uri: String,
    /// The path below the batch root, `/`-separated.
    pub file: String,
    pub size: Option<u64>,
    pub digest: Option<Digest>,
    pub state: ItemState,
    /// Why it failed or was left out; `None` when it arrived.
    pub message: Option<String>,
}

/// The batch a manifest describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestHeader {
    pub batch_name: String,
    /// The local folder the batch writes into; the manifests go at its top.
    #[serde(serialize_with = "path_lossy")]
    pub root: PathBuf,
    /// The archive's name, e.g. `DESaccess`.
    pub archive: String,
    /// Where the batch came from, e.g. the job folder's URL.
    pub source: String,
    /// ISO 8601.
    pub created: String,
    /// ISO 8601, once the batch has stopped.
    pub finished: Option<String>,
    pub state: BatchState,
}

/// Counts over a manifest's entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestTotals {
    /// Every entry.
    pub requested: u64,
    /// Fetched, or already on disk and whole (`done` + `skipped`).
    pub retrieved: u64,
    pub failed: u64,
    pub cancelled: u64,
    /// Not finished yet (queued, running, retrying or paused) when the manifest was written.
    pub pending: u64,
    /// Bytes of the retrieved files whose size is known.
    pub bytes: u64,
}

/// The whole of `MANIFEST.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always [`FORMAT`] for files this version writes.
    pub format: String,
    pub batch: ManifestHeader,
    pub totals: ManifestTotals,
    pub entries: Vec<ManifestEntry>,
}

/// Where [`write_manifests`] put the three files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestPaths {
    pub json: PathBuf,
    pub html: PathBuf,
    pub csv: PathBuf,
}

/// The file names used when no entry of the batch already has one of them.
const NAMES: [&str; 3] = ["MANIFEST.json", "MANIFEST.html", "manifest.csv"];

impl Manifest {
    /// The manifest for `entries`, with every URI and message redacted and the totals counted.
    pub fn new(header: &ManifestHeader, entries: &[ManifestEntry]) -> Manifest {
        let mut batch = header.clone();
        batch.source = redact_url(&batch.source);
        let entries: Vec<ManifestEntry> = entries
            .iter()
            .map(|entry| ManifestEntry {
                uri: redact_url(&entry.uri),
                message: entry.message.as_deref().map(redact_text),
                ..entry.clone()
            })
            .collect();
        let mut totals = ManifestTotals {
            requested: entries.len() as u64,
            ..ManifestTotals::default()
        };
        for entry in &entries {
            match entry.state {
                ItemState::Done | ItemState::Skipped => {
                    totals.retrieved += 1;
                    totals.bytes += entry.size.unwrap_or(0);
                }
                ItemState::Failed => totals.failed += 1,
                ItemState::Cancelled => totals.cancelled += 1,
                ItemState::Queued
                | ItemState::Running
                | ItemState::Retrying
                | ItemState::Paused => totals.pending += 1,
            }
        }
        Manifest {
            format: FORMAT.to_string(),
            batch,
            totals,
            entries,
        }
    }

    /// Reads a `MANIFEST.json` written by [`write_manifests`].
    pub fn read(path: &Path) -> Result<Manifest> {
        let text =
            fs::read_to_string(path).map_err(|err| Error::disk("read the manifest", path, err))?;
        serde_json::from_str(&text).map_err(|err| {
            Error::protocol(format!(
                "{} is not a Jobfetch manifest ({err}).",
                path.display()
            ))
        })
    }

    /// `MANIFEST.json`'s text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest always serializes") + "\n"
    }

    /// `MANIFEST.html`'s text: one self-contained page, with every server-supplied string escaped.
    pub fn to_html(&self) -> String {
        let b = &self.batch;
        let t = &self.totals;
        let mut out = String::with_capacity(2048 + self.entries.len() * 400);
        let title = format!("Manifest of {}", b.batch_name);
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        // Nothing in this page may run or load anything, whatever a server put in a file name.
        out.push_str(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
        );
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(out, "<title>{}</title>", html(&title));
        out.push_str(STYLE);
        out.push_str("</head>\n<body>\n");
        let _ = writeln!(out, "<h1>{}</h1>", html(&title));
        out.push_str("<dl class=\"about\">\n");
        let mut about = |name: &str, value: &str| {
            let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", html(name), html(value));
        };
        about("Archive", &b.archive);
        about("Source", &b.source);
        about("Folder", &b.root.to_string_lossy());
        about("Created", &b.created);
        about("Finished", b.finished.as_deref().unwrap_or("not yet"));
        about("State", batch_state_label(b.state));
        out.push_str("</dl>\n<p class=\"summary\">");
        let _ = write!(
            out,
            "Requested <b>{}</b> · retrieved <b>{}</b> ({}) · failed <b>{}</b>",
            t.requested,
            t.retrieved,
            human_size(t.bytes),
            t.failed
        );
        if t.cancelled > 0 {
            let _ = write!(out, " · cancelled <b>{}</b>", t.cancelled);
        }
        if t.pending > 0 {
            let _ = write!(out, " · not finished <b>{}</b>", t.pending);
        }
        out.push_str("</p>\n<table>\n<thead><tr><th>URI</th><th>File</th><th>Size</th><th>Digest</th><th>Status</th><th>Message</th></tr></thead>\n<tbody>\n");
        for entry in &self.entries {
            let class = match entry.state {
                ItemState::Failed => " class=\"failed\"",
                ItemState::Done | ItemState::Skipped => "",
                _ => " class=\"other\"",
            };
            let _ = write!(
                out,
                "<tr{class}><td class=\"uri\">{}</td>",
                html(&entry.uri)
            );
            if retrieved(entry.state) {
                let _ = write!(
                    out,
                    "<td class=\"file\"><a href=\"{}\">{}</a></td>",
                    html(&relative_href(&entry.file)),
                    html(&entry.file)
                );
            } else {
                let _ = write!(out, "<td class=\"file\">{}</td>", html(&entry.file));
            }
            match entry.size {
                Some(size) => {
                    let _ = write!(
                        out,
                        "<td class=\"size\" title=\"{size} bytes\">{}</td>",
                        human_size(size)
                    );
                }
                None => out.push_str("<td class=\"size\">unknown</td>"),
            }
            match &entry.digest {
                Some(Digest::Sha256(hex)) => {
                    let _ = write!(
                        out,
                        "<td class=\"digest\">SHA-256 <code>{}</code></td>",
                        html(hex)
                    );
                }
                Some(Digest::Adler32(hex)) => {
                    let _ = write!(
                        out,
                        "<td class=\"digest\">ADLER-32 <code>{}</code></td>",
                        html(hex)
                    );
                }
                None => out.push_str("<td class=\"digest\"></td>"),
            }
            let _ = writeln!(
                out,
                "<td class=\"status\">{}</td><td class=\"message\">{}</td></tr>",
                item_state_label(entry.state),
                html(entry.message.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</tbody>\n</table>\n<p class=\"foot\">Written by Jobfetch. Links open the local copies; sizes are in SI units (1 kB = 1000 bytes).</p>\n</body>\n</html>\n");
        out
    }

    /// `manifest.csv`'s text: astroquery's manifest columns, RFC 4180 quoting, CRLF line ends.
    ///
    /// - `Local Path` is absolute, like astroquery's.
    /// - `Status` is `COMPLETE` for fetched or already present files (astroquery also reports a file it
    ///   found on disk as `COMPLETE`), `ERROR` for failed ones, and `SKIPPED` for cancelled or unfinished ones.
    /// - `Message` and `URL` are empty when the file arrived (astroquery's `None`); otherwise Message says
    ///   why and URL is the (redacted) address.
    ///
    /// Every cell is guarded against CSV injection: one that starts with `=`, `+`, `-`, `@`, a tab or a
    /// carriage return gets a leading `'`, so a spreadsheet shows it as text instead of running it as a
    /// formula (OWASP's advice). Plain-text readers then see the apostrophe; that is the price, paid
    /// only by such names.
    pub fn to_csv(&self) -> String {
        let root =
            std::path::absolute(&self.batch.root).unwrap_or_else(|_| self.batch.root.clone());
        let mut out = String::from("Local Path,Status,Message,URL\r\n");
        for entry in &self.entries {
            let mut local = root.clone();
            for part in entry.file.split('/').filter(|part| !part.is_empty()) {
                local.push(part);
            }
            let (status, message, url) = match entry.state {
                ItemState::Done | ItemState::Skipped => ("COMPLETE", String::new(), String::new()),
                ItemState::Failed => (
                    "ERROR",
                    entry
                        .message
                        .clone()
                        .unwrap_or_else(|| "File was not downloaded".to_string()),
                    entry.uri.clone(),
                ),
                ItemState::Cancelled => (
                    "SKIPPED",
                    entry
                        .message
                        .clone()
                        .unwrap_or_else(|| "Cancelled".to_string()),
                    entry.uri.clone(),
                ),
                state => (
                    "SKIPPED",
                    entry.message.clone().unwrap_or_else(|| {
                        format!(
                            "Not downloaded yet ({})",
                            item_state_label(state).to_lowercase()
                        )
                    }),
                    entry.uri.clone(),
                ),
            };
            let cells = [
                local.to_string_lossy().into_owned(),
                status.to_string(),
                message,
                url,
            ];
            let row: Vec<String> = cells.iter().map(|cell| csv_cell(cell)).collect();
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

/// Writes `MANIFEST.json`, `MANIFEST.html` and `manifest.csv` at the top of `header.root`, each atomically.
///
/// If one of the batch's own files (or top-level folders) already has one of those names (compared
/// without regard to case, as macOS and Windows do), all three get a `jobfetch-` prefix instead, so a
/// manifest never overwrites a downloaded file. The paths actually written are returned.
pub fn write_manifests(
    header: &ManifestHeader,
    entries: &[ManifestEntry],
) -> Result<ManifestPaths> {
    let manifest = Manifest::new(header, entries);
    let root = &header.root;
    fs::create_dir_all(root).map_err(|err| Error::disk("create the folder", root, err))?;
    let [json, html, csv] = manifest_names(entries);
    let paths = ManifestPaths {
        json: root.join(json),
        html: root.join(html),
        csv: root.join(csv),
    };
    write_atomic(&paths.json, manifest.to_json().as_bytes())?;
    write_atomic(&paths.html, manifest.to_html().as_bytes())?;
    write_atomic(&paths.csv, manifest.to_csv().as_bytes())?;
    let _ = sync_dir(root);
    Ok(paths)
}

/// The three manifest file names for a batch with these entries: [`NAMES`], or a prefixed form of
/// them that no entry uses.
fn manifest_names(entries: &[ManifestEntry]) -> [String; 3] {
    let taken: std::collections::HashSet<String> = entries
        .iter()
        .filter_map(|entry| entry.file.split('/').find(|part| !part.is_empty()))
        .map(str::to_lowercase)
        .collect();
    let clashes = |prefix: &str| {
        NAMES.iter().any(|name| {
            let name = format!("{prefix}{name}").to_lowercase();
            taken.contains(&name) || taken.contains(&format!("{name}.part"))
        })
    };
    let mut prefix = String::new();
    let mut n = 0;
    while clashes(&prefix) {
        n += 1;
        prefix = if n == 1 {
            "jobfetch-".to_string()
        } else {
            format!("jobfetch{n}-")
        };
    }
    NAMES.map(|name| format!("{prefix}{name}"))
}

/// Writes `bytes` to `<path>.part`, syncs it and renames it to `path`; on failure the `.part` is removed.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut part_name = path
        .file_name()
        .expect("manifest paths have file names")
        .to_os_string();
    part_name.push(".part");
    let part = path.with_file_name(part_name);
    let attempt = || -> std::io::Result<()> {
        let mut file = fs::File::create(&part)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&part, path)
    };
    attempt().map_err(|err| {
        let _ = fs::remove_file(&part);
        Error::disk("write the manifest", path, err)
    })
}

/// Makes the renames in `dir` durable where the platform can sync a folder (elsewhere there is
/// nothing to do); failure only costs durability.
pub(super) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Query and fragment parameter names whose values are secrets (compared in lower case, after
/// percent-decoding). `expires` and the like are not secrets and stay.
const SECRET_PARAMS: &[&str] = &[
    "token",
    "access_token",
    "signature",
    "sig",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "key",
    "apikey",
    "api_key",
    "api-key",
    "password",
    "passwd",
    "pwd",
    "auth",
    "authorization",
    "jwt",
    "session",
    "sessionid",
];

/// Parts of a parameter name that mark it as secret wherever they appear (`refresh_token`,
/// `client_secret`, `X-Goog-Signature`, `X-Goog-Credential`, `mast_token`, ...).
const SECRET_NAME_PARTS: &[&str] = &["token", "secret", "password", "signature", "credential"];

fn is_secret_param(raw_name: &str) -> bool {
    let plus_decoded = raw_name.replace('+', " ");
    let name = percent_decode_str(&plus_decoded)
        .decode_utf8_lossy()
        .trim()
        .to_lowercase();
    SECRET_PARAMS.contains(&name.as_str())
        || SECRET_NAME_PARTS.iter().any(|part| name.contains(part))
}

/// Replaces the values of secret parameters in a `&`- or `;`-separated parameter string.
/// Returns `None` when nothing had to change.
fn redact_params(params: &str) -> Option<String> {
    let mut changed = false;
    let mut out = String::with_capacity(params.len());
    let mut rest = params;
    loop {
        let end = rest.find(['&', ';']).unwrap_or(rest.len());
        let (pair, tail) = rest.split_at(end);
        match pair.split_once('=') {
            Some((name, value)) if !value.is_empty() && is_secret_param(name) => {
                if value != REDACTED {
                    changed = true;
                }
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            }
            _ => out.push_str(pair),
        }
        match tail.chars().next() {
            Some(separator) => {
                out.push(separator);
                rest = &tail[separator.len_utf8()..];
            }
            None => break,
        }
    }
    changed.then_some(out)
}

/// The URL without anything secret in it: user name and password are removed, and the values of
/// query (and fragment) parameters that carry secrets (`token`, `signature`, `X-Amz-Credential`,
/// `api_key`, `password`, ...; see the lists in the source) become `REDACTED`. Other parameters,
/// including `Expires`, stay.
///
/// A URL with nothing to remove comes back byte for byte as it was, so callers can tell "this URL
/// carried a secret" by comparing. A string that is not an absolute URL also comes back unchanged,
/// except that a `?query` in it is still redacted.
pub fn redact_url(raw: &str) -> String {
    let Ok(mut url) = Url::parse(raw) else {
        return redact_unparsed(raw);
    };
    let has_userinfo = !url.username().is_empty() || url.password().is_some();
    let query = url.query().and_then(redact_params);
    let fragment = url.fragment().and_then(redact_params);
    if !has_userinfo && query.is_none() && fragment.is_none() {
        return raw.to_string();
    }
    if has_userinfo {
        // Only fails for URLs that cannot have a user name, which then have none.
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    if let Some(query) = query {
        url.set_query(Some(&query));
    }
    if let Some(fragment) = fragment {
        url.set_fragment(Some(&fragment));
    }
    url.to_string()
}

/// [`redact_url`] for strings the URL parser refuses (relative references, odd text): user info after
/// `://` is dropped and secret parameters after `?` or `#` are redacted; anything else is left alone.
fn redact_unparsed(raw: &str) -> String {
    let mut text = raw.to_string();
    let authority = match text.find("://") {
        Some(at) => Some(at + 3),
        None => text.starts_with("//").then_some(2),
    };
    if let Some(start) = authority {
        let end = text[start..]
            .find(['/', '?', '#', '\\'])
            .map_or(text.len(), |at| start + at);
        if let Some(at) = text[start..end].rfind('@') {
            text.replace_range(start..start + at + 1, "");
        }
    }
    let (before_fragment, fragment) = match text.find('#') {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text.as_str(), None),
    };
    let (path, query) = match before_fragment.find('?') {
        Some(at) => (&before_fragment[..at], Some(&before_fragment[at + 1..])),
        None => (before_fragment, None),
    };
    let mut out = path.to_string();
    if let Some(query) = query {
        out.push('?');
        out.push_str(&redact_params(query).unwrap_or_else(|| query.to_string()));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(&redact_params(fragment).unwrap_or_else(|| fragment.to_string()));
    }
    out
}

/// Free text (an error message) with every URL-like word in it passed through [`redact_url`].
/// A word is a run of characters up to white space, a quote or an angle bracket.
pub fn redact_text(text: &str) -> String {
    let is_break = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`');
    let mut out = String::with_capacity(text.len());
    let mut word_start: Option<usize> = None;
    for (at, c) in text.char_indices() {
        if is_break(c) {
            if let Some(start) = word_start.take() {
                out.push_str(&redact_word(&text[start..at]));
            }
            out.push(c);
        } else if word_start.is_none() {
            word_start = Some(at);
        }
    }
    if let Some(start) = word_start {
        out.push_str(&redact_word(&text[start..]));
    }
    out
}

fn redact_word(word: &str) -> String {
    if word.contains("://") || word.contains('?') || word.contains('@') {
        redact_url(word)
    } else {
        word.to_string()
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Characters left alone in a link's path segments: RFC 3986's unreserved ones. Everything else,
/// including `:` (which would otherwise make `javascript:x` a scheme), `?`, `#` and `%`, is encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A link from the manifest (at the batch root) to `file`, which is `/`-separated and relative.
fn relative_href(file: &str) -> String {
    let segments: Vec<String> = file
        .split('/')
        .filter(|part| !part.is_empty())
        .map(|part| utf8_percent_encode(part, SEGMENT).to_string())
        .collect();
    format!("./{}", segments.join("/"))
}

/// One CSV cell: guarded against formula injection, then quoted per RFC 4180 when it needs to be.
fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// A byte count for people: `999 B`, `1.5 kB`, `12.3 MB`, ... (SI units).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

fn retrieved(state: ItemState) -> bool {
    matches!(state, ItemState::Done | ItemState::Skipped)
}

fn item_state_label(state: ItemState) -> &'static str {
    match state {
        ItemState::Queued => "Queued",
        ItemState::Running => "Running",
        ItemState::Retrying => "Retrying",
        ItemState::Paused => "Paused",
        ItemState::Done => "Done",
        ItemState::Skipped => "Already present",
        ItemState::Failed => "Failed",
        ItemState::Cancelled => "Cancelled",
    }
}

fn batch_state_label(state: BatchState) -> &'static str {
    match state {
        BatchState::Running => "running",
        BatchState::Paused => "paused",
        BatchState::PausedDiskFull => "paused: the disk is full",
        BatchState::Done => "done",
        BatchState::DoneWithErrors => "done, with errors",
        BatchState::Cancelled => "cancelled",
    }
}

fn path_lossy<S: serde::Serializer>(
    path: &Path,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}

const STYLE: &str = "<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; }
dl.about { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.about dt { font-weight: 600; } dl.about dd { margin: 0; word-break: break-all; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; position: sticky; top: 0; }
td.uri, td.file, td.digest code { word-break: break-all; }
td.size { white-space: nowrap; text-align: right; }
tr.failed { background: #fde2e2; } tr.failed td.status { color: #a00; font-weight: 600; }
tr.other { color: #666; }
p.foot { color: #666; font-size: 0.9em; }
</style>
";

#[cfg(test)]
mod tests {
    use super::*;

    fn header(root: &Path) -> ManifestHeader {
        ManifestHeader {
            batch_name: "cutout 42".to_string(),
            root: root.to_path_buf(),
            archive: "DESaccess".to_string(),
            source: "https://des.example.org/files-desaccess/alice/cutout/42/".to_string(),
            created: "2025-01-02T03:04:05Z".to_string(),
            finished: Some("2025-01-02T03:05:00Z".to_string()),
            state: BatchState::DoneWithErrors,
        }
    }

    fn entry(file: &str, state: ItemState) -> ManifestEntry {
        ManifestEntry {
            uri: format!("https://e.org/files/{file}"),
            file: file.to_string(),
            size: Some(1234),
            digest: None,
            state,
            message: None,
        }
    }

    // ---- redact_url ----

    #[test]
    fn clean_urls_come_back_byte_for_byte() {
        for raw in [
            "https://des.example.org/files-desaccess/alice/cutout/42/DES0226-1541/x_r.fits",
            "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/x.fits&bundle_name=b",
            "https://example.org/a%20b/c?expires=1700000000&X-Amz-Date=20250101T000000Z",
            "HTTPS://Example.ORG/Mixed/Case?keyword=1",
            "https://example.org/p?a=1&&b=&c",
            "mast:HST/product/ib1f01a4q_flt.fits",
            "s3://stpubdata/hst/public/x.fits",
            "https://example.org/?token=",
        ] {
            assert_eq!(redact_url(raw), raw, "{raw}");
        }
    }

    #[test]
    fn non_urls_pass_unchanged() {
        for raw in [
            "",
            "not a url",
            "DES0226-1541/x.fits",
            "C:\\data\\x.fits",
            "::::",
            "token=abc",
        ] {
            assert_eq!(redact_url(raw), raw);
        }
    }

    #[test]
    fn userinfo_is_removed() {
        assert_eq!(
            redact_url("https://alice:hunter2@example.org/x"),
            "https://example.org/x"
        );
        assert_eq!(
            redact_url("https://alice@example.org/x"),
            "https://example.org/x"
        );
        assert_eq!(
            redact_url("https://:hunter2@example.org:8443/x"),
            "https://example.org:8443/x"
        );
        assert_eq!(
            redact_url("ftp://u:p@ftp.example.org/pub/f"),
            "ftp://ftp.example.org/pub/f"
        );
        let out = redact_url("https://a%40b:p%3Aw@example.org/x?token=abc");
        assert!(
            !out.contains("hunter") && !out.contains("p%3Aw") && !out.contains("abc"),
            "{out}"
        );
    }

    #[test]
    fn secret_parameters_are_redacted_and_others_kept() {
        let raw = "https://bucket.s3.amazonaws.com/k/x.tar?X-Amz-Algorithm=AWS4-HMAC-SHA256\
                   &X-Amz-Credential=AKIAEXAMPLE%2F20250101%2Fus-east-1%2Fs3%2Faws4_request\
                   &X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host\
                   &X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE&X-Amz-Signature=deadbeef";
        let out = redact_url(raw);
        assert_eq!(
            out,
            "https://bucket.s3.amazonaws.com/k/x.tar?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=REDACTED&X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600\
             &X-Amz-SignedHeaders=host&X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED"
        );
    }

    #[test]
    fn every_listed_name_is_redacted_in_any_case() {
        for name in [
            "token",
            "access_token",
            "signature",
            "sig",
            "x-amz-signature",
            "x-amz-credential",
            "x-amz-security-token",
            "key",
            "apikey",
            "api_key",
            "password",
            "auth",
            "authorization",
            "TOKEN",
            "Access_Token",
            "Signature",
            "SIG",
            "Key",
            "ApiKey",
            "PASSWORD",
            "Authorization",
            "refresh_token",
            "client_secret",
            "X-Goog-Signature",
            "X-Goog-Credential",
            "mast_token",
        ] {
            let raw = format!("https://example.org/f?a=1&{name}=s3cr3t&b=2");
            let out = redact_url(&raw);
            assert_eq!(
                out,
                format!("https://example.org/f?a=1&{name}=REDACTED&b=2"),
                "{name}"
            );
        }
    }

    #[test]
    fn harmless_parameters_stay() {
        for name in [
            "expires",
            "Expires",
            "X-Amz-Expires",
            "uri",
            "bundle_name",
            "keyword",
            "monkey",
            "page",
            "id",
        ] {
            let raw = format!("https://example.org/f?{name}=v");
            assert_eq!(redact_url(&raw), raw, "{name}");
        }
    }

    #[test]
    fn encoded_and_odd_parameter_forms_are_caught() {
        // Percent-encoded name, a `+` in the name, `;` separators, repeated names, a fragment token.
        assert_eq!(
            redact_url("https://e.org/f?%74oken=abc"),
            "https://e.org/f?%74oken=REDACTED"
        );
        assert_eq!(
            redact_url("https://e.org/f?api+key=abc&x=1"),
            "https://e.org/f?api+key=abc&x=1"
        );
        assert_eq!(
            redact_url("https://e.org/f?a=1;token=abc"),
            "https://e.org/f?a=1;token=REDACTED"
        );
        assert_eq!(
            redact_url("https://e.org/f?token=a&token=b"),
            "https://e.org/f?token=REDACTED&token=REDACTED"
        );
        assert_eq!(
            redact_url("https://e.org/cb#access_token=abc&state=xyz"),
            "https://e.org/cb#access_token=REDACTED&state=xyz"
        );
        // A value that itself holds `=` is replaced whole.
        assert_eq!(
            redact_url("https://e.org/f?sig=a=b==&x=1"),
            "https://e.org/f?sig=REDACTED&x=1"
        );
    }

    #[test]
    fn redaction_is_idempotent_and_never_leaks() {
        let raw =
            "https://u:pw@e.org/f?Signature=SECRETSIG&Key-Pair-Id=K1&Policy=p&token=SECRETTOK";
        let once = redact_url(raw);
        assert_eq!(redact_url(&once), once);
        for secret in ["pw", "SECRETSIG", "SECRETTOK", "u:"] {
            assert!(!once.contains(secret), "{secret} in {once}");
        }
        assert!(once.contains("Key-Pair-Id=K1") && once.contains("Policy=p"));
    }

    #[test]
    fn relative_references_still_lose_their_secrets() {
        assert_eq!(
            redact_url("/files/x.fits?token=abc&a=1"),
            "/files/x.fits?token=REDACTED&a=1"
        );
        assert_eq!(redact_url("//u:p@host/x"), "//host/x");
    }

    #[test]
    fn messages_are_redacted_word_by_word() {
        let message =
            "Could not fetch https://e.org/x?token=abc (HTTP 403); also 'https://u:p@e.org/y'.";
        let out = redact_text(message);
        assert_eq!(
            out,
            "Could not fetch https://e.org/x?token=REDACTED (HTTP 403); also 'https://e.org/y'."
        );
        assert_eq!(redact_text("plain text, no urls"), "plain text, no urls");
    }

    // ---- CSV ----

    #[test]
    fn csv_cells_are_quoted_per_rfc_4180() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell(""), "");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("cr\rhere"), "\"cr\rhere\"");
    }

    #[test]
    fn csv_cells_are_guarded_against_formulas() {
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://evil\")"),
            "\"'=HYPERLINK(\"\"http://evil\"\")\""
        );
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2+3"), "'-2+3");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("a=b"), "a=b");
    }

    #[test]
    fn csv_has_astroquerys_columns_and_statuses() {
        let dir = tempfile::tempdir().unwrap();
        let mut failed = entry("b,\"c\".fits", ItemState::Failed);
        failed.uri = "https://e.org/b?token=abc".to_string();
        failed.message = Some("HTTP 404".to_string());
        let mut hostile = entry("=cmd|' /C calc'!A0", ItemState::Failed);
        hostile.message = Some("-bad".to_string());
        let entries = vec![
            entry("a/x.fits", ItemState::Done),
            entry("a/y.fits", ItemState::Skipped),
            failed,
            entry("c.fits", ItemState::Cancelled),
            entry("d.fits", ItemState::Queued),
            hostile,
        ];
        let csv = Manifest::new(&header(dir.path()), &entries).to_csv();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        let root = dir.path().display().to_string();
        assert_eq!(lines[0], "Local Path,Status,Message,URL");
        assert_eq!(lines[1], format!("{root}/a/x.fits,COMPLETE,,"));
        assert_eq!(lines[2], format!("{root}/a/y.fits,COMPLETE,,"));
        assert_eq!(
            lines[3],
            format!("\"{root}/b,\"\"c\"\".fits\",ERROR,HTTP 404,https://e.org/b?token=REDACTED")
        );
        assert_eq!(
            lines[4],
            format!("{root}/c.fits,SKIPPED,Cancelled,https://e.org/files/c.fits")
        );
        assert_eq!(
            lines[5],
            format!("{root}/d.fits,SKIPPED,Not downloaded yet (queued),https://e.org/files/d.fits")
        );
        assert_eq!(
            lines[6],
            format!("{root}/=cmd|' /C calc'!A0,ERROR,'-bad,https://e.org/files/=cmd|' /C calc'!A0")
        );
        assert_eq!(lines[7], "");
        assert_eq!(lines.len(), 8);
        assert!(!csv.contains("abc"));
    }

    #[test]
    fn csv_parses_back_with_pythons_csv_module() {
        // An independent RFC 4180 reader, when one is at hand.
        let Ok(probe) = std::process::Command::new("python3")
            .arg("-c")
            .arg("import csv")
            .status()
        else {
            return;
        };
        if !probe.success() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut odd = entry("q\"u,o\nte's.fits", ItemState::Failed);
        odd.message = Some("line one\r\nline \"two\", three".to_string());
        let csv = Manifest::new(&header(dir.path()), &[odd.clone()]).to_csv();
        let path = dir.path().join("m.csv");
        fs::write(&path, &csv).unwrap();
        let script = "import csv,json,sys\nwith open(sys.argv[1], newline='') as f: print(json.dumps(list(csv.reader(f))))";
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], ["Local Path", "Status", "Message", "URL"]);
        assert_eq!(rows[1][0], dir.path().join(&odd.file).to_string_lossy());
        assert_eq!(rows[1][1], "ERROR");
        assert_eq!(rows[1][2], "line one\r\nline \"two\", three");
        assert_eq!(rows[1][3], odd.uri);
    }

    // ---- HTML ----

    #[test]
    fn html_escapes_everything_a_server_sent() {
        let dir = tempfile::tempdir().unwrap();
        let mut head = header(dir.path());
        head.batch_name = "<b>batch</b>".to_string();
        head.source = "https://e.org/?a=<x>&token=abc".to_string();
        let mut bad = entry("<script>alert(1)</script>.fits", ItemState::Done);
        bad.uri = "https://e.org/\"><script>alert(2)</script>".to_string();
        let mut failed = entry("dir/it's \"x\" & y.fits", ItemState::Failed);
        failed.message = Some("<img src=x onerror=alert(3)>".to_string());
        failed.digest = Some(Digest::Sha256("<i>".to_string()));
        let page = Manifest::new(&head, &[bad, failed]).to_html();
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<b>batch"), "{page}");
        assert!(!page.contains("abc"), "{page}");
        assert!(!page.contains("<i>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;.fits"));
        assert!(page.contains("dir/it&#39;s &quot;x&quot; &amp; y.fits"));
        assert!(page.contains("Content-Security-Policy"));
        // Only the retrieved file is linked, through an encoded relative href.
        assert!(page.contains("<a href=\"./%3Cscript%3Ealert%281%29%3C/script%3E.fits\">"));
        assert_eq!(page.matches("<a href").count(), 1);
    }

    #[test]
    fn html_summarises_and_marks_failures() {
        let dir = tempfile::tempdir().unwrap();
        let mut big = entry("big.fits", ItemState::Done);
        big.size = Some(2_500_000);
        big.digest = Some(Digest::Sha256("ab".repeat(32)));
        let mut failed = entry("f.fits", ItemState::Failed);
        failed.message = Some("HTTP 404".to_string());
        let page = Manifest::new(
            &header(dir.path()),
            &[big, failed, entry("c.fits", ItemState::Cancelled)],
        )
        .to_html();
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<title>Manifest of cutout 42</title>"));
        assert!(page.contains("Requested <b>3</b> · retrieved <b>1</b> (2.5 MB) · failed <b>1</b> · cancelled <b>1</b>"));
        assert!(page.contains(
            "<th>URI</th><th>File</th><th>Size</th><th>Digest</th><th>Status</th><th>Message</th>"
        ));
        assert!(page.contains("<tr class=\"failed\">"));
        assert!(page.contains("<tr class=\"other\">"));
        assert!(page.contains("title=\"2500000 bytes\">2.5 MB<"));
        assert!(page.contains(&format!("SHA-256 <code>{}</code>", "ab".repeat(32))));
        assert!(page.contains("<a href=\"./big.fits\">big.fits</a>"));
    }

    #[test]
    fn links_cannot_become_schemes_or_queries() {
        assert_eq!(
            relative_href("javascript:alert(1)"),
            "./javascript%3Aalert%281%29"
        );
        assert_eq!(
            relative_href("a b/c#d?e%f.fits"),
            "./a%20b/c%23d%3Fe%25f.fits"
        );
        assert_eq!(
            relative_href("DES0226-1541/x_r.fits"),
            "./DES0226-1541/x_r.fits"
        );
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1000), "1.0 kB");
        assert_eq!(human_size(1_234_567), "1.2 MB");
        assert_eq!(human_size(999_999), "1.0 MB");
        assert_eq!(human_size(5_000_000_000_000), "5.0 TB");
        assert_eq!(human_size(u64::MAX), "18.4 EB");
    }

    // ---- files ----

    #[test]
    fn writes_three_files_atomically_and_json_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("42");
        let mut done = entry("DES0226-1541/x_r.fits", ItemState::Done);
        done.digest = Some(Digest::Sha256("0".repeat(64)));
        let mut adler = entry("y.nc", ItemState::Skipped);
        adler.digest = Some(Digest::Adler32("0x1a2b3c".to_string()));
        adler.size = None;
        let mut failed = entry("z.fits", ItemState::Failed);
        failed.uri = "https://alice:pw@e.org/z.fits?sig=abc&expires=9".to_string();
        failed.message = Some("Network error talking to https://e.org/z.fits?sig=abc".to_string());
        let entries = vec![done, adler, failed];
        let paths = write_manifests(&header(&root), &entries).unwrap();
        assert_eq!(paths.json, root.join("MANIFEST.json"));
        assert_eq!(paths.html, root.join("MANIFEST.html"));
        assert_eq!(paths.csv, root.join("manifest.csv"));
        let mut names: Vec<String> = fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["MANIFEST.html", "MANIFEST.json", "manifest.csv"]);

        let back = Manifest::read(&paths.json).unwrap();
        assert_eq!(back, Manifest::new(&header(&root), &entries));
        assert_eq!(back.format, FORMAT);
        assert_eq!(
            back.totals,
            ManifestTotals {
                requested: 3,
                retrieved: 2,
                failed: 1,
                cancelled: 0,
                pending: 0,
                bytes: 1234
            }
        );
        assert_eq!(
            back.entries[2].uri,
            "https://e.org/z.fits?sig=REDACTED&expires=9"
        );

        for path in [&paths.json, &paths.html, &paths.csv] {
            let text = fs::read_to_string(path).unwrap();
            assert!(
                !text.contains("pw@") && !text.contains("sig=abc"),
                "{}",
                path.display()
            );
        }
        // Field names are part of the format.
        let json: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&paths.json).unwrap()).unwrap();
        assert_eq!(json["format"], FORMAT);
        assert_eq!(json["batch"]["batchName"], "cutout 42");
        assert_eq!(json["batch"]["state"], "doneWithErrors");
        assert_eq!(json["totals"]["retrieved"], 2);
        assert_eq!(json["entries"][0]["digest"]["algorithm"], "sha256");
        assert_eq!(json["entries"][1]["state"], "skipped");
        assert_eq!(json["entries"][1]["size"], serde_json::Value::Null);

        // Writing again replaces the files, still without leftovers.
        write_manifests(&header(&root), &entries[..1]).unwrap();
        assert_eq!(Manifest::read(&paths.json).unwrap().totals.requested, 1);
        assert_eq!(fs::read_dir(&root).unwrap().count(), 3);
    }

    #[test]
    fn a_downloaded_file_with_a_manifest_name_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        fs::write(root.join("MANIFEST.HTML"), "the archive's own").unwrap();
        let entries = vec![
            entry("MANIFEST.HTML", ItemState::Done),
            entry("manifest.csv/inner", ItemState::Done),
        ];
        let paths = write_manifests(&header(&root), &entries).unwrap();
        assert_eq!(paths.html, root.join("jobfetch-MANIFEST.html"));
        assert_eq!(paths.json, root.join("jobfetch-MANIFEST.json"));
        assert_eq!(paths.csv, root.join("jobfetch-manifest.csv"));
        assert_eq!(
            fs::read_to_string(root.join("MANIFEST.HTML")).unwrap(),
            "the archive's own"
        );

        let taken = vec![
            entry("MANIFEST.json", ItemState::Done),
            entry("jobfetch-manifest.csv", ItemState::Done),
        ];
        assert_eq!(manifest_names(&taken)[0], "jobfetch2-MANIFEST.json");
    }

    #[test]
    fn a_failed_write_names_the_file_and_leaves_no_part() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("r");
        fs::create_dir_all(root.join("MANIFEST.json")).unwrap(); // a folder where the file must go
        let err = write_manifests(&header(&root), &[]).unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::Disk);
        assert!(err.message.contains("MANIFEST.json"), "{}", err.message);
        assert!(!root.join("MANIFEST.json.part").exists());
    }

    #[test]
    fn an_empty_batch_still_gets_a_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let paths = write_manifests(&header(dir.path()), &[]).unwrap();
        assert_eq!(
            fs::read_to_string(&paths.csv).unwrap(),
            "Local Path,Status,Message,URL\r\n"
        );
        assert_eq!(
            Manifest::read(&paths.json).unwrap().totals,
            ManifestTotals::default()
        );
    }
}
