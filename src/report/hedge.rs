//! The section of a `dcsite hedge` folder (hedge.json): the sites built now,
//! what the uncertainty costs (EVPI) and what planning for it saves (VSS),
//! and the cost distribution over the outcomes as a chart.

use std::path::Path;

use serde_json::Value;

use super::error::ReportError;
use super::html::{esc, fmt_dec, fmt_int};
use super::input::read_json;

/// Reads hedge.json: an object of kind "hedge" with its outcomes.
pub fn read(file: &Path) -> Result<Value, ReportError> {
    let v = read_json(file)?;
    let ok = v.get("kind").and_then(Value::as_str) == Some("hedge")
        && v.get("outcomes").is_some_and(Value::is_array)
        && v.get("first_stage").is_some_and(Value::is_array);
    if !ok {
        return Err(ReportError::Input {
            file: file.to_path_buf(),
            message: "expected the hedge.json `dcsite hedge` writes (kind \"hedge\", outcomes, first_stage)".into(),
        });
    }
    Ok(v)
}

fn num(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

fn bn(x: Option<f64>) -> String {
    match x {
        Some(x) => format!("{} bn CNY", fmt_dec(x / 1e9, 2)),
        None => "–".into(),
    }
}

/// The hedge section: figures, the sites built now, the outcomes and the
/// cost distribution.
pub fn section(h: &Value) -> String {
    let mut s =
        String::from("<section id=\"hedge\">\n<h2>Decide now, before the outcome is known</h2>\n");
    let risk = h.get("risk").cloned().unwrap_or(Value::Null);
    let alpha = num(&risk, "alpha").unwrap_or(0.9);
    let lambda = num(&risk, "lambda").unwrap_or(0.0);
    s.push_str("<table id=\"hedge-figures\"><tbody>\n");
    let mut row = |k: &str, v: String, note: &str| {
        s.push_str(&format!(
            "<tr><th>{}</th><td class=\"num\">{}</td><td>{}</td></tr>\n",
            esc(k),
            esc(&v),
            esc(note)
        ));
    };
    if h.get("status").and_then(Value::as_str) != Some("optimal") {
        row(
            "Proven within",
            format!("{:.3} %", 100.0 * num(h, "mip_gap").unwrap_or(f64::NAN)),
            "of the best two-stage plan's cost, not within the gap asked: the EVPI and VSS may be off by as much, and what each site is worth is not computed",
        );
    }
    row(
        "Expected cost",
        bn(num(h, "expected_cost_cny")),
        "the outcomes' costs weighed by their probabilities",
    );
    row(
        &format!("CVaR {:.0} %", 100.0 * alpha),
        bn(num(h, "cvar_cny")),
        &format!(
            "the mean cost of the costliest {:.0} % of the probability mass",
            100.0 * (1.0 - alpha)
        ),
    );
    row(
        "EVPI",
        bn(num(h, "evpi_cny")),
        "what knowing the outcome in advance would save",
    );
    let ev = h.get("expected_value_plan").cloned().unwrap_or(Value::Null);
    let vss_note = match ev.get("state").and_then(Value::as_str) {
        Some("evaluated") => {
            "what planning for the outcomes saves against planning for their average".to_string()
        }
        Some("infeasible") => {
            "unbounded: the plan of the averaged inputs cannot serve every outcome".to_string()
        }
        Some("no plan") => {
            "not computed: the averaged inputs have no plan of their own".to_string()
        }
        _ => "not computed".to_string(),
    };
    row("VSS", bn(num(h, "vss_cny")), &vss_note);
    if let Some(n) = h.get("risk_neutral").filter(|n| !n.is_null()) {
        row(
            "Insurance premium",
            bn(num(n, "insurance_premium_cny")),
            &format!("expected cost above the risk-neutral plan, for λ = {lambda}"),
        );
        row(
            "CVaR reduction",
            bn(num(n, "cvar_reduction_cny")),
            "what the premium buys",
        );
    }
    s.push_str("</tbody></table>\n");
    // The sites built now.
    // A decided contract (priced contracted power) or the peak draw.
    let decided = h["first_stage"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|x| x["contract_decided"].as_bool() == Some(true));
    // Per site: a start month decided now (hall_start_step_months), or the
    // latest start in time, or IT in service only.
    let start = |site: &Value| match site["start_hall_by"].as_str() {
        None => "in service".to_string(),
        Some(m) if site["start_decided"].as_bool() == Some(true) => {
            format!("in {m} (decided now)")
        }
        Some(m) => format!("by {m}"),
    };
    let power = if decided {
        "power contracted now, MW"
    } else {
        "power to contract (the most any outcome draws), MW"
    };
    s.push_str(&format!("<h3>Built now, the same in every outcome</h3>\n<table id=\"hedge-sites\"><thead><tr><th>site</th><th>region</th><th>cooling</th><th>training cluster</th><th class=\"num\">outcomes using it</th><th class=\"num\">expected cards</th><th>start its new hall</th><th class=\"num\">{power}</th><th class=\"num\">worth (re-solved without it), bn CNY</th></tr></thead><tbody>\n"));
    let n_out = h["outcomes"].as_array().map_or(0, Vec::len);
    for site in h["first_stage"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} of {n_out}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            esc(site["name_en"].as_str().unwrap_or("")),
            esc(site["region_id"].as_str().unwrap_or("")),
            esc(site["cooling"].as_str().unwrap_or("")),
            if site["mega_cluster"].as_bool() == Some(true) { "yes" } else { "" },
            site["outcomes_using"].as_u64().unwrap_or(0),
            fmt_int(num(site, "expected_cards").unwrap_or(0.0)),
            esc(&start(site)),
            num(site, "contract_mw").map_or(String::new(), |x| fmt_dec(x, 1)),
            match site["worth"]["cny"].as_f64() {
                Some(x) => fmt_dec(x / 1e9, 2),
                None => esc(&match site["worth"]["reason"].as_str() {
                    Some(why) if !why.is_empty() && why != "not asked" => format!(
                        "{}: {why}",
                        site["worth"]["state"].as_str().unwrap_or("")
                    ),
                    _ => site["worth"]["state"].as_str().unwrap_or("").to_string(),
                }),
            },
        ));
    }
    s.push_str("</tbody></table>\n");
    // The outcomes and the distribution.
    s.push_str("<h3>Outcomes</h3>\n<table id=\"hedge-outcomes\"><thead><tr><th>outcome</th><th class=\"num\">probability</th><th class=\"num\">cost, bn CNY</th><th class=\"num\">its own optimum, bn CNY</th><th class=\"num\">cards</th></tr></thead><tbody>\n");
    let outcomes: Vec<&Value> = h["outcomes"].as_array().into_iter().flatten().collect();
    for o in &outcomes {
        s.push_str(&format!(
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            esc(o["name"].as_str().unwrap_or("")),
            fmt_dec(num(o, "probability").unwrap_or(0.0), 3),
            fmt_dec(num(o, "cost_cny").unwrap_or(0.0) / 1e9, 2),
            fmt_dec(num(o, "own_optimum_cny").unwrap_or(0.0) / 1e9, 2),
            fmt_int(num(o, "cards").unwrap_or(0.0)),
        ));
    }
    s.push_str("</tbody></table>\n");
    s.push_str(&distribution(h, &outcomes, alpha));
    s.push_str(&frontier(h, alpha));
    // Named by hedge.json itself (the outcome whose plan files were written).
    if let Some(name) = h.get("plan_files_outcome").and_then(Value::as_str) {
        let probs: Vec<f64> = outcomes
            .iter()
            .filter_map(|o| num(o, "probability"))
            .collect();
        let equal = probs.len() > 1 && probs.iter().all(|p| (p - probs[0]).abs() < 1e-12);
        s.push_str(&format!(
            "<p>The headline, map and tables below are the plan of {}, {}.</p>\n",
            if equal {
                "the first outcome (all are equally probable)"
            } else {
                "the most probable outcome"
            },
            esc(name)
        ));
    }
    s.push_str("</section>\n");
    s
}

