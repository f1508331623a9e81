//! Several scenarios side by side: what each region wins or loses, what the
//! subsidies cost, and break-even levels of a subsidy lever.

pub mod breakeven;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use geojson::JsonObject;
use polars::prelude::*;
use rayon::prelude::*;
use serde_json::json;

use crate::data::Problems;
use crate::export::geo_layers::{collection, feature, point};
use crate::milp::Prepared;
use crate::solve::plan::{totals, Totals};
use crate::solve::{solve, Plan, SolveError, SolveOptions};

/// One solved scenario.
pub struct Solved {
    pub name: String,
    pub path: PathBuf,
    pub prepared: Prepared,
    pub plan: Plan,
}

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("{}", .0)]
    Input(Problems),
    #[error("{path}: {source}")]
    Solve {
        path: PathBuf,
        #[source]
        source: SolveError,
    },
    #[error("scenario names must differ: {0} appears twice (set `name` in one of the files)")]
    DuplicateName(String),
}

/// Loads and solves every scenario, in parallel where cores allow; results
/// keep the order given. `done` is called once per finished scenario.
pub fn solve_all(
    paths: &[PathBuf],
    opts: &SolveOptions,
    done: &(dyn Fn(&str) + Sync),
) -> Result<Vec<Solved>, CompareError> {
    let mut loaded = Vec::new();
    let mut problems = Problems::default();
    for path in paths {
        match crate::data::load(path) {
            Ok((sc, inst, _)) => loaded.push((sc.name.clone(), path.clone(), inst)),
            Err(p) => problems.0.extend(p.0),
        }
    }
    if !problems.is_empty() {
        return Err(CompareError::Input(problems));
    }
    let mut seen = BTreeSet::new();
    for (name, _, _) in &loaded {
        if !seen.insert(name.clone()) {
            return Err(CompareError::DuplicateName(name.clone()));
        }
    }
    loaded
        .into_par_iter()
        .map(|(name, path, inst)| {
            let prepared = Prepared::new(inst);
            let plan = solve(&prepared, opts).map_err(|source| CompareError::Solve {
                path: path.clone(),
                source,
            })?;
            done(&name);
            Ok(Solved {
                name,
                path,
                prepared,
                plan,
            })
        })
        .collect()
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
}

fn line(s: &Solved, level: &'static str, id: &str, name: &str, tier: &str, t: &Totals) -> Line {
    let inst = &s.prepared.inst;
    let cards = inst
        .accelerators
        .iter()
        .enumerate()
        .map(|(a, acc)| (acc.id.clone(), t.cards[a]))
        .collect();
    let npc = t.capex_cny + s.prepared.annuity_factor * t.opex_cny_per_year - t.subsidy_cny;
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
        cost_per_card_year_cny: (t.h200_eq > 0.0)
            .then(|| npc / (t.h200_eq * inst.params.horizon_years as f64)),
        delta_cards_total: 0,
        delta_it_mw: 0.0,
        delta_subsidy_cny: 0.0,
        cards_per_million_subsidy: None,
    }
}

/// Totals of one scenario: by region, by tier, overall.
type ScenarioTotals = (Vec<Totals>, Vec<(crate::domain::Tier, Totals)>, Totals);

