//! Issue 25 §4 and §6: where and why in words, and near-optimal ranges
//! that say which ends are not proven. The terminal's sentences are read
//! back and checked against the plan's files (summary.json's shadow prices,
//! sites.geojson's sites and cost gaps); the report's sections are parsed as
//! XML; the count of unproven ends in summary.json is recounted from
//! regions.csv's per-end flags, the terminal's and the report's marks.

use std::path::Path;

use crate::common;

use common::*;
use serde_json::Value;

/// `dcsite solve <scenario> --out <out> [extra]`: its stdout.
fn solve(scenario: &str, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["solve", scenario, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = dcsite(&args);
    ok(&o, "solve");
    String::from_utf8(o.stdout).unwrap()
}

/// "1,234.5" → 1234.5.
fn number(s: &str) -> f64 {
    s.trim()
        .replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// The lines of the terminal section that starts with `head`, up to the
/// next empty line.
fn section<'a>(text: &'a str, head: &str) -> Vec<&'a str> {
    let start = text
        .find(head)
        .unwrap_or_else(|| panic!("{head:?} missing:\n{text}"));
    text[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect()
}

fn site_by_name<'a>(sites: &'a [Value], name: &str) -> &'a Value {
    sites
        .iter()
        .map(|f| &f["properties"])
        .find(|p| p["name_en"] == name)
        .unwrap_or_else(|| panic!("no site named {name:?}"))
}

/// Built sites on the terminal: each is built in sites.geojson with the
/// region, cooling, cards and cost per card-year printed.
fn check_sites(text: &str, sites: &[Value], regions: &Value) {
    let lines = section(text, "built sites (");
    let built = sites
        .iter()
        .filter(|f| f["properties"]["built"] == true)
        .count();
    assert!(text.contains(&format!("built sites ({built}):")), "{text}");
    let mut checked = 0;
    for l in lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim_start().starts_with("and "))
    {
        // Columns two spaces apart: site, region, cooling, cards, cost.
        let c: Vec<&str> = l
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(c.len(), 5, "{l}");
        let p = site_by_name(sites, c[0]);
        assert_eq!(p["built"], true, "{l}");
        let region = &regions[p["region_id"].as_str().unwrap()];
        assert_eq!(c[1], region.as_str().unwrap(), "{l}");
        assert_eq!(c[2], p["cooling"].as_str().unwrap(), "{l}");
        assert_eq!(number(c[3]), p["cards_total"].as_f64().unwrap(), "{l}");
        let cost = p["cost_per_card_year_cny"].as_f64().unwrap();
        assert_eq!(number(c[4]), cost.round(), "{l}");
        checked += 1;
    }
    assert_eq!(checked, built.min(10), "{text}");
}

/// Every lever sentence on the terminal: its shadow price is summary.json's,
/// the verb follows its sign and the unit is the family's.
fn check_levers(text: &str, summary: &Value) -> usize {
    let prices = summary["shadow_prices"].as_array().unwrap();
    let mut checked = 0;
    for l in section(text, "planner levers: ") {
        let Some(s) = l.trim().strip_prefix("- each extra ") else {
            // A lever without a price: a binding row of summary.json
            // whose family has none.
            if let Some(s) = l.trim().strip_prefix("- ") {
                let words = s.split(" binds (no shadow price:").next().unwrap();
                assert!(s.contains(" binds (no shadow price:"), "{l}");
                let found = summary["binding_by_family"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|g| g["rows_in_words"].as_array().unwrap())
                    .any(|r| r["words"] == words && r["cny_per_unit"].is_null());
                assert!(found, "{l}");
                checked += 1;
            }
            continue;
        };
        // "<unit> of <words> saves|costs <amount> CNY[ more]"
        let (verb, at) = [" saves ", " costs "]
            .iter()
            .find_map(|v| s.find(v).map(|i| (*v, i)))
            .unwrap_or_else(|| panic!("no verb in {l:?}"));
        let sp = prices
            .iter()
            .find(|p| {
                let head = format!(
                    "{} of {}",
                    p["unit"].as_str().unwrap(),
                    p["words"].as_str().unwrap()
                );
                s[..at] == head
            })
            .unwrap_or_else(|| panic!("no shadow price for {l:?}"));
        let value = sp["cny_per_unit"].as_f64().unwrap();
        let amount = number(s[at + verb.len()..].split(" CNY").next().unwrap());
        let shown = if value.abs() >= 100.0 {
            value.abs().round()
        } else {
            (value.abs() * 100.0).round() / 100.0
        };
        assert_eq!(amount, shown, "{l} against {sp}");
        assert_eq!(verb == " saves ", value < 0.0, "{l} against {sp}");
        checked += 1;
    }
    checked
}

