//! The comparison section: per-region gains and losses as an SVG bar chart
//! and the long-format comparison.csv as tables. Columns are found by name,
//! so any set of accelerators and scenarios works.

use std::fmt::Write as _;

use super::html::{esc, fmt_int, fmt_signed, table, Cell, Col, Row};
use super::input::TextTable;

/// Columns comparison.csv must have.
pub const REQUIRED: [&str; 4] = ["level", "id", "scenario", "delta_cards_total"];

/// comparison.csv's column of words (`compare --near-optimal`): whether a
/// change against the first scenario survives near-optimal ties.
pub const ROBUST: &str = "robust_change";

/// The words [`ROBUST`] holds.
pub const ROBUST_WORDS: [&str; 3] = ["gain", "loss", "within ties"];

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

/// Where the comparison chart's parts go, in pixels.
struct ChartLayout {
    /// The largest |change| of any bar (0 when nothing changes).
    max: f64,
    /// The width of each side of the zero line.
    half: f64,
    /// The x of the zero line.
    zero: f64,
    /// Pixels per card.
    scale: f64,
    /// The y of the first row.
    top: f64,
    /// The chart's height.
    height: f64,
}

/// Per region, one horizontal bar per non-first scenario of
/// `delta_cards_total`: green to the right for a gain, red to the left for
/// a loss. Only the changes are drawn: a region no scenario changes is
/// named in one line under the bars, a scenario that leaves a region as it
/// is has no bar there.
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
    let many = others.len() > 1;
    // Only what changes: the regions with a change in some scenario, and
    // (among several scenarios) each region's scenarios that change it.
    let changes =
        |id: &str| -> Vec<&String> { others.iter().filter(|s| delta(id, s) != 0.0).collect() };
    let (changed, unchanged): (Vec<&String>, Vec<&String>) =
        regions.iter().partition(|id| !changes(id).is_empty());
    let rows_height: f64 = changed
        .iter()
        .map(|id| {
            if many {
                (changes(id).len() + 1) as f64 * ROW + 6.0
            } else {
                ROW + 4.0
            }
        })
        .sum();
    let name_of = |id: &String| {
        rows.iter()
            .find(|r| r.level == "region" && &r.id == id)
            .map(|r| r.label().to_string())
            .unwrap_or_else(|| id.clone())
    };
    let note = if unchanged.is_empty() { 0.0 } else { ROW + 4.0 };
    let top = 56.0;
    let lay = ChartLayout {
        max,
        half,
        zero: LABEL_WIDTH + VALUE_ROOM + half,
        scale: if max > 0.0 { half / max } else { 0.0 },
        top,
        height: top + rows_height + note + 16.0,
    };
    let reference = scenarios.first().cloned().unwrap_or_default();
    let mut out = String::new();
    chart_head(&mut out, &lay, &reference);
    let mut y = lay.top;
    for id in &changed {
        let name = name_of(id);
        if many {
            let _ = writeln!(
                out,
                "<text class=\"region\" x=\"8\" y=\"{:.1}\">{}</text>",
                y + 14.0,
                esc(&name)
            );
            y += ROW;
        }
        for s in changes(id) {
            // One scenario's row: its label (the region's name when there
            // is one scenario to compare), its bar and its value.
            let d = delta(id, s);
            let label = if many { s } else { &name };
            let tip = format!("{name}, {s}: {} cards against {reference}", fmt_signed(d));
            bar_row(&mut out, &lay, y, many, label, d, &tip);
            y += ROW;
        }
        y += if many { 6.0 } else { 4.0 };
    }
    if !unchanged.is_empty() {
        let names: Vec<String> = unchanged.iter().map(|id| name_of(id)).collect();
        let _ = writeln!(
            out,
            "<text class=\"scen unchanged\" x=\"8\" y=\"{:.1}\">No change in any scenario: {}</text>",
            y + 14.0,
            esc(&names.join(", "))
        );
    }
    let zero = lay.zero;
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{zero:.1}\" y1=\"{:.1}\" x2=\"{zero:.1}\" y2=\"{:.1}\"/>",
        lay.top - 4.0,
        lay.height - 10.0
    );
    out.push_str("</svg>\n");
    out
}

