//! The comparison section: per-region gains and losses as an SVG bar chart
//! and the long-format comparison.csv as tables. Columns are found by name,
//! so any set of accelerators and scenarios works.

use std::fmt::Write as _;

use super::html::{esc, fmt_signed, table, Cell, Col, Row};
use super::input::TextTable;

/// Columns comparison.csv must have.
pub const REQUIRED: [&str; 4] = ["level", "id", "scenario", "delta_cards_total"];

/// Scenarios in order of first appearance; the first is the reference.
pub fn scenarios(rows: &[Row]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rows {
        if !out.contains(&r.scenario) {
            out.push(r.scenario.clone());
        }
    }
    out
}

/// Ids of `level` in order of first appearance.
fn ids(rows: &[Row], level: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rows.iter().filter(|r| r.level == level) {
        if !out.contains(&r.id) {
            out.push(r.id.clone());
        }
    }
    out
}

fn find<'a>(rows: &'a [Row], level: &str, id: &str, scenario: &str) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.level == level && r.id == id && r.scenario == scenario)
}

const CHART_WIDTH: f64 = 960.0;
const LABEL_WIDTH: f64 = 330.0;
const VALUE_ROOM: f64 = 80.0;
const ROW: f64 = 20.0;
const BAR: f64 = 13.0;

/// Per region, one horizontal bar per non-first scenario of
/// `delta_cards_total`: green to the right for a gain, red to the left for
/// a loss.
pub fn region_chart(rows: &[Row], scenarios: &[String]) -> String {
    let regions = ids(rows, "region");
    let others = scenarios.get(1..).unwrap_or_default();
    let delta = |id: &str, s: &str| {
        find(rows, "region", id, s)
            .and_then(|r| r.num("delta_cards_total"))
            .unwrap_or(0.0)
    };
    let max = regions
        .iter()
        .flat_map(|id| others.iter().map(move |s| delta(id, s).abs()))
        .fold(0.0, f64::max);
    let half = (CHART_WIDTH - LABEL_WIDTH - 2.0 * VALUE_ROOM) / 2.0;
    let zero = LABEL_WIDTH + VALUE_ROOM + half;
    let scale = if max > 0.0 { half / max } else { 0.0 };
    let per_region = if others.len() > 1 {
        (others.len() + 1) as f64 * ROW + 6.0
    } else {
        ROW + 4.0
    };
    let top = 56.0;
    let height = top + per_region * regions.len() as f64 + 16.0;
    let reference = scenarios.first().cloned().unwrap_or_default();

    let mut out = format!(
        "<svg id=\"comparison-chart\" class=\"chart\" viewBox=\"0 0 {CHART_WIDTH:.0} {height:.0}\" width=\"{CHART_WIDTH:.0}\" height=\"{height:.0}\" role=\"img\" aria-label=\"{}\">\n",
        esc(&format!("Change in cards per region against {reference}"))
    );
    // Legend and axis labels.
    let _ = writeln!(
        out,
        "<rect class=\"gain\" x=\"10\" y=\"10\" width=\"12\" height=\"12\"/><text x=\"28\" y=\"20\">more cards than {}</text>",
        esc(&reference)
    );
    let _ = writeln!(
        out,
        "<rect class=\"loss\" x=\"10\" y=\"30\" width=\"12\" height=\"12\"/><text x=\"28\" y=\"40\">fewer cards than {}</text>",
        esc(&reference)
    );
    if max > 0.0 {
        for (x, v, anchor) in [
            (zero - half, -max, "start"),
            (zero, 0.0, "middle"),
            (zero + half, max, "end"),
        ] {
            let _ = writeln!(
                out,
                "<text class=\"val\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                top - 8.0,
                esc(&fmt_signed(v))
            );
            let _ = writeln!(
                out,
                "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>",
                top - 4.0,
                height - 10.0
            );
        }
    }
    let mut y = top;
    for id in &regions {
        let name = rows
            .iter()
            .find(|r| r.level == "region" && &r.id == id)
            .map(|r| r.label().to_string())
            .unwrap_or_else(|| id.clone());
        let many = others.len() > 1;
        if many {
            let _ = writeln!(
                out,
                "<text class=\"region\" x=\"8\" y=\"{:.1}\">{}</text>",
                y + 14.0,
                esc(&name)
            );
            y += ROW;
        }
        for s in others {
            let d = delta(id, s);
            let w = d.abs() * scale;
            let by = y + (ROW - BAR) / 2.0;
            if many {
                let _ = writeln!(
                    out,
                    "<text class=\"scen\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                    LABEL_WIDTH - 6.0,
                    y + 14.0,
                    esc(s)
                );
            } else {
                let _ = writeln!(
                    out,
                    "<text class=\"region\" x=\"8\" y=\"{:.1}\">{}</text>",
                    y + 14.0,
                    esc(&name)
                );
            }
            let tip = format!("{name}, {s}: {} cards against {reference}", fmt_signed(d));
            if d != 0.0 {
                let (class, x) = if d > 0.0 {
                    ("gain cbar", zero)
                } else {
                    ("loss cbar", zero - w)
                };
                let _ = writeln!(
                    out,
                    "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{by:.1}\" width=\"{:.1}\" height=\"{BAR:.0}\"><title>{}</title></rect>",
                    w.max(1.0),
                    esc(&tip)
                );
            }
            let (tx, anchor) = if d < 0.0 {
                (zero - w - 4.0, "end")
            } else {
                (zero + w + 4.0, "start")
            };
            let _ = writeln!(
                out,
                "<text class=\"val\" x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                y + 14.0,
                esc(&fmt_signed(d))
            );
            y += ROW;
        }
        y += if many { 6.0 } else { 4.0 };
    }
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{zero:.1}\" y1=\"{:.1}\" x2=\"{zero:.1}\" y2=\"{:.1}\"/>",
        top - 4.0,
        height - 10.0
    );
    out.push_str("</svg>\n");
    out
}

