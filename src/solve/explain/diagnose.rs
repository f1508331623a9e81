//! A quick diagnosis of an infeasible scenario in the planner's words: what
//! the targets ask for against what the quotas, sites and deliveries allow,
//! without a solve.

use crate::milp::{self, Family, Prepared};

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
    let mut out = Vec::new();
    required_sites(p, &mut out);
    cities_out_of_reach(p, &mut out);
    deliveries(p, &mut out);
    power(p, &mut out);
    mega_cluster(p, &mut out);
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

/// Sites that must be built but have no option.
fn required_sites(p: &Prepared, out: &mut Vec<String>) {
    let inst = &p.inst;
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
}

/// Cities with no site in reach.
fn cities_out_of_reach(p: &Prepared, out: &mut Vec<String>) {
    let inst = &p.inst;
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
}

/// Deliveries: each period's minimum cards against the IT ready by then.
fn deliveries(p: &Prepared, out: &mut Vec<String>) {
    let inst = &p.inst;
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
}

/// Power: what the targets need against what the regions can host.
fn power(p: &Prepared, out: &mut Vec<String>) {
    let inst = &p.inst;
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
}

/// Mega clusters: enough sites big enough for one.
fn mega_cluster(p: &Prepared, out: &mut Vec<String>) {
    let inst = &p.inst;
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
}
