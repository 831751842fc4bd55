//! The CAOM observation and product columns: their types, each row's values, and `columnsconfig`.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{json, Value};

use super::catalog::{Observation, Product};

/// A column's database type, as `columnsconfig` (`vot.datatype`) and `fields` (`type`) name it.
#[derive(Clone, Copy)]
enum Datatype {
    Char,
    Double,
    Int,
    Boolean,
}

impl Datatype {
    fn vot(self) -> &'static str {
        match self {
            Datatype::Char => "char",
            Datatype::Double => "double",
            Datatype::Int => "int",
            Datatype::Boolean => "boolean",
        }
    }

    fn field(self) -> &'static str {
        match self {
            Datatype::Char => "string",
            Datatype::Double => "float",
            Datatype::Int => "int",
            Datatype::Boolean => "boolean",
        }
    }
}

use Datatype::{Boolean, Char, Double, Int};

/// `Mast.Caom.Cone` / `Mast.Caom.Filtered` columns, in MAST's order, with their portal labels.
const OBSERVATION_COLUMNS: [(&str, Datatype, &str); 33] = [
    ("intentType", Char, "Observation Type"),
    ("obs_collection", Char, "Mission"),
    ("provenance_name", Char, "Provenance Name"),
    ("instrument_name", Char, "Instrument"),
    ("project", Char, "Project"),
    ("filters", Char, "Filters"),
    ("wavelength_region", Char, "Waveband"),
    ("target_name", Char, "Target Name"),
    ("target_classification", Char, "Target Classification"),
    ("obs_id", Char, "Observation ID"),
    ("s_ra", Double, "RA"),
    ("s_dec", Double, "Dec"),
    ("dataproduct_type", Char, "Product Type"),
    ("proposal_pi", Char, "Principal Investigator"),
    ("calib_level", Int, "Calibration Level"),
    ("t_min", Double, "Start Time"),
    ("t_max", Double, "End Time"),
    ("t_exptime", Double, "Exposure Length"),
    ("em_min", Double, "Min. Wavelength"),
    ("em_max", Double, "Max. Wavelength"),
    ("obs_title", Char, "Observation Title"),
    ("t_obs_release", Double, "Release Date"),
    ("proposal_id", Char, "Proposal ID"),
    ("proposal_type", Char, "Proposal Type"),
    ("sequence_number", Int, "Sequence Number"),
    ("s_region", Char, "s_region"),
    ("jpegURL", Char, "jpegURL"),
    ("dataURL", Char, "Data URL"),
    ("dataRights", Char, "Data Rights"),
    ("mtFlag", Boolean, "Moving Target"),
    ("srcDen", Double, "Number of Catalog Objects"),
    ("obsid", Char, "Product Group ID"),
    ("objID", Char, "Object ID"),
];

/// `Mast.Caom.Products` columns, in MAST's order.
const PRODUCT_COLUMNS: [(&str, Datatype, &str); 20] = [
    ("obsID", Char, "Product Group ID"),
    ("obs_collection", Char, "Mission"),
    ("dataproduct_type", Char, "Product Type"),
    ("obs_id", Char, "Observation ID"),
    ("description", Char, "Description"),
    ("type", Char, "Type"),
    ("dataURI", Char, "Data URI"),
    ("productType", Char, "Product Type"),
    ("productGroupDescription", Char, "Product Group"),
    ("productSubGroupDescription", Char, "Product SubGroup"),
    ("productDocumentationURL", Char, "Product Documentation"),
    ("project", Char, "Project"),
    ("prvversion", Char, "Provenance Version"),
    ("proposal_id", Char, "Proposal ID"),
    ("productFilename", Char, "Filename"),
    ("size", Int, "Size"),
    ("parent_obsid", Char, "Parent Product Group ID"),
    ("dataRights", Char, "Data Rights"),
    ("calib_level", Int, "Calibration Level"),
    ("filters", Char, "Filters"),
];

