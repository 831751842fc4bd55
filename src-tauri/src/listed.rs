//! What the app remembers of each job it listed: every file's URL, size and date, and where its downloaded copy goes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use jobfetch_engine::catalog::{OutputKind, OutputNode};
use jobfetch_engine::paths::SafeRelPath;
use jobfetch_engine::preview::PreviewSource;
use jobfetch_engine::providers::desaccess::listing;
use jobfetch_engine::transfer::model::AuthPolicy;
use jobfetch_engine::{Error, ErrorCode, Result};
use url::Url;

/// A listed job's files, by output path.
pub struct ListedJob {
    folder: Url,
    /// The job's folder in the download folder.
    root: PathBuf,
    auth: AuthPolicy,
    files: HashMap<String, ListedFile>,
}

struct ListedFile {
    size: Option<u64>,
    modified: Option<String>,
}

impl ListedJob {
    /// Indexes the files of `tree`, a job's output tree below `folder`, downloaded into `root`.
    pub fn new(folder: Url, root: PathBuf, auth: AuthPolicy, tree: &OutputNode) -> ListedJob {
        let mut files = HashMap::new();
        let mut stack = vec![tree];
        while let Some(node) = stack.pop() {
            if node.kind == OutputKind::Directory {
                stack.extend(&node.children);
            } else {
                files.insert(
                    node.path.clone(),
                    ListedFile {
                        size: node.size,
                        modified: node.modified.clone(),
                    },
                );
            }
        }
        ListedJob {
            folder,
            root,
            auth,
            files,
        }
    }

    fn file(&self, path: &str) -> Result<&ListedFile> {
        self.files.get(path).ok_or_else(|| {
            Error::new(
                ErrorCode::NotFound,
                format!(
                "{path} is not among this job's outputs. Reload the job's outputs and try again."
            ),
            )
        })
    }

    /// Where a listed file is fetched from and what is known of it, for its preview.
    pub fn preview_source(&self, path: &str) -> Result<PreviewSource<'_>> {
        let file = self.file(path)?;
        Ok(PreviewSource {
            url: file_url(&self.folder, path),
            auth: &self.auth,
            credentials: None,
            size: file.size,
            validator: Some(format!(
                "{}/{}",
                file.modified.as_deref().unwrap_or("?"),
                file.size.map_or("?".to_string(), |size| size.to_string())
            )),
            local_copy: self.local_copy(path)?,
            kind_hint: None,
        })
    }

    /// The downloaded copy of a listed file, when it is whole on disk (as long as the archive says it is).
    /// One `stat`: cheap enough to ask on the async runtime.
    pub fn local_copy(&self, path: &str) -> Result<Option<PathBuf>> {
        let file = self.file(path)?;
        let local = SafeRelPath::parse(path)?.under(&self.root);
        Ok(match std::fs::metadata(&local) {
            Ok(meta) if meta.is_file() && file.size.is_none_or(|size| size == meta.len()) => {
                Some(local)
            }
            _ => None,
        })
    }

    /// The paths of the listed files whose downloaded copies are whole on disk.
    pub async fn downloaded(self: Arc<Self>) -> Result<Vec<String>> {
        tokio::task::spawn_blocking(move || {
            let mut done = Vec::new();
            for path in self.files.keys() {
                if self.local_copy(path)?.is_some() {
                    done.push(path.clone());
                }
            }
            done.sort();
            Ok(done)
        })
        .await
        .map_err(|err| {
            Error::new(
                ErrorCode::Internal,
                format!("Checking downloaded files failed: {err}"),
            )
        })?
    }
}

/// The URL of a file below a job folder, each path component percent-encoded.
pub fn file_url(folder: &Url, path: &str) -> Url {
    path.split('/')
        .fold(folder.clone(), |url, part| listing::child_url(&url, part))
}
