//! Column generation for the (city, site) pairs of large instances. A city
//! can be served from every candidate site within its RTT budget: 3000 sites
//! × 300 cities within 30 ms are 783,000 `serve` columns, more than
//! HiGHS can branch over in a minute. The loop keeps each city's nearest
//! sites, solves the LP relaxation, prices every left-out pair with the LP's
//! row duals (reduced cost = cost − dual of the city's demand row − dual of
//! the site's inference-capacity row) and adds those that would lower the
//! cost, until none would: that LP's value is then the LP bound of the model
//! with every pair, valid for the full model. The MIP phases run on the pairs
//! found; the plan they return is a plan of the full model (its pairs are a
//! subset), and its gap is measured against the full model's LP bound, never
//! against the bound of the restricted model.

use crate::plan::PairStats;
use std::collections::HashMap;

use super::{run_highs, solve_relaxed, Plan, SolveError, SolveOptions, Status};
use crate::milp::{self, DemandSize, Integrality, Prepared, RowKey};

/// Pairs per city above which the loop is used (and the nearest kept at first).
const PAIRS_PER_CITY: usize = 40;
/// Pairs added per city and pricing round at most.
const PER_CITY_AND_ROUND: usize = 5;
/// Pricing rounds at most; the LP bound is only claimed when pricing finished.
const MAX_ROUNDS: usize = 30;

/// Whether the loop applies: many pairs per city, no link rows (fixed
/// demands use the link-row loop instead) and no `max_sites_per_city`.
pub fn applies(p: &Prepared) -> bool {
    let cities = p.demand.iter().filter(|d| positive(d)).count().max(1);
    !p.disaggregate_links
        && p.inst.params.max_sites_per_city.is_none()
        && p.pairs.len() > PAIRS_PER_CITY * cities
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
        separate_links: p.separate_links,
        benders: p.benders,
    }
}

