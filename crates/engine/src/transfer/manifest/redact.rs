//! Secrets out of URLs and messages before anything is written: user info and secret parameters go.

use percent_encoding::percent_decode_str;
use url::Url;

/// What replaces a secret in a redacted URL.
pub const REDACTED: &str = "REDACTED";

/// Query and fragment parameter names whose values are secrets (compared in lower case, after
/// percent-decoding). `expires` and the like are not secrets and stay.
const SECRET_PARAMS: &[&str] = &[
    "token",
    "access_token",
    "signature",
    "sig",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "key",
    "apikey",
    "api_key",
    "api-key",
    "password",
    "passwd",
    "pwd",
    "auth",
    "authorization",
    "jwt",
    "session",
    "sessionid",
];

/// Parts of a parameter name that mark it as secret wherever they appear (`refresh_token`,
/// `client_secret`, `X-Goog-Signature`, `X-Goog-Credential`, `mast_token`, ...).
const SECRET_NAME_PARTS: &[&str] = &["token", "secret", "password", "signature", "credential"];

fn is_secret_param(raw_name: &str) -> bool {
    let plus_decoded = raw_name.replace('+', " ");
    let name = percent_decode_str(&plus_decoded)
        .decode_utf8_lossy()
        .trim()
        .to_lowercase();
    SECRET_PARAMS.contains(&name.as_str())
        || SECRET_NAME_PARTS.iter().any(|part| name.contains(part))
}

/// Replaces the values of secret parameters in a `&`- or `;`-separated parameter string.
/// Returns `None` when nothing had to change.
fn redact_params(params: &str) -> Option<String> {
    let mut changed = false;
    let mut out = String::with_capacity(params.len());
    let mut rest = params;
    loop {
        let end = rest.find(['&', ';']).unwrap_or(rest.len());
        let (pair, tail) = rest.split_at(end);
        match pair.split_once('=') {
            Some((name, value)) if !value.is_empty() && is_secret_param(name) => {
                if value != REDACTED {
                    changed = true;
                }
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            }
            _ => out.push_str(pair),
        }
        match tail.chars().next() {
            Some(separator) => {
                out.push(separator);
                rest = &tail[separator.len_utf8()..];
            }
            None => break,
        }
    }
    changed.then_some(out)
}

/// The URL without anything secret in it: user name and password are removed, and the values of
/// query (and fragment) parameters that carry secrets (`token`, `signature`, `X-Amz-Credential`,
/// `api_key`, `password`, ...; see the lists in the source) become `REDACTED`. Other parameters,
/// including `Expires`, stay.
///
/// A URL with nothing to remove comes back byte for byte as it was, so callers can tell "this URL
/// carried a secret" by comparing. A string that is not an absolute URL also comes back unchanged,
/// except that a `?query` in it is still redacted.
pub fn redact_url(raw: &str) -> String {
    let Ok(mut url) = Url::parse(raw) else {
        return redact_unparsed(raw);
    };
    let has_userinfo = !url.username().is_empty() || url.password().is_some();
    let query = url.query().and_then(redact_params);
    let fragment = url.fragment().and_then(redact_params);
    if !has_userinfo && query.is_none() && fragment.is_none() {
        return raw.to_string();
    }
    if has_userinfo {
        // Only fails for URLs that cannot have a user name, which then have none.
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    if let Some(query) = query {
        url.set_query(Some(&query));
    }
    if let Some(fragment) = fragment {
        url.set_fragment(Some(&fragment));
    }
    url.to_string()
}

/// [`redact_url`] for strings the URL parser refuses (relative references, odd text): user info after
/// `://` is dropped and secret parameters after `?` or `#` are redacted; anything else is left alone.
fn redact_unparsed(raw: &str) -> String {
    let mut text = raw.to_string();
    let authority = match text.find("://") {
        Some(at) => Some(at + 3),
        None => text.starts_with("//").then_some(2),
    };
    if let Some(start) = authority {
        let end = text[start..]
            .find(['/', '?', '#', '\\'])
            .map_or(text.len(), |at| start + at);
        if let Some(at) = text[start..end].rfind('@') {
            text.replace_range(start..start + at + 1, "");
        }
    }
    let (before_fragment, fragment) = match text.find('#') {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text.as_str(), None),
    };
    let (path, query) = match before_fragment.find('?') {
        Some(at) => (&before_fragment[..at], Some(&before_fragment[at + 1..])),
        None => (before_fragment, None),
    };
    let mut out = path.to_string();
    if let Some(query) = query {
        out.push('?');
        out.push_str(&redact_params(query).unwrap_or_else(|| query.to_string()));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(&redact_params(fragment).unwrap_or_else(|| fragment.to_string()));
    }
    out
}

