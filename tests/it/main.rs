//! The integration tests in one binary, one module per area (each was a
//! test binary of its own; every binary links Polars and HiGHS again, so
//! one binary saves most of the link time after a change to src/). The
//! tests that need Slurm, the test venv, QGIS or Chromium are in
//! tests/system. The modules' tests run on parallel threads of this one
//! process, so none changes process-wide state (the environment, the
//! working folder) and each writes only in folders of its own.

#[path = "../common/mod.rs"]
mod common;
#[path = "../../examples/support/mod.rs"]
mod support;

mod adversarial;
mod architecture;
mod baseline_scenario;
mod branch;
mod build_now;
mod clusters;
mod compare_report;
mod contract;
mod crs;
mod data_loading;
mod density;
mod doc_figures;
mod hall_start;
mod hedge;
mod lshaped;
mod model_file;
mod national;
mod near_optimal;
mod offer;
mod orlib;
mod phased;
mod planner_numbers;
mod provinces;
mod report_everywhere;
mod run_limits;
mod scale;
mod share_links;
mod small_models;
mod subsidy_scenarios;
mod sweep;
mod what_if;
mod where_why;
