//! `jobfetch up42 jobs|tasks|get`: UP42 projects' jobs and tasks (and accounts' processing jobs) from a
//! terminal, as up42-py's users script them: credentials from a saved account, the environment
//! (`UP42_PROJECT_ID`/`UP42_PROJECT_API_KEY`, or `UP42_USERNAME`/`UP42_PASSWORD`) or a prompt.

use std::any::Any;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use jobfetch_appkit::Desk;
use jobfetch_engine::catalog::OutputNode;
use jobfetch_engine::ids::{JobRef, ProviderId};
use jobfetch_engine::providers::up42::{
    self, Up42Session, FOOTPRINTS_FILE, QUICKLOOK_PREFIX, RESULTS_FILE, TASK_PREFIX,
};
use jobfetch_engine::providers::{FieldValues, Session};
use jobfetch_engine::transfer::model::{BatchOrigin, OriginScope};
use jobfetch_engine::transfer::plan::{self, NewBatch};
use jobfetch_engine::transfer::TransferConfig;
use jobfetch_engine::{Error, ErrorCode, Result};

use crate::download::DownloadOptions;
use crate::fail;
use crate::table::print_table;

#[derive(Subcommand)]
pub enum Up42Command {
    /// List the jobs, newest first: a table, or UP42's own job records with --json.
    Jobs {
        #[command(flatten)]
        who: Who,
        /// One JSON array of UP42's job records (id, name, status as UP42 spells it, ...).
        #[arg(long)]
        json: bool,
    },
    /// List a job's tasks in workflow order: a table, or UP42's own task records with --json.
    Tasks {
        /// The job's id (see `jobfetch up42 jobs`).
        job: String,
        #[command(flatten)]
        who: Who,
        #[arg(long)]
        json: bool,
    },
    /// Download a job's results: each task's result archive into
    /// OUT/project_<p>/job_<j>/task_<t>/ (processing jobs: OUT/job_<j>/<item>/). Running it again continues.
    Get {
        /// The job's id (see `jobfetch up42 jobs`).
        job: String,
        /// Only this task's outputs (see `jobfetch up42 tasks JOB`).
        #[arg(long, value_name = "TASK")]
        task: Option<String>,
        /// Also each task's quicklooks (quicklook_<name>).
        #[arg(long)]
        quicklooks: bool,
        /// Also each task's footprints: UP42's data.json (GeoJSON).
        #[arg(long)]
        footprints: bool,
        /// Unpack each result archive into its folder (without UP42's output/ folder), refusing any
        /// member that would land outside it.
        #[arg(long)]
        extract: bool,
        /// With --extract: delete each archive once it is unpacked.
        #[arg(long, requires = "extract")]
        remove_archive: bool,
        /// Where to put the job's folder (created if missing).
        #[arg(long, short)]
        out: PathBuf,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        download: DownloadOptions,
    },
}

/// Which UP42 and which project.
#[derive(clap::Args, Debug, Clone)]
pub struct Who {
    /// UP42's API address.
    #[arg(long, value_name = "URL", default_value = up42::DEFAULT_API)]
    api: String,
    /// The project (default: $UP42_PROJECT_ID, else the saved UP42 account's).
    #[arg(long, value_name = "ID")]
    project: Option<String>,
    /// Where accounts sign in with email and password (default: auth.<domain> for api.<domain>).
    #[arg(long, value_name = "URL")]
    auth: Option<String>,
}

/// Runs a `jobfetch up42` command; `state_dir` holds the queue and the saved accounts.
pub async fn run(
    command: Up42Command,
    state_dir: impl FnOnce() -> std::result::Result<PathBuf, ExitCode>,
) -> ExitCode {
    let desk = match &command {
        Up42Command::Get { download, .. } => state_dir().map(|dir| download.open_desk(&dir)),
        _ => state_dir().map(|dir| crate::desk::open(&dir, TransferConfig::default())),
    };
    let desk = match desk {
        Ok(Ok(desk)) => desk,
        Ok(Err(err)) => return fail(&err.message),
        Err(code) => return code,
    };
    let result = match command {
        Up42Command::Jobs { who, json } => jobs(&desk, &who, json).await,
        Up42Command::Tasks { job, who, json } => tasks(&desk, &who, &job, json).await,
        Up42Command::Get {
            job,
            task,
            quicklooks,
            footprints,
            extract,
            remove_archive,
            out,
            who,
            download,
        } => {
            let want = Wanted {
                task,
                quicklooks,
                footprints,
            };
            let unpacking = extract.then_some(remove_archive);
            return get(&desk, &who, &job, &want, unpacking, &out, &download).await;
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&err.message),
    }
}

