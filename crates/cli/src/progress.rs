//! The terminal progress bar for downloads: indicatif on a terminal, silent otherwise.

use std::io::IsTerminal;
use std::sync::OnceLock;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jobfetch_engine::transfer::{BatchId, BatchSnapshot, Observer};

/// Progress of this run's batch; totals grow while folders are listed. The queue may hold other batches,
/// older ones and those of other `jobfetch get`s at the same time: the bar shows only the one it follows.
pub struct Bar {
    bar: ProgressBar,
    batch: OnceLock<BatchId>,
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
        bar.set_message("listing…");
        Bar {
            bar,
            batch: OnceLock::new(),
        }
    }

    /// Shows `batch` from now on; until then the bar only says that the folder is being listed.
    pub fn follow(&self, batch: BatchId) {
        let _ = self.batch.set(batch);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for Bar {
    fn snapshot(&self, batches: &[BatchSnapshot]) {
        let Some(batch) = followed(batches, self.batch.get().copied()) else {
            return;
        };
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

/// The batch the bar follows among the queue's, once it is known.
fn followed(batches: &[BatchSnapshot], batch: Option<BatchId>) -> Option<&BatchSnapshot> {
    batches.iter().find(|snapshot| Some(snapshot.id) == batch)
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
