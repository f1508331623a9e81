//! Column generation for the (city, site) pairs of large instances. A city
//! can be served from every candidate site within its RTT budget: 3000 sites
//! × 300 cities within 30 ms are 783,000 `serve` columns, more than
//! HiGHS can branch over in a minute. The loop keeps each city's nearest
//! sites, solves the LP relaxation of the model with those pairs (the
//! restricted master, RMP), prices every left-out pair with the LP's row
//! duals (reduced cost = cost − dual of the city's demand row − dual of the
//! site's inference-capacity row) and adds those that would lower the cost.
//! The RMP stays one live HiGHS LP: new pairs are appended as columns
//! (`Highs_addCols`; a serve column has +1 in its city's demand row and +1 in
//! its site's capacity row, nothing else) and the LP is re-solved from its
//! basis.
//!
//! # The bound during pricing
//!
//! Each round gives a lower bound on the LP of the model with *every* pair
//! (the full LP), so pricing can stop before no pair prices in. Let `y` be
//! the RMP's optimal row duals, `z` its value and `r_k` the reduced cost of
//! pair k under `y`. Relax every row with multipliers `y` (a Lagrangian
//! relaxation), keeping the column bounds and two constraints that some
//! optimal solution of the full LP satisfies:
//!
//! * `Σ_{k of d} serve_k ≤ U_d` for every city d, where `U_d` is the demand
//!   in cards (`DemandSize::Cards`) or `x_d × T` for a share `x_d` of all
//!   placed H200-eq capacity `T` (`DemandSize::ShareOfTotal`). Serve columns
//!   are only in their city's demand row (≥, coefficient +1) and their
//!   site's capacity row (≤, +1), and cost ≥ 0: lowering an over-served
//!   city's serve columns keeps every row and costs no more, so an optimal
//!   solution with every demand row tight exists.
//! * `T ≤ T_max`, where `T_max` is the most H200-eq capacity of any point
//!   of the model's other rows (every row without a serve column) whose cost
//!   without the serve columns is at most `z`: an optimal solution of the
//!   full LP costs at most `z` (the RMP is the full LP with pairs fixed at 0)
//!   and its serve columns cost ≥ 0. One more LP ([`max_total_h200_eq`]).
//!
//! For the RMP's own columns the relaxed problem is minimised where the RMP
//! solution is (complementary slackness: each column's reduced cost times
//! its value is the least over its bounds, and the rows' duals times their
//! slacks are 0). `T`'s reduced cost is ≥ 0 (dual feasibility; 0 when it is
//! basic) and leaving it out of the `T` term below only lowers the bound. So
//! the Lagrangian value is at least
//!
//! `L(y) = z + Σ_{cards d} demand_d · m_d + T_max · Σ_{share d} x_d · m_d`,
//!
//! with `m_d = min(0, min_k r_k)` over city d's pairs: every city's demand
//! put on its cheapest pair by reduced cost. `L(y) ≤` the full LP's value
//! (weak duality of the Lagrangian), which bounds the full MIP from below:
//! the plan's gap is measured against it (against `z` itself once no pair
//! prices in, when `L(y) = z`), never against a bound of the restricted
//! model. Pricing stops once `z` is within [`PRICING_SHARE`] of the
//! requested gap of the best `L(y)` so far; the phases get the rest.
//! `T_max` bounds `T` in every optimal solution, so one computed at a later
//! round's (lower) `z` serves every round; it is computed only when `L(y)`
//! with the RMP's own `T` (at most `T_max`) would stop pricing. Reduced
//! costs above −1e-9 count as 0, as when pricing ends (the LP's accuracy),
//! and `T_max` gets a little room for HiGHS's tolerances. With a pair of
//! negative cost (not from the data's network cost) there is no such bound
//! and only a priced-out LP bounds the model.
//!
//! The capacity dual of a site whose servers are all at 0 is degenerate and
//! is moved to the lowest value that keeps every server column's reduced
//! cost ≥ 0 (below); the row's slack and right-hand side are 0 and its serve
//! and mega columns are at 0, so the moved duals are still optimal RMP duals
//! and the argument above holds for them.

