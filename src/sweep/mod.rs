//! Sweeps: one base scenario with some of its inputs drawn from
//! distributions or stepped over a grid, every drawn scenario solved (in
//! parallel, without the per-plan extras of `solve`), and what the
//! scenarios have in common: how often each site is built, the spread of
//! each region's cards, and the regret of the plans found.
//!
//! One process is shard 0 of 1 followed by a collect: the shard streams its
//! results into part files (`spec` draws, `run` solves and writes parts),
//! and `collect` merges the parts and computes the robust statistics and
//! the regret, so that shards on other machines can be merged the same way.

pub mod collect;
pub mod merge;
pub mod run;
pub mod shard;
pub mod spec;

pub use collect::{collect, sweep_json, CollectOptions, PlanRegret, Summary, Threshold};
pub use run::{run_ids, run_shard, solve_one, Outcome, Shard};
pub use spec::{load_sweep, read_sweep, Dim, Dist, Sampling, Sweep};

use crate::export::OutputError;

/// Why a sweep stopped after its input was accepted.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("building the sweep's tables: {0}")]
    Polars(#[from] polars::prelude::PolarsError),
    /// Shards that do not fit together (missing scenarios, different
    /// inputs): the user's to fix, exit 2.
    #[error("{0}")]
    Mismatch(String),
    #[error("{0}")]
    Internal(String),
}
