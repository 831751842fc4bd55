//! `jobfetch mast import`: a MAST-generated bash script read (never run) and its files downloaded as one
//! batch, the token sent only with the files the script sends it with, and only to their own hosts.

use std::path::Path;

use jobfetch_appkit::Desk;
use jobfetch_engine::ids::AccountId;
use jobfetch_engine::providers::mast::script::{self, ScriptFile, MAX_SCRIPT_BYTES};
use jobfetch_engine::providers::mast::search;
use jobfetch_engine::transfer::model::Source;
use jobfetch_engine::transfer::ItemSpec;
use jobfetch_engine::{Error, Result};
use url::Url;

use super::token::{Auth, TokenOption};
use super::Prepared;

/// The batch of the files `script` would fetch, into `out`.
pub async fn prepare(
    desk: &Desk,
    script: &Path,
    out: &Path,
    token: &TokenOption,
) -> Result<Prepared> {
    let files = script::read(&read(script)?)?;
    let protected = files.iter().filter(|f| f.needs_token).count();
    let (auth, account) = match files.iter().find(|f| f.needs_token) {
        Some(first) => {
            let base = origin(&first.url)?;
            let auth = token.choose(desk, &base, protected, files.len()).await?;
            let account = auth.carried(&base)?;
            (auth, Some(account))
        }
        None => (Auth::anonymous(), None),
    };
    let items = files
        .iter()
        .map(|file| item(file, account.as_ref()))
        .collect::<Result<Vec<_>>>()?;
    eprintln!(
        "jobfetch: {} file(s) in the script, {protected} of them sent with the MAST token.",
        files.len()
    );
    let script = std::path::absolute(script).map_err(|err| Error::disk("find", script, err))?;
    let name = script.file_name().unwrap_or_default().to_string_lossy();
    let key = format!("mast import {}", script.display());
    Prepared::new(format!("MAST script {name}"), key, items, auth, out)
}

/// The script's text, refused when it is too large or not text.
fn read(script: &Path) -> Result<String> {
    let size = std::fs::metadata(script)
        .map_err(|err| Error::disk("read", script, err))?
        .len();
    if size > MAX_SCRIPT_BYTES as u64 {
        return Err(Error::invalid_input(format!(
            "{} is larger than 64 MiB; it is not a MAST download script.",
            script.display()
        )));
    }
    let bytes = std::fs::read(script).map_err(|err| Error::disk("read", script, err))?;
    String::from_utf8(bytes).map_err(|_| {
        Error::invalid_input(format!(
            "{} is not a text file; give the .sh script MAST generated.",
            script.display()
        ))
    })
}

/// `scheme://host[:port]` of `url`: the MAST that checks the token.
fn origin(url: &str) -> Result<String> {
    Url::parse(url)
        .map(|url| url.origin().ascii_serialization())
        .map_err(|err| {
            Error::invalid_input(format!(
                "The script downloads from {url:?}, which is not an address ({err})."
            ))
        })
}

/// A script's file as a transfer item: naming `account`'s token (sent to the file's own host only, when
/// there is one) where the script sends the token, else anonymous.
fn item(file: &ScriptFile, account: Option<&AccountId>) -> Result<ItemSpec> {
    let account = account.filter(|_| file.needs_token);
    let auth = search::token_policy(&file.url, account, &[])?;
    Ok(ItemSpec {
        source: Source::Url {
            url: file.url.clone(),
        },
        dest: file.path.to_string(),
        // MAST's scripts give no sizes or checksums.
        size: None,
        digest: None,
        auth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobfetch_engine::transfer::model::AuthPolicy;

    #[test]
    fn the_token_goes_only_with_the_files_the_script_sends_it_with_and_to_their_host() {
        let files = script::read(
            "curl --output ./${DOWNLOAD_FOLDER}'/HST/a/a.fits' 'http://127.0.0.1:9000/api/v0.1/Download/file?uri=mast:HST/product/a.fits'\n\
             curl -H \"Authorization: token $MAST_API_TOKEN\" --output ./${DOWNLOAD_FOLDER}'/HST/b/b.fits' 'http://127.0.0.1:9000/api/v0.1/Download/file?uri=mast:HST/product/b.fits'\n",
        )
        .unwrap();
        let account = AccountId::try_from("mast:token@127.0.0.1:9000".to_string()).unwrap();
        let public = item(&files[0], Some(&account)).unwrap();
        assert_eq!(public.auth, AuthPolicy::Anonymous);
        assert_eq!(public.dest, "HST/a/a.fits");
        let protected = item(&files[1], Some(&account)).unwrap();
        assert_eq!(
            protected.auth,
            AuthPolicy::ArchiveToken {
                account,
                scheme: "token".into(),
                hosts: vec!["127.0.0.1:9000".into()]
            }
        );
        assert_eq!(item(&files[1], None).unwrap().auth, AuthPolicy::Anonymous);
        assert_eq!(origin(&files[1].url).unwrap(), "http://127.0.0.1:9000");
    }
}
