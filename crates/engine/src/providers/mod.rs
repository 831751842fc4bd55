//! Archive providers: one module per archive, each turning its protocol into the engine's catalog types.

pub mod desaccess;
