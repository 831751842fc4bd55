//! The one error type of the engine: a stable code the UI can switch on, a message for people, a retryable flag.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Stable, machine-readable error categories. The UI matches on these, never on message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ErrorCode {
    /// The archive refused the credentials.
    AuthFailed,
    /// The session token expired or was rejected; sign in again.
    AuthExpired,
    /// Connection, DNS or timeout trouble.
    Network,
    /// The server answered with an unexpected HTTP status.
    Http,
    /// The server answered with something that is not the documented format.
    Protocol,
    /// A server-supplied name would escape the target folder or is otherwise unusable.
    UnsafeName,
    /// The thing asked for does not exist on the server.
    NotFound,
    /// Reading or writing local files failed (permissions, missing folder, ...).
    Disk,
    /// The disk filled up; downloads pause until there is room again.
    DiskFull,
    /// The user cancelled it.
    Cancelled,
    /// A signed download link expired; a fresh one is needed.
    LinkExpired,
    /// The OS keyring could not be used.
    Keychain,
    /// The user gave input that cannot work (bad URL, empty field, ...).
    InvalidInput,
    /// Not signed in.
    NotSignedIn,
    /// A download finished but its bytes are not what the server promised.
    Integrity,
    /// Another Jobfetch process is already downloading into the same folder.
    Busy,
    /// A file has no picture to show: not an image, a table, an unsupported compression, too large, damaged.
    NoPreview,
    /// No program on this computer answered to open a folder or file (no file manager).
    NoOpener,
    /// Anything else: a bug.
    Internal,
}

/// An engine error: serialized across IPC as `{code, message, retryable}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub retryable: bool,
    /// How long the server asked us to wait before trying again (`Retry-After`).
    #[serde(skip)]
    #[ts(skip)]
    pub retry_after: Option<std::time::Duration>,
    /// The server said it is overloaded (429, 503): a reason to open fewer connections to it.
    #[serde(skip)]
    #[ts(skip)]
    pub overloaded: bool,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let retryable = matches!(code, ErrorCode::Network);
        Error {
            code,
            message: message.into(),
            retryable,
            retry_after: None,
            overloaded: false,
        }
    }

    /// Whether the host showed strain: it said it is overloaded, or a connection to it broke or timed
    /// out (a name that cannot be looked up is not worth retrying, so not strain).
    pub fn shows_strain(&self) -> bool {
        self.overloaded || (self.code == ErrorCode::Network && self.retryable)
    }

    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// Marks the error as worth retrying at once, without the usual backoff.
    pub fn retry_now(mut self) -> Self {
        self.retry_after = Some(std::time::Duration::ZERO);
        self
    }

    pub fn protocol(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Protocol, message)
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidInput, message)
    }

    pub fn unsafe_name(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::UnsafeName, message)
    }

    /// A local file-system failure, naming the path and what to do about it.
    pub fn disk(action: &str, path: &std::path::Path, err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::StorageFull || err.raw_os_error() == Some(28) {
            return Error::new(
                ErrorCode::DiskFull,
                format!(
                    "The disk is full: could not {action} {}. Free some space, then resume.",
                    path.display()
                ),
            );
        }
        let hint = match err.kind() {
            std::io::ErrorKind::ReadOnlyFilesystem => {
                " The file system there is read-only: nothing can be written to it."
            }
            std::io::ErrorKind::PermissionDenied => {
                " You may not write there: check the folder's permissions."
            }
            _ => "",
        };
        Error::new(
            ErrorCode::Disk,
            format!("Could not {action} {}: {err}.{hint}", path.display()),
        )
    }

    /// A transport failure talking to `what` (a URL or server name), without leaking any secret.
    pub fn network(what: &str, err: &reqwest::Error) -> Self {
        // A resolver that could not be reached ("Temporary failure in name resolution") may work again.
        if let Some(lookup) =
            name_lookup_failure(err).filter(|said| !said.contains("Temporary failure"))
        {
            let host = err
                .url()
                .and_then(|url| url.host_str())
                .unwrap_or("the server name");
            return Error::new(
                ErrorCode::Network,
                format!(
                    "{host} does not resolve to any server ({lookup}): check the address for \
                     typos; retrying will not help."
                ),
            )
            .retryable(false);
        }
        let cause = if err.is_timeout() {
            "the server did not answer in time".to_string()
        } else if err.is_connect() {
            "could not connect".to_string()
        } else if err.is_body() || err.is_decode() {
            "the connection broke while receiving data".to_string()
        } else {
            root_cause(err)
        };
        Error::new(
            ErrorCode::Network,
            format!(
                "Network error talking to {what}: {cause}. Check your connection and try again."
            ),
        )
    }

    /// A 404 for the listing of `folder` (a job folder or one inside it), naming the folder, not its listing.
    pub fn folder_not_found(folder: &url::Url) -> Self {
        Error::new(
            ErrorCode::NotFound,
            format!(
                "The folder {}/ was not found (HTTP 404): the job may have expired, or the address is wrong.",
                folder.as_str().trim_end_matches('/')
            ),
        )
    }

    /// An HTTP status that the caller did not expect from `what`.
    pub fn http_status(what: &str, status: reqwest::StatusCode) -> Self {
        match status.as_u16() {
            404 => Error::new(
                ErrorCode::NotFound,
                format!("{what} was not found (HTTP 404). The job's files may have expired."),
            ),
            401 | 403 => Error::new(
                ErrorCode::AuthExpired,
                format!(
                    "{what} refused access (HTTP {}). Sign in again.",
                    status.as_u16()
                ),
            ),
            429 | 500..=599 => Error {
                overloaded: matches!(status.as_u16(), 429 | 502..=504),
                ..Error::new(
                    ErrorCode::Http,
                    format!(
                        "{what} is busy or failing (HTTP {}). Try again in a moment.",
                        status.as_u16()
                    ),
                )
                .retryable(true)
            },
            code => Error::new(ErrorCode::Http, format!("{what} answered HTTP {code}.")),
        }
    }
}

/// What the resolver said when the connection failed because the server's name could not be looked up
/// (hyper-util reports a "dns error" around getaddrinfo's answer), e.g. "Name or service not known".
fn name_lookup_failure(err: &reqwest::Error) -> Option<String> {
    let mut current: &(dyn std::error::Error + 'static) = err;
    while let Some(next) = current.source() {
        if current.to_string() == "dns error" {
            let cause = root_cause(current);
            return Some(
                cause
                    .strip_prefix("failed to lookup address information: ")
                    .unwrap_or(&cause)
                    .to_string(),
            );
        }
        current = next;
    }
    None
}

/// The innermost error message of a chain, which is usually the informative one.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_name_that_does_not_resolve_says_so_and_is_not_retried() {
        // `.invalid` never resolves (RFC 6761).
        let err = crate::http::client()
            .unwrap()
            .get("http://no-such-host.invalid/")
            .send()
            .await
            .unwrap_err();
        let err = Error::network("the listing", &err);
        assert!(
            err.message
                .contains("no-such-host.invalid does not resolve")
                && err.message.contains("typo")
                && !err.message.contains("try again"),
            "{}",
            err.message
        );
        assert_eq!((err.code, err.retryable), (ErrorCode::Network, false));
    }
}
