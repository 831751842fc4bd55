//! jobfetch: the Jobfetch engine from a terminal, for scripts and HPC nodes.

#[macro_use]
mod stdout;

mod accounts;
mod desk;
mod download;
mod export;
mod jdma;
mod jobs;
mod mast;
mod out_dir;
mod plan;
mod plan_status;
mod progress;
mod shard_get;
mod slurm;
mod source_hint;
mod state;
mod status;
mod table;
mod thumb;
mod up42;
mod wait;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use jobfetch_engine::ids::JobRef;
use jobfetch_engine::preview::{Limits, RenderOptions, Stretch, DEFAULT_SIZE};
use jobfetch_engine::transfer::plan::{self as batch, NewBatch};
use jobfetch_engine::transfer::shard::Shard;
use jobfetch_engine::transfer::TransferConfig;

use crate::download::DownloadOptions;
use crate::wait::WaitOptions;

#[derive(Parser)]
#[command(
    name = "jobfetch",
    version,
    about = "Download science-archive job outputs: fast, safe, verified."
)]
struct Cli {
    /// Where the download queue is kept (default: the user's data folder, or $JOBFETCH_STATE_DIR).
    #[arg(long, global = true, env = "JOBFETCH_STATE_DIR")]
    state_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Download a job of a signed-in account, or a job folder URL (any nginx JSON-autoindex folder),
    /// to OUT/<job_id>/..., or the files of a saved plan (see `jobfetch plan`), whole or one shard.
    /// Running the same command again continues where it stopped.
    Get {
        /// A job id (see `jobfetch jobs`), or the URL of a job folder an archive serves as an nginx
        /// JSON listing. Left out with --plan.
        #[arg(conflicts_with = "plan")]
        folder_url: Option<String>,
        /// The account the job belongs to (default: the active account; see `jobfetch account list`).
        #[arg(long, short, conflicts_with = "plan")]
        account: Option<String>,
        /// Only the files matching these globs, e.g. --select '*.fits' --select 'DES0226-1541/*'.
        #[arg(long, conflicts_with = "plan")]
        select: Vec<String>,
        /// Where to put the job folder (default: the current folder). A plan's files go into the
        /// plan's own folder.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Fetch the files of a plan `jobfetch plan --save` wrote, into the plan's folder.
        #[arg(long, value_name = "PLAN.json")]
        plan: Option<PathBuf>,
        /// With --plan: only shard i of N (i from 0 to N-1), e.g. --shard 0/4. N shards of one plan
        /// run side by side, on one machine or many sharing the folder, and fetch every file once.
        #[arg(long, value_name = "i/N", value_parser = parse_option::<Shard>)]
        shard: Option<Shard>,
        #[command(flatten)]
        download: DownloadOptions,
        #[command(flatten)]
        wait: WaitOptions,
    },
    /// List what `jobfetch get` would fetch (each file's URL, path below OUT, size and digest) without
    /// downloading, and save it as a plan for `jobfetch get --plan`, whole or in shards, here or on
    /// other machines (see also `jobfetch slurm submit`).
    Plan {
        /// Job ids (see `jobfetch jobs`) or job folder URLs, as `jobfetch get` takes them.
        #[arg(required = true)]
        sources: Vec<String>,
        /// The account the jobs belong to (default: the active account).
        #[arg(long, short)]
        account: Option<String>,
        /// Only the files matching these globs, as with `jobfetch get --select`.
        #[arg(long)]
        select: Vec<String>,
        /// The folder the files go below, each job in its own folder as `jobfetch get` puts it.
        #[arg(long, short, default_value = ".")]
        out: PathBuf,
        /// Where to save the plan (JSON). Without it the files are only listed.
        #[arg(long, value_name = "PLAN.json")]
        save: Option<PathBuf>,
    },
    /// Run a plan on a Slurm cluster as a job array, one shard per task, and follow it.
    Slurm {
        #[command(subcommand)]
        command: slurm::SlurmCommand,
    },
    /// Search MAST (STScI: HST, JWST, TESS, ...) and download observations' products, or import a
    /// download script MAST generated.
    Mast {
        #[command(subcommand)]
        command: mast::MastCommand,
    },
    /// UP42: list a project's jobs and tasks, and download their results, quicklooks and footprints.
    Up42 {
        #[command(subcommand)]
        command: up42::Up42Command,
    },
    /// JDMA (JASMIN): batches on tape and object storage, their files and digests, and the requests
    /// that PUT, MIGRATE, GET and DELETE them, followed to the end and checked.
    Jdma(jdma::JdmaArgs),
    /// List download batches and how far each got; with --plan, how far a plan's shards got and
    /// which of its files are missing (exit status 1 while some are).
    Status {
        /// A plan `jobfetch plan --save` wrote: its shards' manifests, combined into one.
        #[arg(long, value_name = "PLAN.json")]
        plan: Option<PathBuf>,
    },
    /// Add, list, remove or sign in to archive accounts (secrets go to the system keyring).
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// List an account's jobs, newest first.
    Jobs {
        #[arg(long, short)]
        account: Option<String>,
        /// One JSON array of jobs instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List a job's outputs.
    Outputs {
        /// The job id, as `jobfetch jobs` shows it.
        job: String,
        #[arg(long, short)]
        account: Option<String>,
        /// The whole output tree as JSON instead of one line per file.
        #[arg(long)]
        json: bool,
    },
    /// Write a batch out as a bash curl script or an aria2 input file, to fetch it on another machine.
    /// Run the result inside the batch's folder (or a copy of it); no secret is ever written.
    Export {
        /// The batch id, as `jobfetch status` shows it.
        batch: i64,
        #[arg(long, value_enum, default_value = "curl")]
        format: ExportFormat,
    },
    /// Write a PNG thumbnail of each PNG, JPEG or FITS file to OUT/<file name>.png.
    /// Files without a preview are named on stderr with the reason; the exit status is then 1.
    Thumb {
        /// The image files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The folder for the thumbnails (created if missing).
        #[arg(long, short)]
        out: PathBuf,
        /// The long side of each thumbnail in pixels; smaller images keep their size.
        #[arg(long, default_value_t = DEFAULT_SIZE, value_parser = clap::value_parser!(u32).range(1..=8192))]
        size: u32,
        /// How FITS values map to grey: linear or asinh.
        #[arg(long, default_value = "linear", value_parser = parse_option::<Stretch>)]
        stretch: Stretch,
        /// Which FITS values are black and white: zscale, minmax, or a percentage such as 99.5.
        #[arg(long, default_value = "zscale", value_parser = parse_option::<Limits>)]
        limits: Limits,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Add an account and sign in: `jobfetch account add ARCHIVE --set username=ana`. Secret fields
    /// come from the archive's environment variable or a prompt (see `jobfetch account archives`).
    Add {
        /// The archive's id, as `jobfetch account archives` lists it.
        archive: String,
        /// A sign-in setting, KEY=VALUE (see `jobfetch account archives`).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        settings: Vec<String>,
    },
    /// List the archives Jobfetch knows and the settings an account of each takes.
    Archives,
    /// List the accounts; the active one is marked with *.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an account and every secret it kept.
    Remove { account: String },
    /// Sign an account in again, asking for its secrets afresh.
    SignIn { account: String },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// A bash script of curl commands that resume, verify and report.
    Curl,
    /// An input file for `aria2c -i`.
    Aria2,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let state_dir = cli.state_dir.or_else(state::default_dir);
    let state_dir = || {
        state_dir
            .ok_or_else(|| fail("cannot tell where to keep the download queue; pass --state-dir."))
    };
    match cli.command {
        Command::Get {
            folder_url,
            account,
            select,
            out,
            plan,
            shard,
            download,
            wait,
        } => match (state_dir(), plan, folder_url) {
            (Err(code), _, _) => code,
            (Ok(_), Some(_), _) if wait.wait => fail(
                "--wait works with a job id of an account: a plan's files are listed already. Drop --wait.",
            ),
            (Ok(state_dir), Some(plan), _) => {
                shard_get::run(&state_dir, &plan, shard, out.as_deref(), &download).await
            }
            (Ok(_), None, _) if shard.is_some() => fail(
                "--shard fetches one part of a plan, so it needs --plan: save a plan with \
                 `jobfetch plan <job or folder URL> --out DIR --save plan.json`, then run \
                 `jobfetch get --plan plan.json --shard i/N` for each i from 0 to N-1.",
            ),
            (Ok(state_dir), None, Some(source)) => {
                let what = What {
                    source: &source,
                    account: account.as_deref(),
                    select: &select,
                };
                let out = out.unwrap_or_else(|| PathBuf::from("."));
                get(&state_dir, &what, &out, &download, &wait).await
            }
            (Ok(_), None, None) => fail(
                "say what to get: a job id (see `jobfetch jobs`), a job folder's URL, or --plan plan.json.",
            ),
        },
        Command::Plan {
            sources,
            account,
            select,
            out,
            save,
        } => match state_dir() {
            Ok(state_dir) => {
                let options = plan::Options {
                    sources: &sources,
                    account: account.as_deref(),
                    select: &select,
                    out: &out,
                    save: save.as_deref(),
                };
                plan::run(&state_dir, &options).await
            }
            Err(code) => code,
        },
        Command::Slurm { command } => match state_dir() {
            Ok(state_dir) => slurm::run(&state_dir, command),
            Err(code) => code,
        },
        Command::Mast { command } => mast::run(command, state_dir).await,
        Command::Up42 { command } => up42::run(command, state_dir).await,
        Command::Jdma(args) => jdma::run(args, state_dir).await,
        Command::Account { command } => match state_dir() {
            Ok(dir) => {
                desk_command(&dir, |desk| async move {
                    match command {
                        AccountCommand::Add { archive, settings } => {
                            accounts::add(&desk, &archive, &settings).await
                        }
                        AccountCommand::List { json } => accounts::list(&desk, json),
                        AccountCommand::Archives => {
                            accounts::archives(&desk);
                            Ok(())
                        }
                        AccountCommand::Remove { account } => {
                            accounts::remove(&desk, &account).await
                        }
                        AccountCommand::SignIn { account } => {
                            accounts::sign_in(&desk, &account).await
                        }
                    }
                })
                .await
            }
            Err(code) => code,
        },
        Command::Jobs { account, json } => match state_dir() {
            Ok(dir) => {
                desk_command(&dir, |desk| async move {
                    jobs::jobs(&desk, account.as_deref(), json).await
                })
                .await
            }
            Err(code) => code,
        },
        Command::Outputs { job, account, json } => match state_dir() {
            Ok(dir) => {
                desk_command(&dir, |desk| async move {
                    jobs::outputs(&desk, &job, account.as_deref(), json).await
                })
                .await
            }
            Err(code) => code,
        },
        Command::Status { plan: Some(plan) } => plan_status::run(&plan),
        Command::Status { plan: None } => {
            state_dir().map_or_else(|code| code, |dir| status::run(&dir))
        }
        Command::Export { batch, format } => {
            state_dir().map_or_else(|code| code, |dir| export::run(&dir, batch, format))
        }
        Command::Thumb {
            files,
            out,
            size,
            stretch,
            limits,
        } => thumb::run(
            &files,
            &out,
            &RenderOptions {
                size,
                stretch,
                limits,
            },
        ),
    }
}

/// Runs a command that needs the Desk; exit 0 on success, 2 with the error's advice otherwise.
async fn desk_command<F, Fut>(state_dir: &Path, command: F) -> ExitCode
where
    F: FnOnce(jobfetch_appkit::Desk) -> Fut,
    Fut: std::future::Future<Output = jobfetch_engine::Result<()>>,
{
    let desk = match desk::open(state_dir, TransferConfig::default()) {
        Ok(desk) => desk,
        Err(err) => return fail(&err.message),
    };
    match command(desk).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&err.message),
    }
}

