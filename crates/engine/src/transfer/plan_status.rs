//! A plan's progress from its shards' manifests, combined into one manifest of the whole plan: how
//! far each shard got, and which files are still missing, whichever shard fetched the others.
//!
//! Shards rewrite their manifests every few seconds while they run, so this reads only files, and
//! works from any machine that shares the plan's folder. A plan split again into a different number
//! of shards keeps what the earlier split fetched: a file counts as there when any shard fetched it.

use std::collections::HashMap;
use std::time::SystemTime;

use super::claim::is_shard_taken;
use super::manifest::{write_manifests_in, Manifest, ManifestEntry, ManifestHeader, ManifestPaths};
use super::model::{BatchState, ItemState};
use super::plan_file::PlanFile;
use super::shard::Shard;
use crate::error::{Error, Result};

/// The name of the manifest each shard keeps in its folder.
const SHARD_MANIFEST: &str = "MANIFEST.json";

/// Where a shard is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardState {
    /// It has not written a manifest yet.
    NotStarted,
    /// A process is fetching it now.
    Running,
    /// Its manifest says it was running, and no process holds it: it was killed or its node failed.
    Interrupted,
    /// It stopped by itself, as its manifest says.
    Stopped(BatchState),
}

impl ShardState {
    pub fn label(self) -> &'static str {
        match self {
            ShardState::NotStarted => "Not started",
            ShardState::Running => "Downloading",
            ShardState::Interrupted => "Interrupted",
            ShardState::Stopped(state) => state.label(),
        }
    }
}

/// One shard's progress, from its manifest as last written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardProgress {
    pub shard: Shard,
    pub state: ShardState,
    /// The shard's files and their known bytes.
    pub files: u64,
    pub bytes: u64,
    /// Fetched or found whole, and their known bytes.
    pub retrieved: u64,
    pub bytes_retrieved: u64,
    pub failed: u64,
}

/// The whole plan's progress.
#[derive(Debug, Clone)]
pub struct PlanProgress {
    /// The shards of the latest split (those not started too), then any of earlier splits.
    pub shards: Vec<ShardProgress>,
    /// One entry per file of the plan, in path order.
    pub manifest: Manifest,
}

impl PlanProgress {
    /// The files not fetched yet (failed ones included), in path order.
    pub fn missing(&self) -> impl Iterator<Item = &ManifestEntry> {
        self.manifest
            .entries
            .iter()
            .filter(|e| !is_retrieved(e.state))
    }

    /// Writes the combined manifest (JSON, HTML, CSV) into the plan's state folder.
    pub fn write(&self, plan: &PlanFile) -> Result<ManifestPaths> {
        write_manifests_in(
            &plan.state_dir(),
            &self.manifest.batch,
            &self.manifest.entries,
        )
    }
}

/// A shard's manifest as found on disk.
struct Found {
    shard: Shard,
    manifest: Manifest,
    written: SystemTime,
}

impl PlanFile {
    /// Reads the shards' manifests and combines them.
    pub fn progress(&self) -> Result<PlanProgress> {
        let mut found = self.found_manifests()?;
        // The latest split is the one whose shard wrote last; its entries win over earlier splits'.
        found.sort_by_key(|f| f.written);
        let latest = found.last().map(|f| f.shard.count);
        let mut best: HashMap<&str, &ManifestEntry> = HashMap::new();
        for entry in found.iter().flat_map(|f| &f.manifest.entries) {
            let better = best
                .get(entry.file.as_str())
                .is_none_or(|known| !is_retrieved(known.state) || is_retrieved(entry.state));
            if better {
                best.insert(entry.file.as_str(), entry);
            }
        }
        let entries: Vec<ManifestEntry> = self
            .items
            .iter()
            .map(|item| match best.get(item.dest.as_str()) {
                Some(entry) => ManifestEntry {
                    uri: item.source.address(),
                    size: item.size,
                    digest: item.digest.clone(),
                    ..(*entry).clone()
                },
                None => ManifestEntry {
                    uri: item.source.address(),
                    file: item.dest.clone(),
                    size: item.size,
                    digest: item.digest.clone(),
                    state: ItemState::Queued,
                    message: None,
                },
            })
            .collect();
        let mut shards = Vec::new();
        if let Some(count) = latest {
            for index in 0..count {
                let shard = Shard { index, count };
                let manifest = found.iter().find(|f| f.shard == shard).map(|f| &f.manifest);
                shards.push(self.shard_progress(shard, manifest)?);
            }
        }
        let mut earlier: Vec<&Found> = found
            .iter()
            .filter(|f| Some(f.shard.count) != latest)
            .collect();
        earlier.sort_by_key(|f| (f.shard.count, f.shard.index));
        for f in earlier {
            shards.push(self.shard_progress(f.shard, Some(&f.manifest))?);
        }
        let state = plan_state(&entries, &shards);
        let header = ManifestHeader {
            batch_name: self
                .sources
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            root: self.out.clone(),
            archive: self.sources[0].origin.provider.to_string(),
            origin: Some(self.sources[0].origin.clone()),
            source: format!("plan {}", self.id()),
            created: self.created.clone(),
            finished: None,
            state,
        };
        Ok(PlanProgress {
            shards,
            manifest: Manifest::new(&header, &entries),
        })
    }

