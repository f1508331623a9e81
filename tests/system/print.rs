//! The report printed: headless Chromium prints `report.html` to PDF
//! (`--print-to-pdf`, A4 landscape by default, A3 landscape when the page's
//! A3 button has set `data-paper="a3"`); poppler's `pdfinfo` gives the page
//! count and size, `pdftotext` the text, in which the headline figures (read
//! from summary.json and formatted here), the title block and the tables
//! that carry what tooltips show on screen must be found.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A4 and A3 landscape in PostScript points, as pdfinfo prints them.
const A4_LANDSCAPE: &str = "841.92 x 594.96 pts (A4)";
const A3_LANDSCAPE: &str = "1191.12 x 841.92 pts (A3)";

/// `html` printed to `pdf` by headless Chromium in a fresh profile, every
/// background network feature off; killed after two minutes.
fn print_to_pdf(html: &Path, pdf: &Path) {
    let profile = tempfile::tempdir().unwrap();
    let o = run_guarded(
        Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-pdf-header-footer",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(format!("file://{}", html.display())),
        120,
    );
    assert!(
        o.status.success() && pdf.is_file(),
        "chromium --print-to-pdf failed ({}): {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
}

/// pdfinfo's pages and page size of `pdf`.
fn pdf_pages(pdf: &Path) -> (usize, String) {
    let o = run_guarded(Command::new("pdfinfo").arg(pdf), 60);
    ok(&o, "pdfinfo (poppler-utils, installed by scripts/setup.sh)");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("no {k} in pdfinfo's output:\n{text}"))
    };
    (field("Pages:").parse().unwrap(), field("Page size:"))
}

/// The text of `pdf` (pdftotext, its lines as laid out on the page), every
/// run of white space made one space.
fn pdf_text(pdf: &Path) -> String {
    let txt = pdf.with_extension("txt");
    let o = run_guarded(
        Command::new("pdftotext").arg("-layout").arg(pdf).arg(&txt),
        60,
    );
    ok(&o, "pdftotext");
    let text = std::fs::read_to_string(&txt).unwrap();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `x` rounded to `decimals` with thousands separators and U+2212 for a
/// minus: the page's format, written again here.
fn grouped(x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out = format!("{out}.{f}");
    }
    if x < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out = format!("−{out}");
    }
    out
}

/// Solves `scenario` into a temporary folder (its report.html written by
/// solve); returns the folder.
fn solved(tmp: &Path, scenario: &str, name: &str) -> PathBuf {
    let out = tmp.join(name);
    ok(
        &dcsite(&["solve", scenario, "--out", out.to_str().unwrap(), "--quiet"]),
        "dcsite solve",
    );
    out
}

/// Checks what every printed page kind carries: the title block (scenario,
/// run, version, sources, the map note) and a page footer counting pages.
fn assert_title_block(text: &str, scenario: &str, pages: usize) {
    for want in [
        format!("scenario {scenario}"),
        format!("dcsite version {}", env!("CARGO_PKG_VERSION")),
        "run ".to_string(),
        "data/SOURCES.md".to_string(),
        "Maps on this page are schematic".to_string(),
        "approval number".to_string(),
        format!("page 1 of {pages}"),
        format!("page {pages} of {pages}"),
    ] {
        assert!(text.contains(&want), "{want:?} not in the printed text");
    }
    // No print control is printed.
    assert!(!text.contains("A3 landscape"), "print buttons printed");
}

