//! The accounts a user added and which one is active: no secrets, only what the sign-in form's
//! non-secret fields hold. The app keeps them in its settings store, the CLI in a JSON file.

use std::path::{Path, PathBuf};

use jobfetch_engine::ids::AccountId;
use jobfetch_engine::json_file;
use jobfetch_engine::providers::Account;
use jobfetch_engine::{Error, Result};
use serde::{Deserialize, Serialize};

/// Every account, in the order they were added, and the one in use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedAccounts {
    pub accounts: Vec<Account>,
    pub active: Option<AccountId>,
}

/// Where the accounts are kept.
pub trait AccountBook: Send + Sync {
    fn load(&self) -> Result<SavedAccounts>;
    fn save(&self, accounts: &SavedAccounts) -> Result<()>;
}

/// Accounts in a JSON file, written whole through a temporary file so it is never half-written.
pub struct JsonFileBook {
    path: PathBuf,
}

impl JsonFileBook {
    pub fn new(path: &Path) -> Self {
        JsonFileBook {
            path: path.to_path_buf(),
        }
    }
}

impl AccountBook for JsonFileBook {
    fn load(&self) -> Result<SavedAccounts> {
        json_file::read_or_default(&self.path, |err| {
            Error::invalid_input(format!(
                "{} is not a Jobfetch accounts file ({err}); move it away and add your accounts again.",
                self.path.display()
            ))
        })
    }

    fn save(&self, accounts: &SavedAccounts) -> Result<()> {
        json_file::write(&self.path, accounts, "write")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_no_accounts_and_saving_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let book = JsonFileBook::new(&dir.path().join("sub/accounts.json"));
        assert_eq!(book.load().unwrap(), SavedAccounts::default());
        let provider = jobfetch_engine::ids::ProviderId::new("desaccess").unwrap();
        let account = Account {
            id: AccountId::new(&provider, "ana", "h:1").unwrap(),
            provider,
            label: "ana on h:1".into(),
            settings: [("username".to_string(), "ana".to_string())].into(),
        };
        let saved = SavedAccounts {
            active: Some(account.id.clone()),
            accounts: vec![account],
        };
        book.save(&saved).unwrap();
        assert_eq!(book.load().unwrap(), saved);
        std::fs::write(dir.path().join("sub/accounts.json"), "not json").unwrap();
        assert!(book.load().unwrap_err().message.contains("move it away"));
    }
}
