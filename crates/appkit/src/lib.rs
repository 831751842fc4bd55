//! jobfetch-appkit: what the app and the CLI do beyond the engine, in one Tauri-free place.
//!
//! - [`accounts`]: the accounts a user added, kept (without secrets) by an [`accounts::AccountBook`].
//! - [`keyring`]: the OS keyring as the engine's `SecretStore`; [`env_secrets`] for machines without one.
//! - [`desk`]: the [`desk::Desk`], which signs accounts in, lists jobs and outputs, turns a job or a
//!   selection into a batch, and resumes batches after a restart.
//! - [`follow`]: one job of any archive followed until it ends, with backoff, cancellable
//!   ([`desk::Desk::follow_job`]), for the app's running jobs and `jobfetch get --wait`.
//! - [`opened_file`]: files an archive made for downloading (MAST's scripts), handed to Jobfetch,
//!   read by the archive that made them and downloaded as one batch.
//! - `storage`: jobs that move through stages and files kept on storage (JDMA's): what can be done
//!   with a job, its stages, bringing its files back and deleting it, as [`Desk`] methods.
//! - [`unpacking`]: a finished batch's result archives unpacked in place, safely.
//! - [`diagnostics`]: the app's rotated log, its last warnings and errors, and panics reported.

pub mod accounts;
pub mod desk;
pub mod diagnostics;
pub mod env_secrets;
pub mod follow;
pub mod keyring;
pub mod opened_file;
#[cfg(test)]
mod sample;
pub mod selection;
mod storage;
mod trial;
pub mod unpacking;

pub use desk::Desk;
