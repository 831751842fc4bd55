//! The state shared by every route of one running sim.

use crate::archive::Archive;
use crate::auth::Tokens;
use crate::faults::Faults;
use crate::mast::Mast;
use crate::raw::RawEntries;
use crate::stats::Stats;

pub(crate) struct SimState {
    pub(crate) archive: Archive,
    pub(crate) tokens: Tokens,
    pub(crate) faults: Faults,
    pub(crate) mast: Mast,
    pub(crate) raw: RawEntries,
    pub(crate) stats: Stats,
}
