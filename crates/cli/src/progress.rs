//! The terminal progress bar for downloads: indicatif on a terminal, silent otherwise.

use std::fmt::Write;
use std::io::IsTerminal;
use std::sync::OnceLock;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use jobfetch_engine::transfer::{BatchId, BatchSnapshot, Observer};
use jobfetch_engine::units::human_size;

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
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {done}/{total} {rate} ETA {eta} {msg}",
            )
            .expect("valid template")
            // Sizes as the rest of Jobfetch writes them (engine units), not indicatif's own.
            .with_key("done", |state: &ProgressState, w: &mut dyn Write| {
                let _ = w.write_str(&human_size(state.pos()));
            })
            .with_key("total", |state: &ProgressState, w: &mut dyn Write| {
                let _ = w.write_str(&human_size(state.len().unwrap_or(0)));
            })
            .with_key("rate", |state: &ProgressState, w: &mut dyn Write| {
                let _ = write!(w, "{}/s", human_size(state.per_sec() as u64));
            }),
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
            "{}/{} files, {} conn{listing}",
            batch.files_done, batch.files_total, batch.connections
        ));
    }
}

/// The batch the bar follows among the queue's, once it is known.
fn followed(batches: &[BatchSnapshot], batch: Option<BatchId>) -> Option<&BatchSnapshot> {
    batches.iter().find(|snapshot| Some(snapshot.id) == batch)
}
