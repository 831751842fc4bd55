//! Each account's preferences: the folder its downloads go to (the default until one is chosen) and
//! the job looked at last. Kept in the settings store, or for this run only on the demo archive.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use jobfetch_engine::ids::AccountId;
use serde::{Deserialize, Serialize};
use tauri::AppHandle;

/// One account's preferences.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountPrefs {
    /// The folder chosen for its downloads; `None`: the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_folder: Option<PathBuf>,
    /// The id of the job looked at last, opened again next time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_job: Option<String>,
}

/// Every account's preferences, and the default download folder.
pub struct Preferences {
    default_folder: PathBuf,
    accounts: Mutex<BTreeMap<AccountId, AccountPrefs>>,
    /// Where they are saved; `None` on the demo archive, whose preferences last one run.
    app: Option<AppHandle>,
}

impl Preferences {
    /// Preferences kept in the settings store of `app`.
    pub fn saved(default_folder: PathBuf, app: AppHandle) -> Self {
        Preferences {
            default_folder,
            accounts: Mutex::new(crate::settings::account_prefs(&app)),
            app: Some(app),
        }
    }

    /// Preferences kept for this run only.
    pub fn for_this_run(default_folder: PathBuf) -> Self {
        Preferences {
            default_folder,
            accounts: Mutex::default(),
            app: None,
        }
    }

    /// The folder the account's downloads go to.
    pub fn folder_of(&self, account: &AccountId) -> PathBuf {
        self.get(account)
            .download_folder
            .unwrap_or_else(|| self.default_folder.clone())
    }

    /// The folder downloads of `account`, or of no account, go to.
    pub fn folder_for(&self, account: Option<&AccountId>) -> PathBuf {
        account.map_or_else(
            || self.default_folder.clone(),
            |account| self.folder_of(account),
        )
    }

    /// Makes `folder` the account's download folder (`None`: back to the default).
    pub fn set_folder(&self, account: &AccountId, folder: Option<PathBuf>) {
        self.change(account, |prefs| prefs.download_folder = folder);
    }

    /// The job the account's window showed last.
    pub fn last_job(&self, account: &AccountId) -> Option<String> {
        self.get(account).last_job
    }

    pub fn set_last_job(&self, account: &AccountId, job: Option<String>) {
        self.change(account, |prefs| prefs.last_job = job);
    }

    /// Forgets a removed account's preferences.
    pub fn forget(&self, account: &AccountId) {
        self.change(account, |prefs| *prefs = AccountPrefs::default());
    }

    fn get(&self, account: &AccountId) -> AccountPrefs {
        let accounts = self.accounts.lock().expect("preferences lock");
        accounts.get(account).cloned().unwrap_or_default()
    }

    fn change(&self, account: &AccountId, edit: impl FnOnce(&mut AccountPrefs)) {
        let mut accounts = self.accounts.lock().expect("preferences lock");
        let before = accounts.get(account).cloned().unwrap_or_default();
        let mut prefs = before.clone();
        edit(&mut prefs);
        if prefs == before {
            return;
        }
        if prefs == AccountPrefs::default() {
            accounts.remove(account);
        } else {
            accounts.insert(account.clone(), prefs);
        }
        if let Some(app) = &self.app {
            crate::settings::save_account_prefs(app, &accounts);
        }
    }
}
