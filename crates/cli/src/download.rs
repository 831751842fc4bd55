//! What every downloading command shares: its options, the Desk opened with them, and one batch
//! followed to its end with a progress bar, Ctrl-C and a report.

use std::future::Future;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use jobfetch_appkit::Desk;
use jobfetch_engine::transfer::congestion::{DEFAULT_CEILING, DEFAULT_START};
use jobfetch_engine::transfer::{
    BatchId, BatchState, HostConcurrency, ItemState, TransferConfig, Transfers,
};
use jobfetch_engine::units::{self, human_size};
use jobfetch_engine::Result;

use crate::{desk, fail, progress, state};

/// How a command downloads: `get`, `mast get` and `mast import` take the same options.
#[derive(clap::Args, Debug, Clone)]
pub struct DownloadOptions {
    /// Files (and folder listings) fetched at once, pinned. Without it, each host gets as many
    /// connections as it copes with: a few at first, more while answers keep coming quickly, fewer when
    /// it refuses (429, 503), drops connections or slows down, up to --max-per-host.
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u64).range(1..=256))]
    pub concurrency: Option<u64>,
    /// The most connections to one host while they adapt.
    #[arg(long, default_value_t = DEFAULT_CEILING as u64, value_parser = clap::value_parser!(u64).range(1..=256), conflicts_with = "concurrency")]
    pub max_per_host: u64,
    /// Bandwidth limit per second, in binary units as the progress shows them: 500K, 20M, 1.5MiB.
    #[arg(long, value_parser = parse_rate)]
    pub limit_rate: Option<u64>,
    /// No progress bar, even on a terminal.
    #[arg(long, short)]
    pub quiet: bool,
}

impl DownloadOptions {
    /// The Desk over the state folder's queue, downloading as these options say.
    pub fn open_desk(&self, state_dir: &Path) -> Result<Desk> {
        let desk = desk::open(state_dir, self.config())?;
        desk.transfers.set_bandwidth_limit(self.limit_rate);
        Ok(desk)
    }

    /// The Desk for one shard of a plan: the state folder's accounts, and the shard's own queue in
    /// `shard_dir`, downloading as these options say.
    pub fn open_shard_desk(&self, state_dir: &Path, shard_dir: &Path) -> Result<Desk> {
        let config = TransferConfig {
            shard_dir: Some(shard_dir.to_path_buf()),
            ..self.config()
        };
        let desk = desk::open_with_queue(state_dir, &state::queue_path(shard_dir), config)?;
        desk.transfers.set_bandwidth_limit(self.limit_rate);
        Ok(desk)
    }

    /// Pinned connections with `--concurrency`, else as many per host as each copes with.
    fn config(&self) -> TransferConfig {
        match self.concurrency {
            Some(pinned) => TransferConfig {
                concurrency: pinned as usize,
                per_host: HostConcurrency::Fixed(pinned as usize),
                ..TransferConfig::default()
            },
            None => TransferConfig {
                per_host: HostConcurrency::Adaptive {
                    start: DEFAULT_START,
                    ceiling: self.max_per_host as usize,
                },
                ..TransferConfig::default()
            },
        }
    }

    /// Runs `start` (which starts or continues a batch of `desk`) and follows that batch to its end
    /// with a progress bar; Ctrl-C pauses it. Exit 0 when every file arrived, 1 when some did not
    /// (`advice`, when given, then says what to do instead of the usual advice), 2 when the batch
    /// could not start, 130 when interrupted.
    pub async fn follow(
        &self,
        desk: &Desk,
        start: impl Future<Output = Result<BatchId>>,
        advice: Option<&str>,
    ) -> ExitCode {
        let transfers = &desk.transfers;
        let bar = Arc::new(progress::Bar::new(self.quiet));
        transfers.observe(bar.clone());
        let batch = tokio::select! {
            batch = start => batch,
            _ = tokio::signal::ctrl_c() => return interrupted(transfers, None).await,
        };
        let batch = match batch {
            Ok(batch) => batch,
            Err(err) => return fail(&err.message),
        };
        // The batch exists once its first folder is listed; from then on the bar shows it and no other.
        bar.follow(batch);
        let state = tokio::select! {
            state = transfers.wait(batch) => state,
            _ = tokio::signal::ctrl_c() => return interrupted(transfers, Some(batch)).await,
        };
        bar.finish();
        match state {
            Ok(state) => report(transfers, batch, state, advice),
            Err(err) => fail(&err.message),
        }
    }
}

/// Prints what went wrong and the one-line summary; exit 0 only when every file arrived whole.
fn report(transfers: &Transfers, batch: i64, state: BatchState, advice: Option<&str>) -> ExitCode {
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
    // A batch that did not finish with nothing to blame, or something that may pass, is worth another go.
    let worth_retrying = failed == 0
        || problems.iter().any(|problem| problem.error.retryable)
        || items
            .iter()
            .filter(|i| i.state == ItemState::Failed)
            .any(|i| i.error.as_ref().is_none_or(|e| e.retryable));
    if let HostConcurrency::Adaptive { ceiling, .. } = transfers.host_concurrency() {
        for (host, connections) in transfers.connections_allowed() {
            eprintln!("jobfetch: {host}: {connections} connection(s) allowed at the end (adaptive, at most {ceiling})");
        }
    }
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
            let next = match advice {
                Some(advice) if failed > 0 => advice,
                _ if worth_retrying => {
                    "not every file arrived; run the same command again to fetch the rest."
                }
                _ => "not every file arrived, for the reasons above; running the same command again will not change that.",
            };
            eprintln!("jobfetch: {next}");
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

/// Reads a rate as the progress shows it (`1.5MiB`, `1.5 MiB/s`) or the short way (`500K`, `20M`).
fn parse_rate(text: &str) -> std::result::Result<u64, String> {
    units::parse_rate(text).map_err(|err| err.message)
}
