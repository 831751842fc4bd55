"""What every case of `make bench` shares: running a command to the end with its wall-clock time and
peak RSS, running contenders in rounds with their output checked before a time counts, and the markdown
tables. Imported by run.py (downloads) and thumbs.py (thumbnails).
"""

import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

children = set()  # every process started and not yet reaped, killed on the way out


# ---------------------------------------------------------------------------------------------
# Processes


class Outcome:
    def __init__(self, seconds, rss_kib, code, log, cpu_seconds=None):
        self.seconds, self.rss_kib, self.code, self.log = seconds, rss_kib, code, log
        self.cpu_seconds = cpu_seconds  # user + system, cmd and the processes it waited for

    def log_tail(self, n=600):
        try:
            with open(self.log, errors='replace') as f:
                text = f.read().strip()
        except OSError:
            return ''
        return ' '.join(text[-n:].split())


def start(cmd, log, env=None):
    """Starts cmd in a session (process group) of its own, so it and anything it starts can be killed."""
    out = open(log, 'ab')
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    finally:
        out.close()
    children.add(proc)
    return proc


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout


def kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def reap(proc, block=True):
    """wait4 on the child: (exit code, rusage), or None if it is still running and block is False."""
    pid, status, usage = os.wait4(proc.pid, 0 if block else os.WNOHANG)
    if pid == 0:
        return None
    proc.returncode = os.waitstatus_to_exitcode(status)
    children.discard(proc)
    return proc.returncode, usage


def run(cmd, log, timeout, env=None):
    """Runs cmd to the end: wall-clock seconds, its peak RSS (KiB), its exit code and its CPU time.

    The peak RSS comes from GNU time, which forks cmd and reads it from wait4. Spawned straight from
    this script, cmd's ru_maxrss would start at this Python process's RSS: Linux carries the high-water
    mark of the address space a process leaves at exec into its ru_maxrss, and a child's address space
    before exec is a copy of (with vfork, the very same as) its parent's."""
    rss_file = log + '.rss'
    t0 = time.monotonic()
    proc = start(['/usr/bin/time', '-o', rss_file, '-f', 'maxrss=%M\ncpu=%U %S', '--'] + cmd, log, env)
    # A timer signal rather than a timer thread: with no other thread about, Ctrl-C lands on this one
    # and interrupts wait4 at once.
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        code, _ = reap(proc)
    except Timeout:
        kill_group(proc)
        code = reap(proc)[0] if proc.returncode is None else proc.returncode
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        kill_group(proc)  # anything cmd left running
    seconds = time.monotonic() - t0
    if seconds >= timeout:
        with open(log, 'a') as f:
            f.write('\nkilled after {} s\n'.format(timeout))
    rss_kib = cpu = None
    try:
        with open(rss_file) as f:
            lines = f.readlines()
        rss_kib = int([line for line in lines if line.startswith('maxrss=')][-1].split('=')[1])
        cpu = sum(map(float, [line for line in lines if line.startswith('cpu=')][-1].split('=')[1].split()))
    except (OSError, IndexError, ValueError):
        code = code or -1
    return Outcome(seconds, rss_kib, code, log, cpu)


def kill_children():
    for proc in list(children):
        kill_group(proc)
        try:
            proc.wait(10)
        except (OSError, subprocess.SubprocessError):
            pass
        children.discard(proc)


