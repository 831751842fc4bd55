//! The Portal ("Mashup") API: `POST /api/v0/invoke` with `request=<JSON>`, and `columnsconfig`.
//!
//! Long polling is deterministic: a `Mast.Caom.Products` request naming more than
//! [`EXECUTING_OBSIDS`] obsids is answered `"status":"EXECUTING"` (no data) the first time its
//! exact request text (so including its `cacheBreaker`) is seen, and `COMPLETE` when re-sent.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Json, Response};
use serde::Serialize;
use serde_json::{json, Value};

use super::catalog::Catalog;
use super::columns::{observation_row, product_row, Row, Table};
use super::criteria::{self, Cone};
use crate::params::Args;
use crate::state::SimState;

/// A reply in `format: json`; rows keep their column order.
#[derive(Serialize)]
struct Reply {
    status: &'static str,
    msg: String,
    fields: Value,
    data: Vec<Row>,
    paging: Option<Value>,
}

/// Products requests over more obsids than this take a poll before they complete.
pub const EXECUTING_OBSIDS: usize = 2;
/// The server's page size when the request names none.
const DEFAULT_PAGESIZE: u64 = 1000;

/// `GET` or `POST /api/v0/invoke`, the request in the `request` form or query field.
pub(crate) async fn invoke(State(state): State<Arc<SimState>>, args: Args) -> Response {
    let Some(raw) = args.optional("request") else {
        return Json(error("Request parameter 'request' is missing.")).into_response();
    };
    // The first request lays out the catalogue, which renders the preview images.
    tokio::task::spawn_blocking(move || Json(answer(&state, &raw)).into_response())
        .await
        .unwrap_or_else(|_| Json(error("Internal server error.")).into_response())
}

/// `POST /portal/Mashup/Mashup.asmx/columnsconfig` with `colConfigId=<service>`: column types.
pub(crate) async fn columns_config(args: Args) -> Response {
    let config = match args.optional("colConfigId").as_deref() {
        Some("Mast.Caom.Cone" | "Mast.Caom.Filtered" | "Mast.Caom.Filtered.Position") => {
            Table::Observations.config()
        }
        Some("Mast.Caom.Products") => Table::Products.config(),
        // What the portal sends for a configuration it does not have.
        _ => json!({}),
    };
    Json(config).into_response()
}

fn answer(state: &SimState, raw: &str) -> Reply {
    let request: Value = match serde_json::from_str(raw) {
        Ok(request @ Value::Object(_)) => request,
        Ok(_) => return error("The request must be a JSON object."),
        Err(err) => return error(&format!("Could not parse the request: {err}")),
    };
    let Some(service) = request.get("service").and_then(Value::as_str) else {
        return error("The request has no 'service'.");
    };
    let params = request.get("params").cloned().unwrap_or_else(|| json!({}));
    let page = positive(&request, "page").unwrap_or(1);
    let pagesize = positive(&request, "pagesize").unwrap_or(DEFAULT_PAGESIZE);
    let catalog = state.mast.catalog();
    let mut slow = false;
    let result = match service {
        "Mast.Caom.Filtered" => filtered(catalog, &params, None),
        "Mast.Caom.Filtered.Position" => match params.get("position").and_then(Value::as_str) {
            Some(text) => {
                criteria::position(text).and_then(|cone| filtered(catalog, &params, Some(cone)))
            }
            None => Err("Required parameter 'position' is missing.".into()),
        },
        "Mast.Caom.Cone" => cone(&params).map(|cone| {
            let rows = catalog
                .observations
                .iter()
                .filter(|obs| cone.contains(obs))
                .map(observation_row)
                .collect();
            (Table::Observations, rows)
        }),
        "Mast.Caom.Products" => products(catalog, &params).map(|(obsids, rows)| {
            slow = obsids > EXECUTING_OBSIDS;
            (Table::Products, rows)
        }),
        other => Err(format!("Unknown service: '{other}'.")),
    };
    match result {
        Ok(_) if slow && state.mast.first_sighting(raw) => executing(),
        Ok((table, rows)) => complete(table, rows, page, pagesize),
        Err(msg) => error(&msg),
    }
}

fn filtered(
    catalog: &Catalog,
    params: &Value,
    cone: Option<Cone>,
) -> Result<(Table, Vec<Row>), String> {
    let filters = criteria::filters(params)?;
    let rows = catalog
        .observations
        .iter()
        .filter(|obs| cone.is_none_or(|cone| cone.contains(obs)))
        .filter(|obs| filters.iter().all(|filter| filter.matches(obs)))
        .map(observation_row)
        .collect();
    Ok((Table::Observations, rows))
}

fn cone(params: &Value) -> Result<Cone, String> {
    let number = |key: &str| {
        let value = params.get(key);
        value
            .and_then(Value::as_f64)
            .or_else(|| {
                value
                    .and_then(Value::as_str)
                    .and_then(|s| s.trim().parse().ok())
            })
            .ok_or_else(|| format!("Required parameter '{key}' is missing or is not a number."))
    };
    Ok(Cone {
        ra: number("ra")?,
        dec: number("dec")?,
        radius: number("radius")?,
    })
}

/// The products of the comma-separated `obsid` list, in the order asked, and how many obsids.
fn products(catalog: &Catalog, params: &Value) -> Result<(usize, Vec<Row>), String> {
    let Some(list) = params.get("obsid") else {
        return Err(if params.get("obs_id").is_some() {
            "Mast.Caom.Products takes 'obsid' (the Product Group ID), not 'obs_id'.".into()
        } else {
            "Required parameter 'obsid' is missing.".into()
        });
    };
    let list = match list {
        Value::String(text) => text.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err("Parameter 'obsid' must be a comma-separated list.".into()),
    };
    let obsids: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .collect();
    if obsids.iter().any(|id| id.parse::<u64>().is_err()) {
        // What the database says when an obs_id is passed where an obsid belongs.
        return Err("Error converting data type nvarchar to bigint.".into());
    }
    let rows = obsids
        .iter()
        .filter_map(|id| catalog.observation(id))
        .flat_map(|obs| {
            obs.products
                .iter()
                .map(move |product| product_row(obs, product))
        })
        .collect();
    Ok((obsids.len(), rows))
}

fn positive(request: &Value, key: &str) -> Option<u64> {
    request.get(key).and_then(Value::as_u64).filter(|&n| n > 0)
}

fn complete(table: Table, rows: Vec<Row>, page: u64, pagesize: u64) -> Reply {
    let total = rows.len() as u64;
    let pages = total.div_ceil(pagesize);
    let start = ((page - 1).saturating_mul(pagesize)).min(total) as usize;
    let page_rows: Vec<Row> = rows
        .into_iter()
        .skip(start)
        .take(pagesize as usize)
        .collect();
    let paging = json!({
        "page": page,
        "pageSize": pagesize,
        "pagesFiltered": pages,
        "rows": page_rows.len(),
        "rowsFiltered": total,
        "rowsTotal": total,
    });
    Reply {
        status: "COMPLETE",
        msg: String::new(),
        fields: table.fields(),
        data: page_rows,
        paging: Some(paging),
    }
}

fn executing() -> Reply {
    Reply {
        status: "EXECUTING",
        msg: String::new(),
        fields: json!([]),
        data: Vec::new(),
        paging: None,
    }
}

fn error(msg: &str) -> Reply {
    Reply {
        status: "ERROR",
        msg: msg.to_owned(),
        fields: json!([]),
        data: Vec::new(),
        paging: None,
    }
}
