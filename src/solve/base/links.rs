//! The cut loop for the (city, site) link rows `serve[d,s] ≤ demand[d] ×
//! open[s]` ([`RowKey::ServeLink`]; for a share demand `serve[d,s] ≤ x_d ×
//! (T − T_min × (1 − open[s]))`, [`milp::link_row`]). There is one per city-site pair within
//! reach (100,000 on OR-Library's capa), they make the LP bound strong, and
//! almost all of them are slack at any optimum. HiGHS has no lazy-constraint
//! callback, so the loop is ours: the model starts without them; the LP is
//! solved, the rows its solution violates are added to the same HiGHS
//! instance and the LP is re-solved from its basis (dual simplex) until none
//! is violated; the MIP phases then run on the rows found, and every answer
//! they return is checked against all link rows (violated ones are added and
//! the phase is solved again). A model with some link rows is a relaxation
//! of the model with all of them, so every bound it proves is valid for the
//! full model, and an answer that violates none of them is feasible for it.

use crate::plan::{LinkStats, Status};
use std::collections::HashMap;
use std::time::Instant;

use good_lp::{Expression, Solution, Variable};

use super::options::{SolveError, SolveOptions};
use super::read::{ModelParts, RawSolution, Values};
use super::run::{configure, highs_instance, refused, warm};
use crate::milp::{self, Links, Model, Prepared, Sense};
use crate::solve::adapter::{Int, Live, LiveExt, ModelStatus, Rows};

/// Which link rows are in the model, and how they got there.
#[derive(Debug, Clone)]
pub struct LinkSet {
    /// Whether the model has link rows at all (`Prepared::disaggregate_links`)
    /// and the loop is used for them.
    pub separated: bool,
    /// Per pair (indexed like `Prepared::pairs`): its link row is in the model.
    pub active: Vec<bool>,
    /// LP rounds run (each one a re-solve after adding rows).
    pub lp_rounds: usize,
    /// Times a MIP phase was solved again because its answer violated a row.
    pub mip_rounds: usize,
}

/// Rows added per LP round at most (the most violated first): enough to
/// converge in a handful of rounds, few enough that the basis stays useful.
pub(crate) const MAX_ROWS_PER_ROUND: usize = 20_000;
/// Links per city in the model from the start (its cheapest sites). One:
/// more make the first LP much slower on capa (37 s with five) than the
/// rounds they save.
const INITIAL_LINKS_PER_CITY: usize = 1;
/// LP rounds at most; the bound is valid whenever the loop stops.
const MAX_LP_ROUNDS: usize = 60;

impl LinkSet {
    /// The loop is used when the model has link rows, unless
    /// `StrategyOptions::all_link_rows` asks for all of them up front.
    pub fn new(p: &Prepared, opts: &SolveOptions) -> LinkSet {
        let separated = Self::separates(p, opts);
        let mut active = vec![false; p.pairs.len()];
        let seed = opts
            .link_seed
            .as_deref()
            .filter(|s| s.len() == active.len());
        if let (true, Some(seed)) = (separated, seed) {
            active.copy_from_slice(seed);
        }
        if separated {
            // Start with each city's links to its cheapest sites: the LP
            // serves a city from those first, so most of its violated rows
            // are among them.
            let k = INITIAL_LINKS_PER_CITY;
            for ks in p.pairs_by_city(|x| x.cost_cny_per_card) {
                for &i in ks.iter().take(k) {
                    active[i] = true;
                }
            }
        }
        LinkSet {
            separated,
            active,
            lp_rounds: 0,
            mip_rounds: 0,
        }
    }

    /// Whether the loop is used for `p`: it has link rows
    /// (`Prepared::disaggregate_links`) and they are not asked for up front.
    pub fn separates(p: &Prepared, opts: &SolveOptions) -> bool {
        p.disaggregate_links && !opts.strategy.all_link_rows
    }

    /// The link rows a model built now holds.
    pub fn links(&self) -> Links<'_> {
        if self.separated {
            Links::Only(&self.active)
        } else {
            Links::All
        }
    }

    /// Pairs whose link row is not in the model and is violated by `values`,
    /// most violated first (relative to the city's demand).
    pub fn violated(&self, p: &Prepared, vars: &milp::Vars, values: &Values) -> Vec<usize> {
        if !self.separated {
            return Vec::new();
        }
        let mut open_at = vec![0.0; p.inst.sites.len()];
        for (o, opt) in p.options.iter().enumerate() {
            open_at[opt.site] += values.value(vars.open[o]);
        }
        let total = vars.total.map_or(0.0, |t| values.value(t));
        let mut out: Vec<(usize, f64)> = p
            .pairs
            .iter()
            .enumerate()
            .filter(|(k, _)| !self.active[*k])
            .filter_map(|(k, pair)| {
                let bound = milp::link_bound(p, k)?;
                // What the row lets the pair serve, and the city's demand
                // (the scale of a violation: the limit with the site open).
                let limit = bound.limit(open_at[pair.site], total);
                let scale = bound.limit(1.0, total).max(bound.per_open);
                let excess = values.value(vars.serve[k]) - limit;
                (excess > 1e-7 * (1.0 + scale)).then_some((k, excess / scale.max(1e-9)))
            })
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.into_iter().map(|x| x.0).collect()
    }

    pub fn add(&mut self, pairs: &[usize]) {
        for &k in pairs {
            self.active[k] = true;
        }
    }

    pub fn stats(&self, p: &Prepared) -> Option<LinkStats> {
        if !p.disaggregate_links {
            return None;
        }
        let total = p
            .pairs
            .iter()
            .enumerate()
            .filter(|(k, _)| milp::link_bound(p, *k).is_some())
            .count();
        Some(LinkStats {
            rows_in_model: if self.separated {
                self.active.iter().filter(|&&a| a).count()
            } else {
                total
            },
            rows_total: total,
            lp_rounds: self.lp_rounds,
            mip_rounds: self.mip_rounds,
            benders: None,
            branch: None,
        })
    }
}

