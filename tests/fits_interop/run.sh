#!/usr/bin/env bash
# `make test-fits`: `jobfetch thumb` on FITS files other software wrote (astropy's test files and
# CFITSIO's testprog outputs), each thumbnail checked against astropy's rendering by check.py.
# Usage: run.sh JOBFETCH_BIN
set -euo pipefail
shopt -s nullglob
here=$(cd "$(dirname "$0")" && pwd)
jobfetch=$1
astropy_data=$(python3 -c 'import astropy, os; print(os.path.join(os.path.dirname(astropy.__file__), "io", "fits", "tests", "data"))')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export JOBFETCH_STATE_DIR="$out/state"  # `thumb` keeps no queue, but no test may use the user's
status=0
for source in "$astropy_data" "$here/cfitsio"; do
  echo "==> jobfetch thumb on $(ls "$source" | grep -cE '\.(fits|fit|fz|std)$') FITS files in $source"
  mkdir -p "$out/$(basename "$source")"
  # Exit 1 only says some files had no preview (tables and the like); check.py judges every file.
  "$jobfetch" thumb "$source"/*.fits "$source"/*.std --out "$out/$(basename "$source")" 2>"$out/stderr" || [ $? -eq 1 ]
  sed 's/^/    /' "$out/stderr"
  python3 "$here/check.py" "$source" "$out/$(basename "$source")" || status=1
done
exit $status
