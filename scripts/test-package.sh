#!/usr/bin/env bash
# The install test of the Debian package (`make test-package`, part of `make test`): installs the .deb
# the way the README tells users to (`apt install ./jobfetch_*.deb`) into a clean Debian 12 (or Ubuntu
# 24.04) root, a chroot made with mmdebstrap from the distribution's mirror, so its Depends must pull
# in WebKitGTK, GTK and the rest; checks the installed files (scripts/check-package.sh --installed:
# desktop-file-validate and appstreamcli as installed, every linked library present); then starts the
# app as a desktop does, from the desktop entry's Exec line (with --demo added, so it opens on the
# built-in demo archive), as an ordinary user of the root with a D-Bus session and GNOME Keyring
# (scripts/with-keyring.sh), on a private Xvfb; waits until the window titled Jobfetch is viewable and
# has drawn its page, saves a screenshot to target/e2e/package-install.png, clicks the first job as a
# mouse does (XTEST) and waits for its details (package-install-clicked.png), and closes the window as
# a close button does (WM_DELETE_WINDOW), expecting the app to exit with status 0.
#
#   scripts/test-package.sh DEB
#   JOBFETCH_PACKAGE_SUITE=noble scripts/test-package.sh DEB     the same in a clean Ubuntu 24.04 root
#                                                                 (from archive.ubuntu.com)
#
# The root before the package (the suite's "apt" variant plus dbus, desktop-file-utils, appstream and a
# user) is cached as a tarball in ~/.cache/jobfetch-package-root ($JOBFETCH_PACKAGE_ROOT_CACHE), made
# again when its recipe changes or it is 30 days old; the packages apt downloads are kept there too, so
# a second run downloads nothing. Delete the folder to start over. Needs root (chroot, mounts): runs
# itself with sudo otherwise. The root lives in a temporary folder, its mounts in a private mount
# namespace, so nothing stays mounted or installed when it ends; JOBFETCH_KEEP_ROOT=1 keeps the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

[ $# -eq 1 ] || { echo "usage: scripts/test-package.sh DEB (one .deb; make test-package builds it and runs this)" >&2; exit 2; }
DEB=$(realpath "$1")
[ -f "$DEB" ] || { echo "test-package: no $DEB: run 'make test-package', which builds it" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
  exec sudo --preserve-env=HOME,JOBFETCH_PACKAGE_ROOT_CACHE,JOBFETCH_KEEP_ROOT,JOBFETCH_PACKAGE_SUITE,PATH "$0" "$@"
fi
for tool in mmdebstrap Xvfb unshare chroot; do
  command -v "$tool" >/dev/null || { echo "test-package: '$tool' is missing: run scripts/install-deps.sh" >&2; exit 1; }
done
python3 -c 'import Xlib, PIL' 2>/dev/null || { echo "test-package: python-xlib or Pillow is missing: run scripts/install-deps.sh" >&2; exit 1; }
if ! why=$(unshare --mount --propagation private mount -t tmpfs none /mnt 2>&1); then
  echo "test-package: this machine does not allow mounts in a private namespace ($why): the clean root needs" \
    "them (proc, dev, the X socket); run it as root on a machine or privileged container that allows mounts" >&2
  exit 1
fi

USER_NAME=ana            # the root's ordinary user, who runs the app
WINDOW_TITLE=$(python3 -c 'import json; print(json.load(open("src-tauri/tauri.conf.json"))["app"]["windows"][0]["title"])')
PACKAGE=$(dpkg-deb --field "$DEB" Package)
CACHE=${JOBFETCH_PACKAGE_ROOT_CACHE:-$HOME/.cache/jobfetch-package-root}
mkdir -p "$CACHE"

# The clean root's system and where its packages come from: Debian from the mirror this machine's apt
# uses (a deb822 .sources file mmdebstrap copies into the root; without one, mmdebstrap's default,
# deb.debian.org); Ubuntu from its archive, checked with Ubuntu's archive key (2018), which Debian 12
# does not package: it comes once from Ubuntu's ubuntu-keyring .deb over HTTPS, pinned by the .deb's
# SHA-256 (as noble's package index lists it), when the root is made.
UBUNTU_KEYRING_DEB=https://archive.ubuntu.com/ubuntu/pool/main/u/ubuntu-keyring/ubuntu-keyring_2023.11.28.1_all.deb
UBUNTU_KEYRING_SHA256=36de43b15853ccae0028e9a767613770c704833f82586f28eb262f0311adb8a8
ubuntu_key() {
  local key=$CACHE/ubuntu-keyring-2018-archive.gpg deb=$CACHE/ubuntu-keyring.deb
  if [ ! -s "$key" ]; then
    curl -fsSL --max-time 120 -o "$deb" "$UBUNTU_KEYRING_DEB" \
      || { echo "test-package: could not fetch Ubuntu's archive keyring from $UBUNTU_KEYRING_DEB" >&2; exit 1; }
    echo "$UBUNTU_KEYRING_SHA256  $deb" | sha256sum --check --quiet \
      || { echo "test-package: $UBUNTU_KEYRING_DEB is not the pinned one (SHA-256 differs): not trusted" >&2; exit 1; }
    dpkg-deb --fsys-tarfile "$deb" | tar -xO ./etc/apt/trusted.gpg.d/ubuntu-keyring-2018-archive.gpg >"$key.part"
    mv "$key.part" "$key"
  fi
  echo "$key"
}
SUITE=${JOBFETCH_PACKAGE_SUITE:-bookworm}
SOURCES=()
TRUSTED_KEY=""   # a command printing the archive key's file, when apt does not know it already
case $SUITE in
  bookworm)
    DISTRO="Debian 12"
    [ -r /etc/apt/sources.list.d/debian.sources ] && SOURCES=(/etc/apt/sources.list.d/debian.sources) ;;
  noble)
    DISTRO="Ubuntu 24.04"
    ubuntu=http://archive.ubuntu.com/ubuntu
    SOURCES=("deb $ubuntu noble main universe" "deb $ubuntu noble-updates main universe" "deb $ubuntu noble-security main universe")
    TRUSTED_KEY=ubuntu_key ;;
  *) echo "test-package: JOBFETCH_PACKAGE_SUITE is bookworm (Debian 12) or noble (Ubuntu 24.04), not '$SUITE'" >&2; exit 2 ;;
