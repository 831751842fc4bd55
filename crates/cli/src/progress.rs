//! The terminal progress bar for downloads: indicatif on a terminal, silent otherwise.

use std::fmt::Write;
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use jobfetch_engine::transfer::{BatchSnapshot, Observer};
use jobfetch_engine::units::human_size;

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
