//! Phase 1 of card-demand models below Benders' size (OR-Library's 16-50
//! sites, a region's candidate sites for a set of cities) by a branch and
//! bound of our own over the binaries, on one live HiGHS LP.
//!
//! With the city-site link rows the LP relaxation of facility location is
//! strong (within 0.3 % of the optimum on OR-Library's hardest small
//! instances), but HiGHS's MIP spends its time at the root on cut rounds and
//! sub-MIPs that close little of that gap: 0.3-0.5 s on cap113 and cap114,
//! even when handed the optimum. A plain LP-based search closes it in 20-30
//! nodes there. Each node is the LP with some binaries fixed, re-solved by
//! dual simplex from the last basis; link rows its solution violates are
//! added (the cut loop of `links.rs`, now at every node); a binary whose
//! reduced cost exceeds the distance to the best plan is fixed in the
//! subtree; each node's LP solution, rounded like phase 0 rounds the root
//! (per site the option with the largest value, the mega clusters at the
//! sites with the largest values), is evaluated once as a plan. Nodes are
//! taken best bound first; the most fractional binary is branched on.
//!
//! The search is exact: every bound is an LP bound of a relaxation of the
//! full model (some link rows, some binaries fixed), a plan is only taken
//! when its LP solution is integral and violates no link row, and the search
//! stops when no open node can beat the best plan by more than the gap. On a
//! limit (time, its node limit, an LP HiGHS cannot finish) it stops with the
//! best plan and the lowest open bound, and phase 1 hands over to HiGHS's
//! MIP from that plan.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};
use std::ops::ControlFlow;
use std::time::Instant;

use good_lp::Variable;

use crate::milp::{DemandSize, Integrality, Prepared};
use crate::plan::{BranchStats, Status};
use crate::solve::adapter::{
    Int as HighsInt, Live, LiveExt, ModelStatus as HighsModelStatus, Rows, Solved as SolvedLp,
};
use crate::solve::base::links::{self, LinkSet};
use crate::solve::base::options::DEFAULT_MIP_GAP;
use crate::solve::base::options::{SolveError, SolveOptions};
use crate::solve::base::phases::{mip_sites, phase1_options, round_binaries};
use crate::solve::base::read::{ModelParts, RawSolution, Values};
use crate::solve::base::run::{refused, warm};
use crate::solve::base::strategy::{Choice, Run, Solved, Strategy};

/// Nodes at most by default (`StrategyOptions::branch_nodes`), before the search
/// hands over to HiGHS's MIP. OR-Library's small instances need at most 27,
/// the shipped scenarios with card demand at most 35.
pub const MAX_NODES: usize = 1_000;
/// City-site pairs at most for the search to run by default. Its node LPs
/// hold every pair, and past this size HiGHS's cuts can pay more than cheap
/// nodes: on three of six 100-site × 120-city cuts of OR-Library's capb and
/// capc with uneven capacities it took 5.8-11.4 s against HiGHS's 2.9-6.2 s
/// (on the other three, and on 100-190-city cuts of capa, it was as fast or
/// faster: 0.6-7.0 s against 0.8-7.3 s), the same optima.
pub const MAX_PAIRS: usize = 5_000;
/// A binary closer than this to 0 or 1 counts as integral (HiGHS's
/// `mip_feasibility_tolerance`).
const INTEGRALITY: f64 = 1e-6;
/// Link-row rounds per node LP at most.
const SEPARATION_ROUNDS: usize = 50;
/// HiGHS's `mip_abs_gap`: plans within this of the bound (objective units,
/// 1 CNY) are optimal.
const ABS_GAP: f64 = 1e-6;

/// The search's node limit for `p`, when phase 1 runs it: models with link
/// rows in the cut loop (every city's demand a fixed number of cards), of
/// up to [`MAX_PAIRS`] pairs unless `StrategyOptions::branch_nodes` says
/// otherwise. `separated`: the model's link rows are in the cut loop.
pub fn node_limit(p: &Prepared, separated: bool, opts: &SolveOptions) -> Option<usize> {
    // It branches on the site decisions only: not where hall start months
    // are decisions too.
    if !separated || p.decides_hall_starts() {
        return None;
    }
    match opts.strategy.branch_nodes {
        Some(0) => None,
        Some(n) => Some(n),
        // Measured on fixed demands (OR-Library); share demands (every
        // shipped scenario) keep HiGHS's search unless asked.
        None => (p.pairs.len() <= MAX_PAIRS
            && p.demand.iter().all(|d| matches!(d, DemandSize::Cards(_))))
        .then_some(MAX_NODES),
    }
}

