//! The timeline of a phased plan (`schedule.csv`): the cards installed by
//! each delivery's install deadline per planning cluster (per region where
//! the schedule names no cluster), as each cluster's share of the cards
//! installed (stacked to 100 %, the default) or as cumulative cards on a log
//! scale (a switch without script), on an axis of calendar months when
//! summary.json's `schedule.start_year` names the year of month 0; then a
//! table per cluster and a table of what each delivery period brings where.

use std::collections::{BTreeMap, HashMap};
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

pub use crate::domain::text::month_label;

/// What the timeline shows, read once from schedule.csv.
struct Timeline {
    rows: Vec<Entry>,
    /// Periods by month (keyed in thousandths of a month, so they sort):
    /// (delivery month, installed-by month).
    periods: BTreeMap<i64, (f64, f64)>,
    keys: Vec<i64>,
    groups: Vec<String>,
    /// Cumulative cards per group (`[group][period]`).
    cum: Vec<Vec<f64>>,
    start_year: Option<u32>,
}

impl Timeline {
    fn new(t: &TextTable, start_year: Option<u32>) -> Result<Timeline, ReportError> {
        let rows = entries(t)?;
        let mut periods: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
        for e in &rows {
            periods.insert(key(e.month), (e.month, e.installed_by));
        }
        let mut groups: Vec<String> = rows.iter().map(|e| e.group.clone()).collect();
        groups.sort();
        groups.dedup();
        let keys: Vec<i64> = periods.keys().copied().collect();
        let mut cum: Vec<Vec<f64>> = vec![vec![0.0; keys.len()]; groups.len()];
        for e in &rows {
            let g = groups.iter().position(|x| *x == e.group).unwrap_or(0);
            let k = keys.iter().position(|&x| x == key(e.month)).unwrap_or(0);
            for v in &mut cum[g][k..] {
                *v += e.cards;
            }
        }
        Ok(Timeline {
            rows,
            periods,
            keys,
            groups,
            cum,
            start_year,
        })
    }
    /// The installed-by month of period `k`.
    fn by(&self, k: usize) -> f64 {
        self.periods[&self.keys[k]].1
    }
    /// Cards installed in all by period `k`.
    fn total(&self, k: usize) -> f64 {
        self.cum.iter().map(|c| c[k]).sum()
    }
    fn label(&self, m: f64) -> String {
        month_label(m, self.start_year)
    }
}

fn key(month: f64) -> i64 {
    (month * 1000.0).round() as i64
}

/// The timeline section's body: the switch, the two charts, the table per
/// cluster and the table of periods. `names`: cluster (or region) names by
/// id; `start_year`: the calendar year of month 0, when known.
pub fn section(
    t: &TextTable,
    names: &HashMap<String, String>,
    start_year: Option<u32>,
) -> Result<String, ReportError> {
    let tl = Timeline::new(t, start_year)?;
    let mut out = String::new();
    out.push_str(
        "<p class=\"tl-controls\">Scale: <input type=\"radio\" name=\"tl-scale\" id=\"tl-shares\" checked><label for=\"tl-shares\">shares of the cards installed (100 %)</label> <input type=\"radio\" name=\"tl-scale\" id=\"tl-log\"><label for=\"tl-log\">cards installed, log scale</label></p>\n",
    );
    out.push_str(&shares_chart(&tl));
    out.push_str(&log_chart(&tl));
    let when = match start_year {
        Some(y) => format!("Months are calendar months (month 0 = January {y}, summary.json's schedule.start_year)."),
        None => "Months are counted from the plan's start (month 0; the scenario sets no parameters.start_year, so no calendar month is shown).".to_string(),
    };
    let _ = writeln!(
        out,
        "<p class=\"note\">Cards installed by the end of each delivery's install window, per planning cluster (from schedule.csv): each cluster's share of the cards installed by then, or the cumulative cards on a log scale, so that small clusters stay visible beside a large one. Capacity only grows; the last period is the plan's final state. {}</p>",
        esc(&when)
    );
    out.push_str(&group_table(&tl, names));
    out.push_str(&period_table(&tl));
    Ok(out)
}

