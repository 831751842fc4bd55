//! JDMA's tables as the sim keeps them: users, group workspaces, batches ("migrations") with their archives and files, and requests.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use super::content::Content;
use super::stages::{BatchStage, RequestType, FAILED, FAILED_COMPLETED};
use crate::clock::UnixTime;

/// Storage backends in `get_backends()` order: `(id, display name, required credentials)`.
pub(crate) const BACKENDS: [(&str, &str, &[&str]); 2] = [
    ("elastictape", "Elastic Tape", &[]),
    ("objectstore", "Object Store", &["access_key", "secret_key"]),
];

/// The backends' minimum object size: files are grouped into archives of at least this many
/// bytes (2 GiB on JASMIN's Elastic Tape; 1 MiB here, so the demo's batches hold several).
pub(crate) const OBJECT_SIZE: u64 = 1 << 20;

/// A date as Django stores it: UTC, to the microsecond.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) secs: UnixTime,
    pub(crate) micros: u32,
}

impl Stamp {
    /// Python's `datetime.isoformat()` of an aware UTC time: `2024-08-06T15:55:39.123456+00:00`
    /// (no fraction when the microseconds are 0).
    pub(crate) fn iso(self) -> String {
        let base = crate::clock::sql(self.secs).replacen(' ', "T", 1);
        if self.micros == 0 {
            format!("{base}+00:00")
        } else {
            format!("{base}.{:06}+00:00", self.micros)
        }
    }
}

/// A JDMA user (made by `POST user`).
pub(crate) struct User {
    pub(crate) email: Value,
    pub(crate) notify: Value,
}

/// A group workspace: its folder, who is in its LDAP group (`gws_<name>`), and the storage attached to it.
pub(crate) struct Workspace {
    pub(crate) name: &'static str,
    pub(crate) members: Vec<&'static str>,
    pub(crate) storages: Vec<&'static str>,
}

/// Where a stored file's bytes come from.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// A folder: digest `0`, hidden from listings, made on retrieval.
    Dir,
    /// Generated from the seed (the demo's batches).
    Generated(Arc<Content>),
    /// Copied onto the sim's "tape" by a PUT.
    Stored(PathBuf),
}

/// A `MigrationFile`.
#[derive(Clone, Debug)]
pub(crate) struct FileEntry {
    pub(crate) pk: u64,
    /// Relative to the batch's `common_path`.
    pub(crate) path: String,
    pub(crate) size: u64,
    /// `"0"` for folders.
    pub(crate) digest: String,
    pub(crate) digest_format: &'static str,
    pub(crate) source: Source,
}

/// A `MigrationArchive`: neither backend packs on the current server, so every archive's digest
/// is `"not packed"`, in the model's default format.
pub(crate) struct Archive {
    pub(crate) pk: u64,
    pub(crate) files: Vec<FileEntry>,
}

impl Archive {
    pub(crate) fn size(&self) -> u64 {
        self.files.iter().map(|file| file.size).sum()
    }
}

/// A batch (`Migration`).
pub(crate) struct Batch {
    pub(crate) id: u64,
    pub(crate) user: String,
    pub(crate) workspace: String,
    pub(crate) label: Value,
    pub(crate) stage: BatchStage,
    pub(crate) storage: &'static str,
    pub(crate) external_id: Option<String>,
    pub(crate) registered: Stamp,
    /// `os.path.commonprefix` of the PUT's filelist; set once the batch is built.
    pub(crate) common_path: Option<String>,
    pub(crate) archives: Vec<Archive>,
}

impl Batch {
    /// A file's full original path: `common_path` joined with its relative path (`os.path.join`).
    pub(crate) fn full_path(&self, relative: &str) -> String {
        let common = self.common_path.as_deref().unwrap_or("");
        if common.is_empty() || common.ends_with('/') {
            format!("{common}{relative}")
        } else {
            format!("{common}/{relative}")
        }
    }
}

/// A request failing: why, when (sim-clock milliseconds since the start), and whether it has
/// been tidied to FAILED_COMPLETED.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    pub(crate) reason: String,
    pub(crate) at_ms: i64,
    pub(crate) completed: bool,
}

/// A `MigrationRequest` and how far it has come.
pub(crate) struct Request {
    pub(crate) id: u64,
    pub(crate) user: String,
    pub(crate) kind: RequestType,
    pub(crate) batch: u64,
    pub(crate) date: Stamp,
    /// PUT: the paths given; GET: paths relative to the batch's common path, or none for all.
    pub(crate) filelist: Option<Vec<String>>,
    pub(crate) target_path: Option<String>,
    /// When (sim-clock milliseconds since the start; negative: before it) the request leaves
    /// its first stage; it then moves on one stage per interval.
    pub(crate) started_ms: i64,
    /// Index into `kind.stages()` of the stage reached, its effects done.
    pub(crate) reached: usize,
    pub(crate) failure: Option<Failure>,
    /// A demo request that fails on reaching this stage index, with this reason.
    pub(crate) doomed: Option<(usize, String)>,
}

