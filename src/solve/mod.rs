//! Solving with HiGHS (through good_lp), reading the solution back into a
//! plan, finding binding constraints and explaining infeasibility.

pub mod elastic;
pub mod plan;
pub mod shadow;

use std::collections::HashMap;
use std::time::Instant;

use ::highs::HighsModelStatus;
use good_lp::solvers::highs::highs;
use good_lp::{Expression, Solution, SolutionStatus, SolverModel, Variable};

use crate::milp::{self, Integrality, Model, Prepared, Sense};
pub use plan::{Flow, Plan, SitePlan, SubsidyPaid};
pub use shadow::{shadow_prices, ShadowPrice};

/// Solver settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SolveOptions {
    pub time_limit_s: Option<f64>,
    pub mip_gap: Option<f64>,
    pub threads: Option<u32>,
    /// Let HiGHS print its log on stdout.
    pub log: bool,
    /// Further HiGHS options (`name`, `value`), for experts.
    pub highs_options: Vec<(String, String)>,
}

/// How a solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Proven optimal within the MIP gap tolerance.
    Optimal,
    /// A limit stopped the search with a feasible plan.
    Feasible,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Optimal => "optimal",
            Status::Feasible => "feasible",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// No plan satisfies every constraint; `reasons` explain why in the planner's
    /// words and `relaxations` list the smallest changes that would make it feasible.
    #[error("{}", infeasible_text(.reasons, .relaxations))]
    Infeasible {
        reasons: Vec<String>,
        relaxations: Vec<String>,
    },
    #[error("a limit stopped the solver before it found any feasible plan ({0})")]
    NoSolution(String),
    #[error("the model is unbounded (a cost or subsidy coefficient has the wrong sign)")]
    Unbounded,
    #[error("HiGHS does not accept the option {0}")]
    Option(String),
    #[error("HiGHS failed: {0}")]
    Solver(String),
}

