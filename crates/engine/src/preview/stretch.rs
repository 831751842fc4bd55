//! From data values to grey levels: display limits (zscale, min/max, percentile) and linear or asinh stretches.

use super::{Limits, Stretch};

/// astropy's `ZScaleInterval` defaults (from IRAF's `zscale`).
const ZSCALE_SAMPLES: usize = 1000;
const ZSCALE_CONTRAST: f64 = 0.25;
const ZSCALE_MAX_REJECT: f64 = 0.5;
const ZSCALE_MIN_NPIXELS: usize = 5;
const ZSCALE_KREJ: f64 = 2.5;
const ZSCALE_MAX_ITERATIONS: usize = 5;
/// astropy's `AsinhStretch` default: where the stretch turns from linear to logarithmic.
const ASINH_A: f32 = 0.1;

/// The data values drawn black and white, from the finite values only; `None` when there are none.
pub(crate) fn limits(values: &[f32], limits: Limits) -> Option<(f64, f64)> {
    match limits {
        Limits::Zscale => zscale(values),
        Limits::MinMax => finite(values).fold(None, |range, v| {
            let v = f64::from(v);
            Some(range.map_or((v, v), |(lo, hi): (f64, f64)| (lo.min(v), hi.max(v))))
        }),
        Limits::Percentile(percent) => {
            let mut sorted: Vec<f32> = finite(values).collect();
            let lower = (100.0 - f64::from(percent)) / 2.0;
            Some((
                percentile(&mut sorted, lower)?,
                percentile(&mut sorted, 100.0 - lower)?,
            ))
        }
    }
}

/// Grey levels for `values` (rows of `width`, FITS order: bottom row first), drawn top row
/// first. Values outside the limits are clipped; NaN, ±inf and BLANK are black.
pub(crate) fn grey(
    values: &[f32],
    width: usize,
    (lo, hi): (f64, f64),
    stretch: Stretch,
) -> Vec<u8> {
    let (lo, span) = (lo as f32, (hi - lo) as f32);
    let asinh_scale = 1.0 / (1.0 / ASINH_A).asinh();
    let level = |v: f32| -> u8 {
        if !v.is_finite() || span <= 0.0 {
            return 0;
        }
        let x = ((v - lo) / span).clamp(0.0, 1.0);
        let y = match stretch {
            Stretch::Linear => x,
            Stretch::Asinh => (x / ASINH_A).asinh() * asinh_scale,
        };
        (y * 255.0).round() as u8
    };
    let mut out = Vec::with_capacity(values.len());
    for row in values.chunks_exact(width.max(1)).rev() {
        out.extend(row.iter().map(|&v| level(v)));
    }
    out
}

fn finite(values: &[f32]) -> impl Iterator<Item = f32> + '_ {
    values.iter().copied().filter(|v| v.is_finite())
}

/// numpy's default (linear) percentile of `values`, reordering them.
fn percentile(values: &mut [f32], percent: f64) -> Option<f64> {
    let last = values.len().checked_sub(1)?;
    let position = percent / 100.0 * last as f64;
    let below = (position.floor() as usize).min(last);
    let fraction = position - below as f64;
    let (_, &mut low, above) = values.select_nth_unstable_by(below, f32::total_cmp);
    let high = above.iter().copied().min_by(f32::total_cmp).unwrap_or(low);
    Some(f64::from(low) + fraction * (f64::from(high) - f64::from(low)))
}

/// IRAF/DS9 zscale, step for step as astropy's `ZScaleInterval.get_limits`: up to 1000 finite
/// values taken at an even stride, sorted; a line fitted to them with k-sigma rejection (the
/// rejected set grown by 1% of the samples each round); limits = median ∓ slope/contrast
/// around the centre sample, never beyond the sampled extremes.
fn zscale(values: &[f32]) -> Option<(f64, f64)> {
    let count = finite(values).count();
    if count == 0 {
        return None;
    }
    let stride = (count as f64 / ZSCALE_SAMPLES as f64).max(1.0) as usize;
    let mut samples: Vec<f64> = finite(values)
        .step_by(stride)
        .take(ZSCALE_SAMPLES)
        .map(f64::from)
        .collect();
    samples.sort_by(f64::total_cmp);
    let npix = samples.len();
    let (mut vmin, mut vmax) = (samples[0], samples[npix - 1]);

    let min_pixels = ZSCALE_MIN_NPIXELS.max((npix as f64 * ZSCALE_MAX_REJECT) as usize);
    let grow = 1.max((npix as f64 * 0.01) as usize);
    let mut bad = vec![false; npix];
    let mut good = npix;
    let mut last_good = npix + 1;
    let mut slope = 0.0;
    for _ in 0..ZSCALE_MAX_ITERATIONS {
        if good >= last_good || good < min_pixels {
            break;
        }
        let (intercept, fitted_slope) = fit_line(&samples, &bad);
        slope = fitted_slope;
        let residual = |i: usize| samples[i] - (intercept + slope * i as f64);
        let threshold = ZSCALE_KREJ * std_dev((0..npix).filter(|&i| !bad[i]).map(residual));
        for (i, flag) in bad.iter_mut().enumerate() {
            if residual(i).abs() > threshold {
                *flag = true;
            }
        }
        bad = grow_mask(&bad, grow);
        last_good = good;
        good = bad.iter().filter(|&&b| !b).count();
    }
    if good >= min_pixels {
        let slope = slope / ZSCALE_CONTRAST;
        let center = ((npix - 1) / 2) as f64;
        let median = if npix % 2 == 1 {
            samples[npix / 2]
        } else {
            (samples[npix / 2 - 1] + samples[npix / 2]) / 2.0
        };
        vmin = vmin.max(median - (center - 1.0) * slope);
        vmax = vmax.min(median + (npix as f64 - center) * slope);
    }
    Some((vmin, vmax))
}

