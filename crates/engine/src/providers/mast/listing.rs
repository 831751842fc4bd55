//! MAST observations as Jobfetch jobs and their products as an output tree: one observation's
//! products side by side in its `<collection>/<obs_id>` folder, as astroquery lays them out.

use std::collections::HashSet;

use serde_json::json;
use time::OffsetDateTime;

use super::model::{Observation, Product};
use crate::catalog::{self, Job, JobStatus, OutputKind, OutputNode};
use crate::error::Result;
use crate::ids::AccountId;
use crate::paths::{safe_component, SafeRelPath};

/// Days from the Modified Julian Date epoch (1858-11-17) to the Unix epoch.
const MJD_AT_UNIX_EPOCH: f64 = 40_587.0;

/// An MJD (as MAST gives `t_min`) as ISO 8601 UTC.
pub fn mjd_to_iso(mjd: f64) -> Option<String> {
    let seconds = ((mjd - MJD_AT_UNIX_EPOCH) * 86_400.0).round();
    if !seconds.is_finite() || seconds.abs() > 1e12 {
        return None;
    }
    OffsetDateTime::from_unix_timestamp(seconds as i64)
        .ok()
        .map(catalog::to_iso)
}

/// The address an observation's product list is asked from (a `GET` of MAST's invoke service): where
/// its outputs are on the archive.
pub fn products_address(base: &str, obsid: &str) -> String {
    let request =
        json!({"service": "Mast.Caom.Products", "params": {"obsid": obsid}, "format": "json"});
    let encoded: String =
        url::form_urlencoded::byte_serialize(request.to_string().as_bytes()).collect();
    format!(
        "{}/api/v0/invoke?request={encoded}",
        base.trim_end_matches('/')
    )
}

/// An observation as a job: its obsid the id, its dataset name the name, its target, proposal and
/// access in the status line, its start and end the job's (nobody submitted it).
pub fn to_job(observation: &Observation, account: &AccountId, base: &str) -> Job {
    let name = match observation.obs_id.as_str() {
        "" => observation.obsid.clone(),
        obs_id => obs_id.to_string(),
    };
    let mut about = Vec::new();
    if !observation.target.is_empty() {
        about.push(observation.target.clone());
    }
    if !observation.proposal.is_empty() {
        about.push(format!("proposal {}", observation.proposal));
    }
    if !observation.data_rights.is_empty()
        && !observation.data_rights.eq_ignore_ascii_case("PUBLIC")
    {
        about.push("exclusive access: needs a MAST token".to_string());
    }
    Job {
        id: observation.obsid.clone(),
        name,
        job_type: [
            observation.collection.as_str(),
            observation.instrument.as_str(),
        ]
        .iter()
        .filter(|part| !part.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" "),
        status: JobStatus::Success,
        status_message: about.join(" · "),
        submitted: None,
        started: observation.t_min.and_then(mjd_to_iso),
        completed: observation.t_max.and_then(mjd_to_iso),
        expires: None,
        account: account.clone(),
        location: products_address(base, &observation.obsid),
    }
}

/// The folder an observation's files go into: `<collection>/<obs_id>`.
pub fn folder(collection: &str, obs_id: &str) -> Result<SafeRelPath> {
    let collection = if collection.is_empty() {
        "MAST"
    } else {
        collection
    };
    SafeRelPath::parse(&format!(
        "{}/{}",
        safe_component(collection)?,
        safe_component(obs_id)?
    ))
}

/// The products of one observation that can be saved side by side: each file name once (MAST lists
/// a product again under each observation sharing it), hostile names left out.
pub fn by_file_name(products: Vec<Product>) -> Vec<Product> {
    let mut seen = HashSet::new();
    products
        .into_iter()
        .filter(|p| {
            let name = p.filename.rsplit('/').next().unwrap_or_default();
            safe_component(name).is_ok() && seen.insert(name.to_string())
        })
        .collect()
}

/// The file name a product is saved under in its observation's folder.
pub fn file_name(product: &Product) -> &str {
    product.filename.rsplit('/').next().unwrap_or_default()
}

