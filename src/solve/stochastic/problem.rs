//! The two-stage problem's terms, shared by both ways of solving it: an
//! outcome, the risk term, the here-and-now decisions, the answer, and the
//! cost distribution's expected value, VaR and CVaR.

use crate::milp::Prepared;
use crate::plan::{Plan, Status};
use crate::solve::base::options::SolveOptions;

/// One outcome of the extensive form.
#[derive(Clone, Copy)]
pub struct Outcome<'a> {
    pub p: &'a Prepared,
    pub probability: f64,
}

/// The CVaR term: its level and weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Risk {
    pub alpha: f64,
    pub lambda: f64,
}

/// The here-and-now decisions: (site, cooling) of every built site, the
/// sites of the mega clusters and, where the scenario prices contracted
/// power, the facility MW contracted at each built site (indices of the
/// first outcome's instance). A first stage without contracts leaves them to
/// the outcomes' model (shared there); one with contracts fixes them, 0 MW at
/// a site it does not list. Where hall start months are decisions
/// (`hall_start_step_months`), the month each built site's new hall starts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FirstStage {
    pub built: Vec<(usize, usize)>,
    pub mega: Vec<usize>,
    /// (site, contracted facility MW), by site.
    pub contract_mw: Vec<(usize, f64)>,
    /// (site, start month of its new hall), by site, where decided.
    pub hall_start: Vec<(usize, f64)>,
}

/// What is known before a two-stage solve, for the L-shaped loop to start
/// from (the extensive form does not use it).
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Candidate first stages (e.g. the expected-value plan's), evaluated
    /// in every outcome first: one that serves every outcome is a plan from
    /// the start, and their cuts bound the master.
    pub seeds: Vec<FirstStage>,
    /// Per outcome (empty: none), a lower bound on its cost whatever is
    /// decided now, CNY: e.g. its own optimum's `Plan::sites_bound_cny`.
    /// The master's θ starts from it instead of the outcome's LP.
    pub floors_cny: Vec<f64>,
}

impl Known {
    /// The same, with `fs` as one more seed (a re-solve of a plan whose
    /// first stage is `fs`: the risk-neutral plan, a site left out).
    pub fn and_seed(&self, fs: &FirstStage) -> Known {
        let mut k = self.clone();
        k.seeds.push(fs.clone());
        k
    }
}

impl FirstStage {
    /// The MW contracted at site `s`, when contracts are decided.
    pub fn contract_at(&self, s: usize) -> Option<f64> {
        self.contract_mw
            .iter()
            .find(|(x, _)| *x == s)
            .map(|(_, mw)| *mw)
    }

    /// The month the new hall at site `s` starts, where it is decided.
    pub fn hall_start_at(&self, s: usize) -> Option<f64> {
        self.hall_start
            .iter()
            .find(|(x, _)| *x == s)
            .map(|(_, m)| *m)
    }

    /// The site decisions of `plan`.
    pub fn of(plan: &Plan) -> FirstStage {
        FirstStage {
            built: plan
                .sites
                .iter()
                .filter_map(|s| Some((s.site, s.cooling?)))
                .collect(),
            mega: plan
                .sites
                .iter()
                .filter(|s| s.mega_cluster)
                .map(|s| s.site)
                .collect(),
            contract_mw: plan
                .sites
                .iter()
                .filter(|s| s.built)
                .filter_map(|s| Some((s.site, s.contract_mw?)))
                .collect(),
            hall_start: plan
                .sites
                .iter()
                .filter(|s| s.built && s.hall_start_decided)
                .filter_map(|s| Some((s.site, s.hall_start_month?)))
                .collect(),
        }
    }
}

/// A two-stage plan: every outcome's checked plan and what it costs.
pub struct TwoStage {
    /// Per outcome, in the order given.
    pub plans: Vec<Plan>,
    /// Net present cost of each outcome's plan, CNY.
    pub costs_cny: Vec<f64>,
    /// The objective: expected cost + λ · CVaR, CNY.
    pub objective_cny: f64,
    /// A proven lower bound on the objective, CNY.
    pub bound_cny: f64,
    pub mip_gap: f64,
    pub status: Status,
    pub first_stage: FirstStage,
    pub seconds: f64,
    /// Columns and rows of the extensive form (whole servers).
    pub model_size: (usize, usize),
    /// The L-shaped loop's figures, when it found the sites.
    pub decomposition: Option<LShapedStats>,
}

