//! Following a JDMA request until it completes or fails: asked for again with backoff, each new stage
//! reported with the request's timeline in the documented order, the failure reason at the end.

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, BoxStream, StreamExt};

use super::records::Request;
use super::session::JdmaSession;
use super::stages;
use crate::catalog::JobStages;
use crate::error::{Error, ErrorCode, Result};
use crate::pacing::Pacing;

/// A request as last asked for, with its timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestStatus {
    pub request: Request,
    pub timeline: JobStages,
}

/// What happened while following a request.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestEvent {
    /// The request as first seen, and each time its stage changed. The last one has ended.
    Changed(Box<RequestStatus>),
    /// Asking failed in a way that may pass (the network, a busy server); asking again in `retry_in`.
    Trouble { error: Error, retry_in: Duration },
}

/// Where a follow is.
struct Following {
    session: Arc<JdmaSession>,
    id: u64,
    pacing: Pacing,
    wait: Duration,
    /// How long to wait before asking next.
    pause: Duration,
    /// The stage last reported, and the last one before any failure.
    seen: Option<u16>,
    running_stage: Option<u16>,
    asked: bool,
    over: bool,
}

impl JdmaSession {
    /// A request with its timeline; `failed_after` is the stage it was last seen at before failing.
    pub async fn request_status(
        &self,
        id: u64,
        failed_after: Option<u16>,
    ) -> Result<RequestStatus> {
        let request = self.request(id).await?;
        let timeline = stages::timeline(
            request.kind()?,
            request.stage,
            failed_after,
            request.failure_reason.clone(),
        );
        Ok(RequestStatus { request, timeline })
    }

    /// Follows request `id` until it has ended: each change as it is seen (the first answer too),
    /// trouble that may pass as it happens, and an error, ending the stream, when asking cannot work
    /// (the request is gone, the server refuses). Dropping the stream stops following.
    pub fn follow(
        self: Arc<Self>,
        id: u64,
        pacing: Pacing,
    ) -> BoxStream<'static, Result<RequestEvent>> {
        let start = Following {
            session: self,
            id,
            wait: pacing.first,
            pause: Duration::ZERO,
            pacing,
            seen: None,
            running_stage: None,
            asked: false,
            over: false,
        };
        stream::unfold(start, |mut state| async move {
            if state.over {
                return None;
            }
            let event = state.next().await;
            Some((event, state))
        })
        .boxed()
    }
}

impl Following {
    /// Asks until there is something to report.
    async fn next(&mut self) -> Result<RequestEvent> {
        loop {
            if self.asked {
                tokio::time::sleep(self.pause).await;
            }
            self.asked = true;
            self.pause = self.wait;
            match self
                .session
                .request_status(self.id, self.running_stage)
                .await
            {
                Ok(status) => {
                    let stage = status.request.stage;
                    if status.timeline.ended {
                        self.over = true;
                    }
                    if !stages::is_failed(stage) {
                        self.running_stage = Some(stage);
                    }
                    if self.seen != Some(stage) {
                        if self.seen.is_some() {
                            self.wait = self.pacing.first;
                            self.pause = self.wait;
                        }
                        self.seen = Some(stage);
                        return Ok(RequestEvent::Changed(Box::new(status)));
                    }
                    self.wait = self.pacing.after(self.wait);
                    self.pause = self.wait;
                }
                Err(error) if error.retryable => {
                    let retry_in = error.retry_after.unwrap_or(self.wait);
                    self.wait = self.pacing.after(self.wait);
                    self.pause = retry_in;
                    return Ok(RequestEvent::Trouble { error, retry_in });
                }
                Err(mut error) => {
                    self.over = true;
                    if error.code == ErrorCode::NotFound && self.seen.is_some() {
                        error.message = format!(
                            "JDMA request {} is gone (tidied away?): {}",
                            self.id, error.message
                        );
                    }
                    return Err(error);
                }
            }
        }
    }
}