/// What the search found.
pub struct Outcome {
    /// The best plan (continuous server counts), as phase 1 returns it.
    pub best: Option<(RawSolution, ModelParts)>,
    /// A lower bound on the full model, CNY.
    pub bound: f64,
    /// Its work, and whether it finished (the best plan within the gap of
    /// the bound).
    pub stats: BranchStats,
}

/// One open node: the binaries fixed so far and its parent's LP bound.
struct Node {
    /// Per binary: -1 free, 0 or 1 fixed.
    fix: Vec<i8>,
    /// Objective units.
    bound: f64,
    depth: usize,
    seq: usize,
}

impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Node {}
impl PartialOrd for Node {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Node {
    /// The heap's top is the lowest bound, then the deepest, then the oldest.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .bound
            .total_cmp(&self.bound)
            .then(self.depth.cmp(&other.depth))
            .then(other.seq.cmp(&self.seq))
    }
}

/// A node LP's answer.
struct Lp {
    cols: Vec<f64>,
    duals: Vec<f64>,
    /// Objective units.
    objective: f64,
}

/// Why a node LP has no answer.
enum NoAnswer {
    Infeasible,
    /// A limit or an LP HiGHS could not finish: the search stops.
    Stop(&'static str),
}

/// The search: the live LP and what is needed to read it, and the tree (the
/// open nodes, the best plan, the bounds of the nodes closed).
struct Search<'a> {
    p: &'a Prepared,
    hm: Option<Live>,
    parts: ModelParts,
    /// Columns of the binaries: the opens, then the mega decisions.
    binary: Vec<HighsInt>,
    /// Per mega entry of `binary`: its site.
    mega_site: Vec<usize>,
    started: Instant,
    time_limit: Option<f64>,
    stats: BranchStats,
    /// The relative gap within which a plan is optimal.
    rel_gap: f64,
    /// The best plan: columns and objective (objective units).
    best: Option<(Vec<f64>, f64)>,
    /// The lowest bound of the nodes closed by their bound.
    closed_min: f64,
    /// The roundings already evaluated as plans.
    tried: HashSet<Vec<i8>>,
    open: BinaryHeap<Node>,
    /// The next node's number.
    seq: usize,
    /// What stopped the search before it finished, if anything.
    stopped: Option<&'static str>,
}

