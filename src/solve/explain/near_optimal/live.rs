//! One live LP relaxation of the range search per worker: built once, then
//! every LP end and every rounded plan is a change of costs (the end's
//! cards) and of site-decision bounds (a rounding's fixed sites) on the same
//! HiGHS instance, re-solved by simplex from the basis it has. Building the
//! model for each of these small LPs took most of their time.

use std::time::Instant;

use crate::milp::Model;
use crate::solve::adapter::{Int, Live, LiveExt, ModelStatus};
use crate::solve::base::options::SolveOptions;
use crate::solve::base::run::{configure, highs_instance, warm};

/// A live LP relaxation of the range model (binaries in [0, 1]).
pub(super) struct LiveLp {
    /// `None` once HiGHS refused a solve: every later solve gives nothing.
    hm: Option<Live>,
}

/// What one solve of the live LP gave.
pub(super) struct LpAnswer {
    /// The columns at the optimum, and their objective.
    pub cols: Vec<f64>,
    pub objective: f64,
}

impl LiveLp {
    /// The LP `lp` made live, with the run's options (one thread, fixed seed).
    pub(super) fn new(lp: &Model, opts: &SolveOptions) -> LiveLp {
        let hm = highs_instance(lp.problem_vars.clone(), lp.objective.clone(), &lp.rows, [])
            .ok()
            .and_then(|mut hm| {
                let mut o = opts.clone();
                o.log = false;
                o.time_limit_s = None;
                configure(&mut hm, &o, Instant::now()).ok()?;
                Some(hm)
            });
        LiveLp { hm }
    }

    /// Minimises `cost` (one entry per column) with the columns `fixed`
    /// pinned to their values (then set back to [0, 1]: they are the site
    /// decisions) within `seconds`; `None` unless HiGHS proves an optimum.
    pub(super) fn solve(
        &mut self,
        cost: &[f64],
        fixed: &[(usize, f64)],
        seconds: f64,
    ) -> Option<LpAnswer> {
        let mut hm = self.hm.take()?;
        hm.set_col_costs_from(0, cost);
        let cols: Vec<Int> = fixed.iter().map(|&(j, _)| j as Int).collect();
        let values: Vec<f64> = fixed.iter().map(|&(_, v)| v).collect();
        if !cols.is_empty() {
            hm.set_col_bounds(&cols, &values, &values);
        }
        hm.set_time_left(seconds);
        let solved = hm.try_solve().ok()?;
        let answer = (solved.status() == ModelStatus::Optimal).then(|| {
            let cols = solved.get_solution().columns().to_vec();
            let objective = cols.iter().zip(cost).map(|(x, c)| x * c).sum();
            LpAnswer { cols, objective }
        });
        let mut hm = warm(solved);
        if !cols.is_empty() {
            hm.set_col_bounds(&cols, &vec![0.0; cols.len()], &vec![1.0; cols.len()]);
        }
        self.hm = Some(hm);
        answer
    }
}
