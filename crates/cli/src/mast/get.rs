//! `jobfetch mast get`: observations found, their products listed a few at a time and filtered as
//! astroquery's `filter_products` does, then downloaded as one batch that a rerun continues.

use std::path::Path;

use jobfetch_appkit::Desk;
use jobfetch_engine::providers::mast::model::{Product, ProductFilter};
use jobfetch_engine::providers::mast::search::{self, Criteria};
use jobfetch_engine::{Error, Result};

use super::token::TokenOption;
use super::{Find, Prepared};

/// Which products to keep; each flag takes several values (repeated or comma-separated), any of which
/// may match, like astroquery's lists.
#[derive(clap::Args, Debug, Clone)]
pub struct Filter {
    /// Only files whose names end so, e.g. fits, _cal.fits, jpg.
    #[arg(long, value_name = "END", value_delimiter = ',')]
    extension: Vec<String>,
    /// Only products of these types: SCIENCE, CALIBRATION, AUXILIARY, PREVIEW, INFO.
    #[arg(long, value_name = "TYPE", value_delimiter = ',')]
    product_type: Vec<String>,
    /// Only products of these calibration levels (0 to 4).
    #[arg(long, value_name = "N", value_delimiter = ',')]
    calib_level: Vec<i64>,
    /// Only the "Minimum Recommended Products" (astroquery's mrp_only).
    #[arg(long)]
    mrp: bool,
}

impl Filter {
    fn product_filter(&self) -> ProductFilter {
        ProductFilter {
            extensions: self.extension.clone(),
            product_types: self.product_type.clone(),
            calib_levels: self.calib_level.clone(),
            minimum_recommended: self.mrp,
        }
    }
}

/// The batch of the products `find` and `filter` choose, into `out`.
pub async fn prepare(
    desk: &Desk,
    find: &Find,
    filter: &Filter,
    out: &Path,
    token: &TokenOption,
) -> Result<Prepared> {
    let criteria = find.criteria()?;
    let base = find.base()?;
    let products = chosen(&base, &criteria, filter).await?;
    let protected = products.iter().filter(|p| !p.is_public()).count();
    let auth = token.choose(desk, &base, protected, products.len()).await?;
    let policy = auth.policy(&base)?;
    let items = products
        .iter()
        .map(|p| search::item(&base, p, search::local_path(p)?.to_string(), &policy))
        .collect::<Result<Vec<_>>>()?;
    let described = describe(&criteria, filter);
    let key = format!("{base} mast get {described}");
    Prepared::new(format!("MAST {described}"), key, items, auth, out)
}

/// The filtered products of the observations `criteria` find, each once; an error when none.
async fn chosen(base: &str, criteria: &Criteria, filter: &Filter) -> Result<Vec<Product>> {
    let client = jobfetch_engine::http::client()?;
    let observations = search::observations(&client, base, criteria).await?;
    if observations.is_empty() {
        return Err(Error::invalid_input(
            "MAST found no observation matching that, so there is nothing to download; \
             try fewer criteria (`jobfetch mast search` shows what a search finds).",
        ));
    }
    let obsids: Vec<String> = observations.iter().map(|o| o.obsid.clone()).collect();
    let listed = search::products(&client, base, &obsids).await?;
    let listed_count = listed.len();
    let products = filter.product_filter().apply(listed);
    if products.is_empty() {
        return Err(Error::invalid_input(format!(
            "None of the {listed_count} products of the {} observation(s) found passes the filters \
             (--extension, --product-type, --calib-level, --mrp); widen or drop some.",
            observations.len()
        )));
    }
    eprintln!(
        "jobfetch: {} observation(s), {} of their {listed_count} products chosen.",
        observations.len(),
        products.len()
    );
    Ok(products)
}

/// The criteria and filters as canonical text: fixed order, lists sorted and without repeats, names
/// and types in one case.
fn describe(criteria: &Criteria, filter: &Filter) -> String {
    let mut parts = Vec::new();
    for (name, value) in [
        ("collection", &criteria.collection),
        ("proposal", &criteria.proposal),
        ("instrument", &criteria.instrument),
        ("target", &criteria.target),
    ] {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            parts.push(format!("{name}={value}"));
        }
    }
    if let Some((ra, dec, radius)) = criteria.cone {
        parts.push(format!("cone={ra},{dec},{radius}"));
    }
    let listed = |name: &str, values: Vec<String>, parts: &mut Vec<String>| {
        let mut values: Vec<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
        values.sort();
        values.dedup();
        if !values.is_empty() {
            parts.push(format!("{name}={}", values.join(",")));
        }
    };
    let lower = |values: &[String]| values.iter().map(|v| v.trim().to_lowercase()).collect();
    let upper = |values: &[String]| values.iter().map(|v| v.trim().to_uppercase()).collect();
    listed("extension", lower(&filter.extension), &mut parts);
    listed("product-type", upper(&filter.product_type), &mut parts);
    let levels = filter.calib_level.iter().map(i64::to_string).collect();
    listed("calib-level", levels, &mut parts);
    if filter.mrp {
        parts.push("mrp".into());
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_search_and_filters_give_the_same_text_whatever_their_order() {
        let criteria = Criteria {
            proposal: Some("16123".into()),
            ..Default::default()
        };
        let filter = |extension: &[&str], types: &[&str]| Filter {
            extension: extension.iter().map(|e| e.to_string()).collect(),
            product_type: types.iter().map(|t| t.to_string()).collect(),
            calib_level: vec![3, 2, 3],
            mrp: true,
        };
        let one = describe(
            &criteria,
            &filter(&["fits", "JPG"], &["science", "PREVIEW"]),
        );
        let two = describe(
            &criteria,
            &filter(&["jpg", "fits", "fits"], &["PREVIEW", "SCIENCE"]),
        );
        assert_eq!(one, two);
        assert_eq!(
            one,
            "proposal=16123 extension=fits,jpg product-type=PREVIEW,SCIENCE calib-level=2,3 mrp"
        );
    }
}
