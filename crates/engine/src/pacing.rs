//! How often something that changes on a server (a job, a JDMA request) is asked about again: quickly at first, then less and less often.

use std::time::Duration;

/// How often a followed job or request is asked about: first after `first`, then each wait `growth`
/// times the last, up to `most`; back to `first` whenever it changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Pacing {
    pub first: Duration,
    pub growth: f64,
    pub most: Duration,
}

impl Default for Pacing {
    /// 2 s, growing by half each time to a minute: quick at first, gentle on the archive for long jobs.
    fn default() -> Self {
        Pacing {
            first: Duration::from_secs(2),
            growth: 1.5,
            most: Duration::from_secs(60),
        }
    }
}

impl Pacing {
    /// The wait after `wait` when nothing changed.
    pub fn after(&self, wait: Duration) -> Duration {
        wait.mul_f64(self.growth).min(self.most)
    }
}
