//! The terminal progress bar for downloads: indicatif on a terminal, silent otherwise.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jobfetch_engine::paths::SafeRelPath;
use jobfetch_engine::transfer::{FileOutcome, Observer};
use jobfetch_engine::Result;

/// Progress over all files of a download; the total grows as folders are listed.
pub struct Bar {
    bar: ProgressBar,
    total: AtomicU64,
}

impl Bar {
    pub fn new(quiet: bool) -> Self {
        let target = if quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr_with_hz(10)
        };
        let bar = ProgressBar::with_draw_target(Some(0), target);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}")
                .expect("valid template"),
        );
        Bar {
            bar,
            total: AtomicU64::new(0),
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for Bar {
    fn file_queued(&self, _rel: &SafeRelPath, size: Option<u64>) {
        let total = self.total.fetch_add(size.unwrap_or(0), Ordering::Relaxed) + size.unwrap_or(0);
        self.bar.set_length(total);
    }

    fn bytes_written(&self, count: u64) {
        self.bar.inc(count);
    }

    fn file_finished(&self, rel: &SafeRelPath, result: &Result<FileOutcome>) {
        if let Ok(FileOutcome::AlreadyPresent(size)) = result {
            self.bar.inc(*size);
        }
        self.bar
            .set_message(rel.file_name().unwrap_or_default().to_string());
    }
}

/// Bytes in the units people read: `1.5 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