/// One observation's products as a tree of files in one folder.
pub fn tree(products: &[Product]) -> OutputNode {
    let mut children: Vec<OutputNode> = products
        .iter()
        .map(|product| {
            let name = file_name(product).to_string();
            OutputNode {
                kind: catalog::classify(&name),
                path: name.clone(),
                name,
                size: product.size.filter(|size| *size > 0),
                modified: None,
                file_count: 1,
                title: None,
                digest: None,
                children: Vec::new(),
            }
        })
        .collect();
    children.sort_by(|a, b| a.name.cmp(&b.name));
    OutputNode {
        name: String::new(),
        path: String::new(),
        kind: OutputKind::Directory,
        size: Some(children.iter().filter_map(|c| c.size).sum()),
        modified: None,
        file_count: children.len() as u32,
        title: None,
        digest: None,
        children,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_julian_dates_become_iso() {
        assert_eq!(
            mjd_to_iso(40_587.0).as_deref(),
            Some("1970-01-01T00:00:00Z")
        );
        assert_eq!(
            mjd_to_iso(59_000.5).as_deref(),
            Some("2020-05-31T12:00:00Z")
        );
        assert_eq!(mjd_to_iso(f64::NAN), None);
    }

    #[test]
    fn products_keep_one_file_per_name_and_form_a_flat_tree() {
        let product = |name: &str, uri: &str, size| Product {
            obsid: "1".into(),
            obs_id: "ie3n01010".into(),
            collection: "HST".into(),
            data_uri: uri.into(),
            filename: name.into(),
            product_type: "SCIENCE".into(),
            group: String::new(),
            subgroup: String::new(),
            description: String::new(),
            calib_level: Some(2),
            data_rights: "PUBLIC".into(),
            size,
        };
        let kept = by_file_name(vec![
            product("b_flc.fits", "mast:HST/product/b_flc.fits", Some(10)),
            product("a_drz.jpg", "mast:HST/product/a_drz.jpg", Some(0)),
            product("b_flc.fits", "mast:HST/other/b_flc.fits", Some(10)),
            product("..", "mast:HST/product/..", None),
        ]);
        assert_eq!(kept.len(), 2);
        let tree = tree(&kept);
        assert_eq!(tree.file_count, 2);
        assert_eq!(tree.children[0].path, "a_drz.jpg");
        assert_eq!(tree.children[0].kind, OutputKind::Image);
        assert_eq!(
            tree.children[0].size, None,
            "a size of 0 is MAST not knowing"
        );
        assert_eq!(tree.size, Some(10));
        assert_eq!(
            folder("HST", "ie3n01010").unwrap().to_string(),
            "HST/ie3n01010"
        );
        assert!(folder("HST", "../x").is_err());
    }

    #[test]
    fn an_observation_reads_as_a_job() {
        let observation = Observation {
            obsid: "2010012345".into(),
            obs_id: "ie3n01010".into(),
            collection: "HST".into(),
            target: "NGC-6397".into(),
            instrument: "WFC3/UVIS".into(),
            proposal: "16123".into(),
            data_rights: "EXCLUSIVE_ACCESS".into(),
            calib_level: Some(3),
            t_min: Some(59_000.5),
            t_max: Some(59_000.75),
        };
        let account = AccountId::new(
            &crate::ids::ProviderId::new("mast").unwrap(),
            "token",
            "mast.stsci.edu",
        )
        .unwrap();
        let job = to_job(&observation, &account, "https://mast.stsci.edu/");
        assert_eq!(
            (job.id.as_str(), job.name.as_str()),
            ("2010012345", "ie3n01010")
        );
        assert_eq!(job.job_type, "HST WFC3/UVIS");
        assert_eq!(
            job.status_message,
            "NGC-6397 · proposal 16123 · exclusive access: needs a MAST token"
        );
        assert_eq!(job.started.as_deref(), Some("2020-05-31T12:00:00Z"));
        assert_eq!(job.completed.as_deref(), Some("2020-05-31T18:00:00Z"));
        assert_eq!(job.submitted, None);
        assert!(job
            .location
            .starts_with("https://mast.stsci.edu/api/v0/invoke?request=%7B"));
    }
}
