//! Two-stage plans under uncertain outcomes (`dcsite hedge`): the extensive
//! form, one copy of the model per outcome in one MIP, whose site decisions
//! (which cooling is built where, where the mega clusters go) are shared by
//! every outcome (here and now) while servers, deliveries, flows and
//! subsidies are each outcome's own (wait and see).
//!
//! Objective: Σ p_k · cost_k + λ · CVaR_α(cost), with the CVaR in
//! Rockafellar and Uryasev's linear form: η + Σ p_k · u_k / (1 − α) with
//! u_k ≥ cost_k − η, u_k ≥ 0. Solved like a single scenario: first with
//! continuous server counts (a MIP over the shared binaries, a lower bound),
//! then with whole servers and those binaries fixed; the gap is the final
//! plan against that bound. Every outcome's plan is read back and checked
//! against every target and limit of its own scenario.

use std::time::Instant;

use good_lp::{variable, Expression, Solution, Variable};

use super::base::check::check_plan;
use super::base::options::{SolveError, SolveOptions, DEFAULT_MIP_GAP};
use super::base::read::{read_back, ModelParts, RawSolution, Values};
use super::base::run::run_highs_from;
use crate::milp::{
    build_part, Columns, Integrality, Links, Model, Part, Prepared, Row, RowKey, Sense, Shared,
    CNY_PER_OBJECTIVE_UNIT,
};
use crate::plan::{Plan, Status};

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

/// The here-and-now decisions: (site, cooling) of every built site, and the
/// sites of the mega clusters (indices of the first outcome's instance).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FirstStage {
    pub built: Vec<(usize, usize)>,
    pub mega: Vec<usize>,
}

