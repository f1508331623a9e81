//! Writing a plan: GeoJSON layers (RFC 7946) and their QGIS styles (.qml), the list of
//! layer files with their re-projected copies (`layers`), the QGIS project
//! (`qgis_project`: plan.qgz), summary.json, regions.csv and implied.csv, and `plan.gpkg`,
//! the layers with their styles and the project in one GeoPackage (`gpkg`, written by GDAL).
//! Knows nothing of the solver. Every file is written atomically, and a
//! whole output folder appears at once or not at all.

pub mod csv;
pub mod geo_layers;
pub mod gpkg;
pub mod implied;
pub mod layers;
pub mod qgis_project;
pub mod qml;
pub mod schedule;
pub mod summary;
pub mod why;
pub mod writer;

pub use geo_layers::{cities_geojson, flows_geojson, reach_geojson, sites_geojson};
pub use implied::{implied_table, implied_text};
pub use layers::{layer_files, layers, Layer, LayerError};
pub use qgis_project::{project_qgs, qgz, ProjectError, ProjectLayer, ProjectSpec};
pub use qml::{
    cities_qml, diff_qml, flows_qml, outline_qml, probability_qml, provinces_qml, reach_qml,
    sites_qml,
};
pub use schedule::{schedule_json, schedule_table};
pub use summary::{gap_text, near_optimal_text, regions_table, summary_json, text_report};
pub use writer::{write_file_atomic, AtomicFile, OutputDir, OutputError};