impl Search<'_> {
    /// Solves the LP with the binaries bounded by `fix`, adding the link rows
    /// its solution violates until none is (or [`SEPARATION_ROUNDS`]).
    /// Returns the answer and whether it violates no link row.
    fn solve(&mut self, fix: &[i8], links: &mut LinkSet) -> Result<(Lp, bool), NoAnswer> {
        let lower: Vec<f64> = fix
            .iter()
            .map(|&f| if f == 1 { 1.0 } else { 0.0 })
            .collect();
        let upper: Vec<f64> = fix
            .iter()
            .map(|&f| if f == 0 { 0.0 } else { 1.0 })
            .collect();
        let mut hm = self.hm.take().ok_or(NoAnswer::Stop("a lost LP"))?;
        hm.set_col_bounds(&self.binary, &lower, &upper);
        let mut rounds = 0;
        loop {
            let solved = self.solve_lp(hm)?;
            let sol = solved.get_solution();
            let values = Values {
                cols: sol.columns().to_vec(),
                column: &self.parts.column,
            };
            let mut add = links.violated(self.p, &self.parts.vars, &values);
            let mut live = warm(solved);
            if add.is_empty() || rounds >= SEPARATION_ROUNDS {
                self.hm = Some(live);
                let objective = self.parts.objective.eval_with(&values);
                return Ok((
                    Lp {
                        objective,
                        duals: sol.dual_columns().to_vec(),
                        cols: values.cols,
                    },
                    add.is_empty(),
                ));
            }
            add.truncate(links::MAX_ROWS_PER_ROUND);
            if links::add_link_rows(
                self.p,
                &mut live,
                &self.parts.vars,
                &self.parts.column,
                &add,
                &mut self.parts.rows,
            )
            .is_err()
            {
                self.hm = Some(live);
                return Err(NoAnswer::Stop("HiGHS refused a link row"));
            }
            links.add(&add);
            rounds += 1;
            hm = live;
        }
    }

    /// One solve of the live LP `hm` in the time left: its optimum, or why
    /// there is none (the LP then kept for the next node, unless HiGHS
    /// failed).
    fn solve_lp(&mut self, mut hm: Live) -> Result<SolvedLp, NoAnswer> {
        if let Some(t) = self.time_limit {
            let left = t - self.started.elapsed().as_secs_f64();
            if left <= 0.0 {
                self.hm = Some(hm);
                return Err(NoAnswer::Stop("time limit"));
            }
            hm.set_time_left(left);
        }
        let mut solved = hm
            .try_solve()
            .map_err(|_| NoAnswer::Stop("a HiGHS error"))?;
        self.stats.lp_solves += 1;
        if solved.status() == HighsModelStatus::Unknown {
            // No clean optimum from the last basis: once more from scratch.
            let mut again = Live::from(solved);
            again.clear_solver();
            solved = again
                .try_solve()
                .map_err(|_| NoAnswer::Stop("a HiGHS error"))?;
            self.stats.lp_solves += 1;
        }
        let status = solved.status();
        let why = match status {
            HighsModelStatus::Optimal => return Ok(solved),
            HighsModelStatus::Infeasible => NoAnswer::Infeasible,
            HighsModelStatus::ReachedTimeLimit => NoAnswer::Stop("time limit"),
            _ => NoAnswer::Stop("an LP HiGHS could not finish"),
        };
        self.hm = Some(warm(solved));
        Err(why)
    }

    /// The node's LP solution rounded to a plan (as phase 0 rounds the root),
    /// as a fixing of every binary.
    fn rounded(&self, lp: &Lp) -> Vec<i8> {
        let values = Values {
            cols: lp.cols.clone(),
            column: &self.parts.column,
        };
        let (open, mega) = round_binaries(self.p, &self.parts.vars, &values);
        let mut fix: Vec<i8> = open.iter().map(|&x| x as i8).collect();
        fix.extend(self.mega_site.iter().map(|&s| mega[s].unwrap_or(0.0) as i8));
        fix
    }

    /// The best plan's objective (+∞ without one).
    fn best_z(&self) -> f64 {
        self.best.as_ref().map_or(f64::INFINITY, |x| x.1)
    }

    /// The bound at or above which a node cannot beat a plan of objective
    /// `best` by more than the gap.
    fn cutoff(&self, best: f64) -> f64 {
        best - (self.rel_gap * best.abs()).max(ABS_GAP)
    }

    /// Takes the open nodes, lowest bound first, until none is left or a
    /// limit stops the search.
    fn run(&mut self, links: &mut LinkSet, max_nodes: usize) {
        while let Some(node) = self.open.pop() {
            if self.visit(node, links, max_nodes).is_break() {
                break;
            }
        }
    }

    /// Stops the search for `why`, with `node` still open.
    fn stop(&mut self, node: Node, why: &'static str) -> ControlFlow<()> {
        self.open.push(node);
        self.stopped = Some(why);
        ControlFlow::Break(())
    }

    /// One node: closed by its bound, an integral plan, or its LP solution
    /// rounded to a plan and evaluated, then branched on. Breaks when the
    /// search stops at a limit.
    fn visit(&mut self, node: Node, links: &mut LinkSet, max_nodes: usize) -> ControlFlow<()> {
        let z_best = self.best_z();
        if node.bound >= self.cutoff(z_best) {
            self.closed_min = self.closed_min.min(node.bound);
            return ControlFlow::Continue(());
        }
        if self.stats.nodes >= max_nodes {
            return self.stop(node, "the node limit");
        }
        self.stats.nodes += 1;
        let (lp, complete) = match self.solve(&node.fix, links) {
            Ok(x) => x,
            Err(NoAnswer::Infeasible) => return ControlFlow::Continue(()),
            Err(NoAnswer::Stop(why)) => return self.stop(node, why),
        };
        let z = lp.objective.max(node.bound);
        if z >= self.cutoff(z_best) {
            self.closed_min = self.closed_min.min(z);
            return ControlFlow::Continue(());
        }
        let at: Vec<f64> = self.binary.iter().map(|&c| lp.cols[c as usize]).collect();
        let fractional: Vec<usize> = (0..at.len())
            .filter(|&i| {
                let v = at[i];
                v > INTEGRALITY && v < 1.0 - INTEGRALITY
            })
            .collect();
        if fractional.is_empty() {
            if complete {
                // An integral plan that violates no link row.
                self.best = Some((lp.cols, lp.objective));
                return ControlFlow::Continue(());
            }
            // Integral, but the separation rounds ran out: leave it to HiGHS.
            return self.stop(node, "link rows still violated after the separation rounds");
        }
        let fix = self.fixed_by_reduced_cost(&node.fix, &lp, &at, z_best - z);
        // The LP solution rounded to a plan, once per distinct rounding.
        let r = self.rounded(&lp);
        if self.tried.insert(r.clone()) {
            self.stats.plans_evaluated += 1;
            match self.solve(&r, links) {
                Ok((plan, true)) if plan.objective < self.best_z() => {
                    self.best = Some((plan.cols, plan.objective));
                }
                Ok(_) | Err(NoAnswer::Infeasible) => {}
                Err(NoAnswer::Stop(why)) => {
                    let node = Node {
                        fix,
                        bound: z,
                        depth: node.depth,
                        seq: self.seq,
                    };
                    return self.stop(node, why);
                }
            }
            if z >= self.cutoff(self.best_z()) {
                self.closed_min = self.closed_min.min(z);
                return ControlFlow::Continue(());
            }
        }
        self.branch(&fractional, &at, &fix, z, node.depth);
        ControlFlow::Continue(())
    }

    /// `fix` with the free binaries that reduced costs keep where the LP
    /// solution (`lp`, binaries `at`) has them, given `room` to the best plan.
    fn fixed_by_reduced_cost(&self, fix: &[i8], lp: &Lp, at: &[f64], room: f64) -> Vec<i8> {
        // Reduced-cost fixing: a binary at 0 whose reduced cost exceeds the
        // distance to the best plan stays 0 in the subtree (and one at 1 with
        // a cost of more than that to leave stays 1): no plan there is better.
        let mut fix = fix.to_vec();
        for (i, f) in fix.iter_mut().enumerate() {
            if *f != -1 {
                continue;
            }
            let d = lp.duals[self.binary[i] as usize];
            if at[i] <= INTEGRALITY && d > room {
                *f = 0;
            } else if at[i] >= 1.0 - INTEGRALITY && -d > room {
                *f = 1;
            }
        }
        fix
    }

    /// Opens the two children of a node (binaries fixed by `fix`, bound `z`,
    /// at `depth`) on one of its `fractional` binaries (values `at`).
    fn branch(&mut self, fractional: &[usize], at: &[f64], fix: &[i8], z: f64, depth: usize) {
        // Branch on the most fractional binary (the first of equals).
        let i = fractional
            .iter()
            .copied()
            .filter(|&i| fix[i] == -1)
            .max_by(|&a, &b| {
                let fa = at[a].min(1.0 - at[a]);
                let fb = at[b].min(1.0 - at[b]);
                fa.total_cmp(&fb).then(b.cmp(&a))
            })
            .expect("a fractional binary is free");
        for v in [0, 1] {
            let mut child = fix.to_vec();
            child[i] = v;
            self.open.push(Node {
                fix: child,
                bound: z,
                depth: depth + 1,
                seq: self.seq,
            });
            self.seq += 1;
        }
    }

    /// What the search found, in CNY (`scale` per objective unit); its
    /// figures go to the log.
    fn finish(mut self, opts: &SolveOptions, scale: f64) -> Result<Outcome, SolveError> {
        let seconds = self.started.elapsed().as_secs_f64();
        let z_best = self.best_z();
        let open_min = self
            .open
            .iter()
            .map(|n| n.bound)
            .fold(f64::INFINITY, f64::min);
        let bound_units = z_best.min(self.closed_min).min(open_min);
        let finished = self.stopped.is_none();
        if finished && self.best.is_none() {
            // Every node infeasible: so is phase 1's model.
            return Err(SolveError::unexplained_infeasible());
        }
        self.stats.finished = finished;
        if opts.log {
            let s = &self.stats;
            eprintln!(
                "branch and bound: {:.3} s, {} nodes, {} LP solves, {} rounded plans evaluated; {}",
                seconds,
                s.nodes,
                s.lp_solves,
                s.plans_evaluated,
                match self.stopped {
                    None => "finished".to_string(),
                    Some(why) =>
                        format!("stopped by {why}, HiGHS's MIP goes on from its best plan"),
                }
            );
        }
        let bound = bound_units * scale;
        let stats = self.stats;
        let best = self.best.map(|(cols, z)| {
            (
                RawSolution {
                    status: if finished {
                        Status::Optimal
                    } else {
                        Status::Feasible
                    },
                    cols,
                    objective: z * scale,
                    dual_bound: bound,
                    seconds,
                    row_duals: Vec::new(),
                    col_duals: Vec::new(),
                },
                self.parts,
            )
        });
        Ok(Outcome { best, bound, stats })
    }
}