/// The unbuilt sites on the terminal: the cheapest of sites.geojson's cost
/// gaps, in order, each printed as it is there.
fn check_unbuilt(text: &str, sites: &[Value]) -> usize {
    let mut gaps: Vec<f64> = sites
        .iter()
        .filter_map(|f| f["properties"]["build_cost_gap_cny"].as_f64())
        .collect();
    gaps.sort_by(f64::total_cmp);
    let mut checked = 0;
    for l in section(text, "not built (") {
        let Some((name, rest)) = l.trim().split_once(": possible but not chosen, ") else {
            continue;
        };
        let p = site_by_name(sites, name);
        let gap = p["build_cost_gap_cny"].as_f64().unwrap();
        assert_eq!(gap, gaps[checked], "{l}: not the next cheapest");
        let (amount, unit) = (&rest[1..], &rest[..1]);
        assert_eq!(unit, if gap < 0.0 { "-" } else { "+" }, "{l}");
        let shown = if amount.contains(" bn CNY") {
            number(amount.split(" bn").next().unwrap()) * 1e9
        } else {
            number(amount.split(" M").next().unwrap()) * 1e6
        };
        let step = if gap.abs() >= 1e9 { 1e7 } else { 1e5 };
        assert!((shown - gap.abs()).abs() <= step / 2.0 + 1.0, "{l}: {gap}");
        checked += 1;
    }
    checked
}

/// Region id → English name, from regions.csv.
fn region_names(out: &Path) -> Value {
    let csv = std::fs::read_to_string(out.join("regions.csv")).unwrap();
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let mut m = serde_json::Map::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        if f[col("level")] == "region" {
            m.insert(f[col("id")].into(), f[col("name_en")].into());
        }
    }
    Value::Object(m)
}

#[test]
fn the_solve_terminal_says_where_and_why_with_the_plans_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let text = solve("models/small/baseline.toml", &out, &[]);
    let summary = read_json(&out.join("summary.json"));
    let sites = features(&out.join("sites.geojson"));
    check_sites(&text, &sites, &region_names(&out));
    let levers = check_levers(&text, &summary);
    let n_levers: u64 = summary["binding_by_family"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["planner_lever"] == true)
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    assert!(levers >= 1, "{text}");
    assert_eq!(levers as u64, n_levers.min(8), "{text}");
    assert!(check_unbuilt(&text, &sites) >= 1, "{text}");
    // One screen: the where-and-why part after the region table.
    let from = text.find("built sites (").unwrap();
    let to = text.find("\nwrote ").unwrap();
    assert!(text[from..to].lines().count() <= 45, "{}", &text[from..to]);
}

/// The `<section id="…">` of the page, parsed as XML.
fn section_xml(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("<section id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = start + html[start..].find("</section>").unwrap() + "</section>".len();
    html[start..end].to_string()
}

fn cells(row: roxmltree::Node) -> Vec<String> {
    row.children()
        .filter(|c| c.is_element())
        .map(|c| {
            c.descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .collect::<String>()
        })
        .collect()
}

fn body_rows(doc: &roxmltree::Document) -> Vec<Vec<String>> {
    doc.descendants()
        .filter(|n| n.has_tag_name("tbody"))
        .flat_map(|b| b.children().filter(|r| r.has_tag_name("tr")))
        .map(cells)
        .collect()
}

/// The report's sites and why-not tables against sites.geojson.
fn check_site_tables(html: &str, sites: &[Value]) {
    let xml = section_xml(html, "sites");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let rows = body_rows(&doc);
    let built: Vec<&Value> = sites
        .iter()
        .map(|f| &f["properties"])
        .filter(|p| p["built"] == true)
        .collect();
    assert_eq!(rows.len(), built.len());
    // Columns by their headers (cards by accelerator sit before the total).
    let heads: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("th"))
        .map(|n| n.text().unwrap_or_default().to_string())
        .collect();
    let col = |h: &str| {
        heads
            .iter()
            .position(|x| x == h)
            .unwrap_or_else(|| panic!("no column {h:?} in {heads:?}"))
    };
    for r in &rows {
        let p = site_by_name(sites, &r[0]);
        assert_eq!(
            number(&r[col("cards")]),
            p["cards_total"].as_f64().unwrap(),
            "{r:?}"
        );
        for acc in ["h200", "ascend_910c"] {
            let cards = number(&r[col(&format!("{acc} cards"))]);
            assert_eq!(cards, p[format!("cards_{acc}")].as_f64().unwrap(), "{r:?}");
        }
        assert_eq!(r[col("cooling")], p["cooling"].as_str().unwrap(), "{r:?}");
        let cost = p["cost_per_card_year_cny"].as_f64().unwrap();
        assert_eq!(
            number(&r[col("CNY per H200-eq card-year")]),
            cost.round(),
            "{r:?}"
        );
    }
    let xml = section_xml(html, "why-not");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let rows = body_rows(&doc);
    assert_eq!(rows.len(), sites.len() - built.len());
    for r in &rows {
        let p = site_by_name(sites, &r[0]);
        assert_eq!(r[3], p["not_built_reason"].as_str().unwrap(), "{r:?}");
        match p["build_cost_gap_cny"].as_f64() {
            Some(g) => assert_eq!(number(&r[2].replace('−', "-")), (g / 1e5).round() / 10.0),
            None => assert_eq!(r[2], "–"),
        }
    }
}