/// Per cluster: cumulative cards and share of the cards installed by each
/// period.
fn group_table(tl: &Timeline, names: &HashMap<String, String>) -> String {
    let mut out = String::from(
        "<div class=\"scroll\"><table id=\"timeline-table\"><thead><tr><th>cluster</th><th>name</th>",
    );
    for k in 0..tl.keys.len() {
        let _ = write!(
            out,
            "<th class=\"num\">installed by {}</th>",
            esc(&tl.label(tl.by(k)))
        );
    }
    out.push_str("</tr></thead><tbody>\n");
    for (g, id) in tl.groups.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"name\">{}</td>",
            esc(id),
            esc(names.get(id).map_or("", String::as_str))
        );
        for k in 0..tl.keys.len() {
            let total = tl.total(k);
            let share = if total > 0.0 {
                100.0 * tl.cum[g][k] / total
            } else {
                0.0
            };
            let _ = write!(
                out,
                "<td class=\"num\">{} <span class=\"share\">({} %)</span></td>",
                fmt_int(tl.cum[g][k]),
                fmt_dec(share, 1)
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// Per period: the delivery month, the install deadline, cards added and
/// installed, and the sites receiving cards.
fn period_table(tl: &Timeline) -> String {
    let mut out = String::from("<div class=\"scroll\"><table id=\"schedule-table\"><thead><tr><th>delivery month</th><th>delivered</th><th>installed by</th><th class=\"num\">cards added</th><th class=\"num\">cards installed</th><th>sites receiving cards</th></tr></thead><tbody>\n");
    let mut total = 0.0;
    for (k, key) in tl.keys.iter().enumerate() {
        let (month, by) = tl.periods[key];
        let here: Vec<&Entry> = tl
            .rows
            .iter()
            .filter(|e| self::key(e.month) == *key)
            .collect();
        let added: f64 = here.iter().map(|e| e.cards).sum();
        total += added;
        let mut sites: Vec<&str> = here.iter().map(|e| e.site.as_str()).collect();
        sites.sort();
        sites.dedup();
        let _ = writeln!(
            out,
            "<tr id=\"period-{k}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            fmt_dec(month, 0),
            esc(&tl.label(month)),
            esc(&tl.label(by)),
            fmt_int(added),
            fmt_int(total),
            esc(&sites.join(", "))
        );
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// A chart's frame: its size, margins and the months on its x axis.
struct Plot {
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    /// The last month on the x axis.
    x_max: f64,
}

impl Plot {
    fn new(tl: &Timeline) -> Plot {
        Plot {
            w: 1000.0,
            h: 330.0,
            left: 70.0,
            right: 230.0,
            top: 16.0,
            bottom: 44.0,
            // A month of room after the last deadline, for its bar.
            x_max: tl
                .periods
                .values()
                .map(|p| p.1)
                .fold(0.0f64, f64::max)
                .ceil()
                + 1.0,
        }
    }
    /// The x pixel of month `m`.
    fn x(&self, m: f64) -> f64 {
        self.left + (self.w - self.left - self.right) * m / self.x_max
    }
    /// The y pixel of the fraction `f` of the plot's height (0 at the foot).
    fn y(&self, f: f64) -> f64 {
        self.top + (self.h - self.top - self.bottom) * (1.0 - f)
    }
    /// The svg element's start.
    fn open(&self, id: &str, class: &str, label: &str) -> String {
        format!(
            "<svg id=\"{id}\" class=\"chart {class}\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" role=\"img\" aria-label=\"{}\">\n",
            esc(label),
            w = self.w,
            h = self.h
        )
    }
    /// The axes and the calendar months under the x axis.
    fn x_axis(&self, out: &mut String, tl: &Timeline, title: &str) {
        let (h, bottom, left) = (self.h, self.bottom, self.left);
        let _ = writeln!(
            out,
            "<line class=\"axis\" x1=\"{left:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>\
<line class=\"axis\" x1=\"{left:.1}\" y1=\"{:.1}\" x2=\"{left:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>",
            h - bottom,
            self.w - self.right,
            h - bottom,
            self.top,
            h - bottom
        );
        let step = if self.x_max <= 13.0 {
            1.0
        } else if self.x_max <= 26.0 {
            2.0
        } else {
            6.0
        };
        let mut m = 0.0;
        while m <= self.x_max + 1e-9 {
            let _ = writeln!(
                out,
                "<line class=\"tick\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#333\"/><text class=\"month\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
                h - bottom,
                h - bottom + 4.0,
                h - bottom + 15.0,
                esc(&tl.label(m)),
                x = self.x(m)
            );
            m += step;
        }
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
            left + (self.w - left - self.right) / 2.0,
            h - 8.0,
            esc(title)
        );
    }
}

fn colour(g: usize) -> &'static str {
    COLOURS[g % COLOURS.len()]
}

/// The default chart: at each install deadline, a bar of the cards
/// installed by then split by cluster, each part its share (the parts add
/// to 100 %), the share written in every part tall enough for it.
fn shares_chart(tl: &Timeline) -> String {
    let p = Plot::new(tl);
    let mut out = p.open(
        "timeline-shares",
        "tl-shares-chart",
        "Share of the cards installed per planning cluster, by month",
    );
    for pct in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let y = p.y(pct / 100.0);
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">{pct:.0} %</text>",
            p.left,
            p.w - p.right,
            p.left - 6.0,
            y + 4.0
        );
    }
    p.x_axis(&mut out, tl, "installed by (month)");
    let month_px = p.x(1.0) - p.x(0.0);
    let bar = (0.7 * month_px).clamp(10.0, 40.0);
    for k in 0..tl.keys.len() {
        let total = tl.total(k);
        if total <= 0.0 {
            continue;
        }
        let x = p.x(tl.by(k)) - bar / 2.0;
        let mut below = 0.0;
        for (g, name) in tl.groups.iter().enumerate() {
            let share = tl.cum[g][k] / total;
            if share <= 0.0 {
                continue;
            }
            let (y0, y1) = (p.y(below + share), p.y(below));
            let _ = write!(
                out,
                "<rect class=\"share\" data-group=\"{}\" x=\"{x:.1}\" y=\"{y0:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} by {}: {} cards, {} %</title></rect>",
                esc(name),
                y1 - y0,
                colour(g),
                esc(name),
                esc(&tl.label(tl.by(k))),
                fmt_int(tl.cum[g][k]),
                fmt_dec(100.0 * share, 1)
            );
            if y1 - y0 >= 11.0 {
                let _ = write!(
                    out,
                    "<text class=\"val\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"9\" fill=\"#fff\">{} %</text>",
                    x + bar / 2.0,
                    (y0 + y1) / 2.0 + 3.0,
                    fmt_dec(100.0 * share, 0)
                );
            }
            below += share;
        }
        out.push('\n');
    }
    let last = tl.keys.len().saturating_sub(1);
    let total = tl.total(last).max(1.0);
    legend(&mut out, &p, tl, |g| {
        format!(
            "{} {} %",
            tl.groups[g],
            fmt_dec(100.0 * tl.cum[g][last] / total, 1)
        )
    });
    out.push_str("</svg>\n");
    out
}

