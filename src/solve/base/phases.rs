//! The base solve in three phases, because branching on server counts of
//! tens of thousands is wasted effort (docs/MODELLING.md, "Solving in
//! phases"): (0) the LP relaxation, a lower bound, and a plan rounded from
//! it; (1) unless that plan is already close enough, the model with
//! continuous server counts as a MIP over the binaries (which option is
//! built, where the mega clusters go), warm-started from phase 0; (2) the
//! full model with integer server counts and phase 1's binaries fixed.
//! A strategy may choose the binaries in place of phases 0 and 1
//! ([`Strategy::choose_sites`]); [`highs_sites`] is the default. The
//! reported gap is phase 2's objective against the best proven lower bound,
//! so "optimal" means optimal for the full model within the gap tolerance.
//! When phase 2 cannot round the servers, the full model is solved from
//! scratch. The plan is then checked against every target and limit.

use std::time::Instant;

use good_lp::{Solution, Variable};

use super::check::check_plan;
use super::links;
use super::options::{SolveError, SolveOptions};
use super::read::{read_back, ModelParts, RawSolution, Values};
use super::run::{run_highs, run_highs_from, run_highs_within};
use super::strategy::{Choice, Run, Solved, Strategy};
use crate::milp::{self, Integrality, Model, Prepared, RowKey};
use crate::plan::Status;

/// HiGHS options of the phase-1 MIP, before the user's `--highs-option`
/// (which win). Phase 1 starts from phase 0's rounded plan, and on these
/// models RENS, RINS, feasibility jump, root reduced-cost fixing and cut
/// separation below the root cost more than they find (BENCHMARKS.md,
/// "Phase 1 and the repair without sub-MIP heuristics"). Each answer is
/// still proven to the gap; a different search may pick another plan of
/// the same cost where the model has ties.
const PHASE1_HIGHS_OPTIONS: [(&str, &str); 5] = [
    ("mip_heuristic_run_rens", "false"),
    ("mip_heuristic_run_rins", "false"),
    ("mip_heuristic_run_feasibility_jump", "false"),
    ("mip_heuristic_run_root_reduced_cost", "false"),
    ("mip_allow_cut_separation_at_nodes", "false"),
];

/// HiGHS options of phase 2's repair of phase 1's plan (binaries fixed),
/// before the user's: phase 1's plan is the start, so feasibility jump only
/// costs time (6-12 % of the offer's samples under perf).
const REPAIR_HIGHS_OPTIONS: [(&str, &str); 1] = [("mip_heuristic_run_feasibility_jump", "false")];

/// How many servers phase 2's first repair may move each integer column
/// away from phase 1's value. With whole ranges HiGHS's reduced-cost fixing
/// scans lurking bounds over domains of tens of thousands (28 % of the
/// offer's time under perf); the repair is retried on the whole range when
/// the window's plan is not within the tolerance of phase 1's bound, or the
/// window has none.
const SERVER_WINDOW: f64 = 16.0;

/// The phased solve of `p` with the limits of the rows in `relax` moved by
/// an amount (planner units) in the direction that relaxes them, the sites
/// chosen by `strategy`. With no change the answer is checked against every
/// target and limit ([`check_plan`]); with changes it is only the
/// feasibility check of a proposed relaxation (`explain::elastic`). An
/// infeasible model comes back unexplained: explaining it is the caller's.
pub fn solve_phases(
    p: &Prepared,
    opts: &SolveOptions,
    relax: &[(RowKey, f64)],
    strategy: &dyn Strategy,
) -> Result<Solved, SolveError> {
    let t0 = Instant::now();
    crate::domain::check_deadline(opts.deadline.as_ref(), "waiting for the solver")?;
    let run = Run::new(p, opts, relax);
    let choice = strategy.choose_sites(&run)?;
    let rounded = round_servers(&run, &choice)?;
    let mut raw = rounded.raw;
    raw.seconds = t0.elapsed().as_secs_f64() - run.build_seconds.get();
    // Phase 1 bounds the full model; a from-scratch full solve has its own valid bound.
    let lower = if rounded.fallback {
        choice.bound.max(raw.dual_bound)
    } else {
        choice.bound
    };
    let mip_gap = raw.gap_to(lower);
    // The gap is measured against a proven lower bound, so within the
    // tolerance it proves optimality, whichever phase found the plan.
    raw.status = if proves(&run, &choice, &raw, lower) {
        Status::Optimal
    } else {
        Status::Feasible
    };
    let parts = rounded.parts;
    let values = Values {
        cols: raw.cols.clone(),
        column: &parts.column,
    };
    let mut plan = read_back(p, &parts, &values, &raw);
    plan.mip_gap = mip_gap;
    plan.sites_bound_cny = Some(choice.bound).filter(|b| b.is_finite());
    plan.build_seconds = run.build_seconds.get();
    plan.model_size = rounded.size;
    let links = run.links.borrow();
    plan.link_active = links.separated.then(|| links.active.as_slice().into());
    plan.link_rows = links.stats(p).map(|mut l| {
        l.benders = choice.benders;
        l.branch = choice.branch;
        l
    });
    if relax.is_empty() {
        // A solver answer is checked against the scenario before it is called a plan.
        check_plan(p, &plan)?;
    }
    let cols = values.cols;
    Ok(Solved {
        plan,
        parts,
        cols,
        reduced: None,
    })
}

