//! jobfetch-engine: archive providers, the output catalog, safe local paths and transfers, with no UI dependency.
//!
//! How the pieces fit, in the direction data flows:
//!
//! - [`providers`]: each archive behind one [`providers::Provider`] (describes its sign-in fields and
//!   abilities, makes accounts, opens sessions) and [`providers::Session`] (jobs, output trees, where
//!   each output comes from, and a job's files as a [`transfer::plan::Plan`] streamed while folders are
//!   still listed). The [`providers::Registry`] lists them; [`ids`] names providers, accounts and jobs.
//!   Secrets reach a provider only through a [`secret::SecretStore`].
//! - [`catalog`]: what providers return: jobs, output trees, output kinds.
//! - [`transfer`]: the provider-blind download engine. [`transfer::plan::start`] turns a plan into a
//!   batch in the durable SQLite queue ([`transfer::Transfers`]), which fetches items under their
//!   [`transfer::model::AuthPolicy`] with the account's [`transfer::auth::Credentials`], resumes,
//!   verifies, and writes manifests; exports hand a batch to curl or aria2.
//! - [`ssh`]: the system's OpenSSH with the user's own keys: tunnels to APIs only a remote host can
//!   reach, and the SFTP channels the transfer engine copies `Source::Sftp` items through.
//! - [`preview`]: thumbnails of PNG/JPEG and FITS outputs, fetched under the same credential rules
//!   ([`transfer::request`]) and cached on disk.
//! - [`paths`] turns every server-supplied name into a safe local path; [`error`] is the one error type
//!   (a stable code, a message that says what to do, a retryable flag); [`http`] builds the clients;
//!   [`sqlite`] opens the databases; [`json_file`] keeps small JSON files whole; [`unpack`] unpacks downloaded tar results without letting a member
//!   escape its folder; [`pacing`] says how often a followed job or request is asked about.
//!
//! The app and the CLI reach all of this through `jobfetch-appkit`'s `Desk`.

pub mod catalog;
pub mod disk_space;
pub mod error;
pub mod http;
pub mod ids;
pub mod json_file;
pub mod pacing;
pub mod paths;
pub mod preview;
pub mod providers;
pub mod secret;
pub(crate) mod sqlite;
pub mod ssh;
pub mod transfer;
pub mod units;
pub mod unpack;

pub use error::{Error, ErrorCode, Result};
