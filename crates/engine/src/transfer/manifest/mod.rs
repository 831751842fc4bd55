//! The record a batch leaves beside its files: `MANIFEST.json` for programs, `MANIFEST.html` for people
//! (requested against retrieved, like the manifest MAST's curl scripts write, with sizes, digests and
//! reasons), and `manifest.csv` with astroquery's `download_products` columns for existing pipelines.
//!
//! No secret ever appears in a manifest: every URI goes through [`redact_url`], and every message
//! through [`redact_text`], before it is written. Each file is written to `<name>.part`, synced and
//! renamed, so a reader never sees half a manifest.

mod csv;
mod html;
mod redact;
#[cfg(test)]
mod tests;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::{BatchOrigin, BatchState, Digest, ItemState};
use super::part_file::part_path;
use crate::error::{Error, Result};

pub use redact::{redact_text, redact_url, REDACTED};

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
    /// The archive: its provider id, e.g. `desaccess` (`DESaccess` in batches from releases before
    /// origins were kept).
    pub archive: String,
    /// Which archive, account and job the batch came from, and whether it is the whole job;
    /// `null` for batches from releases before origins were kept.
    #[serde(default)]
    pub origin: Option<BatchOrigin>,
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

/// The file names, used as they are when no entry of the batch already has one of them.
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
    write_manifests_named(&header.root, manifest_names(entries), header, entries)
}

/// Writes the three manifests under their usual names into `dir`, a folder that holds none of the
/// batch's files (a shard's own folder, say), each atomically.
pub fn write_manifests_in(
    dir: &Path,
    header: &ManifestHeader,
    entries: &[ManifestEntry],
) -> Result<ManifestPaths> {
    write_manifests_named(dir, NAMES.map(String::from), header, entries)
}

fn write_manifests_named(
    dir: &Path,
    [json, html, csv]: [String; 3],
    header: &ManifestHeader,
    entries: &[ManifestEntry],
) -> Result<ManifestPaths> {
    let manifest = Manifest::new(header, entries);
    fs::create_dir_all(dir).map_err(|err| Error::disk("create the folder", dir, err))?;
    let paths = ManifestPaths {
        json: dir.join(json),
        html: dir.join(html),
        csv: dir.join(csv),
    };
    const WRITE: &str = "write the manifest";
    write_atomic(&paths.json, manifest.to_json().as_bytes(), WRITE)?;
    write_atomic(&paths.html, manifest.to_html().as_bytes(), WRITE)?;
    write_atomic(&paths.csv, manifest.to_csv().as_bytes(), WRITE)?;
    let _ = sync_dir(dir);
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
            let part = part_path(Path::new(&name));
            taken.contains(&name) || taken.contains(part.to_string_lossy().as_ref())
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

/// Writes `bytes` to `<path>.part`, syncs it and renames it to `path`; on failure the `.part` is removed
/// and the error says it could not `action` (e.g. "write the manifest").
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], action: &str) -> Result<()> {
    let part = part_path(path);
    let attempt = || -> std::io::Result<()> {
        let mut file = fs::File::create(&part)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&part, path)
    };
    attempt().map_err(|err| {
        let _ = fs::remove_file(&part);
        Error::disk(action, path, err)
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

fn path_lossy<S: serde::Serializer>(
    path: &Path,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}
