//! The schedule of a phased plan (`[[deliveries]]`): `schedule.csv` (month ×
//! site × accelerator), its summary in summary.json and the per-site
//! properties of sites.geojson (`ready_month`, `hall_start_month`,
//! `cards_by_month` and one `cards_m<month>` number per period).

use geojson::{JsonObject, JsonValue};
use polars::prelude::*;
use serde_json::{json, Map, Value};

use super::csv::csv_text;
use crate::domain::{month_text, Origin};
use crate::plan::{Installation, Plan, Schedule, SitePlan};
use crate::spatial::round_to as r;

/// The name of a site's numeric property for a period's cumulative cards:
/// `cards_m1`, `cards_m2_5` (no dot: QGIS expressions and GDAL take it as is).
pub fn month_field(month: f64) -> String {
    format!("cards_m{}", month_text(month).replace('.', "_"))
}

/// A column of months: whole numbers (Int64, empty where `None`) when every
/// month is whole, as they are with whole-month deliveries and an install
/// window of whole months; to the thousandth of a month otherwise.
fn month_column(name: &str, months: Vec<Option<f64>>) -> Column {
    if months.iter().flatten().all(|&m| is_whole(m)) {
        let whole: Vec<Option<i64>> = months.iter().map(|m| m.map(|x| x.round() as i64)).collect();
        Column::new(name.into(), whole)
    } else {
        let months: Vec<Option<f64>> = months.iter().map(|m| m.map(|x| r(x, 3))).collect();
        Column::new(name.into(), months)
    }
}

fn is_whole(m: f64) -> bool {
    (m - m.round()).abs() < 1e-9
}

/// A month as JSON: an integer when whole, else to the thousandth.
fn month_json(m: Option<f64>) -> Value {
    match m {
        Some(x) if is_whole(x) => json!(x.round() as i64),
        Some(x) => json!(r(x, 3)),
        None => Value::Null,
    }
}

