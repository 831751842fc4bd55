//! Fetches a file for its preview under the download's credential rules: the whole of a small file, or the first bytes of a large one.

use reqwest::header::{self, HeaderValue};
use reqwest::StatusCode;

use crate::error::{Error, ErrorCode, Result};
use crate::http::READ_IDLE_TIMEOUT;
use crate::transfer::body::{next_chunk, Body};
use crate::transfer::request::{
    content_length, content_range, open, validator_of, AuthorizedRequest, Opened,
};

/// The largest file fetched whole for a preview (32 MiB). A FITS file larger than this shows its
/// header only; any other file that large has no preview until it is downloaded.
pub const WHOLE_FILE_LIMIT: u64 = 32 << 20;

/// Bytes fetched for a header-only preview (256 KiB). A FITS header is 2880-byte blocks of 36
/// cards, so this holds about 3,200 cards: the primary header and the image extension's header
/// that follows an empty primary HDU (DES, Legacy Survey and HST files) with plenty to spare. An
/// image behind a table extension with data would need more, and gets no header preview.
pub const HEADER_PREFIX: u64 = 256 << 10;

/// Bytes fetched for a preview, and what the server said about the file they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// The file's version as the server names it: a strong ETag, else Last-Modified.
    pub validator: Option<String>,
    /// The whole file's size, when the server told it.
    pub total_size: Option<u64>,
}

/// What to do with a body longer than wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Beyond {
    /// It is too large to preview: fail.
    Refuse,
    /// Only its beginning is wanted: keep that and drop the connection.
    Stop,
}

/// Fetches a whole file of at most `max_bytes`; a larger one is refused with `NoPreview` before
/// its body is read, when the server announces its length, or as soon as it goes over.
pub async fn fetch_whole(request: AuthorizedRequest<'_>, max_bytes: u64) -> Result<Fetched> {
    let Opened {
        status,
        headers,
        body,
    } = open(&request).await?;
    if !status.is_success() || status == StatusCode::PARTIAL_CONTENT {
        return Err(request.status_error(status, &headers));
    }
    let total_size = content_length(&headers);
    if total_size.is_some_and(|size| size > max_bytes) {
        return Err(too_large(max_bytes));
    }
    Ok(Fetched {
        bytes: read_body(body, &request, max_bytes, Beyond::Refuse).await?,
        validator: validator_of(&headers),
        total_size,
    })
}

/// Fetches the first `bytes` of a file with `Range: bytes=0-(bytes-1)`. From a server that ignores
/// `Range` and sends the whole file, only the first `bytes` are read before the connection is dropped.
pub async fn fetch_prefix(mut request: AuthorizedRequest<'_>, bytes: u64) -> Result<Fetched> {
    let last = bytes.max(1) - 1;
    let range = HeaderValue::from_str(&format!("bytes=0-{last}")).expect("a valid header");
    request.headers.insert(header::RANGE, range);
    let Opened {
        status,
        headers,
        body,
    } = open(&request).await?;
    let total_size = match status {
        StatusCode::PARTIAL_CONTENT => content_range(&headers).and_then(|range| range.total),
        status if status.is_success() => content_length(&headers),
        status => return Err(request.status_error(status, &headers)),
    };
    Ok(Fetched {
        bytes: read_body(body, &request, last + 1, Beyond::Stop).await?,
        validator: validator_of(&headers),
        total_size,
    })
}

/// Reads `body` up to `limit` bytes, handling a longer one as `beyond` says.
async fn read_body(
    mut body: Body,
    request: &AuthorizedRequest<'_>,
    limit: u64,
    beyond: Beyond,
) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    while let Some(chunk) =
        next_chunk(&mut body, request.label, READ_IDLE_TIMEOUT, request.cancel).await?
    {
        let room = (limit - bytes.len() as u64) as usize;
        if chunk.len() > room {
            return match beyond {
                Beyond::Refuse => Err(too_large(limit)),
                Beyond::Stop => {
                    bytes.extend_from_slice(&chunk[..room]);
                    Ok(bytes)
                }
            };
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn too_large(limit: u64) -> Error {
    Error::new(
        ErrorCode::NoPreview,
        format!(
            "No preview: the file is larger than the {} MiB fetched for previews. Download it to see it.",
            limit >> 20
        ),
    )
}
