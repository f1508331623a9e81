//! The second stage of a given first stage, outcome by outcome: each
//! outcome's own model with whole servers, its site decisions pinned, solved
//! on its own (in parallel). Given the first stage the outcomes share
//! nothing, and the objective (Σ p_k · cost_k + λ · CVaR_α) never falls when
//! one outcome's cost rises, so each outcome at its own optimum is the
//! optimum of them all. Every plan is checked against every row of its own
//! scenario.

use good_lp::Variable;

use super::problem::{threads, FirstStage, Outcome};
use crate::milp::{self, Integrality, Links, Prepared, Vars};
use crate::plan::Plan;
use crate::solve::base::check::check_plan;
use crate::solve::base::options::{SolveError, SolveOptions};
use crate::solve::base::read::{read_back, Values};
use crate::solve::base::run::run_highs_from;

/// The site columns of `vars` (a model of `p`) pinned to `fs`: an option is
/// open when `fs` builds its site with its cooling, a mega column is 1 at
/// the sites of `fs.mega`.
pub(super) fn pins(p: &Prepared, vars: &Vars, fs: &FirstStage) -> Vec<(Variable, f64)> {
    let mut fixed: Vec<(Variable, f64)> = p
        .options
        .iter()
        .zip(&vars.open)
        .map(|(o, v)| {
            (
                *v,
                f64::from(u8::from(fs.built.contains(&(o.site, o.cooling)))),
            )
        })
        .collect();
    for (s, m) in vars.mega.iter().enumerate() {
        if let Some(m) = m {
            fixed.push((*m, f64::from(u8::from(fs.mega.contains(&s)))));
        }
    }
    if !fs.contract_mw.is_empty() {
        for (o, c) in p.options.iter().zip(&vars.contract) {
            let mw = if fs.built.contains(&(o.site, o.cooling)) {
                fs.contract_at(o.site).unwrap_or(0.0)
            } else {
                0.0
            };
            fixed.push((*c, mw));
        }
    }
    // The hall start months listed, at the options built.
    for (o, starts) in p.options.iter().zip(&vars.start) {
        let Some(m) = fs
            .hall_start_at(o.site)
            .filter(|_| fs.built.contains(&(o.site, o.cooling)))
        else {
            continue;
        };
        for &(month, z) in starts {
            fixed.push((z, f64::from(u8::from((month - m).abs() < 1e-9))));
        }
    }
    fixed
}

/// One outcome's plan for a given first stage.
pub(super) struct OutcomePlan {
    pub plan: Plan,
    /// Its net present cost, CNY.
    pub cost_cny: f64,
    /// A proven lower bound on that cost (HiGHS's), CNY.
    pub bound_cny: f64,
    /// Columns, integer columns and rows of its model.
    pub size: (usize, usize, usize),
}

/// Every outcome's plan with the site decisions `fs`, whole servers, each to
/// the relative gap `gap`, on up to `threads` threads.
pub(super) fn whole_servers(
    outcomes: &[Outcome],
    fs: &FirstStage,
    opts: &SolveOptions,
    gap: f64,
) -> Result<Vec<OutcomePlan>, SolveError> {
    let threads = threads(opts).min(outcomes.len()).max(1);
    let mut o2 = opts.clone();
    o2.mip_gap = Some(gap);
    let o2 = &o2;
    let mut results: Vec<Option<Result<OutcomePlan, SolveError>>> =
        (0..outcomes.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..outcomes.len())
                        .step_by(threads)
                        .map(|k| (k, one(outcomes[k].p, fs, o2)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(done) => {
                    for (k, r) in done {
                        results[k] = Some(r);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    results
        .into_iter()
        .map(|r| r.expect("every outcome is solved by one thread"))
        .collect()
}

fn one(p: &Prepared, fs: &FirstStage, opts: &SolveOptions) -> Result<OutcomePlan, SolveError> {
    let model = milp::build_with_within(p, Integrality::Full, Links::All, opts.deadline.as_ref())?;
    let size = (
        model.n_columns,
        model.integer.iter().filter(|&&i| i).count(),
        model.rows.len(),
    );
    let pinned = pins(p, &model.vars, fs);
    let (raw, parts) = run_highs_from(model, opts, &pinned, None)?;
    let values = Values {
        cols: raw.cols.clone(),
        column: &parts.column,
    };
    let mut plan = read_back(p, &parts, &values, &raw);
    mark_built_now(p, fs, &mut plan);
    // A solver answer is checked against every row of its outcome before it
    // is called a plan.
    check_plan(p, &plan)?;
    plan.objective_cny = raw.objective;
    Ok(OutcomePlan {
        plan,
        cost_cny: raw.objective,
        bound_cny: raw.dual_bound.min(raw.objective),
        size,
    })
}

/// A site built now stays built in an outcome that leaves it empty (a
/// single plan drops an empty option: it would not open it); its opening
/// cost is in that outcome's cost.
pub(super) fn mark_built_now(p: &Prepared, fs: &FirstStage, plan: &mut Plan) {
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
        if sp.contract_mw.is_some() {
            sp.contract_mw = fs.contract_at(s).or(sp.contract_mw);
        }
        if let Some(m) = fs.hall_start_at(s) {
            sp.hall_start_month = Some(m);
            sp.hall_start_decided = true;
        }
    }
}