/// A result row: values in column order, serialized as one JSON object in that order.
pub(crate) struct Row(Vec<(&'static str, Value)>);

impl Serialize for Row {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Which table a service answers from.
#[derive(Clone, Copy)]
pub(crate) enum Table {
    Observations,
    Products,
}

impl Table {
    fn columns(self) -> &'static [(&'static str, Datatype, &'static str)] {
        match self {
            Table::Observations => &OBSERVATION_COLUMNS,
            Table::Products => &PRODUCT_COLUMNS,
        }
    }

    /// The reply's `fields`: `[{"name": .., "type": ..}]`.
    pub(crate) fn fields(self) -> Value {
        self.columns()
            .iter()
            .map(|(name, datatype, _)| json!({"name": name, "type": datatype.field()}))
            .collect()
    }

    pub(crate) fn has_column(self, name: &str) -> bool {
        self.columns().iter().any(|(column, ..)| *column == name)
    }

    /// The body of `POST /portal/Mashup/Mashup.asmx/columnsconfig` for this table.
    pub(crate) fn config(self) -> Value {
        let entries = self.columns().iter().map(|(name, datatype, text)| {
            let entry = json!({"text": text, "vot.datatype": datatype.vot()});
            ((*name).to_owned(), entry)
        });
        Value::Object(entries.collect())
    }
}

/// One column of an observation row.
pub(crate) fn observation_value(obs: &Observation, column: &str) -> Value {
    match column {
        "intentType" => json!("science"),
        "obs_collection" => json!(obs.collection),
        "provenance_name" => json!(obs.provenance_name),
        "instrument_name" => json!(obs.instrument_name),
        "project" => json!(obs.project),
        "filters" => json!(obs.filters),
        "wavelength_region" => json!(obs.wavelength_region),
        "target_name" => json!(obs.target_name),
        "target_classification" => json!(obs.target_classification),
        "obs_id" => json!(obs.obs_id),
        "s_ra" => json!(obs.s_ra),
        "s_dec" => json!(obs.s_dec),
        "dataproduct_type" => json!(obs.dataproduct_type),
        "proposal_pi" => json!(obs.proposal_pi),
        "calib_level" => json!(obs.calib_level),
        "t_min" => json!(obs.t_min),
        "t_max" => json!(obs.t_max),
        "t_exptime" => json!(obs.t_exptime),
        "em_min" => json!(obs.em_min),
        "em_max" => json!(obs.em_max),
        "obs_title" => json!(obs.obs_title),
        "t_obs_release" => json!(obs.t_obs_release),
        "proposal_id" => json!(obs.proposal_id),
        "proposal_type" => json!(obs.proposal_type),
        "sequence_number" => json!(obs.sequence_number),
        "s_region" => json!(obs.s_region),
        "jpegURL" => json!(obs.jpeg_url),
        "dataURL" => json!(obs.data_url),
        "dataRights" => json!(obs.data_rights),
        "mtFlag" => json!(false),
        "obsid" => json!(obs.obsid),
        "objID" => json!(obs.obj_id),
        // srcDen is unknown for most observations.
        _ => Value::Null,
    }
}

pub(crate) fn observation_row(obs: &Observation) -> Row {
    Row(OBSERVATION_COLUMNS
        .iter()
        .map(|(name, ..)| (*name, observation_value(obs, name)))
        .collect())
}

pub(crate) fn product_row(obs: &Observation, product: &Product) -> Row {
    Row(PRODUCT_COLUMNS
        .iter()
        .map(|(name, ..)| (*name, product_value(obs, product, name)))
        .collect())
}

fn product_value(obs: &Observation, product: &Product, column: &str) -> Value {
    match column {
        "obsID" | "parent_obsid" => json!(obs.obsid),
        "obs_collection" => json!(obs.collection),
        "dataproduct_type" => json!(obs.dataproduct_type),
        "obs_id" => json!(obs.obs_id),
        "description" => json!(product.description),
        "type" => json!("S"),
        "dataURI" => json!(product.uri),
        "productType" => json!(product.product_type),
        "productGroupDescription" => json!(product.group),
        "productSubGroupDescription" => json!(product.subgroup),
        "project" => json!(product.project),
        "prvversion" => json!(product.prvversion),
        "proposal_id" => json!(obs.proposal_id),
        "productFilename" => json!(product.filename),
        "size" => json!(product.listed_size),
        "dataRights" => json!(obs.data_rights),
        "calib_level" => json!(product.calib_level),
        "filters" => json!(obs.filters),
        // productDocumentationURL is empty for these missions.
        _ => Value::Null,
    }
}