use crate::plan::PairStats;
use std::ops::ControlFlow;
use std::time::Instant;

use crate::milp::{self, DemandSize, Integrality, Links, Prepared, RowKey};
use crate::plan::Status;
use crate::solve::adapter::{Columns, Int as HighsInt, Live, LiveExt, ModelStatus};
use crate::solve::base::options::DEFAULT_MIP_GAP;
use crate::solve::base::options::{SolveError, SolveOptions};
use crate::solve::base::phases::{highs_sites, HighsMip};
use crate::solve::base::run::{configure, highs_instance, refused, warm};
use crate::solve::base::strategy::{Choice, Run, Solved, Strategy};

/// Pairs per city above which the loop is used (and the nearest kept at first).
const PAIRS_PER_CITY: usize = 40;
/// Pairs added per city and pricing round at most.
const PER_CITY_AND_ROUND: usize = 5;
/// Pricing rounds at most.
const MAX_ROUNDS: usize = 60;
/// Pricing stops when the RMP is within this share of the requested gap of
/// the bound; the MIP phases get the rest.
pub const PRICING_SHARE: f64 = 0.25;
/// Reduced costs above −this (objective units per card) count as 0: the
/// LP's own accuracy.
const RC_TOLERANCE: f64 = 1e-9;

/// Whether the loop applies: many pairs per city, no link rows (fixed
/// demands, and share demands up to 30,000 pairs, use the link-row loop
/// instead) and no `max_sites_per_city`.
/// `StrategyOptions::pair_pricing` forces it on (where it can apply) or off.
pub fn applies(p: &Prepared, opts: &SolveOptions) -> bool {
    let cities = p.demand.iter().filter(|d| positive(d)).count().max(1);
    !p.disaggregate_links
        && p.inst.params.max_sites_per_city.is_none()
        && opts
            .strategy
            .pair_pricing
            .unwrap_or(p.pairs.len() > PAIRS_PER_CITY * cities)
}

fn positive(d: &DemandSize) -> bool {
    match *d {
        DemandSize::Cards(x) | DemandSize::ShareOfTotal(x) => x > 0.0,
    }
}

/// `p` with only the pairs marked active.
fn restricted(p: &Prepared, active: &[bool]) -> Prepared {
    Prepared {
        inst: p.inst.clone(),
        options: p.options.clone(),
        option_reasons: p.option_reasons.clone(),
        site_reason: p.site_reason.clone(),
        pairs: p
            .pairs
            .iter()
            .zip(active)
            .filter(|(_, &a)| a)
            .map(|(x, _)| x.clone())
            .collect(),
        demand: p.demand.clone(),
        region_of_site: p.region_of_site.clone(),
        price_of_site: p.price_of_site.clone(),
        annuity_factor: p.annuity_factor,
        disaggregate_links: p.disaggregate_links,
        share_floor: p.share_floor,
    }
}

/// What pricing found.
#[derive(Debug, Clone)]
pub struct Pricing {
    /// The pairs in the RMP (indexed like `Prepared::pairs`).
    pub active: Vec<bool>,
    /// LP solves of the RMP.
    pub rounds: usize,
    /// The RMP's LP value at the last round solved, CNY (+∞ if none was).
    pub rmp_value: f64,
    /// A lower bound on the LP of the model with every pair, CNY (−∞ if
    /// none is known).
    pub lower_bound: f64,
    /// Whether no left-out pair priced in at the last round (then
    /// `lower_bound` is the full LP's value).
    pub priced_out: bool,
    /// Seconds spent.
    pub seconds: f64,
}

impl Pricing {
    /// Relative distance of the RMP's value from the bound.
    pub fn gap(&self) -> f64 {
        if !self.lower_bound.is_finite() || !self.rmp_value.is_finite() {
            return f64::INFINITY;
        }
        ((self.rmp_value - self.lower_bound) / self.rmp_value.abs().max(1e-9)).max(0.0)
    }
}

