//! Thumbnails of every FITS flavour, PNG and JPEG, and of the damaged, hostile and mislabelled files an archive can hand out.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jobfetch_engine::preview::{
    fits_header, looks_like_fits, render, render_file, ImageFormat, Limits, RenderOptions, Stretch,
};
use jobfetch_engine::ErrorCode;

const MINMAX: RenderOptions = RenderOptions {
    size: 256,
    stretch: Stretch::Linear,
    limits: Limits::MinMax,
};

/// One FITS header: the cards, END, padded with spaces to 2880 bytes.
fn header(cards: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (key, value) in cards {
        out.extend_from_slice(format!("{key:<8}= {value:>20}").as_bytes());
        out.resize(out.len().next_multiple_of(80), b' ');
    }
    out.extend_from_slice(format!("{:<80}", "END").as_bytes());
    out.resize(out.len().next_multiple_of(2880), b' ');
    out
}

/// A data unit: big-endian values, zero-padded to 2880 bytes.
fn data(values: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = values.concat();
    out.resize(out.len().next_multiple_of(2880), 0);
    out
}

/// A primary HDU holding an image with `extra` cards.
fn primary_image(
    bitpix: i32,
    axes: &[usize],
    extra: &[(&str, &str)],
    pixels: Vec<Vec<u8>>,
) -> Vec<u8> {
    let axis_values: Vec<String> = axes.iter().map(|n| n.to_string()).collect();
    let axis_keys: Vec<String> = (1..=axes.len()).map(|i| format!("NAXIS{i}")).collect();
    let (bitpix, naxis) = (bitpix.to_string(), axes.len().to_string());
    let mut cards = vec![
        ("SIMPLE", "T"),
        ("BITPIX", bitpix.as_str()),
        ("NAXIS", naxis.as_str()),
    ];
    cards.extend(
        axis_keys
            .iter()
            .map(String::as_str)
            .zip(axis_values.iter().map(String::as_str)),
    );
    cards.extend_from_slice(extra);
    [header(&cards), data(pixels)].concat()
}

/// The 4 × 3 ramp, value = x + 4 y, in FITS order (row y = 0 first, the bottom of the picture).
fn ramp() -> Vec<f64> {
    (0..12).map(f64::from).collect()
}

/// The ramp under minmax/linear, top row first: round(v / 11 × 255).
const RAMP_GREY: [u8; 12] = [185, 209, 232, 255, 93, 116, 139, 162, 0, 23, 46, 70];

fn grey_pixels(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let image =
        image::load_from_memory_with_format(png, image::ImageFormat::Png).expect("a valid PNG");
    let (width, height) = (image.width(), image.height());
    (width, height, image.into_luma8().into_raw())
}

fn no_preview(bytes: &[u8]) -> String {
    let err = render(bytes, &RenderOptions::default()).expect_err("no preview");
    assert_eq!(err.code, ErrorCode::NoPreview, "{}", err.message);
    err.message
}

#[test]
fn every_bitpix_gives_the_ramp_with_the_bottom_row_last() {
    type Encoding = (i32, fn(f64) -> Vec<u8>);
    let encodings: [Encoding; 6] = [
        (8, |v| vec![v as u8]),
        (16, |v| (v as i16).to_be_bytes().to_vec()),
        (32, |v| (v as i32).to_be_bytes().to_vec()),
        (64, |v| (v as i64).to_be_bytes().to_vec()),
        (-32, |v| (v as f32).to_be_bytes().to_vec()),
        (-64, |v| v.to_be_bytes().to_vec()),
    ];
    for (bitpix, encode) in encodings {
        let file = primary_image(
            bitpix,
            &[4, 3],
            &[],
            ramp().into_iter().map(encode).collect(),
        );
        let thumb =
            render(&file, &MINMAX).unwrap_or_else(|err| panic!("BITPIX {bitpix}: {}", err.message));
        assert_eq!((thumb.width, thumb.height), (4, 3));
        assert_eq!(
            grey_pixels(&thumb.png),
            (4, 3, RAMP_GREY.to_vec()),
            "BITPIX {bitpix}"
        );
        let fits = thumb.info.fits.expect("FITS info");
        assert_eq!(
            (thumb.info.format, fits.hdu, fits.bitpix),
            (ImageFormat::Fits, 0, bitpix)
        );
        assert_eq!(fits.axes, vec![4, 3]);
    }
}

