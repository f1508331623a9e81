//! dcsite decides where H200 GPU clusters should be built.
//!
//! The pipeline follows the shape of energy-system optimisers such as PyPSA:
//! load and validate tables ([`data`]) → prepare the derived quantities
//! ([`milp::prepare`]) → build the mixed-integer model ([`milp`]) → solve it
//! with HiGHS ([`solve`]) → write GeoJSON, CSV and JSON ([`export`]).
//!
//! Coordinates are WGS 84 degrees, `[lon, lat]` in GeoJSON and `(lat, lon)`
//! in tables; money is CNY; power is MW of IT load unless a name says
//! `facility`; energy quotas are tonnes of standard coal equivalent (tce).

// summary.json is one `json!` literal of about 70 members.
#![recursion_limit = "256"]

pub mod compare;
pub mod data;
pub mod domain;
pub mod export;
pub mod milp;
pub mod plan;
pub mod report;
pub mod solve;
pub mod spatial;
pub mod study;
