//! The commands for jobs that move through stages and files kept on storage (JDMA's batches and
//! requests): what can be done with a job, its stages, bringing its files back, deleting it.

use jobfetch_engine::catalog::{Job, JobStages};
use jobfetch_engine::ids::{AccountId, JobRef};
use jobfetch_engine::providers::JobOffers;
use jobfetch_engine::Result;
use tauri::State;

use crate::state::AppState;

fn job_ref(account: AccountId, job_id: String) -> JobRef {
    JobRef {
        account,
        job: job_id,
    }
}

/// What can be done with a job now: download it, bring it back from storage, delete it.
#[tauri::command]
pub async fn job_offers(
    state: State<'_, AppState>,
    account: AccountId,
    job_id: String,
) -> Result<JobOffers> {
    state.desk.offers(&job_ref(account, job_id)).await
}

/// A job's stages in order, for its timeline (`null` for jobs without stages).
#[tauri::command]
pub async fn job_stages(
    state: State<'_, AppState>,
    account: AccountId,
    job_id: String,
) -> Result<Option<JobStages>> {
    state.desk.stages(&job_ref(account, job_id)).await
}

/// Where bringing a job's files back from storage goes unless the user says otherwise.
#[tauri::command]
pub async fn retrieval_target(
    state: State<'_, AppState>,
    account: AccountId,
    job_id: String,
) -> Result<String> {
    state.desk.retrieval_target(&job_ref(account, job_id)).await
}

/// Asks the archive to bring `paths` of a job (all of it when empty) back from storage into
/// `target`; the request it made, as a job.
#[tauri::command]
pub async fn retrieve_from_storage(
    state: State<'_, AppState>,
    account: AccountId,
    job_id: String,
    paths: Vec<String>,
    target: String,
) -> Result<Job> {
    state
        .desk
        .retrieve(&job_ref(account, job_id), &paths, &target)
        .await
}

/// Deletes a job at its archive (the app asked first); the request doing it, as a job.
#[tauri::command]
pub async fn delete_job(
    state: State<'_, AppState>,
    account: AccountId,
    job_id: String,
) -> Result<Job> {
    state.desk.delete(&job_ref(account, job_id)).await
}
