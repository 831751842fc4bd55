#!/usr/bin/env bash
# Warns, before a build, when the disk holding cargo's target folder is nearly full: a linker that runs
# out of space mid-write dies with "Bus error" or "No space left on device", which names no cause.
# Usage: scripts/check-disk.sh TARGET_DIR [NEEDED_GIB]
set -euo pipefail
target=$1
needed_gib=${2:-6}
# The target folder may not exist yet: look at the nearest folder that does.
place=$target
while [ ! -d "$place" ]; do place=$(dirname "$place"); done
free_kib=$(df -Pk "$place" | awk 'NR == 2 { print $4 }')
if [ "$free_kib" -lt $((needed_gib * 1024 * 1024)) ]; then
	echo "warning: only $((free_kib / 1024)) MiB free on the disk of $target; a build from scratch needs about" \
		"$needed_gib GiB. If the linker fails (Bus error, No space left on device), free some space first" \
		"(an old target folder can go: cargo clean)." >&2
fi
