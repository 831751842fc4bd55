//! Jobs that move through stages and files kept on storage (JDMA's batches and requests): what can be
//! done with a job, its stages, bringing its files back, and deleting it, for any archive that has them.

use std::sync::Arc;

use jobfetch_engine::catalog::{Job, JobStages};
use jobfetch_engine::ids::JobRef;
use jobfetch_engine::paths::SafeRelPath;
use jobfetch_engine::providers::{JobOffers, Session};
use jobfetch_engine::Result;

use crate::Desk;

impl Desk {
    /// The job as its archive describes it now, with its account's session.
    async fn job_now(&self, job: &JobRef) -> Result<(Arc<dyn Session>, Job)> {
        let session = self.session(&job.account).await?;
        let found = session.job(&job.job).await;
        let found = self.end_if_expired(&job.account, found).await?;
        Ok((session, found))
    }

    /// What can be done with the job now (download it, bring it back from storage, delete it).
    pub async fn offers(&self, job: &JobRef) -> Result<JobOffers> {
        let (session, found) = self.job_now(job).await?;
        Ok(session.offers(&found))
    }

    /// The job's stages in order, for a job that moves through named stages; `None` for others.
    pub async fn stages(&self, job: &JobRef) -> Result<Option<JobStages>> {
        let (session, found) = self.job_now(job).await?;
        session.stages(&found).await
    }

    /// Where bringing the job's files back goes unless the user says otherwise.
    pub async fn retrieval_target(&self, job: &JobRef) -> Result<String> {
        let (session, found) = self.job_now(job).await?;
        session.retrieval_target(&found).await
    }

    /// Asks the archive to bring `paths` of the job's tree (all of it when empty) back into `target`;
    /// the request it made, as a job of the same account.
    pub async fn retrieve(&self, job: &JobRef, paths: &[String], target: &str) -> Result<Job> {
        let paths = paths
            .iter()
            .map(|path| SafeRelPath::parse(path))
            .collect::<Result<Vec<_>>>()?;
        let (session, found) = self.job_now(job).await?;
        session.retrieve(&found, &paths, target).await
    }

    /// Deletes the job at its archive; the request doing it, as a job.
    pub async fn delete(&self, job: &JobRef) -> Result<Job> {
        let (session, found) = self.job_now(job).await?;
        session.delete(&found).await
    }
}
