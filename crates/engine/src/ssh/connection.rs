//! One SSH connection: the system's `ssh` as a ControlMaster child of this process, which tunnels and
//! SFTP channels to the same host share. It never prompts (`BatchMode`), is killed when dropped or
//! when this process dies, and says when it ends and why.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::{ChildStderr, Command};
use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::failure::{
    connect_failure, connect_timeout, connection_ended, not_started, STDERR_KEPT,
};
use super::host::SshHost;
use super::tether;
use crate::error::{Error, Result};

/// How long a connection may take to come up, authentication included.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the server is asked whether it is still there; after three unanswered asks the
/// connection counts as broken, so a dead network is noticed within a minute.
const ALIVE_INTERVAL_SECONDS: u32 = 15;

/// A live SSH connection to one host. Dropping the last handle kills its `ssh`, which closes every
/// tunnel and channel that went through it.
pub struct SshConnection {
    host: SshHost,
    /// Holds the control socket; removed with the connection.
    control_dir: tempfile::TempDir,
    /// The last of what `ssh` has said on stderr.
    said: Arc<Mutex<String>>,
    /// Becomes true when `ssh` has ended (and said all it had to say).
    ended: watch::Receiver<bool>,
    /// Tells the task that owns the `ssh` child to kill it.
    _stop: DropGuard,
}

impl SshConnection {
    /// Connects to `host` with the user's own ssh config, keys and agent, within [`CONNECT_TIMEOUT`].
    pub async fn open(host: &SshHost) -> Result<Arc<SshConnection>> {
        host.check()?;
        let control_dir = tempfile::Builder::new()
            .prefix("jobfetch-ssh-")
            .tempdir()
            .map_err(|err| {
                Error::disk(
                    "create a folder for the SSH connection in",
                    &std::env::temp_dir(),
                    err,
                )
            })?;
        let socket = control_dir.path().join("master");
        let mut master = Command::new("ssh");
        master.arg("-M").arg("-S").arg(&socket).args([
            "-N",
            "-T",
            // The master stays this process's child: a ControlPersist from the user's config
            // would send it to the background, out of reach.
            "-o",
            "ControlPersist=no",
            // Forwards the user's config sets up for this host could clash with a running ssh.
            "-o",
            "ClearAllForwardings=yes",
            "-o",
            format!("ServerAliveInterval={ALIVE_INTERVAL_SECONDS}").as_str(),
            "-o",
            "ServerAliveCountMax=3",
            "-o",
            format!("ConnectTimeout={}", CONNECT_TIMEOUT.as_secs()).as_str(),
        ]);
        master
            .args(never_prompting(host))
            .arg("--")
            .arg(&host.destination);
        master
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // Tethered: a Jobfetch killed outright takes its master (and the connection) with it.
        let mut child = tether::spawn(master)
            .await
            .map_err(|err| not_started(&err))?;
        let stderr = Arc::new(Mutex::new(String::new()));
        let reader = tokio::spawn(keep_tail(
            child.stderr.take().expect("stderr is piped"),
            stderr.clone(),
        ));
        let stop = CancellationToken::new();
        let (report, ended) = watch::channel(false);
        let stopped = stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = child.wait() => {
                    let _ = reader.await;
                    report.send_replace(true);
                }
                _ = stopped.cancelled() => drop(child.kill().await),
            }
        });
        let connection = Arc::new(SshConnection {
            host: host.clone(),
            control_dir,
            said: stderr,
            ended,
            _stop: stop.drop_guard(),
        });
        connection.wait_until_up(&socket).await?;
        Ok(connection)
    }

    /// Waits until the control socket appears (`ssh` makes it once it has connected and
    /// authenticated), or `ssh` ends, or the time is up.
    async fn wait_until_up(&self, socket: &Path) -> Result<()> {
        let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
        let mut ended = self.ended.clone();
        loop {
            if *ended.borrow() {
                return Err(connect_failure(&self.host, &self.said()));
            }
            if socket.exists() {
                return Ok(());
            }
            tokio::select! {
                _ = ended.changed() => {}
                _ = tokio::time::sleep(Duration::from_millis(25)) => {}
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(connect_timeout(&self.host, CONNECT_TIMEOUT, &self.said()));
                }
            }
        }
    }

    pub fn host(&self) -> &SshHost {
        &self.host
    }

    /// False once the connection has ended.
    pub fn is_open(&self) -> bool {
        !*self.ended.borrow()
    }

    /// Ok while the connection is up; else why it ended.
    pub fn check(&self) -> Result<()> {
        match self.is_open() {
            true => Ok(()),
            false => Err(connection_ended(&self.host, &self.said())),
        }
    }

    /// Waits until the connection ends, and tells why.
    pub async fn ended(&self) -> Error {
        let _ = self.ended.clone().wait_for(|ended| *ended).await;
        connection_ended(&self.host, &self.said())
    }

    /// What `ssh` has said on stderr so far (its last few kilobytes).
    fn said(&self) -> String {
        self.said.lock().expect("stderr lock").clone()
    }

    /// An `ssh` that goes through this connection's control socket: `args`, then the host. The
    /// caller may add what comes after the host (a subsystem's name).
    pub(crate) fn through(&self, args: &[&OsStr]) -> Command {
        let mut command = Command::new("ssh");
        command
            .args(self.through_args(args))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// The blocking twin of [`through`](Self::through), for work that must happen in a `Drop`;
    /// it says nothing.
    pub(crate) fn through_blocking(&self, args: &[&OsStr]) -> std::process::Command {
        let mut command = std::process::Command::new("ssh");
        command
            .args(self.through_args(args))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    fn through_args(&self, args: &[&OsStr]) -> Vec<OsString> {
        let mut all: Vec<OsString> = vec!["-S".into(), self.socket().into()];
        all.extend(["-o".into(), "ControlMaster=no".into()]);
        all.extend(never_prompting(&self.host));
        all.extend(args.iter().map(|&arg| arg.to_owned()));
        all.extend(["--".into(), self.host.destination.clone().into()]);
        all
    }

    /// Runs a control command (`-O forward …`) through the connection; on failure, what ssh said.
    pub(crate) async fn control(&self, args: &[&OsStr]) -> std::result::Result<(), String> {
        let output = self
            .through(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .await
            .map_err(|err| not_started(&err).message)?;
        if output.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    fn socket(&self) -> PathBuf {
        self.control_dir.path().join("master")
    }
}

/// What every `ssh` Jobfetch runs has: no questions asked (a key or host-key problem becomes an
/// error instead of a prompt), and the host's config file when it names one.
fn never_prompting(host: &SshHost) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["-o".into(), "BatchMode=yes".into()];
    if let Some(config) = &host.config_file {
        args.extend(["-F".into(), config.into()]);
    }
    args
}

/// Reads `ssh`'s stderr to its end, keeping the last [`STDERR_KEPT`] bytes of it.
async fn keep_tail(mut stderr: ChildStderr, kept: Arc<Mutex<String>>) {
    let mut buffer = vec![0; 4096];
    while let Ok(read) = stderr.read(&mut buffer).await {
        if read == 0 {
            return;
        }
        let mut kept = kept.lock().expect("stderr lock");
        kept.push_str(&String::from_utf8_lossy(&buffer[..read]));
        if kept.len() > STDERR_KEPT {
            let mut cut = kept.len() - STDERR_KEPT;
            while !kept.is_char_boundary(cut) {
                cut += 1;
            }
            kept.drain(..cut);
        }
    }
}
