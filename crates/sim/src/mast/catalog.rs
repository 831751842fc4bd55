//! The fake MAST holdings: seeded HST, JWST and TESS programs, their observations and product files.

use std::sync::Arc;

use bytes::Bytes;

use crate::clock::{utc, UnixTime};
use crate::preview::{self, Stretch};
use crate::rng::Rng;
use crate::scene::Band;
use crate::stamp::Stamp;
use crate::vfs::{Content, File};

use super::{storage, DEMO_COLLECTION, DEMO_PROPOSAL};

/// `productGroupDescription` of the products `mrp_only` keeps.
pub(crate) const MINIMUM_RECOMMENDED: &str = "Minimum Recommended Products";
pub(crate) const PUBLIC: &str = "PUBLIC";
pub(crate) const EXCLUSIVE_ACCESS: &str = "EXCLUSIVE_ACCESS";

/// How `Download/file` hands out a product's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// 200 with Content-Length, validators and ranges.
    Direct,
    /// 302 to a signed URL on the storage host (as MAST sends JWST files to cloud storage).
    Redirect,
    /// 200 streamed chunked, without Content-Length or ranges (a file generated per request).
    Generated,
}

/// One row of `Mast.Caom.Products` and the file behind it.
pub(crate) struct Product {
    pub(crate) uri: String,
    pub(crate) filename: String,
    pub(crate) product_type: &'static str,
    pub(crate) group: Option<&'static str>,
    pub(crate) subgroup: &'static str,
    pub(crate) description: &'static str,
    pub(crate) calib_level: i64,
    pub(crate) project: &'static str,
    pub(crate) prvversion: &'static str,
    pub(crate) delivery: Delivery,
    /// What the row's `size` says; the served size except where MAST reports 0.
    pub(crate) listed_size: u64,
    pub(crate) file: Arc<File>,
}

/// One CAOM observation (a MAST "Product Group", keyed by `obsid`).
pub(crate) struct Observation {
    pub(crate) obsid: String,
    pub(crate) collection: &'static str,
    pub(crate) obs_id: String,
    pub(crate) target_name: String,
    pub(crate) target_classification: &'static str,
    pub(crate) s_ra: f64,
    pub(crate) s_dec: f64,
    pub(crate) instrument_name: &'static str,
    pub(crate) filters: String,
    pub(crate) proposal_id: &'static str,
    pub(crate) proposal_pi: &'static str,
    pub(crate) proposal_type: &'static str,
    pub(crate) obs_title: &'static str,
    pub(crate) dataproduct_type: &'static str,
    pub(crate) calib_level: i64,
    pub(crate) t_min: f64,
    pub(crate) t_max: f64,
    pub(crate) t_exptime: f64,
    pub(crate) t_obs_release: f64,
    pub(crate) em_min: f64,
    pub(crate) em_max: f64,
    pub(crate) wavelength_region: &'static str,
    pub(crate) project: &'static str,
    pub(crate) provenance_name: &'static str,
    pub(crate) data_rights: &'static str,
    pub(crate) s_region: String,
    pub(crate) jpeg_url: Option<String>,
    pub(crate) data_url: Option<String>,
    pub(crate) obj_id: String,
    pub(crate) sequence_number: Option<i64>,
    pub(crate) products: Vec<Product>,
}

/// Every observation the fake MAST holds.
pub(crate) struct Catalog {
    pub(crate) observations: Vec<Observation>,
}

impl Catalog {
    pub(crate) fn observation(&self, obsid: &str) -> Option<&Observation> {
        self.observations.iter().find(|obs| obs.obsid == obsid)
    }

    /// The product with this `dataURI`, and its observation.
    pub(crate) fn product(&self, uri: &str) -> Option<(&Observation, &Product)> {
        self.observations.iter().find_map(|obs| {
            obs.products
                .iter()
                .find(|product| product.uri == uri)
                .map(|product| (obs, product))
        })
    }

    /// The product stored under `key` on the storage host.
    pub(crate) fn stored(&self, key: &str) -> Option<(&Observation, &Product)> {
        self.observations.iter().find_map(|obs| {
            obs.products
                .iter()
                .find(|product| storage::key(obs, product) == key)
                .map(|product| (obs, product))
        })
    }
}

