#!/usr/bin/env bash
# Renders the app's PNG icons from icons/icon.svg, the one source of the artwork. Run it after
# changing the SVG, and commit the PNGs (the build does not need rsvg-convert).
#
# NxN.png, one per size the hicolor theme lists for apps, are what the Linux packages install:
# Tauri's bundler reads each PNG's pixel size and puts it at /usr/share/icons/hicolor/NxN/apps/.
# 128x128@2x.png is for macOS only and is left out of tauri.conf.json's bundle.icon on purpose:
# the bundler would install its 256 pixels under 256x256@2 (a directory for 512-pixel images),
# and 256x256.png already serves a 128-pixel icon at scale 2.
# icon.ico, icon.icns and the Square*Logo files (Windows and macOS) are not made here.
set -euo pipefail
cd "$(dirname "$0")/../icons"
command -v rsvg-convert >/dev/null || { echo "rsvg-convert is missing: apt-get install librsvg2-bin" >&2; exit 1; }

render() { rsvg-convert --width "$1" --height "$1" --keep-aspect-ratio icon.svg --output "$2"; }
for size in 16 24 32 48 64 128 256 512; do
  render "$size" "${size}x${size}.png"
done
render 256 128x128@2x.png
render 512 icon.png
echo "rendered from icon.svg: 16x16 … 512x512.png, 128x128@2x.png, icon.png"
