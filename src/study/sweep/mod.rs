//! Sweeps: one base scenario with some of its inputs drawn from
//! distributions or stepped over a grid, every drawn scenario solved (in
//! parallel, without the per-plan extras of `solve`), and what the
//! scenarios have in common: how often each site is built, the spread of
//! each region's cards, and the regret of the plans found.
//!
//! One process is shard 0 of 1 followed by a collect: the shard streams its
//! results into part files (`spec` draws, `run` solves and writes parts,
//! `shard` does so resumably under a manifest), and `collect` merges the
//! parts and computes the robust statistics and the regret, so that shards
//! on other machines can be merged the same way (`collect::verify` checks
//! their manifests and parts first).

pub mod collect;
mod error;
pub mod run;
pub mod shard;
pub mod spec;

pub use collect::{
    collect, sweep_json, ArmSummary, CollectOptions, PlanRegret, Summary, Threshold, ThresholdShare,
};
pub use error::SweepError;
pub use run::{run_ids, run_shard, solve_one, Outcome, Shard};
pub use spec::{load_sweep, read_sweep, Dim, Dist, Sampling, Sweep};
