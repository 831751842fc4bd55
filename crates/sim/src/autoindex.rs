//! Directory listings byte-for-byte in the formats of nginx's autoindex module (JSON and HTML).

use crate::clock::{self, UnixTime};
use crate::vfs::{Dir, Node};

/// One listed entry; `size` is `None` for directories.
struct Entry<'a> {
    name: &'a str,
    mtime: UnixTime,
    size: Option<u64>,
}

/// Directories first, then byte-wise name order (`ngx_http_autoindex_cmp_entries`); dot-files hidden.
fn entries(dir: &Dir) -> Vec<Entry<'_>> {
    let all = dir.entries().filter(|(name, _)| !name.starts_with('.'));
    let (dirs, files): (Vec<_>, Vec<_>) = all.partition(|(_, node)| matches!(node, Node::Dir(_)));
    dirs.into_iter()
        .chain(files)
        .map(|(name, node)| Entry {
            name,
            mtime: node.mtime(),
            size: match node {
                Node::Dir(_) => None,
                Node::File(file) => Some(file.size()),
            },
        })
        .collect()
}

/// `autoindex_format json`: `[`, one `{ ... }` per line, `]`, lines ended by CRLF.
pub(crate) fn json(dir: &Dir) -> String {
    let lines: Vec<String> = entries(dir)
        .iter()
        .map(|entry| {
            let (kind, size) = match entry.size {
                None => ("directory", String::new()),
                Some(size) => ("file", format!(", \"size\":{size}")),
            };
            let (name, mtime) = (escape_json(entry.name), clock::http(entry.mtime));
            format!(
                "\r\n{{ \"name\":\"{name}\", \"type\":\"{kind}\", \"mtime\":\"{mtime}\"{size} }}"
            )
        })
        .collect();
    format!("[{}\r\n]", lines.join(","))
}

/// `ngx_escape_json`: quotes, backslashes and control characters only.
fn escape_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Characters nginx leaves unescaped in a URI component.
const HREF: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Width of the name column in the HTML listing.
const NAME_WIDTH: usize = 50;

/// `autoindex_format html` (with `autoindex_exact_size on`); `uri` is the decoded folder URI.
pub(crate) fn html(uri: &str, dir: &Dir) -> String {
    let uri = escape_html(uri);
    let mut page = format!(
        "<html>\r\n<head><title>Index of {uri}</title></head>\r\n<body>\r\n<h1>Index of {uri}</h1><hr><pre><a href=\"../\">../</a>\r\n"
    );
    for entry in entries(dir) {
        let slash = if entry.size.is_none() { "/" } else { "" };
        let href = percent_encoding::utf8_percent_encode(entry.name, HREF);
        let shown = format!("{}{slash}", entry.name);
        let width = shown.chars().count();
        let (text, padding) = if width > NAME_WIDTH {
            let cut: String = shown.chars().take(NAME_WIDTH - 3).collect();
            (format!("{}..&gt;", escape_html(&cut)), 0)
        } else {
            (escape_html(&shown), NAME_WIDTH - width)
        };
        let size = entry
            .size
            .map_or_else(|| "-".to_owned(), |size| size.to_string());
        page.push_str(&format!(
            "<a href=\"{href}{slash}\">{text}</a>{} {} {size:>19}\r\n",
            " ".repeat(padding),
            clock::autoindex(entry.mtime)
        ));
    }
    page.push_str("</pre><hr></body>\r\n</html>\r\n");
    page
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_like_nginx() {
        assert_eq!(escape_json("a\"b\\c\u{1}d\ne"), "a\\\"b\\\\c\\u0001d\\ne");
        assert_eq!(escape_json("é/../x"), "é/../x");
    }
}
