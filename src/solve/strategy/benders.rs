//! Benders decomposition of the assignment, for instances with many
//! (city, site) pairs and fixed city demands (OR-Library's capa: 100 sites ×
//! 1,000 cities, 100,000 `serve` columns and as many link rows).
//!
//! The site decisions (opens, servers, mega clusters, subsidies: every column
//! but `serve`) stay in a master model built by the same builder as the full
//! model ([`Links::Projected`]), with one more column θ for the cost of
//! serving the cities. For a master answer ȳ, the assignment is an LP of its
//! own, solved on one HiGHS instance whose bounds are moved to ȳ and
//! re-solved from the last basis:
//!
//! ```text
//! Q(ȳ) = min Σ cost_k serve_k + M Σ short_d
//!        Σ_{k of d} serve_k + short_d ≥ demand_d          (π_d ≥ 0)
//!        Σ_{k at s} serve_k ≤ capacity_s(ȳ)               (μ_s ≤ 0)
//!        0 ≤ serve_k ≤ demand_d × Σ open[o at s](ȳ)       (the link rows, as bounds)
//! ```
//!
//! Its duals give θ ≥ Σ π_d demand_d + Σ μ_s capacity_s(y) + Σ r_k demand_d
//! open_s(y) with r_k = min(0, cost_k − π_d − μ_s), a function of y that
//! lies below Q everywhere (weak duality: the duals are feasible whatever the
//! bounds), and touches it at ȳ. HiGHS has no lazy-constraint callback, so
//! the loop is ours, in two stages:
//!
//! 1. The master's LP relaxation, with cuts separated at a point between its
//!    answer and a core point that follows it slowly (in-out stabilisation), until
//!    no cut separates the answer: the LP bound of the full model, with every
//!    link row.
//! 2. The master MIP with those cuts, re-solved after each cut found at its
//!    answer, the best plan so far given as its start. HiGHS reports each
//!    improving solution by callback; it is evaluated there, and the first
//!    one the cuts price too low ends that branch and bound as its answer
//!    (the rest of the tree would only prove an answer the next cut
//!    removes). It stops when the best
//!    plan (an assignment without shortfall) is within the tolerance of the
//!    master's proven bound, which is a bound for the full model: the master
//!    with any set of cuts is a relaxation of it. Between MIP rounds, the
//!    plans one move (close, open or swap an option) from the answer and from
//!    the best plan that the master still prices below the best plan are
//!    evaluated and cut ([`Neighbours`]): the next MIP answers are mostly
//!    such plans, and an LP is cheaper than a branch and bound.
//!
//! The assignment LP holds only the pairs that can lower its cost: each
//! city's cheapest at first, then the left-out pairs priced in with the
//! duals after each solve until none has a negative reduced cost, so its
//! duals (and the cut) are those of the LP with every pair.
//!
//! The shortfall columns (`short_d` at a cost M per card) keep the LP
//! feasible where a master answer cannot serve every city; a plan is only
//! taken from an answer without shortfall, and M is raised tenfold while the
//! master keeps choosing shortfall. Cuts with a smaller M stay valid (Q grows
//! with M), so nothing is thrown away.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::time::Instant;

use good_lp::{variable, Expression, Variable};

use crate::milp::{self, DemandSize, Integrality, Links, Model, Prepared, CNY_PER_OBJECTIVE_UNIT};
use crate::plan::BendersStats;
use crate::solve::adapter::{
    self, ColProblem, Columns, Int as HighsInt, Live, LiveExt, ModelStatus as HighsModelStatus,
    Sense, SolutionStatus as HighsSolutionStatus,
};
use crate::solve::base::links::LinkSet;
use crate::solve::base::options::{SolveError, SolveOptions};
use crate::solve::base::read::Values;
use crate::solve::base::run::{
    add_theta_cuts, configure, highs_instance, limit_words, refused, solve_from_basis, warm,
};
use crate::solve::base::strategy::{Choice, Run, Solved, Strategy};

/// City-site pairs from which the loop is used when `StrategyOptions::benders` does
/// not say: below it the cut loop on link rows (`links.rs`) is faster.
pub const AUTO_PAIRS: usize = 20_000;
/// LP rounds of stage 1 at most.
const MAX_LP_ROUNDS: usize = 400;
/// Master MIP solves of stage 2 at most.
const MAX_MIP_ROUNDS: usize = 500;
/// Stage 1 stops when no cut separates the LP answer by this share of its
/// cost. With the slow core point and the watched master MIPs, the 12
/// capa/capb/capc variants take 56.9 s in all at 3e-5, 49.2 s at 3e-4,
/// 47.1 s at 6e-4 and 48.5 s at 1e-3 (stage 2 finds the rest of the bound
/// faster than more LP rounds do).
const LP_TOLERANCE: f64 = 6e-4;
/// In-out stabilisation: cuts are separated at this share of the way from
/// the core point to the master's answer, and the core point moves this
/// share of the way to each answer. A core point that moves slowly is the
/// most of it: capb-7000's stage 1 took 7.2 s in 288 LP rounds at (0.5,
/// 0.5), 11.0 s at (0.3, 0.8), 3.6 s at (0.3, 0.2) and 3.1 s in 167 rounds
/// at (0.3, 0.1). With a 1e-4 tolerance the 12 variants took 61.0 s at
/// (0.3, 0.2), 61.5 s at (0.5, 0.2) and 57.8 s at (0.3, 0.1).
const SEPARATE_AT: f64 = 0.3;
const CORE_STEP: f64 = 0.1;
/// Absolute slack, in objective units (1 CNY), below which a cut is not
/// violated and a gap is closed: HiGHS's own `mip_abs_gap` default.
const ABS_EPS: f64 = 1e-6;
/// The smallest relative gap the loop claims: below HiGHS's LP feasibility
/// tolerance (1e-7) a smaller one would be noise in the cuts.
pub const PRECISION: f64 = 1e-7;
/// Times the shortfall cost may be raised tenfold.
const MAX_PENALTY_RAISES: usize = 6;

/// Whether the loop is used: fixed city demands (link rows exist), the link
/// rows not asked for up front, non-negative service costs, and either asked
/// for or a large instance.
pub fn applies(p: &Prepared, opts: &SolveOptions) -> bool {
    // The master decides sites, not hall start months.
    let eligible = LinkSet::separates(p, opts)
        && !p.decides_hall_starts()
        && p.demand.iter().all(|d| matches!(d, DemandSize::Cards(_)))
        && p.pairs.iter().all(|x| x.cost_cny_per_card >= 0.0);
    eligible && opts.strategy.benders.unwrap_or(p.pairs.len() >= AUTO_PAIRS)
}

/// The site decisions by Benders decomposition (phases 0 and 1); the
/// base's phase 2 rounds the servers.
pub struct Benders;

impl Strategy for Benders {
    fn name(&self) -> &'static str {
        "Benders decomposition"
    }

    fn choose_sites(&self, run: &Run) -> Result<Choice, SolveError> {
        // A fifth of what is left stays for rounding the servers.
        let o = run.left_for_sites();
        let out = solve_sites(run.p, &o, 0.5 * run.tolerance)?;
        run.build_seconds
            .set(run.build_seconds.get() + out.build_seconds);
        Ok(Choice {
            bound: out.lower_bound,
            open: out.open,
            mega: out.mega,
            start: None,
            start_is_plan: false,
            gap_floor: PRECISION,
            tight_rounding: true,
            benders: Some(out.stats),
            branch: None,
        })
    }

    fn solve(
        &self,
        p: &Prepared,
        opts: &SolveOptions,
        relax: &[(crate::milp::RowKey, f64)],
    ) -> Result<Solved, SolveError> {
        crate::solve::base::phases::solve_phases(p, opts, relax, self)
    }
}

