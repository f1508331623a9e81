//! The list of layers a plan is written as: sites, flows, reach and cities
//! (RFC 7946, each with its QGIS style), and a re-projected copy of each per
//! output CRS. The CLI writes what [`layer_files`] gives it and nothing else.
//!
//! A copy is re-projected as geometries ([`OutputCrs::reproject_geometry`])
//! and serialised once, with the legacy `crs` member before `features`.

use geojson::{Feature, FeatureCollection, JsonObject, JsonValue};
use serde::Serialize;

use super::geo_layers::{cities_geojson, flows_geojson, reach_geojson, sites_geojson, to_text};
use super::qml;
use crate::plan::Plan;
use crate::spatial::crs::{CrsError, OutputCrs};
use crate::spatial::SpatialError;

/// One layer: its base name, its features and its QGIS style; a re-projected
/// copy also carries its CRS label and `crs` member.
#[derive(Debug, Clone)]
pub struct Layer {
    /// `sites`, `flows`, `reach` or `cities`.
    pub name: &'static str,
    /// The features, WGS 84 unless `crs` is set.
    pub collection: FeatureCollection,
    /// The `.qml` text.
    pub qml: String,
    /// The output CRS label (`epsg-4490`) and legacy `crs` member of a copy.
    pub crs: Option<(String, JsonValue)>,
}

/// Why the layers could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// Drawing the reach polygons failed (ours).
    #[error("drawing reach polygons: {0}")]
    Reach(#[source] SpatialError),
    /// A vertex has no image in an output CRS (the user's CRS).
    #[error("--crs {spec}: {file}: {source}")]
    Project {
        spec: String,
        file: String,
        #[source]
        source: CrsError,
    },
}

/// The legacy (GeoJSON 2008) text of a copy: `type`, `crs`, `features`, then
/// the foreign members (`name`), as GDAL reads it.
#[derive(Serialize)]
struct WithCrs<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    crs: &'a JsonValue,
    features: &'a [Feature],
    #[serde(flatten)]
    foreign: &'a JsonObject,
}

impl Layer {
    /// `sites.geojson`, or `sites.<label>.geojson` for a copy.
    pub fn geojson_file(&self) -> String {
        match &self.crs {
            None => format!("{}.geojson", self.name),
            Some((label, _)) => format!("{}.{label}.geojson", self.name),
        }
    }

    /// `sites.qml`, or `sites.<label>.qml` for a copy (QGIS applies
    /// `<completeBaseName>.qml` as the default style).
    pub fn qml_file(&self) -> String {
        match &self.crs {
            None => format!("{}.qml", self.name),
            Some((label, _)) => format!("{}.{label}.qml", self.name),
        }
    }

    /// The GeoJSON text (pretty, final newline).
    pub fn geojson(&self) -> String {
        match &self.crs {
            None => to_text(&self.collection),
            Some((_, member)) => {
                let empty = JsonObject::new();
                let copy = WithCrs {
                    kind: "FeatureCollection",
                    crs: member,
                    features: &self.collection.features,
                    foreign: self.collection.foreign_members.as_ref().unwrap_or(&empty),
                };
                let mut s = serde_json::to_string_pretty(&copy).expect("GeoJSON serialises");
                s.push('\n');
                s
            }
        }
    }

    /// This layer re-projected into `crs`, vertex by vertex (properties and
    /// order untouched).
    pub fn projected(&self, crs: &OutputCrs) -> Result<Layer, CrsError> {
        let mut collection = self.collection.clone();
        for f in &mut collection.features {
            if let Some(g) = f.geometry.as_mut() {
                crs.reproject_geometry(g)?;
            }
        }
        Ok(Layer {
            name: self.name,
            collection,
            qml: self.qml.clone(),
            crs: Some((crs.label().to_string(), crs.crs_member())),
        })
    }
}

/// The four RFC 7946 layers of a plan, in the order they are written.
pub fn layers(plan: &Plan) -> Result<Vec<Layer>, LayerError> {
    let cooling: Vec<&str> = plan
        .instance
        .cooling
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    let layer = |name, collection, qml| Layer {
        name,
        collection,
        qml,
        crs: None,
    };
    Ok(vec![
        layer("sites", sites_geojson(plan), qml::sites_qml(&cooling)),
        layer("flows", flows_geojson(plan), qml::flows_qml()),
        layer(
            "reach",
            reach_geojson(plan).map_err(LayerError::Reach)?,
            qml::reach_qml(),
        ),
        layer("cities", cities_geojson(plan), qml::cities_qml()),
    ])
}

/// Every layer file of a plan as (file name, text): each layer and its style,
/// then per output CRS a re-projected copy of each layer and its style.
pub fn layer_files(plan: &Plan, crs: &[OutputCrs]) -> Result<Vec<(String, String)>, LayerError> {
    let base = layers(plan)?;
    let mut all = Vec::with_capacity(base.len() * (1 + crs.len()));
    for c in crs {
        for l in &base {
            let copy = l.projected(c).map_err(|source| LayerError::Project {
                spec: c.spec().to_string(),
                file: format!("{}.{}.geojson", l.name, c.label()),
                source,
            })?;
            all.push(copy);
        }
    }
    let mut files = Vec::with_capacity(2 * (base.len() + all.len()));
    for l in base.iter().chain(&all) {
        files.push((l.geojson_file(), l.geojson()));
        files.push((l.qml_file(), l.qml.clone()));
    }
    Ok(files)
}
