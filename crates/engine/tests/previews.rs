//! The preview service over real HTTP: the simulator's cutouts, tiny test servers, a real cache on disk.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::header::{CONTENT_LENGTH, CONTENT_RANGE, ETAG};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use jobfetch_engine::preview::cache::{ThumbnailCache, DEFAULT_CAP_BYTES};
use jobfetch_engine::preview::remote::{self, HEADER_PREFIX, WHOLE_FILE_LIMIT};
use jobfetch_engine::preview::{
    ImageFormat, PreviewOutcome, PreviewSource, Previews, RenderOptions,
};
use jobfetch_engine::transfer::auth::{BoxFuture, Credentials};
use jobfetch_engine::transfer::model::AuthPolicy;
use jobfetch_engine::transfer::request::AuthorizedRequest;
use jobfetch_engine::{http, Error, ErrorCode, Result};
use jobfetch_sim::{demo, FaultAction, FaultRule, Sim, SimConfig};
use reqwest::header::HeaderValue;
use serde_json::Value;
use support::{test_account, Seen, TestServer};
use tokio_util::sync::CancellationToken;
use url::Url;

/// A service on a fresh cache in its own folder.
struct Service {
    previews: Arc<Previews>,
    _dir: tempfile::TempDir,
}

fn service() -> Service {
    let dir = tempfile::tempdir().unwrap();
    let cache = ThumbnailCache::open(dir.path(), DEFAULT_CAP_BYTES).unwrap();
    Service {
        previews: Previews::new(http::transfer_client().unwrap(), cache),
        _dir: dir,
    }
}

fn source<'a>(url: &str, auth: &'a AuthPolicy, validator: &str) -> PreviewSource<'a> {
    PreviewSource {
        url: Url::parse(url).unwrap(),
        auth,
        credentials: None,
        size: None,
        validator: Some(validator.to_string()),
        local_copy: None,
        kind_hint: None,
    }
}

impl Service {
    async fn preview(&self, source: PreviewSource<'_>) -> Result<PreviewOutcome> {
        let never = CancellationToken::new();
        self.previews
            .thumbnail(source, &RenderOptions::default(), &never)
            .await
    }
}

fn image_format(outcome: &PreviewOutcome) -> ImageFormat {
    match outcome {
        PreviewOutcome::Image(thumbnail) => {
            assert!(thumbnail.png.starts_with(b"\x89PNG"), "a PNG thumbnail");
            thumbnail.info.format
        }
        PreviewOutcome::HeaderOnly(info) => panic!("an image, not a header: {info:?}"),
    }
}

fn error_of(result: Result<PreviewOutcome>) -> Error {
    match result {
        Ok(outcome) => panic!("expected an error, got {outcome:?}"),
        Err(err) => err,
    }
}

