//! Thumbnails for the UI: from a downloaded copy, the disk cache or the archive, with few connections, offline fallback, coalescing and cancellation.
//!
//! Previews have network permits of their own ([`PREVIEW_CONNECTIONS`]), separate from the
//! transfer engine's slots: a preview never takes a download's slot, and so few connections
//! leave a running batch nearly all its bandwidth.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::header::HeaderMap;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::cache::{CacheKey, CachedPreview, ThumbnailCache};
use super::remote::{fetch_prefix, fetch_whole, HEADER_PREFIX, WHOLE_FILE_LIMIT};
use super::{fits_header, render, render_file, ImageFormat, PreviewInfo, RenderOptions, Thumbnail};
use crate::error::{Error, ErrorCode, Result};
use crate::transfer::auth::Credentials;
use crate::transfer::manifest::redact_url;
use crate::transfer::model::AuthPolicy;
use crate::transfer::request::AuthorizedRequest;

/// Connections previews use at once, whatever the number of tiles on screen.
pub const PREVIEW_CONNECTIONS: usize = 4;

/// The file a tile wants a preview of.
pub struct PreviewSource<'a> {
    pub url: Url,
    pub auth: &'a AuthPolicy,
    pub credentials: Option<&'a dyn Credentials>,
    /// The size the listing gave.
    pub size: Option<u64>,
    /// The version the listing gave, e.g. `<modified>/<size>`: it tells cached previews of older
    /// versions apart without asking the server.
    pub validator: Option<String>,
    /// The downloaded file, when it is whole on disk: it is read instead of fetching.
    pub local_copy: Option<PathBuf>,
    /// Whether the file is FITS, when the caller knows; otherwise told from the URL's name.
    pub kind_hint: Option<bool>,
}

/// A preview to show.
#[derive(Debug, Clone, PartialEq)]
pub enum PreviewOutcome {
    Image(Arc<Thumbnail>),
    /// A FITS file too large to fetch whole: what its header says.
    HeaderOnly(PreviewInfo),
}

/// The preview service the app keeps for its lifetime.
pub struct Previews {
    /// A client that does not follow redirects by itself ([`crate::http::transfer_client`]).
    client: reqwest::Client,
    cache: Arc<ThumbnailCache>,
    connections: Semaphore,
    /// Renders at once: one per core, so rendering never starves the async threads.
    renders: Semaphore,
    /// One lock per preview being made, so tiles asking for the same one at once fetch it once.
    making: Mutex<HashMap<CacheKey, Arc<tokio::sync::Mutex<()>>>>,
    tickets: Mutex<HashMap<String, (u64, CancellationToken)>>,
    next_ticket: AtomicU64,
}

/// A cancellable request registered under an id (e.g. a tile's); unregistered when dropped.
pub struct Ticket {
    previews: Arc<Previews>,
    id: String,
    number: u64,
    token: CancellationToken,
}

impl Ticket {
    /// Fires when [`Previews::cancel_tickets`] names this ticket's id.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut tickets = self.previews.tickets.lock().expect("tickets lock");
        if tickets
            .get(&self.id)
            .is_some_and(|(n, _)| *n == self.number)
        {
            tickets.remove(&self.id);
        }
    }
}

