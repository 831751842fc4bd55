//! Checking a completed GET where its files landed: every file JDMA lists for the batch (or the part
//! asked for) is looked for below the target folder (GET writes each at its path relative to the
//! batch's common path), and its size and digest (JDMA's ADLER-32, or SHA-256 for older batches)
//! compared. Nothing outside the target folder is ever read: hostile paths and symbolic links are
//! reported, not followed.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use super::records::{BatchFiles, File};
use super::session::{common_folder, JdmaSession, Scope};
use super::stages::RequestKind;
use crate::error::{Error, ErrorCode, Result};
use crate::paths::SafeRelPath;
use crate::transfer::model::Digest;
use crate::transfer::verify::Hasher;

/// How the batch's common path (what GET strips from each file's path) was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename = "JdmaBaseFrom")]
pub enum BaseFrom {
    /// The GET's own file list (relative paths) matched against the listing.
    GetRequest,
    /// The common prefix of the batch's PUT or MIGRATE file list, as the server computes it.
    PutRequest,
    /// Neither is listed any more: the folder above the listed files under which most of them are
    /// found in the target.
    Inferred,
}

/// What checking one file found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[ts(export, rename = "JdmaOutcome")]
pub enum Outcome {
    /// Size and digest as JDMA listed them.
    Matches,
    /// Size as listed; JDMA listed no digest Jobfetch computes.
    SizeMatches,
    Missing,
    NotAFile,
    SizeDiffers {
        #[ts(type = "number")]
        found: u64,
    },
    DigestDiffers {
        found: String,
    },
    /// Not read: its path would leave the target folder, or goes through a symbolic link.
    Refused {
        reason: String,
    },
}

/// One file of the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename = "JdmaFileCheck")]
pub struct FileCheck {
    /// The original path JDMA lists.
    pub path: String,
    /// Where it was looked for.
    #[ts(type = "string | null")]
    pub local: Option<PathBuf>,
    #[ts(type = "number")]
    pub size: u64,
    pub digest: Option<Digest>,
    pub outcome: Outcome,
}

impl FileCheck {
    pub fn is_good(&self) -> bool {
        matches!(self.outcome, Outcome::Matches | Outcome::SizeMatches)
    }

    /// What is wrong with it, in words, naming it.
    pub fn problem(&self) -> Option<String> {
        let at = self
            .local
            .as_ref()
            .map_or_else(|| self.path.clone(), |p| p.display().to_string());
        Some(match &self.outcome {
            Outcome::Matches | Outcome::SizeMatches => return None,
            Outcome::Missing => format!("{at} is missing"),
            Outcome::NotAFile => format!("{at} is not a file"),
            Outcome::SizeDiffers { found } => {
                format!("{at} has {found} bytes; JDMA lists {}", self.size)
            }
            Outcome::DigestDiffers { found } => format!(
                "{at} has the digest {found}; JDMA lists {}",
                self.digest.as_ref().map_or("none".into(), digest_text)
            ),
            Outcome::Refused { reason } => format!("{} was not checked: {reason}", self.path),
        })
    }
}

fn digest_text(digest: &Digest) -> String {
    match digest {
        Digest::Adler32(value) => format!("ADLER32:{value}"),
        Digest::Sha256(value) => format!("SHA256:{value}"),
    }
}

/// A completed GET checked where its files are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename = "JdmaRetrieval")]
pub struct Retrieval {
    #[ts(type = "number")]
    pub batch: u64,
    #[ts(type = "string")]
    pub target: PathBuf,
    /// The batch's common path: each file is at its path below it, below the target.
    pub base: String,
    pub base_from: BaseFrom,
    pub files: Vec<FileCheck>,
}

impl Retrieval {
    /// Every file that is not as JDMA listed it.
    pub fn problems(&self) -> Vec<String> {
        self.files.iter().filter_map(FileCheck::problem).collect()
    }

    /// An `Integrity` error naming every file that is wrong, or `Ok` when all are right.
    pub fn ensure_whole(&self) -> Result<()> {
        let problems = self.problems();
        if problems.is_empty() {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::Integrity,
            format!(
                "{} of {} retrieved file(s) of batch {} are not as JDMA listed them: {}.",
                problems.len(),
                self.files.len(),
                self.batch,
                problems.join("; ")
            ),
        ))
    }
}

