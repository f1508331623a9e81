//! The pricing LP of a plan with its fixed decisions substituted: what a
//! presolve does, done once by hand so that the LP stays small while it is
//! re-solved from its basis for every step of the shadow-price checks.
//!
//! With the plan's site decisions fixed, most of the pricing LP is fixed
//! too: a closed site's link rows `serve ≤ demand × open` say `serve ≤ 0`,
//! its capacity rows hold no servers, and so on. HiGHS's presolve removes
//! all that before a solve from scratch, but a re-solve from a basis runs
//! without presolve, on every row and column (capa: 100,000 link rows, 1-6 ms
//! per dual simplex iteration and hundreds of iterations a step). Here every
//! row that keeps one free column after the fixed ones are substituted
//! becomes a bound on that column, columns whose bounds meet are fixed in
//! turn, and the rest is a new LP with the same feasible set and, up to a
//! constant, the same objective: the same optimal cost for every step.
//! The rows being checked stay rows, whatever their size.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use good_lp::{variable, Expression, IntoAffineExpression, ProblemVariables, Variable};

use crate::milp::{self, Row, Sense};
use crate::solve::adapter::{Live, LiveExt, ModelStatus};
use crate::solve::base::options::SolveOptions;
use crate::solve::base::run::{configure, highs_instance, warm};

/// The model a [`Reduced`] LP is made from: the pricing LP's rows,
/// objective and column bounds, and the values its fixed columns take.
pub(crate) struct Source<'a> {
    pub rows: &'a [Row],
    pub objective: &'a Expression,
    pub column: &'a HashMap<Variable, usize>,
    /// (lower, upper) of each column.
    pub bounds: &'a [(f64, f64)],
    /// Columns fixed at a value (the plan's decisions).
    pub fixed: &'a [(usize, f64)],
}

/// The reduced LP, live, after its first solve.
pub(crate) struct Reduced {
    hm: Option<Live>,
    /// Row of the reduced LP, and its sense, of each kept row of the model.
    row_of: HashMap<usize, (usize, Sense)>,
    /// Objective of the substituted columns (objective units).
    constant: f64,
    /// The first solve's cost, CNY.
    pub cost_cny: f64,
    /// (columns, rows) of the reduced LP.
    pub size: (usize, usize),
}

/// Relative tolerance under which two bounds of a column meet.
const MEET: f64 = 1e-12;

