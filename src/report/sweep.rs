//! The report of a sweep folder (`dcsite sweep`): the probability of each
//! `--threshold` per arm (sweep.json), then per arm (grid point): how often
//! each site is built (a map of `robust.geojson`), each region's and tier's
//! cards from p10 to p90 (bars from `robust.csv`), and the plans' regret
//! (`regret.csv`).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::error::ReportError;
use super::html::{esc, fmt_int, page};
use super::input::{read_geojson, read_json, Expect, Feature, TextTable};
use super::map;

/// Whether `dir` is the output folder of a sweep.
pub fn is_sweep(dir: &Path) -> bool {
    dir.join("sweep.json").is_file() && dir.join("robust.csv").is_file()
}

/// Reads a sweep folder and renders its page: the statuses, the
/// thresholds' probabilities per arm, then per arm (grid point; and the
/// pool when the sweep was collected with `--pooled`) the map, the spread of
/// each region's cards and the plans' regret.
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
    let _ = writeln!(
        body,
        "<p class=\"meta\">{} scenarios ({} grid points × {} samples, {}, seed {}): {}</p>\n</header>",
        meta["scenarios"],
        meta["grid_points"],
        meta["samples"],
        esc(meta["sampling"].as_str().unwrap_or("")),
        meta["seed"],
        esc(&statuses_text(&meta["statuses"]))
    );
    let arms = arms_of(&meta);
    body.push_str(&thresholds_table(&arms));
    let many = arms.len() > 1;
    // One circle scale for every arm's map.
    let max_cards = sites
        .iter()
        .filter_map(|f| f.num("cards_mean"))
        .fold(0.0, f64::max);
    for (i, arm) in arms.iter().enumerate() {
        let maps = Maps {
            max_cards,
            controls: i == 0,
        };
        body.push_str(&arm_section(arm, many, &sites, &robust, &regret, &maps)?);
    }
    Ok(page(&title, &body))
}

/// `6 optimal, 0 infeasible`.
fn statuses_text(v: &Value) -> String {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// One arm of sweep.json (or the pool: `arm` null).
struct Arm<'a> {
    /// The `arm` cell of its rows: its index, empty for the pool.
    key: String,
    /// For ids: `arm1`, `pooled`.
    slug: String,
    label: String,
    meta: &'a Value,
}

