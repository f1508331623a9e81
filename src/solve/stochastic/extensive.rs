//! The extensive form of a two-stage plan: one copy of the model per
//! outcome in one MIP, the site columns (options opened, training-cluster
//! sites) the first outcome's in every copy (non-anticipativity by
//! construction), and with λ > 0 the CVaR rows. Solved like a single
//! scenario: first with continuous server counts (a MIP over the shared
//! binaries, a lower bound), then with whole servers and those binaries
//! fixed; the gap is the final plan against that bound.

use std::time::Instant;

use good_lp::{variable, Expression, Solution, Variable};

use super::problem::{risk_objective, FirstStage, Outcome, Risk, TwoStage};
use super::second::{mark_built_now, pins};
use crate::milp::{
    build_part, Columns, Integrality, Links, Model, Part, Row, RowKey, Sense, Shared,
    CNY_PER_OBJECTIVE_UNIT,
};
use crate::plan::Status;
use crate::solve::base::check::check_plan;
use crate::solve::base::options::{SolveError, SolveOptions, DEFAULT_MIP_GAP};
use crate::solve::base::read::{read_back, ModelParts, RawSolution, Values};
use crate::solve::base::run::run_highs_from;

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

/// The shared decisions of a solution of the extensive form: the binaries,
/// and with `contracts` the contracted MW of the options built.
fn first_stage_of(
    p: &crate::milp::Prepared,
    first: &crate::milp::Vars,
    values: &Values,
    contracts: bool,
) -> FirstStage {
    let contract_mw = if contracts {
        p.options
            .iter()
            .zip(&first.open)
            .zip(&first.contract)
            .filter(|((_, v), _)| values.value(**v) > 0.5)
            .map(|((o, _), c)| (o.site, values.value(*c).max(0.0)))
            .collect()
    } else {
        Vec::new()
    };
    let hall_start = p
        .options
        .iter()
        .zip(&first.open)
        .zip(&first.start)
        .filter(|((_, v), _)| values.value(**v) > 0.5)
        .filter_map(|((o, _), starts)| {
            let (m, _) = starts.iter().find(|(_, z)| values.value(*z) > 0.5)?;
            Some((o.site, *m))
        })
        .collect();
    FirstStage {
        contract_mw,
        hall_start,
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

/// Solves the extensive form of `outcomes`, or with `fixed` the second
/// stage of those site decisions only.
pub(super) fn solve(
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
        .map(|fs| pins(p0, &relaxed.first, fs))
        .unwrap_or_default();
    let mut o1 = opts.clone();
    o1.mip_gap = Some(0.5 * tol);
    let (raw1, parts1) = run_highs_from(relaxed.model, &o1, &pinned, None)?;
    let bound = raw1.dual_bound.min(raw1.objective);
    let values1 = Values {
        cols: raw1.cols.clone(),
        column: &parts1.column,
    };
    let fs = first_stage_of(p0, &relaxed.first, &values1, false);
    // Phase 2: whole servers, the binaries fixed (and the contracts of a
    // given first stage; phase 1's contracts are for continuous servers, so
    // they are decided again), started from phase 1.
    let full = build(outcomes, risk, Integrality::Full, opts)?;
    let size = (full.model.n_columns, full.model.rows.len());
    let pinned = pins(p0, &full.first, fixed.unwrap_or(&fs));
    let mut o2 = opts.clone();
    o2.mip_gap = Some(0.4 * tol);
    let (raw, parts_all) = run_highs_from(full.model, &o2, &pinned, Some(&raw1.cols))?;
    let values = Values {
        cols: raw.cols.clone(),
        column: &parts_all.column,
    };
    let fs = first_stage_of(p0, &full.first, &values, true);
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
        decomposition: None,
    })
}