esac
# Debian's names stay as they were; another system's root gets its own screenshot and package cache.
OTHER_SUITE=$([ "$SUITE" = bookworm ] || echo "-$SUITE")
SHOT=$REPO/target/e2e/package-install$OTHER_SUITE.png
ARCHIVES=$CACHE/archives$OTHER_SUITE
mkdir -p "$ARCHIVES/partial" "$(dirname "$SHOT")"

started=$(date +%s)
step() { printf '==> %s  (%ds)\n' "$*" $(($(date +%s) - started)); }
log_tail() { echo "--- last lines of $1:" >&2; tail -n "${2:-25}" "$1" | sed 's/^/    /' >&2; }

# ---- The base root, cached ---------------------------------------------------------------------
MMDEBSTRAP=(mmdebstrap --quiet --format=tar --variant=apt --include=dbus,desktop-file-utils,appstream
  --dpkgopt=force-unsafe-io --aptopt='Acquire::Languages "none"'
  --customize-hook="chroot \"\$1\" useradd --create-home --shell /bin/bash $USER_NAME"
  --skip=cleanup/apt/lists)
recipe=$({ printf '%s\n' "${MMDEBSTRAP[@]}" "$SUITE" "${SOURCES[@]}" "${TRUSTED_KEY:+$UBUNTU_KEYRING_SHA256}"; for source in "${SOURCES[@]}"; do
  if [ -f "$source" ]; then cat "$source"; fi; done; } | sha256sum | cut -c1-12)
BASE=$CACHE/$SUITE-base-$recipe.tar
if [ -f "$BASE" ] && [ -z "$(find "$BASE" -mtime +30)" ]; then
  step "clean $DISTRO root: cached $(basename "$BASE")"
else
  step "clean $DISTRO root: mmdebstrap from ${SOURCES[*]:-deb.debian.org} (about a minute, once)"
  rm -f "$CACHE"/"$SUITE"-base-*.tar
  keyring=()
  if [ -n "$TRUSTED_KEY" ]; then
    # apt checks signatures as its _apt user, who cannot read /root: the key goes in a folder it can read.
    keys=$(mktemp -d /tmp/jobfetch-package-keys.XXXXXX) && chmod 755 "$keys"
    install -m 644 "$($TRUSTED_KEY)" "$keys/"
    keyring=(--keyring="$keys")
  fi
  nice -n 10 "${MMDEBSTRAP[@]}" "${keyring[@]}" "$SUITE" "$BASE.part" "${SOURCES[@]}" >"$CACHE/mmdebstrap.log" 2>&1 \
    || { log_tail "$CACHE/mmdebstrap.log"; echo "test-package: mmdebstrap failed (see above); is the $DISTRO mirror reachable?" >&2; exit 1; }
  [ -z "$TRUSTED_KEY" ] || rm -rf "$keys"
  mv "$BASE.part" "$BASE"