/// Least-squares line `(intercept, slope)` through `(i, samples[i])` for the samples not `bad`.
fn fit_line(samples: &[f64], bad: &[bool]) -> (f64, f64) {
    let good = || {
        samples
            .iter()
            .enumerate()
            .filter(|(i, _)| !bad[*i])
            .map(|(i, &y)| (i as f64, y))
    };
    let n = good().count() as f64;
    let (mean_x, mean_y) = good().fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x / n, sy + y / n));
    let (sxy, sxx) = good().fold((0.0, 0.0), |(sxy, sxx), (x, y)| {
        (
            sxy + (x - mean_x) * (y - mean_y),
            sxx + (x - mean_x) * (x - mean_x),
        )
    });
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (mean_y - slope * mean_x, slope)
}

/// Population standard deviation (numpy's `std`).
fn std_dev(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = values.clone().count() as f64;
    let mean = values.clone().sum::<f64>() / n;
    (values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt()
}

/// `np.convolve(mask, np.ones(width), mode="same")` as a mask: each flagged sample also flags
/// its neighbours within the kernel window.
fn grow_mask(mask: &[bool], width: usize) -> Vec<bool> {
    let behind = (width - 1) / 2;
    let mut flagged_before = Vec::with_capacity(mask.len() + 1);
    flagged_before.push(0usize);
    for &flag in mask {
        flagged_before.push(flagged_before.last().copied().unwrap_or(0) + usize::from(flag));
    }
    (0..mask.len())
        .map(|i| {
            let end = (i + behind + 1).min(mask.len());
            let start = (i + behind + 1).saturating_sub(width).min(end);
            flagged_before[end] > flagged_before[start]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 150 × 100 values with a pattern, high and low outliers and NaN; the expected limits were
    /// computed once with astropy 8.0.2 on the same float32 array:
    /// `i = np.arange(15000); v = ((i*7919) % 1009).astype(np.float32) * np.float32(0.1) + (i % 150).astype(np.float32) * np.float32(0.01)`,
    /// `v[i % 97 == 0] = 5000; v[i % 89 == 0] = -3000; v[i % 1013 == 0] = np.nan`, then
    /// `ZScaleInterval().get_limits(v)` and `PercentileInterval(90).get_limits(v)`.
    fn astropy_test_array() -> Vec<f32> {
        (0..15000usize)
            .map(|i| {
                if i % 1013 == 0 {
                    f32::NAN
                } else if i % 89 == 0 {
                    -3000.0
                } else if i % 97 == 0 {
                    5000.0
                } else {
                    ((i * 7919) % 1009) as f32 * 0.1 + (i % 150) as f32 * 0.01
                }
            })
            .collect()
    }

    fn assert_close(actual: (f64, f64), expected: (f64, f64), tolerance: f64) {
        assert!(
            (actual.0 - expected.0).abs() < tolerance && (actual.1 - expected.1).abs() < tolerance,
            "{actual:?} != {expected:?}"
        );
    }

    #[test]
    fn zscale_matches_astropy() {
        let limits = limits(&astropy_test_array(), Limits::Zscale).unwrap();
        assert_close(limits, (-156.26157039406058, 257.13300041443614), 1e-3);
    }

    #[test]
    fn percentile_matches_astropy() {
        let values = astropy_test_array();
        assert_close(
            limits(&values, Limits::Percentile(90.0)).unwrap(),
            (4.702000236511231, 97.51600341796873),
            1e-4,
        );
        assert_close(
            limits(&values, Limits::Percentile(99.5)).unwrap(),
            (-3000.0, 5000.0),
            1e-9,
        );
    }

    #[test]
    fn zscale_of_few_values_is_their_range() {
        let ramp: Vec<f32> = (0..12).map(|v| v as f32).collect();
        assert_eq!(limits(&ramp, Limits::Zscale), Some((0.0, 11.0)));
        assert_eq!(limits(&[f32::NAN, f32::INFINITY], Limits::Zscale), None);
    }

    #[test]
    fn minmax_ignores_non_finite_values() {
        let values = [3.0, f32::NAN, -2.0, f32::NEG_INFINITY, 7.5];
        assert_eq!(limits(&values, Limits::MinMax), Some((-2.0, 7.5)));
    }

    #[test]
    fn asinh_brightens_faint_values_and_keeps_the_ends() {
        let values = [0.0, 0.1, 1.0, f32::NAN];
        let grey = grey(&values, 4, (0.0, 1.0), Stretch::Asinh);
        // asinh(1) / asinh(10) * 255 = 75.0
        assert_eq!(grey, vec![0, 75, 255, 0]);
    }

    #[test]
    fn grown_mask_matches_numpy_same_convolution() {
        let mut mask = vec![false; 12];
        mask[5] = true;
        let flagged = |width| -> Vec<usize> {
            grow_mask(&mask, width)
                .iter()
                .enumerate()
                .filter(|(_, &b)| b)
                .map(|(i, _)| i)
                .collect()
        };
        // np.convolve(mask, np.ones(n, bool), mode="same") for n = 1, 2, 4, 5
        assert_eq!(flagged(1), vec![5]);
        assert_eq!(flagged(2), vec![5, 6]);
        assert_eq!(flagged(4), vec![4, 5, 6, 7]);
        assert_eq!(flagged(5), vec![3, 4, 5, 6, 7]);
    }
}
