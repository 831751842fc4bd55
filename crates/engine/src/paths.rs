//! The one place that turns server-supplied names into local paths, refusing anything that could escape the target folder.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Longest file-name component accepted, in bytes: the limit of ext4, APFS and NTFS.
pub const MAX_NAME_BYTES: usize = 255;

/// Checks that a single server-supplied name is a plain file or folder name and returns it.
///
/// Refused: empty names, `.` and `..`, names with a path separator (`/` or `\`), a NUL or other
/// control character, a Windows drive prefix (`C:`), and names longer than [`MAX_NAME_BYTES`].
pub fn safe_component(name: &str) -> Result<&str> {
    let refuse = |why: &str| {
        Err(Error::unsafe_name(format!(
            "The server sent the entry name \"{}\", which {why}. It was not saved; report this to the archive.",
            printable(name)
        )))
    };
    if name.is_empty() {
        return refuse("is empty");
    }
    if name == "." || name == ".." {
        return refuse("points outside its folder");
    }
    if name.contains('/') || name.contains('\\') {
        return refuse("contains a path separator");
    }
    if name.chars().any(|c| c.is_control()) {
        return refuse("contains a NUL or control character");
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return refuse("starts with a drive letter");
    }
    if bytes.len() > MAX_NAME_BYTES {
        return refuse(&format!("is longer than {MAX_NAME_BYTES} bytes"));
    }
    Ok(name)
}

/// A relative path made only of names that passed [`safe_component`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SafeRelPath {
    components: Vec<String>,
}

impl SafeRelPath {
    pub fn root() -> Self {
        SafeRelPath::default()
    }

    /// Parses a `/`-separated relative path from a server, checking every component.
    pub fn parse(path: &str) -> Result<Self> {
        let mut out = SafeRelPath::root();
        for part in path.split('/') {
            out = out.child(part)?;
        }
        Ok(out)
    }

    /// This path with one more server-supplied name appended.
    pub fn child(&self, name: &str) -> Result<Self> {
        let name = safe_component(name)?;
        let mut components = self.components.clone();
        components.push(name.to_string());
        Ok(SafeRelPath { components })
    }

    pub fn components(&self) -> &[String] {
        &self.components
    }

    pub fn file_name(&self) -> Option<&str> {
        self.components.last().map(String::as_str)
    }

    pub fn is_root(&self) -> bool {
        self.components.is_empty()
    }

    /// The path below `base`; it cannot leave `base` because every component was checked.
    pub fn under(&self, base: &Path) -> PathBuf {
        let mut path = base.to_path_buf();
        path.extend(&self.components);
        path
    }
}

impl std::fmt::Display for SafeRelPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.components.join("/"))
    }
}

/// The name with control characters escaped and its length capped, fit for an error message.
fn printable(name: &str) -> String {
    const SHOWN: usize = 80;
    let escaped: String = name.chars().flat_map(char::escape_debug).collect();
    if escaped.chars().count() > SHOWN {
        format!("{}…", escaped.chars().take(SHOWN).collect::<String>())
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn plain_names_pass() {
        for name in [
            "DES0226-1541",
            "DESJ022640.4160-154120.0040_irg_stiff.png",
            "a b",
            "résumé.fits",
            ".hidden",
        ] {
            assert_eq!(safe_component(name).unwrap(), name);
        }
    }

    #[test]
    fn hostile_names_are_refused_with_the_name_in_the_message() {
        let long = "x".repeat(256);
        for name in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "/etc/passwd",
            "a\\b",
            "a\0b",
            "C:evil",
            "tab\there",
            long.as_str(),
        ] {
            let err = safe_component(name).unwrap_err();
            assert_eq!(err.code, ErrorCode::UnsafeName, "{name:?}");
            assert!(err.message.contains("entry name"), "{}", err.message);
        }
        assert!(safe_component("../x").unwrap_err().message.contains("../x"));
    }

    #[test]
    fn rel_paths_stay_under_their_base() {
        let rel = SafeRelPath::parse("job/DES0226-1541/a.fits").unwrap();
        assert_eq!(
            rel.under(Path::new("/out")),
            Path::new("/out/job/DES0226-1541/a.fits")
        );
        assert!(SafeRelPath::parse("job/../../etc").is_err());
        assert!(SafeRelPath::parse("/abs").is_err());
        assert_eq!(rel.to_string(), "job/DES0226-1541/a.fits");
    }
}
