//! Where and why on the report's solve page: the built sites, every unbuilt
//! site with its reason and cost gap, the binding constraints grouped by
//! family in words with their shadow prices, and the near-optimal range
//! ends with every unproven end marked. Everything is in the page's text
//! (nothing only in a tooltip), so it survives print.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::folder::Inputs;
use super::html::{esc, fmt_dec, fmt_int, Row};
use super::input::{Feature, TextTable};

/// The where-and-why sections of a solve folder (empty for a folder
/// without summary.json or sites.geojson).
pub fn sections(inputs: &Inputs) -> String {
    let (Some(summary), Some(sites)) = (&inputs.summary, &inputs.sites) else {
        return String::new();
    };
    let names: HashMap<&str, &str> = inputs
        .regions
        .as_ref()
        .map(|(_, rows)| {
            rows.iter()
                .filter(|r| r.level == "region")
                .map(|r| (r.id.as_str(), r.label()))
                .collect()
        })
        .unwrap_or_default();
    let region = |f: &Feature| {
        let id = f.text("region_id").unwrap_or_default();
        names.get(id.as_str()).map_or(id.clone(), |n| n.to_string())
    };
    let mut out = String::new();
    out.push_str(&print_legend(inputs));
    // Cards by accelerator: summary.json's accelerators, as sites.geojson's
    // `cards_<id>` fields.
    let accels: Vec<String> = match summary.get("cards_by_accelerator") {
        Some(Value::Object(by)) => by.keys().map(|a| format!("cards_{a}")).collect(),
        _ => Vec::new(),
    };
    out.push_str(&sites_table(sites, &accels, &region));
    if let Some(flows) = inputs.flows.as_deref().filter(|f| !f.is_empty()) {
        out.push_str(&flows_table(flows));
    }
    out.push_str(&why_not_table(sites, &region));
    out.push_str(&binding_section(summary));
    if let Some((t, rows)) = &inputs.regions {
        out.push_str(&range_ends(summary, t, rows));
    }
    out
}

/// A printed key to what the map's tooltips show on screen: where each is
/// in the page's tables (shown in print only).
fn print_legend(inputs: &Inputs) -> String {
    let reach = inputs
        .reach
        .as_deref()
        .and_then(|r| r.first())
        .and_then(|f| Some((f.num("rtt_budget_ms")?, f.num("radius_km")?)))
        .map(|(ms, km)| {
            format!(
                " (here {} ms of round-trip time, about {} km)",
                fmt_dec(ms, 0),
                fmt_int(km)
            )
        })
        .unwrap_or_default();
    format!(
        "<p class=\"note print-only\" id=\"print-legend\">In print, what the map's tooltips show on screen is in the tables: a built site's circle (cards by accelerator, IT MW, cooling, training cluster) under <em>Sites built</em>; a line (city, site, H200-eq cards, RTT) under <em>Demand served</em>; an open circle (a candidate not built and why) under <em>Why not built</em>. A dashed circle is the area within a built site's RTT budget{}.</p>\n",
        esc(&reach)
    )
}

