//! Searching MAST's observations and listing their products: the Mashup services and parameters
//! astroquery's `Observations` uses, product lists asked for a few observations at a time, and where
//! each product is fetched from and saved to.

use serde_json::{json, Value};
use url::Url;

use super::invoke::invoke;
use super::model::{Observation, Product};
use crate::error::{Error, Result};
use crate::ids::AccountId;
use crate::paths::{safe_component, SafeRelPath};
use crate::providers::FieldValues;
use crate::transfer::model::{AuthPolicy, ItemSpec, Source};

/// Observations whose products are asked for in one call: MAST is slow on big product joins
/// (astroquery issues #2473, #2507), so ask a few at a time.
pub const PRODUCT_CHUNK: usize = 5;

/// The keys of MAST's search form (`ProviderInfo::search`), as [`Criteria::from_values`] reads them.
pub const SEARCH_KEYS: [&str; 7] = [
    "collection",
    "proposal",
    "instrument",
    "target",
    "ra",
    "dec",
    "radius",
];
/// The cone radius when a position is given without one, in degrees (astroquery's `query_region` default).
pub const DEFAULT_RADIUS: f64 = 0.2;

/// What to search for; at least one criterion.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Criteria {
    /// One observation by its product group id.
    pub obsid: Option<String>,
    pub collection: Option<String>,
    pub proposal: Option<String>,
    pub instrument: Option<String>,
    /// The target name as MAST records it; `*` and `%` are wildcards.
    pub target: Option<String>,
    /// Right ascension, declination and radius, in degrees.
    pub cone: Option<(f64, f64, f64)>,
}

impl Criteria {
    /// The criteria of a filled search form: text fields by [`SEARCH_KEYS`], the cone from `ra`, `dec`
    /// and `radius` in degrees (the radius defaulting to [`DEFAULT_RADIUS`]).
    pub fn from_values(values: &FieldValues) -> Result<Self> {
        let text = |key: &str| {
            values
                .get(key)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let degrees = |key: &str, label: &str| -> Result<Option<f64>> {
            text(key)
                .map(|v| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| {
                            Error::invalid_input(format!(
                                "The {label} {v:?} is not a number of degrees, e.g. 254.287."
                            ))
                        })
                })
                .transpose()
        };
        let cone =
            match (
                degrees("ra", "right ascension")?,
                degrees("dec", "declination")?,
                degrees("radius", "radius")?,
            ) {
                (None, None, None) => None,
                (Some(ra), Some(dec), radius) => Some((ra, dec, radius.unwrap_or(DEFAULT_RADIUS))),
                _ => return Err(Error::invalid_input(
                    "A position needs both the right ascension and the declination (in degrees).",
                )),
            };
        Ok(Criteria {
            obsid: None,
            collection: text("collection"),
            proposal: text("proposal"),
            instrument: text("instrument"),
            target: text("target"),
            cone,
        })
    }

    /// The Mashup service and its parameters for these criteria.
    pub fn request(&self) -> Result<(&'static str, Value)> {
        let mut filters = Vec::new();
        for (column, value) in [
            ("obsid", &self.obsid),
            ("obs_collection", &self.collection),
            ("proposal_id", &self.proposal),
            ("instrument_name", &self.instrument),
            ("target_name", &self.target),
        ] {
            if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                filters.push(json!({"paramName": column, "values": [value]}));
            }
        }
        if let Some((ra, dec, radius)) = self.cone {
            let valid = (0.0..360.0).contains(&ra)
                && (-90.0..=90.0).contains(&dec)
                && radius > 0.0
                && radius <= 30.0;
            if !valid {
                return Err(Error::invalid_input(
                    "A cone needs 0 ≤ RA < 360, −90 ≤ Dec ≤ 90 and a radius above 0 and at most 30 degrees.",
                ));
            }
            if filters.is_empty() {
                return Ok((
                    "Mast.Caom.Cone",
                    json!({"ra": ra, "dec": dec, "radius": radius}),
                ));
            }
            return Ok((
                "Mast.Caom.Filtered.Position",
                json!({"columns": "*", "filters": filters, "position": format!("{ra}, {dec}, {radius}")}),
            ));
        }
        if filters.is_empty() {
            return Err(Error::invalid_input(
                "Say what to search for: a collection, a proposal, an instrument, a target or a cone.",
            ));
        }
        Ok((
            "Mast.Caom.Filtered",
            json!({"columns": "*", "filters": filters}),
        ))
    }
}

