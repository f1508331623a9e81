//! HTML pieces: escaping, number formatting, the page frame, the headline
//! figures from summary.json and the tables from regions.csv.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::error::ReportError;
use super::input::TextTable;

/// Escapes text for HTML and SVG content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `x` with `decimals` decimals and thousands separators; a minus sign
/// (U+2212) for negatives.
pub fn fmt_dec(x: f64, decimals: usize) -> String {
    crate::domain::text::decimal(x, decimals, '\u{2212}')
}

/// `x` rounded to a whole number, with thousands separators.
pub fn fmt_int(x: f64) -> String {
    fmt_dec(x, 0)
}

/// A whole-number change with its sign: `+1,234`, `−1,234`, `0`.
pub fn fmt_signed(x: f64) -> String {
    let s = fmt_int(x);
    if x.round() > 0.0 {
        format!("+{s}")
    } else {
        s
    }
}

/// One row of a long-format table: its text columns and every other column
/// as a number (`None` for an empty cell).
#[derive(Debug, Clone)]
pub struct Row {
    /// `region`, `tier` or `total`.
    pub level: String,
    /// Region or tier id.
    pub id: String,
    /// English name (may be empty).
    pub name_en: String,
    /// Tier (may be empty).
    pub tier: String,
    /// Scenario (comparison tables only; else empty).
    pub scenario: String,
    nums: HashMap<String, Option<f64>>,
}

/// Columns that are not numbers (the near-optimal proof flags are true/false).
const TEXT_COLUMNS: [&str; 7] = [
    "level",
    "id",
    "name_en",
    "tier",
    "scenario",
    "near_opt_min_proven",
    "near_opt_max_proven",
];

impl Row {
    /// A numeric cell; `None` when empty or absent.
    pub fn num(&self, key: &str) -> Option<f64> {
        self.nums.get(key).copied().flatten()
    }
    /// The English name, else the id.
    pub fn label(&self) -> &str {
        if self.name_en.is_empty() {
            &self.id
        } else {
            &self.name_en
        }
    }
}

/// Parses every row of `t`: the text columns as text, every other column as
/// a number (an input error names the file, row and column of a bad cell).
pub fn rows(t: &TextTable) -> Result<Vec<Row>, ReportError> {
    let numeric: Vec<&String> = t
        .headers
        .iter()
        .filter(|h| !TEXT_COLUMNS.contains(&h.as_str()))
        .collect();
    (0..t.n_rows)
        .map(|i| {
            let mut nums = HashMap::new();
            for h in &numeric {
                nums.insert((*h).clone(), t.num(h, i)?);
            }
            Ok(Row {
                level: t.text("level", i),
                id: t.text("id", i),
                name_en: t.text("name_en", i),
                tier: t.text("tier", i),
                scenario: t.text("scenario", i),
                nums,
            })
        })
        .collect()
}

/// How one column of a table is shown.
#[derive(Debug, Clone)]
pub enum Cell {
    /// The row's id.
    Id,
    /// The row's English name.
    Name,
    /// The row's tier.
    Tier,
    /// The row's scenario.
    Scenario,
    /// A numeric column divided by `div`, with `decimals` decimals; `signed`
    /// shows a `+` on gains.
    Num {
        /// Column name.
        key: String,
        /// Divisor (1e9 for bn).
        div: f64,
        /// Decimals shown.
        decimals: usize,
        /// Show the sign.
        signed: bool,
    },
    /// `num / den` as a percentage with a small bar.
    Share {
        /// Numerator column.
        num: String,
        /// Denominator column.
        den: String,
    },
}

/// A table column: header, unit note (tooltip) and how cells are shown.
#[derive(Debug, Clone)]
pub struct Col {
    /// Header text.
    pub head: String,
    /// Shown as the header's tooltip.
    pub note: String,
    /// The cell.
    pub cell: Cell,
}

