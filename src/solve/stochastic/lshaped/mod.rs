//! The L-shaped decomposition of a two-stage plan (Van Slyke and Wets),
//! multi-cut: a master over the site decisions y (options opened, training
//! cluster sites; binary) with one column θ_k per outcome, and per outcome
//! an LP: its own model with continuous servers and its site columns pinned
//! to the master's answer ȳ by rows
//!
//! ```text
//! Q_k(ȳ) = min c_k x + M Σ (e⁺_j + e⁻_j)
//!          A_k x ≥ b_k                    (the outcome's model, y_k among x)
//!          y_kj + e⁺_j − e⁻_j = ȳ_j       (π_j, one row per shared decision)
//! ```
//!
//! Q_k is convex in ȳ and π is a subgradient (LP duality: the rows' right
//! sides are ȳ), so θ_k ≥ Q_k(ȳ) + Σ π_j (y_j − ȳ_j) holds for every y and
//! touches Q_k at ȳ. The elastic columns e± (cost M per unit) keep every
//! LP feasible, so Q_k is finite everywhere and no feasibility cut is
//! needed; with them Q_k is a relaxation of the outcome (cheaper where a
//! pin would be infeasible), so every cut stays a valid lower bound, and
//! only an answer whose LPs use no elastic column is a plan. While the
//! master keeps choosing such answers M is raised tenfold (cuts made with
//! a smaller M stay valid: Q grows with M).
//!
//! The master's objective is Σ p_k θ_k + λ (η + Σ p_k u_k / (1 − α)) with
//! u_k ≥ θ_k − η, u_k ≥ 0 (the CVaR as in the extensive form); it never
//! falls when a θ_k rises, so the master with any set of cuts is a
//! relaxation of the two-stage problem and its proven bound a bound of it.
//! Its rows are every outcome's rows over the site decisions alone (one
//! cooling per site, the number of training clusters and where they may
//! go), so its answers are site plans a scenario allows.
//!
//! Two stages, as in the existing Benders loop (`strategy/benders.rs`): the
//! master's LP relaxation cut until its bound meets the LPs' value (cheap
//! cuts), then the master MIP re-solved after each round of cuts at its
//! answer, until the best plan (an answer without elastic) is within the
//! tolerance of the master's bound. The outcomes' LPs live on worker
//! threads (a HiGHS instance stays on the thread that made it), each
//! re-solved from its last basis; the results are gathered in outcome
//! order, so the run does not depend on the threads' timing.
//!
//! Where the loop starts ([`Known`]): θ_k from the larger of outcome k's
//! LP with the sites free and its floor (a lower bound on its cost under
//! any sites, e.g. its own optimum's proven bound; valid with sites left
//! out too), and seed site plans evaluated before stage 1 (the first plan
//! to beat). On the national set the cuts leave the bound at the
//! outcomes' LP relaxations, 0.6 % below the plans, and the floors do not
//! lift it: the own optima there come from pair pricing, whose bound is
//! the full LP's (BENCHMARKS.md). Stage 2 stops after [`MIP_STALL_ROUNDS`]
//! rounds without progress once a plan exists, and under a time limit the
//! loop takes [`LOOP_SHARE`] of the time left.
//!
//! What this solves is the problem of the extensive form's first phase
//! (continuous servers, the binaries integer): its bound is a bound of the
//! two-stage plan with whole servers, which `second.rs` then makes of the
//! sites found, outcome by outcome.

mod master;
mod sub;

use master::{decisions, first_stage, lost, rounded, y_of, Cut, Decision, Master, MasterRow};
use std::collections::{BTreeSet, HashMap};
use std::sync::{mpsc, Arc};
use std::time::Instant;
use sub::{cut_of, Built, Eval, Job, Sub, Workers};

use super::problem::{
    risk_objective, threads, value_at_risk, FirstStage, Known, LShapedStats, Outcome, Risk,
    TwoStage,
};
use super::second::whole_servers;
use crate::milp::{self, Integrality, Links, CNY_PER_OBJECTIVE_UNIT};
use crate::plan::Status;
use crate::solve::base::options::{SolveError, SolveOptions, DEFAULT_MIP_GAP};