/// Most outcomes drawn one bar each; more are binned.
const MAX_BARS: usize = 12;

/// A bar of the cost distribution: its left edge and width (px), the
/// probability it stands for and its tooltip.
struct Bar {
    class: &'static str,
    from: f64,
    width: f64,
    p: f64,
    title: String,
}

/// The cost distribution: a bar per outcome at its cost (a histogram past
/// [`MAX_BARS`] outcomes), as tall as its probability, with the expected
/// cost and the CVaR marked.
fn distribution(h: &Value, outcomes: &[&Value], alpha: f64) -> String {
    let costs: Vec<f64> = outcomes.iter().filter_map(|o| num(o, "cost_cny")).collect();
    if costs.is_empty() || costs.len() != outcomes.len() {
        return String::new();
    }
    let (w, ht, left, bottom, top) = (640.0, 260.0, 60.0, 40.0, 20.0);
    let expected = num(h, "expected_cost_cny").unwrap_or(0.0);
    let cvar = num(h, "cvar_cny").unwrap_or(0.0);
    let lo = costs
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(expected);
    let hi = costs
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        .max(cvar);
    let span = (hi - lo).max(1.0);
    let (lo, hi) = (lo - 0.05 * span, hi + 0.05 * span);
    let x = |c: f64| left + (c - lo) / (hi - lo) * (w - left - 20.0);
    // A bar per outcome; past MAX_BARS outcomes (draws of a sweep) a
    // histogram: the costs in MAX_BARS equal bins, a bar per bin as tall as
    // its probability.
    let bars: Vec<Bar> = if outcomes.len() <= MAX_BARS {
        outcomes
            .iter()
            .zip(&costs)
            .map(|(o, c)| {
                let p = num(o, "probability").unwrap_or(0.0);
                Bar {
                    class: "outcome",
                    from: x(*c) - 6.0,
                    width: 12.0,
                    p,
                    title: format!(
                        "{}: p = {}, {} bn CNY",
                        o["name"].as_str().unwrap_or(""),
                        fmt_dec(p, 3),
                        fmt_dec(c / 1e9, 2)
                    ),
                }
            })
            .collect()
    } else {
        let cmin = costs.iter().copied().fold(f64::INFINITY, f64::min);
        let cmax = costs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let step = ((cmax - cmin) / MAX_BARS as f64).max(1.0);
        let mut mass = [(0usize, 0.0); MAX_BARS];
        for (o, c) in outcomes.iter().zip(&costs) {
            let k = (((c - cmin) / step) as usize).min(MAX_BARS - 1);
            mass[k].0 += 1;
            mass[k].1 += num(o, "probability").unwrap_or(0.0);
        }
        mass.iter()
            .enumerate()
            .filter(|(_, m)| m.0 > 0)
            .map(|(k, &(n, p))| {
                let a = cmin + step * k as f64;
                Bar {
                    class: "bin",
                    from: x(a) + 0.5,
                    width: (x(a + step) - x(a) - 1.0).max(1.0),
                    p,
                    title: format!(
                        "{n} outcome{} from {} to {} bn CNY: p = {}",
                        if n == 1 { "" } else { "s" },
                        fmt_dec(a / 1e9, 2),
                        fmt_dec((a + step) / 1e9, 2),
                        fmt_dec(p, 3)
                    ),
                }
            })
            .collect()
    };
    // Outcomes of (nearly) equal cost would hide one another: each bar
    // stands on those before it that it overlaps, and the stack's top is
    // labelled with their summed probability.
    let overlaps = |a: &Bar, b: &Bar| (a.from - b.from).abs() < a.width.min(b.width);
    let base: Vec<f64> = (0..bars.len())
        .map(|i| {
            bars[..i]
                .iter()
                .filter(|b| overlaps(b, &bars[i]))
                .map(|b| b.p)
                .sum()
        })
        .collect();
    let pmax = bars
        .iter()
        .zip(&base)
        .map(|(b, z)| z + b.p)
        .fold(0.0, f64::max)
        .max(1e-9);
    let y = |p: f64| ht - bottom - p / pmax * (ht - bottom - top);
    let mut s = format!(
        "<figure id=\"hedge-distribution\"><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {ht}\" width=\"{w}\" height=\"{ht}\" role=\"img\" aria-label=\"cost distribution over the outcomes\">\n"
    );
    s.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#333\"/>\n",
        b = ht - bottom,
        r = w - 20.0
    ));
    for (i, (b, z)) in bars.iter().zip(&base).enumerate() {
        s.push_str(&format!(
            "<rect class=\"{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#4477aa\" stroke=\"#fff\" stroke-width=\"0.5\"><title>{}</title></rect>\n",
            b.class,
            b.from,
            y(z + b.p),
            b.width,
            y(*z) - y(z + b.p),
            esc(&b.title)
        ));
        if bars[i + 1..].iter().any(|c| overlaps(c, b)) {
            continue;
        }
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>\n",
            b.from + b.width / 2.0,
            y(z + b.p) - 4.0,
            fmt_dec(z + b.p, 2)
        ));
    }
    // Each marker's label left of its line, on a line of its own, clear of
    // the bars' probability labels above them.
    for (row, (label, c, colour)) in [
        ("expected".to_string(), expected, "#228833"),
        (format!("CVaR {:.0} %", 100.0 * alpha), cvar, "#cc3311"),
    ]
    .into_iter()
    .enumerate()
    {
        s.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{b}\" stroke=\"{colour}\" stroke-dasharray=\"4 3\"/><text x=\"{tx:.1}\" y=\"{t:.1}\" font-size=\"11\" fill=\"{colour}\" text-anchor=\"end\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\">{label}</text>\n",
            x = x(c),
            tx = x(c) - 9.0,
            b = ht - bottom,
            t = top + 30.0 + 14.0 * row as f64
        ));
    }
    for k in 0..=4 {
        let c = lo + (hi - lo) * k as f64 / 4.0;
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>\n",
            x(c),
            ht - bottom + 16.0,
            fmt_dec(c / 1e9, 1)
        ));
    }
    s.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">net present cost of the outcome, bn CNY (bar height: probability)</text>\n</svg>\n",
        w / 2.0,
        ht - 6.0
    ));
    s.push_str("<figcaption>The cost of the plan in each outcome: the sites are decided now, the servers follow what is delivered.</figcaption></figure>\n");
    s
}

