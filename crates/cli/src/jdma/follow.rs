//! Following a JDMA request from a terminal: each stage printed as it is reached, in the documented
//! order (stages passed between two looks included), until it completes, or fails with its reason;
//! and a GET's check reported file by file.

use std::sync::Arc;

use futures_util::StreamExt;
use jobfetch_engine::catalog::StepState;
use jobfetch_engine::pacing::Pacing;
use jobfetch_engine::providers::jdma::records::Submitted;
use jobfetch_engine::providers::jdma::stages;
use jobfetch_engine::providers::jdma::{JdmaSession, RequestEvent, Retrieval};
use jobfetch_engine::{Error, ErrorCode, Result};

/// Says a request was made.
pub fn submitted(made: &Submitted, what: &str, batch: u64) {
    println!(
        "JDMA request {} ({what} of batch {batch}) made: {}",
        made.request_id,
        stages::stage_name(made.stage)
    );
}

/// Follows request `id` until it ends: Ok once completed, an error with the reason once failed.
pub async fn until_ended(session: &Arc<JdmaSession>, id: u64) -> Result<()> {
    let mut events = session.clone().follow(id, Pacing::default());
    let mut shown = 0;
    while let Some(event) = events.next().await {
        match event? {
            RequestEvent::Trouble { error, retry_in } => eprintln!(
                "jobfetch: asking JDMA about request {id} failed ({}); asking again in {}s.",
                error.message,
                retry_in.as_secs()
            ),
            RequestEvent::Changed(status) => {
                let timeline = &status.timeline;
                let total = timeline.steps.len();
                let reached = timeline
                    .steps
                    .iter()
                    .rposition(|s| s.state != StepState::Waiting)
                    .map_or(0, |i| i + 1);
                for (i, step) in timeline.steps.iter().enumerate().take(reached).skip(shown) {
                    println!("request {id}: {:<16} [{}/{total}]", step.name, i + 1);
                }
                shown = shown.max(reached);
                if timeline.failed {
                    let reason = status
                        .request
                        .failure_reason
                        .as_deref()
                        .map_or("JDMA gave no reason", str::trim);
                    println!("request {id}: {}", timeline.stage);
                    return Err(Error::new(
                        ErrorCode::Http,
                        format!("JDMA request {id} {}: {reason}", timeline.stage),
                    ));
                }
                if timeline.ended {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// Prints what checking a GET's files found; an error naming every file that is not as listed.
pub fn report(checked: &Retrieval) -> Result<()> {
    for file in &checked.files {
        match file.problem() {
            None => println!("ok       {}", file.path),
            Some(problem) => println!("WRONG    {problem}"),
        }
    }
    checked.ensure_whole()?;
    println!(
        "All {} file(s) of batch {} in {} match JDMA's sizes and digests.",
        checked.files.len(),
        checked.batch,
        checked.target.display()
    );
    Ok(())
}