/// A proposal and how its observations are made.
struct Program {
    collection: &'static str,
    proposal_id: &'static str,
    pi: &'static str,
    proposal_type: &'static str,
    title: &'static str,
    instrument: &'static str,
    target: &'static str,
    target_classification: &'static str,
    filters: &'static [&'static str],
    /// Start of the first visit; the others follow a day apart.
    start: UnixTime,
    /// Observations from this index on are still in their exclusive-access period.
    exclusive_from: usize,
    /// First digits of the obsids (each collection has its own range).
    obsid_base: u64,
}

const PROGRAMS: [Program; 5] = [
    Program {
        collection: DEMO_COLLECTION,
        proposal_id: DEMO_PROPOSAL,
        pi: "Okafor, Adaeze",
        proposal_type: "GO",
        title: "Resolved Star Formation Along the Bar of NGC 1300",
        instrument: "WFC3/UVIS",
        target: "NGC1300",
        target_classification: "Galaxy;Spiral",
        filters: &["F606W", "F814W", "F438W"],
        start: utc(2024, 11, 3, 6, 12, 40),
        exclusive_from: 2,
        obsid_base: 2_010_000_000,
    },
    Program {
        collection: "HST",
        proposal_id: "10188",
        pi: "Lindqvist, Per",
        proposal_type: "GO",
        title: "Star Clusters in the Outer Disk of M101",
        instrument: "ACS/WFC",
        target: "M101-OUTER",
        target_classification: "Galaxy;Spiral;Star cluster",
        filters: &["F435W", "F555W", "F814W", "F658N"],
        start: utc(2005, 2, 17, 22, 41, 3),
        exclusive_from: usize::MAX,
        obsid_base: 2_003_700_000,
    },
    Program {
        collection: "JWST",
        proposal_id: "2079",
        pi: "Moreau, Camille",
        proposal_type: "GO",
        title: "Deep NIRCam Imaging of a Quiet Extragalactic Field",
        instrument: "NIRCAM/IMAGE",
        target: "DEEP-FIELD-S",
        target_classification: "Field",
        filters: &["F200W", "F356W", "F444W"],
        start: utc(2023, 1, 5, 12, 34, 56),
        exclusive_from: usize::MAX,
        obsid_base: 87_600_000,
    },
    Program {
        collection: "JWST",
        proposal_id: "1837",
        pi: "Haddad, Yusuf",
        proposal_type: "GO",
        title: "Dust Lanes of Nearby Edge-on Disks with MIRI",
        instrument: "MIRI/IMAGE",
        target: "NGC4244",
        target_classification: "Galaxy;Spiral;Edge-on",
        filters: &["F770W", "F1130W"],
        start: utc(2023, 6, 21, 3, 7, 12),
        exclusive_from: usize::MAX,
        obsid_base: 87_700_000,
    },
    Program {
        collection: "TESS",
        proposal_id: "G022071",
        pi: "Silva, Joana",
        proposal_type: "GI",
        title: "Flares on Nearby M Dwarfs",
        instrument: "Photometer",
        target: "TIC",
        target_classification: "Star;M dwarf",
        filters: &["TESS", "TESS", "TESS"],
        start: utc(2019, 12, 24, 16, 46, 49),
        exclusive_from: usize::MAX,
        obsid_base: 27_000_000,
    },
];

/// A product kind of a collection: file-name suffix and the row's description.
struct Kind {
    suffix: &'static str,
    product_type: &'static str,
    calib_level: i64,
    recommended: bool,
    subgroup: &'static str,
    description: &'static str,
}

const fn kind(
    suffix: &'static str,
    product_type: &'static str,
    calib_level: i64,
    recommended: bool,
    subgroup: &'static str,
    description: &'static str,
) -> Kind {
    Kind {
        suffix,
        product_type,
        calib_level,
        recommended,
        subgroup,
        description,
    }
}

