//! `manifest.csv`: astroquery's `download_products` columns, for existing pipelines.

use super::Manifest;
use crate::transfer::model::ItemState;

impl Manifest {
    /// `manifest.csv`'s text: astroquery's manifest columns, RFC 4180 quoting, CRLF line ends.
    ///
    /// - `Local Path` is absolute, like astroquery's.
    /// - `Status` is `COMPLETE` for fetched or already present files (astroquery also reports a file it
    ///   found on disk as `COMPLETE`), `ERROR` for failed ones, and `SKIPPED` for cancelled or unfinished ones.
    /// - `Message` and `URL` are empty when the file arrived (astroquery's `None`); otherwise Message says
    ///   why and URL is the (redacted) address.
    ///
    /// Every cell is guarded against CSV injection: one that starts with `=`, `+`, `-`, `@`, a tab or a
    /// carriage return gets a leading `'`, so a spreadsheet shows it as text instead of running it as a
    /// formula (OWASP's advice). Plain-text readers then see the apostrophe; that is the price, paid
    /// only by such names.
    pub fn to_csv(&self) -> String {
        let root =
            std::path::absolute(&self.batch.root).unwrap_or_else(|_| self.batch.root.clone());
        let mut out = String::from("Local Path,Status,Message,URL\r\n");
        for entry in &self.entries {
            let mut local = root.clone();
            for part in entry.file.split('/').filter(|part| !part.is_empty()) {
                local.push(part);
            }
            let (status, message, url) = match entry.state {
                ItemState::Done | ItemState::Skipped => ("COMPLETE", String::new(), String::new()),
                ItemState::Failed => (
                    "ERROR",
                    entry
                        .message
                        .clone()
                        .unwrap_or_else(|| "File was not downloaded".to_string()),
                    entry.uri.clone(),
                ),
                ItemState::Cancelled => (
                    "SKIPPED",
                    entry
                        .message
                        .clone()
                        .unwrap_or_else(|| "Cancelled".to_string()),
                    entry.uri.clone(),
                ),
                state => (
                    "SKIPPED",
                    entry.message.clone().unwrap_or_else(|| {
                        format!("Not downloaded yet ({})", state.label().to_lowercase())
                    }),
                    entry.uri.clone(),
                ),
            };
            let cells = [
                local.to_string_lossy().into_owned(),
                status.to_string(),
                message,
                url,
            ];
            let row: Vec<String> = cells.iter().map(|cell| csv_cell(cell)).collect();
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

/// One CSV cell: guarded against formula injection, then quoted per RFC 4180 when it needs to be.
pub(super) fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}