/// The observations matching `criteria`.
pub async fn observations(
    client: &reqwest::Client,
    base: &str,
    criteria: &Criteria,
) -> Result<Vec<Observation>> {
    let (service, params) = criteria.request()?;
    invoke(client, base, service, params)
        .await?
        .iter()
        .map(Observation::from_row)
        .collect()
}

/// The products of `obsids`, asked for [`PRODUCT_CHUNK`] observations at a time.
pub async fn products(
    client: &reqwest::Client,
    base: &str,
    obsids: &[String],
) -> Result<Vec<Product>> {
    let mut products = Vec::new();
    for chunk in obsids.chunks(PRODUCT_CHUNK) {
        let rows = invoke(
            client,
            base,
            "Mast.Caom.Products",
            json!({"obsid": chunk.join(",")}),
        )
        .await?;
        for row in &rows {
            products.push(Product::from_row(row)?);
        }
    }
    Ok(products)
}

/// The address a product is downloaded from: `<base>/api/v0.1/Download/file?uri=<dataURI>`, the URI
/// percent-encoded except `:` and `/`, as astroquery and MAST's scripts write it.
pub fn download_url(base: &str, data_uri: &str) -> Result<Url> {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b':')
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(data_uri, KEEP);
    let text = format!(
        "{}/api/v0.1/Download/file?uri={encoded}",
        base.trim_end_matches('/')
    );
    Url::parse(&text)
        .map_err(|err| Error::invalid_input(format!("{base:?} is not a MAST address ({err}).")))
}

