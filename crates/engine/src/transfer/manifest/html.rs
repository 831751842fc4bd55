//! `MANIFEST.html`: one self-contained page for people, every server-supplied string escaped.

use std::fmt::Write as _;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::Manifest;
use crate::transfer::model::{Digest, ItemState};
use crate::units::human_size;

impl Manifest {
    /// `MANIFEST.html`'s text: one self-contained page, with every server-supplied string escaped.
    pub fn to_html(&self) -> String {
        let b = &self.batch;
        let t = &self.totals;
        let mut out = String::with_capacity(2048 + self.entries.len() * 400);
        let title = format!("Manifest of {}", b.batch_name);
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        // Nothing in this page may run or load anything, whatever a server put in a file name.
        out.push_str(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
        );
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(out, "<title>{}</title>", html(&title));
        out.push_str(STYLE);
        out.push_str("</head>\n<body>\n");
        let _ = writeln!(out, "<h1>{}</h1>", html(&title));
        out.push_str("<dl class=\"about\">\n");
        let mut about = |name: &str, value: &str| {
            let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", html(name), html(value));
        };
        about("Archive", &b.archive);
        about("Source", &b.source);
        about("Folder", &b.root.to_string_lossy());
        about("Created", &b.created);
        about("Finished", b.finished.as_deref().unwrap_or("not yet"));
        about("State", b.state.label());
        out.push_str("</dl>\n<p class=\"summary\">");
        let _ = write!(
            out,
            "Requested <b>{}</b> · retrieved <b>{}</b> ({}) · failed <b>{}</b>",
            t.requested,
            t.retrieved,
            human_size(t.bytes),
            t.failed
        );
        if t.cancelled > 0 {
            let _ = write!(out, " · cancelled <b>{}</b>", t.cancelled);
        }
        if t.pending > 0 {
            let _ = write!(out, " · not finished <b>{}</b>", t.pending);
        }
        out.push_str("</p>\n<table>\n<thead><tr><th>URI</th><th>File</th><th>Size</th><th>Digest</th><th>Status</th><th>Message</th></tr></thead>\n<tbody>\n");
        for entry in &self.entries {
            let class = match entry.state {
                ItemState::Failed => " class=\"failed\"",
                ItemState::Done | ItemState::Skipped => "",
                _ => " class=\"other\"",
            };
            let _ = write!(
                out,
                "<tr{class}><td class=\"uri\">{}</td>",
                html(&entry.uri)
            );
            if retrieved(entry.state) {
                let _ = write!(
                    out,
                    "<td class=\"file\"><a href=\"{}\">{}</a></td>",
                    html(&relative_href(&entry.file)),
                    html(&entry.file)
                );
            } else {
                let _ = write!(out, "<td class=\"file\">{}</td>", html(&entry.file));
            }
            match entry.size {
                Some(size) => {
                    let _ = write!(
                        out,
                        "<td class=\"size\" title=\"{size} bytes\">{}</td>",
                        human_size(size)
                    );
                }
                None => out.push_str("<td class=\"size\">unknown</td>"),
            }
            match &entry.digest {
                Some(Digest::Sha256(hex)) => {
                    let _ = write!(
                        out,
                        "<td class=\"digest\">SHA-256 <code>{}</code></td>",
                        html(hex)
                    );
                }
                Some(Digest::Adler32(hex)) => {
                    let _ = write!(
                        out,
                        "<td class=\"digest\">ADLER-32 <code>{}</code></td>",
                        html(hex)
                    );
                }
                None => out.push_str("<td class=\"digest\"></td>"),
            }
            let _ = writeln!(
                out,
                "<td class=\"status\">{}</td><td class=\"message\">{}</td></tr>",
                entry.state.label(),
                html(entry.message.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</tbody>\n</table>\n<p class=\"foot\">Written by Jobfetch. Links open the local copies; sizes are in binary units (1 KiB = 1024 bytes).</p>\n</body>\n</html>\n");
        out
    }
}

/// Escapes text for HTML element content and quoted attribute values.
fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Characters left alone in a link's path segments: RFC 3986's unreserved ones. Everything else,
/// including `:` (which would otherwise make `javascript:x` a scheme), `?`, `#` and `%`, is encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A link from the manifest (at the batch root) to `file`, which is `/`-separated and relative.
pub(super) fn relative_href(file: &str) -> String {
    let segments: Vec<String> = file
        .split('/')
        .filter(|part| !part.is_empty())
        .map(|part| utf8_percent_encode(part, SEGMENT).to_string())
        .collect();
    format!("./{}", segments.join("/"))
}

fn retrieved(state: ItemState) -> bool {
    matches!(state, ItemState::Done | ItemState::Skipped)
}

const STYLE: &str = "<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; }
dl.about { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.about dt { font-weight: 600; } dl.about dd { margin: 0; word-break: break-all; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; position: sticky; top: 0; }
td.uri, td.file, td.digest code { word-break: break-all; }
td.size { white-space: nowrap; text-align: right; }
tr.failed { background: #fde2e2; } tr.failed td.status { color: #a00; font-weight: 600; }
tr.other { color: #666; }
p.foot { color: #666; font-size: 0.9em; }
</style>
";
