//! What an export can carry of each item: a safe file name, a plain http(s) URL with no secret in it,
//! digests in the forms curl and aria2 check, and the token it needs.

use url::Url;

use super::{ExportItem, TokenNeed};
use crate::paths::SafeRelPath;
use crate::transfer::manifest::redact_url;
use crate::transfer::model::Digest;

/// Which export an item is planned for: aria2 reads option values up to the end of the line and trims
/// them, so it refuses names with surrounding white space that the script can carry.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Curl,
    Aria2,
}

/// An item that can go into an export as a real download.
pub(super) struct Planned<'a> {
    /// Parsed and serialized by the URL parser, as reqwest would send it; http or https only.
    pub(super) url: String,
    pub(super) file: &'a str,
    pub(super) size: Option<u64>,
    pub(super) sha256: Option<String>,
    /// Eight lower-case hex digits.
    pub(super) adler32: Option<String>,
    /// The token needed and its shell-safe id.
    pub(super) token: Option<(&'a TokenNeed, String)>,
}

/// Why an item is written as a comment instead.
pub(super) fn plan(item: &ExportItem, format: Format) -> Result<Planned<'_>, &'static str> {
    if SafeRelPath::parse(&item.file).is_err()
        || (format == Format::Aria2 && item.file.trim() != item.file)
    {
        return Err("its file name is not one this export can carry safely");
    }
    let Some(raw) = item.url.as_deref() else {
        return Err("its URL is signed and expires, so it must be resolved fresh");
    };
    if redact_url(raw) != raw {
        return Err("its URL carries a secret, which an export never holds");
    }
    let url = match Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => url,
        _ => return Err("its address is not an http(s) URL that curl or aria2 can fetch"),
    };
    let (sha256, adler32) = match &item.digest {
        Some(Digest::Sha256(hex)) => (sha256_hex(hex), None),
        Some(Digest::Adler32(hex)) => (None, adler32_hex(hex)),
        None => (None, None),
    };
    Ok(Planned {
        url: url.to_string(),
        file: &item.file,
        size: item.size,
        sha256,
        adler32,
        token: item
            .needs_token
            .as_ref()
            .map(|need| (need, token_id(&need.archive))),
    })
}

/// An archive name as a shell identifier part: `MAST`, `UP42`, `JASMIN_JDMA`.
pub(super) fn token_id(archive: &str) -> String {
    let id: String = archive
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if id.is_empty() {
        "ARCHIVE".to_string()
    } else {
        id
    }
}

/// A SHA-256 digest as 64 lower-case hex digits, or `None` if it is not one.
pub(super) fn sha256_hex(hex: &str) -> Option<String> {
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

/// JDMA's ADLER-32 (`0x1a2b3c`, unpadded) as aria2 wants it: eight lower-case hex digits.
pub(super) fn adler32_hex(hex: &str) -> Option<String> {
    let digits = hex
        .strip_prefix("0x")
        .or_else(|| hex.strip_prefix("0X"))
        .unwrap_or(hex);
    let valid =
        !digits.is_empty() && digits.len() <= 8 && digits.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then(|| format!("{:0>8}", digits.to_ascii_lowercase()))
}
