//! The pricing LP of a plan, built and solved once for every explanation
//! that needs it: the shadow prices read its duals, the unbuilt sites its
//! cost and the duals of the rows that fix the sites, and the checks of the
//! shadow prices re-solve it, reduced ([`Reduced`]), from its basis with one
//! row's limit moved. Before, each of the three built and solved the same
//! LP from scratch, and the checks re-solved it whole (capa, 100 × 1,000 with
//! every link row: about a second each, and up to 2 s a step).
//!
//! The first solve is the one [`run_highs`](crate::solve::base::run::run_highs)
//! makes (same model, same settings), so its duals, and every figure read
//! from them, are those of [`pricing_lp`].

use std::collections::HashMap;
use std::time::Instant;

use good_lp::{Expression, Variable};

use super::reduced::{Reduced, Source};
use crate::milp::{self, Integrality, Model, Prepared, Row, RowKey, Sense};
use crate::plan::Plan;
use crate::solve::adapter::{Live, LiveExt, ModelStatus, SolutionStatus};
use crate::solve::base::options::{SolveError, SolveOptions};
use crate::solve::base::read::Values;
use crate::solve::base::run::{configure, highs_instance, run_highs, solve_from_basis, warm};

/// The pricing LP of a plan: its answer ([`PricingLp`]) and, when HiGHS
/// solved it on the first try, what is needed to reduce it.
pub(crate) struct PlanLp {
    pub base: PricingLp,
    model: Option<Kept>,
    /// The first solve's HiGHS instance, live for re-solves from its basis
    /// ([`PlanLp::costs_with_open`]); `None` when solved through [`pricing_lp`].
    live: Option<Live>,
}

/// What is left of the pricing LP's model after HiGHS took its variables.
struct Kept {
    rows: Vec<Row>,
    objective: Expression,
    column: HashMap<Variable, usize>,
    bounds: Vec<(f64, f64)>,
    fixed: Vec<(usize, f64)>,
}

impl PlanLp {
    /// Builds and solves the pricing LP of `plan`. When HiGHS does not end
    /// optimal on the first try, the LP is solved again through
    /// [`pricing_lp`] (with its retries and errors), and cannot be reduced
    /// (the checks then solve each step from scratch).
    pub fn new(p: &Prepared, plan: &Plan, opts: &SolveOptions) -> Result<PlanLp, SolveError> {
        match Self::solved(p, plan, opts) {
            Some(x) => Ok(x),
            None => Ok(PlanLp {
                base: pricing_lp(p, plan, opts, None, &[])?,
                model: None,
                live: None,
            }),
        }
    }

    fn solved(p: &Prepared, plan: &Plan, opts: &SolveOptions) -> Option<PlanLp> {
        let lp = milp::build(p, Integrality::Pricing);
        let fixed = plan_binaries(p, plan, &lp);
        let mut bounds = vec![(0.0, 0.0); lp.n_columns];
        for (v, def) in lp.problem_vars.iter_variables_with_def() {
            bounds[*lp.column.get(&v)?] = (def.get_min(), def.get_max());
        }
        let fixed_cols = fixed
            .iter()
            .map(|(v, x)| Some((*lp.column.get(v)?, *x)))
            .collect::<Option<Vec<_>>>()?;
        let pins = fixed.iter().map(|&(v, x)| Expression::from(v).eq(x));
        let mut hm = highs_instance(lp.problem_vars, lp.objective.clone(), &lp.rows, pins).ok()?;
        let mut o = opts.clone();
        o.time_limit_s = None;
        o.log = false;
        configure(&mut hm, &o, Instant::now()).ok()?;
        let solved = hm.try_solve().ok()?;
        if solved.status() != ModelStatus::Optimal
            || solved.primal_solution_status() != SolutionStatus::Feasible
        {
            return None;
        }
        let scale = lp.cny_per_objective_unit;
        let sol = solved.get_solution();
        let values = Values {
            cols: sol.columns().to_vec(),
            column: &lp.column,
        };
        let row_duals = sol.dual_rows().to_vec();
        let slack = slacks(&lp.rows, &values);
        let open_duals_cny = open_duals(p, lp.rows.len(), &row_duals, scale);
        let base = PricingLp {
            cost_cny: lp.objective.eval_with(&values) * scale,
            open_duals_cny,
            row_duals,
            slack,
            model_rows: lp.rows.iter().map(|r| (r.key, r.sense, r.rhs)).collect(),
        };
        Some(PlanLp {
            base,
            model: Some(Kept {
                rows: lp.rows,
                objective: lp.objective,
                column: lp.column,
                bounds,
                fixed: fixed_cols,
            }),
            live: Some(warm(solved)),
        })
    }