/// What `jobfetch get` was asked to fetch.
struct What<'a> {
    /// A job id or a folder URL.
    source: &'a str,
    account: Option<&'a str>,
    select: &'a [String],
}

/// The job `what` names through an account; `None` for a folder address (checked to be one).
fn named_job(
    desk: &jobfetch_appkit::Desk,
    what: &What<'_>,
) -> jobfetch_engine::Result<Option<JobRef>> {
    // Job ids are one word of letters, digits, `-`, `_` and `.`; anything else is meant as an address.
    let is_job_id = !what.source.trim().is_empty()
        && what
            .source
            .trim()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !is_job_id {
        source_hint::check(what.source, desk.registry())
            .map_err(jobfetch_engine::Error::invalid_input)?;
        return Ok(None);
    }
    let account = accounts::pick(desk, what.account).map_err(|mut err| {
        if err.code == jobfetch_engine::ErrorCode::NotSignedIn {
            err.message = format!(
                "{:?} looks like a job id. {}",
                what.source.trim(),
                err.message
            );
            if let Some(advice) = source_hint::advice(what.source, desk.registry()) {
                err.message = format!("{} {advice}", err.message);
            }
        }
        err
    })?;
    Ok(Some(JobRef {
        account: account.id,
        job: what.source.trim().to_string(),
    }))
}

