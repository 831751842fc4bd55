//! Small JSON files kept whole (accounts, notes): a missing one reads as empty, a write goes through a temporary file and a rename, so one is never half-written.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::transfer::manifest::write_atomic;

/// The value in the JSON file at `path`, or the empty value when there is no file; `not_ours` says
/// what to do about a file that is not such JSON.
pub fn read_or_default<T: DeserializeOwned + Default>(
    path: &Path,
    not_ours: impl FnOnce(serde_json::Error) -> Error,
) -> Result<T> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(not_ours),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(err) => Err(Error::disk("read", path, err)),
    }
}

/// Writes `value` to `path` as pretty JSON, making its folder first; a failure says it could not
/// `action` the file.
pub fn write<T: Serialize>(path: &Path, value: &T, action: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|err| Error::disk("create the folder", dir, err))?;
    let text = serde_json::to_vec_pretty(value).expect("plain data serializes");
    write_atomic(path, &text, action)
}
