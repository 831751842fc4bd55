//! The fake MAST (STScI): the Portal API, downloads, curl bundles and `/whoami`, at the root of its own port.
//!
//! | request | answer |
//! |---|---|
//! | `POST /api/v0/invoke` (`request=<JSON>`; `GET ?request=` too) | `Mast.Caom.Filtered`, `.Filtered.Position`, `.Cone`, `.Products`, with paging and long polling |
//! | `POST /portal/Mashup/Mashup.asmx/columnsconfig` (`colConfigId=`) | column types, as astroquery reads them before filtering |
//! | `GET /api/v0.1/Download/file?uri=<dataURI>` | the file; exclusive-access files need a token; JWST files redirect to the storage host; HST previews come chunked |
//! | `POST /api/v0.1/Download/bundle.sh` (`uri=` repeated) | MAST's bash curl script |
//! | `GET /whoami` | the signed-in user, or `{"anon": true, …}` |
//!
//! A token is read from `Authorization: token <t>` or the `mast_token` cookie; [`DEMO_TOKEN`] is
//! the only valid one, and any other token sent is refused with 401.

mod bundle;
mod catalog;
mod columns;
mod criteria;
mod download;
mod invoke;
mod session;
mod storage;
mod tables;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::state::SimState;

pub use invoke::EXECUTING_OBSIDS;
pub(crate) use storage::router as storage_router;

/// The demo user's MAST API token (scopes `mast:user:info` and `mast:exclusive_access`).
pub const DEMO_TOKEN: &str = "5e1d9b7c3a2f4e6d8c0b1a9f7e5d3c2b";
/// Collection of the demo proposal.
pub const DEMO_COLLECTION: &str = "HST";
/// The demo proposal: three WFC3/UVIS observations, the third still exclusive-access.
pub const DEMO_PROPOSAL: &str = "16123";

/// The MAST side of a running sim: its catalogue and where it and its storage host listen.
pub(crate) struct Mast {
    /// `http://127.0.0.1:PORT`, the base download URLs in bundles point at.
    pub(crate) base: String,
    /// The storage host's base URL, for redirects.
    storage: String,
    seed: u64,
    catalog: OnceLock<catalog::Catalog>,
    /// Request texts already answered `EXECUTING` once.
    polled: Mutex<HashSet<String>>,
}

/// At most this many pending polls are remembered; beyond, the memory starts afresh.
const POLLS_REMEMBERED: usize = 10_000;

impl Mast {
    pub(crate) fn new(seed: u64, base: String, storage: String) -> Mast {
        Mast {
            base,
            storage,
            seed,
            catalog: OnceLock::new(),
            polled: Mutex::default(),
        }
    }

    /// The catalogue, laid out (and its previews rendered) on first use.
    fn catalog(&self) -> &catalog::Catalog {
        self.catalog.get_or_init(|| catalog::build(self.seed))
    }

    /// True the first time this exact request text is seen.
    fn first_sighting(&self, request: &str) -> bool {
        let mut polled = self.polled.lock().expect("poll memory poisoned");
        if polled.len() >= POLLS_REMEMBERED {
            polled.clear();
        }
        polled.insert(request.to_owned())
    }

    /// A pre-signed storage-host URL for `key`.
    fn signed_url(&self, key: &str) -> String {
        storage::signed_url(&self.storage, self.seed, key)
    }
}

/// The routes served at the root of MAST's port.
pub(crate) fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route("/api/v0/invoke", get(invoke::invoke).post(invoke::invoke))
        .route(
            "/portal/Mashup/Mashup.asmx/columnsconfig",
            post(invoke::columns_config),
        )
        .route("/api/v0.1/Download/file", get(download::file))
        .route("/api/v0.1/Download/bundle.sh", post(bundle::script))
        .route("/whoami", get(session::whoami))
        .fallback(|| async { (StatusCode::NOT_FOUND, "Not Found").into_response() })
}
