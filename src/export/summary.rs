//! summary.json, regions.csv and the table printed on the terminal.

use polars::prelude::*;
use serde_json::{json, Map, Value};

use crate::domain::rows::{Family, PerQuota, Quota, RowKey};
use crate::plan::{Binding, CardRange, NearOptimal, Plan, Totals};

use super::why;

use super::csv::csv_text;
use crate::spatial::round_to as r;

/// `x` rounded to `digits` significant digits (0 stays 0, infinity becomes null).
fn significant(x: f64, digits: i32) -> Value {
    if !x.is_finite() {
        return Value::Null;
    }
    if x == 0.0 {
        return json!(0.0);
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    json!((x * scale).round() / scale)
}

/// summary.json: status, objective, gap, time, totals, binding constraints.
pub fn summary_json(plan: &Plan, scenario_path: &str) -> String {
    let inst = &plan.instance;
    let (by_region, by_tier) = (plan.region_totals(), plan.tier_totals());
    let mut by_acc = Map::new();
    for (a, acc) in inst.accelerators.iter().enumerate() {
        by_acc.insert(acc.id.clone(), json!(plan.cards_of(a)));
    }
    let mut by_reg = Map::new();
    let mut it_by_reg = Map::new();
    for (i, region) in inst.regions.iter().enumerate() {
        by_reg.insert(region.id.clone(), json!(by_region[i].cards_total()));
        it_by_reg.insert(region.id.clone(), json!(r(by_region[i].it_mw, 3)));
    }
    let mut by_t = Map::new();
    for (t, tot) in &by_tier {
        by_t.insert(t.as_str().to_string(), json!(tot.cards_total()));
    }
    let mut by_c = Map::new();
    for (c, tot) in inst.clusters.iter().zip(plan.cluster_totals()) {
        by_c.insert(c.id.clone(), json!(tot.cards_total()));
    }
    let all = plan.total();
    let v = json!({
        "scenario": inst.name,
        "scenario_file": scenario_path,
        "status": plan.status.as_str(),
        "objective_cny": plan.objective_cny.round() as i64,
        // Three significant digits: a gap of 3e-7 must not print as 0.
        "mip_gap": significant(plan.mip_gap, 3),
        "solve_seconds": r(plan.solve_seconds, 3),
        "build_seconds": r(plan.build_seconds, 3),
        "solver": plan.solver,
        "model": {"columns": plan.model_size.0, "integer_columns": plan.model_size.1, "rows": plan.model_size.2},
        // A heuristic cut of the problem, if any: status and gap then refer to the reduced model.
        "reduction": reduction_json(plan),
        // The city-site link rows: how many the cut loop put into the model.
        "link_rows": link_rows_json(plan),
        // The city-site pairs (serve columns): how many pricing put into the model.
        "pairs": pairs_json(plan),
        "cards_total": plan.cards_total(),
        "h200_eq_total": r(all.h200_eq, 1),
        "cards_by_accelerator": by_acc,
        "cards_by_region": by_reg,
        "cards_by_tier": by_t,
        "cards_by_cluster": by_c,
        // The planning clusters and their regions (the report shades
        // provinces by them).
        "clusters": inst.clusters.iter().map(|c| json!({
            "id": c.id,
            "name_en": c.name_en,
            "name_zh": c.name_zh,
            "kind": c.kind.as_str(),
            "regions": c.regions,
        })).collect::<Vec<_>>(),
        "it_mw_by_region": it_by_reg,
        "sites_built": all.sites_built,
        "it_mw_total": r(all.it_mw, 3),
        "facility_mw_total": r(all.facility_mw, 3),
        "annual_gwh_total": r(all.annual_gwh, 3),
        "annual_tce_total": r(all.annual_tce, 1),
        "annual_water_m3_total": r(all.annual_water_m3, 0),
        "capex_cny_total": all.capex_cny.round() as i64,
        "opex_cny_per_year_total": all.opex_cny_per_year.round() as i64,
        "subsidy_cny_total": all.subsidy_cny.round() as i64,
        "annuity_factor": r(plan.annuity_factor, 6),
        "subsidies": subsidies_json(plan),
        "binding_constraints": plan.binding.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(),
        "binding_by_family": binding_by_family(plan),
        "schedule": super::schedule::schedule_json(plan),
        "near_optimal": near_optimal_json(plan),
        "shadow_prices": shadow_prices_json(plan),
    });
    let mut s = serde_json::to_string_pretty(&v).expect("summary serialises");
    s.push('\n');
    s
}

/// summary.json's `reduction`: the heuristic cut of the problem
/// (`max_sites_per_city`), if any.
fn reduction_json(plan: &Plan) -> Option<Value> {
    plan.instance.params.max_sites_per_city.map(|k| json!({
        "max_sites_per_city": k,
        "meaning": format!("each city is served only by its {k} nearest candidate sites within its RTT budget; status and mip_gap refer to that reduced model"),
    }))
}

/// summary.json's `link_rows`: the city-site link rows the cut loop put into
/// the model, and how the sites were chosen (Benders, branch and bound).
fn link_rows_json(plan: &Plan) -> Option<Value> {
    plan.link_rows.map(|l| {
        json!({
            "in_model": l.rows_in_model,
            "of": l.rows_total,
            "lp_rounds": l.lp_rounds,
            "mip_rounds": l.mip_rounds,
            // The sites chosen by Benders decomposition instead (`solve::benders`).
            "benders": l.benders.map(|b| json!({
                "cuts": b.cuts,
                "lp_rounds": b.lp_rounds,
                "mip_rounds": b.mip_rounds,
                "neighbours_evaluated": b.neighbours_evaluated,
            })),
            // The binaries searched by dcsite's own branch and bound (`solve::branch`).
            "branch_and_bound": l.branch.map(|b| json!({
                "nodes": b.nodes,
                "lp_solves": b.lp_solves,
                "rounded_plans_evaluated": b.plans_evaluated,
                "finished": b.finished,
            })),
        })
    })
}

/// summary.json's `pairs`: the city-site pairs (serve columns) pricing put
/// into the model.
fn pairs_json(plan: &Plan) -> Option<Value> {
    plan.pairs.map(|x| {
        json!({
            "in_model": x.in_model,
            "of": x.of,
            "pricing_rounds": x.rounds,
            "gap_against_full_lp_bound": x.priced_out,
            // The bound the gap is against, valid for the model with every
            // pair: the full LP's value, or a pricing round's Lagrangian bound.
            "lower_bound_cny": x.lower_bound_cny.map(|b| b.round()),
        })
    })
}

/// summary.json's `subsidies`: each subsidy paid, rounded to whole CNY.
fn subsidies_json(plan: &Plan) -> Vec<Value> {
    plan.subsidies
        .iter()
        .map(|s| {
            json!({
                "programme_id": s.programme_id,
                "amount_cny": s.amount_cny.round() as i64,
                "per": if s.annual { "year" } else { "once" },
                "npv_cny": s.npv_cny.round() as i64,
            })
        })
        .collect()
}

/// summary.json's `near_optimal` (`solve --near-optimal`): the cost share and
/// bound, and the range of cards per region, tier and cluster.
fn near_optimal_json(plan: &Plan) -> Option<Value> {
    let inst = &plan.instance;
    plan.near_optimal.as_ref().map(|n| {
        let range = |r: &CardRange| {
            json!({
                "cards_min": r.min_cards as i64,
                "cards_max": r.max_cards as i64,
                // null: the plans found agree, but an end is not proven.
                "decided_by_cost": r.cost_decides(0.01),
                // Exact to the server, or the best plan found before the
                // budget ran out (the true end may lie further out).
                "min_proven": r.min_proven,
                "max_proven": r.max_proven,
            })
        };
        let unproven = n.unproven_ends();
        let mut regions = Map::new();
        for (i, region) in inst.regions.iter().enumerate() {
            regions.insert(region.id.clone(), range(&n.regions[i]));
        }
        let mut tiers = Map::new();
        for (t, r) in &n.tiers {
            tiers.insert(t.as_str().to_string(), range(r));
        }
        let mut clusters = Map::new();
        for (c, r) in inst.clusters.iter().zip(&n.clusters) {
            clusters.insert(c.id.clone(), range(r));
        }
        json!({
            "share": n.share,
            "cost_bound_cny": n.cost_bound_cny.round() as i64,
            // Ends not proven among the rows of regions.csv (regions,
            // tiers, clusters: its near_opt_*_proven cells) and among the
            // buildable sites: the count of the per-end flags.
            "ends_not_proven": unproven.0,
            "site_ends_not_proven": unproven.1,
            // Range solves stopped at a time limit (not a count of ends).
            "solves_stopped_at_limit": n.limited,
            "regions": regions,
            "tiers": tiers,
            "clusters": clusters,
        })
    })
}

/// summary.json's `shadow_prices`: each priced row's CNY per unit, with its
/// one-sided prices where it is degenerate.
fn shadow_prices_json(plan: &Plan) -> Vec<Value> {
    plan.shadow_prices
        .iter()
        .map(|sp| {
            let mut v = json!({
                "constraint": sp.constraint,
                "words": sp.words,
                "sentence": why::lever_sentence(sp),
                "family": sp.family.as_str(),
                "cny_per_unit": r(sp.cny_per_unit, 2),
                "unit": sp.unit,
                "checked_by_resolves": sp.checked,
                "degenerate": sp.one_sided.is_some(),
            });
            if let Some(o) = &sp.one_sided {
                v["one_sided"] = json!({
                    "step": o.step,
                    "cny_per_unit_down": o.down.map(|x| r(x, 2)),
                    "cny_per_unit_up": o.up.map(|x| r(x, 2)),
                });
            }
            v
        })
        .collect()
}

/// Binding rows grouped by family, planner levers first: family (its name,
/// words and unit), whether it is a lever, how many rows, their names, and
/// each row in words with its shadow price and sentence.
fn binding_by_family(plan: &Plan) -> Vec<Value> {
    let mut groups: Vec<(Family, Vec<&Binding>)> = Vec::new();
    for b in &plan.binding {
        match groups.iter_mut().find(|(f, _)| *f == b.family) {
            Some((_, rows)) => rows.push(b),
            None => groups.push((b.family, vec![b])),
        }
    }
    groups
        .into_iter()
        .map(|(f, rows)| {
            json!({
                "family": f.as_str(),
                "family_words": f.words(),
                "unit": f.unit(),
                "planner_lever": f.is_lever(),
                "count": rows.len(),
                "rows": rows.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(),
                "rows_in_words": rows.iter().map(|b| json!({
                    "row": b.name,
                    "words": b.words,
                    "cny_per_unit": why::shadow_of(plan, b).map(|sp| r(sp.cny_per_unit, 2)),
                    "sentence": why::binding_sentence(plan, b),
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// The rows of regions.csv, in order: the regions, the tiers, then the
/// planning clusters; with each region's quota limits and shadow prices
/// (none for tiers and clusters).
struct AreaRows<'a> {
    level: Vec<&'static str>,
    id: Vec<String>,
    name: Vec<String>,
    tier: Vec<&'static str>,
    rows: Vec<&'a Totals>,
    /// Per quota kind: the regions' limits.
    limits: PerQuota<Vec<Option<f64>>>,
    /// Per quota kind: the regions' shadow prices.
    shadows: PerQuota<Vec<Option<f64>>>,
}

/// The rows of regions.csv from the plan's totals by region, tier and
/// cluster.
fn area_rows<'a>(
    plan: &Plan,
    by_region: &'a [Totals],
    by_tier: &'a [(crate::domain::Tier, Totals)],
    by_cluster: &'a [Totals],
) -> AreaRows<'a> {
    let inst = &plan.instance;
    let mut a = AreaRows {
        level: Vec::new(),
        id: Vec::new(),
        name: Vec::new(),
        tier: Vec::new(),
        rows: Vec::new(),
        limits: PerQuota::default(),
        shadows: PerQuota::default(),
    };
    let shadow = |key: RowKey| {
        plan.shadow_prices
            .iter()
            .find(|s| s.key == key)
            .map(|s| r(s.cny_per_unit, 2))
    };
    for (i, region) in inst.regions.iter().enumerate() {
        a.level.push("region");
        a.id.push(region.id.clone());
        a.name.push(region.name_en.clone());
        a.tier.push(region.tier.as_str());
        a.rows.push(&by_region[i]);
        for q in Quota::ALL {
            a.limits[q].push(region.quota(q));
            a.shadows[q].push(shadow(RowKey::RegionQuota {
                quota: q,
                region: i,
            }));
        }
    }
    for (t, tot) in by_tier {
        a.level.push("tier");
        a.id.push(t.as_str().to_string());
        a.name.push(t.as_str().to_string());
        a.tier.push(t.as_str());
        a.rows.push(tot);
    }
    for (c, tot) in inst.clusters.iter().zip(by_cluster) {
        a.level.push("cluster");
        a.id.push(c.id.clone());
        a.name.push(c.name_en.clone());
        a.tier.push(c.kind.as_str());
        a.rows.push(tot);
    }
    // Tiers and clusters have no quotas of their own.
    for q in Quota::ALL {
        a.limits[q].resize(a.rows.len(), None);
        a.shadows[q].resize(a.rows.len(), None);
    }
    a
}

/// regions.csv: one row per region, then one per tier, then one per planning
/// cluster (its `tier` column holds the cluster's kind), with totals.
pub fn regions_table(plan: &Plan) -> PolarsResult<String> {
    let inst = &plan.instance;
    let (by_region, by_tier) = (plan.region_totals(), plan.tier_totals());
    let by_cluster = plan.cluster_totals();
    let mut area = area_rows(plan, &by_region, &by_tier, &by_cluster);
    let rows = std::mem::take(&mut area.rows);
    let mut cols: Vec<Column> = vec![
        Column::new("level".into(), std::mem::take(&mut area.level)),
        Column::new("id".into(), std::mem::take(&mut area.id)),
        Column::new("name_en".into(), std::mem::take(&mut area.name)),
        Column::new("tier".into(), std::mem::take(&mut area.tier)),
        Column::new(
            "sites_built".into(),
            rows.iter()
                .map(|t| t.sites_built as u64)
                .collect::<Vec<_>>(),
        ),
    ];
    for (a, acc) in inst.accelerators.iter().enumerate() {
        cols.push(Column::new(
            format!("cards_{}", acc.id).into(),
            rows.iter().map(|t| t.cards[a]).collect::<Vec<_>>(),
        ));
    }
    cols.push(Column::new(
        "cards_total".into(),
        rows.iter().map(|t| t.cards_total()).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "it_mw".into(),
        rows.iter().map(|t| r(t.it_mw, 3)).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "facility_mw".into(),
        rows.iter().map(|t| r(t.facility_mw, 3)).collect::<Vec<_>>(),
    ));
    quota_columns(&mut cols, &rows, &mut area.limits, &mut area.shadows);
    money_columns(&mut cols, &rows);
    if let Some(n) = &plan.near_optimal {
        near_optimal_columns(&mut cols, n, by_cluster.len());
    }
    csv_text(DataFrame::new_infer_height(cols)?)
}

/// regions.csv's quota columns: the power quota, the annual tce and the
/// energy quota, their shadow prices, then each quota written after the
/// others (used, limit, shadow price). Takes the limits and shadow prices.
fn quota_columns(
    cols: &mut Vec<Column>,
    rows: &[&Totals],
    limits: &mut PerQuota<Vec<Option<f64>>>,
    shadows: &mut PerQuota<Vec<Option<f64>>>,
) {
    let (power, energy) = (Quota::Power, Quota::Energy);
    let limit = |q: Quota, v: Vec<Option<f64>>| Column::new(q.traits().key.into(), v);
    cols.push(limit(power, std::mem::take(&mut limits[power])));
    cols.push(Column::new(
        "annual_tce".into(),
        rows.iter().map(|t| r(t.annual_tce, 1)).collect::<Vec<_>>(),
    ));
    cols.push(limit(energy, std::mem::take(&mut limits[energy])));
    cols.push(Column::new(
        "power_quota_shadow_cny_per_mw".into(),
        std::mem::take(&mut shadows[power]),
    ));
    cols.push(Column::new(
        "energy_quota_shadow_cny_per_tce".into(),
        std::mem::take(&mut shadows[energy]),
    ));
    // The quotas written after the others: used, limit, shadow price.
    for q in Quota::ALL {
        let Some([used, limit_name, shadow_name]) = q.traits().output_columns else {
            continue;
        };
        let digits = if q.traits().unit.whole() { 0 } else { 3 };
        cols.push(Column::new(
            used.into(),
            rows.iter()
                .map(|t| r(t.quota_use[q], digits))
                .collect::<Vec<_>>(),
        ));
        cols.push(Column::new(
            limit_name.into(),
            std::mem::take(&mut limits[q]),
        ));
        cols.push(Column::new(
            shadow_name.into(),
            std::mem::take(&mut shadows[q]),
        ));
    }
}

/// regions.csv's energy and money columns: GWh per year, capex, opex and
/// subsidies.
fn money_columns(cols: &mut Vec<Column>, rows: &[&Totals]) {
    cols.push(Column::new(
        "annual_gwh".into(),
        rows.iter().map(|t| r(t.annual_gwh, 3)).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "capex_cny".into(),
        rows.iter()
            .map(|t| t.capex_cny.round() as i64)
            .collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "opex_cny_per_year".into(),
        rows.iter()
            .map(|t| t.opex_cny_per_year.round() as i64)
            .collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "subsidy_cny".into(),
        rows.iter()
            .map(|t| t.subsidy_cny.round() as i64)
            .collect::<Vec<_>>(),
    ));
}

/// regions.csv's near-optimal columns (`solve --near-optimal`): each row's
/// fewest and most cards and whether each end is proven.
fn near_optimal_columns(cols: &mut Vec<Column>, n: &NearOptimal, clusters: usize) {
    // Regions in table order, tiers in Tier::ALL order, then clusters, as
    // the rows above.
    let ranges: Vec<Option<&CardRange>> = n
        .regions
        .iter()
        .chain(n.tiers.iter().map(|(_, r)| r))
        .map(Some)
        .chain((0..clusters).map(|c| n.clusters.get(c)))
        .collect();
    cols.push(Column::new(
        "cards_min_near_opt".into(),
        ranges
            .iter()
            .map(|r| r.map(|r| r.min_cards as i64))
            .collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "cards_max_near_opt".into(),
        ranges
            .iter()
            .map(|r| r.map(|r| r.max_cards as i64))
            .collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "near_opt_min_proven".into(),
        ranges
            .iter()
            .map(|r| r.map(|r| r.min_proven))
            .collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "near_opt_max_proven".into(),
        ranges
            .iter()
            .map(|r| r.map(|r| r.max_proven))
            .collect::<Vec<_>>(),
    ));
}

/// A relative MIP gap as a percentage, readable at any size.
pub fn gap_text(gap: f64) -> String {
    let pct = gap * 100.0;
    if !pct.is_finite() {
        "unknown".into()
    } else if pct == 0.0 || pct >= 0.001 {
        format!("{pct:.4} %")
    } else {
        format!("{pct:.1e} %")
    }
}

fn bn(x: f64) -> String {
    format!("{:.2}", x / 1e9)
}

/// The table printed after a solve: cards, MW and cost by region and by tier.
pub fn text_report(plan: &Plan) -> String {
    let inst = &plan.instance;
    let (by_region, by_tier) = (plan.region_totals(), plan.tier_totals());
    let mut out = String::new();
    out.push_str(&format!(
        "{} — status {}, objective {} bn CNY, gap {}, solved in {:.2} s\n\n",
        inst.name,
        plan.status.as_str(),
        bn(plan.objective_cny),
        gap_text(plan.mip_gap),
        plan.solve_seconds
    ));
    let acc_ids: Vec<&str> = inst.accelerators.iter().map(|a| a.id.as_str()).collect();
    let mut header = format!("{:<16} {:<9} {:>5}", "region", "tier", "sites");
    for a in &acc_ids {
        header.push_str(&format!(" {:>12}", a));
    }
    header.push_str(&format!(
        " {:>9} {:>9} {:>10} {:>11} {:>10}\n",
        "IT MW", "fac. MW", "capex bn", "opex bn/yr", "subsidy bn"
    ));
    out.push_str(&header);
    let line = |label: &str, tier: &str, t: &Totals| {
        let mut s = format!("{:<16} {:<9} {:>5}", label, tier, t.sites_built);
        for c in &t.cards {
            s.push_str(&format!(" {:>12}", c));
        }
        s.push_str(&format!(
            " {:>9.1} {:>9.1} {:>10} {:>11} {:>10}\n",
            t.it_mw,
            t.facility_mw,
            bn(t.capex_cny),
            bn(t.opex_cny_per_year),
            bn(t.subsidy_cny)
        ));
        s
    };
    for (i, region) in inst.regions.iter().enumerate() {
        out.push_str(&line(&region.id, region.tier.as_str(), &by_region[i]));
    }
    out.push('\n');
    for (t, tot) in &by_tier {
        out.push_str(&line(t.as_str(), "", tot));
    }
    out.push_str(&line("total", "", &plan.total()));
    if !inst.clusters.is_empty() {
        out.push('\n');
        for (c, tot) in inst.clusters.iter().zip(plan.cluster_totals()) {
            out.push_str(&line(&c.id, c.kind.as_str(), &tot));
        }
    }
    out.push_str(&why::where_why_text(plan));
    out
}

/// An end of a near-optimal range as the terminal and the report show it:
/// the cards, and for an end the search did not prove its mark (`≤` for
/// the fewest, `≥` for the most: the true end may lie further out).
pub fn range_end_text(cards: f64, proven: bool, fewest: bool) -> String {
    let n = why::grouped(cards, 0);
    match (proven, fewest) {
        (true, _) => n,
        (false, true) => format!("≤ {n} (not proven)"),
        (false, false) => format!("≥ {n} (not proven)"),
    }
}

/// Whether cost decides a range, in words ([`CardRange::cost_decides`]).
pub fn decides_text(r: &CardRange) -> &'static str {
    match r.cost_decides(0.01) {
        Some(true) => "yes",
        Some(false) => "no: a tie",
        None => "not known: an end not proven",
    }
}

/// The near-optimal ranges on the terminal: per region, tier and cluster the
/// optimal cards, the fewest and the most in the plans found within the share
/// (each unproven end marked), whether cost decides it, then in words which
/// regions cost decides, which are ties and how many ends are not proven.
pub fn near_optimal_text(plan: &Plan, n: &NearOptimal) -> String {
    let (by_region, by_tier) = (plan.region_totals(), plan.tier_totals());
    let mut out = format!(
        "\nnear-optimal ranges: plans within {} % of the optimal cost (≤ {} bn CNY)\n\
         fewest / most: cards in the plans found within that cost; a tie: other plans place them differently\n\
         {:<16} {:>10} {:>24} {:>24}  {}\n",
        n.share * 100.0,
        bn(n.cost_bound_cny),
        "region",
        "optimal",
        "fewest",
        "most",
        "decided by cost?"
    );
    let mut decided = Vec::new();
    let mut ties = Vec::new();
    let mut unknown = Vec::new();
    let mut line = |id: &str, cards: u64, r: &CardRange| {
        out.push_str(&format!(
            "{:<16} {:>10} {:>24} {:>24}  {}\n",
            id,
            why::grouped(cards as f64, 0),
            range_end_text(r.min_cards, r.min_proven, true),
            range_end_text(r.max_cards, r.max_proven, false),
            decides_text(r)
        ));
        r.cost_decides(0.01)
    };
    for (i, region) in plan.instance.regions.iter().enumerate() {
        match line(&region.id, by_region[i].cards_total(), &n.regions[i]) {
            Some(true) => decided.push(region.id.as_str()),
            Some(false) => ties.push(region.id.as_str()),
            None => unknown.push(region.id.as_str()),
        }
    }
    for ((t, tot), (_, r)) in by_tier.iter().zip(&n.tiers) {
        line(t.as_str(), tot.cards_total(), r);
    }
    let by_cluster = plan.cluster_totals();
    for ((c, tot), r) in plan
        .instance
        .clusters
        .iter()
        .zip(&by_cluster)
        .zip(&n.clusters)
    {
        line(&c.id, tot.cards_total(), r);
    }
    let list = |v: &[&str]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    out.push_str(&format!(
        "decided by cost (range within 1 % or one server, both ends proven): {}\nties (other plans within the share place these differently): {}\n",
        list(&decided),
        list(&ties),
    ));
    if !unknown.is_empty() {
        out.push_str(&format!(
            "not known (the plans found agree, but an end is not proven): {}\n",
            list(&unknown)
        ));
    }
    out.push_str(&unproven_text(n));
    out
}

/// How many range ends are not proven, and why (from the per-end flags).
fn unproven_text(n: &NearOptimal) -> String {
    let (areas, sites) = n.unproven_ends();
    if areas + sites == 0 {
        return "every end proven (exact to the server)\n".into();
    }
    format!(
        "{areas} ends of regions, tiers and clusters and {sites} of sites not proven, marked with ≤ / ≥: \
         each is the best plan found, the true end may lie further out ({} range solves stopped at a time limit of \
         at most {} s each within the search's budget; an end counts as proven when a plan comes within less than \
         a server of its bound; --near-optimal-seconds gives the search more time)\n",
        n.limited, n.per_solve_seconds
    )
}
