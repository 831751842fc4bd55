#!/usr/bin/env python3
"""The astropy contender of the thumbs case of `make bench`: thumbnails of FITS images the way an
astropy user writes them, one file after another in one process: the first HDU with an image
(`fits.getdata`), zscale limits (`ZScaleInterval`), a linear stretch to 8 bits with NaN as black, rows
flipped so that the first FITS row is at the bottom (origin lower, as DS9 and `imshow(origin='lower')`
show it), then Pillow's `thumbnail` and PNG `save` as OUT_DIR/<file name>.png.

Usage: thumbs_astropy.py SIZE OUT_DIR FILE...
"""

import os
import sys

import numpy as np
from astropy.io import fits
from astropy.visualization import ZScaleInterval
from PIL import Image

size, out = int(sys.argv[1]), sys.argv[2]
zscale = ZScaleInterval()
for path in sys.argv[3:]:
    data = fits.getdata(path).astype(np.float32)
    low, high = zscale.get_limits(data)
    scaled = np.clip((data - low) / (high - low if high > low else 1.0), 0.0, 1.0)
    grey = np.nan_to_num(scaled * 255.0 + 0.5, nan=0.0).astype(np.uint8)
    im = Image.fromarray(grey[::-1])
    im.thumbnail((size, size))
    im.save(os.path.join(out, os.path.basename(path) + '.png'))
