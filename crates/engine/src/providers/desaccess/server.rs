//! Where a DESaccess account lives: its API and file server addresses, user and database.

use url::Url;

use crate::error::{Error, Result};

/// A DESaccess server and the user on it; nothing secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// API base, e.g. `https://des.ncsa.illinois.edu/desaccess/api`.
    pub api_base: String,
    /// File server root, e.g. `https://des.ncsa.illinois.edu/files-desaccess`.
    pub files_base: String,
    pub username: String,
    /// `desdr` on the public site; `dessci` or `desoper` for the collaboration.
    pub database: String,
}

impl Server {
    /// The server at `api_base`, with the file server derived the way DESaccess deploys it.
    pub fn new(api_base: &str, username: &str, database: &str) -> Result<Self> {
        let api = parse_base(api_base)?;
        let files_base = derive_files_base(&api)?;
        let username = username.trim();
        if username.is_empty() {
            return Err(Error::invalid_input("Enter your DESaccess username."));
        }
        let database = if database.trim().is_empty() {
            super::DEFAULT_DATABASE
        } else {
            database.trim()
        };
        Ok(Server {
            api_base: api.as_str().trim_end_matches('/').to_string(),
            files_base: files_base.as_str().trim_end_matches('/').to_string(),
            username: username.to_string(),
            database: database.to_string(),
        })
    }

    /// The API address without its scheme: what tells two servers apart in an account id.
    pub fn identity(&self) -> String {
        self.api_base
            .split_once("://")
            .map_or(self.api_base.as_str(), |(_, rest)| rest)
            .to_string()
    }

    /// The output folder of a job: `<files_base>/<user>/<job_type>/<job_id>` (the user lowercased, as the server does).
    pub fn job_folder_url(&self, job_type: &str, job_id: &str) -> Result<Url> {
        let mut url = parse_base(&self.files_base)?;
        url.path_segments_mut()
            .map_err(|_| Error::invalid_input("The file server address cannot hold a path."))?
            .pop_if_empty()
            .extend([self.username.to_lowercase().as_str(), job_type, job_id]);
        Ok(url)
    }
}

fn parse_base(raw: &str) -> Result<Url> {
    let url = Url::parse(raw.trim()).map_err(|err| {
        Error::invalid_input(format!("{raw:?} is not a valid address ({err}); it looks like https://des.ncsa.illinois.edu/desaccess/api."))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid_input(format!(
            "{raw:?} must start with https:// (or http:// for a local archive)."
        )));
    }
    Ok(url)
}

/// `https://host/desaccess/api` → `https://host/files-desaccess` (desaccess-public values.yaml: apiroot, fileroot).
fn derive_files_base(api: &Url) -> Result<Url> {
    let path = api.path().trim_end_matches('/');
    let prefix = path.strip_suffix("/desaccess/api").ok_or_else(|| {
        Error::invalid_input(format!(
            "{api} does not end in /desaccess/api; give the API address, e.g. https://des.ncsa.illinois.edu/desaccess/api."
        ))
    })?;
    let mut files = api.clone();
    files.set_path(&format!("{prefix}/files-desaccess"));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_base_is_derived_from_the_api_base() {
        let server = Server::new(
            "https://des.ncsa.illinois.edu/desaccess/api/",
            "AstroBuff",
            "",
        )
        .unwrap();
        assert_eq!(
            server.files_base,
            "https://des.ncsa.illinois.edu/files-desaccess"
        );
        assert_eq!(server.database, "desdr");
        assert_eq!(server.identity(), "des.ncsa.illinois.edu/desaccess/api");
        assert_eq!(
            server.job_folder_url("cutout", "c39008aa52f54b9e94335b566743af0c").unwrap().as_str(),
            "https://des.ncsa.illinois.edu/files-desaccess/astrobuff/cutout/c39008aa52f54b9e94335b566743af0c"
        );
        assert!(Server::new("https://example.org/other", "u", "desdr").is_err());
        assert!(Server::new("not a url", "u", "desdr").is_err());
        assert!(Server::new("https://h/desaccess/api", " ", "desdr").is_err());
    }
}