async fn jobs(desk: &Desk, who: &Who, json: bool) -> Result<()> {
    let session = session(desk, who).await?;
    let records = session.job_records().await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&records).expect("records serialize")
        );
        return Ok(());
    }
    let rows: Vec<[String; 4]> = records
        .iter()
        .map(|record| {
            // The seed API says createdAt, the processing API created.
            let text = |keys: &[&str]| {
                keys.iter()
                    .find_map(|key| record.get(*key).and_then(|v| v.as_str()))
                    .unwrap_or("-")
                    .to_string()
            };
            [
                text(&["id"]),
                text(&["status"]),
                text(&["createdAt", "created"]),
                text(&["name"]),
            ]
        })
        .collect();
    if rows.is_empty() {
        println!("{} has no jobs.", session.account().label);
        return Ok(());
    }
    print_table(&["id", "status", "created", "name"], &rows);
    Ok(())
}

async fn tasks(desk: &Desk, who: &Who, job: &str, json: bool) -> Result<()> {
    let session = session(desk, who).await?;
    if json {
        let records = session.task_records(job).await?;
        println!(
            "{}",
            serde_json::to_string_pretty(&records).expect("records serialize")
        );
        return Ok(());
    }
    let rows: Vec<[String; 5]> = session
        .tasks(job)
        .await?
        .into_iter()
        .map(|task| {
            [
                task.label(),
                task.status.clone(),
                task.started_at.clone().unwrap_or_else(|| "-".into()),
                task.finished_at.clone().unwrap_or_else(|| "-".into()),
                task.id,
            ]
        })
        .collect();
    print_table(&["block", "status", "started", "finished", "id"], &rows);
    Ok(())
}

/// What `get` fetches of each task.
struct Wanted {
    task: Option<String>,
    quicklooks: bool,
    footprints: bool,
}

impl Wanted {
    /// The paths in a job's tree to fetch: each chosen task's results, and its footprints and
    /// quicklooks when asked for; a processing job's every asset.
    fn paths(&self, tree: &OutputNode, job: &str) -> Result<Vec<String>> {
        let tasks: Vec<&OutputNode> = tree
            .children
            .iter()
            .filter(|node| match &self.task {
                Some(task) => node.name == format!("{TASK_PREFIX}{task}"),
                None => true,
            })
            .collect();
        if let (Some(task), true) = (&self.task, tasks.is_empty()) {
            return Err(Error::new(
                ErrorCode::NotFound,
                format!("Job {job} has no task {task}; see `jobfetch up42 tasks {job}`."),
            ));
        }
        let is_task = |node: &OutputNode| node.name.starts_with(TASK_PREFIX);
        let paths: Vec<String> = tasks
            .iter()
            .flat_map(|folder| {
                folder
                    .children
                    .iter()
                    .map(move |file| (is_task(folder), file))
            })
            .filter(|(task, file)| {
                !task
                    || file.name == RESULTS_FILE
                    || (self.footprints && file.name == FOOTPRINTS_FILE)
                    || (self.quicklooks && file.name.starts_with(QUICKLOOK_PREFIX))
            })
            .map(|(_, file)| file.path.clone())
            .collect();
        if paths.is_empty() {
            return Err(Error::invalid_input(format!(
                "Job {job} has no results yet{}: see its status with `jobfetch up42 tasks {job}`.",
                self.task
                    .as_ref()
                    .map(|t| format!(" in task {t}"))
                    .unwrap_or_default()
            )));
        }
        Ok(paths)
    }
}

