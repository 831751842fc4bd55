//! Satellite scenes over real places: a generated landscape as GeoTIFF (EPSG:4326) and its quicklooks as JPEG and PNG.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};

use crate::rng::Rng;

/// A real place scenes are taken over.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    pub(crate) name: &'static str,
    /// Longitude and latitude of its centre, degrees.
    pub(crate) lon: f64,
    pub(crate) lat: f64,
    /// Fraction of the land around it that is water (coast, rivers, lakes).
    wet: f64,
}

pub(crate) const PLACES: [Place; 12] = [
    place("Berlin", 13.4050, 52.5200, 0.18),
    place("Nairobi", 36.8219, -1.2921, 0.05),
    place("Lima", -77.0428, -12.0464, 0.35),
    place("Rotterdam", 4.4792, 51.9225, 0.40),
    place("Cape Town", 18.4241, -33.9249, 0.40),
    place("Jakarta", 106.8456, -6.2088, 0.35),
    place("São Paulo", -46.6333, -23.5505, 0.12),
    place("Hamburg", 9.9937, 53.5511, 0.30),
    place("Mumbai", 72.8777, 19.0760, 0.42),
    place("Reykjavík", -21.8174, 64.1265, 0.45),
    place("Valencia", -0.3763, 39.4699, 0.38),
    place("Can Tho", 105.7469, 10.0452, 0.30),
];

const fn place(name: &'static str, lon: f64, lat: f64, wet: f64) -> Place {
    Place {
        name,
        lon,
        lat,
        wet,
    }
}

/// Width and height of every scene, in pixels.
pub(crate) const SCENE_PX: u32 = 160;

/// What a scene's raster holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Product {
    /// True colour, 3 × 8 bits.
    Rgb,
    /// A vegetation index as one 8-bit band.
    Ndvi,
}

/// One image over a rectangle of the Earth, `[west, south, east, north]` in degrees.
#[derive(Debug, Clone)]
pub(crate) struct Scene {
    pub(crate) place: Place,
    pub(crate) bbox: [f64; 4],
    /// Fraction of the scene under cloud.
    pub(crate) cloud: f64,
    /// Keys the clouds, so two takes of one place differ.
    pub(crate) take: u64,
}

impl Scene {
    /// A scene near `place`, placed and sized by `rng` (1.5–4 km across, square on the ground).
    pub(crate) fn near(place: Place, rng: &mut Rng) -> Scene {
        let height = rng.range(0.014, 0.036);
        let width = height / place.lat.to_radians().cos();
        let lon = place.lon + rng.range(-0.03, 0.03);
        let lat = place.lat + rng.range(-0.03, 0.03);
        let cloud = if rng.unit() < 0.5 {
            0.0
        } else {
            rng.range(0.02, 0.3)
        };
        Scene {
            place,
            bbox: [
                round6(lon - width / 2.0),
                round6(lat - height / 2.0),
                round6(lon + width / 2.0),
                round6(lat + height / 2.0),
            ],
            cloud,
            take: rng.next_u64(),
        }
    }

    /// The footprint as a closed GeoJSON ring, counter-clockwise.
    pub(crate) fn ring(&self) -> Vec<[f64; 2]> {
        let [w, s, e, n] = self.bbox;
        vec![[w, s], [e, s], [e, n], [w, n], [w, s]]
    }

    /// Pixels as RGB8, top row first.
    fn rgb(&self) -> Vec<u8> {
        let [w, s, e, n] = self.bbox;
        let size = SCENE_PX as usize;
        let mut out = Vec::with_capacity(size * size * 3);
        let landscape = Landscape::of(self.place);
        for row in 0..size {
            let lat = n - (row as f64 + 0.5) / size as f64 * (n - s);
            for col in 0..size {
                let lon = w + (col as f64 + 0.5) / size as f64 * (e - w);
                let ground = landscape.colour(lon, lat);
                let cover = cloud_cover(self.take, self.cloud, col as f64, row as f64);
                out.extend(ground.map(|c| (c * (1.0 - cover) + 245.0 * cover).round() as u8));
            }
        }
        out
    }

