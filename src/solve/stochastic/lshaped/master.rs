//! The L-shaped master: the site decisions it chooses (its columns y),
//! its rows over them, and the master LP or MIP with its θ_k (and CVaR)
//! columns; a first stage as master columns and back.

use std::time::Instant;

use good_lp::{variable, Expression, Variable};

use super::super::problem::{FirstStage, Risk};
use crate::milp::{Prepared, Vars};
use crate::solve::adapter::{Live, LiveExt, ModelStatus};
use crate::solve::base::options::{SolveError, SolveOptions};
use crate::solve::base::run::{add_theta_cuts, configure, highs_instance, limit_words, warm};

/// A site decision shared by the outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Decision {
    Open { site: usize, cooling: usize },
    Mega { site: usize },
}

/// The site decisions of a model of `p` and their columns.
pub(super) fn decisions(p: &Prepared, vars: &Vars) -> Vec<(Decision, Variable)> {
    let mut d: Vec<(Decision, Variable)> = p
        .options
        .iter()
        .zip(&vars.open)
        .map(|(o, v)| {
            (
                Decision::Open {
                    site: o.site,
                    cooling: o.cooling,
                },
                *v,
            )
        })
        .collect();
    for (s, m) in vars.mega.iter().enumerate() {
        if let Some(m) = m {
            d.push((Decision::Mega { site: s }, *m));
        }
    }
    d
}

/// A row of the master: lower ≤ Σ coef · y_j ≤ upper (j master columns).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct MasterRow {
    pub(super) terms: Vec<(usize, f64)>,
    pub(super) lower: f64,
    pub(super) upper: f64,
}

impl MasterRow {
    /// A key equal for equal rows (to add each once).
    pub(super) fn key(&self) -> Vec<u64> {
        let mut k: Vec<u64> = self
            .terms
            .iter()
            .flat_map(|&(j, c)| [j as u64, c.to_bits()])
            .collect();
        k.push(self.lower.to_bits());
        k.push(self.upper.to_bits());
        k
    }
}

/// A master (its LP relaxation or the MIP) and where its columns are.
pub(super) struct Master {
    pub(super) hm: Option<Live>,
    pub(super) is_mip: bool,
    /// Columns: y (shared decisions), then θ_k, then η and u_k (λ > 0).
    pub(super) n_y: usize,
}

/// A master's answer: its columns, objective and proven bound (objective units).
pub(super) struct Answer {
    pub(super) cols: Vec<f64>,
    pub(super) objective: f64,
    pub(super) bound: f64,
}

