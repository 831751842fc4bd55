//! `jobfetch status --plan PLAN`: how far each shard of a plan got, from the shards' manifests combined
//! into one (written to the plan's state folder), and which files are still missing.

use std::path::Path;
use std::process::ExitCode;

use jobfetch_engine::transfer::plan_file::PlanFile;
use jobfetch_engine::transfer::plan_status::{PlanProgress, ShardProgress, ShardState};
use jobfetch_engine::transfer::shard::Shard;
use jobfetch_engine::units::human_size;

use crate::fail;
use crate::table::table;

/// Missing files listed on the terminal at most; the combined manifest lists them all.
const MISSING_SHOWN: usize = 20;

pub fn run(plan_path: &Path) -> ExitCode {
    match PlanFile::read(plan_path).and_then(|plan| Ok((plan.progress()?, plan))) {
        Ok((progress, plan)) => report(&plan, plan_path, &progress, None),
        Err(err) => fail(&err.message),
    }
}

/// Prints each shard's progress (beside what the scheduler says of its task, when `scheduler` is
/// given), then what is missing, and writes the combined manifest. Exit 0 when nothing is missing, 1
/// while something is.
pub fn report(
    plan: &PlanFile,
    plan_path: &Path,
    progress: &PlanProgress,
    scheduler: Option<&dyn Fn(Shard) -> String>,
) -> ExitCode {
    let (bytes, _) = plan.size();
    println!(
        "Plan {} ({}): {} file(s), {}, into {}",
        plan.id(),
        plan_path.display(),
        plan.items.len(),
        human_size(bytes),
        plan.out.display()
    );
    if progress.shards.is_empty() {
        println!("No shard has run yet.");
    } else {
        println!();
        print!("{}", shard_table(&progress.shards, scheduler));
    }
    let manifest = match progress.write(plan) {
        Ok(paths) => paths.json,
        Err(err) => return fail(&err.message),
    };
    let totals = &progress.manifest.totals;
    println!(
        "\n{} of {} file(s) are there ({}).",
        totals.retrieved,
        totals.requested,
        human_size(totals.bytes)
    );
    let missing: Vec<_> = progress.missing().collect();
    if missing.is_empty() {
        println!(
            "Nothing is missing. The combined manifest: {}",
            manifest.display()
        );
        return ExitCode::SUCCESS;
    }
    println!("{} missing:", missing.len());
    for entry in missing.iter().take(MISSING_SHOWN) {
        let why = entry.message.as_deref().map_or_else(
            || entry.state.label().to_string(),
            |message| format!("{}: {message}", entry.state.label()),
        );
        println!("  {} ({why})", entry.file);
    }
    if missing.len() > MISSING_SHOWN {
        println!("  … and {} more.", missing.len() - MISSING_SHOWN);
    }
    println!(
        "Every file and its state (the missing ones are those not Done or Already present): {}",
        manifest.display()
    );
    let unfinished: Vec<String> = progress
        .shards
        .iter()
        .filter(|s| s.state != ShardState::Running && s.retrieved < s.files)
        .map(|s| s.shard.to_string())
        .collect();
    if !unfinished.is_empty() {
        println!(
            "To fetch the rest, run `jobfetch get --plan {} --shard i/N` for shard(s) {}; each continues where it stopped.",
            plan_path.display(),
            unfinished.join(", ")
        );
    }
    ExitCode::FAILURE
}

fn shard_table(shards: &[ShardProgress], scheduler: Option<&dyn Fn(Shard) -> String>) -> String {
    let cells = |s: &ShardProgress| {
        let failed = match s.failed {
            0 => String::new(),
            n => format!(" ({n} failed)"),
        };
        [
            s.shard.to_string(),
            s.state.label().to_string(),
            format!("{}/{}{failed}", s.retrieved, s.files),
            format!(
                "{} / {}",
                human_size(s.bytes_retrieved),
                human_size(s.bytes)
            ),
        ]
    };
    match scheduler {
        None => table(
            ["shard", "state", "files", "bytes"],
            &shards.iter().map(cells).collect::<Vec<_>>(),
        ),
        Some(scheduler) => table(
            ["shard", "slurm", "state", "files", "bytes"],
            &shards
                .iter()
                .map(|s| {
                    let [shard, state, files, bytes] = cells(s);
                    [shard, scheduler(s.shard), state, files, bytes]
                })
                .collect::<Vec<_>>(),
        ),
    }
}
