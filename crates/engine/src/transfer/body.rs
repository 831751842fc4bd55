//! A file's bytes as they come in, from any transport (HTTP, SFTP): a stream of chunks, read with an
//! idle timeout and a way to stop.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, ErrorCode, Result};

/// The bytes of a file, in order; an error where the transport broke.
pub type Body = futures_util::stream::BoxStream<'static, Result<Bytes>>;

/// The next piece of a body, `None` at its end; an error when it breaks, sends nothing for
/// `idle_timeout`, or `cancel` fires. `label` names the file in messages.
pub async fn next_chunk(
    body: &mut Body,
    label: &str,
    idle_timeout: Duration,
    cancel: &CancellationToken,
) -> Result<Option<Bytes>> {
    let next = tokio::select! {
        biased;
        _ = cancel.cancelled() => return Err(Error::new(ErrorCode::Cancelled, "Stopped.")),
        next = tokio::time::timeout(idle_timeout, body.next()) => next,
    };
    match next {
        Err(_) => Err(Error::new(
            ErrorCode::Network,
            format!(
                "{label} stopped sending data for {} s. Check your connection.",
                idle_timeout.as_secs()
            ),
        )),
        Ok(None) => Ok(None),
        Ok(Some(chunk)) => chunk.map(Some),
    }
}
