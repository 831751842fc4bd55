//! What a transfer is made of: batches of items, their sources, checks and states, and the snapshots the UI sees.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::Error;
use crate::ids::{AccountId, ProviderId};
use crate::ssh::SshHost;

/// A batch's id in the transfer store.
pub type BatchId = i64;
/// An item's id in the transfer store.
pub type ItemId = i64;

/// Where an item's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Source {
    /// A plain URL, fetched as is.
    Url { url: String },
    /// A URL an account's session hands out on request (e.g. a signed URL that expires); `key` is the
    /// provider's own reference, resolved again whenever the URL stops working.
    Resolver { account: AccountId, key: String },
    /// A file on an SSH host, copied over SFTP with the user's own keys (see [`crate::ssh`]); `path`
    /// is as the host's SFTP server takes it (absolute, or relative to the home folder there).
    Sftp { host: SshHost, path: String },
    /// A file on this computer, copied into the batch's folder (e.g. what a JDMA GET wrote when
    /// Jobfetch runs where JDMA writes); only a regular file is read, never through a link.
    LocalFile { path: PathBuf },
}

impl Source {
    /// How the source is named where a person reads it (manifests, messages): the URL, the
    /// provider's reference, or `host:path` as scp writes it.
    pub fn address(&self) -> String {
        match self {
            Source::Url { url } => url.clone(),
            Source::Resolver { account, key } => format!("{account}/{key}"),
            Source::Sftp { host, path } => format!("{host}:{path}"),
            Source::LocalFile { path } => path.display().to_string(),
        }
    }
}

/// A digest the archive published for a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "algorithm", content = "value")]
#[ts(export)]
pub enum Digest {
    /// Lower-case hex SHA-256.
    Sha256(String),
    /// ADLER-32 as JDMA writes it: `0x` and unpadded lower-case hex (`0x1a2b3c`).
    Adler32(String),
}

impl std::fmt::Display for Digest {
    /// `sha256:<hex>` or `adler32:<hex>`, as the wire names the algorithms.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Digest::Sha256(hex) => write!(f, "sha256:{hex}"),
            Digest::Adler32(hex) => write!(f, "adler32:{hex}"),
        }
    }
}

/// Which credentials, if any, may go with an item's requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum AuthPolicy {
    /// No credentials at all (public file servers, signed URLs).
    Anonymous,
    /// The account's token, sent only to `hosts` as `Authorization: <scheme> <token>`; on a redirect it is
    /// dropped unless the new host is one of them (MAST's `--location-trusted` is expressed by listing the
    /// storage hosts here).
    ArchiveToken {
        account: AccountId,
        /// `Bearer`, or `token` for MAST: what an export writes in front of the token.
        scheme: String,
        hosts: Vec<String>,
    },
}

/// Where a batch came from, kept with it in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BatchOrigin {
    pub provider: ProviderId,
    /// `None` for a public folder fetched without signing in.
    pub account: Option<AccountId>,
    /// The archive's job (or search, or request) id, when the batch is one job's outputs.
    pub job: Option<String>,
    pub scope: OriginScope,
}

/// Whether a batch is everything a job made or a part the user chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum OriginScope {
    Whole,
    Selection,
}

/// One file to fetch, as a provider describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemSpec {
    pub source: Source,
    /// `/`-separated path below the batch's folder; every component is checked before use.
    pub dest: String,
    pub size: Option<u64>,
    pub digest: Option<Digest>,
    pub auth: AuthPolicy,
}

/// Where an item is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ItemState {
    Queued,
    Running,
    /// Waiting to try again after a failure that may pass.
    Retrying,
    Paused,
    /// Fetched and verified.
    Done,
    /// Already on disk, whole and verified; nothing was fetched.
    Skipped,
    Failed,
    Cancelled,
}

impl ItemState {
    /// What the state is called wherever Jobfetch shows it: the app (through the generated
    /// `StateLabels.ts`), the CLI and the manifests. A state both kinds have reads the same for both.
    pub fn label(self) -> &'static str {
        match self {
            ItemState::Queued => "Queued",
            ItemState::Running => "Downloading",
            ItemState::Retrying => "Retrying",
            ItemState::Paused => "Paused",
            ItemState::Done => "Done",
            ItemState::Skipped => "Already present",
            ItemState::Failed => "Failed",
            ItemState::Cancelled => "Cancelled",
        }
    }

    /// True for states that will not change without the user asking.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ItemState::Done | ItemState::Skipped | ItemState::Failed | ItemState::Cancelled
        )
    }
}

/// Where a batch is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum BatchState {
    Running,
    Paused,
    /// Stopped by itself because the disk is full; resumes when the user says so.
    PausedDiskFull,
    /// Every item arrived (or was already there).
    Done,
    /// Finished, but some items failed; see the report.
    DoneWithErrors,
    Cancelled,
}

impl BatchState {
    /// What the state is called wherever Jobfetch shows it; see [`ItemState::label`].
    pub fn label(self) -> &'static str {
        match self {
            BatchState::Running => "Downloading",
            BatchState::Paused => "Paused",
            BatchState::PausedDiskFull => "Paused: disk full",
            BatchState::Done => "Done",
            BatchState::DoneWithErrors => "Done with errors",
            BatchState::Cancelled => "Cancelled",
        }
    }
}

/// One item in a progress snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ItemSnapshot {
    #[ts(type = "number")]
    pub id: ItemId,
    pub path: String,
    pub state: ItemState,
    #[ts(type = "number")]
    pub bytes_done: u64,
    #[ts(type = "number | null")]
    pub size: Option<u64>,
    pub error: Option<Error>,
}