impl Col {
    /// A text column.
    pub fn text(head: &str, cell: Cell) -> Col {
        Col {
            head: head.into(),
            note: String::new(),
            cell,
        }
    }
    /// A numeric column.
    pub fn num(head: &str, key: &str, div: f64, decimals: usize) -> Col {
        Col {
            head: head.into(),
            note: key.into(),
            cell: Cell::Num {
                key: key.into(),
                div,
                decimals,
                signed: false,
            },
        }
    }
    /// A share column (`num / den`).
    pub fn share(head: &str, num: &str, den: &str) -> Col {
        Col {
            head: head.into(),
            note: format!("{num} / {den}"),
            cell: Cell::Share {
                num: num.into(),
                den: den.into(),
            },
        }
    }
    /// A column chosen from its name: `cards_*` whole numbers, `*_mw` one
    /// decimal, `*_cny` in M CNY (per card: whole CNY), `delta_*` signed.
    pub fn generic(key: &str) -> Col {
        let signed = key.starts_with("delta_");
        let base = key.strip_prefix("delta_").unwrap_or(key);
        let (mut head, div, decimals) = if base == "cards_total" {
            ("cards".to_string(), 1.0, 0)
        } else if let Some(acc) = base
            .strip_prefix("cards_")
            .filter(|a| !a.starts_with("per_"))
        {
            (format!("{acc} cards"), 1.0, 0)
        } else if base == "it_mw" {
            ("IT MW".to_string(), 1.0, 1)
        } else if let Some(s) = base.strip_suffix("_mw") {
            (format!("{} MW", s.replace('_', " ")), 1.0, 1)
        } else if let Some(s) = base.strip_suffix("_cny") {
            if s.contains("per_") {
                (format!("{} CNY", s.replace('_', " ")), 1.0, 0)
            } else {
                (format!("{} M CNY", s.replace('_', " ")), 1e6, 1)
            }
        } else if base.contains("per_") {
            (base.replace('_', " "), 1.0, 1)
        } else {
            (base.replace('_', " "), 1.0, 2)
        };
        if signed {
            head = format!("Δ {head}");
        }
        Col {
            head,
            note: key.into(),
            cell: Cell::Num {
                key: key.into(),
                div,
                decimals,
                signed,
            },
        }
    }
    fn is_num(&self) -> bool {
        matches!(self.cell, Cell::Num { .. } | Cell::Share { .. })
    }
    fn has_value(&self, r: &Row) -> bool {
        match &self.cell {
            Cell::Num { key, .. } => r.num(key).is_some(),
            Cell::Share { num, den } => r.num(num).is_some() && r.num(den).is_some(),
            _ => true,
        }
    }
    fn render(&self, r: &Row) -> String {
        match &self.cell {
            Cell::Id => format!("<td>{}</td>", esc(&r.id)),
            Cell::Name => format!("<td class=\"name\">{}</td>", esc(&r.name_en)),
            Cell::Tier => format!("<td>{}</td>", esc(&r.tier)),
            Cell::Scenario => format!("<td>{}</td>", esc(&r.scenario)),
            Cell::Num {
                key,
                div,
                decimals,
                signed,
            } => match r.num(key) {
                None => "<td class=\"num\">–</td>".into(),
                Some(v) => {
                    // The sign and colour follow the value as shown, so a
                    // change that rounds to zero is shown as no change.
                    let f = 10f64.powi(*decimals as i32);
                    let v = (v / div * f).round() / f;
                    let text = if *signed && v > 0.0 {
                        format!("+{}", fmt_dec(v, *decimals))
                    } else {
                        fmt_dec(v, *decimals)
                    };
                    let class = match (*signed, v) {
                        (true, v) if v > 0.0 => "num up",
                        (true, v) if v < 0.0 => "num down",
                        _ => "num",
                    };
                    format!("<td class=\"{class}\">{}</td>", esc(&text))
                }
            },
            Cell::Share { num, den } => match (r.num(num), r.num(den)) {
                (Some(n), Some(d)) if d > 0.0 => {
                    let pct = 100.0 * n / d;
                    let full = if pct >= 99.95 { " full" } else { "" };
                    format!(
                        "<td class=\"num\"><span class=\"bar{full}\"><span style=\"width:{:.0}%\"></span></span>{} %</td>",
                        pct.clamp(0.0, 100.0),
                        fmt_dec(pct, 0)
                    )
                }
                _ => "<td class=\"num\">–</td>".into(),
            },
        }
    }
}