const HST_KINDS: [Kind; 7] = [
    kind(
        "raw.fits",
        "SCIENCE",
        1,
        false,
        "RAW",
        "DADS RAW file - Raw exposure",
    ),
    kind(
        "flt.fits",
        "SCIENCE",
        2,
        true,
        "FLT",
        "DADS FLT file - Calibrated exposure",
    ),
    kind(
        "drz.fits",
        "SCIENCE",
        3,
        true,
        "DRZ",
        "DADS DRZ file - Calibrated combined image",
    ),
    kind(
        "jit.fits",
        "CALIBRATION",
        1,
        false,
        "JIT",
        "DADS JIT file - Pointing jitter",
    ),
    kind(
        "spt.fits",
        "AUXILIARY",
        1,
        false,
        "SPT",
        "DADS SPT file - Support file",
    ),
    kind(
        "trl.fits",
        "INFO",
        1,
        false,
        "TRL",
        "DADS TRL file - Processing log",
    ),
    kind("drz.jpg", "PREVIEW", 3, false, "", "Preview-Full"),
];

const JWST_KINDS: [Kind; 7] = [
    kind(
        "uncal.fits",
        "SCIENCE",
        1,
        false,
        "UNCAL",
        "exposure (L1b): Uncalibrated 4D exposure data",
    ),
    kind(
        "rate.fits",
        "SCIENCE",
        2,
        false,
        "RATE",
        "exposure (L2a): Countrate averaged over integrations",
    ),
    kind(
        "cal.fits",
        "SCIENCE",
        2,
        true,
        "CAL",
        "exposure (L2b): Calibrated exposure",
    ),
    kind(
        "i2d.fits",
        "SCIENCE",
        3,
        true,
        "I2D",
        "Level 3: Resampled and combined 2D image",
    ),
    kind(
        "segm.fits",
        "AUXILIARY",
        3,
        false,
        "SEGM",
        "Level 3: Segmentation map",
    ),
    kind(
        "asn.json",
        "INFO",
        3,
        false,
        "ASN",
        "Level 3: Association pool",
    ),
    kind("i2d.jpg", "PREVIEW", 3, false, "", "Preview-Full"),
];

const TESS_KINDS: [Kind; 3] = [
    kind("lc.fits", "SCIENCE", 3, true, "LC", "Light curves"),
    kind("tp.fits", "SCIENCE", 3, true, "TP", "Target pixel files"),
    kind(
        "dvt.fits",
        "AUXILIARY",
        3,
        false,
        "DVT",
        "Data validation time series",
    ),
];

/// Preview and FITS images are this many pixels across: real files, kept small.
const IMAGE_PIXELS: u32 = 64;
/// MJD of the Unix epoch.
const MJD_UNIX_EPOCH: f64 = 40_587.0;
/// When a program's exclusive-access period ends (well in the future).
const EXCLUSIVE_UNTIL: UnixTime = utc(2031, 1, 1, 0, 0, 0);

/// The whole catalogue; FITS bytes are rendered on first download, previews right away.
pub(crate) fn build(seed: u64) -> Catalog {
    let observations = PROGRAMS
        .iter()
        .flat_map(|program| {
            (0..program.filters.len()).map(move |visit| observe(seed, program, visit))
        })
        .collect();
    Catalog { observations }
}

