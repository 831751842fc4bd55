//! JDMA's records as its server sends them (users, storage, batches, requests, and the file and archive
//! listings with their `"pk "` key), read leniently, each keeping the server's own JSON for `--json`.

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::stages::{self, RequestKind};
use crate::catalog::rfc3339_to_iso;
use crate::error::{Error, Result};
use crate::transfer::model::Digest;

/// A JDMA user: `GET user?name=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    #[serde(default, deserialize_with = "text")]
    pub email: Option<String>,
    /// Whether JDMA emails the user when a request ends.
    #[serde(default)]
    pub notify: Option<bool>,
    #[serde(skip)]
    pub raw: Value,
}

/// A storage backend: `list_backends/`'s short id and display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, rename = "JdmaStorage")]
pub struct Storage {
    /// `elastictape`, `objectstore`, ...
    pub id: String,
    /// `Elastic Tape`, `Object Store`, ...
    pub name: String,
}

/// A batch (the server's "migration"): `migration/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub migration_id: u64,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub workspace: String,
    #[serde(default, deserialize_with = "text")]
    pub label: Option<String>,
    /// `Migration.stage`: 0 ON_DISK, 1 PUTTING, 2 ON_STORAGE, 3 FAILED, 4 DELETING, 5 DELETED.
    pub stage: u64,
    #[serde(default)]
    pub storage: String,
    #[serde(default, deserialize_with = "text")]
    pub external_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub registered_date: Option<String>,
    #[serde(skip)]
    pub raw: Value,
}

impl Batch {
    pub fn stage_name(&self) -> String {
        stages::batch_stage_name(self.stage)
    }

    /// When it was registered, as ISO 8601 UTC to the second.
    pub fn registered(&self) -> Option<String> {
        self.registered_date.as_deref().and_then(rfc3339_to_iso)
    }
}

/// A request: `request`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub request_id: u64,
    #[serde(default)]
    pub user: String,
    /// 0 PUT, 1 GET, 2 MIGRATE, 3 DELETE.
    pub request_type: u64,
    #[serde(default)]
    pub migration_id: Option<u64>,
    #[serde(default, deserialize_with = "text")]
    pub label: Option<String>,
    #[serde(default)]
    pub workspace: String,
    #[serde(default)]
    pub storage: String,
    /// The stage's code; see [`stages`] for its name and place.
    pub stage: u16,
    #[serde(default, deserialize_with = "text")]
    pub date: Option<String>,
    /// Only when the request is asked for alone: a PUT's original paths, a GET's paths relative to
    /// the batch's common path (none for a whole batch).
    #[serde(default)]
    pub filelist: Option<Vec<String>>,
    /// Only when asked for alone, once it failed.
    #[serde(default, deserialize_with = "text")]
    pub failure_reason: Option<String>,
    #[serde(skip)]
    pub raw: Value,
}

impl Request {
    /// What it does; an error for a type Jobfetch does not know.
    pub fn kind(&self) -> Result<RequestKind> {
        RequestKind::from_code(self.request_type).ok_or_else(|| {
            Error::protocol(format!(
                "JDMA request {} has the request type {}, which Jobfetch does not know.",
                self.request_id, self.request_type
            ))
        })
    }

    pub fn stage_name(&self) -> String {
        stages::stage_name(self.stage)
    }

    /// When it was made, as ISO 8601 UTC to the second.
    pub fn made(&self) -> Option<String> {
        self.date.as_deref().and_then(rfc3339_to_iso)
    }
}

/// What the server answers a new request with: the body sent (credentials blanked) and its ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submitted {
    pub request_id: u64,
    /// The batch it made (PUT, MIGRATE) or works on.
    pub batch_id: u64,
    pub request_type: u64,
    pub stage: u16,
    #[serde(skip)]
    pub raw: Value,
}

/// One batch of a `file/` or `archive/` listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchFiles {
    pub migration_id: u64,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub workspace: String,
    #[serde(default, deserialize_with = "text")]
    pub label: Option<String>,
    #[serde(default)]
    pub storage: String,
    #[serde(default)]
    pub archives: Vec<Archive>,
}

/// An archive of a batch (a tar file when packed), with its files in a `file/` listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Archive {
    /// `archive_0000000042`.
    pub archive_id: String,
    #[serde(default)]
    pub pk: Option<u64>,
    #[serde(default)]
    pub size: Option<u64>,
    /// `not packed` for an archive that is not a tar file.
    #[serde(default, deserialize_with = "text")]
    pub digest: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub digest_format: Option<String>,
    #[serde(default)]
    pub files: Vec<File>,
}

