//! The terminal progress bar for downloads: indicatif on a terminal, silent otherwise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jobfetch_engine::transfer::{BatchSnapshot, Observer};

/// Progress of the batch being downloaded; totals grow while folders are listed.
pub struct Bar {
    bar: ProgressBar,
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
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}")
                .expect("valid template"),
        );
        Bar { bar }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for Bar {
    fn snapshot(&self, batches: &[BatchSnapshot]) {
        // The CLI runs one batch, which is the newest.
        let Some(batch) = batches.first() else { return };
        self.bar.set_length(batch.bytes_total);
        self.bar.set_position(batch.bytes_done);
        let listing = if batch.listing_complete {
            ""
        } else {
            ", listing…"
        };
        self.bar.set_message(format!(
            "{}/{} files{listing}",
            batch.files_done, batch.files_total
        ));
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