impl Master {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        n_y: usize,
        rows: &[MasterRow],
        lower: &[f64],
        probabilities: &[f64],
        risk: Risk,
        is_mip: bool,
        gap: f64,
        opts: &SolveOptions,
    ) -> Result<Master, SolveError> {
        let mut pv = good_lp::ProblemVariables::new();
        let y: Vec<Variable> = (0..n_y)
            .map(|_| {
                if is_mip {
                    pv.add(variable().binary())
                } else {
                    pv.add(variable().min(0).max(1))
                }
            })
            .collect();
        let theta: Vec<Variable> = lower.iter().map(|&l| pv.add(variable().min(l))).collect();
        let mut objective = Expression::default();
        for (t, p) in theta.iter().zip(probabilities) {
            objective.add_mul(*p, *t);
        }
        let mut constraints = Vec::new();
        for r in rows {
            let mut e = Expression::default();
            for &(j, c) in &r.terms {
                e.add_mul(c, y[j]);
            }
            if r.lower == r.upper {
                constraints.push(e.eq(r.lower));
                continue;
            }
            if r.lower.is_finite() {
                constraints.push(e.clone().geq(r.lower));
            }
            if r.upper.is_finite() {
                constraints.push(e.leq(r.upper));
            }
        }
        if risk.lambda > 0.0 {
            let eta = pv.add(variable());
            objective.add_mul(risk.lambda, eta);
            for (t, p) in theta.iter().zip(probabilities) {
                let u = pv.add(variable().min(0));
                objective.add_mul(risk.lambda * p / (1.0 - risk.alpha), u);
                constraints.push((Expression::from(u) + eta - *t).geq(0.0));
            }
        }
        let mut hm = highs_instance(pv, objective, &[], constraints)?;
        configure(&mut hm, opts, Instant::now())?;
        if is_mip {
            hm.set_option("mip_rel_gap", gap);
        }
        Ok(Master {
            hm: Some(hm),
            is_mip,
            n_y,
        })
    }

    pub(super) fn add_cuts(&mut self, cuts: &[Cut]) -> Result<(), SolveError> {
        let n_y = self.n_y;
        add_theta_cuts(
            self.hm.as_mut().ok_or_else(lost)?,
            cuts.iter()
                .map(|c| (n_y + c.k, c.terms.iter().copied(), c.constant)),
            "a cut of the L-shaped loop",
        )
    }

    pub(super) fn solve(
        &mut self,
        opts: &SolveOptions,
        start: Option<&[f64]>,
    ) -> Result<Answer, SolveError> {
        let mut hm = self.hm.take().ok_or_else(lost)?;
        if let Some(s) = opts.seconds_left() {
            hm.set_time_left(s);
        }
        if let Some(cols) = start {
            let _ = hm.try_set_solution(Some(cols), None, None, None);
        }
        let solved = hm
            .try_solve()
            .map_err(|e| SolveError::Numerical(format!("HiGHS returned {e:?} on the master")))?;
        let status = solved.status();
        let has_primal =
            solved.primal_solution_status() == crate::solve::adapter::SolutionStatus::Feasible;
        let answer = match status {
            ModelStatus::Optimal => Ok(()),
            ModelStatus::Infeasible | ModelStatus::UnboundedOrInfeasible => {
                Err(SolveError::unexplained_infeasible())
            }
            ModelStatus::ReachedTimeLimit | ModelStatus::ReachedInterrupt if has_primal => Ok(()),
            s @ (ModelStatus::ReachedTimeLimit | ModelStatus::ReachedInterrupt) => {
                Err(SolveError::NoSolution {
                    limit: limit_words(s).into(),
                })
            }
            other => Err(SolveError::Numerical(format!(
                "HiGHS ended the L-shaped master with model status {other:?}"
            ))),
        }
        .map(|()| {
            let cols = solved.get_solution().columns().to_vec();
            let objective = solved.objective_value();
            let bound = if self.is_mip {
                solved
                    .double_info_value(c"mip_dual_bound")
                    .unwrap_or(f64::NEG_INFINITY)
                    .min(objective)
            } else {
                objective
            };
            Answer {
                cols,
                objective,
                bound,
            }
        });
        self.hm = Some(if self.is_mip {
            Live::from(solved)
        } else {
            warm(solved)
        });
        answer
    }
}

/// The decisions taken at master point `y` (rounded to 0 / 1).
pub(super) fn rounded(y: &[f64]) -> Vec<f64> {
    y.iter().map(|v| if *v > 0.5 { 1.0 } else { 0.0 }).collect()
}

/// The master's y of a first stage: 1 for each option built and each
/// training-cluster site, 0 elsewhere.
pub(super) fn y_of(order: &[Decision], fs: &FirstStage) -> Vec<f64> {
    order
        .iter()
        .map(|d| {
            let on = match *d {
                Decision::Open { site, cooling } => fs.built.contains(&(site, cooling)),
                Decision::Mega { site } => fs.mega.contains(&site),
            };
            if on {
                1.0
            } else {
                0.0
            }
        })
        .collect()
}

pub(super) fn first_stage(order: &[Decision], y: &[f64]) -> FirstStage {
    let mut fs = FirstStage::default();
    for (d, v) in order.iter().zip(y) {
        if *v > 0.5 {
            match *d {
                Decision::Open { site, cooling } => fs.built.push((site, cooling)),
                Decision::Mega { site } => fs.mega.push(site),
            }
        }
    }
    fs.built.sort_unstable();
    fs.mega.sort_unstable();
    fs
}

/// θ_k − Σ coef · y_j ≥ constant.
#[derive(Debug, Clone)]
pub(super) struct Cut {
    pub(super) k: usize,
    pub(super) terms: Vec<(usize, f64)>,
    pub(super) constant: f64,
}

/// The error of a worker or model gone missing (a defect).
pub(super) fn lost() -> SolveError {
    SolveError::Numerical("an L-shaped worker or model was lost (a defect)".into())
}