/// The site decisions the loop chose, and the bounds it proved.
pub struct Outcome {
    /// Per option: 1 where it is built.
    pub open: Vec<f64>,
    /// Per site: 1 where it holds a mega cluster (`None`: no such decision).
    pub mega: Vec<Option<f64>>,
    /// A lower bound on the full model's cost, CNY.
    pub lower_bound: f64,
    pub stats: BendersStats,
    /// Seconds spent building the master models and the assignment LP.
    pub build_seconds: f64,
}

/// One master model (LP or MIP) on a live HiGHS instance.
struct Master {
    hm: Option<Live>,
    column: HashMap<Variable, usize>,
    vars: milp::Vars,
    /// The master's objective without θ (objective units).
    objective: Expression,
    /// Column of θ.
    theta: usize,
    is_mip: bool,
    solves: usize,
    /// Seconds in HiGHS so far.
    seconds: f64,
}

/// One master answer.
struct Answer {
    cols: Vec<f64>,
    /// Objective with θ (objective units).
    objective: f64,
    /// Proven lower bound (objective units).
    bound: f64,
    /// Stopped by a limit rather than proven.
    limited: bool,
}

impl Master {
    fn new(
        p: &Prepared,
        integrality: Integrality,
        opts: &SolveOptions,
    ) -> Result<Master, SolveError> {
        let Model {
            mut problem_vars,
            column,
            n_columns,
            vars,
            objective,
            rows,
            integer,
            ..
        } = milp::build_with_within(p, integrality, Links::Projected, opts.deadline.as_ref())?;
        let theta = problem_vars.add(variable().min(0.0));
        let mut hm = highs_instance(problem_vars, objective.clone() + theta, &rows, [])?;
        // The master MIP is solved again after each cut, from the best plan:
        // the sub-MIP heuristics (RINS, RENS), feasibility jump and cut
        // separation below the root cost more than they find there. Off,
        // capb-7000's master MIPs take 13.0 s instead of 22.0 s and
        // capa-8000's 5.0 s instead of 8.4 s. A user's --highs-option
        // (applied by `configure`, after these) still wins.
        for name in [
            "mip_heuristic_run_rins",
            "mip_heuristic_run_rens",
            "mip_heuristic_run_feasibility_jump",
            "mip_allow_cut_separation_at_nodes",
        ] {
            hm.set_option(name, false);
        }
        configure(&mut hm, opts, Instant::now())?;
        Ok(Master {
            hm: Some(hm),
            column,
            vars,
            objective,
            theta: n_columns,
            is_mip: integer.iter().any(|&i| i),
            solves: 0,
            seconds: 0.0,
        })
    }

    fn col(&self, v: Variable) -> usize {
        self.column[&v]
    }

    /// Solves the master with what is left of the time, from `start` if given.
    fn solve(&mut self, seconds: f64, start: Option<&[f64]>) -> Result<Answer, SolveError> {
        let hm = self
            .hm
            .take()
            .expect("the master is put back after each solve");
        let t = Instant::now();
        let (answer, hm) = run_master(hm, self.is_mip, seconds, start, None);
        self.hm = hm;
        self.seconds += t.elapsed().as_secs_f64();
        self.solves += 1;
        answer
    }

    /// Adds `θ − Σ coef x ≥ constant`.
    fn add_cut(&mut self, cut: &Cut) -> Result<(), SolveError> {
        self.add_cuts(std::slice::from_ref(cut))
    }

    /// Adds `θ − Σ coef x ≥ constant` for each cut.
    fn add_cuts(&mut self, cuts: &[Cut]) -> Result<(), SolveError> {
        let theta = self.theta;
        let hm = self.hm.as_mut().expect("the master is live between solves");
        add_theta_cuts(
            hm,
            cuts.iter().map(|c| {
                (
                    theta,
                    c.index.iter().copied().zip(c.coef.iter().copied()),
                    c.constant,
                )
            }),
            "a cut of the Benders loop",
        )
    }

    /// The objective without θ at `cols`.
    fn cost_of(&self, cols: &[f64]) -> f64 {
        self.objective.eval_with(&Values {
            cols: cols.to_vec(),
            column: &self.column,
        })
    }
}

/// What a master MIP reports while it runs: each improving solution goes to
/// `check`, and once it returns true the branch and bound is interrupted
/// with that solution as its answer (`adapter::solve_watched`).
struct Watch<'a> {
    check: &'a mut dyn FnMut(&[f64]) -> bool,
    /// Master columns.
    n: usize,
}

/// Solves a master model (`hm`) with what is left of the time, from
/// `start` if given, watched by `watch` (MIP only). Gives the model back
/// for the next solve unless HiGHS failed.
fn run_master(
    mut hm: Live,
    is_mip: bool,
    seconds: f64,
    start: Option<&[f64]>,
    watch: Option<&mut Watch>,
) -> (Result<Answer, SolveError>, Option<Live>) {
    if seconds.is_finite() {
        hm.set_time_left(seconds.max(0.05));
    }
    if let Some(cols) = start {
        let _ = hm.try_set_solution(Some(cols), None, None, None);
    }
    let run = match watch.filter(|_| is_mip) {
        Some(w) => {
            adapter::solve_watched(hm, w.n, w.check).map(|x| (x.solved, x.stopped_at, x.panicked))
        }
        None => hm.try_solve().map(|x| (x, None, false)),
    };
    let (solved, stopped_at, panicked) = match run {
        Ok(x) => x,
        Err(e) => {
            return (
                Err(SolveError::Numerical(format!(
                    "HiGHS returned {e:?} on the master"
                ))),
                None,
            )
        }
    };
    if panicked {
        return (
            Err(SolveError::Numerical(
                "the check of a master MIP solution failed inside HiGHS's callback".into(),
            )),
            Some(Live::from(solved)),
        );
    }
    let answer = answer_of(&solved, is_mip, stopped_at);
    // The LP master is re-solved from its basis; the MIP master starts each
    // branch and bound with presolve.
    let hm = if is_mip {
        Live::from(solved)
    } else {
        warm(solved)
    };
    (answer, Some(hm))
}

/// The answer of a solved master: its columns, objective and proven bound;
/// `stopped_at` is the solution a [`Watch`] interrupted the MIP at.
fn answer_of(
    solved: &adapter::Solved,
    is_mip: bool,
    stopped_at: Option<(Vec<f64>, f64)>,
) -> Result<Answer, SolveError> {
    let bound = || {
        solved
            .double_info_value(c"mip_dual_bound")
            .unwrap_or(f64::NEG_INFINITY)
    };
    let limited = match (solved.status(), stopped_at) {
        (HighsModelStatus::Optimal, _) => false,
        // The interrupted MIP's dual bound is still a bound of the master.
        (HighsModelStatus::ReachedInterrupt, Some((cols, objective))) => {
            return Ok(Answer {
                cols,
                objective,
                bound: bound(),
                limited: false,
            })
        }
        (HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible, _) => {
            return Err(SolveError::unexplained_infeasible())
        }
        (HighsModelStatus::Unbounded, _) => return Err(SolveError::Unbounded),
        (
            s @ (HighsModelStatus::ReachedTimeLimit
            | HighsModelStatus::ReachedIterationLimit
            | HighsModelStatus::ReachedInterrupt
            | HighsModelStatus::ReachedMemoryLimit),
            _,
        ) => {
            let has_primal = solved.primal_solution_status() == HighsSolutionStatus::Feasible;
            if !has_primal || !is_mip {
                return Err(SolveError::NoSolution {
                    limit: limit_words(s).into(),
                });
            }
            true
        }
        (other, _) => {
            return Err(SolveError::Numerical(format!(
                "HiGHS ended the master with model status {other:?}"
            )))
        }
    };
    let cols = solved.get_solution().columns().to_vec();
    let objective = solved.objective_value();
    Ok(Answer {
        cols,
        objective,
        bound: if is_mip { bound() } else { objective },
        limited,
    })
}

