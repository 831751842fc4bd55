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
use crate::jdma::{self, Jdma, JdmaConfig};
use crate::live::EndRefused;
use crate::mast::{self, Mast};
use crate::raw::RawEntries;
use crate::state::SimState;
use crate::stats::{self, Stats};
use crate::up42::{self, Up42};
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
    /// JDMA's stage interval, large file and workspace folder.
    pub jdma: JdmaConfig,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            token_ttl: Duration::from_secs(3600),
            seed: 20_200_706,
            demo_start: None,
            live_jobs: Endings::default(),
            jdma: JdmaConfig::default(),
        }
    }
}

/// A running fake DESaccess (API, file server and `/_sim` control routes on one port), fake
/// MAST (on a second port, with a storage host for its redirects on a third), fake UP42 (seed
/// API, current API, auth host and storage host, a port each) and fake JDMA (one more port).
///
/// Dropping it stops the servers too, like [`Sim::shutdown`] without waiting.
pub struct Sim {
    address: SocketAddr,
    mast_address: SocketAddr,
    /// UP42's seed API, current API, auth host and storage host.
    up42_addresses: [SocketAddr; 4],
    jdma_address: SocketAddr,
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
        let mut up42_listeners = Vec::new();
        for _ in up42::routers() {
            up42_listeners.push(TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?);
        }
        let jdma_listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let jdma_address = jdma_listener.local_addr()?;
        let address = listener.local_addr()?;
        let mast_address = mast_listener.local_addr()?;
        let storage_address = storage_listener.local_addr()?;
        let mut up42_addresses = [address; 4];
        for (slot, listener) in up42_addresses.iter_mut().zip(&up42_listeners) {
            *slot = listener.local_addr()?;
        }
        let [_, up42_api_v2, _, up42_storage] = up42_addresses;
        let clock = Clock::starting_at(config.demo_start);
        let state = Arc::new(SimState {
            archive: Archive::demo(config.seed, clock.clone(), &config.live_jobs),
            tokens: Tokens::new(config.seed, config.token_ttl),
            faults: Faults::default(),
            mast: Mast::new(
                config.seed,
                format!("http://{mast_address}"),
                format!("http://{storage_address}"),
            ),
            up42: Up42::new(
                config.seed,
                clock.clone(),
                config.live_jobs,
                format!("http://{up42_api_v2}"),
                format!("http://{up42_storage}"),
            ),
            jdma: Jdma::new(config.seed, clock.clone(), config.jdma)?,
            clock,
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
        let mut servers = vec![
            serve(listener, app(state.clone())),
            serve(mast_listener, faulty(state.clone(), mast::router())),
            serve(
                storage_listener,
                faulty(state.clone(), mast::storage_router()),
            ),
        ];
        for (listener, routes) in up42_listeners.into_iter().zip(up42::routers()) {
            servers.push(serve(listener, faulty(state.clone(), routes)));
        }
        servers.push(serve(jdma_listener, faulty(state.clone(), jdma::router())));
        let ticker = jdma_ticker(state.clone(), stopped.clone());
        let server = tokio::spawn(async move {
            futures_util::future::join(futures_util::future::join_all(servers), ticker).await;
        });
        Ok(Sim {
            address,
            mast_address,
            up42_addresses,
            jdma_address,
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

    /// UP42's seed API, `http://127.0.0.1:PORT`: `/oauth/token`, `/projects/{p}/jobs`… at its root
    /// (see [`up42`]).
    pub fn up42_url(&self) -> String {
        format!("http://{}", self.up42_addresses[0])
    }

    /// UP42's current API, `http://127.0.0.1:PORT`: `/v2/processing/jobs`, `/v2/assets/…` at its root.
    pub fn up42_api_v2_url(&self) -> String {
        format!("http://{}", self.up42_addresses[1])
    }

    /// UP42's auth host, `http://127.0.0.1:PORT`: `/realms/public/protocol/openid-connect/token`.
    pub fn up42_auth_url(&self) -> String {
        format!("http://{}", self.up42_addresses[2])
    }

    /// The storage host UP42's signed URLs point at, `http://127.0.0.1:PORT`.
    pub fn up42_storage_url(&self) -> String {
        format!("http://{}", self.up42_addresses[3])
    }

    /// JDMA's host, `http://127.0.0.1:PORT`; its API is under `/jdma_control/api/v1/` (see [`jdma`]).
    pub fn jdma_url(&self) -> String {
        format!("http://{}", self.jdma_address)
    }

    /// JDMA's API, `http://127.0.0.1:PORT/jdma_control/api/v1/` with its trailing slash, as
    /// jdma_client's `JDMA_API_URL` and a JDMA account take it.
    pub fn jdma_api_url(&self) -> String {
        format!("{}/jdma_control/api/v1/", self.jdma_url())
    }

    pub(crate) fn jdma(&self) -> &Jdma {
        &self.state.jdma
    }

    /// The folder JDMA's group workspaces are in (`{root}/gws/nopw/j04/<workspace>`).
    pub fn jdma_workspace_root(&self) -> &std::path::Path {
        self.state.jdma.workspace_root()
    }

    /// Moves the sim's clock forward: tokens, signed URLs and running jobs of every archive see
    /// the time `by` later (a test's way to let five minutes pass at once), and JDMA's requests
    /// move on at once (this may write a GET's files, so it blocks while they are written).
    pub fn advance_clock(&self, by: Duration) {
        self.state.clock.advance(by);
        self.state.jdma.catch_up();
    }

    /// Every UP42 signed URL issued so far expires now; those issued later work.
    pub fn expire_up42_signed_urls(&self) {
        self.state.up42.expire_signed_urls();
    }

    /// UP42's projects with their API keys, the demo project first.
    pub fn up42_projects(&self) -> Vec<up42::ProjectCredentials> {
        self.state.up42.credentials()
    }

    /// UP42's jobs that end while the sim runs, and when.
    pub fn up42_live_jobs(&self) -> Vec<up42::LiveJob> {
        self.state.up42.live_jobs()
    }

    /// The fault rules applied to API, file, MAST, UP42 and storage requests.
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

    /// Makes one of the demo's running jobs ([`Sim::live_jobs`], [`Sim::up42_live_jobs`]) end
    /// `after` from now.
    pub fn end_job_in(&self, job_id: &str, after: Duration) -> Result<(), EndRefused> {
        self.state.end_job_in(job_id, after)
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

/// Moves JDMA's requests on with the clock every 200 ms while nobody asks, so a GET's files
/// appear on disk in time even if no client is polling.
async fn jdma_ticker(state: Arc<SimState>, mut stopped: watch::Receiver<()>) {
    let mut every = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            _ = every.tick() => {}
        }
        let state = state.clone();
        let _ = tokio::task::spawn_blocking(move || state.jdma.catch_up()).await;
    }
}

/// Another archive's port (MAST, UP42) or a storage host: `routes` under the same fault injection as DESaccess.
fn faulty(state: Arc<SimState>, routes: Router<Arc<SimState>>) -> Router {
    routes
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            fault_layer::apply,
        ))
        .with_state(state)
}