async fn get(
    desk: &Desk,
    who: &Who,
    job: &str,
    want: &Wanted,
    unpacking: Option<bool>,
    out: &Path,
    download: &DownloadOptions,
) -> ExitCode {
    let prepared = async {
        let session = session(desk, who).await?;
        let job_ref = JobRef {
            account: session.account().id.clone(),
            job: job.to_string(),
        };
        let listed = desk.outputs(&job_ref, out).await?;
        let paths = want.paths(&listed.tree, job)?;
        let new = NewBatch {
            name: format!("UP42 job {} ({} files)", listed.job.name, paths.len()),
            origin: BatchOrigin {
                provider: job_ref.account.provider(),
                account: Some(job_ref.account.clone()),
                job: Some(job.to_string()),
                scope: OriginScope::Selection,
            },
            // The same command continues the same batch.
            key: format!("up42 get {} {}", listed.job.location, paths.join(" ")),
            root: listed.root.clone(),
            continue_earlier: true,
        };
        let items = listed.items(&paths)?;
        Ok::<_, Error>((new, items, listed.root.clone()))
    };
    let (new, items, root) = match prepared.await {
        Ok(prepared) => prepared,
        Err(err) => return fail(&err.message),
    };
    let start = plan::start(&desk.transfers, new, plan::of_items(items));
    let batch = std::sync::Arc::new(std::sync::Mutex::new(None));
    let started = {
        let batch = batch.clone();
        async move {
            let id = start.await?;
            *batch.lock().expect("batch lock") = Some(id);
            Ok(id)
        }
    };
    let code = download.follow(desk, started, None).await;
    let Some(remove_archives) = unpacking else {
        return code;
    };
    if code != ExitCode::SUCCESS {
        eprintln!("jobfetch: nothing unpacked: not every file arrived.");
        return code;
    }
    let Some(batch) = *batch.lock().expect("batch lock") else {
        return code;
    };
    match desk.unpack_batch(batch, remove_archives).await {
        Ok(done) => {
            eprintln!(
                "jobfetch: unpacked {} file(s) from {} archive(s) into {}",
                done.files,
                done.archives,
                root.display()
            );
            ExitCode::SUCCESS
        }
        Err(err) => fail(&err.message),
    }
}

/// The UP42 session: a saved account for this API (and project), else credentials from the
/// environment or a prompt, used for this run only.
async fn session(desk: &Desk, who: &Who) -> Result<Arc<Up42Session>> {
    let up42_id = ProviderId::new("up42")?;
    let api = who.api.trim().trim_end_matches('/').to_string();
    let project = who.project.clone().or_else(|| env(up42::PROJECT_ID_ENV));
    let saved = desk.accounts()?.accounts.into_iter().find(|account| {
        let setting = |key: &str| account.settings.get(key).map_or("", String::as_str);
        account.provider == up42_id
            && setting(up42::API) == api
            && project
                .as_deref()
                .is_none_or(|p| setting(up42::PROJECT_ID) == p)
    });
    let session = match saved {
        Some(account) => desk.session(&account.id).await?,
        None => {
            let values = credentials(who, &api, project)?;
            let signed_in = desk.sign_in_for_now(&up42_id, values).await?;
            desk.session(&signed_in.account.id).await?
        }
    };
    let any: Arc<dyn Any + Send + Sync> = session;
    any.downcast::<Up42Session>().map_err(|_| {
        Error::new(
            ErrorCode::Internal,
            "The UP42 account opened as another archive's.",
        )
    })
}

/// A sign-in form from the environment, or from a prompt on a terminal.
fn credentials(who: &Who, api: &str, project: Option<String>) -> Result<FieldValues> {
    let mut values = FieldValues::from([(up42::API.to_string(), api.to_string())]);
    if let Some(auth) = &who.auth {
        values.insert(up42::AUTH.into(), auth.clone());
    }
    let how = format!(
        "save an account (jobfetch account add up42 --set project_id=<id>), or set ${} and ${} (or ${} and ${})",
        up42::PROJECT_ID_ENV,
        up42::API_KEY_ENV,
        up42::USERNAME_ENV,
        up42::PASSWORD_ENV
    );
    if let Some(project) = project {
        let key = env(up42::API_KEY_ENV)
            .or_else(|| {
                crate::desk::prompt(&format!("UP42 API key of project {project}: "))
                    .map(|key| key.expose().trim().to_string())
                    .filter(|key| !key.is_empty())
            })
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotSignedIn,
                    format!("No API key for UP42 project {project}: {how}."),
                )
            })?;
        values.insert(up42::PROJECT_ID.into(), project);
        values.insert(up42::API_KEY.into(), key);
        return Ok(values);
    }
    match (env(up42::USERNAME_ENV), env(up42::PASSWORD_ENV)) {
        (Some(username), Some(password)) => {
            values.insert(up42::USERNAME.into(), username);
            values.insert(up42::PASSWORD.into(), password);
            Ok(values)
        }
        _ => Err(Error::new(
            ErrorCode::NotSignedIn,
            format!("Jobfetch has no UP42 credentials for {api}: {how}, or give --project."),
        )),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}
