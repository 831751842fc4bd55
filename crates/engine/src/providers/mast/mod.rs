//! MAST (the Mikulski Archive for Space Telescopes, STScI): observations searched through the Mashup
//! API, their products listed a few observations at a time and filtered as astroquery does, downloaded
//! from `Download/file` with the user's token sent only to MAST.

pub mod invoke;
pub mod listing;
pub mod model;
mod provider;
pub mod script;
pub mod search;
mod session;
pub mod token;

pub use provider::{
    base_address, MastProvider, BASE, DEFAULT_BASE, TOKEN, TOKEN_ENV, TRUSTED_HOSTS,
};
