//! One cutout's image geometry, shared by all the FITS and PNG files made for that position.

use crate::scene::Scene;

/// DES coadd pixel scale in arcseconds.
pub(crate) const PIXEL_SCALE_ARCSEC: f64 = 0.263;

/// Where a cutout is and how big it is; `seed` fixes its sources and noise.
#[derive(Debug)]
pub(crate) struct Stamp {
    pub(crate) name: String,
    pub(crate) tile: String,
    pub(crate) ra: f64,
    pub(crate) dec: f64,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) seed: u64,
}

impl Stamp {
    pub(crate) fn scene(&self) -> Scene {
        Scene::new(self.seed, self.width, self.height)
    }
}

/// Pixels across a cutout of `arcmin` arcminutes, as the cutout worker computes it.
pub(crate) fn pixels_for(arcmin: f64) -> u32 {
    (arcmin * 60.0 / PIXEL_SCALE_ARCSEC) as u32
}
