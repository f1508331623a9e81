//! The report of a sweep folder (`dcsite sweep`): how often each site is
//! built (a map of `robust.geojson`), each region's and tier's cards from
//! p10 to p90 (bars from `robust.csv`), and the plans' regret (`regret.csv`).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::error::ReportError;
use super::html::{esc, fmt_int, page};
use super::input::{read_geojson, read_json, Expect, TextTable};
use super::map;

/// Whether `dir` is the output folder of a sweep.
pub fn is_sweep(dir: &Path) -> bool {
    dir.join("sweep.json").is_file() && dir.join("robust.csv").is_file()
}

/// Reads a sweep folder and renders its page.
pub fn render(dir: &Path) -> Result<String, ReportError> {
    let meta = read_json(&dir.join("sweep.json"))?;
    let sites = read_geojson(&dir.join("robust.geojson"), Expect::Points)?;
    let robust = TextTable::read(
        &dir.join("robust.csv"),
        &[
            "level",
            "id",
            "cards_p10",
            "cards_p50",
            "cards_p90",
            "cards_mean",
        ],
    )?;
    let regret = TextTable::read(
        &dir.join("regret.csv"),
        &[
            "rank",
            "plan",
            "optimal_in",
            "max_regret_cny",
            "min_max_regret",
        ],
    )?;
    let name = meta["sweep_file"]
        .as_str()
        .and_then(|p| Path::new(p).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sweep".into());
    let title = format!("dcsite sweep: {name}");
    let mut body = format!("<header>\n<h1>{}</h1>\n", esc(&title));
    let statuses = meta["statuses"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let _ = writeln!(
        body,
        "<p class=\"meta\">{} scenarios ({} grid points × {} samples, {}, seed {}): {}</p>\n</header>",
        meta["scenarios"],
        meta["grid_points"],
        meta["samples"],
        esc(meta["sampling"].as_str().unwrap_or("")),
        meta["seed"],
        esc(&statuses)
    );
    body.push_str("<section id=\"probability\">\n<h2>How often each site is built</h2>\n");
    body.push_str(&map::probability_map(&sites));
    body.push_str("<p class=\"note\">Colour: share of the scenarios with a plan in which the site is built (pale: up to 25 %, dark red: over 75 %; hollow: never). Size: mean cards. Hover a circle for its figures.</p>\n</section>\n");
    body.push_str("<section id=\"fans\">\n<h2>Cards per region and tier, p10 to p90</h2>\n");
    body.push_str(&fans(&robust)?);
    body.push_str("</section>\n<section id=\"regret\">\n<h2>Plans and their regret</h2>\n");
    body.push_str(&regret_table(&regret, &meta)?);
    body.push_str("</section>\n");
    Ok(page(&title, &body))
}

/// A bar from p10 to p90 per region and tier, the median as a tick, the
/// mean as a dot, on one scale.
fn fans(t: &TextTable) -> Result<String, ReportError> {
    let mut rows = Vec::new();
    for r in 0..t.n_rows {
        let v = |c: &str| t.num(c, r).map(|x| x.unwrap_or(0.0));
        rows.push((
            t.text("level", r),
            t.text("id", r),
            v("cards_p10")?,
            v("cards_p50")?,
            v("cards_p90")?,
            v("cards_mean")?,
        ));
    }
    let max = rows.iter().map(|r| r.4.max(r.5)).fold(1.0, f64::max);
    let (left, width, row_h) = (170.0, 600.0, 22.0);
    let height = row_h * rows.len() as f64 + 30.0;
    let x = |c: f64| left + width * c / max;
    let mut s = format!(
        "<svg id=\"fan-chart\" class=\"chart\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-label=\"Cards per region, p10 to p90\">\n",
        w = left + width + 90.0
    );
    for (i, (level, id, p10, p50, p90, mean)) in rows.iter().enumerate() {
        let y = 10.0 + row_h * i as f64;
        let tip = format!(
            "{id} ({level}): p10 {}, median {}, p90 {}, mean {} cards",
            fmt_int(*p10),
            fmt_int(*p50),
            fmt_int(*p90),
            fmt_int(*mean)
        );
        let _ = writeln!(
            s,
            "<g class=\"fan\"><title>{}</title><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\">{}</text>\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"#9ecae1\"/>\
             <line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#08519c\" stroke-width=\"2\"/>\
             <circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#333\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text></g>",
            esc(&tip),
            left - 8.0,
            y + 10.0,
            esc(&format!("{id}{}", if level == "tier" { " (tier)" } else { "" })),
            x(*p10),
            y,
            (x(*p90) - x(*p10)).max(1.0),
            x(*p50),
            x(*p50),
            y - 2.0,
            y + 14.0,
            x(*mean),
            y + 6.0,
            x(*p90) + 6.0,
            y + 10.0,
            esc(&fmt_int(*p90))
        );
    }
    s.push_str("</svg>\n<p class=\"note\">Bar: p10 to p90 of the region's cards over the scenarios with a plan; tick: median; dot: mean.</p>\n");
    Ok(s)
}

/// The regret table, the min-max-regret plan marked.
fn regret_table(t: &TextTable, meta: &Value) -> Result<String, ReportError> {
    let mut s = String::from(
        "<div class=\"scroll\">\n<table id=\"regret-table\">\n<thead><tr><th>rank</th><th>optimal in</th>\
         <th>expected cost (bn CNY)</th><th>CVaR 90 % (bn CNY)</th><th>worst regret (m CNY)</th>\
         <th>not usable in</th><th>plan</th></tr></thead>\n<tbody>\n",
    );
    let bn = |x: Option<f64>| x.map(|v| format!("{:.3}", v / 1e9)).unwrap_or_default();
    for r in 0..t.n_rows {
        let best = t.text("min_max_regret", r) == "true";
        let _ = writeln!(
            s,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if best { " class=\"min-max-regret\"" } else { "" },
            esc(&t.text("rank", r)),
            esc(&t.text("optimal_in", r)),
            bn(t.num("expected_cost_cny", r)?),
            bn(t.num("cvar90_cost_cny", r)?),
            t.num("max_regret_cny", r)?
                .map(|v| format!("{:.1}", v / 1e6))
                .unwrap_or_default(),
            esc(&t.text("infeasible_in", r)),
            esc(&t.text("plan", r).replace(';', "; "))
        );
    }
    s.push_str("</tbody>\n</table>\n</div>\n");
    let r = &meta["regret"];
    let _ = writeln!(
        s,
        "<p class=\"note\">{} distinct plans were optimal in some scenario; the {} most frequent are evaluated in every scenario with their sites fixed (servers continuous). Regret: the cost above the cheapest of the scenario's own sites and every evaluated plan. {}</p>",
        r["plans_found"],
        r["plans_evaluated"],
        match r["min_max_regret_plan"]["rank"].as_u64() {
            Some(k) => format!("The min-max-regret plan is #{k} (highlighted)."),
            None => "No evaluated plan can be used in every scenario.".into(),
        }
    );
    Ok(s)
}
