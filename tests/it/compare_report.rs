//! `dcsite compare` with three scenarios (a delta per scenario in diff.geojson,
//! a style and a report map per pair), the provider / subsidy / resource cost
//! of each scenario recomputed from the plans `dcsite solve` writes, the
//! break-even exit code and level rounding, and a junk row in regions.csv.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

const SCENARIOS: [&str; 3] = ["baseline", "central_push", "west_domestic_power"];

/// One comparison of three scenarios for all tests of this file, and its stdout.
fn compared() -> &'static (PathBuf, String) {
    static CMP: OnceLock<(PathBuf, String)> = OnceLock::new();
    CMP.get_or_init(|| {
        let out = tmp("compare_report_cmp");
        let mut args = vec!["compare".to_string()];
        args.extend(SCENARIOS.iter().map(|s| format!("models/small/{s}.toml")));
        args.extend(["--out".into(), out.display().to_string(), "--force".into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = dcsite(&args);
        ok(&o, "dcsite compare");
        (out, String::from_utf8(o.stdout).unwrap())
    })
}

/// `dcsite solve` of one scenario, once per scenario for all tests.
fn solved(scenario: &'static str) -> PathBuf {
    static DIRS: OnceLock<std::sync::Mutex<BTreeMap<&'static str, PathBuf>>> = OnceLock::new();
    let dirs = DIRS.get_or_init(Default::default);
    let mut dirs = dirs.lock().unwrap();
    dirs.entry(scenario)
        .or_insert_with(|| {
            let out = tmp(&format!("compare_report_{scenario}"));
            let o = dcsite(&[
                "solve",
                &format!("models/small/{scenario}.toml"),
                "--out",
                out.to_str().unwrap(),
                "--force",
                "--quiet",
            ]);
            ok(&o, "dcsite solve");
            out
        })
        .clone()
}

/// comparison.csv as (header, rows).
fn comparison(dir: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(dir.join("comparison.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn diff_has_a_delta_per_scenario_and_a_style_per_pair() {
    let (out, _) = compared();
    let diff = read_json(&out.join("diff.geojson"));
    let features = diff["features"].as_array().unwrap();
    assert_eq!(features.len(), 25);
    // Cards per site in each scenario, from `dcsite solve` of that scenario.
    let mut cards: BTreeMap<(&str, String), i64> = BTreeMap::new();
    for s in ["baseline", "central_push"] {
        let sites = read_json(&solved(s).join("sites.geojson"));
        for f in sites["features"].as_array().unwrap() {
            let p = &f["properties"];
            cards.insert(
                (s, p["site_id"].as_str().unwrap().to_string()),
                p["cards_total"].as_i64().unwrap(),
            );
        }
    }
    let mut changes = BTreeMap::new();
    for f in features {
        let p = &f["properties"];
        let id = p["site_id"].as_str().unwrap().to_string();
        for s in ["baseline", "central_push"] {
            assert_eq!(
                p[format!("cards_{s}")].as_i64().unwrap(),
                cards[&(s, id.clone())],
                "{id} in {s}"
            );
        }
        let base = p["cards_baseline"].as_i64().unwrap();
        assert!(p.get("delta_cards_baseline").is_none());
        for s in &SCENARIOS[1..] {
            let d = p[format!("cards_{s}")].as_i64().unwrap() - base;
            assert_eq!(
                p[format!("delta_cards_{s}")].as_i64().unwrap(),
                d,
                "{id} {s}"
            );
            let want = match d.signum() {
                1 => "gain",
                -1 => "loss",
                _ => "none",
            };
            assert_eq!(p[format!("change_{s}")], want, "{id} {s}");
            *changes.entry((*s, want)).or_insert(0) += 1;
        }
        // The plain fields are the second scenario against the first.
        assert_eq!(p["delta_cards"], p["delta_cards_central_push"]);
        assert_eq!(p["change"], p["change_central_push"]);
    }
    // Both pairs move cards, and differently: one delta could not show both.
    for s in &SCENARIOS[1..] {
        assert!(changes.contains_key(&(*s, "gain")), "{s}: {changes:?}");
        assert!(changes.contains_key(&(*s, "loss")), "{s}: {changes:?}");
    }
    assert!(features
        .iter()
        .any(|f| f["properties"]["delta_cards_central_push"]
            != f["properties"]["delta_cards_west_domestic_power"]));
    // GDAL reads the per-pair fields with their types.
    let o = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(out.join("diff.geojson"))
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&o.stdout);
    for f in [
        "delta_cards_central_push: Integer",
        "delta_cards_west_domestic_power: Integer",
        "change_west_domestic_power: String",
        "delta_cards: Integer",
        "change: String",
    ] {
        assert!(info.contains(f), "{f} not in {info}");
    }
    // diff.qml (applied by QGIS) draws central_push against baseline;
    // diff.west_domestic_power.qml the third scenario. Each says so.
    let qml = std::fs::read_to_string(out.join("diff.qml")).unwrap();
    assert!(qml.contains("&quot;delta_cards&quot; &gt; 0"));
    assert!(qml.contains("more cards in central_push than in baseline"));
    let third = std::fs::read_to_string(out.join("diff.west_domestic_power.qml")).unwrap();
    assert!(third.contains("&quot;delta_cards_west_domestic_power&quot; &gt; 0"));
    assert!(third.contains("more cards in west_domestic_power than in baseline"));
    assert!(!third.contains("&quot;delta_cards&quot;"));
    assert!(!out.join("diff.central_push.qml").exists());
    for q in [&qml, &third] {
        let opts = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        roxmltree::Document::parse_with_options(q, opts).expect("well-formed .qml");
    }

    // The report draws one change map per pair, titled with the pair.
    let html_file = out.join("cmp3.html");
    ok(
        &dcsite(&[
            "report",
            out.to_str().unwrap(),
            "-o",
            html_file.to_str().unwrap(),
        ]),
        "dcsite report",
    );
    common::assert_mode_0644(&html_file);
    common::assert_mode_0644(&out.join("diff.geojson"));
    common::assert_mode_0644(&out.join("comparison.csv"));
    let html = std::fs::read_to_string(&html_file).unwrap();
    for (id, s) in [
        ("diff-map", "central_push"),
        ("diff-map-3", "west_domestic_power"),
    ] {
        assert!(
            html.contains(&format!("<h3 class=\"pair\">{s} against baseline</h3>")),
            "no heading for {s}"
        );
        let start = html
            .find(&format!("<svg id=\"{id}\""))
            .unwrap_or_else(|| panic!("no map {id}"));
        let svg = &html[start..start + html[start..].find("</svg>").unwrap()];
        assert!(svg.contains(&format!("change in cards per site, {s} against baseline")));
        // One circle with a tooltip per site that gains (the legend's have none).
        let circles = |class: &str| {
            svg.split(&format!("<circle class=\"{class}\""))
                .skip(1)
                .filter(|rest| {
                    rest.split_once('>')
                        .is_some_and(|(_, r)| r.starts_with("<title>"))
                })
                .count()
        };
        assert_eq!(circles("gain"), changes[&(s, "gain")], "{s} gains");
        assert_eq!(circles("loss"), changes[&(s, "loss")], "{s} losses");
        assert!(svg.contains(">gain (more cards)<"), "{s}: legend");
        // Chinese labels by default (both texts written, CSS shows one).
        assert!(svg.contains("<text class=\"zh\""), "{s}: zh labels");
    }
    // One circle scale for the page: the same |change| has the same radius
    // on every map, so r / √|Δ| is one number (circles above the smallest
    // radius, written to 0.01 px).
    let mut ratios = Vec::new();
    for piece in html.split("<circle class=\"").skip(1) {
        if !(piece.starts_with("gain\"") || piece.starts_with("loss\"")) {
            continue;
        }
        let attr = |name: &str| -> Option<f64> {
            let rest = piece[..piece.find('>')?]
                .split(&format!(" {name}=\""))
                .nth(1)?;
            rest[..rest.find('"')?].parse().ok()
        };
        if let (Some(r), Some(d)) = (attr("r"), attr("data-delta")) {
            if r > 3.6 {
                ratios.push((r / d.abs().sqrt(), r, d));
            }
        }
    }
    assert!(ratios.len() >= 4, "{ratios:?}");
    let k = ratios[0].0;
    for (q, r, d) in &ratios {
        assert!((q / k - 1.0).abs() < 0.01, "r {r} for Δ {d}: {ratios:?}");
    }
    // The largest change on the page has the largest radius, 28 px.
    let max = ratios.iter().map(|t| t.2.abs()).fold(0.0, f64::max);
    assert!((k * max.sqrt() - 28.0).abs() < 0.02, "{k} {max}");
    // The scale bar and the north arrow on every map, the legend in the
    // side panel.
    assert_eq!(html.matches("<g class=\"scalebar\"").count(), 2);
    assert_eq!(html.matches("<g class=\"north\"").count(), 2);
}

/// Annuity factor: present value of 1 CNY a year over the horizon.
fn annuity(years: u32, rate: f64) -> f64 {
    (1..=years).map(|t| (1.0 + rate).powi(-(t as i32))).sum()
}

/// (provider cost, subsidy paid, resource cost) of a solved folder, recomputed
/// from sites.geojson and flows.geojson: resource = Σ capex + AF × (Σ opex +
/// network cost per card-ms-year × Σ cards × RTT); subsidy = Σ site subsidy;
/// provider = resource − subsidy.
fn recomputed(dir: &Path, scenario: &str) -> (f64, f64, f64) {
    let (_, inst, _) =
        dcsite::data::load(&root().join(format!("models/small/{scenario}.toml"))).unwrap();
    let pr = &inst.params;
    let af = annuity(pr.horizon_years, pr.discount_rate);
    let summary = read_json(&dir.join("summary.json"));
    assert!((summary["annuity_factor"].as_f64().unwrap() - af).abs() < 1e-6);
    let sites = read_json(&dir.join("sites.geojson"));
    let (mut capex, mut opex, mut subsidy) = (0.0, 0.0, 0.0);
    for f in sites["features"].as_array().unwrap() {
        let p = &f["properties"];
        capex += p["capex_cny"].as_f64().unwrap();
        opex += p["opex_cny_per_year"].as_f64().unwrap();
        subsidy += p["subsidy_cny"].as_f64().unwrap();
    }
    let flows = read_json(&dir.join("flows.geojson"));
    let card_ms: f64 = flows["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["properties"]["cards_h200_eq"].as_f64().unwrap()
                * f["properties"]["rtt_ms"].as_f64().unwrap()
        })
        .sum();
    let resource = capex + af * (opex + pr.network_cny_per_card_ms_year * card_ms);
    // The programmes' own account of what they paid agrees with the sites'.
    let paid: f64 = summary["subsidies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["npv_cny"].as_f64().unwrap())
        .sum();
    assert!((paid - subsidy).abs() <= 50.0, "{paid} vs {subsidy}");
    (resource - subsidy, subsidy, resource)
}

#[test]
fn comparison_reports_provider_subsidy_and_resource_cost_per_scenario() {
    let (out, stdout) = compared();
    let (header, rows) = comparison(out);
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} in {header:?}"))
    };
    let total = |s: &str| {
        rows.iter()
            .find(|r| r[col("level")] == "total" && r[col("scenario")] == s)
            .unwrap()
            .clone()
    };
    let num = |r: &Vec<String>, c: &str| -> f64 { r[col(c)].parse().unwrap() };
    // Only the total rows carry the scenario-wide costs.
    for r in rows.iter().filter(|r| r[col("level")] != "total") {
        assert_eq!(r[col("objective_cny")], "", "{r:?}");
        assert_eq!(r[col("resource_cost_cny")], "", "{r:?}");
    }
    let mut costs = BTreeMap::new();
    for s in ["baseline", "central_push"] {
        let r = total(s);
        let (provider, subsidy, resource) = recomputed(&solved(s), s);
        let got = (
            num(&r, "objective_cny"),
            num(&r, "subsidy_paid_cny"),
            num(&r, "resource_cost_cny"),
        );
        eprintln!(
            "{s}: provider {:.0} (recomputed {provider:.0}), subsidy {:.0} ({subsidy:.0}), \
             resource {:.0} ({resource:.0})",
            got.0, got.1, got.2
        );
        // Whole CNY per site and 0.1 card × 0.001 ms per flow in the files:
        // agreement to 2e-7 of the total (about 50,000 CNY of 230 bn).
        let tol = 2e-7 * resource;
        assert!((got.0 - provider).abs() <= tol, "{s}: provider");
        assert!((got.1 - subsidy).abs() <= 50.0, "{s}: subsidy");
        assert!((got.2 - resource).abs() <= tol, "{s}: resource");
        assert!((got.2 - (got.0 + got.1)).abs() <= 1.0);
        // The same objective as `dcsite solve` reports, and the same subsidy
        // as the total row's subsidy_cny.
        let summary = read_json(&solved(s).join("summary.json"));
        assert!((got.0 - summary["objective_cny"].as_f64().unwrap()).abs() <= 1.0);
        assert!((got.1 - num(&r, "subsidy_cny")).abs() <= 1.0);
        costs.insert(s, got);
    }
    let (b, c) = (costs["baseline"], costs["central_push"]);
    assert_eq!(b.1, 0.0, "the baseline pays no subsidy");
    let r = total("central_push");
    assert_eq!(num(&r, "delta_objective_cny"), c.0 - b.0);
    assert_eq!(num(&r, "delta_subsidy_paid_cny"), c.1 - b.1);
    assert_eq!(num(&r, "delta_resource_cost_cny"), c.2 - b.2);
    assert_eq!(num(&total("baseline"), "delta_resource_cost_cny"), 0.0);
    eprintln!(
        "central_push vs baseline: provider {:+.3} bn, subsidy {:+.3} bn, resource {:+.3} bn",
        (c.0 - b.0) / 1e9,
        (c.1 - b.1) / 1e9,
        (c.2 - b.2) / 1e9
    );
    // The package lowers the provider's cost, pays more than that, and so
    // costs the country more (issue 9: −8.87 bn, 10.98 bn, +2.1 bn).
    assert!(c.0 < b.0 && c.1 > b.0 - c.0 && c.2 > b.2);
    // On screen: one line per scenario in bn CNY, with the changes against A.
    let line = stdout
        .lines()
        .find(|l| l.starts_with("B central_push"))
        .unwrap_or_else(|| panic!("no cost line for B in {stdout}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    let bn = |x: f64| format!("{:.2}", x / 1e9);
    let sbn = |x: f64| format!("{:+.2}", x / 1e9);
    assert_eq!(
        cells[2..],
        [
            bn(c.0),
            bn(c.1),
            bn(c.2),
            sbn(c.0 - b.0),
            sbn(c.1 - b.1),
            sbn(c.2 - b.2)
        ],
        "{line}"
    );
    assert!(stdout.contains("resource cost = provider cost + subsidy paid"));
}

#[test]
fn breakeven_without_a_level_exits_5_and_levels_are_rounded() {
    let dir = tempfile::tempdir().unwrap();
    // Beijing-Tianjin-Hebei cannot host 300k cards at any power discount.
    let curve = dir.path().join("jjj.csv");
    let o = dcsite(&[
        "breakeven",
        "models/small/baseline.toml",
        "--region",
        "jjj",
        "--cards",
        "300000",
        // The subsidies.csv spelling is accepted as an alias.
        "--lever",
        "electricity_cny_per_kwh",
        "--out",
        curve.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stdout.contains("no level of electricity-cny-per-kwh up to"),
        "{stdout}"
    );
    assert!(stdout.contains("region-energy-quota-jjj"), "{stdout}");
    assert!(
        stderr.contains("no level of electricity-cny-per-kwh"),
        "{stderr}"
    );
    assert!(!stdout.contains("electricity_cny_per_kwh") && !stderr.contains("electricity_cny"));
    let text = std::fs::read_to_string(&curve).unwrap();
    assert!(text.starts_with("lever,level,cards_in_place,"), "{text}");
    assert!(text.lines().count() == 6, "{text}");
    // Written like every other file (it was 0600, a temporary file's mode).
    common::assert_mode_0644(&curve);

    // A bisection on a share lever: every level has the three decimals a
    // tolerance of 0.005 justifies, and is a multiple of 0.001.
    let curve = dir.path().join("gansu.csv");
    let o = dcsite(&[
        "breakeven",
        "models/small/baseline.toml",
        "--region",
        "gansu",
        "--cards",
        "50000",
        "--lever",
        "electricity-share",
        "--out",
        curve.to_str().unwrap(),
    ]);
    ok(&o, "dcsite breakeven");
    let stdout = String::from_utf8_lossy(&o.stdout);
    let shown = stdout
        .split("electricity-share = ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no level in {stdout}"));
    assert_eq!(shown.split('.').nth(1).map(str::len), Some(3), "{stdout}");
    let text = std::fs::read_to_string(&curve).unwrap();
    let mut points: Vec<(f64, u64)> = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[0], "electricity-share");
        assert_eq!(f[1].split('.').nth(1).map(str::len), Some(3), "{line}");
        let level: f64 = f[1].parse().unwrap();
        assert!(
            ((level * 1000.0).round() - level * 1000.0).abs() < 1e-9,
            "{line}"
        );
        points.push((level, f[2].parse().unwrap()));
    }
    assert!(points.len() > 5, "the search bisected: {text}");
    // The level shown is in the curve, enough, and the level below it is not.
    let level: f64 = shown.parse().unwrap();
    let at = points
        .iter()
        .position(|p| p.0 == level)
        .expect("in the curve");
    assert!(points[at].1 >= 50_000);
    assert!(at > 0 && points[at - 1].1 < 50_000);
    assert!(level - points[at - 1].0 <= 0.005 + 1e-12);
}

