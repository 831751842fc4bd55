//! Tests of the manifests: the CSV and HTML writers, sizes, and the files as written.

use std::fs;
use std::path::Path;

use super::csv::csv_cell;
use super::html::relative_href;
use super::*;

fn header(root: &Path) -> ManifestHeader {
    ManifestHeader {
        batch_name: "cutout 42".to_string(),
        root: root.to_path_buf(),
        archive: "desaccess".to_string(),
        origin: Some(origin()),
        source: "https://des.example.org/files-desaccess/alice/cutout/42/".to_string(),
        created: "2025-01-02T03:04:05Z".to_string(),
        finished: Some("2025-01-02T03:05:00Z".to_string()),
        state: BatchState::DoneWithErrors,
    }
}

fn origin() -> BatchOrigin {
    let provider = crate::ids::ProviderId::new("desaccess").unwrap();
    BatchOrigin {
        account: Some(crate::ids::AccountId::new(&provider, "alice", "des.example.org").unwrap()),
        provider,
        job: Some("42".to_string()),
        scope: crate::transfer::model::OriginScope::Whole,
    }
}

fn entry(file: &str, state: ItemState) -> ManifestEntry {
    ManifestEntry {
        uri: format!("https://e.org/files/{file}"),
        file: file.to_string(),
        size: Some(1234),
        digest: None,
        state,
        message: None,
    }
}

// ---- CSV ----

#[test]
fn csv_cells_are_quoted_per_rfc_4180() {
    assert_eq!(csv_cell("plain"), "plain");
    assert_eq!(csv_cell(""), "");
    assert_eq!(csv_cell("a,b"), "\"a,b\"");
    assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
    assert_eq!(csv_cell("cr\rhere"), "\"cr\rhere\"");
}

#[test]
fn csv_cells_are_guarded_against_formulas() {
    assert_eq!(
        csv_cell("=HYPERLINK(\"http://evil\")"),
        "\"'=HYPERLINK(\"\"http://evil\"\")\""
    );
    assert_eq!(csv_cell("+1"), "'+1");
    assert_eq!(csv_cell("-2+3"), "'-2+3");
    assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
    assert_eq!(csv_cell("\tx"), "'\tx");
    assert_eq!(csv_cell("a=b"), "a=b");
}

#[test]
fn csv_has_astroquerys_columns_and_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let mut failed = entry("b,\"c\".fits", ItemState::Failed);
    failed.uri = "https://e.org/b?token=abc".to_string();
    failed.message = Some("HTTP 404".to_string());
    let mut hostile = entry("=cmd|' /C calc'!A0", ItemState::Failed);
    hostile.message = Some("-bad".to_string());
    let entries = vec![
        entry("a/x.fits", ItemState::Done),
        entry("a/y.fits", ItemState::Skipped),
        failed,
        entry("c.fits", ItemState::Cancelled),
        entry("d.fits", ItemState::Queued),
        hostile,
    ];
    let csv = Manifest::new(&header(dir.path()), &entries).to_csv();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    let root = dir.path().display().to_string();
    assert_eq!(lines[0], "Local Path,Status,Message,URL");
    assert_eq!(lines[1], format!("{root}/a/x.fits,COMPLETE,,"));
    assert_eq!(lines[2], format!("{root}/a/y.fits,COMPLETE,,"));
    assert_eq!(
        lines[3],
        format!("\"{root}/b,\"\"c\"\".fits\",ERROR,HTTP 404,https://e.org/b?token=REDACTED")
    );
    assert_eq!(
        lines[4],
        format!("{root}/c.fits,SKIPPED,Cancelled,https://e.org/files/c.fits")
    );
    assert_eq!(
        lines[5],
        format!("{root}/d.fits,SKIPPED,Not downloaded yet (queued),https://e.org/files/d.fits")
    );
    assert_eq!(
        lines[6],
        format!("{root}/=cmd|' /C calc'!A0,ERROR,'-bad,https://e.org/files/=cmd|' /C calc'!A0")
    );
    assert_eq!(lines[7], "");
    assert_eq!(lines.len(), 8);
    assert!(!csv.contains("abc"));
}

#[test]
fn csv_parses_back_with_pythons_csv_module() {
    // An independent RFC 4180 reader, when one is at hand.
    let Ok(probe) = std::process::Command::new("python3")
        .arg("-c")
        .arg("import csv")
        .status()
    else {
        return;
    };
    if !probe.success() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut odd = entry("q\"u,o\nte's.fits", ItemState::Failed);
    odd.message = Some("line one\r\nline \"two\", three".to_string());
    let csv = Manifest::new(&header(dir.path()), &[odd.clone()]).to_csv();
    let path = dir.path().join("m.csv");
    fs::write(&path, &csv).unwrap();
    let script = "import csv,json,sys\nwith open(sys.argv[1], newline='') as f: print(json.dumps(list(csv.reader(f))))";
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], ["Local Path", "Status", "Message", "URL"]);
    assert_eq!(rows[1][0], dir.path().join(&odd.file).to_string_lossy());
    assert_eq!(rows[1][1], "ERROR");
    assert_eq!(rows[1][2], "line one\r\nline \"two\", three");
    assert_eq!(rows[1][3], odd.uri);
}