/// The LP relaxation with link rows separated in rounds on one HiGHS
/// instance, each round warm-started from the last basis. `model` is the LP
/// built with the rows active so far; the rows added are marked in `links`.
/// The returned solution is the last LP's: its objective is a lower bound
/// for the full model whether or not the loop converged.
pub fn lp_rounds(
    p: &Prepared,
    opts: &SolveOptions,
    model: Model,
    links: &mut LinkSet,
) -> Result<(RawSolution, ModelParts), SolveError> {
    lp_rounds_live(p, opts, model, links).map(|(raw, parts, _)| (raw, parts))
}

/// [`lp_rounds`], also giving back the LP, live at its last basis (presolve
/// off), for the branch and bound of `branch.rs` to go on from.
pub fn lp_rounds_live(
    p: &Prepared,
    opts: &SolveOptions,
    model: Model,
    links: &mut LinkSet,
) -> Result<(RawSolution, ModelParts, Live), SolveError> {
    let start = Instant::now();
    let Model {
        problem_vars,
        column,
        n_columns,
        vars,
        objective,
        cny_per_objective_unit: scale,
        mut rows,
        integer,
    } = model;
    let mut hm = highs_instance(problem_vars, objective.clone(), &rows, [])?;
    configure(&mut hm, opts, start)?;
    loop {
        let solved = hm
            .try_solve()
            .map_err(|e| SolveError::Numerical(format!("HiGHS returned {e:?} on the LP")))?;
        lp_status(solved.status())?;
        let sol = solved.get_solution();
        let cols = sol.columns().to_vec();
        debug_assert_eq!(cols.len(), n_columns);
        let values = Values {
            cols,
            column: &column,
        };
        let mut add = links.violated(p, &vars, &values);
        let out_of_time = opts
            .time_limit_s
            .is_some_and(|t| start.elapsed().as_secs_f64() > 0.5 * t);
        if add.is_empty() || links.lp_rounds >= MAX_LP_ROUNDS || out_of_time {
            let objective_value = objective.eval_with(&values) * scale;
            let row_duals = sol.dual_rows().to_vec();
            let col_duals = sol.dual_columns().to_vec();
            return Ok((
                RawSolution {
                    status: Status::Optimal,
                    cols: values.cols,
                    objective: objective_value,
                    dual_bound: objective_value,
                    seconds: start.elapsed().as_secs_f64(),
                    row_duals,
                    col_duals,
                },
                ModelParts {
                    column,
                    integer,
                    vars,
                    rows,
                    objective,
                    cny_per_objective_unit: scale,
                },
                warm(solved),
            ));
        }
        add.truncate(MAX_ROWS_PER_ROUND);
        let mut hm2 = warm(solved);
        add_link_rows(p, &mut hm2, &vars, &column, &add, &mut rows)?;
        links.add(&add);
        links.lp_rounds += 1;
        hm = hm2;
    }
}

/// What a round's LP status means for the loop: `Ok` at an optimum (the
/// loop goes on), else the error the LP ended with.
fn lp_status(status: ModelStatus) -> Result<(), SolveError> {
    match status {
        ModelStatus::Optimal => Ok(()),
        ModelStatus::Infeasible | ModelStatus::UnboundedOrInfeasible => {
            Err(SolveError::unexplained_infeasible())
        }
        ModelStatus::Unbounded => Err(SolveError::Unbounded),
        ModelStatus::ReachedTimeLimit => Err(SolveError::NoSolution {
            limit: "time limit".into(),
        }),
        other => Err(SolveError::Numerical(format!(
            "HiGHS ended the LP with model status {other:?}"
        ))),
    }
}

/// Adds the link rows of `pairs` to a HiGHS model (its basis stays valid:
/// the new rows enter it as basic) and to `rows`.
pub(crate) fn add_link_rows(
    p: &Prepared,
    hm: &mut Live,
    vars: &milp::Vars,
    column: &HashMap<Variable, usize>,
    pairs: &[usize],
    rows: &mut Vec<milp::Row>,
) -> Result<(), SolveError> {
    let mut starts: Vec<Int> = Vec::with_capacity(pairs.len());
    let mut index: Vec<Int> = Vec::new();
    let mut value: Vec<f64> = Vec::new();
    let mut upper: Vec<f64> = Vec::with_capacity(pairs.len());
    for &k in pairs {
        let Some(link) = milp::link_row(p, vars, k) else {
            continue;
        };
        starts.push(index.len() as Int);
        let mut lhs = Expression::default();
        for (v, c) in link.terms {
            index.push(column[&v] as Int);
            value.push(c);
            lhs.add_mul(c, v);
        }
        upper.push(link.rhs);
        rows.push(milp::Row {
            key: link.key,
            lhs,
            sense: Sense::Le,
            rhs: link.rhs,
        });
    }
    let n = starts.len();
    let lower = vec![f64::NEG_INFINITY; n];
    hm.add_rows(&Rows {
        lower: &lower,
        upper: &upper,
        starts: &starts,
        index: &index,
        value: &value,
    })
    .map_err(refused("the link rows added by the cut loop"))
}
