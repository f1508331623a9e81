//! What every solve is told (`SolveOptions`) and how it can fail
//! (`SolveError`): the vocabulary of the whole solve wing, at its bottom.

use crate::milp::{Family, RowKey};

/// HiGHS's default relative MIP gap.
pub const DEFAULT_MIP_GAP: f64 = 1e-4;

/// Solver settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SolveOptions {
    pub time_limit_s: Option<f64>,
    pub mip_gap: Option<f64>,
    pub threads: Option<u32>,
    /// Let HiGHS print its log (on stderr, so that stdout stays the result).
    pub log: bool,
    /// Further HiGHS options (`name`, `value`), for experts.
    pub highs_options: Vec<(String, String)>,
    /// The end of the whole run (`--time-limit`): building the model checks
    /// it, every solve gets at most what is left of it, and once it has
    /// passed before a plan exists the solve stops with [`SolveError::TimeUp`].
    pub deadline: Option<crate::domain::Deadline>,
    /// Seconds for each re-solve that checks a proposed fix of an infeasible
    /// scenario (`None`: 12 s; `elastic::CHECK_SECONDS`). A check that runs
    /// out counts as no plan, so on a slow or busy machine a fix may be
    /// printed larger than the least that works.
    pub relaxation_check_s: Option<f64>,
    /// What the solve adds to a checked plan (shadow prices, reasons for
    /// unbuilt sites, verified fixes of an infeasible scenario).
    pub explain: Explain,
    /// How the plan's sites are chosen: the strategies of `solve::strategy`.
    pub strategy: StrategyOptions,
    /// Link rows the cut loop starts with on top of its own first rows, one
    /// flag per pair of `Prepared::pairs`: what an earlier solve of a model
    /// with the same pairs found ([`Plan::link_active`](crate::plan::Plan)),
    /// so that the LP rounds need not find them again. Every link row is
    /// valid, so any seed gives a plan of the same model; a seed of another
    /// length is ignored. `dcsite offer` passes each level's rows to the
    /// next level of the same sample.
    pub link_seed: Option<std::sync::Arc<[bool]>>,
}

/// What a solve adds to the plan it has checked against every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Explain {
    /// Shadow prices, the cost of every unbuilt site, and for an infeasible
    /// scenario the fixes verified by re-solves (`dcsite solve`).
    #[default]
    Full,
    /// The checked plan and its binding rows only; an infeasible scenario is
    /// explained by the quick diagnosis alone. What a sweep needs of each of
    /// its many scenarios, and what benchmarks against plain MIP solvers
    /// compare.
    PlanOnly,
}

/// The switches of the strategies (`solve::strategy`). `None` lets the
/// size of the model decide, as documented on each.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StrategyOptions {
    /// Put every city-site link row into the model up front instead of
    /// letting the cut loop add the ones a solution violates (a check of
    /// the loop; `examples/orlib --all-link-rows`).
    pub all_link_rows: bool,
    /// Pair pricing (hundreds of thousands of city-site pairs): `None`
    /// decides by size, `Some` forces it on or off.
    pub pair_pricing: Option<bool>,
    /// Benders decomposition for the site decisions: `None` decides by size
    /// (instances with many city-site pairs), `Some` forces it on or off.
    pub benders: Option<bool>,
    /// Phase 1's own branch and bound (models with link rows): `None` runs
    /// it on models of up to 5,000 city-site pairs with at most 1,000 nodes;
    /// `Some(n)` runs it with at most n nodes whatever the size, `Some(0)`
    /// leaves phase 1 to HiGHS's MIP. Past its node limit HiGHS's MIP goes on
    /// from its best plan.
    pub branch_nodes: Option<usize>,
    /// The L-shaped decomposition of a two-stage plan (`dcsite hedge`):
    /// `None` decomposes from `stochastic::L_SHAPED_OUTCOMES` outcomes on,
    /// `Some` forces it on or off.
    pub l_shaped: Option<bool>,
}

impl SolveOptions {
    /// `defaults` put before the run's own HiGHS options: HiGHS applies them
    /// in order, so a `--highs-option` of the same name wins.
    pub fn highs_defaults_first(&mut self, defaults: &[(&str, &str)]) {
        let mut h: Vec<(String, String)> = defaults
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        h.append(&mut self.highs_options);
        self.highs_options = h;
    }

