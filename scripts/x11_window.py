#!/usr/bin/env python3
"""Finds, photographs and closes an app's top-level window on an X display (Xvfb), as a desktop would:
the package test (scripts/test-package.sh) and the app benchmark (bench/app.py) use it to see the
installed or released Jobfetch come up, without a window manager and without driving the page.

  x11_window.py wait  NAME [--timeout S]             until a window titled NAME is viewable; prints its id
  x11_window.py shot  NAME OUT.png [--timeout S]     waits until it shows a laid-out page, saves it as PNG
  x11_window.py close NAME                           asks it to close (WM_DELETE_WINDOW), as a close button does
  x11_window.py click NAME X Y OUT.png [--timeout S] clicks at X,Y in it as a mouse does (XTEST) and waits until
                                                     the page answers (a tenth of it changes); saves it as PNG

DISPLAY says which display. Exits 1 with what went wrong when the window does not come (or stays blank).
Python users import it: wait_viewable(), drawn(), grab(), close().
"""

import argparse
import sys
import time

from Xlib import X, display as xdisplay, error as xerror
from Xlib.ext import xtest
from Xlib.protocol import event as xevent

# A page is laid out once its most common colour (the background) covers less than this share of the
# window: a blank web view is one colour, a start-up message on the background about 99% of it.
LAID_OUT_BACKGROUND = 0.9
# A click is answered once this share of the window's pixels changed: more than the pointer's hover
# shading a row, less than a pane that opens.
ANSWERED_SHARE = 0.1


def windows_named(dpy, name):
    """Top-level windows (children of the root, as there is no window manager) titled `name` and viewable."""
    found = []
    net_name, utf8 = dpy.intern_atom('_NET_WM_NAME'), dpy.intern_atom('UTF8_STRING')
    for win in dpy.screen().root.query_tree().children:
        try:
            if win.get_attributes().map_state != X.IsViewable:
                continue
            title = win.get_full_property(net_name, utf8)
            title = title.value.decode('utf-8', 'replace') if title else win.get_wm_name()
            if title == name:
                found.append(win)
        except xerror.XError:
            continue  # gone meanwhile
    return found


def wait_viewable(dpy, name, timeout, alive=lambda: True, interval=0.01):
    """The viewable window titled `name` (waiting up to `timeout` seconds, polling every `interval`), or
    None; stops early when alive() turns false (the app exited)."""
    deadline = time.monotonic() + timeout
    while True:
        found = windows_named(dpy, name)
        if found:
            return found[0]
        if time.monotonic() > deadline or not alive():
            return None
        time.sleep(interval)


def grab(win, rows=None):
    """The window's pixels as a Pillow RGB image: all of it, or the band of `rows` (start, count)."""
    from PIL import Image
    geometry = win.get_geometry()
    top, height = rows or (0, geometry.height)
    raw = win.get_image(0, top, geometry.width, height, X.ZPixmap, 0xffffffff)
    return Image.frombytes('RGB', (geometry.width, height), raw.data, 'raw', 'BGRX')


def background_share(image):
    """How much of the image its most common colour covers, 0 to 1."""
    return max(image.getcolors(maxcolors=1 << 24))[0] / (image.width * image.height)


def laid_out(win, timeout, settle=1.0, alive=lambda: True):
    """The window's image once it shows a laid-out page (see LAID_OUT_BACKGROUND) and `settle` more
    seconds have passed for late pictures and fonts: (image, laid out at all). Animations on the
    page (a spinner, a running job's badge) do not hold it up."""
    deadline = time.monotonic() + timeout
    while True:
        image = grab(win)
        if background_share(image) < LAID_OUT_BACKGROUND:
            time.sleep(settle)
            return grab(win), True
        if time.monotonic() > deadline or not alive():
            return image, False
        time.sleep(0.1)


def changed_share(before, after):
    """The share of pixels that differ between two images of the same size, 0 to 1."""
    from PIL import ImageChops
    diff = ImageChops.difference(before, after).convert('L').point(lambda v: 255 if v else 0)
    return diff.histogram()[255] / (before.width * before.height)


def click(dpy, win, x, y, timeout):
    """Clicks the first mouse button at (x, y) in the window through the XTEST extension, as a mouse
    does, and waits until the page answers: (its image then, answered at all)."""
    before = grab(win)
    origin = win.translate_coords(dpy.screen().root, 0, 0)
    xtest.fake_input(dpy, X.MotionNotify, x=x - origin.x, y=y - origin.y)
    dpy.sync()
    time.sleep(0.1)
    for kind in (X.ButtonPress, X.ButtonRelease):
        xtest.fake_input(dpy, kind, 1)
        dpy.sync()
        time.sleep(0.05)
    deadline = time.monotonic() + timeout
    while True:
        after = grab(win)
        if changed_share(before, after) >= ANSWERED_SHARE:
            time.sleep(0.5)  # what the click opened finishes drawing
            return grab(win), True
        if time.monotonic() > deadline:
            return after, False
        time.sleep(0.1)


def close(dpy, win):
    """Sends WM_DELETE_WINDOW, what a window manager sends when the user clicks the close button."""
    protocols, delete = dpy.intern_atom('WM_PROTOCOLS'), dpy.intern_atom('WM_DELETE_WINDOW')
    if delete not in (win.get_wm_protocols() or []):
        raise RuntimeError('the window does not take WM_DELETE_WINDOW')
    message = xevent.ClientMessage(window=win, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
    win.send_event(message, event_mask=X.NoEventMask)
    dpy.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('action', choices=['wait', 'shot', 'close', 'click'])
    parser.add_argument('name', help="the window's title")
    parser.add_argument('rest', nargs='*', help='shot: OUT.png; click: X Y OUT.png')
    parser.add_argument('--timeout', type=float, default=60)
    args = parser.parse_args()
    try:
        dpy = xdisplay.Display()
    except Exception as err:  # Xlib raises several kinds
        sys.exit('x11_window: cannot open the display ({}): is DISPLAY set to a running X server?'.format(err))
    win = wait_viewable(dpy, args.name, args.timeout if args.action != 'close' else 0)
    if win is None:
        sys.exit('x11_window: no viewable window titled {!r} on {} after {:.0f} s'.format(
            args.name, dpy.get_display_name(), args.timeout if args.action != 'close' else 0))
    if args.action == 'wait':
        print(hex(win.id))
    elif args.action == 'shot':
        if len(args.rest) != 1:
            parser.error('shot needs OUT.png')
        out = args.rest[0]
        image, ok = laid_out(win, args.timeout)
        image.save(out)
        if not ok:
            sys.exit('x11_window: the window titled {!r} showed no laid-out page in {:.0f} s, only a blank or a message '
                     '(saved anyway: {}); look at the app\'s log'.format(args.name, args.timeout, out))
        print('{} ({}×{}, background {:.0%} of it)'.format(out, image.width, image.height, background_share(image)))
    elif args.action == 'click':
        if len(args.rest) != 3:
            parser.error('click needs X Y OUT.png')
        x, y, out = int(args.rest[0]), int(args.rest[1]), args.rest[2]
        image, ok = click(dpy, win, x, y, args.timeout)
        image.save(out)
        if not ok:
            sys.exit('x11_window: the page in the window titled {!r} did not answer a click at {},{} in {:.0f} s '
                     '(saved: {})'.format(args.name, x, y, args.timeout, out))
        print('{} (answered a click at {},{})'.format(out, x, y))
    else:
        close(dpy, win)


if __name__ == '__main__':
    main()