/// Whether `raw` is within the tolerance of `lower`, a proven lower bound,
/// so within the tolerance of the optimum (or within 1 CNY, HiGHS's own
/// absolute gap `mip_abs_gap` in objective units; or, when the strategy
/// proved its bound to a precision, within it).
fn proves(run: &Run, choice: &Choice, raw: &RawSolution, lower: f64) -> bool {
    raw.gap_to(lower) <= run.tolerance.max(choice.gap_floor) + 1e-12 || raw.objective - lower <= 1.0
}

/// The base's own strategy: phases 0 and 1 by [`highs_sites`].
pub struct HighsMip;

impl Strategy for HighsMip {
    fn name(&self) -> &'static str {
        "HiGHS's MIP"
    }

    fn choose_sites(&self, run: &Run) -> Result<Choice, SolveError> {
        highs_sites(run)
    }

    fn solve(
        &self,
        p: &Prepared,
        opts: &SolveOptions,
        relax: &[(RowKey, f64)],
    ) -> Result<Solved, SolveError> {
        solve_phases(p, opts, relax, self)
    }
}

/// Phases 0 and 1 as HiGHS does them: phase 0 rounds the LP relaxation
/// ([`round_lp`]) and phase 1 solves the model with continuous servers as a
/// MIP from that plan ([`mip_sites`]). The default [`Strategy::choose_sites`].
pub fn highs_sites(run: &Run) -> Result<Choice, SolveError> {
    let opts1 = phase1_options(run);
    // Phase 0: the LP relaxation (a lower bound) and a plan rounded
    // from it, which large instances need as a first incumbent.
    let (lp_bound, heuristic) = round_lp(run, &run.left(run.opts))?;
    mip_sites(run, &opts1, lp_bound, heuristic, false)
}

/// Phase 1: unless `heuristic` (a plan of the model with continuous
/// servers) is proven or within half the tolerance of `bound`, the model
/// with continuous servers as a MIP over the binaries, started from it,
/// with `opts1` ([`phase1_options`], taken before phase 0). Answers that
/// break link rows the model did not hold add them and solve again.
pub fn mip_sites(
    run: &Run,
    opts1: &SolveOptions,
    lp_bound: f64,
    mut heuristic: Option<(RawSolution, ModelParts)>,
    mut proven: bool,
) -> Result<Choice, SolveError> {
    // Every bound below comes from a model with some of the link rows, a
    // relaxation of the full model, so it is a valid bound for the full model.
    let mut bound = lp_bound;
    let (raw1, parts1) = loop {
        // A proven plan (a finished branch and bound) is taken as it is.
        let good_enough = heuristic
            .as_ref()
            .is_some_and(|h| proven || h.0.gap_to(bound) <= 0.5 * run.tolerance);
        proven = false;
        let (raw1, parts1) = if good_enough {
            heuristic.take().expect("checked above")
        } else {
            phase1_mip(run, opts1, &mut bound, &mut heuristic)?
        };
        let values1 = Values {
            cols: raw1.cols.clone(),
            column: &parts1.column,
        };
        let violated = run.links.borrow().violated(run.p, &parts1.vars, &values1);
        if violated.is_empty() {
            break (raw1, parts1);
        }
        // The answer breaks link rows the model did not hold: add them and
        // solve again (the bound found so far stays valid).
        let mut l = run.links.borrow_mut();
        l.add(&violated);
        l.mip_rounds += 1;
    };
    let values1 = Values {
        cols: raw1.cols,
        column: &parts1.column,
    };
    let (open, mega) = binaries_of(&parts1.vars, &values1);
    Ok(Choice {
        bound,
        open,
        mega,
        start: Some(values1.cols),
        start_is_plan: false,
        gap_floor: 0.0,
        tight_rounding: false,
        benders: None,
        branch: None,
    })
}

/// Phase 1's options: half the tolerance, and a fifth of what is left kept
/// for rounding the servers of the final plan.
pub fn phase1_options(run: &Run) -> SolveOptions {
    let mut o = run.left_for_sites();
    o.mip_gap = Some(0.5 * run.tolerance);
    o
}