/// Free text (an error message) with every URL-like word in it passed through [`redact_url`].
/// A word is a run of characters up to white space, a quote or an angle bracket.
pub fn redact_text(text: &str) -> String {
    let is_break = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`');
    let mut out = String::with_capacity(text.len());
    let mut word_start: Option<usize> = None;
    for (at, c) in text.char_indices() {
        if is_break(c) {
            if let Some(start) = word_start.take() {
                out.push_str(&redact_word(&text[start..at]));
            }
            out.push(c);
        } else if word_start.is_none() {
            word_start = Some(at);
        }
    }
    if let Some(start) = word_start {
        out.push_str(&redact_word(&text[start..]));
    }
    out
}

fn redact_word(word: &str) -> String {
    if word.contains("://") || word.contains('?') || word.contains('@') {
        redact_url(word)
    } else {
        word.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_urls_come_back_byte_for_byte() {
        for raw in [
            "https://des.example.org/files-desaccess/alice/cutout/42/DES0226-1541/x_r.fits",
            "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/x.fits&bundle_name=b",
            "https://example.org/a%20b/c?expires=1700000000&X-Amz-Date=20250101T000000Z",
            "HTTPS://Example.ORG/Mixed/Case?keyword=1",
            "https://example.org/p?a=1&&b=&c",
            "mast:HST/product/ib1f01a4q_flt.fits",
            "s3://stpubdata/hst/public/x.fits",
            "https://example.org/?token=",
        ] {
            assert_eq!(redact_url(raw), raw, "{raw}");
        }
    }

    #[test]
    fn non_urls_pass_unchanged() {
        for raw in [
            "",
            "not a url",
            "DES0226-1541/x.fits",
            "C:\\data\\x.fits",
            "::::",
            "token=abc",
        ] {
            assert_eq!(redact_url(raw), raw);
        }
    }

    #[test]
    fn userinfo_is_removed() {
        assert_eq!(
            redact_url("https://alice:hunter2@example.org/x"),
            "https://example.org/x"
        );
        assert_eq!(
            redact_url("https://alice@example.org/x"),
            "https://example.org/x"
        );
        assert_eq!(
            redact_url("https://:hunter2@example.org:8443/x"),
            "https://example.org:8443/x"
        );
        assert_eq!(
            redact_url("ftp://u:p@ftp.example.org/pub/f"),
            "ftp://ftp.example.org/pub/f"
        );
        let out = redact_url("https://a%40b:p%3Aw@example.org/x?token=abc");
        assert!(
            !out.contains("hunter") && !out.contains("p%3Aw") && !out.contains("abc"),
            "{out}"
        );
    }

    #[test]
    fn secret_parameters_are_redacted_and_others_kept() {
        let raw = "https://bucket.s3.amazonaws.com/k/x.tar?X-Amz-Algorithm=AWS4-HMAC-SHA256\
                   &X-Amz-Credential=AKIAEXAMPLE%2F20250101%2Fus-east-1%2Fs3%2Faws4_request\
                   &X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host\
                   &X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE&X-Amz-Signature=deadbeef";
        let out = redact_url(raw);
        assert_eq!(
            out,
            "https://bucket.s3.amazonaws.com/k/x.tar?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=REDACTED&X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600\
             &X-Amz-SignedHeaders=host&X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED"
        );
    }

    #[test]
    fn every_listed_name_is_redacted_in_any_case() {
        for name in [
            "token",
            "access_token",
            "signature",
            "sig",
            "x-amz-signature",
            "x-amz-credential",
            "x-amz-security-token",
            "key",
            "apikey",
            "api_key",
            "password",
            "auth",
            "authorization",
            "TOKEN",
            "Access_Token",
            "Signature",
            "SIG",
            "Key",
            "ApiKey",
            "PASSWORD",
            "Authorization",
            "refresh_token",
            "client_secret",
            "X-Goog-Signature",
            "X-Goog-Credential",
            "mast_token",
        ] {
            let raw = format!("https://example.org/f?a=1&{name}=s3cr3t&b=2");
            let out = redact_url(&raw);
            assert_eq!(
                out,
                format!("https://example.org/f?a=1&{name}=REDACTED&b=2"),
                "{name}"
            );
        }
    }

    #[test]
    fn harmless_parameters_stay() {
        for name in [
            "expires",
            "Expires",
            "X-Amz-Expires",
            "uri",
            "bundle_name",
            "keyword",
            "monkey",
            "page",
            "id",
        ] {
            let raw = format!("https://example.org/f?{name}=v");
            assert_eq!(redact_url(&raw), raw, "{name}");
        }
    }

    #[test]
    fn encoded_and_odd_parameter_forms_are_caught() {
        // Percent-encoded name, a `+` in the name, `;` separators, repeated names, a fragment token.
        assert_eq!(
            redact_url("https://e.org/f?%74oken=abc"),
            "https://e.org/f?%74oken=REDACTED"
        );
        assert_eq!(
            redact_url("https://e.org/f?api+key=abc&x=1"),
            "https://e.org/f?api+key=abc&x=1"
        );
        assert_eq!(
            redact_url("https://e.org/f?a=1;token=abc"),
            "https://e.org/f?a=1;token=REDACTED"
        );
        assert_eq!(
            redact_url("https://e.org/f?token=a&token=b"),
            "https://e.org/f?token=REDACTED&token=REDACTED"
        );
        assert_eq!(
            redact_url("https://e.org/cb#access_token=abc&state=xyz"),
            "https://e.org/cb#access_token=REDACTED&state=xyz"
        );
        // A value that itself holds `=` is replaced whole.
        assert_eq!(
            redact_url("https://e.org/f?sig=a=b==&x=1"),
            "https://e.org/f?sig=REDACTED&x=1"
        );
    }

    #[test]
    fn redaction_is_idempotent_and_never_leaks() {
        let raw =
            "https://u:pw@e.org/f?Signature=SECRETSIG&Key-Pair-Id=K1&Policy=p&token=SECRETTOK";
        let once = redact_url(raw);
        assert_eq!(redact_url(&once), once);
        for secret in ["pw", "SECRETSIG", "SECRETTOK", "u:"] {
            assert!(!once.contains(secret), "{secret} in {once}");
        }
        assert!(once.contains("Key-Pair-Id=K1") && once.contains("Policy=p"));
    }

    #[test]
    fn relative_references_still_lose_their_secrets() {
        assert_eq!(
            redact_url("/files/x.fits?token=abc&a=1"),
            "/files/x.fits?token=REDACTED&a=1"
        );
        assert_eq!(redact_url("//u:p@host/x"), "//host/x");
    }

    #[test]
    fn messages_are_redacted_word_by_word() {
        let message =
            "Could not fetch https://e.org/x?token=abc (HTTP 403); also 'https://u:p@e.org/y'.";
        let out = redact_text(message);
        assert_eq!(
            out,
            "Could not fetch https://e.org/x?token=REDACTED (HTTP 403); also 'https://e.org/y'."
        );
        assert_eq!(redact_text("plain text, no urls"), "plain text, no urls");
    }
}