/// A file of an archive. The server's key for its id is `"pk "`, with a trailing space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct File {
    #[serde(rename = "pk ", alias = "pk", default)]
    pub pk: Option<u64>,
    /// The file's original absolute path: the batch's common path joined with its own.
    pub path: String,
    pub size: u64,
    /// Present whenever the listing was asked with a `digest` parameter (whatever its value).
    #[serde(default, deserialize_with = "text")]
    pub digest: Option<String>,
    /// `ADLER32` (since December 2019) or `SHA256` (older batches).
    #[serde(default, deserialize_with = "text")]
    pub digest_format: Option<String>,
}

impl File {
    /// The digest to check the file against, when the listing has one in a format Jobfetch computes.
    pub fn digest(&self) -> Option<Digest> {
        let value = self.digest.clone().filter(|d| !d.is_empty() && d != "0")?;
        match self
            .digest_format
            .as_deref()?
            .trim()
            .to_ascii_uppercase()
            .as_str()
        {
            "ADLER32" => Some(Digest::Adler32(value)),
            "SHA256" => Some(Digest::Sha256(value)),
            _ => None,
        }
    }

    /// `FORMAT:value`, as the `jdma` CLI shows a digest.
    pub fn digest_label(&self) -> Option<String> {
        let digest = self.digest.as_deref()?;
        Some(match self.digest_format.as_deref() {
            Some(format) if !format.is_empty() => format!("{format}:{digest}"),
            _ => digest.to_string(),
        })
    }
}

/// A JSON scalar as text (labels and emails may be null, or a number someone sent).
fn text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Null => None,
        Value::String(text) => Some(text),
        other => Some(other.to_string()),
    })
}

/// A record of `T` from the server's JSON, keeping that JSON in `raw` when `T` has one.
pub(super) fn parse<T: DeserializeOwned>(value: Value, what: &str) -> Result<T> {
    serde_json::from_value(value).map_err(|err| {
        Error::protocol(format!(
            "JDMA sent {what} in a shape Jobfetch does not know ({err})."
        ))
    })
}

/// The records under `key` of a listing (`{"requests": [...]}`), each with its own JSON kept.
pub(super) fn list<T: DeserializeOwned + WithRaw>(
    mut reply: Value,
    key: &str,
    what: &str,
) -> Result<Vec<T>> {
    let Some(Value::Array(items)) = reply.get_mut(key).map(Value::take) else {
        return Err(Error::protocol(format!(
            "JDMA sent {what} without its {key:?} list."
        )));
    };
    items.into_iter().map(|item| one(item, what)).collect()
}

/// One record with its own JSON kept.
pub(super) fn one<T: DeserializeOwned + WithRaw>(value: Value, what: &str) -> Result<T> {
    let mut record: T = parse(value.clone(), what)?;
    record.set_raw(value);
    Ok(record)
}

/// A record that keeps the server's JSON it was read from.
pub(super) trait WithRaw {
    fn set_raw(&mut self, raw: Value);
}

macro_rules! with_raw {
    ($($record:ty),*) => {$(
        impl WithRaw for $record {
            fn set_raw(&mut self, raw: Value) {
                self.raw = raw;
            }
        }
    )*};
}
with_raw!(User, Batch, Request, Submitted);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_read_with_the_servers_spaced_key_and_both_digest_formats() {
        let listing: BatchFiles = parse(
            serde_json::json!({
                "migration_id": 7, "user": "u", "workspace": "gws", "label": 12, "storage": "objectstore",
                "archives": [{"archive_id": "archive_0000000042", "pk": 42, "size": 3, "limit": 0,
                    "digest": "not packed", "digest_format": "SHA256",
                    "files": [
                        {"pk ": 99, "path": "/gws/a.nc", "size": 3, "digest": "0x24a0126", "digest_format": "ADLER32"},
                        {"pk ": 100, "path": "/gws/b.nc", "size": 3, "digest": "AB", "digest_format": "SHA256"},
                        {"pk ": 101, "path": "/gws/c.nc", "size": 3}
                    ]}]
            }),
            "a listing",
        )
        .unwrap();
        assert_eq!(listing.label.as_deref(), Some("12"));
        let files = &listing.archives[0].files;
        assert_eq!(files[0].pk, Some(99));
        assert_eq!(files[0].digest(), Some(Digest::Adler32("0x24a0126".into())));
        assert_eq!(files[1].digest(), Some(Digest::Sha256("AB".into())));
        assert_eq!(files[2].digest(), None);
        assert_eq!(
            files[0].digest_label().as_deref(),
            Some("ADLER32:0x24a0126")
        );
    }

    #[test]
    fn a_listing_without_its_list_is_a_protocol_error() {
        let err = list::<Request>(
            serde_json::json!({"error": "x"}),
            "requests",
            "its requests",
        )
        .unwrap_err();
        assert!(err.message.contains("\"requests\""), "{}", err.message);
        let bad = list::<Request>(
            serde_json::json!({"requests": [{"request_id": "x"}]}),
            "requests",
            "its requests",
        )
        .unwrap_err();
        assert!(bad.message.contains("shape"), "{}", bad.message);
    }
}
