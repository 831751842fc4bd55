//! JDMA reached through an SSH host (a JASMIN login or transfer server): a tunnel from a local port
//! to the API's host and port, over the process's shared SSH connection to that host, and dug again
//! when it has gone down with its connection.
//!
//! How a dropped connection is recovered: before each API call the session asks [`SshRoute::reopened`],
//! which finds the tunnel down once `ssh` has ended and then opens the connection again
//! ([`SshConnections`] replaces an ended one) and a new tunnel through it. A call already under way
//! when the connection dropped fails with a retryable network error; the next call goes through the
//! new tunnel.

use reqwest::Client;
use url::Url;

use crate::error::{Error, Result};
use crate::ssh::{SshConnections, SshHost, Tunnel};

/// The HTTP client and API address that calls use now.
#[derive(Clone)]
pub(super) struct Way {
    pub client: Client,
    pub base: Url,
}

/// The way to JDMA through an SSH host.
pub(super) struct SshRoute {
    connections: SshConnections,
    host: SshHost,
    /// JDMA's address as the SSH host reaches it.
    api: Url,
    /// Kept open as long as the session lives: dropping it cancels the forward.
    tunnel: tokio::sync::Mutex<Tunnel>,
}

impl SshRoute {
    /// Connects to `host` (or shares the process's connection to it), forwards a local port to `api`'s
    /// host and port as `host` sees them, and says how calls reach `api` through it.
    pub async fn open(
        connections: SshConnections,
        host: SshHost,
        api: Url,
    ) -> Result<(SshRoute, Way)> {
        let (tunnel, way) = dig(&connections, &host, &api).await?;
        let route = SshRoute {
            connections,
            host,
            api,
            tunnel: tokio::sync::Mutex::new(tunnel),
        };
        Ok((route, way))
    }

    pub fn host(&self) -> &SshHost {
        &self.host
    }

    /// `None` while the tunnel is up; once it has gone down, a new tunnel (through a connection opened
    /// again) and the way through it; an error saying what to do when the host cannot be reached.
    pub async fn reopened(&self) -> Result<Option<Way>> {
        let mut tunnel = self.tunnel.lock().await;
        if tunnel.check().is_ok() {
            return Ok(None);
        }
        let (fresh, way) = dig(&self.connections, &self.host, &self.api).await?;
        *tunnel = fresh;
        Ok(Some(way))
    }
}

/// A tunnel to `api` through `host`, and the client and address that use it.
async fn dig(connections: &SshConnections, host: &SshHost, api: &Url) -> Result<(Tunnel, Way)> {
    let (Some(name), Some(port)) = (api.host_str(), api.port_or_known_default()) else {
        return Err(Error::invalid_input(format!(
            "JDMA address: {api} names no host and port to reach through {host}."
        )));
    };
    let connection = connections.connection(host).await?;
    let tunnel = connection.tunnel(name, port).await?;
    let (client, base) = tunnel.client_for(api)?;
    Ok((tunnel, Way { client, base }))
}