#[test]
fn bscale_and_bzero_are_applied() {
    // Stored 11 - v with BSCALE = -1, BZERO = 11 is the ramp again; ignoring them would mirror it.
    let stored = ramp()
        .into_iter()
        .map(|v| ((11.0 - v) as i16).to_be_bytes().to_vec())
        .collect();
    let file = primary_image(
        16,
        &[4, 3],
        &[("BSCALE", "-1.0"), ("BZERO", "11.0")],
        stored,
    );
    assert_eq!(
        grey_pixels(&render(&file, &MINMAX).unwrap().png).2,
        RAMP_GREY.to_vec()
    );
    // Unsigned 16-bit data (BZERO = 32768) keeps its order across the sign of the stored value.
    let stored = [0.0, 40000.0, 65535.0, 1.0]
        .iter()
        .map(|&v: &f64| ((v - 32768.0) as i16).to_be_bytes().to_vec())
        .collect();
    let file = primary_image(16, &[2, 2], &[("BZERO", "32768")], stored);
    assert_eq!(
        grey_pixels(&render(&file, &MINMAX).unwrap().png).2,
        vec![255, 0, 0, 156]
    );
}

#[test]
fn blank_and_nan_are_black_and_ignored_by_the_limits() {
    // Values 1..12 with the largest (12, top right) BLANK: limits are 1 and 11.
    let expected: Vec<u8> = [
        9.0, 10.0, 11.0, 12.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0,
    ]
    .iter()
    .map(|v: &f64| {
        if *v == 12.0 {
            0
        } else {
            ((v - 1.0) / 10.0 * 255.0).round() as u8
        }
    })
    .collect();
    let stored = (1..=12)
        .map(|v| {
            (if v == 12 { -1i16 } else { v as i16 })
                .to_be_bytes()
                .to_vec()
        })
        .collect();
    let file = primary_image(16, &[4, 3], &[("BLANK", "-1")], stored);
    assert_eq!(
        grey_pixels(&render(&file, &MINMAX).unwrap().png).2,
        expected
    );

    let floats = (1..=12)
        .map(|v| match v {
            12 => f32::NAN,
            1 => f32::NEG_INFINITY,
            _ => v as f32,
        })
        .map(|v| v.to_be_bytes().to_vec())
        .collect();
    let file = primary_image(-32, &[4, 3], &[], floats);
    let grey = grey_pixels(&render(&file, &MINMAX).unwrap().png).2;
    // Limits 2..11 now; -inf (bottom left) and NaN (top right) are black.
    assert_eq!((grey[3], grey[8], grey[9], grey[7]), (0, 0, 0, 170));
    assert_eq!(grey[2], 255);
}

