//! SSH through the system's OpenSSH, with the user's own keys and agent: tunnels to servers only a
//! remote host can reach, and SFTP copies of files on that host.
//!
//! Each host gets one [`SshConnection`]: `ssh` run as a ControlMaster child of this process with
//! `BatchMode=yes`, so it never asks for anything; a missing key or an unknown host key becomes an
//! error that says what to do. [`Tunnel`]s and [`SftpChannel`]s go through its control socket.
//! [`SshConnections`] keeps one per host and opens it again after it ends; the transfer engine copies
//! `Source::Sftp` items through it. Nothing secret is ever stored: [`SshHost`] is a name.

mod connection;
mod connections;
mod failure;
mod host;
mod sftp;
mod tether;
mod tunnel;

pub use connection::{SshConnection, CONNECT_TIMEOUT};
pub use connections::SshConnections;
pub use host::SshHost;
pub use sftp::{RemoteFile, SftpChannel};
pub use tunnel::Tunnel;
