//! The shared HTTP client: connection reuse, connect and read-idle timeouts, and bounded JSON bodies.

use std::time::Duration;

use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// How long to wait for a TCP/TLS connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a response may go without a single byte arriving before it counts as stalled.
pub const READ_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest JSON document (listing, job list) accepted from a server.
pub const MAX_JSON_BYTES: usize = 64 * 1024 * 1024;

/// Builds the client the providers share: it follows redirects and gives up on a response that sends
/// nothing for [`READ_IDLE_TIMEOUT`]. There is no total timeout: large bodies may take hours.
pub fn client() -> Result<reqwest::Client> {
    build(base().read_timeout(READ_IDLE_TIMEOUT))
}

/// The providers' client ([`client`]) with `name` looked up as `address`: for reaching a server
/// through an SSH tunnel while TLS still checks the certificate for its name.
pub fn client_resolving(name: &str, address: std::net::SocketAddr) -> Result<reqwest::Client> {
    build(
        base()
            .read_timeout(READ_IDLE_TIMEOUT)
            .resolve(name, address),
    )
}

/// The client for file transfers: it never follows redirects by itself, so the transfer engine decides
/// on every hop whether credentials may go along (and watches for stalls itself).
/// It asks for files as stored (`Accept-Encoding: identity`): a body compressed on the fly would
/// match neither the listed size nor the published digest. What a server sends anyway is kept byte
/// for byte, as curl does.
pub fn transfer_client() -> Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT_ENCODING,
        reqwest::header::HeaderValue::from_static("identity"),
    );
    build(
        base()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers),
    )
}

/// What every Jobfetch client has: its name, a connect timeout, and a pool of reused connections.
fn base() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(concat!("jobfetch/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_max_idle_per_host(crate::transfer::congestion::DEFAULT_CEILING)
        .tcp_nodelay(true)
}

fn build(builder: reqwest::ClientBuilder) -> Result<reqwest::Client> {
    builder.build().map_err(|err| {
        Error::new(
            crate::ErrorCode::Internal,
            format!("Could not set up HTTP: {err}"),
        )
    })
}

/// Reads a response body of at most `limit` bytes, failing cleanly on anything larger.
pub async fn read_limited(
    response: reqwest::Response,
    what: &str,
    limit: usize,
) -> Result<Vec<u8>> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(Error::protocol(format!(
            "{what} sent a response larger than {} MiB; refusing it.",
            limit >> 20
        )));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| Error::network(what, &err))?;
        if body.len() + chunk.len() > limit {
            return Err(Error::protocol(format!(
                "{what} sent a response larger than {} MiB; refusing it.",
                limit >> 20
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads and parses a JSON body, naming `what` in any error.
pub async fn read_json<T: DeserializeOwned>(response: reqwest::Response, what: &str) -> Result<T> {
    let body = read_limited(response, what, MAX_JSON_BYTES).await?;
    parse_json(&body, what)
}

/// Parses JSON from a server, with an error that says what was wrong and where.
pub fn parse_json<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(body).map_err(|err| {
        Error::protocol(format!(
            "{what} sent a reply that is not the expected JSON ({err}). Is the address right?"
        ))
    })
}
