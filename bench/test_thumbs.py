"""Checks of the thumbs case's own helpers (no jobfetch, no sim): python3 -m unittest bench/test_thumbs.py"""

import os
import struct
import sys
import tempfile
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import thumbs  # noqa: E402


def chunk(kind, body):
    return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body))


def png(width, height, colour=2):
    row = b'\0' + b'\x80' * (width * thumbs.CHANNELS[colour])
    return (thumbs.PNG_SIGNATURE + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, colour, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(row * height)) + chunk(b'IEND', b''))


def fits(width, height):
    cards = ['SIMPLE  =                    T', 'BITPIX  =                  -32', 'NAXIS   =                    2',
             'NAXIS1  = {:>20}'.format(width), 'NAXIS2  = {:>20} / rows'.format(height), 'END']
    header = ''.join(c.ljust(80) for c in cards).ljust(2880).encode()
    return header + bytes(-(-width * height * 4 // 2880) * 2880)


class Helpers(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write(self, name, data):
        path = os.path.join(self.dir.name, name)
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def test_reads_whole_pngs_and_refuses_broken_ones(self):
        good = png(228, 100)
        self.assertEqual(thumbs.read_png(self.write('a.png', good)), (228, 100, 2))
        for broken in (good[:-12], good[:40] + b'x' + good[41:], b'GIF89a' + good[6:],
                       png(228, 100)[:33] + chunk(b'IDAT', zlib.compress(b'\0' * 10)) + chunk(b'IEND', b'')):
            with self.assertRaises(ValueError):
                thumbs.read_png(self.write('b.png', broken))

    def test_reads_the_fits_image_size(self):
        self.assertEqual(thumbs.read_fits_size(self.write('a.fits', fits(228, 227))), (228, 227))

    def test_thumb_size_keeps_the_aspect_and_never_enlarges(self):
        self.assertEqual(thumbs.thumb_size(228, 228, 256), (228, 228))
        self.assertEqual(thumbs.thumb_size(1000, 500, 256), (256, 128))
        self.assertEqual(thumbs.thumb_size(500, 1000, 256), (128, 256))
        self.assertEqual(thumbs.thumb_size(10000, 3, 256), (256, 1))

    def test_checker_wants_one_valid_thumbnail_of_the_right_size_per_input(self):
        inputs = [self.write('in{}.png'.format(i), png(300, 150)) for i in range(3)]
        checker = thumbs.Checker(inputs, {p: (300, 150) for p in inputs}, 256, colour=True)
        out = os.path.join(self.dir.name, 'out')
        os.mkdir(out)
        for i in range(3):
            self.write('out/in{}.png.png'.format(i), png(256, 128))
        self.assertEqual(checker('x', out), (None, []))
        self.write('out/in0.png.png', png(256, 128, colour=0))
        self.assertIn('grey', checker('x', out)[0])
        self.write('out/in0.png.png', png(300, 150))
        self.assertIn('not 256×128', checker('x', out)[0])
        os.remove(os.path.join(out, 'in0.png.png'))
        self.assertIn('1 of 3 thumbnails missing', checker('x', out)[0])
        self.write('out/in0.png.png', png(256, 128))
        self.write('out/stray.txt', b'')
        self.assertEqual(checker('x', out), (None, ['stray.txt']))

    def test_targets_read_end_to_end_timings(self):
        e2e = {'timings': {'first_screen_warm_ms': 420, 'first_screen_cold_ms': 2500}, 'when': 'then'}
        checks = thumbs.targets({'e2e': e2e})
        self.assertEqual([c[0] for c in checks], ['n/a', 'n/a', 'PASS', 'FAIL'])
        self.assertIn('0.42 s', checks[2][1])
        self.assertIn('2.50 s', checks[3][1])
        self.assertEqual([c[0] for c in thumbs.targets({'e2e': None})][2:], ['n/a', 'n/a'])


if __name__ == '__main__':
    unittest.main()