/// A table of `rows` with the columns `cols` (numeric columns empty in every
/// row are left out) and an optional footer row.
pub fn table(id: &str, cols: &[Col], rows: &[&Row], footer: Option<&Row>) -> String {
    let cols: Vec<&Col> = cols
        .iter()
        .filter(|c| !c.is_num() || rows.iter().any(|r| c.has_value(r)))
        .collect();
    let mut out = format!("<table id=\"{}\">\n<thead><tr>", esc(id));
    for c in &cols {
        let class = if c.is_num() { " class=\"num\"" } else { "" };
        if c.note.is_empty() {
            let _ = write!(out, "<th{class}>{}</th>", esc(&c.head));
        } else {
            let _ = write!(
                out,
                "<th{class} title=\"{}\">{}</th>",
                esc(&c.note),
                esc(&c.head)
            );
        }
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        out.push_str("<tr>");
        for c in &cols {
            out.push_str(&c.render(r));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n");
    if let Some(f) = footer {
        out.push_str("<tfoot><tr>");
        for c in &cols {
            out.push_str(&c.render(f));
        }
        out.push_str("</tr></tfoot>\n");
    }
    out.push_str("</table>\n");
    out
}

/// A footer row summing every numeric column of `rows`.
pub fn sum_row(rows: &[&Row], id: &str, name: &str) -> Row {
    let mut nums: HashMap<String, Option<f64>> = HashMap::new();
    for r in rows {
        for (k, v) in &r.nums {
            let e = nums.entry(k.clone()).or_insert(None);
            if let Some(v) = v {
                *e = Some(e.unwrap_or(0.0) + v);
            }
        }
    }
    Row {
        level: "total".into(),
        id: id.into(),
        name_en: name.into(),
        tier: String::new(),
        scenario: String::new(),
        nums,
    }
}

/// The columns of the region and tier tables, from regions.csv's header.
pub fn area_columns(t: &TextTable, with_quotas: bool) -> Vec<Col> {
    let mut cols = vec![Col::text("id", Cell::Id), Col::text("name", Cell::Name)];
    if with_quotas {
        cols.push(Col::text("tier", Cell::Tier));
    }
    cols.push(Col::num("sites built", "sites_built", 1.0, 0));
    // The near-optimal ends are in their own table, with their proof marks.
    for k in t.with_prefix("cards_") {
        if k != "cards_total" && !k.ends_with("_near_opt") {
            cols.push(Col::num(&format!("{} cards", &k[6..]), &k, 1.0, 0));
        }
    }
    cols.push(Col::num("cards", "cards_total", 1.0, 0));
    cols.push(Col::num("IT MW", "it_mw", 1.0, 1));
    cols.push(Col::num("facility MW", "facility_mw", 1.0, 1));
    if with_quotas {
        cols.push(Col::num("power quota MW", "power_quota_mw", 1.0, 1));
        cols.push(Col::share(
            "power quota used",
            "facility_mw",
            "power_quota_mw",
        ));
    }
    cols.push(Col::num("tce / year", "annual_tce", 1.0, 0));
    if with_quotas {
        cols.push(Col::num("energy quota tce", "energy_quota_tce", 1.0, 0));
        cols.push(Col::share(
            "energy quota used",
            "annual_tce",
            "energy_quota_tce",
        ));
    }
    cols.push(Col::num("capex bn CNY", "capex_cny", 1e9, 2));
    cols.push(Col::num("opex M CNY / year", "opex_cny_per_year", 1e6, 1));
    cols.push(Col::num("subsidy M CNY", "subsidy_cny", 1e6, 1));
    cols
}

fn figure(out: &mut String, label: &str, value: &str, note: &str) {
    let _ = write!(
        out,
        "<div class=\"figure\"><div class=\"k\">{}</div><div class=\"v\">{}</div>",
        esc(label),
        esc(value)
    );
    if !note.is_empty() {
        let _ = write!(out, "<div class=\"n\">{}</div>", esc(note));
    }
    out.push_str("</div>\n");
}

fn num(s: &Map<String, Value>, key: &str) -> Option<f64> {
    s.get(key).and_then(Value::as_f64)
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "–".into(),
        Value::Number(n) => n
            .as_f64()
            .filter(|x| x.fract() == 0.0 && x.abs() >= 1e4)
            .map(fmt_int)
            .unwrap_or_else(|| n.to_string()),
        other => other.to_string(),
    }
}

/// The headline: status, objective, gap, cards by accelerator, totals,
/// binding constraints and subsidies paid, from summary.json.
pub fn headline(s: &Map<String, Value>) -> String {
    let mut out = String::from("<div class=\"figures\">\n");
    plan_figures(&mut out, s);
    total_figures(&mut out, s);
    model_figure(&mut out, s);
    out.push_str("</div>\n");

    binding_constraints(&mut out, s);
    subsidies_paid(&mut out, s);
    out
}

/// The figures of the plan: status, objective, gap, sites built and cards
/// (in all, then by accelerator).
fn plan_figures(out: &mut String, s: &Map<String, Value>) {
    let status = s.get("status").map(plain).unwrap_or_else(|| "–".into());
    figure(out, "status", &status, "");
    if let Some(o) = num(s, "objective_cny") {
        figure(
            out,
            "objective",
            &format!("{} bn CNY", fmt_dec(o / 1e9, 2)),
            "net present cost of the plan",
        );
    }
    if let Some(g) = num(s, "mip_gap") {
        figure(out, "MIP gap", &format!("{} %", fmt_dec(100.0 * g, 4)), "");
    }
    if let Some(n) = num(s, "sites_built") {
        figure(out, "sites built", &fmt_int(n), "");
    }
    if let Some(c) = num(s, "cards_total") {
        let note = num(s, "h200_eq_total")
            .map(|h| format!("{} H200-equivalent", fmt_int(h)))
            .unwrap_or_default();
        figure(out, "cards", &fmt_int(c), &note);
    }
    if let Some(Value::Object(by)) = s.get("cards_by_accelerator") {
        for (acc, v) in by {
            if let Some(v) = v.as_f64() {
                figure(out, &format!("{acc} cards"), &fmt_int(v), "");
            }
        }
    }
}

/// The figures of the plan's totals: IT power, energy, capex, opex and
/// subsidies.
fn total_figures(out: &mut String, s: &Map<String, Value>) {
    if let Some(v) = num(s, "it_mw_total") {
        let note = num(s, "facility_mw_total")
            .map(|f| format!("{} MW facility", fmt_dec(f, 1)))
            .unwrap_or_default();
        figure(out, "IT power", &format!("{} MW", fmt_dec(v, 1)), &note);
    }
    if let Some(v) = num(s, "annual_gwh_total") {
        let note = num(s, "annual_tce_total")
            .map(|t| format!("{} tce/yr", fmt_int(t)))
            .unwrap_or_default();
        figure(out, "energy", &format!("{} GWh/yr", fmt_dec(v, 0)), &note);
    }
    if let Some(v) = num(s, "capex_cny_total") {
        figure(out, "capex", &format!("{} bn CNY", fmt_dec(v / 1e9, 2)), "");
    }
    if let Some(v) = num(s, "opex_cny_per_year_total") {
        figure(
            out,
            "opex",
            &format!("{} bn CNY/yr", fmt_dec(v / 1e9, 2)),
            "",
        );
    }
    if let Some(v) = num(s, "subsidy_cny_total") {
        figure(
            out,
            "subsidies",
            &format!("{} bn CNY", fmt_dec(v / 1e9, 2)),
            "",
        );
    }
}

/// The figure of the model's size (its rows, then its other counts and the
/// solve time).
fn model_figure(out: &mut String, s: &Map<String, Value>) {
    if let Some(Value::Object(m)) = s.get("model") {
        let mut parts: Vec<String> = m
            .iter()
            .filter(|(k, _)| k.as_str() != "rows")
            .map(|(k, v)| format!("{} {}", plain(v), k.replace('_', " ")))
            .collect();
        if let Some(t) = num(s, "solve_seconds") {
            parts.push(format!("solved in {t:.2} s"));
        }
        let value = m
            .get("rows")
            .map(|r| format!("{} rows", plain(r)))
            .unwrap_or_else(|| "–".into());
        figure(out, "model", &value, &parts.join(", "));
    }
}

/// How many constraints bind, and how many of them are planner levers (the
/// rows themselves, in words, are in the binding section: `why.rs`).
fn binding_constraints(out: &mut String, s: &Map<String, Value>) {
    if let Some(Value::Array(groups)) = s.get("binding_by_family") {
        let count = |lever: bool| -> u64 {
            groups
                .iter()
                .filter(|g| g.get("planner_lever").and_then(Value::as_bool) == Some(lever))
                .filter_map(|g| g.get("count").and_then(Value::as_u64))
                .sum()
        };
        let _ = writeln!(
            out,
            "<p class=\"note\">{} binding constraints, {} of them planner levers: each in words with its shadow price under <a href=\"#binding\">Binding constraints</a>.</p>",
            count(true) + count(false),
            count(true)
        );
    }
}

/// The subsidies paid, as a table with a column for every field any of
/// them has (in the order first seen).
fn subsidies_paid(out: &mut String, s: &Map<String, Value>) {
    if let Some(Value::Array(subs)) = s.get("subsidies") {
        let _ = writeln!(out, "<h3>Subsidies paid ({})</h3>", subs.len());
        if subs.is_empty() {
            out.push_str("<p>none</p>\n");
        } else {
            let mut keys: Vec<&String> = Vec::new();
            for sub in subs {
                if let Value::Object(m) = sub {
                    for k in m.keys() {
                        if !keys.contains(&k) {
                            keys.push(k);
                        }
                    }
                }
            }
            out.push_str("<table id=\"subsidies\">\n<thead><tr>");
            for k in &keys {
                let class = if k.ends_with("_cny") {
                    " class=\"num\""
                } else {
                    ""
                };
                let _ = write!(out, "<th{class}>{}</th>", esc(&k.replace('_', " ")));
            }
            out.push_str("</tr></thead>\n<tbody>\n");
            for sub in subs {
                out.push_str("<tr>");
                for k in &keys {
                    let v = sub.get(k.as_str()).unwrap_or(&Value::Null);
                    match v.as_f64() {
                        Some(x) => {
                            let _ = write!(out, "<td class=\"num\">{}</td>", esc(&fmt_int(x)));
                        }
                        None => {
                            let _ = write!(out, "<td>{}</td>", esc(&plain(v)));
                        }
                    }
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody>\n</table>\n");
        }
    }
}

/// dcsite's version, as the title block and the printed page footer show it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The data sources in one line (data/SOURCES.md names every row's source;
/// each CSV's `source` column tags it).
pub const SOURCES_LINE: &str = "the tables the scenario names (dcsite's national set data/*.csv, or the small set data/small/*.csv; every row's source and quality tag in its source column, listed in data/SOURCES.md): NDRC / MIIT / NEA documents of 东数西算 (hubs, clusters, PUE caps, green-power shares), provincial electricity prices, energy-review (能评) quotas, local AI-compute subsidy notices, NVIDIA and Huawei accelerator specifications, operators' campus announcements; rows tagged E are estimates. Outline: Natural Earth (public domain); provinces: DCW-GMT 2.1.1 (LGPL-3+).";

/// The plain note every page carries about its maps.
pub const SCHEMATIC_NOTE: &str = "Maps on this page are schematic: not surveyed maps, not an official map of China. Publishing a map of China needs an approval number (审图号) from the natural-resources authorities; this page has none.";

/// When the run that wrote an output folder happened, as the folder records it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunDate {
    /// `2026-12-06T20:30:00Z`.
    pub iso: String,
    /// `2026-12-06 20:30 UTC`.
    pub text: String,
    /// Where the date comes from (`summary.json written`).
    pub from: String,
}

impl RunDate {
    /// The UTC minute of `t`, read from `from`.
    pub fn at(t: std::time::SystemTime, from: &str) -> RunDate {
        let d = chrono::DateTime::<chrono::Utc>::from(t);
        RunDate {
            iso: d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            text: d.format("%Y-%m-%d %H:%M UTC").to_string(),
            from: from.to_string(),
        }
    }
}

/// What a page's title block shows besides dcsite's version, the sources
/// and the map note.
#[derive(Debug, Clone, Default)]
pub struct TitleBlock {
    /// The scenario's name (or a study's, e.g. a sweep's base scenario).
    pub scenario: Option<String>,
    /// The scenario file, when the folder names it.
    pub scenario_file: Option<String>,
    /// The run's date; `None`: the folder records none, and the block
    /// shows the time the page was written, saying so.
    pub run: Option<RunDate>,
}

/// The title block: scenario, date of the run, dcsite version, data
/// sources and the note that the maps are schematic; then the print
/// buttons (hidden in print).
pub fn title_block(b: &TitleBlock) -> String {
    let mut out = String::from("<dl class=\"titleblock\">\n");
    let mut item = |k: &str, v: String| {
        let _ = writeln!(out, "<div><dt>{}</dt><dd>{v}</dd></div>", esc(k));
    };
    if let Some(s) = &b.scenario {
        let file = b
            .scenario_file
            .as_ref()
            .map(|f| format!(" (<code>{}</code>)", esc(f)))
            .unwrap_or_default();
        item("scenario", format!("<strong>{}</strong>{file}", esc(s)));
    }
    let run = b.run.clone().unwrap_or_else(|| {
        RunDate::at(
            std::time::SystemTime::now(),
            "the folder records no date: time this page was written",
        )
    });
    item(
        "run",
        format!(
            "<time datetime=\"{}\">{}</time> <span class=\"note\">({})</span>",
            esc(&run.iso),
            esc(&run.text),
            esc(&run.from)
        ),
    );
    item("dcsite", format!("version {}", esc(VERSION)));
    item("data", esc(SOURCES_LINE));
    item("map", esc(SCHEMATIC_NOTE));
    out.push_str("</dl>\n");
    out.push_str(PRINT_BUTTONS);
    out
}

/// Two buttons that choose the paper and open the print dialog (A4
/// landscape is the default of a print started any other way).
const PRINT_BUTTONS: &str = "<p class=\"print-controls\">Print: <button type=\"button\" onclick=\"document.documentElement.dataset.paper='a4';window.print()\">A4 landscape</button> <button type=\"button\" onclick=\"document.documentElement.dataset.paper='a3';window.print()\">A3 landscape</button></p>\n";

/// `s` as a CSS string literal (quotes, backslashes, line ends and `<`
/// escaped, so that it cannot end the style element).
fn css_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' | '<' | '>' | '\n' | '\r' => {
                let _ = write!(out, "\\{:x} ", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The print style sheet: A4 landscape by default, A3 landscape when the
/// page's A3 button set `data-paper="a3"`; every printed page's footer names
/// the page's title and dcsite's version and counts the pages.
fn print_style(title: &str) -> String {
    let foot = css_string(&format!("{title} · dcsite {VERSION}"));
    format!(
        "@page{{size:A4 landscape;margin:11mm 11mm 13mm;@bottom-left{{content:{foot};font:9px sans-serif;color:#555}}@bottom-right{{content:\"page \" counter(page) \" of \" counter(pages);font:9px sans-serif;color:#555}}}}\n\
@page a3{{size:A3 landscape;margin:13mm 13mm 15mm;@bottom-left{{content:{foot};font:10px sans-serif;color:#555}}@bottom-right{{content:\"page \" counter(page) \" of \" counter(pages);font:10px sans-serif;color:#555}}}}\n\
html[data-paper=a3] body{{page:a3}}\n{PRINT}"
    )
}

/// What print changes: no controls, nothing scrolled away or cut, figures
/// and small tables kept whole, maps and charts scaled to the page.
const PRINT: &str = r#"
@media print{
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;padding:0;max-width:none;font-size:12px}
.print-controls,button,input,label.toggle,.tl-controls,details>summary{display:none!important}
.print-only{display:block!important}
.tl-log-chart,.tl-shares-chart{display:block!important}
.scroll{overflow:visible}
section{break-inside:auto}
h1,h2,h3{break-after:avoid}
.figure,.figures,dl.titleblock,svg,tr,li,p{break-inside:avoid}
table{break-inside:auto;width:100%}
#sites-table,#tier-table,#cluster-table,#timeline-table,#schedule-table,#subsidies,#implied-table,#near-optimal-table{break-inside:avoid}
thead{display:table-header-group}
tfoot{display:table-row-group}
th,td{white-space:normal}
td.num{white-space:nowrap}
td.reason{min-width:0;max-width:none}
svg.map,svg.chart{width:auto;max-width:100%;height:auto;max-height:150mm}
html[data-paper=a3] svg.map,html[data-paper=a3] svg.chart{max-height:225mm}
svg.map{display:block;margin:0 auto}
section#map,section#diff .pair,section#timeline{break-before:page}
section#diff p.note,section#map h2{break-after:avoid}
a{color:inherit;text-decoration:none}
}
"#;

/// The page's style sheet (inline; nothing is fetched).
pub const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif;margin:24px auto;padding:0 16px;max-width:1360px;color:#222;background:#fff}
h1{font-size:1.5em;margin:0 0 4px}
h2{font-size:1.2em;margin:28px 0 8px;border-bottom:1px solid #ccc;padding-bottom:4px}
h3{font-size:1em;margin:16px 0 6px}
.meta,.note,footer{color:#666;font-size:13px}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:8px}
.figure{background:#f4f4ef;border-radius:4px;padding:8px 10px}
.figure .k{font-size:12px;color:#666}
.figure .v{font-size:1.25em;font-weight:600}
.figure .n{font-size:12px;color:#666}
.chips code{display:inline-block;background:#eef2f7;border-radius:3px;padding:1px 5px;margin:2px 0;font-size:12px}
ul.binding{margin:4px 0 10px;padding-left:20px;font-size:13px}
ul.binding li{margin:2px 0}
code.rowid{font-size:10px;color:#777;background:#f4f4f4;border-radius:3px;padding:0 4px}
td.reason{white-space:normal;min-width:24em;max-width:48em}
p.unproven{font-size:13px;color:#7b3fa0}
.print-only{display:none}
dl.titleblock{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:8px 0;padding:8px 10px;border:1px solid #ccc;border-radius:4px;font-size:12px;color:#333}
dl.titleblock>div{display:contents}
dl.titleblock dt{font-weight:600;color:#555}
dl.titleblock dd{margin:0}
.print-controls{font-size:12px;color:#666;margin:4px 0}
.tl-controls{font-size:13px}
.tl-log-chart{display:none}
#timeline:has(#tl-log:checked) .tl-log-chart{display:inline}
#timeline:has(#tl-log:checked) .tl-shares-chart{display:none}
span.share{color:#777}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:12px;margin:6px 0 14px}
td.name{white-space:normal;min-width:8em;max-width:13em}
th,td{padding:3px 6px;border-bottom:1px solid #e2e2e2;text-align:left;white-space:nowrap}
th{background:#f4f4ef;font-weight:600;white-space:normal;vertical-align:bottom;min-width:3em}
.num{text-align:right;font-variant-numeric:tabular-nums}
tfoot td{font-weight:600;border-top:2px solid #999}
td.up{color:#1e7b3a}
td.down{color:#b42525}
span.bar{display:inline-block;width:32px;height:8px;background:#e4e4e4;margin-right:6px;vertical-align:middle}
span.bar>span{display:block;height:100%;background:#4a78b5}
span.bar.full>span{background:#c0392b}
svg{max-width:100%;height:auto}
svg.map{width:100%;max-width:1100px}
svg.map,svg.chart{border:1px solid #ccc;background:#fff}
.sea{fill:#f2f6f9}
.outline path{fill:#e8e9dc;stroke:#6b6b5e;stroke-width:0.8;stroke-linejoin:round;fill-rule:evenodd}
.reach path{fill-opacity:0.05;stroke-opacity:0.7;stroke-width:1.2;stroke-dasharray:5 3}
.flows path{fill:none;stroke:#3f6fae;stroke-opacity:0.5;stroke-linecap:round}
line.flow{stroke:#3f6fae;stroke-opacity:0.5;stroke-linecap:round}
.cities circle,circle.city{fill:#3f6fae}
circle.candidate{fill:#fff;stroke:#555;stroke-width:1.2}
circle.site{fill:#d9480f;fill-opacity:0.85;stroke:#6e2200;stroke-width:1}
circle.mega{fill:none;stroke:#6e2200;stroke-width:1.5}
circle.undecided{fill:none;stroke:#7b3fa0;stroke-width:1.6;stroke-dasharray:3 2}
.chart rect.range{fill:#7b3fa0;fill-opacity:0.25;stroke:#7b3fa0}
.chart rect.range.decided{fill:#555;fill-opacity:0.35;stroke:#555}
.chart rect.range.unknown{fill:#fff;stroke:#555;stroke-dasharray:3 2}
.chart line.opt{stroke:#d9480f;stroke-width:3}
circle.gain,rect.gain{fill:#2e9e4f}
circle.loss,rect.loss{fill:#d23b3b}
circle.gain,circle.loss{fill-opacity:0.8;stroke:#333;stroke-width:0.8}
.labels text{font-size:12px;font-weight:600;fill:#222;stroke:#fff;stroke-width:3px;paint-order:stroke;stroke-linejoin:round}
.legend>rect{fill:#fff;fill-opacity:0.92;stroke:#bbb}
.legend text{font-size:11px;fill:#333}
.legend text.lh{font-size:12px;font-weight:600}
.legend rect.reachkey{fill:#1f77b4;fill-opacity:0.12;stroke:#1f77b4;stroke-dasharray:5 3}
.legend rect.landkey{fill:#e8e9dc;stroke:#6b6b5e}
.chart text{font-size:12px;fill:#333}
.chart text.region{font-weight:600}
.chart text.scen{fill:#666;font-size:11px}
.chart text.val{font-size:11px}
.chart .axis{stroke:#777;stroke-width:1}
.chart .grid{stroke:#ddd;stroke-width:1}
"#;

/// The whole page around `body`.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{}{}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
        esc(title),
        STYLE,
        print_style(title),
        body
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">Xi'an & co</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Xi&#39;an &amp; co&lt;/a&gt;"
        );
    }

    #[test]
    fn numbers_are_grouped_and_signed() {
        assert_eq!(fmt_int(334_552.0), "334,552");
        assert_eq!(fmt_int(999.0), "999");
        assert_eq!(fmt_int(-44_424.0), "−44,424");
        assert_eq!(fmt_signed(100_000.0), "+100,000");
        assert_eq!(fmt_signed(-0.2), "0");
        assert_eq!(fmt_dec(1500.0, 1), "1,500.0");
        assert_eq!(fmt_dec(-0.004, 2), "0.00");
        assert_eq!(fmt_dec(233.390768, 2), "233.39");
    }

    #[test]
    fn generic_columns_follow_their_names() {
        assert_eq!(Col::generic("cards_h200").head, "h200 cards");
        assert_eq!(Col::generic("delta_cards_total").head, "Δ cards");
        assert_eq!(Col::generic("subsidy_cny").head, "subsidy M CNY");
        assert_eq!(
            Col::generic("cards_per_million_subsidy").head,
            "cards per million subsidy"
        );
        assert_eq!(Col::generic("delta_it_mw").head, "Δ IT MW");
        assert_eq!(
            Col::generic("cost_per_card_year_cny").head,
            "cost per card year CNY"
        );
    }
}
