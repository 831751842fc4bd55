//! DESaccess (Dark Energy Survey data access): sign-in, token refresh, jobs and their output trees.
//!
//! Protocol notes (shared/research/desaccess_mast.md §1): the API answers auth failures with HTTP 200
//! and `{"status":"error","message":"Signature has expired"}`, and every authenticated reply carries a
//! fresh token in `new_token`, which replaces the stored one.

pub mod listing;
pub mod time;

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;
use url::Url;

use self::time::archive_time_to_iso;
use crate::catalog::{Job, JobStatus, OutputNode};
use crate::error::{Error, ErrorCode, Result};
use crate::http;

/// Folders listed at once while walking a job's outputs.
pub const LISTING_CONCURRENCY: usize = 8;

/// Messages with which the DESaccess API says "sign in again" (jwtutils.py).
const SESSION_ENDED_MESSAGES: [&str; 5] = [
    "Signature has expired",
    "Missing authorization",
    "Invalid header authorization",
    "Signature verification failed",
    "Invalid header string",
];

/// Where a DESaccess account lives and who it is; nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DesAccessAccount {
    /// API base, e.g. `https://des.ncsa.illinois.edu/desaccess/api`.
    pub api_base: String,
    /// File server root, e.g. `https://des.ncsa.illinois.edu/files-desaccess`.
    pub files_base: String,
    pub username: String,
    /// `desdr` on the public site; `dessci` or `desoper` for the collaboration.
    pub database: String,
}

