//! A MAST account in use (with a token, or anonymous): searches whose observations become its jobs,
//! each observation's products as its output tree, and where each product is fetched from.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::listing;
use super::model::{Observation, Product};
use super::search::{self, Criteria};
use super::token::Token;
use crate::catalog::{Job, OutputNode};
use crate::error::{Error, ErrorCode, Result};
use crate::paths::SafeRelPath;
use crate::providers::{Account, FieldValues, Located, Profile, Session};
use crate::transfer::auth::{BoxFuture, Credentials};
use crate::transfer::model::{AuthPolicy, Source};
use crate::transfer::plan::{self, Plan};

pub struct MastSession {
    pub(super) client: reqwest::Client,
    /// MAST's address, without a trailing `/`.
    pub(super) base: String,
    pub(super) account: Account,
    pub(super) profile: Profile,
    pub(super) token: Option<Arc<Token>>,
    /// What goes with product downloads: the token, to MAST and the hosts the user trusts.
    pub(super) auth: AuthPolicy,
    /// The last search's observations, in MAST's order.
    found: Mutex<Vec<Observation>>,
    /// Every observation seen, by obsid.
    known: Mutex<HashMap<String, Observation>>,
    /// The products listed per obsid, one per file name.
    products: Mutex<HashMap<String, Vec<Product>>>,
}

impl MastSession {
    pub(super) fn new(
        client: reqwest::Client,
        base: String,
        account: Account,
        profile: Profile,
        token: Option<Arc<Token>>,
        auth: AuthPolicy,
    ) -> Self {
        MastSession {
            client,
            base,
            account,
            profile,
            token,
            auth,
            found: Mutex::default(),
            known: Mutex::default(),
            products: Mutex::default(),
        }
    }

    fn job_of(&self, observation: &Observation) -> Job {
        listing::to_job(observation, &self.account.id, &self.base)
    }

    fn remember(&self, observations: &[Observation]) {
        let mut known = self.known.lock().expect("known observations lock");
        for observation in observations {
            known.insert(observation.obsid.clone(), observation.clone());
        }
    }

    async fn run_search(&self, values: &FieldValues) -> Result<Vec<Job>> {
        let criteria = Criteria::from_values(values)?;
        let observations = search::observations(&self.client, &self.base, &criteria).await?;
        self.remember(&observations);
        let jobs = observations.iter().map(|o| self.job_of(o)).collect();
        *self.found.lock().expect("found observations lock") = observations;
        Ok(jobs)
    }

    /// One observation, from memory or asked of MAST by its obsid.
    async fn observation(&self, obsid: &str) -> Result<Observation> {
        if let Some(known) = self
            .known
            .lock()
            .expect("known observations lock")
            .get(obsid)
        {
            return Ok(known.clone());
        }
        let criteria = Criteria {
            obsid: Some(obsid.to_string()),
            ..Criteria::default()
        };
        let found = search::observations(&self.client, &self.base, &criteria).await?;
        let observation = found
            .into_iter()
            .find(|o| o.obsid == obsid)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotFound,
                    format!("MAST has no observation with obsid {obsid:?}."),
                )
            })?;
        self.remember(std::slice::from_ref(&observation));
        Ok(observation)
    }

    /// An observation's products, one per file name, listed now and remembered for `locate`.
    async fn list_products(&self, obsid: &str) -> Result<Vec<Product>> {
        let listed = search::products(&self.client, &self.base, &[obsid.to_string()]).await?;
        let products = listing::by_file_name(listed);
        self.products
            .lock()
            .expect("products lock")
            .insert(obsid.to_string(), products.clone());
        Ok(products)
    }

    fn listed_product(&self, job: &Job, path: &SafeRelPath) -> Result<Product> {
        let name = path.to_string();
        self.products
            .lock()
            .expect("products lock")
            .get(&job.id)
            .and_then(|products| {
                products
                    .iter()
                    .find(|p| listing::file_name(p) == name)
                    .cloned()
            })
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotFound,
                    format!(
                        "{name} is not among the listed products of {}; list them again.",
                        job.name
                    ),
                )
            })
    }

    fn located(&self, product: &Product) -> Result<Located> {
        Ok(Located {
            source: Source::Url {
                url: search::download_url(&self.base, &product.data_uri)?.to_string(),
            },
            auth: self.auth.clone(),
            size_is_exact: false,
        })
    }
}

impl Session for MastSession {
    fn account(&self) -> &Account {
        &self.account
    }

    fn profile(&self) -> &Profile {
        &self.profile
    }

    fn jobs(&self) -> BoxFuture<'_, Result<Vec<Job>>> {
        Box::pin(async move {
            let found = self.found.lock().expect("found observations lock").clone();
            Ok(found.iter().map(|o| self.job_of(o)).collect())
        })
    }

    fn search<'a>(&'a self, values: &'a FieldValues) -> BoxFuture<'a, Result<Vec<Job>>> {
        Box::pin(self.run_search(values))
    }

    fn job<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Job>> {
        Box::pin(async move { Ok(self.job_of(&self.observation(id).await?)) })
    }

    fn folder(&self, job: &Job) -> Result<Option<SafeRelPath>> {
        let known = self.known.lock().expect("known observations lock");
        let observation = known.get(&job.id).ok_or_else(|| {
            Error::new(
                ErrorCode::NotFound,
                format!(
                    "Observation {} is no longer known here; search for it again.",
                    job.name
                ),
            )
        })?;
        listing::folder(&observation.collection, &job.name).map(Some)
    }

    fn outputs<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<OutputNode>> {
        Box::pin(async move { Ok(listing::tree(&self.list_products(&job.id).await?)) })
    }

    fn locate(&self, job: &Job, path: &SafeRelPath) -> Result<Located> {
        self.located(&self.listed_product(job, path)?)
    }

    fn plan(self: Arc<Self>, job: Job) -> Plan {
        plan::of_listing(async move {
            self.list_products(&job.id)
                .await?
                .iter()
                .map(|product| {
                    let dest = listing::file_name(product).to_string();
                    search::item(&self.base, product, dest, &self.auth)
                })
                .collect::<Result<Vec<_>>>()
        })
    }

    fn credentials(&self) -> Option<Arc<dyn Credentials>> {
        self.token
            .clone()
            .map(|token| token as Arc<dyn Credentials>)
    }
}