/// θ ≥ constant + Σ coef × column (columns of the master it was made for;
/// both masters have the same columns in the same order).
#[derive(Clone)]
struct Cut {
    constant: f64,
    index: Vec<usize>,
    coef: Vec<f64>,
}

impl Cut {
    /// Coefficient per master column.
    fn by_column(&self) -> HashMap<usize, f64> {
        self.index
            .iter()
            .copied()
            .zip(self.coef.iter().copied())
            .collect()
    }

    fn at(&self, cols: &[f64]) -> f64 {
        self.constant
            + self
                .index
                .iter()
                .zip(&self.coef)
                .map(|(&j, &c)| c * cols[j])
                .sum::<f64>()
    }
}

/// The assignment LP for given site decisions, and its cut.
struct Evaluation {
    /// Q(ȳ), objective units.
    value: f64,
    /// Cards of demand left unserved.
    shortfall: f64,
    cut: Cut,
}

/// The plans a watched master MIP reported ([`Loop::watched_mip`]), each
/// with its evaluation.
type Checked = Vec<(Vec<f64>, Evaluation)>;

/// Pairs per city in the assignment LP at first (each city's cheapest).
const FIRST_PAIRS_PER_CITY: usize = 8;
/// Pairs added per city and pricing round at most.
const PRICED_PER_CITY: usize = 8;
/// Scaled reduced cost below which a left-out pair is priced in: HiGHS's
/// dual feasibility tolerance, the accuracy of the duals themselves.
const PRICE_TOLERANCE: f64 = 1e-7;

/// The assignment LP on one live HiGHS instance: columns short_d (cities)
/// then serve_k for the pairs priced in so far (`lp_pairs`); rows capacity_s
/// (sites) then demand_d. Only the pairs that can lower the cost are in the
/// LP: each city starts with its cheapest, and after each solve every
/// left-out pair at an open site is priced with the duals (reduced cost
/// cost_k − π_d − μ_s); the most negative come in and the LP is re-solved
/// until none is negative. The duals are then optimal for the LP with every
/// pair, so the cut is the one every pair would give (on capa the LP holds
/// about a tenth of the 100,000 pairs).
struct Assignment {
    hm: Option<Live>,
    n_sites: usize,
    n_cities: usize,
    /// City and site of each pair.
    pairs: Vec<(usize, usize)>,
    /// The pairs in the LP, in column order (column n_cities + i).
    lp_pairs: Vec<usize>,
    in_lp: Vec<bool>,
    demand: Vec<f64>,
    /// Objective units per card.
    cost: Vec<f64>,
    penalty: f64,
    /// HiGHS sees costs × `scale` (the dearest pair at 1): in objective
    /// units a card's cost is ~1e-6, below HiGHS's dual tolerance (1e-7
    /// would be a 10 % error in the duals, and the cuts would be that weak).
    scale: f64,
    /// Per site: its options, and the master terms of its inference capacity
    /// (variable, coefficient).
    site_options: Vec<Vec<usize>>,
    capacity_terms: Vec<Vec<(Variable, f64)>>,
    /// Seconds in HiGHS so far, LPs solved, pairs priced in.
    seconds: f64,
    solves: usize,
    priced: usize,
}

impl Assignment {
    /// The LP for `p` against the columns of `master`: a shortfall column
    /// per city, and each city's cheapest pairs (their bounds at 0 until a
    /// point is evaluated).
    fn new(p: &Prepared, master: &Master, opts: &SolveOptions) -> Result<Assignment, SolveError> {
        let n_sites = p.inst.sites.len();
        let n_cities = p.inst.demand.len();
        let demand: Vec<f64> = p
            .demand
            .iter()
            .map(|d| match *d {
                DemandSize::Cards(c) => c.max(0.0),
                DemandSize::ShareOfTotal(_) => 0.0,
            })
            .collect();
        let cost: Vec<f64> = p
            .pairs
            .iter()
            .map(|x| x.cost_cny_per_card / CNY_PER_OBJECTIVE_UNIT)
            .collect();
        let mut site_options = vec![Vec::new(); n_sites];
        for (o, opt) in p.options.iter().enumerate() {
            site_options[opt.site].push(o);
        }
        let capacity_terms: Vec<Vec<(Variable, f64)>> = (0..n_sites)
            .map(|s| milp::inference_capacity_terms(p, &master.vars, &site_options[s], s))
            .collect();
        let max_cost = cost.iter().copied().fold(0.0, f64::max);
        let penalty = shortfall_cost(p, max_cost);
        let scale = if max_cost > 0.0 { 1.0 / max_cost } else { 1.0 };
        let hm = shortfall_lp(n_sites, &demand, penalty * scale, opts)?;
        let mut sub = Assignment {
            hm: Some(hm),
            n_sites,
            n_cities,
            pairs: p.pairs.iter().map(|x| (x.demand, x.site)).collect(),
            lp_pairs: Vec::new(),
            in_lp: vec![false; p.pairs.len()],
            demand,
            cost,
            penalty,
            scale,
            site_options,
            capacity_terms,
            seconds: 0.0,
            solves: 0,
            priced: 0,
        };
        let mut first = Vec::new();
        for ks in p.pairs_by_city(|x| x.cost_cny_per_card) {
            first.extend(ks.iter().take(FIRST_PAIRS_PER_CITY).copied());
        }
        sub.add_pairs(&first, &vec![0.0; n_sites])?;
        Ok(sub)
    }

    /// Puts `pairs` into the LP, with their bounds at the openings `open_at`.
    fn add_pairs(&mut self, pairs: &[usize], open_at: &[f64]) -> Result<(), SolveError> {
        if pairs.is_empty() {
            return Ok(());
        }
        let mut costs = Vec::with_capacity(pairs.len());
        let mut upper = Vec::with_capacity(pairs.len());
        let mut starts = Vec::with_capacity(pairs.len());
        let mut index = Vec::with_capacity(2 * pairs.len());
        for &k in pairs {
            let (d, s) = self.pairs[k];
            costs.push(self.cost[k] * self.scale);
            upper.push(self.demand[d] * open_at[s]);
            starts.push(index.len() as HighsInt);
            index.push(s as HighsInt);
            index.push((self.n_sites + d) as HighsInt);
            self.in_lp[k] = true;
            self.lp_pairs.push(k);
        }
        let lower = vec![0.0; pairs.len()];
        let value = vec![1.0; index.len()];
        let hm = self.hm.as_mut().ok_or_else(lost)?;
        self.priced += pairs.len();
        hm.add_columns(&Columns {
            cost: &costs,
            lower: &lower,
            upper: &upper,
            starts: &starts,
            index: &index,
            value: &value,
        })
        .map_err(refused("the pairs added to the assignment LP"))
    }

    /// Per site, the share of it that `x` opens.
    fn open_at(&self, master: &Master, x: &[f64]) -> Vec<f64> {
        self.site_options
            .iter()
            .map(|os| {
                os.iter()
                    .map(|&o| x[master.col(master.vars.open[o])])
                    .sum::<f64>()
                    .clamp(0.0, 1.0)
            })
            .collect()
    }

    fn raise_penalty(&mut self) {
        self.penalty *= 10.0;
        let costs = vec![self.penalty * self.scale; self.n_cities];
        // Without a live LP the next evaluation reports it.
        let Some(hm) = self.hm.as_mut() else {
            return;
        };
        hm.set_col_costs_from(0, &costs);
    }