impl DesAccessAccount {
    /// An account on the server at `api_base`, with the file server derived the way DESaccess deploys it.
    pub fn new(api_base: &str, username: &str, database: &str) -> Result<Self> {
        let api = parse_base(api_base)?;
        let files_base = derive_files_base(&api)?;
        let username = username.trim();
        if username.is_empty() {
            return Err(Error::invalid_input("Enter your DESaccess username."));
        }
        let database = if database.trim().is_empty() {
            "desdr"
        } else {
            database.trim()
        };
        Ok(DesAccessAccount {
            api_base: api.as_str().trim_end_matches('/').to_string(),
            files_base: files_base.as_str().trim_end_matches('/').to_string(),
            username: username.to_string(),
            database: database.to_string(),
        })
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

/// Who is signed in, as the archive describes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Profile {
    pub username: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub lastname: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub db: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Gives the password again when a session must be renewed (the app reads it from the OS keyring).
pub type PasswordSource = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// A signed-in DESaccess session.
pub struct DesAccess {
    client: reqwest::Client,
    account: DesAccessAccount,
    token: Mutex<String>,
    password_source: Option<PasswordSource>,
}

impl DesAccess {
    /// Signs in with a password and returns the session and the profile.
    pub async fn sign_in(
        client: reqwest::Client,
        account: DesAccessAccount,
        password: &str,
    ) -> Result<(Self, Profile)> {
        let (token, profile) = login(&client, &account, password).await?;
        Ok((
            DesAccess {
                client,
                account,
                token: Mutex::new(token),
                password_source: None,
            },
            profile,
        ))
    }

    /// A session from a token kept from earlier; check it with [`DesAccess::profile`].
    pub fn from_token(client: reqwest::Client, account: DesAccessAccount, token: String) -> Self {
        DesAccess {
            client,
            account,
            token: Mutex::new(token),
            password_source: None,
        }
    }

    /// Lets the session sign in again by itself, once per failed call, when the token has expired.
    pub fn with_password_source(mut self, source: PasswordSource) -> Self {
        self.password_source = Some(source);
        self
    }

    pub fn account(&self) -> &DesAccessAccount {
        &self.account
    }

    /// The newest token; it changes after every call, so store it after calls that should survive a restart.
    pub fn token(&self) -> String {
        self.token.lock().expect("token lock").clone()
    }

    /// Checks the session and returns who it belongs to.
    pub async fn profile(&self) -> Result<Profile> {
        let reply = self.call(reqwest::Method::POST, "profile", &[]).await?;
        serde_json::from_value(reply).map_err(|err| {
            Error::protocol(format!(
                "DESaccess sent a profile in an unknown shape ({err})."
            ))
        })
    }

    /// All the user's jobs with their full records, newest first.
    pub async fn jobs(&self) -> Result<Vec<Job>> {
        let reply = self
            .call(reqwest::Method::POST, "job/status", &[("job-id", "all")])
            .await?;
        let records: Vec<JobRecord> =
            serde_json::from_value(reply.get("jobs").cloned().unwrap_or(Value::Array(vec![])))
                .map_err(|err| {
                    Error::protocol(format!(
                        "DESaccess sent job records in an unknown shape ({err})."
                    ))
                })?;
        let mut jobs = records
            .into_iter()
            .map(|record| self.to_job(record))
            .collect::<Result<Vec<_>>>()?;
        jobs.sort_by(|a, b| {
            b.submitted
                .cmp(&a.submitted)
                .then_with(|| b.started.cmp(&a.started))
        });
        Ok(jobs)
    }

    /// One job's full record.
    pub async fn job(&self, job_id: &str) -> Result<Job> {
        let reply = self
            .call(reqwest::Method::POST, "job/status", &[("job-id", job_id)])
            .await;
        let reply = match reply {
            Err(err) if err.code == ErrorCode::Http => {
                return Err(Error::new(
                    ErrorCode::NotFound,
                    format!("DESaccess has no job {job_id:?} for this account."),
                ))
            }
            other => other?,
        };
        let records: Vec<JobRecord> = serde_json::from_value(
            reply.get("jobs").cloned().unwrap_or_default(),
        )
        .map_err(|err| {
            Error::protocol(format!(
                "DESaccess sent job records in an unknown shape ({err})."
            ))
        })?;
        let record = records
            .into_iter()
            .find(|r| r.job_id == job_id)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotFound,
                    format!("DESaccess has no job {job_id:?} for this account."),
                )
            })?;
        self.to_job(record)
    }

    /// The output tree of a job, listed concurrently from the file server.
    pub async fn outputs(&self, job: &Job) -> Result<OutputNode> {
        let folder = Url::parse(&job.folder_url)
            .map_err(|err| Error::protocol(format!("Bad job folder URL: {err}")))?;
        listing::output_tree(&self.client, &folder, LISTING_CONCURRENCY).await
    }

    fn to_job(&self, record: JobRecord) -> Result<Job> {
        if record.job_id.is_empty()
            || !record
                .job_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(Error::protocol(format!(
                "DESaccess sent a job id {:?} that is not a job id.",
                record.job_id
            )));
        }
        let job_type = if record.job_type.is_empty() {
            "cutout".to_string()
        } else {
            record.job_type
        };
        crate::paths::safe_component(&job_type)?;
        let folder_url = self
            .account
            .job_folder_url(&job_type, &record.job_id)?
            .to_string();
        Ok(Job {
            name: if record.job_name.is_empty() {
                record.job_id.clone()
            } else {
                record.job_name
            },
            id: record.job_id,
            job_type,
            status: JobStatus::from_archive(&record.job_status),
            status_message: record.job_status_message.unwrap_or_default(),
            submitted: archive_time_to_iso(&record.job_time_submitted),
            started: archive_time_to_iso(&record.job_time_start),
            completed: archive_time_to_iso(&record.job_time_complete),
            expires: archive_time_to_iso(&record.expiration_date),
            folder_url,
        })
    }

    /// An authenticated call; renews the session once by signing in again if the token has expired.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<Value> {
        match self.call_once(method.clone(), path, params).await {
            Err(err) if err.code == ErrorCode::AuthExpired => {
                let Some(password) = self.password_source.as_ref().and_then(|source| source())
                else {
                    return Err(err);
                };
                let (token, _) = login(&self.client, &self.account, &password).await?;
                *self.token.lock().expect("token lock") = token;
                self.call_once(method, path, params).await
            }
            other => other,
        }
    }

    async fn call_once(
        &self,
        method: reqwest::Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<Value> {
        let url = format!("{}/{path}", self.account.api_base);
        let what = format!("DESaccess ({})", self.account.api_base);
        let request = self
            .client
            .request(method.clone(), &url)
            .bearer_auth(self.token());
        let request = if method == reqwest::Method::GET {
            request.query(params)
        } else {
            request.form(params)
        };
        let response = request
            .send()
            .await
            .map_err(|err| Error::network(&what, &err))?;
        let status = response.status();
        let body = http::read_limited(response, &what, http::MAX_JSON_BYTES).await?;
        let reply: Value = match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(_) if !status.is_success() => return Err(Error::http_status(&what, status)),
            Err(err) => {
                return Err(Error::protocol(format!(
                    "{what} sent a reply that is not JSON ({err}). Is the API address right?"
                )))
            }
        };
        if let Some(new_token) = reply
            .get("new_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            *self.token.lock().expect("token lock") = new_token.to_string();
        }
        check_status(&reply, status, &what)?;
        Ok(reply)
    }
}

