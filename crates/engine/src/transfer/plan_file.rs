//! Plan files: what one or more batches would fetch (each file's source, path, size and digest), saved
//! as versioned JSON before anything is downloaded, so that the files can be fetched later, on other
//! machines, or in [shards](super::shard) running side by side into the same folder.
//!
//! A plan holds no secret: items name the account whose credentials they need (`provider:user@server`)
//! and the run signs that account in as any download does. A plan read from disk is checked as hostile
//! input: every path must stay inside the plan's folder, no two items may share a path, and every URL
//! must be plain http(s) with no secret in it.
//!
//! Each plan keeps its shards' state in `<out>/.jobfetch/plans/<plan id>/shards/<i>-of-<N>/` (a queue
//! and a manifest per shard), where every node that shares the file system sees it.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::manifest::{redact_url, write_atomic};
use super::model::{AuthPolicy, BatchOrigin, ItemSpec, OriginScope, Source};
use super::plan::{NewBatch, Plan, PlanStep};
use super::shard::{self, Shard, Weighed};
use crate::catalog::now_iso;
use crate::error::{Error, Result};
use crate::ids::AccountId;
use crate::paths::SafeRelPath;

/// The version of the plan file layout; bumped only when a field changes meaning or goes away.
pub const FORMAT: &str = "jobfetch-plan/1";

/// The folder at the top of a plan's `out` where Jobfetch keeps the plan's state; no item may be in it.
pub const STATE_FOLDER: &str = ".jobfetch";

/// A saved plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanFile {
    /// Always [`FORMAT`] for files this version writes.
    pub format: String,
    /// ISO 8601.
    pub created: String,
    /// The folder every item goes below: absolute.
    pub out: PathBuf,
    /// What was asked for, one entry per job or folder.
    pub sources: Vec<PlanSource>,
    /// The accounts whose credentials some items need (ids only: secrets stay in the keyring).
    pub accounts: Vec<AccountId>,
    /// The files, `dest` relative to `out`, in path order.
    pub items: Vec<ItemSpec>,
}

/// One job or folder of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanSource {
    /// As given: a job id or a folder's URL (with any secret in it redacted).
    pub source: String,
    /// The batch's name, e.g. the job's.
    pub name: String,
    /// The folder below `out` its files go to, `/`-separated.
    pub folder: String,
    /// The archive, account and job it comes from.
    pub origin: BatchOrigin,
}

/// Something a source's listing could not list or use, kept out of the plan.
#[derive(Debug)]
pub struct ListingProblem {
    /// The output path it concerns; empty for the source as a whole.
    pub place: String,
    pub error: Error,
}

impl PlanFile {
    /// An empty plan into `out` (made absolute).
    pub fn new(out: &Path) -> Result<PlanFile> {
        let out = std::path::absolute(out).map_err(|err| Error::disk("find", out, err))?;
        Ok(PlanFile {
            format: FORMAT.to_string(),
            created: now_iso(),
            out,
            sources: Vec::new(),
            accounts: Vec::new(),
            items: Vec::new(),
        })
    }