/// The legend at the right of a chart, one row per group.
fn legend(out: &mut String, p: &Plot, tl: &Timeline, text: impl Fn(usize) -> String) {
    for g in 0..tl.groups.len() {
        let ly = p.top + 15.0 * g as f64 + 6.0;
        let _ = writeln!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"12\" height=\"9\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>",
            p.w - p.right + 10.0,
            ly - 7.0,
            colour(g),
            p.w - p.right + 26.0,
            ly + 1.0,
            esc(&text(g))
        );
    }
}

/// The option: cumulative cards per cluster as step lines on a log scale
/// (each line starts at its cluster's first cards).
fn log_chart(tl: &Timeline) -> String {
    let p = Plot::new(tl);
    let positive = tl.cum.iter().flatten().copied().filter(|&c| c > 0.0);
    let lo = positive.clone().fold(f64::INFINITY, f64::min);
    let hi = positive.fold(0.0f64, f64::max);
    let (d0, d1) = if hi > 0.0 {
        (
            lo.log10().floor(),
            hi.log10().ceil().max(lo.log10().floor() + 1.0),
        )
    } else {
        (0.0, 1.0)
    };
    let fy = |c: f64| (c.log10() - d0) / (d1 - d0);
    let mut out = p.open(
        "timeline-chart",
        "tl-log-chart",
        "Cumulative cards installed by month per planning cluster, log scale",
    );
    let mut d = d0;
    while d <= d1 + 1e-9 {
        let y = p.y((d - d0) / (d1 - d0));
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">{}</text>",
            p.left,
            p.w - p.right,
            p.left - 6.0,
            y + 4.0,
            fmt_int(10f64.powf(d))
        );
        d += 1.0;
    }
    p.x_axis(&mut out, tl, "installed by (month); cards on a log scale");
    for (g, name) in tl.groups.iter().enumerate() {
        let cum = &tl.cum[g];
        let mut pts = String::new();
        let mut last = 0.0;
        for (k, &c) in cum.iter().enumerate() {
            if c <= 0.0 {
                continue;
            }
            let at = p.x(tl.by(k));
            if last > 0.0 {
                let _ = write!(pts, " {at:.1},{:.1}", p.y(fy(last)));
            }
            let _ = write!(pts, " {at:.1},{:.1}", p.y(fy(c)));
            last = c;
        }
        if last > 0.0 {
            let _ = write!(pts, " {:.1},{:.1}", p.x(p.x_max), p.y(fy(last)));
        }
        let tip: Vec<String> = (0..tl.keys.len())
            .map(|k| format!("{}: {} cards", tl.label(tl.by(k)), fmt_int(cum[k])))
            .collect();
        let _ = writeln!(
            out,
            "<g class=\"series\" data-group=\"{}\"><title>{}: {}</title><polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/></g>",
            esc(name),
            esc(name),
            esc(&tip.join("; ")),
            colour(g),
            pts.trim_start()
        );
    }
    legend(&mut out, &p, tl, |g| {
        format!(
            "{} ({})",
            tl.groups[g],
            fmt_int(tl.cum[g].last().copied().unwrap_or(0.0))
        )
    });
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::month_label;

    #[test]
    fn months_are_calendar_months_when_the_year_is_known() {
        assert_eq!(month_label(1.0, Some(2026)), "2026-02");
        assert_eq!(month_label(0.0, Some(2026)), "2026-01");
        assert_eq!(month_label(12.0, Some(2026)), "2027-01");
        assert_eq!(month_label(2.5, Some(2026)), "2026-03 +15 d");
        assert_eq!(month_label(3.0, None), "month 3");
    }
}
