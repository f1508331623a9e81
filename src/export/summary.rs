//! summary.json, regions.csv and the table printed on the terminal.

use polars::prelude::*;
use serde_json::{json, Map, Value};

use crate::milp::Prepared;
use crate::solve::plan::{totals, Totals};
use crate::solve::Plan;

use super::geo_layers::round_to as r;

/// A frame as CSV text with a header. Text cells that a spreadsheet would
/// take for a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return) are neutralised the way OWASP recommends for CSV injection: a
/// single quote goes in front. Only text columns: numbers stay numbers.
pub fn csv_text(mut df: DataFrame) -> PolarsResult<String> {
    let text_columns: Vec<PlSmallStr> = df
        .columns()
        .iter()
        .filter(|c| c.dtype() == &DataType::String)
        .map(|c| c.name().clone())
        .collect();
    for name in text_columns {
        let cells = df.column(&name)?.str()?.clone();
        if !cells
            .iter()
            .flatten()
            .any(|v| v.starts_with(['=', '+', '-', '@', '\t', '\r']))
        {
            continue;
        }
        let safe: Vec<Option<String>> = cells
            .iter()
            .map(|v| {
                v.map(|v| {
                    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                        format!("'{v}")
                    } else {
                        v.to_string()
                    }
                })
            })
            .collect();
        df.with_column(Column::new(name, safe))?;
    }
    let mut buf = Vec::new();
    CsvWriter::new(&mut buf)
        .include_header(true)
        .finish(&mut df)?;
    Ok(String::from_utf8(buf).expect("CSV is UTF-8"))
}

