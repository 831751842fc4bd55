//! A batch written out for other tools, to move the work to another machine: a bash script of curl
//! commands (like the ones MAST generates, but checking sizes and digests and reporting failures in its
//! exit status) and an aria2 input file.
//!
//! No secret ever appears in an export. Every URL goes through
//! [`redact_url`](crate::transfer::manifest::redact_url); a URL that carried a
//! secret (a signed URL, a token in the query) is written as a comment saying to fetch that file with
//! Jobfetch, as are items whose URL must be resolved fresh. Archive tokens are read by the script at run
//! time and handed to curl through a pipe, never written to the file nor put on curl's command line.
//!
//! Every file name and URL in the script is single-quoted, so nothing a server put in a name can run.

mod aria2;
mod curl;
mod plan;
#[cfg(test)]
mod tests;

pub use aria2::aria2_input;
pub use curl::curl_script;

use super::model::Digest;

/// One file of a batch, as an export sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportItem {
    /// `None` when the URL must be resolved fresh each time (signed URLs that expire).
    pub url: Option<String>,
    /// The path below the batch root, `/`-separated.
    pub file: String,
    pub size: Option<u64>,
    pub digest: Option<Digest>,
    /// The token the request needs, if any.
    pub needs_token: Option<TokenNeed>,
}

/// What an export says about a token it must ask for: whose it is and how it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenNeed {
    /// The archive's name as users know it, e.g. `MAST`.
    pub archive: String,
    /// The `Authorization` scheme, e.g. `Bearer` or `token`.
    pub scheme: String,
    /// An environment variable the archive's own tools read the token from, e.g. `MAST_API_TOKEN`.
    pub env: Option<String>,
}

/// Text safe to put after `#` on one line: control characters (newlines above all) are shown escaped.
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// An `Authorization` scheme safe to write into a script: a single token word, else `Bearer`.
fn scheme_word(scheme: &str) -> &str {
    if !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        scheme
    } else {
        "Bearer"
    }
}
