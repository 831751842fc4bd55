//! Diagnostics for the app: a log in its own folder rotated daily, the last warnings and errors kept in
//! memory for "Copy diagnostics", and a panic anywhere (a background task too) logged and reported,
//! never silent. Secrets never reach a log: they are `Secret`s, which print as `[redacted]`.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use jobfetch_engine::catalog::now_iso;
use jobfetch_engine::{Error, ErrorCode, Result};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Warnings and errors kept for a report.
const RECENT_KEPT: usize = 50;
/// Days of logs kept.
const LOG_FILES_KEPT: usize = 7;

/// One warning or error, as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recent {
    pub time: String,
    pub level: String,
    pub message: String,
}

/// Called with one sentence when a part of the program panics.
type FailureReport = Box<dyn Fn(&str) + Send + Sync>;

/// The installed log and panic reporting; keep it for the program's life (dropping it flushes the log).
pub struct Diagnostics {
    recent: Arc<Mutex<VecDeque<Recent>>>,
    on_failure: Arc<OnceLock<FailureReport>>,
    log_dir: PathBuf,
    _flush: WorkerGuard,
}

impl Diagnostics {
    /// Logs to stderr and to `<log_dir>/jobfetch.<date>.log` (a week of files kept), at the level
    /// `$filter_env` says (default `info`), and reports panics. Once per process.
    pub fn install(log_dir: &Path, filter_env: &str) -> Result<Diagnostics> {
        let unwritable = |err: &dyn std::fmt::Display| {
            Error::new(
                ErrorCode::Disk,
                format!(
                    "Cannot write the log in {} ({err}); check that the folder can be written.",
                    log_dir.display()
                ),
            )
        };
        // The appender looks for old logs to prune before it makes the folder.
        std::fs::create_dir_all(log_dir).map_err(|err| unwritable(&err))?;
        let appender = RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix("jobfetch")
            .filename_suffix("log")
            .max_log_files(LOG_FILES_KEPT)
            .build(log_dir)
            .map_err(|err| unwritable(&err))?;
        let (writer, flush) = tracing_appender::non_blocking(appender);
        let recent = Arc::new(Mutex::new(VecDeque::with_capacity(RECENT_KEPT)));
        let filter = || EnvFilter::try_from_env(filter_env).unwrap_or_else(|_| "info".into());
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_filter(filter()),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(writer)
                    .with_filter(filter()),
            )
            .with(KeepRecent {
                recent: recent.clone(),
            })
            .try_init()
            .map_err(|err| {
                Error::new(
                    ErrorCode::Internal,
                    format!("Logging was set up twice: {err}"),
                )
            })?;
        let on_failure: Arc<OnceLock<FailureReport>> = Arc::default();
        report_panics(on_failure.clone());
        Ok(Diagnostics {
            recent,
            on_failure,
            log_dir: log_dir.to_path_buf(),
            _flush: flush,
        })
    }

    /// Has `report` told (e.g. the window) of every panic from now on; the first call wins.
    pub fn on_failure(&self, report: impl Fn(&str) + Send + Sync + 'static) {
        let _ = self.on_failure.set(Box::new(report));
    }

    /// The last warnings and errors, oldest first.
    pub fn recent(&self) -> Vec<Recent> {
        self.recent
            .lock()
            .expect("recent log lock")
            .iter()
            .cloned()
            .collect()
    }

    /// The text "Copy diagnostics" gives: `facts` (versions, account kinds; never secrets), the
    /// operating system, the log folder and the last warnings and errors.
    pub fn report(&self, facts: &[(String, String)]) -> String {
        let mut text = String::from("Jobfetch diagnostics\n");
        let _ = writeln!(text, "Written: {}", now_iso());
        for (name, value) in facts {
            let _ = writeln!(text, "{name}: {value}");
        }
        let _ = writeln!(text, "System: {}", system());
        let _ = writeln!(text, "Log folder: {}", self.log_dir.display());
        let recent = self.recent();
        let _ = writeln!(text, "\nLast warnings and errors ({}):", recent.len());
        if recent.is_empty() {
            text.push_str("  none\n");
        }
        for entry in recent {
            let _ = writeln!(text, "  {} {} {}", entry.time, entry.level, entry.message);
        }
        text
    }
}

/// The operating system as its release file and kernel name it, e.g. `Debian GNU/Linux 12 (bookworm), Linux 6.1.0, x86_64`.
fn system() -> String {
    let release = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("PRETTY_NAME="))
                .map(|name| name.trim_matches('"').to_string())
        })
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| format!(", Linux {}", k.trim()))
        .unwrap_or_default();
    format!("{release}{kernel}, {}", std::env::consts::ARCH)
}

/// Logs every panic as an error (so it is in the log and the report) and tells `on_failure`.
fn report_panics(on_failure: Arc<OnceLock<FailureReport>>) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let thread = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_string();
        let sentence = format!(
            "A part of Jobfetch stopped unexpectedly ({thread} thread: {what}{place}). \
             What it was doing may not have finished; please copy the diagnostics into a bug report."
        );
        tracing::error!(target: "jobfetch::panic", "{sentence}");
        if let Some(report) = on_failure.get() {
            report(&sentence);
        }
        previous(info);
    }));
}

/// Keeps the last warnings and errors.
struct KeepRecent {
    recent: Arc<Mutex<VecDeque<Recent>>>,
}

impl<S: Subscriber> Layer<S> for KeepRecent {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let level = *event.metadata().level();
        if level > Level::WARN {
            return;
        }
        let mut text = Text::default();
        event.record(&mut text);
        let mut recent = self.recent.lock().expect("recent log lock");
        if recent.len() == RECENT_KEPT {
            recent.pop_front();
        }
        recent.push_back(Recent {
            time: now_iso(),
            level: level.to_string(),
            message: text.0,
        });
    }
}

/// An event's message and fields as one line.
#[derive(Default)]
struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }
}
