#!/usr/bin/python3
"""A status-indicator host on the session bus, as a desktop's panel is one (org.kde.StatusNotifierWatcher, the
name libayatana-appindicator registers its icons with, served by GNOME's AppIndicator extension, KDE and
others). It records every icon registered and reads an icon's menu the way a panel does
(com.canonical.dbusmenu), so the end-to-end test sees what the user would see in the tray.

Run with Debian's Python (python3-dbus, python3-gi):  /usr/bin/python3 tests/e2e/tray_watcher.py
Prints "ready" once it owns the name; then one JSON line per event on stdout:
  {"registered": {"bus": ":1.7", "path": "/org/ayatana/NotificationItem/jobfetch_app"}}
and reads commands, one per line, on stdin, each answered with one JSON line:
  menu            {"menu": [{"id": 1, "label": "No downloads running", "enabled": false}, ...]}
  click LABEL     {"clicked": "LABEL"} after sending the "clicked" event of the menu item with that label
Errors answer {"error": "..."}. Exits when its stdin closes.
"""

import json
import sys
import threading
import time

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
ITEM = "org.kde.StatusNotifierItem"
MENU = "com.canonical.dbusmenu"
PROPERTIES = "org.freedesktop.DBus.Properties"


def say(message):
    print(json.dumps(message), flush=True)


class Watcher(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(dbus.service.BusName(WATCHER, bus, do_not_queue=True), WATCHER_PATH)
        self.bus = bus
        self.items = []  # (bus name, object path), in the order they registered

    @dbus.service.method(WATCHER, in_signature="s", out_signature="", sender_keyword="sender")
    def RegisterStatusNotifierItem(self, service, sender=None):
        # Ayatana passes its object path and is reached at its own bus name; others pass a bus name.
        bus, path = (sender, service) if service.startswith("/") else (service, "/StatusNotifierItem")
        self.items.append((str(bus), str(path)))
        say({"registered": {"bus": str(bus), "path": str(path)}})
        self.StatusNotifierItemRegistered("{}{}".format(bus, path))

    @dbus.service.method(WATCHER, in_signature="s", out_signature="")
    def RegisterStatusNotifierHost(self, service):
        pass

    @dbus.service.signal(WATCHER, signature="s")
    def StatusNotifierItemRegistered(self, service):
        pass

    @dbus.service.signal(WATCHER, signature="")
    def StatusNotifierHostRegistered(self):
        pass

    @dbus.service.method(PROPERTIES, in_signature="ss", out_signature="v")
    def Get(self, interface, name):
        return self.GetAll(interface)[name]

    @dbus.service.method(PROPERTIES, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return {
            "RegisteredStatusNotifierItems": dbus.Array(["{}{}".format(b, p) for b, p in self.items], signature="s"),
            "IsStatusNotifierHostRegistered": dbus.Boolean(True),
            "ProtocolVersion": dbus.Int32(0),
        }

    def menu(self):
        """The last registered icon's menu: its top-level items, as a panel shows them."""
        if not self.items:
            raise RuntimeError("no status icon has registered")
        bus_name, path = self.items[-1]
        item = self.bus.get_object(bus_name, path)
        menu_path = item.Get(ITEM, "Menu", dbus_interface=PROPERTIES)
        menu = dbus.Interface(self.bus.get_object(bus_name, menu_path), MENU)
        _revision, (_root, _props, children) = menu.GetLayout(0, 1, dbus.Array([], signature="s"))
        entries = []
        for child in children:
            ident, props, _grandchildren = child
            if props.get("type") == "separator" or props.get("visible", True) is False:
                continue
            entries.append({"id": int(ident), "label": str(props.get("label", "")), "enabled": bool(props.get("enabled", True))})
        return menu, entries

    def click(self, label):
        menu, entries = self.menu()
        match = [entry for entry in entries if entry["label"].replace("_", "") == label]
        if not match:
            raise RuntimeError("no menu item {!r} in {}".format(label, [e["label"] for e in entries]))
        menu.Event(match[0]["id"], "clicked", dbus.Int32(0, variant_level=1), dbus.UInt32(int(time.time())))


def answer(watcher, line):
    command, _, argument = line.strip().partition(" ")
    try:
        if command == "menu":
            say({"menu": watcher.menu()[1]})
        elif command == "click":
            watcher.click(argument)
            say({"clicked": argument})
        else:
            say({"error": "unknown command {!r}".format(command)})
    except Exception as err:  # every failure is an answer the test shows
        say({"error": str(err)})
    return False


def main():
    DBusGMainLoop(set_as_default=True)
    loop = GLib.MainLoop()
    watcher = Watcher(dbus.SessionBus())
    watcher.StatusNotifierHostRegistered()
    print("ready", flush=True)

    def read_commands():
        for line in sys.stdin:
            GLib.idle_add(answer, watcher, line)
        GLib.idle_add(loop.quit)

    threading.Thread(target=read_commands, daemon=True).start()
    loop.run()


if __name__ == "__main__":
    main()