#[test]
fn an_empty_primary_is_skipped_for_the_image_extension_and_cards_come_from_both() {
    let primary = header(&[
        ("SIMPLE", "T"),
        ("BITPIX", "8"),
        ("NAXIS", "0"),
        ("EXTEND", "T"),
        ("OBJECT", "'NGC 253 '"),
        ("TELESCOP", "'JWST    '"),
    ]);
    let extension = [
        header(&[
            ("XTENSION", "'IMAGE   '"),
            ("BITPIX", "-32"),
            ("NAXIS", "2"),
            ("NAXIS1", "4"),
            ("NAXIS2", "3"),
            ("PCOUNT", "0"),
            ("GCOUNT", "1"),
            ("EXPTIME", "900.5"),
            ("CRVAL1", "36.67"),
            ("CRVAL2", "-15.69"),
            ("OBJECT", "'SCI     '"),
        ]),
        data(
            ramp()
                .into_iter()
                .map(|v| (v as f32).to_be_bytes().to_vec())
                .collect(),
        ),
    ]
    .concat();
    let file = [primary.clone(), extension].concat();
    let thumb = render(&file, &MINMAX).unwrap();
    assert_eq!(grey_pixels(&thumb.png).2, RAMP_GREY.to_vec());
    let fits = thumb.info.fits.unwrap();
    assert_eq!(fits.hdu, 1);
    let cards: Vec<(&str, &str)> = fits
        .cards
        .iter()
        .map(|c| (c.key.as_str(), c.value.as_str()))
        .collect();
    assert_eq!(
        cards,
        vec![
            ("OBJECT", "SCI"),
            ("NAXIS1", "4"),
            ("NAXIS2", "3"),
            ("BITPIX", "-32"),
            ("CRVAL1", "36.67"),
            ("CRVAL2", "-15.69"),
            ("EXPTIME", "900.5"),
            ("TELESCOP", "JWST"),
        ]
    );
    // The header alone says the same without the pixels.
    assert_eq!(fits_header(&file[..2880 * 2]).unwrap(), fits);
    // ... and says to fetch more when the prefix stops inside the image header.
    let err = fits_header(&file[..2880 + 800]).unwrap_err();
    assert!(err.message.contains("fetch more"), "{}", err.message);
    // An empty primary alone holds no image.
    assert!(no_preview(&primary).contains("holds no image"));
    // Nor does a spectrum.
    let spectrum = primary_image(-32, &[5], &[], vec![vec![0; 20]]);
    assert_eq!(
        no_preview(&spectrum),
        "No preview: the file's only image is 1-D (5 values), not a picture."
    );
}

#[test]
fn a_cube_shows_its_first_plane() {
    let mut values: Vec<Vec<u8>> = ramp()
        .into_iter()
        .map(|v| (v as f32).to_be_bytes().to_vec())
        .collect();
    values.extend((0..12).map(|_| 1000f32.to_be_bytes().to_vec()));
    let file = primary_image(-32, &[4, 3, 2], &[], values);
    let thumb = render(&file, &MINMAX).unwrap();
    assert_eq!(grey_pixels(&thumb.png).2, RAMP_GREY.to_vec());
    assert_eq!(thumb.info.fits.unwrap().axes, vec![4, 3, 2]);
}