/// One phase-1 MIP, started from `heuristic` (taken when HiGHS stops with a
/// worse plan or none); raises `bound` to HiGHS's.
fn phase1_mip(
    run: &Run,
    opts1: &SolveOptions,
    bound: &mut f64,
    heuristic: &mut Option<(RawSolution, ModelParts)>,
) -> Result<(RawSolution, ModelParts), SolveError> {
    let relaxed = run.build(Integrality::ContinuousServers)?;
    let start = heuristic.as_ref().map(|h| h.0.cols.clone());
    let mut o = run.left(opts1);
    if let (Some(a), Some(b)) = (o.time_limit_s, opts1.time_limit_s) {
        o.time_limit_s = Some(a.min(b));
    }
    o.highs_defaults_first(&PHASE1_HIGHS_OPTIONS);
    match run_highs_from(relaxed, &o, &[], start.as_deref()) {
        Ok((raw, parts)) => {
            *bound = bound.max(raw.dual_bound);
            // HiGHS may stop (time limit) with a worse plan than the rounded one.
            Ok(match heuristic.take() {
                Some(h) if h.0.objective < raw.objective => (h.0, h.1),
                _ => (raw, parts),
            })
        }
        Err(SolveError::NoSolution { .. }) if heuristic.is_some() => {
            Ok(heuristic.take().expect("checked"))
        }
        Err(e) => Err(e),
    }
}

/// The binaries of a solution: opens per option, mega decisions per site.
fn binaries_of(vars: &milp::Vars, values: &Values) -> (Vec<f64>, Vec<Option<f64>>) {
    let open: Vec<f64> = vars.open.iter().map(|v| values.value(*v)).collect();
    let mega: Vec<Option<f64>> = vars
        .mega
        .iter()
        .map(|v| v.map(|v| values.value(v)))
        .collect();
    (open, mega)
}

/// Phase 2's answer: the plan's solution, its model and the model's size
/// (columns, integer columns, rows).
struct Rounded {
    raw: RawSolution,
    parts: ModelParts,
    size: (usize, usize, usize),
    /// The full model was solved from scratch (rounding failed).
    fallback: bool,
}

/// Phase 2's options: what is left, at least a few seconds; 0.4 of the
/// tolerance (phase 1 took half, less a margin: phase 2's gap is against its
/// own bound, at most phase 1's cost, so the plan stays within the tolerance).
fn phase2_options(run: &Run, choice: &Choice) -> SolveOptions {
    let mut remaining = run.left(run.opts);
    remaining.mip_gap = Some(0.4 * run.tolerance);
    // After Benders there is no phase-1 plan to start from, and at HiGHS's
    // default MIP feasibility tolerance (1e-6) rounding cap41's servers with
    // the optimal sites fixed ended 84 CNY above the assignment's optimum
    // (OR-Library costs are 1e-6 objective units a card): tighter, it is exact.
    if choice.tight_rounding
        && !remaining
            .highs_options
            .iter()
            .any(|(k, _)| k == "mip_feasibility_tolerance")
    {
        remaining
            .highs_options
            .push(("mip_feasibility_tolerance".into(), "1e-9".into()));
    }
    if let (Some(t), Some(total)) = (remaining.time_limit_s, run.opts.time_limit_s) {
        remaining.time_limit_s = Some(t.max((0.1 * total).clamp(2.0, 30.0)));
    }
    remaining
}