/// The arms of sweep.json in order; one for a folder written before arms.
fn arms_of(meta: &Value) -> Vec<Arm<'_>> {
    let Some(list) = meta["arms"].as_array() else {
        return vec![Arm {
            key: String::new(),
            slug: String::new(),
            label: String::new(),
            meta: &meta["regret"],
        }];
    };
    list.iter()
        .map(|a| {
            let grid = a["grid"]
                .as_object()
                .map(|g| {
                    g.iter()
                        .map(|(k, v)| {
                            format!(
                                "{k} = {}",
                                v.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| v.to_string())
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            match a["arm"].as_u64() {
                Some(i) => Arm {
                    key: i.to_string(),
                    slug: format!("arm{i}"),
                    label: if grid.is_empty() {
                        "Every scenario".into()
                    } else {
                        format!("Arm {i}: {grid}")
                    },
                    meta: a,
                },
                None => Arm {
                    key: String::new(),
                    slug: "pooled".into(),
                    label: "All arms pooled".into(),
                    meta: a,
                },
            }
        })
        .collect()
}

/// The rows of `t` that belong to `arm` (every row of a table without an
/// `arm` column).
fn rows_of(t: &TextTable, arm: &Arm) -> Vec<usize> {
    (0..t.n_rows)
        .filter(|&r| !t.has("arm") || t.text("arm", r) == arm.key)
        .collect()
}

/// `id` for the only arm, `id-arm1` among several.
fn id_of(base: &str, arm: &Arm, many: bool) -> String {
    if many {
        format!("{base}-{}", arm.slug)
    } else {
        base.to_string()
    }
}

/// What the arms' maps share: one circle scale, and the page's map
/// controls before the first.
struct Maps {
    /// The largest mean cards of any site in any arm.
    max_cards: f64,
    /// Whether this arm's map comes first (and gets the controls).
    controls: bool,
}

/// One arm's map, fans and regret table, in a section of its own when
/// there are several.
fn arm_section(
    arm: &Arm,
    many: bool,
    sites: &[Feature],
    robust: &TextTable,
    regret: &TextTable,
    maps: &Maps,
) -> Result<String, ReportError> {
    let mut body = String::new();
    let h = if many {
        let _ = writeln!(
            body,
            "<section class=\"arm\" id=\"{}\">\n<h2>{} ({} scenarios: {})</h2>",
            id_of("arm", arm, many),
            esc(&arm.label),
            arm.meta["scenarios"],
            esc(&statuses_text(&arm.meta["statuses"]))
        );
        "h3"
    } else {
        "h2"
    };
    let mine: Vec<Feature> = sites
        .iter()
        .filter(|f| f.text("arm").unwrap_or_default() == arm.key || !f.props.contains_key("arm"))
        .cloned()
        .collect();
    let open = |id: &str, title: &str| {
        format!(
            "<section id=\"{}\">\n<{h}>{title}</{h}>\n",
            id_of(id, arm, many)
        )
    };
    body.push_str(&open("probability", "How often each site is built"));
    if maps.controls {
        body.push_str(&map::controls(None));
    }
    body.push_str(&map::probability_map(
        &mine,
        maps.max_cards,
        &id_of("probability-map", arm, many),
    ));
    body.push_str("<p class=\"note\">Colour: share of the scenarios with a plan in which the site is built (pale: up to 25 %, dark red: over 75 %; hollow: never). Size: mean cards, on one scale for every map of the page. Labels: the sites ever built and their share. Hover a circle for its figures.</p>\n</section>\n");
    body.push_str(&open("fans", "Cards per region and tier, p10 to p90"));
    body.push_str(&fans(
        robust,
        &rows_of(robust, arm),
        &id_of("fan-chart", arm, many),
    )?);
    body.push_str("</section>\n");
    body.push_str(&open("regret", "Plans and their regret"));
    body.push_str(&regret_table(
        regret,
        &rows_of(regret, arm),
        arm.meta,
        &id_of("regret-table", arm, many),
    )?);
    body.push_str("</section>\n");
    if many {
        body.push_str("</section>\n");
    }
    Ok(body)
}

/// P(cards ≥ c) of every `--threshold`, a row per arm (sweep.json's arms).
fn thresholds_table(arms: &[Arm]) -> String {
    let Some(first) = arms.first().and_then(|a| a.meta["thresholds"].as_array()) else {
        return String::new();
    };
    if first.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "<section id=\"thresholds\">\n<h2>Probability of reaching a number of cards</h2>\n\
         <div class=\"scroll\">\n<table id=\"threshold-table\">\n<thead><tr><th>arm</th>",
    );
    for t in first {
        let _ = write!(
            s,
            "<th>P({} ≥ {} cards)</th>",
            esc(t["id"].as_str().unwrap_or("")),
            fmt_int(t["cards"].as_f64().unwrap_or(0.0))
        );
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for a in arms {
        let _ = write!(s, "<tr><td>{}</td>", esc(&a.label));
        for t in a.meta["thresholds"].as_array().into_iter().flatten() {
            let n = t["n_plans"].as_f64().unwrap_or(0.0);
            let cell = match t["p"].as_f64() {
                Some(p) => format!("{p:.2} ({} of {})", fmt_int(p * n), fmt_int(n)),
                None => "no plan".into(),
            };
            let _ = write!(
                s,
                "<td class=\"p-threshold\" data-p=\"{}\">{}</td>",
                t["p"],
                esc(&cell)
            );
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n</div>\n<p class=\"note\">The share of the scenarios with a plan in which the region or tier hosts at least that many cards (in brackets: how many of how many).</p>\n</section>\n");
    s
}

/// A bar from p10 to p90 per region and tier, the median as a tick, the
/// mean as a dot, on one scale.
fn fans(t: &TextTable, which: &[usize], id: &str) -> Result<String, ReportError> {
    let mut rows = Vec::new();
    for &r in which {
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
        "<svg id=\"{id}\" class=\"chart\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-label=\"Cards per region, p10 to p90\">\n",
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
fn regret_table(
    t: &TextTable,
    which: &[usize],
    meta: &Value,
    id: &str,
) -> Result<String, ReportError> {
    let mut s = format!(
        "<div class=\"scroll\">\n<table id=\"{id}\">\n<thead><tr><th>rank</th><th>optimal in</th>\
         <th>expected cost (bn CNY)</th><th>CVaR 90 % (bn CNY)</th><th>worst regret (m CNY)</th>\
         <th>not usable in</th><th>plan</th></tr></thead>\n<tbody>\n",
    );
    let bn = |x: Option<f64>| x.map(|v| format!("{:.3}", v / 1e9)).unwrap_or_default();
    for &r in which {
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
    let r = meta;
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
