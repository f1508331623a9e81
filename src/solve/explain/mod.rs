//! Explanations of a solve's answer, above every strategy: the rows that
//! bind, shadow prices and their checks, the cost of each unbuilt site,
//! near-optimal ranges, and for an infeasible scenario the reasons and the
//! fixes verified by re-solves. Nothing below imports this room.

pub mod binding;
pub mod diagnose;
pub mod elastic;
pub mod near_optimal;
mod pricing;
mod reduced;
pub mod shadow;
pub mod unbuilt;

use crate::milp::Prepared;
use crate::plan::Plan;
use crate::solve::base::options::{Explain, SolveError, SolveOptions};
use crate::solve::base::read::Values;
use crate::solve::base::strategy::Solved;

/// An infeasible answer with its reasons (and, with [`Explain::Full`], the
/// fixes that each make it feasible, verified by re-solves); any other
/// error as it is.
pub fn infeasibility(p: &Prepared, opts: &SolveOptions, e: SolveError) -> SolveError {
    if !matches!(e, SolveError::Infeasible { .. }) {
        return e;
    }
    let alternatives = match opts.explain {
        Explain::Full => elastic::relaxations(p, opts),
        Explain::PlanOnly => vec![],
    };
    SolveError::Infeasible {
        reasons: diagnose::diagnose(p),
        relaxations: elastic::relaxation_lines(&alternatives),
        alternatives,
    }
}

/// The plan of a checked answer with its binding rows and, with
/// [`Explain::Full`], its shadow prices and the cost of every unbuilt site.
/// A plan of a smaller model (pair pricing) is explained as a plan of it.
pub fn plan(p: &Prepared, solved: Solved, opts: &SolveOptions) -> Result<Plan, SolveError> {
    let q = solved.reduced.as_ref().unwrap_or(p);
    let mut plan = solved.plan;
    let values = Values {
        cols: solved.cols,
        column: &solved.parts.column,
    };
    plan.binding = binding::binding_rows(q, &solved.parts, &values);
    if opts.explain == Explain::Full {
        // One pricing LP for the shadow prices, their checks and the unbuilt
        // sites (each used to build and solve its own).
        let t = std::time::Instant::now();
        let mut lp = pricing::PlanLp::new(q, &plan, opts)?;
        let t_lp = t.elapsed().as_secs_f64();
        plan.shadow_prices = shadow::shadow_prices_of(q, &plan, opts, &lp);
        let t_checks = t.elapsed().as_secs_f64() - t_lp;
        unbuilt::explain_unbuilt_with(q, &mut plan, opts, &mut lp);
        if opts.log {
            let t_unbuilt = t.elapsed().as_secs_f64() - t_lp - t_checks;
            let checked = plan.shadow_prices.iter().filter(|s| s.checked).count();
            let unbuilt = plan
                .sites
                .iter()
                .filter(|s| s.build_cost_gap_cny.is_some())
                .count();
            // Where the explanations' time goes (BENCHMARKS.md), on stderr like the solver log.
            eprintln!(
                "explain: pricing LP {t_lp:.2} s; {checked} shadow prices checked by re-solves, {t_checks:.2} s; {unbuilt} unbuilt sites' cost gaps, {t_unbuilt:.2} s"
            );
        }
    }
    Ok(plan)
}
