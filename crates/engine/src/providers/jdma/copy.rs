//! "Copy to this computer" for JDMA: a completed GET's files, as its job's outputs and as transfer
//! items, each read where the GET wrote it (`<target>/<path below the batch's common path>`, as
//! [`verify_retrieval`](JdmaSession::verify_retrieval) looks for it) and checked against JDMA's
//! digest and exact size. Through an SSH host the files come over SFTP; without one they are on this
//! computer (Jobfetch runs on JASMIN, or in the demo). JDMA never tells a GET's target again once it
//! is made: a GET made in this session is looked for where it was asked to go, any other in the
//! default target ([`JdmaSession::default_target`]).

use std::path::Path;
use std::sync::Arc;

use super::records::{File, Request};
use super::retrieval::below_base;
use super::session::{placed_files, target_key, tree_of, JdmaSession, JobKey};
use super::stages::{self, RequestKind};
use crate::catalog::{Job, JobStatus, OutputNode};
use crate::error::{Error, ErrorCode, Result};
use crate::paths::SafeRelPath;
use crate::providers::Located;
use crate::transfer::model::{AuthPolicy, Source};
use crate::transfer::ItemSpec;

/// One file a completed GET brought back.
pub(super) struct RetrievedFile {
    /// Its path in the batch's output tree.
    tree_path: String,
    file: File,
    source: Source,
}

impl RetrievedFile {
    fn item(&self) -> ItemSpec {
        ItemSpec {
            source: self.source.clone(),
            dest: self.tree_path.clone(),
            size: Some(self.file.size),
            digest: self.file.digest(),
            auth: AuthPolicy::Anonymous,
        }
    }
}

impl JdmaSession {
    /// The files completed GET `id` brought back, kept for [`JdmaSession::retrieved_source`]; an
    /// error saying what to do for any other request.
    pub(super) async fn retrieved(&self, id: u64) -> Result<Arc<Vec<RetrievedFile>>> {
        let request = self.request(id).await?;
        check_copyable(&request)?;
        let files = Arc::new(self.brought(&request).await?);
        self.keep_retrieved(id, &files);
        Ok(files)
    }

    /// Keeps completed GET `id`'s files for [`JdmaSession::retrieved_source`].
    fn keep_retrieved(&self, id: u64, files: &Arc<Vec<RetrievedFile>>) {
        self.retrieved
            .lock()
            .expect("retrieved lock")
            .insert(id, files.clone());
    }

    /// The files GET `request` brings back (all of its batch, or those its file list names), each
    /// with where it lands below the GET's target.
    async fn brought(&self, request: &Request) -> Result<Vec<RetrievedFile>> {
        let id = request.request_id;
        let batch = request.migration_id.ok_or_else(|| {
            Error::new(
                ErrorCode::Protocol,
                format!("JDMA request {id} names no batch."),
            )
        })?;
        let target = self.target_of(request).await?;
        let listing = self.batch_files(batch).await?;
        let local_target = self.api.ssh_host().is_none().then(|| Path::new(&target));
        let (base, _) = self
            .get_base(batch, &listing, Some(id), local_target)
            .await?;
        let mut files = Vec::new();
        for (tree_path, file) in placed_files(&listing)? {
            let below = below_base(&file.path, &base).map_err(|reason| {
                Error::unsafe_name(format!(
                    "JDMA lists {} in batch {batch}, which Jobfetch does not copy: {reason}.",
                    file.path
                ))
            })?;
            if !asked_for(request, &below) {
                continue;
            }
            let source = match self.api.ssh_host() {
                Some(host) => Source::Sftp {
                    host: host.clone(),
                    path: format!("{}/{below}", target.trim_end_matches('/')),
                },
                None => Source::LocalFile {
                    path: below.under(Path::new(&target)),
                },
            };
            files.push(RetrievedFile {
                tree_path,
                file: file.clone(),
                source,
            });
        }
        Ok(files)
    }

    /// The tree of the files GET `request` brings back: the batch's tree, restricted to the GET's
    /// file list when it had one. Once the GET has completed they are kept for copying.
    pub(super) async fn get_tree(&self, request: &Request) -> Result<OutputNode> {
        let files = Arc::new(self.brought(request).await?);
        if check_copyable(request).is_ok() {
            self.keep_retrieved(request.request_id, &files);
        }
        Ok(tree_of(
            files.iter().map(|f| (f.tree_path.clone(), &f.file)),
        ))
    }

    /// The transfer items of completed GET `id`'s files.
    pub(super) async fn retrieved_items(&self, id: u64) -> Result<Vec<ItemSpec>> {
        Ok(self
            .retrieved(id)
            .await?
            .iter()
            .map(RetrievedFile::item)
            .collect())
    }

    /// Where a file of a completed GET's tree is copied from, once its outputs were listed.
    pub(super) fn retrieved_source(&self, job: &Job, path: &SafeRelPath) -> Option<Located> {
        let Some(JobKey::Request(id)) = JobKey::parse(&job.id) else {
            return None;
        };
        let retrieved = self.retrieved.lock().expect("retrieved lock");
        let path = path.to_string();
        let file = retrieved.get(&id)?.iter().find(|f| f.tree_path == path)?;
        Some(Located {
            source: file.source.clone(),
            auth: AuthPolicy::Anonymous,
            size_is_exact: true,
        })
    }

    /// Where a GET wrote: where Jobfetch asked it to (noted when it was made, in this run or an
    /// earlier one), else the default target (a GET made elsewhere, e.g. with the jdma command).
    async fn target_of(&self, request: &Request) -> Result<String> {
        match self
            .notes
            .get(&self.account.id, &target_key(request.request_id))
        {
            Ok(Some(target)) => return Ok(target),
            Ok(None) => {}
            Err(err) => tracing::warn!(
                "could not read where GET {} was asked to write: {}",
                request.request_id,
                err.message
            ),
        }
        self.default_target(&self.request_job(request)?).await
    }
}

/// Nothing for a completed GET; for any other request, an error saying what to do.
fn check_copyable(request: &Request) -> Result<()> {
    let id = request.request_id;
    let kind = request.kind()?;
    if kind != RequestKind::Get {
        return Err(Error::invalid_input(format!(
            "Request {id} is a {}: only a GET's files are copied to this computer. Bring the batch \
             back with a GET first, then copy that GET's files.",
            kind.name()
        )));
    }
    if stages::job_status(kind, request.stage) != JobStatus::Success {
        return Err(Error::invalid_input(format!(
            "GET {id} is at {}, not GET_COMPLETED: its files are copied once it has completed \
             (jobfetch jdma request {id} --follow waits for it).",
            request.stage_name()
        )));
    }
    Ok(())
}

/// Whether a GET brought back the file at `below` (its path below the batch's common path): every
/// file for a whole batch, else those its file list names (or that are below a folder it names).
fn asked_for(request: &Request, below: &SafeRelPath) -> bool {
    let Some(list) = request.filelist.as_ref().filter(|list| !list.is_empty()) else {
        return true;
    };
    let below = below.to_string();
    list.iter().any(|asked| {
        let asked = asked.trim_matches('/');
        below == asked || below.starts_with(&format!("{asked}/"))
    })
}
