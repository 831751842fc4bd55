//! jobfetch: the Jobfetch engine from a terminal, for scripts and HPC nodes.

mod progress;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use jobfetch_engine::transfer::{self, DEFAULT_CONCURRENCY};

#[derive(Parser)]
#[command(
    name = "jobfetch",
    version,
    about = "Download science-archive job outputs: fast, safe, verified."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Download a DESaccess job folder (or any nginx JSON-autoindex folder) to OUT/<job_id>/...
    Get {
        /// The job folder URL, e.g. https://des.ncsa.illinois.edu/files-desaccess/<user>/cutout/<job_id>/
        folder_url: String,
        /// Where to put the job folder.
        #[arg(long, short, default_value = ".")]
        out: PathBuf,
        /// Files (and folder listings) fetched at once.
        #[arg(long, short = 'j', default_value_t = DEFAULT_CONCURRENCY as u64, value_parser = clap::value_parser!(u64).range(1..=256))]
        concurrency: u64,
        /// No progress bar, even on a terminal.
        #[arg(long, short)]
        quiet: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Get {
            folder_url,
            out,
            concurrency,
            quiet,
        } => get(&folder_url, &out, concurrency as usize, quiet).await,
    }
}

async fn get(folder_url: &str, out: &std::path::Path, concurrency: usize, quiet: bool) -> ExitCode {
    let client = match jobfetch_engine::http::client() {
        Ok(client) => client,
        Err(err) => return fail(&err.message),
    };
    let bar = Arc::new(progress::Bar::new(quiet));
    let report =
        match transfer::download_folder(&client, folder_url, out, concurrency, bar.clone()).await {
            Ok(report) => report,
            Err(err) => return fail(&err.message),
        };
    bar.finish();
    for (path, err) in &report.failures {
        let place = if path.is_empty() {
            String::new()
        } else {
            format!("{path}: ")
        };
        eprintln!("jobfetch: {place}{}", err.message);
    }
    let summary = format!(
        "{} file(s) fetched ({}), {} already present, {} failed → {}",
        report.fetched,
        progress::human_bytes(report.bytes_fetched),
        report.already_present,
        report.failures.len(),
        report.root.display()
    );
    if report.is_complete() {
        eprintln!("{summary}");
        ExitCode::SUCCESS
    } else {
        eprintln!("{summary}\njobfetch: not every file arrived; run the same command again to fetch the rest.");
        ExitCode::FAILURE
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("jobfetch: {message}");
    ExitCode::from(2)
}
