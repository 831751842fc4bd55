//! `jobfetch thumb` as a user runs it: thumbnails for PNG and FITS, a named reason for everything else.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn thumb(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jobfetch"))
        .arg("thumb")
        .args(args)
        .output()
        .expect("jobfetch runs")
}

/// The 64 × 48 float32 FITS fixture of the engine's preview tests.
fn ramp_fits() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/data/ramp.fits")
}

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let image =
        image::load_from_memory_with_format(&bytes, image::ImageFormat::Png).expect("a valid PNG");
    (image.width(), image.height())
}

#[test]
fn thumbnails_for_images_and_a_reason_for_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let picture = dir.path().join("colour.png");
    image::RgbImage::from_fn(64, 32, |x, y| image::Rgb([x as u8 * 4, y as u8 * 8, 128]))
        .save(&picture)
        .unwrap();
    let garbage = dir.path().join("garbage.fits");
    std::fs::write(&garbage, b"<html>Service Unavailable</html>").unwrap();
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let same_name = other.join("colour.png");
    std::fs::copy(&picture, &same_name).unwrap();
    let out = dir.path().join("thumbs/new");

    let output = thumb(&[
        picture.as_os_str(),
        ramp_fits().as_os_str(),
        garbage.as_os_str(),
        same_name.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--size".as_ref(),
        "32".as_ref(),
        "--stretch".as_ref(),
        "asinh".as_ref(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: no preview: the file is not an image (not PNG, JPEG or FITS).",
            garbage.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{}: no preview: an earlier input has the same file name",
            same_name.display()
        )),
        "{stderr}"
    );
    assert_eq!(png_size(&out.join("colour.png.png")), (32, 16));
    assert_eq!(png_size(&out.join("ramp.fits.png")), (32, 24));
    assert!(!out.join("garbage.fits.png").exists());
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2);
}

#[test]
fn all_good_exits_zero_and_bad_options_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let fits = ramp_fits();
    let output = thumb(&[
        fits.as_os_str(),
        "--out".as_ref(),
        dir.path().as_os_str(),
        "--limits".as_ref(),
        "99.5".as_ref(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(png_size(&dir.path().join("ramp.fits.png")), (64, 48));

    let output = thumb(&[
        fits.as_os_str(),
        "--out".as_ref(),
        dir.path().as_os_str(),
        "--limits".as_ref(),
        "max".as_ref(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("use zscale, minmax or a percentage"));
}
