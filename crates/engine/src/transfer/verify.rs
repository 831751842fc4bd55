//! Checking that a file is whole: its size, and its SHA-256 or ADLER-32 where the archive published one.

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
            Digest::Adler32(_) => Hasher::Adler32(Adler32::new()),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(hasher) => hasher.update(bytes),
            Hasher::Adler32(hasher) => hasher.write_slice(bytes),
        }
    }

    /// True when the bytes seen match `expected`.
    pub fn matches(self, expected: &Digest) -> bool {
        match (self, expected) {
            (Hasher::Sha256(hasher), Digest::Sha256(hex)) => {
                format!("{:x}", hasher.finalize()).eq_ignore_ascii_case(hex.trim())
            }
            (Hasher::Adler32(hasher), Digest::Adler32(text)) => {
                parse_adler32(text) == Some(hasher.checksum())
            }
            _ => false,
        }
    }
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
        let mut adler = Hasher::for_digest(&Digest::Adler32(String::new()));
        adler.update(b"Wikipedia");
        assert!(adler.matches(&Digest::Adler32("0x11e60398".into())));
        let mut wrong = Hasher::for_digest(&Digest::Adler32(String::new()));
        wrong.update(b"wikipedia");
        assert!(!wrong.matches(&Digest::Adler32("0x11e60398".into())));
    }

    #[test]
    fn adler32_text_forms() {
        assert_eq!(parse_adler32("0x1a2b"), Some(0x1a2b));
        assert_eq!(parse_adler32("0X0001A2B"), Some(0x1a2b));
        assert_eq!(parse_adler32("nothex"), None);
    }
}
