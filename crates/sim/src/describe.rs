//! What a running sim tells its clients: each archive's addresses and demo account, as one JSON object.

use serde::{Deserialize, Serialize};

use crate::demo::{self, LiveJob};
use crate::jdma;
use crate::up42::{self, ProjectCredentials};
use crate::{mast, Sim};

/// The sim's self-description, one key per archive it serves; `jobfetch-sim` prints it as its first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description {
    pub desaccess: Desaccess,
    pub mast: Mast,
    pub up42: Up42,
    pub jdma: Jdma,
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

/// The fake UP42: the seed API (`base`, project credentials) and the current one (`api_v2`, signed
/// in on `auth` with the account), the storage host their signed URLs point at, and the running jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Up42 {
    /// The seed API, `http://127.0.0.1:PORT` (what `https://api.up42.com` was): `/oauth/token`, `/projects/…`.
    pub base: String,
    /// The demo project; `POST {base}/oauth/token` with HTTP Basic `project_id:api_key` and
    /// `grant_type=client_credentials` gives its token.
    pub project_id: String,
    pub api_key: String,
    /// The account: `grant_type=password` on `{base}/oauth/token` (SDK 0.37) or on `{token_url}`.
    pub username: String,
    pub password: String,
    /// The account's id, also its workspace id (`workspaceId` of the current API).
    pub account_id: String,
    /// The current API, `http://127.0.0.1:PORT`: `/v2/processing/jobs`, `/v2/assets/…`.
    pub api_v2: String,
    /// The auth host, `http://127.0.0.1:PORT`.
    pub auth: String,
    /// `{auth}/realms/public/protocol/openid-connect/token`: the current API's sign-in.
    pub token_url: String,
    /// The storage host signed URLs point at.
    pub storage: String,
    /// A `SUCCEEDED` job of the demo project with three tasks and quicklooks.
    pub demo_job_id: String,
    /// A `SUCCEEDED` job of the demo project whose results are hostile tarballs (see [`up42`]).
    pub hostile_job_id: String,
    /// Every project of the account, the demo one first, with its API key.
    pub projects: Vec<ProjectCredentials>,
    /// The jobs that are running when the sim starts and end while it runs.
    pub live_jobs: Vec<up42::LiveJob>,
}

/// The fake JDMA: the API base `jdma_client` takes as `settings.JDMA_API_URL`, the demo user and
/// workspace, and where the group workspaces are on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jdma {
    /// `http://127.0.0.1:PORT/jdma_control/api/v1/`, with its trailing slash: `user`,
    /// `request`, `migration/`… are appended to it.
    pub base: String,
    /// The demo user (the `name` parameter; there is no other credential).
    pub user: String,
    /// The demo user's group workspace.
    pub workspace: String,
    /// The folder the group workspaces are in: `{workspace_root}/gws/nopw/j04/<workspace>`.
    pub workspace_root: String,
    /// The demo workspace's folder; each member has `users/<name>` in it.
    pub workspace_path: String,
    /// A member of the demo workspace who is not a JDMA user yet (`POST user` makes them one).
    pub new_user: String,
    /// The storage attached to every workspace (needs no credentials).
    pub storage: String,
    /// The demo user's ON_STORAGE batch with the large file.
    pub batch_id: u64,
    /// A folder of the demo user's no batch holds yet, to PUT.
    pub spare_folder: String,
    /// How long each request stage lasts on the sim's clock.
    pub stage_interval_ms: u64,
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
            up42: Up42 {
                base: self.up42_url(),
                project_id: up42::DEMO_PROJECT_ID.into(),
                api_key: up42::DEMO_API_KEY.into(),
                username: up42::USERNAME.into(),
                password: up42::PASSWORD.into(),
                account_id: up42::ACCOUNT_ID.into(),
                api_v2: self.up42_api_v2_url(),
                auth: self.up42_auth_url(),
                token_url: format!(
                    "{}/realms/public/protocol/openid-connect/token",
                    self.up42_auth_url()
                ),
                storage: self.up42_storage_url(),
                demo_job_id: up42::SUCCEEDED_JOB_ID.into(),
                hostile_job_id: up42::HOSTILE_JOB_ID.into(),
                projects: self.up42_projects(),
                live_jobs: self.up42_live_jobs(),
            },
            jdma: self.describe_jdma(),
        }
    }

    fn describe_jdma(&self) -> Jdma {
        let state = self.jdma();
        let workspace_path = state.workspace_path(jdma::DEMO_WORKSPACE);
        let spare = workspace_path
            .join("users")
            .join(jdma::DEMO_USER)
            .join(jdma::SPARE_FOLDER);
        Jdma {
            base: self.jdma_api_url(),
            user: jdma::DEMO_USER.into(),
            workspace: jdma::DEMO_WORKSPACE.into(),
            workspace_root: self.jdma_workspace_root().to_string_lossy().into_owned(),
            workspace_path: workspace_path.to_string_lossy().into_owned(),
            new_user: jdma::NEW_USER.into(),
            storage: "elastictape".into(),
            batch_id: jdma::DEMO_BATCH_ID,
            spare_folder: spare.to_string_lossy().into_owned(),
            stage_interval_ms: u64::try_from(state.stage_interval().as_millis())
                .unwrap_or(u64::MAX),
        }
    }
}
