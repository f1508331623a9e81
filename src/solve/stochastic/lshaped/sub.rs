//! The L-shaped subproblems: one outcome's LP with its site columns pinned
//! to the master's answer (elastic columns keep it feasible), alive on a
//! worker thread; the workers' channels; a cut from an evaluation.

use std::collections::HashMap;
use std::sync::{mpsc, Arc};
use std::time::Instant;

use good_lp::{variable, Expression, IntoAffineExpression, Variable};

use super::super::problem::LShapedStats;
use super::master::{decisions, lost, Cut, Decision, MasterRow};
use crate::milp::{self, Integrality, Links, Model, Prepared};
use crate::solve::adapter::{Live, LiveExt, ModelStatus};
use crate::solve::base::options::{SolveError, SolveOptions};
use crate::solve::base::run::{configure, highs_instance, limit_words, solve_from_basis, warm};

/// One outcome's LP, alive on its worker thread.
pub(super) struct Sub {
    pub(super) k: usize,
    pub(super) hm: Option<Live>,
    /// The objective's constant (HiGHS has none), objective units.
    pub(super) constant: f64,
    /// First pinning row; row `fix + i` pins the outcome's decision i.
    pub(super) fix: usize,
    /// The master column each pinning row follows (`None`: the outcome's
    /// own decision, left free).
    pub(super) master: Vec<Option<usize>>,
    /// First elastic column (e⁺, e⁻ of each pinning row in turn).
    pub(super) elastic: usize,
    pub(super) penalty: f64,
}

/// What a worker is asked.
#[derive(Clone)]
pub(super) enum Job {
    /// Every outcome's LP relaxation, nothing pinned: a lower bound of θ_k.
    Free,
    /// Q_k at the master's answer (its columns), with this elastic cost.
    At(Arc<Vec<f64>>, f64),
}

/// Q_k at a point and its subgradient.
pub(super) struct Eval {
    pub(super) k: usize,
    /// Objective units.
    pub(super) value: f64,
    pub(super) elastic: f64,
    /// (master column, π) of each pinned decision.
    pub(super) grad: Vec<(usize, f64)>,
    pub(super) seconds: f64,
}

/// What a worker reports once its LPs are built: per outcome, its rows over
/// the shared decisions alone.
pub(super) type Built = Vec<Vec<MasterRow>>;

impl Sub {
    pub(super) fn new(
        k: usize,
        p: &Prepared,
        master: &HashMap<Decision, usize>,
        penalty: f64,
        opts: &SolveOptions,
    ) -> Result<(Sub, Vec<MasterRow>), SolveError> {
        let Model {
            mut problem_vars,
            column,
            n_columns,
            vars,
            objective,
            rows,
            ..
        } = milp::build_with_within(
            p,
            Integrality::Lp,
            // Its sites are pinned to the master's answer: share demands'
            // link rows would only restate the demand, a row per pair.
            Links::FixedDemands,
            opts.deadline.as_ref(),
        )?;
        let decided = decisions(p, &vars);
        let shared: HashMap<Variable, usize> = decided
            .iter()
            .filter_map(|(d, v)| master.get(d).map(|&j| (*v, j)))
            .collect();
        // The outcome's rows over shared decisions alone, for the master.
        let mut master_rows = Vec::new();
        for r in &rows {
            let terms: Option<Vec<(usize, f64)>> = (&r.lhs)
                .linear_coefficients()
                .filter(|(_, c)| *c != 0.0)
                .map(|(v, c)| shared.get(&v).map(|&j| (j, c)))
                .collect();
            let Some(mut terms) = terms else { continue };
            if terms.is_empty() {
                continue;
            }
            terms.sort_by_key(|t| t.0);
            let rhs = r.rhs - r.lhs.constant();
            let (lower, upper) = match r.sense {
                milp::Sense::Le => (f64::NEG_INFINITY, rhs),
                milp::Sense::Ge => (rhs, f64::INFINITY),
                milp::Sense::Eq => (rhs, rhs),
            };
            master_rows.push(MasterRow {
                terms,
                lower,
                upper,
            });
        }
        let mut objective = objective;
        let constant = objective.constant();
        let mut pin_rows = Vec::with_capacity(decided.len());
        for (_, v) in &decided {
            let up = problem_vars.add(variable().min(0));
            let down = problem_vars.add(variable().min(0));
            objective.add_mul(penalty, up);
            objective.add_mul(penalty, down);
            pin_rows.push((Expression::from(*v) + up - down).eq(0.0));
        }
        let mut hm = highs_instance(problem_vars, objective, &rows, pin_rows)?;
        configure(&mut hm, opts, Instant::now())?;
        debug_assert_eq!(column.len(), n_columns);
        Ok((
            Sub {
                k,
                hm: Some(hm),
                constant,
                fix: rows.len(),
                master: decided
                    .iter()
                    .map(|(d, _)| master.get(d).copied())
                    .collect(),
                elastic: n_columns,
                penalty,
            },
            master_rows,
        ))
    }