/// The report's binding section: a heading per family of summary.json's
/// `binding_by_family`, each row's sentence with its raw id beside it.
fn check_binding(html: &str, summary: &Value) {
    let xml = section_xml(html, "binding");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let heads: Vec<roxmltree::Node> = doc.descendants().filter(|n| n.has_tag_name("h3")).collect();
    let groups = summary["binding_by_family"].as_array().unwrap();
    assert_eq!(heads.len(), groups.len());
    for (h, g) in heads.iter().zip(groups) {
        assert_eq!(h.attribute("data-family"), g["family"].as_str());
        let words = g["family_words"].as_str().unwrap();
        let title = h.text().unwrap().to_lowercase();
        assert!(
            title.starts_with(&words.to_lowercase()),
            "{title} / {words}"
        );
        let list = h.next_sibling_element().unwrap();
        let items: Vec<Vec<String>> = list
            .children()
            .filter(|c| c.is_element())
            .map(cells)
            .collect();
        let rows = g["rows_in_words"].as_array().unwrap();
        assert_eq!(items.len(), rows.len());
        for (item, row) in items.iter().zip(rows) {
            assert_eq!(item[0], row["sentence"].as_str().unwrap());
            assert_eq!(item[1], row["row"].as_str().unwrap());
            // The sentence names the row's words and, when priced, its price.
            assert!(item[0].contains(row["words"].as_str().unwrap()), "{item:?}");
            if let Some(v) = row["cny_per_unit"].as_f64() {
                let sp = summary["shadow_prices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| s["constraint"] == row["row"])
                    .unwrap();
                assert_eq!(sp["cny_per_unit"].as_f64(), Some(v));
            }
        }
    }
}

#[test]
fn the_report_has_the_sites_the_why_not_and_the_binding_rows_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    solve("models/small/baseline.toml", &out, &[]);
    let report = dir.path().join("plan.html");
    let o = dcsite(&[
        "report",
        out.to_str().unwrap(),
        "-o",
        report.to_str().unwrap(),
    ]);
    ok(&o, "report");
    let html = std::fs::read_to_string(&report).unwrap();
    let summary = read_json(&out.join("summary.json"));
    let sites = features(&out.join("sites.geojson"));
    check_site_tables(&html, &sites);
    check_binding(&html, &summary);
    // No raw id list in the headline any more.
    assert!(!html.contains("<p class=\"chips\">"));
}

/// regions.csv's `false` cells in its two proof columns.
fn unproven_in_regions_csv(out: &Path) -> u64 {
    let csv = std::fs::read_to_string(out.join("regions.csv")).unwrap();
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let cols: Vec<usize> = ["near_opt_min_proven", "near_opt_max_proven"]
        .iter()
        .map(|c| head.iter().position(|h| h == c).unwrap())
        .collect();
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            cols.iter().filter(|&&c| f[c] == "false").count() as u64
        })
        .sum()
}

#[test]
fn unproven_ends_are_counted_once_and_marked_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // A search budget too short to prove every end.
    let text = solve(
        "models/small/baseline.toml",
        &out,
        &["--near-optimal", "0.005", "--near-optimal-seconds", "0.2"],
    );
    let summary = read_json(&out.join("summary.json"));
    let near = &summary["near_optimal"];
    let counted = near["ends_not_proven"].as_u64().unwrap();
    assert_eq!(counted, unproven_in_regions_csv(&out), "{near}");
    // summary.json's own per-end flags agree.
    let flags: u64 = ["regions", "tiers", "clusters"]
        .iter()
        .flat_map(|k| near[k].as_object().unwrap().values())
        .map(|r| (r["min_proven"] == false) as u64 + (r["max_proven"] == false) as u64)
        .sum();
    assert_eq!(counted, flags);
    assert!(counted > 0, "a 0.2 s budget proved every end: {near}");
    // The terminal marks each of them, and says so in one count.
    let table = &text[text.find("near-optimal ranges").unwrap()..];
    assert_eq!(
        table.matches("(not proven)").count() as u64,
        counted,
        "{table}"
    );
    assert!(
        table.contains(&format!("{counted} ends of regions, tiers and clusters")),
        "{table}"
    );
    // "decided by cost" is never "yes" on a line with an unproven end.
    for l in table.lines().filter(|l| l.contains("(not proven)")) {
        assert!(!l.trim_end().ends_with("yes"), "{l}");
    }
    // The report marks the same ends.
    let report = dir.path().join("plan.html");
    ok(
        &dcsite(&[
            "report",
            out.to_str().unwrap(),
            "-o",
            report.to_str().unwrap(),
        ]),
        "report",
    );
    let html = std::fs::read_to_string(&report).unwrap();
    let xml = section_xml(&html, "near-optimal-ends");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let rows = body_rows(&doc);
    let marked: usize = rows
        .iter()
        .flatten()
        .filter(|c| c.contains("(not proven)"))
        .count();
    for r in rows
        .iter()
        .filter(|r| r.iter().any(|c| c.contains("(not proven)")))
    {
        assert_ne!(r[6], "yes", "{r:?}");
    }
    assert_eq!(marked as u64, counted);
    assert!(xml.contains(&format!(
        "{counted} ends of regions, tiers and clusters not proven"
    )));
}