fi

# ---- This run's root --------------------------------------------------------------------------
ROOT=$(mktemp -d /var/tmp/jobfetch-package-root.XXXXXX)
XVFB_PID=""
cleanup() {
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
  # Mounts live in the private namespace below and are gone with it; never delete through one anyway.
  if grep -q " $ROOT/" /proc/self/mounts; then
    echo "test-package: $ROOT still has mounts: not deleted" >&2
  elif [ "${JOBFETCH_KEEP_ROOT:-0}" = 1 ]; then
    echo "test-package: the root is kept in $ROOT (JOBFETCH_KEEP_ROOT=1)"
  else
    rm -rf --one-file-system "$ROOT"
  fi
}
trap cleanup EXIT
tar -xf "$BASE" -C "$ROOT"
dbus-uuidgen >"$ROOT/etc/machine-id"   # a booted system has one; D-Bus needs it
cp "$DEB" "$ROOT/tmp/"
LOG=$ROOT/tmp/test-package.log   # inside the root, so it goes with it

# A private Xvfb on a free display; the root reaches it through the bound /tmp/.X11-unix.
Xvfb -displayfd 5 -screen 0 1280x900x24 -nolisten tcp 5>"$ROOT/tmp/display" 2>"$ROOT/tmp/xvfb.log" &
XVFB_PID=$!
for _ in $(seq 100); do [ -s "$ROOT/tmp/display" ] && break; sleep 0.1; done
[ -s "$ROOT/tmp/display" ] || { log_tail "$ROOT/tmp/xvfb.log"; echo "test-package: Xvfb did not start (see above)" >&2; exit 1; }
export DISPLAY=:$(cat "$ROOT/tmp/display")

