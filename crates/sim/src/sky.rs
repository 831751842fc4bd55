//! Sky coordinates: DES sexagesimal position names, coadd tile names and positions scattered on tiles.

use crate::rng::Rng;

/// Splits a non-negative angle into whole units, whole sixtieths and rounded seconds, like the
/// cutout worker's `_DecConverter` (seconds rounded to 4 decimals).
fn sexagesimal(value: f64) -> (u32, u32, f64) {
    let whole = value.trunc();
    let minutes_f = (value - whole) * 60.0;
    let minutes = minutes_f.trunc();
    let seconds = ((minutes_f - minutes) * 60.0 * 10_000.0).round() / 10_000.0;
    (whole as u32, minutes as u32, seconds)
}

/// The cutout worker's position name: `DESJ` + `HHMMSS.SSSS` + sign + `DDMMSS.SSSS`.
pub(crate) fn position_name(ra: f64, dec: f64) -> String {
    let (h, m, s) = sexagesimal(ra / 15.0);
    let (d, dm, ds) = sexagesimal(dec.abs());
    let sign = if dec < 0.0 { '-' } else { '+' };
    format!("DESJ{h:02}{m:02}{s:07.4}{sign}{d:02}{dm:02}{ds:07.4}")
}

/// A DES coadd tile: its name encodes the centre as `DESHHMM±DDMM`.
#[derive(Clone, Debug)]
pub(crate) struct Tile {
    pub(crate) name: String,
    pub(crate) ra: f64,
    pub(crate) dec: f64,
}

impl Tile {
    pub(crate) fn centred_at(ra: f64, dec: f64) -> Tile {
        // Tile centres sit on whole minutes; round so float error cannot drop a minute.
        let ra_minutes = (ra / 15.0 * 60.0).round() as u32;
        let dec_arcmin = (dec.abs() * 60.0).round() as u32;
        let sign = if dec < 0.0 { '-' } else { '+' };
        let name = format!(
            "DES{:02}{:02}{sign}{:02}{:02}",
            ra_minutes / 60,
            ra_minutes % 60,
            dec_arcmin / 60,
            dec_arcmin % 60
        );
        Tile { name, ra, dec }
    }

    /// A tile somewhere in the DES wide-survey footprint.
    pub(crate) fn random(rng: &mut Rng) -> Tile {
        let ra = (rng.range(-60.0, 100.0) + 360.0) % 360.0;
        let dec = rng.range(-64.0, 2.0);
        // Snap to whole minutes so the name describes the centre exactly.
        let ra = (ra * 4.0).trunc() / 4.0;
        let dec = (dec * 60.0).trunc() / 60.0;
        Tile::centred_at(ra, dec)
    }

    /// A random position inside this tile (DES tiles are 0.73° on a side).
    pub(crate) fn random_position(&self, rng: &mut Rng) -> (f64, f64) {
        let dec = self.dec + rng.range(-0.35, 0.35);
        let ra = self.ra + rng.range(-0.35, 0.35) / dec.to_radians().cos();
        (round6(ra.rem_euclid(360.0)), round6(dec))
    }
}

/// Positions are submitted with six decimals.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_cutout_worker() {
        assert_eq!(
            position_name(36.6684, -15.68889),
            "DESJ022640.4160-154120.0040"
        );
        assert_eq!(
            position_name(46.295669, -34.256),
            "DESJ030510.9606-341521.6000"
        );
        assert_eq!(
            position_name(21.588130, 3.486110),
            "DESJ012621.1512+032909.9960"
        );
        assert_eq!(
            Tile::centred_at(36.5, -15.0 - 41.0 / 60.0).name,
            "DES0226-1541"
        );
    }
}
