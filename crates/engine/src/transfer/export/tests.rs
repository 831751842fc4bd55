//! Tests of the exports: quoting, secrets, hostile names, and the curl script and aria2 input run for real.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use super::curl::sh_quote;
use super::plan::{adler32_hex, sha256_hex, token_id};
use super::*;
use crate::paths::SafeRelPath;

fn mast_token() -> TokenNeed {
    TokenNeed {
        archive: "MAST".into(),
        scheme: "token".into(),
        env: Some("MAST_API_TOKEN".into()),
    }
}

const HOSTILE: &[&str] = &[
    "it's.fits",
    "$(touch PWNED).fits",
    "`touch PWNED`.fits",
    "-rf",
    "a b/c;d&e|f.fits",
    "dir/\"quoted\" $HOME ${x} !x.fits",
    "<script>alert(1)</script>.png",
    "back\\slash.fits",
    "new\nline.fits",
    "../escape.fits",
    "/abs.fits",
];

fn item(file: &str, url: &str) -> ExportItem {
    ExportItem {
        url: Some(url.to_string()),
        file: file.to_string(),
        size: None,
        digest: None,
        needs_token: None,
    }
}

fn bash_syntax_ok(script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sh");
    std::fs::write(&path, script).unwrap();
    let out = Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "bash -n: {}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn quoting_survives_anything() {
    assert_eq!(sh_quote("plain"), "'plain'");
    assert_eq!(sh_quote("it's"), r"'it'\''s'");
    assert_eq!(sh_quote(""), "''");
    // Each quoted value comes back from bash byte for byte, without running anything.
    let dir = tempfile::tempdir().unwrap();
    for value in HOSTILE
        .iter()
        .chain(&["'", "''", "\\'", "a'b'c", "$'x'", "\u{e9}\u{1F52D}"])
    {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("printf %s {}", sh_quote(value)))
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), *value);
    }
    assert!(!dir.path().join("PWNED").exists());
}

#[test]
fn comments_stay_on_one_line() {
    assert_eq!(comment("a\nb\rc\u{0}d"), "a\\nb\\rc\\u{0}d");
    assert_eq!(comment("plain $(x)"), "plain $(x)");
}

#[test]
fn digests_are_normalised() {
    assert_eq!(sha256_hex(&"AB".repeat(32)), Some("ab".repeat(32)));
    assert_eq!(sha256_hex("abc"), None);
    assert_eq!(sha256_hex(&"zz".repeat(32)), None);
    assert_eq!(adler32_hex("0x1a2b3c"), Some("001a2b3c".to_string()));
    assert_eq!(adler32_hex("0XFFFFFFFF"), Some("ffffffff".to_string()));
    assert_eq!(adler32_hex("0x"), None);
    assert_eq!(adler32_hex("0x123456789"), None);
    assert_eq!(adler32_hex("0x12';x"), None);
}

#[test]
fn token_ids_are_shell_identifiers() {
    assert_eq!(token_id("MAST"), "MAST");
    assert_eq!(token_id("up42"), "UP42");
    assert_eq!(token_id("JASMIN JDMA"), "JASMIN_JDMA");
    assert_eq!(token_id("$(x)"), "__X_");
    assert_eq!(token_id(""), "ARCHIVE");
}