/// A `width` × `height` RGB PNG.
fn png(width: u32, height: u32) -> Vec<u8> {
    let picture =
        image::RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

/// A FITS primary header for a 16-bit `width` × `height` image, padded to its 2880-byte block.
fn fits_header(width: u32, height: u32) -> Vec<u8> {
    let cards = [
        "SIMPLE  =                    T".to_string(),
        "BITPIX  =                   16".to_string(),
        "NAXIS   =                    2".to_string(),
        format!("NAXIS1  = {width:>20}"),
        format!("NAXIS2  = {height:>20}"),
        "OBJECT  = 'test field'".to_string(),
        "END".to_string(),
    ];
    let mut header: Vec<u8> = cards
        .iter()
        .flat_map(|card| format!("{card:<80}").into_bytes())
        .collect();
    header.resize(2880, b' ');
    header
}

/// A whole small FITS file: a gradient, padded to its block.
fn fits(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = fits_header(width, height);
    for y in 0..height {
        for x in 0..width {
            bytes.extend_from_slice(&((x * 7 + y * 13) as i16).to_be_bytes());
        }
    }
    bytes.resize(bytes.len().div_ceil(2880) * 2880, 0);
    bytes
}

/// Waits until `server` has seen `count` requests.
async fn wait_for_requests(server: &TestServer, count: usize) {
    let start = Instant::now();
    while server.requests().len() < count {
        assert!(start.elapsed() < Duration::from_secs(20), "requests arrive");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The path of the first file under the demo cutout job whose name ends in `suffix`, and its size.
async fn demo_file(sim: &Sim, suffix: &str) -> (String, u64) {
    let root = format!(
        "{}/{}/cutout/{}",
        sim.desaccess_files_url(),
        demo::USERNAME,
        demo::CUTOUT_JOB_ID
    );
    let client = reqwest::Client::new();
    let mut pending = vec![root];
    while let Some(folder) = pending.pop() {
        let entries: Vec<Value> = client
            .get(format!("{folder}/json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for entry in entries {
            let path = format!("{folder}/{}", entry["name"].as_str().unwrap());
            if entry["type"] == "directory" {
                pending.push(path);
            } else if path.ends_with(suffix) {
                return (path, entry["size"].as_u64().unwrap());
            }
        }
    }
    panic!("the demo cutout job has a {suffix} file");
}

/// Body bytes the simulator sent per file path.
async fn sim_bytes_sent(sim: &Sim) -> serde_json::Map<String, Value> {
    let stats: Value = reqwest::get(format!("{}/_sim/stats", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stats["bytes_sent"].as_object().unwrap().clone()
}

#[tokio::test]
async fn the_sims_cutouts_render_once_and_then_come_from_the_cache() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let service = service();
    let anonymous = AuthPolicy::Anonymous;
    let (png_url, png_size) = demo_file(&sim, ".png").await;
    let (fits_url, fits_size) = demo_file(&sim, ".fits").await;
    let request = |url: &str, size: u64| PreviewSource {
        size: Some(size),
        ..source(url, &anonymous, "2024-01-01/1")
    };
    let first_png = service.preview(request(&png_url, png_size)).await.unwrap();
    let first_fits = service
        .preview(request(&fits_url, fits_size))
        .await
        .unwrap();
    assert_eq!(image_format(&first_png), ImageFormat::Png);
    assert_eq!(image_format(&first_fits), ImageFormat::Fits);
    let sent = sim_bytes_sent(&sim).await;
    let sent_for = |url: &str| sent[Url::parse(url).unwrap().path()].as_u64();
    assert_eq!(sent_for(&png_url), Some(png_size));
    assert_eq!(sent_for(&fits_url), Some(fits_size));

    let again_png = service.preview(request(&png_url, png_size)).await.unwrap();
    let again_fits = service
        .preview(request(&fits_url, fits_size))
        .await
        .unwrap();
    assert_eq!(again_png, first_png);
    assert_eq!(again_fits, first_fits);
    assert_eq!(sim_bytes_sent(&sim).await, sent, "nothing fetched again");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_changed_version_is_fetched_again_and_the_same_one_is_not() {
    let picture = png(40, 30);
    let server = TestServer::start({
        let picture = picture.clone();
        move |request| support::file(request, &picture, "\"v\"", false)
    })
    .await;
    let service = service();
    let anonymous = AuthPolicy::Anonymous;
    let url = server.url("/cutout.png");
    for (validator, requests) in [("v1", 1), ("v1", 1), ("v2", 2), ("v2", 2), ("v1", 3)] {
        let outcome = service.preview(source(&url, &anonymous, validator)).await;
        assert_eq!(image_format(&outcome.unwrap()), ImageFormat::Png);
        assert_eq!(
            server.requests().len(),
            requests,
            "after asking for {validator}"
        );
    }
}

#[tokio::test]
async fn a_file_listed_without_version_or_size_is_fetched_once() {
    let picture = png(40, 30);
    let server = TestServer::start({
        let picture = picture.clone();
        move |request: &Seen| support::file(request, &picture, "\"e1\"", false)
    })
    .await;
    let service = service();
    let anonymous = AuthPolicy::Anonymous;
    let unlisted = || PreviewSource {
        validator: None,
        ..source(&server.url("/unlisted.png"), &anonymous, "")
    };
    let first = service.preview(unlisted()).await.unwrap();
    assert_eq!(service.preview(unlisted()).await.unwrap(), first);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn tiles_asking_for_the_same_file_at_once_fetch_it_once() {
    let picture = png(64, 64);
    let server = TestServer::start({
        let picture = picture.clone();
        move |_| slowly(&picture, Duration::from_millis(300))
    })
    .await;
    let service = service();
    let anonymous = AuthPolicy::Anonymous;
    let url = server.url("/same.png");
    let (a, b, c) = tokio::join!(
        service.preview(source(&url, &anonymous, "v")),
        service.preview(source(&url, &anonymous, "v")),
        service.preview(source(&url, &anonymous, "v")),
    );
    assert_eq!(a.as_ref().unwrap(), b.as_ref().unwrap());
    assert_eq!(a.unwrap(), c.unwrap());
    assert_eq!(server.requests().len(), 1);
}

/// `bytes` after `delay`, with their length announced.
fn slowly(bytes: &[u8], delay: Duration) -> Response {
    let body = Bytes::copy_from_slice(bytes);
    let stream = futures_util::stream::once(async move {
        tokio::time::sleep(delay).await;
        Ok::<_, std::io::Error>(body)
    });
    Response::builder()
        .header(CONTENT_LENGTH, bytes.len())
        .body(Body::from_stream(stream))
        .unwrap()
}

/// A FITS file of `width` × `height` 16-bit pixels whose data is zeros made as they are sent;
/// `sent` counts the body bytes made. It answers `Range: bytes=0-N` unless `ignore_range`.
fn big_fits(
    request: &Seen,
    width: u32,
    height: u32,
    ignore_range: bool,
    sent: &Arc<AtomicU64>,
) -> Response {
    let header = fits_header(width, height);
    let total = header.len() as u64 + u64::from(width) * u64::from(height) * 2;
    let end = request
        .header("range")
        .and_then(|r| r.strip_prefix("bytes=0-"))
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|_| !ignore_range)
        .map(|last| (last + 1).min(total));
    let len = end.unwrap_or(total);
    let sent = sent.clone();
    let chunks = futures_util::stream::unfold(0u64, move |at| {
        let (header, sent) = (header.clone(), sent.clone());
        async move {
            if at >= len {
                return None;
            }
            let size = (len - at).min(64 * 1024);
            let mut chunk = vec![0u8; size as usize];
            for (i, byte) in chunk.iter_mut().enumerate() {
                if let Some(&h) = header.get((at as usize) + i) {
                    *byte = h;
                }
            }
            sent.fetch_add(size, Ordering::Relaxed);
            Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), at + size))
        }
    });
    let mut response = Response::builder()
        .header(CONTENT_LENGTH, len)
        .header(ETAG, "\"big\"");
    if let Some(end) = end {
        response = response
            .status(StatusCode::PARTIAL_CONTENT)
            .header(CONTENT_RANGE, format!("bytes 0-{}/{total}", end - 1));
    }
    response.body(Body::from_stream(chunks)).unwrap()
}

#[tokio::test]
async fn a_fits_file_over_the_limit_shows_its_header_from_a_range_request() {
    // 4096 × 4096 × 2 bytes of data alone is the whole-file limit; with its header it is over.
    let (width, height) = (4096, 4096);
    for ignore_range in [false, true] {
        let sent = Arc::new(AtomicU64::new(0));
        let server = TestServer::start({
            let sent = sent.clone();
            move |request| big_fits(request, width, height, ignore_range, &sent)
        })
        .await;
        let service = service();
        let anonymous = AuthPolicy::Anonymous;
        let size = 2880 + u64::from(width) * u64::from(height) * 2;
        assert!(size > WHOLE_FILE_LIMIT);
        let request = PreviewSource {
            size: Some(size),
            ..source(&server.url("/coadd.fits"), &anonymous, "v")
        };
        let outcome = service.preview(request).await.unwrap();
        let PreviewOutcome::HeaderOnly(info) = outcome else {
            panic!("a header-only preview, got {outcome:?}");
        };
        assert_eq!(
            (info.format, info.width, info.height),
            (ImageFormat::Fits, width, height)
        );
        let fits = info.fits.expect("FITS details");
        assert_eq!(fits.axes, vec![width, height]);
        let asked = server.requests()[0].header("range").map(str::to_string);
        assert_eq!(
            asked.as_deref(),
            Some(&*format!("bytes=0-{}", HEADER_PREFIX - 1))
        );
        // Give a server that ignores the range time to push what the connection takes.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let sent = sent.load(Ordering::Relaxed);
        if ignore_range {
            assert!(
                sent < 16 << 20,
                "{sent} bytes of {size} sent to a dropped connection"
            );
        } else {
            assert_eq!(sent, HEADER_PREFIX);
        }
        assert_eq!(server.requests().len(), 1);
    }
}

#[tokio::test]
async fn a_large_fits_file_listed_without_a_size_still_shows_its_header() {
    let sent = Arc::new(AtomicU64::new(0));
    let server = TestServer::start({
        let sent = sent.clone();
        move |request| big_fits(request, 4096, 4200, false, &sent)
    })
    .await;
    let service = service();
    let anonymous = AuthPolicy::Anonymous;
    let outcome = service
        .preview(source(&server.url("/unsized.fits"), &anonymous, "v"))
        .await
        .unwrap();
    assert!(matches!(outcome, PreviewOutcome::HeaderOnly(ref info) if info.height == 4200));
    // The whole-file request was refused from its Content-Length, before the body was read.
    assert!(sent.load(Ordering::Relaxed) < 8 << 20);
}

#[tokio::test]
async fn remote_fetches_stay_within_their_bounds_without_a_length_to_go_by() {
    let body = fits(300, 400);
    let server = TestServer::start({
        let body = body.clone();
        move |_| support::chunked(&body)
    })
    .await;
    let client = http::transfer_client().unwrap();
    let never = CancellationToken::new();
    let anonymous = AuthPolicy::Anonymous;
    let request = || AuthorizedRequest {
        client: &client,
        url: Url::parse(&server.url("/chunked.fits")).unwrap(),
        label: "chunked.fits",
        auth: &anonymous,
        signed_url: false,
        credentials: None,
        headers: Default::default(),
        cancel: &never,
    };
    let whole = remote::fetch_whole(request(), body.len() as u64)
        .await
        .unwrap();
    assert_eq!(whole.bytes, body);
    assert_eq!(whole.total_size, None);
    let err = remote::fetch_whole(request(), body.len() as u64 - 1)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NoPreview, "{}", err.message);
    // The server ignores Range here: the prefix is cut from the full answer.
    let prefix = remote::fetch_prefix(request(), 5000).await.unwrap();
    assert_eq!(prefix.bytes, body[..5000]);
    assert_eq!(server.requests()[2].header("range"), Some("bytes=0-4999"));
}

struct Token;

impl Credentials for Token {
    fn authorization(&self) -> Option<HeaderValue> {
        Some(HeaderValue::from_static("Bearer archive-secret"))
    }

    fn refresh(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn the_token_goes_to_the_archive_and_not_across_a_redirect_to_another_port() {
    let picture = png(20, 20);
    let storage = TestServer::start({
        let picture = picture.clone();
        move |request| support::file(request, &picture, "\"s\"", false)
    })
    .await;
    let target = storage.url("/stored.png");
    let archive = TestServer::start(move |_| support::redirect(&target)).await;
    let service = service();
    let policy = AuthPolicy::ArchiveToken {
        account: test_account(),
        scheme: "Bearer".into(),
        hosts: vec![archive.authority()],
    };
    let request = PreviewSource {
        credentials: Some(&Token),
        ..source(&archive.url("/files/a.png"), &policy, "v")
    };
    let outcome = service.preview(request).await.unwrap();
    assert_eq!(image_format(&outcome), ImageFormat::Png);
    assert_eq!(
        archive.requests()[0].authorization(),
        Some("Bearer archive-secret")
    );
    assert_eq!(storage.requests().len(), 1);
    assert_eq!(storage.requests()[0].authorization(), None);
}

/// A token that DESaccess has let expire until it is renewed once.
struct Renewable {
    renewals: AtomicU64,
}

impl Credentials for Renewable {
    fn authorization(&self) -> Option<HeaderValue> {
        let n = self.renewals.load(Ordering::Relaxed);
        Some(HeaderValue::from_str(&format!("Bearer token-{n}")).unwrap())
    }

    fn refresh(&self) -> BoxFuture<'_, Result<()>> {
        self.renewals.fetch_add(1, Ordering::Relaxed);
        Box::pin(async { Ok(()) })
    }

    /// As DESaccess does: HTTP 200 with a JSON message saying the signature expired.
    fn is_session_ended_reply(&self, body: &[u8]) -> bool {
        String::from_utf8_lossy(body).contains("Signature has expired")
    }
}

#[tokio::test]
async fn an_archive_saying_in_a_200_reply_that_the_session_ended_renews_it_as_downloads_do() {
    let picture = png(30, 30);
    let server = TestServer::start({
        let picture = picture.clone();
        move |request: &Seen| match request.authorization() {
            Some("Bearer token-0") => support::session_ended_json(),
            _ => support::file(request, &picture, "\"p\"", false),
        }
    })
    .await;
    let service = service();
    let policy = AuthPolicy::ArchiveToken {
        account: test_account(),
        scheme: "Bearer".into(),
        hosts: vec![server.authority()],
    };
    let token = Renewable {
        renewals: AtomicU64::new(0),
    };
    let request = PreviewSource {
        credentials: Some(&token),
        ..source(&server.url("/files/cutout.png"), &policy, "v")
    };
    let outcome = service.preview(request).await.unwrap();
    assert_eq!(image_format(&outcome), ImageFormat::Png);
    assert_eq!(token.renewals.load(Ordering::Relaxed), 1);
    let sent: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.authorization().map(str::to_string))
        .collect();
    assert_eq!(
        sent,
        [
            Some("Bearer token-0".to_string()),
            Some("Bearer token-1".to_string())
        ]
    );
}

#[tokio::test]
async fn a_refused_file_says_to_sign_in_and_a_missing_one_is_not_found() {
    let server = TestServer::start(|request: &Seen| {
        if request.uri.contains("private") {
            support::status(StatusCode::FORBIDDEN)
        } else {
            support::status(StatusCode::NOT_FOUND)
        }
    })
    .await;
    let service = service();
    let anonymous = AuthPolicy::Anonymous;
    let private = service.preview(source(&server.url("/private.png"), &anonymous, "v"));
    assert_eq!(error_of(private.await).code, ErrorCode::AuthExpired);
    let gone = service.preview(source(&server.url("/gone.png"), &anonymous, "v"));
    assert_eq!(error_of(gone.await).code, ErrorCode::NotFound);
}

/// Headers, then nothing for a minute.
fn stalled() -> Response {
    let stream = futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok::<_, std::io::Error>(Bytes::from_static(b"late"))
    });
    Response::builder()
        .header(CONTENT_LENGTH, 4)
        .body(Body::from_stream(stream))
        .unwrap()
}