    /// The raster, one byte per sample: 3 per pixel for [`Product::Rgb`], 1 for [`Product::Ndvi`].
    fn samples(&self, product: Product) -> Vec<u8> {
        let rgb = self.rgb();
        match product {
            Product::Rgb => rgb,
            Product::Ndvi => rgb
                .chunks_exact(3)
                .map(|px| {
                    let (r, g) = (f64::from(px[0]), f64::from(px[1]));
                    // Green stands in for near infrared.
                    let index = (g - r) / (g + r + 1.0);
                    ((index + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8
                })
                .collect(),
        }
    }

    /// The scene as an uncompressed GeoTIFF in EPSG:4326.
    pub(crate) fn geotiff(&self, product: Product) -> Vec<u8> {
        let spp: u16 = match product {
            Product::Rgb => 3,
            Product::Ndvi => 1,
        };
        geotiff(&self.samples(product), SCENE_PX, spp, self.bbox)
    }

    /// The quicklook UP42 serves for a data block's scene: a JPEG of the true-colour scene.
    pub(crate) fn quicklook_jpeg(&self) -> Vec<u8> {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 80)
            .write_image(&self.rgb(), SCENE_PX, SCENE_PX, ExtendedColorType::Rgb8)
            .expect("encoding an in-memory RGB8 JPEG cannot fail");
        out
    }

    /// The thumbnail asset of a STAC item: the same view as PNG.
    pub(crate) fn thumbnail_png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        PngEncoder::new(&mut out)
            .write_image(&self.rgb(), SCENE_PX, SCENE_PX, ExtendedColorType::Rgb8)
            .expect("encoding an in-memory RGB8 PNG cannot fail");
        out
    }
}

fn round6(degrees: f64) -> f64 {
    (degrees * 1e6).round() / 1e6
}

/// The ground around one place: the same colours whichever scene looks at it.
struct Landscape {
    place: Place,
    seed: u64,
}

impl Landscape {
    fn of(place: Place) -> Landscape {
        Landscape {
            place,
            seed: Rng::derive(0, place.name).next_u64(),
        }
    }

    fn colour(&self, lon: f64, lat: f64) -> [f64; 3] {
        // About 100 m per unit.
        let (x, y) = (
            lon * 1000.0 * self.place.lat.to_radians().cos(),
            lat * 1000.0,
        );
        let height = fbm(self.seed, x / 12.0, y / 12.0);
        // Value noise clusters around 0.5: the water line for the place's share of water.
        let water_line = 0.5 + (self.place.wet - 0.5) * 0.4;
        if height < water_line {
            let depth = ((water_line - height) * 8.0).min(1.0);
            return [
                20.0 + 30.0 * (1.0 - depth),
                60.0 + 40.0 * (1.0 - depth),
                95.0 + 30.0 * (1.0 - depth),
            ];
        }
        let from_centre = ((lon - self.place.lon).powi(2) + (lat - self.place.lat).powi(2)).sqrt();
        let urban = (-(from_centre / 0.025).powi(2)).exp()
            + 0.8 * (fbm(self.seed ^ 1, x / 6.0, y / 6.0) - 0.5);
        let (cell_x, cell_y) = ((x * 2.5).floor() as i64, (y * 2.5).floor() as i64);
        if urban > 0.5 {
            // Blocks of buildings between streets.
            if cell_x.rem_euclid(4) == 0 || cell_y.rem_euclid(4) == 0 {
                return [105.0, 104.0, 100.0];
            }
            let roof = 120.0 + 80.0 * hash(self.seed, cell_x, cell_y);
            return [roof, roof * 0.92, roof * 0.85];
        }
        // Fields and woods in patches.
        let (field_x, field_y) = ((x / 3.0).floor() as i64, (y / 3.0).floor() as i64);
        let crop = hash(self.seed ^ 2, field_x, field_y);
        let lush = 0.6 + 0.4 * height;
        match (crop * 4.0) as u32 {
            0 => [40.0 * lush, 85.0 * lush, 35.0 * lush],
            1 => [95.0 * lush, 130.0 * lush, 55.0 * lush],
            2 => [150.0 * lush, 135.0 * lush, 85.0 * lush],
            _ => [70.0 * lush, 110.0 * lush, 45.0 * lush],
        }
    }
}

/// How much cloud (0..=1) covers pixel (`x`, `y`) of a take with this cover fraction.
fn cloud_cover(take: u64, fraction: f64, x: f64, y: f64) -> f64 {
    if fraction <= 0.0 {
        return 0.0;
    }
    let density = fbm(take, x / 40.0, y / 40.0);
    ((density - (1.0 - fraction)) * 6.0).clamp(0.0, 0.9)
}

