//! Previews for the UI: the asynchronous `thumb` URI scheme that serves thumbnails, and the preview commands.

use jobfetch_engine::preview::{PreviewInfo, PreviewOutcome, RenderOptions};
use jobfetch_engine::{Error, ErrorCode, Result};
use percent_encoding::percent_decode_str;
use serde::Serialize;
use tauri::http::{header, Response, StatusCode, Uri};
use tauri::{Manager, Runtime, State, UriSchemeContext, UriSchemeResponder};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use jobfetch_appkit::selection::ListedJob;
use jobfetch_engine::ids::{AccountId, JobRef};

use crate::state::AppState;

/// The URI scheme the UI loads thumbnails from:
/// `thumb://localhost/<account id>/<job id>/<output path>?size=…&stretch=…&limits=…` (each part percent-encoded).
pub const SCHEME: &str = "thumb";

/// What the detail pane shows of a file beside its picture.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PreviewDetails {
    pub info: PreviewInfo,
    /// True when the file is too large to preview and only its header was read.
    pub header_only: bool,
    /// Where the file is on disk, when it has been downloaded.
    pub local_path: Option<String>,
}

/// Answers one request of the `thumb` scheme without blocking the webview: the work runs on the async runtime.
pub fn serve<R: Runtime>(
    context: UriSchemeContext<'_, R>,
    request: tauri::http::Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let app = context.app_handle().clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        responder.respond(respond(&state, request.uri()).await);
    });
}

async fn respond(state: &AppState, uri: &Uri) -> Response<Vec<u8>> {
    let started = std::time::Instant::now();
    let outcome = async {
        let request = ThumbRequest::parse(uri)?;
        // Registered for as long as the request runs, so the UI can call it off.
        let ticket = request
            .ticket
            .as_deref()
            .map(|id| state.previews.ticket(id));
        let cancel = ticket
            .as_ref()
            .map(|t| t.token().clone())
            .unwrap_or_default();
        let job = state.desk.listed(&request.job)?;
        preview(state, &job, &request.path, &request.options, &cancel).await
    }
    .await;
    let response = Response::builder()
        // The page's origin differs from the scheme's: let its fetch() read the answer.
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    let response = match outcome {
        Ok(PreviewOutcome::Image(thumbnail)) => response
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "image/png")
            .body(thumbnail.png.clone()),
        Ok(PreviewOutcome::HeaderOnly(_)) => {
            response.status(StatusCode::NO_CONTENT).body(Vec::new())
        }
        Err(err) => response
            .status(status_of(err.code))
            .header(header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(&err).unwrap_or_default()),
    };
    let response = response.unwrap_or_else(|_| Response::new(Vec::new()));
    tracing::debug!(
        path = uri.path(),
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "thumbnail served"
    );
    response
}

/// The HTTP status the UI sees for an error; its body says the rest.
fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::NoPreview => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::InvalidInput | ErrorCode::UnsafeName => StatusCode::BAD_REQUEST,
        ErrorCode::AuthFailed | ErrorCode::AuthExpired | ErrorCode::NotSignedIn => {
            StatusCode::UNAUTHORIZED
        }
        ErrorCode::Cancelled => StatusCode::GONE,
        ErrorCode::Network | ErrorCode::Http | ErrorCode::Protocol | ErrorCode::LinkExpired => {
            StatusCode::BAD_GATEWAY
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// One thumbnail request, as the UI's URL spells it.
struct ThumbRequest {
    job: JobRef,
    path: String,
    options: RenderOptions,
    ticket: Option<String>,
}

impl ThumbRequest {
    fn parse(uri: &Uri) -> Result<ThumbRequest> {
        let bad =
            |what: &str| Error::invalid_input(format!("The thumbnail address {uri} has {what}."));
        let mut segments = uri.path().trim_start_matches('/').split('/');
        let decode = |segment: &str| {
            percent_decode_str(segment)
                .decode_utf8()
                .map(|text| text.into_owned())
                .map_err(|_| bad("a name that is not UTF-8"))
        };
        let account = AccountId::try_from(decode(segments.next().unwrap_or_default())?)?;
        let job_id = decode(segments.next().unwrap_or_default())?;
        let path = segments.map(decode).collect::<Result<Vec<_>>>()?.join("/");
        if job_id.is_empty() || path.is_empty() {
            return Err(bad("no job or file in it"));
        }
        let mut options = RenderOptions::default();
        let mut ticket = None;
        for (key, value) in url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        {
            match &*key {
                "size" => {
                    options.size = value
                        .parse()
                        .ok()
                        .filter(|size| (16..=4096).contains(size))
                        .ok_or_else(|| bad("a size outside 16–4096"))?
                }
                "stretch" => options.stretch = value.parse()?,
                "limits" => options.limits = value.parse()?,
                "ticket" => ticket = Some(value.into_owned()),
                _ => {}
            }
        }
        Ok(ThumbRequest {
            job: JobRef {
                account,
                job: job_id,
            },
            path,
            options,
            ticket,
        })
    }
}

/// The preview of one listed output: from the downloaded copy when there is one, else fetched.
async fn preview(
    state: &AppState,
    job: &ListedJob,
    path: &str,
    options: &RenderOptions,
    cancel: &CancellationToken,
) -> Result<PreviewOutcome> {
    let located = job.located(path)?;
    let credentials = job.session.credentials();
    let mut source = job.preview_source(path, &located)?;
    source.credentials = credentials.as_deref();
    state.previews.thumbnail(source, options, cancel).await
}

#[tauri::command]
pub async fn preview_details(
    state: State<'_, AppState>,
    account: AccountId,
    job_id: String,
    path: String,
    options: RenderOptions,
) -> Result<PreviewDetails> {
    let job = state.desk.listed(&JobRef {
        account,
        job: job_id,
    })?;
    let local_path = job.local_copy(&path)?.map(|p| p.display().to_string());
    let (info, header_only) =
        match preview(&state, &job, &path, &options, &CancellationToken::new()).await? {
            PreviewOutcome::Image(thumbnail) => (thumbnail.info.clone(), false),
            PreviewOutcome::HeaderOnly(info) => (info, true),
        };
    Ok(PreviewDetails {
        info,
        header_only,
        local_path,
    })
}

/// Stops the work on previews the UI no longer shows (tiles scrolled away).
#[tauri::command]
pub async fn cancel_previews(state: State<'_, AppState>, tickets: Vec<String>) -> Result<()> {
    state.previews.cancel_tickets(&tickets);
    Ok(())
}

/// The output paths of a job that are already whole in the download folder.
#[tauri::command]
pub async fn downloaded_outputs(
    state: State<'_, AppState>,
    account: AccountId,
    job_id: String,
) -> Result<Vec<String>> {
    state
        .desk
        .listed(&JobRef {
            account,
            job: job_id,
        })?
        .downloaded()
        .await
}
