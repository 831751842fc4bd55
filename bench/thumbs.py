"""The thumbs case of `make bench`: `jobfetch thumb` side by side with the Python pipelines users write.

Its inputs are the sim's `bench` thumbnail job (crates/sim/src/bench.rs): 500 one-arcminute DES cutouts,
228 × 228 px at 0.263″/px, each an i-band float32 FITS file and a gri colour PNG, fetched once with
`jobfetch get` before anything is timed (so every contender reads them from the page cache).

  png    the 500 colour PNGs: `jobfetch thumb … --size 256` against thumbs_pillow.py (Pillow, one process,
         Image.open, thumbnail, save)
  fits   the 500 FITS files: `jobfetch thumb … --size 256 --stretch linear --limits zscale` against
         thumbs_astropy.py (astropy getdata and ZScaleInterval, numpy, Pillow thumbnail and save)

Every contender is one whole command, timed like the download cases (harness.run_rounds: wall clock,
median of --runs, peak RSS from GNU time). Its output counts only when the output folder holds exactly
one whole, valid PNG (chunk CRCs, IHDR, image data of the right length) per input, named
<input name>.png, of the thumbnail's size (long side at most 256, never enlarged), in colour for the
colour inputs. A dozen outputs of each contender are also compared pixel by pixel with jobfetch's
(reported, not judged). With 228 px inputs and --size 256 nothing is resampled: a thumbnail here is
read, decode (and for FITS, limits and stretch), encode, write.

The time to the first screen of thumbnails in the app comes from the last end-to-end run
(target/e2e/timings.json, written by tests/e2e): it is only read here.
"""

import datetime
import json
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import zlib

from harness import contender_env, fmt, run, run_rounds, table

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PILLOW_SCRIPT = os.path.join(HERE, 'thumbs_pillow.py')
ASTROPY_SCRIPT = os.path.join(HERE, 'thumbs_astropy.py')
E2E_TIMINGS = os.path.join(REPO, 'target', 'e2e', 'timings.json')

# Keep in step with crates/sim/src/bench.rs.
THUMBS_JOB_ID = '7d1b5c0ffee04e3a9b2c6d8e0f1a2b3c'
FILES_PER_KIND = 500

SIZE = 256
SAMPLE = 12  # outputs per contender compared with jobfetch's
PNG_TARGET = 3    # × faster than Pillow
FITS_TARGET = 5   # × faster than astropy + Pillow
FIRST_SCREEN_WARM_S = 0.5
FIRST_SCREEN_COLD_S = 2.0

# What the Python contenders import, timed alone to show their fixed cost.
IMPORTS = {'png': 'from PIL import Image',
           'fits': 'import numpy; from astropy.io import fits; from astropy.visualization import ZScaleInterval; '
                   'from PIL import Image'}

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


# ---------------------------------------------------------------------------------------------
# Reading PNG and FITS headers (standard library only)


def read_png(path):
    """(width, height, colour type) of a whole, valid PNG file; ValueError saying why not."""
    with open(path, 'rb') as f:
        data = f.read()
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError('not a PNG')
    pos, ihdr, idat, ended = len(PNG_SIGNATURE), None, [], False
    while pos + 12 <= len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        if pos + 12 + length > len(data):
            break
        body = data[pos + 8:pos + 8 + length]
        if zlib.crc32(kind + body) != struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])[0]:
            raise ValueError('bad CRC in its {} chunk'.format(kind.decode('latin-1')))
        if kind == b'IHDR':
            ihdr = body
        elif kind == b'IDAT':
            idat.append(body)
        pos += 12 + length
        if kind == b'IEND':
            ended = True
            break
    if ihdr is None or len(ihdr) != 13 or not idat or not ended:
        raise ValueError('cut short or missing IHDR/IDAT/IEND')
    width, height, depth, colour, _, _, interlace = struct.unpack('>IIBBBBB', ihdr)
    if colour not in CHANNELS or width == 0 or height == 0:
        raise ValueError('bad IHDR')
    try:
        raw = zlib.decompress(b''.join(idat))
    except zlib.error as err:
        raise ValueError('image data does not inflate ({})'.format(err))
    if interlace == 0:
        row = 1 + (width * CHANNELS[colour] * depth + 7) // 8
        if len(raw) != height * row:
            raise ValueError('image data of {} bytes for {}×{}'.format(len(raw), width, height))
    return width, height, colour