/// Each city's nearest pairs, and every site's nearest city (so that its
/// inference-capacity row is in the model and its dual prices the site's
/// capacity).
fn initial_pairs(p: &Prepared) -> Vec<bool> {
    let mut active = vec![false; p.pairs.len()];
    for ks in p.pairs_by_city(|x| x.rtt_ms) {
        for &k in ks.iter().take(PAIRS_PER_CITY / 2) {
            active[k] = true;
        }
    }
    let mut nearest: Vec<Option<usize>> = vec![None; p.inst.sites.len()];
    for (k, pair) in p.pairs.iter().enumerate() {
        let s = pair.site;
        if nearest[s].is_none_or(|j| pair.rtt_ms < p.pairs[j].rtt_ms) {
            nearest[s] = Some(k);
        }
    }
    for k in nearest.into_iter().flatten() {
        active[k] = true;
    }
    active
}

/// The most H200-eq capacity (`T`) of any point of the LP relaxation of the
/// model's rows without serve columns whose cost (without the serve
/// columns) is at most `cost_cny`; `None` if HiGHS does not find it.
pub fn max_total_h200_eq(p: &Prepared, opts: &SolveOptions, cost_cny: f64) -> Option<f64> {
    let m = milp::build_with(p, Integrality::Lp, Links::Projected);
    let accs = &p.inst.accelerators;
    let mut minus_t = good_lp::Expression::default();
    for (o, opt) in p.options.iter().enumerate() {
        for (i, &a) in opt.accels.iter().enumerate() {
            let h = accs[a].cards_per_server as f64 * accs[a].perf_h200_eq;
            minus_t.add_mul(-h, m.vars.servers[o][i]);
        }
    }
    // A hair above the cost: the RMP's own point must stay inside.
    let cutoff = cost_cny / m.cny_per_objective_unit;
    let cutoff = cutoff + 1e-9 * cutoff.abs() + 1e-6;
    let budget = m.objective.clone().leq(cutoff);
    let mut hm = highs_instance(m.problem_vars, minus_t, &m.rows, [budget]).ok()?;
    let mut o = opts.clone();
    o.log = false;
    configure(&mut hm, &o, Instant::now()).ok()?;
    let solved = hm.try_solve().ok()?;
    if solved.status() != ModelStatus::Optimal {
        return None;
    }
    // HiGHS's tolerances: a little room on top.
    let t = -solved.objective_value();
    Some(t * (1.0 + 1e-7) + 1.0)
}

/// One round's ingredients of the Lagrangian bound (module doc): `L(y) =
/// z + cards + T_max × share` (CNY; `cards`, `share` ≤ 0).
#[derive(Debug, Clone, Copy)]
struct RoundBound {
    z: f64,
    cards: f64,
    share: f64,
}

impl RoundBound {
    fn at(&self, t_max: f64) -> f64 {
        if self.share == 0.0 {
            self.z + self.cards
        } else {
            self.z + self.cards + t_max * self.share
        }
    }
}

/// The pricing loop: RMP solves and pricing until no pair prices in, or the
/// RMP is within `stop_gap` (relative) of the bound, or a limit.
pub fn price(p: &Prepared, opts: &SolveOptions, stop_gap: f64) -> Result<Pricing, SolveError> {
    let mut pricer = Pricer::new(p, opts, stop_gap)?;
    while pricer.out.rounds < MAX_ROUNDS {
        if pricer.round()?.is_break() {
            break;
        }
    }
    Ok(pricer.finish())
}