/// Rounds of the master's LP relaxation at most.
const MAX_LP_ROUNDS: usize = 200;
/// Stage 1 ends after this many rounds in a row without its bound rising.
const LP_STALL_ROUNDS: usize = 5;
/// Master MIP solves at most.
const MAX_MIP_ROUNDS: usize = 500;
/// The LP stage stops when the LPs' value is within this share of the
/// master LP's bound.
const LP_TOLERANCE: f64 = 1e-4;
/// Tenfold raises of the elastic cost at most before the outcomes are
/// called infeasible together.
const MAX_RAISES: usize = 8;
/// Stage 2 ends, with the best plan and its proven gap, after this many
/// master MIP rounds in a row that neither raise the bound nor find a
/// better plan (the national rollout's masters keep proposing site sets
/// some outcome cannot take: BENCHMARKS.md, issue 28).
const MIP_STALL_ROUNDS: usize = 20;
/// The share of the time left that the loop may take under a time limit;
/// the whole-server plans of its sites get the rest.
const LOOP_SHARE: f64 = 0.75;
/// Elastic use below this (in units of a pinned decision) counts as none.
const NO_ELASTIC: f64 = 1e-6;

/// The two-stage plan by the L-shaped loop, or with `fixed` the whole-server
/// plans of those site decisions. The loop starts from `known`: each
/// outcome's θ from its floor, and the seeds' site plans evaluated in
/// every outcome first (their cuts bound the masters; one that serves
/// every outcome is the plan to beat).
pub(super) fn solve(
    outcomes: &[Outcome],
    risk: Risk,
    opts: &SolveOptions,
    fixed: Option<&FirstStage>,
    known: &Known,
) -> Result<TwoStage, SolveError> {
    let t0 = Instant::now();
    let tol = opts.mip_gap.unwrap_or(DEFAULT_MIP_GAP);
    // The time limit is the whole loop's: a deadline from now, or the run's
    // if that comes first.
    let mut local = opts.clone();
    if let Some(t) = opts.time_limit_s {
        let at = crate::domain::instant_after(t0, t);
        if local.deadline.is_none_or(|d| at < d.at) {
            local.deadline = Some(crate::domain::Deadline { at, limit_s: t });
        }
    }
    let opts = &local;
    let probabilities: Vec<f64> = outcomes.iter().map(|o| o.probability).collect();
    let (fs, bound_units, stats) = match fixed {
        Some(fs) => (fs.clone(), None, None),
        None => {
            // The loop stops at three quarters of the time left, so that
            // its best sites still get their whole-server plans.
            let mut looping = opts.clone();
            if let Some(d) = &mut looping.deadline {
                d.at = crate::domain::instant_after(Instant::now(), LOOP_SHARE * d.left_s());
            }
            let (fs, bound, stats) =
                first_stage_loop(outcomes, &probabilities, risk, &looping, tol, known)?;
            (fs, Some(bound), Some(stats))
        }
    };
    let t2 = Instant::now();
    let plans = whole_servers(outcomes, &fs, opts, 0.4 * tol)?;
    let stats = stats.map(|s| LShapedStats {
        second_stage_seconds: t2.elapsed().as_secs_f64(),
        ..s
    });
    let costs: Vec<f64> = plans.iter().map(|o| o.cost_cny).collect();
    let objective = risk_objective(&costs, &probabilities, risk);
    let bound = match bound_units {
        Some(b) => (b * CNY_PER_OBJECTIVE_UNIT).min(objective),
        // The objective never falls when a cost rises: the outcomes' own
        // bounds bound it.
        None => {
            let bounds: Vec<f64> = plans.iter().map(|o| o.bound_cny).collect();
            risk_objective(&bounds, &probabilities, risk).min(objective)
        }
    };
    let gap = ((objective - bound) / objective.abs().max(1e-9)).max(0.0);
    let status = if gap <= tol + 1e-12 || objective - bound <= 1.0 {
        Status::Optimal
    } else {
        Status::Feasible
    };
    let size = plans
        .iter()
        .fold((0, 0), |(c, r), o| (c + o.size.0, r + o.size.2));
    let seconds = t0.elapsed().as_secs_f64();
    let mut out = Vec::with_capacity(plans.len());
    for o in plans {
        let mut plan = o.plan;
        plan.status = status;
        plan.mip_gap = gap;
        plan.solve_seconds = seconds;
        plan.model_size = o.size;
        out.push(plan);
    }
    Ok(TwoStage {
        plans: out,
        costs_cny: costs,
        objective_cny: objective,
        bound_cny: bound,
        mip_gap: gap,
        status,
        first_stage: fs,
        seconds,
        model_size: size,
        decomposition: stats,
    })
}

