//! `jobfetch mast search|get|import`: MAST (STScI) from a terminal, as astroquery and MAST's scripts are used.

mod get;
mod import;
mod search;
mod token;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use jobfetch_appkit::Desk;
use jobfetch_engine::ids::ProviderId;
use jobfetch_engine::providers::mast::search::Criteria;
use jobfetch_engine::providers::mast::{base_address, DEFAULT_BASE};
use jobfetch_engine::transfer::model::{BatchOrigin, OriginScope};
use jobfetch_engine::transfer::plan::{self, NewBatch};
use jobfetch_engine::transfer::ItemSpec;
use jobfetch_engine::{Error, Result};

use crate::download::DownloadOptions;
use crate::{fail, out_dir};
use token::Auth;

#[derive(Subcommand)]
pub enum MastCommand {
    /// List the observations matching a search: a table, or JSON with --json.
    Search {
        #[command(flatten)]
        find: Find,
        /// One JSON array of observations, every field, instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Download the products of the observations a search finds.
    ///
    /// Files go to OUT/<collection>/<obs_id>/<file>, with MANIFEST.html, MANIFEST.json and
    /// manifest.csv. Running the same command again continues.
    Get {
        #[command(flatten)]
        find: Find,
        #[command(flatten)]
        filter: get::Filter,
        /// Where to put the products (created if missing).
        #[arg(long, short)]
        out: PathBuf,
        #[command(flatten)]
        download: DownloadOptions,
        #[command(flatten)]
        token: token::TokenOption,
    },
    /// Download the files of a MAST-generated bash script, without running it.
    ///
    /// Either style of script: the Portal's bundle.sh, or MAST Search's. Files go where the script
    /// would put them, with OUT as its download folder. Running the same command again continues.
    Import {
        /// The script, as MAST's Portal (bundle.sh) or MAST Search made it.
        script: PathBuf,
        /// Where to put the files: the script's download folder (created if missing).
        #[arg(long, short)]
        out: PathBuf,
        #[command(flatten)]
        download: DownloadOptions,
        #[command(flatten)]
        token: token::TokenOption,
    },
}

/// Which MAST to ask and what to search it for.
#[derive(clap::Args, Debug, Clone)]
pub struct Find {
    /// The MAST to use (what astroquery's `[mast] server` option holds).
    #[arg(long, value_name = "URL", default_value = DEFAULT_BASE)]
    mast_url: String,
    /// A mission's collection: HST, JWST, TESS, ...
    #[arg(long)]
    collection: Option<String>,
    /// A proposal (program) id, e.g. 16123.
    #[arg(long)]
    proposal: Option<String>,
    /// An instrument as MAST names it, e.g. WFC3/UVIS or NIRCAM/IMAGE.
    #[arg(long)]
    instrument: Option<String>,
    /// A target name as MAST records it (* and % are wildcards).
    #[arg(long, value_name = "NAME", conflicts_with = "ra")]
    target: Option<String>,
    /// Right ascension of a cone's centre, in degrees (with --dec and --radius).
    #[arg(long, requires_all = ["dec", "radius"], allow_negative_numbers = true)]
    ra: Option<f64>,
    /// Declination of a cone's centre, in degrees (with --ra and --radius).
    #[arg(long, requires_all = ["ra", "radius"], allow_negative_numbers = true)]
    dec: Option<f64>,
    /// A cone's radius, in degrees (with --ra and --dec).
    #[arg(long, value_name = "DEG", requires_all = ["ra", "dec"])]
    radius: Option<f64>,
}

impl Find {
    /// The search criteria, checked: at least one, and a cone MAST accepts.
    fn criteria(&self) -> Result<Criteria> {
        let cone = match (self.ra, self.dec, self.radius) {
            (Some(ra), Some(dec), Some(radius)) => Some((ra, dec, radius)),
            _ => None,
        };
        let criteria = Criteria {
            collection: self.collection.clone(),
            proposal: self.proposal.clone(),
            instrument: self.instrument.clone(),
            target: self.target.clone(),
            cone,
            ..Criteria::default()
        };
        if criteria == Criteria::default() {
            return Err(Error::invalid_input(
                "Say what to search for: --collection, --proposal, --instrument, --target, \
                 or a cone with --ra, --dec and --radius.",
            ));
        }
        criteria.request()?;
        Ok(criteria)
    }

    /// The MAST base address, without a trailing `/`.
    fn base(&self) -> Result<String> {
        base_address(&self.mast_url).map_err(|mut err| {
            err.message = format!("--mast-url: {}", err.message);
            err
        })
    }
}

/// Runs a `jobfetch mast` command; `state_dir` is asked for only by those that download.
pub async fn run(
    command: MastCommand,
    state_dir: impl FnOnce() -> std::result::Result<PathBuf, ExitCode>,
) -> ExitCode {
    match command {
        MastCommand::Search { find, json } => match search::run(&find, json).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => fail(&err.message),
        },
        MastCommand::Get {
            find,
            filter,
            out,
            download,
            token,
        } => {
            let desk = match open(state_dir, &download) {
                Ok(desk) => desk,
                Err(code) => return code,
            };
            let prepared = get::prepare(&desk, &find, &filter, &out, &token).await;
            fetch(&desk, &out, &download, prepared).await
        }
        MastCommand::Import {
            script,
            out,
            download,
            token,
        } => {
            let desk = match open(state_dir, &download) {
                Ok(desk) => desk,
                Err(code) => return code,
            };
            let prepared = import::prepare(&desk, &script, &out, &token).await;
            fetch(&desk, &out, &download, prepared).await
        }
    }
}

/// The Desk a downloading command works with.
fn open(
    state_dir: impl FnOnce() -> std::result::Result<PathBuf, ExitCode>,
    options: &DownloadOptions,
) -> std::result::Result<Desk, ExitCode> {
    options
        .open_desk(&state_dir()?)
        .map_err(|err| fail(&err.message))
}

/// A batch ready to start: what it is, its files, and what to say when some fail.
pub struct Prepared {
    new: NewBatch,
    items: Vec<ItemSpec>,
    advice: Option<String>,
}

impl Prepared {
    /// The batch `name` into `out`, continued by any later run with the same `key`, with a token or
    /// without.
    fn new(
        name: String,
        key: String,
        items: Vec<ItemSpec>,
        auth: Auth,
        out: &Path,
    ) -> Result<Self> {
        let new = NewBatch {
            name: format!("{name} ({} files)", items.len()),
            origin: BatchOrigin {
                provider: ProviderId::new("mast")?,
                account: auth.account,
                job: None,
                scope: OriginScope::Selection,
            },
            key,
            root: std::path::absolute(out).map_err(|err| Error::disk("find", out, err))?,
            continue_earlier: true,
        };
        Ok(Prepared {
            new,
            items,
            advice: auth.advice,
        })
    }
}

/// Downloads a prepared batch into `out`, made only now: a search or script that yields nothing
/// leaves no folder behind.
async fn fetch(
    desk: &Desk,
    out: &Path,
    options: &DownloadOptions,
    prepared: Result<Prepared>,
) -> ExitCode {
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(err) => return fail(&err.message),
    };
    if let Err(message) = out_dir::check(out) {
        return fail(&message);
    }
    let start = plan::start(
        &desk.transfers,
        prepared.new,
        plan::of_items(prepared.items),
    );
    options
        .follow(desk, start, prepared.advice.as_deref())
        .await
}
