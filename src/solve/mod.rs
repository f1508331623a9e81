//! Solving with HiGHS (through good_lp), reading the solution back into a
//! plan, finding binding constraints and explaining infeasibility.

pub mod benders;
pub mod branch;
pub mod elastic;
pub mod links;
pub mod near_optimal;
pub mod pairs;
pub mod plan;
pub mod shadow;
pub mod solution_file;

use std::collections::HashMap;
use std::time::Instant;

use ::highs::HighsModelStatus;
use good_lp::solvers::highs::highs;
use good_lp::{Expression, Solution, SolutionStatus, SolverModel, Variable};

use crate::milp::{
    self, Family, Integrality, Model, Prepared, RowKey, Sense, CNY_PER_OBJECTIVE_UNIT,
};
pub use crate::plan::{
    Binding, CardRange, Flow, LinkStats, NearOptimal, OneSided, PairStats, Plan, ShadowPrice,
    SitePlan, Status, SubsidyPaid,
};
pub use near_optimal::{near_optimal, near_optimal_within};
pub use shadow::shadow_prices;
pub use solution_file::{parse_solution, plan_from_solution, read_solution, MAX_SOLUTION_BYTES};

/// Solver settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SolveOptions {
    pub time_limit_s: Option<f64>,
    pub mip_gap: Option<f64>,
    pub threads: Option<u32>,
    /// Let HiGHS print its log (on stderr, so that stdout stays the result).
    pub log: bool,
    /// Further HiGHS options (`name`, `value`), for experts.
    pub highs_options: Vec<(String, String)>,
    /// The end of the whole run (`--time-limit`): building the model checks
    /// it, every solve gets at most what is left of it, and once it has
    /// passed before a plan exists the solve stops with [`SolveError::TimeUp`].
    pub deadline: Option<crate::domain::Deadline>,
    /// Seconds for each re-solve that checks a proposed fix of an infeasible
    /// scenario (`None`: 12 s; `elastic::CHECK_SECONDS`). A check that runs
    /// out counts as no plan, so on a slow or busy machine a fix may be
    /// printed larger than the least that works.
    pub relaxation_check_s: Option<f64>,
}

impl SolveOptions {
    /// Seconds a solve may take: the smaller of `time_limit_s` and what is
    /// left of the run's deadline (at least 0.1 s, which HiGHS needs to start).
    pub fn seconds_left(&self) -> Option<f64> {
        let left = self.deadline.map(|d| d.left_s());
        match (self.time_limit_s, left) {
            (Some(t), Some(l)) => Some(t.min(l).max(0.1)),
            (t, l) => t.or(l).map(|x| x.max(0.1)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// No plan satisfies every constraint; `reasons` explain why in the planner's
    /// words and `relaxations` list changes, each verified by a re-solve of the
    /// integer model, that would make it feasible.
    #[error("{}", infeasible_text(.reasons, .relaxations))]
    Infeasible {
        reasons: Vec<String>,
        relaxations: Vec<String>,
        /// The same relaxations, structured: one list of changes per alternative.
        alternatives: Vec<Vec<elastic::Relaxation>>,
    },
    /// A limit stopped the search before any plan existed.
    #[error("the {limit} stopped the search before any plan was found; try a longer --time-limit, a looser --mip-gap (e.g. 0.01), or more --threads")]
    NoSolution { limit: String },
    /// The run's `--time-limit` passed before any plan existed (while
    /// building the model, or before a solve could start).
    #[error("{0}")]
    TimeUp(#[from] crate::domain::TimeUp),
    #[error("the model is unbounded (a cost or subsidy coefficient has the wrong sign)")]
    Unbounded,
    #[error("HiGHS does not accept the option {0}")]
    Option(String),
    /// HiGHS failed on every setting tried; the text says what was tried.
    #[error("{0}")]
    Numerical(String),
    /// A solution file (`--read-solution`) that cannot be read or that
    /// violates a bound or row: the user's input, named by line or row.
    #[error("{0}")]
    BadSolution(String),
    /// The solver returned a plan that violates a target or limit: a defect,
    /// never a plan.
    #[error("the solver's answer violates the scenario and is not a plan: {0}")]
    Defect(String),
}

impl SolveError {
    /// Infeasible, with no reasons or relaxations worked out (yet): what a
    /// solve reports before the caller explains it.
    pub(crate) fn unexplained_infeasible() -> SolveError {
        SolveError::Infeasible {
            reasons: vec![],
            relaxations: vec![],
            alternatives: vec![],
        }
    }
}

fn infeasible_text(reasons: &[String], relaxations: &[String]) -> String {
    let mut s = format!("the scenario is infeasible:\n  {}", reasons.join("\n  "));
    if !relaxations.is_empty() {
        s.push_str(&format!(
            "\nany one of these would make it feasible (each checked by re-solving the integer model with it; each amount the smallest that works with whole servers, to the card, 0.01 MW or 1 tce):\n  {}",
            relaxations.join(", or\n  ")
        ));
    }
    s
}

/// Primal values by column, usable wherever good_lp wants a [`Solution`].
pub struct Values<'a> {
    pub cols: Vec<f64>,
    pub column: &'a HashMap<Variable, usize>,
}

impl Solution for Values<'_> {
    fn status(&self) -> SolutionStatus {
        SolutionStatus::Optimal
    }
    fn value(&self, v: Variable) -> f64 {
        self.column.get(&v).map(|&c| self.cols[c]).unwrap_or(0.0)
    }
}

/// Raw result of one HiGHS run.
pub struct RawSolution {
    pub status: Status,
    pub cols: Vec<f64>,
    pub objective: f64,
    /// Best proven lower bound on the objective.
    pub dual_bound: f64,
    pub seconds: f64,
    /// Row duals in row order (LPs only; empty for a MIP).
    pub row_duals: Vec<f64>,
    /// Column reduced costs by column (LPs only; empty for a MIP).
    pub col_duals: Vec<f64>,
}

impl RawSolution {
    /// Relative gap between the objective and a lower bound, as HiGHS defines it.
    pub fn gap_to(&self, bound: f64) -> f64 {
        if !bound.is_finite() {
            return f64::INFINITY;
        }
        ((self.objective - bound) / self.objective.abs().max(1e-9)).max(0.0)
    }
}

/// The HiGHS library linked into this binary, as "HiGHS <major>.<minor>.<patch>"
/// (read from the library itself, so that it is the one that solves).
pub fn highs_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        // SAFETY: the version getters take no arguments and only return integers.
        let (major, minor, patch) = unsafe {
            (
                highs_sys::Highs_versionMajor(),
                highs_sys::Highs_versionMinor(),
                highs_sys::Highs_versionPatch(),
            )
        };
        format!("HiGHS {major}.{minor}.{patch}")
    })
}

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

