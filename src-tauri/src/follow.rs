//! "Download when finished": a running job followed until it ends (appkit's follower, any archive whose
//! jobs run), then its download started, or the reason it failed told; the window hears each step, and a
//! desktop notification tells the end.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jobfetch_appkit::follow::{follow, FollowEvent, Pacing};
use jobfetch_engine::catalog::{Job, JobStatus};
use jobfetch_engine::ids::{AccountId, JobRef};
use jobfetch_engine::transfer::BatchId;
use jobfetch_engine::{ErrorCode, Result};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::activity::Activity;
use crate::state::AppState;

/// The window event that carries a [`FollowUpdate`].
pub const FOLLOW_EVENT: &str = "followed-job";

/// A step of a followed job.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[ts(export)]
pub enum FollowUpdate {
    /// Followed, and still running: as first seen, and at each change.
    #[serde(rename_all = "camelCase")]
    Waiting { job: Job },
    /// It succeeded and its download started: the batch.
    #[serde(rename_all = "camelCase")]
    Downloading {
        job: JobRef,
        #[ts(type = "number")]
        batch: BatchId,
    },
    /// It failed on the archive, or following it or starting its download failed: why, in words.
    #[serde(rename_all = "camelCase")]
    Failed { job: JobRef, message: String },
    /// The user stopped waiting for it.
    #[serde(rename_all = "camelCase")]
    Stopped { job: JobRef },
}

/// The jobs followed now, each with how to stop following it.
#[derive(Default)]
pub struct Followed {
    jobs: Mutex<HashMap<JobRef, CancellationToken>>,
}

impl Followed {
    /// The jobs followed now.
    fn jobs(&self) -> Vec<JobRef> {
        self.jobs
            .lock()
            .expect("followed lock")
            .keys()
            .cloned()
            .collect()
    }

    /// Starts following `job` unless it is already; `None` when it is.
    fn start(&self, job: &JobRef) -> Option<CancellationToken> {
        let mut jobs = self.jobs.lock().expect("followed lock");
        if jobs.contains_key(job) {
            return None;
        }
        let cancel = CancellationToken::new();
        jobs.insert(job.clone(), cancel.clone());
        Some(cancel)
    }

    fn stop(&self, job: &JobRef) {
        if let Some(cancel) = self.jobs.lock().expect("followed lock").remove(job) {
            cancel.cancel();
        }
    }

    fn forget(&self, job: &JobRef) {
        self.jobs.lock().expect("followed lock").remove(job);
    }
}

/// Waits for a running job to end, then downloads it (`paths`: the outputs to download; `None`: all of
/// it) into the account's download folder. Returns once following has begun.
#[tauri::command]
pub async fn download_when_finished(
    app: AppHandle,
    state: State<'_, AppState>,
    followed: State<'_, Arc<Followed>>,
    account: AccountId,
    job_id: String,
    paths: Option<Vec<String>>,
) -> Result<()> {
    let session = state.desk.session(&account).await?;
    let info = state
        .desk
        .registry()
        .get(&account.provider())?
        .info()
        .clone();
    let job = JobRef {
        account,
        job: job_id,
    };
    let Some(cancel) = followed.start(&job) else {
        return Ok(());
    };
    let followed = followed.inner().clone();
    tauri::async_runtime::spawn(async move {
        let ended = follow(
            &*session,
            &info,
            &job.job,
            &Pacing::default(),
            &cancel,
            |event| {
                if let FollowEvent::Changed { job, .. } = event {
                    tell(&app, FollowUpdate::Waiting { job: job.clone() });
                }
            },
        )
        .await;
        followed.forget(&job);
        let update = match ended {
            Ok(ended) => finish(&app, &job, &ended, paths.as_deref()).await,
            Err(error) if error.code == ErrorCode::Cancelled => FollowUpdate::Stopped { job },
            Err(error) => {
                announce(
                    &app,
                    &format!("Stopped waiting for job {}", job.job),
                    &error.message,
                );
                FollowUpdate::Failed {
                    job,
                    message: error.message,
                }
            }
        };
        tell(&app, update);
    });
    Ok(())
}

/// Starts the download of a job that ended well, or tells why it did not.
async fn finish(
    app: &AppHandle,
    job: &JobRef,
    ended: &Job,
    paths: Option<&[String]>,
) -> FollowUpdate {
    let name = if ended.name.is_empty() {
        &ended.id
    } else {
        &ended.name
    };
    if ended.status != JobStatus::Success {
        let why = match ended.status_message.trim() {
            "" => format!(
                "The archive says the job ended as {}.",
                ended.status.label().to_lowercase()
            ),
            message => message.to_string(),
        };
        announce(app, &format!("{name} failed"), &why);
        return FollowUpdate::Failed {
            job: job.clone(),
            message: why,
        };
    }
    let state = app.state::<AppState>();
    let folder = state.prefs.folder_of(&job.account);
    match state.desk.download(job, paths, &folder).await {
        Ok(batch) => {
            let snapshot = state
                .desk
                .transfers
                .snapshots()
                .ok()
                .and_then(|all| all.into_iter().find(|snapshot| snapshot.id == batch));
            if let (Some(activity), Some(snapshot)) = (app.try_state::<Arc<Activity>>(), snapshot) {
                activity.announce_end_of(&snapshot);
            }
            announce(
                app,
                &format!("{name} finished"),
                &format!("Downloading its files into {}.", folder.display()),
            );
            FollowUpdate::Downloading {
                job: job.clone(),
                batch,
            }
        }
        Err(error) => {
            announce(app, &format!("Could not download {name}"), &error.message);
            FollowUpdate::Failed {
                job: job.clone(),
                message: error.message,
            }
        }
    }
}

fn announce(app: &AppHandle, title: &str, body: &str) {
    if let Some(activity) = app.try_state::<Arc<Activity>>() {
        activity.notify(title, body);
    }
}

fn tell(app: &AppHandle, update: FollowUpdate) {
    if let Err(err) = app.emit(FOLLOW_EVENT, &update) {
        tracing::warn!("could not tell the window about a followed job: {err}");
    }
}

/// The jobs waited for now.
#[tauri::command]
pub async fn followed_jobs(followed: State<'_, Arc<Followed>>) -> Result<Vec<JobRef>> {
    Ok(followed.jobs())
}

/// Stops waiting for a job; nothing is downloaded.
#[tauri::command]
pub async fn stop_following(
    followed: State<'_, Arc<Followed>>,
    account: AccountId,
    job_id: String,
) -> Result<()> {
    followed.stop(&JobRef {
        account,
        job: job_id,
    });
    Ok(())
}