#[test]
fn printed_baseline_has_its_headline_title_block_and_tables_on_a4_and_a3() {
    let tmp = tempfile::tempdir().unwrap();
    let out = solved(tmp.path(), "models/small/baseline.toml", "baseline");
    let html = out.join("report.html");
    let pdf = tmp.path().join("a4.pdf");
    print_to_pdf(&html, &pdf);
    let (pages, size) = pdf_pages(&pdf);
    assert_eq!(size, A4_LANDSCAPE);
    // Headline and title, map, sites and flows, why not, binding rows,
    // tables by region, tier and cluster: 6 pages today.
    assert!((4..=9).contains(&pages), "{pages} A4 pages");
    let text = pdf_text(&pdf);
    assert_title_block(&text, "baseline", pages);
    assert!(text.contains("when summary.json was written"));

    // The headline figures, read from summary.json.
    let s = read_json(&out.join("summary.json"));
    let f = |k: &str| s[k].as_f64().unwrap_or_else(|| panic!("{k}"));
    for want in [
        format!("{} bn CNY", grouped(f("objective_cny") / 1e9, 2)),
        grouped(f("cards_total"), 0),
        format!("{} MW", grouped(f("it_mw_total"), 1)),
        format!("{} bn CNY", grouped(f("capex_cny_total") / 1e9, 2)),
        format!(
            "{} bn CNY/yr",
            grouped(f("opex_cny_per_year_total") / 1e9, 2)
        ),
        format!("Sites built ({})", grouped(f("sites_built"), 0)),
    ] {
        assert!(text.contains(&want), "headline {want:?} not printed");
    }
    // What the map's tooltips carry is printed in tables: every built site
    // with its cards, every line's city and site, every unbuilt site.
    assert!(text.contains("In print, what the map's tooltips show"));
    for site in features(&out.join("sites.geojson")) {
        let p = &site["properties"];
        let name = p["name_en"].as_str().unwrap();
        // A long name may wrap in its cell: its first word is enough.
        let first = name.split_whitespace().next().unwrap();
        assert!(text.contains(first), "{name} not printed");
        if p["built"].as_bool() == Some(true) {
            let cards = grouped(p["cards_total"].as_f64().unwrap(), 0);
            assert!(text.contains(&cards), "{name}'s {cards} cards not printed");
        }
    }
    let flows = features(&out.join("flows.geojson"));
    assert!(text.contains(&format!("Demand served ({})", flows.len())));
    for flow in &flows {
        let cards = grouped(flow["properties"]["cards_h200_eq"].as_f64().unwrap(), 0);
        assert!(text.contains(&cards), "a flow of {cards} cards not printed");
    }

    // A3 landscape, as the page's A3 button sets it: fewer or as many pages.
    let page = std::fs::read_to_string(&html).unwrap();
    let a3_html = tmp.path().join("a3.html");
    std::fs::write(
        &a3_html,
        page.replacen(
            "<html lang=\"en\">",
            "<html lang=\"en\" data-paper=\"a3\">",
            1,
        ),
    )
    .unwrap();
    let a3 = tmp.path().join("a3.pdf");
    print_to_pdf(&a3_html, &a3);
    let (a3_pages, a3_size) = pdf_pages(&a3);
    assert_eq!(a3_size, A3_LANDSCAPE);
    assert!(
        (3..=pages).contains(&a3_pages),
        "{a3_pages} A3 pages against {pages} A4 pages"
    );
}

#[test]
fn printed_phased_plan_shows_calendar_months_and_every_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let out = solved(tmp.path(), "models/small/rollout_2026.toml", "rollout");
    let pdf = tmp.path().join("rollout.pdf");
    print_to_pdf(&out.join("report.html"), &pdf);
    let (pages, size) = pdf_pages(&pdf);
    assert_eq!(size, A4_LANDSCAPE);
    assert!((5..=12).contains(&pages), "{pages} A4 pages");
    let text = pdf_text(&pdf);
    assert_title_block(&text, "rollout_2026", pages);

    // Calendar months: month m of the schedule is January of start_year
    // plus m months.
    let s = read_json(&out.join("summary.json"));
    let year = s["schedule"]["start_year"].as_i64().expect("start_year");
    let calendar = |m: f64| {
        let m = m as i64;
        format!("{}-{:02}", year + m / 12, m % 12 + 1)
    };
    for p in s["schedule"]["periods"].as_array().unwrap() {
        let by = calendar(p["installed_by_month"].as_f64().unwrap());
        assert!(
            text.contains(&format!("installed by {by}")),
            "installed by {by}"
        );
        assert!(text.contains(&calendar(p["month"].as_f64().unwrap())));
    }
    // Every cluster's final cards and share of the cards installed (from
    // schedule.csv: its cluster, else its region), the smallest included;
    // both charts are printed.
    let mut by_group: std::collections::BTreeMap<String, f64> = Default::default();
    for r in csv_rows(&out.join("schedule.csv")) {
        let group = Some(&r["cluster_id"])
            .filter(|c| !c.is_empty())
            .unwrap_or(&r["region_id"]);
        *by_group.entry(group.clone()).or_default() += r["cards"].parse::<f64>().unwrap();
    }
    let total: f64 = by_group.values().sum();
    assert_eq!(total, s["cards_total"].as_f64().unwrap());
    assert!(text.contains("log scale") && text.contains("100 %"));
    for (id, cards) in &by_group {
        let share = format!("{id} {} %", grouped(100.0 * cards / total, 1));
        assert!(text.contains(&share), "{share:?} not printed");
        let legend = format!("{id} ({})", grouped(*cards, 0));
        assert!(text.contains(&legend), "{legend:?} not printed");
    }
}

#[test]
fn printed_comparison_has_its_title_block() {
    let tmp = tempfile::tempdir().unwrap();
    let html = tmp.path().join("comparison.html");
    ok(
        &dcsite(&[
            "report",
            "tests/fixtures/report_comparison",
            "-o",
            html.to_str().unwrap(),
        ]),
        "dcsite report",
    );
    let pdf = tmp.path().join("comparison.pdf");
    print_to_pdf(&html, &pdf);
    let (pages, size) = pdf_pages(&pdf);
    assert_eq!(size, A4_LANDSCAPE);
    assert!((3..=14).contains(&pages), "{pages} A4 pages");
    let text = pdf_text(&pdf);
    assert!(text.contains("dcsite comparison:"));
    assert_title_block(&text, "baseline vs", pages);
    assert!(text.contains("when comparison.csv was written"));
}