    /// Solves the LP as it stands: value (objective units), shortfall, and
    /// the duals π (cities, clamped to [0, M]) and μ (sites, ≤ 0).
    fn solve_lp(&mut self, seconds: f64) -> Result<(f64, f64, Vec<f64>, Vec<f64>), SolveError> {
        let mut hm = self.hm.take().ok_or_else(lost)?;
        if seconds.is_finite() {
            hm.set_time_left(seconds.max(0.05));
        }
        let t = Instant::now();
        let solved = solve_from_basis(hm, "the assignment LP")?;
        self.seconds += t.elapsed().as_secs_f64();
        self.solves += 1;
        let status = solved.status();
        if status != HighsModelStatus::Optimal {
            // The LP stays live (from its last basis) for the next point.
            self.hm = Some(warm(solved));
            return Err(match status {
                s @ (HighsModelStatus::ReachedTimeLimit | HighsModelStatus::ReachedInterrupt) => {
                    SolveError::NoSolution {
                        limit: limit_words(s).into(),
                    }
                }
                other => SolveError::Numerical(format!(
                    "HiGHS ended the assignment LP with model status {other:?}"
                )),
            });
        }
        let sol = solved.get_solution();
        let value = solved.objective_value() / self.scale;
        let shortfall: f64 = sol.columns()[..self.n_cities].iter().sum();
        let duals = sol.dual_rows();
        let mu: Vec<f64> = duals[..self.n_sites]
            .iter()
            .map(|&y| (y / self.scale).min(0.0))
            .collect();
        let pi: Vec<f64> = duals[self.n_sites..]
            .iter()
            .map(|&y| (y / self.scale).clamp(0.0, self.penalty))
            .collect();
        self.hm = Some(warm(solved));
        Ok((value, shortfall, pi, mu))
    }

    /// Q at the master point `x` (columns of `master`), with its cut.
    fn evaluate(
        &mut self,
        master: &Master,
        x: &[f64],
        seconds: f64,
    ) -> Result<Evaluation, SolveError> {
        let start = Instant::now();
        let open_at = self.open_at(master, x);
        self.set_point(master, x, &open_at)?;
        let (value, shortfall, pi, mu) = loop {
            let left = seconds - start.elapsed().as_secs_f64();
            let (value, shortfall, pi, mu) = self.solve_lp(left)?;
            let add = self.priced_in(&open_at, &pi, &mu);
            if add.is_empty() {
                break (value, shortfall, pi, mu);
            }
            self.add_pairs(&add, &open_at)?;
        };
        Ok(Evaluation {
            value,
            shortfall,
            cut: self.cut_of(master, &pi, &mu),
        })
    }

    /// Moves the LP's bounds to the master point `x`: each site's capacity
    /// there, and each pair's bound at its city's demand times its site's
    /// opening (`open_at`).
    fn set_point(&mut self, master: &Master, x: &[f64], open_at: &[f64]) -> Result<(), SolveError> {
        let capacity: Vec<f64> = self
            .capacity_terms
            .iter()
            .map(|t| {
                t.iter()
                    .map(|&(v, c)| c * x[master.col(v)])
                    .sum::<f64>()
                    .max(0.0)
            })
            .collect();
        let upper: Vec<f64> = self
            .lp_pairs
            .iter()
            .map(|&k| {
                let (d, s) = self.pairs[k];
                self.demand[d] * open_at[s]
            })
            .collect();
        let lower = vec![0.0; upper.len()];
        let row_lower = vec![f64::NEG_INFINITY; self.n_sites];
        let hm = self.hm.as_mut().ok_or_else(lost)?;
        hm.set_col_bounds_from(self.n_cities, &lower, &upper);
        hm.set_row_bounds_from(0, &row_lower, &capacity);
        Ok(())
    }

    /// The pairs to put into the LP after a solve with duals `pi` (cities)
    /// and `mu` (sites): none if no left-out pair has a negative reduced
    /// cost.
    fn priced_in(&self, open_at: &[f64], pi: &[f64], mu: &[f64]) -> Vec<usize> {
        // Price the pairs left out at sites this point opens, most
        // negative first, a few per city.
        let mut best: Vec<Vec<(f64, usize)>> = vec![Vec::new(); self.n_cities];
        for (k, &(d, s)) in self.pairs.iter().enumerate() {
            if self.in_lp[k] || open_at[s] <= 0.0 || self.demand[d] <= 0.0 {
                continue;
            }
            let rc = (self.cost[k] - pi[d] - mu[s]) * self.scale;
            if rc < -PRICE_TOLERANCE {
                best[d].push((rc, k));
            }
        }
        let mut add = Vec::new();
        for list in &mut best {
            list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            add.extend(list.iter().take(PRICED_PER_CITY).map(|e| e.1));
        }
        add
    }

    /// The cut of the duals `pi` (cities) and `mu` (sites), over the
    /// columns of `master`.
    fn cut_of(&self, master: &Master, pi: &[f64], mu: &[f64]) -> Cut {
        // θ ≥ Σ π_d demand_d + Σ μ_s capacity_s(y) + Σ r_k demand_d open_s(y),
        // r_k over every pair (in the LP or not).
        let mut dense: HashMap<usize, f64> = HashMap::new();
        let constant: f64 = pi.iter().zip(&self.demand).map(|(p, d)| p * d).sum();
        for (s, terms) in self.capacity_terms.iter().enumerate() {
            if mu[s] != 0.0 {
                for &(v, c) in terms {
                    *dense.entry(master.col(v)).or_default() += mu[s] * c;
                }
            }
        }
        let mut per_site = vec![0.0; self.n_sites];
        for (k, &(d, s)) in self.pairs.iter().enumerate() {
            let r = (self.cost[k] - pi[d] - mu[s]).min(0.0);
            per_site[s] += r * self.demand[d];
        }
        for (s, &w) in per_site.iter().enumerate() {
            if w != 0.0 {
                for &o in &self.site_options[s] {
                    *dense.entry(master.col(master.vars.open[o])).or_default() += w;
                }
            }
        }
        let mut entries: Vec<(usize, f64)> = dense.into_iter().filter(|e| e.1 != 0.0).collect();
        entries.sort_by_key(|e| e.0);
        Cut {
            constant,
            index: entries.iter().map(|e| e.0).collect(),
            coef: entries.iter().map(|e| e.1).collect(),
        }
    }
}

/// M, the cost of a card left unserved (objective units): ten times what
/// a card can cost at most, served from the dearest pair (`max_cost`) with
/// the dearest capacity, and one more.
fn shortfall_cost(p: &Prepared, max_cost: f64) -> f64 {
    // What a card of capacity can cost at most: the shortfall must cost
    // more than serving a city from anywhere, capacity included.
    let per_card = p
        .options
        .iter()
        .flat_map(|o| {
            o.accels.iter().map(move |&a| {
                let acc = &p.inst.accelerators[a];
                p.npc_per_server(o, a).max(0.0)
                    / (acc.cards_per_server as f64 * acc.perf_h200_eq).max(1e-9)
            })
        })
        .fold(0.0, f64::max);
    let fixed = p
        .inst
        .sites
        .iter()
        .map(|s| s.opening_cost_cny() / s.max_it_mw.max(1e-9) / 1000.0)
        .fold(0.0, f64::max);
    10.0 * (max_cost + (per_card + fixed) / CNY_PER_OBJECTIVE_UNIT) + 1.0
}

/// The assignment LP before any pair is in: `n_sites` capacity rows (≤ 0
/// until a point sets them), a demand row per city and its shortfall column
/// at `short_cost` (as HiGHS sees it, scaled), configured by `opts`.
fn shortfall_lp(
    n_sites: usize,
    demand: &[f64],
    short_cost: f64,
    opts: &SolveOptions,
) -> Result<Live, SolveError> {
    let mut pb = ColProblem::default();
    for _ in 0..n_sites {
        pb.add_row(..=0.0);
    }
    let city_rows: Vec<_> = demand.iter().map(|&d| pb.add_row(d..)).collect();
    for &r in &city_rows {
        pb.add_column(short_cost, 0.0.., [(r, 1.0)]);
    }
    let mut hm = pb
        .try_optimise(Sense::Minimise)
        .map_err(|e| SolveError::Numerical(format!("HiGHS refused the assignment LP: {e:?}")))?;
    configure(&mut hm, opts, Instant::now())?;
    // A MIP gap option does not apply; the LP is re-solved from its basis.
    Ok(hm)
}

