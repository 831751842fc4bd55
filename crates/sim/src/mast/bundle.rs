//! `POST /api/v0.1/Download/bundle.sh` with repeated `uri=` fields: MAST's bash curl script.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::json;

use super::catalog::{Catalog, PUBLIC};
use super::session::{self, InvalidToken};
use crate::clock;
use crate::params::Args;
use crate::state::SimState;

/// What Python's `quote(uri, safe=':/')` leaves alone.
const URI_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'/');

/// A `uri` as it appears in a download URL.
fn quote_uri(uri: &str) -> String {
    utf8_percent_encode(uri, URI_SAFE).to_string()
}

pub(crate) async fn script(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    args: Args,
) -> Response {
    let user = match session::caller(&headers) {
        Ok(user) => user.map_or("anonymous", |user| user.ezid),
        Err(InvalidToken) => {
            let body = json!({"status": "ERROR", "msg": "The MAST token is invalid or expired."});
            return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
        }
    };
    let uris = args.all("uri");
    let name = format!("MAST_{}", clock::bundle(clock::now()));
    tokio::task::spawn_blocking(move || {
        let text = render(state.mast.catalog(), &state.mast.base, &name, &uris, user);
        (
            [
                (CONTENT_TYPE, "text/x-sh".to_owned()),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename={name}.sh"),
                ),
            ],
            text,
        )
            .into_response()
    })
    .await
    .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// One file of the bundle: its URI, path under the download folder, access and status.
struct Entry<'a> {
    uri: &'a str,
    path: Option<String>,
    access: &'static str,
}

/// The script for bundle `name`, downloading `uris` from the MAST at `base` for `user`.
fn render(catalog: &Catalog, base: &str, name: &str, uris: &[String], user: &str) -> String {
    let entries: Vec<Entry> = uris
        .iter()
        .map(|uri| match catalog.product(uri) {
            Some((obs, product)) => Entry {
                uri,
                path: Some(format!(
                    "{}/{}/{}",
                    obs.collection, obs.obs_id, product.filename
                )),
                access: obs.data_rights,
            },
            None => Entry {
                uri,
                path: None,
                access: PUBLIC,
            },
        })
        .collect();
    let protected = entries
        .iter()
        .any(|entry| entry.path.is_some() && entry.access != PUBLIC);
    let mut out = String::new();
    out.push_str(&format!(
        "#!/bin/bash
#
# Requires bash version >= 4
#
# The following command will download all the files in this bundle:
#     bash {name}.sh
#
"
    ));
    if protected {
        out.push_str(
            "# Some files are in their exclusive access period: give your MAST token as the first
# argument, or in $MAST_API_TOKEN (see https://auth.mast.stsci.edu/token).
#
",
        );
    }
    out.push_str(
        "
if ! command -v curl &> /dev/null
then
    echo \"The curl program could not be found: please install it and try again.\"
    exit 1
fi
",
    );
    if protected {
        out.push_str(
            "
if [ -n \"$1\" ]; then
    MAST_API_TOKEN=$1
elif [ -z \"$MAST_API_TOKEN\" ]; then
    echo \"Some files in this bundle need a MAST token (https://auth.mast.stsci.edu/token).\"
    read -p \"Enter your MAST API token: \" MAST_API_TOKEN
fi
",
        );
    }
    out.push_str(&format!(
        "
FOLDER={name}
DOWNLOAD_FOLDER=$FOLDER
CONT=\"\"
if [ -e $FOLDER ]; then
    read -p \"Folder $FOLDER exists. (C)ontinue writing to existing folder or use (N)ew folder? [N]\" choice
    if [[ $choice == \"C\" || $choice == \"c\" ]]; then
        CONT=\"-C -\"
    else
        n=1
        while [ -e \"$FOLDER-$n\" ]; do
            n=$((n+1))
        done
        DOWNLOAD_FOLDER=\"$FOLDER-$n\"
    fi
fi
mkdir -p \"$DOWNLOAD_FOLDER\"

cat >\"${{DOWNLOAD_FOLDER}}/MANIFEST.HTML\"<<EOT
<!DOCTYPE html>
<html>
<head>
<title>MAST Download Manifest: {name}</title>
</head>
<body>
<h1>MAST Download Manifest: {name}</h1>
<p>Total Files: {total}</p>
<table border=\"1\">
<tr><th>URI</th><th>File</th><th>Access</th><th>Status</th><th>Logged In User</th></tr>
",
        total = entries.len()
    ));
    for entry in &entries {
        let status = if entry.path.is_some() {
            "OK"
        } else {
            "NOT FOUND"
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{status}</td><td>{user}</td></tr>",
            html(entry.uri),
            html(entry.path.as_deref().unwrap_or("")),
            entry.access,
        );
    }
    out.push_str("</table>\n</body>\n</html>\nEOT\n");
    for entry in &entries {
        let Some(path) = &entry.path else {
            continue;
        };
        let auth = if entry.access == PUBLIC {
            ""
        } else {
            "-H \"Authorization: token $MAST_API_TOKEN\" "
        };
        let _ = write!(
            out,
            "
cat <<EOT
<<< Downloading File: {uri}
                  To: ${{DOWNLOAD_FOLDER}}/{path}
EOT

curl {auth}--globoff --location-trusted -f --progress-bar --create-dirs $CONT --output ./${{DOWNLOAD_FOLDER}}'/{path}' '{base}/api/v0.1/Download/file?bundle_name={name}.sh&uri={quoted}'
",
            uri = entry.uri,
            quoted = quote_uri(entry.uri),
        );
    }
    out.push_str("\n\n\nexit 0\n");
    out
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
