//! Fetches one file over SFTP into its `.part`, through the same [`Landing`] as HTTP: it continues
//! from the `.part` when the remote file is the version those bytes came from (same size and time).

use super::fetch::{Fetched, Incoming, Landing};
use crate::error::Result;
use crate::ssh::SftpChannel;

/// Runs one SFTP transfer of `path` into a target readied by
/// [`prepare_target`](super::fetch::prepare_target), to the end or to the first error.
pub async fn fetch(channel: &SftpChannel, path: &str, landing: Landing<'_>) -> Result<Fetched> {
    let have = landing.resumable().await;
    if let Some(done) = landing.finish_if_whole(have).await {
        return done;
    }
    let file = channel.open_file(path).await?;
    let same_version = landing.validator.as_deref() == Some(file.version());
    let resumed_from = if same_version && have <= file.size() {
        have
    } else {
        0
    };
    landing
        .receive(Incoming {
            resumed_from,
            length: Some(file.size() - resumed_from),
            validator: Some(file.version().to_string()),
            body: file.read_from(resumed_from),
        })
        .await
}
