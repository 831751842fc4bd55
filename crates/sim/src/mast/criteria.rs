//! Which observations a `Mast.Caom.*` request selects: column filters, wildcards, cones.

use serde_json::Value;

use super::catalog::Observation;
use super::columns::{observation_value, Table};

/// One `{"paramName": .., "values": [..], "freeText": ..}` filter.
pub(crate) struct Filter {
    column: String,
    values: Vec<Value>,
    free_text: Option<String>,
}

/// A circle on the sky, in degrees.
#[derive(Clone, Copy)]
pub(crate) struct Cone {
    pub(crate) ra: f64,
    pub(crate) dec: f64,
    pub(crate) radius: f64,
}

/// Reads the `filters` array of a `Mast.Caom.Filtered` request.
pub(crate) fn filters(params: &Value) -> Result<Vec<Filter>, String> {
    let Some(list) = params.get("filters").and_then(Value::as_array) else {
        return Err("Required parameter 'filters' is missing or is not an array.".into());
    };
    list.iter()
        .map(|filter| {
            let column = filter
                .get("paramName")
                .and_then(Value::as_str)
                .ok_or("Each filter needs a 'paramName'.")?;
            if !Table::Observations.has_column(column) {
                return Err(format!("Unknown column '{column}' in filter."));
            }
            Ok(Filter {
                column: column.to_owned(),
                values: filter
                    .get("values")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
                free_text: filter
                    .get("freeText")
                    .and_then(Value::as_str)
                    .filter(|text| !text.is_empty())
                    .map(str::to_owned),
            })
        })
        .collect()
}

/// Reads `"position": "ra, dec, radius"` (degrees).
pub(crate) fn position(text: &str) -> Result<Cone, String> {
    let numbers: Vec<f64> = text
        .split(',')
        .map(|part| part.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            format!("Invalid position '{text}': expected 'ra, dec, radius' in degrees.")
        })?;
    match numbers[..] {
        [ra, dec, radius] => Ok(Cone { ra, dec, radius }),
        _ => Err(format!(
            "Invalid position '{text}': expected 'ra, dec, radius' in degrees."
        )),
    }
}

impl Filter {
    /// True when any value (or the free-text pattern) matches; a filter with neither matches all.
    pub(crate) fn matches(&self, obs: &Observation) -> bool {
        let actual = observation_value(obs, &self.column);
        if self.values.is_empty() && self.free_text.is_none() {
            return true;
        }
        self.values
            .iter()
            .any(|wanted| value_matches(&actual, wanted))
            || self
                .free_text
                .as_deref()
                .is_some_and(|pattern| wildcard(pattern, &text(&actual)))
    }
}

impl Cone {
    pub(crate) fn contains(&self, obs: &Observation) -> bool {
        separation(self.ra, self.dec, obs.s_ra, obs.s_dec) <= self.radius
    }
}

fn value_matches(actual: &Value, wanted: &Value) -> bool {
    if let Some(range) = wanted.as_object() {
        let Some(x) = actual.as_f64() else {
            return false;
        };
        let bound = |key| range.get(key).and_then(number);
        return bound("min").is_none_or(|min| x >= min) && bound("max").is_none_or(|max| x <= max);
    }
    match (actual.as_f64(), number(wanted)) {
        (Some(x), Some(y)) => x == y,
        _ => {
            let wanted = text(wanted);
            if wanted.contains(['*', '%']) {
                wildcard(&wanted, &text(actual))
            } else {
                text(actual).eq_ignore_ascii_case(&wanted)
            }
        }
    }
}

/// A JSON number, or a string holding one.
fn number(value: &Value) -> Option<f64> {
    value
        .as_f64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Case-insensitive match where `*` and `%` stand for any run of characters.
fn wildcard(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let text: Vec<char> = text.to_lowercase().chars().collect();
    // matched[j]: pattern so far matches text[..j].
    let mut matched = vec![false; text.len() + 1];
    matched[0] = true;
    for &p in &pattern {
        let mut next = vec![false; text.len() + 1];
        if p == '*' || p == '%' {
            let mut any = false;
            for j in 0..=text.len() {
                any |= matched[j];
                next[j] = any;
            }
        } else {
            for j in 1..=text.len() {
                next[j] = matched[j - 1] && text[j - 1] == p;
            }
        }
        matched = next;
    }
    matched[text.len()]
}

/// Angular distance in degrees (haversine, exact for small angles).
pub(crate) fn separation(ra1: f64, dec1: f64, ra2: f64, dec2: f64) -> f64 {
    let (d1, d2) = (dec1.to_radians(), dec2.to_radians());
    let half_ddec = (d2 - d1) / 2.0;
    let half_dra = (ra2 - ra1).to_radians() / 2.0;
    let h = half_ddec.sin().powi(2) + d1.cos() * d2.cos() * half_dra.sin().powi(2);
    (2.0 * h.sqrt().min(1.0).asin()).to_degrees()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_any_run() {
        assert!(wildcard("NGC%", "ngc1300"));
        assert!(wildcard("*13*", "NGC1300"));
        assert!(!wildcard("M1%1", "M101-OUTER"));
        assert!(wildcard(
            "ieq30_010".replace('_', "%").as_str(),
            "ieq302010"
        ));
    }

    #[test]
    fn separation_is_angular() {
        assert!((separation(0.0, 0.0, 1.0, 0.0) - 1.0).abs() < 1e-9);
        // One degree of RA at Dec 60 is half a degree on the sky.
        assert!((separation(10.0, 60.0, 11.0, 60.0) - 0.49995).abs() < 1e-3);
        assert!((separation(359.9, 0.0, 0.1, 0.0) - 0.2).abs() < 1e-9);
    }
}
