//! The timeline of a phased plan (`schedule.csv`): cumulative cards installed
//! by month per planning cluster (per region where the schedule names no
//! cluster) as an SVG step chart, and a table of what each delivery period
//! brings where.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::error::ReportError;
use super::html::{esc, fmt_dec, fmt_int};
use super::input::TextTable;

/// Columns schedule.csv must have for the timeline.
pub const REQUIRED: [&str; 5] = [
    "month",
    "installed_by_month",
    "site_id",
    "region_id",
    "cards",
];

/// Colours of the series, in order (repeated past the last).
const COLOURS: [&str; 9] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
    "#7f7f7f",
];

/// One row of schedule.csv.
struct Entry {
    month: f64,
    installed_by: f64,
    group: String,
    site: String,
    cards: f64,
}

fn entries(t: &TextTable) -> Result<Vec<Entry>, ReportError> {
    let mut out = Vec::with_capacity(t.n_rows);
    for i in 0..t.n_rows {
        let need = |c: &str| -> Result<f64, ReportError> {
            t.num(c, i)?.ok_or_else(|| ReportError::Input {
                file: t.file.clone(),
                message: format!(
                    "row {}, column {c}: expected a number, found an empty cell",
                    i + 2
                ),
            })
        };
        let group = t
            .get("cluster_id", i)
            .or_else(|| t.get("region_id", i))
            .unwrap_or("?")
            .to_string();
        out.push(Entry {
            month: need("month")?,
            installed_by: need("installed_by_month")?,
            group,
            site: t.text("site_id", i),
            cards: need("cards")?,
        });
    }
    Ok(out)
}

/// The timeline section's body: the chart and the table of periods.
pub fn section(t: &TextTable) -> Result<String, ReportError> {
    let rows = entries(t)?;
    // Periods by month (keyed in thousandths of a month, so they sort).
    let mut periods: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    for e in &rows {
        periods.insert((e.month * 1000.0).round() as i64, (e.month, e.installed_by));
    }
    let mut groups: Vec<String> = rows.iter().map(|e| e.group.clone()).collect();
    groups.sort();
    groups.dedup();
    // Cumulative cards per group by period.
    let keys: Vec<i64> = periods.keys().copied().collect();
    let mut cum: Vec<Vec<f64>> = vec![vec![0.0; keys.len()]; groups.len()];
    for e in &rows {
        let g = groups.iter().position(|x| *x == e.group).unwrap_or(0);
        let k = keys
            .iter()
            .position(|&x| x == (e.month * 1000.0).round() as i64)
            .unwrap_or(0);
        for v in &mut cum[g][k..] {
            *v += e.cards;
        }
    }
    let mut out = String::new();
    out.push_str(&chart(&groups, &keys, &periods, &cum));
    out.push_str(
        "<p class=\"note\">Cards installed by the end of each delivery's install window, cumulative, per planning cluster (from schedule.csv). Capacity only grows; the last point is the plan's final state.</p>\n",
    );
    // The table: per period, cards added and the sites receiving them.
    out.push_str("<div class=\"scroll\"><table id=\"schedule-table\"><thead><tr><th>delivery month</th><th>installed by month</th><th class=\"num\">cards added</th><th class=\"num\">cards installed</th><th>sites receiving cards</th></tr></thead><tbody>\n");
    let mut total = 0.0;
    for (k, key) in keys.iter().enumerate() {
        let (month, by) = periods[key];
        let here: Vec<&Entry> = rows
            .iter()
            .filter(|e| (e.month * 1000.0).round() as i64 == *key)
            .collect();
        let added: f64 = here.iter().map(|e| e.cards).sum();
        total += added;
        let mut sites: Vec<&str> = here.iter().map(|e| e.site.as_str()).collect();
        sites.sort();
        sites.dedup();
        let _ = writeln!(
            out,
            "<tr id=\"period-{k}\"><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            fmt_dec(month, 0),
            fmt_dec(by, 1),
            fmt_int(added),
            fmt_int(total),
            esc(&sites.join(", "))
        );
    }
    out.push_str("</tbody></table></div>\n");
    Ok(out)
}

