//! MAST (the Mikulski Archive for Space Telescopes, STScI): observations searched through the Mashup
//! API, their products listed a few observations at a time and filtered as astroquery does, downloaded
//! from `Download/file` with the user's token sent only to MAST.

pub mod invoke;
pub mod model;
pub mod script;
pub mod search;
pub mod token;
