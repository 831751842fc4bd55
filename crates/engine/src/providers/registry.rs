//! The archives Jobfetch knows, by id.

use std::sync::Arc;

use super::{Provider, ProviderInfo};
use crate::error::{Error, ErrorCode, Result};
use crate::ids::ProviderId;

/// Every archive Jobfetch can sign in to.
#[derive(Clone)]
pub struct Registry {
    providers: Vec<Arc<dyn Provider>>,
}

impl Registry {
    /// The registry of every archive built in.
    pub fn builtin() -> Self {
        Registry::with(vec![
            Arc::new(super::desaccess::DesAccessProvider::new()),
            Arc::new(super::mast::MastProvider::new()),
            Arc::new(super::up42::Up42Provider::new()),
            Arc::new(super::jdma::JdmaProvider::new()),
        ])
    }

    /// A registry of the given providers (tests add doubles this way).
    pub fn with(providers: Vec<Arc<dyn Provider>>) -> Self {
        Registry { providers }
    }

    /// Every provider, in the order registered.
    pub fn all(&self) -> &[Arc<dyn Provider>] {
        &self.providers
    }

    pub fn infos(&self) -> Vec<ProviderInfo> {
        self.providers.iter().map(|p| p.info().clone()).collect()
    }

    pub fn get(&self, id: &ProviderId) -> Result<Arc<dyn Provider>> {
        self.find(id.as_str())
    }

    /// Finds an archive by id or by name, case-insensitively (`desaccess`, `DESaccess`).
    pub fn find(&self, name: &str) -> Result<Arc<dyn Provider>> {
        let wanted = name.trim();
        self.providers
            .iter()
            .find(|p| {
                p.info().id.as_str().eq_ignore_ascii_case(wanted)
                    || p.info().name.eq_ignore_ascii_case(wanted)
            })
            .cloned()
            .ok_or_else(|| {
                let known: Vec<&str> = self
                    .providers
                    .iter()
                    .map(|p| p.info().id.as_str())
                    .collect();
                Error::new(
                    ErrorCode::InvalidInput,
                    format!(
                        "Jobfetch knows no archive {wanted:?}; it knows {}.",
                        known.join(", ")
                    ),
                )
            })
    }
}
