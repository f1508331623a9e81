//! One HiGHS run of a built model: the options every solve uses, the
//! settings tried in turn when HiGHS fails numerically, and the answer's
//! status in the plan's terms. Every solve of the wing goes through here or
//! through a live model made here ([`highs_instance`], [`warm`]).

use std::time::Instant;

use good_lp::solvers::highs::highs;
use good_lp::{SolverModel, Variable};

use super::options::{SolveError, SolveOptions};
use super::read::{ModelParts, RawSolution, Values};
use crate::milp::{self, Model};
use crate::plan::Status;
use crate::solve::adapter::{Live, LiveExt, ModelStatus, Refused, SolutionStatus, Solved};

/// Hands a built model to HiGHS; `fixed` pins variables to values.
pub fn run_highs(
    model: Model,
    opts: &SolveOptions,
    fixed: &[(Variable, f64)],
) -> Result<(RawSolution, ModelParts), SolveError> {
    run_highs_from(model, opts, fixed, None)
}

/// Settings tried in turn when HiGHS fails numerically (an error status, or a
/// solve error such as "claims optimality, but with primal infeasibilities").
const RETRIES: &[(&str, &[(&str, &str)])] = &[
    ("default settings", &[]),
    ("presolve off", &[("presolve", "off")]),
    (
        "looser feasibility tolerances (1e-6, MIP 1e-5)",
        &[
            ("primal_feasibility_tolerance", "1e-6"),
            ("mip_feasibility_tolerance", "1e-5"),
        ],
    ),
];

fn set_highs_option(hm: &mut Live, k: &str, v: &str) -> bool {
    if let Ok(i) = v.parse::<i32>() {
        hm.try_set_option(k, i).is_ok()
    } else if let Ok(f) = v.parse::<f64>() {
        hm.try_set_option(k, f).is_ok()
    } else if let Ok(b) = v.parse::<bool>() {
        hm.try_set_option(k, b).is_ok()
    } else {
        hm.try_set_option(k, v).is_ok()
    }
}

/// A HiGHS instance holding `objective` (minimised) over `vars`, the model's
/// `rows` and any `extra` constraints (variables pinned to values).
pub(crate) fn highs_instance(
    vars: good_lp::ProblemVariables,
    objective: good_lp::Expression,
    rows: &[milp::Row],
    extra: impl IntoIterator<Item = good_lp::Constraint>,
) -> Result<Live, SolveError> {
    let mut problem = vars.minimise(objective).using(highs);
    for r in rows {
        problem.add_constraint(r.to_constraint());
    }
    for c in extra {
        problem.add_constraint(c);
    }
    problem
        .try_into_inner()
        .map_err(|e| SolveError::Numerical(format!("HiGHS refused the model: {e}")))
}

/// Sets the options every solve uses: a fixed seed and, unless asked
/// otherwise, one thread (the same input gives the same plan), what is left of
/// the time limit, the log, the gap and the user's HiGHS options.
pub(crate) fn configure(
    hm: &mut Live,
    opts: &SolveOptions,
    start: Instant,
) -> Result<(), SolveError> {
    // Fixed seed and, unless asked otherwise, one thread: the same input gives the same plan.
    hm.set_option("random_seed", 0);
    hm.set_option("threads", opts.threads.unwrap_or(1) as i32);
    // No restart after root presolve reductions: on the siting models the
    // restarts redo the root's cut rounds; without them the baseline's MIP
    // is proven in 0.8 s instead of 2.0 s (BENCHMARKS.md). `--highs-option
    // mip_allow_restart=true` brings them back.
    hm.set_option("mip_allow_restart", false);
    if let Some(t) = opts.time_limit_s {
        let left = (t - start.elapsed().as_secs_f64()).max(0.1);
        hm.set_option("time_limit", left);
    }
    if opts.log {
        // The log goes to stderr: stdout carries the result (`--json`).
        hm.set_option("output_flag", true);
        hm.set_option("log_to_console", false);
        hm.set_option("log_file", "/dev/stderr");
    }
    if let Some(g) = opts.mip_gap {
        hm.set_option("mip_rel_gap", g);
    }
    for (k, v) in &opts.highs_options {
        if !set_highs_option(hm, k, v) {
            return Err(SolveError::Option(format!("{k}={v}")));
        }
    }
    Ok(())
}

