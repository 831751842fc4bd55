//! Area-averaging (box filter) downscale of floating-point image data, skipping blank pixels.

/// Shrinks a `width` × `height` plane to `new_width` × `new_height`: each output pixel is the
/// mean of the finite input pixels under it, weighted by how much of each one it covers; NaN
/// where all of them are blank.
pub(crate) fn shrink(
    values: &[f32],
    width: usize,
    height: usize,
    new_width: usize,
    new_height: usize,
) -> Vec<f32> {
    let columns = spans(width, new_width);
    let rows = spans(height, new_height);
    let mut out = Vec::with_capacity(new_width * new_height);
    for (row_start, row_weights) in &rows {
        for (column_start, column_weights) in &columns {
            let (mut sum, mut weight) = (0.0f64, 0.0f64);
            for (dy, &wy) in row_weights.iter().enumerate() {
                let line = &values[(row_start + dy) * width + column_start..];
                for (&v, &wx) in line.iter().zip(column_weights) {
                    if v.is_finite() {
                        let w = f64::from(wy * wx);
                        sum += w * f64::from(v);
                        weight += w;
                    }
                }
            }
            out.push(if weight > 0.0 {
                (sum / weight) as f32
            } else {
                f32::NAN
            });
        }
    }
    out
}

/// For each of `to` output cells along an axis of `from` input cells: the first input cell it
/// covers and how much of each covered cell lies inside it.
fn spans(from: usize, to: usize) -> Vec<(usize, Vec<f32>)> {
    let step = from as f64 / to as f64;
    (0..to)
        .map(|i| {
            let (start, end) = (i as f64 * step, ((i + 1) as f64 * step).min(from as f64));
            let first = start.floor() as usize;
            let last = (end.ceil() as usize).clamp(first + 1, from);
            let weights = (first..last)
                .map(|cell| ((cell + 1) as f64).min(end) - (cell as f64).max(start))
                .map(|w| w.max(0.0) as f32)
                .collect();
            (first, weights)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_averages_pairs_and_skips_blanks() {
        let values = [1.0, 3.0, f32::NAN, 8.0, 5.0, 7.0, f32::NAN, f32::NAN];
        assert_eq!(shrink(&values, 4, 2, 2, 1), vec![4.0, 8.0]);
        let blank = [f32::NAN; 4];
        assert!(shrink(&blank, 2, 2, 1, 1)[0].is_nan());
    }

    #[test]
    fn thirds_weight_partly_covered_cells() {
        // 3 cells into 2: the middle one counts half for each side.
        let values = [0.0, 3.0, 6.0];
        let out = shrink(&values, 3, 1, 2, 1);
        assert!((out[0] - 1.0).abs() < 1e-6, "{out:?}");
        assert!((out[1] - 5.0).abs() < 1e-6, "{out:?}");
    }
}