#[test]
fn script_structure() {
    let mut sha = item(
        "DES0226-1541/x_r.fits",
        "https://des.example.org/f/DES0226-1541/x_r.fits",
    );
    sha.size = Some(1234);
    sha.digest = Some(Digest::Sha256("AB".repeat(32)));
    let mut adler = item("y.nc", "https://jdma.example.org/y.nc");
    adler.digest = Some(Digest::Adler32("0x1a2b".to_string()));
    let signed = ExportItem {
        url: None,
        ..item("t.tar", "")
    };
    let script = curl_script("cutout 42", &[sha, adler, signed]);
    bash_syntax_ok(&script);
    assert!(script.starts_with(
        "#!/usr/bin/env bash\n# Jobfetch export of the batch \"cutout 42\": 3 file(s), 2 of them"
    ));
    assert!(script.contains("\nset -u\n"));
    assert!(script.contains("command -v curl"));
    assert!(script.contains(
        "curl --fail --location --globoff --proto =http,https --proto-redir =http,https --create-dirs -C - \\\n      --retry \"$RETRIES\" \"${PROGRESS[@]}\" -w '%{http_code}' -o \"$1\" \"$2\""
    ));
    assert!(script.contains(&format!(
        "\nfetch './DES0226-1541/x_r.fits' 'https://des.example.org/f/DES0226-1541/x_r.fits' 1234 '{}' -\n",
        "ab".repeat(32)
    )));
    assert!(script.contains("# ADLER-32 00001a2b is not checked here"));
    assert!(script.contains("\nfetch './y.nc' 'https://jdma.example.org/y.nc' - - -\n"));
    assert!(script.contains("# Not in this script: t.tar (its URL is signed and expires"));
    assert!(script.contains("\nLEFT=1\n"));
    // No token needed, no token block.
    assert!(!script.contains("TOKEN_"));
    assert!(!script.contains("auth_header() {"));
    assert!(script.ends_with("exit 0\n"));
}

#[test]
fn script_token_block_only_names_variables() {
    let mut mast = item(
        "HST/ib1f/ib1f01a4q_flt.fits",
        "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/ib1f01a4q_flt.fits",
    );
    mast.needs_token = Some(mast_token());
    let mut up42 = item(
        "job/task/result.tar",
        "https://api.up42.com/v2/assets/abc/file",
    );
    up42.needs_token = Some(TokenNeed {
        archive: "UP42".into(),
        scheme: "Bearer".into(),
        env: None,
    });
    let script = curl_script(
        "mixed",
        &[mast, up42, item("p.fits", "https://e.org/p.fits")],
    );
    bash_syntax_ok(&script);
    assert!(script.contains("TOKEN_MAST=${1:-${JOBFETCH_TOKEN_MAST:-${MAST_API_TOKEN:-}}}\n"));
    assert!(script.contains("TOKEN_UP42=${2:-${JOBFETCH_TOKEN_UP42:-}}\n"));
    assert!(script.contains("read -rs -p 'Token for MAST: ' TOKEN_MAST"));
    assert!(script.contains("MAST) printf 'Authorization: token %s\\n' \"$TOKEN_MAST\" ;;"));
    assert!(script.contains("UP42) printf 'Authorization: Bearer %s\\n' \"$TOKEN_UP42\" ;;"));
    assert!(script.contains("-H @<(auth_header \"$3\")"));
    assert!(script.contains("ib1f01a4q_flt.fits' - - MAST\n"));
    assert!(script.contains("/file' - - UP42\n"));
    assert!(script.contains("\nfetch './p.fits' 'https://e.org/p.fits' - - -\n"));
}

#[test]
fn secrets_never_reach_an_export() {
    let items = vec![
        item("a.fits", "https://u:hunter2@e.org/a.fits"),
        item(
            "b.tar",
            "https://bucket.s3.amazonaws.com/b.tar?X-Amz-Signature=SECRETSIG&X-Amz-Expires=60",
        ),
        item("c.fits", "https://e.org/c.fits?token=SECRETTOK"),
        item("d.fits", "https://e.org/d.fits?expires=1700000000"),
    ];
    for text in [curl_script("s", &items), aria2_input(&items)] {
        for secret in ["hunter2", "SECRETSIG", "SECRETTOK", "REDACTED"] {
            assert!(!text.contains(secret), "{secret} in\n{text}");
        }
        assert_eq!(text.matches("carries a secret").count(), 3, "{text}");
        assert!(text.contains("https://e.org/d.fits?expires=1700000000"));
    }
}

