//! `jobfetch slurm`: a plan run on a Slurm cluster as a job array, one shard per array task, and
//! followed from the shards' manifests beside what the scheduler says of each task. Slurm places,
//! retries and accounts for the work; this only writes the sbatch script, submits it and reads back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::Subcommand;
use jobfetch_engine::catalog::now_iso;
use jobfetch_engine::transfer::plan_file::PlanFile;
use jobfetch_engine::transfer::shard::{Shard, MAX_SHARDS};

use crate::{fail, plan_status};

#[derive(Subcommand)]
pub enum SlurmCommand {
    /// Write an sbatch script that fetches the plan as a job array of N tasks (task i runs
    /// `jobfetch get --plan PLAN --shard i/N`), submit it with `sbatch`, and print the job id. The
    /// script is written next to the plan (its name with `.sbatch`), to submit by hand as well.
    Submit {
        /// A plan `jobfetch plan --save` wrote, in a folder every node of the cluster sees.
        plan: PathBuf,
        /// How many shards (array tasks) to split the plan into.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_SHARDS as i64))]
        shards: u32,
        /// The Slurm partition to run in (sbatch --partition).
        #[arg(long)]
        partition: Option<String>,
        /// Each task's time limit, as sbatch takes it: 30, 2:00:00, 1-00:00:00.
        #[arg(long)]
        time: Option<String>,
        /// Files each task fetches at once.
        #[arg(long, short = 'j', default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=256))]
        concurrency: u64,
        /// More sbatch options after `--`, e.g. `-- --mem=2G --account=astro`; each goes into the
        /// script as an #SBATCH line.
        #[arg(last = true, value_name = "SBATCH OPTIONS")]
        sbatch: Vec<String>,
    },
    /// Show how far each shard of a job `jobfetch slurm submit` submitted got, from its manifest,
    /// beside the scheduler's state of its task (from squeue and sacct, where they answer).
    Status {
        /// The job id `jobfetch slurm submit` printed.
        job: String,
    },
}

pub fn run(state_dir: &Path, command: SlurmCommand) -> ExitCode {
    match command {
        SlurmCommand::Submit {
            plan,
            shards,
            partition,
            time,
            concurrency,
            sbatch,
        } => {
            let options = Submit {
                shards,
                partition,
                time,
                concurrency,
                sbatch,
            };
            submit(state_dir, &plan, &options).unwrap_or_else(|message| fail(&message))
        }
        SlurmCommand::Status { job } => {
            status(state_dir, &job).unwrap_or_else(|message| fail(&message))
        }
    }
}

struct Submit {
    shards: u32,
    partition: Option<String>,
    time: Option<String>,
    concurrency: u64,
    sbatch: Vec<String>,
}