impl JdmaSession {
    /// Checks the files of `batch` that a GET wrote into `target` (readable from here): all of them, or
    /// those of `wanted` (original paths, as a partial GET names them). `get_request`, the GET's id,
    /// lets a partial GET's own file list say exactly where the files are.
    pub async fn verify_retrieval(
        &self,
        batch: u64,
        target: &Path,
        wanted: Option<&[String]>,
        get_request: Option<u64>,
    ) -> Result<Retrieval> {
        let listing = self.batch_files(batch).await?;
        let files: Vec<File> = listing
            .archives
            .iter()
            .flat_map(|a| a.files.clone())
            .collect();
        let chosen: Vec<File> = match wanted.filter(|w| !w.is_empty()) {
            Some(wanted) => {
                if let Some(stray) = wanted.iter().find(|w| !files.iter().any(|f| &f.path == *w)) {
                    return Err(Error::new(
                        ErrorCode::NotFound,
                        format!(
                            "Batch {batch} has no file {stray} (see jobfetch jdma files {batch})."
                        ),
                    ));
                }
                files
                    .iter()
                    .filter(|f| wanted.contains(&f.path))
                    .cloned()
                    .collect()
            }
            None => files,
        };
        let target = target.to_path_buf();
        let (base, base_from) = self
            .get_base(batch, &listing, get_request, Some(&target))
            .await?;
        tokio::task::spawn_blocking(move || {
            let files = chosen
                .iter()
                .map(|file| check(file, &base, &target))
                .collect();
            Ok(Retrieval {
                batch,
                target,
                base,
                base_from,
                files,
            })
        })
        .await
        .map_err(|err| Error::new(ErrorCode::Internal, format!("Checking stopped: {err}")))?
    }

    /// The batch's common path: what a GET strips from each file's path to place it below its target
    /// folder. From the GET's own file list (`get_request`) or the batch's PUT while JDMA lists them;
    /// else, with `local_target` (the GET's target, readable here), the folder above the files under
    /// which most are found there; else the folder the files share.
    pub(super) async fn get_base(
        &self,
        batch: u64,
        listing: &BatchFiles,
        get_request: Option<u64>,
        local_target: Option<&Path>,
    ) -> Result<(String, BaseFrom)> {
        if let Some(known) = self.known_base(batch, listing, get_request).await? {
            return Ok(known);
        }
        let files: Vec<File> = listing
            .archives
            .iter()
            .flat_map(|a| a.files.clone())
            .collect();
        let base = match local_target {
            Some(target) => {
                let target = target.to_path_buf();
                tokio::task::spawn_blocking(move || infer_base(&files, &target))
                    .await
                    .map_err(|err| {
                        Error::new(ErrorCode::Internal, format!("Looking stopped: {err}"))
                    })?
            }
            None => common_folder(files.iter().map(|f| f.path.as_str())),
        };
        Ok((base, BaseFrom::Inferred))
    }

    /// The batch's common path from its requests, while JDMA still lists them.
    async fn known_base(
        &self,
        batch: u64,
        listing: &BatchFiles,
        get_request: Option<u64>,
    ) -> Result<Option<(String, BaseFrom)>> {
        if let Some(id) = get_request {
            let get = self.request(id).await?;
            let relative = get.filelist.unwrap_or_default();
            let files = listing.archives.iter().flat_map(|a| &a.files);
            for file in files {
                for rel in &relative {
                    if let Some(base) = file.path.strip_suffix(rel.as_str()) {
                        if base.ends_with('/') && !rel.is_empty() {
                            let base = base.trim_end_matches('/').to_string();
                            return Ok(Some((base, BaseFrom::GetRequest)));
                        }
                    }
                }
            }
        }
        let uploads = self.requests(&Scope::default()).await?;
        let put = uploads.iter().find(|r| {
            r.migration_id == Some(batch)
                && matches!(r.kind(), Ok(RequestKind::Put | RequestKind::Migrate))
        });
        if let Some(put) = put {
            let filelist = self
                .request(put.request_id)
                .await?
                .filelist
                .unwrap_or_default();
            if !filelist.is_empty() {
                return Ok(Some((common_prefix(&filelist), BaseFrom::PutRequest)));
            }
        }
        Ok(None)
    }
}