    /// Seconds a solve may take: the smaller of `time_limit_s` and what is
    /// left of the run's deadline (at least 0.1 s, which HiGHS needs to start).
    pub fn seconds_left(&self) -> Option<f64> {
        let left = self.deadline.map(|d| d.left_s());
        match (self.time_limit_s, left) {
            (Some(t), Some(l)) => Some(t.min(l).max(0.1)),
            (t, l) => t.or(l).map(|x| x.max(0.1)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// No plan satisfies every constraint; `reasons` explain why in the planner's
    /// words and `relaxations` list changes, each verified by a re-solve of the
    /// integer model, that would make it feasible.
    #[error("{}", infeasible_text(.reasons, .relaxations))]
    Infeasible {
        reasons: Vec<String>,
        relaxations: Vec<String>,
        /// The same relaxations, structured: one list of changes per alternative.
        alternatives: Vec<Vec<Relaxation>>,
    },
    /// A limit stopped the search before any plan existed.
    /// `limit` names it: a solver limit ("time limit", as `run::limit_words`
    /// gives them) or, in a sentence that ends with what to try, a
    /// method's own (the L-shaped loop's rounds).
    #[error("{}", no_solution_text(.limit))]
    NoSolution { limit: String },
    /// The run's `--time-limit` passed before any plan existed (while
    /// building the model, or before a solve could start).
    #[error("{0}")]
    TimeUp(#[from] crate::domain::TimeUp),
    #[error("the model is unbounded (a cost or subsidy coefficient has the wrong sign)")]
    Unbounded,
    #[error("HiGHS does not accept the option {0}")]
    Option(String),
    /// HiGHS failed on every setting tried; the text says what was tried.
    #[error("{0}")]
    Numerical(String),
    /// A solution file (`--read-solution`) that cannot be read or that
    /// violates a bound or row: the user's input, named by line or row.
    #[error("{0}")]
    BadSolution(String),
    /// The solver returned a plan that violates a target or limit: a defect,
    /// never a plan.
    #[error("the solver's answer violates the scenario and is not a plan: {0}")]
    Defect(String),
}

impl SolveError {
    /// Infeasible, with no reasons or relaxations worked out (yet): what a
    /// solve reports before the caller explains it.
    pub(crate) fn unexplained_infeasible() -> SolveError {
        SolveError::Infeasible {
            reasons: vec![],
            relaxations: vec![],
            alternatives: vec![],
        }
    }
}

fn no_solution_text(limit: &str) -> String {
    match limit {
        "time limit" | "iteration limit" | "solution limit" | "memory limit"
        | "objective limit" => {
            format!(
                "the {limit} stopped the search before any plan was found; try a longer \
                 --time-limit, a looser --mip-gap (e.g. 0.01), or more --threads"
            )
        }
        "interrupt" => "an interrupt stopped the search before any plan was found".into(),
        // A method's own limit, in words that end with what to try.
        _ => format!("no plan was found: {limit}"),
    }
}

fn infeasible_text(reasons: &[String], relaxations: &[String]) -> String {
    let mut s = format!("the scenario is infeasible:\n  {}", reasons.join("\n  "));
    if !relaxations.is_empty() {
        s.push_str(&format!(
            "\nany one of these would make it feasible (each checked by re-solving the integer model with it; each amount the smallest that works with whole servers, to the card, 0.01 MW or 1 tce):\n  {}",
            relaxations.join(", or\n  ")
        ));
    }
    s
}

/// One change of a row's limit that, with the others of its alternative, makes
/// the scenario feasible (`explain::elastic` finds them).
#[derive(Debug, Clone, PartialEq)]
pub struct Relaxation {
    pub key: RowKey,
    pub constraint: String,
    pub family: Family,
    /// In `unit`; verified with the integer model when `verified`.
    pub amount: f64,
    pub unit: &'static str,
    /// In the planner's words, e.g. "raise the Yangtze River Delta power quota by 420 MW".
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::SolveError;

    #[test]
    fn a_method_limit_gets_no_time_advice() {
        let time = SolveError::NoSolution {
            limit: "time limit".into(),
        };
        assert!(time.to_string().contains("try a longer --time-limit"));
        let rounds = SolveError::NoSolution {
            limit: "the L-shaped loop stopped after 500 master rounds; try --method extensive"
                .into(),
        };
        let text = rounds.to_string();
        assert!(text.starts_with("no plan was found: the L-shaped loop stopped after 500"));
        assert!(!text.contains("--time-limit"), "{text}");
    }
}
