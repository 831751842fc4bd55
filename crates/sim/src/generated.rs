//! Pseudo-random file content of any length, produced on the fly for any byte range.
//!
//! Every generated file is a window onto one shared pool of random bytes (a little under 4 MiB,
//! a prime length, so nothing lines up with power-of-two offsets), starting at an offset taken
//! from the file's seed and wrapping around. Serving a range therefore costs no computation and
//! no memory beyond the pool: the body is a stream of zero-copy slices of it. Two files of the
//! same size almost never share content, and a byte written at the wrong offset shows up when
//! compared with the original.

use std::convert::Infallible;
use std::sync::OnceLock;

use axum::body::Body;
use bytes::{Bytes, BytesMut};

use crate::rng::Rng;

/// Length of the shared pool: the largest prime below 4 MiB.
const POOL_LEN: u64 = 4_194_301;
/// Largest slice handed to the HTTP server at once.
const CHUNK: u64 = 256 * 1024;

fn pool() -> &'static Bytes {
    static POOL: OnceLock<Bytes> = OnceLock::new();
    POOL.get_or_init(|| {
        let mut rng = Rng::derive(0x6a6f_6266_6574_6368, "generated-content-pool");
        let mut pool = BytesMut::with_capacity(POOL_LEN as usize + 8);
        while (pool.len() as u64) < POOL_LEN {
            pool.extend_from_slice(&rng.next_u64().to_le_bytes());
        }
        pool.truncate(POOL_LEN as usize);
        pool.freeze()
    })
}

/// Bytes `start..start + len` of the file with this seed, as slices of at most [`CHUNK`] bytes.
pub(crate) fn chunks(seed: u64, start: u64, len: u64) -> impl Iterator<Item = Bytes> + Send {
    let pool = pool();
    let mut at = (seed % POOL_LEN + start % POOL_LEN) % POOL_LEN;
    let mut left = len;
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let take = left.min(CHUNK).min(POOL_LEN - at);
        let chunk = pool.slice(at as usize..(at + take) as usize);
        at = (at + take) % POOL_LEN;
        left -= take;
        Some(chunk)
    })
}

/// The range as a streamed response body: memory stays bounded whatever its length.
pub(crate) fn body(seed: u64, start: u64, len: u64) -> Body {
    Body::from_stream(futures_util::stream::iter(
        chunks(seed, start, len).map(Ok::<_, Infallible>),
    ))
}

/// The range in one buffer (only for small files or tests).
pub(crate) fn collect(seed: u64, start: u64, len: u64) -> Bytes {
    let mut out = BytesMut::with_capacity(len as usize);
    for chunk in chunks(seed, start, len) {
        out.extend_from_slice(&chunk);
    }
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_range_is_the_matching_slice_of_the_whole() {
        let seed = 0x1234_5678_9abc_def0;
        let len = 2 * POOL_LEN + 12_345;
        let whole = collect(seed, 0, len);
        assert_eq!(whole.len() as u64, len);
        for (start, n) in [
            (0, 1),
            (17, 300_000),
            (POOL_LEN - 5, 10),
            (POOL_LEN + 3, POOL_LEN),
            (len - 9, 9),
        ] {
            let part = collect(seed, start, n);
            assert_eq!(
                part,
                whole.slice(start as usize..(start + n) as usize),
                "{start}+{n}"
            );
        }
        assert!(chunks(seed, 0, len).all(|chunk| chunk.len() as u64 <= CHUNK));
    }

    #[test]
    fn different_seeds_give_different_bytes() {
        assert_ne!(collect(1, 0, 4096), collect(2, 0, 4096));
        assert_eq!(collect(1, 0, 4096), collect(1, 0, 4096));
    }
}