def read_fits_size(path):
    """(NAXIS1, NAXIS2) of the primary HDU."""
    cards = {}
    with open(path, 'rb') as f:
        while True:
            block = f.read(2880)
            if len(block) < 2880:
                raise ValueError('no END card')
            for i in range(0, 2880, 80):
                card = block[i:i + 80].decode('ascii', 'replace')
                if card.startswith('END') and not card[3:].strip():
                    return int(cards['NAXIS1']), int(cards['NAXIS2'])
                if card[8:10] == '= ':
                    cards[card[:8].strip()] = card[10:].split('/')[0].strip()


def thumb_size(width, height, size):
    """The long side brought down to `size`, aspect kept; never enlarged."""
    if max(width, height) <= size:
        return width, height
    if width >= height:
        return size, max(1, round(height * size / width))
    return max(1, round(width * size / height)), size


# ---------------------------------------------------------------------------------------------
# The inputs


class Inputs:
    """The thumbnail job fetched once with `jobfetch get` (not timed): its FITS and PNG files."""

    def __init__(self, sim, jobfetch, work, timeout):
        folder_url, _ = sim.folder(THUMBS_JOB_ID)
        expected = sim.walk(folder_url)
        out = tempfile.mkdtemp(prefix='thumbs-input-', dir=work)
        got = run([jobfetch, 'get', folder_url, '--out', out, '--concurrency', '16', '--quiet'],
                  os.path.join(work, 'thumbs-input.log'), timeout, env=contender_env(work))
        if got.code != 0:
            raise RuntimeError('jobfetch get of the thumbnail job failed (exit {}): {}'.format(got.code, got.log_tail()))
        root = os.path.join(out, THUMBS_JOB_ID)
        for rel, size in expected.items():
            path = os.path.join(root, rel)
            if not os.path.isfile(path) or os.path.getsize(path) != size:
                raise RuntimeError('jobfetch get of the thumbnail job left {} missing or of the wrong size'.format(rel))
        self.url, self.fetch_seconds = folder_url, got.seconds
        self.fits = sorted(os.path.join(root, rel) for rel in expected if rel.endswith('.fits'))
        self.png = sorted(os.path.join(root, rel) for rel in expected if rel.endswith('.png'))
        for kind, paths in (('FITS', self.fits), ('PNG', self.png)):
            if len(paths) < FILES_PER_KIND:
                raise RuntimeError('the thumbnail job has {} {} files, not {}'.format(len(paths), kind, FILES_PER_KIND))
        self.fits, self.png = self.fits[:FILES_PER_KIND], self.png[:FILES_PER_KIND]
        self.dims = {p: read_fits_size(p) for p in self.fits}
        self.dims.update({p: read_png(p)[:2] for p in self.png})
        self.bytes = {'fits': sum(map(os.path.getsize, self.fits)), 'png': sum(map(os.path.getsize, self.png))}


# ---------------------------------------------------------------------------------------------
# Checking and comparing outputs


