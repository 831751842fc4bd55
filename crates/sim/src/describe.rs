//! What a running sim tells its clients: each archive's addresses and demo account, as one JSON object.

use serde::{Deserialize, Serialize};

use crate::demo::{self, LiveJob};
use crate::{mast, Sim};

/// The sim's self-description, one key per archive it serves; `jobfetch-sim` prints it as its first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description {
    pub desaccess: Desaccess,
    pub mast: Mast,
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
    /// The demo account's jobs that are running when the sim starts and end while it runs.
    pub live_jobs: Vec<LiveJob>,
}

/// The fake MAST: its base URL (astroquery's `[mast] server`), the demo token, and a proposal to query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mast {
    /// `http://127.0.0.1:PORT`, no trailing slash; routes such as `/api/v0/invoke` are at its root.
    pub base: String,
    /// Sent as `Authorization: token <token>` or cookie `mast_token`; may fetch exclusive-access files.
    pub token: String,
    pub collection: String,
    pub proposal: String,
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
                live_jobs: self.live_jobs(),
            },
            mast: Mast {
                base: self.mast_url(),
                token: mast::DEMO_TOKEN.into(),
                collection: mast::DEMO_COLLECTION.into(),
                proposal: mast::DEMO_PROPOSAL.into(),
            },
        }
    }
}