/// Phase 2: the full model with the chosen binaries fixed, repaired from
/// phase 1's plan; the full model from scratch when that fails. Answers that
/// break link rows add them and solve again.
fn round_servers(run: &Run, choice: &Choice) -> Result<Rounded, SolveError> {
    // The time limit bounds the search; rounding the servers of the chosen
    // plan (binaries fixed, usually fast) gets at least a few seconds.
    let remaining = phase2_options(run, choice);
    let mut repair = remaining.clone();
    repair.highs_defaults_first(&REPAIR_HIGHS_OPTIONS);
    let mut fallback = false;
    // The first repairs keep each server count near phase 1's.
    let mut windowed = choice.start.is_some();
    loop {
        let full = run.build(Integrality::Full)?;
        let size = (
            full.n_columns,
            full.integer.iter().filter(|&&i| i).count(),
            full.rows.len(),
        );
        let fixed = fixed_binaries(&full, choice);
        // Phase 1's plan (fractional servers) is the starting point HiGHS repairs.
        if let Some(cols) = choice.start.as_deref() {
            if choice.start_is_plan && !fallback && is_whole(&full, cols) {
                let (raw, parts) = whole_plan(full, cols);
                return Ok(Rounded {
                    raw,
                    parts,
                    size,
                    fallback,
                });
            }
        }
        let attempt = match (fallback, choice.start.as_deref()) {
            (true, _) => run_highs(full, &remaining, &[]),
            (false, Some(start)) if windowed => {
                let window = server_window(&full, start, &fixed);
                run_highs_within(full, &repair, &fixed, &window, Some(start))
            }
            (false, start) => run_highs_from(full, &repair, &fixed, start),
        };
        let (raw, parts) = match attempt {
            Ok((raw, _)) if windowed && !proves(run, choice, &raw, choice.bound) => {
                // Not good enough within the window: the whole range.
                windowed = false;
                continue;
            }
            Ok(x) => x,
            Err(SolveError::Infeasible { .. }) | Err(SolveError::NoSolution { .. }) if windowed => {
                windowed = false;
                continue;
            }
            Err(SolveError::Infeasible { .. }) | Err(SolveError::NoSolution { .. })
                if !fallback && !run.relax.is_empty() =>
            {
                // A relaxation check: the phases did not find a plan; undecided.
                return Err(SolveError::NoSolution {
                    limit: "relaxation check".into(),
                });
            }
            Err(SolveError::Infeasible { .. }) | Err(SolveError::NoSolution { .. })
                if !fallback =>
            {
                // Rounding failed with these binaries: solve the full model.
                fallback = true;
                continue;
            }
            Err(e) => return Err(e),
        };
        let values = Values {
            cols: raw.cols.clone(),
            column: &parts.column,
        };
        let violated = run.links.borrow().violated(run.p, &parts.vars, &values);
        if violated.is_empty() {
            return Ok(Rounded {
                raw,
                parts,
                size,
                fallback,
            });
        }
        let mut l = run.links.borrow_mut();
        l.add(&violated);
        l.mip_rounds += 1;
    }
}

/// [`SERVER_WINDOW`] around `start` for every integer column of `full`
/// that `fixed` does not pin, in column order.
fn server_window(
    full: &Model,
    start: &[f64],
    fixed: &[(Variable, f64)],
) -> Vec<(Variable, f64, f64)> {
    if start.len() != full.n_columns {
        return Vec::new();
    }
    let pinned: std::collections::HashSet<Variable> = fixed.iter().map(|f| f.0).collect();
    let mut free: Vec<(usize, Variable)> = full
        .column
        .iter()
        .filter(|(v, &j)| full.integer[j] && !pinned.contains(v))
        .map(|(v, &j)| (j, *v))
        .collect();
    free.sort_unstable_by_key(|f| f.0);
    free.into_iter()
        .map(|(j, v)| {
            let x = start[j];
            (v, x.floor() - SERVER_WINDOW, x.ceil() + SERVER_WINDOW)
        })
        .collect()
}

/// The chosen binaries as values for the variables of `full`.
fn fixed_binaries(full: &Model, choice: &Choice) -> Vec<(Variable, f64)> {
    full.vars
        .open
        .iter()
        .zip(&choice.open)
        .chain(
            full.vars
                .mega
                .iter()
                .zip(&choice.mega)
                .filter_map(|(a, b)| Some((a.as_ref()?, b.as_ref()?))),
        )
        .map(|(v, x)| (*v, x.round()))
        .collect()
}

/// Phase 0: solves the LP relaxation for a lower bound, then rounds its
/// binary decisions (per site the option the LP uses most; the mega clusters
/// at the sites the LP leans on most) and solves the model with continuous
/// servers and those binaries fixed. Returns the LP bound and, when the
/// rounded binaries are feasible, that plan (columns of the
/// continuous-server model).
pub fn round_lp(
    run: &Run,
    opts: &SolveOptions,
) -> Result<(f64, Option<(RawSolution, ModelParts)>), SolveError> {
    let p = run.p;
    let lp = run.build(Integrality::Lp)?;
    // With link rows left out, LP rounds add the ones the LP violates: the
    // bound of the LP with every link row, from a fraction of them.
    let separated = run.links.borrow().separated;
    let (raw, parts) = if separated {
        links::lp_rounds(p, opts, lp, &mut run.links.borrow_mut())?
    } else {
        run_highs(lp, opts, &[])?
    };
    let bound = raw.objective;
    let values = Values {
        cols: raw.cols.clone(),
        column: &parts.column,
    };
    let (open, mega) = round_binaries(p, &parts.vars, &values);
    let model = run.build(Integrality::ContinuousServers)?;
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
            let violated = run.links.borrow().violated(p, &hp.vars, &values);
            if !violated.is_empty() {
                // Not a plan of the full model: keep the rows, drop the plan.
                run.links.borrow_mut().add(&violated);
                return Ok((bound, None));
            }
            Ok((bound, Some((h, hp))))
        }
        Err(SolveError::Infeasible { .. }) | Err(SolveError::NoSolution { .. }) => {
            Ok((bound, None))
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
