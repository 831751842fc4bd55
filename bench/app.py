#!/usr/bin/env python3
"""The app case of `make bench` (alone: `make bench-app`): the desktop app's release build, the one
`make package` bundles, measured against issue 10's targets on the built-in demo archive, under a
private Xvfb (1280×900), with a fresh profile (HOME and XDG folders) and a private keyring each start.

  .deb size   the package `make package` made                                            target ≤ 15 MB
  window      exec of `jobfetch-app --demo` to its window titled Jobfetch viewable (mapped),  target ≤ 1 s
              and to its first painted page (a band across the window's middle more than   (painted)
              one colour: the start-up message or the list drawn, not only GTK's or the
              web view's background); python-xlib polls the X server every 5 ms
              (scripts/x11_window.py)
  jobs list   exec to the jobs list drawn: the window's time plus, measured in other       target ≤ 1.5 s
              starts, the time from the window to the list. The list counts as drawn when
              the page has job rows and two animation frames have passed since
              (requestAnimationFrame), by the page's own clock; those starts go through
              tauri-driver and WebKitWebDriver, which run a script in the page (no hook in
              the app), and what they add before the app starts cancels out in the
              difference. Their raw time from the session request is reported too.
  memory      PSS of the app and every process below it (the WebKit web and network       target ≤ 250 MB
              processes), summed from /proc/PID/smaps_rollup once the list has had time
              to draw and 3 s more have passed
  idle CPU    user + system CPU seconds of that process tree over the next 10 s             target: none
              (and once more with animations off, to show what the page's animations cost)
Each is the median of --runs starts, each with a fresh profile (HOME and XDG folders); the D-Bus
session and keyring are up before (make runs this under scripts/with-keyring.sh), as on a desktop.

Times are printed and written, never asserted: a missed target is a FAIL line, not an error.

Usage: app.py APP DEB [--runs N] [--report PATH]   (run.py runs it as its `app` case)
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, 'scripts'))
import x11_window  # noqa: E402  (scripts/, shared with the package test)

from harness import capture, fmt  # noqa: E402

TITLE = 'Jobfetch'
DEB_TARGET_MB = 15
WINDOW_TARGET_S = 1.0
LIST_TARGET_S = 1.5
PSS_TARGET_MB = 250
SETTLE_S = 3
IDLE_S = 10
JOB_ROW = '[data-testid=job-row]'
MB = 1e6  # the targets are in MB; MiB shown beside
MiB = 1024 * 1024


# ---------------------------------------------------------------------------------------------
# Processes


class Display:
    """A private Xvfb; its number is what it writes to -displayfd."""

    def __init__(self, work):
        read, write = os.pipe()
        self.proc = subprocess.Popen(['Xvfb', '-displayfd', str(write), '-screen', '0', '1280x900x24', '-nolisten',
                                      'tcp'], pass_fds=(write,), stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(work, 'xvfb.log'), 'wb'))
        os.close(write)
        with os.fdopen(read) as f:
            number = f.readline().strip()
        if not number:
            raise RuntimeError('Xvfb did not start (see {}/xvfb.log)'.format(work))
        self.name = ':' + number
        os.environ['DISPLAY'] = self.name  # python-xlib and every child use it
        self.x = x11_window.xdisplay.Display(self.name)

    def clear(self, timeout=15):
        """Waits until no window titled Jobfetch is left from an earlier start, so the next is not mistaken for it."""
        deadline = time.monotonic() + timeout
        while x11_window.windows_named(self.x, TITLE):
            if time.monotonic() > deadline:
                raise RuntimeError('a {} window from an earlier start is still open after {} s'.format(TITLE, timeout))
            time.sleep(0.05)

    def stop(self):
        self.x.close()
        self.proc.terminate()
        self.proc.wait(10)


def fresh_env(work, run, animations=True):
    """A first start: an empty profile (HOME and XDG data, config and cache folders), no proxies. The
    D-Bus session and its keyring are the ones this runs in (make runs it under scripts/with-keyring.sh),
    up before the app starts, as on a desktop."""
    home = os.path.join(work, 'home-{}'.format(run))
    os.makedirs(home)
    env = {k: v for k, v in os.environ.items() if k not in ('XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME')
           and 'proxy' not in k.lower()}
    env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, '.config'), XDG_DATA_HOME=os.path.join(home, '.local/share'),
               XDG_CACHE_HOME=os.path.join(home, '.cache'), no_proxy='127.0.0.1,localhost')
    if not animations:
        # GTK's own switch, which WebKitGTK turns into the page's prefers-reduced-motion.
        os.makedirs(os.path.join(home, '.config', 'gtk-3.0'))
        with open(os.path.join(home, '.config', 'gtk-3.0', 'settings.ini'), 'w') as f:
            f.write('[Settings]\ngtk-enable-animations=0\n')
    return env


def tree(root_pid):
    """root_pid and every process below it."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/{}/stat'.format(entry)) as f:
                    ppid = int(f.read().rsplit(')', 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    found, pending = [], [root_pid]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending += children.get(pid, [])
    return found


def comm(pid):
    try:
        with open('/proc/{}/comm'.format(pid)) as f:
            return f.read().strip()
    except OSError:
        return ''


def pss_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open('/proc/{}/smaps_rollup'.format(pid)) as f:
                total += next(int(line.split()[1]) for line in f if line.startswith('Pss:'))
        except (OSError, StopIteration):
            pass
    return total


def cpu_seconds(pids):
    """{pid: user + system CPU seconds so far} of those still running."""
    used = {}
    for pid in pids:
        try:
            with open('/proc/{}/stat'.format(pid)) as f:
                fields = f.read().rsplit(')', 1)[1].split()
            used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return used


def stop(proc):
    """Ends the process as a session's end would (SIGTERM to its group), then anything left."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# ---------------------------------------------------------------------------------------------
# One start, straight: the window, then memory and idle CPU


def direct_start(app, display, work, run, list_after, animations=True):
    """Starts `app --demo` as a desktop would: seconds to its window viewable, then, once the list has
    had time to draw (`list_after` seconds after the window) and SETTLE_S more have passed, PSS and
    CPU over IDLE_S seconds."""
    log = os.path.join(work, 'app-{}.log'.format(run))
    display.clear()
    t0 = time.monotonic()
    proc = subprocess.Popen([app, '--demo'], env=fresh_env(work, run, animations),
                            stdin=subprocess.DEVNULL, stdout=open(log, 'wb'), stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        win = x11_window.wait_viewable(display.x, TITLE, 60, alive=lambda: proc.poll() is None, interval=0.005)
        window = time.monotonic() - t0
        if win is None:
            raise RuntimeError('no window within 60 s (see {})'.format(log))
        # A band across the middle, where the start-up message and the list both draw: one colour, nothing
        # drawn yet (a 16-row band costs the X server little, so polling it does not slow the app).
        middle = (win.get_geometry().height // 2 - 8, 16)
        while x11_window.grab(win, middle).getcolors(1) is not None:
            if time.monotonic() - t0 > 60:
                raise RuntimeError('the window stayed blank for 60 s (see {})'.format(log))
            time.sleep(0.005)
        painted = time.monotonic() - t0
        time.sleep(list_after + SETTLE_S)
        pids = tree(proc.pid)
        pss = pss_kib(pids)
        processes = sorted(comm(pid) for pid in pids)
        before = cpu_seconds(pids)
        time.sleep(IDLE_S)
        after = cpu_seconds(tree(proc.pid))
        by_process = {}
        for pid, seconds in after.items():
            name = comm(pid)
            by_process[name] = by_process.get(name, 0) + seconds - before.get(pid, 0)
        return {'window': window, 'painted': painted, 'pss_kib': pss, 'idle_cpu': sum(by_process.values()), 'idle_by_process': by_process,
                'processes': processes}
    finally:
        stop(proc)


# ---------------------------------------------------------------------------------------------
# One start through WebDriver: the jobs list


def webdriver_start(app, display, work, run):
    """Starts the app through tauri-driver: seconds to its window viewable and to the jobs list drawn,
    both from the request that starts it."""
    env = fresh_env(work, 'wd-{}'.format(run))
    log = os.path.join(work, 'tauri-driver-{}.log'.format(run))
    port = free_port()
    driver = subprocess.Popen(['tauri-driver', '--port', str(port), '--native-port', str(free_port())],
                              env=env, stdin=subprocess.DEVNULL, stdout=open(log, 'wb'), stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = 'http://127.0.0.1:{}'.format(port)
    http = requests.Session()
    http.trust_env = False
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                http.get(base + '/status', timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline or driver.poll() is not None:
                    raise RuntimeError('tauri-driver did not answer (see {})'.format(log))
                time.sleep(0.05)
        display.clear()
        # The window is watched from another thread (and X connection) while the session request waits.
        seen = {}
        watcher = threading.Thread(target=lambda: seen.update(win=x11_window.wait_viewable(
            x11_window.xdisplay.Display(display.name), TITLE, 60, interval=0.005), at=time.monotonic()))
        started = time.time()
        t0 = time.monotonic()
        watcher.start()
        reply = http.post(base + '/session', json={'capabilities': {'alwaysMatch': {
            'tauri:options': {'application': app, 'args': ['--demo']}}}}, timeout=60)
        if not reply.ok:
            raise RuntimeError('WebDriver refused the session: {}'.format(reply.text[:300]))
        session = '{}/session/{}'.format(base, reply.json()['value']['sessionId'])
        # The page's own clock (ms since the epoch) when the rows are there and two frames have been
        # painted since; a MutationObserver catches them if they are not there yet.
        script = '''
            const done = arguments[arguments.length - 1];
            const painted = () => requestAnimationFrame(() => requestAnimationFrame(() => done(Date.now())));
            if (document.querySelector(arguments[0])) return done(-Date.now());
            new MutationObserver((_, observer) => {
              if (document.querySelector(arguments[0])) { observer.disconnect(); painted(); }
            }).observe(document, {childList: true, subtree: true});'''
        drawn = None
        while drawn is None and time.monotonic() - t0 < 60:
            try:
                value = http.post(session + '/execute/async', json={'script': script, 'args': [JOB_ROW]},
                                  timeout=60).json()['value']
                drawn = value if isinstance(value, (int, float)) else None
            except (requests.RequestException, ValueError, KeyError):
                pass
            if drawn is None:
                time.sleep(0.02)  # the page is not there yet
        http.delete(session, timeout=30)
        watcher.join()
        if drawn is None or not seen.get('win'):
            raise RuntimeError('no {} within 60 s'.format('jobs list' if drawn is None else 'window'))
        # A negative time: the rows were there before the observer was, so the list was drawn by then at the latest.
        return {'window': seen['at'] - t0, 'list': abs(drawn) / 1000 - started, 'list_upper_bound': drawn < 0}
    finally:
        stop(driver)


# ---------------------------------------------------------------------------------------------


def result_median(runs, key):
    """The median of an odd number of runs is one of them; of an even number, the lower middle one."""
    values = sorted(r[key] for r in runs)
    return values[(len(values) - 1) // 2]


def by_name(seconds):
    return ', '.join('{} {:.2f} s'.format(name, value) for name, value in sorted(seconds.items(), key=lambda kv: -kv[1]))


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_case(app, deb, runs=3):
    """Measures everything; returns {'deb': bytes, 'window', 'list', 'pss_kib', 'idle_cpu': medians or
    None, 'runs': the raw results, 'failure': why a part could not be measured, 'md': markdown lines}."""
    app = os.path.abspath(app)
    work = tempfile.mkdtemp(prefix='jobfetch-bench-app-')
    result = {'deb': os.path.getsize(deb) if deb and os.path.exists(deb) else None, 'failure': None,
              'binary': os.path.getsize(app)}
    print('\n-- the desktop app: {} ({:.1f} MB), {}'.format(app, result['binary'] / MB, deb), flush=True)
    display = None
    try:
        display = Display(work)
        wd, direct = [], []
        for i in range(runs):
            r = webdriver_start(app, display, work, i)
            wd.append(r)
            print('    through WebDriver, run {}/{}: window {:.2f} s, jobs list {}{:.2f} s'.format(
                i + 1, runs, r['window'], '≤ ' if r['list_upper_bound'] else '', r['list']), flush=True)
        # From the window to the list, in the same start: what WebDriver adds before the app starts cancels out.
        to_list = statistics.median(r['list'] - r['window'] for r in wd)
        for i in range(runs):
            r = direct_start(app, display, work, i, to_list + 1)
            direct.append(r)
            print('    plain start, run {}/{}: window {:.2f} s, painted {:.2f} s, PSS {:.0f} MB ({} processes), idle CPU {:.2f} s over {} s ({})'.format(
                i + 1, runs, r['window'], r['painted'], r['pss_kib'] * 1024 / MB, len(r['processes']), r['idle_cpu'], IDLE_S,
                by_name(r['idle_by_process'])), flush=True)
        # Where idle CPU goes: one more start with animations off (the desktop's reduced-motion setting).
        still = direct_start(app, display, work, 'still', to_list + 1, animations=False)
        print('    plain start, animations off: idle CPU {:.2f} s over {} s ({})'.format(
            still['idle_cpu'], IDLE_S, by_name(still['idle_by_process'])), flush=True)
        window = statistics.median(r['window'] for r in direct)
        result.update(window=window, painted=statistics.median(r['painted'] for r in direct),
                      list=window + to_list, to_list=to_list,
                      wd_list=statistics.median(r['list'] for r in wd),
                      pss_kib=statistics.median(r['pss_kib'] for r in direct),
                      idle_cpu=result_median(direct, 'idle_cpu'),
                      wd_window=statistics.median(r['window'] for r in wd if r['window'] is not None),
                      processes=direct[-1]['processes'], idle_still=still['idle_cpu'], runs={'webdriver': wd, 'direct': direct},
                      idle_by_process=next(r for r in direct if r['idle_cpu'] == result_median(direct, 'idle_cpu'))[
                          'idle_by_process'])
    except (RuntimeError, OSError, requests.RequestException) as err:
        result['failure'] = str(err)
        print('    FAILED: {}'.format(err), flush=True)
    finally:
        if display:
            display.stop()
        shutil.rmtree(work, ignore_errors=True)
    result['md'] = md_lines(result, runs)
    print('\n' + '\n'.join(result['md'][4:]), flush=True)
    return result


def rows(result):
    """(measure, value, target, verdict) for each target."""
    def verdict(value, limit):
        return 'n/a' if value is None else 'PASS' if value <= limit else 'FAIL'
    deb_mb = result['deb'] / MB if result['deb'] else None
    pss_mb = result['pss_kib'] * 1024 / MB if result.get('pss_kib') else None
    return [
        ('.deb size', fmt(deb_mb, '.1f') + ' MB' + (' ({:.1f} MiB)'.format(result['deb'] / MiB) if deb_mb else ''), '≤ {} MB'.format(DEB_TARGET_MB), verdict(deb_mb, DEB_TARGET_MB)),
        ('start to the window viewable', fmt(result.get('window'), '.2f') + ' s', '≤ {:g} s'.format(WINDOW_TARGET_S),
         verdict(result.get('window'), WINDOW_TARGET_S)),
        ('start to the first painted page in it', fmt(result.get('painted'), '.2f') + ' s',
         '≤ {:g} s'.format(WINDOW_TARGET_S), verdict(result.get('painted'), WINDOW_TARGET_S)),
        ('start to the jobs list drawn', fmt(result.get('list'), '.2f') + ' s', '≤ {:g} s'.format(LIST_TARGET_S),
         verdict(result.get('list'), LIST_TARGET_S)),
        ('memory with the demo open (PSS, app + WebKit)', fmt(pss_mb, '.0f') + ' MB' + (
            ' ({:.0f} MiB)'.format(result['pss_kib'] / 1024) if pss_mb else ''), '≤ {} MB'.format(PSS_TARGET_MB),
         verdict(pss_mb, PSS_TARGET_MB)),
        ('CPU while idle ({} s)'.format(IDLE_S), fmt(result.get('idle_cpu'), '.2f') + ' s', 'none (no busy polling)',
         'n/a' if result.get('idle_cpu') is None else 'PASS' if result['idle_cpu'] < 0.05 * IDLE_S else 'FAIL'),
    ]


def md_lines(result, runs):
    lines = ['', '## The desktop app', '',
             'The release build `make package` bundles ({:.1f} MB binary), started with `--demo` under Xvfb with a fresh '
             'profile, median of {} starts of each kind: the window, memory and idle CPU from plain starts; the jobs list '
             'is the window\'s time plus the time from the window to the list in starts through WebDriver (bench/app.py '
             'says how each is measured).'.format(result['binary'] / MB, runs), '',
             '| measure | value | target | |', '|---|---:|---|---|']
    lines += ['| {} | {} | {} | {} |'.format(*row) for row in rows(result)]
    if result.get('processes'):
        lines += ['', 'Processes counted: {}. Through WebDriver (timed from the session request, which includes '
                  'WebKitWebDriver starting the app) the window was viewable after {} s and the list drawn after {} s, '
                  '{} s from window to list.'.format(', '.join(result['processes']), fmt(result.get('wd_window'), '.2f'),
                                                     fmt(result.get('wd_list'), '.2f'), fmt(result.get('to_list'), '.2f')),
                  '', 'CPU while idle, by process: {}; with animations off (GTK\'s gtk-enable-animations=0, which the page '
                  'sees as prefers-reduced-motion), {:.2f} s in all.'.format(by_name(result['idle_by_process']), result['idle_still'])]
    if result['failure']:
        lines += ['', 'FAILED: ' + result['failure']]
    return lines


def targets(result):
    """(PASS/FAIL/n/a, text) for each of the app's targets, for run.py's list."""
    return [(verdict, 'the desktop app: {} {} — {}'.format(measure, target, value))
            for measure, value, target, verdict in rows(result)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('app', help='the release jobfetch-app')
    parser.add_argument('deb', help='the .deb make package made')
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--report', default=os.path.join(REPO, 'target', 'bench', 'app.md'))
    args = parser.parse_args()
    started = datetime.datetime.now().astimezone()
    print('== make bench-app: {} ({})'.format(started.strftime('%Y-%m-%d %H:%M %Z'),
                                              capture(['git', '-C', REPO, 'describe', '--always', '--dirty'])))
    result = run_case(args.app, args.deb, args.runs)
    print('\n-- targets')
    for verdict, text in targets(result):
        print('  {:<4} {}'.format(verdict, text))
    os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
    with open(args.report, 'w') as f:
        f.write('\n'.join(['# Jobfetch desktop app benchmark', '', 'Run by `make bench-app` on {} at commit `{}`, load average {}.'.format(
            started.strftime('%Y-%m-%d %H:%M %Z'), capture(['git', '-C', REPO, 'describe', '--always', '--dirty']),
            ' / '.join(open('/proc/loadavg').read().split()[:3]))] + result['md']) + '\n')
    print('\nwritten to {}'.format(os.path.relpath(args.report)))
    return 1 if result['failure'] else 0


if __name__ == '__main__':
    sys.exit(main())
