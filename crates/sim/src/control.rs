//! The `/_sim` control routes, so scripts can drive a running sim binary (see the crate docs).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::faults::FaultRule;
use crate::jdma::FailRefused;
use crate::live::EndRefused;
use crate::state::SimState;

pub(crate) fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route(
            "/faults",
            post(add_fault).delete(clear_faults).get(list_faults),
        )
        .route("/delay", put(set_delay))
        .route("/stats", get(stats).delete(reset_stats))
        .route("/jobs/{job_id}/end", put(end_job))
        .route("/clock/advance", put(advance_clock))
        .route("/up42/expire-signed-urls", post(expire_signed_urls))
        .route("/jdma/requests/{id}/fail", post(fail_jdma_request))
        .route("/jdma/corrupt", post(corrupt_jdma_file))
}

#[derive(Serialize)]
struct Ack {
    status: &'static str,
    rules: usize,
}

async fn add_fault(State(state): State<Arc<SimState>>, Json(rule): Json<FaultRule>) -> Json<Ack> {
    state.faults.add(rule);
    Json(Ack {
        status: "ok",
        rules: state.faults.rules().len(),
    })
}

async fn clear_faults(State(state): State<Arc<SimState>>) -> Json<Ack> {
    state.faults.clear();
    Json(Ack {
        status: "ok",
        rules: 0,
    })
}

async fn list_faults(State(state): State<Arc<SimState>>) -> Json<Vec<FaultRule>> {
    Json(state.faults.rules())
}

#[derive(Deserialize)]
struct Delay {
    ms: u64,
}

async fn set_delay(State(state): State<Arc<SimState>>, Json(delay): Json<Delay>) -> Json<Ack> {
    state
        .faults
        .set_global_delay(Duration::from_millis(delay.ms));
    Json(Ack {
        status: "ok",
        rules: state.faults.rules().len(),
    })
}

#[derive(Serialize)]
struct StatsReply {
    /// Response body bytes sent per file-server path (percent-decoded) since the last reset.
    bytes_sent: BTreeMap<String, u64>,
    /// The most requests answered at once (API, files, storage; not `/_sim`) since the last reset.
    peak_in_flight: u32,
}

async fn stats(State(state): State<Arc<SimState>>) -> Json<StatsReply> {
    Json(StatsReply {
        bytes_sent: state.stats.bytes_sent(),
        peak_in_flight: state.faults.peak_in_flight(),
    })
}

async fn reset_stats(State(state): State<Arc<SimState>>) -> Json<StatsReply> {
    state.stats.reset();
    state.faults.reset_peak();
    Json(StatsReply {
        bytes_sent: BTreeMap::new(),
        peak_in_flight: state.faults.peak_in_flight(),
    })
}

#[derive(Deserialize)]
struct EndIn {
    /// Seconds from now; 0 ends the job at once.
    after_secs: f64,
}

#[derive(Serialize)]
struct Said {
    status: &'static str,
    message: String,
}

/// Makes one of the demo's running jobs end `after_secs` from now.
async fn end_job(
    State(state): State<Arc<SimState>>,
    Path(job_id): Path<String>,
    Json(end): Json<EndIn>,
) -> (StatusCode, Json<Said>) {
    let said = |code, status, message: String| (code, Json(Said { status, message }));
    let Ok(after) = Duration::try_from_secs_f64(end.after_secs) else {
        let message = format!(
            "after_secs must be 0 or more seconds, not {}.",
            end.after_secs
        );
        return said(StatusCode::BAD_REQUEST, "error", message);
    };
    match state.end_job_in(&job_id, after) {
        Ok(()) => said(
            StatusCode::OK,
            "ok",
            format!("Job {job_id} ends in {after:?}."),
        ),
        Err(refused) => {
            let code = match refused {
                EndRefused::NotLive => StatusCode::NOT_FOUND,
                EndRefused::Ended => StatusCode::CONFLICT,
            };
            said(code, "error", refused.message(&job_id))
        }
    }
}