fn submit(state_dir: &Path, plan_path: &Path, options: &Submit) -> Result<ExitCode, String> {
    let plan_path = std::path::absolute(plan_path).map_err(|err| err.to_string())?;
    let plan = PlanFile::read(&plan_path).map_err(|err| err.message)?;
    let jobfetch = std::env::current_exe().map_err(|err| {
        format!("cannot tell where this jobfetch is ({err}), which the tasks run.")
    })?;
    let logs = plan.state_dir().join("slurm");
    std::fs::create_dir_all(&logs)
        .map_err(|err| format!("cannot create the log folder {}: {err}", logs.display()))?;
    let script_text = script(&plan, &plan_path, &jobfetch, &logs, options)?;
    let script_path = plan_path.with_extension("sbatch");
    std::fs::write(&script_path, script_text)
        .map_err(|err| format!("cannot write the script {}: {err}", script_path.display()))?;
    let output = Command::new("sbatch")
        .arg("--parsable")
        .arg(&script_path)
        .output()
        .map_err(|err| {
            format!(
                "cannot run sbatch ({err}): is this a Slurm login node? The script is at {}; submit it \
                 with `sbatch {}` where Slurm is.",
                script_path.display(),
                script_path.display()
            )
        })?;
    if !output.status.success() {
        return Err(format!(
            "sbatch refused the job: {}The script is at {}.",
            String::from_utf8_lossy(&output.stderr),
            script_path.display()
        ));
    }
    // `--parsable` prints `<job id>` or `<job id>;<cluster>`.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let job = stdout
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    if !is_job_id(&job) {
        return Err(format!(
            "sbatch answered {stdout:?}, which is not a job id."
        ));
    }
    let record = record_path(state_dir, &job);
    let recorded = serde_json::json!({
        "job": job,
        "plan": plan_path,
        "shards": options.shards,
        "script": script_path,
        "submitted": now_iso(),
    });
    std::fs::create_dir_all(record.parent().expect("has a parent"))
        .and_then(|()| std::fs::write(&record, recorded.to_string()))
        .map_err(|err| {
            format!(
                "submitted job {job}, but cannot record it in {}: {err}",
                record.display()
            )
        })?;
    println!("{job}");
    eprintln!(
        "Submitted Slurm job {job}: {} shard(s) of {} ({} file(s) into {}).\n\
         Script: {} (submit it again by hand with `sbatch {}`). Logs: {}/{job}_<task>.log.\n\
         Follow it with `jobfetch slurm status {job}` or `jobfetch status --plan {}`.",
        options.shards,
        plan_path.display(),
        plan.items.len(),
        plan.out.display(),
        script_path.display(),
        script_path.display(),
        logs.display(),
        plan_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The sbatch script: an array of one task per shard, each fetching its shard with this jobfetch.
fn script(
    plan: &PlanFile,
    plan_path: &Path,
    jobfetch: &Path,
    logs: &Path,
    options: &Submit,
) -> Result<String, String> {
    let quote = |text: &str| {
        shlex::try_quote(text).map(|q| q.into_owned()).map_err(|_| {
            format!("{text:?} cannot be written into a shell script (it holds a NUL).")
        })
    };
    let mut directives = vec![
        format!("--job-name=jobfetch-{}", plan.id()),
        format!("--array=0-{}", options.shards - 1),
        format!("--output={}/%A_%a.log", logs.display()),
        "--ntasks=1".to_string(),
    ];
    directives.extend(options.partition.iter().map(|p| format!("--partition={p}")));
    directives.extend(options.time.iter().map(|t| format!("--time={t}")));
    let mut extras: Vec<String> = Vec::new();
    for option in &options.sbatch {
        // A value after its option (`--mem 2G`) goes on the option's line.
        match extras.last_mut() {
            Some(last) if !option.starts_with('-') => {
                last.push(' ');
                last.push_str(option);
            }
            _ => extras.push(option.clone()),
        }
    }
    directives.extend(extras);
    if let Some(bad) = directives.iter().find(|d| d.chars().any(char::is_control)) {
        return Err(format!(
            "the sbatch option {:?} holds a line break or control character; an #SBATCH line cannot.",
            bad
        ));
    }
    let mut text = format!(
        "#!/bin/bash\n\
         # Written by `jobfetch slurm submit` for the plan {plan} ({files} file(s) into {out}).\n\
         # Each array task fetches one shard of {shards}; a task run again continues where it stopped.\n\
         # Submit it by hand with: sbatch {script}\n",
        plan = plan_path.display(),
        files = plan.items.len(),
        out = plan.out.display(),
        shards = options.shards,
        script = plan_path.with_extension("sbatch").display(),
    );
    for directive in &directives {
        text.push_str(&format!("#SBATCH {directive}\n"));
    }
    text.push_str(&format!(
        "\nexec {} get --plan {} --shard \"$SLURM_ARRAY_TASK_ID/{}\" --concurrency {} --quiet\n",
        quote(&jobfetch.to_string_lossy())?,
        quote(&plan_path.to_string_lossy())?,
        options.shards,
        options.concurrency
    ));
    Ok(text)
}

fn status(state_dir: &Path, job: &str) -> Result<ExitCode, String> {
    if !is_job_id(job) {
        return Err(format!(
            "{job:?} is not a Slurm job id: give the number `jobfetch slurm submit` printed."
        ));
    }
    let record = record_path(state_dir, job);
    let text = std::fs::read_to_string(&record).map_err(|_| {
        format!(
            "no job {job} was submitted with `jobfetch slurm submit` with this state folder ({}). \
             For any plan, `jobfetch status --plan plan.json` shows how far it got.",
            state_dir.display()
        )
    })?;
    let recorded: serde_json::Value = serde_json::from_str(&text)
        .map_err(|err| format!("{} is damaged ({err}).", record.display()))?;
    let (Some(plan_path), Some(count)) = (
        recorded["plan"].as_str().map(PathBuf::from),
        recorded["shards"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok()),
    ) else {
        return Err(format!(
            "{} is damaged: it names no plan or shard count.",
            record.display()
        ));
    };
    let plan = PlanFile::read(&plan_path).map_err(|err| err.message)?;
    let mut progress = plan.progress().map_err(|err| err.message)?;
    // The submitted split comes first, whether its shards have started or not.
    progress.shards.retain(|s| s.shard.count == count);
    if progress.shards.is_empty() {
        println!("Job {job}'s {count} shard(s) have not started yet.");
    }
    let (states, note) = scheduler_states(job);
    if let Some(note) = note {
        println!("{note}");
    }
    let scheduler = |shard: Shard| {
        states
            .get(&shard.index)
            .cloned()
            .unwrap_or_else(|| "not queued".to_string())
    };
    Ok(plan_status::report(
        &plan,
        &plan_path,
        &progress,
        Some(&scheduler),
    ))
}

/// Each array task's state as squeue (live tasks) or, failing that, sacct (finished ones) tells it;
/// and a note when neither answers.
fn scheduler_states(job: &str) -> (BTreeMap<u32, String>, Option<String>) {
    let mut states = BTreeMap::new();
    let sacct = run_tool(
        "sacct",
        &[
            "--jobs",
            job,
            "--noheader",
            "--parsable2",
            "--format=JobID,State",
        ],
    );
    let squeue = run_tool(
        "squeue",
        &["--jobs", job, "--array", "--noheader", "--format=%i|%T"],
    );
    let mut said = Vec::new();
    for (tool, answer) in [("sacct", &sacct), ("squeue", &squeue)] {
        match answer {
            Ok(text) => parse_states(job, text, &mut states),
            Err(why) => said.push(format!("{tool}: {why}")),
        }
    }
    let note = (said.len() == 2).then(|| {
        format!(
            "The scheduler did not answer ({}); the shards' manifests alone tell how far they got.",
            said.join("; ")
        )
    });
    (states, note)
}

fn run_tool(tool: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(tool)
        .args(args)
        .output()
        .map_err(|err| err.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Reads `<job>_<task>|<STATE>` lines (tasks also as `[0-3,5%2]`), skipping job steps (`….batch`);
/// later lines win, so squeue's live states go over sacct's.
fn parse_states(job: &str, text: &str, states: &mut BTreeMap<u32, String>) {
    for line in text.lines() {
        let Some((id, state)) = line.trim().split_once('|') else {
            continue;
        };
        let Some(tasks) = id.strip_prefix(job).and_then(|rest| rest.strip_prefix('_')) else {
            continue;
        };
        if tasks.contains('.') {
            continue;
        }
        let state = state
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        for task in task_ids(tasks) {
            states.insert(task, state.clone());
        }
    }
}

/// `3` → [3]; `[0-2,5%4]` → [0, 1, 2, 5].
fn task_ids(tasks: &str) -> Vec<u32> {
    let list = tasks.trim_start_matches('[').trim_end_matches(']');
    let list = list.split('%').next().unwrap_or_default();
    let mut ids = Vec::new();
    for part in list.split(',') {
        let range = match part.split_once('-') {
            Some((a, b)) => a.parse().ok().zip(b.parse().ok()),
            None => part.parse::<u32>().ok().map(|n| (n, n)),
        };
        if let Some((first, last)) = range {
            ids.extend(first..=last.min(first.saturating_add(MAX_SHARDS)));
        }
    }
    ids
}

fn is_job_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Where `jobfetch slurm submit` records a job it submitted.
fn record_path(state_dir: &Path, job: &str) -> PathBuf {
    state_dir.join("slurm").join(format!("{job}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_states_are_read_from_squeue_and_sacct_lines() {
        let mut states = BTreeMap::new();
        let sacct = "41_0|COMPLETED\n41_0.batch|COMPLETED\n41_1|CANCELLED by 0\n41_[2-3,5%2]|PENDING\n410_4|FAILED\n";
        parse_states("41", sacct, &mut states);
        parse_states("41", "41_1|RUNNING\n", &mut states);
        let got: Vec<(u32, &str)> = states.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            got,
            [
                (0, "COMPLETED"),
                (1, "RUNNING"),
                (2, "PENDING"),
                (3, "PENDING"),
                (5, "PENDING")
            ]
        );
    }
}