fn observe(seed: u64, program: &Program, visit: usize) -> Observation {
    let mut rng = Rng::derive(seed, &format!("mast-{}", program.proposal_id));
    let (centre_ra, centre_dec) = (rng.range(0.0, 360.0), rng.range(-70.0, 70.0));
    let mut rng = Rng::derive(seed, &format!("mast-{}-{visit}", program.proposal_id));
    let s_ra = (centre_ra + rng.range(-0.03, 0.03)).rem_euclid(360.0);
    let s_dec = centre_dec + rng.range(-0.03, 0.03);
    let filter = program.filters[visit];
    let start = program.start + visit as i64 * 86_400 + rng.below(3600) as i64;
    let exptime = match program.collection {
        "TESS" => 1_725_000.0 + rng.range(0.0, 60_000.0),
        _ => (rng.range(600.0, 2600.0) / 10.0).round() * 10.0,
    };
    let end = start + exptime as i64 + 120;
    let exclusive = visit >= program.exclusive_from;
    let (obs_id, target_name, file_stem) = names(program, visit, &mut rng);
    let centre_nm = central_wavelength_nm(program.collection, filter);
    let obsid = (program.obsid_base + rng.below(90_000) + 10_000).to_string();
    let (kinds, project, prvversion, provenance): (&[Kind], _, _, _) = match program.collection {
        "HST" => (&HST_KINDS, "HST", "DADS 2024.1", "CALWF3"),
        "JWST" => (&JWST_KINDS, "JWST", "1.12.5", "CALJWST"),
        _ => (&TESS_KINDS, "TESS", "spoc-4.0.14", "SPOC"),
    };
    let provenance = if program.instrument.starts_with("ACS") {
        "CALACS"
    } else {
        provenance
    };
    let stamp = Arc::new(Stamp {
        name: target_name.clone(),
        tile: obs_id.clone(),
        ra: s_ra,
        dec: s_dec,
        width: IMAGE_PIXELS,
        height: IMAGE_PIXELS,
        seed: rng.next_u64(),
    });
    let rights = if exclusive { EXCLUSIVE_ACCESS } else { PUBLIC };
    let mtime = end + 4 * 3600;
    let products: Vec<Product> = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let filename = format!("{file_stem}_{}", kind.suffix);
            let (uri, delivery, content) =
                product_file(seed, program, &obs_id, &filename, kind, &stamp, i);
            let file = Arc::new(File::new(mtime, content));
            // MAST does not know the size of every file: the first JWST association pool says 0.
            let listed_size =
                if program.proposal_id == "1837" && visit == 0 && kind.suffix == "asn.json" {
                    0
                } else {
                    file.size()
                };
            Product {
                uri,
                filename,
                product_type: kind.product_type,
                group: kind.recommended.then_some(MINIMUM_RECOMMENDED),
                subgroup: kind.subgroup,
                description: kind.description,
                calib_level: kind.calib_level,
                project: provenance,
                prvversion,
                delivery,
                listed_size,
                file,
            }
        })
        .collect();
    let uri_of = |suffix: &str| {
        products
            .iter()
            .find(|product| product.filename.ends_with(suffix))
            .map(|product| product.uri.clone())
    };
    let half = if program.collection == "TESS" {
        0.05
    } else {
        0.0225
    };
    Observation {
        obsid,
        collection: program.collection,
        obs_id,
        target_name,
        target_classification: program.target_classification,
        s_ra,
        s_dec,
        instrument_name: program.instrument,
        filters: filter.to_owned(),
        proposal_id: program.proposal_id,
        proposal_pi: program.pi,
        proposal_type: program.proposal_type,
        obs_title: program.title,
        dataproduct_type: if program.collection == "TESS" {
            "timeseries"
        } else {
            "image"
        },
        calib_level: kinds.iter().map(|kind| kind.calib_level).max().unwrap_or(3),
        t_min: mjd(start),
        t_max: mjd(end),
        t_exptime: exptime,
        t_obs_release: mjd(if exclusive {
            EXCLUSIVE_UNTIL
        } else {
            end + 30 * 86_400
        }),
        em_min: (centre_nm * 88.0).round() / 100.0,
        em_max: (centre_nm * 112.0).round() / 100.0,
        wavelength_region: if centre_nm > 1000.0 {
            "INFRARED"
        } else {
            "OPTICAL"
        },
        project,
        provenance_name: provenance,
        data_rights: rights,
        s_region: polygon(s_ra, s_dec, half),
        jpeg_url: uri_of(".jpg"),
        data_url: uri_of(if program.collection == "TESS" {
            "lc.fits"
        } else {
            "3.fits"
        })
        .or_else(|| uri_of("drz.fits"))
        .or_else(|| uri_of("i2d.fits")),
        obj_id: (rng.below(900_000_000) + 100_000_000).to_string(),
        sequence_number: (program.collection == "TESS").then_some(20 + visit as i64),
        products,
    }
}

