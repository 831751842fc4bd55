//! Downloads: every transfer in Jobfetch, for every archive, goes through this engine.
//!
//! A batch is a list of items (source, destination, expected size and digest, auth policy) kept in a
//! SQLite queue that survives crashes. Items come over HTTP, from a file on an SSH host over SFTP
//! ([`crate::ssh`]), or from a file on this computer; they stream to `<name>.part`, resume
//! (`Range`/`If-Range`, or a read from the `.part`'s length), are verified and renamed into place; a
//! half-written file never appears under its final name.

pub mod auth;
pub mod body;
pub(crate) mod claim;
pub mod congestion;
pub mod export;
pub mod fetch;
pub(crate) mod limits;
pub mod local_file;
pub mod manifest;
pub mod model;
pub mod part_file;
pub mod plan;
pub mod plan_file;
pub mod plan_status;
pub(crate) mod progress;
pub mod request;
pub mod retry;
pub mod runner;
pub mod sftp;
pub mod shard;
pub mod store;
pub(crate) mod verify;

pub use congestion::HostConcurrency;
pub use model::{
    BatchId, BatchSnapshot, BatchState, ItemId, ItemSnapshot, ItemSpec, ItemState, TransferEvent,
};
pub use progress::Observer;
pub use runner::{TransferConfig, Transfers};
