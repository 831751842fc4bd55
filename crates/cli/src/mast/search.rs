//! `jobfetch mast search`: the observations a search finds, as an aligned table or JSON.

use jobfetch_engine::providers::mast::model::Observation;
use jobfetch_engine::providers::mast::search;
use jobfetch_engine::Result;
use serde_json::{json, Value};

use super::Find;

/// Prints the observations `find` finds.
pub async fn run(find: &Find, json: bool) -> Result<()> {
    let criteria = find.criteria()?;
    let base = find.base()?;
    let client = jobfetch_engine::http::client()?;
    let observations = search::observations(&client, &base, &criteria).await?;
    if json {
        let rows: Vec<Value> = observations.iter().map(to_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("observations serialize")
        );
    } else if observations.is_empty() {
        eprintln!("jobfetch: MAST found no observation matching that; try fewer criteria.");
    } else {
        print!("{}", table(&observations));
    }
    Ok(())
}

/// Every field of an observation.
fn to_json(observation: &Observation) -> Value {
    json!({
        "obsid": observation.obsid,
        "obs_id": observation.obs_id,
        "collection": observation.collection,
        "instrument": observation.instrument,
        "target": observation.target,
        "proposal": observation.proposal,
        "data_rights": observation.data_rights,
        "calib_level": observation.calib_level,
        "t_min": observation.t_min,
        "t_max": observation.t_max,
    })
}

/// A column of the table: its heading and what it shows of an observation.
type Column = (&'static str, fn(&Observation) -> &str);

const COLUMNS: [Column; 7] = [
    ("obs_id", |o| &o.obs_id),
    ("collection", |o| &o.collection),
    ("instrument", |o| &o.instrument),
    ("target", |o| &o.target),
    ("proposal", |o| &o.proposal),
    ("data rights", |o| &o.data_rights),
    ("obsid", |o| &o.obsid),
];

/// One line per observation under a heading, each column as wide as its widest cell.
fn table(observations: &[Observation]) -> String {
    let widths: Vec<usize> = COLUMNS
        .iter()
        .map(|(heading, cell)| {
            observations
                .iter()
                .map(|o| cell(o).chars().count())
                .chain([heading.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(COLUMNS.iter().map(|(heading, _)| *heading).collect());
    for observation in observations {
        out.push_str(&line(
            COLUMNS.iter().map(|(_, cell)| cell(observation)).collect(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lines_up_its_columns() {
        let observation = |obs_id: &str, target: &str| Observation {
            obsid: "2010012345".into(),
            obs_id: obs_id.into(),
            collection: "HST".into(),
            target: target.into(),
            instrument: "WFC3/UVIS".into(),
            proposal: "16123".into(),
            data_rights: "PUBLIC".into(),
            calib_level: Some(3),
            t_min: None,
            t_max: None,
        };
        let text = table(&[
            observation("ieq301010", "NGC1300"),
            observation("x", "A-LONGER-TARGET"),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        let proposal_at = lines[0].find("proposal").unwrap();
        assert!(lines[1..]
            .iter()
            .all(|l| l[proposal_at..].starts_with("16123")));
        assert!(lines[0].starts_with("obs_id     collection"));
    }
}
