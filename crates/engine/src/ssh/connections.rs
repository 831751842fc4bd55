//! The SSH connections of this process, one per host: opened when first needed, shared by every
//! tunnel and copy to that host, and opened again once one has ended.

use std::collections::HashMap;
use std::sync::Arc;

use super::connection::SshConnection;
use super::host::SshHost;
use super::sftp::SftpChannel;
use crate::error::Result;

/// Cheap to clone: clones share the connections.
#[derive(Clone, Default)]
pub struct SshConnections {
    open: Arc<tokio::sync::Mutex<HashMap<SshHost, Open>>>,
}

/// A host's connection and, once a copy needed one, its SFTP channel.
struct Open {
    connection: Arc<SshConnection>,
    sftp: Option<Arc<SftpChannel>>,
}

impl SshConnections {
    /// The connection to `host`, opened now if there is none or it has ended.
    pub async fn connection(&self, host: &SshHost) -> Result<Arc<SshConnection>> {
        let mut open = self.open.lock().await;
        Ok(Self::entry(&mut open, host).await?.connection.clone())
    }

    /// The SFTP channel to `host`, started now (on a connection opened now, if need be) if there is
    /// none or it broke.
    pub async fn sftp(&self, host: &SshHost) -> Result<Arc<SftpChannel>> {
        let mut open = self.open.lock().await;
        let entry = Self::entry(&mut open, host).await?;
        if let Some(channel) = entry.sftp.as_ref().filter(|channel| channel.is_usable()) {
            return Ok(channel.clone());
        }
        let channel = Arc::new(SftpChannel::open(&entry.connection).await?);
        entry.sftp = Some(channel.clone());
        Ok(channel)
    }

    async fn entry<'a>(
        open: &'a mut HashMap<SshHost, Open>,
        host: &SshHost,
    ) -> Result<&'a mut Open> {
        if !open
            .get(host)
            .is_some_and(|entry| entry.connection.is_open())
        {
            let connection = SshConnection::open(host).await?;
            open.insert(
                host.clone(),
                Open {
                    connection,
                    sftp: None,
                },
            );
        }
        Ok(open.get_mut(host).expect("just made sure it is there"))
    }
}
