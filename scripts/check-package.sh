#!/usr/bin/env bash
# Checks the Linux packages `make package` built, and fails loudly on the first thing wrong:
# the .deb's control fields and dependencies, the binary, the desktop entry, every hicolor icon at
# the size its folder says, the AppStream metainfo, and the RPM where one was made.
#
#   scripts/check-package.sh [--debug-build] [BUNDLE_DIR]   (default: target/release/bundle, or $CARGO_TARGET_DIR's)
#   scripts/check-package.sh --installed ROOT
#
# --debug-build: the packages hold a debug build (`make test-package` bundles the binary `make build`
# made, sparing a release build): its binary is expected unstripped, and said to be a debug build;
# everything else is checked as for a release. --installed: the .deb as apt installed it into the
# Debian root ROOT (scripts/test-package.sh): its files where they belong, every library the binary
# links found in ROOT, the icons, and the desktop entry and metainfo validated by ROOT's own
# desktop-file-validate and appstreamcli.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=release ROOT="" BUNDLE_DIR=""
while [ $# -gt 0 ]; do
  case "$1" in
    --debug-build) BUILD=debug; shift ;;
    --installed) ROOT=$(realpath "${2:?--installed needs the root folder}"); shift 2 ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "check-package: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) BUNDLE_DIR=$1; shift ;;
  esac
done
BUNDLE_DIR=${BUNDLE_DIR:-${CARGO_TARGET_DIR:-target}/release/bundle}
CONF=src-tauri/tauri.conf.json
conf() { python3 -c "import json, sys; c = json.load(open('$CONF')); print(eval(sys.argv[1]))" "$1"; }
VERSION=$(conf 'c["version"]')
IDENTIFIER=$(conf 'c["identifier"]')
PRODUCT=$(conf 'c["productName"]')
BIN=$(conf 'c.get("mainBinaryName") or "jobfetch-app"')
PACKAGE=$(tr '[:upper:]' '[:lower:]' <<<"$PRODUCT")
ICON_SIZES=(16 24 32 48 64 128 256 512)

