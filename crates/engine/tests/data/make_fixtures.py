"""Makes the tile-compressed FITS fixtures of tests/preview.rs; see README.md here."""
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
    subprocess.run(["fpack", flag, "-q0", "4", "-O", f"ramp_{name}.fits.fz", "ramp.fits"], check=True)
# The same ramp in 16 x 16 tiles, to check that tiles are put back in place.
subprocess.run(["fpack", "-r", "-q0", "4", "-t", "16,16", "-O", "ramp_rice_tiles.fits.fz", "ramp.fits"], check=True)
