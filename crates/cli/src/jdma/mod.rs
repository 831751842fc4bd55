//! `jobfetch jdma …`: JASMIN's JDMA from a terminal, as its own `jdma` command is used: the user's
//! details, storage, batches, files and requests (`--json` prints JDMA's own records), PUT, MIGRATE,
//! GET, DELETE and relabel, a request followed through its stages, and a GET's files checked against
//! JDMA's digests. The user is `--user` (default `$USER`); there is no password.

mod follow;
mod show;

use std::any::Any;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use jobfetch_appkit::Desk;
use jobfetch_engine::ids::ProviderId;
use jobfetch_engine::providers::jdma::{self, JdmaSession, PutSpec, Scope};
use jobfetch_engine::providers::{FieldValues, Session};
use jobfetch_engine::transfer::TransferConfig;
use jobfetch_engine::{Error, ErrorCode, Result};

use crate::fail;

/// Which JDMA, as whom.
#[derive(Args, Debug, Clone)]
pub struct Who {
    /// JDMA's API address (jdma_client's JDMA_API_URL).
    #[arg(long, value_name = "URL", global = true, default_value = jdma::DEFAULT_API)]
    api: String,
    /// The JASMIN user name JDMA knows you by (default: $USER).
    #[arg(
        long,
        value_name = "NAME",
        global = true,
        env = "USER",
        hide_env = true
    )]
    user: Option<String>,
}

#[derive(Args)]
pub struct JdmaArgs {
    #[command(flatten)]
    who: Who,
    #[command(subcommand)]
    command: JdmaCommand,
}

/// The batches and requests a listing covers.
#[derive(Args, Debug, Clone)]
pub struct Listing {
    /// Only this group workspace's.
    #[arg(long, short, value_name = "W")]
    workspace: Option<String>,
    /// Every user's in the workspace (JDMA's filter=workspace), not only yours.
    #[arg(long, requires = "workspace")]
    all_users: bool,
    /// JDMA's own records, as JSON, instead of a table.
    #[arg(long)]
    json: bool,
}

impl Listing {
    fn scope(&self) -> Scope {
        Scope {
            workspace: self.workspace.clone(),
            everyone: self.all_users,
        }
    }
}

/// What a PUT or MIGRATE sends.
#[derive(Args, Debug, Clone)]
pub struct Upload {
    /// Files and folders of the group workspace, as absolute paths.
    #[arg(required = true)]
    paths: Vec<String>,
    /// The group workspace they are in.
    #[arg(long, short)]
    workspace: String,
    /// The storage's short id (see `jobfetch jdma storage`), e.g. elastictape.
    #[arg(long, short)]
    storage: String,
    /// The batch's label (default: the first path's last name).
    #[arg(long, short)]
    label: Option<String>,
    /// Follow the request until it completes or fails.
    #[arg(long)]
    follow: bool,
}