/// One move from a centre: the columns it changes (column, new value), the
/// change in the master's cost without θ, and the options open after it.
type Move = (Vec<(usize, f64)>, f64, Vec<usize>);

/// Evaluations of neighbours per MIP round at most.
const NEIGHBOUR_EVALUATIONS: usize = 40;

/// The plans one step from the best plan: one option closed, one opened, or
/// one swapped for another. The master MIPs of stage 2 mostly return such
/// plans (on capb-6000, 7 of its 9 answers were one or two swaps from the
/// best plan), each a fresh branch and bound whose only use is to find the
/// point and cut it. Here every neighbour gets the master's estimate (its
/// cost without θ, plus the highest cut at it, both updated per move from
/// the columns it changes), and the lowest, while below the best plan, is
/// evaluated and cut: many MIP rounds' points for the price of as many LPs.
/// Only the choice of points is heuristic; every cut is valid everywhere,
/// and the bound still comes from the master MIP. Measured in turn with and
/// without (load 2.5): capb-6000 14.4 / 24.3 s, capc-5750 15.7 / 22.0 s,
/// capb-7000 15.1 / 18.2 s, capa-8000 9.2 / 8.6 s, capa-10000 11.7 /
/// 8.1 s: 66.1 against 81.1 s in all.
struct Neighbours {
    /// Per option: the columns it sets when opened (open at 1, servers at
    /// their most) and when closed (all at 0).
    on: Vec<Vec<(usize, f64)>>,
    site: Vec<usize>,
    /// Objective coefficient of each column (the master's objective is linear).
    cost: HashMap<usize, f64>,
    /// Plans already evaluated (their open options).
    done: std::collections::HashSet<Vec<usize>>,
}

impl Neighbours {
    fn new(p: &Prepared, master: &Master) -> Neighbours {
        let on: Vec<Vec<(usize, f64)>> = p
            .options
            .iter()
            .enumerate()
            .map(|(o, opt)| {
                let mut cols = vec![(master.col(master.vars.open[o]), 1.0)];
                for (i, &a) in opt.accels.iter().enumerate() {
                    cols.push((master.col(master.vars.servers[o][i]), p.max_servers(opt, a)));
                }
                cols
            })
            .collect();
        let zero = vec![0.0; master.theta + 1];
        let base = master.cost_of(&zero);
        let mut cost = HashMap::new();
        for cols in &on {
            for &(j, _) in cols {
                let mut unit = zero.clone();
                unit[j] = 1.0;
                cost.insert(j, master.cost_of(&unit) - base);
            }
        }
        Neighbours {
            on,
            site: p.options.iter().map(|o| o.site).collect(),
            cost,
            done: Default::default(),
        }
    }

    /// The column changes of a move from `x`: `(column, new value)`.
    fn changes(&self, x: &[f64], close: Option<usize>, open: Option<usize>) -> Vec<(usize, f64)> {
        let mut ch = Vec::new();
        if let Some(o) = close {
            ch.extend(self.on[o].iter().map(|&(j, _)| (j, 0.0)));
        }
        if let Some(o) = open {
            ch.extend(self.on[o].iter().copied());
        }
        ch.retain(|&(j, v)| x[j] != v);
        ch
    }

    /// The options `x` opens.
    fn opened(&self, x: &[f64]) -> Vec<usize> {
        (0..self.on.len())
            .filter(|&o| x[self.on[o][0].0] > 0.5)
            .collect()
    }

    /// Marks `x` as evaluated (a master answer cut elsewhere).
    fn mark(&mut self, x: &[f64]) {
        let key = self.opened(x);
        self.done.insert(key);
    }

    /// Evaluates and cuts the neighbours of `centre` (a master point) that
    /// the master prices below the best plan by more than `tol`, lowest
    /// first, until none is or the budget is spent; a neighbour that is a
    /// better plan becomes the best. Returns the cuts added and the
    /// neighbours evaluated.
    #[allow(clippy::too_many_arguments)]
    fn cut(
        &mut self,
        mip: &mut Master,
        sub: &mut Assignment,
        pool: &mut Vec<Cut>,
        centre: &[f64],
        best: &mut (Vec<f64>, f64),
        tol: f64,
        seconds: f64,
    ) -> Result<(usize, usize), SolveError> {
        let start = Instant::now();
        let x = centre;
        let base = mip.cost_of(x);
        let moves = self.moves(x);
        // The highest cut at each move, from each cut's value at the centre
        // plus its coefficients on the columns the move changes; updated
        // with each new cut.
        let mut theta: Vec<f64> = vec![0.0; moves.len()];
        for c in pool.iter() {
            raise(&mut theta, &moves, x, c);
        }
        let (mut cuts, mut evaluated) = (0, 0);
        let mut tried = vec![false; moves.len()];
        while evaluated < NEIGHBOUR_EVALUATIONS {
            let Some(m) = lowest(&moves, &theta, &tried, base, best.1, tol) else {
                break;
            };
            tried[m] = true;
            self.done.insert(moves[m].2.clone());
            let mut y = x.to_vec();
            for &(j, v) in &moves[m].0 {
                y[j] = v;
            }
            let left = seconds - start.elapsed().as_secs_f64();
            if left <= 0.0 {
                break;
            }
            let ev = sub.evaluate(mip, &y, left)?;
            evaluated += 1;
            if ev.shortfall <= 1e-6 {
                let cost = mip.cost_of(&y) + ev.value;
                if cost < best.1 {
                    y[mip.theta] = ev.value;
                    *best = (y, cost);
                }
            }
            // The estimate was below the best plan, so the cut at the
            // neighbour is above it there: it always cuts something off.
            raise(&mut theta, &moves, x, &ev.cut);
            mip.add_cut(&ev.cut)?;
            pool.push(ev.cut);
            cuts += 1;
        }
        Ok((cuts, evaluated))
    }

    /// The moves from `x` to a plan not yet evaluated: each open option
    /// closed, or swapped for an option at a site without one, and each
    /// such option opened.
    fn moves(&self, x: &[f64]) -> Vec<Move> {
        let open = self.opened(x);
        let mut site_open = HashMap::new();
        for &o in &open {
            site_open.insert(self.site[o], o);
        }
        let closed: Vec<usize> = (0..self.on.len())
            .filter(|&o| !site_open.contains_key(&self.site[o]))
            .collect();
        let mut moves: Vec<(Option<usize>, Option<usize>)> = Vec::new();
        for &o in &open {
            moves.push((Some(o), None));
            for &q in &closed {
                moves.push((Some(o), Some(q)));
            }
        }
        for &q in &closed {
            moves.push((None, Some(q)));
        }
        // Per move: its column changes, its cost change and its key.
        moves
            .into_iter()
            .map(|(c, o)| {
                let ch = self.changes(x, c, o);
                let dc = ch.iter().map(|&(j, v)| self.cost[&j] * (v - x[j])).sum();
                let mut key: Vec<usize> = open.iter().copied().filter(|&k| Some(k) != c).collect();
                key.extend(o);
                key.sort_unstable();
                (ch, dc, key)
            })
            .filter(|m| !self.done.contains(&m.2))
            .collect()
    }
}