/// The fewest sites whose servers can offer the cities' demand, when more
/// than one: a site offers at most its largest option's servers at their
/// bounds ([`Prepared::max_servers`]) at their performance, the sites are
/// taken largest first. `Σ open ≥ k` is then valid for every plan. Without
/// it the LP spreads the demand over fractions of sites: on a 100-site ×
/// 100-city cut of OR-Library's capa (capacity 1,200, demand 5,280) the LP
/// bound is 7.50 against an optimum of 8.25 (millions), with it 8.24, and
/// the search took 884 nodes and did not finish in 97 s. HiGHS's MIP finds
/// the same bound at its root.
fn fewest_sites(p: &Prepared) -> Option<f64> {
    let demand: f64 = p
        .demand
        .iter()
        .map(|d| match d {
            crate::milp::DemandSize::Cards(c) => c.max(0.0),
            _ => 0.0,
        })
        .sum();
    let mut offer = vec![0.0_f64; p.inst.sites.len()];
    for opt in &p.options {
        let cards: f64 = opt
            .accels
            .iter()
            .map(|&a| {
                let acc = &p.inst.accelerators[a];
                p.max_servers(opt, a) * acc.cards_per_server as f64 * acc.perf_h200_eq.max(0.0)
            })
            .sum();
        offer[opt.site] = offer[opt.site].max(cards);
    }
    offer.sort_by(|a, b| b.total_cmp(a));
    let mut sum = 0.0;
    for (k, x) in offer.iter().enumerate() {
        // A margin of HiGHS's feasibility tolerance: never claim a site too many.
        if sum >= demand * (1.0 - 1e-9) - 1e-6 {
            return (k > 1).then_some(k as f64);
        }
        sum += x;
    }
    // Not even every site together: the model is infeasible; leave that to HiGHS.
    (sum >= demand * (1.0 - 1e-9) - 1e-6 && offer.len() > 1).then_some(offer.len() as f64)
}

