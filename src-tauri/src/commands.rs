//! The IPC commands: thin wrappers that hand UI requests to the engine and keep secrets in the keyring.

use std::sync::Arc;

use jobfetch_engine::catalog::{Job, OutputNode};
use jobfetch_engine::paths::safe_component;
use jobfetch_engine::providers::desaccess::{listing, DesAccess, DesAccessAccount, PasswordSource};
use jobfetch_engine::transfer::model::AuthPolicy;
use jobfetch_engine::{ErrorCode, Result};
use tauri::{AppHandle, State};

use crate::listed::ListedJob;
use crate::secrets::{blocking, Secret, SecretKey};
use crate::settings;
use crate::state::{AppState, Session, SignInForm, StartupState};

#[tauri::command]
pub async fn startup_state(app: AppHandle, state: State<'_, AppState>) -> Result<StartupState> {
    Ok(StartupState {
        demo: state.demo.as_ref().map(|demo| demo.form.clone()),
        saved_account: settings::saved_account(&app),
    })
}

#[tauri::command]
pub async fn sign_in(
    app: AppHandle,
    state: State<'_, AppState>,
    form: SignInForm,
) -> Result<Session> {
    let account = DesAccessAccount::new(&form.api_base, &form.username, &form.database)?;
    let (session, profile) =
        DesAccess::sign_in(state.client.clone(), account.clone(), &form.password).await?;
    let is_demo = state.is_demo(&account);
    let key = SecretKey::new(&account, is_demo);
    let (password, token, store_key) = (form.password, session.token(), key.clone());
    blocking(move || {
        store_key.store(Secret::Password, &password)?;
        store_key.store(Secret::Token, &token)
    })
    .await?;
    if !is_demo {
        settings::save_account(&app, &account);
    }
    *state.session.write().await =
        Some(Arc::new(session.with_password_source(password_source(key))));
    Ok(Session { account, profile })
}

/// Picks up the session kept in the keyring last time; `None` means "show the sign-in form".
#[tauri::command]
pub async fn resume_session(app: AppHandle, state: State<'_, AppState>) -> Result<Option<Session>> {
    if state.demo.is_some() {
        return Ok(None);
    }
    let Some(account) = settings::saved_account(&app) else {
        return Ok(None);
    };
    let key = SecretKey::new(&account, false);
    let load_key = key.clone();
    let Some(token) = blocking(move || load_key.load(Secret::Token)).await? else {
        return Ok(None);
    };
    let session = DesAccess::from_token(state.client.clone(), account.clone(), token)
        .with_password_source(password_source(key.clone()));
    let profile = match session.profile().await {
        Ok(profile) => profile,
        Err(err) if matches!(err.code, ErrorCode::AuthExpired | ErrorCode::AuthFailed) => {
            return Ok(None)
        }
        Err(err) => return Err(err),
    };
    let token = session.token();
    blocking(move || key.store(Secret::Token, &token)).await?;
    *state.session.write().await = Some(Arc::new(session));
    Ok(Some(Session { account, profile }))
}

#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Result<()> {
    let Some(session) = state.session.write().await.take() else {
        return Ok(());
    };
    let key = SecretKey::new(session.account(), state.is_demo(session.account()));
    blocking(move || {
        key.forget(Secret::Token)?;
        key.forget(Secret::Password)
    })
    .await
}

#[tauri::command]
pub async fn list_jobs(state: State<'_, AppState>) -> Result<Vec<Job>> {
    let session = state.session().await?;
    end_session_if_expired(&state, session.jobs().await).await
}

#[tauri::command]
pub async fn job_outputs(state: State<'_, AppState>, job_id: String) -> Result<OutputNode> {
    let session = state.session().await?;
    let job = end_session_if_expired(&state, session.job(&job_id).await).await?;
    let tree = session.outputs(&job).await?;
    let folder = listing::normalize_folder_url(&job.folder_url)?;
    let root = state.download_dir.join(safe_component(&job.id)?);
    state.remember_listing(
        &job.id,
        ListedJob::new(folder, root, AuthPolicy::Anonymous, &tree),
    );
    Ok(tree)
}

/// Forgets the in-memory session when the archive says it is over, so the UI's next step is a clean sign-in.
async fn end_session_if_expired<T>(state: &AppState, result: Result<T>) -> Result<T> {
    if result
        .as_ref()
        .is_err_and(|err| err.code == ErrorCode::AuthExpired)
    {
        state.session.write().await.take();
    }
    result
}

/// Lets an expired session sign in again with the password from the keyring.
fn password_source(key: SecretKey) -> PasswordSource {
    Arc::new(move || tokio::task::block_in_place(|| key.load(Secret::Password).ok().flatten()))
}
