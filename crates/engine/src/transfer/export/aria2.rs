//! The aria2 input file: one entry per file with its output name and checksum.

use std::fmt::Write as _;

use super::plan::{plan, Format, Planned};
use super::{comment, scheme_word, ExportItem};
use crate::transfer::verify::{parse_adler32, standard_adler32};

/// An aria2 input file for the batch (`aria2c --input-file=<it>`), downloading into the current folder.
///
/// Each entry is the URL, then `  out=<file>` and, where known, `  checksum=sha-256=<hex>` (or
/// `adler32`, which aria2 1.36 and later check: the standard one, converted from JDMA's, which starts at
/// 0, through the file's size, so only where the size is known). Entries that need an archive token are commented out
/// with a note, since an export never holds tokens; so are signed URLs and anything else that only
/// Jobfetch can fetch.
pub fn aria2_input(items: &[ExportItem]) -> String {
    let plans: Vec<Result<Planned, &str>> =
        items.iter().map(|item| plan(item, Format::Aria2)).collect();
    let ready = plans
        .iter()
        .filter(|plan| matches!(plan, Ok(p) if p.token.is_none()))
        .count();
    let mut out = String::with_capacity(1024 + items.len() * 160);
    let _ = writeln!(
        out,
        "# Jobfetch export for aria2: {} file(s), {ready} of them ready to fetch.",
        items.len()
    );
    out.push_str(
        "# Run it from the folder that should hold the files:\n\
         #     aria2c --input-file=<this file> --continue=true --auto-file-renaming=false\n\
         # Entries that aria2 cannot fetch on its own are commented out, with the reason.\n",
    );
    for (item, plan) in items.iter().zip(&plans) {
        out.push('\n');
        match plan {
            Ok(plan) => {
                let mut entry = format!("{}\n  out={}\n", plan.url, plan.file);
                if let Some(hex) = &plan.sha256 {
                    let _ = writeln!(entry, "  checksum=sha-256={hex}");
                } else if let Some(standard) = aria2_adler32(plan) {
                    let _ = writeln!(entry, "  checksum=adler32={standard:08x}");
                }
                match &plan.token {
                    None => out.push_str(&entry),
                    Some((need, _)) => {
                        let scheme = scheme_word(&need.scheme);
                        let _ = writeln!(
                            out,
                            "# Needs a {} token, which an export never holds. Fetch it with Jobfetch or the curl\n\
                             # export, or uncomment it and add the line \"  header=Authorization: {scheme} <your token>\".",
                            comment(&need.archive)
                        );
                        for line in entry.lines() {
                            let _ = writeln!(out, "# {line}");
                        }
                    }
                }
            }
            Err(reason) => {
                let _ = writeln!(
                    out,
                    "# Not in this list: {} ({reason}). Fetch it with Jobfetch.",
                    comment(&item.file)
                );
            }
        }
    }
    out
}

/// The standard ADLER-32 aria2 checks for an item with JDMA's, when its size is known.
fn aria2_adler32(plan: &Planned) -> Option<u32> {
    let jdma = parse_adler32(plan.adler32.as_deref()?)?;
    Some(standard_adler32(jdma, plan.size?))
}