    /// The cost (CNY) of the plan with each option of `options` opened on
    /// top of it in turn (its site's other decisions and the plan's other
    /// sites kept, servers continuous): the pricing LP with the option's
    /// open pin moved from 0 to 1, re-solved from the basis it has, then put
    /// back. A cost is `None` where that LP is infeasible (the option does
    /// not fit); the whole answer is `None` when the LP is not live or
    /// HiGHS fails (the live LP is then gone): the caller solves each
    /// from scratch ([`pricing_lp`]). The same LP as `pricing_lp` with
    /// `extra_fixed = [(o, 1.0)]`: an unbuilt option's hall start is free
    /// in both.
    pub fn costs_with_open(&mut self, options: &[usize]) -> Option<Vec<Option<f64>>> {
        let m = self.model.as_ref()?;
        let n = m.rows.len();
        let mut hm = self.live.take()?;
        let mut out = Vec::with_capacity(options.len());
        for &o in options {
            hm.set_row_bounds_from(n + o, &[1.0], &[1.0]);
            let solved = solve_from_basis(hm, "the pricing LP with an option opened").ok()?;
            out.push(match solved.status() {
                ModelStatus::Optimal => {
                    let values = Values {
                        cols: solved.get_solution().columns().to_vec(),
                        column: &m.column,
                    };
                    Some(m.objective.eval_with(&values) * milp::CNY_PER_OBJECTIVE_UNIT)
                }
                ModelStatus::Infeasible | ModelStatus::UnboundedOrInfeasible => None,
                _ => return None,
            });
            hm = warm(solved);
            hm.set_row_bounds_from(n + o, &[0.0], &[0.0]);
        }
        self.live = Some(hm);
        Some(out)
    }

    /// The model of the LP, to open options on ([`Opening`]); `None` when
    /// the LP was solved through [`pricing_lp`].
    pub fn opening(&self) -> Option<Opening<'_>> {
        self.model.as_ref().map(|m| Opening { m })
    }

    /// The LP reduced by its fixed decisions, with the model rows `keep`
    /// kept as rows, solved once; `None` if it cannot be made or solved.
    pub fn reduced(&self, keep: &[usize], opts: &SolveOptions) -> Option<Reduced> {
        let m = self.model.as_ref()?;
        Reduced::new(
            &Source {
                rows: &m.rows,
                objective: &m.objective,
                column: &m.column,
                bounds: &m.bounds,
                fixed: &m.fixed,
            },
            keep,
            opts,
        )
    }
}

/// The pricing LP's model, shared by the workers that open options on it.
pub(crate) struct Opening<'a> {
    m: &'a Kept,
}

impl Opening<'_> {
    /// The cost (CNY) of the plan with option `o` opened on top of it (its
    /// site's other decisions and the plan's other sites kept, servers
    /// continuous): the pricing LP with `o`'s open pin at 1, the plan's
    /// decisions substituted ([`Reduced`], no rows kept), solved. The same
    /// LP as [`pricing_lp`] with `extra_fixed = [(o, 1.0)]` (an unbuilt
    /// option's hall start is free in both), without building the model
    /// again. `None` when it cannot be made or is not solved to optimality
    /// (infeasible too): the caller then solves it through `pricing_lp`.
    pub fn cost_with_open(&self, o: usize, opts: &SolveOptions) -> Option<f64> {
        let m = self.m;
        // The opens come first among the pins ([`plan_binaries`]).
        let mut fixed = m.fixed.clone();
        fixed.get_mut(o)?.1 = 1.0;
        let src = Source {
            rows: &m.rows,
            objective: &m.objective,
            column: &m.column,
            bounds: &m.bounds,
            fixed: &fixed,
        };
        Reduced::new(&src, &[], opts).map(|r| r.cost_cny)
    }
}

/// The plan's binary decisions, as values for the variables of `lp`.
pub(crate) fn plan_binaries(p: &Prepared, plan: &Plan, lp: &Model) -> Vec<(Variable, f64)> {
    let open: Vec<bool> = p
        .options
        .iter()
        .map(|opt| plan.sites[opt.site].cooling == Some(opt.cooling))
        .collect();
    let mega: Vec<bool> = plan.sites.iter().map(|s| s.mega_cluster).collect();
    let mut fixed = decision_binaries(&open, &mega, lp);
    fixed.extend(start_pins(p, plan, lp, &open));
    fixed
}

/// The hall start months `plan` decided, for the options `open` opens
/// (after the opens and the mega sites, whose pinning rows the open duals
/// index). An option opened on top of the plan keeps its start free.
fn start_pins(p: &Prepared, plan: &Plan, lp: &Model, open: &[bool]) -> Vec<(Variable, f64)> {
    let mut fixed = Vec::new();
    for (o, starts) in lp.vars.start.iter().enumerate() {
        let sp = &plan.sites[p.options[o].site];
        let chosen = sp.hall_start_month.filter(|_| sp.hall_start_decided);
        let (true, Some(c), Some(_)) = (
            open[o],
            chosen,
            sp.cooling.filter(|&k| k == p.options[o].cooling),
        ) else {
            continue;
        };
        for &(m, z) in starts {
            fixed.push((z, f64::from(u8::from((c - m).abs() < 1e-9))));
        }
    }
    fixed
}

