//! MAST's observation and product rows, read leniently (a field typed `string` may arrive as a number,
//! any value may be `null`), and the product filters astroquery users know.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The group MAST marks a mission's minimum recommended products with.
pub const MINIMUM_RECOMMENDED: &str = "Minimum Recommended Products";

/// One observation (a CAOM row).
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The product group id products are asked for with (`obsid`), not the dataset name.
    pub obsid: String,
    pub obs_id: String,
    pub collection: String,
    pub target: String,
    pub instrument: String,
    pub proposal: String,
    pub data_rights: String,
    pub calib_level: Option<i64>,
    /// Start of the observation, MJD.
    pub t_min: Option<f64>,
    /// End of the observation, MJD.
    pub t_max: Option<f64>,
}

/// One product of an observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub obsid: String,
    pub obs_id: String,
    pub collection: String,
    pub data_uri: String,
    pub filename: String,
    pub product_type: String,
    pub group: String,
    pub subgroup: String,
    pub description: String,
    pub calib_level: Option<i64>,
    /// `PUBLIC`, or e.g. `EXCLUSIVE_ACCESS`: then the token is needed.
    pub data_rights: String,
    /// As MAST reports it; 0 or wrong for some products, so never used to verify.
    pub size: Option<u64>,
}

impl Product {
    pub fn is_public(&self) -> bool {
        self.data_rights.is_empty() || self.data_rights.eq_ignore_ascii_case("PUBLIC")
    }
}