/// summary.json: status, objective, gap, time, totals, binding constraints.
pub fn summary_json(p: &Prepared, plan: &Plan, scenario_path: &str) -> String {
    let inst = &p.inst;
    let (by_region, by_tier) = totals(p, plan);
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
    let all = Totals::of(inst.accelerators.len(), plan.sites.iter());
    let subsidies: Vec<Value> = plan
        .subsidies
        .iter()
        .map(|s| {
            json!({
                "programme_id": s.programme_id,
                "amount_cny": s.amount_cny.round() as i64,
                "per": if s.annual { "year" } else { "once" },
                "npv_cny": s.npv_cny.round() as i64,
            })
        })
        .collect();
    let v = json!({
        "scenario": inst.name,
        "scenario_file": scenario_path,
        "status": plan.status.as_str(),
        "objective_cny": plan.objective_cny.round() as i64,
        "mip_gap": r(plan.mip_gap, 6),
        "solve_seconds": r(plan.solve_seconds, 3),
        "build_seconds": r(plan.build_seconds, 3),
        "model": {"columns": plan.model_size.0, "integer_columns": plan.model_size.1, "rows": plan.model_size.2},
        "cards_total": plan.cards_total(),
        "h200_eq_total": r(all.h200_eq, 1),
        "cards_by_accelerator": by_acc,
        "cards_by_region": by_reg,
        "cards_by_tier": by_t,
        "it_mw_by_region": it_by_reg,
        "sites_built": all.sites_built,
        "it_mw_total": r(all.it_mw, 3),
        "facility_mw_total": r(all.facility_mw, 3),
        "annual_gwh_total": r(all.annual_gwh, 3),
        "annual_tce_total": r(all.annual_tce, 1),
        "capex_cny_total": all.capex_cny.round() as i64,
        "opex_cny_per_year_total": all.opex_cny_per_year.round() as i64,
        "subsidy_cny_total": all.subsidy_cny.round() as i64,
        "annuity_factor": r(p.annuity_factor, 6),
        "subsidies": subsidies,
        "binding_constraints": plan.binding_constraints,
        "shadow_prices": plan.shadow_prices.iter().map(|sp| json!({
            "constraint": sp.constraint,
            "cny_per_unit": r(sp.cny_per_unit, 2),
            "unit": sp.unit,
        })).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&v).expect("summary serialises");
    s.push('\n');
    s
}

/// regions.csv: one row per region, then one per tier, with totals.
pub fn regions_table(p: &Prepared, plan: &Plan) -> PolarsResult<String> {
    let inst = &p.inst;
    let (by_region, by_tier) = totals(p, plan);
    let mut level = Vec::new();
    let mut id = Vec::new();
    let mut name = Vec::new();
    let mut tier = Vec::new();
    let mut rows: Vec<&Totals> = Vec::new();
    let mut quota_mw: Vec<Option<f64>> = Vec::new();
    let mut quota_tce: Vec<Option<f64>> = Vec::new();
    let mut shadow_mw: Vec<Option<f64>> = Vec::new();
    let mut shadow_tce: Vec<Option<f64>> = Vec::new();
    let shadow = |name: String| {
        plan.shadow_prices
            .iter()
            .find(|s| s.constraint == name)
            .map(|s| r(s.cny_per_unit, 2))
    };
    for (i, region) in inst.regions.iter().enumerate() {
        level.push("region");
        id.push(region.id.clone());
        name.push(region.name_en.clone());
        tier.push(region.tier.as_str());
        rows.push(&by_region[i]);
        quota_mw.push(Some(region.power_quota_mw));
        quota_tce.push(Some(region.energy_quota_tce));
        shadow_mw.push(shadow(format!("region-power-quota-{}", region.id)));
        shadow_tce.push(shadow(format!("region-energy-quota-{}", region.id)));
    }
    for (t, tot) in &by_tier {
        level.push("tier");
        id.push(t.as_str().to_string());
        name.push(t.as_str().to_string());
        tier.push(t.as_str());
        rows.push(tot);
        quota_mw.push(None);
        quota_tce.push(None);
        shadow_mw.push(None);
        shadow_tce.push(None);
    }
    let mut cols: Vec<Column> = vec![
        Column::new("level".into(), level),
        Column::new("id".into(), id),
        Column::new("name_en".into(), name),
        Column::new("tier".into(), tier),
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
    cols.push(Column::new("power_quota_mw".into(), quota_mw));
    cols.push(Column::new(
        "annual_tce".into(),
        rows.iter().map(|t| r(t.annual_tce, 1)).collect::<Vec<_>>(),
    ));
    cols.push(Column::new("energy_quota_tce".into(), quota_tce));
    cols.push(Column::new(
        "power_quota_shadow_cny_per_mw".into(),
        shadow_mw,
    ));
    cols.push(Column::new(
        "energy_quota_shadow_cny_per_tce".into(),
        shadow_tce,
    ));
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
    csv_text(DataFrame::new_infer_height(cols)?)
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

/// The family part of a row name: `region-power-quota-jjj` → `region-power-quota`.
fn family_of(name: &str) -> String {
    const FAMILIES: [&str; 12] = [
        "region-power-quota",
        "region-energy-quota",
        "site-power",
        "site-min-size",
        "site-inference-capacity",
        "demand",
        "target",
        "dual-track",
        "mega",
        "region-bound",
        "tier-bound",
        "subsidy",
    ];
    FAMILIES
        .iter()
        .find(|f| name.starts_with(*f))
        .map(|f| f.to_string())
        .unwrap_or_else(|| name.to_string())
}

/// The table printed after a solve: cards, MW and cost by region and by tier.
pub fn text_report(p: &Prepared, plan: &Plan) -> String {
    let inst = &p.inst;
    let (by_region, by_tier) = totals(p, plan);
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
    let all = Totals::of(inst.accelerators.len(), plan.sites.iter());
    out.push_str(&line("total", "", &all));
    if !plan.binding_constraints.is_empty() {
        // Long lists (one demand row per city) are summarised by family.
        let b = &plan.binding_constraints;
        if b.len() <= 20 {
            out.push_str(&format!("\nbinding: {}\n", b.join(", ")));
        } else {
            let mut families: Vec<(String, usize)> = Vec::new();
            for name in b {
                let fam = family_of(name);
                match families.iter_mut().find(|(f, _)| *f == fam) {
                    Some((_, n)) => *n += 1,
                    None => families.push((fam, 1)),
                }
            }
            let parts: Vec<String> = families.iter().map(|(f, n)| format!("{f} ×{n}")).collect();
            out.push_str(&format!(
                "\nbinding ({} rows, all in summary.json): {}\n",
                b.len(),
                parts.join(", ")
            ));
        }
    }
    out
}
