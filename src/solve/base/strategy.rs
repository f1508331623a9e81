//! The interface every strategy implements (`solve::strategy`): how a
//! plan's sites are chosen. The base solve calls it and never names a
//! strategy; the top of the wing picks one from `SolveOptions`.

use std::cell::{Cell, RefCell};
use std::time::Instant;

use super::links::LinkSet;
use super::options::{SolveError, SolveOptions, DEFAULT_MIP_GAP};
use super::read::ModelParts;
use crate::milp::{self, Integrality, Model, Prepared, RowKey};
use crate::plan::{BendersStats, BranchStats, Plan};

/// A way to solve the model: most strategies choose the plan's sites
/// (phases 0 and 1, [`Strategy::choose_sites`]) and leave the rest to the
/// base's phases; pair pricing solves a smaller model in place of the whole.
pub trait Strategy {
    /// Its name in words (logs, docs).
    fn name(&self) -> &'static str;
    /// Phases 0 and 1: the binaries of a plan and a proven lower bound on
    /// the full model.
    fn choose_sites(&self, run: &Run) -> Result<Choice, SolveError>;
    /// The whole solve of `p` with the limits of the rows in `relax` moved:
    /// for most strategies `base::phases::solve_phases(p, opts, relax, self)`.
    fn solve(
        &self,
        p: &Prepared,
        opts: &SolveOptions,
        relax: &[(RowKey, f64)],
    ) -> Result<Solved, SolveError>;
}

/// What phases 0 and 1 hand to phase 2 (rounding the servers).
pub struct Choice {
    /// A lower bound on the full model, CNY.
    pub bound: f64,
    /// Per option: 1 where it is built.
    pub open: Vec<f64>,
    /// Per site: whether it hosts a mega cluster (`None`: it cannot).
    pub mega: Vec<Option<f64>>,
    /// Phase 1's plan (columns of the model with continuous servers), for
    /// phase 2 to repair.
    pub start: Option<Vec<f64>>,
    /// `start` is an LP optimum for its binaries: when its servers are
    /// already whole it is the full model's plan as it stands.
    pub start_is_plan: bool,
    /// The relative precision the bound is proven to (0: exact).
    pub gap_floor: f64,
    /// Phase 2 needs HiGHS's tightest MIP feasibility tolerance (no phase-1
    /// plan to start from).
    pub tight_rounding: bool,
    pub benders: Option<BendersStats>,
    pub branch: Option<BranchStats>,
}

/// A solve's answer before the explanations: the plan, checked against
/// every row (unless it is a relaxation check), and what is needed to
/// explain it.
pub struct Solved {
    pub plan: Plan,
    /// The model the plan was read from, and its columns' values.
    pub parts: ModelParts,
    pub cols: Vec<f64>,
    /// The smaller model solved in place of the caller's (pair pricing);
    /// explanations are of that model.
    pub reduced: Option<Prepared>,
}

/// One phased solve in progress: the model, the link rows it holds so far,
/// the time left, and the seconds spent building.
pub struct Run<'a> {
    pub p: &'a Prepared,
    pub opts: &'a SolveOptions,
    pub relax: &'a [(RowKey, f64)],
    /// The link rows in the model so far (the cut loop, `links.rs`).
    pub links: RefCell<LinkSet>,
    /// The relative gap the plan must be proven within.
    pub tolerance: f64,
    /// This solve's own limit, or the run's deadline when it comes first.
    pub deadline: Option<Instant>,
    pub build_seconds: Cell<f64>,
}

impl<'a> Run<'a> {
    pub fn new(p: &'a Prepared, opts: &'a SolveOptions, relax: &'a [(RowKey, f64)]) -> Self {
        let t0 = Instant::now();
        let deadline = match (
            opts.time_limit_s
                .map(|t| crate::domain::instant_after(t0, t)),
            opts.deadline.map(|d| d.at),
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Run {
            p,
            opts,
            relax,
            links: RefCell::new(LinkSet::new(p, opts)),
            tolerance: opts.mip_gap.unwrap_or(DEFAULT_MIP_GAP),
            deadline,
            build_seconds: Cell::new(0.0),
        }
    }

    /// Builds the model with the link rows found so far and the relaxed
    /// limits, counting the time.
    pub fn build(&self, integrality: Integrality) -> Result<Model, SolveError> {
        let t = Instant::now();
        let mut m = milp::build_with_within(
            self.p,
            integrality,
            self.links.borrow().links(),
            self.opts.deadline.as_ref(),
        )?;
        for &(key, amount) in self.relax {
            m.relax(key, amount);
        }
        self.build_seconds
            .set(self.build_seconds.get() + t.elapsed().as_secs_f64());
        Ok(m)
    }

    /// `o` with its time limit cut to what is left of this solve.
    pub fn left(&self, o: &SolveOptions) -> SolveOptions {
        let mut o = o.clone();
        if let Some(d) = self.deadline {
            o.time_limit_s = Some(
                d.saturating_duration_since(Instant::now())
                    .as_secs_f64()
                    .max(0.1),
            );
        }
        o
    }

    /// What is left, less a fifth kept for rounding the servers.
    pub fn left_for_sites(&self) -> SolveOptions {
        let mut o = self.left(self.opts);
        if let Some(t) = o.time_limit_s {
            o.time_limit_s = Some((0.8 * t).max(0.1));
        }
        o
    }
}