/// The value columns of comparison.csv, in file order, chosen by name.
fn value_columns(t: &TextTable) -> Vec<Col> {
    t.headers
        .iter()
        .filter(|h| !["level", "id", "name_en", "tier", "scenario"].contains(&h.as_str()))
        .map(|h| Col::generic(h))
        .collect()
}

/// The comparison section: chart and tables.
pub fn section(t: &TextTable, rows: &[Row]) -> String {
    let scen = scenarios(rows);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<p class=\"note\">{} scenarios: {}. Changes are against the first, <b>{}</b>.</p>",
        scen.len(),
        esc(&scen.join(", ")),
        esc(scen.first().map(String::as_str).unwrap_or("–"))
    );
    out.push_str("<h3>Cards gained and lost per region</h3>\n");
    out.push_str(&region_chart(rows, &scen));

    let values = value_columns(t);
    let totals: Vec<&Row> = rows.iter().filter(|r| r.level == "total").collect();
    if !totals.is_empty() {
        out.push_str("<h3>Totals by scenario</h3>\n<div class=\"scroll\">\n");
        let mut cols = vec![Col::text("scenario", Cell::Scenario)];
        cols.extend(values.iter().cloned());
        out.push_str(&table("comparison-totals", &cols, &totals, None));
        out.push_str("</div>\n");
    }
    let tiers: Vec<&Row> = rows.iter().filter(|r| r.level == "tier").collect();
    if !tiers.is_empty() {
        out.push_str("<h3>By tier</h3>\n<div class=\"scroll\">\n");
        let mut cols = vec![
            Col::text("tier", Cell::Id),
            Col::text("scenario", Cell::Scenario),
        ];
        cols.extend(values.iter().cloned());
        out.push_str(&table("comparison-tiers", &cols, &tiers, None));
        out.push_str("</div>\n");
    }
    let regions: Vec<&Row> = rows.iter().filter(|r| r.level == "region").collect();
    if !regions.is_empty() {
        out.push_str("<h3>By region</h3>\n<div class=\"scroll\">\n");
        let mut cols = vec![
            Col::text("id", Cell::Id),
            Col::text("name", Cell::Name),
            Col::text("tier", Cell::Tier),
            Col::text("scenario", Cell::Scenario),
        ];
        cols.extend(values.iter().cloned());
        out.push_str(&table("comparison-regions", &cols, &regions, None));
        out.push_str("</div>\n");
    }
    out
}