/// Site decisions (`open` per option, `mega` per site) as values for the
/// binary variables of `lp`: options first, then the mega-cluster sites.
fn decision_binaries(open: &[bool], mega: &[bool], lp: &Model) -> Vec<(Variable, f64)> {
    let one = |on: bool| if on { 1.0 } else { 0.0 };
    let mut fixed: Vec<(Variable, f64)> = lp
        .vars
        .open
        .iter()
        .zip(open)
        .map(|(v, &on)| (*v, one(on)))
        .collect();
    for (s, m) in lp.vars.mega.iter().enumerate() {
        if let Some(m) = m {
            fixed.push((*m, one(mega.get(s).copied().unwrap_or(false))));
        }
    }
    fixed
}

/// The net present cost of a set of site decisions and the marginal values
/// of its rows: the pricing LP with `open` (per option of `p`) and `mega`
/// (per site) fixed and server counts continuous.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedSites {
    pub cost_cny: f64,
    /// (row, CNY per planner unit of its limit), every row of the model, in
    /// the sign convention of [`ShadowPrice::cny_per_unit`].
    pub prices: Vec<(RowKey, f64)>,
}

/// [`FixedSites`] of the decisions `open` (per option of `p`) and `mega`
/// (per site). Infeasible when the sites cannot meet the scenario's targets
/// and limits, whatever their servers.
pub fn fixed_sites_lp(
    p: &Prepared,
    open: &[bool],
    mega: &[bool],
    opts: &SolveOptions,
) -> Result<FixedSites, SolveError> {
    let lp = milp::build(p, Integrality::Pricing);
    let fixed = decision_binaries(open, mega, &lp);
    let mut o = opts.clone();
    o.time_limit_s = None;
    o.log = false;
    let (raw, parts) = run_highs(lp, &o, &fixed)?;
    let prices = parts
        .rows
        .iter()
        .zip(&raw.row_duals)
        .map(|(r, d)| {
            let v = d * milp::CNY_PER_OBJECTIVE_UNIT * r.key.family().row_units_per_unit();
            (r.key, if v.abs() < 1e-6 { 0.0 } else { v })
        })
        .collect();
    Ok(FixedSites {
        cost_cny: raw.objective,
        prices,
    })
}

/// The pricing LP of a plan, with `change` (row index, amount in row units)
/// added to one row's limit. Returns the net present cost (CNY), the row
/// duals and each row's slack.
pub(crate) struct PricingLp {
    pub cost_cny: f64,
    pub row_duals: Vec<f64>,
    /// Duals of the rows that fix each option's open decision, CNY per unit
    /// of `open` (the reduced cost of opening it, with the other decisions kept).
    pub open_duals_cny: Vec<f64>,
    pub slack: Vec<f64>,
    pub model_rows: Vec<(RowKey, Sense, f64)>,
}

pub(crate) fn pricing_lp(
    p: &Prepared,
    plan: &Plan,
    opts: &SolveOptions,
    change: Option<(usize, f64)>,
    extra_fixed: &[(usize, f64)],
) -> Result<PricingLp, SolveError> {
    let mut lp = milp::build(p, Integrality::Pricing);
    let mut fixed = plan_binaries(p, plan, &lp);
    // Options forced open or closed on top of the plan (cost of building a site).
    for &(o, x) in extra_fixed {
        fixed[o].1 = x;
    }
    if !extra_fixed.is_empty() {
        // The start months follow the opens as changed.
        let open: Vec<bool> = fixed[..p.options.len()].iter().map(|x| x.1 > 0.5).collect();
        fixed.truncate(p.options.len() + lp.vars.mega.iter().flatten().count());
        fixed.extend(start_pins(p, plan, &lp, &open));
    }
    if let Some((i, d)) = change {
        lp.rows[i].rhs += d;
    }
    let mut o = opts.clone();
    o.time_limit_s = None;
    o.log = false;
    let (raw, parts) = run_highs(lp, &o, &fixed)?;
    let values = Values {
        cols: raw.cols.clone(),
        column: &parts.column,
    };
    let slack = slacks(&parts.rows, &values);
    let open_duals_cny = open_duals(
        p,
        parts.rows.len(),
        &raw.row_duals,
        parts.cny_per_objective_unit,
    );
    Ok(PricingLp {
        cost_cny: raw.objective,
        open_duals_cny,
        row_duals: raw.row_duals,
        slack,
        model_rows: parts.rows.iter().map(|r| (r.key, r.sense, r.rhs)).collect(),
    })
}

/// Each row's slack at `values` (0 for equalities).
fn slacks(rows: &[Row], values: &Values) -> Vec<f64> {
    rows.iter()
        .map(|r| {
            let lhs = Expression::eval_with(&r.lhs, values);
            match r.sense {
                Sense::Le => r.rhs - lhs,
                Sense::Ge => lhs - r.rhs,
                Sense::Eq => 0.0,
            }
        })
        .collect()
}

/// The duals of the rows fixing each option's open decision, CNY: they
/// follow the model's `n` rows, options first ([`plan_binaries`]).
fn open_duals(p: &Prepared, n: usize, row_duals: &[f64], scale: f64) -> Vec<f64> {
    (0..p.options.len())
        .map(|o| row_duals.get(n + o).copied().unwrap_or(0.0) * scale)
        .collect()
}