#[derive(Subcommand)]
pub enum JdmaCommand {
    /// Your JDMA details: name, email, whether JDMA emails you when a request ends.
    Info {
        #[arg(long)]
        json: bool,
    },
    /// Register with JDMA (as `jdma init`): needed once, before any request.
    Init {
        /// Where JDMA emails you when requests end.
        #[arg(long)]
        email: String,
    },
    /// Whether JDMA emails you when a request ends.
    Notify {
        #[arg(value_parser = ["on", "off"])]
        setting: String,
    },
    /// The storage backends (short id and name).
    Storage {
        #[arg(long)]
        json: bool,
    },
    /// Your batches, with their stage (ON_DISK, PUTTING, ON_STORAGE, …).
    Batches {
        #[command(flatten)]
        listing: Listing,
    },
    /// One batch.
    Batch {
        id: u64,
        #[arg(long)]
        json: bool,
    },
    /// Files of one batch (or of every batch), by archive, with sizes and, with --digest, digests.
    Files {
        batch: Option<u64>,
        /// Each file's digest, FORMAT:value (ADLER32, or SHA256 for older batches).
        #[arg(long, short)]
        digest: bool,
        /// At most this many files per archive.
        #[arg(long, short = 'n')]
        limit: Option<u64>,
        #[command(flatten)]
        listing: Listing,
    },
    /// Your requests (PUT, GET, MIGRATE, DELETE) with their stage.
    Requests {
        #[command(flatten)]
        listing: Listing,
    },
    /// One request, with its stage timeline and failure reason; --follow waits until it ends.
    Request {
        id: u64,
        /// Show each stage as it is reached, until the request completes (exit 0) or fails (exit 2
        /// with its reason).
        #[arg(long)]
        follow: bool,
        #[arg(long)]
        json: bool,
    },
    /// Copy workspace files to storage as a new batch.
    Put(Upload),
    /// Copy workspace files to storage as a new batch, then delete the originals once verified.
    Migrate(Upload),
    /// Bring a batch (or some of its files) back from storage into a folder on JASMIN.
    Get {
        batch: u64,
        /// The folder to put the files in (its parent must exist, where JDMA runs).
        #[arg(long, short = 'r')]
        target: String,
        /// Only these files: their original paths, as `jobfetch jdma files BATCH` lists them.
        paths: Vec<String>,
        /// Follow the request until it completes or fails.
        #[arg(long)]
        follow: bool,
        /// Once complete, check every file in the target against JDMA's sizes and digests (the target
        /// must be readable from here). Implies --follow.
        #[arg(long)]
        verify: bool,
    },
    /// Check a GET's files in its target folder against JDMA's sizes and digests.
    Verify {
        batch: u64,
        #[arg(long, short = 'r')]
        target: PathBuf,
        /// Only these files (original paths), as a partial GET asked for.
        paths: Vec<String>,
    },
    /// Delete a batch from storage (asks for --force: it cannot be undone).
    Delete {
        batch: u64,
        /// Really delete it.
        #[arg(long, short = 'F')]
        force: bool,
        #[arg(long)]
        follow: bool,
    },
    /// Give a batch of yours a new label.
    Label { batch: u64, label: String },
}

/// Runs a `jobfetch jdma` command; `state_dir` holds the saved accounts.
pub async fn run(
    args: JdmaArgs,
    state_dir: impl FnOnce() -> std::result::Result<PathBuf, ExitCode>,
) -> ExitCode {
    if let JdmaCommand::Delete {
        force: false,
        batch,
        ..
    } = &args.command
    {
        return fail(&format!(
            "deleting batch {batch} from storage cannot be undone: run it again with --force to delete it."
        ));
    }
    let desk = match state_dir().map(|dir| crate::desk::open(&dir, TransferConfig::default())) {
        Ok(Ok(desk)) => desk,
        Ok(Err(err)) => return fail(&err.message),
        Err(code) => return code,
    };
    let session = match session(&desk, &args.who).await {
        Ok(session) => session,
        Err(err) => return fail(&err.message),
    };
    match command(&session, args.command).await {
        Ok(code) => code,
        Err(err) => fail(&err.message),
    }
}