/// The pricing loop in progress: the live RMP, where its city and site rows
/// are, and the bounds of the rounds so far.
struct Pricer<'a> {
    p: &'a Prepared,
    opts: &'a SolveOptions,
    stop_gap: f64,
    t0: Instant,
    /// The pairs in the RMP.
    active: Vec<bool>,
    out: Pricing,
    /// The Lagrangian bound needs serve columns of cost ≥ 0 (module doc).
    bound_valid: bool,
    /// Per city, its demand row; per site, its inference-capacity row.
    demand_row: Vec<Option<usize>>,
    capacity_row: Vec<Option<usize>>,
    /// (site, column, H200-eq cards per server) of every server column.
    server_cols: Vec<(usize, usize, f64)>,
    /// The RMP, live between rounds.
    hm: Option<Live>,
    bounds: Vec<RoundBound>,
    /// T_max and the cost it was computed for.
    t_max: Option<(f64, f64)>,
}

/// One round's RMP duals, with the capacity duals of sites without servers
/// moved down (module doc), and the RMP's own H200-eq capacity `T`.
struct RoundDuals {
    demand: Vec<f64>,
    capacity: Vec<f64>,
    t_rmp: f64,
}

impl<'a> Pricer<'a> {
    /// The RMP with each city's nearest pairs (`initial_pairs`), on a live
    /// HiGHS LP.
    fn new(p: &'a Prepared, opts: &'a SolveOptions, stop_gap: f64) -> Result<Self, SolveError> {
        let t0 = Instant::now();
        let active = initial_pairs(p);
        let out = Pricing {
            active: Vec::new(),
            rounds: 0,
            rmp_value: f64::INFINITY,
            lower_bound: f64::NEG_INFINITY,
            priced_out: false,
            seconds: 0.0,
        };
        let bound_valid = p.pairs.iter().all(|x| x.cost_cny_per_card >= 0.0);
        let lp = milp::build(&restricted(p, &active), Integrality::Lp);
        let mut demand_row: Vec<Option<usize>> = vec![None; p.inst.demand.len()];
        let mut capacity_row: Vec<Option<usize>> = vec![None; p.inst.sites.len()];
        for (i, r) in lp.rows.iter().enumerate() {
            match r.key {
                RowKey::Demand { city } => demand_row[city] = Some(i),
                RowKey::InferenceCapacity { site } => capacity_row[site] = Some(i),
                _ => {}
            }
        }
        let accs = &p.inst.accelerators;
        let mut server_cols = Vec::new();
        for (o, opt) in p.options.iter().enumerate() {
            for (i, &a) in opt.accels.iter().enumerate() {
                let h = accs[a].cards_per_server as f64 * accs[a].perf_h200_eq;
                server_cols.push((opt.site, lp.column[&lp.vars.servers[o][i]], h));
            }
        }
        let mut lp_opts = opts.clone();
        lp_opts.log = false;
        let mut hm = Some(highs_instance(lp.problem_vars, lp.objective, &lp.rows, [])?);
        configure(hm.as_mut().expect("just made"), &lp_opts, Instant::now())?;
        Ok(Pricer {
            p,
            opts,
            stop_gap,
            t0,
            active,
            out,
            bound_valid,
            demand_row,
            capacity_row,
            server_cols,
            hm,
            bounds: Vec::new(),
            t_max: None,
        })
    }

    /// One round: the RMP solved, the left-out pairs priced with its duals,
    /// the bound of the round, and the pairs that price in added. Breaks
    /// when the RMP has no optimum (or a limit is near), no pair prices in,
    /// or the bound is close enough.
    fn round(&mut self) -> Result<ControlFlow<()>, SolveError> {
        let mut model = self.hm.take().expect("live between rounds");
        if let Some(t) = self.opts.time_limit_s {
            let left = t - self.t0.elapsed().as_secs_f64();
            if left < 0.5 * t {
                return Ok(ControlFlow::Break(()));
            }
            model.set_time_left(left);
        }
        // Infeasible with the pairs so far, or out of time: the phases below
        // say so with the full diagnosis (or stop at the limit).
        let Ok(solved) = model.try_solve() else {
            return Ok(ControlFlow::Break(()));
        };
        if solved.status() != ModelStatus::Optimal {
            return Ok(ControlFlow::Break(()));
        }
        self.out.rounds += 1;
        let z = solved.objective_value() * milp::CNY_PER_OBJECTIVE_UNIT;
        let (cols, row_duals, col_duals) = {
            let sol = solved.get_solution();
            (
                sol.columns().to_vec(),
                sol.dual_rows().to_vec(),
                sol.dual_columns().to_vec(),
            )
        };
        self.hm = Some(warm(solved));
        self.out.rmp_value = z;
        let duals = self.duals(&cols, &row_duals, &col_duals);
        let (new_cols, most_negative) = self.priced_in(&duals);
        if new_cols.is_empty() {
            self.out.lower_bound = z;
            self.out.priced_out = true;
            return Ok(ControlFlow::Break(()));
        }
        if self.bound_valid && self.bound_closes(z, &most_negative, duals.t_rmp) {
            return Ok(ControlFlow::Break(()));
        }
        active_add(&mut self.active, &new_cols);
        add_serve_columns(
            self.hm.as_mut().expect("live"),
            self.p,
            &new_cols,
            &self.demand_row,
            &self.capacity_row,
        )?;
        Ok(ControlFlow::Continue(()))
    }