    pub(super) fn eval(&mut self, job: &Job, opts: &SolveOptions) -> Result<Eval, SolveError> {
        let mut hm = self.hm.take().ok_or_else(lost)?;
        let n = self.master.len();
        let (lower, upper): (Vec<f64>, Vec<f64>) = match job {
            Job::Free => (vec![f64::NEG_INFINITY; n], vec![f64::INFINITY; n]),
            Job::At(y, penalty) => {
                if *penalty != self.penalty {
                    self.penalty = *penalty;
                    hm.set_col_costs_from(self.elastic, &vec![*penalty; 2 * n]);
                }
                self.master
                    .iter()
                    .map(|m| match m {
                        Some(j) => (y[*j], y[*j]),
                        None => (f64::NEG_INFINITY, f64::INFINITY),
                    })
                    .unzip()
            }
        };
        hm.set_row_bounds_from(self.fix, &lower, &upper);
        if let Some(s) = opts.seconds_left() {
            hm.set_time_left(s);
        }
        let t = Instant::now();
        let solved = solve_from_basis(hm, "an outcome's LP")?;
        let seconds = t.elapsed().as_secs_f64();
        let status = solved.status();
        if status != ModelStatus::Optimal {
            self.hm = Some(warm(solved));
            return Err(match status {
                s @ (ModelStatus::ReachedTimeLimit | ModelStatus::ReachedInterrupt) => {
                    SolveError::NoSolution {
                        limit: limit_words(s).into(),
                    }
                }
                ModelStatus::Infeasible | ModelStatus::UnboundedOrInfeasible => {
                    SolveError::unexplained_infeasible()
                }
                other => SolveError::Numerical(format!(
                    "HiGHS ended outcome {}'s LP with model status {other:?}",
                    self.k + 1
                )),
            });
        }
        let sol = solved.get_solution();
        let value = solved.objective_value() + self.constant;
        let elastic: f64 = sol.columns()[self.elastic..self.elastic + 2 * n]
            .iter()
            .sum();
        let duals = &sol.dual_rows()[self.fix..self.fix + n];
        let grad = self
            .master
            .iter()
            .zip(duals)
            .filter_map(|(m, &d)| m.map(|j| (j, d)))
            .collect();
        self.hm = Some(warm(solved));
        Ok(Eval {
            k: self.k,
            value,
            elastic,
            grad,
            seconds,
        })
    }
}

/// The worker threads and their channels.
pub(super) struct Workers {
    pub(super) jobs: Vec<mpsc::Sender<Job>>,
    pub(super) results: mpsc::Receiver<Result<Vec<Eval>, SolveError>>,
    pub(super) stats: LShapedStats,
}

impl Workers {
    /// Every outcome's Q_k for `job`, in outcome order.
    pub(super) fn run(&mut self, job: Job, n: usize) -> Result<Vec<Eval>, SolveError> {
        for tx in &self.jobs {
            tx.send(job.clone()).map_err(|_| lost())?;
        }
        let mut all = Vec::with_capacity(n);
        let mut first_error = None;
        for _ in 0..self.jobs.len() {
            match self.results.recv().map_err(|_| lost())? {
                Ok(evals) => all.extend(evals),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        all.sort_by_key(|e| e.k);
        self.stats.outcome_solves += all.len();
        self.stats.outcome_seconds += all.iter().map(|e| e.seconds).sum::<f64>();
        Ok(all)
    }
}

/// The cut of `e` at the master point `y`, if it separates θ there.
pub(super) fn cut_of(e: &Eval, y: &[f64], theta: f64) -> Option<Cut> {
    let slack = 1e-9 * (1.0 + e.value.abs());
    if e.value <= theta + slack {
        return None;
    }
    let constant = e.value - e.grad.iter().map(|&(j, g)| g * y[j]).sum::<f64>();
    Some(Cut {
        k: e.k,
        terms: e.grad.iter().copied().filter(|(_, g)| *g != 0.0).collect(),
        // A hair below, so that round-off in the duals cuts nothing off.
        constant: constant - slack,
    })
}