async fn command(session: &Arc<JdmaSession>, command: JdmaCommand) -> Result<ExitCode> {
    match command {
        JdmaCommand::Info { json } => show::info(session, json).await?,
        JdmaCommand::Init { email } => {
            let made = session.create_user(&email).await?;
            println!(
                "{}",
                if made {
                    format!("JDMA now knows {}.", session.profile().username)
                } else {
                    format!("JDMA knew {} already.", session.profile().username)
                }
            );
        }
        JdmaCommand::Notify { setting } => {
            let user = session.set_notify(setting == "on").await?;
            println!(
                "JDMA {} email {} when a request ends.",
                if user.notify == Some(true) {
                    "will"
                } else {
                    "will not"
                },
                user.email.as_deref().unwrap_or(&user.name)
            );
        }
        JdmaCommand::Storage { json } => show::storage(session, json).await?,
        JdmaCommand::Batches { listing } => show::batches(session, &listing).await?,
        JdmaCommand::Batch { id, json } => show::batch(session, id, json).await?,
        JdmaCommand::Files {
            batch,
            digest,
            limit,
            listing,
        } => show::files(session, batch, digest, limit, &listing).await?,
        JdmaCommand::Requests { listing } => show::requests(session, &listing).await?,
        JdmaCommand::Request { id, follow, json } => {
            if follow {
                return follow::until_ended(session, id)
                    .await
                    .map(|_| ExitCode::SUCCESS);
            }
            show::request(session, id, json).await?;
        }
        JdmaCommand::Put(upload) => return put(session, upload, false).await,
        JdmaCommand::Migrate(upload) => return put(session, upload, true).await,
        JdmaCommand::Get {
            batch,
            target,
            paths,
            follow,
            verify,
        } => {
            let files = (!paths.is_empty()).then_some(paths.as_slice());
            let made = session.get(batch, &target, files).await?;
            follow::submitted(&made, "GET", batch);
            if !(follow || verify) {
                return Ok(ExitCode::SUCCESS);
            }
            follow::until_ended(session, made.request_id).await?;
            if verify {
                let checked = session
                    .verify_retrieval(batch, target.as_ref(), files, Some(made.request_id))
                    .await?;
                follow::report(&checked)?;
            }
        }
        JdmaCommand::Verify {
            batch,
            target,
            paths,
        } => {
            let files = (!paths.is_empty()).then_some(paths.as_slice());
            let checked = session
                .verify_retrieval(batch, &target, files, None)
                .await?;
            follow::report(&checked)?;
        }
        JdmaCommand::Delete { batch, follow, .. } => {
            let made = session.delete(batch).await?;
            follow::submitted(&made, "DELETE", batch);
            if follow {
                follow::until_ended(session, made.request_id).await?;
            }
        }
        JdmaCommand::Label { batch, label } => {
            session.relabel(batch, &label).await?;
            println!("Batch {batch} is now labelled {label:?}.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn put(session: &Arc<JdmaSession>, upload: Upload, migrate: bool) -> Result<ExitCode> {
    let spec = PutSpec {
        migrate,
        workspace: upload.workspace,
        storage: upload.storage,
        filelist: upload.paths,
        label: upload.label,
    };
    let made = session.put(&spec).await?;
    follow::submitted(
        &made,
        if migrate { "MIGRATE" } else { "PUT" },
        made.batch_id,
    );
    if upload.follow {
        follow::until_ended(session, made.request_id).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The JDMA session: a saved account for this API and user, else one for this run only (the Object
/// Store keys, if any, from $JDMA_ACCESS_KEY and $JDMA_SECRET_KEY).
async fn session(desk: &Desk, who: &Who) -> Result<Arc<JdmaSession>> {
    let jdma_id = ProviderId::new("jdma")?;
    let user = who
        .user
        .as_deref()
        .map(str::trim)
        .filter(|user| !user.is_empty())
        .ok_or_else(|| {
            Error::invalid_input("Give your JASMIN user name with --user (or set $USER).")
        })?;
    let api = jdma::api_address(&who.api)?.to_string();
    let saved = desk.accounts()?.accounts.into_iter().find(|account| {
        let setting = |key: &str| account.settings.get(key).map_or("", String::as_str);
        account.provider == jdma_id && setting(jdma::API) == api && setting(jdma::USER) == user
    });
    let session = match saved {
        Some(account) => desk.session(&account.id).await?,
        None => {
            let mut values = FieldValues::from([
                (jdma::API.to_string(), api),
                (jdma::USER.to_string(), user.to_string()),
            ]);
            for (key, var) in [
                (jdma::ACCESS_KEY, jdma::ACCESS_KEY_ENV),
                (jdma::SECRET_KEY, jdma::SECRET_KEY_ENV),
            ] {
                if let Some(value) = std::env::var(var).ok().filter(|v| !v.trim().is_empty()) {
                    values.insert(key.to_string(), value.trim().to_string());
                }
            }
            let signed_in = desk.sign_in_for_now(&jdma_id, values).await?;
            desk.session(&signed_in.account.id).await?
        }
    };
    let any: Arc<dyn Any + Send + Sync> = session;
    any.downcast::<JdmaSession>().map_err(|_| {
        Error::new(
            ErrorCode::Internal,
            "The JDMA account opened as another archive's.",
        )
    })
}