    /// The RMP's duals for pricing, from its solution (`cols`, `row_duals`,
    /// `col_duals`).
    fn duals(&self, cols: &[f64], row_duals: &[f64], col_duals: &[f64]) -> RoundDuals {
        let dual = |row: Option<usize>| row.and_then(|i| row_duals.get(i).copied()).unwrap_or(0.0);
        let demand_dual: Vec<f64> = self.demand_row.iter().map(|&r| dual(r)).collect();
        let mut capacity_dual: Vec<f64> = self.capacity_row.iter().map(|&r| dual(r)).collect();
        // The capacity row of a site whose servers are all at 0 is tight
        // (0 ≤ 0) and its dual degenerate: HiGHS may give 0, which prices
        // every nearer pair in. Its dual can fall by as much as keeps every
        // server column's reduced cost ≥ 0 (a server adds cps × perf to the
        // row's capacity) and stay a dual solution; the lowest such value
        // prices pairs only where the site would pay for itself.
        let mut room = vec![f64::INFINITY; self.p.inst.sites.len()];
        let mut t_rmp = 0.0;
        for &(s, col, h) in &self.server_cols {
            let d = col_duals.get(col).copied().unwrap_or(0.0).max(0.0);
            room[s] = room[s].min(d / h);
            t_rmp += h * cols.get(col).copied().unwrap_or(0.0);
        }
        for (s, y) in capacity_dual.iter_mut().enumerate() {
            if self.capacity_row[s].is_some() && room[s].is_finite() {
                *y -= room[s];
            }
        }
        RoundDuals {
            demand: demand_dual,
            capacity: capacity_dual,
            t_rmp,
        }
    }

    /// The left-out pairs that price in under `duals`, and per city the
    /// most negative reduced cost of its pairs (0 if none is negative).
    fn priced_in(&self, duals: &RoundDuals) -> (Vec<usize>, Vec<f64>) {
        let scale = milp::CNY_PER_OBJECTIVE_UNIT;
        // HiGHS: reduced cost = cost − Σ row coefficient × row dual; a serve
        // column has +1 in its city's demand row and its site's capacity row
        // (a site without active pairs has no such row yet: dual 0, which
        // keeps the bound valid since that site's servers are then in no
        // row of the RMP that a serve column is in).
        // Most negative reduced costs first, at most a few per city and round
        // (partial pricing: the duals change as pairs come in).
        let cities = self.p.inst.demand.len();
        let mut best: Vec<Vec<(f64, usize)>> = vec![Vec::new(); cities];
        let mut most_negative = vec![0.0f64; cities];
        for (k, pair) in self.p.pairs.iter().enumerate() {
            let rc = pair.cost_cny_per_card / scale
                - duals.demand[pair.demand]
                - duals.capacity[pair.site];
            if rc < -RC_TOLERANCE {
                let m = &mut most_negative[pair.demand];
                *m = m.min(rc);
                if !self.active[k] {
                    best[pair.demand].push((rc, k));
                }
            }
        }
        let mut new_cols: Vec<usize> = Vec::new();
        for list in &mut best {
            list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for &(_, k) in list.iter().take(PER_CITY_AND_ROUND) {
                new_cols.push(k);
            }
        }
        (new_cols, most_negative)
    }

