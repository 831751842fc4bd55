//! Progress: a rolling-window rate, ETA, and the observer that receives throttled batch snapshots.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::model::BatchSnapshot;

/// How far back the transfer rate looks.
const RATE_WINDOW: Duration = Duration::from_secs(5);

/// Receives snapshots of every batch, at most about ten times a second, and at once after state changes.
pub trait Observer: Send + Sync {
    fn snapshot(&self, batches: &[BatchSnapshot]);
}

/// Bytes over the last few seconds, for a rate that follows changes without jumping about.
#[derive(Default)]
pub struct RateWindow {
    samples: VecDeque<(Instant, u64)>,
}

impl RateWindow {
    /// Records the running byte total now and returns bytes per second over the window.
    pub fn record(&mut self, total: u64) -> f64 {
        let now = Instant::now();
        self.samples.push_back((now, total));
        while self.samples.len() > 2
            && self
                .samples
                .front()
                .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
        {
            self.samples.pop_front();
        }
        let (first_time, first_total) = *self.samples.front().expect("just pushed");
        let seconds = now.duration_since(first_time).as_secs_f64();
        if seconds < 0.05 {
            return 0.0;
        }
        total.saturating_sub(first_total) as f64 / seconds
    }

    /// Forgets the history, e.g. after a pause, so the rate does not average over the idle time.
    pub fn reset(&mut self) {
        self.samples.clear();
    }
}

/// Seconds left for `remaining` bytes at `rate`, when there is a rate to speak of.
pub fn eta_seconds(remaining: u64, rate: f64) -> Option<f64> {
    (rate >= 1.0).then(|| remaining as f64 / rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rate_is_averaged_over_the_window() {
        let mut window = RateWindow::default();
        assert_eq!(window.record(0), 0.0);
        tokio::time::advance(Duration::from_secs(1)).await;
        let rate = window.record(1000);
        assert!((rate - 1000.0).abs() < 1.0, "{rate}");
        tokio::time::advance(Duration::from_secs(10)).await;
        window.record(1000);
        tokio::time::advance(Duration::from_secs(1)).await;
        let rate = window.record(3000);
        assert!(
            rate > 150.0 && rate < 2100.0,
            "old samples drop out: {rate}"
        );
        assert_eq!(eta_seconds(1000, 0.0), None);
        assert_eq!(eta_seconds(1000, 500.0), Some(2.0));
    }
}
