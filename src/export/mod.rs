//! Writing a plan: GeoJSON layers (RFC 7946) and their QGIS styles (.qml), the list of
//! layer files with their re-projected copies (`layers`), summary.json and regions.csv.
//! Knows nothing of the solver. Every file is written atomically, and a
//! whole output folder appears at once or not at all.

pub mod geo_layers;
pub mod layers;
pub mod qml;
pub mod summary;
pub mod writer;

pub use geo_layers::{cities_geojson, flows_geojson, reach_geojson, sites_geojson};
pub use layers::{layer_files, layers, Layer, LayerError};
pub use qml::{cities_qml, diff_qml, flows_qml, probability_qml, reach_qml, sites_qml};
pub use summary::{gap_text, near_optimal_text, regions_table, summary_json, text_report};
pub use writer::{write_file_atomic, OutputDir, OutputError};
