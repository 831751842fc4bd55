//! Which SSH host to reach, as the user names it to `ssh`; checked so that it can never pass for an option.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An SSH host as `ssh` takes it. Kept with queued SFTP items, so it holds nothing secret: keys
/// and passphrases stay with the user's agent and key files.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SshHost {
    /// `[user@]host`, `ssh://[user@]host[:port]`, or a `Host` alias of the user's ssh config.
    pub destination: String,
    /// An ssh config file to read instead of `~/.ssh/config` (`ssh -F`); `None` for the user's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_file: Option<PathBuf>,
}

impl SshHost {
    /// The host `destination` reached with the user's own ssh config.
    pub fn new(destination: &str) -> Result<SshHost> {
        let host = SshHost {
            destination: destination.trim().to_string(),
            config_file: None,
        };
        host.check()?;
        Ok(host)
    }

    /// The same host, reached with the ssh config file at `path` instead of the user's own.
    pub fn with_config_file(mut self, path: impl Into<PathBuf>) -> SshHost {
        self.config_file = Some(path.into());
        self
    }

    /// Refuses a destination `ssh` would misread: empty, with spaces or control characters, or
    /// starting with `-` (which `ssh` would take for an option).
    pub fn check(&self) -> Result<()> {
        let destination = &self.destination;
        let problem = if destination.is_empty() {
            Some("is empty")
        } else if destination.starts_with('-') {
            Some("starts with '-'")
        } else if destination
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            Some("has spaces or control characters in it")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(Error::invalid_input(format!(
                "The SSH host {destination:?} {problem}: give it as you would to ssh, e.g. \
                 user@login.example.org or a Host name from your ~/.ssh/config."
            ))),
            None => Ok(()),
        }
    }
}

impl std::fmt::Display for SshHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.destination)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_that_ssh_would_misread_are_refused() {
        for bad in [
            "",
            "  ",
            "-oProxyCommand=sh",
            "user@host name",
            "login\u{7}host",
        ] {
            let err = SshHost::new(bad).unwrap_err();
            assert_eq!(err.code, crate::ErrorCode::InvalidInput, "{bad:?}");
            assert!(err.message.contains("~/.ssh/config"), "{}", err.message);
        }
        for good in [
            "login.example.org",
            "me@xfer1.jasmin.ac.uk",
            "ssh://me@127.0.0.1:2222",
            "jasmin-xfer",
        ] {
            assert_eq!(SshHost::new(good).unwrap().destination, good);
        }
    }

    #[test]
    fn a_host_without_a_config_file_is_stored_without_one() {
        let host = SshHost::new("me@login.example.org").unwrap();
        assert_eq!(
            serde_json::to_string(&host).unwrap(),
            r#"{"destination":"me@login.example.org"}"#
        );
        let with = host.with_config_file("/tmp/cfg");
        let back: SshHost = serde_json::from_str(&serde_json::to_string(&with).unwrap()).unwrap();
        assert_eq!(back, with);
    }
}
