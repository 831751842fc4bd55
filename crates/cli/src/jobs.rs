//! `jobfetch jobs` and `jobfetch outputs`: an account's jobs and a job's output tree, as tables or JSON.

use std::path::Path;

use jobfetch_appkit::Desk;
use jobfetch_engine::catalog::{OutputKind, OutputNode};
use jobfetch_engine::ids::JobRef;
use jobfetch_engine::Result;

use crate::accounts::pick;
use jobfetch_engine::units::human_size;

/// Prints the account's jobs, newest first.
pub async fn jobs(desk: &Desk, account: Option<&str>, json: bool) -> Result<()> {
    let account = pick(desk, account)?;
    let jobs = desk.jobs(&account.id).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&jobs).expect("jobs serialize")
        );
        return Ok(());
    }
    if jobs.is_empty() {
        let info = desk.registry().get(&account.provider)?.info().clone();
        if info.abilities.search && !info.abilities.jobs {
            println!(
                "{} has no jobs of its own: {} is searched. Try `jobfetch {} search --help`.",
                account.label, info.name, info.id
            );
        } else {
            println!("{} has no jobs.", account.label);
        }
        return Ok(());
    }
    let status_width = jobs
        .iter()
        .map(|j| j.status.label().len())
        .max()
        .unwrap_or(0)
        .max("status".len());
    let id_width = jobs.iter().map(|j| j.id.len()).max().unwrap_or(2);
    println!(
        "{:<id_width$}  {:<status_width$}  {:<20}  name",
        "id", "status", "submitted"
    );
    for job in &jobs {
        println!(
            "{:<id_width$}  {:<status_width$}  {:<20}  {}",
            job.id,
            job.status.label(),
            job.submitted.as_deref().unwrap_or("-"),
            job.name
        );
    }
    Ok(())
}

/// Prints a job's outputs, one file per line with its size, or the whole tree as JSON.
pub async fn outputs(desk: &Desk, job: &str, account: Option<&str>, json: bool) -> Result<()> {
    let account = pick(desk, account)?;
    let job = JobRef {
        account: account.id,
        job: job.to_string(),
    };
    let listed = desk.outputs(&job, Path::new(".")).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&listed.tree).expect("trees serialize")
        );
        return Ok(());
    }
    let mut lines = Vec::new();
    collect(&listed.tree, &mut lines);
    for (path, size) in &lines {
        println!("{:>10}  {path}", size.map_or("-".to_string(), human_size));
    }
    println!(
        "{} file(s), {}",
        listed.tree.file_count,
        human_size(listed.tree.size.unwrap_or(0))
    );
    Ok(())
}

fn collect(node: &OutputNode, out: &mut Vec<(String, Option<u64>)>) {
    if node.kind == OutputKind::Directory {
        node.children.iter().for_each(|child| collect(child, out));
    } else {
        out.push((node.path.clone(), node.size));
    }
}