impl Previews {
    /// The service over `client`, which must not follow redirects ([`crate::http::transfer_client`]),
    /// and `cache`.
    pub fn new(client: reqwest::Client, cache: ThumbnailCache) -> Arc<Previews> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Arc::new(Previews {
            client,
            cache: Arc::new(cache),
            connections: Semaphore::new(PREVIEW_CONNECTIONS),
            renders: Semaphore::new(cores),
            making: Mutex::new(HashMap::new()),
            tickets: Mutex::new(HashMap::new()),
            next_ticket: AtomicU64::new(0),
        })
    }

    /// Registers a request under `id`; a later ticket for the same id replaces it.
    pub fn ticket(self: &Arc<Self>, id: &str) -> Ticket {
        let number = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        let token = CancellationToken::new();
        self.tickets
            .lock()
            .expect("tickets lock")
            .insert(id.to_string(), (number, token.clone()));
        Ticket {
            previews: self.clone(),
            id: id.to_string(),
            number,
            token,
        }
    }

    /// Cancels the requests registered under `ids` (tiles scrolled out of view); unknown ids are ignored.
    pub fn cancel_tickets(&self, ids: &[String]) {
        let mut tickets = self.tickets.lock().expect("tickets lock");
        for id in ids {
            if let Some((_, token)) = tickets.remove(id) {
                token.cancel();
            }
        }
    }

    /// The preview of `source` rendered with `options`. A file without a picture is an error with
    /// [`ErrorCode::NoPreview`], remembered so the file is not fetched again.
    pub async fn thumbnail(
        &self,
        source: PreviewSource<'_>,
        options: &RenderOptions,
        cancel: &CancellationToken,
    ) -> Result<PreviewOutcome> {
        let variant = options.cache_key();
        // Secret parameters never reach the cache's files, and a re-signed URL keeps its entry.
        let url = redact_url(source.url.as_str());
        if let Some(local) = source.local_copy.as_deref() {
            if let Some(validator) = local_validator(local) {
                let key = CacheKey {
                    url,
                    validator,
                    variant,
                };
                let local = local.to_path_buf();
                return self
                    .make(&key, cancel, || self.render_local(local, *options, cancel))
                    .await;
            }
        }
        let listed = source
            .validator
            .clone()
            .or_else(|| source.size.map(|size| format!("size:{size}")));
        let key = CacheKey {
            url,
            validator: listed.clone().unwrap_or_default(),
            variant,
        };
        let made = self
            .make(&key, cancel, || {
                self.fetch_and_render(&source, &key.url, listed.is_none(), options, cancel)
            })
            .await;
        match made {
            // The server cannot be reached now: any version seen before beats nothing.
            Err(err) if err.retryable => {
                let CacheKey { url, variant, .. } = key;
                match self
                    .cached(move |cache| cache.get_any_version(&url, &variant))
                    .await
                {
                    Ok(Some(preview)) => outcome(preview),
                    _ => Err(err),
                }
            }
            made => made,
        }
    }

    /// The cached preview under `key`, or else `produce`'s, cached; one at a time per key.
    async fn make<F>(
        &self,
        key: &CacheKey,
        cancel: &CancellationToken,
        produce: impl FnOnce() -> F,
    ) -> Result<PreviewOutcome>
    where
        F: std::future::Future<Output = Result<(Option<String>, CachedPreview)>>,
    {
        let making = Making::new(self, key);
        let _turn = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(cancelled()),
            turn = making.lock.lock() => turn,
        };
        let lookup = {
            let key = key.clone();
            // A file listed with neither version nor size: any version cached is as good as can be told.
            self.cached(move |cache| {
                if key.validator.is_empty() {
                    cache.get_any_version(&key.url, &key.variant)
                } else {
                    cache.get(&key)
                }
            })
            .await
        };
        // A cache that cannot be read or written costs a fetch, never the preview.
        match lookup {
            Ok(Some(preview)) => return outcome(preview),
            Ok(None) => {}
            Err(err) => tracing::warn!("preview cache lookup failed: {}", err.message),
        }
        let (server_validator, preview) = produce().await?;
        let mut key = key.clone();
        if key.validator.is_empty() {
            key.validator = server_validator.unwrap_or_default();
        }
        let stored = preview.clone();
        if let Err(err) = self.cached(move |cache| cache.put(&key, &stored)).await {
            tracing::warn!("could not keep a preview: {}", err.message);
        }
        outcome(preview)
    }

    /// Fetches the file (or, for a large FITS file, its header) and renders it, naming it `label` in
    /// errors. `validator_unknown` asks for the server's validator, to file the preview under.
    async fn fetch_and_render(
        &self,
        source: &PreviewSource<'_>,
        label: &str,
        validator_unknown: bool,
        options: &RenderOptions,
        cancel: &CancellationToken,
    ) -> Result<(Option<String>, CachedPreview)> {
        let request = || AuthorizedRequest {
            client: &self.client,
            url: source.url.clone(),
            label,
            auth: source.auth,
            signed_url: false,
            credentials: source.credentials,
            headers: HeaderMap::new(),
            cancel,
        };
        let is_fits = source
            .kind_hint
            .unwrap_or_else(|| fits_by_name(&source.url));
        let connection = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(cancelled()),
            permit = self.connections.acquire() => permit.expect("never closed"),
        };
        if is_fits && source.size.is_some_and(|size| size > WHOLE_FILE_LIMIT) {
            return header_only(fetch_prefix(request(), HEADER_PREFIX).await?);
        }
        let fetched = match fetch_whole(request(), WHOLE_FILE_LIMIT).await {
            // Larger than it was listed as (or not listed at all): a FITS file still has a header.
            Err(err) if err.code == ErrorCode::NoPreview && is_fits => {
                return header_only(fetch_prefix(request(), HEADER_PREFIX).await?);
            }
            fetched => fetched?,
        };
        drop(connection);
        let validator = fetched.validator.filter(|_| validator_unknown);
        let bytes = fetched.bytes;
        let options = *options;
        let rendered = self
            .render_off_thread(cancel, move || render(&bytes, &options))
            .await;
        Ok((validator, no_preview_kept(rendered)?))
    }

    async fn render_local(
        &self,
        path: PathBuf,
        options: RenderOptions,
        cancel: &CancellationToken,
    ) -> Result<(Option<String>, CachedPreview)> {
        let rendered = self
            .render_off_thread(cancel, move || render_file(&path, &options))
            .await;
        Ok((None, no_preview_kept(rendered)?))
    }

    /// Runs `render` on a blocking thread once a render permit is free.
    async fn render_off_thread(
        &self,
        cancel: &CancellationToken,
        render: impl FnOnce() -> Result<Thumbnail> + Send + 'static,
    ) -> Result<Thumbnail> {
        let _permit = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(cancelled()),
            permit = self.renders.acquire() => permit.expect("never closed"),
        };
        tokio::task::spawn_blocking(render).await.map_err(|err| {
            Error::new(
                ErrorCode::Internal,
                format!("A preview render failed: {err}"),
            )
        })?
    }

    /// Runs a cache call on a blocking thread: it reads and writes files and SQLite.
    async fn cached<T: Send + 'static>(
        &self,
        call: impl FnOnce(&ThumbnailCache) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let cache = self.cache.clone();
        tokio::task::spawn_blocking(move || call(&cache))
            .await
            .map_err(|err| {
                Error::new(
                    ErrorCode::Internal,
                    format!("The preview cache failed: {err}"),
                )
            })?
    }
}

