//! Checking that a file is whole: its size, and its SHA-256 or ADLER-32 where the archive published one.
//!
//! ADLER-32 is JDMA's, which starts from 0 (`zlib.adler32(data, 0)` in its `calculate_digest_adler32`),
//! not from the standard 1: the same bytes give another value than zlib's or aria2's `adler32`.

use std::path::Path;

use adler2::Adler32;
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncReadExt;

use super::model::Digest;
use crate::error::{Error, Result};

/// A running digest over bytes as they arrive.
pub enum Hasher {
    Sha256(Box<Sha256>),
    Adler32(Adler32),
}

impl Hasher {
    pub fn for_digest(digest: &Digest) -> Hasher {
        match digest {
            Digest::Sha256(_) => Hasher::Sha256(Box::default()),
            Digest::Adler32(_) => Hasher::Adler32(Adler32::from_checksum(JDMA_ADLER32_START)),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(hasher) => hasher.update(bytes),
            Hasher::Adler32(hasher) => hasher.write_slice(bytes),
        }
    }

    /// The digest of the bytes seen, written as the archive writes it: lower-case hex for SHA-256,
    /// JDMA's `0x` and unpadded lower-case hex (Python's `hex()`) for ADLER-32.
    pub fn text(self) -> String {
        match self {
            Hasher::Sha256(hasher) => format!("{:x}", hasher.finalize()),
            Hasher::Adler32(hasher) => format!("{:#x}", hasher.checksum()),
        }
    }

    /// True when the bytes seen match `expected`.
    pub fn matches(self, expected: &Digest) -> bool {
        let same_algorithm = matches!(
            (&self, expected),
            (Hasher::Sha256(_), Digest::Sha256(_)) | (Hasher::Adler32(_), Digest::Adler32(_))
        );
        same_algorithm && expected.agrees_with(&self.text())
    }
}

impl Digest {
    /// Whether `found`, a digest of this one's algorithm written as [`Hasher::text`] writes it, is this
    /// one (case, and ADLER-32's leading zeros, do not matter).
    pub fn agrees_with(&self, found: &str) -> bool {
        match self {
            Digest::Sha256(hex) => hex.trim().eq_ignore_ascii_case(found.trim()),
            Digest::Adler32(text) => {
                parse_adler32(text).is_some() && parse_adler32(text) == parse_adler32(found)
            }
        }
    }
}

/// Where JDMA's ADLER-32 starts: `zlib.adler32(data, 0)`, both sums at 0 (the standard starts at 1).
const JDMA_ADLER32_START: u32 = 0;

/// ADLER-32's modulus.
const ADLER_MOD: u64 = 65_521;

/// The standard ADLER-32 (started at 1, as zlib's default, aria2 and RFC 1950 compute it) of `len` bytes
/// whose JDMA ADLER-32 (started at 0) is `jdma`. Starting the first sum at 1 instead of 0 adds 1 to it
/// and 1 to the second sum for every byte, so the two differ by what the length says.
pub fn standard_adler32(jdma: u32, len: u64) -> u32 {
    let low = (u64::from(jdma & 0xffff) + 1) % ADLER_MOD;
    let high = (u64::from(jdma >> 16) + len % ADLER_MOD) % ADLER_MOD;
    ((high << 16) | low) as u32
}

/// Reads JDMA's ADLER-32 form: `0x` and unpadded hex (leading zeros and case do not matter).
pub fn parse_adler32(text: &str) -> Option<u32> {
    let text = text.trim();
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    u32::from_str_radix(hex, 16).ok()
}

/// Feeds the first `len` bytes of `path` to `hasher` (used when resuming a `.part` file).
pub async fn hash_prefix(path: &Path, len: u64, hasher: &mut Hasher) -> Result<()> {
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|err| Error::disk("read", path, err))?
        .take(len);
    let mut buffer = vec![0; 1 << 16];
    loop {
        let read = file
            .read(&mut buffer)
            .await
            .map_err(|err| Error::disk("read", path, err))?;
        if read == 0 {
            return Ok(());
        }
        hasher.update(&buffer[..read]);
    }
}

/// True when the file at `path` exists with exactly `size` bytes and, if given, the right digest.
/// Without a known size nothing can be said, so the answer is false.
pub async fn is_whole(path: &Path, size: Option<u64>, digest: Option<&Digest>) -> Result<bool> {
    let (Some(size), Ok(meta)) = (size, tokio::fs::metadata(path).await) else {
        return Ok(false);
    };
    if !meta.is_file() || meta.len() != size {
        return Ok(false);
    }
    let Some(digest) = digest else {
        return Ok(true);
    };
    let mut hasher = Hasher::for_digest(digest);
    hash_prefix(path, size, &mut hasher).await?;
    Ok(hasher.matches(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_known_values() {
        let mut sha = Hasher::for_digest(&Digest::Sha256(String::new()));
        sha.update(b"abc");
        assert!(sha.matches(&Digest::Sha256(
            "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD".into()
        )));
        // Python: hex(zlib.adler32(b"Wikipedia", 0)) == "0x11dd0397", as JDMA computes it; the
        // standard ADLER-32 (zlib.adler32(b"Wikipedia")) is 0x11e60398 and must not match.
        let mut adler = Hasher::for_digest(&Digest::Adler32(String::new()));
        adler.update(b"Wikipedia");
        assert!(adler.matches(&Digest::Adler32("0x11dd0397".into())));
        let mut standard = Hasher::for_digest(&Digest::Adler32(String::new()));
        standard.update(b"Wikipedia");
        assert!(!standard.matches(&Digest::Adler32("0x11e60398".into())));
        let mut wrong = Hasher::for_digest(&Digest::Adler32(String::new()));
        wrong.update(b"wikipedia");
        assert!(!wrong.matches(&Digest::Adler32("0x11dd0397".into())));
    }

    #[test]
    fn digests_are_written_as_the_archive_writes_them() {
        // Python: hex(zlib.adler32(b"", 0)) == "0x0" and hex(zlib.adler32(b"\x00" * 3, 0)) == "0x0":
        // unpadded, no leading zeros.
        let empty = Hasher::for_digest(&Digest::Adler32(String::new()));
        assert_eq!(empty.text(), "0x0");
        let mut short = Hasher::for_digest(&Digest::Adler32(String::new()));
        short.update(b"abc");
        // hex(zlib.adler32(b"abc", 0)) == "0x24a0126"
        assert_eq!(short.text(), "0x24a0126");
        let mut sha = Hasher::for_digest(&Digest::Sha256(String::new()));
        sha.update(b"abc");
        assert!(sha.text().starts_with("ba7816bf"));
    }

    #[test]
    fn jdma_adler32_converts_to_the_standard_one() {
        // zlib.adler32(b"Wikipedia") == 0x11e60398; zlib.adler32(b"Wikipedia", 0) == 0x11dd0397.
        assert_eq!(standard_adler32(0x11dd0397, 9), 0x11e60398);
        // Sums wrap at 65521: zlib.adler32(b"\xff" * 70000, 0) == 0x18a96e80,
        // zlib.adler32(b"\xff" * 70000) == 0x2a286e81.
        assert_eq!(standard_adler32(0x18a96e80, 70_000), 0x2a286e81);
        assert_eq!(standard_adler32(0, 0), 1);
    }

    #[test]
    fn adler32_text_forms() {
        assert_eq!(parse_adler32("0x1a2b"), Some(0x1a2b));
        assert_eq!(parse_adler32("0X0001A2B"), Some(0x1a2b));
        assert_eq!(parse_adler32("nothex"), None);
    }
}
