#!/usr/bin/env python3
"""The Pillow contender of the thumbs case of `make bench`: thumbnails of PNG images the way a Pillow
user writes them, one file after another in one process, each saved as OUT_DIR/<file name>.png.

Usage: thumbs_pillow.py SIZE OUT_DIR FILE...
"""

import os
import sys

from PIL import Image

size, out = int(sys.argv[1]), sys.argv[2]
for path in sys.argv[3:]:
    im = Image.open(path)
    im.thumbnail((size, size))
    im.save(os.path.join(out, os.path.basename(path) + '.png'))
