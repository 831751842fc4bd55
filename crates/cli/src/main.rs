//! jobfetch: the Jobfetch engine from a terminal, for scripts and HPC nodes.

mod progress;
mod state;
mod thumb;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use jobfetch_engine::ids::ProviderId;
use jobfetch_engine::preview::{Limits, RenderOptions, Stretch, DEFAULT_SIZE};
use jobfetch_engine::transfer::model::{BatchOrigin, OriginScope};
use jobfetch_engine::transfer::{folder, BatchState, ItemState, TransferConfig, Transfers};
use jobfetch_engine::units::{self, human_size};

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
    /// Download a DESaccess job folder (or any nginx JSON-autoindex folder) to OUT/<job_id>/...
    /// Running the same command again continues where it stopped.
    Get {
        /// The job folder URL, e.g. https://des.ncsa.illinois.edu/files-desaccess/<user>/cutout/<job_id>/
        folder_url: String,
        /// Where to put the job folder.
        #[arg(long, short, default_value = ".")]
        out: PathBuf,
        /// Files (and folder listings) fetched at once.
        #[arg(long, short = 'j', default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=256))]
        concurrency: u64,
        /// Bandwidth limit per second, in binary units as the progress shows them: 500K, 20M, 1.5MiB.
        #[arg(long, value_parser = parse_rate)]
        limit_rate: Option<u64>,
        /// No progress bar, even on a terminal.
        #[arg(long, short)]
        quiet: bool,
    },
    /// List download batches and how far each got.
    Status,
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

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
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
            out,
            concurrency,
            limit_rate,
            quiet,
        } => match state_dir() {
            Ok(state_dir) => {
                get(
                    &state_dir,
                    &folder_url,
                    &out,
                    concurrency as usize,
                    limit_rate,
                    quiet,
                )
                .await
            }
            Err(code) => code,
        },
        Command::Status => state_dir().map_or_else(|code| code, |dir| status(&dir)),
        Command::Export { batch, format } => {
            state_dir().map_or_else(|code| code, |dir| export(&dir, batch, format))
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

async fn get(
    state_dir: &Path,
    folder_url: &str,
    out: &Path,
    concurrency: usize,
    limit_rate: Option<u64>,
    quiet: bool,
) -> ExitCode {
    let config = TransferConfig {
        concurrency,
        per_host: concurrency,
        ..TransferConfig::default()
    };
    let transfers = match Transfers::open(&state::queue_path(state_dir), config) {
        Ok(transfers) => transfers,
        Err(err) => return fail(&err.message),
    };
    transfers.set_bandwidth_limit(limit_rate);
    let client = match jobfetch_engine::http::client() {
        Ok(client) => client,
        Err(err) => return fail(&err.message),
    };
    let origin = match ProviderId::new("desaccess") {
        Ok(provider) => BatchOrigin {
            provider,
            account: None,
            job: None,
            scope: OriginScope::Whole,
        },
        Err(err) => return fail(&err.message),
    };
    let bar = Arc::new(progress::Bar::new(quiet));
    transfers.observe(bar.clone());
    let batch = tokio::select! {
        batch = folder::download_folder(&transfers, &client, &origin, folder_url, out, concurrency) => batch,
        _ = tokio::signal::ctrl_c() => return interrupted(&transfers, None).await,
    };
    let batch = match batch {
        Ok(batch) => batch,
        Err(err) => return fail(&err.message),
    };
    let state = tokio::select! {
        state = transfers.wait(batch) => state,
        _ = tokio::signal::ctrl_c() => return interrupted(&transfers, Some(batch)).await,
    };
    bar.finish();
    let state = match state {
        Ok(state) => state,
        Err(err) => return fail(&err.message),
    };
    report(&transfers, batch, state)
}

/// Prints what went wrong and the one-line summary; exit 0 only when every file arrived whole.
fn report(transfers: &Transfers, batch: i64, state: BatchState) -> ExitCode {
    let (Ok(row), Ok(items), Ok(problems)) = (
        transfers.batch(batch),
        transfers.items(batch),
        transfers.problems(batch),
    ) else {
        return fail("could not read the download queue");
    };
    for problem in &problems {
        let place = if problem.place.is_empty() {
            String::new()
        } else {
            format!("{}: ", problem.place)
        };
        eprintln!("jobfetch: {place}{}", problem.error.message);
    }
    let count = |state: ItemState| items.iter().filter(|i| i.state == state).count();
    for item in items.iter().filter(|i| i.state == ItemState::Failed) {
        let message = item.error.as_ref().map_or("failed", |e| e.message.as_str());
        eprintln!("jobfetch: {}: {message}", item.dest);
    }
    let bytes: u64 = items
        .iter()
        .filter(|i| i.state == ItemState::Done)
        .map(|i| i.bytes_done)
        .sum();
    let failed = count(ItemState::Failed) + problems.len();
    eprintln!(
        "{} file(s) fetched ({}), {} already present, {} failed → {}",
        count(ItemState::Done),
        human_size(bytes),
        count(ItemState::Skipped),
        failed,
        row.root.display()
    );
    match state {
        BatchState::Done => ExitCode::SUCCESS,
        BatchState::PausedDiskFull => {
            let message = row
                .error
                .map(|e| e.message)
                .unwrap_or_else(|| "the disk is full".into());
            eprintln!("jobfetch: {message}\njobfetch: nothing was lost; free some space and run the same command again.");
            ExitCode::FAILURE
        }
        _ => {
            eprintln!(
                "jobfetch: not every file arrived; run the same command again to fetch the rest."
            );
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C: pause so that partial files are kept, and say how to continue.
async fn interrupted(transfers: &Arc<Transfers>, batch: Option<i64>) -> ExitCode {
    if let Some(batch) = batch {
        let _ = transfers.pause(batch);
        let _ = transfers.wait(batch).await;
    }
    eprintln!("\njobfetch: interrupted; run the same command again to continue where it stopped.");
    ExitCode::from(130)
}

fn status(state_dir: &Path) -> ExitCode {
    let path = state::queue_path(state_dir);
    if !path.exists() {
        println!("No downloads yet.");
        return ExitCode::SUCCESS;
    }
    let transfers = match Transfers::open(&path, TransferConfig::default()) {
        Ok(transfers) => transfers,
        Err(err) => return fail(&err.message),
    };
    let snapshots = match transfers.snapshots() {
        Ok(snapshots) => snapshots,
        Err(err) => return fail(&err.message),
    };
    // Batches the queue calls running but no process works on: their `jobfetch get` was killed.
    let interrupted: Vec<i64> = snapshots
        .iter()
        .filter(|batch| transfers.is_interrupted(batch.id).unwrap_or(false))
        .map(|batch| batch.id)
        .collect();
    println!(
        "{:>4}  {:<17}  {:>13}  {:>21}  {:<34}  folder",
        "id", "state", "files", "bytes", "name"
    );
    for batch in snapshots {
        println!(
            "{:>4}  {:<17}  {:>13}  {:>21}  {:<34}  {}",
            batch.id,
            if interrupted.contains(&batch.id) {
                "Interrupted"
            } else {
                batch.state.label()
            },
            format!(
                "{}/{}{}",
                batch.files_done,
                batch.files_total,
                if batch.files_failed > 0 {
                    format!(" ({} failed)", batch.files_failed)
                } else {
                    String::new()
                }
            ),
            format!(
                "{} / {}",
                human_size(batch.bytes_done),
                human_size(batch.bytes_total)
            ),
            batch.name,
            batch.root
        );
    }
    if !interrupted.is_empty() {
        println!(
            "\nAn interrupted batch continues when you run the same `jobfetch get` command again."
        );
    }
    ExitCode::SUCCESS
}

fn export(state_dir: &Path, batch: i64, format: ExportFormat) -> ExitCode {
    let transfers = match Transfers::open(&state::queue_path(state_dir), TransferConfig::default())
    {
        Ok(transfers) => transfers,
        Err(err) => return fail(&err.message),
    };
    let (row, items) = match transfers
        .batch(batch)
        .and_then(|row| Ok((row, transfers.export_items(batch)?)))
    {
        Ok(found) => found,
        Err(err) => return fail(&err.message),
    };
    print!(
        "{}",
        match format {
            ExportFormat::Curl => jobfetch_engine::transfer::export::curl_script(&row.name, &items),
            ExportFormat::Aria2 => jobfetch_engine::transfer::export::aria2_input(&items),
        }
    );
    ExitCode::SUCCESS
}

/// Reads a rate as the progress shows it (`1.5MiB`, `1.5 MiB/s`) or the short way (`500K`, `20M`).
fn parse_rate(text: &str) -> Result<u64, String> {
    units::parse_rate(text).map_err(|err| err.message)
}

/// Parses an engine option (`--stretch`, `--limits`), keeping the engine's advice on failure.
fn parse_option<T: std::str::FromStr<Err = jobfetch_engine::Error>>(
    text: &str,
) -> Result<T, String> {
    text.parse()
        .map_err(|err: jobfetch_engine::Error| err.message)
}

fn fail(message: &str) -> ExitCode {
    eprintln!("jobfetch: {message}");
    ExitCode::from(2)
}
