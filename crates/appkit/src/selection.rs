//! A listed job: its files by output path, where each is fetched from, where its downloaded copy goes,
//! and which of them a selection of files and folders covers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use jobfetch_engine::catalog::{Job, OutputKind, OutputNode};
use jobfetch_engine::paths::SafeRelPath;
use jobfetch_engine::preview::PreviewSource;
use jobfetch_engine::providers::{Located, Session};
use jobfetch_engine::transfer::model::Source;
use jobfetch_engine::transfer::ItemSpec;
use jobfetch_engine::{Error, ErrorCode, Result};

/// A job whose outputs were listed, with the session that listed them.
pub struct ListedJob {
    pub session: Arc<dyn Session>,
    pub job: Job,
    pub tree: OutputNode,
    /// The job's folder in the download folder.
    pub root: PathBuf,
    files: HashMap<String, ListedFile>,
}

struct ListedFile {
    size: Option<u64>,
    modified: Option<String>,
}

impl ListedJob {
    pub fn new(session: Arc<dyn Session>, job: Job, tree: OutputNode, root: PathBuf) -> Self {
        let mut files = HashMap::new();
        let mut stack = vec![&tree];
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
            session,
            job,
            tree,
            root,
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

    /// The files at or below any of `paths` (files or folders of the tree; `""` is everything), as items.
    pub fn items(&self, paths: &[String]) -> Result<Vec<ItemSpec>> {
        let mut files = Vec::new();
        collect_selected(&self.tree, paths, &mut files);
        files
            .into_iter()
            .map(|node| {
                let Located {
                    source,
                    auth,
                    size_is_exact,
                } = self
                    .session
                    .locate(&self.job, &SafeRelPath::parse(&node.path)?)?;
                Ok(ItemSpec {
                    source,
                    dest: node.path.clone(),
                    size: node.size.filter(|_| size_is_exact),
                    digest: node.digest.clone(),
                    auth,
                })
            })
            .collect()
    }

    /// The paths of the files that match any of `globs` (`*` matches across folders: `*.fits` is every
    /// FITS file); an error naming the glob that matches nothing.
    pub fn matching(&self, globs: &[String]) -> Result<Vec<String>> {
        let mut paths: Vec<&String> = self.files.keys().collect();
        paths.sort();
        let mut chosen = Vec::new();
        for glob in globs {
            let pattern = glob::Pattern::new(glob).map_err(|err| {
                Error::invalid_input(format!(
                    "{glob:?} is not a glob ({err}); try \"*.fits\" or \"DES0226-1541/*\"."
                ))
            })?;
            let before = chosen.len();
            chosen.extend(
                paths
                    .iter()
                    .filter(|path| pattern.matches(path))
                    .map(|path| (*path).clone()),
            );
            if chosen.len() == before {
                return Err(Error::invalid_input(format!(
                    "{glob:?} matches none of this job's {} files; see them with `jobfetch outputs`.",
                    self.files.len()
                )));
            }
        }
        chosen.sort();
        chosen.dedup();
        Ok(chosen)
    }

    /// Where a listed file is fetched from for its preview, and what is known of it. `auth` must be the
    /// policy [`ListedJob::located`] gave.
    pub fn preview_source<'a>(
        &'a self,
        path: &str,
        located: &'a Located,
    ) -> Result<PreviewSource<'a>> {
        let file = self.file(path)?;
        let Source::Url { url } = &located.source else {
            return Err(Error::new(
                ErrorCode::NoPreview,
                "This archive hands out this file's address only for a download; download it to see it.",
            ));
        };
        Ok(PreviewSource {
            url: url::Url::parse(url)
                .map_err(|err| Error::protocol(format!("{url:?} is not a URL: {err}")))?,
            auth: &located.auth,
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

    /// Where a listed file comes from.
    pub fn located(&self, path: &str) -> Result<Located> {
        self.file(path)?;
        self.session.locate(&self.job, &SafeRelPath::parse(path)?)
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

/// The files at or below any of `paths`.
fn collect_selected<'a>(node: &'a OutputNode, paths: &[String], out: &mut Vec<&'a OutputNode>) {
    let selected = paths
        .iter()
        .any(|p| p.is_empty() || node.path == *p || node.path.starts_with(&format!("{p}/")));
    if node.kind == OutputKind::Directory {
        for child in &node.children {
            collect_selected(child, paths, out);
        }
    } else if selected {
        out.push(node);
    }
}
