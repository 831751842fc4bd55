//! `jobfetch mast import`: a MAST-generated bash script read (never run) and its files downloaded as one
//! batch, the token sent only with the files the script sends it with, and only to their own hosts.

use std::path::Path;

use jobfetch_appkit::opened_file::read_text;
use jobfetch_appkit::Desk;
use jobfetch_engine::providers::mast::script;
use jobfetch_engine::{Error, Result};

use super::token::{Auth, TokenOption};
use super::Prepared;

/// The batch of the files `script` would fetch, into `out`.
pub async fn prepare(
    desk: &Desk,
    script: &Path,
    out: &Path,
    token: &TokenOption,
) -> Result<Prepared> {
    let files = script::read(&read_text(script)?)?;
    let protected = files.iter().filter(|f| f.needs_token).count();
    let (auth, account) = match script::token_origin(&files)? {
        Some(base) => {
            let auth = token.choose(desk, &base, protected, files.len()).await?;
            let account = auth.carried(&base)?;
            (auth, Some(account))
        }
        None => (Auth::anonymous(), None),
    };
    let items = script::items(&files, account.as_ref())?;
    eprintln!(
        "jobfetch: {} file(s) in the script, {protected} of them sent with the MAST token.",
        files.len()
    );
    let script = std::path::absolute(script).map_err(|err| Error::disk("find", script, err))?;
    let name = script.file_name().unwrap_or_default().to_string_lossy();
    let key = format!("mast import {}", script.display());
    Prepared::new(format!("MAST script {name}"), key, items, auth, out)
}
