//! Strategies: ways to solve a model that the base's phases alone solve
//! slowly, each behind [`Strategy`] and chosen here from `SolveOptions`
//! (`StrategyOptions`), never from the model.
//!
//! Which inputs reach which strategy (docs/MODELLING.md, "Strategies"):
//! - **pair pricing** (`pairs.rs`): demand as shares without link rows (more
//!   than 30,000 pairs, or no positive floor: `Prepared::share_floor`), and
//!   more than 40 city-site pairs per city: pairs are priced in, not all at once;
//! - **Benders decomposition** (`benders.rs`): every city's demand a fixed
//!   number of cards (link rows) and 20,000 pairs or more;
//! - **branch and bound** (`branch.rs`): every city's demand a fixed number
//!   of cards (link rows), up to 5,000 pairs;
//! - otherwise the base's own phases (`HighsMip`): every shipped scenario.
//!
//! The cut loop on link rows (`base::links`) serves every strategy whose
//! model has link rows; `StrategyOptions::all_link_rows` puts them all in
//! up front instead.

pub mod benders;
pub mod branch;
pub mod pairs;

use crate::milp::Prepared;
use crate::solve::base::links::LinkSet;
use crate::solve::base::options::SolveOptions;
use crate::solve::base::phases::HighsMip;
pub use crate::solve::base::strategy::Strategy;

/// The strategy for a solve of `p`.
pub fn choose(p: &Prepared, opts: &SolveOptions) -> Box<dyn Strategy> {
    if pairs::applies(p, opts) {
        // Hundreds of thousands of city-site pairs: priced in, not all at once.
        return Box::new(pairs::PairPricing);
    }
    if benders::applies(p, opts) {
        return Box::new(benders::Benders);
    }
    phases_of(p, opts)
}

/// The strategy for the check of a proposed fix of an infeasible scenario
/// (limits moved, `explain::elastic`): the phases on the whole model,
/// without pair pricing or Benders.
pub fn for_relaxation(p: &Prepared, opts: &SolveOptions) -> Box<dyn Strategy> {
    phases_of(p, opts)
}

/// Phase 1 by dcsite's own branch and bound where it applies, else HiGHS's.
fn phases_of(p: &Prepared, opts: &SolveOptions) -> Box<dyn Strategy> {
    match branch::node_limit(p, LinkSet::separates(p, opts), opts) {
        Some(max_nodes) => Box::new(branch::BranchAndBound { max_nodes }),
        None => Box::new(HighsMip),
    }
}