/// The L-shaped loop: the site decisions of the best plan of the outcomes'
/// LPs (continuous servers), a proven bound (objective units) and what it did.
fn first_stage_loop(
    outcomes: &[Outcome],
    probabilities: &[f64],
    risk: Risk,
    opts: &SolveOptions,
    tol: f64,
    known: &Known,
) -> Result<(FirstStage, f64, LShapedStats), SolveError> {
    let n = outcomes.len();
    let p0 = outcomes
        .first()
        .ok_or_else(|| SolveError::Numerical("no outcomes to plan for".into()))?
        .p;
    // The shared decisions are the first outcome's (as in the extensive form).
    let m0 = milp::build_with_within(
        p0,
        Integrality::Lp,
        Links::Projected,
        opts.deadline.as_ref(),
    )?;
    let order: Vec<Decision> = decisions(p0, &m0.vars).into_iter().map(|d| d.0).collect();
    drop(m0);
    let index: HashMap<Decision, usize> = order.iter().enumerate().map(|(j, d)| (*d, j)).collect();
    let threads = threads(opts).min(n).max(1);
    let index = &index;
    // `--log` traces the loop's rounds, not HiGHS on every outcome's LP.
    let log = opts.log;
    let quiet = SolveOptions {
        log: false,
        ..opts.clone()
    };
    let opts = &quiet;
    std::thread::scope(|scope| {
        let (res_tx, res_rx) = mpsc::channel::<Result<Vec<Eval>, SolveError>>();
        let (built_tx, built_rx) = mpsc::channel::<Result<Built, SolveError>>();
        let mut jobs = Vec::with_capacity(threads);
        for t in 0..threads {
            let (job_tx, job_rx) = mpsc::channel::<Job>();
            jobs.push(job_tx);
            let res_tx = res_tx.clone();
            let built_tx = built_tx.clone();
            scope.spawn(move || {
                let mut subs = Vec::new();
                let mut built = Vec::new();
                for k in (t..n).step_by(threads) {
                    match Sub::new(k, outcomes[k].p, index, 1.0, opts) {
                        Ok((sub, rows)) => {
                            subs.push(sub);
                            built.push(rows);
                        }
                        Err(e) => {
                            let _ = built_tx.send(Err(e));
                            return;
                        }
                    }
                }
                if built_tx.send(Ok(built)).is_err() {
                    return;
                }
                for job in job_rx {
                    let evals: Result<Vec<Eval>, SolveError> =
                        subs.iter_mut().map(|s| s.eval(&job, opts)).collect();
                    if res_tx.send(evals).is_err() {
                        return;
                    }
                }
            });
        }
        drop(res_tx);
        drop(built_tx);
        let mut workers = Workers {
            jobs,
            results: res_rx,
            stats: LShapedStats {
                threads,
                decisions: order.len(),
                ..LShapedStats::default()
            },
        };
        let result = run_loop(
            &mut workers,
            &built_rx,
            &order,
            n,
            probabilities,
            risk,
            opts,
            tol,
            known,
            log,
        );
        // Closing the job channels ends the workers.
        workers.jobs.clear();
        result.map(|(fs, bound)| (fs, bound, workers.stats))
    })
}