#[tokio::test]
async fn cancelled_requests_stop_at_once_whether_waiting_or_fetching() {
    let server = TestServer::start(|_| stalled()).await;
    let service = service();
    let previews = service.previews.clone();
    let anonymous = AuthPolicy::Anonymous;
    let options = RenderOptions::default();
    let tile = |n: usize| {
        let (previews, url) = (previews.clone(), server.url(&format!("/tile{n}.png")));
        let (anonymous, options) = (anonymous.clone(), options);
        tokio::spawn(async move {
            let ticket = previews.ticket(&format!("tile{n}"));
            let started = Instant::now();
            let result = previews
                .thumbnail(source(&url, &anonymous, "v"), &options, ticket.token())
                .await;
            (result.map(|_| ()), started.elapsed())
        })
    };
    // Four tiles take every preview connection; the fifth waits for one.
    let fetching: Vec<_> = (0..4).map(tile).collect();
    wait_for_requests(&server, 4).await;
    let waiting = tile(4);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        server.requests().len(),
        4,
        "the fifth waits for a connection"
    );

    let cancelled_at = Instant::now();
    service
        .previews
        .cancel_tickets(&["tile4".to_string(), "not-a-tile".to_string()]);
    let (result, _) = waiting.await.unwrap();
    assert_eq!(result.unwrap_err().code, ErrorCode::Cancelled);
    assert!(cancelled_at.elapsed() < Duration::from_secs(2));

    let ids: Vec<String> = (0..4).map(|n| format!("tile{n}")).collect();
    service.previews.cancel_tickets(&ids);
    for task in fetching {
        let (result, took) = task.await.unwrap();
        assert_eq!(result.unwrap_err().code, ErrorCode::Cancelled);
        assert!(
            took < Duration::from_secs(10),
            "stopped mid-body after {took:?}"
        );
    }
    assert!(cancelled_at.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn with_the_server_gone_the_last_version_seen_is_shown() {
    let picture = png(50, 20);
    let server = TestServer::start({
        let picture = picture.clone();
        move |request: &Seen| support::file(request, &picture, "\"v1\"", false)
    })
    .await;
    let service = service();
    let anonymous = AuthPolicy::Anonymous;
    let url = server.url("/kept.png");
    let online = service
        .preview(source(&url, &anonymous, "v1"))
        .await
        .unwrap();
    assert_eq!(image_format(&online), ImageFormat::Png);
    drop(server);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The listing (from before) names a newer version, which cannot be fetched now.
    let offline = service
        .preview(source(&url, &anonymous, "v2"))
        .await
        .unwrap();
    assert_eq!(offline, online);
    let never_seen = service
        .preview(source(&url.replace("kept", "never"), &anonymous, "v1"))
        .await;
    assert_eq!(error_of(never_seen).code, ErrorCode::Network);
}

#[tokio::test]
async fn a_connection_broken_mid_file_shows_the_version_seen_before() {
    let picture = png(60, 20);
    let answered = Arc::new(AtomicU64::new(0));
    let server = TestServer::start({
        let (picture, answered) = (picture.clone(), answered.clone());
        // The first answer comes whole (without a length); later ones break after 100 bytes.
        move |_| match answered.fetch_add(1, Ordering::Relaxed) {
            0 => support::chunked(&picture),
            _ => support::broken_file(&picture, "\"v2\"", 100),
        }
    })
    .await;
    let service = service();
    let anonymous = AuthPolicy::Anonymous;
    let url = server.url("/flaky.png");
    let before = service
        .preview(source(&url, &anonymous, "v1"))
        .await
        .unwrap();
    let now = service
        .preview(source(&url, &anonymous, "v2"))
        .await
        .unwrap();
    assert_eq!(now, before);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_file_that_is_no_picture_is_remembered_as_such() {
    let server = TestServer::start(|_| "a text file, not an image".into_response()).await;
    let service = service();
    let anonymous = AuthPolicy::Anonymous;
    let url = server.url("/notes.png");
    for _ in 0..2 {
        let err = error_of(service.preview(source(&url, &anonymous, "v")).await);
        assert_eq!(err.code, ErrorCode::NoPreview, "{}", err.message);
    }
    assert_eq!(server.requests().len(), 1, "asked the server once");
}

#[tokio::test]
async fn a_downloaded_copy_is_rendered_without_the_network() {
    let service = service();
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("g.fits");
    std::fs::write(&local, fits(300, 200)).unwrap();
    let anonymous = AuthPolicy::Anonymous;
    // Nothing listens on port 9 of localhost: any fetch would fail.
    let request = || PreviewSource {
        local_copy: Some(local.clone()),
        ..source("http://127.0.0.1:9/g.fits", &anonymous, "v")
    };
    let outcome = service.preview(request()).await.unwrap();
    let PreviewOutcome::Image(thumbnail) = &outcome else {
        panic!("an image, got {outcome:?}");
    };
    assert_eq!((thumbnail.width, thumbnail.height), (256, 171));
    assert_eq!((thumbnail.info.width, thumbnail.info.height), (300, 200));
    assert_eq!(service.preview(request()).await.unwrap(), outcome);
}

#[tokio::test]
async fn the_sim_changing_a_files_version_is_seen_through_the_listing() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    sim.faults().add(FaultRule::new(
        "/files-desaccess/",
        FaultAction::ChangeValidator,
    ));
    let service = service();
    let anonymous = AuthPolicy::Anonymous;
    let (url, size) = demo_file(&sim, ".png").await;
    let request = || PreviewSource {
        size: Some(size),
        validator: None,
        ..source(&url, &anonymous, "")
    };
    // Without a listed version, the size stands for it: the server's changing ETag costs nothing.
    service.preview(request()).await.unwrap();
    let sent = sim_bytes_sent(&sim).await;
    service.preview(request()).await.unwrap();
    assert_eq!(sim_bytes_sent(&sim).await, sent);
    sim.shutdown().await;
}