fn set_highs_option(hm: &mut ::highs::Model, k: &str, v: &str) -> bool {
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
) -> Result<::highs::Model, SolveError> {
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
/// Sets HiGHS's time limit to `seconds` from now. HiGHS compares its
/// `time_limit` with the instance's run time summed over every solve
/// (`Highs_getRunTime`), so a live instance solved again needs the time it
/// has already run added: without it, the Benders assignment LP (1.8 s of
/// runs on capb-6000) stopped at once when 0.7 s were left, and the solve
/// reported no plan.
pub(crate) fn set_time_left(hm: &mut ::highs::Model, seconds: f64) {
    // SAFETY: a live instance; the call only reads its clock.
    let ran = unsafe { highs_sys::Highs_getRunTime(hm.as_ptr()) };
    hm.set_option("time_limit", ran + seconds);
}

pub(crate) fn configure(
    hm: &mut ::highs::Model,
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
pub(crate) fn warm(solved: ::highs::SolvedModel) -> ::highs::Model {
    let mut hm = ::highs::Model::from(solved);
    hm.set_option("presolve", "off");
    hm
}

/// [`run_highs`] with a starting solution (values by column) for HiGHS to improve on.
pub fn run_highs_from(
    model: Model,
    opts: &SolveOptions,
    fixed: &[(Variable, f64)],
    initial: Option<&[f64]>,
) -> Result<(RawSolution, ModelParts), SolveError> {
    let Model {
        problem_vars,
        column,
        n_columns,
        vars,
        objective,
        cny_per_objective_unit: scale,
        rows,
        integer,
    } = model;
    let is_mip = integer.iter().any(|&i| i);
    let mut failures = Vec::new();
    let mut solved = None;
    let start = Instant::now();
    for (what, extra) in RETRIES {
        let pins = fixed
            .iter()
            .map(|&(v, x)| good_lp::Expression::from(v).eq(x));
        let mut hm = highs_instance(problem_vars.clone(), objective.clone(), &rows, pins)?;
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
                HighsModelStatus::NotSet
                | HighsModelStatus::LoadError
                | HighsModelStatus::ModelError
                | HighsModelStatus::PresolveError
                | HighsModelStatus::SolveError
                | HighsModelStatus::PostsolveError
                | HighsModelStatus::Unknown => {
                    failures.push(format!("{what}: model status {:?}", x.status()))
                }
                _ => {
                    solved = Some(x);
                    break;
                }
            },
        }
    }
    let Some(solved) = solved else {
        return Err(SolveError::Numerical(format!(
            "HiGHS could not solve the model ({} columns, {} rows) with any of the settings tried ({}); \
             this usually means coefficients of very different sizes: check extreme values in the \
             tables and the scenario (e.g. an uncapped per-card grant, a huge site or quota), \
             and rerun with --solver-log for HiGHS's coefficient ranges",
            n_columns,
            rows.len(),
            failures.join("; ")
        )));
    };
    let seconds = start.elapsed().as_secs_f64();
    let has_primal = solved.primal_solution_status() == ::highs::HighsSolutionStatus::Feasible;
    let status = match solved.status() {
        HighsModelStatus::Optimal => Status::Optimal,
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible => {
            return Err(SolveError::unexplained_infeasible())
        }
        HighsModelStatus::Unbounded => return Err(SolveError::Unbounded),
        s @ (HighsModelStatus::ReachedTimeLimit
        | HighsModelStatus::ReachedIterationLimit
        | HighsModelStatus::ReachedSolutionLimit
        | HighsModelStatus::ReachedInterrupt
        | HighsModelStatus::ReachedMemoryLimit
        | HighsModelStatus::ObjectiveBound
        | HighsModelStatus::ObjectiveTarget) => {
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
    let sol = solved.get_solution();
    let cols = sol.columns().to_vec();
    let (row_duals, col_duals) = if is_mip {
        (Vec::new(), Vec::new())
    } else {
        (sol.dual_rows().to_vec(), sol.dual_columns().to_vec())
    };
    debug_assert_eq!(cols.len(), n_columns);
    let dual_bound = if is_mip {
        solved
            .double_info_value(c"mip_dual_bound")
            .unwrap_or(f64::NEG_INFINITY)
    } else {
        solved.objective_value()
    } * scale;
    let values = Values {
        cols: cols.clone(),
        column: &column,
    };
    let objective_value = objective.eval_with(&values) * scale;
    Ok((
        RawSolution {
            status,
            cols,
            objective: objective_value,
            dual_bound,
            seconds,
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
    ))
}

/// Column names of a model, from what each variable decides
/// (`servers-ulanqab-cold_plate-h200`); columns the builder adds for itself
/// get `total-h200-eq` or `x<column>`.
pub fn column_names(p: &Prepared, model: &Model) -> Vec<String> {
    let inst = &p.inst;
    let mut names = vec![String::new(); model.n_columns];
    let col = |v: &Variable| model.column[v];
    for (o, opt) in p.options.iter().enumerate() {
        let so = format!(
            "{}-{}",
            inst.sites[opt.site].id, inst.cooling[opt.cooling].id
        );
        names[col(&model.vars.open[o])] = format!("open-{so}");
        for (i, &a) in opt.accels.iter().enumerate() {
            names[col(&model.vars.servers[o][i])] =
                format!("servers-{so}-{}", inst.accelerators[a].id);
        }
    }
    // With deliveries: servers installed per period (`installed-<site>-<cooling>-<accel>-m<month>`).
    let months = p.period_months();
    for (o, per_accel) in model.vars.installed.iter().enumerate() {
        let opt = &p.options[o];
        for (i, per_period) in per_accel.iter().enumerate() {
            for (k, v) in per_period.iter().enumerate() {
                if let Some(v) = v {
                    names[col(v)] = format!(
                        "installed-{}-{}-{}-m{}",
                        inst.sites[opt.site].id,
                        inst.cooling[opt.cooling].id,
                        inst.accelerators[opt.accels[i]].id,
                        crate::domain::month_text(months[k])
                    );
                }
            }
        }
    }
    for (k, pair) in p.pairs.iter().enumerate() {
        names[col(&model.vars.serve[k])] = format!(
            "serve-{}-{}",
            inst.demand[pair.demand].id, inst.sites[pair.site].id
        );
    }
    for (s, m) in model.vars.mega.iter().enumerate() {
        if let Some(m) = m {
            names[col(m)] = format!("mega-{}", inst.sites[s].id);
        }
    }
    for (j, v) in model.vars.subsidy.iter().enumerate() {
        names[col(v)] = format!("subsidy-{}", inst.subsidies[j].programme_id);
    }
    let unnamed = names.iter().filter(|n| n.is_empty()).count();
    for (c, n) in names.iter_mut().enumerate() {
        if n.is_empty() {
            *n = if unnamed == 1 {
                "total-h200-eq".into()
            } else {
                format!("x{c}")
            };
        }
    }
    names
}

/// Writes the full model (binary sites, integer servers) with the plan's row
/// and column names for other solvers (Gurobi, CPLEX, COPT, …). HiGHS writes
/// it; the format follows the extension (`.mps`, `.lp`). The objective is in
/// millions of CNY ([`milp::CNY_PER_OBJECTIVE_UNIT`]). The one file `solve`
/// touches, and only through HiGHS.
pub fn write_model(p: &Prepared, path: &std::path::Path) -> Result<(), SolveError> {
    use std::ffi::CString;
    let model = milp::build(p, Integrality::Full);
    let cols = column_names(p, &model);
    let rows: Vec<String> = model.rows.iter().map(|r| r.key.name(p)).collect();
    let Model {
        problem_vars,
        objective,
        rows: model_rows,
        ..
    } = model;
    let mut hm = highs_instance(problem_vars, objective, &model_rows, [])?;
    hm.set_option("output_flag", false);
    let ptr = hm.as_mut_ptr();
    let c = |s: &str| CString::new(s).expect("names have no NUL");
    // SAFETY: `ptr` is the live HiGHS instance owned by `hm`; every index is
    // within the model just passed to it; the CStrings outlive each call.
    unsafe {
        for (i, n) in rows.iter().enumerate() {
            highs_sys::Highs_passRowName(ptr, i as highs_sys::HighsInt, c(n).as_ptr());
        }
        for (i, n) in cols.iter().enumerate() {
            highs_sys::Highs_passColName(ptr, i as highs_sys::HighsInt, c(n).as_ptr());
        }
        let file = c(&path.to_string_lossy());
        if highs_sys::Highs_writeModel(ptr, file.as_ptr()) == highs_sys::kHighsStatusError {
            return Err(SolveError::Numerical(format!(
                "HiGHS could not write {}",
                path.display()
            )));
        }
    }
    Ok(())
}

/// A HiGHS limit status in words.
fn limit_words(s: HighsModelStatus) -> &'static str {
    match s {
        HighsModelStatus::ReachedTimeLimit => "time limit",
        HighsModelStatus::ReachedIterationLimit => "iteration limit",
        HighsModelStatus::ReachedSolutionLimit => "solution limit",
        HighsModelStatus::ReachedInterrupt => "interrupt",
        HighsModelStatus::ReachedMemoryLimit => "memory limit",
        _ => "objective limit",
    }
}

/// What is left of a model after HiGHS took its variables.
pub struct ModelParts {
    pub column: HashMap<Variable, usize>,
    /// Whether each column is integer.
    pub integer: Vec<bool>,
    pub vars: milp::Vars,
    pub rows: Vec<milp::Row>,
    pub objective: good_lp::Expression,
    /// CNY per unit of `objective` and of the row duals' numerator.
    pub cny_per_objective_unit: f64,
}

impl ModelParts {
    /// What a built model leaves once its variables have gone to HiGHS.
    fn of(m: Model) -> ModelParts {
        ModelParts {
            column: m.column,
            integer: m.integer,
            vars: m.vars,
            rows: m.rows,
            objective: m.objective,
            cny_per_objective_unit: m.cny_per_objective_unit,
        }
    }
}

/// HiGHS's default relative MIP gap.
pub const DEFAULT_MIP_GAP: f64 = 1e-4;

/// Builds, solves and reads back a prepared instance, then checks, prices and
/// explains the plan.
///
/// Three phases, because branching on server counts of tens of thousands is
/// wasted effort (docs/MODELLING.md, "Solving in phases"): (0) the LP
/// relaxation, a lower bound, and a plan rounded from it; (1) unless that plan
/// is already close enough, the model with continuous server counts as a MIP
/// over the binaries (which option is built, where the mega clusters go),
/// warm-started from phase 0; (2) the full model with integer server counts
/// and phase 1's binaries fixed. The reported gap is phase 2's objective
/// against the best proven lower bound, so "optimal" means optimal for the
/// full model within the gap tolerance. When phase 2 cannot round the servers,
/// the full model is solved from scratch. The plan is then checked against
/// every target and limit ([`check_plan`]), priced ([`shadow_prices`]), and
/// every unbuilt site gets its reason.
pub fn solve(p: &Prepared, opts: &SolveOptions) -> Result<Plan, SolveError> {
    if pairs::applies(p) {
        // Hundreds of thousands of city-site pairs: priced in, not all at once.
        return pairs::solve_priced(p, opts);
    }
    solve_relaxed(p, opts, &[])
}

/// The phased solve of the model with the limits of some rows moved by an
/// amount (planner units) in the direction that relaxes them. With no change,
/// the answer is checked, priced and explained ([`solve`]); with changes it is
/// only the feasibility check of a proposed relaxation (`elastic`), so neither
/// prices nor explanations are computed.
pub(crate) fn solve_relaxed(
    p: &Prepared,
    opts: &SolveOptions,
    relax: &[(RowKey, f64)],
) -> Result<Plan, SolveError> {
    solve_phases(p, opts, relax, false)
}

/// The phased solve of [`solve`] and the check of its answer against every
/// target and limit, without the extras that cost further solves: no shadow
/// prices (the caller prices the plan's sites with
/// [`shadow::fixed_sites_lp`] if it needs to), no reasons for unbuilt sites,
/// and an infeasible scenario is explained by [`diagnose`] alone, without
/// verified relaxations. What a sweep needs of each of its many scenarios.
pub fn solve_lean(p: &Prepared, opts: &SolveOptions) -> Result<Plan, SolveError> {
    solve_phases(p, opts, &[], true)
}

/// The optimal plan only, checked against every target and limit, without
/// shadow prices or the costs of unbuilt sites: for benchmarks against
/// solvers that compute neither (`examples/orlib --plan-only`).
pub fn solve_plan_only(p: &Prepared, opts: &SolveOptions) -> Result<Plan, SolveError> {
    if pairs::applies(p) {
        return pairs::solve_priced(p, opts);
    }
    solve_phases(p, opts, &[], true)
}

/// HiGHS options of the phase-1 MIP, before the user's `--highs-option`
/// (which win). Phase 1 starts from phase 0's rounded plan, and on these
/// models RENS, feasibility jump and cut separation below the root cost more
/// than they find: the baseline takes 0.95 s instead of 1.68 s end to end,
/// campus_phases 1.05 instead of 2.56 s, the 37 small OR-Library instances
/// 2.87 instead of 3.50 s; every shipped scenario's plan is the same file for
/// file except levy_on_top's mega cluster, which moves between two sites at
/// the same cost to the yuan (a tie), and shanghai_domestic_capex's
/// objective_cny, 13 CNY higher (6e-11) with the same sites, regions and
/// flows files. Turning RINS off as well was faster still (0.64 s) but
/// changed the baseline's servers within the gap.
const PHASE1_HIGHS_OPTIONS: [(&str, &str); 3] = [
    ("mip_heuristic_run_rens", "false"),
    ("mip_heuristic_run_feasibility_jump", "false"),
    ("mip_allow_cut_separation_at_nodes", "false"),
];

fn solve_phases(
    p: &Prepared,
    opts: &SolveOptions,
    relax: &[(RowKey, f64)],
    lean: bool,
) -> Result<Plan, SolveError> {
    // The link rows in the model so far (the cut loop, `links.rs`).
    let links = std::cell::RefCell::new(links::LinkSet::new(p));
    let build = |integrality| -> Result<Model, SolveError> {
        let mut m = milp::build_with_within(
            p,
            integrality,
            links.borrow().links(),
            opts.deadline.as_ref(),
        )?;
        for &(key, amount) in relax {
            m.relax(key, amount);
        }
        Ok(m)
    };
    let t0 = Instant::now();
    crate::domain::check_deadline(opts.deadline.as_ref(), "waiting for the solver")?;
    let tolerance = opts.mip_gap.unwrap_or(DEFAULT_MIP_GAP);
    let infeasible = || {
        if !relax.is_empty() {
            return SolveError::unexplained_infeasible();
        }
        if lean {
            return SolveError::Infeasible {
                reasons: diagnose(p),
                relaxations: vec![],
                alternatives: vec![],
            };
        }
        let alternatives = elastic::relaxations(p, opts);
        SolveError::Infeasible {
            reasons: diagnose(p),
            relaxations: elastic::relaxation_lines(&alternatives),
            alternatives,
        }
    };
    // This solve's own limit, and the run's deadline when it comes first.
    let deadline = match (
        opts.time_limit_s
            .map(|t| crate::domain::instant_after(t0, t)),
        opts.deadline.map(|d| d.at),
    ) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let left = |o: &SolveOptions| {
        let mut o = o.clone();
        if let Some(d) = deadline {
            o.time_limit_s = Some(
                d.saturating_duration_since(Instant::now())
                    .as_secs_f64()
                    .max(0.1),
            );
        }
        o
    };
    // With many city-site pairs, Benders decomposition chooses the sites
    // (binaries) and proves the bound; the phases below round the servers.
    let mut benders_stats = None;
    let mut branch_stats = None;
    let mut build_seconds = 0.0;
    let (bound, chosen_open, chosen_mega, start_cols) = if relax.is_empty() && benders::applies(p) {
        let mut o = left(opts);
        // Leave a fifth of what is left for rounding the servers.
        if let Some(t) = o.time_limit_s {
            o.time_limit_s = Some((0.8 * t).max(0.1));
        }
        let out = match benders::solve_sites(p, &o, 0.5 * tolerance) {
            Ok(x) => x,
            Err(SolveError::Infeasible { .. }) => return Err(infeasible()),
            Err(e) => return Err(e),
        };
        build_seconds += out.build_seconds;
        benders_stats = Some(out.stats);
        (out.lower_bound, out.open, out.mega, None)
    } else {
        // Phase 1 aims at half the tolerance, leaving the other half for rounding servers.
        let mut opts1 = left(opts);
        opts1.mip_gap = Some(0.5 * tolerance);
        // Leave a fifth of what is left for rounding the servers of the final plan.
        if let Some(t) = opts1.time_limit_s {
            opts1.time_limit_s = Some((0.8 * t).max(0.1));
        }
        let node_limit = branch::node_limit(p, &links.borrow());
        let (lp_bound, mut heuristic, phase0_build, mut proven) = if let Some(nodes) = node_limit {
            // Phases 0 and 1 by our own branch and bound from the cut loop's
            // LP (`branch.rs`); HiGHS's MIP below only if a limit stops it.
            let (out, build) = match branch_lp(p, &opts1, &build, &links, nodes) {
                Ok(x) => x,
                Err(SolveError::Infeasible { .. }) => return Err(infeasible()),
                Err(e) => return Err(e),
            };
            branch_stats = Some(out.stats);
            (out.bound, out.best, build, out.stats.finished)
        } else {
            // Phase 0: the LP relaxation (a lower bound) and a plan rounded
            // from it, which large instances need as a first incumbent.
            let (lp_bound, heuristic, phase0_build) = match round_lp(p, &left(opts), &build, &links)
            {
                Ok(x) => x,
                Err(SolveError::Infeasible { .. }) => return Err(infeasible()),
                Err(e) => return Err(e),
            };
            (lp_bound, heuristic, phase0_build, false)
        };
        build_seconds += phase0_build;
        // Every bound below comes from a model with some of the link rows, a
        // relaxation of the full model, so it is a valid bound for the full model.
        let mut bound = lp_bound;
        let (raw1, parts1) = loop {
            // The branch and bound's plan is proven within the gap (to the
            // yuan when the gap is tighter: HiGHS's `mip_abs_gap`).
            let good_enough = heuristic
                .as_ref()
                .is_some_and(|h| proven || h.0.gap_to(bound) <= 0.5 * tolerance);
            proven = false;
            let (raw1, parts1) = if good_enough {
                heuristic.take().expect("checked above")
            } else {
                let t = Instant::now();
                let relaxed = build(Integrality::ContinuousServers)?;
                build_seconds += t.elapsed().as_secs_f64();
                let start = heuristic.as_ref().map(|h| h.0.cols.clone());
                let mut o = left(&opts1);
                if let (Some(a), Some(b)) = (o.time_limit_s, opts1.time_limit_s) {
                    o.time_limit_s = Some(a.min(b));
                }
                let mut h: Vec<(String, String)> = PHASE1_HIGHS_OPTIONS
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                h.append(&mut o.highs_options);
                o.highs_options = h;
                match run_highs_from(relaxed, &o, &[], start.as_deref()) {
                    Ok((raw, parts)) => {
                        bound = bound.max(raw.dual_bound);
                        // HiGHS may stop (time limit) with a worse plan than the rounded one.
                        match heuristic.take() {
                            Some(h) if h.0.objective < raw.objective => (h.0, h.1),
                            _ => (raw, parts),
                        }
                    }
                    Err(SolveError::Infeasible { .. }) => return Err(infeasible()),
                    Err(SolveError::NoSolution { .. }) if heuristic.is_some() => {
                        heuristic.take().expect("checked")
                    }
                    Err(e) => return Err(e),
                }
            };
            let values1 = Values {
                cols: raw1.cols.clone(),
                column: &parts1.column,
            };
            let violated = links.borrow().violated(p, &parts1.vars, &values1);
            if violated.is_empty() {
                break (raw1, parts1);
            }
            // The answer breaks link rows the model did not hold: add them and
            // solve again (the bound found so far stays valid).
            let mut l = links.borrow_mut();
            l.add(&violated);
            l.mip_rounds += 1;
        };
        let values1 = Values {
            cols: raw1.cols.clone(),
            column: &parts1.column,
        };
        let open: Vec<f64> = parts1.vars.open.iter().map(|v| values1.value(*v)).collect();
        let mega: Vec<Option<f64>> = parts1
            .vars
            .mega
            .iter()
            .map(|v| v.map(|v| values1.value(v)))
            .collect();
        (bound, open, mega, Some(raw1.cols))
    };
    // The time limit bounds the search; rounding the servers of the chosen
    // plan (binaries fixed, usually fast) gets at least a few seconds.
    let mut remaining = left(opts);
    // Phase 1 is within half the tolerance of the bound; rounding gets the
    // other half, less a margin: its own gap is against its own bound (at
    // most phase 1's cost), so the plan stays within the tolerance overall.
    remaining.mip_gap = Some(0.4 * tolerance);
    // After Benders there is no phase-1 plan to start from, and at HiGHS's
    // default MIP feasibility tolerance (1e-6) rounding cap41's servers with
    // the optimal sites fixed ended 84 CNY above the assignment's optimum
    // (OR-Library costs are 1e-6 objective units a card): tighter, it is exact.
    if benders_stats.is_some()
        && !remaining
            .highs_options
            .iter()
            .any(|(k, _)| k == "mip_feasibility_tolerance")
    {
        remaining
            .highs_options
            .push(("mip_feasibility_tolerance".into(), "1e-9".into()));
    }
    if let (Some(t), Some(total)) = (remaining.time_limit_s, opts.time_limit_s) {
        remaining.time_limit_s = Some(t.max((0.1 * total).clamp(2.0, 30.0)));
    }
    let mut fallback = false;
    // The branch and bound's plan is an LP optimum for its binaries; when its
    // server counts are whole it is the full model's plan as it stands.
    let branched_plan = branch_stats.is_some_and(|s| s.finished);
    let (mut raw, parts, n_rows, n_cols, n_int) = loop {
        let t1 = Instant::now();
        let full = build(Integrality::Full)?;
        build_seconds += t1.elapsed().as_secs_f64();
        let n_rows = full.rows.len();
        let n_cols = full.n_columns;
        let n_int = full.integer.iter().filter(|&&i| i).count();
        let fixed: Vec<(Variable, f64)> = full
            .vars
            .open
            .iter()
            .zip(&chosen_open)
            .chain(
                full.vars
                    .mega
                    .iter()
                    .zip(&chosen_mega)
                    .filter_map(|(a, b)| Some((a.as_ref()?, b.as_ref()?))),
            )
            .map(|(v, x)| (*v, x.round()))
            .collect();
        // Phase 1's plan (fractional servers) is the starting point HiGHS repairs.
        if let Some(cols) = start_cols.as_deref() {
            if branched_plan && !fallback && is_whole(&full, cols) {
                let (raw, parts) = whole_plan(full, cols);
                break (raw, parts, n_rows, n_cols, n_int);
            }
        }
        let solved = if fallback {
            match run_highs(full, &remaining, &[]) {
                Err(SolveError::Infeasible { .. }) => return Err(infeasible()),
                other => other?,
            }
        } else {
            match run_highs_from(full, &remaining, &fixed, start_cols.as_deref()) {
                Ok(x) => x,
                Err(SolveError::Infeasible { .. }) | Err(SolveError::NoSolution { .. })
                    if !relax.is_empty() =>
                {
                    // A relaxation check: the phases did not find a plan; undecided.
                    return Err(SolveError::NoSolution {
                        limit: "relaxation check".into(),
                    });
                }
                Err(SolveError::Infeasible { .. }) | Err(SolveError::NoSolution { .. }) => {
                    // Rounding failed with these binaries: solve the full model.
                    fallback = true;
                    continue;
                }
                Err(e) => return Err(e),
            }
        };
        let values = Values {
            cols: solved.0.cols.clone(),
            column: &solved.1.column,
        };
        let violated = links.borrow().violated(p, &solved.1.vars, &values);
        if violated.is_empty() {
            break (solved.0, solved.1, n_rows, n_cols, n_int);
        }
        let mut l = links.borrow_mut();
        l.add(&violated);
        l.mip_rounds += 1;
    };
    raw.seconds = t0.elapsed().as_secs_f64() - build_seconds;
    // Phase 1 bounds the full model; a from-scratch full solve has its own valid bound.
    let lower = if fallback {
        bound.max(raw.dual_bound)
    } else {
        bound
    };
    let mip_gap = raw.gap_to(lower);
    // The gap is measured against a proven lower bound, so within the
    // tolerance it proves optimality, whichever phase found the plan.
    // (or within 1 CNY, HiGHS's own absolute gap `mip_abs_gap` in objective
    // units; or, when Benders proved the bound, within its precision).
    let floor = if benders_stats.is_some() {
        benders::PRECISION
    } else {
        0.0
    };
    raw.status = if mip_gap <= tolerance.max(floor) + 1e-12 || raw.objective - lower <= 1.0 {
        Status::Optimal
    } else {
        Status::Feasible
    };
    let values = Values {
        cols: raw.cols.clone(),
        column: &parts.column,
    };
    let binding = binding_rows(p, &parts, &values);
    let mut plan = plan::read_back(p, &parts, &values, &raw);
    plan.mip_gap = mip_gap;
    plan.binding = binding;
    plan.build_seconds = build_seconds;
    plan.model_size = (n_cols, n_int, n_rows);
    plan.link_rows = links.borrow().stats(p).map(|mut l| {
        l.benders = benders_stats;
        l.branch = branch_stats;
        l
    });
    if !relax.is_empty() {
        return Ok(plan);
    }
    // A solver answer is checked against the scenario before it is called a plan.
    check_plan(p, &plan)?;
    if lean {
        return Ok(plan);
    }
    plan.shadow_prices = shadow_prices(p, &plan, opts)?;
    explain_unbuilt(p, &mut plan, opts);
    Ok(plan)
}

/// Gives every unbuilt site that could have been built a reason: the extra
/// net present cost of building it (its cheapest cooling, the plan's other
/// sites kept, server counts continuous), or that it does not fit beside them.
/// Sites that could never be built keep their reason from `Prepared`.
pub(crate) fn explain_unbuilt(p: &Prepared, plan: &mut Plan, opts: &SolveOptions) {
    use rayon::prelude::*;
    let Ok(base) = shadow::pricing_lp(p, plan, opts, None, &[]) else {
        return;
    };
    let candidates: Vec<usize> = plan
        .sites
        .iter()
        .filter(|s| !s.built && p.site_reason[s.site].is_none())
        .map(|s| s.site)
        .collect();
    let options_of = |s: usize| {
        p.options
            .iter()
            .enumerate()
            .filter(move |(_, o)| o.site == s)
            .map(|(o, opt)| (o, opt.cooling))
    };
    let n_options: usize = candidates.iter().map(|&s| options_of(s).count()).sum();
    // Exact re-solves for national-size instances; for thousands of candidate
    // options the reduced cost of opening each (a lower bound, from one LP).
    let exact = n_options <= MAX_FORCED_OPTIONS;
    let gaps: Vec<(usize, Option<(f64, usize)>)> = candidates
        .par_iter()
        .map(|&s| {
            let best = options_of(s)
                .filter_map(|(o, k)| {
                    if exact {
                        shadow::pricing_lp(p, plan, opts, None, &[(o, 1.0)])
                            .ok()
                            .map(|x| (x.cost_cny - base.cost_cny, k))
                    } else {
                        Some((base.open_duals_cny[o], k))
                    }
                })
                .min_by(|a, b| a.0.total_cmp(&b.0));
            (s, best)
        })
        .collect();
    for (s, best) in gaps {
        let sp = &mut plan.sites[s];
        match best {
            Some((gap, k)) => {
                sp.build_cost_gap_cny = Some(gap);
                sp.not_built_reason = Some(if exact {
                    format!(
                        "possible but not chosen: building it ({}, the plan's other sites kept) would cost {} CNY more",
                        p.inst.cooling[k].id,
                        group_thousands(gap.round() as i64)
                    )
                } else {
                    format!(
                        "possible but not chosen: building it ({}, the plan's other sites kept) would cost at least {} CNY more (reduced cost of opening it)",
                        p.inst.cooling[k].id,
                        group_thousands(gap.round() as i64)
                    )
                });
            }
            None => {
                sp.not_built_reason = Some(
                    "possible but not chosen: it does not fit beside the plan's sites (its minimum size or a cluster would break a quota or target)".into(),
                );
            }
        }
    }
}

/// Most candidate options whose cost gap is measured by re-solving (the
/// baseline has 42 with air at a lower density, 38 before); beyond,
/// the reduced cost of opening each is reported instead (one LP).
const MAX_FORCED_OPTIONS: usize = 64;

/// 1234567 → "1,234,567".
fn group_thousands(x: i64) -> String {
    let digits = x.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Checks a plan read back from the solver against the scenario's targets and
/// limits, recomputed from its whole servers (independently of the rows).
pub fn check_plan(p: &Prepared, plan: &Plan) -> Result<(), SolveError> {
    let inst = &p.inst;
    let mut bad = Vec::new();
    let close_le = |x: f64, lim: f64| x <= lim + 1e-6 * (1.0 + lim.abs());
    for (a, acc) in inst.accelerators.iter().enumerate() {
        let Some(t) = inst.targets.get(&acc.id) else {
            continue;
        };
        let cards = plan.cards_of(a) as f64;
        if !close_le(t.min, cards) {
            bad.push(format!(
                "{} cards placed, the target asks for at least {}",
                acc.id, t.min
            ));
        }
        if let Some(max) = t.max {
            if !close_le(cards, max) {
                bad.push(format!(
                    "{} cards placed, the target allows at most {}",
                    acc.id, max
                ));
            }
        }
    }
    let share = inst.params.domestic_share;
    if share > 0.0 {
        let (dom, all) = dual_track_sums(inst, |a| plan.cards_of(a) as f64);
        if !close_le(share * all, dom) {
            bad.push(format!(
                "domestic share {:.4} below the dual-track share {share}",
                if all > 0.0 { dom / all } else { 0.0 }
            ));
        }
    }
    let by_region = plan.region_totals();
    for (r, region) in inst.regions.iter().enumerate() {
        let t = &by_region[r];
        for q in crate::milp::Quota::ALL {
            let (Some(limit), used) = (region.quota(q), t.quota_use[q]) else {
                continue;
            };
            if !close_le(used, limit) {
                let (unit, words) = (q.traits().unit.as_str(), q.traits().words);
                bad.push(format!(
                    "{} uses {used:.3} {unit} of its {words} of {limit}",
                    region.id
                ));
            }
        }
        if let Some(b) = inst.region_bounds.get(&region.id) {
            let cards = t.cards_total() as f64;
            if b.min_cards.is_some_and(|m| !close_le(m, cards))
                || b.max_cards.is_some_and(|m| !close_le(cards, m))
            {
                bad.push(format!(
                    "{} holds {cards} cards, outside its bounds",
                    region.id
                ));
            }
        }
    }
    let groups = plan
        .cluster_totals()
        .into_iter()
        .zip(&inst.clusters)
        .map(|(t, c)| {
            (
                t,
                inst.cluster_bounds.get(&c.id),
                format!("cluster {}", c.id),
            )
        })
        .chain(plan.tier_totals().into_iter().map(|(tier, t)| {
            (
                t,
                inst.tier_bounds.get(&tier),
                format!("tier {}", tier.as_str()),
            )
        }));
    for (t, b, what) in groups {
        let cards = t.cards_total() as f64;
        if let Some(b) = b {
            if b.min_cards.is_some_and(|m| !close_le(m, cards))
                || b.max_cards.is_some_and(|m| !close_le(cards, m))
            {
                bad.push(format!("{what} holds {cards} cards, outside its bounds"));
            }
        }
    }
    // IT MW each site's chosen option has ready (one pass over the options).
    let mut ready_of = vec![None; plan.sites.len()];
    for o in &p.options {
        if plan.sites[o.site].cooling == Some(o.cooling) {
            ready_of[o.site] = Some(o.ready_it_mw);
        }
    }
    for sp in &plan.sites {
        let site = &inst.sites[sp.site];
        let ready = ready_of[sp.site].unwrap_or(site.max_it_mw);
        if !close_le(sp.it_mw, ready) {
            bad.push(format!(
                "site {} uses {:.3} MW of IT, {ready} ready by the deadline",
                site.id, sp.it_mw
            ));
        }
        if site.status.must_open() && !sp.built {
            bad.push(format!(
                "site {} is {} but not built",
                site.id,
                site.status.as_str()
            ));
        }
    }
    let prm = &inst.params;
    if prm.mega_count > 0 && prm.mega_cards > 0.0 {
        let clusters = plan
            .sites
            .iter()
            .filter(|sp| {
                sp.mega_cluster
                    && inst
                        .accelerators
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| prm.mega_accelerators.contains(&a.id))
                        .map(|(a, _)| sp.cards[a] as f64)
                        .sum::<f64>()
                        >= prm.mega_cards - 1e-6
            })
            .count();
        if (clusters as u32) < prm.mega_count {
            bad.push(format!(
                "{clusters} mega cluster(s) of {} cards, {} asked for",
                prm.mega_cards, prm.mega_count
            ));
        }
    }
    if let (Some(s), Some(ph)) = (&plan.schedule, p.phases()) {
        check_schedule(p, plan, s, &ph, &mut bad);
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(SolveError::Defect(bad.join("; ")))
    }
}

/// Domestic and all cards of a count per accelerator, in the dual-track
/// basis (cards, or H200-eq).
fn dual_track_sums(inst: &crate::domain::Instance, cards: impl Fn(usize) -> f64) -> (f64, f64) {
    let (mut dom, mut all) = (0.0, 0.0);
    for (a, acc) in inst.accelerators.iter().enumerate() {
        let x = cards(a)
            * match inst.params.domestic_share_basis {
                crate::domain::ShareBasis::Cards => 1.0,
                crate::domain::ShareBasis::H200Eq => acc.perf_h200_eq,
            };
        all += x;
        if acc.origin == crate::domain::Origin::Domestic {
            dom += x;
        }
    }
    (dom, all)
}

/// The schedule of a phased plan against the deliveries, the IT each site
/// has ready by each period and the dual-track share of each period,
/// recomputed from its installed servers.
fn check_schedule(
    p: &Prepared,
    plan: &Plan,
    s: &crate::plan::Schedule,
    ph: &milp::Phases,
    bad: &mut Vec<String>,
) {
    let inst = &p.inst;
    let n_acc = inst.accelerators.len();
    let close_le = |x: f64, lim: f64| x <= lim + 1e-6 * (1.0 + lim.abs());
    let by_period = s.cards_by_period(n_acc);
    for (a, acc) in inst.accelerators.iter().enumerate() {
        for (k, per) in s.periods.iter().enumerate() {
            let cards = by_period[k][a] as f64;
            match ph.delivered[a].as_ref().map(|r| r[k]) {
                None => {}
                Some(None) if cards > 0.0 => bad.push(format!(
                    "{cards} {} cards installed for month {} without a delivery",
                    acc.id, per.month
                )),
                Some(Some((min, max))) if !close_le(min, cards) || !close_le(cards, max) => {
                    bad.push(format!(
                        "{cards} {} cards installed for month {}, the deliveries bring {min} to {max}",
                        acc.id, per.month
                    ));
                }
                Some(_) => {}
            }
        }
    }
    // Per site: cumulative IT by period against what its option has ready.
    for (o, opt) in p.options.iter().enumerate() {
        let sp = &plan.sites[opt.site];
        if sp.cooling != Some(opt.cooling) {
            continue;
        }
        let mut it = 0.0;
        for (k, per) in s.periods.iter().enumerate() {
            it += s
                .installations
                .iter()
                .filter(|x| x.site == opt.site && x.period == k)
                .map(|x| x.servers as f64 * inst.accelerators[x.accel].server_kw / 1000.0)
                .sum::<f64>();
            if !close_le(it, ph.ready_mw[o][k]) {
                bad.push(format!(
                    "site {} has {it:.3} MW of IT installed by month {}, {:.3} ready then",
                    inst.sites[opt.site].id, per.installed_by, ph.ready_mw[o][k]
                ));
            }
        }
        let total: u64 = sp.cards.iter().sum();
        if sp.cards_by_period.last().is_some_and(|&c| c != total) {
            bad.push(format!(
                "site {}: the schedule installs {} cards, the plan holds {total}",
                inst.sites[opt.site].id,
                sp.cards_by_period.last().copied().unwrap_or(0)
            ));
        }
    }
    let share = inst.params.domestic_share;
    if share > 0.0 {
        let (mut dom, mut all) = (0.0, 0.0);
        for (k, per) in s.periods.iter().enumerate() {
            let (d, a) = dual_track_sums(inst, |a| by_period[k][a] as f64);
            dom += d;
            all += a;
            if !close_le(share * all, dom) {
                bad.push(format!(
                    "domestic share {:.4} of the cards installed for month {} below the dual-track share {share}",
                    if all > 0.0 { dom / all } else { 0.0 },
                    per.month
                ));
            }
        }
    }
}

/// Phase 0: solves the LP relaxation for a lower bound, then rounds its
/// binary decisions (per site the option the LP uses most; the mega clusters
/// at the sites the LP leans on most) and solves the model with continuous
/// servers and those binaries fixed. Returns the LP bound and, when the
/// rounded binaries are feasible, that plan (columns of the
/// continuous-server model).
type Rounded = (f64, Option<(RawSolution, ModelParts)>, f64);

fn round_lp(
    p: &Prepared,
    opts: &SolveOptions,
    build: &dyn Fn(Integrality) -> Result<Model, SolveError>,
    links: &std::cell::RefCell<links::LinkSet>,
) -> Result<Rounded, SolveError> {
    let t = Instant::now();
    let lp = build(Integrality::Lp)?;
    let mut build_seconds = t.elapsed().as_secs_f64();
    // With link rows left out, LP rounds add the ones the LP violates: the
    // bound of the LP with every link row, from a fraction of them.
    let separated = links.borrow().separated;
    let (raw, parts) = if separated {
        links::lp_rounds(p, opts, lp, &mut links.borrow_mut())?
    } else {
        run_highs(lp, opts, &[])?
    };
    let bound = raw.objective;
    let values = Values {
        cols: raw.cols.clone(),
        column: &parts.column,
    };
    let (open, mega) = round_binaries(p, &parts.vars, &values);
    let t = Instant::now();
    let model = build(Integrality::ContinuousServers)?;
    build_seconds += t.elapsed().as_secs_f64();
    let mut fixed: Vec<(Variable, f64)> = model
        .vars
        .open
        .iter()
        .zip(&open)
        .map(|(v, x)| (*v, *x))
        .collect();
    for (m, x) in model.vars.mega.iter().zip(&mega) {
        if let (Some(m), Some(x)) = (m, x) {
            fixed.push((*m, *x));
        }
    }
    match run_highs(model, opts, &fixed) {
        Ok((mut h, hp)) => {
            h.dual_bound = bound;
            h.status = Status::Feasible;
            let values = Values {
                cols: h.cols.clone(),
                column: &hp.column,
            };
            let violated = links.borrow().violated(p, &hp.vars, &values);
            if !violated.is_empty() {
                // Not a plan of the full model: keep the rows, drop the plan.
                links.borrow_mut().add(&violated);
                return Ok((bound, None, build_seconds));
            }
            Ok((bound, Some((h, hp)), build_seconds))
        }
        Err(SolveError::Infeasible { .. }) | Err(SolveError::NoSolution { .. }) => {
            Ok((bound, None, build_seconds))
        }
        Err(e) => Err(e),
    }
}

/// The binaries of an LP solution rounded to a plan: per site, the option
/// with the largest value is built if that value is above 1e-6 (or the site
/// must be built); the mega clusters go to the sites with the largest values.
/// Returns the opens per option and the mega decisions per site (`None`
/// where a site has none).
pub(crate) fn round_binaries(
    p: &Prepared,
    vars: &milp::Vars,
    values: &Values,
) -> (Vec<f64>, Vec<Option<f64>>) {
    let mut open = vec![0.0; p.options.len()];
    for s in 0..p.inst.sites.len() {
        let best = p
            .options
            .iter()
            .enumerate()
            .filter(|(_, o)| o.site == s)
            .map(|(k, _)| (k, values.value(vars.open[k])))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        if let Some((k, v)) = best {
            if v > 1e-6 || p.inst.sites[s].status.must_open() {
                open[k] = 1.0;
            }
        }
    }
    let mut by_value: Vec<(usize, f64)> = vars
        .mega
        .iter()
        .enumerate()
        .filter_map(|(s, m)| Some((s, values.value((*m)?))))
        .collect();
    by_value.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut mega: Vec<Option<f64>> = vars.mega.iter().map(|m| m.map(|_| 0.0)).collect();
    for &(s, _) in by_value.iter().take(p.inst.params.mega_count as usize) {
        mega[s] = Some(1.0);
    }
    (open, mega)
}

/// Whether every integer column of `full` is within 1e-9 of a whole
/// number in `cols`.
fn is_whole(full: &Model, cols: &[f64]) -> bool {
    cols.len() == full.n_columns
        && full
            .integer
            .iter()
            .zip(cols)
            .all(|(&i, &x)| !i || (x - x.round()).abs() <= 1e-9)
}

/// `cols` (whole where [`is_whole`]) as a solution of `full`, its integer
/// columns rounded.
fn whole_plan(full: Model, cols: &[f64]) -> (RawSolution, ModelParts) {
    let cols: Vec<f64> = full
        .integer
        .iter()
        .zip(cols)
        .map(|(&i, &x)| if i { x.round() } else { x })
        .collect();
    let parts = ModelParts::of(full);
    let values = Values {
        cols,
        column: &parts.column,
    };
    let objective = parts.objective.eval_with(&values) * parts.cny_per_objective_unit;
    let raw = RawSolution {
        status: Status::Optimal,
        cols: values.cols,
        objective,
        dual_bound: f64::NEG_INFINITY,
        seconds: 0.0,
        row_duals: Vec::new(),
        col_duals: Vec::new(),
    };
    (raw, parts)
}

/// Phases 0 and 1 of a model with link rows: the LP relaxation by the cut
/// loop, then [`branch::solve_binaries`] on the same live LP. Returns what
/// the search found (its bound at least the root LP's) and the seconds spent
/// building the LP.
fn branch_lp(
    p: &Prepared,
    opts: &SolveOptions,
    build: &dyn Fn(Integrality) -> Result<Model, SolveError>,
    links: &std::cell::RefCell<links::LinkSet>,
    max_nodes: usize,
) -> Result<(branch::Outcome, f64), SolveError> {
    let t = Instant::now();
    let lp = build(Integrality::Lp)?;
    let build_seconds = t.elapsed().as_secs_f64();
    let mut links = links.borrow_mut();
    let (root, parts, live) = links::lp_rounds_live(p, opts, lp, &mut links)?;
    let mut out = branch::solve_binaries(p, opts, live, parts, &mut links, max_nodes)?;
    out.bound = out.bound.max(root.objective);
    Ok((out, build_seconds))
}

/// Whether the thing a row is about is in use in the plan: a row of a closed
/// option, a site without a mega cluster or a programme that pays nothing is
/// trivially at its limit (0 ≤ 0) and says nothing.
fn row_in_use(p: &Prepared, key: RowKey, vars: &milp::Vars, values: &Values) -> bool {
    let on = |v: Variable| values.value(v) > 0.5;
    match key {
        RowKey::SitePower { option }
        | RowKey::SiteMinSize { option }
        | RowKey::PeriodReady { option, .. } => on(vars.open[option]),
        RowKey::MegaSize { site } => vars.mega[site].is_some_and(on),
        RowKey::InferenceCapacity { site } => p
            .options
            .iter()
            .enumerate()
            .any(|(o, opt)| opt.site == site && on(vars.open[o])),
        RowKey::SubsidyRate { programme } => {
            values.value(vars.subsidy[programme]) * CNY_PER_OBJECTIVE_UNIT > 0.5
        }
        _ => true,
    }
}

/// Binding rows of a plan: inequality rows whose slack is numerically zero,
/// or, for rows over whole servers, smaller than one server's step towards
/// the limit (one more, or, where some are placed, one fewer; for a share row
/// that both moves approach, the removal's).
/// Equalities (exact targets) always hold and are not listed; neither are the
/// cooling choice, definitions and city-site links.
pub fn binding_rows(p: &Prepared, parts: &ModelParts, values: &Values) -> Vec<Binding> {
    use good_lp::IntoAffineExpression;
    let servers: std::collections::HashSet<Variable> = parts.vars.server_columns().collect();
    let mut out = Vec::new();
    for r in &parts.rows {
        let family = r.family();
        if r.sense == Sense::Eq || !family.traits().listed_binding {
            continue;
        }
        if !row_in_use(p, r.key, &parts.vars, values) {
            continue;
        }
        let lhs = Expression::eval_with(&r.lhs, values);
        let slack = match r.sense {
            Sense::Le => r.rhs - lhs,
            _ => lhs - r.rhs,
        };
        let tol = 1e-6 * (1.0 + r.rhs.abs());
        let mut room = tol;
        if family.whole_servers() {
            // Slack lost by one server move towards the limit: adding a server
            // whose coefficient eats slack, or removing a placed one whose
            // coefficient provides it.
            let toward = |c: f64| match r.sense {
                Sense::Le => c,
                _ => -c,
            };
            // The smallest step of each kind of move: adding a server, and
            // removing a placed one.
            let (add, remove) = (&r.lhs)
                .linear_coefficients()
                .filter(|(v, _)| servers.contains(v))
                .fold((f64::INFINITY, f64::INFINITY), |(add, remove), (v, c)| {
                    let t = toward(c);
                    if t > 0.0 {
                        (add.min(t), remove)
                    } else if t < 0.0 && values.value(v) >= 1.0 - 1e-6 {
                        (add, remove.min(-t))
                    } else {
                        (add, remove)
                    }
                });
            // A share row (the dual track) is moved towards its limit both by
            // adding a server of the other kind and by removing one of the kind
            // it asks for. Only the removal saves money, so its slack is room
            // only when one server fewer fits in it: a slack of 3.2 H200-eq
            // against a 6.32 H200-eq domestic server binds, although an
            // imported server more (1.2 of the row) would fit. Rows of one
            // sign (quotas, capacities, targets) have one kind of move.
            let step = if remove.is_finite() { remove } else { add };
            if step.is_finite() {
                room = room.max(step * (1.0 - 1e-9));
            }
        }
        if slack <= room {
            out.push(Binding {
                key: r.key,
                name: r.key.name(p),
                words: r.key.words(p),
                family,
                region: r.key.region(p),
                site: r.key.site(p),
                slack: (slack.max(0.0) / family.row_units_per_unit()),
            });
        }
    }
    // Planner levers first, then by family and name.
    out.sort_by(|a, b| {
        (!a.family.is_lever(), a.family, &a.name).cmp(&(!b.family.is_lever(), b.family, &b.name))
    });
    out
}

/// MW with as many decimals as a reader needs.
fn mw(x: f64) -> String {
    if x.abs() < 10.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.0}")
    }
}

