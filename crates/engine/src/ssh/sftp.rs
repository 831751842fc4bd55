//! SFTP through an SSH connection: the host's `sftp` subsystem over the connection's control socket,
//! spoken by openssh-sftp-client. Files are only read, only regular ones, from any offset, with
//! several reads in flight so that a distant host is not waited on once per read.

use std::io::SeekFrom;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures_util::stream::{FuturesOrdered, StreamExt};
use openssh_sftp_client::error::{Error as SftpError, SftpErrorKind};
use openssh_sftp_client::file::File;
use openssh_sftp_client::{Sftp, SftpOptions};
use tokio::io::AsyncSeek;
use tokio::process::Child;

use super::connection::SshConnection;
use crate::error::{Error, ErrorCode, Result};
use crate::transfer::body::Body;

/// Bytes asked for by one read: the most OpenSSH's SFTP server sends at once. A server (or client
/// limit) that sends less is asked for less from then on.
const READ_LEN: u32 = 255 << 10;
/// Reads in flight at once on one file: about 4 MiB on the way.
const READS_IN_FLIGHT: usize = 16;

/// An SFTP session on a connection; requests of many files share it.
pub struct SftpChannel {
    sftp: Sftp,
    /// `ssh -s … sftp`, killed when the channel is dropped.
    subsystem: Mutex<Child>,
    connection: Arc<SshConnection>,
}

impl SftpChannel {
    /// Starts the host's SFTP server through `connection`.
    pub async fn open(connection: &Arc<SshConnection>) -> Result<SftpChannel> {
        connection.check()?;
        let mut subsystem = connection
            .through(&["-s".as_ref()])
            .arg("sftp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|err| super::failure::not_started(&err))?;
        let stdin = subsystem.stdin.take().expect("stdin is piped");
        let stdout = subsystem.stdout.take().expect("stdout is piped");
        let sftp = Sftp::new(stdin, stdout, SftpOptions::new())
            .await
            .map_err(|err| {
                // The connection may be going down (and will say so); else the host may not offer SFTP.
                connection.check().err().unwrap_or_else(|| {
                    Error::new(
                        ErrorCode::Network,
                        format!(
                            "{} did not start its SFTP server ({err}). If this goes on, ask its \
                             administrators whether SFTP is allowed.",
                            connection.host()
                        ),
                    )
                    .retryable(true)
                })
            })?;
        Ok(SftpChannel {
            sftp,
            subsystem: Mutex::new(subsystem),
            connection: connection.clone(),
        })
    }

    /// True while the channel and its connection are up.
    pub fn is_usable(&self) -> bool {
        let running = matches!(
            self.subsystem.lock().expect("subsystem lock").try_wait(),
            Ok(None)
        );
        running && self.connection.is_open()
    }

    /// Opens the file at `path` on the host for reading; refuses anything but a regular file (a
    /// symbolic link included, so a copy never leaves what was asked for).
    pub async fn open_file(&self, path: &str) -> Result<RemoteFile> {
        let place = RemotePlace {
            connection: self.connection.clone(),
            path: path.to_string(),
        };
        if path.is_empty() || path.contains('\0') {
            return Err(Error::invalid_input(format!(
                "{:?} is not a file path on {}.",
                path,
                self.connection.host()
            )));
        }
        let linked = self.sftp.fs().symlink_metadata(path).await;
        let linked = linked.map_err(|err| place.error(err))?;
        if linked.file_type().is_some_and(|kind| kind.is_symlink()) {
            return Err(place.not_regular("a symbolic link"));
        }
        let mut file = self.sftp.open(path).await.map_err(|err| place.error(err))?;
        let meta = file.metadata().await.map_err(|err| place.error(err))?;
        match meta.file_type() {
            Some(kind) if kind.is_file() => {}
            Some(kind) if kind.is_dir() => return Err(place.not_regular("a folder")),
            _ => return Err(place.not_regular("not a regular file")),
        }
        let size = meta.len().ok_or_else(|| {
            Error::protocol(format!(
                "{} did not tell the size of {}.",
                place.host(),
                path
            ))
        })?;
        let modified = meta
            .modified()
            .map(|time| time.as_duration().as_secs())
            .unwrap_or(0);
        Ok(RemoteFile {
            file,
            size,
            version: format!("sftp size={size} mtime={modified}"),
            place,
        })
    }
}

/// A remote file open for reading.
pub struct RemoteFile {
    file: File,
    size: u64,
    version: String,
    place: RemotePlace,
}

impl RemoteFile {
    /// Its size when it was opened.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Names the version of the file (its size and modification time), to tell whether bytes
    /// copied earlier belong to it.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Its bytes from `offset` to the size it had when opened, in order.
    pub fn read_from(self, offset: u64) -> Body {
        let reads = Reads {
            file: self.file,
            read_len: READ_LEN,
            next: offset,
            end: self.size,
            in_flight: FuturesOrdered::new(),
            place: Arc::new(self.place),
        };
        futures_util::stream::unfold(reads, Reads::next_chunk).boxed()
    }
}

/// One read's answer: where it started, how much was asked, what came.
type ReadDone = (u64, u32, std::result::Result<Option<BytesMut>, SftpError>);

/// The reads of one file, several in flight, answered in order.
struct Reads {
    file: File,
    /// Bytes asked for by each read.
    read_len: u32,
    /// Where the next read to send starts.
    next: u64,
    end: u64,
    in_flight: FuturesOrdered<futures_util::future::BoxFuture<'static, ReadDone>>,
    place: Arc<RemotePlace>,
}

impl Reads {
    async fn next_chunk(mut self) -> Option<(Result<Bytes>, Reads)> {
        while self.in_flight.len() < READS_IN_FLIGHT && self.next < self.end {
            let len = (self.end - self.next).min(u64::from(self.read_len)) as u32;
            self.in_flight
                .push_back(read_at(self.file.clone(), self.next, len));
            self.next += u64::from(len);
        }
        let (offset, asked, answer) = self.in_flight.next().await?;
        match answer {
            Err(err) => {
                let err = self.place.error(err);
                self.end = 0;
                self.in_flight.clear();
                Some((Err(err), self))
            }
            // The file is shorter than it was: the caller finds the size wrong.
            Ok(None) => None,
            Ok(Some(data)) => {
                if (data.len() as u64) < u64::from(asked) && !data.is_empty() {
                    // A short read: the reads after it asked for the wrong places. Ask again from
                    // here, for no more than the server sends at once.
                    self.in_flight.clear();
                    self.next = offset + data.len() as u64;
                    self.read_len = self.read_len.min(data.len() as u32);
                }
                Some((Ok(data.freeze()), self))
            }
        }
    }
}

fn read_at(
    mut file: File,
    offset: u64,
    len: u32,
) -> futures_util::future::BoxFuture<'static, ReadDone> {
    Box::pin(async move {
        let answer = match Pin::new(&mut file).start_seek(SeekFrom::Start(offset)) {
            Ok(()) => file.read(len, BytesMut::with_capacity(len as usize)).await,
            Err(err) => Err(err.into()),
        };
        (offset, len, answer)
    })
}

