//! Reads a MAST-generated bash download script without running it: the files it would fetch, where it
//! would put them, and which need the MAST token. Both styles are read (shared/research/desaccess_mast.md
//! §2.6): the Portal/`Download/bundle.sh` style (`curl ... --output './${DOWNLOAD_FOLDER}'/<path>' '<url>'`)
//! and the newer MAST Search style (`curl -L -X GET "<url>" --output "MAST_<stamp>/<path>" --fail`).

use url::Url;

use super::provider::{base_address, BASE, DEFAULT_BASE, WITH_TOKEN};
use super::search;
use crate::error::{Error, Result};
use crate::ids::AccountId;
use crate::paths::SafeRelPath;
use crate::providers::{Account, FileBatch};
use crate::transfer::model::Source;
use crate::transfer::ItemSpec;

/// One file a script would download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptFile {
    pub url: String,
    /// Below the script's download folder.
    pub path: SafeRelPath,
    /// The script sends `Authorization: token $MAST_API_TOKEN` with it.
    pub needs_token: bool,
}

/// The largest script read (MAST's scripts are about 500 bytes a file).
pub const MAX_SCRIPT_BYTES: usize = 64 << 20;

/// Every file `script` downloads, in its order. Names that would leave the download folder are refused.
pub fn read(script: &str) -> Result<Vec<ScriptFile>> {
    if script.len() > MAX_SCRIPT_BYTES {
        return Err(Error::invalid_input(
            "That script is larger than 64 MiB; it is not a MAST download script.",
        ));
    }
    let mut files = Vec::new();
    for command in commands(script) {
        let Some(words) = shlex::split(&command) else {
            continue;
        };
        if let Some(file) = curl_download(&words)? {
            files.push(file);
        }
    }
    if files.is_empty() {
        return Err(Error::invalid_input(
            "No file downloads found: this does not look like a script MAST generated (its lines run curl on MAST's Download addresses).",
        ));
    }
    Ok(files)
}

/// The address (`scheme://host[:port]`) of the MAST that checks the token: the host of the first file
/// the script sends the token with; `None` when it sends it with none.
pub fn token_origin(files: &[ScriptFile]) -> Result<Option<String>> {
    let Some(first) = files.iter().find(|file| file.needs_token) else {
        return Ok(None);
    };
    Url::parse(&first.url)
        .map(|url| Some(url.origin().ascii_serialization()))
        .map_err(|err| {
            Error::invalid_input(format!(
                "The script downloads from {:?}, which is not an address ({err}).",
                first.url
            ))
        })
}

/// The script's files as transfer items: `account`'s token sent with the files the script sends it
/// with (to each file's own host only), nothing with the others.
pub fn items(files: &[ScriptFile], account: Option<&AccountId>) -> Result<Vec<ItemSpec>> {
    files
        .iter()
        .map(|file| {
            let account = account.filter(|_| file.needs_token);
            Ok(ItemSpec {
                source: Source::Url {
                    url: file.url.clone(),
                },
                dest: file.path.to_string(),
                // MAST's scripts give no sizes or checksums.
                size: None,
                digest: None,
                auth: search::token_policy(&file.url, account, &[])?,
            })
        })
        .collect()
}

/// The batch of a MAST download script, its token-needing files sent with the token of the account of
/// `accounts` (a MAST account with a token) for the script's MAST; `None` when `text` runs no curl.
pub fn batch(text: &str, accounts: &[Account]) -> Option<Result<FileBatch>> {
    if !text.contains("curl") {
        return None;
    }
    Some(read(text).and_then(|files| batch_of(&files, accounts)))
}

fn batch_of(files: &[ScriptFile], accounts: &[Account]) -> Result<FileBatch> {
    let protected = files.iter().filter(|file| file.needs_token).count();
    let origin = token_origin(files)?;
    let account = origin.as_deref().and_then(|origin| {
        accounts.iter().find(|account| {
            let base = account
                .settings
                .get(BASE)
                .map_or(DEFAULT_BASE, String::as_str);
            account.id.user() == WITH_TOKEN && base_address(base).is_ok_and(|b| b == origin)
        })
    });
    let warning = match (&origin, account) {
        (Some(origin), None) => Some(format!(
            "{protected} of the {} files are exclusive-access and need a MAST token for {origin}: \
             add a MAST account with your token for that server first, or MAST will refuse them.",
            files.len()
        )),
        _ => None,
    };
    let account = account.map(|account| account.id.clone());
    Ok(FileBatch {
        kind: "MAST download script".into(),
        items: items(files, account.as_ref())?,
        account,
        warning,
    })
}