#[allow(clippy::too_many_arguments)]
fn run_loop(
    workers: &mut Workers,
    built: &mpsc::Receiver<Result<Built, SolveError>>,
    order: &[Decision],
    n: usize,
    probabilities: &[f64],
    risk: Risk,
    opts: &SolveOptions,
    tol: f64,
    known: &Known,
    log: bool,
) -> Result<(FirstStage, f64), SolveError> {
    let t0 = Instant::now();
    let t = Instant::now();
    let mut rows: Vec<MasterRow> = Vec::new();
    let mut seen = BTreeSet::new();
    for _ in 0..workers.jobs.len() {
        for rs in built.recv().map_err(|_| lost())?? {
            for r in rs {
                if seen.insert(r.key()) {
                    rows.push(r);
                }
            }
        }
    }
    workers.stats.build_seconds = t.elapsed().as_secs_f64();
    // θ_k from below: each outcome's LP relaxation with the sites free,
    // or the outcome's floor where it is known and higher (its own
    // optimum's bound: the LPs' values alone leave the master's bound at
    // the outcomes' LP relaxations, far below where the sites' integrality
    // puts it).
    let free = workers.run(Job::Free, n)?;
    let lower: Vec<f64> = free
        .iter()
        .map(|e| {
            let floor = known
                .floors_cny
                .get(e.k)
                .map_or(f64::NEG_INFINITY, |f| f / CNY_PER_OBJECTIVE_UNIT);
            let v = e.value.max(floor);
            v - 1e-9 * (1.0 + v.abs())
        })
        .collect();
    // An elastic unit costs ten times the dearest outcome's relaxation.
    let penalty = 10.0 * (1.0 + free.iter().map(|e| e.value.abs()).fold(0.0, f64::max));
    let n_y = order.len();
    let gap1 = 0.5 * tol;
    let lp = Master::new(n_y, &rows, &lower, probabilities, risk, false, 0.0, opts)?;
    let mip = Master::new(
        n_y,
        &rows,
        &lower,
        probabilities,
        risk,
        true,
        0.2 * gap1,
        opts,
    )?;
    let mut run = Loop {
        workers,
        n,
        n_y,
        probabilities,
        risk,
        opts,
        log,
        t0,
        lp,
        mip,
        penalty,
        best: None,
    };
    run.seeds(order, &known.seeds, &lower)?;
    run.lp_stage()?;
    let bound = run.mip_stage(gap1)?;
    let best = run.best.ok_or_else(|| SolveError::NoSolution {
        limit: if out_of_time(opts) {
            "time limit".into()
        } else {
            format!(
                "the L-shaped loop stopped after {MAX_MIP_ROUNDS} master rounds, each answer \
                 leaving some outcome's targets or limits unmet (the master knows the outcomes' \
                 rows over the sites alone); try --method extensive"
            )
        },
    })?;
    Ok((first_stage(order, &best.y), bound))
}

/// The best plan of the loop so far: its site decisions, objective and the
/// master's columns there (a MIP start).
struct Best {
    y: Vec<f64>,
    value: f64,
    cols: Vec<f64>,
}

/// The loop once the outcomes' LPs are built: both masters, the elastic
/// price and the best plan so far, and its three stages.
struct Loop<'a> {
    workers: &'a mut Workers,
    n: usize,
    n_y: usize,
    probabilities: &'a [f64],
    risk: Risk,
    opts: &'a SolveOptions,
    log: bool,
    t0: Instant,
    lp: Master,
    mip: Master,
    penalty: f64,
    best: Option<Best>,
}