/// The chart's opening tag, its legend and (when anything changes) the
/// grid lines at −max, 0 and +max with their values.
fn chart_head(out: &mut String, lay: &ChartLayout, reference: &str) {
    let height = lay.height;
    let _ = writeln!(
        out,
        "<svg id=\"comparison-chart\" class=\"chart\" viewBox=\"0 0 {CHART_WIDTH:.0} {height:.0}\" width=\"{CHART_WIDTH:.0}\" height=\"{height:.0}\" role=\"img\" aria-label=\"{}\">",
        esc(&format!("Change in cards per region against {reference}"))
    );
    // Legend and axis labels.
    let _ = writeln!(
        out,
        "<rect class=\"gain\" x=\"10\" y=\"10\" width=\"12\" height=\"12\"/><text x=\"28\" y=\"20\">more cards than {}</text>",
        esc(reference)
    );
    let _ = writeln!(
        out,
        "<rect class=\"loss\" x=\"10\" y=\"30\" width=\"12\" height=\"12\"/><text x=\"28\" y=\"40\">fewer cards than {}</text>",
        esc(reference)
    );
    if lay.max > 0.0 {
        let (zero, half, max) = (lay.zero, lay.half, lay.max);
        for (x, v, anchor) in [
            (zero - half, -max, "start"),
            (zero, 0.0, "middle"),
            (zero + half, max, "end"),
        ] {
            let _ = writeln!(
                out,
                "<text class=\"val\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                lay.top - 8.0,
                esc(&fmt_signed(v))
            );
            let _ = writeln!(
                out,
                "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>",
                lay.top - 4.0,
                height - 10.0
            );
        }
    }
}

/// One bar's row at `y`: its label (a scenario's, right-aligned, when the
/// region has several rows; else the region's), the bar of change `d` with
/// its tooltip `tip` (none when 0) and the value beside it.
fn bar_row(
    out: &mut String,
    lay: &ChartLayout,
    y: f64,
    many: bool,
    label: &str,
    d: f64,
    tip: &str,
) {
    let zero = lay.zero;
    let w = d.abs() * lay.scale;
    let by = y + (ROW - BAR) / 2.0;
    if many {
        let _ = writeln!(
            out,
            "<text class=\"scen\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LABEL_WIDTH - 6.0,
            y + 14.0,
            esc(label)
        );
    } else {
        let _ = writeln!(
            out,
            "<text class=\"region\" x=\"8\" y=\"{:.1}\">{}</text>",
            y + 14.0,
            esc(label)
        );
    }
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
            esc(tip)
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
}

/// The value columns of comparison.csv, in file order, chosen by name.
fn value_columns(t: &TextTable) -> Vec<Col> {
    t.headers
        .iter()
        .filter(|h| !["level", "id", "name_en", "tier", "scenario", ROBUST].contains(&h.as_str()))
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
    out.push_str(&robust_section(t, rows, &scen));
    out
}

/// Whether each region's change survives near-optimal ties (comparison.csv's
/// `robust_change`, `compare --near-optimal`): per scenario against the
/// first, a sentence and a table of the two ranges; empty without the column.
/// `rows` are `t`'s rows in order.
fn robust_section(t: &TextTable, rows: &[Row], scen: &[String]) -> String {
    if !t.has(ROBUST) {
        return String::new();
    }
    let reference = scen.first().map(String::as_str).unwrap_or_default();
    let mut out = String::from("<h3>Does the change survive near-optimal ties?</h3>\n");
    let _ = writeln!(
        out,
        "<p class=\"note\">A gain or loss against <b>{}</b> survives when the two scenarios' near-optimal ranges of the region's cards do not overlap: no choice of near-optimal plans undoes it. Within ties, some near-optimal plans of both place the region's cards alike.</p>",
        esc(reference)
    );
    let changed: Vec<(&Row, &str)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.level == "region" && r.scenario != reference)
        .filter_map(|(i, r)| t.get(ROBUST, i).map(|w| (r, w)))
        .collect();
    for s in scen.iter().skip(1) {
        let of = |word: &str| {
            let ids: Vec<String> = changed
                .iter()
                .filter(|(r, w)| &r.scenario == s && *w == word)
                .filter(|(r, _)| r.num("delta_cards_total").is_some_and(|d| d != 0.0))
                .map(|(r, _)| {
                    let d = r.num("delta_cards_total").unwrap_or(0.0);
                    format!("{} {}", r.id, fmt_signed(d))
                })
                .collect();
            if ids.is_empty() {
                "none".to_string()
            } else {
                ids.join(", ")
            }
        };
        let _ = writeln!(
            out,
            "<p><b>{}</b> against {}: gains that survive: {}; losses that survive: {}; changes within ties: {}.</p>",
            esc(s),
            esc(reference),
            esc(&of("gain")),
            esc(&of("loss")),
            esc(&of("within ties"))
        );
    }
    out.push_str(&robust_table(rows, &changed, reference));
    out
}