/// A solved LP made live again for the next round: bounds, rows or columns
/// change, and it is re-solved by dual simplex from the basis it has
/// (presolve off: presolve would start over). Used by every loop that
/// re-solves one HiGHS instance: the cut loop, pair pricing, Benders and
/// the shadow-price checks.
pub(crate) fn warm(solved: Solved) -> Live {
    let mut hm = Live::from(solved);
    hm.set_option("presolve", "off");
    hm
}

/// Solves a live LP from its last basis, and once more from scratch when
/// the simplex ends there without a clean optimum (status `Unknown`: dual
/// infeasibilities of ~1e-5 after many bound changes). `what` names the LP
/// in errors.
pub(crate) fn solve_from_basis(hm: Live, what: &str) -> Result<Solved, SolveError> {
    let run = |hm: Live| {
        hm.try_solve()
            .map_err(|e| SolveError::Numerical(format!("HiGHS returned {e:?} on {what}")))
    };
    let solved = run(hm)?;
    if solved.status() != ModelStatus::Unknown {
        return Ok(solved);
    }
    let mut hm = Live::from(solved);
    hm.clear_solver();
    run(hm)
}

/// Adds one row `θ − Σ coef · x ≥ constant` per cut to a live model: each
/// cut its θ column, its (column, coef) terms and its constant (the
/// optimality cuts of the Benders and L-shaped loops). `what` names them
/// in errors.
pub(crate) fn add_theta_cuts<T>(
    hm: &mut Live,
    cuts: impl IntoIterator<Item = (usize, T, f64)>,
    what: &str,
) -> Result<(), SolveError>
where
    T: IntoIterator<Item = (usize, f64)>,
{
    use crate::solve::adapter::{Int, Rows};
    let mut starts: Vec<Int> = Vec::new();
    let mut index: Vec<Int> = Vec::new();
    let mut value = Vec::new();
    let mut lower = Vec::new();
    for (theta, terms, constant) in cuts {
        starts.push(index.len() as Int);
        index.push(theta as Int);
        value.push(1.0);
        for (j, c) in terms {
            index.push(j as Int);
            value.push(-c);
        }
        lower.push(constant);
    }
    if lower.is_empty() {
        return Ok(());
    }
    let upper = vec![f64::INFINITY; lower.len()];
    hm.add_rows(&Rows {
        lower: &lower,
        upper: &upper,
        starts: &starts,
        index: &index,
        value: &value,
    })
    .map_err(refused(what))
}

/// [`run_highs`] with a starting solution (values by column) for HiGHS to improve on.
pub fn run_highs_from(
    model: Model,
    opts: &SolveOptions,
    fixed: &[(Variable, f64)],
    initial: Option<&[f64]>,
) -> Result<(RawSolution, ModelParts), SolveError> {
    run_highs_within(model, opts, fixed, &[], initial)
}

/// [`run_highs_from`] with each variable of `window` kept within its
/// `[low, high]` (extra rows): a restriction of the model, so its answer is
/// a plan of the model but its bound is not the model's.
pub fn run_highs_within(
    model: Model,
    opts: &SolveOptions,
    fixed: &[(Variable, f64)],
    window: &[(Variable, f64, f64)],
    initial: Option<&[f64]>,
) -> Result<(RawSolution, ModelParts), SolveError> {
    let is_mip = model.integer.iter().any(|&i| i);
    let start = Instant::now();
    let solved = solve_with_retries(&model, opts, fixed, window, initial, start)?;
    let seconds = start.elapsed().as_secs_f64();
    let status = status_of(&solved)?;
    let parts = ModelParts::of(model);
    let scale = parts.cny_per_objective_unit;
    let sol = solved.get_solution();
    let cols = sol.columns().to_vec();
    let (row_duals, col_duals) = if is_mip {
        (Vec::new(), Vec::new())
    } else {
        (sol.dual_rows().to_vec(), sol.dual_columns().to_vec())
    };
    debug_assert_eq!(cols.len(), parts.integer.len());
    let dual_bound = if is_mip {
        solved
            .double_info_value(c"mip_dual_bound")
            .unwrap_or(f64::NEG_INFINITY)
    } else {
        solved.objective_value()
    } * scale;
    let values = Values {
        cols,
        column: &parts.column,
    };
    let objective = parts.objective.eval_with(&values) * scale;
    let raw = RawSolution {
        status,
        cols: values.cols,
        objective,
        dual_bound,
        seconds,
        row_duals,
        col_duals,
    };
    Ok((raw, parts))
}

