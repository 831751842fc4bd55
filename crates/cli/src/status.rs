//! `jobfetch status`: every download batch and how far it got, as a table sized to its content.

use std::path::Path;
use std::process::ExitCode;

use jobfetch_engine::transfer::{BatchSnapshot, TransferConfig, Transfers};
use jobfetch_engine::units::human_size;

use crate::table::table;
use crate::{fail, state};

const HEADER: [&str; 6] = ["id", "state", "files", "bytes", "name", "folder"];

pub fn run(state_dir: &Path) -> ExitCode {
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
    if snapshots.is_empty() {
        println!("No downloads yet.");
        return ExitCode::SUCCESS;
    }
    let mut any_interrupted = false;
    let rows: Vec<[String; 6]> = snapshots
        .iter()
        .map(|batch| {
            // A batch the queue calls running but no process works on: its `jobfetch get` was killed.
            let interrupted = transfers.is_interrupted(batch.id).unwrap_or(false);
            any_interrupted |= interrupted;
            row(batch, interrupted)
        })
        .collect();
    print!("{}", table(HEADER, &rows));
    if any_interrupted {
        println!(
            "\nAn interrupted batch continues when you run the same `jobfetch get` command again."
        );
    }
    ExitCode::SUCCESS
}

fn row(batch: &BatchSnapshot, interrupted: bool) -> [String; 6] {
    let failed = if batch.files_failed > 0 {
        format!(" ({} failed)", batch.files_failed)
    } else {
        String::new()
    };
    [
        batch.id.to_string(),
        if interrupted {
            "Interrupted"
        } else {
            batch.state.label()
        }
        .to_string(),
        format!("{}/{}{failed}", batch.files_done, batch.files_total),
        format!(
            "{} / {}",
            human_size(batch.bytes_done),
            human_size(batch.bytes_total)
        ),
        batch.name.clone(),
        batch.root.clone(),
    ]
}