/// A path on a host, for telling what went wrong with it.
struct RemotePlace {
    connection: Arc<SshConnection>,
    path: String,
}

impl RemotePlace {
    fn host(&self) -> &super::host::SshHost {
        self.connection.host()
    }

    /// What an SFTP failure means for this file: a missing or forbidden file is said so; anything
    /// else broke the channel (or its connection, whose end says why) and may pass.
    fn error(&self, err: SftpError) -> Error {
        let (host, path) = (self.host(), &self.path);
        match err {
            SftpError::SftpError(SftpErrorKind::NoSuchFile, _) => Error::new(
                ErrorCode::NotFound,
                format!("{path} does not exist on {host}."),
            ),
            SftpError::SftpError(SftpErrorKind::PermDenied, _) => Error::new(
                ErrorCode::AuthFailed,
                format!("You may not read {path} on {host}: check its permissions there."),
            ),
            SftpError::SftpError(kind, message) => Error::new(
                ErrorCode::Network,
                format!("{host} could not read {path} ({kind:?}: {message})."),
            )
            .retryable(true),
            other => self.connection.check().err().unwrap_or_else(|| {
                Error::new(
                    ErrorCode::Network,
                    format!("The SFTP channel to {host} broke while reading {path} ({other})."),
                )
                .retryable(true)
            }),
        }
    }

    fn not_regular(&self, what: &str) -> Error {
        Error::unsafe_name(format!(
            "{} on {} is {what}; only regular files are copied.",
            self.path,
            self.host()
        ))
    }
}