/// Searches the binaries of the LP relaxation `hm` (live, as the cut loop
/// of `links.rs` leaves it; `parts` describes it, with the link rows in
/// `links`) until the best plan is within `opts.mip_gap` of the bound.
pub fn solve_binaries(
    p: &Prepared,
    opts: &SolveOptions,
    hm: Live,
    parts: ModelParts,
    links: &mut LinkSet,
    max_nodes: usize,
) -> Result<Outcome, SolveError> {
    let started = Instant::now();
    let (binary, mega_site) = binaries(&parts);
    let scale = parts.cny_per_objective_unit;
    let mut hm = hm;
    if let Some(k) = fewest_sites(p) {
        add_fewest_sites_row(&mut hm, &parts, k)?;
    }
    let n = binary.len();
    let mut search = Search {
        p,
        hm: Some(hm),
        parts,
        binary,
        mega_site,
        started,
        time_limit: opts.seconds_left(),
        stats: BranchStats::default(),
        rel_gap: opts.mip_gap.unwrap_or(DEFAULT_MIP_GAP),
        best: None,
        closed_min: f64::INFINITY,
        tried: HashSet::new(),
        open: BinaryHeap::new(),
        seq: 1,
        stopped: None,
    };
    search.open.push(Node {
        fix: vec![-1; n],
        bound: f64::NEG_INFINITY,
        depth: 0,
        seq: 0,
    });
    search.run(links, max_nodes);
    search.finish(opts, scale)
}