#[test]
fn hostile_names_are_quoted_or_refused() {
    let items: Vec<ExportItem> = HOSTILE
        .iter()
        .map(|name| item(name, "https://e.org/x?q=$(touch PWNED)'"))
        .collect();
    let script = curl_script("$(touch PWNED)\nrm -rf ~", &items);
    bash_syntax_ok(&script);
    // The batch name stays in its comment.
    assert!(script.contains("batch \"$(touch PWNED)\\nrm -rf ~\""));
    assert!(!script.contains("\nrm -rf ~"));
    // Safe-but-odd names are quoted and get './'; unsafe ones are comments on one line.
    assert!(script.contains("fetch './it'\\''s.fits' "));
    assert!(script.contains("fetch './-rf' "));
    assert!(script.contains("fetch './$(touch PWNED).fits' "));
    assert!(script.contains("# Not in this script: new\\nline.fits (its file name"));
    assert!(script.contains("# Not in this script: ../escape.fits (its file name"));
    assert!(script.contains("# Not in this script: /abs.fits (its file name"));
    assert!(script.contains("# Not in this script: back\\slash.fits (its file name"));
    // The URL parser encoded the space and the quote; the rest is inside single quotes.
    assert!(
        script.contains("'https://e.org/x?q=$(touch%20PWNED)%27'"),
        "{script}"
    );

    let aria2 = aria2_input(&items);
    for line in aria2.lines() {
        assert!(!line.contains('\n'));
    }
    assert!(aria2.contains("\n  out=-rf\n"));
    assert!(aria2.contains("\n  out=dir/\"quoted\" $HOME ${x} !x.fits\n"));
    assert!(aria2.contains("# Not in this list: new\\nline.fits (its file name"));
}

#[test]
fn hostile_names_run_nothing_when_the_script_runs() {
    // A stand-in curl that writes "ok" to its -o file, so the script runs without a network. It is a
    // bash function read through BASH_ENV rather than an executable written here: executing a file
    // just written fails now and then (ETXTBSY) while another test thread forks a child that still
    // holds the file's write descriptor.
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fake-curl.bash");
    std::fs::write(
        &fake,
        "curl() { local out; while [ $# -gt 0 ]; do case $1 in -o) out=$2; shift;; esac; shift; done\n\
         mkdir -p -- \"$(dirname -- \"$out\")\" && printf ok > \"$out\"; }\n",
    )
    .unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let items: Vec<ExportItem> = HOSTILE
        .iter()
        .map(|name| item(name, "https://e.org/x?q=$(touch PWNED)'"))
        .collect();
    std::fs::write(work.join("get.sh"), curl_script("$(touch PWNED)", &items)).unwrap();
    let out = Command::new("bash")
        .arg("get.sh")
        .current_dir(&work)
        .env("BASH_ENV", &fake)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let safe: Vec<&&str> = HOSTILE
        .iter()
        .filter(|name| SafeRelPath::parse(name).is_ok())
        .collect();
    assert_eq!(safe.len(), 7);
    for name in safe {
        assert_eq!(std::fs::read(work.join(name)).unwrap(), b"ok", "{name}");
    }
    fn walk(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            found.push(entry.file_name().to_string_lossy().into_owned());
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), found);
            }
        }
    }
    let mut found = Vec::new();
    walk(dir.path(), &mut found);
    assert!(!found.iter().any(|name| name == "PWNED"), "{found:?}");
    assert!(!dir.path().join("escape.fits").exists());
}