impl Loop<'_> {
    /// The risk objective of the outcomes' values.
    fn objective_at(&self, evals: &[Eval]) -> f64 {
        let v: Vec<f64> = evals.iter().map(|e| e.value).collect();
        risk_objective(&v, self.probabilities, self.risk)
    }

    /// Every outcome's LP at `y`, and whether none needs an elastic column.
    fn evaluate(&mut self, y: &Arc<Vec<f64>>) -> Result<(Vec<Eval>, f64, bool), SolveError> {
        let evals = self.workers.run(Job::At(y.clone(), self.penalty), self.n)?;
        let value = self.objective_at(&evals);
        let clean = evals.iter().all(|e| e.elastic <= NO_ELASTIC);
        Ok((evals, value, clean))
    }

    /// The cuts of `evals` at `y` that separate the master's θ there, added
    /// to both masters.
    fn cut(&mut self, evals: &[Eval], y: &[f64], theta: &[f64]) -> Result<usize, SolveError> {
        add(
            evals,
            y,
            theta,
            &mut self.lp,
            &mut self.mip,
            &mut self.workers.stats,
        )
    }

    /// `y` becomes the best plan if it serves every outcome more cheaply
    /// than the best so far; `cols` is the master's columns to fill in.
    fn offer(&mut self, y: &[f64], evals: &[Eval], value: f64, cols: Vec<f64>) -> bool {
        if self.best.as_ref().is_some_and(|b| value >= b.value) {
            return false;
        }
        let cols = plan_columns(cols, y, evals, self.probabilities, self.risk);
        self.best = Some(Best {
            y: y.to_vec(),
            value,
            cols,
        });
        true
    }

    /// Stage 0: the seeds, each evaluated in every outcome. Their cuts are
    /// valid at any y (θ at its lower bounds: every cut that touches above
    /// it is added); a seed without elastic is a plan.
    fn seeds(
        &mut self,
        order: &[Decision],
        seeds: &[FirstStage],
        lower: &[f64],
    ) -> Result<(), SolveError> {
        let n_cols = self.n_y
            + self.n
            + if self.risk.lambda > 0.0 {
                1 + self.n
            } else {
                0
            };
        for fs in seeds {
            if out_of_time(self.opts) {
                break;
            }
            let t = Instant::now();
            let y = Arc::new(y_of(order, fs));
            let (evals, value, clean) = self.evaluate(&y)?;
            let added = self.cut(&evals, &y, lower)?;
            if clean {
                self.offer(&y, &evals, value, vec![0.0; n_cols]);
            }
            trace(self.log, || {
                format!(
                    "seed: {:.6e}{}, {added} cuts, {:.1} s",
                    value,
                    if clean { "" } else { " (elastic)" },
                    t.elapsed().as_secs_f64()
                )
            });
        }
        Ok(())
    }

    /// Stage 1: the master's LP relaxation, while its bound rises.
    fn lp_stage(&mut self) -> Result<(), SolveError> {
        let mut stalled = 0;
        let mut lp_bound = f64::NEG_INFINITY;
        for _ in 0..MAX_LP_ROUNDS {
            if out_of_time(self.opts) {
                break;
            }
            let t = Instant::now();
            let a = self.lp.solve(self.opts, None)?;
            self.workers.stats.master_seconds += t.elapsed().as_secs_f64();
            self.workers.stats.lp_rounds += 1;
            let y = Arc::new(a.cols[..self.n_y].to_vec());
            let (evals, value, _) = self.evaluate(&y)?;
            let added = self.cut(&evals, &y, &a.cols[self.n_y..])?;
            trace(self.log, || {
                format!(
                    "LP round {}: bound {:.6e}, at its answer {:.6e}, {added} cuts, {:.1} s",
                    self.workers.stats.lp_rounds,
                    a.objective,
                    value,
                    self.t0.elapsed().as_secs_f64()
                )
            });
            if added == 0 || value - a.objective <= LP_TOLERANCE * value.abs().max(1e-9) {
                break;
            }
            // Kelley's cuts can leave the LP bound flat for long (the outcomes'
            // LP values flat over much of the site space): then the binary
            // answers of stage 2 give the better cuts.
            if a.objective <= lp_bound + LP_TOLERANCE * a.objective.abs().max(1e-9) {
                stalled += 1;
                if stalled >= LP_STALL_ROUNDS {
                    break;
                }
            } else {
                stalled = 0;
            }
            lp_bound = lp_bound.max(a.objective);
        }
        Ok(())
    }

    /// Whether the best plan is within `gap1` of `bound`.
    fn proven(&self, bound: f64, gap1: f64) -> bool {
        self.best
            .as_ref()
            .is_some_and(|b| b.value - bound <= gap1 * b.value.abs().max(1e-9))
    }

    /// Stage 2: the master MIP, cut at each answer, until the best plan is
    /// within `gap1` of its bound, the rounds stall or the time is up; the
    /// master's proven bound.
    fn mip_stage(&mut self, gap1: f64) -> Result<f64, SolveError> {
        let mut bound = f64::NEG_INFINITY;
        let mut tried: BTreeSet<Vec<u64>> = BTreeSet::new();
        let mut stalled = 0;
        for _ in 0..MAX_MIP_ROUNDS {
            if out_of_time(self.opts) {
                break;
            }
            let t = Instant::now();
            let start = self.best.as_ref().map(|b| b.cols.as_slice());
            let a = match self.mip.solve(self.opts, start) {
                Ok(a) => a,
                Err(SolveError::NoSolution { .. }) if self.best.is_some() => break,
                Err(e) => return Err(e),
            };
            self.workers.stats.master_seconds += t.elapsed().as_secs_f64();
            self.workers.stats.mip_rounds += 1;
            let mut progress = a.bound > bound + LP_TOLERANCE * a.bound.abs().max(1e-9);
            bound = bound.max(a.bound);
            if self.proven(bound, gap1) {
                break;
            }
            let y = rounded(&a.cols[..self.n_y]);
            let key: Vec<u64> = y.iter().map(|v| v.to_bits()).collect();
            let again = !tried.insert(key);
            let y = Arc::new(y);
            let (evals, value, clean) = self.evaluate(&y)?;
            if clean && self.offer(&y, &evals, value, a.cols.clone()) {
                progress = true;
            }
            let added = self.cut(&evals, &y, &a.cols[self.n_y..])?;
            trace(self.log, || {
                format!(
                    "MIP round {}: bound {:.6e}, answer {:.6e}{}, best {}, {added} cuts, {:.1} s",
                    self.workers.stats.mip_rounds,
                    bound,
                    value,
                    if clean { "" } else { " (elastic)" },
                    self.best
                        .as_ref()
                        .map_or("none".into(), |b| format!("{:.6e}", b.value)),
                    self.t0.elapsed().as_secs_f64()
                )
            });
            if self.proven(bound, gap1) {
                break;
            }
            stalled = if progress { 0 } else { stalled + 1 };
            if stalled >= MIP_STALL_ROUNDS && self.best.is_some() {
                trace(self.log, || {
                    format!("{MIP_STALL_ROUNDS} rounds without progress: the best plan stands")
                });
                break;
            }
            if added == 0 || again {
                if clean {
                    // The master prices its answer right: nothing left to prove
                    // beyond its own gap.
                    break;
                }
                // The master's answer needs elastic even at its own price: the
                // elastic is too cheap. Raise it (the cuts made stay valid).
                if self.workers.stats.penalty_raises >= MAX_RAISES {
                    return Err(SolveError::Infeasible {
                        reasons: vec![
                            "no one choice of sites serves every outcome: each site plan leaves some outcome's targets or limits unmet".into(),
                        ],
                        relaxations: vec![],
                        alternatives: vec![],
                    });
                }
                self.penalty *= 10.0;
                self.workers.stats.penalty_raises += 1;
                tried.clear();
            }
        }
        Ok(bound)
    }
}

