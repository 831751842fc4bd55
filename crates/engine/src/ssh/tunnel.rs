//! A local port forwarded through an SSH connection to a server that only the SSH host can reach,
//! such as an API inside a remote site; and the HTTP client that talks to that server through it.

use std::ffi::OsStr;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

use super::connection::{SshConnection, CONNECT_TIMEOUT};
use super::failure::summary;
use crate::error::{Error, ErrorCode, Result};

/// Local ports tried before giving up, when another program takes the free one first.
const PORT_TRIES: usize = 3;

/// `127.0.0.1:<port>` on this computer, forwarded to `remote` as seen from the SSH host. The forward
/// is cancelled when the tunnel is dropped; it ends with its connection.
pub struct Tunnel {
    connection: Arc<SshConnection>,
    local: SocketAddr,
    /// The `-L` spec the forward was asked with, to cancel it by.
    spec: String,
    remote: String,
}

impl SshConnection {
    /// Forwards a free local port to `remote_host:remote_port` as the SSH host reaches it, and waits
    /// until the local port takes connections.
    pub async fn tunnel(self: &Arc<Self>, remote_host: &str, remote_port: u16) -> Result<Tunnel> {
        // Written as `-L` wants it: an IPv6 address in brackets.
        let remote_host = match Host::parse(remote_host) {
            Ok(host) => host.to_string(),
            Err(err) => {
                return Err(Error::invalid_input(format!(
                    "{remote_host:?} is not a host name to tunnel to ({err})."
                )))
            }
        };
        let remote = format!("{remote_host}:{remote_port}");
        let mut refused = String::new();
        for _ in 0..PORT_TRIES {
            self.check()?;
            let local = free_local_port()?;
            let spec = format!("{local}:{remote}");
            match self.control(&forward_args("forward", &spec)).await {
                Ok(()) => {
                    let tunnel = Tunnel {
                        connection: self.clone(),
                        local,
                        spec,
                        remote,
                    };
                    tunnel.wait_until_listening().await?;
                    return Ok(tunnel);
                }
                // Someone took the port between our look and ssh's bind: try another.
                Err(said) if said.contains("Port forwarding failed") => refused = said,
                Err(said) => {
                    return Err(self
                        .check()
                        .err()
                        .unwrap_or_else(|| forward_refused(self, &remote, &said)))
                }
            }
        }
        Err(forward_refused(self, &remote, &refused))
    }
}

impl Tunnel {
    /// The local end: `127.0.0.1:<port>`.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The connection the tunnel goes through.
    pub fn connection(&self) -> &Arc<SshConnection> {
        &self.connection
    }

    /// Ok while the tunnel is up; else why it went down.
    pub fn check(&self) -> Result<()> {
        self.connection.check()
    }

    /// Waits until the tunnel goes down with its connection, and tells why.
    pub async fn ended(&self) -> Error {
        self.connection.ended().await
    }

    /// An HTTP client (the providers' kind, [`crate::http::client`]) that reaches `api` through
    /// this tunnel, and the URL to use with it in place of `api`: the same URL on the tunnel's local
    /// port. A named host keeps its name, so HTTPS checks the certificate for that name; an IP
    /// address becomes `127.0.0.1`. `api` is on the host the tunnel leads to.
    pub fn client_for(&self, api: &Url) -> Result<(reqwest::Client, Url)> {
        let mut through = api.clone();
        let port_set = through.set_port(Some(self.local.port()));
        let client = match api.host() {
            Some(Host::Domain(name)) => crate::http::client_resolving(name, self.local)?,
            Some(_) => {
                let host_set = through.set_host(Some(&Ipv4Addr::LOCALHOST.to_string()));
                if host_set.is_err() {
                    return Err(not_tunnelable(api));
                }
                crate::http::client()?
            }
            None => return Err(not_tunnelable(api)),
        };
        port_set.map_err(|()| not_tunnelable(api))?;
        Ok((client, through))
    }

    /// Waits until the local port takes connections, or the connection ends, or the time is up.
    async fn wait_until_listening(&self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
        loop {
            self.check()?;
            if tokio::net::TcpStream::connect(self.local).await.is_ok() {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::new(
                    ErrorCode::Network,
                    format!(
                        "The tunnel through {} to {} did not open within {} s. Try again.",
                        self.connection.host(),
                        self.remote,
                        CONNECT_TIMEOUT.as_secs()
                    ),
                )
                .retryable(true));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        // When this tunnel holds the last handle, the connection ends with it anyway.
        if Arc::strong_count(&self.connection) > 1 && self.connection.is_open() {
            let _ = self
                .connection
                .through_blocking(&forward_args("cancel", &self.spec))
                .status();
        }
    }
}

fn forward_args<'a>(operation: &'a str, spec: &'a str) -> [&'a OsStr; 4] {
    ["-O", operation, "-L", spec].map(OsStr::new)
}

/// A port on `127.0.0.1` that is free now.
fn free_local_port() -> Result<SocketAddr> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map_err(|err| {
            Error::new(
                ErrorCode::Network,
                format!("Could not find a free local port for an SSH tunnel: {err}."),
            )
        })
}

fn forward_refused(connection: &SshConnection, remote: &str, said: &str) -> Error {
    Error::new(
        ErrorCode::Network,
        format!(
            "{} refused to forward a local port to {remote} ({}). The SSH server may not allow \
             port forwarding (AllowTcpForwarding); ask its administrators.",
            connection.host(),
            summary(said)
        ),
    )
}

fn not_tunnelable(api: &Url) -> Error {
    Error::invalid_input(format!(
        "{api} has no host and port that a tunnel could lead to."
    ))
}