/// Solves `model` with the settings of [`RETRIES`] in turn until one gives
/// HiGHS a status that is an answer (optimal, infeasible, a limit, ...).
fn solve_with_retries(
    model: &Model,
    opts: &SolveOptions,
    fixed: &[(Variable, f64)],
    window: &[(Variable, f64, f64)],
    initial: Option<&[f64]>,
    start: Instant,
) -> Result<Solved, SolveError> {
    let mut failures = Vec::new();
    for (what, extra) in RETRIES {
        let pins = fixed
            .iter()
            .map(|&(v, x)| good_lp::Expression::from(v).eq(x))
            .chain(window.iter().flat_map(|&(v, low, high)| {
                let v = good_lp::Expression::from(v);
                [v.clone().geq(low), v.leq(high)]
            }));
        let mut hm = highs_instance(
            model.problem_vars.clone(),
            model.objective.clone(),
            &model.rows,
            pins,
        )?;
        configure(&mut hm, opts, start)?;
        for (k, v) in *extra {
            set_highs_option(&mut hm, k, v);
        }
        if let Some(cols) = initial {
            // A bad guess only costs HiGHS a check; never fail the solve over it.
            let _ = hm.try_set_solution(Some(cols), None, None, None);
        }
        match hm.try_solve() {
            Err(e) => failures.push(format!("{what}: HiGHS returned {e:?}")),
            Ok(x) => match x.status() {
                ModelStatus::NotSet
                | ModelStatus::LoadError
                | ModelStatus::ModelError
                | ModelStatus::PresolveError
                | ModelStatus::SolveError
                | ModelStatus::PostsolveError
                | ModelStatus::Unknown => {
                    failures.push(format!("{what}: model status {:?}", x.status()))
                }
                _ => return Ok(x),
            },
        }
    }
    Err(SolveError::Numerical(format!(
        "HiGHS could not solve the model ({} columns, {} rows) with any of the settings tried ({}); \
         this usually means coefficients of very different sizes: check extreme values in the \
         tables and the scenario (e.g. an uncapped per-card grant, a huge site or quota), \
         and rerun with --solver-log for HiGHS's coefficient ranges",
        model.n_columns,
        model.rows.len(),
        failures.join("; ")
    )))
}

/// HiGHS's status of an answer in the plan's terms, or the error it means.
fn status_of(solved: &Solved) -> Result<Status, SolveError> {
    let has_primal = solved.primal_solution_status() == SolutionStatus::Feasible;
    let status = match solved.status() {
        ModelStatus::Optimal => Status::Optimal,
        ModelStatus::Infeasible | ModelStatus::UnboundedOrInfeasible => {
            return Err(SolveError::unexplained_infeasible())
        }
        ModelStatus::Unbounded => return Err(SolveError::Unbounded),
        s @ (ModelStatus::ReachedTimeLimit
        | ModelStatus::ReachedIterationLimit
        | ModelStatus::ReachedSolutionLimit
        | ModelStatus::ReachedInterrupt
        | ModelStatus::ReachedMemoryLimit
        | ModelStatus::ObjectiveBound
        | ModelStatus::ObjectiveTarget) => {
            if has_primal {
                Status::Feasible
            } else {
                return Err(SolveError::NoSolution {
                    limit: limit_words(s).into(),
                });
            }
        }
        other => {
            return Err(SolveError::Numerical(format!(
                "HiGHS ended with model status {other:?}"
            )))
        }
    };
    if !has_primal {
        return Err(SolveError::Numerical(
            "HiGHS reported a status without a primal solution".into(),
        ));
    }
    Ok(status)
}

/// The error of a change HiGHS refused on a live model; `what` names it.
pub(crate) fn refused(what: &str) -> impl FnOnce(Refused) -> SolveError + '_ {
    move |_| SolveError::Numerical(format!("HiGHS refused {what}"))
}

/// A HiGHS limit status in words.
pub(crate) fn limit_words(s: ModelStatus) -> &'static str {
    match s {
        ModelStatus::ReachedTimeLimit => "time limit",
        ModelStatus::ReachedIterationLimit => "iteration limit",
        ModelStatus::ReachedSolutionLimit => "solution limit",
        ModelStatus::ReachedInterrupt => "interrupt",
        ModelStatus::ReachedMemoryLimit => "memory limit",
        _ => "objective limit",
    }
}