class Checker:
    """check(name, out, log) for run_rounds: one valid PNG of the right size per input, nothing else; and a
    sample of each contender's first good output kept, as pixels, for comparing with jobfetch's."""

    def __init__(self, inputs, dims, size, colour):
        self.inputs, self.dims, self.size, self.colour = inputs, dims, size, colour
        self.picks = random.Random(1).sample(inputs, min(SAMPLE, len(inputs)))
        self.samples = {}  # contender -> [numpy array per pick], or None without Pillow/numpy
        self.out_bytes = {}  # contender -> total bytes of its thumbnails (first good run)

    def __call__(self, name, out, log):
        wanted = {os.path.basename(p) + '.png': p for p in self.inputs}
        present = set(os.listdir(out)) if os.path.isdir(out) else set()
        missing = sorted(set(wanted) - present)
        if missing:
            return '{} of {} thumbnails missing (e.g. {})'.format(len(missing), len(wanted), missing[0]), []
        for out_name, source in sorted(wanted.items()):
            try:
                width, height, colour = read_png(os.path.join(out, out_name))
            except (OSError, ValueError) as err:
                return '{} is not a valid PNG: {}'.format(out_name, err), []
            want_w, want_h = thumb_size(*self.dims[source], self.size)
            if abs(width - want_w) > 1 or abs(height - want_h) > 1 or max(width, height) != max(want_w, want_h):
                return '{} is {}×{}, not {}×{}'.format(out_name, width, height, want_w, want_h), []
            if self.colour and colour not in (2, 3, 6):
                return '{} is grey (PNG colour type {}) from a colour input'.format(out_name, colour), []
        if name not in self.out_bytes:
            self.out_bytes[name] = sum(os.path.getsize(os.path.join(out, n)) for n in wanted)
            self.samples[name] = self.load(out)
        return None, sorted(present - set(wanted))

    def load(self, out):
        try:
            import numpy as np
            from PIL import Image
        except ImportError:
            return None
        mode = 'RGB' if self.colour else 'L'
        arrays = []
        try:
            for p in self.picks:
                with Image.open(os.path.join(out, os.path.basename(p) + '.png')) as im:
                    arrays.append(np.asarray(im.convert(mode), dtype=np.int16))
        except (OSError, ValueError):
            return None
        return arrays

    def agreement(self, reference):
        """Lines comparing each contender's sampled thumbnails with the reference's."""
        ref = self.samples.get(reference)
        lines = []
        for name, arrays in self.samples.items():
            if name == reference or ref is None or arrays is None:
                continue
            if any(a.shape != b.shape for a, b in zip(ref, arrays)):
                lines.append('{} vs {}: thumbnails of different shapes'.format(name, reference))
                continue
            diff = [abs(a - b) for a, b in zip(ref, arrays)]
            mean = sum(float(d.mean()) for d in diff) / len(diff)
            off = sum(float((d.reshape(d.shape[0], d.shape[1], -1).max(axis=2) > 2).mean()) for d in diff) / len(diff)
            flipped = sum(float(abs(a - b[::-1]).mean()) for a, b in zip(ref, arrays)) / len(diff)
            text = '{} vs {} on {} files: mean |Δ| {:.2f} of 255, {:.1f}% of pixels off by more than 2 levels'.format(
                name, reference, len(diff), mean, 100 * off)
            if flipped < mean / 2:
                text += ' (upside down: {:.2f} when flipped)'.format(flipped)
            lines.append(text)
        return lines


# ---------------------------------------------------------------------------------------------
# The case


def contenders(kind, jobfetch, files, size):
    """(name, build(out_dir) -> argv, note) for `kind` 'png' or 'fits'."""
    py = os.path.basename(sys.executable)
    if kind == 'png':
        yield ('jobfetch thumb', lambda out: [jobfetch, 'thumb'] + files + ['--out', out, '--size', str(size)],
               '--size {}; its own threads on every core'.format(size))
        yield ('Pillow', lambda out: [sys.executable, PILLOW_SCRIPT, str(size), out] + files,
               '{} bench/thumbs_pillow.py: open, thumbnail(({s}, {s})), save, one file after another'.format(py, s=size))
    else:
        yield ('jobfetch thumb', lambda out: [jobfetch, 'thumb'] + files + [
            '--out', out, '--size', str(size), '--stretch', 'linear', '--limits', 'zscale'],
            '--size {} --stretch linear --limits zscale; its own threads on every core'.format(size))
        yield ('astropy + Pillow', lambda out: [sys.executable, ASTROPY_SCRIPT, str(size), out] + files,
               '{} bench/thumbs_astropy.py: getdata, ZScaleInterval, linear to 8 bits, rows flipped, '
               'thumbnail, save, one file after another'.format(py))