/// Raises each move's θ estimate (`theta`, per move of `moves` from `x`) to
/// the cut `c` at the move's plan where that is higher.
fn raise(theta: &mut [f64], moves: &[Move], x: &[f64], c: &Cut) {
    let cf = c.by_column();
    let v = c.at(x);
    for (t, (ch, _, _)) in theta.iter_mut().zip(moves) {
        let at = v + ch
            .iter()
            .map(|&(j, nv)| cf.get(&j).copied().unwrap_or(0.0) * (nv - x[j]))
            .sum::<f64>();
        *t = t.max(at);
    }
}

/// The move not yet tried with the lowest estimate (the master's cost at
/// `x`, `base`, plus the move's change and its θ), if that is below the best
/// plan's cost `best` by more than `tol` (the first of equals).
fn lowest(
    moves: &[Move],
    theta: &[f64],
    tried: &[bool],
    base: f64,
    best: f64,
    tol: f64,
) -> Option<usize> {
    let mut found: Option<(f64, usize)> = None;
    for (m, (_, dc, _)) in moves.iter().enumerate() {
        let estimate = base + dc + theta[m];
        if !tried[m] && estimate < best - tol && found.is_none_or(|f| estimate < f.0) {
            found = Some((estimate, m));
        }
    }
    found.map(|f| f.1)
}

/// Solves the site decisions of `p` by the loop, within `opts`' time limit,
/// to `tolerance` (relative gap of the plan with continuous servers).
pub fn solve_sites(
    p: &Prepared,
    opts: &SolveOptions,
    tolerance: f64,
) -> Result<Outcome, SolveError> {
    let mut benders = Loop::new(p, opts, tolerance)?;
    benders.lp_rounds()?;
    benders.mip_rounds()?;
    benders.outcome()
}

/// The loop in progress: both masters, the assignment LP, the cuts found so
/// far, the core point of the in-out stabilisation and the best plan.
struct Loop<'a> {
    p: &'a Prepared,
    opts: &'a SolveOptions,
    /// The relative gap of the plan asked for.
    tolerance: f64,
    start: Instant,
    /// The end of `opts`' time limit, if it has one.
    deadline: Option<Instant>,
    lp: Master,
    mip: Master,
    sub: Assignment,
    /// The relative gap the next master MIP is solved to.
    mip_opts_gap: f64,
    build_seconds: f64,
    stats: BendersStats,
    /// The core point (master columns), which follows the answers slowly.
    core: Vec<f64>,
    /// The highest bound a master proved (objective units).
    lower: f64,
    /// Every cut so far: stage 1's go to the MIP master, and all of them
    /// price the neighbours ([`Neighbours::cut`]).
    pool: Vec<Cut>,
    /// The best plan so far: master columns (θ at its assignment's value,
    /// [`offer`]) and its cost (objective units).
    best: Option<(Vec<f64>, f64)>,
    /// Times the shortfall cost was raised.
    raises: usize,
}

impl<'a> Loop<'a> {
    /// Builds both masters and the assignment LP (the time it takes is
    /// `build_seconds`), and stage 1's first core point.
    fn new(p: &'a Prepared, opts: &'a SolveOptions, tolerance: f64) -> Result<Self, SolveError> {
        let start = Instant::now();
        let deadline = opts
            .time_limit_s
            .map(|t| crate::domain::instant_after(start, t));
        let lp = Master::new(p, Integrality::Lp, opts)?;
        let mip = Master::new(p, Integrality::ContinuousServers, opts)?;
        let mip_opts_gap = (0.25 * tolerance.max(PRECISION)).max(1e-12);
        let sub = Assignment::new(p, &lp, opts)?;
        let build_seconds = start.elapsed().as_secs_f64();
        let core = first_core(p, &lp, &sub);
        Ok(Loop {
            p,
            opts,
            tolerance,
            start,
            deadline,
            lp,
            mip,
            sub,
            mip_opts_gap,
            build_seconds,
            stats: BendersStats::default(),
            core,
            lower: f64::NEG_INFINITY,
            pool: Vec::new(),
            best: None,
            raises: 0,
        })
    }

    /// Seconds left of the time limit (+∞ without one).
    fn left(&self) -> f64 {
        seconds_left(self.deadline)
    }

    /// The point `SEPARATE_AT` of the way from the core point to `x`.
    fn between(&self, x: &[f64]) -> Vec<f64> {
        x.iter()
            .zip(&self.core)
            .map(|(x, c)| SEPARATE_AT * x + (1.0 - SEPARATE_AT) * c)
            .collect()
    }

    /// Moves the core point `CORE_STEP` of the way to `x`.
    fn follow(&mut self, x: &[f64]) {
        for (c, v) in self.core.iter_mut().zip(x) {
            *c = (1.0 - CORE_STEP) * *c + CORE_STEP * v;
        }
    }

    /// Adds `cut` to the master MIP and to the pool.
    fn keep_cut(&mut self, cut: Cut) -> Result<(), SolveError> {
        self.mip.add_cut(&cut)?;
        self.pool.push(cut);
        self.stats.cuts += 1;
        Ok(())
    }

    /// Stage 1: the LP bound, with in-out stabilisation (the core point
    /// moves CORE_STEP of the way to each LP answer), until no cut
    /// separates the answer or a limit; then every cut goes to the MIP
    /// master.
    fn lp_rounds(&mut self) -> Result<(), SolveError> {
        loop {
            if self.stats.lp_rounds >= MAX_LP_ROUNDS || self.left() <= 0.0 {
                break;
            }
            if self.lp_round()?.is_break() {
                break;
            }
        }
        // Every cut goes to the MIP master (dropping the ones stage 1's last
        // answer leaves slack was measured slower on capa: 209 s against 105 s).
        self.mip.add_cuts(&self.pool)
    }

    /// One round of stage 1: the master LP, and the cut of its answer
    /// ([`Loop::lp_cut`]). Breaks when there is none or the LP stops at a
    /// limit.
    fn lp_round(&mut self) -> Result<ControlFlow<()>, SolveError> {
        let a = match self.lp.solve(self.left(), None) {
            Ok(a) => a,
            Err(SolveError::NoSolution { .. }) => return Ok(ControlFlow::Break(())),
            Err(e) => return Err(e),
        };
        self.stats.lp_rounds += 1;
        self.lower = self.lower.max(a.bound);
        trace(self.opts.log, || {
            format!(
                "LP {} bound {:.6} at {:.2} s",
                self.stats.lp_rounds,
                a.bound,
                self.start.elapsed().as_secs_f64()
            )
        });
        let Some(cut) = self.lp_cut(&a)? else {
            return Ok(ControlFlow::Break(()));
        };
        self.lp.add_cut(&cut)?;
        self.stats.cuts += 1;
        self.pool.push(cut);
        self.follow(&a.cols);
        Ok(ControlFlow::Continue(()))
    }