/// A preview being made: holds its key's lock in the map, and forgets it when the last request for
/// the key ends, however it ends (finished, failed, or dropped by its caller).
struct Making<'a> {
    previews: &'a Previews,
    key: &'a CacheKey,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl<'a> Making<'a> {
    fn new(previews: &'a Previews, key: &'a CacheKey) -> Making<'a> {
        let lock = previews
            .making
            .lock()
            .expect("making lock")
            .entry(key.clone())
            .or_default()
            .clone();
        Making {
            previews,
            key,
            lock,
        }
    }
}

impl Drop for Making<'_> {
    fn drop(&mut self) {
        let mut making = self.previews.making.lock().expect("making lock");
        // Only the map and this request hold the lock: nobody else waits for this key.
        if Arc::strong_count(&self.lock) == 2 {
            making.remove(self.key);
        }
    }
}

/// The header-only preview from the first bytes of a FITS file; no image there is a kept `NoPreview`.
fn header_only(prefix: super::remote::Fetched) -> Result<(Option<String>, CachedPreview)> {
    let preview = match fits_header(&prefix.bytes) {
        Ok(fits) => CachedPreview::HeaderOnly(PreviewInfo {
            format: ImageFormat::Fits,
            width: fits.axes.first().copied().unwrap_or(0),
            height: fits.axes.get(1).copied().unwrap_or(0),
            fits: Some(fits),
        }),
        Err(err) if err.code == ErrorCode::NoPreview => CachedPreview::NoPreview(err.message),
        Err(err) => return Err(err),
    };
    Ok((prefix.validator, preview))
}

/// A render's result as something to cache: an image, or the reason there is none.
fn no_preview_kept(rendered: Result<Thumbnail>) -> Result<CachedPreview> {
    match rendered {
        Ok(thumbnail) => Ok(CachedPreview::Image(thumbnail)),
        Err(err) if err.code == ErrorCode::NoPreview => Ok(CachedPreview::NoPreview(err.message)),
        Err(err) => Err(err),
    }
}

fn outcome(preview: CachedPreview) -> Result<PreviewOutcome> {
    match preview {
        CachedPreview::Image(thumbnail) => Ok(PreviewOutcome::Image(Arc::new(thumbnail))),
        CachedPreview::HeaderOnly(info) => Ok(PreviewOutcome::HeaderOnly(info)),
        CachedPreview::NoPreview(message) => Err(Error::new(ErrorCode::NoPreview, message)),
    }
}

/// The version of a downloaded file: its modification time and length.
fn local_validator(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!("local:{}/{}", modified.as_nanos(), meta.len()))
}

/// True when the URL's file name says FITS: `.fits`, `.fit`, `.fts`, also compressed (`.fz`, `.gz`).
fn fits_by_name(url: &Url) -> bool {
    let name = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let name = name
        .strip_suffix(".fz")
        .or_else(|| name.strip_suffix(".gz"))
        .unwrap_or(&name);
    [".fits", ".fit", ".fts"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

fn cancelled() -> Error {
    Error::new(ErrorCode::Cancelled, "Stopped.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_files_are_told_by_their_names() {
        for name in [
            "a.fits",
            "A.FITS",
            "b.fit",
            "c.fts",
            "d.fits.fz",
            "e.fits.gz",
        ] {
            let url = Url::parse(&format!("https://x.org/job/{name}?download=1")).unwrap();
            assert!(fits_by_name(&url), "{name}");
        }
        for name in ["a.png", "b.fz", "fits", "c.fits.png", "folder.fits/"] {
            let url = Url::parse(&format!("https://x.org/job/{name}")).unwrap();
            assert!(!fits_by_name(&url), "{name}");
        }
    }

    #[test]
    fn tickets_are_cancelled_by_id_and_forgotten_when_they_end() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ThumbnailCache::open(dir.path(), 1 << 20).unwrap();
        let previews = Previews::new(reqwest::Client::new(), cache);
        let replaced = previews.ticket("tile");
        let current = previews.ticket("tile");
        let other = previews.ticket("other");
        drop(replaced);
        previews.cancel_tickets(&["tile".to_string()]);
        assert!(current.token().is_cancelled());
        assert!(!other.token().is_cancelled());
        drop(current);
        drop(other);
        assert!(previews.tickets.lock().unwrap().is_empty());
    }
}