#[test]
fn aria2_structure() {
    let mut sha = item(
        "DES0226-1541/x_r.fits",
        "https://des.example.org/f/x_r.fits",
    );
    sha.digest = Some(Digest::Sha256("cd".repeat(32)));
    let mut adler = item("y.nc", "https://jdma.example.org/y.nc");
    // Python: hex(zlib.adler32(b"Wikipedia", 0)) == "0x11dd0397", zlib.adler32(b"Wikipedia") == 0x11e60398.
    adler.digest = Some(Digest::Adler32("0x11dd0397".to_string()));
    adler.size = Some(9);
    let mut unsized_adler = item("z.nc", "https://jdma.example.org/z.nc");
    unsized_adler.digest = Some(Digest::Adler32("0x11dd0397".to_string()));
    let mut mast = item(
        "m.fits",
        "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:x",
    );
    mast.needs_token = Some(mast_token());
    let spaced = item(" lead.fits", "https://e.org/lead.fits");
    let signed = ExportItem {
        url: None,
        ..item("t.tar", "")
    };
    let text = aria2_input(&[sha, adler, unsized_adler, mast, spaced, signed]);
    assert!(text.starts_with("# Jobfetch export for aria2: 6 file(s), 3 of them ready to fetch.\n"));
    assert!(text.contains(&format!(
        "\nhttps://des.example.org/f/x_r.fits\n  out=DES0226-1541/x_r.fits\n  checksum=sha-256={}\n",
        "cd".repeat(32)
    )));
    assert!(
        text.contains("\nhttps://jdma.example.org/y.nc\n  out=y.nc\n  checksum=adler32=11e60398\n")
    );
    // Without a size JDMA's ADLER-32 cannot become aria2's, so none is given.
    assert!(text.contains("\nhttps://jdma.example.org/z.nc\n  out=z.nc\n\n"));
    assert!(text.contains("# Needs a MAST token, which an export never holds."));
    assert!(text.contains(
        "\n# https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:x\n#   out=m.fits\n"
    ));
    assert!(!text.contains("\n  header="));
    assert!(text.contains("# Not in this list:  lead.fits (its file name"));
    assert!(text.contains("# Not in this list: t.tar (its URL is signed"));
    // Every non-comment line is a URL or an indented option.
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        assert!(
            line.starts_with("https://")
                || line.starts_with("  out=")
                || line.starts_with("  checksum="),
            "{line}"
        );
    }
}

#[test]
fn non_http_urls_are_left_out() {
    for url in [
        "mast:HST/product/x.fits",
        "file:///etc/passwd",
        "ftp://e.org/x",
        "not a url",
        "https://",
    ] {
        let script = curl_script("b", &[item("x.fits", url)]);
        assert!(script.contains("# Not in this script: x.fits"), "{url}");
        assert!(!script.contains("\nfetch "), "{url}");
    }
}

// ---- running the exports against a tiny local HTTP server ----

/// Every request a test server saw: its path, its Authorization header and its Range header.
type RequestLog = Arc<Mutex<Vec<(String, Option<String>, Option<String>)>>>;

struct Served {
    base: String,
    log: RequestLog,
}

/// Serves `files` (URL path -> body), one request per connection. A path in `token_paths` needs
/// `Authorization: token sekrit` (401 otherwise); unknown paths are 404. `Range: bytes=N-` is
/// honoured (206, or 416 past the end) except under `/norange/`.
fn serve(files: HashMap<String, Vec<u8>>, token_paths: Vec<String>) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = RequestLog::default();
    let seen = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let path = request.split(' ').nth(1).unwrap_or("").to_string();
            let (mut auth, mut range) = (None, None);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("authorization") {
                        auth = Some(value.trim().to_string());
                    } else if name.eq_ignore_ascii_case("range") {
                        range = Some(value.trim().to_string());
                    }
                }
            }
            seen.lock()
                .unwrap()
                .push((path.clone(), auth.clone(), range.clone()));
            let from = range
                .as_deref()
                .filter(|_| !path.starts_with("/norange/"))
                .and_then(|r| {
                    r.strip_prefix("bytes=")?
                        .strip_suffix('-')?
                        .parse::<usize>()
                        .ok()
                });
            let mut extra = String::new();
            let (status, body): (&str, &[u8]) = match files.get(&path) {
                Some(_)
                    if token_paths.contains(&path) && auth.as_deref() != Some("token sekrit") =>
                {
                    ("401 Unauthorized", b"no")
                }
                Some(body) => match from {
                    None => ("200 OK", body),
                    Some(from) if from >= body.len() => {
                        extra = format!("Content-Range: bytes */{}\r\n", body.len());
                        ("416 Range Not Satisfiable", b"")
                    }
                    Some(from) => {
                        extra = format!(
                            "Content-Range: bytes {from}-{}/{}\r\n",
                            body.len() - 1,
                            body.len()
                        );
                        ("206 Partial Content", &body[from..])
                    }
                },
                None => ("404 Not Found", b"missing"),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body);
        }
    });
    Served { base, log }
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn sha256_of(path: &Path) -> Option<String> {
    let out = Command::new("sha256sum").arg(path).output().ok()?;
    Some(
        String::from_utf8_lossy(&out.stdout)
            .split(' ')
            .next()?
            .to_string(),
    )
}