#[test]
fn a_junk_row_in_regions_csv_is_an_input_error_naming_row_and_column() {
    let src = solved("baseline");
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        // The solve's own page is left behind: the report is drawn anew.
        if e.file_name() != "report.html" {
            std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
        }
    }
    let regions = dir.path().join("regions.csv");
    let good = std::fs::read_to_string(&regions).unwrap();
    let junk_row = good.lines().count() + 1;
    for (junk, column) in [
        ("this is not a row of regions.csv\n", "level"),
        ("region,,,,\n", "id"),
        ("tier,core,core,core,1\n", "cards_total"),
    ] {
        std::fs::write(&regions, format!("{good}{junk}")).unwrap();
        let o = dcsite(&["report", dir.path().to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{junk:?}: {err}");
        assert!(
            err.contains("regions.csv")
                && err.contains(&format!("row {junk_row}"))
                && err.contains(&format!("column {column}")),
            "{junk:?}: {err}"
        );
        assert!(!dir.path().join("report.html").exists());
    }
    // The file as written is fine.
    std::fs::write(&regions, &good).unwrap();
    ok(
        &dcsite(&["report", dir.path().to_str().unwrap()]),
        "dcsite report",
    );
}

/// `compare --near-optimal`: every region and tier line carries its scenario's
/// near-optimal range, and `robust_change` (recomputed here from the ranges of
/// the reference line and the scenario's line) says which changes no choice of
/// near-optimal plans can undo; the terminal says it in words.
#[test]
fn compare_near_optimal_marks_changes_that_survive_ties() {
    let out = tmp("compare_report_near");
    let o = dcsite(&[
        "compare",
        "models/small/baseline.toml",
        "models/small/central_push.toml",
        "--near-optimal",
        "0.002",
        "--out",
        out.to_str().unwrap(),
        "--force",
    ]);
    ok(&o, "dcsite compare --near-optimal");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("B against A, with near-optimal ranges"),
        "{text}"
    );
    let (head, rows) = comparison(&out);
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let (lvl, id, scen, total, lo, hi, rc, delta) = (
        col("level"),
        col("id"),
        col("scenario"),
        col("cards_total"),
        col("cards_min_near_opt"),
        col("cards_max_near_opt"),
        col("robust_change"),
        col("delta_cards_total"),
    );
    let num = |s: &str| s.parse::<f64>().unwrap();
    let mut checked = 0;
    for r in rows
        .iter()
        .filter(|r| r[lvl] == "region" || r[lvl] == "tier")
    {
        // The optimal cards lie in the range (one 8-card server of slack).
        assert!(num(&r[lo]) - 8.0 <= num(&r[total]) && num(&r[total]) <= num(&r[hi]) + 8.0);
        if r[scen] != "central_push" {
            assert!(r[rc].is_empty(), "no change for the reference: {r:?}");
            continue;
        }
        let reference = rows
            .iter()
            .find(|x| x[lvl] == r[lvl] && x[id] == r[id] && x[scen] == "baseline")
            .unwrap();
        let want = if num(&r[lo]) > num(&reference[hi]) {
            "gain"
        } else if num(&r[hi]) < num(&reference[lo]) {
            "loss"
        } else {
            "within ties"
        };
        assert_eq!(r[rc], want, "{r:?}");
        if want != "within ties" && r[lvl] == "region" {
            // A robust change is a change of the optimal plans too.
            assert_ne!(num(&r[delta]), 0.0, "{r:?}");
            assert!(text.contains(&format!("{} ", r[id])), "{text}");
        }
        checked += 1;
    }
    assert_eq!(checked, 11 + 3);
}