    /// Records the bound of a round of RMP value `z` (`most_negative` per
    /// city, the RMP's own capacity `t_rmp`) and raises the lower bound
    /// with it when it may be close; returns whether it is within the
    /// stopping gap.
    fn bound_closes(&mut self, z: f64, most_negative: &[f64], t_rmp: f64) -> bool {
        let scale = milp::CNY_PER_OBJECTIVE_UNIT;
        let mut b = RoundBound {
            z,
            cards: 0.0,
            share: 0.0,
        };
        for (d, &m) in most_negative.iter().enumerate() {
            match self.p.demand[d] {
                DemandSize::Cards(c) if c > 0.0 => b.cards += c * m * scale,
                DemandSize::ShareOfTotal(x) if x > 0.0 => b.share += x * m * scale,
                _ => {}
            }
        }
        self.bounds.push(b);
        // With T at the RMP's own value (at most T_max, which allows any
        // point costing ≤ z) the bound would be no lower: only when that
        // is close enough is T_max worth its LP.
        let stop_gap = self.stop_gap;
        let close = |lb: f64| (z - lb) / z.abs().max(1e-9) <= stop_gap;
        if !close(b.at(t_rmp)) {
            return false;
        }
        let mut lb = best_bound(&self.bounds, self.t_max.map(|x| x.1));
        // T_max from a higher cost than z: recomputed at z.
        if !close(lb) && b.share != 0.0 && self.t_max.is_none_or(|(at, _)| z < at) {
            if let Some(t) = max_total_h200_eq(self.p, self.opts, z) {
                self.t_max = Some((z, t));
                lb = best_bound(&self.bounds, Some(t));
            }
        }
        self.out.lower_bound = self.out.lower_bound.max(lb);
        close(self.out.lower_bound)
    }

    /// What pricing found; when it stopped at a limit, the bound is that
    /// of the rounds solved.
    fn finish(mut self) -> Pricing {
        // Pricing stopped at a limit: the bound of the rounds solved.
        if !self.out.priced_out && self.bound_valid && !self.bounds.is_empty() {
            let need = self.bounds.iter().any(|b| b.share != 0.0);
            if need && self.t_max.is_none() {
                if let Some(t) = max_total_h200_eq(self.p, self.opts, self.out.rmp_value) {
                    self.t_max = Some((self.out.rmp_value, t));
                }
            }
            let lb = best_bound(&self.bounds, self.t_max.map(|x| x.1));
            self.out.lower_bound = self.out.lower_bound.max(lb);
        }
        self.out.active = self.active;
        self.out.seconds = self.t0.elapsed().as_secs_f64();
        self.out
    }
}

/// The best Lagrangian bound of the rounds `bounds` with `T_max` at `t`
/// (without it, only the rounds that need none).
fn best_bound(bounds: &[RoundBound], t: Option<f64>) -> f64 {
    bounds
        .iter()
        .filter(|b| b.share == 0.0 || t.is_some())
        .map(|b| b.at(t.unwrap_or(0.0)))
        .fold(f64::NEG_INFINITY, f64::max)
}

fn active_add(active: &mut [bool], ks: &[usize]) {
    for &k in ks {
        active[k] = true;
    }
}