/// The table of [`robust_section`]: per region and scenario, the change, the
/// two near-optimal ranges and the word.
fn robust_table(rows: &[Row], changed: &[(&Row, &str)], reference: &str) -> String {
    let range = |r: Option<&Row>| match r
        .map(|r| (r.num("cards_min_near_opt"), r.num("cards_max_near_opt")))
    {
        Some((Some(lo), Some(hi))) => format!("{}–{}", fmt_int(lo), fmt_int(hi)),
        _ => "–".to_string(),
    };
    let mut out = format!(
        "<div class=\"scroll\">\n<table id=\"comparison-robust\">\n<thead><tr><th>id</th><th>name</th><th>scenario</th><th class=\"num\">Δ cards</th><th class=\"num\">range in {}</th><th class=\"num\">range in the scenario</th><th>change</th></tr></thead>\n<tbody>\n",
        esc(reference)
    );
    for (r, word) in changed {
        let d = r.num("delta_cards_total").unwrap_or(0.0);
        let class = match *word {
            "gain" => "num up",
            "loss" => "num down",
            _ => "num",
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"name\">{}</td><td>{}</td><td class=\"{class}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&r.id),
            esc(&r.name_en),
            esc(&r.scenario),
            esc(&fmt_signed(d)),
            esc(&range(find(rows, "region", &r.id, reference))),
            esc(&range(Some(*r))),
            esc(word)
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
    out
}

/// Near-optimal ranges (`solve --near-optimal`): per region, a bar from the
/// fewest to the most cards any plan within the cost share places there,
/// with the optimal plan's cards marked. `decided` tells, per region id,
/// whether summary.json calls the range decided by cost (drawn grey; ties
/// purple). Regions without both range columns are left out; `None` when
/// no region has them.
pub fn range_chart(rows: &[&Row], decided: &dyn Fn(&str) -> Option<bool>) -> Option<String> {
    let ranged: Vec<(&Row, f64, f64, f64)> = rows
        .iter()
        .filter_map(|r| {
            let lo = r.num("cards_min_near_opt")?;
            let hi = r.num("cards_max_near_opt")?;
            Some((*r, lo, hi, r.num("cards_total").unwrap_or(0.0)))
        })
        .collect();
    if ranged.is_empty() {
        return None;
    }
    let max = ranged
        .iter()
        .map(|(_, lo, hi, opt)| lo.max(*hi).max(*opt))
        .fold(0.0, f64::max);
    let left = LABEL_WIDTH;
    let width = CHART_WIDTH - LABEL_WIDTH - 2.0 * VALUE_ROOM;
    let scale = if max > 0.0 { width / max } else { 0.0 };
    let top = 40.0;
    let height = top + (ROW + 4.0) * ranged.len() as f64 + 16.0;
    let mut out = format!(
        "<svg id=\"near-optimal-chart\" class=\"chart\" viewBox=\"0 0 {CHART_WIDTH:.0} {height:.0}\" width=\"{CHART_WIDTH:.0}\" height=\"{height:.0}\" role=\"img\" aria-label=\"Near-optimal card range per region\">\n"
    );
    let _ = writeln!(
        out,
        "<rect class=\"range\" x=\"10\" y=\"10\" width=\"16\" height=\"10\"/><text x=\"32\" y=\"20\">range in plans within the cost share (a tie)</text>\
<rect class=\"range decided\" x=\"330\" y=\"10\" width=\"16\" height=\"10\"/><text x=\"352\" y=\"20\">decided by cost</text>\
<line class=\"opt\" x1=\"500\" y1=\"8\" x2=\"500\" y2=\"22\"/><text x=\"508\" y=\"20\">the optimal plan</text>"
    );
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{left:.1}\" y1=\"{:.1}\" x2=\"{left:.1}\" y2=\"{:.1}\"/>",
        top - 6.0,
        height - 10.0
    );
    for (k, (r, lo, hi, opt)) in ranged.iter().enumerate() {
        let y = top + k as f64 * (ROW + 4.0);
        // Unknown (the plans found agree, an end is not proven): neither.
        let class = match decided(&r.id) {
            Some(true) => "range decided",
            Some(false) => "range",
            None => "range unknown",
        };
        let x0 = left + lo * scale;
        let w = ((hi - lo) * scale).max(1.0);
        let xo = left + opt * scale;
        let tip = format!(
            "{}: {} to {} cards within the cost share; optimal plan {}",
            r.label(),
            fmt_int(*lo),
            fmt_int(*hi),
            fmt_int(*opt)
        );
        let _ = writeln!(
            out,
            "<g><title>{}</title><text class=\"region\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
<rect class=\"{class}\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{BAR:.1}\"/>\
<line class=\"opt\" x1=\"{xo:.1}\" y1=\"{:.1}\" x2=\"{xo:.1}\" y2=\"{:.1}\"/>\
<text class=\"val\" x=\"{:.1}\" y=\"{:.1}\">{}–{}</text></g>",
            esc(&tip),
            left - 8.0,
            y + BAR - 2.0,
            esc(r.label()),
            y,
            y - 2.0,
            y + BAR + 2.0,
            left + hi.max(*opt) * scale + 6.0,
            y + BAR - 2.0,
            fmt_int(*lo),
            fmt_int(*hi)
        );
    }
    out.push_str("</svg>\n");
    Some(out)
}
