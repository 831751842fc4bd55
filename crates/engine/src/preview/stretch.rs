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