    /// Lists the batch `new` would fetch through `plan` into this plan, without downloading; returns what
    /// could not be listed. `source` is what the user named. An error when the batch's folder is not
    /// below the plan's `out`, or when an item cannot be kept in a plan.
    pub async fn add(
        &mut self,
        source: &str,
        new: &NewBatch,
        mut plan: Plan,
    ) -> Result<Vec<ListingProblem>> {
        let folder = new
            .root
            .strip_prefix(&self.out)
            .ok()
            .and_then(|rel| rel.to_str())
            .map(|rel| rel.replace(std::path::MAIN_SEPARATOR, "/"))
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "{source} downloads into {}, which is not below the plan's folder {}.",
                    new.root.display(),
                    self.out.display()
                ))
            })?;
        let mut problems = Vec::new();
        while let Some(step) = plan.next().await {
            match step {
                PlanStep::Folder { items, .. } => {
                    for item in items {
                        let dest = match folder.is_empty() {
                            true => item.dest.clone(),
                            false => format!("{folder}/{}", item.dest),
                        };
                        self.items.push(ItemSpec { dest, ..item });
                    }
                }
                PlanStep::Problem { place, error } => {
                    problems.push(ListingProblem { place, error })
                }
            }
        }
        self.sources.push(PlanSource {
            source: redact_url(source),
            name: new.name.clone(),
            folder,
            origin: new.origin.clone(),
        });
        self.items.sort_by(|a, b| a.dest.cmp(&b.dest));
        self.accounts = needed_accounts(&self.items);
        self.check()?;
        Ok(problems)
    }

    /// Reads and checks a plan file.
    pub fn read(path: &Path) -> Result<PlanFile> {
        let text =
            std::fs::read_to_string(path).map_err(|err| Error::disk("read the plan", path, err))?;
        let not_a_plan = |why: String| {
            Error::invalid_input(format!(
                "{} is not a Jobfetch plan ({why}). Make one with `jobfetch plan <job or folder URL> --out DIR --save {}`.",
                path.display(),
                path.display()
            ))
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|err| not_a_plan(err.to_string()))?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) if other.starts_with("jobfetch-plan/") => {
                return Err(Error::invalid_input(format!(
                    "{} is a plan of format {other}, which this Jobfetch does not read (it reads {FORMAT}). \
                     Update Jobfetch, or make the plan again with this one.",
                    path.display()
                )))
            }
            _ => return Err(not_a_plan(format!("its format is not {FORMAT:?}"))),
        }
        let plan: PlanFile =
            serde_json::from_value(value).map_err(|err| not_a_plan(err.to_string()))?;
        plan.check().map_err(|err| {
            Error::invalid_input(format!(
                "The plan {} was refused: {} Nothing was fetched; make the plan again with `jobfetch plan`.",
                path.display(),
                err.message
            ))
        })?;
        Ok(plan)
    }

    /// Writes the plan to `path` atomically (a reader never sees half a plan).
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("a plan always serializes") + "\n";
        write_atomic(path, text.as_bytes(), "write the plan")
    }

    /// Checks what a hand-edited or hostile plan could get wrong.
    fn check(&self) -> Result<()> {
        if !self.out.is_absolute() {
            return Err(Error::invalid_input(format!(
                "its folder {} is not an absolute path.",
                self.out.display()
            )));
        }
        if self.sources.is_empty() {
            return Err(Error::invalid_input("it names no job or folder."));
        }
        let mut seen = HashSet::new();
        for item in &self.items {
            check_item(item)?;
            if !seen.insert(item.dest.as_str()) {
                return Err(Error::invalid_input(format!(
                    "two of its files go to the same place, {}.",
                    item.dest
                )));
            }
        }
        let listed: BTreeSet<&AccountId> = self.accounts.iter().collect();
        if let Some(unlisted) = needed_accounts(&self.items)
            .iter()
            .find(|account| !listed.contains(account))
        {
            return Err(Error::invalid_input(format!(
                "some of its files need the account {unlisted}, which its accounts list leaves out."
            )));
        }
        Ok(())
    }

    /// What identifies the plan: a digest of its folder and files, the same on every machine.
    pub fn id(&self) -> String {
        let mut hash = Sha256::new();
        hash.update(self.out.as_os_str().as_encoded_bytes());
        hash.update([0]);
        hash.update(serde_json::to_vec(&self.items).expect("items serialize"));
        hash.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Where the plan's state (its shards' queues and manifests, the combined manifest) is kept.
    pub fn state_dir(&self) -> PathBuf {
        self.out.join(STATE_FOLDER).join("plans").join(self.id())
    }

    /// Where the shards' own folders are kept.
    pub fn shards_dir(&self) -> PathBuf {
        self.state_dir().join("shards")
    }

    /// Shard `shard`'s own folder: its queue and manifest, held by the one process fetching it.
    pub fn shard_dir(&self, shard: Shard) -> PathBuf {
        self.shards_dir().join(shard.folder_name())
    }

    /// The files of shard `shard`, in path order (see [`shard::split`]).
    pub fn shard_items(&self, shard: Shard) -> Vec<ItemSpec> {
        let weighed: Vec<Weighed<'_>> = self
            .items
            .iter()
            .map(|item| Weighed {
                path: &item.dest,
                size: item.size,
            })
            .collect();
        shard::select(&weighed, shard)
            .into_iter()
            .map(|i| self.items[i].clone())
            .collect()
    }

    /// The batch that fetches shard `shard` into the plan's folder, and its files; running it again
    /// continues the same batch.
    pub fn shard_batch(&self, shard: Shard) -> (NewBatch, Vec<ItemSpec>) {
        let names: Vec<&str> = self.sources.iter().map(|s| s.name.as_str()).collect();
        let mut origin = self.sources[0].origin.clone();
        if shard.count > 1 || self.sources.len() > 1 {
            origin.scope = OriginScope::Selection;
        }
        let new = NewBatch {
            name: format!("{} (plan {}, shard {shard})", names.join(", "), self.id()),
            origin,
            key: format!("plan:{}#shard:{shard}", self.id()),
            root: self.out.clone(),
            continue_earlier: true,
        };
        (new, self.shard_items(shard))
    }

    /// Total bytes of the files whose size is known, and how many have none.
    pub fn size(&self) -> (u64, usize) {
        let known: u64 = self.items.iter().filter_map(|i| i.size).sum();
        let unknown = self.items.iter().filter(|i| i.size.is_none()).count();
        (known, unknown)
    }
}

/// Every account some item's source or credentials belong to, sorted.
fn needed_accounts(items: &[ItemSpec]) -> Vec<AccountId> {
    let mut accounts = BTreeSet::new();
    for item in items {
        if let Source::Resolver { account, .. } = &item.source {
            accounts.insert(account.clone());
        }
        if let AuthPolicy::ArchiveToken { account, .. } = &item.auth {
            accounts.insert(account.clone());
        }
    }
    accounts.into_iter().collect()
}

/// Refuses an item that could leave the plan's folder, land in its state folder, or carry a secret.
fn check_item(item: &ItemSpec) -> Result<()> {
    let path = SafeRelPath::parse(&item.dest).map_err(|_| {
        Error::invalid_input(format!(
            "the file path {:?} could leave the plan's folder (absolute, `..`, empty or odd names).",
            item.dest.escape_debug().to_string()
        ))
    })?;
    if path.components().first().map(String::as_str) == Some(STATE_FOLDER) {
        return Err(Error::invalid_input(format!(
            "the file {} would go into {STATE_FOLDER}/, where Jobfetch keeps the plan's state.",
            item.dest
        )));
    }
    if let Source::Url { url } = &item.source {
        let scheme_ok = url::Url::parse(url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !scheme_ok {
            return Err(Error::invalid_input(format!(
                "the file {} comes from {:?}, which is not an http(s) URL.",
                item.dest,
                redact_url(url)
            )));
        }
        if redact_url(url) != *url {
            return Err(Error::invalid_input(format!(
                "the URL of {} carries a secret ({}), which a plan never holds: fetch it with `jobfetch get` instead.",
                item.dest,
                redact_url(url)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
