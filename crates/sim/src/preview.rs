//! Colour PNG and JPEG previews of a cutout with a STIFF-like power-law stretch or a Lupton asinh stretch.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use crate::scene::Band;
use crate::stamp::Stamp;

/// The two colour-image kinds the cutout service makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stretch {
    /// STIFF: per-channel levels from the image percentiles and a 2.2 gamma (grey, noisy sky).
    Stiff,
    /// Lupton et al. asinh on total intensity (black sky, saturated colours).
    Lupton,
}

impl Stretch {
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Stretch::Stiff => "stiff",
            Stretch::Lupton => "lupton",
        }
    }
}

/// The exact size of the PNG `encode` makes for this geometry.
///
/// Images are stored uncompressed and unfiltered, so the size depends only on width and height;
/// it is measured once per geometry by encoding a black image.
pub(crate) fn file_len(width: u32, height: u32) -> u64 {
    static SIZES: OnceLock<Mutex<HashMap<(u32, u32), u64>>> = OnceLock::new();
    let sizes = SIZES.get_or_init(Default::default);
    let mut sizes = sizes.lock().expect("png size cache poisoned");
    *sizes.entry((width, height)).or_insert_with(|| {
        let black = vec![0; width as usize * height as usize * 3];
        png(&black, width, height).len() as u64
    })
}

/// The RGB preview of a cutout as PNG; `colors` are the bands shown as red, green and blue.
pub(crate) fn encode(stamp: &Stamp, colors: [Band; 3], stretch: Stretch) -> Vec<u8> {
    png(&rgb(stamp, colors, stretch), stamp.width, stamp.height)
}

/// The same preview as a baseline JPEG (quality 85), as archive preview services make them.
pub(crate) fn jpeg(stamp: &Stamp, colors: [Band; 3], stretch: Stretch) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .write_image(
            &rgb(stamp, colors, stretch),
            stamp.width,
            stamp.height,
            ExtendedColorType::Rgb8,
        )
        .expect("encoding an in-memory RGB8 JPEG cannot fail");
    out
}

fn rgb(stamp: &Stamp, colors: [Band; 3], stretch: Stretch) -> Vec<u8> {
    let scene = stamp.scene();
    let channels = colors.map(|band| scene.render(band));
    match stretch {
        Stretch::Stiff => stiff(&channels),
        Stretch::Lupton => lupton(&channels),
    }
}

fn png(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new_with_quality(
        &mut out,
        CompressionType::Uncompressed,
        FilterType::NoFilter,
    )
    .write_image(rgb, width, height, ExtendedColorType::Rgb8)
    .expect("encoding an in-memory RGB8 PNG cannot fail");
    out
}

fn stiff(channels: &[Vec<f32>; 3]) -> Vec<u8> {
    let levels = channels
        .each_ref()
        .map(|c| (percentile(c, 0.02), percentile(c, 0.998)));
    interleave(channels, |channel, value| {
        let (low, high) = levels[channel];
        let scaled = ((value - low) / (high - low).max(1e-6)).clamp(0.0, 1.0);
        scaled.powf(1.0 / 2.2)
    })
}

fn lupton(channels: &[Vec<f32>; 3]) -> Vec<u8> {
    const MINIMUM: f32 = 1.0;
    const STRETCH: f32 = 50.0;
    const Q: f32 = 10.0;
    let mut rgb = Vec::with_capacity(channels[0].len() * 3);
    for ((&r, &g), &b) in channels[0].iter().zip(&channels[1]).zip(&channels[2]) {
        let values = [r, g, b].map(|v| (v - MINIMUM).max(0.0));
        let intensity = (values[0] + values[1] + values[2]) / 3.0;
        let factor = if intensity > 0.0 {
            (Q * intensity / STRETCH).asinh() / (Q.asinh() * intensity)
        } else {
            0.0
        };
        let scaled = values.map(|v| v * factor);
        let brightest = scaled[0].max(scaled[1]).max(scaled[2]).max(1.0);
        rgb.extend(scaled.map(|v| to_byte(v / brightest)));
    }
    rgb
}

/// Applies `map(channel, value) -> 0..=1` to every pixel and interleaves the channels as RGB8.
fn interleave(channels: &[Vec<f32>; 3], map: impl Fn(usize, f32) -> f32) -> Vec<u8> {
    (0..channels[0].len())
        .flat_map(|i| [0, 1, 2].map(|c| to_byte(map(c, channels[c][i]))))
        .collect()
}

fn to_byte(unit: f32) -> u8 {
    (unit.clamp(0.0, 1.0) * 255.0).round() as u8
}

fn percentile(values: &[f32], fraction: f64) -> f32 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f32::total_cmp);
    sorted[((sorted.len() - 1) as f64 * fraction) as usize]
}
