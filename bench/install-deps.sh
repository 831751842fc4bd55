#!/usr/bin/env bash
# Installs what `make bench` needs: the contenders from Debian's packages (aria2c, rclone, curl), GNU time
# (each contender's peak RSS) and Python's requests (the seed script and bench/run.py use it).
# Skips whatever is already there.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(aria2 rclone curl time)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing the benchmark's contenders: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! python3 -c 'import requests' 2>/dev/null; then
  echo "==> installing Python requests (the seed script uses it)"
  python3 -m pip install --quiet requests || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q python3-requests
fi