/// Every line, grouped by region (in the first scenario's order), then tier, then total.
pub fn lines(results: &[Solved]) -> Vec<Line> {
    let mut groups: Vec<(&'static str, String)> = Vec::new();
    for s in results {
        for r in &s.prepared.inst.regions {
            if !groups.iter().any(|(l, id)| *l == "region" && *id == r.id) {
                groups.push(("region", r.id.clone()));
            }
        }
    }
    for t in crate::domain::Tier::ALL {
        groups.push(("tier", t.as_str().to_string()));
    }
    groups.push(("total", "total".to_string()));
    let per_scenario: Vec<ScenarioTotals> = results
        .iter()
        .map(|s| {
            let (r, t) = totals(&s.prepared, &s.plan);
            let all = Totals::of(s.prepared.inst.accelerators.len(), s.plan.sites.iter());
            (r, t, all)
        })
        .collect();
    let mut out = Vec::new();
    for (level, id) in &groups {
        let mut first: Option<Line> = None;
        for (k, s) in results.iter().enumerate() {
            let inst = &s.prepared.inst;
            let (by_region, by_tier, all) = &per_scenario[k];
            let empty = Totals::of(inst.accelerators.len(), std::iter::empty());
            let mut l = match *level {
                "region" => match inst.regions.iter().position(|r| &r.id == id) {
                    Some(i) => {
                        let r = &inst.regions[i];
                        line(s, "region", id, &r.name_en, r.tier.as_str(), &by_region[i])
                    }
                    None => line(s, "region", id, id, "", &empty),
                },
                "tier" => {
                    let t = by_tier
                        .iter()
                        .find(|(t, _)| t.as_str() == id)
                        .map(|x| &x.1)
                        .unwrap_or(&empty);
                    line(s, "tier", id, id, id, t)
                }
                _ => line(s, "total", "total", "total", "", all),
            };
            if let Some(f) = &first {
                l.delta_cards_total = l.cards_total as i64 - f.cards_total as i64;
                l.delta_it_mw = l.it_mw - f.it_mw;
                l.delta_subsidy_cny = l.subsidy_cny - f.subsidy_cny;
                if l.delta_subsidy_cny > 0.0 {
                    l.cards_per_million_subsidy =
                        Some(l.delta_cards_total as f64 / (l.delta_subsidy_cny / 1e6));
                }
            } else {
                first = Some(l.clone());
            }
            out.push(l);
        }
    }
    out
}

use crate::export::geo_layers::round_to as r;

/// comparison.csv: one row per (region or tier or total, scenario), deltas against the first scenario.
pub fn comparison_csv(lines: &[Line]) -> PolarsResult<String> {
    let acc_ids: BTreeSet<String> = lines.iter().flat_map(|l| l.cards.keys().cloned()).collect();
    let mut cols: Vec<Column> = vec![
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
    ];
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
    crate::export::summary::csv_text(DataFrame::new_infer_height(cols)?)
}

/// diff.geojson: a Point per site with its cards in every scenario and the
/// change of the last scenario against the first (`delta_cards`, `change`).
pub fn diff_geojson(results: &[Solved]) -> String {
    // Sites in first-seen order across scenarios.
    let mut order: Vec<String> = Vec::new();
    for s in results {
        for site in &s.prepared.inst.sites {
            if !order.contains(&site.id) {
                order.push(site.id.clone());
            }
        }
    }
    let cards_of = |s: &Solved, id: &str| -> Option<(u64, usize)> {
        let i = s.prepared.inst.sites.iter().position(|x| x.id == id)?;
        Some((s.plan.sites[i].cards.iter().sum(), i))
    };
    let features = order
        .iter()
        .map(|id| {
            let (home, i) = results
                .iter()
                .find_map(|s| cards_of(s, id).map(|(_, i)| (s, i)))
                .expect("site comes from some scenario");
            let site = &home.prepared.inst.sites[i];
            let region = &home.prepared.inst.regions[home.prepared.region_of_site[i]];
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
            for (k, s) in results.iter().enumerate().skip(1) {
                m.insert(
                    format!("delta_{}", s.name),
                    json!(counts[k] as i64 - counts[0] as i64),
                );
            }
            let delta = *counts.last().unwrap() as i64 - counts[0] as i64;
            m.insert("delta_cards".into(), json!(delta));
            m.insert(
                "change".into(),
                json!(match delta.signum() {
                    1 => "gain",
                    -1 => "loss",
                    _ => "none",
                }),
            );
            feature(point(site.lon, site.lat), m)
        })
        .collect();
    collection(features, "diff")
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
    for (level, id, tier) in ids {
        if level == "tier" && id == "core" {
            out.push('\n');
        }
        let row: Vec<&Line> = lines
            .iter()
            .filter(|l| l.level == level && l.id == id)
            .collect();
        out.push_str(&format!(
            "{:<16} {:<9}",
            trunc(id, 16),
            if level == "region" { tier } else { "" }
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
    out
}

fn trunc(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