def run_case(sim, jobfetch, work, runs, timeout, chosen=None, size=SIZE):
    """Runs both halves; returns {'png': rows, 'fits': rows, 'md': markdown lines, 'e2e': timings or None}."""
    print('\n-- thumbnails: fetching the inputs (not timed)', flush=True)
    inputs = Inputs(sim, jobfetch, work, timeout)
    w, h = inputs.dims[inputs.png[0]]
    print('   {} FITS + {} PNG files ({}×{} px), {:,} + {:,} bytes, from {} in {:.1f} s'.format(
        len(inputs.fits), len(inputs.png), w, h, inputs.bytes['fits'], inputs.bytes['png'], inputs.url,
        inputs.fetch_seconds), flush=True)
    result = {'size': size}
    md = ['', '## Thumbnails', '',
          '{} DES cutouts of one arcminute ({}×{} px at 0.263″/px) from the sim, each an i-band float32 FITS file '
          'and a gri colour PNG, fetched beforehand with `jobfetch get` (not timed). Every contender thumbnails all '
          '{} files of a kind to {} px on the long side (never enlarged) as PNG, in one command; time is wall clock '
          'from start to exit, and a time counts only once every thumbnail is a valid PNG of the right size.'.format(
              len(inputs.png), w, h, FILES_PER_KIND, size)]
    titles = {'png': '{} colour PNG cutouts'.format(FILES_PER_KIND),
              'fits': '{} FITS cutouts (float32), zscale, linear'.format(FILES_PER_KIND)}
    for kind in ('png', 'fits'):
        files = inputs.png if kind == 'png' else inputs.fits
        checker = Checker(files, inputs.dims, size, colour=kind == 'png')
        entries = [e for e in contenders(kind, jobfetch, files, size)
                   if not chosen or e[0].split()[0] in chosen]
        print('\n-- thumbnails of {}'.format(titles[kind]), flush=True)
        rows = run_rounds(entries, runs, timeout, work, 'thumbs-' + kind, checker)
        startup = startup_seconds(kind, work, timeout)
        for row in rows:
            written = checker.out_bytes.get(row.name)
            if written:
                row.note += '; thumbnails {:.1f} MB in all'.format(written / 1e6)
            if row.name != 'jobfetch thumb' and startup is not None:
                row.note += '; Python start and imports alone {:.2f} s'.format(startup)
        lines = table(rows, 'jobfetch thumb', [('files/s', len(files), '.0f')], cpu=True)
        agree = checker.agreement('jobfetch thumb')
        print('\n' + '\n'.join(lines + [''] + ['  ' + a for a in agree]), flush=True)
        result[kind] = rows
        md += ['', '### ' + titles[kind][0].upper() + titles[kind][1:], '', '{} files, {:,} bytes.'.format(
            len(files), inputs.bytes[kind]), ''] + lines
        if agree:
            md += ['', 'Sampled thumbnails compared pixel by pixel (not judged):', ''] + ['- ' + a for a in agree]
    result['e2e'] = e2e = read_e2e()
    lines = e2e_lines(e2e)
    print('\n-- first screen of thumbnails in the app (from the last end-to-end run)\n' + '\n'.join(
        '  ' + line for line in lines), flush=True)
    md += ['', '### First screen of thumbnails in the app', ''] + lines
    result['md'] = md
    return result


def startup_seconds(kind, work, timeout):
    """Median wall-clock time of starting Python and importing what kind's Python contender imports."""
    times = []
    for i in range(3):
        got = run([sys.executable, '-c', IMPORTS[kind]], os.path.join(work, 'imports-{}-{}.log'.format(kind, i)), timeout)
        if got.code != 0:
            return None
        times.append(got.seconds)
    return statistics.median(times)