/// The observation id, target name and product file stem, in each mission's naming scheme.
fn names(program: &Program, visit: usize, rng: &mut Rng) -> (String, String, String) {
    let n = visit + 1;
    match program.collection {
        "HST" => {
            let prefix = if program.instrument.starts_with("ACS") {
                "j8pu"
            } else {
                "ieq3"
            };
            let obs_id = format!("{prefix}0{n}010");
            (obs_id.clone(), program.target.to_owned(), obs_id)
        }
        "JWST" => {
            let detector = if program.instrument.starts_with("MIRI") {
                "miri"
            } else {
                "nircam"
            };
            let filter = program.filters[visit].to_ascii_lowercase();
            let obs_id = format!(
                "jw0{}-o00{n}_t001_{detector}_clear-{filter}",
                program.proposal_id
            );
            (obs_id.clone(), program.target.to_owned(), obs_id)
        }
        _ => {
            let tic = 100_000_000 + rng.below(300_000_000);
            let obs_id = format!("tess2019357164649-s00{}-{tic:016}-0165-s", 20 + visit);
            (obs_id.clone(), tic.to_string(), obs_id)
        }
    }
}

/// A product's `dataURI`, how it is delivered, and its bytes.
fn product_file(
    seed: u64,
    program: &Program,
    obs_id: &str,
    filename: &str,
    kind: &Kind,
    stamp: &Arc<Stamp>,
    index: usize,
) -> (String, Delivery, Content) {
    let colors = [Band::I, Band::R, Band::G];
    let product_uri = format!("mast:{}/product/{filename}", program.collection);
    match (program.collection, kind.suffix) {
        // HST previews come from the HLA cutout service, rendered per request.
        ("HST", "drz.jpg") => (
            format!("mast:HLA/url/cgi-bin/fitscut.cgi?red={obs_id}_drz&size=ALL&format=jpg"),
            Delivery::Generated,
            jpeg(stamp, colors),
        ),
        (collection, suffix) => {
            let delivery = if collection == "JWST" {
                Delivery::Redirect
            } else {
                Delivery::Direct
            };
            let content = if suffix.ends_with(".jpg") {
                jpeg(stamp, colors)
            } else if suffix.ends_with(".json") {
                Content::Bytes(association(program, obs_id))
            } else if let Some(table) = super::tables::product(suffix, obs_id, seed) {
                Content::Bytes(table)
            } else {
                let bands = [Band::G, Band::R, Band::I, Band::Z, Band::Y];
                Content::Fits {
                    stamp: stamp.clone(),
                    band: bands[index % bands.len()],
                }
            };
            (product_uri, delivery, content)
        }
    }
}

fn jpeg(stamp: &Stamp, colors: [Band; 3]) -> Content {
    Content::Bytes(preview::jpeg(stamp, colors, Stretch::Lupton).into())
}

/// A JWST level-3 association file naming its members.
fn association(program: &Program, obs_id: &str) -> Bytes {
    let text = serde_json::to_string_pretty(&serde_json::json!({
        "asn_type": "image3",
        "asn_rule": "candidate_Asn_Lv3Image",
        "program": program.proposal_id,
        "target": program.target,
        "products": [{
            "name": obs_id,
            "members": [{"expname": format!("{obs_id}_cal.fits"), "exptype": "science"}],
        }],
    }))
    .expect("a JSON literal serializes");
    Bytes::from(text)
}

/// The filter's pivot wavelength in nm, from its name: HST names give nm, JWST names 10 nm.
fn central_wavelength_nm(collection: &str, filter: &str) -> f64 {
    let digits: String = filter.chars().filter(char::is_ascii_digit).collect();
    let number = digits.parse::<f64>().unwrap_or_default();
    match collection {
        "HST" => number,
        "JWST" => number * 10.0,
        // TESS's single broad red band.
        _ => 786.5,
    }
}

fn mjd(t: UnixTime) -> f64 {
    t as f64 / 86_400.0 + MJD_UNIX_EPOCH
}

/// A square footprint of half-width `half` degrees, as a CAOM STC-S polygon.
fn polygon(ra: f64, dec: f64, half: f64) -> String {
    let dra = half / dec.to_radians().cos();
    let corners = [(-dra, -half), (dra, -half), (dra, half), (-dra, half)];
    let points: Vec<String> = corners
        .iter()
        .map(|(x, y)| format!("{:.6} {:.6}", ra + x, dec + y))
        .collect();
    format!("POLYGON ICRS {}", points.join(" "))
}
