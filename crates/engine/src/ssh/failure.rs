//! What went wrong with `ssh`, told from what it wrote on stderr, as errors that say what to do.

use std::time::Duration;

use super::host::SshHost;
use crate::error::{Error, ErrorCode};

/// The most stderr kept from one `ssh`: enough for its messages, bounded however chatty it is.
pub(crate) const STDERR_KEPT: usize = 8 << 10;

/// The error for an `ssh` that stopped before its connection to `host` was up.
pub(crate) fn connect_failure(host: &SshHost, stderr: &str) -> Error {
    let said = summary(stderr);
    if stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        return Error::new(
            ErrorCode::AuthFailed,
            format!(
                "{host} showed a host key other than the one your known_hosts file has for it. \
                 That can be an attack: ask the host's administrators whether its key changed, and \
                 only then remove the old key with ssh-keygen -R and connect once with ssh {host} \
                 to accept the new one."
            ),
        );
    }
    if stderr.contains("Host key verification failed") {
        return Error::new(
            ErrorCode::AuthFailed,
            format!(
                "The host key of {host} is not known on this computer yet: connect once with \
                 ssh {host} in a terminal, check the fingerprint it shows and accept it, then try again."
            ),
        );
    }
    if stderr.contains("Permission denied") {
        return Error::new(
            ErrorCode::AuthFailed,
            format!(
                "{host} did not accept any of your SSH keys ({said}). Add your key to the agent with \
                 ssh-add (or name it with IdentityFile in ~/.ssh/config), and check that {host} has \
                 its public key. Jobfetch never asks for an SSH password."
            ),
        );
    }
    if stderr.contains("Could not resolve hostname") {
        return Error::new(
            ErrorCode::Network,
            format!(
                "The SSH host {host} could not be found ({said}): check its name for typos, or \
                 define it as a Host in ~/.ssh/config."
            ),
        )
        .retryable(false);
    }
    Error::new(
        ErrorCode::Network,
        format!(
            "Could not connect to {host} over SSH ({said}). Check your connection and that the \
             host is up, then try again."
        ),
    )
    .retryable(true)
}

/// The error for an `ssh` to `host` that did not connect within `waited`.
pub(crate) fn connect_timeout(host: &SshHost, waited: Duration, stderr: &str) -> Error {
    Error::new(
        ErrorCode::Network,
        format!(
            "SSH to {host} did not connect within {} s ({}). Check your connection, then try again.",
            waited.as_secs(),
            summary(stderr)
        ),
    )
    .retryable(true)
}

/// The error for a connection to `host` that ended after it was up.
pub(crate) fn connection_ended(host: &SshHost, stderr: &str) -> Error {
    Error::new(
        ErrorCode::Network,
        format!(
            "The SSH connection to {host} ended ({}); it is opened again on the next try.",
            summary(stderr)
        ),
    )
    .retryable(true)
}

/// The error for an `ssh` that could not be started at all.
pub(crate) fn not_started(err: &std::io::Error) -> Error {
    if err.kind() == std::io::ErrorKind::NotFound {
        return Error::invalid_input(
            "The ssh command was not found: install the OpenSSH client (on Debian and Ubuntu: \
             apt install openssh-client), then try again.",
        );
    }
    Error::new(ErrorCode::Internal, format!("Could not start ssh: {err}."))
}

/// The last thing `ssh` said that is not chatter, or a note that it said nothing.
pub(crate) fn summary(stderr: &str) -> String {
    let line = stderr
        .lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty() && !line.starts_with("Warning: Permanently added"));
    match line {
        Some(line) => {
            let line: String = line.chars().take(300).collect();
            format!("ssh said: {}", line.trim_end_matches('.'))
        }
        None => "ssh gave no reason".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> SshHost {
        SshHost::new("me@login.example.org").unwrap()
    }

    #[test]
    fn refused_keys_point_to_the_agent_and_are_not_retried() {
        let err = connect_failure(
            &host(),
            "Warning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list of known hosts.\r\n\
             me@login.example.org: Permission denied (publickey).\r\n",
        );
        assert_eq!((err.code, err.retryable), (ErrorCode::AuthFailed, false));
        assert!(err.message.contains("ssh-add"), "{}", err.message);
        assert!(err.message.contains("Permission denied (publickey)"));
    }

    #[test]
    fn unknown_and_changed_host_keys_say_different_things() {
        let unknown = connect_failure(&host(), "Host key verification failed.\n");
        assert!(unknown
            .message
            .contains("connect once with ssh me@login.example.org"));
        let changed = connect_failure(
            &host(),
            "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.\n",
        );
        assert!(changed.message.contains("attack"), "{}", changed.message);
        assert_eq!(changed.code, ErrorCode::AuthFailed);
    }

    #[test]
    fn connection_trouble_may_pass_but_a_bad_name_does_not() {
        let refused = connect_failure(
            &host(),
            "ssh: connect to host login.example.org port 22: Connection refused\n",
        );
        assert_eq!(
            (refused.code, refused.retryable),
            (ErrorCode::Network, true)
        );
        assert!(refused.message.contains("Connection refused"));
        let unknown = connect_failure(
            &host(),
            "ssh: Could not resolve hostname login.example.org: Name or service not known\n",
        );
        assert_eq!(
            (unknown.code, unknown.retryable),
            (ErrorCode::Network, false)
        );
        assert_eq!(summary(""), "ssh gave no reason");
    }
}
