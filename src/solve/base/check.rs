//! A solver answer is checked against the scenario before it is called a
//! plan: every target and limit recomputed from the plan's whole servers,
//! independently of the model's rows.

use super::options::SolveError;
use crate::milp::{self, Prepared};
use crate::plan::Plan;

/// Checks a plan read back from the solver against the scenario's targets and
/// limits, recomputed from its whole servers (independently of the rows).
pub fn check_plan(p: &Prepared, plan: &Plan) -> Result<(), SolveError> {
    let mut bad = Vec::new();
    check_targets(p, plan, &mut bad);
    check_regions(p, plan, &mut bad);
    check_groups(p, plan, &mut bad);
    check_sites(p, plan, &mut bad);
    check_mega(p, plan, &mut bad);
    if let (Some(s), Some(ph)) = (&plan.schedule, p.phases()) {
        check_schedule(p, plan, s, &ph, &mut bad);
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(SolveError::Defect(bad.join("; ")))
    }
}

/// `x ≤ lim` within a relative 1e-6.
fn close_le(x: f64, lim: f64) -> bool {
    x <= lim + 1e-6 * (1.0 + lim.abs())
}

/// The accelerator targets and the dual-track share.
fn check_targets(p: &Prepared, plan: &Plan, bad: &mut Vec<String>) {
    let inst = &p.inst;
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
}

/// Each region's quotas and card bounds.
fn check_regions(p: &Prepared, plan: &Plan, bad: &mut Vec<String>) {
    let inst = &p.inst;
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
}

/// The card bounds of clusters and tiers.
fn check_groups(p: &Prepared, plan: &Plan, bad: &mut Vec<String>) {
    let inst = &p.inst;
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
}

/// Each site's IT power against what is ready, and sites that must be built.
fn check_sites(p: &Prepared, plan: &Plan, bad: &mut Vec<String>) {
    let inst = &p.inst;
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
        if let Some(c) = sp.contract_mw {
            if !close_le(sp.facility_mw, c) {
                bad.push(format!(
                    "site {} draws {:.3} facility MW, {c:.3} MW contracted",
                    site.id, sp.facility_mw
                ));
            }
        }
        if site.status.must_open() && !sp.built {
            bad.push(format!(
                "site {} is {} but not built",
                site.id,
                site.status.as_str()
            ));
        }
    }
}

/// The number of mega clusters.
fn check_mega(p: &Prepared, plan: &Plan, bad: &mut Vec<String>) {
    let inst = &p.inst;
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
            // Where the hall's start is a decision, what is ready from the
            // month the plan starts it (only what is in service without one).
            let ready = if ph.hall_starts[o].is_empty() {
                ph.ready_mw[o][k]
            } else {
                match sp.hall_start_month.filter(|_| sp.hall_start_decided) {
                    Some(start) => p.ready_mw_from(ph, o, start, per.installed_by),
                    None => ph.in_service_mw[o].min(opt.ready_it_mw),
                }
            };
            if !close_le(it, ready) {
                bad.push(format!(
                    "site {} has {it:.3} MW of IT installed by month {}, {ready:.3} ready then",
                    inst.sites[opt.site].id, per.installed_by
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
