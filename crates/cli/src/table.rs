//! Plain-text tables for the terminal: each column as wide as its widest cell, two spaces apart.

/// The header and rows, each column as wide as its widest cell, two spaces apart; no trailing spaces.
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|title| title.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header = header.map(String::from);
    let mut text = String::new();
    for cells in std::iter::once(&header).chain(rows) {
        let line: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    text
}

/// Prints the header and rows as [`table`] lays them out.
pub fn print_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) {
    print!("{}", table(*header, rows));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let row =
            |state: &str| ["7", state, "1/2", "1 B / 2 B", "job", "/tmp/job"].map(String::from);
        let header = ["id", "state", "files", "bytes", "name", "folder"];
        assert_eq!(
            table(header, &[row("done"), row("done, with errors")]),
            "id  state              files  bytes      name  folder\n\
             7   done               1/2    1 B / 2 B  job   /tmp/job\n\
             7   done, with errors  1/2    1 B / 2 B  job   /tmp/job\n"
        );
    }
}
