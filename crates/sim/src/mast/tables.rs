//! The products that are FITS tables, not images, as the missions write them: HST's pointing jitter
//! (`_jit`), processing trailer (`_trl`) and support telemetry (`_spt`), TESS's light curves (`_lc`)
//! and data-validation series (`_dvt`). A gallery shows them as files without a picture.

use bytes::Bytes;

use crate::fits::{self, Column};
use crate::rng::Rng;

/// The table a product with this file-name ending holds, if it is one.
pub(super) fn product(suffix: &str, obs_id: &str, seed: u64) -> Option<Bytes> {
    let mut rng = Rng::derive(seed, &format!("mast-table|{obs_id}|{suffix}"));
    let about = |what: &str| {
        vec![
            fits::keyword("TELESCOP", telescope(suffix), ""),
            fits::keyword("ROOTNAME", obs_id, "observation"),
            fits::keyword("FILETYPE", what, ""),
            fits::keyword("ORIGIN", "jobfetch-sim", "simulated MAST product"),
        ]
    };
    let bytes = match suffix {
        "jit.fits" => fits::table(
            "JIT",
            &about("JITTER"),
            &[
                column("SECONDS", "1E"),
                column("SI_V2_AVG", "1E"),
                column("SI_V3_AVG", "1E"),
            ],
            &(0..120)
                .map(|n| {
                    floats(&[
                        3.0 * n as f32,
                        (0.004 * rng.gaussian()) as f32,
                        (0.004 * rng.gaussian()) as f32,
                    ])
                })
                .collect::<Vec<_>>(),
        ),
        "trl.fits" => fits::table(
            "TRL",
            &about("TRAILER"),
            &[column("TEXT", "132A")],
            &trailer(obs_id)
                .iter()
                .map(|line| format!("{line:<132.132}").into_bytes())
                .collect::<Vec<_>>(),
        ),
        "spt.fits" => fits::table(
            "UDL",
            &about("SUPPORT"),
            &[column("PARAM", "16A"), column("VALUE", "1E")],
            &[
                ("PA_V3", rng.range(0.0, 360.0)),
                ("SUNANGLE", rng.range(50.0, 170.0)),
                ("MOONANGL", rng.range(10.0, 170.0)),
                ("FGSLOCK", 1.0),
                ("GYROMODE", 3.0),
            ]
            .iter()
            .map(|(name, value)| {
                let mut row = format!("{name:<16}").into_bytes();
                row.extend_from_slice(&(*value as f32).to_be_bytes());
                row
            })
            .collect::<Vec<_>>(),
        ),
        "lc.fits" | "dvt.fits" => {
            // Two-minute cadence over 27 days, a 2.3-day planet in transit for 3 hours, depth 0.4%.
            let (period, duration, depth) = (2.3_f64, 0.125_f64, 0.004_f64);
            let rows: Vec<Vec<u8>> = (0..2_000)
                .map(|n| {
                    let time = 1_815.0 + n as f64 * 27.0 / 2_000.0;
                    let phase = (time % period) / period;
                    let in_transit = phase < duration / period;
                    let model = if in_transit { 1.0 - depth } else { 1.0 };
                    let flux = model + 0.0008 * rng.gaussian();
                    let mut row = time.to_be_bytes().to_vec();
                    row.extend(floats(&[(flux * 15_000.0) as f32, flux as f32]));
                    row.extend_from_slice(&0_i32.to_be_bytes());
                    row
                })
                .collect();
            let (extname, flux) = if suffix == "lc.fits" {
                ("LIGHTCURVE", ["SAP_FLUX", "PDCSAP_FLUX"])
            } else {
                ("TCE_1", ["LC_INIT", "MODEL_INIT"])
            };
            fits::table(
                extname,
                &about(extname),
                &[
                    column("TIME", "1D"),
                    column(flux[0], "1E"),
                    column(flux[1], "1E"),
                    column("QUALITY", "1J"),
                ],
                &rows,
            )
        }
        _ => return None,
    };
    Some(Bytes::from(bytes))
}

fn column(name: &'static str, form: &'static str) -> Column {
    Column { name, form }
}

fn floats(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

fn telescope(suffix: &str) -> &'static str {
    match suffix {
        "lc.fits" | "dvt.fits" => "TESS",
        _ => "HST",
    }
}

/// The calwf3 processing log a trailer holds.
fn trailer(obs_id: &str) -> Vec<String> {
    let name = obs_id.to_ascii_lowercase();
    vec![
        "CALBEG*** CALWF3 -- Version 3.7.1 (Apr-10-2024) ***".to_string(),
        "Begin    15-Mar-2024 14:02:11 UTC".to_string(),
        format!("Input    {name}_raw.fits"),
        format!("Output   {name}_flt.fits"),
        "Trying to open UVIS BIASFILE...".to_string(),
        "BIASCORR PERFORM".to_string(),
        "FLATCORR PERFORM".to_string(),
        "PHOTCORR PERFORM".to_string(),
        "DRZBEG*** AstroDrizzle Version 3.6.2 ***".to_string(),
        format!("Output   {name}_drz.fits"),
        "End      15-Mar-2024 14:03:02 UTC".to_string(),
        "*** CALWF3 complete ***".to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of `keyword` in the 2880-byte header block starting at `at`.
    fn card(bytes: &[u8], at: usize, keyword: &str) -> String {
        bytes[at..at + 2880]
            .chunks(80)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .find(|c| c.starts_with(&format!("{keyword:<8}=")))
            .map(|c| c[10..].split('/').next().unwrap().trim().to_string())
            .unwrap_or_default()
    }

    #[test]
    fn table_products_are_an_empty_primary_and_one_binary_table() {
        let jitter = product("jit.fits", "ieq301010", 7).unwrap();
        assert_eq!(jitter.len() % 2880, 0);
        assert_eq!(card(&jitter, 0, "NAXIS"), "0");
        assert_eq!(card(&jitter, 2880, "XTENSION"), "'BINTABLE'");
        assert_eq!(card(&jitter, 2880, "NAXIS1"), "12");
        assert_eq!(card(&jitter, 2880, "NAXIS2"), "120");
        let curve = product("lc.fits", "tess-x", 7).unwrap();
        assert_eq!(card(&curve, 2880, "NAXIS1"), "20");
        assert_eq!(card(&curve, 2880, "EXTNAME"), "'LIGHTCURVE'");
        assert_eq!(
            product("jit.fits", "ieq301010", 7),
            Some(jitter),
            "the same every time"
        );
        assert!(
            product("drz.fits", "ieq301010", 7).is_none(),
            "images are not tables"
        );
    }
}