/// A batch's progress, sent at most ~10 times a second.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BatchSnapshot {
    #[ts(type = "number")]
    pub id: BatchId,
    pub name: String,
    /// Where the batch came from; `None` for batches written by releases before origins were kept.
    pub origin: Option<BatchOrigin>,
    /// The local folder the batch writes into.
    pub root: String,
    pub state: BatchState,
    /// False while folders are still being listed (totals still growing).
    pub listing_complete: bool,
    pub files_total: u32,
    pub files_done: u32,
    pub files_failed: u32,
    #[ts(type = "number")]
    pub bytes_total: u64,
    #[ts(type = "number")]
    pub bytes_done: u64,
    /// Bytes per second over the last few seconds.
    pub rate: f64,
    /// Seconds left at the current rate, when it can be told.
    pub eta_seconds: Option<f64>,
    /// Files coming over the network now, each on a connection of its own.
    pub connections: u32,
    /// The items in progress and the ones that failed (at most a few hundred).
    pub items: Vec<ItemSnapshot>,
    /// Why the batch stopped, when it stopped by itself.
    pub error: Option<Error>,
}

/// What the backend sends on the transfers channel: every batch, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "event", content = "data")]
#[ts(export)]
pub enum TransferEvent {
    Snapshot(Vec<BatchSnapshot>),
}

#[cfg(test)]
mod tests {
    use super::*;

    const BATCH_STATES: [BatchState; 6] = [
        BatchState::Running,
        BatchState::Paused,
        BatchState::PausedDiskFull,
        BatchState::Done,
        BatchState::DoneWithErrors,
        BatchState::Cancelled,
    ];
    const ITEM_STATES: [ItemState; 8] = [
        ItemState::Queued,
        ItemState::Running,
        ItemState::Retrying,
        ItemState::Paused,
        ItemState::Done,
        ItemState::Skipped,
        ItemState::Failed,
        ItemState::Cancelled,
    ];

    #[test]
    fn sources_are_stored_as_before_and_sftp_ones_with_their_host() {
        let url: Source =
            serde_json::from_str(r#"{"kind":"url","url":"https://e.org/a"}"#).unwrap();
        assert_eq!(url.address(), "https://e.org/a");
        let sftp = Source::Sftp {
            host: SshHost::new("me@xfer1.jasmin.ac.uk").unwrap(),
            path: "/gws/nopw/j04/ws/get/a.nc".into(),
        };
        let stored = serde_json::to_string(&sftp).unwrap();
        assert_eq!(
            stored,
            r#"{"kind":"sftp","host":{"destination":"me@xfer1.jasmin.ac.uk"},"path":"/gws/nopw/j04/ws/get/a.nc"}"#
        );
        assert_eq!(serde_json::from_str::<Source>(&stored).unwrap(), sftp);
        assert_eq!(
            sftp.address(),
            "me@xfer1.jasmin.ac.uk:/gws/nopw/j04/ws/get/a.nc"
        );
        let local = Source::LocalFile {
            path: "/gws/nopw/j04/ws/get/a.nc".into(),
        };
        let stored = serde_json::to_string(&local).unwrap();
        assert_eq!(
            stored,
            r#"{"kind":"localFile","path":"/gws/nopw/j04/ws/get/a.nc"}"#
        );
        assert_eq!(serde_json::from_str::<Source>(&stored).unwrap(), local);
        assert_eq!(local.address(), "/gws/nopw/j04/ws/get/a.nc");
    }

    /// The name a state has on the wire (and in the UI's types).
    fn wire_name<T: Serialize>(state: T) -> String {
        serde_json::to_value(state)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn states_both_kinds_have_read_the_same() {
        for batch in BATCH_STATES {
            if let Some(item) = ITEM_STATES
                .iter()
                .find(|item| wire_name(**item) == wire_name(batch))
            {
                assert_eq!(item.label(), batch.label(), "{}", wire_name(batch));
            }
        }
    }

    /// Writes `StateLabels.ts` beside ts-rs's bindings (`make bindings` runs it and checks it is
    /// committed), so the app shows the engine's words and cannot have its own.
    #[test]
    fn export_bindings_state_labels() {
        fn table<T: Serialize + Copy>(states: &[T], label: fn(T) -> &'static str) -> String {
            states
                .iter()
                .map(|&state| {
                    format!(
                        "  {}: {},\n",
                        wire_name(state),
                        serde_json::to_string(label(state)).unwrap()
                    )
                })
                .collect()
        }
        let text = format!(
            "// This file was generated by the engine's export_bindings_state_labels test (`make bindings`). Do not edit this file manually.\n\
             import type {{ BatchState }} from \"./BatchState\";\n\
             import type {{ ItemState }} from \"./ItemState\";\n\n\
             /** What each batch state is called wherever Jobfetch shows it: the app, the CLI, the manifests. */\n\
             export const BATCH_STATE_LABELS: Record<BatchState, string> = {{\n{}}};\n\n\
             /** What each file's state is called wherever Jobfetch shows it. */\n\
             export const ITEM_STATE_LABELS: Record<ItemState, string> = {{\n{}}};\n",
            table(&BATCH_STATES, BatchState::label),
            table(&ITEM_STATES, ItemState::label),
        );
        let dir = std::env::var("TS_RS_EXPORT_DIR").unwrap_or_else(|_| "./bindings".into());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join("StateLabels.ts"), text).unwrap();
    }
}
