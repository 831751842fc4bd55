"""Compares `jobfetch thumb` FITS thumbnails with astropy + Pillow rendering the same image.

For each FITS file in FITS_DIR, the thumbnail THUMB_DIR/<file name>.png must exist exactly when
astropy finds an image in it; the file is opened with astropy: the first HDU with a 2-D (or more) non-empty image is taken, its first plane,
BSCALE/BZERO applied, BLANK and NaN as background; limits from ZScaleInterval, linear stretch,
row 1 at the bottom (np.flipud), then area-averaged by Pillow to the thumbnail's size. Prints
the mean and largest absolute grey-level difference per file. See README.md here.

usage: python3 check.py FITS_DIR THUMB_DIR [--max-mean 3]
"""
import argparse
import pathlib
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.visualization import ZScaleInterval
from PIL import Image

warnings.simplefilter("ignore")

# What counts as a FITS file in FITS_DIR (CFITSIO's test outputs end in .std).
FITS_SUFFIXES = {".fits", ".fit", ".fz", ".std"}


def first_image(path):
    """The first plane of the first >= 2-D image, as float64 with NaN for blanks, and its HDU index."""
    with fits.open(path) as hdul, fits.open(path, do_not_scale_image_data=True) as raw:
        for index, hdu in enumerate(hdul):
            if not isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
                continue
            if isinstance(hdu, fits.GroupsHDU) or hdu.data is None:
                continue
            if hdu.data.ndim < 2 or 0 in hdu.data.shape:
                continue
            plane = (0,) * (hdu.data.ndim - 2)
            data = np.array(hdu.data[plane], dtype=np.float64)
            stored = raw[index].data[plane]
            blank = raw[index].header.get("BLANK")
            if blank is not None and np.issubdtype(stored.dtype, np.integer):
                data[stored == blank] = np.nan
            data[~np.isfinite(data)] = np.nan
            return index, data
    return None, None


def astropy_thumbnail(data, size):
    finite = data[np.isfinite(data)]
    if finite.size:
        lo, hi = ZScaleInterval().get_limits(finite)
    else:
        lo, hi = 0.0, 1.0
    span = hi - lo
    scaled = (data - lo) / span if span > 0 else np.zeros_like(data)
    valid = np.isfinite(scaled)
    values = np.flipud(np.where(valid, scaled, 0.0)).astype(np.float32)
    weights = np.flipud(valid).astype(np.float32)
    if values.shape[::-1] != size:
        # Area averaging that skips blanks, of the values before clipping: what the engine does
        # (for a linear stretch the same as stretching first, up to the clipping at the limits).
        shrink = lambda a: np.asarray(Image.fromarray(a, mode="F").resize(size, Image.Resampling.BOX))
        values, weights = shrink(values), shrink(weights)
        values = np.divide(values, weights, out=np.zeros_like(values), where=weights > 0)
    grey = np.where(weights > 0, np.clip(values, 0, 1), 0.0)
    return np.round(grey * 255).astype(np.uint8)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fits_dir", type=pathlib.Path)
    parser.add_argument("thumb_dir", type=pathlib.Path)
    parser.add_argument("--max-mean", type=float, default=3.0)
    args = parser.parse_args()
    failures = 0
    print(f"{'file':32} {'hdu':>3} {'size':>9} {'mean':>6} {'max':>4}")
    sources = sorted(p for p in args.fits_dir.iterdir() if p.suffix in FITS_SUFFIXES)
    for source in sources:
        png = args.thumb_dir / (source.name + ".png")
        index, data = first_image(source)
        if data is None:
            if png.exists():
                print(f"{source.name:32}  a thumbnail, but astropy finds no 2-D image  <-- differs")
                failures += 1
            continue
        if not png.exists():
            print(f"{source.name:32} {index:>3}  no thumbnail, but astropy shows an image  <-- missing")
            failures += 1
            continue
        thumb = np.asarray(Image.open(png).convert("L"))
        expected = astropy_thumbnail(data, (thumb.shape[1], thumb.shape[0]))
        diff = np.abs(thumb.astype(int) - expected.astype(int))
        mean, worst = diff.mean(), diff.max()
        flag = "" if mean <= args.max_mean else "  <-- differs"
        failures += bool(flag)
        size = f"{thumb.shape[1]}x{thumb.shape[0]}"
        print(f"{source.name:32} {index:>3} {size:>9} {mean:6.2f} {worst:>4}{flag}")
    print(f"check: {len(sources)} FITS files, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