/// The map's lines as a table: each demand city, the site serving it, the
/// H200-eq cards it is served and the round-trip time, by city.
fn flows_table(flows: &[Feature]) -> String {
    let mut rows: Vec<&Feature> = flows.iter().collect();
    let text = |f: &Feature, k: &str| f.text(k).unwrap_or_default();
    rows.sort_by(|a, b| {
        text(a, "node_name_en").cmp(&text(b, "node_name_en")).then(
            b.num("cards_h200_eq")
                .unwrap_or(0.0)
                .total_cmp(&a.num("cards_h200_eq").unwrap_or(0.0)),
        )
    });
    let mut out = format!(
        "<section id=\"flows\">\n<h2>Demand served ({})</h2>\n\
         <p class=\"note\">The map's lines: each demand city, the site that serves it, the H200-eq cards it is served and the round-trip time (RTT) against its budget.</p>\n\
         <div class=\"scroll\">\n<table id=\"flows-table\">\n<thead><tr><th>city</th><th>site</th>\
         <th class=\"num\">H200-eq cards</th><th class=\"num\">RTT ms</th><th class=\"num\">RTT budget ms</th><th class=\"num\">km</th></tr></thead>\n<tbody>\n",
        rows.len()
    );
    for f in rows {
        let _ = writeln!(
            out,
            "<tr><td class=\"name\">{}</td><td class=\"name\">{}</td>{}{}{}{}</tr>",
            esc(&text(f, "node_name_en")),
            esc(&text(f, "site_name_en")),
            num_cell(f.num("cards_h200_eq"), 0),
            num_cell(f.num("rtt_ms"), 1),
            num_cell(f.num("max_rtt_ms"), 0),
            num_cell(f.num("km"), 0),
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n</section>\n");
    out
}

/// A site's cards in all (`cards_total`, else the sum of `cards_<acc>`).
fn cards(f: &Feature) -> f64 {
    f.num("cards_total").unwrap_or_else(|| {
        f.props
            .iter()
            .filter(|(k, _)| k.starts_with("cards_") && !k.ends_with("_near_opt"))
            .filter_map(|(_, v)| v.as_f64())
            .sum()
    })
}

fn name(f: &Feature) -> String {
    f.text("name_en")
        .or_else(|| f.text("site_id"))
        .unwrap_or_default()
}

fn num_cell(x: Option<f64>, decimals: usize) -> String {
    match x {
        Some(x) => format!("<td class=\"num\">{}</td>", esc(&fmt_dec(x, decimals))),
        None => "<td class=\"num\">–</td>".into(),
    }
}

/// The built sites, most cards first: name, region, cooling, training
/// cluster, cards by accelerator (`accels`: sites.geojson's fields) and in
/// all, IT and facility MW, cost per H200-eq card-year.
fn sites_table(
    sites: &[Feature],
    accels: &[String],
    region: &dyn Fn(&Feature) -> String,
) -> String {
    let mut built: Vec<&Feature> = sites
        .iter()
        .filter(|f| f.flag("built").unwrap_or(cards(f) > 0.0))
        .collect();
    built.sort_by(|a, b| cards(b).total_cmp(&cards(a)));
    let mega = built.iter().any(|f| f.flag("mega_cluster") == Some(true));
    let mut out = format!(
        "<section id=\"sites\">\n<h2>Sites built ({})</h2>\n<div class=\"scroll\">\n<table id=\"sites-table\">\n\
         <thead><tr><th>site</th><th>region</th><th>cooling</th>{}",
        built.len(),
        if mega { "<th>training cluster</th>" } else { "" }
    );
    for a in accels {
        let _ = write!(out, "<th class=\"num\">{} cards</th>", esc(&a[6..]));
    }
    out.push_str(
        "<th class=\"num\">cards</th><th class=\"num\">IT MW</th><th class=\"num\">facility MW</th><th class=\"num\">CNY per H200-eq card-year</th></tr></thead>\n<tbody>\n",
    );
    for f in &built {
        let by_accel: String = accels.iter().map(|a| num_cell(f.num(a), 0)).collect();
        let mega_cell = match (mega, f.flag("mega_cluster") == Some(true)) {
            (false, _) => "",
            (true, true) => "<td>yes</td>",
            (true, false) => "<td></td>",
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"name\">{}</td><td>{}</td><td>{}</td>{mega_cell}{by_accel}{}{}{}{}</tr>",
            esc(&name(f)),
            esc(&region(f)),
            esc(&f.text("cooling").unwrap_or_else(|| "–".into())),
            num_cell(Some(cards(f)), 0),
            num_cell(f.num("it_mw"), 1),
            num_cell(f.num("facility_mw"), 1),
            num_cell(f.num("cost_per_card_year_cny"), 0),
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n</section>\n");
    out
}

/// Every unbuilt site: the extra cost of building it beside the plan
/// (`build_cost_gap_cny`), the cheapest first, then the sites a rule rules
/// out, each with its reason (`not_built_reason`).
fn why_not_table(sites: &[Feature], region: &dyn Fn(&Feature) -> String) -> String {
    let mut unbuilt: Vec<&Feature> = sites
        .iter()
        .filter(|f| !f.flag("built").unwrap_or(cards(f) > 0.0))
        .collect();
    let gap = |f: &Feature| f.num("build_cost_gap_cny").unwrap_or(f64::INFINITY);
    unbuilt.sort_by(|a, b| gap(a).total_cmp(&gap(b)).then(name(a).cmp(&name(b))));
    let mut out = format!(
        "<section id=\"why-not\">\n<h2>Why not built ({})</h2>\n\
         <p class=\"note\">Cost gap: the extra net present cost of building the site (its cheapest cooling) with the plan's other sites kept.</p>\n\
         <div class=\"scroll\">\n<table id=\"why-not-table\">\n<thead><tr><th>site</th><th>region</th>\
         <th class=\"num\">cost gap M CNY</th><th>why not built</th></tr></thead>\n<tbody>\n",
        unbuilt.len()
    );
    for f in &unbuilt {
        let gap = match f.num("build_cost_gap_cny") {
            Some(g) => format!(
                "<td class=\"num\">{}{}</td>",
                if g > 0.0 { "+" } else { "" },
                esc(&fmt_dec(g / 1e6, 1))
            ),
            None => "<td class=\"num\">–</td>".into(),
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"name\">{}</td><td>{}</td>{gap}<td class=\"reason\">{}</td></tr>",
            esc(&name(f)),
            esc(&region(f)),
            esc(&f.text("not_built_reason").unwrap_or_else(|| "–".into())),
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n</section>\n");
    out
}

/// The binding constraints, grouped by family (summary.json's
/// `binding_by_family`): a heading per family with its count, then each
/// row's sentence with its shadow price, the raw row id as a small label.
fn binding_section(s: &Map<String, Value>) -> String {
    let Some(Value::Array(groups)) = s.get("binding_by_family") else {
        return String::new();
    };
    let total: u64 = groups
        .iter()
        .filter_map(|g| g.get("count").and_then(Value::as_u64))
        .sum();
    let mut out = format!(
        "<section id=\"binding\">\n<h2>Binding constraints ({total})</h2>\n\
         <p class=\"note\">Each sentence says what one more unit of the limit does to the plan's net present cost (the shadow price, from the LP with the plan's sites fixed; the largest levers are checked by re-solving). Planner levers first.</p>\n"
    );
    if groups.is_empty() {
        out.push_str("<p>none</p>\n");
    }
    for g in groups {
        let text = |k: &str| g.get(k).and_then(Value::as_str).unwrap_or_default();
        let family = text("family");
        let heading = Some(text("family_words"))
            .filter(|w| !w.is_empty())
            .unwrap_or(family);
        let lever = g.get("planner_lever").and_then(Value::as_bool) == Some(true);
        let count = g.get("count").and_then(Value::as_u64).unwrap_or(0);
        let _ = writeln!(
            out,
            "<h3 class=\"family\" data-family=\"{}\">{} ({count}){}</h3>\n<ul class=\"binding\">",
            esc(family),
            esc(&capitalised(heading)),
            if lever { ", a planner lever" } else { "" }
        );
        for (sentence, id) in binding_rows(g) {
            let _ = writeln!(
                out,
                "<li><span class=\"words\">{}</span> <code class=\"rowid\">{}</code></li>",
                esc(&sentence),
                esc(&id)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
    out
}

/// A family's rows as (sentence, raw id): `rows_in_words`, else (an older
/// summary.json) the raw ids alone.
fn binding_rows(g: &Value) -> Vec<(String, String)> {
    let text = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    if let Some(Value::Array(rows)) = g.get("rows_in_words") {
        return rows
            .iter()
            .map(|r| (text(r, "sentence"), text(r, "row")))
            .collect();
    }
    match g.get("rows") {
        Some(Value::Array(rows)) => rows
            .iter()
            .filter_map(Value::as_str)
            .map(|id| (id.to_string(), id.to_string()))
            .collect(),
        _ => Vec::new(),
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// An end of a range as text: the cards, with `≤` / `≥` and "(not proven)"
/// where the search did not prove it.
fn end_text(cards: f64, proven: Option<&str>, fewest: bool) -> String {
    match proven {
        Some("false") => format!(
            "{} {} (not proven)",
            if fewest { "≤" } else { "≥" },
            fmt_int(cards)
        ),
        _ => fmt_int(cards),
    }
}

/// The near-optimal range ends of regions.csv's regions, tiers and
/// clusters (`solve --near-optimal`): optimal, fewest and most cards, every
/// unproven end marked, and summary.json's count of unproven ends.
fn range_ends(s: &Map<String, Value>, t: &TextTable, rows: &[Row]) -> String {
    if !t.has("cards_min_near_opt") {
        return String::new();
    }
    let near = s.get("near_optimal").filter(|v| v.is_object());
    let count = |k: &str| near.and_then(|n| n.get(k)).and_then(Value::as_u64);
    let mut out =
        String::from("<section id=\"near-optimal-ends\">\n<h2>Near-optimal range ends</h2>\n");
    if let Some(n) = count("ends_not_proven") {
        let _ = writeln!(
            out,
            "<p class=\"unproven\">{n} ends of regions, tiers and clusters not proven{}, marked with ≤ / ≥: each is the best plan found and the true end may lie further out.</p>",
            count("site_ends_not_proven")
                .map(|k| format!(" ({k} of sites)"))
                .unwrap_or_default()
        );
    }
    out.push_str(
        "<div class=\"scroll\">\n<table id=\"near-optimal-table\">\n<thead><tr><th>level</th><th>id</th><th>name</th>\
         <th class=\"num\">optimal</th><th class=\"num\">fewest</th><th class=\"num\">most</th><th>decided by cost?</th></tr></thead>\n<tbody>\n",
    );
    // summary.json's verdict per row: regions, tiers, clusters by id.
    let decided = |level: &str, id: &str| {
        let v = near
            .and_then(|n| n.get(format!("{level}s")))
            .and_then(|x| x.get(id))
            .and_then(|x| x.get("decided_by_cost"));
        match v {
            Some(Value::Bool(true)) => "yes",
            Some(Value::Bool(false)) => "no: a tie",
            Some(Value::Null) => "not known: an end not proven",
            _ => "–",
        }
    };
    for (i, r) in rows.iter().enumerate() {
        let (Some(lo), Some(hi)) = (r.num("cards_min_near_opt"), r.num("cards_max_near_opt"))
        else {
            continue;
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"name\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&r.level),
            esc(&r.id),
            esc(&r.name_en),
            esc(&fmt_int(r.num("cards_total").unwrap_or(0.0))),
            esc(&end_text(lo, t.get("near_opt_min_proven", i), true)),
            esc(&end_text(hi, t.get("near_opt_max_proven", i), false)),
            decided(&r.level, &r.id),
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n</section>\n");
    out
}