/// A field as text, whatever JSON type MAST sent it as; `""` for null or missing.
fn text(row: &Map<String, Value>, field: &str) -> String {
    match row.get(field) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn integer(row: &Map<String, Value>, field: &str) -> Option<i64> {
    match row.get(field)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn number(row: &Map<String, Value>, field: &str) -> Option<f64> {
    match row.get(field)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Observation {
    pub fn from_row(row: &Map<String, Value>) -> Result<Self> {
        let obsid = text(row, "obsid");
        if obsid.is_empty() {
            return Err(Error::protocol(
                "MAST sent an observation without an obsid.",
            ));
        }
        Ok(Observation {
            obsid,
            obs_id: text(row, "obs_id"),
            collection: text(row, "obs_collection"),
            target: text(row, "target_name"),
            instrument: text(row, "instrument_name"),
            proposal: text(row, "proposal_id"),
            data_rights: text(row, "dataRights"),
            calib_level: integer(row, "calib_level"),
            t_min: number(row, "t_min"),
            t_max: number(row, "t_max"),
        })
    }
}

impl Product {
    pub fn from_row(row: &Map<String, Value>) -> Result<Self> {
        let data_uri = text(row, "dataURI");
        if data_uri.is_empty() {
            return Err(Error::protocol("MAST sent a product without a dataURI."));
        }
        let filename = match text(row, "productFilename") {
            name if name.is_empty() => data_uri.rsplit('/').next().unwrap_or_default().to_string(),
            name => name,
        };
        Ok(Product {
            obsid: text(row, "obsID"),
            obs_id: text(row, "obs_id"),
            collection: text(row, "obs_collection"),
            data_uri,
            filename,
            product_type: text(row, "productType"),
            group: text(row, "productGroupDescription"),
            subgroup: text(row, "productSubGroupDescription"),
            description: text(row, "description"),
            calib_level: integer(row, "calib_level"),
            data_rights: text(row, "dataRights"),
            size: integer(row, "size").and_then(|s| u64::try_from(s).ok()),
        })
    }
}

/// Which products to keep, as astroquery's `filter_products` and `mrp_only` choose them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductFilter {
    /// File name endings, case-insensitive, e.g. `fits` or `_cal.fits`; any of them (astroquery's
    /// `extension`: a plain "ends with").
    pub extensions: Vec<String>,
    /// `SCIENCE`, `PREVIEW`, ...; any of them.
    pub product_types: Vec<String>,
    pub calib_levels: Vec<i64>,
    /// Only the "Minimum Recommended Products".
    pub minimum_recommended: bool,
}

impl ProductFilter {
    pub fn keeps(&self, product: &Product) -> bool {
        let name = product.filename.to_ascii_lowercase();
        let extension_ok = self.extensions.is_empty()
            || self
                .extensions
                .iter()
                .any(|ext| name.ends_with(&ext.to_ascii_lowercase()));
        let type_ok = self.product_types.is_empty()
            || self
                .product_types
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&product.product_type));
        let level_ok = self.calib_levels.is_empty()
            || product
                .calib_level
                .is_some_and(|level| self.calib_levels.contains(&level));
        let mrp_ok = !self.minimum_recommended || product.group == MINIMUM_RECOMMENDED;
        extension_ok && type_ok && level_ok && mrp_ok
    }

    /// The products kept, each `dataURI` once (MAST lists a product under each observation that has it).
    pub fn apply(&self, products: Vec<Product>) -> Vec<Product> {
        let mut seen = std::collections::HashSet::new();
        products
            .into_iter()
            .filter(|p| self.keeps(p) && seen.insert(p.data_uri.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example row of shared/research/desaccess_mast.md §2.4 (astroquery's fixture), `obsID` a number.
    fn row() -> Map<String, Value> {
        serde_json::from_str(
            r#"{"obsID":2003738726,"obs_collection":"HST","dataproduct_type":"image","obs_id":"U9O40504M",
            "description":"DADS C3M file - Calibrated exposure WFPC2","type":"S",
            "dataURI":"mast:HST/product/u9o40504m_c3m.fits","productType":"AUXILIARY",
            "productGroupDescription":null,"productSubGroupDescription":"C3M","productDocumentationURL":null,
            "project":"HST","prvversion":null,"productFilename":"u9o40504m_c3m.fits","size":207360}"#,
        )
        .unwrap()
    }

    #[test]
    fn product_rows_are_read_leniently() {
        let product = Product::from_row(&row()).unwrap();
        assert_eq!(product.obsid, "2003738726");
        assert_eq!(product.filename, "u9o40504m_c3m.fits");
        assert_eq!(product.size, Some(207_360));
        assert_eq!(product.group, "");
        assert!(product.is_public());
        let mut no_uri = row();
        no_uri.insert("dataURI".into(), Value::Null);
        assert!(Product::from_row(&no_uri).is_err());
    }

    #[test]
    fn filters_choose_as_astroquery_does_and_duplicates_go() {
        let product = |name: &str, kind: &str, group: &str, level: i64| Product {
            filename: name.into(),
            data_uri: format!("mast:HST/product/{name}"),
            product_type: kind.into(),
            group: group.into(),
            calib_level: Some(level),
            ..Product::from_row(&row()).unwrap()
        };
        let all = vec![
            product("a_cal.fits", "SCIENCE", MINIMUM_RECOMMENDED, 2),
            product("a_uncal.fits", "SCIENCE", "", 1),
            product("a_prev.jpg", "PREVIEW", "", 3),
            product("a_cal.fits", "SCIENCE", MINIMUM_RECOMMENDED, 2),
        ];
        let names = |filter: ProductFilter| -> Vec<String> {
            filter
                .apply(all.clone())
                .into_iter()
                .map(|p| p.filename)
                .collect()
        };
        assert_eq!(
            names(ProductFilter::default()),
            ["a_cal.fits", "a_uncal.fits", "a_prev.jpg"]
        );
        let fits = ProductFilter {
            extensions: vec!["FITS".into()],
            ..Default::default()
        };
        assert_eq!(names(fits), ["a_cal.fits", "a_uncal.fits"]);
        let cal = ProductFilter {
            extensions: vec!["_cal.fits".into()],
            ..Default::default()
        };
        assert_eq!(names(cal), ["a_cal.fits"]);
        let mrp = ProductFilter {
            minimum_recommended: true,
            ..Default::default()
        };
        assert_eq!(names(mrp), ["a_cal.fits"]);
        let previews = ProductFilter {
            product_types: vec!["preview".into()],
            ..Default::default()
        };
        assert_eq!(names(previews), ["a_prev.jpg"]);
        let level = ProductFilter {
            calib_levels: vec![1],
            ..Default::default()
        };
        assert_eq!(names(level), ["a_uncal.fits"]);
    }
}
