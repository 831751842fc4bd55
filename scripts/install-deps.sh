#!/usr/bin/env bash
# Installs the system packages and tools Jobfetch needs to build, run and test on Debian 12,
# plus any further Debian packages named as arguments (e.g. the benchmark's contenders).
# Idempotent: each step is skipped when what it installs is already there.
set -euo pipefail

EXTRA_PACKAGES=("$@")

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# apt-get install without questions, and without debconf's harmless "delaying package configuration, since
# apt-utils is not installed", which reads like an error in the output.
apt_install() {
  $SUDO env DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes apt-get install -y -q --no-install-recommends "$@"
}

APT_PACKAGES=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libssl-dev libxdo-dev
  libdbus-1-dev
  xvfb xauth webkit2gtk-driver
  gnome-keyring dbus dbus-x11 libsecret-tools
  python3-dbus python3-gi
  nginx-light
  desktop-file-utils appstream librsvg2-bin
  mmdebstrap
  "${EXTRA_PACKAGES[@]}"
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing system packages: ${missing[*]}"
  $SUDO apt-get update -q
  apt_install "${missing[@]}"
fi

# The SSH transport's tests (crates/engine/tests/ssh.rs) run their own sshd on a spare port of 127.0.0.1,
# so only the program is wanted: the ssh service Debian's package would start (on port 22, at every boot)
# is kept off, through policy-rc.d while installing and disabled afterwards.
if [ ! -x /usr/sbin/sshd ]; then
  echo "==> installing openssh-server (for the SSH tests' own sshd; the system's ssh service is left off)"
  temporary_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    temporary_policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$temporary_policy" >/dev/null
    $SUDO chmod +x "$temporary_policy"
  fi
  $SUDO apt-get update -q
  apt_install openssh-client openssh-server
  if [ -n "$temporary_policy" ]; then $SUDO rm -f "$temporary_policy"; fi
  if command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable ssh.service >/dev/null 2>&1 || true
  fi
fi

if ! python3 -c 'import requests' 2>/dev/null; then
  echo "==> installing Python requests (the seed script in tests/parity uses it)"
  python3 -m pip install --quiet requests || apt_install python3-requests
fi

if ! python3 -c 'import PIL, numpy, astropy' 2>/dev/null; then
  echo "==> installing Pillow, numpy and astropy (the FITS check against astropy, and the thumbnail benchmark's contenders)"
  python3 -m pip install --quiet pillow numpy astropy || {
    $SUDO apt-get update -q
    apt_install python3-pil python3-numpy python3-astropy
  }
fi

if ! python3 -c 'import Xlib' 2>/dev/null; then
  echo "==> installing python-xlib (finds, photographs and closes the app's window in the package test and the app benchmark)"
  python3 -m pip install --quiet python-xlib || apt_install python3-xlib
fi

ASTROQUERY_VERSION="0.4.11"
if ! python3 -c "import sys, astroquery; sys.exit(astroquery.__version__ != '$ASTROQUERY_VERSION')" 2>/dev/null; then
  echo "==> installing astroquery ${ASTROQUERY_VERSION} (the real MAST client, checked against the simulator in tests/astroquery)"
  python3 -m pip install --quiet "astroquery==${ASTROQUERY_VERSION}"
fi

# 0.37.2 is the last up42-py that speaks the seed API (projects, jobs, tasks); 1.0 removed it.
UP42_VERSION="0.37.2"
if ! python3 -c "import sys, importlib.metadata as m; sys.exit(m.version('up42-py') != '$UP42_VERSION')" 2>/dev/null; then
  echo "==> installing up42-py ${UP42_VERSION} (the real UP42 client, checked against the simulator in tests/up42py)"
  python3 -m pip install --quiet "up42-py==${UP42_VERSION}"
fi

# jdma_client (vendored in tests/jdma_client/vendor, not on PyPI) imports jinja2 and requests.
JINJA2_VERSION="3.1.6"
if ! python3 -c "import sys, jinja2; sys.exit(jinja2.__version__ != '$JINJA2_VERSION')" 2>/dev/null; then
  echo "==> installing Jinja2 ${JINJA2_VERSION} (imported by the real JDMA client checked against the simulator in tests/jdma_client)"
  python3 -m pip install --quiet "Jinja2==${JINJA2_VERSION}"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "==> Node.js 20 or newer is needed for the UI (found: $(node --version 2>/dev/null || echo none))."
  echo "    Install it from your distribution or nodejs.org, then run this again."
  exit 1
fi

TAURI_DRIVER_VERSION="2.1.0"
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "==> installing tauri-driver ${TAURI_DRIVER_VERSION}"
  cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked
fi