/// Turns DESaccess's `status`/`message` fields (and the HTTP status) into an error where they say so.
fn check_status(reply: &Value, http_status: reqwest::StatusCode, what: &str) -> Result<()> {
    let ok = reply.get("status").and_then(Value::as_str) == Some("ok");
    if ok && http_status.is_success() {
        return Ok(());
    }
    let message = reply
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("no message")
        .to_string();
    if SESSION_ENDED_MESSAGES.iter().any(|m| message.contains(m)) {
        return Err(Error::new(
            ErrorCode::AuthExpired,
            format!("Your DESaccess session has ended ({message}). Sign in again."),
        ));
    }
    if message == "Access denied." {
        return Err(Error::new(
            ErrorCode::AuthFailed,
            "DESaccess denied this account access to that. Ask the DES help desk about your roles.",
        ));
    }
    if http_status.is_server_error() {
        return Err(Error::http_status(what, http_status));
    }
    Err(Error::new(
        ErrorCode::Http,
        format!("{what} said: {message}"),
    ))
}

async fn login(
    client: &reqwest::Client,
    account: &DesAccessAccount,
    password: &str,
) -> Result<(String, Profile)> {
    if password.is_empty() {
        return Err(Error::invalid_input("Enter your DESaccess password."));
    }
    let what = format!("DESaccess ({})", account.api_base);
    let response = client
        .post(format!("{}/login", account.api_base))
        .form(&[
            ("username", account.username.as_str()),
            ("password", password),
            ("database", account.database.as_str()),
        ])
        .send()
        .await
        .map_err(|err| Error::network(&what, &err))?;
    let status = response.status();
    let body = http::read_limited(response, &what, http::MAX_JSON_BYTES).await?;
    let reply: Value = serde_json::from_slice(&body).map_err(|_| {
        if status.is_success() {
            Error::protocol(format!(
                "{what} did not answer like a DESaccess server. Check the API address."
            ))
        } else if status == reqwest::StatusCode::NOT_FOUND {
            Error::new(
                ErrorCode::NotFound,
                format!("{what} has no DESaccess sign-in (HTTP 404). Check the API address."),
            )
        } else {
            Error::http_status(&what, status)
        }
    })?;
    let message = reply
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match status.as_u16() {
        401 => return Err(Error::new(ErrorCode::AuthFailed, format!("DESaccess did not accept that username and password ({message})."))),
        406 => return Err(Error::new(ErrorCode::AuthFailed, "DESaccess says your password must be changed; change it on the DESaccess website, then sign in here.")),
        _ => check_status(&reply, status, &what)?,
    }
    let token = reply
        .get("token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::protocol(format!("{what} accepted the sign-in but sent no token.")))?
        .to_string();
    let profile = serde_json::from_value(reply).map_err(|err| {
        Error::protocol(format!(
            "{what} sent a profile in an unknown shape ({err})."
        ))
    })?;
    Ok((token, profile))
}

/// A `POST /job/status` record (des-jobhandler jobutils.py `job_status`); only the fields Jobfetch uses.
#[derive(Deserialize)]
struct JobRecord {
    job_id: String,
    #[serde(default)]
    job_name: String,
    #[serde(default)]
    job_type: String,
    #[serde(default)]
    job_status: String,
    #[serde(default)]
    job_status_message: Option<String>,
    #[serde(default)]
    job_time_submitted: String,
    #[serde(default)]
    job_time_start: String,
    #[serde(default)]
    job_time_complete: String,
    #[serde(default)]
    expiration_date: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_base_is_derived_from_the_api_base() {
        let account = DesAccessAccount::new(
            "https://des.ncsa.illinois.edu/desaccess/api/",
            "AstroBuff",
            "",
        )
        .unwrap();
        assert_eq!(
            account.files_base,
            "https://des.ncsa.illinois.edu/files-desaccess"
        );
        assert_eq!(account.database, "desdr");
        assert_eq!(
            account.job_folder_url("cutout", "c39008aa52f54b9e94335b566743af0c").unwrap().as_str(),
            "https://des.ncsa.illinois.edu/files-desaccess/astrobuff/cutout/c39008aa52f54b9e94335b566743af0c"
        );
        assert!(DesAccessAccount::new("https://example.org/other", "u", "desdr").is_err());
        assert!(DesAccessAccount::new("not a url", "u", "desdr").is_err());
        assert!(DesAccessAccount::new("https://h/desaccess/api", " ", "desdr").is_err());
    }

    #[test]
    fn session_end_messages_map_to_auth_expired() {
        let reply = serde_json::json!({"status":"error","message":"Signature has expired"});
        let err = check_status(&reply, reqwest::StatusCode::OK, "x").unwrap_err();
        assert_eq!(err.code, ErrorCode::AuthExpired);
    }
}