/// Σ p_k · cost_k.
pub fn expected(costs: &[f64], probabilities: &[f64]) -> f64 {
    costs.iter().zip(probabilities).map(|(c, p)| c * p).sum()
}

/// The objective of a cost distribution: Σ p_k · cost_k + λ · CVaR_α.
pub fn risk_objective(costs: &[f64], probabilities: &[f64], risk: Risk) -> f64 {
    let mut o = expected(costs, probabilities);
    if risk.lambda > 0.0 {
        o += risk.lambda * value_at_risk(costs, probabilities, risk.alpha).1;
    }
    o
}

/// The value at risk and the conditional value at risk at level `alpha` of
/// a discrete cost distribution: VaR the least cost whose cumulative
/// probability reaches `alpha`, CVaR the mean of the costliest 1 − alpha of
/// the probability mass (Rockafellar and Uryasev), the atom at the VaR
/// split as needed. Returns (VaR, CVaR).
pub fn value_at_risk(costs: &[f64], probabilities: &[f64], alpha: f64) -> (f64, f64) {
    let mut idx: Vec<usize> = (0..costs.len()).collect();
    idx.sort_by(|&a, &b| costs[a].total_cmp(&costs[b]));
    let mut cum = 0.0;
    let mut var = costs.get(*idx.last().unwrap_or(&0)).copied().unwrap_or(0.0);
    for &i in &idx {
        cum += probabilities[i];
        if cum >= alpha - 1e-12 {
            var = costs[i];
            break;
        }
    }
    let tail: f64 = costs
        .iter()
        .zip(probabilities)
        .map(|(c, p)| p * (c - var).max(0.0))
        .sum();
    (var, var + tail / (1.0 - alpha))
}

/// What the L-shaped loop did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LShapedStats {
    /// Rounds of the master's LP relaxation.
    pub lp_rounds: usize,
    /// Master MIP solves.
    pub mip_rounds: usize,
    /// Optimality cuts added to the master.
    pub cuts: usize,
    /// Outcome LPs solved.
    pub outcome_solves: usize,
    /// Seconds in the master, and summed over the outcomes' LPs (on every thread).
    pub master_seconds: f64,
    pub outcome_seconds: f64,
    /// Seconds building the outcomes' LPs (on every thread, wall).
    pub build_seconds: f64,
    /// Seconds of the second stage: every outcome's whole-server plan (wall).
    pub second_stage_seconds: f64,
    /// Tenfold raises of the elastic cost.
    pub penalty_raises: usize,
    /// Threads that solved the outcomes' LPs.
    pub threads: usize,
    /// Shared site decisions (master binaries).
    pub decisions: usize,
}

/// Whether every outcome has the first outcome's sites and cooling options
/// (what the shared site decisions need); the name of an outcome that
/// does not, and why.
pub fn same_options(outcomes: &[Outcome]) -> Result<(), (usize, String)> {
    let Some(first) = outcomes.first() else {
        return Ok(());
    };
    let key = |p: &Prepared| {
        let mut k: Vec<(usize, usize)> = p.options.iter().map(|o| (o.site, o.cooling)).collect();
        k.sort_unstable();
        k
    };
    let k0 = key(first.p);
    let mega = |p: &Prepared| p.inst.params.mega_count > 0 && p.inst.params.mega_cards > 0.0;
    for (i, o) in outcomes.iter().enumerate().skip(1) {
        if mega(o.p) && !mega(first.p) {
            return Err((
                i,
                "a training cluster, and no training cluster in the first outcome: list first an outcome that builds it, so that its site is decided once for all".into(),
            ));
        }
        if o.p.inst.sites.len() != first.p.inst.sites.len() {
            return Err((i, "a different list of candidate sites".into()));
        }
        if key(o.p) != k0 {
            return Err((
                i,
                "different cooling options at some site (a lead time against another deadline, PUE cap or rack density)".into(),
            ));
        }
    }
    Ok(())
}

/// Threads for the outcomes' own solves: `--threads`, else the machine's.
pub(super) fn threads(opts: &SolveOptions) -> usize {
    opts.threads.map(|t| t as usize).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}