def read_e2e():
    """The end-to-end test's timings and when they were written, or None."""
    try:
        with open(E2E_TIMINGS) as f:
            timings = json.load(f)
        when = datetime.datetime.fromtimestamp(os.path.getmtime(E2E_TIMINGS)).astimezone()
    except (OSError, ValueError):
        return None
    return {'timings': timings if isinstance(timings, dict) else {}, 'when': when.strftime('%Y-%m-%d %H:%M %Z')}


def first_screen(e2e, key):
    try:
        return float(e2e['timings'][key]) / 1000
    except (TypeError, KeyError, ValueError):
        return None


def e2e_lines(e2e):
    if e2e is None:
        return ['No end-to-end timings: {} is missing (`make test-e2e` writes it).'.format(os.path.relpath(E2E_TIMINGS, REPO))]
    return ['From the last end-to-end run ({}, {}): the app showing the first screen of thumbnails of the '
            '520-cutout demo job `des-wide-520`: warm cache {} s, cold cache {} s.'.format(
                os.path.relpath(E2E_TIMINGS, REPO), e2e['when'],
                fmt(first_screen(e2e, 'first_screen_warm_ms'), '.2f'), fmt(first_screen(e2e, 'first_screen_cold_ms'), '.2f'))]


# ---------------------------------------------------------------------------------------------
# Targets and versions


def targets(result):
    """(PASS/FAIL/n/a, text) for the thumbnail targets."""
    checks = []

    def row(kind, name):
        return next((r for r in result.get(kind) or [] if r.name == name), None)

    for kind, other, times, label in (('fits', 'astropy + Pillow', FITS_TARGET, '{} FITS cutouts'),
                                      ('png', 'Pillow', PNG_TARGET, '{} PNG cutouts')):
        text = '{}: ≥ {}× faster than {}'.format(label.format(FILES_PER_KIND), times, other)
        if result.get('size', SIZE) != SIZE:
            text += ' (measured at {} px; the target is set at {} px)'.format(result['size'], SIZE)
        jf, r = row(kind, 'jobfetch thumb'), row(kind, other)
        if jf is None or r is None:
            checks.append(('n/a', text + ' — not run'))
        elif jf.seconds is None:
            checks.append(('FAIL', text + ' — jobfetch thumb did not finish ({})'.format(jf.failure)))
        elif r.seconds is None:
            checks.append(('n/a', text + ' — {} failed'.format(other)))
        else:
            ratio = r.seconds / jf.seconds
            checks.append(('PASS' if ratio >= times else 'FAIL', '{} — {:.1f}× ({:.2f} s vs {:.2f} s)'.format(
                text, ratio, jf.seconds, r.seconds)))
    e2e = result.get('e2e')
    for key, limit, cache in (('first_screen_warm_ms', FIRST_SCREEN_WARM_S, 'warm'),
                              ('first_screen_cold_ms', FIRST_SCREEN_COLD_S, 'cold')):
        text = 'first screen of thumbnails of the 520-cutout demo job, {} cache: ≤ {} s'.format(cache, limit)
        seconds = first_screen(e2e, key) if e2e else None
        if seconds is None:
            checks.append(('n/a', text + ' — no {} in {} (from the end-to-end test)'.format(
                key, os.path.relpath(E2E_TIMINGS, REPO))))
        else:
            checks.append(('PASS' if seconds <= limit else 'FAIL', '{} — {:.2f} s (last end-to-end run, {})'.format(
                text, seconds, e2e['when'])))
    return checks


def versions():
    """Machine-table rows: the Python pipeline's libraries."""
    code = ('import PIL, numpy, astropy; '
            'print("Pillow {}, numpy {}, astropy {}".format(PIL.__version__, numpy.__version__, astropy.__version__))')
    try:
        text = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        text = ''
    return [('thumbnails', 'Python {}.{}, {}'.format(sys.version_info[0], sys.version_info[1], text or 'Pillow/numpy/astropy missing'))]
