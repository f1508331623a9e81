//! The integration tests that need programs outside Rust, in one binary:
//! a real single-node Slurm, Snakemake and the Kubernetes schema validator
//! of the test venv (shards), GDAL and QGIS (gdal_layers, qgis_project), headless
//! Chromium (report), PuLP and its CBC (hedge_pulp). scripts/setup.sh
//! installs them all; the other integration tests are in tests/it.

#[path = "../common/mod.rs"]
mod common;
#[path = "../slurm_support/mod.rs"]
mod slurm_support;

mod gdal_layers;
mod gpkg;
mod hedge_pulp;
mod offer_page;
mod print;
mod qgis_project;
mod qgis_support;
mod report;
mod shards;
