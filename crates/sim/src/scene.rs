//! Synthetic sky scenes: a target galaxy plus a few stars and galaxies on sky noise, rendered per band.

use crate::rng::Rng;

/// A DES filter band.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Band {
    G,
    R,
    I,
    Z,
    Y,
}

impl Band {
    pub(crate) fn from_letter(letter: char) -> Option<Band> {
        match letter {
            'g' => Some(Band::G),
            'r' => Some(Band::R),
            'i' => Some(Band::I),
            'z' => Some(Band::Z),
            'y' => Some(Band::Y),
            _ => None,
        }
    }

    pub(crate) fn letter(self) -> char {
        match self {
            Band::G => 'g',
            Band::R => 'r',
            Band::I => 'i',
            Band::Z => 'z',
            Band::Y => 'y',
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Parses a colour string such as `"gri"` into bands, skipping unknown letters.
pub(crate) fn bands(letters: &str) -> Vec<Band> {
    letters.chars().filter_map(Band::from_letter).collect()
}

/// One elliptical gaussian source with a flux per band (g, r, i, z, Y).
struct Source {
    x: f64,
    y: f64,
    sigma_major: f64,
    sigma_minor: f64,
    angle: f64,
    peak: [f64; 5],
}

/// The sources seen in one cutout; noise is drawn per band at render time.
pub(crate) struct Scene {
    width: usize,
    height: usize,
    seed: u64,
    sources: Vec<Source>,
}

/// Colours (relative peak per band) of a red galaxy, a blue galaxy and a few kinds of star.
const COLOURS: [[f64; 5]; 5] = [
    [0.35, 0.7, 1.0, 1.15, 1.2],
    [1.0, 0.85, 0.7, 0.6, 0.55],
    [1.0, 0.9, 0.8, 0.75, 0.7],
    [0.5, 0.8, 1.0, 1.1, 1.15],
    [0.2, 0.55, 1.0, 1.4, 1.6],
];

impl Scene {
    /// The scene for the cutout keyed by `seed` (the same for every band and file of that cutout).
    pub(crate) fn new(seed: u64, width: u32, height: u32) -> Scene {
        let (width, height) = (width as usize, height as usize);
        let mut rng = Rng::derive(seed, "scene");
        let (w, h) = (width as f64, height as f64);
        let size = w.min(h);
        // The requested target: a galaxy near the centre.
        let mut sources = vec![Source {
            x: w / 2.0 + rng.range(-1.5, 1.5),
            y: h / 2.0 + rng.range(-1.5, 1.5),
            sigma_major: size * rng.range(0.025, 0.06),
            sigma_minor: size * rng.range(0.012, 0.03),
            angle: rng.range(0.0, std::f64::consts::PI),
            peak: scaled(COLOURS[rng.below(2) as usize], rng.range(40.0, 160.0)),
        }];
        for _ in 0..3 + rng.below(6) {
            let is_star = rng.unit() < 0.6;
            let (major, minor) = if is_star {
                (1.3, 1.3)
            } else {
                let major = size * rng.range(0.01, 0.035);
                (major, major * rng.range(0.3, 0.9))
            };
            let colour = COLOURS[rng.below(COLOURS.len() as u64) as usize];
            sources.push(Source {
                x: rng.range(0.0, w),
                y: rng.range(0.0, h),
                sigma_major: major,
                sigma_minor: minor,
                angle: rng.range(0.0, std::f64::consts::PI),
                peak: scaled(colour, 10.0 * rng.range(0.5, 30.0)),
            });
        }
        Scene {
            width,
            height,
            seed,
            sources,
        }
    }

    /// Sky-subtracted counts for one band, row-major with the top row first; noise sigma is 1.
    pub(crate) fn render(&self, band: Band) -> Vec<f32> {
        let mut rng = Rng::derive(self.seed, &format!("noise-{}", band.letter()));
        let mut pixels: Vec<f32> = (0..self.width * self.height)
            .map(|_| rng.gaussian() as f32)
            .collect();
        for source in &self.sources {
            self.add_source(&mut pixels, source, source.peak[band.index()]);
        }
        pixels
    }

    fn add_source(&self, pixels: &mut [f32], s: &Source, peak: f64) {
        let reach = 4.0 * s.sigma_major;
        let (cos, sin) = (s.angle.cos(), s.angle.sin());
        let x0 = (s.x - reach).floor().max(0.0) as usize;
        let y0 = (s.y - reach).floor().max(0.0) as usize;
        let x1 = ((s.x + reach).ceil() as usize).min(self.width);
        let y1 = ((s.y + reach).ceil() as usize).min(self.height);
        for y in y0..y1 {
            for x in x0..x1 {
                let (dx, dy) = (x as f64 + 0.5 - s.x, y as f64 + 0.5 - s.y);
                let u = (dx * cos + dy * sin) / s.sigma_major;
                let v = (-dx * sin + dy * cos) / s.sigma_minor;
                pixels[y * self.width + x] += (peak * (-0.5 * (u * u + v * v)).exp()) as f32;
            }
        }
    }
}

fn scaled(colour: [f64; 5], peak: f64) -> [f64; 5] {
    colour.map(|c| c * peak)
}