/// Explains an infeasible scenario in the planner's words: which constraint
/// families and regions conflict, with the numbers.
pub fn diagnose(p: &Prepared) -> Vec<String> {
    let inst = &p.inst;
    let mut out = Vec::new();
    // Required sites without any option.
    for (s, site) in inst.sites.iter().enumerate() {
        if site.status.must_open() {
            if let Some(r) = &p.site_reason[s] {
                out.push(format!(
                    "one-cooling: site {} is {} but no cooling is allowed there ({r})",
                    site.id,
                    site.status.as_str()
                ));
            }
        }
    }
    // Cities with no site in reach.
    for (d, node) in inst.demand.iter().enumerate() {
        let wants = match p.demand[d] {
            milp::DemandSize::Cards(c) => c > 0.0,
            milp::DemandSize::ShareOfTotal(x) => x > 0.0,
        };
        if wants && !p.pairs.iter().any(|x| x.demand == d) {
            out.push(format!(
                "inference-demand: city {} ({}) has no buildable site within its {} ms RTT budget",
                node.id, node.name_en, node.max_rtt_ms
            ));
        }
    }
    // Deliveries: each period's minimum cards against the IT ready by then.
    if let Some(ph) = p.phases() {
        let mut need_mw = 0.0;
        for (k, per) in ph.periods.iter().enumerate() {
            for (a, acc) in inst.accelerators.iter().enumerate() {
                if let Some(Some((min, _))) = ph.delivered[a].as_ref().map(|r| r[k]) {
                    need_mw += min / acc.cards_per_server as f64 * acc.server_kw / 1000.0;
                }
            }
            // The most IT any one option of each site has ready by then.
            let mut best = vec![0.0f64; inst.sites.len()];
            for (o, opt) in p.options.iter().enumerate() {
                best[opt.site] = best[opt.site].max(ph.ready_mw[o][k]);
            }
            let ready: f64 = best.iter().sum();
            if need_mw > ready + 1e-9 {
                out.push(format!(
                    "delivery: the deliveries up to month {} need at least {} MW of IT installed by month {}, \
                     and only {} MW is ready by then (IT in service, `ready_it_mw`, and halls whose lead time has passed)",
                    crate::domain::month_text(per.month),
                    mw(need_mw),
                    crate::domain::month_text(per.installed_by),
                    mw(ready)
                ));
            }
        }
    }
    // Power: what the targets need against what the regions can host.
    let mut need_kw = 0.0;
    let mut lines = Vec::new();
    let mut imported_cards = 0.0;
    for acc in &inst.accelerators {
        if let Some(t) = inst.targets.get(&acc.id) {
            if t.min > 0.0 {
                let kw = t.min / acc.cards_per_server as f64 * acc.server_kw;
                need_kw += kw;
                lines.push(format!("{} target {} cards", acc.id, t.min));
                if acc.origin == crate::domain::Origin::Imported {
                    imported_cards += t.min;
                }
            }
        }
    }
    let share = inst.params.domestic_share;
    if share > 0.0 && imported_cards > 0.0 {
        if let Some(dom) = inst
            .accelerators
            .iter()
            .filter(|a| a.origin == crate::domain::Origin::Domestic)
            .min_by(|a, b| {
                (a.server_kw / a.cards_per_server as f64)
                    .total_cmp(&(b.server_kw / b.cards_per_server as f64))
            })
        {
            let dom_cards = share / (1.0 - share) * imported_cards;
            let have = inst.targets.get(&dom.id).map(|t| t.min).unwrap_or(0.0);
            if dom_cards > have {
                need_kw += (dom_cards - have) / dom.cards_per_server as f64 * dom.server_kw;
                lines.push(format!(
                    "{:.0} % dual-track share {:.0} domestic cards",
                    share * 100.0,
                    dom_cards
                ));
            }
        }
    }
    if need_kw > 0.0 {
        // Facility MW each region can host: min(quota, Σ site IT × best PUE).
        let mut host_mw = 0.0;
        let mut it_mw = 0.0;
        // Per site: the best PUE of its options and the most IT MW one has ready.
        let mut best = vec![f64::INFINITY; inst.sites.len()];
        let mut ready = vec![0.0_f64; inst.sites.len()];
        for o in &p.options {
            best[o.site] = best[o.site].min(o.pue);
            ready[o.site] = ready[o.site].max(o.ready_it_mw);
        }
        for (r, region) in inst.regions.iter().enumerate() {
            let mut region_it = 0.0;
            let mut region_fac = 0.0;
            for s in 0..inst.sites.len() {
                if p.region_of_site[s] == r && best[s].is_finite() {
                    region_it += ready[s];
                    region_fac += ready[s] * best[s];
                }
            }
            let fac = region_fac.min(region.power_quota_mw());
            host_mw += fac;
            it_mw += region_it.min(if region_fac > 0.0 {
                region.power_quota_mw() * region_it / region_fac
            } else {
                0.0
            });
        }
        let need_it_mw = need_kw / 1000.0;
        if need_it_mw > it_mw + 1e-6 {
            out.push(format!(
                "region-power-quota / site-power: {} need {} MW of IT; the regions that can host them allow {} MW of IT ({} MW of facility power within their quotas and site limits)",
                lines.join(" and "),
                mw(need_it_mw),
                mw(it_mw),
                mw(host_mw)
            ));
        }
    }
    // Energy: best case tce against quotas.
    // Mega cluster: a site big enough.
    let prm = &inst.params;
    if prm.mega_count > 0 && prm.mega_cards > 0.0 {
        let mut able = 0;
        for (s, _site) in inst.sites.iter().enumerate() {
            let best = p
                .options
                .iter()
                .filter(|o| o.site == s)
                .flat_map(|o| o.accels.iter().map(move |&a| (o, a)))
                .filter(|(_, a)| prm.mega_accelerators.contains(&inst.accelerators[*a].id))
                .map(|(o, a)| {
                    let acc = &inst.accelerators[a];
                    let region = &inst.regions[p.region_of_site[o.site]];
                    let by_site = p.max_servers(o, a);
                    let by_quota =
                        (1000.0 * region.power_quota_mw() / (acc.server_kw * o.pue)).floor();
                    by_site.min(by_quota) * acc.cards_per_server as f64
                })
                .fold(0.0, f64::max);
            if best >= prm.mega_cards {
                able += 1;
            }
        }
        if (able as u32) < prm.mega_count {
            out.push(format!(
                "mega-cluster: {} cluster(s) of {} cards wanted, but only {} site(s) can hold one within their site power and region power quota",
                prm.mega_count, prm.mega_cards, able
            ));
        }
    }
    if out.is_empty() {
        // The families that can conflict, named as the checks above name
        // them (their traits say); no name repeats, so nothing to dedup.
        let families: Vec<&str> = Family::ALL
            .iter()
            .filter_map(|f| f.traits().conflict)
            .collect();
        out.push(format!(
            "no single family is infeasible alone; the conflict lies between: {} (try `dcsite validate`, loosen quotas or lower targets)",
            families.join(", ")
        ));
    }
    out
}
