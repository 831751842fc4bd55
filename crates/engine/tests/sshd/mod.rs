//! A real OpenSSH server for tests: Debian's `/usr/sbin/sshd` on a spare port of 127.0.0.1, run as
//! the current user with a throwaway host key and user key, and ssh config files that reach it
//! without touching ~/.ssh or any agent.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jobfetch_engine::ssh::SshHost;

const SSHD: &str = "/usr/sbin/sshd";
/// The `Host` name the test configs give the server.
const ALIAS: &str = "jobfetch-test-sshd";
/// The passphrase of the locked key, which the server accepts once it is unlocked.
pub const LOCKED_KEY_PASSPHRASE: &str = "open sesame";

/// A running `sshd`, stopped (with every session it started) when dropped.
pub struct TestSshd {
    dir: tempfile::TempDir,
    sshd: Child,
    port: u16,
}

impl TestSshd {
    /// Starts the server. Without OpenSSH's server on this machine the test fails and says how to
    /// install it: nothing is skipped.
    pub fn start() -> TestSshd {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} is missing: run scripts/install-deps.sh (it installs openssh-server), then run the tests again"
        );
        let dir = tempfile::tempdir().unwrap();
        for key in ["host_key", "user_key", "stranger_key"] {
            keygen(&dir.path().join(key), "");
        }
        keygen(&dir.path().join("locked_key"), LOCKED_KEY_PASSPHRASE);
        let authorized: Vec<String> = ["user_key.pub", "locked_key.pub"]
            .iter()
            .map(|key| std::fs::read_to_string(dir.path().join(key)).unwrap())
            .collect();
        std::fs::write(dir.path().join("authorized_keys"), authorized.concat()).unwrap();
        if is_root() {
            // sshd running as root wants its privilege separation folder, which only a started
            // ssh service would have made.
            std::fs::create_dir_all("/run/sshd").unwrap();
        }
        for _ in 0..3 {
            let port = spare_port();
            let config = dir.path().join("sshd_config");
            std::fs::write(&config, sshd_config(dir.path(), port)).unwrap();
            let log = std::fs::File::create(dir.path().join("sshd.log")).unwrap();
            let mut sshd = Command::new(SSHD)
                .arg("-D")
                .arg("-e")
                .arg("-f")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap();
            if wait_until_listening(&mut sshd, port) {
                let server = TestSshd { dir, sshd, port };
                server.write_client_files();
                return server;
            }
            // Someone took the port first: try another.
            let _ = sshd.kill();
            let _ = sshd.wait();
        }
        panic!(
            "sshd did not start on any of three ports: {}",
            std::fs::read_to_string(dir.path().join("sshd.log")).unwrap_or_default()
        );
    }

    /// The server as the engine is given it: through an ssh config with the right key and its host key known.
    pub fn host(&self) -> SshHost {
        self.host_with("client_config")
    }

    /// The server reached with a key it does not know.
    pub fn host_with_stranger_key(&self) -> SshHost {
        self.host_with("stranger_config")
    }

    /// The server reached with a key it accepts, but whose passphrase only a prompt would get.
    pub fn host_with_locked_key(&self) -> SshHost {
        self.host_with("locked_config")
    }

    /// The server reached from a computer that has never seen its host key.
    pub fn host_never_seen(&self) -> SshHost {
        self.host_with("unseen_config")
    }

    /// Kills every session the server has open, as a network that drops the connection would end
    /// them; the server itself goes on listening. The processes that hold the connections go first,
    /// so each parent sees its child end and the server collects them (none is left a zombie).
    /// Returns how many processes the sessions had.
    pub fn kill_sessions(&self) -> usize {
        let sessions = descendants(self.sshd.id());
        for pid in sessions.iter().rev() {
            kill(*pid);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while !descendants(self.sshd.id()).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        sessions.len()
    }

    /// What sshd logged, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    fn host_with(&self, config: &str) -> SshHost {
        SshHost::new(ALIAS)
            .unwrap()
            .with_config_file(self.dir.path().join(config))
    }

    fn write_client_files(&self) {
        let dir = self.dir.path();
        let host_key = std::fs::read_to_string(dir.join("host_key.pub")).unwrap();
        let host_key: Vec<&str> = host_key.split_whitespace().take(2).collect();
        std::fs::write(
            dir.join("known_hosts"),
            format!("[127.0.0.1]:{} {}\n", self.port, host_key.join(" ")),
        )
        .unwrap();
        std::fs::write(dir.join("no_known_hosts"), "").unwrap();
        for (config, key, known) in [
            ("client_config", "user_key", "known_hosts"),
            ("stranger_config", "stranger_key", "known_hosts"),
            ("locked_config", "locked_key", "known_hosts"),
            ("unseen_config", "user_key", "no_known_hosts"),
        ] {
            std::fs::write(
                dir.join(config),
                client_config(self.port, &dir.join(key), &dir.join(known)),
            )
            .unwrap();
        }
    }
}

impl Drop for TestSshd {
    fn drop(&mut self) {
        self.kill_sessions();
        let _ = self.sshd.kill();
        let _ = self.sshd.wait();
    }
}

/// True once sshd takes connections on `port`; false if it ended (the port was taken) or took too long.
fn wait_until_listening(sshd: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = sshd.try_wait() {
            return false;
        }
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    false
}

fn kill(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
}

fn sshd_config(dir: &Path, port: u16) -> String {
    format!(
        "Port {port}\n\
         ListenAddress 127.0.0.1\n\
         HostKey {host_key}\n\
         PidFile none\n\
         AuthorizedKeysFile {authorized}\n\
         StrictModes no\n\
         PermitRootLogin prohibit-password\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         UsePAM no\n\
         AllowTcpForwarding yes\n\
         Subsystem sftp internal-sftp\n",
        host_key = dir.join("host_key").display(),
        authorized = dir.join("authorized_keys").display(),
    )
}

fn client_config(port: u16, key: &Path, known_hosts: &Path) -> String {
    format!(
        "Host {ALIAS}\n\
         \x20 HostName 127.0.0.1\n\
         \x20 Port {port}\n\
         \x20 User {user}\n\
         \x20 IdentityFile {key}\n\
         \x20 IdentitiesOnly yes\n\
         \x20 IdentityAgent none\n\
         \x20 UserKnownHostsFile {known}\n\
         \x20 GlobalKnownHostsFile /dev/null\n\
         \x20 StrictHostKeyChecking yes\n",
        user = user_name(),
        key = key.display(),
        known = known_hosts.display(),
    )
}

fn keygen(path: &Path, passphrase: &str) {
    let status = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            passphrase,
            "-C",
            "jobfetch-test",
            "-f",
        ])
        .arg(path)
        .status()
        .expect("ssh-keygen (openssh-client) is installed");
    assert!(status.success(), "ssh-keygen failed");
}

fn user_name() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

fn spare_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The processes below `pid`, children before their children.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(child) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so read after the last ')'.
        let after = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
        if let Some(parent) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            parents.push((child, parent));
        }
    }
    let mut found = Vec::new();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        for &(child, of) in &parents {
            if of == parent {
                found.push(child);
                frontier.push(child);
            }
        }
    }
    found
}