// ---- HTML ----

#[test]
fn html_escapes_everything_a_server_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut head = header(dir.path());
    head.batch_name = "<b>batch</b>".to_string();
    head.source = "https://e.org/?a=<x>&token=abc".to_string();
    let mut bad = entry("<script>alert(1)</script>.fits", ItemState::Done);
    bad.uri = "https://e.org/\"><script>alert(2)</script>".to_string();
    let mut failed = entry("dir/it's \"x\" & y.fits", ItemState::Failed);
    failed.message = Some("<img src=x onerror=alert(3)>".to_string());
    failed.digest = Some(Digest::Sha256("<i>".to_string()));
    let page = Manifest::new(&head, &[bad, failed]).to_html();
    assert!(!page.contains("<script>"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(!page.contains("<b>batch"), "{page}");
    assert!(!page.contains("abc"), "{page}");
    assert!(!page.contains("<i>"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;.fits"));
    assert!(page.contains("dir/it&#39;s &quot;x&quot; &amp; y.fits"));
    assert!(page.contains("Content-Security-Policy"));
    // Only the retrieved file is linked, through an encoded relative href.
    assert!(page.contains("<a href=\"./%3Cscript%3Ealert%281%29%3C/script%3E.fits\">"));
    assert_eq!(page.matches("<a href").count(), 1);
}

#[test]
fn html_summarises_and_marks_failures() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = entry("big.fits", ItemState::Done);
    big.size = Some(2_500_000);
    big.digest = Some(Digest::Sha256("ab".repeat(32)));
    let mut failed = entry("f.fits", ItemState::Failed);
    failed.message = Some("HTTP 404".to_string());
    let page = Manifest::new(
        &header(dir.path()),
        &[big, failed, entry("c.fits", ItemState::Cancelled)],
    )
    .to_html();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<title>Manifest of cutout 42</title>"));
    assert!(page.contains(
        "Requested <b>3</b> · retrieved <b>1</b> (2.4 MiB) · failed <b>1</b> · cancelled <b>1</b>"
    ));
    assert!(page.contains(
        "<th>URI</th><th>File</th><th>Size</th><th>Digest</th><th>Status</th><th>Message</th>"
    ));
    assert!(page.contains("<tr class=\"failed\">"));
    assert!(page.contains("<tr class=\"other\">"));
    assert!(page.contains("title=\"2500000 bytes\">2.4 MiB<"));
    assert!(page.contains(&format!("SHA-256 <code>{}</code>", "ab".repeat(32))));
    assert!(page.contains("<a href=\"./big.fits\">big.fits</a>"));
}

#[test]
fn links_cannot_become_schemes_or_queries() {
    assert_eq!(
        relative_href("javascript:alert(1)"),
        "./javascript%3Aalert%281%29"
    );
    assert_eq!(
        relative_href("a b/c#d?e%f.fits"),
        "./a%20b/c%23d%3Fe%25f.fits"
    );
    assert_eq!(
        relative_href("DES0226-1541/x_r.fits"),
        "./DES0226-1541/x_r.fits"
    );
}

// ---- files ----

#[test]
fn writes_three_files_atomically_and_json_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("42");
    let mut done = entry("DES0226-1541/x_r.fits", ItemState::Done);
    done.digest = Some(Digest::Sha256("0".repeat(64)));
    let mut adler = entry("y.nc", ItemState::Skipped);
    adler.digest = Some(Digest::Adler32("0x1a2b3c".to_string()));
    adler.size = None;
    let mut failed = entry("z.fits", ItemState::Failed);
    failed.uri = "https://alice:pw@e.org/z.fits?sig=abc&expires=9".to_string();
    failed.message = Some("Network error talking to https://e.org/z.fits?sig=abc".to_string());
    let entries = vec![done, adler, failed];
    let paths = write_manifests(&header(&root), &entries).unwrap();
    assert_eq!(paths.json, root.join("MANIFEST.json"));
    assert_eq!(paths.html, root.join("MANIFEST.html"));
    assert_eq!(paths.csv, root.join("manifest.csv"));
    let mut names: Vec<String> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["MANIFEST.html", "MANIFEST.json", "manifest.csv"]);

    let back = Manifest::read(&paths.json).unwrap();
    assert_eq!(back, Manifest::new(&header(&root), &entries));
    assert_eq!(back.format, FORMAT);
    assert_eq!(
        back.totals,
        ManifestTotals {
            requested: 3,
            retrieved: 2,
            failed: 1,
            cancelled: 0,
            pending: 0,
            bytes: 1234
        }
    );
    assert_eq!(
        back.entries[2].uri,
        "https://e.org/z.fits?sig=REDACTED&expires=9"
    );

    for path in [&paths.json, &paths.html, &paths.csv] {
        let text = fs::read_to_string(path).unwrap();
        assert!(
            !text.contains("pw@") && !text.contains("sig=abc"),
            "{}",
            path.display()
        );
    }
    // Field names are part of the format.
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&paths.json).unwrap()).unwrap();
    assert_eq!(json["format"], FORMAT);
    assert_eq!(json["batch"]["batchName"], "cutout 42");
    assert_eq!(json["batch"]["state"], "doneWithErrors");
    assert_eq!(json["batch"]["archive"], "desaccess");
    assert_eq!(
        json["batch"]["origin"],
        serde_json::json!({
            "provider": "desaccess",
            "account": "desaccess:alice@des.example.org",
            "job": "42",
            "scope": "whole"
        })
    );
    assert_eq!(json["totals"]["retrieved"], 2);
    assert_eq!(json["entries"][0]["digest"]["algorithm"], "sha256");
    assert_eq!(json["entries"][1]["state"], "skipped");
    assert_eq!(json["entries"][1]["size"], serde_json::Value::Null);

    // Writing again replaces the files, still without leftovers.
    write_manifests(&header(&root), &entries[..1]).unwrap();
    assert_eq!(Manifest::read(&paths.json).unwrap().totals.requested, 1);
    assert_eq!(fs::read_dir(&root).unwrap().count(), 3);
}