#[test]
fn a_file_of_tables_has_no_preview() {
    let file = [
        header(&[
            ("SIMPLE", "T"),
            ("BITPIX", "8"),
            ("NAXIS", "0"),
            ("EXTEND", "T"),
        ]),
        header(&[
            ("XTENSION", "'BINTABLE'"),
            ("BITPIX", "8"),
            ("NAXIS", "2"),
            ("NAXIS1", "4"),
            ("NAXIS2", "2"),
            ("PCOUNT", "0"),
            ("GCOUNT", "1"),
            ("TFIELDS", "1"),
            ("TFORM1", "'1J      '"),
            ("TTYPE1", "'ID      '"),
        ]),
        data(vec![
            1i32.to_be_bytes().to_vec(),
            2i32.to_be_bytes().to_vec(),
        ]),
    ]
    .concat();
    assert_eq!(
        no_preview(&file),
        "No preview: the file holds tables but no image."
    );
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

#[test]
fn tile_compressed_images_match_the_uncompressed_one() {
    let plain = render(&fixture("ramp.fits"), &MINMAX).unwrap();
    let (width, height, expected) = grey_pixels(&plain.png);
    assert_eq!((width, height), (64, 48));
    // The NaN at numpy [10, 20] is FITS row 11, drawn 10 rows above the bottom.
    assert_eq!(expected[(47 - 10) * 64 + 20], 0);
    for (name, compression) in [
        ("ramp_rice.fits.fz", "RICE_1"),
        ("ramp_gzip1.fits.fz", "GZIP_1"),
        ("ramp_gzip2.fits.fz", "GZIP_2"),
        ("ramp_rice_tiles.fits.fz", "RICE_1"),
    ] {
        let thumb =
            render(&fixture(name), &MINMAX).unwrap_or_else(|err| panic!("{name}: {}", err.message));
        let fits = thumb.info.fits.as_ref().unwrap();
        assert_eq!(
            (fits.hdu, fits.bitpix, fits.compression.as_deref()),
            (1, -32, Some(compression)),
            "{name}"
        );
        assert_eq!(fits.axes, vec![64, 48]);
        assert_eq!(fits.cards[0].value, "RAMP");
        let (_, _, grey) = grey_pixels(&thumb.png);
        assert_eq!(grey[(47 - 10) * 64 + 20], 0, "{name}: the NaN pixel");
        let worst = grey
            .iter()
            .zip(&expected)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(worst <= 1, "{name}: differs by up to {worst} grey levels");
    }
    let header = fits_header(&fixture("ramp_rice.fits.fz")[..2880 * 3]).unwrap();
    assert_eq!(header.compression.as_deref(), Some("RICE_1"));
}

#[test]
fn hcompress_matches_the_uncompressed_image_within_a_few_grey_levels() {
    let plain = render(&fixture("ramp.fits"), &MINMAX).unwrap();
    let (_, _, expected) = grey_pixels(&plain.png);
    let thumb = render(&fixture("ramp_hcompress.fits.fz"), &MINMAX)
        .unwrap_or_else(|err| panic!("{}", err.message));
    let fits = thumb.info.fits.as_ref().unwrap();
    assert_eq!(
        (fits.hdu, fits.bitpix, fits.compression.as_deref()),
        (1, -32, Some("HCOMPRESS_1"))
    );
    let (width, height, grey) = grey_pixels(&thumb.png);
    assert_eq!((width, height), (64, 48));
    assert_eq!(grey[(47 - 10) * 64 + 20], 0, "the NaN pixel");
    let worst = grey
        .iter()
        .zip(&expected)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap();
    assert!(worst <= 3, "differs by up to {worst} grey levels");
}

#[test]
fn integer_images_decode_with_every_codec_and_pixel_width() {
    // astropy-written: 16-bit RICE_1 (BYTEPIX = 2), PLIO_1, HCOMPRESS_1 and 8-bit RICE_1.
    for (plain, compressed, bitpix, compression) in [
        ("ramp_i16.fits", "ramp_i16_rice.fits.fz", 16, "RICE_1"),
        ("ramp_i16.fits", "ramp_i16_plio.fits.fz", 16, "PLIO_1"),
        (
            "ramp_i16.fits",
            "ramp_i16_hcompress.fits.fz",
            16,
            "HCOMPRESS_1",
        ),
        ("ramp_u8.fits", "ramp_u8_rice.fits.fz", 8, "RICE_1"),
    ] {
        let expected = grey_pixels(&render(&fixture(plain), &MINMAX).unwrap().png);
        let thumb = render(&fixture(compressed), &MINMAX)
            .unwrap_or_else(|err| panic!("{compressed}: {}", err.message));
        let fits = thumb.info.fits.as_ref().unwrap();
        assert_eq!(
            (fits.hdu, fits.bitpix, fits.compression.as_deref()),
            (1, bitpix, Some(compression)),
            "{compressed}"
        );
        assert_eq!(fits.axes, vec![64, 48], "{compressed}");
        // Lossless for integers: the same picture, BLANK pixel included.
        assert_eq!(grey_pixels(&thumb.png), expected, "{compressed}");
    }
    let blank = grey_pixels(
        &render(&fixture("ramp_i16_plio.fits.fz"), &MINMAX)
            .unwrap()
            .png,
    )
    .2;
    assert_eq!(blank[(47 - 10) * 64 + 20], 0, "the BLANK pixel");
}

#[test]
fn an_image_of_blank_pixels_is_all_background() {
    let stored = (0..12).map(|_| (-1i16).to_be_bytes().to_vec()).collect();
    let file = primary_image(16, &[4, 3], &[("BLANK", "-1")], stored);
    let thumb = render(&file, &RenderOptions::default()).unwrap();
    assert_eq!(grey_pixels(&thumb.png), (4, 3, vec![0; 12]));
    let nan = (0..12).map(|_| f32::NAN.to_be_bytes().to_vec()).collect();
    let file = primary_image(-32, &[4, 3], &[], nan);
    assert_eq!(
        grey_pixels(&render(&file, &MINMAX).unwrap().png),
        (4, 3, vec![0; 12])
    );
}

#[test]
fn random_groups_hold_no_image() {
    // Two groups of 2 parameters and a 1 × 3 array each (NAXIS1 = 0 marks random groups).
    let file = [
        header(&[
            ("SIMPLE", "T"),
            ("BITPIX", "-32"),
            ("NAXIS", "3"),
            ("NAXIS1", "0"),
            ("NAXIS2", "3"),
            ("NAXIS3", "1"),
            ("GROUPS", "T"),
            ("PCOUNT", "2"),
            ("GCOUNT", "2"),
        ]),
        data((0..10).map(|v| (v as f32).to_be_bytes().to_vec()).collect()),
    ]
    .concat();
    let expected = "No preview: random-groups data (interferometer visibilities) holds no image.";
    assert_eq!(no_preview(&file), expected);
    assert_eq!(fits_header(&file).unwrap_err().message, expected);
}

#[test]
fn unknown_extensions_are_stepped_over() {
    let primary = header(&[
        ("SIMPLE", "T"),
        ("BITPIX", "8"),
        ("NAXIS", "0"),
        ("EXTEND", "T"),
    ]);
    let foreign = [
        header(&[
            ("XTENSION", "'A3DTABLE'"),
            ("BITPIX", "8"),
            ("NAXIS", "2"),
            ("NAXIS1", "4"),
            ("NAXIS2", "1000"),
            ("PCOUNT", "0"),
            ("GCOUNT", "1"),
            ("TFIELDS", "1"),
            ("TFORM1", "'1J      '"),
        ]),
        data(vec![vec![7; 4000]]),
    ]
    .concat();
    let image = [
        header(&[
            ("XTENSION", "'IMAGE   '"),
            ("BITPIX", "-32"),
            ("NAXIS", "2"),
            ("NAXIS1", "4"),
            ("NAXIS2", "3"),
            ("PCOUNT", "0"),
            ("GCOUNT", "1"),
        ]),
        data(
            ramp()
                .into_iter()
                .map(|v| (v as f32).to_be_bytes().to_vec())
                .collect(),
        ),
    ]
    .concat();
    let file = [primary.clone(), foreign.clone(), image].concat();
    let thumb = render(&file, &MINMAX).unwrap();
    assert_eq!(thumb.info.fits.unwrap().hdu, 2);
    assert_eq!(grey_pixels(&thumb.png).2, RAMP_GREY.to_vec());
    assert_eq!(
        no_preview(&[primary, foreign].concat()),
        "No preview: the file holds tables but no image."
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn gzip_compressed_files_are_read_and_unix_compress_is_named() {
    let plain = fixture("ramp.fits");
    let expected = render(&plain, &MINMAX).unwrap();
    let zipped = gzip(&plain);
    let thumb = render(&zipped, &MINMAX).unwrap();
    assert_eq!(thumb, expected);
    let message = no_preview(&zipped[..zipped.len() / 2]);
    assert!(
        message.contains("gzip") && message.contains("truncated?"),
        "{message}"
    );
    // Gzip around something that is not an image is still not an image.
    assert_eq!(
        no_preview(&gzip(b"<html>Service Unavailable</html>")),
        "No preview: the file is not an image (not PNG, JPEG or FITS)."
    );
    // The headers of a .fits.gz come from the first bytes of it, as from a Range request.
    let header = fits_header(&zipped[..400]).unwrap();
    assert_eq!(Some(&header), expected.info.fits.as_ref());
    // The .Z (LZW) header: magic, then flags (16-bit codes, block mode).
    assert_eq!(
        no_preview(&[0x1f, 0x9d, 0x90, b'S', 0, b'I']),
        "No preview: the file is compressed with Unix compress (.Z); uncompress it first."
    );
}

/// A PNG whose every row is 0, 0, 1, 1, 2, 2, ... (grey), `width` × `height`.
fn grey_ramp_png(width: u32, height: u32) -> Vec<u8> {
    let image = image::GrayImage::from_fn(width, height, |x, _| image::Luma([(x / 2) as u8]));
    let mut out = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[test]
fn png_is_averaged_down_to_the_size() {
    let thumb = render(&grey_ramp_png(512, 256), &RenderOptions::default()).unwrap();
    assert_eq!(
        (
            thumb.width,
            thumb.height,
            thumb.info.width,
            thumb.info.height
        ),
        (256, 128, 512, 256)
    );
    assert_eq!(thumb.info.format, ImageFormat::Png);
    let (_, _, grey) = grey_pixels(&thumb.png);
    let expected: Vec<u8> = (0..128).flat_map(|_| 0..=255u8).collect();
    assert_eq!(grey, expected);
    // Small pictures are not enlarged.
    let thumb = render(&grey_ramp_png(100, 60), &RenderOptions::default()).unwrap();
    assert_eq!((thumb.width, thumb.height), (100, 60));
}

#[test]
fn jpeg_colours_survive_the_downscale() {
    let image = image::RgbImage::from_fn(512, 256, |x, _| {
        if x < 256 {
            image::Rgb([250, 20, 20])
        } else {
            image::Rgb([20, 20, 250])
        }
    });
    let mut jpeg = Vec::new();
    image
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let thumb = render(&jpeg, &RenderOptions::default()).unwrap();
    assert_eq!(
        (thumb.width, thumb.height, thumb.info.format),
        (256, 128, ImageFormat::Jpeg)
    );
    let rgb = image::load_from_memory(&thumb.png).unwrap().into_rgb8();
    let near = |pixel: &image::Rgb<u8>, want: [u8; 3]| {
        pixel.0.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 12)
    };
    assert!(
        near(rgb.get_pixel(40, 60), [250, 20, 20]),
        "{:?}",
        rgb.get_pixel(40, 60)
    );
    assert!(
        near(rgb.get_pixel(200, 60), [20, 20, 250]),
        "{:?}",
        rgb.get_pixel(200, 60)
    );
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn assert_refused_fast(bytes: &[u8], limit_message: &str) {
    let start = Instant::now();
    let message = no_preview(bytes);
    assert!(message.contains(limit_message), "{message}");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn decompression_bombs_are_refused_from_the_header() {
    // A real 1 × 1 PNG whose IHDR claims 100000 × 100000.
    let mut png = grey_ramp_png(1, 1);
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    assert_refused_fast(
        &png,
        "100000 × 100000 pixels, more than the 64-megapixel limit",
    );

    // A real 8 × 8 JPEG whose frame header claims 60000 × 60000.
    let mut jpeg = Vec::new();
    image::RgbImage::new(8, 8)
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    jpeg[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    assert_refused_fast(
        &jpeg,
        "60000 × 60000 pixels, more than the 64-megapixel limit",
    );

    // A FITS header claiming 10^6 × 10^6 over a few bytes of data.
    let fits = primary_image(-32, &[1_000_000, 1_000_000], &[], vec![vec![0; 16]]);
    assert_refused_fast(
        &fits,
        "1000000 × 1000000 pixels, more than the 64-megapixel limit",
    );
    // ... and absurd axis counts that would make the reader loop or reserve memory.
    let fits = primary_image(-32, &[2, 2], &[], vec![vec![0; 16]]);
    let text = String::from_utf8(fits).unwrap().replacen(
        "NAXIS   =                    2",
        "NAXIS   =         999999999",
        1,
    );
    assert_refused_fast(text.as_bytes(), "NAXIS = 999999999");
}

#[test]
fn hostile_compression_parameters_are_refused() {
    // A negative RICE_1 block size would make the decoder run without end.
    let file = fixture("ramp_u8_rice.fits.fz");
    let at = file
        .windows(30)
        .position(|w| w == b"ZVAL1   =                   32")
        .unwrap();
    let mut hostile = file.clone();
    hostile[at + 27..at + 30].copy_from_slice(b"-32");
    assert_refused_fast(&hostile, "BLOCKSIZE = ");
    // More tiles than the table has rows.
    let at = file
        .windows(30)
        .position(|w| w == b"ZNAXIS2 =                   48")
        .unwrap();
    let mut hostile = file;
    hostile[at + 27..at + 30].copy_from_slice(b"480");
    assert_refused_fast(&hostile, "tiles where 480 are needed");
}

#[test]
fn truncated_files_say_so() {
    let png = grey_ramp_png(300, 200);
    let message = no_preview(&png[..png.len() / 2]);
    assert!(message.starts_with("No preview: the PNG file"), "{message}");

    let fits = primary_image(
        -32,
        &[64, 64],
        &[],
        (0..64 * 64)
            .map(|v| (v as f32).to_be_bytes().to_vec())
            .collect(),
    );
    assert_eq!(
        no_preview(&fits[..2880 + 5000]),
        "No preview: the FITS file ends early (truncated?)."
    );
    assert_eq!(
        no_preview(&fits[..1000]),
        "No preview: the FITS file ends early (truncated?)."
    );
    let compressed = fixture("ramp_rice.fits.fz");
    let message = no_preview(&compressed[..compressed.len() - 3000]);
    assert!(message.contains("truncated?"), "{message}");
}

#[test]
fn garbage_and_empty_files_are_not_images() {
    assert_eq!(no_preview(b""), "No preview: the file is empty.");
    let garbage: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_eq!(
        no_preview(&garbage),
        "No preview: the file is not an image (not PNG, JPEG or FITS)."
    );
    // FITS magic followed by garbage.
    let mut fake = b"SIMPLE  =                    T".to_vec();
    fake.extend_from_slice(&garbage);
    assert!(no_preview(&fake).starts_with("No preview: the FITS file"));
    assert!(!looks_like_fits(b"<!DOCTYPE html>"));
}

#[test]
fn the_bytes_decide_the_format_not_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let png_named_fits = write("cutout.fits", &grey_ramp_png(20, 10));
    assert_eq!(
        render_file(&png_named_fits, &MINMAX).unwrap().info.format,
        ImageFormat::Png
    );
    let html = write(
        "cutout_r.fits",
        b"<html><body>502 Bad Gateway</body></html>",
    );
    let err = render_file(&html, &MINMAX).unwrap_err();
    assert_eq!(
        err.message,
        "No preview: the file is not an image (not PNG, JPEG or FITS)."
    );
    let missing = render_file(&dir.path().join("gone.png"), &MINMAX).unwrap_err();
    assert_eq!(missing.code, ErrorCode::Disk);
}

#[test]
fn fits_is_shrunk_to_the_size_by_area_averaging() {
    // 8 × 4 with each 2 × 2 block constant: halving gives the blocks exactly.
    let values = (0..32).map(|i| {
        let (x, y) = (i % 8, i / 8);
        ((x / 2 + 4 * (y / 2)) as f32).to_be_bytes().to_vec()
    });
    let file = primary_image(-32, &[8, 4], &[], values.collect());
    let options = RenderOptions { size: 4, ..MINMAX };
    let thumb = render(&file, &options).unwrap();
    assert_eq!((thumb.width, thumb.height), (4, 2));
    let expected: Vec<u8> = [4.0, 5.0, 6.0, 7.0, 0.0, 1.0, 2.0, 3.0]
        .iter()
        .map(|v: &f64| (v / 7.0 * 255.0).round() as u8)
        .collect();
    assert_eq!(grey_pixels(&thumb.png).2, expected);
}