impl Reduced {
    /// The reduced LP of `src` keeping the model rows `keep` as rows, solved
    /// once with `opts`' settings (no time limit, no log). `None` if it
    /// cannot be made (the substitution finds a contradiction) or HiGHS does
    /// not solve it to optimality.
    pub fn new(src: &Source, keep: &[usize], opts: &SolveOptions) -> Option<Reduced> {
        let n = src.bounds.len();
        let col = |v: &Variable| src.column.get(v).copied();
        // Rows as (column, coefficient) lists and right-hand sides net of constants.
        let mut terms: Vec<Vec<(usize, f64)>> = Vec::with_capacity(src.rows.len());
        let mut rhs: Vec<f64> = Vec::with_capacity(src.rows.len());
        for r in src.rows {
            let t: Option<Vec<(usize, f64)>> = (&r.lhs)
                .linear_coefficients()
                .filter(|&(_, a)| a != 0.0)
                .map(|(v, a)| Some((col(&v)?, a)))
                .collect();
            terms.push(t?);
            rhs.push(r.rhs - IntoAffineExpression::constant(&&r.lhs));
        }
        let (mut lo, mut hi): (Vec<f64>, Vec<f64>) = src.bounds.iter().copied().unzip();
        let mut value: Vec<Option<f64>> = vec![None; n];
        for &(c, x) in src.fixed {
            value[c] = Some(x);
        }
        let kept: HashSet<usize> = keep.iter().copied().collect();
        let mut alive: Vec<bool> = vec![true; src.rows.len()];
        // Substitute until no row of one free column is left.
        loop {
            let mut changed = false;
            for (i, t) in terms.iter().enumerate() {
                if !alive[i] || kept.contains(&i) {
                    continue;
                }
                let mut free = t.iter().filter(|&&(c, _)| value[c].is_none());
                let (first, second) = (free.next().copied(), free.next());
                if second.is_some() {
                    continue;
                }
                let b = rhs[i]
                    - t.iter()
                        .filter_map(|&(c, a)| value[c].map(|x| a * x))
                        .sum::<f64>();
                alive[i] = false;
                let Some((c, a)) = first else {
                    // Every column fixed: the row holds or the LP has no answer.
                    let tol = 1e-6 * (1.0 + rhs[i].abs());
                    let holds = match src.rows[i].sense {
                        Sense::Le => b >= -tol,
                        Sense::Ge => b <= tol,
                        Sense::Eq => b.abs() <= tol,
                    };
                    if !holds {
                        return None;
                    }
                    continue;
                };
                if a.abs() < 1e-9 {
                    // A tiny coefficient: the bound it would give is left to HiGHS.
                    alive[i] = true;
                    continue;
                }
                let x = b / a;
                let sense = match (src.rows[i].sense, a > 0.0) {
                    (Sense::Eq, _) => Sense::Eq,
                    (s, true) => s,
                    (Sense::Le, false) => Sense::Ge,
                    (Sense::Ge, false) => Sense::Le,
                };
                if matches!(sense, Sense::Le | Sense::Eq) {
                    hi[c] = hi[c].min(x);
                }
                if matches!(sense, Sense::Ge | Sense::Eq) {
                    lo[c] = lo[c].max(x);
                }
                if !(lo[c].is_finite() && hi[c].is_finite()) {
                    continue;
                }
                let tol = MEET * (1.0 + lo[c].abs().max(hi[c].abs()));
                if lo[c] > hi[c] + tol {
                    return None;
                }
                if hi[c] - lo[c] <= tol {
                    value[c] = Some(0.5 * (lo[c] + hi[c]));
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // The reduced LP: the free columns and the rows left.
        let mut pv = ProblemVariables::new();
        let mut new_var: Vec<Option<Variable>> = vec![None; n];
        for c in 0..n {
            if value[c].is_none() {
                new_var[c] = Some(pv.add(variable().min(lo[c]).max(hi[c])));
            }
        }
        let mut objective = Expression::default();
        let mut constant = IntoAffineExpression::constant(&src.objective);
        for (v, a) in src.objective.linear_coefficients() {
            let c = col(&v)?;
            match (value[c], new_var[c]) {
                (Some(x), _) => constant += a * x,
                (None, Some(nv)) => objective.add_mul(a, nv),
                (None, None) => return None,
            }
        }
        let mut rows = Vec::new();
        let mut row_of = HashMap::new();
        for (i, t) in terms.iter().enumerate() {
            if !alive[i] {
                continue;
            }
            let mut lhs = Expression::default();
            let mut b = rhs[i];
            for &(c, a) in t {
                match (value[c], new_var[c]) {
                    (Some(x), _) => b -= a * x,
                    (None, Some(nv)) => lhs.add_mul(a, nv),
                    (None, None) => return None,
                }
            }
            row_of.insert(i, (rows.len(), src.rows[i].sense));
            rows.push(Row {
                key: src.rows[i].key,
                lhs,
                sense: src.rows[i].sense,
                rhs: b,
            });
        }
        let n_cols = pv.len();
        let mut hm = highs_instance(pv, objective, &rows, std::iter::empty()).ok()?;
        let mut o = opts.clone();
        o.time_limit_s = None;
        o.log = false;
        configure(&mut hm, &o, Instant::now()).ok()?;
        let mut out = Reduced {
            hm: Some(hm),
            row_of,
            constant,
            cost_cny: 0.0,
            size: (n_cols, rows.len()),
        };
        out.cost_cny = out.resolve()??;
        Some(out)
    }

    /// The costs of the LP with model row `i`'s limit moved by each of
    /// `deltas` (row units) in turn, each re-solved from the basis the LP
    /// has; the row's own limit is put back afterwards. A cost is `None`
    /// where the moved LP is not optimal (infeasible); the whole answer is
    /// `None` when `i` is not a kept row or HiGHS fails (the LP is then gone).
    pub fn costs_with_row_moved(&mut self, i: usize, deltas: &[f64]) -> Option<Vec<Option<f64>>> {
        let (r, sense) = *self.row_of.get(&i)?;
        let (lower, upper) = self.hm.as_mut()?.row_bounds(r)?;
        let mut out = Vec::with_capacity(deltas.len());
        for &delta in deltas {
            let (lo, up) = match sense {
                Sense::Le => (lower, upper + delta),
                Sense::Ge => (lower + delta, upper),
                Sense::Eq => (lower + delta, upper + delta),
            };
            self.hm.as_mut()?.set_row_bounds_from(r, &[lo], &[up]);
            out.push(self.resolve()?);
        }
        self.hm.as_mut()?.set_row_bounds_from(r, &[lower], &[upper]);
        Some(out)
    }

    /// Solves the LP from the basis it has: its cost if optimal.
    fn resolve(&mut self) -> Option<Option<f64>> {
        let hm = self.hm.take()?;
        let solved = hm.try_solve().ok()?;
        let cost = (solved.status() == ModelStatus::Optimal)
            .then(|| (solved.objective_value() + self.constant) * milp::CNY_PER_OBJECTIVE_UNIT);
        self.hm = Some(warm(solved));
        Some(cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Quota;
    use crate::milp::{Model, RowKey, Vars};
    use crate::solve::base::run::run_highs;

    /// A small facility-location LP like the pricing LP of a plan: sites 0
    /// and 2 open, site 1 closed (fixed binaries), link rows, capacity rows,
    /// a minimum size (a ≥ row), demands (equalities) and a quota over two
    /// sites. Returns the model and its fixed columns.
    fn model() -> (Model, Vec<(Variable, f64)>) {
        let demand = [3.0, 5.0, 2.0, 4.0];
        let cost = [
            [1.0, 4.0, 6.0],
            [3.0, 1.0, 2.0],
            [5.0, 2.0, 1.0],
            [2.0, 3.0, 4.0],
        ];
        let capacity = [1.2, 2.0, 0.8];
        let mut pv = ProblemVariables::new();
        let mut column = HashMap::new();
        let mut add = |pv: &mut ProblemVariables, def| {
            let v = pv.add(def);
            column.insert(v, column.len());
            v
        };
        let open: Vec<Variable> = (0..3)
            .map(|_| add(&mut pv, variable().min(0).max(1)))
            .collect();
        let servers: Vec<Variable> = (0..3).map(|_| add(&mut pv, variable().min(0))).collect();
        let serve: Vec<Vec<Variable>> = (0..4)
            .map(|_| (0..3).map(|_| add(&mut pv, variable().min(0))).collect())
            .collect();
        let mut objective = Expression::from(7.0);
        let mut rows = Vec::new();
        for s in 0..3 {
            objective.add_mul(10.0 + s as f64, servers[s]);
            objective.add_mul(50.0, open[s]);
            rows.push(Row {
                key: RowKey::SitePower { option: s },
                lhs: Expression::from(servers[s]) - capacity[s] * open[s],
                sense: Sense::Le,
                rhs: 0.0,
            });
            rows.push(Row {
                key: RowKey::SiteMinSize { option: s },
                lhs: Expression::from(servers[s]) - 0.1 * open[s],
                sense: Sense::Ge,
                rhs: 0.0,
            });
            let mut load = Expression::default();
            for city in &serve {
                load.add_mul(1.0, city[s]);
            }
            rows.push(Row {
                key: RowKey::InferenceCapacity { site: s },
                lhs: load - 10.0 * servers[s],
                sense: Sense::Le,
                rhs: 0.0,
            });
        }
        for d in 0..4 {
            let mut e = Expression::default();
            for s in 0..3 {
                objective.add_mul(cost[d][s], serve[d][s]);
                e.add_mul(1.0, serve[d][s]);
                rows.push(Row {
                    key: RowKey::ServeLink { city: d, site: s },
                    // Written as −serve + demand × open ≥ 0: a negative
                    // coefficient on the free column.
                    lhs: demand[d] * open[s] - serve[d][s],
                    sense: Sense::Ge,
                    rhs: 0.0,
                });
            }
            rows.push(Row {
                key: RowKey::Demand { city: d },
                lhs: e,
                sense: Sense::Eq,
                rhs: demand[d],
            });
        }
        rows.push(Row {
            key: RowKey::RegionQuota {
                quota: Quota::Power,
                region: 0,
            },
            lhs: Expression::from(servers[0]) + servers[2],
            sense: Sense::Le,
            rhs: 1.6,
        });
        let n_columns = column.len();
        let fixed = vec![(open[0], 1.0), (open[1], 0.0), (open[2], 1.0)];
        let m = Model {
            problem_vars: pv,
            column,
            n_columns,
            integer: vec![false; n_columns],
            vars: Vars::default(),
            objective,
            cny_per_objective_unit: milp::CNY_PER_OBJECTIVE_UNIT,
            rows,
        };
        (m, fixed)
    }

    /// The full model's cost with row `i`'s limit moved by `delta`, solved
    /// from scratch with the binaries pinned by rows (`None`: infeasible).
    fn full_cost(i: usize, delta: f64) -> Option<f64> {
        let (mut m, fixed) = model();
        m.rows[i].rhs += delta;
        run_highs(m, &SolveOptions::default(), &fixed)
            .ok()
            .map(|(raw, _)| raw.objective)
    }

    /// The reduced LP has the full LP's cost at every step, down, up and
    /// past feasibility, without the closed site's rows and columns and
    /// without the rows that became bounds.
    #[test]
    fn the_reduced_lp_has_the_full_lps_cost_at_every_step() {
        let (m, fixed) = model();
        let index = |k: RowKey| m.row_index(k).unwrap();
        let quota = index(RowKey::RegionQuota {
            quota: Quota::Power,
            region: 0,
        });
        let power0 = index(RowKey::SitePower { option: 0 });
        let power2 = index(RowKey::SitePower { option: 2 });
        let demand1 = index(RowKey::Demand { city: 1 });
        let keep = [quota, power0, power2, demand1];
        let bounds: Vec<(f64, f64)> = m
            .problem_vars
            .iter_variables_with_def()
            .map(|(_, d)| (d.get_min(), d.get_max()))
            .collect();
        let fixed_cols: Vec<(usize, f64)> = fixed.iter().map(|(v, x)| (m.column[v], *x)).collect();
        let src = Source {
            rows: &m.rows,
            objective: &m.objective,
            column: &m.column,
            bounds: &bounds,
            fixed: &fixed_cols,
        };
        let mut r = Reduced::new(&src, &keep, &SolveOptions::default()).expect("reduces");
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-6 * (1.0 + b.abs()),
            (a, b) => a.is_none() && b.is_none(),
        };
        let base = full_cost(quota, 0.0);
        assert!(close(Some(r.cost_cny), base), "{} vs {base:?}", r.cost_cny);
        // Site 1's columns (servers and 4 serve) are fixed at 0 with the
        // binaries; the link rows, minimum sizes and site 1's rows are bounds.
        assert_eq!(r.size.0, 2 + 8, "{:?}", r.size);
        assert!(r.size.1 <= keep.len() + 2 + 3, "{:?}", r.size);
        // Steps that move the cost, steps that do not, and steps past
        // feasibility (the demand above what the open sites hold).
        for (i, deltas) in [
            (quota, vec![-0.1, 0.1, -1.5]),
            (power0, vec![-0.05, 0.05, -2.0]),
            (power2, vec![-0.3, 0.3]),
            (demand1, vec![-1.0, 1.0, 20.0]),
        ] {
            let got = r.costs_with_row_moved(i, &deltas).expect("HiGHS solves");
            for (d, g) in deltas.iter().zip(got) {
                let want = full_cost(i, *d);
                assert!(close(g, want), "row {i} moved {d}: {g:?} vs {want:?}");
            }
        }
        // The limits are back: the first cost again.
        let again = r.costs_with_row_moved(quota, &[0.0]).unwrap()[0];
        assert!(close(again, base));
    }
}
