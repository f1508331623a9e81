//! Several solved scenarios side by side: what each region wins or loses and
//! what the subsidies cost. Reads plans only; `study` solves them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use geojson::JsonObject;
use polars::prelude::*;
use serde_json::json;

use crate::export::geo_layers::{collection, feature, point};
use crate::plan::{CardRange, Plan, Totals};

/// One solved scenario (see `study::solve_all`).
pub struct Solved {
    pub name: String,
    pub path: PathBuf,
    pub plan: Plan,
}

/// One line of the comparison: a region, a tier or the total, in one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub level: &'static str,
    pub id: String,
    pub name_en: String,
    pub tier: String,
    pub scenario: String,
    /// Cards by accelerator id.
    pub cards: BTreeMap<String, u64>,
    pub cards_total: u64,
    pub it_mw: f64,
    /// Subsidy paid to the sites of the group, net present value, CNY.
    pub subsidy_cny: f64,
    pub cost_per_card_year_cny: Option<f64>,
    pub delta_cards_total: i64,
    pub delta_it_mw: f64,
    pub delta_subsidy_cny: f64,
    /// Cards gained against the first scenario per million CNY of subsidy.
    pub cards_per_million_subsidy: Option<f64>,
    /// Scenario-wide figures, on the `total` line only (`None` elsewhere).
    pub costs: Option<Costs>,
    /// The change of `costs` against the first scenario (`total` line only).
    pub delta_costs: Option<Costs>,
    /// The near-optimal range of the group's cards, when the scenario was
    /// solved with a share (`compare --near-optimal`; regions, tiers and clusters).
    pub near_optimal: Option<CardRange>,
    /// Whether the change against the first scenario survives near-optimal
    /// ties: `gain` when this scenario's fewest cards exceed the first's
    /// most, `loss` the other way round, `within ties` when the ranges overlap.
    pub robust_change: Option<&'static str>,
}

/// The change of a group between two near-optimal ranges that no choice of
/// near-optimal plans in both scenarios can undo.
pub fn robust_change(reference: &CardRange, scenario: &CardRange) -> &'static str {
    if scenario.min_cards > reference.max_cards {
        "gain"
    } else if scenario.max_cards < reference.min_cards {
        "loss"
    } else {
        "within ties"
    }
}

/// What a scenario costs, net present value in CNY: the provider's cost
/// (the objective: capex + annuity × opex + network − subsidies), the
/// subsidies paid, and their sum, the resource cost to the country.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Costs {
    /// Net present cost to the provider after subsidies (the objective).
    pub provider_cny: f64,
    /// Subsidies paid by all programmes, net present value.
    pub subsidy_cny: f64,
    /// provider + subsidy: what the plan costs the country, whoever pays.
    pub resource_cny: f64,
}

impl Costs {
    /// The costs of a solved scenario.
    pub fn of(s: &Solved) -> Costs {
        let provider_cny = s.plan.objective_cny;
        let subsidy_cny = s.plan.subsidy_npv_cny();
        Costs {
            provider_cny,
            subsidy_cny,
            resource_cny: provider_cny + subsidy_cny,
        }
    }
    /// `self − base`, figure by figure.
    pub fn minus(&self, base: &Costs) -> Costs {
        Costs {
            provider_cny: self.provider_cny - base.provider_cny,
            subsidy_cny: self.subsidy_cny - base.subsidy_cny,
            resource_cny: self.resource_cny - base.resource_cny,
        }
    }
}

fn line(s: &Solved, level: &'static str, id: &str, name: &str, tier: &str, t: &Totals) -> Line {
    let inst = &s.plan.instance;
    let cards = inst
        .accelerators
        .iter()
        .enumerate()
        .map(|(a, acc)| (acc.id.clone(), t.cards[a]))
        .collect();
    Line {
        level,
        id: id.to_string(),
        name_en: name.to_string(),
        tier: tier.to_string(),
        scenario: s.name.clone(),
        cards,
        cards_total: t.cards_total(),
        it_mw: t.it_mw,
        subsidy_cny: t.subsidy_cny,
        cost_per_card_year_cny: s.plan.cost_per_card_year(t),
        delta_cards_total: 0,
        delta_it_mw: 0.0,
        delta_subsidy_cny: 0.0,
        cards_per_million_subsidy: None,
        costs: (level == "total").then(|| Costs::of(s)),
        delta_costs: None,
        near_optimal: None,
        robust_change: None,
    }
}

