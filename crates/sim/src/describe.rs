//! What a running sim tells its clients: each archive's addresses and demo account, as one JSON object.

use serde::{Deserialize, Serialize};

use crate::{demo, Sim};

/// The sim's self-description, one key per archive it serves; `jobfetch-sim` prints it as its first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description {
    pub desaccess: Desaccess,
}

/// The fake DESaccess: where its API and file server are, and the demo account to sign in with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Desaccess {
    /// `POST {api}/login` with `username`, `password` and `database` gives a token.
    pub api: String,
    /// Job folders are `{files}/<user>/<job_type>/<job_id>/`.
    pub files: String,
    pub username: String,
    pub password: String,
    pub database: String,
}

impl Sim {
    /// Every archive this sim serves, with its addresses and demo account.
    pub fn description(&self) -> Description {
        Description {
            desaccess: Desaccess {
                api: self.desaccess_api_url(),
                files: self.desaccess_files_url(),
                username: demo::USERNAME.into(),
                password: demo::PASSWORD.into(),
                database: demo::DATABASE.into(),
            },
        }
    }
}