impl FirstStage {
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

/// The extensive form as built: the model and each outcome's share of it.
struct Extensive {
    model: Model,
    parts: Vec<Part>,
    /// The shared binaries (the first outcome's open and mega columns).
    first: crate::milp::Vars,
}

fn build(
    outcomes: &[Outcome],
    risk: Risk,
    integrality: Integrality,
    opts: &SolveOptions,
) -> Result<Extensive, SolveError> {
    let mut cols = Columns::default();
    let mut parts: Vec<Part> = Vec::with_capacity(outcomes.len());
    let mut first: Option<crate::milp::Vars> = None;
    for o in outcomes {
        let shared = first.as_ref().map(|vars| Shared {
            p: outcomes[0].p,
            vars,
        });
        let (c, part) = build_part(
            o.p,
            integrality,
            Links::All,
            opts.deadline.as_ref(),
            cols,
            shared,
        )?;
        cols = c;
        if first.is_none() {
            first = Some(part.vars.clone());
        }
        parts.push(part);
    }
    let first = first.unwrap_or_default();
    let mut objective = Expression::default();
    for (o, part) in outcomes.iter().zip(&parts) {
        objective.add_mul(o.probability, part.objective.clone());
    }
    let mut rows: Vec<Row> = parts.iter().flat_map(|p| p.rows.iter().cloned()).collect();
    if risk.lambda > 0.0 {
        // η + Σ p_k u_k / (1 − α), u_k ≥ cost_k − η.
        let eta = add(&mut cols, variable());
        objective.add_mul(risk.lambda, eta);
        for (k, (o, part)) in outcomes.iter().zip(&parts).enumerate() {
            let u = add(&mut cols, variable().min(0));
            objective.add_mul(risk.lambda * o.probability / (1.0 - risk.alpha), u);
            let mut lhs = Expression::from(u);
            lhs.add_mul(1.0, eta);
            lhs.add_mul(-1.0, part.objective.clone());
            rows.push(Row {
                key: RowKey::OutcomeExcess { outcome: k },
                lhs,
                sense: Sense::Ge,
                rhs: 0.0,
            });
        }
    }
    let n_columns = cols.integer.len();
    Ok(Extensive {
        model: Model {
            problem_vars: cols.pv,
            column: cols.column,
            n_columns,
            integer: cols.integer,
            vars: first.clone(),
            objective,
            cny_per_objective_unit: CNY_PER_OBJECTIVE_UNIT,
            rows,
        },
        parts,
        first,
    })
}

fn add(cols: &mut Columns, def: good_lp::variable::VariableDefinition) -> Variable {
    let v = cols.pv.add(def);
    cols.column.insert(v, cols.integer.len());
    cols.integer.push(false);
    v
}

/// The shared binaries fixed to `fs` (options of the first outcome).
fn fixed_to(p: &Prepared, first: &crate::milp::Vars, fs: &FirstStage) -> Vec<(Variable, f64)> {
    let mut fixed: Vec<(Variable, f64)> = p
        .options
        .iter()
        .zip(&first.open)
        .map(|(o, v)| {
            (
                *v,
                f64::from(u8::from(fs.built.contains(&(o.site, o.cooling)))),
            )
        })
        .collect();
    for (s, m) in first.mega.iter().enumerate() {
        if let Some(m) = m {
            fixed.push((*m, f64::from(u8::from(fs.mega.contains(&s)))));
        }
    }
    fixed
}

/// The shared binaries of a solution of the extensive form.
fn first_stage_of(p: &Prepared, first: &crate::milp::Vars, values: &Values) -> FirstStage {
    FirstStage {
        built: p
            .options
            .iter()
            .zip(&first.open)
            .filter(|(_, v)| values.value(**v) > 0.5)
            .map(|(o, _)| (o.site, o.cooling))
            .collect(),
        mega: first
            .mega
            .iter()
            .enumerate()
            .filter(|(_, m)| m.is_some_and(|m| values.value(m) > 0.5))
            .map(|(s, _)| s)
            .collect(),
    }
}

/// A site built now stays built in an outcome that leaves it empty (a
/// single plan drops an empty option: it would not open it); its opening
/// cost is in that outcome's cost.
fn mark_built_now(p: &Prepared, fs: &FirstStage, plan: &mut Plan) {
    for &(s, k) in &fs.built {
        let sp = &mut plan.sites[s];
        if sp.built {
            continue;
        }
        let Some(opt) = p.options.iter().find(|o| o.site == s && o.cooling == k) else {
            continue;
        };
        sp.built = true;
        sp.cooling = Some(k);
        sp.pue = Some(opt.pue);
        sp.capex_cny += p.inst.sites[s].opening_cost_cny();
        sp.not_built_reason = None;
    }
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

/// Solves the extensive form of `outcomes` (probabilities summing to 1,
/// every outcome with the first's sites and options: [`same_options`]),
/// or with `fixed` the second stage of those site decisions only (the
/// value of a given first stage, e.g. the expected-value plan's).
pub fn solve_two_stage(
    outcomes: &[Outcome],
    risk: Risk,
    opts: &SolveOptions,
    fixed: Option<&FirstStage>,
) -> Result<TwoStage, SolveError> {
    let t0 = Instant::now();
    let tol = opts.mip_gap.unwrap_or(DEFAULT_MIP_GAP);
    let p0 = outcomes
        .first()
        .ok_or_else(|| SolveError::Numerical("no outcomes to plan for".into()))?
        .p;
    // Phase 1: continuous servers, a MIP over the shared binaries.
    let relaxed = build(outcomes, risk, Integrality::ContinuousServers, opts)?;
    let pinned = fixed
        .map(|fs| fixed_to(p0, &relaxed.first, fs))
        .unwrap_or_default();
    let mut o1 = opts.clone();
    o1.mip_gap = Some(0.5 * tol);
    let (raw1, parts1) = run_highs_from(relaxed.model, &o1, &pinned, None)?;
    let bound = raw1.dual_bound.min(raw1.objective);
    let values1 = Values {
        cols: raw1.cols.clone(),
        column: &parts1.column,
    };
    let fs = first_stage_of(p0, &relaxed.first, &values1);
    // Phase 2: whole servers, the binaries fixed, started from phase 1.
    let full = build(outcomes, risk, Integrality::Full, opts)?;
    let size = (full.model.n_columns, full.model.rows.len());
    let pinned = fixed_to(p0, &full.first, &fs);
    let mut o2 = opts.clone();
    o2.mip_gap = Some(0.4 * tol);
    let (raw, parts_all) = run_highs_from(full.model, &o2, &pinned, Some(&raw1.cols))?;
    let values = Values {
        cols: raw.cols.clone(),
        column: &parts_all.column,
    };
    let mut plans = Vec::with_capacity(outcomes.len());
    let mut costs = Vec::with_capacity(outcomes.len());
    for (o, part) in outcomes.iter().zip(full.parts) {
        let cost = part.objective.eval_with(&values) * CNY_PER_OBJECTIVE_UNIT;
        let parts_k = ModelParts {
            column: parts_all.column.clone(),
            integer: parts_all.integer.clone(),
            vars: part.vars,
            rows: part.rows,
            objective: part.objective,
            cny_per_objective_unit: CNY_PER_OBJECTIVE_UNIT,
        };
        let raw_k = RawSolution {
            status: raw.status,
            cols: Vec::new(),
            objective: cost,
            dual_bound: f64::NEG_INFINITY,
            seconds: raw.seconds,
            row_duals: Vec::new(),
            col_duals: Vec::new(),
        };
        let mut plan = read_back(o.p, &parts_k, &values, &raw_k);
        mark_built_now(o.p, &fs, &mut plan);
        // A solver answer is checked against every row of its outcome
        // before it is called a plan.
        check_plan(o.p, &plan)?;
        plan.objective_cny = cost;
        plan.model_size = (
            size.0,
            parts_k.integer.iter().filter(|&&i| i).count(),
            size.1,
        );
        plans.push(plan);
        costs.push(cost);
    }
    let probabilities: Vec<f64> = outcomes.iter().map(|o| o.probability).collect();
    let objective = risk_objective(&costs, &probabilities, risk);
    let gap = if fixed.is_some() {
        raw.gap_to(raw.dual_bound)
    } else {
        ((objective - bound) / objective.abs().max(1e-9)).max(0.0)
    };
    let status = if gap <= tol + 1e-12 || objective - bound <= 1.0 {
        Status::Optimal
    } else {
        Status::Feasible
    };
    for plan in &mut plans {
        plan.status = status;
        plan.mip_gap = gap;
        plan.solve_seconds = t0.elapsed().as_secs_f64();
    }
    Ok(TwoStage {
        plans,
        costs_cny: costs,
        objective_cny: objective,
        bound_cny: if fixed.is_some() {
            raw.dual_bound
        } else {
            bound
        },
        mip_gap: gap,
        status,
        first_stage: fs,
        seconds: t0.elapsed().as_secs_f64(),
        model_size: size,
    })
}