/// Adds to both masters the cut of each evaluation at `y` that separates
/// The master's columns at a plan: y, θ = the outcomes' values and the
/// CVaR's (η at the value at risk, u_k the excess over it), the rest of
/// `cols` as they are.
fn plan_columns(
    mut cols: Vec<f64>,
    y: &[f64],
    evals: &[Eval],
    probabilities: &[f64],
    risk: Risk,
) -> Vec<f64> {
    let n_y = y.len();
    cols[..n_y].copy_from_slice(y);
    for e in evals {
        cols[n_y + e.k] = e.value;
    }
    if risk.lambda > 0.0 {
        let q: Vec<f64> = evals.iter().map(|e| e.value).collect();
        let (var, _) = value_at_risk(&q, probabilities, risk.alpha);
        let eta = n_y + evals.len();
        cols[eta] = var;
        for (k, v) in q.iter().enumerate() {
            cols[eta + 1 + k] = (v - var).max(0.0);
        }
    }
    cols
}

/// its θ there (`theta`: the master's θ columns).
fn add(
    evals: &[Eval],
    y: &[f64],
    theta: &[f64],
    lp: &mut Master,
    mip: &mut Master,
    stats: &mut LShapedStats,
) -> Result<usize, SolveError> {
    let cuts: Vec<Cut> = evals
        .iter()
        .filter_map(|e| cut_of(e, y, theta[e.k]))
        .collect();
    let t = Instant::now();
    lp.add_cuts(&cuts)?;
    mip.add_cuts(&cuts)?;
    stats.cuts += cuts.len();
    stats.master_seconds += t.elapsed().as_secs_f64();
    Ok(cuts.len())
}

/// Whether the run's deadline (`--time-limit` included: see [`solve`]) has passed.
fn out_of_time(opts: &SolveOptions) -> bool {
    opts.deadline.is_some_and(|d| d.left_s() <= 0.05)
}

fn trace(log: bool, f: impl FnOnce() -> String) {
    if log {
        eprintln!("l-shaped: {}", f());
    }
}