/// `host[:port]` of an address, as transfer policies name hosts.
pub fn host_of(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// What goes with requests for `account`'s products: its token (`Authorization: token …`), to MAST's
/// own host and to the `trusted` hosts the user named only, so a redirect elsewhere (cloud storage)
/// goes without it, unlike MAST's scripts' `--location-trusted`. Without an account (anonymous use)
/// nothing is sent, and exclusive-access products will be refused by MAST.
pub fn token_policy(
    base: &str,
    account: Option<&AccountId>,
    trusted: &[String],
) -> Result<AuthPolicy> {
    let host = host_of(base)
        .ok_or_else(|| Error::invalid_input(format!("{base:?} is not a MAST address.")))?;
    Ok(match account {
        Some(account) => AuthPolicy::ArchiveToken {
            account: account.clone(),
            scheme: "token".into(),
            hosts: std::iter::once(host)
                .chain(trusted.iter().cloned())
                .collect(),
        },
        None => AuthPolicy::Anonymous,
    })
}

/// The download of each product from MAST's `Download/file`, saved as [`local_path`] says, with the
/// token sent as [`token_policy`] allows (to MAST's host only).
pub fn items(
    base: &str,
    products: &[Product],
    account: Option<&AccountId>,
) -> Result<Vec<ItemSpec>> {
    let auth = token_policy(base, account, &[])?;
    products
        .iter()
        .map(|product| item(base, product, local_path(product)?.to_string(), &auth))
        .collect()
}

/// One product's download to `dest`.
pub fn item(base: &str, product: &Product, dest: String, auth: &AuthPolicy) -> Result<ItemSpec> {
    Ok(ItemSpec {
        source: Source::Url {
            url: download_url(base, &product.data_uri)?.to_string(),
        },
        dest,
        // MAST's sizes are not reliable (0 or wrong for some products): never checked against.
        size: None,
        digest: None,
        auth: auth.clone(),
    })
}

/// Where a product is saved below the batch's folder: `<collection>/<obs_id>/<file>`, as
/// astroquery's `download_products` lays it out, every part checked.
pub fn local_path(product: &Product) -> Result<SafeRelPath> {
    let file = product.filename.rsplit('/').next().unwrap_or_default();
    let collection = if product.collection.is_empty() {
        "MAST"
    } else {
        &product.collection
    };
    let observation = if product.obs_id.is_empty() {
        &product.obsid
    } else {
        &product.obs_id
    };
    SafeRelPath::parse(&format!(
        "{}/{}/{}",
        safe_component(collection)?,
        safe_component(observation)?,
        safe_component(file)?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_choose_the_service_astroquery_would() {
        let cone = Criteria {
            cone: Some((254.28746, -4.09933, 0.2)),
            ..Default::default()
        };
        assert_eq!(cone.request().unwrap().0, "Mast.Caom.Cone");
        let both = Criteria {
            collection: Some("JWST".into()),
            ..cone.clone()
        };
        let (service, params) = both.request().unwrap();
        assert_eq!(service, "Mast.Caom.Filtered.Position");
        assert_eq!(params["position"], "254.28746, -4.09933, 0.2");
        let proposal = Criteria {
            proposal: Some("1234".into()),
            ..Default::default()
        };
        let (service, params) = proposal.request().unwrap();
        assert_eq!(service, "Mast.Caom.Filtered");
        assert_eq!(
            params["filters"][0],
            json!({"paramName": "proposal_id", "values": ["1234"]})
        );
        assert!(Criteria::default().request().is_err());
        let far = Criteria {
            cone: Some((400.0, 0.0, 1.0)),
            ..Default::default()
        };
        assert!(far.request().is_err());
    }

    #[test]
    fn download_urls_and_local_paths_are_built_as_mast_writes_them() {
        let url = download_url(
            "https://mast.stsci.edu/",
            "mast:HLA/url/cgi-bin/getdata.cgi?dataset=x&y=1",
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HLA/url/cgi-bin/getdata.cgi%3Fdataset%3Dx%26y%3D1"
        );
        let product = |collection: &str, obs_id: &str, file: &str| Product {
            obsid: "2003738726".into(),
            obs_id: obs_id.into(),
            collection: collection.into(),
            data_uri: format!("mast:X/{file}"),
            filename: file.into(),
            product_type: "SCIENCE".into(),
            group: String::new(),
            subgroup: String::new(),
            description: String::new(),
            calib_level: None,
            data_rights: "PUBLIC".into(),
            size: None,
        };
        let path = local_path(&product("HST", "u9o40504m", "u9o40504m_c3m.fits")).unwrap();
        assert_eq!(path.to_string(), "HST/u9o40504m/u9o40504m_c3m.fits");
        assert!(local_path(&product("HST", "..", "x.fits")).is_err());
        assert!(local_path(&product("HST", "a", "")).is_err());

        let account = AccountId::new(
            &crate::ids::ProviderId::new("mast").unwrap(),
            "alice",
            "127.0.0.1:9000",
        )
        .unwrap();
        let signed = items(
            "http://127.0.0.1:9000",
            &[product("JWST", "jw01234", "jw01234_cal.fits")],
            Some(&account),
        )
        .unwrap();
        assert_eq!(signed[0].dest, "JWST/jw01234/jw01234_cal.fits");
        assert_eq!(
            signed[0].auth,
            AuthPolicy::ArchiveToken {
                account,
                scheme: "token".into(),
                hosts: vec!["127.0.0.1:9000".into()]
            }
        );
        assert_eq!(signed[0].size, None, "MAST's sizes are not trusted");
        let anonymous = items(
            "https://mast.stsci.edu",
            &[product("HST", "a", "a.fits")],
            None,
        )
        .unwrap();
        assert_eq!(anonymous[0].auth, AuthPolicy::Anonymous);
    }
}