fn infeasible_text(reasons: &[String], relaxations: &[String]) -> String {
    let mut s = format!("the scenario is infeasible:\n  {}", reasons.join("\n  "));
    if !relaxations.is_empty() {
        s.push_str(&format!(
            "\nany one of these would make it feasible (smallest change in each family):\n  {}",
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

/// Hands a built model to HiGHS; `fixed` pins variables to values.
pub fn run_highs(
    model: Model,
    opts: &SolveOptions,
    fixed: &[(Variable, f64)],
) -> Result<(RawSolution, ModelParts), SolveError> {
    run_highs_from(model, opts, fixed, None)
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
        rows,
        integer,
    } = model;
    let mut problem = problem_vars.minimise(objective.clone()).using(highs);
    for r in &rows {
        problem.add_constraint(r.to_constraint());
    }
    for &(v, x) in fixed {
        problem.add_constraint(good_lp::Expression::from(v).eq(x));
    }
    let mut hm = problem
        .try_into_inner()
        .map_err(|e| SolveError::Solver(e.to_string()))?;
    // Fixed seed and, unless asked otherwise, one thread: the same input gives the same plan.
    hm.set_option("random_seed", 0);
    hm.set_option("threads", opts.threads.unwrap_or(1) as i32);
    if let Some(t) = opts.time_limit_s {
        hm.set_option("time_limit", t);
    }
    if opts.log {
        hm.set_option("output_flag", true);
        hm.set_option("log_to_console", true);
    }
    if let Some(g) = opts.mip_gap {
        hm.set_option("mip_rel_gap", g);
    }
    for (k, v) in &opts.highs_options {
        let ok = if let Ok(i) = v.parse::<i32>() {
            hm.try_set_option(k.as_str(), i).is_ok()
        } else if let Ok(f) = v.parse::<f64>() {
            hm.try_set_option(k.as_str(), f).is_ok()
        } else if let Ok(b) = v.parse::<bool>() {
            hm.try_set_option(k.as_str(), b).is_ok()
        } else {
            hm.try_set_option(k.as_str(), v.as_str()).is_ok()
        };
        if !ok {
            return Err(SolveError::Option(format!("{k}={v}")));
        }
    }
    if let Some(cols) = initial {
        // A bad guess only costs HiGHS a check; never fail the solve over it.
        let _ = hm.try_set_solution(Some(cols), None, None, None);
    }
    let start = Instant::now();
    let solved = hm
        .try_solve()
        .map_err(|e| SolveError::Solver(format!("{e:?}")))?;
    let seconds = start.elapsed().as_secs_f64();
    let has_primal = solved.primal_solution_status() == ::highs::HighsSolutionStatus::Feasible;
    let status = match solved.status() {
        HighsModelStatus::Optimal => Status::Optimal,
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible => {
            return Err(SolveError::Infeasible {
                reasons: vec![],
                relaxations: vec![],
            })
        }
        HighsModelStatus::Unbounded => return Err(SolveError::Unbounded),
        HighsModelStatus::ReachedTimeLimit
        | HighsModelStatus::ReachedIterationLimit
        | HighsModelStatus::ReachedSolutionLimit
        | HighsModelStatus::ReachedInterrupt
        | HighsModelStatus::ReachedMemoryLimit => {
            if has_primal {
                Status::Feasible
            } else {
                return Err(SolveError::NoSolution(format!("{:?}", solved.status())));
            }
        }
        other => return Err(SolveError::Solver(format!("model status {other:?}"))),
    };
    if !has_primal {
        return Err(SolveError::Solver("no primal solution returned".into()));
    }
    let sol = solved.get_solution();
    let cols = sol.columns().to_vec();
    let row_duals = if integer.iter().any(|&i| i) {
        Vec::new()
    } else {
        sol.dual_rows().to_vec()
    };
    debug_assert_eq!(cols.len(), n_columns);
    let is_mip = integer.iter().any(|&i| i);
    let dual_bound = if is_mip {
        solved
            .double_info_value(c"mip_dual_bound")
            .unwrap_or(f64::NEG_INFINITY)
    } else {
        solved.objective_value()
    };
    let values = Values {
        cols: cols.clone(),
        column: &column,
    };
    let objective_value = objective.eval_with(&values);
    Ok((
        RawSolution {
            status,
            cols,
            objective: objective_value,
            dual_bound,
            seconds,
            row_duals,
        },
        ModelParts {
            column,
            integer,
            vars,
            rows,
            objective,
        },
    ))
}

/// What is left of a model after HiGHS took its variables.
pub struct ModelParts {
    pub column: HashMap<Variable, usize>,
    /// Whether each column is integer.
    pub integer: Vec<bool>,
    pub vars: milp::Vars,
    pub rows: Vec<milp::Row>,
    pub objective: good_lp::Expression,
}

/// HiGHS's default relative MIP gap.
pub const DEFAULT_MIP_GAP: f64 = 1e-4;

/// Builds, solves and reads back a prepared instance.
///
/// Two phases, because branching on server counts of tens of thousands is
/// wasted effort: (1) the model with continuous server counts, whose optimum
/// is a valid lower bound and fixes every binary decision (which option is
/// built, where the mega clusters go); (2) the full model with integer server
/// counts and those binaries fixed. The reported gap is phase 2's objective
/// against phase 1's bound, so "optimal" means optimal for the full model
/// within the gap tolerance. When phase 2 cannot round the servers, the full
/// model is solved from scratch.
pub fn solve(p: &Prepared, opts: &SolveOptions) -> Result<Plan, SolveError> {
    let t0 = Instant::now();
    let tolerance = opts.mip_gap.unwrap_or(DEFAULT_MIP_GAP);
    let infeasible = || SolveError::Infeasible {
        reasons: diagnose(p),
        relaxations: elastic::relaxation_lines(&elastic::relaxations(p, opts)),
    };
    let deadline = opts
        .time_limit_s
        .map(|t| t0 + std::time::Duration::from_secs_f64(t));
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
    // Phase 0: the LP relaxation (a lower bound) and a plan rounded from it,
    // which large instances need as a first incumbent.
    let (lp_bound, heuristic, mut build_seconds) = match round_lp(p, &left(opts)) {
        Ok(x) => x,
        Err(SolveError::Infeasible { .. }) => return Err(infeasible()),
        Err(e) => return Err(e),
    };
    // Phase 1 aims at half the tolerance, leaving the other half for rounding servers.
    let mut opts1 = left(opts);
    opts1.mip_gap = Some(0.5 * tolerance);
    // Leave a fifth of what is left for rounding the servers of the final plan.
    if let Some(t) = opts1.time_limit_s {
        opts1.time_limit_s = Some((0.8 * t).max(0.1));
    }
    let good_enough = heuristic
        .as_ref()
        .is_some_and(|h| h.0.gap_to(lp_bound) <= 0.5 * tolerance);
    let (raw1, parts1) = if good_enough {
        heuristic.expect("checked above")
    } else {
        let t = Instant::now();
        let relaxed = milp::build(p, Integrality::ContinuousServers);
        build_seconds += t.elapsed().as_secs_f64();
        let start = heuristic.as_ref().map(|h| h.0.cols.clone());
        match run_highs_from(relaxed, &opts1, &[], start.as_deref()) {
            Ok((mut raw, parts)) => {
                raw.dual_bound = raw.dual_bound.max(lp_bound);
                // HiGHS may stop (time limit) with a worse plan than the rounded one.
                match heuristic {
                    Some(h) if h.0.objective < raw.objective => (h.0, h.1),
                    _ => (raw, parts),
                }
            }
            Err(SolveError::Infeasible { .. }) => return Err(infeasible()),
            Err(SolveError::NoSolution(_)) if heuristic.is_some() => heuristic.expect("checked"),
            Err(e) => return Err(e),
        }
    };
    let bound = raw1.dual_bound.max(lp_bound);
    let values1 = Values {
        cols: raw1.cols.clone(),
        column: &parts1.column,
    };
    let t1 = Instant::now();
    let full = milp::build(p, Integrality::Full);
    build_seconds += t1.elapsed().as_secs_f64();
    let n_rows = full.rows.len();
    let n_cols = full.n_columns;
    let n_int = full.integer.iter().filter(|&&i| i).count();
    let fixed: Vec<(Variable, f64)> = full
        .vars
        .open
        .iter()
        .zip(&parts1.vars.open)
        .chain(
            full.vars
                .mega
                .iter()
                .zip(&parts1.vars.mega)
                .filter_map(|(a, b)| Some((a.as_ref()?, b.as_ref()?))),
        )
        .map(|(v2, v1)| (*v2, values1.value(*v1).round()))
        .collect();
    // The time limit bounds the search; rounding the servers of the chosen
    // plan (binaries fixed, usually fast) gets at least a few seconds.
    let mut remaining = left(opts);
    if let (Some(t), Some(total)) = (remaining.time_limit_s, opts.time_limit_s) {
        remaining.time_limit_s = Some(t.max((0.1 * total).clamp(2.0, 30.0)));
    }
    let mut fallback = false;
    // Phase 1's plan (fractional servers) is the starting point HiGHS repairs.
    let (mut raw, parts) = match run_highs_from(full, &remaining, &fixed, Some(&raw1.cols)) {
        Ok(x) => x,
        Err(SolveError::Infeasible { .. }) | Err(SolveError::NoSolution(_)) => {
            // Rounding failed with these binaries: solve the full model.
            let t2 = Instant::now();
            let full = milp::build(p, Integrality::Full);
            build_seconds += t2.elapsed().as_secs_f64();
            fallback = true;
            match run_highs(full, &remaining, &[]) {
                Err(SolveError::Infeasible { .. }) => return Err(infeasible()),
                other => other?,
            }
        }
        Err(e) => return Err(e),
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
    raw.status = if mip_gap <= tolerance + 1e-12 {
        Status::Optimal
    } else {
        Status::Feasible
    };
    let values = Values {
        cols: raw.cols.clone(),
        column: &parts.column,
    };
    let binding = binding_rows(&parts.rows, &values, &parts.integer);
    let mut plan = plan::read_back(p, &parts, &values, &raw);
    plan.mip_gap = mip_gap;
    plan.binding_constraints = binding;
    plan.build_seconds = build_seconds;
    plan.model_size = (n_cols, n_int, n_rows);
    plan.shadow_prices = shadow_prices(p, &plan, opts)?;
    Ok(plan)
}

/// Phase 0: solves the LP relaxation for a lower bound, then rounds its
/// binary decisions (per site the option the LP uses most; the mega clusters
/// at the sites the LP leans on most) and solves the model with continuous
/// servers and those binaries fixed. Returns the LP bound and, when the
/// rounded binaries are feasible, that plan (columns of the
/// continuous-server model).
type Rounded = (f64, Option<(RawSolution, ModelParts)>, f64);

fn round_lp(p: &Prepared, opts: &SolveOptions) -> Result<Rounded, SolveError> {
    let t = Instant::now();
    let lp = milp::build(p, Integrality::Lp);
    let mut build_seconds = t.elapsed().as_secs_f64();
    let (raw, parts) = run_highs(lp, opts, &[])?;
    let bound = raw.objective;
    let values = Values {
        cols: raw.cols.clone(),
        column: &parts.column,
    };
    let mut open = vec![0.0; p.options.len()];
    for s in 0..p.inst.sites.len() {
        let best = p
            .options
            .iter()
            .enumerate()
            .filter(|(_, o)| o.site == s)
            .map(|(k, _)| (k, values.value(parts.vars.open[k])))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        if let Some((k, v)) = best {
            if v > 1e-6 || p.inst.sites[s].status.must_open() {
                open[k] = 1.0;
            }
        }
    }
    let mut mega: Vec<(usize, f64)> = parts
        .vars
        .mega
        .iter()
        .enumerate()
        .filter_map(|(s, m)| Some((s, values.value((*m)?))))
        .collect();
    mega.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let chosen: Vec<usize> = mega
        .iter()
        .take(p.inst.params.mega_count as usize)
        .map(|x| x.0)
        .collect();
    let t = Instant::now();
    let model = milp::build(p, Integrality::ContinuousServers);
    build_seconds += t.elapsed().as_secs_f64();
    let mut fixed: Vec<(Variable, f64)> = model
        .vars
        .open
        .iter()
        .zip(&open)
        .map(|(v, x)| (*v, *x))
        .collect();
    for (s, m) in model.vars.mega.iter().enumerate() {
        if let Some(m) = m {
            fixed.push((*m, if chosen.contains(&s) { 1.0 } else { 0.0 }));
        }
    }
    match run_highs(model, opts, &fixed) {
        Ok((mut h, hp)) => {
            h.dual_bound = bound;
            h.status = Status::Feasible;
            Ok((bound, Some((h, hp)), build_seconds))
        }
        Err(SolveError::Infeasible { .. }) | Err(SolveError::NoSolution(_)) => {
            Ok((bound, None, build_seconds))
        }
        Err(e) => Err(e),
    }
}

/// Names of binding rows: slack (numerically) zero, or, for a row over whole
/// servers, too small for one more server of any kind in it.
pub fn binding_rows(rows: &[milp::Row], values: &Values, integer: &[bool]) -> Vec<String> {
    use good_lp::IntoAffineExpression;
    let mut out = Vec::new();
    for r in rows {
        // Equalities always hold; a site's single cooling choice says nothing.
        if r.sense == Sense::Eq || r.family == "one-cooling" {
            continue;
        }
        let lhs = Expression::eval_with(&r.lhs, values);
        let slack = match r.sense {
            Sense::Le => r.rhs - lhs,
            _ => lhs - r.rhs,
        };
        let tol = 1e-6 * (1.0 + r.rhs.abs());
        // The smallest step of the row's integer variables: a quota with less
        // room than one server is binding for a plan made of whole servers.
        let step = (&r.lhs)
            .linear_coefficients()
            .filter(|(v, _)| {
                values
                    .column
                    .get(v)
                    .is_some_and(|&c| integer.get(c).copied().unwrap_or(false))
            })
            .map(|(_, c)| c.abs())
            .fold(f64::INFINITY, f64::min);
        let room = if step.is_finite()
            && matches!(
                r.family,
                "region-power-quota"
                    | "region-energy-quota"
                    | "site-power"
                    | "subsidy-cap"
                    | "region-bound"
                    | "tier-bound"
                    | "accelerator-target"
            ) {
            step.max(tol)
        } else {
            tol
        };
        if slack <= room {
            // A ≥ 0 linking row at 0 with everything closed is not informative.
            if r.rhs == 0.0
                && lhs.abs() <= tol
                && r.family != "dual-track"
                && r.family != "inference-demand"
            {
                continue;
            }
            out.push(r.name.clone());
        }
    }
    out.sort();
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
        for (r, region) in inst.regions.iter().enumerate() {
            let mut region_it = 0.0;
            let mut region_fac = 0.0;
            for (s, site) in inst.sites.iter().enumerate() {
                if p.region_of_site[s] != r {
                    continue;
                }
                let best = p
                    .options
                    .iter()
                    .filter(|o| o.site == s)
                    .map(|o| o.pue)
                    .fold(f64::INFINITY, f64::min);
                if best.is_finite() {
                    region_it += site.max_it_mw;
                    region_fac += site.max_it_mw * best;
                }
            }
            let fac = region_fac.min(region.power_quota_mw);
            host_mw += fac;
            it_mw += region_it.min(if region_fac > 0.0 {
                region.power_quota_mw * region_it / region_fac
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
                    let by_site = p.max_servers(o.site, a);
                    let by_quota =
                        (1000.0 * region.power_quota_mw / (acc.server_kw * o.pue)).floor();
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
        let mut families: Vec<&str> = vec![
            "region-power-quota",
            "region-energy-quota",
            "accelerator-target",
            "dual-track",
            "inference-demand",
            "mega-cluster",
            "region-bound",
            "tier-bound",
        ];
        families.dedup();
        out.push(format!(
            "no single family is infeasible alone; the conflict lies between: {} (try `dcsite validate`, loosen quotas or lower targets)",
            families.join(", ")
        ));
    }
    out
}