/// Solves through the loop: pricing rounds, then the usual phases on the
/// pairs found; the gap is re-measured against the full LP bound.
pub fn solve_priced(p: &Prepared, opts: &SolveOptions) -> Result<Plan, SolveError> {
    let t0 = std::time::Instant::now();
    let mut active = vec![false; p.pairs.len()];
    for ks in p.pairs_by_city(|x| x.rtt_ms) {
        for &k in ks.iter().take(PAIRS_PER_CITY / 2) {
            active[k] = true;
        }
    }
    // Every site keeps its nearest city, so that its inference-capacity row
    // is in the model and its dual prices the site's capacity.
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
    let mut rounds = 0;
    let mut lp_bound = f64::NEG_INFINITY;
    let mut priced_out = false;
    let mut lp_opts = opts.clone();
    lp_opts.log = false;
    while rounds < MAX_ROUNDS {
        if let Some(t) = opts.time_limit_s {
            let left = t - t0.elapsed().as_secs_f64();
            if left < 0.5 * t {
                break;
            }
            lp_opts.time_limit_s = Some(left);
        }
        let pr = restricted(p, &active);
        let lp = milp::build(&pr, Integrality::Lp);
        let keys: Vec<RowKey> = lp.rows.iter().map(|r| r.key).collect();
        let (raw, parts) = match run_highs(lp, &lp_opts, &[]) {
            Ok(x) => x,
            // Infeasible with the pairs so far, or out of time: the phases
            // below say so with the full diagnosis (or stop at the limit).
            Err(_) => break,
        };
        rounds += 1;
        let mut demand_dual = HashMap::new();
        let mut capacity_dual = HashMap::new();
        for (i, key) in keys.iter().enumerate() {
            let y = raw.row_duals.get(i).copied().unwrap_or(0.0);
            match *key {
                RowKey::Demand { city } => {
                    demand_dual.insert(city, y);
                }
                RowKey::InferenceCapacity { site } => {
                    capacity_dual.insert(site, y);
                }
                _ => {}
            }
        }
        // The capacity row of a site whose servers are all at 0 is tight
        // (0 ≤ 0) and its dual degenerate: HiGHS may give 0, which prices
        // every nearer pair in. Its dual can fall by as much as keeps every
        // server column's reduced cost ≥ 0 (a server adds cps × perf to the
        // row's capacity) and stay a dual solution; the lowest such value
        // prices pairs only where the site would pay for itself.
        let mut room: HashMap<usize, f64> = HashMap::new();
        for (o, opt) in p.options.iter().enumerate() {
            for (i, &a) in opt.accels.iter().enumerate() {
                let acc = &p.inst.accelerators[a];
                let h = acc.cards_per_server as f64 * acc.perf_h200_eq;
                let col = parts.column[&parts.vars.servers[o][i]];
                let d = raw.col_duals.get(col).copied().unwrap_or(0.0).max(0.0);
                let r = room.entry(opt.site).or_insert(f64::INFINITY);
                *r = r.min(d / h);
            }
        }
        for (site, r) in room {
            if let Some(y) = capacity_dual.get_mut(&site) {
                if r.is_finite() {
                    *y -= r;
                }
            }
        }
        // HiGHS: reduced cost = cost − Σ row coefficient × row dual; a serve
        // column has +1 in its city's demand row and its site's capacity row
        // (a site without active pairs has no such row yet: dual 0, which
        // keeps the optimality proof valid since that site serves nothing).
        // Most negative reduced costs first, at most a few per city and round
        // (partial pricing: the duals change as pairs come in).
        let mut best: Vec<Vec<(f64, usize)>> = vec![Vec::new(); p.inst.demand.len()];
        for (k, pair) in p.pairs.iter().enumerate() {
            if active[k] {
                continue;
            }
            let rc = pair.cost_cny_per_card / milp::CNY_PER_OBJECTIVE_UNIT
                - demand_dual.get(&pair.demand).copied().unwrap_or(0.0)
                - capacity_dual.get(&pair.site).copied().unwrap_or(0.0);
            if rc < -1e-9 {
                best[pair.demand].push((rc, k));
            }
        }
        let mut add = 0;
        for list in &mut best {
            list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for &(_, k) in list.iter().take(PER_CITY_AND_ROUND) {
                active[k] = true;
                add += 1;
            }
        }
        if add == 0 {
            lp_bound = raw.objective;
            priced_out = true;
            break;
        }
    }
    let pricing_seconds = t0.elapsed().as_secs_f64();
    let pr = restricted(p, &active);
    let mut o = opts.clone();
    if let Some(t) = opts.time_limit_s {
        o.time_limit_s = Some((t - t0.elapsed().as_secs_f64()).max(0.1));
    }
    let mut plan = match solve_relaxed(&pr, &o, &[]) {
        // Infeasible with the pairs found is not infeasible with all of them:
        // the full model decides (and diagnoses).
        Err(SolveError::Infeasible { .. }) => return solve_relaxed(p, &o, &[]),
        other => other?,
    };
    // The restricted model's own bound does not bound the full model: the
    // gap is against the full LP bound (or unknown when pricing did not end).
    let gap = if priced_out {
        ((plan.objective_cny - lp_bound) / plan.objective_cny.abs().max(1e-9)).max(0.0)
    } else {
        f64::INFINITY
    };
    plan.mip_gap = gap;
    plan.status = if gap <= opts.mip_gap.unwrap_or(super::DEFAULT_MIP_GAP) + 1e-12 {
        Status::Optimal
    } else {
        Status::Feasible
    };
    // The phases' time plus the pricing rounds (prices and explanations, as
    // in every solve, are not counted).
    plan.solve_seconds += pricing_seconds;
    plan.pairs = Some(PairStats {
        in_model: pr.pairs.len(),
        of: p.pairs.len(),
        rounds,
        priced_out,
    });
    Ok(plan)
}