/// `schedule.csv`: one row per (period, site, accelerator) with servers
/// installed, in period, site and accelerator order; `None` for a plan
/// without deliveries.
pub fn schedule_table(plan: &Plan) -> PolarsResult<Option<String>> {
    let Some(s) = &plan.schedule else {
        return Ok(None);
    };
    let inst = &plan.instance;
    let mut rows: Vec<_> = s.installations.iter().collect();
    rows.sort_by_key(|x| (x.period, x.site, x.accel));
    let sp = |x: usize| &plan.sites[x];
    let mut cols = vec![
        month_column(
            "month",
            rows.iter()
                .map(|x| Some(s.periods[x.period].month))
                .collect(),
        ),
        month_column(
            "installed_by_month",
            rows.iter()
                .map(|x| Some(s.periods[x.period].installed_by))
                .collect(),
        ),
    ];
    cols.extend(place_columns(plan, &rows));
    cols.extend([
        Column::new(
            "accelerator".into(),
            rows.iter()
                .map(|x| inst.accelerators[x.accel].id.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "servers".into(),
            rows.iter().map(|x| x.servers).collect::<Vec<_>>(),
        ),
        Column::new(
            "cards".into(),
            rows.iter().map(|x| x.cards).collect::<Vec<_>>(),
        ),
        Column::new(
            "site_cards_installed".into(),
            rows.iter()
                .map(|x| {
                    sp(x.site)
                        .cards_by_period
                        .get(x.period)
                        .copied()
                        .unwrap_or(0)
                })
                .collect::<Vec<_>>(),
        ),
        month_column(
            "ready_month",
            rows.iter().map(|x| sp(x.site).ready_month).collect(),
        ),
        month_column(
            "hall_start_month",
            rows.iter().map(|x| sp(x.site).hall_start_month).collect(),
        ),
    ]);
    csv_text(DataFrame::new_infer_height(cols)?).map(Some)
}

/// schedule.csv's columns of where each row's servers go: the site (id and
/// name), its region, planning cluster and cooling.
fn place_columns(plan: &Plan, rows: &[&Installation]) -> [Column; 5] {
    let inst = &plan.instance;
    let cluster_of = inst.cluster_of_region();
    let site = |x: usize| &inst.sites[x];
    let sp = |x: usize| &plan.sites[x];
    [
        Column::new(
            "site_id".into(),
            rows.iter()
                .map(|x| site(x.site).id.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "site_name_en".into(),
            rows.iter()
                .map(|x| site(x.site).name_en.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "region_id".into(),
            rows.iter()
                .map(|x| site(x.site).region_id.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "cluster_id".into(),
            rows.iter()
                .map(|x| cluster_of[sp(x.site).region].map(|c| inst.clusters[c].id.clone()))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "cooling".into(),
            rows.iter()
                .map(|x| sp(x.site).cooling.map(|k| inst.cooling[k].id.clone()))
                .collect::<Vec<_>>(),
        ),
    ]
}

/// `cards_by_month` of a site: `month:cards` of every period, cumulative,
/// `;`-separated (`1:40000;2:140000;11:300000`).
pub fn cards_by_month_text(s: &Schedule, sp: &SitePlan) -> String {
    s.periods
        .iter()
        .zip(&sp.cards_by_period)
        .map(|(p, c)| format!("{}:{c}", month_text(p.month)))
        .collect::<Vec<_>>()
        .join(";")
}

/// The schedule's properties of a site in sites.geojson (nothing without deliveries).
pub fn site_properties(plan: &Plan, sp: &SitePlan, m: &mut JsonObject) {
    let Some(s) = &plan.schedule else {
        return;
    };
    m.insert("ready_month".into(), month_json(sp.ready_month));
    m.insert("hall_start_month".into(), month_json(sp.hall_start_month));
    if plan.instance.params.hall_start_step_months > 0.0 {
        // Only where the scenario decides start months: the month is then
        // the plan's decision, not the latest start in time.
        m.insert("hall_start_decided".into(), json!(sp.hall_start_decided));
    }
    m.insert(
        "cards_by_month".into(),
        if sp.built {
            json!(cards_by_month_text(s, sp))
        } else {
            JsonValue::Null
        },
    );
    for (k, p) in s.periods.iter().enumerate() {
        m.insert(
            month_field(p.month),
            json!(sp.cards_by_period.get(k).copied().unwrap_or(0)),
        );
    }
}

/// The schedule in summary.json: the install window, per period the cards
/// installed by accelerator (and cumulative), the domestic share of what is
/// installed by then and the sites receiving cards; per built site its
/// ready month and hall start. `null` without deliveries.
pub fn schedule_json(plan: &Plan) -> Value {
    let Some(s) = &plan.schedule else {
        return Value::Null;
    };
    let inst = &plan.instance;
    let n_acc = inst.accelerators.len();
    let by_period = s.cards_by_period(n_acc);
    let mut cumulative = vec![0u64; n_acc];
    let periods: Vec<Value> = s
        .periods
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let mut added = Map::new();
            let mut cum = Map::new();
            for (a, acc) in inst.accelerators.iter().enumerate() {
                cumulative[a] += by_period[k][a];
                added.insert(acc.id.clone(), json!(by_period[k][a]));
                cum.insert(acc.id.clone(), json!(cumulative[a]));
            }
            let all: u64 = cumulative.iter().sum();
            let dom: u64 = inst
                .accelerators
                .iter()
                .enumerate()
                .filter(|(_, acc)| acc.origin == Origin::Domestic)
                .map(|(a, _)| cumulative[a])
                .sum();
            let mut sites: Vec<&str> = s
                .installations
                .iter()
                .filter(|x| x.period == k)
                .map(|x| inst.sites[x.site].id.as_str())
                .collect();
            sites.dedup();
            json!({
                "month": month_json(Some(p.month)),
                "installed_by_month": month_json(Some(p.installed_by)),
                "discount_factor": r(p.discount, 6),
                "cards_added": added,
                "cards_installed": cum,
                "domestic_share_installed": if all > 0 { r(dom as f64 / all as f64, 4) } else { 0.0 },
                "sites_receiving": sites,
            })
        })
        .collect();
    let halls: Vec<Value> = plan
        .sites
        .iter()
        .filter(|sp| sp.built)
        .map(|sp| {
            json!({
                "site_id": inst.sites[sp.site].id,
                "ready_month": month_json(sp.ready_month),
                "hall_start_month": month_json(sp.hall_start_month),
                "first_month": s
                    .installations
                    .iter()
                    .filter(|x| x.site == sp.site)
                    .map(|x| s.periods[x.period].month)
                    .min_by(f64::total_cmp)
                    .map_or(Value::Null, |x| month_json(Some(x))),
            })
        })
        .collect();
    json!({
        "install_days": s.install_days,
        "start_year": s.start_year,
        "periods": periods,
        "sites": halls,
    })
}