/// The batch `what` names and the plan that lists its files: a folder URL as it is, a job id of an
/// account through its archive.
async fn batch_plan(
    desk: &jobfetch_appkit::Desk,
    what: &What<'_>,
    out: &Path,
) -> jobfetch_engine::Result<(NewBatch, batch::Plan)> {
    let Some(job) = named_job(desk, what)? else {
        if !what.select.is_empty() {
            return Err(jobfetch_engine::Error::invalid_input(
                "--select works with a job id of an account (see `jobfetch jobs`), not with a folder URL.",
            ));
        }
        return desk.folder_plan(what.source, out);
    };
    if what.select.is_empty() {
        return desk.plan(&job, None, out).await;
    }
    let out =
        std::path::absolute(out).map_err(|err| jobfetch_engine::Error::disk("find", out, err))?;
    let listed = desk.outputs(&job, &out).await?;
    let paths = listed.matching(what.select)?;
    desk.plan(&job, Some(&paths), &out).await
}

/// Starts the batch `what` names (see [`batch_plan`]).
async fn start_batch(
    desk: &jobfetch_appkit::Desk,
    what: &What<'_>,
    out: &Path,
) -> jobfetch_engine::Result<i64> {
    let (new, plan) = batch_plan(desk, what, out).await?;
    batch::start(&desk.transfers, new, plan).await
}