def capture(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ''


# ---------------------------------------------------------------------------------------------
# Contenders in rounds


class Row:
    def __init__(self, name, note):
        self.name, self.note = name, note
        self.seconds = self.rss_kib = self.cpu_seconds = None
        self.runs = 0
        self.failure = None
        self.extra = []  # files written besides the expected ones


def run_rounds(entries, runs, timeout, work, label, check, once=(), before=None):
    """Rows for (name, build(out_dir) -> argv, note) entries, run in rounds (each contender once per
    round; those named in `once` in the first round only, with 5 times the timeout), so that drift on
    the machine does not favour whoever runs first. Each run writes into a fresh empty out_dir, which
    check(name, out_dir, log) -> (why the output is wrong or None, other files found) judges before the
    time counts (log: the file holding the run's stdout and stderr); the folder is deleted after.
    before(name), when given, is called just before each run."""
    rows = [Row(name, note) for name, _, note in entries]
    times = {row.name: [] for row in rows}
    peaks = {row.name: [] for row in rows}
    cpus = {row.name: [] for row in rows}
    for i in range(runs):
        for row, (name, build, _) in zip(rows, entries):
            n = 1 if name in once else runs
            if i >= n or row.failure:
                continue
            out = tempfile.mkdtemp(prefix='out-', dir=work)
            log = os.path.join(work, '{}-{}-{}.log'.format(label, name.split()[0], i))
            try:
                limit = timeout * 5 if name in once else timeout
                if before is not None:
                    before(name)
                outcome = run(build(out), log, limit, env=contender_env(work, fresh_state=True))
                if outcome.seconds >= limit:
                    row.failure = 'still running after {} s: {}'.format(limit, outcome.log_tail())
                elif outcome.code != 0:
                    row.failure = 'exit {}: {}'.format(outcome.code, outcome.log_tail())
                else:
                    row.failure, row.extra = check(name, out, log)
                if not row.failure:
                    times[name].append(outcome.seconds)
                    peaks[name].append(outcome.rss_kib)
                    cpus[name].append(outcome.cpu_seconds)
            finally:
                shutil.rmtree(out, ignore_errors=True)
                os.sync()  # write-back of one run must not slow the next
            print('    {:<15} run {}/{}: {}'.format(name, i + 1, n, row.failure or '{:.2f} s, {:.1f} MiB'.format(
                times[name][-1], peaks[name][-1] / 1024)), flush=True)
    for row in rows:
        if not row.failure:
            row.runs = len(times[row.name])
            row.seconds = statistics.median(times[row.name])
            row.rss_kib = max(peaks[row.name])
            row.cpu_seconds = statistics.median(cpus[row.name])
    return rows


def contender_env(work, fresh_state=False):
    """The environment of a contender: no proxies, no rclone config, and jobfetch's download queue in
    the work folder (a fresh one per run unless asked, so no run continues another's batch)."""
    env = dict(os.environ)
    state = tempfile.mkdtemp(prefix='state-', dir=work) if fresh_state else os.path.join(work, 'state')
    env['JOBFETCH_STATE_DIR'] = state
    env['RCLONE_CONFIG'] = os.path.join(work, 'rclone.conf')  # none: everything is on the command line
    for proxy in ('http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'):
        env.pop(proxy, None)
    env['no_proxy'] = env['NO_PROXY'] = '127.0.0.1,localhost'
    return env



# ---------------------------------------------------------------------------------------------
# Reporting


def fmt(x, spec):
    return '—' if x is None else format(x, spec)


def table(rows, reference, rates, cpu=False):
    """Markdown lines for one case: time, each of `rates` ((header, amount, format): amount per second),
    CPU time if asked, peak RSS, time as a multiple of the `reference` contender's, status and how it ran."""
    ref = next((r for r in rows if r.name == reference and r.seconds), None)
    head = ['contender', 'time (s)'] + [header for header, _, _ in rates] + ['CPU (s)'] * cpu + [
        'peak RSS (MiB)', '× jobfetch time', 'status', 'how']
    align = ['---' if h in ('contender', 'status', 'how') else '---:' for h in head]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '|'.join(align) + '|']
    for r in rows:
        ok = r.seconds is not None
        cells = [r.name, fmt(r.seconds, '.2f')]
        cells += [fmt(amount / r.seconds if ok else None, spec) for _, amount, spec in rates]
        if cpu:
            cells.append(fmt(r.cpu_seconds if ok else None, '.2f'))
        cells.append(fmt(r.rss_kib / 1024 if ok else None, '.1f'))
        cells.append(fmt(r.seconds / ref.seconds if ok and ref else None, '.2f'))
        cells.append('ok' + (' (median of {})'.format(r.runs) if r.runs > 1 else '') if ok else 'FAILED: ' + r.failure)
        cells.append(r.note + ('; also wrote ' + ', '.join(r.extra[:4]) + (' …' if len(r.extra) > 4 else '')
                               if r.extra else ''))
        lines.append('| ' + ' | '.join(c.replace('|', '\\|') for c in cells) + ' |')
    return lines