    /// The cut of stage 1's answer `a`: the one separated between the core
    /// point and the answer if it cuts the answer off, else the answer's
    /// own; `None` when neither does by `LP_TOLERANCE` of its cost, or the
    /// assignment LP stops at a limit.
    fn lp_cut(&mut self, a: &Answer) -> Result<Option<Cut>, SolveError> {
        let theta = a.cols[self.lp.theta];
        let eps = LP_TOLERANCE * a.objective.abs().max(1.0);
        let between = self.between(&a.cols);
        let ev = match self.sub.evaluate(&self.lp, &between, self.left()) {
            Ok(ev) => ev,
            Err(SolveError::NoSolution { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if ev.cut.at(&a.cols) - theta > eps {
            return Ok(Some(ev.cut));
        }
        // The core side separates nothing: separate the answer itself.
        let ev = match self.sub.evaluate(&self.lp, &a.cols, self.left()) {
            Ok(ev) => ev,
            Err(SolveError::NoSolution { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if ev.cut.at(&a.cols) - theta <= eps {
            return Ok(None); // the LP optimum of the full model, within LP_TOLERANCE
        }
        Ok(Some(ev.cut))
    }

    /// Stage 2: the master MIP until its answer needs no cut and the best
    /// plan is within the tolerance of the bound, or a limit.
    fn mip_rounds(&mut self) -> Result<(), SolveError> {
        let mut neighbours = Neighbours::new(self.p, &self.mip);
        loop {
            if self.stats.mip_rounds >= MAX_MIP_ROUNDS || self.left() <= 0.0 {
                break;
            }
            if self.mip_round(&mut neighbours)?.is_break() {
                break;
            }
        }
        Ok(())
    }

    /// One round of stage 2: a watched master MIP ([`Loop::watched_mip`]),
    /// the plans seen on the way, the neighbours of its answer and of the
    /// best plan; then the answer's cut, a higher shortfall cost or a
    /// tighter MIP gap. Breaks when the gap is closed or nothing is left to
    /// do.
    fn mip_round(&mut self, neighbours: &mut Neighbours) -> Result<ControlFlow<()>, SolveError> {
        let (a, checked) = self.watched_mip();
        let answer_x = a.as_ref().ok().map(|a| round_sites(&self.mip, &a.cols));
        let answer_ev = self.take_checked(checked, answer_x.as_ref())?;
        let a = match a {
            Ok(a) => a,
            Err(SolveError::NoSolution { .. }) if self.best.is_some() => {
                return Ok(ControlFlow::Break(()))
            }
            Err(e) => return Err(e),
        };
        self.stats.mip_rounds += 1;
        self.lower = self.lower.max(a.bound);
        let x = round_sites(&self.mip, &a.cols);
        let Some(ev) = self.answer_evaluation(&a, &x, answer_ev)? else {
            return Ok(ControlFlow::Break(()));
        };
        let violation = ev.cut.at(&x) - a.cols[self.mip.theta];
        // The plans one move from this answer, and from the best plan.
        neighbours.mark(&x);
        let added_own = self.cut_neighbours(neighbours, &a, &x, &ev, violation)?;
        if self.gap_closed() {
            return Ok(ControlFlow::Break(()));
        }
        if violation > cut_slack(a.objective) {
            self.cut_answer(&a, &x, ev, added_own)?;
            return Ok(ControlFlow::Continue(()));
        }
        if ev.shortfall > 1e-6 {
            self.raise_penalty(&x)?;
            return Ok(ControlFlow::Continue(()));
        }
        if a.limited {
            return Ok(ControlFlow::Break(()));
        }
        // The answer needs no cut but the bound is not yet close: prove more.
        if self.mip_opts_gap <= 1e-12 {
            return Ok(ControlFlow::Break(()));
        }
        self.mip_opts_gap = (0.1 * self.mip_opts_gap).max(1e-12);
        Ok(ControlFlow::Continue(()))
    }

    /// The master MIP, solved from the best plan and watched: its answer,
    /// and the plans it reported on the way with their evaluations.
    fn watched_mip(&mut self) -> (Result<Answer, SolveError>, Checked) {
        let start_cols = self.best.as_ref().map(|b| b.0.clone());
        // Every master MIP is solved to a quarter of the tolerance: a
        // looser gap for early answers saved little per round (175-373
        // nodes either way on capb-7000) and cost a round at the end to
        // prove the last answer (capb-6000: 5 rounds, 14.3 s; at the final
        // gap from the first: 3 rounds, 11.3 s).
        if let Some(hm) = self.mip.hm.as_mut() {
            hm.set_option("mip_rel_gap", self.mip_opts_gap);
        }
        // Each improving solution HiGHS finds is evaluated as it is found:
        // one the cuts price too low would be cut after the branch and
        // bound anyway, so the branch and bound stops there (a tree that
        // only proves the answer the next cut removes is wasted).
        let mut checked: Checked = Vec::new();
        let hm = self
            .mip
            .hm
            .take()
            .expect("the master is put back after each solve");
        let t = Instant::now();
        let deadline = self.deadline;
        let master = &self.mip;
        let sub_ref = &mut self.sub;
        let without_theta = |cols: &[f64]| {
            let mut x = round_sites(master, cols);
            x[master.theta] = 0.0;
            x
        };
        let best_open = self.best.as_ref().map(|b| without_theta(&b.0));
        let left_now = seconds_left(deadline);
        // After a failed evaluation (a limit, or HiGHS), the rest of the
        // round runs unwatched; the answer is evaluated after it, where
        // a failure is reported.
        let mut failed = false;
        let mut check = |cols: &[f64]| -> bool {
            if failed {
                return false;
            }
            let mut x = without_theta(cols);
            if best_open.as_ref() == Some(&x) {
                return false;
            }
            x[master.theta] = cols[master.theta];
            let Ok(ev) = sub_ref.evaluate(master, &x, seconds_left(deadline)) else {
                failed = true;
                return false;
            };
            let violated = priced_too_low(&ev, &x, master);
            checked.push((x, ev));
            violated
        };
        let mut watch = Watch {
            check: &mut check,
            n: master.theta + 1,
        };
        let (answer, hm) = run_master(hm, true, left_now, start_cols.as_deref(), Some(&mut watch));
        self.mip.hm = hm;
        self.mip.seconds += t.elapsed().as_secs_f64();
        self.mip.solves += 1;
        (answer, checked)
    }

    /// Every plan seen on the way (`checked`): the best so far if it is
    /// cheaper, and its cut if the master priced it too low. The evaluation
    /// of the answer itself (at `answer_x`) is returned instead of cut.
    fn take_checked(
        &mut self,
        checked: Checked,
        answer_x: Option<&Vec<f64>>,
    ) -> Result<Option<Evaluation>, SolveError> {
        let mut answer_ev = None;
        for (x, ev) in checked {
            offer(&mut self.best, &self.mip, &x, &ev);
            if answer_x == Some(&x) {
                answer_ev = Some(ev);
            } else if priced_too_low(&ev, &x, &self.mip) {
                self.keep_cut(ev.cut)?;
            }
        }
        Ok(answer_ev)
    }

    /// The evaluation of the MIP answer `a` (rounded: `x`), from the watch
    /// (`checked`) or made now, offered as the best plan; `None` when a
    /// limit stops it and a best plan exists.
    fn answer_evaluation(
        &mut self,
        a: &Answer,
        x: &[f64],
        checked: Option<Evaluation>,
    ) -> Result<Option<Evaluation>, SolveError> {
        trace(self.opts.log, || {
            format!(
                "MIP {} objective {:.6} bound {:.6} stopped by a limit {} at {:.2} s",
                self.stats.mip_rounds,
                a.objective,
                a.bound,
                a.limited,
                self.start.elapsed().as_secs_f64()
            )
        });
        let ev = match checked {
            Some(ev) => ev,
            None => match self.sub.evaluate(&self.mip, x, self.left()) {
                Ok(ev) => ev,
                Err(SolveError::NoSolution { .. }) if self.best.is_some() => return Ok(None),
                Err(e) => return Err(e),
            },
        };
        offer(&mut self.best, &self.mip, x, &ev);
        trace(self.opts.log, || {
            format!(
                "  assignment {:.6} (cut {:.6}) θ {:.6} shortfall {:.3} best {:?}",
                ev.value,
                ev.cut.at(x),
                a.cols[self.mip.theta],
                ev.shortfall,
                self.best.as_ref().map(|b| b.1)
            )
        });
        Ok(Some(ev))
    }

    /// Cuts the neighbours of the answer `x` and of the best plan
    /// ([`Neighbours::cut`]), after the answer's own cut when it is violated
    /// (by `violation`). Returns whether that cut was added.
    fn cut_neighbours(
        &mut self,
        neighbours: &mut Neighbours,
        a: &Answer,
        x: &[f64],
        ev: &Evaluation,
        violation: f64,
    ) -> Result<bool, SolveError> {
        let mut added_own = false;
        let Some(b) = self.best.as_mut() else {
            return Ok(added_own);
        };
        let tol = (self.tolerance.max(PRECISION) * b.1.abs()).max(ABS_EPS);
        let mut centres = vec![x.to_vec()];
        if violation > cut_slack(a.objective) {
            // This answer's own cut first, so its neighbours are
            // priced with it.
            self.mip.add_cut(&ev.cut)?;
            self.pool.push(ev.cut.clone());
            self.stats.cuts += 1;
            added_own = true;
        }
        if b.0 != x {
            centres.push(b.0.clone());
        }
        for c in centres {
            let left = seconds_left(self.deadline);
            let (n, evaluated) = neighbours.cut(
                &mut self.mip,
                &mut self.sub,
                &mut self.pool,
                &c,
                b,
                tol,
                left,
            )?;
            self.stats.cuts += n;
            self.stats.neighbours_evaluated += evaluated;
            trace(self.opts.log, || {
                format!("  {n} cuts from {evaluated} neighbours; best {:.6}", b.1)
            });
        }
        Ok(added_own)
    }

    /// Whether the best plan is within the tolerance of the bound.
    fn gap_closed(&self) -> bool {
        if let Some(b) = &self.best {
            if b.1 - self.lower <= (self.tolerance.max(PRECISION) * b.1.abs()).max(ABS_EPS) {
                return true;
            }
        }
        false
    }

    /// The master priced the answer `a` (rounded: `x`) too low: its cut
    /// `ev.cut` unless `added_own` says it is in already, and a second one;
    /// the core point follows the answer.
    fn cut_answer(
        &mut self,
        a: &Answer,
        x: &[f64],
        ev: Evaluation,
        added_own: bool,
    ) -> Result<(), SolveError> {
        if !added_own {
            self.keep_cut(ev.cut)?;
        }
        // A second cut, separated between the answer and the core point
        // (which follows the answers): for one more LP, a cut deeper
        // where the next answers lie. On capa-8000 it halves the MIP
        // rounds (29 → 16) and the time (78.6 → 19.2 s).
        let theta = a.cols[self.mip.theta];
        let between = self.between(x);
        if let Ok(ev2) = self.sub.evaluate(&self.mip, &between, self.left()) {
            if ev2.cut.at(x) - theta > cut_slack(a.objective) {
                self.keep_cut(ev2.cut)?;
            }
        }
        self.follow(x);
        Ok(())
    }

    /// The master prefers leaving demand unserved at this cost: it is
    /// raised tenfold (at most `MAX_PENALTY_RAISES` times, then the model
    /// is infeasible) and the answer `x` cut again.
    fn raise_penalty(&mut self, x: &[f64]) -> Result<(), SolveError> {
        if self.raises >= MAX_PENALTY_RAISES {
            return Err(SolveError::unexplained_infeasible());
        }
        self.raises += 1;
        self.sub.raise_penalty();
        let ev = self.sub.evaluate(&self.mip, x, self.left())?;
        self.keep_cut(ev.cut)
    }

    /// The best plan's site decisions and the bound; the loop's figures go
    /// to the log.
    fn outcome(self) -> Result<Outcome, SolveError> {
        let Some((x, cost)) = self.best else {
            return Err(SolveError::NoSolution {
                limit: "time limit (the Benders loop found no plan)".into(),
            });
        };
        let mip = &self.mip;
        trace(self.opts.log, || {
            let open: Vec<usize> = (0..mip.vars.open.len())
                .filter(|&o| x[mip.col(mip.vars.open[o])] > 0.5)
                .collect();
            format!(
                "{} cuts; best {cost:.6} opens options {open:?}",
                self.stats.cuts
            )
        });
        trace(self.opts.log, || {
            format!(
                "{:.2} s in {} master LPs, {:.2} s in {} master MIPs, {:.2} s in {} assignment LPs \
                 ({} of {} pairs priced in), {:.2} s in all",
                self.lp.seconds,
                self.lp.solves,
                mip.seconds,
                mip.solves,
                self.sub.seconds,
                self.sub.solves,
                self.sub.priced,
                self.sub.pairs.len(),
                self.start.elapsed().as_secs_f64()
            )
        });
        let scale = CNY_PER_OBJECTIVE_UNIT;
        Ok(Outcome {
            open: mip.vars.open.iter().map(|v| x[mip.col(*v)]).collect(),
            mega: mip
                .vars
                .mega
                .iter()
                .map(|v| v.map(|v| x[mip.col(v)]))
                .collect(),
            lower_bound: self.lower.min(cost) * scale,
            stats: self.stats,
            build_seconds: self.build_seconds,
        })
    }
}

/// Stage 1's first core point: every site open (shared among its options)
/// and its servers at their most.
fn first_core(p: &Prepared, lp: &Master, sub: &Assignment) -> Vec<f64> {
    let n = lp.theta + 1;
    let mut core = vec![0.0; n];
    for os in &sub.site_options {
        let share = 1.0 / os.len().max(1) as f64;
        for &o in os {
            core[lp.col(lp.vars.open[o])] = share;
            for (i, &a) in p.options[o].accels.iter().enumerate() {
                core[lp.col(lp.vars.servers[o][i])] = share * p.max_servers(&p.options[o], a);
            }
        }
    }
    core
}

/// Seconds until `deadline` (+∞ without one).
fn seconds_left(deadline: Option<Instant>) -> f64 {
    deadline
        .map(|d| d.saturating_duration_since(Instant::now()).as_secs_f64())
        .unwrap_or(f64::INFINITY)
}

/// How far a cut must be above θ at a master answer of cost `objective` to
/// count as violated: `ABS_EPS`, or 1e-9 of the cost.
fn cut_slack(objective: f64) -> f64 {
    ABS_EPS.max(1e-9 * objective.abs())
}

/// Makes the plan at master point `x` the best one if it serves every city
/// and costs less; the best plan keeps θ at its assignment's value (it is the
/// start of the next master MIP).
fn offer(best: &mut Option<(Vec<f64>, f64)>, master: &Master, x: &[f64], ev: &Evaluation) {
    if ev.shortfall > 1e-6 {
        return;
    }
    let cost = master.cost_of(x) + ev.value;
    if best.as_ref().is_none_or(|b| cost < b.1) {
        let mut start = x.to_vec();
        start[master.theta] = ev.value;
        *best = Some((start, cost));
    }
}

/// Whether the cut of `ev` removes master point `x`: the master priced that
/// plan's assignment too low (by more than 1e-9 of its objective there).
fn priced_too_low(ev: &Evaluation, x: &[f64], master: &Master) -> bool {
    let theta = x[master.theta];
    let objective = master.cost_of(x) + theta;
    ev.cut.at(x) - theta > ABS_EPS.max(1e-9 * objective.abs())
}

/// The error when the assignment LP is gone: HiGHS failed on it earlier
/// (the failure itself was reported or, inside a callback, skipped).
fn lost() -> SolveError {
    SolveError::Numerical("the assignment LP was lost after HiGHS failed on it".into())
}

/// `cols` with the site decisions (opens, mega clusters) rounded to 0 or 1.
fn round_sites(master: &Master, cols: &[f64]) -> Vec<f64> {
    let mut x = cols.to_vec();
    for v in master
        .vars
        .open
        .iter()
        .chain(master.vars.mega.iter().flatten())
    {
        let j = master.col(*v);
        x[j] = x[j].round();
    }
    x
}

/// One line of the loop's progress on stderr, with `--solver-log`.
fn trace(log: bool, f: impl FnOnce() -> String) {
    if log {
        eprintln!("benders: {}", f());
    }
}