/// Appends the serve columns of pairs `ks` to the live RMP: cost per card,
/// ≥ 0, +1 in the city's demand row and in the site's capacity row.
fn add_serve_columns(
    hm: &mut Live,
    p: &Prepared,
    ks: &[usize],
    demand_row: &[Option<usize>],
    capacity_row: &[Option<usize>],
) -> Result<(), SolveError> {
    let mut cost = Vec::with_capacity(ks.len());
    let mut starts: Vec<HighsInt> = Vec::with_capacity(ks.len());
    let mut index: Vec<HighsInt> = Vec::with_capacity(2 * ks.len());
    for &k in ks {
        let pair = &p.pairs[k];
        cost.push(pair.cost_cny_per_card / milp::CNY_PER_OBJECTIVE_UNIT);
        starts.push(index.len() as HighsInt);
        let mut rows: Vec<usize> = [demand_row[pair.demand], capacity_row[pair.site]]
            .into_iter()
            .flatten()
            .collect();
        rows.sort_unstable();
        index.extend(rows.into_iter().map(|i| i as HighsInt));
    }
    let value = vec![1.0; index.len()];
    let lower = vec![0.0; ks.len()];
    let upper = vec![f64::INFINITY; ks.len()];
    hm.add_columns(&Columns {
        cost: &cost,
        lower: &lower,
        upper: &upper,
        starts: &starts,
        index: &index,
        value: &value,
    })
    .map_err(refused("the serve columns of pair pricing"))
}

/// Pair pricing: pricing rounds, then the base's phases (HiGHS's; a model
/// without link rows has no other) on the pairs found; the gap is
/// re-measured against the full model's bound, and the plan is explained as
/// a plan of the smaller model.
pub struct PairPricing;

impl Strategy for PairPricing {
    fn name(&self) -> &'static str {
        "pair pricing"
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
        if !relax.is_empty() {
            return HighsMip.solve(p, opts, relax);
        }
        solve_priced(p, opts)
    }
}

/// Solves through the loop: pricing rounds, then the usual phases on the
/// pairs found; the gap is re-measured against the full model's bound.
fn solve_priced(p: &Prepared, opts: &SolveOptions) -> Result<Solved, SolveError> {
    let t0 = Instant::now();
    let tolerance = opts.mip_gap.unwrap_or(DEFAULT_MIP_GAP);
    let pricing = price(p, opts, PRICING_SHARE * tolerance)?;
    let pr = restricted(p, &pricing.active);
    let mut o = opts.clone();
    if let Some(t) = opts.time_limit_s {
        o.time_limit_s = Some((t - t0.elapsed().as_secs_f64()).max(0.1));
    }
    // The phases' gap is against the restricted model's bound, at least
    // the RMP's value: what pricing left of the tolerance.
    let left = tolerance - pricing.gap();
    if left < tolerance && left > 0.0 {
        o.mip_gap = Some(left);
    }
    let mut solved = match HighsMip.solve(&pr, &o, &[]) {
        // Infeasible with the pairs found is not infeasible with all of them:
        // the full model decides (and diagnoses).
        Err(SolveError::Infeasible { .. }) => return HighsMip.solve(p, opts, &[]),
        other => other?,
    };
    let plan = &mut solved.plan;
    // The restricted model's own bound does not bound the full model: the
    // gap is against the bound from pricing (infinite when there is none).
    let gap = if pricing.lower_bound.is_finite() {
        ((plan.objective_cny - pricing.lower_bound) / plan.objective_cny.abs().max(1e-9)).max(0.0)
    } else {
        f64::INFINITY
    };
    plan.mip_gap = gap;
    // Likewise the bound a caller may take for the model with continuous
    // servers (the phases' was the restricted model's).
    plan.sites_bound_cny = pricing
        .lower_bound
        .is_finite()
        .then_some(pricing.lower_bound);
    plan.status = if gap <= tolerance + 1e-12 {
        Status::Optimal
    } else {
        Status::Feasible
    };
    // The phases' time plus the pricing rounds (prices and explanations, as
    // in every solve, are not counted).
    plan.solve_seconds += pricing.seconds;
    plan.pairs = Some(PairStats {
        in_model: pr.pairs.len(),
        of: p.pairs.len(),
        rounds: pricing.rounds,
        priced_out: pricing.priced_out,
        lower_bound_cny: pricing
            .lower_bound
            .is_finite()
            .then_some(pricing.lower_bound),
    });
    solved.reduced = Some(pr);
    Ok(solved)
}
