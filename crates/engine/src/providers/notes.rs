//! What archive sessions must remember across restarts because the archive never says it again (the folder a JDMA GET was asked to write into).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::ids::AccountId;
use crate::json_file;

/// Short text values by account and key, kept from one run to the next.
pub trait Notes: Send + Sync {
    /// The value kept under `key` for `account`, if any.
    fn get(&self, account: &AccountId, key: &str) -> Result<Option<String>>;
    /// Keeps `value` under `key` for `account`, replacing what was there.
    fn set(&self, account: &AccountId, key: &str, value: &str) -> Result<()>;
}

/// Notes in one JSON file, `{"<account>": {"<key>": "<value>"}}`, written whole through a temporary
/// file and a rename, so it is never half-written.
pub struct JsonFileNotes {
    path: PathBuf,
    /// One read-change-write at a time within this process (a read needs none: a write is a rename).
    writing: Mutex<()>,
}

type AllNotes = BTreeMap<String, BTreeMap<String, String>>;

impl JsonFileNotes {
    pub fn new(path: &Path) -> Self {
        JsonFileNotes {
            path: path.to_path_buf(),
            writing: Mutex::new(()),
        }
    }

    fn load(&self) -> Result<AllNotes> {
        json_file::read_or_default(&self.path, |err| {
            Error::invalid_input(format!(
                "{} is not a Jobfetch notes file ({err}); move it away (Jobfetch then forgets \
                 where earlier JDMA GETs were asked to write, and looks in their default folders).",
                self.path.display()
            ))
        })
    }
}

impl Notes for JsonFileNotes {
    fn get(&self, account: &AccountId, key: &str) -> Result<Option<String>> {
        Ok(self
            .load()?
            .get(account.as_str())
            .and_then(|notes| notes.get(key))
            .cloned())
    }

    fn set(&self, account: &AccountId, key: &str, value: &str) -> Result<()> {
        let _writing = self.writing.lock().expect("notes lock");
        let mut notes = self.load()?;
        notes
            .entry(account.to_string())
            .or_default()
            .insert(key.to_string(), value.to_string());
        json_file::write(&self.path, &notes, "keep a note in")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_kept_per_account_across_instances_and_a_broken_file_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/notes.json");
        let jdma = crate::ids::ProviderId::new("jdma").unwrap();
        let ana = AccountId::new(&jdma, "ana", "host").unwrap();
        let bo = AccountId::new(&jdma, "bo", "host").unwrap();
        let notes = JsonFileNotes::new(&path);
        assert_eq!(notes.get(&ana, "get-target/7").unwrap(), None);
        notes.set(&ana, "get-target/7", "/gws/a_get").unwrap();
        notes.set(&bo, "get-target/7", "/gws/b").unwrap();
        notes.set(&ana, "get-target/7", "/gws/elsewhere").unwrap();

        let again = JsonFileNotes::new(&path);
        assert_eq!(
            again.get(&ana, "get-target/7").unwrap().as_deref(),
            Some("/gws/elsewhere")
        );
        assert_eq!(
            again.get(&bo, "get-target/7").unwrap().as_deref(),
            Some("/gws/b")
        );

        std::fs::write(&path, b"{not json").unwrap();
        let err = again.get(&ana, "get-target/7").unwrap_err();
        assert!(err.message.contains("move it away"), "{}", err.message);
    }
}