    /// The manifests in the plan's shard folders; folders with none are left out.
    fn found_manifests(&self) -> Result<Vec<Found>> {
        let dir = self.shards_dir();
        let listing = match std::fs::read_dir(&dir) {
            Ok(listing) => listing,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(Error::disk("list", &dir, err)),
        };
        let mut found = Vec::new();
        for entry in listing {
            let entry = entry.map_err(|err| Error::disk("list", &dir, err))?;
            let Some(shard) = shard_of_folder(&entry.file_name().to_string_lossy()) else {
                continue;
            };
            let path = entry.path().join(SHARD_MANIFEST);
            let Ok(written) = std::fs::metadata(&path).and_then(|m| m.modified()) else {
                continue;
            };
            found.push(Found {
                shard,
                manifest: Manifest::read(&path)?,
                written,
            });
        }
        Ok(found)
    }

    fn shard_progress(&self, shard: Shard, manifest: Option<&Manifest>) -> Result<ShardProgress> {
        let items = self.shard_items(shard);
        let retrieved: HashMap<&str, bool> = manifest
            .map(|m| {
                m.entries
                    .iter()
                    .map(|e| (e.file.as_str(), is_retrieved(e.state)))
                    .collect()
            })
            .unwrap_or_default();
        let running = is_shard_taken(&self.shard_dir(shard))?;
        let state = match manifest {
            _ if running => ShardState::Running,
            None => ShardState::NotStarted,
            Some(m) if m.batch.state == BatchState::Running => ShardState::Interrupted,
            Some(m) => ShardState::Stopped(m.batch.state),
        };
        let got = |dest: &str| retrieved.get(dest).copied().unwrap_or(false);
        Ok(ShardProgress {
            shard,
            state,
            files: items.len() as u64,
            bytes: items.iter().filter_map(|i| i.size).sum(),
            retrieved: items.iter().filter(|i| got(&i.dest)).count() as u64,
            bytes_retrieved: items
                .iter()
                .filter(|i| got(&i.dest))
                .filter_map(|i| i.size)
                .sum(),
            failed: manifest.map_or(0, |m| m.totals.failed),
        })
    }
}

/// `2-of-8` → shard 2/8.
fn shard_of_folder(name: &str) -> Option<Shard> {
    let (index, count) = name.split_once("-of-")?;
    Shard::new(index.parse().ok()?, count.parse().ok()?).ok()
}

fn is_retrieved(state: ItemState) -> bool {
    matches!(state, ItemState::Done | ItemState::Skipped)
}

/// The plan's state as one batch's: done when nothing is missing, downloading while a shard runs.
fn plan_state(entries: &[ManifestEntry], shards: &[ShardProgress]) -> BatchState {
    if entries.iter().all(|e| is_retrieved(e.state)) {
        BatchState::Done
    } else if shards.iter().any(|s| s.state == ShardState::Running) {
        BatchState::Running
    } else if entries.iter().any(|e| e.state == ItemState::Failed) {
        BatchState::DoneWithErrors
    } else {
        BatchState::Paused
    }
}