#[test]
fn a_manifest_from_before_origins_reads_with_no_origin() {
    let dir = tempfile::tempdir().unwrap();
    let mut old = header(dir.path());
    old.archive = "DESaccess".to_string();
    old.origin = None;
    let paths = write_manifests(&old, &[entry("x.fits", ItemState::Done)]).unwrap();
    // What releases before origins wrote: the same header without the field.
    let mut json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&paths.json).unwrap()).unwrap();
    json["batch"].as_object_mut().unwrap().remove("origin");
    fs::write(&paths.json, json.to_string()).unwrap();
    let back = Manifest::read(&paths.json).unwrap();
    assert_eq!(back.batch, old);
    assert_eq!(back.batch.archive, "DESaccess");
}

#[test]
fn a_downloaded_file_with_a_manifest_name_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    fs::write(root.join("MANIFEST.HTML"), "the archive's own").unwrap();
    let entries = vec![
        entry("MANIFEST.HTML", ItemState::Done),
        entry("manifest.csv/inner", ItemState::Done),
    ];
    let paths = write_manifests(&header(&root), &entries).unwrap();
    assert_eq!(paths.html, root.join("jobfetch-MANIFEST.html"));
    assert_eq!(paths.json, root.join("jobfetch-MANIFEST.json"));
    assert_eq!(paths.csv, root.join("jobfetch-manifest.csv"));
    assert_eq!(
        fs::read_to_string(root.join("MANIFEST.HTML")).unwrap(),
        "the archive's own"
    );

    let taken = vec![
        entry("MANIFEST.json", ItemState::Done),
        entry("jobfetch-manifest.csv", ItemState::Done),
    ];
    assert_eq!(manifest_names(&taken)[0], "jobfetch2-MANIFEST.json");

    // A download still under way into a manifest's name is as good as taken.
    let partial = vec![entry(
        &part_path(Path::new("MANIFEST.html")).to_string_lossy(),
        ItemState::Running,
    )];
    assert_eq!(manifest_names(&partial)[1], "jobfetch-MANIFEST.html");
}

#[test]
fn a_failed_write_names_the_file_and_leaves_no_part() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("r");
    fs::create_dir_all(root.join("MANIFEST.json")).unwrap(); // a folder where the file must go
    let err = write_manifests(&header(&root), &[]).unwrap_err();
    assert_eq!(err.code, crate::error::ErrorCode::Disk);
    assert!(err.message.contains("MANIFEST.json"), "{}", err.message);
    assert!(!part_path(&root.join("MANIFEST.json")).exists());
}

#[test]
fn an_empty_batch_still_gets_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_manifests(&header(dir.path()), &[]).unwrap();
    assert_eq!(
        fs::read_to_string(&paths.csv).unwrap(),
        "Local Path,Status,Message,URL\r\n"
    );
    assert_eq!(
        Manifest::read(&paths.json).unwrap().totals,
        ManifestTotals::default()
    );
}
