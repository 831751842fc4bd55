//! What the generic session shape asks of JDMA beyond listing: a request's stage timeline, the folder
//! a GET of a batch goes to unless the user says otherwise, and GETs and DELETEs of a job's batch,
//! each answered with the request it made, as a job.

use super::session::{common_folder, JdmaSession, JobKey};
use crate::catalog::{Job, JobStages};
use crate::error::{Error, Result};
use crate::paths::SafeRelPath;

/// What a default GET target's name adds to the name of the folder the batch's files share.
const TARGET_SUFFIX: &str = "_get";

impl JdmaSession {
    /// A request's stages in the order they happen (with its failure reason); `None` for a batch.
    pub(super) async fn job_stages(&self, job: &Job) -> Result<Option<JobStages>> {
        match JobKey::parse(&job.id) {
            Some(JobKey::Request(id)) => Ok(Some(self.request_status(id, None).await?.timeline)),
            Some(JobKey::Batch(_)) => Ok(None),
            None => Err(self.not_a_job(&job.id)),
        }
    }

    /// Where a GET of `job`'s batch goes by default: beside the folder its files share, named after it
    /// with `_get` (`/gws/…/run1` → `/gws/…/run1_get`), so the target's parent is a folder JDMA knows.
    pub(super) async fn default_target(&self, job: &Job) -> Result<String> {
        let batch = self.batch_of(job).await?;
        let listing = self.batch_files(batch).await?;
        let files = listing.archives.iter().flat_map(|a| &a.files);
        let common = common_folder(files.map(|f| f.path.as_str()));
        target_beside(&common).ok_or_else(|| {
            Error::invalid_input(format!(
                "Batch {batch}'s files share no folder to put a GET's target beside: give the folder \
                 on JASMIN to bring them back into."
            ))
        })
    }

    /// Submits a GET of `paths` of `job`'s batch tree (all of it when empty) into `target`; the GET as
    /// a job.
    pub(super) async fn retrieve_into(
        &self,
        job: &Job,
        paths: &[SafeRelPath],
        target: &str,
    ) -> Result<Job> {
        let batch = self.batch_of(job).await?;
        let originals = match paths {
            [] => None,
            paths => {
                let chosen: Vec<String> = paths.iter().map(SafeRelPath::to_string).collect();
                Some(self.originals(batch, &chosen).await?)
            }
        };
        let made = self.get(batch, target, originals.as_deref()).await?;
        self.request_job(&self.request(made.request_id).await?)
    }

    /// Submits a DELETE of a batch job from its storage; the DELETE as a job.
    pub(super) async fn delete_job(&self, job: &Job) -> Result<Job> {
        let batch = match JobKey::parse(&job.id) {
            Some(JobKey::Batch(batch)) => batch,
            Some(JobKey::Request(_)) => {
                return Err(Error::invalid_input(format!(
                "{} is a request, which JDMA cannot delete or cancel: delete its batch instead.",
                job.id
            )))
            }
            None => return Err(self.not_a_job(&job.id)),
        };
        let made = self.delete(batch).await?;
        self.request_job(&self.request(made.request_id).await?)
    }
}

/// `<common>_get`, beside the folder `common`; `None` for no folder or the root.
fn target_beside(common: &str) -> Option<String> {
    let common = common.trim_end_matches('/');
    let (_, name) = common.rsplit_once('/')?;
    (!name.is_empty()).then(|| format!("{common}{TARGET_SUFFIX}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_target_sits_beside_the_shared_folder() {
        assert_eq!(
            target_beside("/gws/nopw/j04/climate/users/demo/run1").as_deref(),
            Some("/gws/nopw/j04/climate/users/demo/run1_get")
        );
        assert_eq!(target_beside("/gws/").as_deref(), Some("/gws_get"));
        assert_eq!(target_beside("/"), None);
        assert_eq!(target_beside(""), None);
    }
}