/// The script's commands: continuation lines joined, comments and here-document bodies left out.
fn commands(script: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut current = String::new();
    let mut heredoc_end: Option<String> = None;
    for line in script.lines() {
        if let Some(end) = &heredoc_end {
            if line.trim() == end {
                heredoc_end = None;
            }
            continue;
        }
        let trimmed = line.trim_start();
        if current.is_empty() && trimmed.starts_with('#') {
            continue;
        }
        if let Some((_, after)) = line
            .split_once("<<")
            .filter(|(_, after)| !after.starts_with('<'))
        {
            let delimiter = after
                .trim_start_matches('-')
                .trim()
                .trim_matches(|c| c == '\'' || c == '"');
            let delimiter = delimiter.split_whitespace().next().unwrap_or_default();
            if !delimiter.is_empty() {
                heredoc_end = Some(delimiter.to_string());
            }
        }
        match line.strip_suffix('\\') {
            Some(continued) => {
                current.push_str(continued);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                commands.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        commands.push(current);
    }
    commands
}

/// The file a `curl` command downloads, if it is a GET of an http(s) address into an output file.
fn curl_download(words: &[String]) -> Result<Option<ScriptFile>> {
    let Some(start) = words.iter().position(|w| w == "curl") else {
        return Ok(None);
    };
    let words = &words[start + 1..];
    let (mut url, mut output, mut needs_token, mut posts) = (None, None, false, false);
    let mut i = 0;
    while i < words.len() {
        let word = words[i].as_str();
        let value = words.get(i + 1).map(String::as_str);
        match word {
            "--output" | "-o" => {
                output = value;
                i += 1;
            }
            "-H" | "--header" => {
                needs_token |= value
                    .is_some_and(|v| v.to_ascii_lowercase().starts_with("authorization: token"));
                i += 1;
            }
            "-X" | "--request" => {
                posts |= value.is_some_and(|v| !v.eq_ignore_ascii_case("GET"));
                i += 1;
            }
            "-F" | "--form" | "-d" | "--data" => {
                posts = true;
                i += 1;
            }
            _ if word.starts_with("http://") || word.starts_with("https://") => url = Some(word),
            _ => {}
        }
        i += 1;
    }
    let (Some(url), Some(output), false) = (url, output, posts) else {
        return Ok(None);
    };
    Ok(Some(ScriptFile {
        url: url.to_string(),
        path: below_download_folder(output)?,
        needs_token,
    }))
}

/// An `--output` path below the script's download folder: `./${DOWNLOAD_FOLDER}/HST/x/f.fits` and
/// `MAST_2024-05-01T1200/HST/f.fits` both lose their first folder.
fn below_download_folder(output: &str) -> Result<SafeRelPath> {
    let path = output.trim_start_matches("./");
    let rest = path.split_once('/').map_or("", |(_, rest)| rest);
    SafeRelPath::parse(rest).map_err(|err| {
        Error::invalid_input(format!(
            "The script writes to {output:?}, which Jobfetch refuses: {}",
            err.message
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::model::AuthPolicy;

    const BUNDLE: &str = r#"#!/bin/bash
#
# Requires bash version >= 4
#
if ! command -v curl &> /dev/null; then echo "curl not found"; exit 1; fi
if [ -z "$1" ]; then
  if [ -z "$MAST_API_TOKEN" ]; then read -p "Token: " MAST_API_TOKEN; fi
else MAST_API_TOKEN=$1; fi
FOLDER=MAST_2024-05-01T1200
DOWNLOAD_FOLDER=$FOLDER
cat >${DOWNLOAD_FOLDER}/MANIFEST.HTML <<EOT
<html><body><tr><td>mast:HST/product/x.fits</td><td>curl -o x.fits 'https://evil/'</td></tr></body></html>
EOT
cat <<EOT
<<< Downloading File: mast:HST/product/u9o40504m_c3m.fits
                  To: ${DOWNLOAD_FOLDER}/HST/u9o40504m/u9o40504m_c3m.fits
EOT
curl --globoff --location-trusted -f --progress-bar --create-dirs $CONT --output ./${DOWNLOAD_FOLDER}'/HST/u9o40504m/u9o40504m_c3m.fits' 'https://mast.stsci.edu/api/v0.1/Download/file?bundle_name=MAST_2024-05-01T1200.sh&uri=mast:HST/product/u9o40504m_c3m.fits'
curl -H "Authorization: token $MAST_API_TOKEN" --globoff --location-trusted -f --progress-bar --create-dirs $CONT \
     --output ./${DOWNLOAD_FOLDER}'/JWST/jw01234/jw01234_cal.fits' \
     'https://mast.stsci.edu/api/v0.1/Download/file?bundle_name=MAST_2024-05-01T1200.sh&uri=mast:JWST/product/jw01234_cal.fits'
read -r answer <<< "$REPLY"
exit 0
"#;

    const SEARCH: &str = r#"#!/bin/bash
curl -L -X GET "https://mast.stsci.edu/search/hst/api/v0.1/retrieve_product?product_name=IB1F01A4Q%2Fib1f01a4q_flt.fits" --output "MAST_2024-05-01T12:00:00/HST/ib1f01a4q_flt.fits" --fail --create-dirs
curl -L -X POST "https://mast.stsci.edu/search/hst/api/v0.1/retrieve_product_zip" -F mission=HST -F structure=nested -F uri=IB1F01A4Q -F manifestonly=true --output "MAST_2024-05-01T12:00:00/MANIFEST.html" --fail --create-dirs
"#;

    #[test]
    fn both_script_styles_are_read_and_heredocs_are_not_commands() {
        let files = read(BUNDLE).unwrap();
        assert_eq!(files.len(), 2, "{files:?}");
        assert_eq!(
            files[0].path.to_string(),
            "HST/u9o40504m/u9o40504m_c3m.fits"
        );
        assert!(!files[0].needs_token);
        assert!(files[1].needs_token);
        assert!(files[1]
            .url
            .ends_with("uri=mast:JWST/product/jw01234_cal.fits"));
        let files = read(SEARCH).unwrap();
        assert_eq!(files.len(), 1, "the manifest POST is not a file: {files:?}");
        assert_eq!(files[0].path.to_string(), "HST/ib1f01a4q_flt.fits");
    }

    #[test]
    fn escaping_paths_and_scripts_without_downloads_are_refused() {
        let hostile =
            "curl --output './${DOWNLOAD_FOLDER}/../../.bashrc' 'https://mast.stsci.edu/x'";
        assert!(read(hostile).unwrap_err().message.contains("refuses"));
        assert!(read("#!/bin/bash\necho hi\n").is_err());
    }

    fn account(id: &str, base: &str) -> Account {
        Account {
            id: AccountId::try_from(id.to_string()).unwrap(),
            provider: crate::ids::ProviderId::new("mast").unwrap(),
            label: id.into(),
            settings: [(BASE.to_string(), base.to_string())].into(),
        }
    }

    #[test]
    fn the_token_goes_only_with_the_files_the_script_sends_it_with_and_to_their_host() {
        let files = read(
            "curl --output ./${DOWNLOAD_FOLDER}'/HST/a/a.fits' 'http://127.0.0.1:9000/api/v0.1/Download/file?uri=mast:HST/product/a.fits'\n\
             curl -H \"Authorization: token $MAST_API_TOKEN\" --output ./${DOWNLOAD_FOLDER}'/HST/b/b.fits' 'http://127.0.0.1:9000/api/v0.1/Download/file?uri=mast:HST/product/b.fits'\n",
        )
        .unwrap();
        let account = AccountId::try_from("mast:token@127.0.0.1:9000".to_string()).unwrap();
        let [public, protected] = items(&files, Some(&account)).unwrap().try_into().unwrap();
        assert_eq!(public.auth, AuthPolicy::Anonymous);
        assert_eq!(public.dest, "HST/a/a.fits");
        assert_eq!(
            protected.auth,
            AuthPolicy::ArchiveToken {
                account,
                scheme: "token".into(),
                hosts: vec!["127.0.0.1:9000".into()]
            }
        );
        assert!(items(&files, None)
            .unwrap()
            .iter()
            .all(|item| item.auth == AuthPolicy::Anonymous));
        assert_eq!(
            token_origin(&files).unwrap().as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(token_origin(&files[..1]).unwrap(), None);
    }

    #[test]
    fn a_batch_carries_the_token_of_the_account_for_the_scripts_mast_or_warns() {
        let anonymous = account("mast:anonymous@mast.stsci.edu", DEFAULT_BASE);
        let other = account("mast:token@127.0.0.1:9000", "http://127.0.0.1:9000");
        let own = account("mast:token@mast.stsci.edu", DEFAULT_BASE);
        let unsigned = batch(BUNDLE, &[anonymous.clone(), other.clone()])
            .unwrap()
            .unwrap();
        assert_eq!(unsigned.account, None);
        assert!(
            unsigned
                .warning
                .as_deref()
                .unwrap()
                .contains("1 of the 2 files are exclusive-access and need a MAST token for https://mast.stsci.edu"),
            "{unsigned:?}"
        );
        let signed = batch(BUNDLE, &[anonymous, other, own.clone()])
            .unwrap()
            .unwrap();
        assert_eq!(signed.account, Some(own.id));
        assert_eq!(signed.warning, None);
        assert_eq!(signed.items.len(), 2);
        assert_eq!(signed.kind, "MAST download script");
        let public = batch(SEARCH, &[]).unwrap().unwrap();
        assert_eq!((public.account, public.warning), (None, None));
    }

    #[test]
    fn only_scripts_that_run_curl_are_taken_for_mast_s() {
        assert!(batch("SIMPLE  =                    T", &[]).is_none());
        assert!(batch("#!/bin/bash\ncurl https://example.org/x\n", &[])
            .unwrap()
            .is_err());
    }
}
