//! What a report reads of an output folder: [`Inputs`], filled by
//! [`super::load`] and read by every section of the page.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::html::{self, Row};
use super::input::{Feature, TextTable};

/// Everything read from an output folder.
#[derive(Debug, Default)]
pub struct Inputs {
    /// The folder.
    pub dir: PathBuf,
    /// summary.json.
    pub summary: Option<Map<String, Value>>,
    /// sites.geojson.
    pub sites: Option<Vec<Feature>>,
    /// flows.geojson.
    pub flows: Option<Vec<Feature>>,
    /// reach.geojson.
    pub reach: Option<Vec<Feature>>,
    /// cities.geojson, when present (folders written before it have none).
    pub cities: Option<Vec<Feature>>,
    /// regions.csv.
    pub regions: Option<(TextTable, Vec<Row>)>,
    /// comparison.csv.
    pub comparison: Option<(TextTable, Vec<Row>)>,
    /// diff.geojson.
    pub diff: Option<Vec<Feature>>,
    /// schedule.csv of a phased plan (`[[deliveries]]`), when present.
    pub schedule: Option<TextTable>,
    /// implied.csv of `dcsite implied --out`, when present (its text
    /// columns left out of the rows).
    pub implied: Option<Vec<Row>>,
    /// When the run that wrote the folder happened ([`super::run_date`]).
    pub run: Option<html::RunDate>,
}