/// A value in 0..1 for integer cell (`x`, `y`).
fn hash(seed: u64, x: i64, y: i64) -> f64 {
    let mut h = seed
        ^ (x as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ (y as u64).wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
    h = (h ^ (h >> 31)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 29)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Smoothly interpolated value noise, 0..1.
fn noise(seed: u64, x: f64, y: f64) -> f64 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
    let (ix, iy) = (x0 as i64, y0 as i64);
    let top = hash(seed, ix, iy) * (1.0 - sx) + hash(seed, ix + 1, iy) * sx;
    let bottom = hash(seed, ix, iy + 1) * (1.0 - sx) + hash(seed, ix + 1, iy + 1) * sx;
    top * (1.0 - sy) + bottom * sy
}

/// Four octaves of value noise, 0..1.
fn fbm(seed: u64, x: f64, y: f64) -> f64 {
    let mut total = 0.0;
    let mut weight = 0.5;
    let mut scale = 1.0;
    for octave in 0..4 {
        total += weight * noise(seed.wrapping_add(octave), x * scale, y * scale);
        weight /= 2.0;
        scale *= 2.0;
    }
    total / 0.9375
}

/// A baseline TIFF of one strip, uncompressed, with the GeoTIFF tags that place its pixels on
/// `bbox` (`[west, south, east, north]`) in WGS 84 longitude/latitude.
fn geotiff(samples: &[u8], size: u32, spp: u16, [west, south, east, north]: [f64; 4]) -> Vec<u8> {
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const DOUBLE: u16 = 12;
    let geo_keys: [u16; 16] = [
        1, 1, 0, 3, // version 1.1.0, 3 keys
        1024, 0, 1, 2, // GTModelType: geographic
        1025, 0, 1, 1, // GTRasterType: pixel is area
        2048, 0, 1, 4326, // GeographicType: WGS 84
    ];
    let scale = [
        (east - west) / f64::from(size),
        (north - south) / f64::from(size),
        0.0,
    ];
    let tiepoint = [0.0, 0.0, 0.0, west, north, 0.0];
    let entries = 13u32;
    let ifd_len = 2 + entries * 12 + 4;
    // Out-of-line values after the IFD, each at an even offset.
    let bits_at = 8 + ifd_len;
    let scale_at = bits_at + 8;
    let tiepoint_at = scale_at + 24;
    let keys_at = tiepoint_at + 48;
    let pixels_at = keys_at + 32;
    let mut out = Vec::with_capacity(pixels_at as usize + samples.len());
    out.extend_from_slice(b"II*\0");
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&(entries as u16).to_le_bytes());
    let mut entry = |tag: u16, kind: u16, count: u32, value: u32| {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    };
    let photometric = if spp == 3 { 2 } else { 1 };
    entry(256, LONG, 1, size);
    entry(257, LONG, 1, size);
    if spp == 3 {
        entry(258, SHORT, 3, bits_at);
    } else {
        entry(258, SHORT, 1, 8);
    }
    entry(259, SHORT, 1, 1);
    entry(262, SHORT, 1, photometric);
    entry(273, LONG, 1, pixels_at);
    entry(277, SHORT, 1, u32::from(spp));
    entry(278, LONG, 1, size);
    entry(279, LONG, 1, samples.len() as u32);
    entry(284, SHORT, 1, 1);
    entry(33550, DOUBLE, 3, scale_at);
    entry(33922, DOUBLE, 6, tiepoint_at);
    entry(34735, SHORT, 16, keys_at);
    out.extend_from_slice(&0u32.to_le_bytes());
    for bits in [8u16, 8, 8, 0] {
        out.extend_from_slice(&bits.to_le_bytes());
    }
    for value in scale.iter().chain(&tiepoint) {
        out.extend_from_slice(&value.to_le_bytes());
    }
    for key in geo_keys {
        out.extend_from_slice(&key.to_le_bytes());
    }
    debug_assert_eq!(out.len(), pixels_at as usize);
    out.extend_from_slice(samples);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenes_decode_as_images_of_their_size() {
        let scene = Scene::near(PLACES[0], &mut Rng::derive(1, "scene"));
        let [w, s, e, n] = scene.bbox;
        assert!(w < PLACES[0].lon + 0.05 && e > PLACES[0].lon - 0.05 && s < n);
        let jpeg = image::load_from_memory(&scene.quicklook_jpeg()).unwrap();
        assert_eq!((jpeg.width(), jpeg.height()), (SCENE_PX, SCENE_PX));
        let png = image::load_from_memory(&scene.thumbnail_png()).unwrap();
        assert_eq!(png.width(), SCENE_PX);
        let tiff = scene.geotiff(Product::Rgb);
        assert_eq!(&tiff[..4], b"II*\0");
        let pixels = (SCENE_PX * SCENE_PX * 3) as usize;
        assert_eq!(
            tiff.len() - pixels,
            u32::from_le_bytes(tiff[8 + 2 + 5 * 12 + 8..][..4].try_into().unwrap()) as usize
        );
        assert_eq!(
            scene.geotiff(Product::Ndvi).len(),
            tiff.len() - 2 * pixels / 3
        );
    }
}