/// Totals of one scenario: by region, by tier, overall.
type ScenarioTotals = (Vec<Totals>, Vec<(crate::domain::Tier, Totals)>, Totals);

/// Every line, grouped by region (in the first scenario's order), then tier,
/// then planning cluster, then total.
pub fn lines(results: &[Solved]) -> Vec<Line> {
    let groups = groups(results);
    let per_scenario: Vec<ScenarioTotals> = results
        .iter()
        .map(|s| {
            let p = &s.plan;
            (p.region_totals(), p.tier_totals(), p.total())
        })
        .collect();
    let mut out = Vec::new();
    for (level, id) in &groups {
        let mut first: Option<Line> = None;
        for (k, s) in results.iter().enumerate() {
            let mut l = group_line(s, &per_scenario[k], level, id);
            if let Some(f) = &first {
                set_deltas(&mut l, f);
            } else {
                l.delta_costs = l.costs.map(|_| Costs::default());
                first = Some(l.clone());
            }
            out.push(l);
        }
    }
    out
}

/// The groups of the comparison as `(level, id)`: every region of any
/// scenario (in order of first appearance), every tier, every planning
/// cluster of any scenario, then the total.
fn groups(results: &[Solved]) -> Vec<(&'static str, String)> {
    let mut groups: Vec<(&'static str, String)> = Vec::new();
    for s in results {
        for r in &s.plan.instance.regions {
            if !groups.iter().any(|(l, id)| *l == "region" && *id == r.id) {
                groups.push(("region", r.id.clone()));
            }
        }
    }
    for t in crate::domain::Tier::ALL {
        groups.push(("tier", t.as_str().to_string()));
    }
    for s in results {
        for c in &s.plan.instance.clusters {
            if !groups.iter().any(|(l, id)| *l == "cluster" && *id == c.id) {
                groups.push(("cluster", c.id.clone()));
            }
        }
    }
    groups.push(("total", "total".to_string()));
    groups
}

/// The line of group `(level, id)` in scenario `s` (whose totals are
/// `totals`), with its near-optimal range; an empty line where the scenario
/// has no such region or cluster.
fn group_line(s: &Solved, totals: &ScenarioTotals, level: &str, id: &str) -> Line {
    let inst = &s.plan.instance;
    let (by_region, by_tier, all) = totals;
    let empty = Totals::of(inst.accelerators.len(), std::iter::empty());
    match level {
        "region" => match inst.regions.iter().position(|r| r.id == id) {
            Some(i) => {
                let r = &inst.regions[i];
                let mut l = line(s, "region", id, &r.name_en, r.tier.as_str(), &by_region[i]);
                l.near_optimal = s.plan.near_optimal.as_ref().map(|n| n.regions[i]);
                l
            }
            None => line(s, "region", id, id, "", &empty),
        },
        "tier" => {
            let t = by_tier
                .iter()
                .find(|(t, _)| t.as_str() == id)
                .map(|x| &x.1)
                .unwrap_or(&empty);
            let mut l = line(s, "tier", id, id, id, t);
            l.near_optimal = s
                .plan
                .near_optimal
                .as_ref()
                .and_then(|n| n.tiers.iter().find(|(t, _)| t.as_str() == id).map(|x| x.1));
            l
        }
        "cluster" => match inst.clusters.iter().position(|c| c.id == id) {
            Some(i) => {
                let c = &inst.clusters[i];
                let by_cluster = s.plan.cluster_totals();
                let mut l = line(
                    s,
                    "cluster",
                    id,
                    &c.name_en,
                    c.kind.as_str(),
                    &by_cluster[i],
                );
                l.near_optimal = s
                    .plan
                    .near_optimal
                    .as_ref()
                    .and_then(|n| n.clusters.get(i).copied());
                l
            }
            None => line(s, "cluster", id, id, "", &empty),
        },
        _ => line(s, "total", "total", "total", "", all),
    }
}

/// Sets `l`'s changes against `first`, the same group's line in the first
/// scenario: cards, IT power, subsidy, cards per million CNY of subsidy,
/// costs and the change that survives near-optimal ties.
fn set_deltas(l: &mut Line, first: &Line) {
    let f = first;
    l.delta_cards_total = l.cards_total as i64 - f.cards_total as i64;
    l.delta_it_mw = l.it_mw - f.it_mw;
    l.delta_subsidy_cny = l.subsidy_cny - f.subsidy_cny;
    if l.delta_subsidy_cny > 0.0 {
        l.cards_per_million_subsidy =
            Some(l.delta_cards_total as f64 / (l.delta_subsidy_cny / 1e6));
    }
    if let (Some(c), Some(fc)) = (&l.costs, &f.costs) {
        l.delta_costs = Some(c.minus(fc));
    }
    if let (Some(now), Some(reference)) = (&l.near_optimal, &f.near_optimal) {
        l.robust_change = Some(robust_change(reference, now));
    }
}

use crate::export::geo_layers::round_to as r;

/// comparison.csv: one row per (region or tier or total, scenario), deltas against the first scenario.
pub fn comparison_csv(lines: &[Line]) -> PolarsResult<String> {
    let mut cols = key_columns(lines);
    figure_columns(&mut cols, lines);
    if lines.iter().any(|l| l.near_optimal.is_some()) {
        near_optimal_columns(&mut cols, lines);
    }
    cost_columns(&mut cols, lines);
    crate::export::csv::csv_text(DataFrame::new_infer_height(cols)?)
}

/// comparison.csv's key columns: level, id, name, tier and scenario.
fn key_columns(lines: &[Line]) -> Vec<Column> {
    vec![
        Column::new(
            "level".into(),
            lines.iter().map(|l| l.level).collect::<Vec<_>>(),
        ),
        Column::new(
            "id".into(),
            lines.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "name_en".into(),
            lines.iter().map(|l| l.name_en.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "tier".into(),
            lines.iter().map(|l| l.tier.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "scenario".into(),
            lines
                .iter()
                .map(|l| l.scenario.as_str())
                .collect::<Vec<_>>(),
        ),
    ]
}

/// comparison.csv's figures: cards (by accelerator id in order, in all), IT
/// power, subsidy, cost per card-year, and the changes against the first
/// scenario.
fn figure_columns(cols: &mut Vec<Column>, lines: &[Line]) {
    let acc_ids: BTreeSet<String> = lines.iter().flat_map(|l| l.cards.keys().cloned()).collect();
    for a in &acc_ids {
        cols.push(Column::new(
            format!("cards_{a}").into(),
            lines
                .iter()
                .map(|l| l.cards.get(a).copied().unwrap_or(0))
                .collect::<Vec<_>>(),
        ));
    }
    cols.push(Column::new(
        "cards_total".into(),
        lines.iter().map(|l| l.cards_total).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "it_mw".into(),
        lines.iter().map(|l| r(l.it_mw, 3)).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "subsidy_cny".into(),
        lines
            .iter()
            .map(|l| l.subsidy_cny.round() as i64)
            .collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "cost_per_card_year_cny".into(),
        lines
            .iter()
            .map(|l| l.cost_per_card_year_cny.map(|x| x.round() as i64))
            .collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "delta_cards_total".into(),
        lines
            .iter()
            .map(|l| l.delta_cards_total)
            .collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "delta_it_mw".into(),
        lines
            .iter()
            .map(|l| r(l.delta_it_mw, 3))
            .collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "delta_subsidy_cny".into(),
        lines
            .iter()
            .map(|l| l.delta_subsidy_cny.round() as i64)
            .collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "cards_per_million_subsidy".into(),
        lines
            .iter()
            .map(|l| l.cards_per_million_subsidy.map(|x| r(x, 3)))
            .collect::<Vec<_>>(),
    ));
}

/// comparison.csv's near-optimal columns (`compare --near-optimal`): each
/// line's range of cards and the change that survives the ties.
fn near_optimal_columns(cols: &mut Vec<Column>, lines: &[Line]) {
    cols.push(Column::new(
        "cards_min_near_opt".into(),
        lines
            .iter()
            .map(|l| l.near_optimal.map(|n| n.min_cards as i64))
            .collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "cards_max_near_opt".into(),
        lines
            .iter()
            .map(|l| l.near_optimal.map(|n| n.max_cards as i64))
            .collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "robust_change".into(),
        lines.iter().map(|l| l.robust_change).collect::<Vec<_>>(),
    ));
}

/// comparison.csv's scenario-wide costs and their changes: on the total
/// rows only.
fn cost_columns(cols: &mut Vec<Column>, lines: &[Line]) {
    let whole = |v: Option<f64>| v.map(|x| x.round() as i64);
    for (name, get) in [
        (
            "objective_cny",
            (|c: &Costs| c.provider_cny) as fn(&Costs) -> f64,
        ),
        ("subsidy_paid_cny", |c: &Costs| c.subsidy_cny),
        ("resource_cost_cny", |c: &Costs| c.resource_cny),
    ] {
        cols.push(Column::new(
            name.into(),
            lines
                .iter()
                .map(|l| whole(l.costs.as_ref().map(get)))
                .collect::<Vec<_>>(),
        ));
        cols.push(Column::new(
            format!("delta_{name}").into(),
            lines
                .iter()
                .map(|l| whole(l.delta_costs.as_ref().map(get)))
                .collect::<Vec<_>>(),
        ));
    }
}

/// Gain, loss or none, from a change in cards.
fn change(delta: i64) -> &'static str {
    match delta.signum() {
        1 => "gain",
        -1 => "loss",
        _ => "none",
    }
}

/// The diff.geojson field that holds the change of scenario `k` (k ≥ 1)
/// against the first: `delta_cards_<name>`.
pub fn delta_field(name: &str) -> String {
    format!("delta_cards_{name}")
}

/// diff.geojson: a Point per site with its cards in every scenario
/// (`cards_<scenario>`) and, for every scenario after the first, its change
/// against the first (`delta_cards_<scenario>`, `change_<scenario>` = gain /
/// loss / none). `delta_cards` and `change` repeat the second scenario's
/// (the pair `diff.qml` draws).
pub fn diff_geojson(results: &[Solved]) -> String {
    // Sites in first-seen order across scenarios.
    let mut order: Vec<String> = Vec::new();
    for s in results {
        for site in &s.plan.instance.sites {
            if !order.contains(&site.id) {
                order.push(site.id.clone());
            }
        }
    }
    let cards_of = |s: &Solved, id: &str| -> Option<(u64, usize)> {
        let i = s.plan.instance.sites.iter().position(|x| x.id == id)?;
        Some((s.plan.sites[i].cards.iter().sum(), i))
    };
    let features = order
        .iter()
        .map(|id| {
            let (home, i) = results
                .iter()
                .find_map(|s| cards_of(s, id).map(|(_, i)| (s, i)))
                .expect("site comes from some scenario");
            let site = &home.plan.instance.sites[i];
            let region = &home.plan.instance.regions[home.plan.sites[i].region];
            let mut m = JsonObject::new();
            m.insert("site_id".into(), json!(site.id));
            m.insert("name_en".into(), json!(site.name_en));
            m.insert("name_zh".into(), json!(site.name_zh));
            m.insert("region_id".into(), json!(region.id));
            m.insert("tier".into(), json!(region.tier.as_str()));
            let counts: Vec<u64> = results
                .iter()
                .map(|s| cards_of(s, id).map(|x| x.0).unwrap_or(0))
                .collect();
            for (s, c) in results.iter().zip(&counts) {
                m.insert(format!("cards_{}", s.name), json!(c));
            }
            let deltas: Vec<i64> = counts
                .iter()
                .map(|&c| c as i64 - counts[0] as i64)
                .collect();
            for (k, s) in results.iter().enumerate().skip(1) {
                m.insert(delta_field(&s.name), json!(deltas[k]));
                m.insert(format!("change_{}", s.name), json!(change(deltas[k])));
            }
            let second = deltas.get(1).copied().unwrap_or(0);
            m.insert("delta_cards".into(), json!(second));
            m.insert("change".into(), json!(change(second)));
            feature(point(site.lon, site.lat), m)
        })
        .collect();
    collection(features, "diff")
}

/// A scenario name made safe for a file name: anything but ASCII letters,
/// digits, `-` and `_` becomes `_`.
pub fn file_label(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The QGIS styles of diff.geojson, as (file name, text): `diff.qml` (applied
/// by QGIS when the layer is added) draws the second scenario against the
/// first (`delta_cards`); with three or more scenarios, `diff.<scenario>.qml`
/// draws each further one (`delta_cards_<scenario>`; Layer Properties →
/// Style → Load Style).
pub fn diff_styles(results: &[Solved]) -> Vec<(String, String)> {
    let Some(reference) = results.first().map(|s| s.name.as_str()) else {
        return vec![];
    };
    results
        .iter()
        .enumerate()
        .skip(1)
        .map(|(k, s)| {
            let mut label = file_label(&s.name);
            if results[..k].iter().any(|o| file_label(&o.name) == label) {
                label = format!("{label}_{k}");
            }
            if k == 1 {
                (
                    "diff.qml".to_string(),
                    crate::export::diff_qml("delta_cards", &s.name, reference),
                )
            } else {
                (
                    format!("diff.{label}.qml"),
                    crate::export::diff_qml(&delta_field(&s.name), &s.name, reference),
                )
            }
        })
        .collect()
}

/// The table printed by `dcsite compare`: cards per region in each scenario
/// (A, B, …), the change of each against A, what its subsidies cost and what
/// they buy (cards gained per million CNY).
pub fn text_table(results: &[Solved], lines: &[Line]) -> String {
    let mut out = String::new();
    let letter = |k: usize| ((b'A' + (k % 26) as u8) as char).to_string();
    for (k, s) in results.iter().enumerate() {
        out.push_str(&format!(
            "{} = {}: {} — objective {:.2} bn CNY, gap {}, {:.2} s\n",
            letter(k),
            s.name,
            s.plan.status.as_str(),
            s.plan.objective_cny / 1e9,
            crate::export::gap_text(s.plan.mip_gap),
            s.plan.solve_seconds
        ));
    }
    out.push('\n');
    out.push_str(&cost_table(results, lines));
    out.push('\n');
    out.push_str(&format!("{:<16} {:<9}", "cards", "tier"));
    for k in 0..results.len() {
        out.push_str(&format!(" {:>9}", letter(k)));
    }
    for k in 1..results.len() {
        let l = letter(k);
        out.push_str(&format!(
            " {:>9} {:>11} {:>10}",
            format!("Δ{l}"),
            format!("subsidy {l}"),
            "cards/M¥"
        ));
    }
    out.push('\n');
    let mut ids: Vec<(&str, &str, &str)> = Vec::new();
    for l in lines {
        if !ids.iter().any(|(lv, id, _)| *lv == l.level && *id == l.id) {
            ids.push((l.level, &l.id, &l.tier));
        }
    }
    let mut first_cluster = true;
    for (level, id, tier) in ids {
        if (level == "tier" && id == "core") || (level == "cluster" && first_cluster) {
            first_cluster &= level != "cluster";
            out.push('\n');
        }
        let row: Vec<&Line> = lines
            .iter()
            .filter(|l| l.level == level && l.id == id)
            .collect();
        out.push_str(&format!(
            "{:<16} {:<9}",
            trunc(id, 16),
            if level == "region" || level == "cluster" {
                tier
            } else {
                ""
            }
        ));
        for l in &row {
            out.push_str(&format!(" {:>9}", l.cards_total));
        }
        for l in row.iter().skip(1) {
            out.push_str(&format!(
                " {:>+9} {:>9.2}bn {:>10}",
                l.delta_cards_total,
                l.subsidy_cny / 1e9,
                l.cards_per_million_subsidy
                    .map(|x| format!("{x:.1}"))
                    .unwrap_or_else(|| "-".into())
            ));
        }
        out.push('\n');
    }
    out.push_str(&robust_text(results, lines));
    out
}

/// In words, which regional changes against A survive near-optimal ties
/// (`compare --near-optimal`): a change is robust when the ranges of the
/// two scenarios do not overlap, a tie when some near-optimal plans of both
/// place the region's cards alike.
fn robust_text(results: &[Solved], lines: &[Line]) -> String {
    let letter = |k: usize| ((b'A' + (k % 26) as u8) as char).to_string();
    let mut out = String::new();
    for (k, s) in results.iter().enumerate().skip(1) {
        let mut robust = Vec::new();
        let mut ties = Vec::new();
        for l in lines
            .iter()
            .filter(|l| l.level == "region" && l.scenario == s.name && l.delta_cards_total != 0)
        {
            match l.robust_change {
                Some("within ties") => ties.push(format!("{} {:+}", l.id, l.delta_cards_total)),
                Some(c) => robust.push(format!(
                    "{} {:+} ({c}{})",
                    l.id,
                    l.delta_cards_total,
                    if change_proven(lines, &results[0].name, l) {
                        ""
                    } else {
                        ", not proven: an end it rests on is the best plan found"
                    }
                )),
                None => {}
            }
        }
        if robust.is_empty() && ties.is_empty() {
            continue;
        }
        let none = || "none".to_string();
        out.push_str(&format!(
            "\n{} against A, with near-optimal ranges:\n  changes no near-optimal plan undoes: {}\n  changes within ties (near-optimal plans of both overlap): {}\n",
            letter(k),
            if robust.is_empty() { none() } else { robust.join(", ") },
            if ties.is_empty() { none() } else { ties.join(", ") },
        ));
    }
    out
}

/// Whether the ends a gain or loss of `l` rests on are proven: for a gain
/// the scenario's fewest and the reference's most, for a loss the other two.
fn change_proven(lines: &[Line], reference: &str, l: &Line) -> bool {
    let first = lines
        .iter()
        .find(|r| r.level == l.level && r.id == l.id && r.scenario == reference);
    match (l.near_optimal, first.and_then(|r| r.near_optimal)) {
        (Some(now), Some(before)) => match l.robust_change {
            Some("gain") => now.min_proven && before.max_proven,
            Some("loss") => now.max_proven && before.min_proven,
            _ => true,
        },
        _ => true,
    }
}

/// bn CNY with two decimals; `signed` shows a `+` on increases.
fn bn(x: f64, signed: bool) -> String {
    let v = x / 1e9;
    // No "-0.00".
    let v = if (v * 100.0).round() == 0.0 { 0.0 } else { v };
    if signed {
        format!("{v:+.2}")
    } else {
        format!("{v:.2}")
    }
}

/// What each scenario costs (bn CNY, net present value): the provider's cost
/// (the objective, after subsidies), the subsidies paid and the resource cost
/// (their sum), with the change of each against A.
pub fn cost_table(results: &[Solved], lines: &[Line]) -> String {
    let letter = |k: usize| ((b'A' + (k % 26) as u8) as char).to_string();
    let mut out = format!(
        "{:<24} {:>13} {:>13} {:>13}",
        "bn CNY (NPV)", "provider cost", "subsidy paid", "resource cost"
    );
    if results.len() > 1 {
        out.push_str(&format!(
            " {:>10} {:>10} {:>10}",
            "Δ provider", "Δ subsidy", "Δ resource"
        ));
    }
    out.push('\n');
    for (k, s) in results.iter().enumerate() {
        let Some(total) = lines
            .iter()
            .find(|l| l.level == "total" && l.scenario == s.name)
        else {
            continue;
        };
        let c = total.costs.unwrap_or_else(|| Costs::of(s));
        out.push_str(&format!(
            "{:<24} {:>13} {:>13} {:>13}",
            trunc(&format!("{} {}", letter(k), s.name), 24),
            bn(c.provider_cny, false),
            bn(c.subsidy_cny, false),
            bn(c.resource_cny, false)
        ));
        if k > 0 {
            if let Some(d) = total.delta_costs {
                out.push_str(&format!(
                    " {:>10} {:>10} {:>10}",
                    bn(d.provider_cny, true),
                    bn(d.subsidy_cny, true),
                    bn(d.resource_cny, true)
                ));
            }
        }
        out.push('\n');
    }
    out.push_str(
        "provider cost = the objective (capex + annuity × opex + network − subsidies); \
         resource cost = provider cost + subsidy paid, what the plan costs the country\n",
    );
    out
}

fn trunc(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