#[test]
fn the_curl_script_fetches_checks_and_reports() {
    if !have("curl") || !have("sha256sum") {
        return;
    }
    let hostile = "$(touch PWNED) it's `x`.fits";
    let hostile_path = "/d/%24(touch%20PWNED)%20it's%20%60x%60.fits";
    let files = HashMap::from([
        ("/d/a.fits".to_string(), b"alpha".to_vec()),
        (hostile_path.to_string(), b"hostile".to_vec()),
        ("/d/bad.fits".to_string(), b"not what was promised".to_vec()),
        ("/d/m.fits".to_string(), b"mast data".to_vec()),
        ("/d/present.fits".to_string(), b"present".to_vec()),
        ("/norange/n.fits".to_string(), b"no ranges here".to_vec()),
        ("/d/u.fits".to_string(), b"unsized".to_vec()),
    ]);
    let server = serve(files, vec!["/d/m.fits".to_string()]);
    let dir = tempfile::tempdir().unwrap();
    let at = |rel: &str| dir.path().join(rel);
    std::fs::write(at("present.fits"), b"present").unwrap();
    // Leftovers of an earlier run: one to resume, one on a server without ranges, one already
    // whole but of unknown size (the server answers 416), one longer than its file.
    std::fs::create_dir_all(at("sub")).unwrap();
    std::fs::create_dir_all(at("-odd")).unwrap();
    std::fs::write(at("sub/a.fits.part"), b"alp").unwrap();
    std::fs::write(at("n.fits.part"), b"no r").unwrap();
    std::fs::write(at("u.fits.part"), b"unsized").unwrap();
    std::fs::write(at("-odd").join(format!("{hostile}.part")), b"far too long").unwrap();
    let url = |p: &str| format!("{}{p}", server.base);

    let mut a = item("sub/a.fits", &url("/d/a.fits"));
    a.size = Some(5);
    let mut h = item(&format!("-odd/{hostile}"), &url(hostile_path));
    h.size = Some(7);
    let mut bad = item("bad.fits", &url("/d/bad.fits"));
    bad.digest = Some(Digest::Sha256("00".repeat(32)));
    let mut m = item("m.fits", &url("/d/m.fits"));
    m.needs_token = Some(mast_token());
    let mut present = item("present.fits", &url("/d/present.fits"));
    present.size = Some(7);
    let missing = item("missing.fits", &url("/d/missing.fits"));
    let mut n = item("n.fits", &url("/norange/n.fits"));
    n.size = Some(14);
    let u = item("u.fits", &url("/d/u.fits"));
    let items = vec![a, h, bad, m, present, missing, n, u];
    let script = curl_script("run", &items);
    assert!(!script.contains("sekrit"));
    let path = at("get.sh");
    std::fs::write(&path, &script).unwrap();

    let run = || {
        Command::new("bash")
            .arg(&path)
            .current_dir(dir.path())
            .env("JOBFETCH_CURL_RETRIES", "1")
            .env("JOBFETCH_TOKEN_MAST", "sekrit")
            .env_remove("MAST_API_TOKEN")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Fetched 5, already present 1, failed 2, left for Jobfetch 0."),
        "{stderr}"
    );
    assert!(
        stderr.contains("FAILED: ./missing.fits (curl exit status 22, HTTP 404)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("FAILED: ./bad.fits does not have the expected size or SHA-256"),
        "{stderr}"
    );
    for (rel, body) in [
        ("sub/a.fits", &b"alpha"[..]),
        ("m.fits", b"mast data"),
        ("n.fits", b"no ranges here"),
        ("u.fits", b"unsized"),
        ("present.fits", b"present"),
    ] {
        assert_eq!(std::fs::read(at(rel)).unwrap(), body, "{rel}");
    }
    assert_eq!(std::fs::read(at("-odd").join(hostile)).unwrap(), b"hostile");
    for gone in [
        "bad.fits",
        "bad.fits.part",
        "missing.fits",
        "PWNED",
        "-odd/PWNED",
        "sub/a.fits.part",
        "n.fits.part",
    ] {
        assert!(!at(gone).exists(), "{gone}");
    }

    let log = server.log.lock().unwrap().clone();
    let ranges = |path: &str| -> Vec<Option<String>> {
        log.iter()
            .filter(|(p, _, _)| p == path)
            .map(|(_, _, range)| range.clone())
            .collect()
    };
    let auth_of = |path: &str| {
        log.iter()
            .find(|(p, _, _)| p == path)
            .and_then(|(_, auth, _)| auth.clone())
    };
    assert_eq!(auth_of("/d/m.fits").as_deref(), Some("token sekrit"));
    assert!(
        log.iter()
            .filter(|(p, _, _)| p != "/d/m.fits")
            .all(|(_, auth, _)| auth.is_none()),
        "{log:?}"
    );
    assert!(
        ranges("/d/present.fits").is_empty(),
        "a whole file is not fetched again"
    );
    assert_eq!(
        ranges("/d/a.fits"),
        [Some("bytes=3-".to_string())],
        "resumed"
    );
    assert_eq!(
        ranges("/norange/n.fits"),
        [Some("bytes=4-".to_string()), None],
        "started over"
    );
    assert_eq!(
        ranges("/d/u.fits"),
        [Some("bytes=7-".to_string()), None],
        "416, started over"
    );
    assert_eq!(
        ranges(hostile_path),
        [None],
        "an over-long .part is not resumed"
    );
    assert_eq!(ranges("/d/missing.fits").len(), 1, "a 404 is not retried");

    // Without the token and without a terminal, the script stops before fetching anything.
    let requests = log.len();
    let out = Command::new("bash")
        .arg(&path)
        .current_dir(dir.path())
        .env_remove("JOBFETCH_TOKEN_MAST")
        .env_remove("MAST_API_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("No token for MAST"));
    assert_eq!(server.log.lock().unwrap().len(), requests);

    // Only good files and one signed URL: everything present, exit 3 for the file left to Jobfetch.
    let mut again = items[..2].to_vec();
    again.push(ExportItem {
        url: None,
        ..item("t.tar", "")
    });
    std::fs::write(&path, curl_script("run", &again)).unwrap();
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("Fetched 0, already present 2, failed 0, left for Jobfetch 1."),
        "{stderr}"
    );
    assert_eq!(server.log.lock().unwrap().len(), requests);
}

#[test]
fn aria2_fetches_and_checks_its_input_when_installed() {
    if !have("aria2c") || !have("sha256sum") {
        return;
    }
    let files = HashMap::from([
        ("/x.fits".to_string(), b"some bytes".to_vec()),
        ("/y.nc".to_string(), b"Wikipedia".to_vec()),
        ("/z.fits".to_string(), b"zeta".to_vec()),
    ]);
    let server = serve(files, vec![]);
    let dir = tempfile::tempdir().unwrap();
    let probe = dir.path().join("probe");
    std::fs::write(&probe, b"some bytes").unwrap();
    let mut x = item("a b/x's.fits", &format!("{}/x.fits", server.base));
    x.digest = Some(Digest::Sha256(sha256_of(&probe).unwrap()));
    // ADLER-32 of "Wikipedia" is 0x11E60398.
    let mut y = item("y.nc", &format!("{}/y.nc", server.base));
    y.digest = Some(Digest::Adler32("0x11e60398".to_string()));
    let mut z = item("z.fits", &format!("{}/z.fits", server.base));
    z.digest = Some(Digest::Sha256("00".repeat(32)));
    let input = dir.path().join("list.txt");
    std::fs::write(&input, aria2_input(&[x, y, z])).unwrap();
    let out = Command::new("aria2c")
        .arg(format!("--input-file={}", input.display()))
        .args([
            "--continue=true",
            "--auto-file-renaming=false",
            "--max-tries=1",
            "--quiet=true",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "z.fits has a wrong digest");
    assert_eq!(
        std::fs::read(dir.path().join("a b/x's.fits")).unwrap(),
        b"some bytes"
    );
    assert_eq!(
        std::fs::read(dir.path().join("y.nc")).unwrap(),
        b"Wikipedia"
    );
}
