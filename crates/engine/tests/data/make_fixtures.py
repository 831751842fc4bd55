"""Makes the tile-compressed FITS fixtures of tests/preview.rs; see README.md here."""
import os
import subprocess
import numpy as np
from astropy.io import fits

# A 64 x 48 float32 ramp (value = column + 100 * row) with mild noise and one NaN.
rng = np.random.default_rng(7)
rows, cols = np.mgrid[0:48, 0:64]
data = (cols + 100.0 * rows + rng.normal(0, 0.5, (48, 64))).astype(np.float32)
data[10, 20] = np.nan
hdu = fits.PrimaryHDU(data)
hdu.header["OBJECT"] = "RAMP"
hdu.header["FILTER"] = "r"
hdu.writeto("ramp.fits", overwrite=True)
for flag, name in [("-r", "rice"), ("-g", "gzip1"), ("-g2", "gzip2"), ("-h", "hcompress")]:
    # -q0 4: quantize at sigma/4 without random dithering, so decoded values are reproducible.
    # fpack will not overwrite its output: delete the .fz files first to make them anew.
    if not os.path.exists(f"ramp_{name}.fits.fz"):
        subprocess.run(["fpack", flag, "-q0", "4", "-O", f"ramp_{name}.fits.fz", "ramp.fits"], check=True)
# The same ramp in 16 x 16 tiles, to check that tiles are put back in place.
if not os.path.exists("ramp_rice_tiles.fits.fz"):
    subprocess.run(["fpack", "-r", "-q0", "4", "-t", "16,16", "-O", "ramp_rice_tiles.fits.fz", "ramp.fits"], check=True)

# Integer images written by astropy (CFITSIO's codecs, lossless for integers): 16-bit RICE_1
# (BYTEPIX = 2), PLIO_1 and HCOMPRESS_1, and 8-bit RICE_1 (BYTEPIX = 1), each with its plain twin.
ints16 = (1 + cols + 100 * rows).astype(np.int16)
ints16[10, 20] = 0
fits.PrimaryHDU(ints16, header=fits.Header([("OBJECT", "RAMP16"), ("BLANK", 0)])).writeto(
    "ramp_i16.fits", overwrite=True)
for cmp, name in [("RICE_1", "rice"), ("PLIO_1", "plio"), ("HCOMPRESS_1", "hcompress")]:
    hdu = fits.CompImageHDU(ints16, compression_type=cmp, tile_shape=(16, 64))
    hdu.header["OBJECT"] = "RAMP16"
    hdu.header["BLANK"] = 0
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(f"ramp_i16_{name}.fits.fz", overwrite=True)
ints8 = ((cols + 4 * rows) % 256).astype(np.uint8)
fits.PrimaryHDU(ints8).writeto("ramp_u8.fits", overwrite=True)
fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(ints8, compression_type="RICE_1")]).writeto(
    "ramp_u8_rice.fits.fz", overwrite=True)