failures=0
fail() { echo "  FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "  ok: $*"; }
# The validators run here for a package, and inside the root for an installed one; seen(PATH) is where
# they find the package's file PATH.
in_root=()
[ -n "$ROOT" ] && in_root=(chroot "$ROOT")
seen() { if [ -n "$ROOT" ]; then echo "$1"; else echo "$root$1"; fi; }
need() {
  "${in_root[@]}" sh -c "command -v $1" >/dev/null || {
    echo "check-package: '$1' is missing${ROOT:+ in $ROOT} ($2): ${ROOT:+install $2 there}${ROOT:-run scripts/install-deps.sh}" >&2
    exit 1
  }
}
need desktop-file-validate desktop-file-utils
need appstreamcli appstream

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
desktop="/usr/share/applications/$PRODUCT.desktop"
metainfo="/usr/share/metainfo/$IDENTIFIER.metainfo.xml"

# A package: its control fields; its file list into $work/files, its files under $root.
read_deb() {
  need dpkg-deb dpkg
  need dpkg-shlibdeps dpkg-dev
  DEB="$BUNDLE_DIR/deb/${PACKAGE}_${VERSION}_amd64.deb"
  [ -f "$DEB" ] || { echo "check-package: no $DEB (run 'make package')" >&2; exit 1; }
  echo "==> $DEB"
  dpkg-deb --info "$DEB" | sed -n '/Package:/,$p'
  control() { dpkg-deb --field "$DEB" "$1"; }
  [ "$(control Package)" = "$PACKAGE" ] && ok "Package: $PACKAGE" || fail "Package is '$(control Package)', expected $PACKAGE"
  [ "$(control Version)" = "$VERSION" ] && ok "Version: $VERSION" || fail "Version is '$(control Version)', expected $VERSION"
  depends=$(control Depends)
  for dep in libwebkit2gtk-4.1-0 libgtk-3-0; do
    grep -qw -- "$dep" <<<"$depends" && ok "Depends on $dep" || fail "Depends lacks $dep: $depends"
  done
  grep -qw gnome-keyring <<<"$(control Recommends)" && ok "Recommends gnome-keyring (a Secret Service for the keyring)" \
    || fail "Recommends lacks gnome-keyring"
  grep -qw openssh-client <<<"$(control Recommends)" && ok "Recommends openssh-client (JDMA through an SSH host)" \
    || fail "Recommends lacks openssh-client"
  dpkg-deb --contents "$DEB" | awk '{print $NF}' | sed -E 's|^\./|/|; s|^([^/])|/\1|' >"$work/files"
  dpkg-deb --extract "$DEB" "$work/root"
  root="$work/root"
}

# An installed package: dpkg's record of it in $ROOT; its file list into $work/files, its files under $root.
read_installed() {
  root=$ROOT
  chroot "$root" dpkg-query -L "$PACKAGE" >"$work/files" 2>/dev/null \
    || { echo "check-package: $PACKAGE is not installed in $root (apt install ./${PACKAGE}_*.deb there first)" >&2; exit 1; }
  echo "==> $PACKAGE $(chroot "$root" dpkg-query -W -f '${Version}' "$PACKAGE"), installed in $root"
  [ "$(chroot "$root" dpkg-query -W -f '${db:Status-Status}' "$PACKAGE")" = installed ] && ok "dpkg has it installed and configured" \
    || fail "dpkg has it $(chroot "$root" dpkg-query -W -f '${db:Status-Status}' "$PACKAGE"), not installed"
}

# The packaged binary: an ELF executable, stripped for a release, every library it links provided by
# the declared Depends.
check_binary() {
  local binary="$root/usr/bin/$BIN" info shlibs declared closure missing pkg
  info=$(file -b "$binary")
  grep -q 'ELF 64-bit' <<<"$info" && ok "ELF 64-bit executable, $(du -h "$binary" | cut -f1)" || fail "not an ELF executable: $info"
  if [ "$BUILD" = debug ]; then
    grep -q ', not stripped' <<<"$info" && ok "not stripped: a debug build (--debug-build; make package checks that the release build is stripped)" \
      || fail "--debug-build, but the binary is not an unstripped debug build: $info"
  else
    grep -q ', stripped' <<<"$info" && ok "stripped" || fail "not stripped: $info"
  fi
  # The libraries it loads must come with the declared dependencies: ask dpkg-shlibdeps which packages
  # provide them on this system, and check each is a declared dependency or pulled in by one.
  mkdir -p "$work/shlib/debian" && printf 'Source: x\n\nPackage: x\nArchitecture: any\n' >"$work/shlib/debian/control"
  shlibs=$(cd "$work/shlib" && dpkg-shlibdeps -O "$binary" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
  declared=$(sed 's/([^)]*)//g; s/[|,]/\n/g' <<<"$depends" | tr -d ' ' | grep -v '^$')
  # shellcheck disable=SC2086
  closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances $declared 2>/dev/null | grep -v '^ ' | tr -d '<>' | sort -u)
  missing=()
  for pkg in $(sed 's/([^)]*)//g; s/|[^,]*//g; s/,/ /g' <<<"$shlibs"); do
    grep -qx -- "$pkg" <<<"$closure"$'\n'"$declared" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && ok "every library it links comes with Depends ($(wc -w <<<"$(sed 's/([^)]*)//g; s/,/ /g' <<<"$shlibs")") packages: $(sed 's/ ([^)]*)//g' <<<"$shlibs"))" \
    || fail "it links libraries from packages Depends does not pull in: ${missing[*]}"
}

# The installed binary: every library it links is there in the root, brought by apt.
check_installed_binary() {
  local linked
  linked=$(chroot "$root" ldd "/usr/bin/$BIN" 2>&1) || { fail "ldd /usr/bin/$BIN in the root: $linked"; return; }
  if grep -q 'not found' <<<"$linked"; then
    fail "libraries it links are not in the root: $(grep 'not found' <<<"$linked" | tr -s ' \t\n' ' ')"
  else
    ok "every library it links is in the root ($(grep -c '=>' <<<"$linked") libraries)"
  fi
}

if [ -n "$ROOT" ]; then read_installed; else read_deb; fi

echo "==> files"
for path in "/usr/bin/$BIN" "$desktop" "$metainfo" "/usr/share/icons/hicolor/scalable/apps/$BIN.svg"; do
  grep -qx -- "$path" "$work/files" && ok "$path" || fail "$path is not in the package"
done

echo "==> the binary"
if ! [ -x "$root/usr/bin/$BIN" ]; then fail "/usr/bin/$BIN is missing or not executable"
elif [ -n "$ROOT" ]; then check_installed_binary
else check_binary; fi

echo "==> icons"
png_size() {
  python3 -c 'import struct, sys; d = open(sys.argv[1], "rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]) if d[:8] == b"\x89PNG\r\n\x1a\n" else "not-a-png")' "$1"
}
for size in "${ICON_SIZES[@]}"; do
  grep -qx -- "/usr/share/icons/hicolor/${size}x${size}/apps/$BIN.png" "$work/files" \
    || fail "/usr/share/icons/hicolor/${size}x${size}/apps/$BIN.png is not in the package"
done
# Every PNG must sit in the folder of its own size (the bundler names HiDPI folders from a file's
# name and its pixels apart, which can disagree), in a size the hicolor theme (here, or in the root) lists.
hicolor="$ROOT/usr/share/icons/hicolor/index.theme"
while read -r icon; do
  folder=$(cut -d/ -f6 <<<"$icon") actual=$(png_size "$root$icon")
  if [ "$folder" != "$actual" ]; then fail "$icon is $actual"
  elif ! grep -q "^\[$folder/apps\]" "$hicolor" 2>/dev/null && [ -f "$hicolor" ]; then
    fail "$icon: hicolor has no $folder/apps folder"
  else ok "$icon ($actual)"; fi
done < <(grep '^/usr/share/icons/.*\.png$' "$work/files")

echo "==> desktop entry $desktop"
entry="$root$desktop"
if [ -f "$entry" ]; then
  sed 's/^/    /' "$entry"
  if out=$("${in_root[@]}" desktop-file-validate "$(seen "$desktop")" 2>&1); then
    ok "desktop-file-validate passes${out:+ (with hints: $(grep -c . <<<"$out"))}"
    [ -n "$out" ] && sed 's/^/    /' <<<"$out"
  else
    fail "desktop-file-validate: $out"
  fi
  key() { sed -n "s/^$1=//p" "$entry"; }
  [ "$(key Name)" = "$PRODUCT" ] && ok "Name=$PRODUCT" || fail "Name is '$(key Name)'"
  [ -n "$(key Comment)" ] && ok "Comment set" || fail "no Comment"
  [ "$(key Categories)" = "Science;Astronomy;Network;" ] && ok "Categories=Science;Astronomy;Network;" || fail "Categories is '$(key Categories)'"
  [ "$(key Exec | cut -d' ' -f1)" = "$BIN" ] && ok "Exec runs $BIN" || fail "Exec is '$(key Exec)'"
  [ "$(key Icon)" = "$BIN" ] && ok "Icon=$BIN" || fail "Icon is '$(key Icon)'"
  [ "$(key StartupWMClass)" = "$BIN" ] && ok "StartupWMClass=$BIN (the window's WM_CLASS / app_id)" || fail "StartupWMClass is '$(key StartupWMClass)'"
  [ "$(key Terminal)" = "false" ] && ok "Terminal=false" || fail "Terminal is '$(key Terminal)'"
else
  fail "no desktop entry"
fi

echo "==> AppStream metainfo $metainfo"
if [ -f "$root$metainfo" ]; then
  # Jobfetch has no homepage to give yet: AppStream 1.0 (Ubuntu 24.04) warns of that, 0.16 (Debian 12)
  # does not. That warning alone passes, named; any other warning or error fails.
  if out=$("${in_root[@]}" appstreamcli validate --no-net --pedantic "$(seen "$metainfo")" 2>&1); then
    ok "appstreamcli validate --no-net: $(tail -1 <<<"$out")"
  elif ! grep -E '^[EW]:' <<<"$out" | grep -qv 'url-homepage-missing'; then
    ok "appstreamcli validate --no-net: only its warning url-homepage-missing (no homepage yet)"
  else
    fail "appstreamcli validate: $out"
  fi
  grep -q "<id>$IDENTIFIER</id>" "$root$metainfo" && ok "id $IDENTIFIER" || fail "the component id is not $IDENTIFIER"
  grep -q "<launchable type=\"desktop-id\">$(basename "$desktop")</launchable>" "$root$metainfo" \
    && ok "launchable $(basename "$desktop")" || fail "the launchable is not $(basename "$desktop")"
  grep -q "<release version=\"$VERSION\"" "$root$metainfo" && ok "a release entry for $VERSION" \
    || fail "no <release version=\"$VERSION\"> (add one for this version)"
fi

RPM=""
if [ -z "$ROOT" ] && [ -d "$BUNDLE_DIR/rpm" ]; then
  RPM=$(find "$BUNDLE_DIR/rpm" -name "${PACKAGE}-${VERSION}-*.rpm" | head -1)
fi
if [ -n "$RPM" ]; then
  echo "==> $RPM"
  if command -v rpm >/dev/null; then
    rpm -qip "$RPM" 2>/dev/null | grep -E '^(Name|Version|Release|Architecture|Size|License|Summary) *:'
    requires=$(rpm -qp --requires "$RPM" 2>/dev/null)
    echo "Requires: $(grep -v '^rpmlib(' <<<"$requires" | paste -sd' ')"
    echo "Recommends: $(rpm -qp --recommends "$RPM" 2>/dev/null | paste -sd' ')"
    for dep in 'libwebkit2gtk-4.1.so.0()(64bit)' 'libgtk-3.so.0()(64bit)'; do
      grep -qxF -- "$dep" <<<"$requires" && ok "Requires $dep" || fail "the RPM does not require $dep"
    done
    rpm -qlp "$RPM" 2>/dev/null >"$work/rpmfiles"
    for path in "/usr/bin/$BIN" "$desktop" "$metainfo"; do
      grep -qx -- "$path" "$work/rpmfiles" && ok "$path" || fail "$path is not in the RPM"
    done
    for size in "${ICON_SIZES[@]}"; do
      path="/usr/share/icons/hicolor/${size}x${size}/apps/$BIN.png"
      grep -qx -- "$path" "$work/rpmfiles" || fail "$path is not in the RPM"
    done
    ok "the RPM holds every icon size"
  else
    echo "  (rpm is not installed here: the RPM's contents are not checked; apt-get install rpm to check them)"
  fi
fi

echo
if [ "$failures" -gt 0 ]; then
  echo "check-package: $failures check(s) FAILED" >&2
  exit 1
fi
echo "check-package: all checks passed"
if [ -n "$ROOT" ]; then exit 0; fi
echo "packages:"
for pkg in "$DEB" ${RPM:+"$RPM"}; do
  printf '  %s  (%s)\n' "$(realpath "$pkg")" "$(du -h "$pkg" | cut -f1)"
done