/// A point of the frontier's chart: its key (CVaR and expected cost to
/// 0.01 bn CNY), CVaR, expected cost, and the λ values drawn there.
type Drawn = ((i64, i64), f64, f64, Vec<f64>);

/// The risk frontier (`--risk-frontier`): the expected cost against the
/// CVaR of the plan at each λ, a point per λ (plans of equal figures share
/// one, labelled with every λ), and its table.
fn frontier(h: &Value, alpha: f64) -> String {
    let points: Vec<&Value> = h
        .get("risk_frontier")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let xy: Vec<(f64, f64, f64)> = points
        .iter()
        .filter_map(|p| {
            Some((
                num(p, "lambda")?,
                num(p, "cvar_cny")?,
                num(p, "expected_cost_cny")?,
            ))
        })
        .collect();
    if xy.is_empty() || xy.len() != points.len() {
        return String::new();
    }
    let mut s = format!(
        "<h3>Risk frontier: expected cost against CVaR {:.0} %</h3>\n",
        100.0 * alpha
    );
    // Points as drawn: λ values of equal figures (to 0.01 bn CNY) together.
    let key = |c: f64, e: f64| ((c / 1e7).round() as i64, (e / 1e7).round() as i64);
    let mut drawn: Vec<Drawn> = Vec::new();
    for &(l, c, e) in &xy {
        match drawn.iter_mut().find(|d| d.0 == key(c, e)) {
            Some(d) => d.3.push(l),
            None => drawn.push((key(c, e), c, e, vec![l])),
        }
    }
    let (w, ht, left, bottom, top, right) = (640.0, 300.0, 70.0, 44.0, 20.0, 30.0);
    let range = |v: Vec<f64>| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pad = (0.1 * (hi - lo)).max(1e8);
        (lo - pad, hi + pad)
    };
    let (x0, x1) = range(xy.iter().map(|p| p.1).collect());
    let (y0, y1) = range(xy.iter().map(|p| p.2).collect());
    let x = |c: f64| left + (c - x0) / (x1 - x0) * (w - left - right);
    let y = |e: f64| ht - bottom - (e - y0) / (y1 - y0) * (ht - bottom - top);
    s.push_str(&format!(
        "<figure id=\"hedge-frontier\"><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {ht}\" width=\"{w}\" height=\"{ht}\" role=\"img\" aria-label=\"expected cost against CVaR at each weight of the CVaR\">\n"
    ));
    s.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#333\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{b}\" stroke=\"#333\"/>\n",
        b = ht - bottom,
        r = w - right
    ));
    for k in 0..=4 {
        let c = x0 + (x1 - x0) * k as f64 / 4.0;
        let e = y0 + (y1 - y0) * k as f64 / 4.0;
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>\n<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>\n",
            x(c),
            ht - bottom + 16.0,
            fmt_dec(c / 1e9, 2),
            left - 6.0,
            y(e) + 3.0,
            fmt_dec(e / 1e9, 2)
        ));
    }
    let line: Vec<String> = xy
        .iter()
        .map(|&(_, c, e)| format!("{:.1},{:.1}", x(c), y(e)))
        .collect();
    s.push_str(&format!(
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#4477aa\"/>\n",
        line.join(" ")
    ));
    for (_, c, e, lambdas) in &drawn {
        let label = lambdas
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        s.push_str(&format!(
            "<circle class=\"frontier-point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#4477aa\"><title>λ = {}: expected {} bn CNY, CVaR {} bn CNY</title></circle><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"{}\">λ = {}</text>\n",
            x(*c),
            y(*e),
            esc(&label),
            fmt_dec(e / 1e9, 2),
            fmt_dec(c / 1e9, 2),
            // Right of the point in the left half, left of it in the right.
            if x(*c) < w / 2.0 { x(*c) + 7.0 } else { x(*c) - 7.0 },
            y(*e) - 6.0,
            if x(*c) < w / 2.0 { "start" } else { "end" },
            esc(&label)
        ));
    }
    s.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">CVaR {:.0} % of the cost, bn CNY</text>\n<text x=\"14\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1})\">expected cost, bn CNY</text>\n</svg>\n",
        (left + w - right) / 2.0,
        ht - 8.0,
        100.0 * alpha,
        (top + ht - bottom) / 2.0,
        (top + ht - bottom) / 2.0
    ));
    s.push_str("<figcaption>The two-stage plan at each weight λ of the CVaR in the objective (expected cost + λ × CVaR): a larger λ buys a lower CVaR with a higher expected cost.</figcaption></figure>\n");
    s.push_str("<table id=\"hedge-frontier-table\"><thead><tr><th class=\"num\">λ</th><th class=\"num\">expected cost, bn CNY</th><th class=\"num\">CVaR, bn CNY</th><th class=\"num\">objective, bn CNY</th><th>sites built now</th></tr></thead><tbody>\n");
    for p in &points {
        let sites: Vec<&str> = p["sites"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        s.push_str(&format!(
            "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            num(p, "lambda").unwrap_or(0.0),
            fmt_dec(num(p, "expected_cost_cny").unwrap_or(0.0) / 1e9, 2),
            fmt_dec(num(p, "cvar_cny").unwrap_or(0.0) / 1e9, 2),
            fmt_dec(num(p, "objective_cny").unwrap_or(0.0) / 1e9, 2),
            esc(&sites.join(", "))
        ));
    }
    s.push_str("</tbody></table>\n");
    s
}