#[derive(Deserialize)]
struct Advance {
    secs: f64,
}

/// Moves the sim's clock forward for every archive.
async fn advance_clock(
    State(state): State<Arc<SimState>>,
    Json(advance): Json<Advance>,
) -> (StatusCode, Json<Said>) {
    let Ok(by) = Duration::try_from_secs_f64(advance.secs) else {
        let message = format!("secs must be 0 or more seconds, not {}.", advance.secs);
        return (
            StatusCode::BAD_REQUEST,
            Json(Said {
                status: "error",
                message,
            }),
        );
    };
    state.clock.advance(by);
    // JDMA's requests move on now, writing any files before the reply.
    let jdma = state.clone();
    let _ = tokio::task::spawn_blocking(move || jdma.jdma.catch_up()).await;
    let message = format!(
        "The sim's clock now reads {}.",
        crate::clock::iso(state.clock.now())
    );
    (
        StatusCode::OK,
        Json(Said {
            status: "ok",
            message,
        }),
    )
}

/// Every UP42 signed URL issued so far expires.
async fn expire_signed_urls(State(state): State<Arc<SimState>>) -> Json<Said> {
    state.up42.expire_signed_urls();
    Json(Said {
        status: "ok",
        message: "Every UP42 signed URL issued so far has expired; ask for new ones.".into(),
    })
}

#[derive(Deserialize)]
struct FailWith {
    reason: String,
}

/// Fails a running JDMA request now, with the reason its `failure_reason` will show.
async fn fail_jdma_request(
    State(state): State<Arc<SimState>>,
    Path(id): Path<u64>,
    Json(fail): Json<FailWith>,
) -> (StatusCode, Json<Said>) {
    let failed =
        tokio::task::spawn_blocking(move || state.jdma.fail_request(id, fail.reason)).await;
    let (code, status, message) = match failed {
        Ok(Ok(())) => (
            StatusCode::OK,
            "ok",
            format!("JDMA request {id} has FAILED."),
        ),
        Ok(Err(FailRefused::NotFound)) => (
            StatusCode::NOT_FOUND,
            "error",
            format!("There is no JDMA request {id}."),
        ),
        Ok(Err(FailRefused::Ended)) => (
            StatusCode::CONFLICT,
            "error",
            format!("JDMA request {id} has already completed or failed."),
        ),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "error",
            "The sim failed.".into(),
        ),
    };
    (code, Json(Said { status, message }))
}

#[derive(Deserialize)]
struct Corrupt {
    path: String,
}

#[derive(Serialize)]
struct Corrupted {
    status: &'static str,
    message: String,
    /// The byte changed (every bit flipped).
    offset: Option<u64>,
}

/// Changes one byte of a file in a JDMA group workspace, keeping its size, so its digest no longer matches.
async fn corrupt_jdma_file(
    State(state): State<Arc<SimState>>,
    Json(corrupt): Json<Corrupt>,
) -> (StatusCode, Json<Corrupted>) {
    let path = corrupt.path.clone();
    let done = tokio::task::spawn_blocking(move || state.jdma.corrupt(&corrupt.path)).await;
    match done {
        Ok(Ok(offset)) => (
            StatusCode::OK,
            Json(Corrupted {
                status: "ok",
                message: format!("Flipped the bits of byte {offset} of {path}."),
                offset: Some(offset),
            }),
        ),
        Ok(Err(error)) => {
            let code = match error.kind() {
                std::io::ErrorKind::NotFound => StatusCode::NOT_FOUND,
                _ => StatusCode::BAD_REQUEST,
            };
            let message = format!("{error}");
            (
                code,
                Json(Corrupted {
                    status: "error",
                    message,
                    offset: None,
                }),
            )
        }
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(Corrupted {
                status: "error",
                message: "The sim failed.".into(),
                offset: None,
            }),
        ),
    }
}