/// Python's `os.path.commonprefix`, as the server computes a batch's common path: the longest common
/// leading string, character by character.
fn common_prefix(paths: &[String]) -> String {
    let Some(first) = paths.first() else {
        return String::new();
    };
    let mut len = first.len();
    for path in &paths[1..] {
        len = first
            .char_indices()
            .zip(path.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(len);
    }
    first[..len].to_string()
}

/// The folder above the listed files (the nearest first) under which most of them are in `target`.
fn infer_base(files: &[File], target: &Path) -> String {
    let mut candidate = common_folder(files.iter().map(|f| f.path.as_str()));
    let mut best = (0, candidate.clone());
    loop {
        let found = files
            .iter()
            .filter(|file| {
                local_path(&file.path, &candidate, target)
                    .is_ok_and(|local| local.symlink_metadata().is_ok())
            })
            .count();
        if found > best.0 {
            best = (found, candidate.clone());
        }
        match candidate.rsplit_once('/') {
            Some((above, _)) if !candidate.is_empty() => candidate = above.to_string(),
            _ => return best.1,
        }
    }
}

/// Where a GET writes the file at `path` below its target folder: its path below `base`; an error
/// for a path not below `base` or one that would climb out of the target.
pub(super) fn below_base(path: &str, base: &str) -> std::result::Result<SafeRelPath, String> {
    let below = path
        .strip_prefix(base)
        .filter(|rest| base.ends_with('/') || rest.starts_with('/'))
        .ok_or_else(|| format!("it is not below the batch's common path {base}"))?;
    SafeRelPath::parse(below.trim_start_matches('/')).map_err(|err| err.message)
}

/// Where a GET into `target` writes the file at `path` ([`below_base`]).
fn local_path(path: &str, base: &str, target: &Path) -> std::result::Result<PathBuf, String> {
    Ok(below_base(path, base)?.under(target))
}

fn check(file: &File, base: &str, target: &Path) -> FileCheck {
    let digest = file.digest();
    let mut checked = FileCheck {
        path: file.path.clone(),
        local: None,
        size: file.size,
        digest: digest.clone(),
        outcome: Outcome::Missing,
    };
    let local = match local_path(&file.path, base, target) {
        Ok(local) => local,
        Err(reason) => {
            checked.outcome = Outcome::Refused { reason };
            return checked;
        }
    };
    checked.local = Some(local.clone());
    checked.outcome = outcome(&local, target, file.size, digest.as_ref());
    checked
}

fn outcome(local: &Path, target: &Path, size: u64, digest: Option<&Digest>) -> Outcome {
    // No link below the target is followed: a link could point anywhere.
    let below = local.strip_prefix(target).unwrap_or(local);
    let mut at = target.to_path_buf();
    for part in below.components() {
        at.push(part);
        match at.symlink_metadata() {
            Err(_) => return Outcome::Missing,
            Ok(meta) if meta.file_type().is_symlink() => {
                return Outcome::Refused {
                    reason: format!("{} is a symbolic link, which is not followed", at.display()),
                }
            }
            Ok(_) => {}
        }
    }
    let meta = match local.symlink_metadata() {
        Ok(meta) if meta.is_file() => meta,
        Ok(_) => return Outcome::NotAFile,
        Err(_) => return Outcome::Missing,
    };
    if meta.len() != size {
        return Outcome::SizeDiffers { found: meta.len() };
    }
    let Some(digest) = digest else {
        return Outcome::SizeMatches;
    };
    match digest_of(local, digest) {
        Ok(found) if digest.agrees_with(&found) => Outcome::Matches,
        Ok(found) => Outcome::DigestDiffers { found },
        Err(err) => Outcome::Refused {
            reason: format!("it could not be read ({err})"),
        },
    }
}

/// The file's digest in `like`'s algorithm, written as JDMA writes it.
fn digest_of(path: &Path, like: &Digest) -> std::io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Hasher::for_digest(like);
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            return Ok(hasher.text());
        }
        hasher.update(&buffer[..read]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, bytes: &[u8]) -> File {
        let mut hasher = Hasher::for_digest(&Digest::Adler32(String::new()));
        hasher.update(bytes);
        File {
            pk: None,
            path: path.into(),
            size: bytes.len() as u64,
            digest: Some(hasher.text()),
            digest_format: Some("ADLER32".into()),
        }
    }

    #[test]
    fn common_prefix_is_character_wise_as_in_python() {
        let paths = |list: &[&str]| list.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(common_prefix(&paths(&["/a/run1", "/a/run2"])), "/a/run");
        assert_eq!(common_prefix(&paths(&["/a/dir"])), "/a/dir");
    }

    #[test]
    fn files_are_checked_below_the_target_only() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("restore");
        std::fs::create_dir_all(target.join("day")).unwrap();
        std::fs::write(target.join("day/a.nc"), b"abc").unwrap();
        std::fs::write(target.join("b.txt"), b"changed").unwrap();
        std::fs::write(dir.path().join("secret"), b"abc").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("secret"), target.join("link.nc")).unwrap();
        let files = [
            file("/g/run/day/a.nc", b"abc"),
            file("/g/run/b.txt", b"chanGed"),
            file("/g/run/gone.nc", b"x"),
            file("/g/run/../secret", b"abc"),
            file("/elsewhere/secret", b"abc"),
            file("/g/run/link.nc", b"abc"),
        ];
        assert_eq!(infer_base(&files[..3], &target), "/g/run");
        let outcomes: Vec<Outcome> = files
            .iter()
            .map(|f| check(f, "/g/run", &target).outcome)
            .collect();
        assert_eq!(outcomes[0], Outcome::Matches);
        assert!(
            matches!(outcomes[1], Outcome::DigestDiffers { .. }),
            "{outcomes:?}"
        );
        assert_eq!(outcomes[2], Outcome::Missing);
        assert!(
            matches!(outcomes[3], Outcome::Refused { .. }),
            "{outcomes:?}"
        );
        assert!(
            matches!(outcomes[4], Outcome::Refused { .. }),
            "{outcomes:?}"
        );
        #[cfg(unix)]
        assert!(
            matches!(outcomes[5], Outcome::Refused { .. }),
            "{outcomes:?}"
        );
    }
}
