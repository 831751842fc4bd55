//! The account and job commands: thin calls into the appkit's Desk.

use jobfetch_appkit::desk::SignedIn;
use jobfetch_engine::catalog::{Footprint, Job, OutputNode};
use jobfetch_engine::ids::{AccountId, JobRef, ProviderId};
use jobfetch_engine::providers::FieldValues;
use jobfetch_engine::{ErrorCode, Result};
use tauri::State;

use crate::state::{AppState, SignInForm, StartupState};

#[tauri::command]
pub async fn startup_state(state: State<'_, AppState>) -> Result<StartupState> {
    let saved = state.desk.accounts()?;
    Ok(StartupState {
        providers: state.desk.providers(),
        accounts: saved.accounts,
        active: saved.active,
        demos: state
            .demo
            .as_ref()
            .map(|demo| demo.forms.clone())
            .unwrap_or_default(),
        open: crate::launch::first_launch_requests(),
    })
}

/// Adds an account from the sign-in form and signs in; its secrets go to the keyring.
#[tauri::command]
pub async fn add_account(
    state: State<'_, AppState>,
    provider: ProviderId,
    values: FieldValues,
) -> Result<SignedIn> {
    let ephemeral = state.is_demo(&SignInForm {
        provider: provider.clone(),
        values: values.clone(),
    });
    state.desk.add_account(&provider, values, ephemeral).await
}

/// Signs an account in with what the keyring keeps, and makes it the active one.
#[tauri::command]
pub async fn sign_in(state: State<'_, AppState>, account: AccountId) -> Result<SignedIn> {
    let signed_in = state.desk.sign_in(&account).await?;
    state.desk.set_active(&account)?;
    Ok(signed_in)
}

/// Signs the active account in as it was last time; `None` means "show the sign-in form".
#[tauri::command]
pub async fn resume_session(state: State<'_, AppState>) -> Result<Option<SignedIn>> {
    if state.demo.is_some() {
        return Ok(None);
    }
    let Some(active) = state.desk.accounts()?.active else {
        return Ok(None);
    };
    match state.desk.sign_in(&active).await {
        Ok(signed_in) => Ok(Some(signed_in)),
        Err(err) if matches!(err.code, ErrorCode::AuthExpired | ErrorCode::AuthFailed) => Ok(None),
        Err(err) => Err(err),
    }
}

#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>, account: AccountId) -> Result<()> {
    state.desk.sign_out(&account).await
}

#[tauri::command]
pub async fn remove_account(state: State<'_, AppState>, account: AccountId) -> Result<()> {
    state.desk.remove_account(&account).await?;
    state.prefs.forget(&account);
    Ok(())
}

#[tauri::command]
pub async fn list_jobs(state: State<'_, AppState>, account: AccountId) -> Result<Vec<Job>> {
    state.desk.jobs(&account).await
}

/// Searches the account's archive (its `ProviderInfo::search` form); the matches become its jobs.
#[tauri::command]
pub async fn search_jobs(
    state: State<'_, AppState>,
    account: AccountId,
    values: FieldValues,
) -> Result<Vec<Job>> {
    state.desk.search(&account, &values).await
}

#[tauri::command]
pub async fn job_outputs(
    state: State<'_, AppState>,
    account: AccountId,
    job_id: String,
) -> Result<OutputNode> {
    let folder = state.prefs.folder_of(&account);
    let job = JobRef {
        account,
        job: job_id,
    };
    let listed = state.desk.outputs(&job, &folder).await?;
    Ok(listed.tree.clone())
}

/// Where the job's scenes lie on Earth, for the map (empty for archives without footprints).
#[tauri::command]
pub async fn job_footprints(
    state: State<'_, AppState>,
    account: AccountId,
    job_id: String,
) -> Result<Vec<Footprint>> {
    state
        .desk
        .footprints(&JobRef {
            account,
            job: job_id,
        })
        .await
}

/// The job the account's window showed last, to open again.
#[tauri::command]
pub async fn last_job(state: State<'_, AppState>, account: AccountId) -> Result<Option<String>> {
    Ok(state.prefs.last_job(&account))
}

/// Remembers the job the account's window shows (`None`: none).
#[tauri::command]
pub async fn remember_job(
    state: State<'_, AppState>,
    account: AccountId,
    job_id: Option<String>,
) -> Result<()> {
    state.prefs.set_last_job(&account, job_id);
    Ok(())
}
