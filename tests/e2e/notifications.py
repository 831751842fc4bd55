#!/usr/bin/python3
"""A desktop notification service on the session bus that only records: each Notify call the app makes
(org.freedesktop.Notifications, as notify-send and GNOME Shell serve it) becomes one JSON line on stdout,
{"app": ..., "summary": ..., "body": ...}. The end-to-end test starts it before the app and reads what arrived.

Run with Debian's Python (python3-dbus, python3-gi):  /usr/bin/python3 tests/e2e/notifications.py
It prints "ready" once it owns the name, and exits when its stdin closes.
"""

import json
import sys
import threading

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


class Recorder(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(dbus.service.BusName(NAME, bus, do_not_queue=True), PATH)
        self.next_id = 1

    @dbus.service.method(NAME, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        print(json.dumps({"app": str(app), "summary": str(summary), "body": str(body)}), flush=True)
        self.next_id += 1
        return dbus.UInt32(self.next_id - 1)

    @dbus.service.method(NAME, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return dbus.Array(["body"], signature="s")

    @dbus.service.method(NAME, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ("jobfetch-e2e-recorder", "jobfetch", "1.0", "1.2")

    @dbus.service.method(NAME, in_signature="u", out_signature="")
    def CloseNotification(self, notification_id):
        pass


def main():
    DBusGMainLoop(set_as_default=True)
    loop = GLib.MainLoop()
    Recorder(dbus.SessionBus())
    print("ready", flush=True)
    # The test ends this service by closing its stdin.
    threading.Thread(target=lambda: (sys.stdin.read(), GLib.idle_add(loop.quit)), daemon=True).start()
    loop.run()


if __name__ == "__main__":
    main()