impl Request {
    /// The numeric stage the server reports.
    pub(crate) fn stage(&self) -> u16 {
        match &self.failure {
            Some(failure) if failure.completed => FAILED_COMPLETED,
            Some(_) => FAILED,
            None => self.kind.stages()[self.reached],
        }
    }

    /// Whether it has completed or failed.
    pub(crate) fn ended(&self) -> bool {
        self.failure.is_some() || self.reached + 1 == self.kind.stages().len()
    }
}

/// Everything the JDMA server keeps.
#[derive(Default)]
pub(crate) struct Db {
    pub(crate) users: BTreeMap<String, User>,
    pub(crate) workspaces: Vec<Workspace>,
    pub(crate) batches: BTreeMap<u64, Batch>,
    pub(crate) requests: BTreeMap<u64, Request>,
    /// The last archive and file primary keys given.
    pub(crate) last_archive_pk: u64,
    pub(crate) last_file_pk: u64,
}

impl Db {
    pub(crate) fn workspace(&self, name: &str) -> Option<&Workspace> {
        self.workspaces.iter().find(|ws| ws.name == name)
    }

    /// The LDAP check every listing, GET and PUT makes: is `user` in the workspace's group?
    pub(crate) fn is_member(&self, user: &str, workspace: &str) -> bool {
        self.workspace(workspace)
            .is_some_and(|ws| ws.members.contains(&user))
    }

    pub(crate) fn next_batch_id(&self) -> u64 {
        self.batches.keys().next_back().map_or(1, |id| id + 1)
    }

    pub(crate) fn next_request_id(&self) -> u64 {
        self.requests.keys().next_back().map_or(1, |id| id + 1)
    }

    /// Groups files into archives as `jdma_lock` does: by size, smallest first, each archive
    /// taking files until it holds [`OBJECT_SIZE`] bytes. Entries with an empty path (the
    /// common path itself) are left out.
    pub(crate) fn archives(
        &mut self,
        mut entries: Vec<(String, u64, String, &'static str, Source)>,
    ) -> Vec<Archive> {
        entries.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        let mut archives = Vec::new();
        let mut entries = entries.into_iter().peekable();
        while entries.peek().is_some() {
            self.last_archive_pk += 1;
            let mut archive = Archive {
                pk: self.last_archive_pk,
                files: Vec::new(),
            };
            let mut size = 0;
            while size < OBJECT_SIZE {
                let Some((path, file_size, digest, digest_format, source)) = entries.next() else {
                    break;
                };
                size += file_size;
                if path.is_empty() {
                    continue;
                }
                self.last_file_pk += 1;
                archive.files.push(FileEntry {
                    pk: self.last_file_pk,
                    path,
                    size: file_size,
                    digest,
                    digest_format,
                    source,
                });
            }
            archives.push(archive);
        }
        archives
    }
}

/// A backend's display name and required credentials, by id.
pub(crate) fn backend(id: &str) -> Option<(&'static str, &'static str, &'static [&'static str])> {
    BACKENDS
        .iter()
        .copied()
        .find(|(backend, _, _)| *backend == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_python_isoformat() {
        let t = crate::clock::utc(2024, 8, 6, 15, 55, 39);
        assert_eq!(
            Stamp {
                secs: t,
                micros: 123_456
            }
            .iso(),
            "2024-08-06T15:55:39.123456+00:00"
        );
        assert_eq!(
            Stamp { secs: t, micros: 0 }.iso(),
            "2024-08-06T15:55:39+00:00"
        );
    }

    #[test]
    fn archives_take_the_smallest_files_first_until_they_hold_an_object() {
        let mut db = Db::default();
        let entry = |path: &str, size| {
            (
                path.to_owned(),
                size,
                "0x1".to_owned(),
                "ADLER32",
                Source::Dir,
            )
        };
        let archives = db.archives(vec![
            entry("big.nc", OBJECT_SIZE + 1),
            entry("c.nc", OBJECT_SIZE),
            entry("", 4096),
            entry("b.txt", 10),
            entry("a.txt", 10),
        ]);
        let names: Vec<Vec<&str>> = archives
            .iter()
            .map(|a| a.files.iter().map(|f| f.path.as_str()).collect())
            .collect();
        assert_eq!(names, vec![vec!["a.txt", "b.txt", "c.nc"], vec!["big.nc"]]);
        assert_eq!(archives[0].size(), OBJECT_SIZE + 20);
    }
}