/// The step chart's frame: its size, margins and value ranges.
struct Plot {
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    /// The last month on the x axis.
    x_max: f64,
    /// The most cards on the y axis.
    y_max: f64,
}

impl Plot {
    /// The x pixel of month `m`.
    fn x(&self, m: f64) -> f64 {
        self.left + (self.w - self.left - self.right) * m / self.x_max
    }
    /// The y pixel of `c` cards.
    fn y(&self, c: f64) -> f64 {
        self.top + (self.h - self.top - self.bottom) * (1.0 - c / self.y_max)
    }
}

/// The step chart: x = month installed by, y = cumulative cards.
fn chart(
    groups: &[String],
    keys: &[i64],
    periods: &BTreeMap<i64, (f64, f64)>,
    cum: &[Vec<f64>],
) -> String {
    let (w, h) = (820.0, 320.0);
    let p = Plot {
        w,
        h,
        left: 80.0,
        right: 230.0,
        top: 16.0,
        bottom: 40.0,
        x_max: periods.values().map(|p| p.1).fold(1.0f64, f64::max).ceil(),
        y_max: cum
            .iter()
            .flat_map(|v| v.iter())
            .copied()
            .fold(1.0f64, f64::max),
    };
    let mut out = format!(
        "<svg id=\"timeline-chart\" class=\"chart\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" role=\"img\" aria-label=\"Cumulative cards installed by month per planning cluster\">\n"
    );
    axes(&mut out, &p);
    for (g, name) in groups.iter().enumerate() {
        series(&mut out, &p, g, name, keys, periods, &cum[g]);
    }
    out.push_str("</svg>\n");
    out
}

/// The axes, with the month ticks and the top value.
fn axes(out: &mut String, p: &Plot) {
    let (w, h, left, right, top, bottom) = (p.w, p.h, p.left, p.right, p.top, p.bottom);
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{left:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>\
<line class=\"axis\" x1=\"{left:.1}\" y1=\"{top:.1}\" x2=\"{left:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>",
        h - bottom,
        w - right,
        h - bottom,
        h - bottom
    );
    let step = if p.x_max > 24.0 { 6.0 } else { 1.0 };
    let mut m = 0.0;
    while m <= p.x_max + 1e-9 {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
            p.x(m),
            h - bottom + 14.0,
            fmt_dec(m, 0)
        );
        m += step;
    }
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\">month (installed by)</text>\
<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">{}</text>\
<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">0</text>",
        left + (w - left - right) / 2.0,
        h - 6.0,
        left - 6.0,
        top + 10.0,
        fmt_int(p.y_max),
        left - 6.0,
        h - bottom
    );
}

/// Group `g`'s step line (cumulative cards `cum` at each period of `keys`)
/// with its tooltip, and its row in the legend.
fn series(
    out: &mut String,
    p: &Plot,
    g: usize,
    name: &str,
    keys: &[i64],
    periods: &BTreeMap<i64, (f64, f64)>,
    cum: &[f64],
) {
    let colour = COLOURS[g % COLOURS.len()];
    // A step line: flat at 0 until the first period, then up at each.
    let mut pts = format!("{:.1},{:.1}", p.x(0.0), p.y(0.0));
    let mut last = 0.0;
    for (k, key) in keys.iter().enumerate() {
        let at = p.x(periods[key].1);
        let _ = write!(pts, " {at:.1},{:.1} {at:.1},{:.1}", p.y(last), p.y(cum[k]));
        last = cum[k];
    }
    let _ = write!(pts, " {:.1},{:.1}", p.x(p.x_max), p.y(last));
    let tip: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(k, key)| {
            format!(
                "month {}: {} cards",
                fmt_dec(periods[key].1, 1),
                fmt_int(cum[k])
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "<g class=\"series\" data-group=\"{}\"><title>{}: {}</title><polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{pts}\"/></g>",
        esc(name),
        esc(name),
        esc(&tip.join("; "))
    );
    let ly = p.top + 14.0 * g as f64 + 6.0;
    let _ = writeln!(
        out,
        "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"12\" height=\"4\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{} ({})</text>",
        p.w - p.right + 10.0,
        ly - 4.0,
        p.w - p.right + 26.0,
        ly + 1.0,
        esc(name),
        fmt_int(last)
    );
}
