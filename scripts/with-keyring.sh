#!/usr/bin/env bash
# Runs a command where an OS keyring (Secret Service) is available: the desktop's own if there is one,
# otherwise a private D-Bus session with an unlocked, throw-away GNOME Keyring (headless machines, CI).
set -euo pipefail

secret_service_available() {
  [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || return 1
  local names
  names=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.ListNames 2>/dev/null; dbus-send --session --print-reply --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus.ListActivatableNames 2>/dev/null) || return 1
  grep -q '"org.freedesktop.secrets"' <<<"$names"
}

if [ "${JOBFETCH_IN_PRIVATE_BUS:-0}" = "1" ]; then
  # Inside the private bus: start a keyring that lives in a temporary folder, unlocked with a random
  # password that is never stored (gnome-keyring creates no default collection for an empty one).
  keyring_home=$(mktemp -d)
  trap 'rm -rf "$keyring_home"' EXIT
  export XDG_DATA_HOME="$keyring_home/data" XDG_RUNTIME_DIR="$keyring_home/run"
  mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  eval "$(head -c 24 /dev/urandom | base64 | tr -d '\n' | gnome-keyring-daemon --unlock --components=secrets --daemonize 2>/dev/null)"
  export GNOME_KEYRING_CONTROL
  "$@"
  exit $?
fi

if [ "${JOBFETCH_PRIVATE_KEYRING:-0}" != "1" ] && secret_service_available; then
  exec "$@"
fi

echo "==> no Secret Service found: using a private, temporary GNOME Keyring for this run" >&2
# The bus's daemon is wrapped to drop its harmless complaint about the open-file limit; GTK's accessibility
# bridge is off, as it would start a second bus daemon (with the same complaint) that nothing here uses.
JOBFETCH_IN_PRIVATE_BUS=1 NO_AT_BRIDGE=1 exec dbus-run-session \
  --dbus-daemon="$(cd "$(dirname "$0")" && pwd)/quiet-dbus-daemon.sh" -- "$0" "$@"
