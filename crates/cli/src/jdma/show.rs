//! The listings of `jobfetch jdma`: tables as the `jdma` command shows them (stages by name, dates to the
//! minute, sizes in units, digests as FORMAT:value), or JDMA's own records with --json.

use jobfetch_engine::catalog::StepState;
use jobfetch_engine::providers::jdma::records::{Batch, Request};
use jobfetch_engine::providers::jdma::stages;
use jobfetch_engine::providers::jdma::JdmaSession;
use jobfetch_engine::units::human_size;
use jobfetch_engine::Result;
use serde_json::Value;

use super::Listing;
use crate::table::print_table;

fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("JSON values serialize")
    );
}

/// An ISO date as the `jdma` command shows it: `YYYY-MM-DD HH:MM`.
fn minute(date: Option<&str>) -> String {
    date.map_or_else(
        || "-".into(),
        |d| d.replace('T', " ").chars().take(16).collect(),
    )
}

fn text(value: Option<&str>) -> String {
    value.filter(|v| !v.is_empty()).unwrap_or("-").to_string()
}

pub async fn info(session: &JdmaSession, json: bool) -> Result<()> {
    let user = session.user().await?;
    if json {
        print_json(&user.raw);
        return Ok(());
    }
    println!("user:    {}", user.name);
    println!("email:   {}", text(user.email.as_deref()));
    let notify = match user.notify {
        Some(true) => "on (JDMA emails you when a request ends)",
        Some(false) => "off",
        None => "-",
    };
    println!("notify:  {notify}");
    println!("api:     {}", session.api_base());
    Ok(())
}

pub async fn storage(session: &JdmaSession, json: bool) -> Result<()> {
    let (storage, raw) = session.storage().await?;
    if json {
        print_json(&raw);
        return Ok(());
    }
    let rows: Vec<[String; 2]> = storage.into_iter().map(|s| [s.id, s.name]).collect();
    print_table(&["id", "name"], &rows);
    Ok(())
}

pub async fn batches(session: &JdmaSession, listing: &Listing) -> Result<()> {
    let batches = session.batches(&listing.scope()).await?;
    if listing.json {
        print_json(&Value::Array(batches.into_iter().map(|b| b.raw).collect()));
        return Ok(());
    }
    if batches.is_empty() {
        println!("No batches.");
        return Ok(());
    }
    let rows: Vec<[String; 7]> = batches.iter().map(batch_row).collect();
    print_table(
        &[
            "batch",
            "user",
            "workspace",
            "label",
            "storage",
            "date",
            "stage",
        ],
        &rows,
    );
    Ok(())
}

fn batch_row(batch: &Batch) -> [String; 7] {
    [
        batch.migration_id.to_string(),
        batch.user.clone(),
        batch.workspace.clone(),
        text(batch.label.as_deref()),
        batch.storage.clone(),
        minute(batch.registered().as_deref()),
        batch.stage_name(),
    ]
}

pub async fn batch(session: &JdmaSession, id: u64, json: bool) -> Result<()> {
    let batch = session.batch(id).await?;
    if json {
        print_json(&batch.raw);
        return Ok(());
    }
    println!("batch:        {}", batch.migration_id);
    println!("user:         {}", batch.user);
    println!("workspace:    {}", batch.workspace);
    println!("label:        {}", text(batch.label.as_deref()));
    println!("storage:      {}", batch.storage);
    println!("external id:  {}", text(batch.external_id.as_deref()));
    println!("date:         {}", minute(batch.registered().as_deref()));
    println!("stage:        {}", batch.stage_name());
    Ok(())
}

pub async fn files(
    session: &JdmaSession,
    batch: Option<u64>,
    digest: bool,
    limit: Option<u64>,
    listing: &Listing,
) -> Result<()> {
    let (batches, raw) = session
        .files(batch, &listing.scope(), digest, limit)
        .await?;
    if listing.json {
        print_json(&raw);
        return Ok(());
    }
    if digest {
        let mut rows: Vec<[String; 5]> = Vec::new();
        for listed in &batches {
            for archive in &listed.archives {
                for file in &archive.files {
                    rows.push([
                        listed.migration_id.to_string(),
                        archive.archive_id.clone(),
                        file.path.clone(),
                        human_size(file.size),
                        text(file.digest_label().as_deref()),
                    ]);
                }
            }
        }
        print_table(&["batch", "archive", "file", "size", "digest"], &rows);
    } else {
        let mut rows: Vec<[String; 4]> = Vec::new();
        for listed in &batches {
            for archive in &listed.archives {
                for file in &archive.files {
                    rows.push([
                        listed.migration_id.to_string(),
                        archive.archive_id.clone(),
                        file.path.clone(),
                        human_size(file.size),
                    ]);
                }
            }
        }
        print_table(&["batch", "archive", "file", "size"], &rows);
    }
    Ok(())
}

pub async fn requests(session: &JdmaSession, listing: &Listing) -> Result<()> {
    let requests = session.requests(&listing.scope()).await?;
    if listing.json {
        print_json(&Value::Array(requests.into_iter().map(|r| r.raw).collect()));
        return Ok(());
    }
    if requests.is_empty() {
        println!("No requests.");
        return Ok(());
    }
    let rows: Vec<[String; 8]> = requests.iter().map(request_row).collect();
    print_table(
        &[
            "request",
            "type",
            "batch",
            "user",
            "workspace",
            "label",
            "date",
            "stage",
        ],
        &rows,
    );
    Ok(())
}

fn request_row(request: &Request) -> [String; 8] {
    [
        request.request_id.to_string(),
        request.kind().map_or_else(
            |_| request.request_type.to_string(),
            |k| k.name().to_string(),
        ),
        request
            .migration_id
            .map_or_else(|| "-".into(), |id| id.to_string()),
        request.user.clone(),
        request.workspace.clone(),
        text(request.label.as_deref()),
        minute(request.made().as_deref()),
        request.stage_name(),
    ]
}

pub async fn request(session: &JdmaSession, id: u64, json: bool) -> Result<()> {
    let status = session.request_status(id, None).await?;
    let request = &status.request;
    if json {
        print_json(&request.raw);
        return Ok(());
    }
    let [_, kind, batch, user, workspace, label, date, stage] = request_row(request);
    println!("request:      {id}");
    println!("type:         {kind}");
    println!("batch:        {batch}");
    println!("user:         {user}");
    println!("workspace:    {workspace}");
    println!("label:        {label}");
    println!("storage:      {}", request.storage);
    println!("date:         {date}");
    println!("stage:        {stage}");
    if let Some(reason) = &request.failure_reason {
        println!("fail reason:  {}", reason.trim());
    }
    if let Some(files) = &request.filelist {
        println!("files:        {}", files.join(", "));
    }
    println!("timeline:");
    for step in &status.timeline.steps {
        let mark = match step.state {
            StepState::Done => "done",
            StepState::Current => "now",
            StepState::Waiting => "",
            StepState::Failed => "FAILED here",
        };
        println!("  {:<16} {mark}", step.name);
    }
    if status.timeline.failed
        && !status
            .timeline
            .steps
            .iter()
            .any(|s| s.state == StepState::Failed)
    {
        println!("  {}", stages::stage_name(request.stage));
    }
    Ok(())
}