/// The columns of the binaries (the opens, then the mega decisions), and
/// the site of each mega decision among them.
fn binaries(parts: &ModelParts) -> (Vec<HighsInt>, Vec<usize>) {
    let col = |v: &Variable| parts.column[v] as HighsInt;
    let mut binary: Vec<HighsInt> = parts.vars.open.iter().map(col).collect();
    let mut mega_site = Vec::new();
    for (s, m) in parts.vars.mega.iter().enumerate() {
        if let Some(m) = m {
            binary.push(col(m));
            mega_site.push(s);
        }
    }
    (binary, mega_site)
}

/// Adds `Σ open ≥ k` to the live LP `hm` (`parts` describes it).
fn add_fewest_sites_row(hm: &mut Live, parts: &ModelParts, k: f64) -> Result<(), SolveError> {
    // Σ open ≥ k: a valid inequality (every city is served, a site
    // serves at most what its servers offer) that the LP misses.
    let index: Vec<HighsInt> = parts
        .vars
        .open
        .iter()
        .map(|v| parts.column[v] as HighsInt)
        .collect();
    let ones = vec![1.0; index.len()];
    hm.add_rows(&Rows {
        lower: &[k],
        upper: &[f64::INFINITY],
        starts: &[0],
        index: &index,
        value: &ones,
    })
    .map_err(refused(
        "the row of the fewest sites that can serve the demand",
    ))
}

/// Phases 0 and 1 by dcsite's own branch and bound from the cut loop's LP;
/// HiGHS's MIP goes on only if a limit stops the search.
pub struct BranchAndBound {
    /// Nodes at most before HiGHS's MIP takes over.
    pub max_nodes: usize,
}

impl Strategy for BranchAndBound {
    fn name(&self) -> &'static str {
        "branch and bound"
    }

    fn choose_sites(&self, run: &Run) -> Result<Choice, SolveError> {
        let opts1 = phase1_options(run);
        let out = branch_lp(run, &opts1, self.max_nodes)?;
        let stats = out.stats;
        let mut choice = mip_sites(run, &opts1, out.bound, out.best, stats.finished)?;
        // The search's plan is an LP optimum for its binaries; when its
        // server counts are whole it is the full model's plan as it stands.
        choice.start_is_plan = stats.finished;
        choice.branch = Some(stats);
        Ok(choice)
    }

    fn solve(
        &self,
        p: &Prepared,
        opts: &SolveOptions,
        relax: &[(crate::milp::RowKey, f64)],
    ) -> Result<Solved, SolveError> {
        crate::solve::base::phases::solve_phases(p, opts, relax, self)
    }
}

/// Phases 0 and 1 of a model with link rows: the LP relaxation by the cut
/// loop, then [`solve_binaries`] on the same live LP. Returns what the
/// search found (its bound at least the root LP's).
fn branch_lp(run: &Run, opts: &SolveOptions, max_nodes: usize) -> Result<Outcome, SolveError> {
    let lp = run.build(Integrality::Lp)?;
    let mut links = run.links.borrow_mut();
    let (root, parts, live) = links::lp_rounds_live(run.p, opts, lp, &mut links)?;
    let mut out = solve_binaries(run.p, opts, live, parts, &mut links, max_nodes)?;
    out.bound = out.bound.max(root.objective);
    Ok(out)
}
