//! What a DESaccess output is, from the names its cutout and query jobs give files: FITS per band
//! (`…_r.fits`), STIFF and Lupton colour PNGs (`…_irg_stiff.png`), and job summaries (`…_SUMMARY.json`).

use crate::catalog::{self, OutputKind};

/// Classifies a DESaccess output by its name, falling back to the generic rules.
pub fn classify(name: &str) -> OutputKind {
    let lower = name.to_ascii_lowercase();
    let stem_before = |suffix: &str| lower.strip_suffix(suffix).map(str::to_string);
    if let Some(stem) = [".fits", ".fits.fz", ".fits.gz", ".fit"]
        .iter()
        .find_map(|s| stem_before(s))
    {
        let band = last_token(&stem)
            .filter(|t| t.len() == 1 && "grizyu".contains(*t))
            .map(|t| {
                if t == "y" {
                    "Y".to_string()
                } else {
                    t.to_string()
                }
            });
        return OutputKind::Fits { band };
    }
    for (suffix, stiff) in [("_stiff.png", true), ("_lupton.png", false)] {
        if let Some(stem) = stem_before(suffix) {
            let colors = last_token(&stem).unwrap_or_default().to_string();
            return if stiff {
                OutputKind::StiffPng { colors }
            } else {
                OutputKind::LuptonPng { colors }
            };
        }
    }
    if lower.ends_with("_summary.json") {
        return OutputKind::Summary;
    }
    catalog::classify(name)
}

/// The text after the last `_`, if any.
fn last_token(stem: &str) -> Option<&str> {
    stem.rsplit_once('_').map(|(_, token)| token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_both_desaccess_layouts_by_suffix() {
        assert_eq!(
            classify("DESJ022640.4160-154120.0040_r.fits"),
            OutputKind::Fits {
                band: Some("r".into())
            }
        );
        assert_eq!(
            classify("DESJ012621.1512+032909.9960_Y.fits"),
            OutputKind::Fits {
                band: Some("Y".into())
            }
        );
        assert_eq!(classify("image.fits"), OutputKind::Fits { band: None });
        assert_eq!(
            classify("DESJ022640.4160-154120.0040_irg_stiff.png"),
            OutputKind::StiffPng {
                colors: "irg".into()
            }
        );
        assert_eq!(
            classify("DESJ030510.9606-341521.6000_gri_lupton.png"),
            OutputKind::LuptonPng {
                colors: "gri".into()
            }
        );
        assert_eq!(
            classify("BulkThumbs_20200706-152133_SUMMARY.json"),
            OutputKind::Summary
        );
        assert_eq!(classify("summary.json"), OutputKind::Summary);
        assert_eq!(
            classify("BTL_C39008AA52F54B9E94335B566743AF0C.csv"),
            OutputKind::Csv
        );
    }
}