# Everything that mounts runs in a private mount namespace: when it ends, so do the mounts.
INSIDE=$(cat <<'EOF'
set -euo pipefail
mount -t proc proc "$ROOT/proc"
mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev"
mount --rbind /sys "$ROOT/sys" && mount --make-rslave "$ROOT/sys"
mkdir -p "$ROOT/tmp/.X11-unix" && mount --bind /tmp/.X11-unix "$ROOT/tmp/.X11-unix"
mount --bind "$ARCHIVES" "$ROOT/var/cache/apt/archives"
mkdir -p "$ROOT/opt/jobfetch-test" && mount --bind -o ro "$REPO/scripts" "$ROOT/opt/jobfetch-test"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# Whatever still runs in the root when this ends (the app after a failure, the keyring daemon the
# session started) goes first, before the mounts it uses.
end_root_processes() {
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$ROOT" ] && kill -9 "${proc#/proc/}" 2>/dev/null || true
  done
}
trap end_root_processes EXIT
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

step "apt install ./$(basename "$DEB") in the clean root"
if in_root dpkg-query -W -f '${Status}' libwebkit2gtk-4.1-0 2>/dev/null | grep -q installed; then
  echo "test-package: the clean root already has WebKitGTK, so it proves nothing about Depends" >&2; exit 1
fi
in_root apt-get update -q >>"$LOG" 2>&1 || { log_tail "$LOG"; echo "test-package: apt-get update failed in the root: is the $DISTRO mirror reachable?" >&2; exit 1; }
before=$(in_root dpkg-query -W -f '${Package}\n' | sort)
in_root apt-get install -y -q "/tmp/$(basename "$DEB")" >>"$LOG" 2>&1 \
  || { log_tail "$LOG"; echo "test-package: apt could not install the package in a clean $DISTRO: its Depends are wrong (see above)" >&2; exit 1; }
pulled=$(comm -13 <(echo "$before") <(in_root dpkg-query -W -f '${Package}\n' | sort) | grep -vx "$PACKAGE" || true)
echo "  ok: installed, with $(grep -c . <<<"$pulled") packages apt pulled in, among them" \
  "$(grep -xE 'libwebkit2gtk-4.1-0|libjavascriptcoregtk-4.1-0|libgtk-3-0|libsoup-3.0-0|gnome-keyring' <<<"$pulled" | paste -sd' ')"

step "the installed files"
scripts/check-package.sh --installed "$ROOT" >"$ROOT/tmp/check.log" 2>&1 \
  || { cat "$ROOT/tmp/check.log" >&2; echo "test-package: the installed package is wrong (see above)" >&2; exit 1; }
grep -E '^  ok: (desktop-file-validate|appstreamcli|every library)' "$ROOT/tmp/check.log"
echo "  ok: scripts/check-package.sh --installed: all $(grep -c '^  ok:' "$ROOT/tmp/check.log") checks passed"

# The desktop entry's Exec line as a desktop runs it: field codes (%u, %f, …) stand for what was
# opened, nothing here; %% is a percent sign.
entry=$(dpkg-query --root="$ROOT" -L "$PACKAGE" | grep '^/usr/share/applications/.*\.desktop$' | head -1)
exec_line=$(sed -n '/^\[Desktop Entry\]/,/^\[/s/^Exec=//p' "$ROOT$entry" | head -1 | sed -E 's/(^| )%[fFuUdDnNickvm]( |$)/\1/g; s/%%/%/g; s/ +/ /g; s/ $//')
step "start it from $entry: Exec=$exec_line --demo, as $USER_NAME, on $DISPLAY"
app_log=$ROOT/tmp/app.log
# shellcheck disable=SC2086 # the Exec line is split into words, as a desktop does
chroot --userspec="$USER_NAME:$USER_NAME" "$ROOT" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin \
  HOME="/home/$USER_NAME" USER="$USER_NAME" LOGNAME="$USER_NAME" SHELL=/bin/bash LANG=C.UTF-8 DISPLAY="$DISPLAY" \
  JOBFETCH_PRIVATE_KEYRING=1 /opt/jobfetch-test/with-keyring.sh $exec_line --demo >"$app_log" 2>&1 &
app=$!
alive() { kill -0 "$app" 2>/dev/null; }
if ! python3 scripts/x11_window.py shot "$WINDOW_TITLE" "$SHOT" --timeout 90 >"$ROOT/tmp/shot.log" 2>&1; then
  cat "$ROOT/tmp/shot.log" >&2; log_tail "$app_log"
  alive || { wait "$app" || echo "test-package: the app exited with status $? before showing its window" >&2; }
  echo "test-package: the installed app did not show its window (see above)" >&2; exit 1
fi
echo "  ok: a viewable window titled $WINDOW_TITLE showing a laid-out page; screenshot $(sed -n 1p "$ROOT/tmp/shot.log" | sed "s|$REPO/||")"

# A click as a mouse makes it, on the first job of the list: its details must open. The page is drawn
# as on the user's machine (without a GPU, without WebKit's compositor), which WebDriver does not drive.
step "click the first job of the list"
if ! python3 scripts/x11_window.py click "$WINDOW_TITLE" 120 165 "${SHOT%.png}-clicked.png" --timeout 20 >"$ROOT/tmp/click.log" 2>&1; then
  cat "$ROOT/tmp/click.log" >&2; log_tail "$app_log"
  echo "test-package: the installed app did not answer a mouse click (see above)" >&2; exit 1
fi
echo "  ok: the job's details opened; screenshot $(sed -n 1p "$ROOT/tmp/click.log" | sed "s|$REPO/||; s| (.*||")"

step "close the window"
python3 scripts/x11_window.py close "$WINDOW_TITLE"
closed=$(date +%s%N)
for _ in $(seq 300); do alive || break; sleep 0.1; done
if alive; then
  log_tail "$app_log"
  if python3 scripts/x11_window.py wait "$WINDOW_TITLE" --timeout 0 >/dev/null 2>&1; then
    echo "test-package: the window is still open 30 s after it was asked to close (WM_DELETE_WINDOW): the app refused or missed it" >&2
  else
    echo "test-package: the window closed, but the app was still running 30 s later: its exit hangs (see its log above)" >&2
  fi
  exit 1
fi
status=0; wait "$app" || status=$?
[ "$status" -eq 0 ] || { log_tail "$app_log"; echo "test-package: the app exited with status $status after its window was closed (see above)" >&2; exit 1; }
echo "  ok: it exited with status 0, $(( ($(date +%s%N) - closed) / 1000000 )) ms after the close"
EOF
)
export ROOT ARCHIVES REPO DEB PACKAGE LOG SHOT WINDOW_TITLE USER_NAME DISTRO started
export -f step log_tail
unshare --mount --propagation private bash -c "$INSIDE"
step "make test-package: the package installs, validates, starts and closes in a clean $DISTRO root"
