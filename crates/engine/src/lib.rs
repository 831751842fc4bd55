//! jobfetch-engine: archive providers, the output catalog, safe local paths and transfers, with no UI dependency.

pub mod catalog;
pub mod error;
pub mod http;
pub mod ids;
pub mod paths;
pub mod preview;
pub mod providers;
pub mod sqlite;
pub mod transfer;
pub mod units;

pub use error::{Error, ErrorCode, Result};
