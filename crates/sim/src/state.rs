//! The state shared by every route of one running sim.

use std::time::Duration;

use crate::archive::Archive;
use crate::auth::Tokens;
use crate::clock::Clock;
use crate::faults::Faults;
use crate::jdma::Jdma;
use crate::live::EndRefused;
use crate::mast::Mast;
use crate::raw::RawEntries;
use crate::stats::Stats;
use crate::up42::Up42;

pub(crate) struct SimState {
    pub(crate) archive: Archive,
    pub(crate) tokens: Tokens,
    pub(crate) faults: Faults,
    pub(crate) mast: Mast,
    pub(crate) up42: Up42,
    pub(crate) jdma: Jdma,
    /// The time every archive reads; tests advance it.
    pub(crate) clock: Clock,
    pub(crate) raw: RawEntries,
    pub(crate) stats: Stats,
}

impl SimState {
    /// Makes a running demo job of any archive end `after` from now.
    pub(crate) fn end_job_in(&self, job_id: &str, after: Duration) -> Result<(), EndRefused> {
        match self.archive.end_job_in(job_id, after) {
            Err(EndRefused::NotLive) => self.up42.end_job_in(job_id, after),
            done => done,
        }
    }
}
