//! `jobfetch plan`: what `jobfetch get` would fetch, listed without downloading and saved as a plan
//! file for `jobfetch get --plan` (whole or in shards) and `jobfetch slurm submit`.

use std::path::Path;
use std::process::ExitCode;

use jobfetch_engine::transfer::plan_file::PlanFile;
use jobfetch_engine::transfer::TransferConfig;
use jobfetch_engine::units::human_size;

use crate::{batch_plan, desk, fail, What};

/// What `jobfetch plan` was asked.
pub struct Options<'a> {
    pub sources: &'a [String],
    pub account: Option<&'a str>,
    pub select: &'a [String],
    pub out: &'a Path,
    pub save: Option<&'a Path>,
}

/// Lists every source's files into one plan, prints them (path, size, digest, source: one line each,
/// tab-separated) and saves the plan when asked. Exit 0; 1 when some folder could not be listed (the
/// plan is then not saved); 2 when nothing could be planned.
pub async fn run(state_dir: &Path, options: &Options<'_>) -> ExitCode {
    let desk = match desk::open(state_dir, TransferConfig::default()) {
        Ok(desk) => desk,
        Err(err) => return fail(&err.message),
    };
    let mut plan = match PlanFile::new(options.out) {
        Ok(plan) => plan,
        Err(err) => return fail(&err.message),
    };
    let mut incomplete = false;
    for source in options.sources {
        let what = What {
            source,
            account: options.account,
            select: options.select,
        };
        let problems = match batch_plan(&desk, &what, &plan.out).await {
            Ok((new, listing)) => plan.add(source, &new, listing).await,
            Err(err) => Err(err),
        };
        match problems {
            Ok(problems) => {
                for problem in problems {
                    incomplete = true;
                    let place = match problem.place.is_empty() {
                        true => source.to_string(),
                        false => format!("{source}: {}", problem.place),
                    };
                    eprintln!("jobfetch: {place}: {}", problem.error.message);
                }
            }
            Err(err) => return fail(&format!("{source}: {}", err.message)),
        }
    }
    println!("path\tsize\tdigest\tsource");
    for item in &plan.items {
        let size = item.size.map_or_else(|| "?".to_string(), |s| s.to_string());
        let digest = item
            .digest
            .as_ref()
            .map_or_else(String::new, |d| d.to_string());
        println!("{}\t{size}\t{digest}\t{}", item.dest, item.source.address());
    }
    let (bytes, unknown) = plan.size();
    let unknown = match unknown {
        0 => String::new(),
        n => format!(", {n} of unknown size"),
    };
    let summary = format!(
        "{} file(s), {}{unknown}, into {}",
        plan.items.len(),
        human_size(bytes),
        plan.out.display()
    );
    if incomplete {
        eprintln!(
            "jobfetch: {summary}; the plan was not saved, because some folders could not be listed \
             (above). Run the same command again."
        );
        return ExitCode::FAILURE;
    }
    let Some(save) = options.save else {
        eprintln!("{summary}. Nothing saved: add --save plan.json to keep this as a plan.");
        return ExitCode::SUCCESS;
    };
    if let Err(err) = plan.write(save) {
        return fail(&err.message);
    }
    let save = save.display();
    eprintln!(
        "{summary}; plan saved to {save}.\nFetch it with `jobfetch get --plan {save}`, in N shards side by side \
         with `jobfetch get --plan {save} --shard i/N` (i = 0..N-1), or on a Slurm cluster with \
         `jobfetch slurm submit {save} --shards N`."
    );
    ExitCode::SUCCESS
}
