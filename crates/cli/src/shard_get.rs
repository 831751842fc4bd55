//! `jobfetch get --plan PLAN [--shard i/N]`: the files of a saved plan, or of one of its shards, into
//! the plan's folder, with the shard's own queue and manifest in the plan's state folder. Shards run
//! side by side, on one machine or on many sharing the folder; each run again continues where it stopped.

use std::path::Path;
use std::process::ExitCode;

use jobfetch_engine::transfer::plan::{self, NewBatch};
use jobfetch_engine::transfer::plan_file::PlanFile;
use jobfetch_engine::transfer::shard::Shard;

use crate::download::DownloadOptions;
use crate::{fail, out_dir};

pub async fn run(
    state_dir: &Path,
    plan_path: &Path,
    shard: Option<Shard>,
    out: Option<&Path>,
    options: &DownloadOptions,
) -> ExitCode {
    let plan = match PlanFile::read(plan_path) {
        Ok(plan) => plan,
        Err(err) => return fail(&err.message),
    };
    if let Err(message) = check_folder(&plan, plan_path, out) {
        return fail(&message);
    }
    let shard = shard.unwrap_or(Shard::WHOLE);
    let desk = match options.open_shard_desk(state_dir, &plan.shard_dir(shard)) {
        Ok(desk) => desk,
        Err(err) => return fail(&err.message),
    };
    for account in &plan.accounts {
        if let Err(err) = desk.sign_in(account).await {
            return fail(&format!(
                "this plan fetches files of the account {account}, which could not sign in here: {}",
                err.message
            ));
        }
    }
    let (new, items): (NewBatch, _) = plan.shard_batch(shard);
    if items.is_empty() && !options.quiet {
        eprintln!(
            "Shard {shard} has no files: the plan's {} file(s) went to the other shards.",
            plan.items.len()
        );
    }
    let start = plan::start(&desk.transfers, new, plan::of_items(items));
    options.follow(&desk, start, None).await
}

/// Refuses to fetch a plan anywhere but into its own folder, and a folder this machine cannot reach.
fn check_folder(plan: &PlanFile, plan_path: &Path, out: Option<&Path>) -> Result<(), String> {
    if let Some(out) = out {
        let asked = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
        if asked != plan.out {
            return Err(format!(
                "the plan {} fetches into {}, and --out cannot move it. Leave --out away, or make a plan \
                 into {} with `jobfetch plan <job or folder URL> --out {}`.",
                plan_path.display(),
                plan.out.display(),
                asked.display(),
                out.display()
            ));
        }
    }
    // A plan made on another machine, or a file system mounted elsewhere here: nothing is created
    // in a place the plan's maker never meant.
    match plan.out.parent() {
        Some(parent) if !parent.is_dir() => Err(format!(
            "the plan {} fetches into {}, but {} does not exist on this machine. If that file system is \
             mounted somewhere else here, make the plan again with --out pointing there.",
            plan_path.display(),
            plan.out.display(),
            parent.display()
        )),
        _ => out_dir::check(&plan.out),
    }
}
