//! Middleware that carries out the fault plan of each request: delays, error statuses (also for a host
//! crowded with requests), replaced replies, damaged bodies; and counts the requests being answered.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, IF_RANGE, RANGE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::faults::{Answering, BodyFault};
use crate::nginx_error;
use crate::state::SimState;
use crate::static_file::ValidatorShift;
use crate::stats::split_keeping_length;

/// How long the server gets to write out the last chunk before a cut.
const FLUSH_TIME: Duration = Duration::from_millis(50);

pub(crate) async fn apply(
    State(state): State<Arc<SimState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let answering = state.faults.arrive();
    let plan = state
        .faults
        .plan(request.method(), request.uri().path(), answering.count);
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    if let Some((code, content_type, body)) = plan.reply {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (status, [(CONTENT_TYPE, content_type)], body).into_response();
    }
    if let Some((code, retry_after)) = plan.status {
        let mut response = nginx_error::page(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        );
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        return answered_when_sent(response, answering);
    }
    if plan.ignore_range {
        request.headers_mut().remove(RANGE);
        request.headers_mut().remove(IF_RANGE);
    }
    if let Some(shift) = plan.validator_shift {
        request.extensions_mut().insert(ValidatorShift(shift));
    }
    let response = next.run(request).await;
    let response = match plan.body {
        Some(fault) => damage(response, fault),
        None => response,
    };
    answered_when_sent(response, answering)
}

/// Counts the request as being answered until its body has gone out or been abandoned.
fn answered_when_sent(response: Response, answering: Answering) -> Response {
    let (parts, body) = split_keeping_length(response);
    let stream = body.into_data_stream().map(move |chunk| {
        let _still_answering = &answering;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// Keeps the headers (including the full `Content-Length`) and damages the body as `fault` says.
fn damage(response: Response, fault: BodyFault) -> Response {
    let (parts, body) = split_keeping_length(response);
    let after = match fault {
        BodyFault::Reset { after }
        | BodyFault::Truncate { after }
        | BodyFault::Stall { after, .. } => after,
    };
    let (sender, receiver) = mpsc::channel::<Result<Bytes, io::Error>>(2);
    tokio::spawn(async move {
        let mut data = body.into_data_stream();
        let mut sent = 0u64;
        let mut tripped = false;
        while let Some(Ok(mut chunk)) = data.next().await {
            if !tripped && sent + chunk.len() as u64 > after {
                tripped = true;
                let head = chunk.split_to((after - sent) as usize);
                if !head.is_empty() && sender.send(Ok(head)).await.is_err() {
                    return;
                }
                match fault {
                    BodyFault::Reset { .. } => {
                        let reset = io::Error::new(
                            io::ErrorKind::ConnectionReset,
                            "injected connection reset",
                        );
                        flushed(&sender).await;
                        let _ = sender.send(Err(reset)).await;
                        return;
                    }
                    BodyFault::Truncate { .. } => return flushed(&sender).await,
                    BodyFault::Stall { pause, .. } => {
                        // Give up early if the client does.
                        tokio::select! {
                            () = tokio::time::sleep(pause) => {}
                            () = sender.closed() => return,
                        }
                    }
                }
            }
            sent += chunk.len() as u64;
            if !chunk.is_empty() && sender.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// Waits until the server has taken every chunk given so far and had time to send it: the bytes
/// before a cut must reach the client, as they would from a real server whose connection drops.
async fn flushed(sender: &mpsc::Sender<Result<Bytes, io::Error>>) {
    while sender.capacity() < sender.max_capacity() && !sender.is_closed() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(FLUSH_TIME).await;
}