async fn get(
    state_dir: &Path,
    what: &What<'_>,
    out: &Path,
    options: &DownloadOptions,
    wait: &WaitOptions,
) -> ExitCode {
    if let Err(message) = out_dir::check(out) {
        return fail(&message);
    }
    let desk = match options.open_desk(state_dir) {
        Ok(desk) => desk,
        Err(err) => return fail(&err.message),
    };
    if wait.wait {
        let job = match named_job(&desk, what) {
            Ok(Some(job)) => job,
            Ok(None) => return fail(
                "--wait works with a job id of an account (see `jobfetch jobs`): a folder URL has no job status to wait for.",
            ),
            Err(err) => return fail(&err.message),
        };
        if let Err(code) = wait::until_succeeded(&desk, &job, wait).await {
            return code;
        }
    }
    options
        .follow(&desk, start_batch(&desk, what, out), None)
        .await
}

/// Parses an engine option (`--stretch`, `--limits`), keeping the engine's advice on failure.
fn parse_option<T: std::str::FromStr<Err = jobfetch_engine::Error>>(
    text: &str,
) -> Result<T, String> {
    text.parse()
        .map_err(|err: jobfetch_engine::Error| err.message)
}

/// Says what went wrong; exit 2.
fn fail(message: &str) -> ExitCode {
    eprintln!("jobfetch: {message}");
    ExitCode::from(2)
}
