//! Starting and stopping the sim's HTTP server.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use axum::Router;
use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::archive::Archive;
use crate::auth::Tokens;
use crate::clock::Clock;
use crate::demo::Endings;
use crate::faults::Faults;
use crate::live::EndRefused;
use crate::mast::{self, Mast};
use crate::raw::RawEntries;
use crate::state::SimState;
use crate::stats::{self, Stats};
use crate::{api, control, fault_layer, files, nginx_error};

/// How the sim is started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Lifetime of issued tokens (DESaccess uses 3600 s).
    pub token_ttl: Duration,
    /// Fixes the demo positions, pixels and tokens.
    pub seed: u64,
    /// The sim's time when it starts: the demo's job dates count back from it. `None` (the default)
    /// is the real time, so the demo reads as of today; a test fixes it to get fixed dates.
    pub demo_start: Option<SystemTime>,
    /// When the demo's running jobs end, counted from the start (a test makes them end in seconds).
    pub live_jobs: Endings,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            token_ttl: Duration::from_secs(3600),
            seed: 20_200_706,
            demo_start: None,
            live_jobs: Endings::default(),
        }
    }
}

/// A running fake DESaccess (API, file server and `/_sim` control routes on one port) and fake
/// MAST (on a second port, with a storage host for its redirects on a third).
///
/// Dropping it stops the servers too, like [`Sim::shutdown`] without waiting.
pub struct Sim {
    address: SocketAddr,
    mast_address: SocketAddr,
    state: Arc<SimState>,
    stop: watch::Sender<()>,
    server: JoinHandle<()>,
}

/// How long `shutdown` lets open responses finish before cutting them off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

impl Sim {
    /// Binds 127.0.0.1 and serves on the current tokio runtime. Nothing is generated until asked for.
    pub async fn start(config: SimConfig) -> std::io::Result<Sim> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let mast_listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let storage_listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let mast_address = mast_listener.local_addr()?;
        let storage_address = storage_listener.local_addr()?;
        let state = Arc::new(SimState {
            archive: Archive::demo(
                config.seed,
                Clock::starting_at(config.demo_start),
                &config.live_jobs,
            ),
            tokens: Tokens::new(config.seed, config.token_ttl),
            faults: Faults::default(),
            mast: Mast::new(
                config.seed,
                format!("http://{mast_address}"),
                format!("http://{storage_address}"),
            ),
            raw: RawEntries::default(),
            stats: Stats::default(),
        });
        let (stop, stopped) = watch::channel(());
        let serve = |listener: TcpListener, app: Router| {
            let mut stopped = stopped.clone();
            async move {
                // Stops on a send or when the sender is dropped.
                let shutdown = async move {
                    let _ = stopped.changed().await;
                };
                // Errors here only happen once the listener is gone.
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown)
                    .await;
            }
        };
        let servers = (
            serve(listener, app(state.clone())),
            serve(mast_listener, mast_app(state.clone(), mast::router())),
            serve(
                storage_listener,
                mast_app(state.clone(), mast::storage_router()),
            ),
        );
        let server = tokio::spawn(async move {
            tokio::join!(servers.0, servers.1, servers.2);
        });
        Ok(Sim {
            address,
            mast_address,
            state,
            stop,
            server,
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// `{base}/desaccess/api`
    pub fn desaccess_api_url(&self) -> String {
        format!("{}{}", self.base_url(), api::ROOT)
    }

    /// `{base}/files-desaccess`
    pub fn desaccess_files_url(&self) -> String {
        format!("{}{}", self.base_url(), files::ROOT)
    }

    /// MAST's base URL, `http://127.0.0.1:PORT` (no trailing slash): what astroquery's
    /// `[mast] server` option holds. Its routes are at the root of that port.
    pub fn mast_url(&self) -> String {
        format!("http://{}", self.mast_address)
    }

    /// The fault rules applied to API, file, MAST and storage requests.
    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// Lifetime of tokens issued from now on (existing tokens keep theirs).
    pub fn set_token_ttl(&self, ttl: Duration) {
        self.state.tokens.set_ttl(ttl);
    }

    /// The demo's jobs that end while the sim runs, and when each ends.
    pub fn live_jobs(&self) -> Vec<crate::demo::LiveJob> {
        self.state.archive.live_jobs()
    }

    /// Makes one of the demo's running jobs ([`Sim::live_jobs`]) end `after` from now.
    pub fn end_job_in(&self, job_id: &str, after: Duration) -> Result<(), EndRefused> {
        self.state.archive.end_job_in(job_id, after)
    }

    /// Serves `body` verbatim as the JSON listing of `folder` (relative to the file-server root,
    /// e.g. `demo/cutout/<job_id>`), at `{files_url}/{folder}/json`. It takes precedence over the
    /// demo archive, so a demo job's listing can be replaced by a hostile one.
    pub fn add_raw_listing(&self, folder: &str, body: impl Into<Bytes>) {
        self.state.raw.add_listing(folder, body.into());
    }

    /// Serves `body` as a file at `{files_url}/{path}`, with ranges and validators like any other file.
    pub fn add_raw_file(&self, path: &str, body: impl Into<Bytes>) {
        self.state.raw.add_file(path, body.into());
    }

    /// Stops accepting connections, lets open responses finish briefly, then cuts them off.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let mut server = self.server;
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut server)
            .await
            .is_err()
        {
            server.abort();
        }
    }
}

fn app(state: Arc<SimState>) -> Router {
    let faulty = Router::new()
        .nest(api::ROOT, api::router())
        .merge(files::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            fault_layer::apply,
        ))
        // Outside the faults, so it counts what is actually sent.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            stats::count,
        ));
    Router::new()
        .nest("/_sim", control::router())
        .merge(faulty)
        .fallback(|| async { nginx_error::page(StatusCode::NOT_FOUND) })
        .with_state(state)
}

/// MAST's port or its storage host: `routes` under the same fault injection as DESaccess.
fn mast_app(state: Arc<SimState>, routes: Router<Arc<SimState>>) -> Router {
    routes
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            fault_layer::apply,
        ))
        .with_state(state)
}
