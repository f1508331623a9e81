//! `dcsite report`: the HTML of a solved baseline and of a comparison
//! fixture is self-contained (nothing to fetch), and headless Chromium
//! renders it with the map, the site circles, the region table and the
//! comparison chart. Bad folders are input errors (exit 2) naming the file.

use crate::common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Asserts that the page loads nothing from anywhere: no remote URL in a
/// `src`/`href`/`url(...)`, no script file, no linked style sheet, no import.
fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "src=\"http://",
        "src=\"https://",
        "href=\"http://",
        "href=\"https://",
        "src='http",
        "href='http",
        "<script src",
        "<link",
        "@import",
        "url(",
        "<iframe",
        "<img",
    ] {
        assert!(!lower.contains(bad), "the report contains {bad:?}");
    }
    // Not even a namespace URL: inline SVG in HTML needs none.
    assert!(!lower.contains("http://") && !lower.contains("https://"));
}

/// Chromium's DOM after rendering `file`, in a fresh profile with every
/// background network feature off; killed after two minutes.
fn chromium_dom(file: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium is installed by scripts/setup.sh");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium --dump-dom did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let dom = out.join().unwrap().expect("chromium prints UTF-8");
    let err = err.join().unwrap();
    assert!(
        status.success(),
        "chromium --dump-dom failed ({status}): {err}"
    );
    assert!(dom.contains("</html>"), "no DOM dumped: {dom:.300}");
    dom
}

#[test]
fn baseline_report_is_self_contained_and_renders_map_and_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("baseline");
    ok(
        &dcsite(&[
            "solve",
            "models/small/baseline.toml",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--no-report",
        ]),
        "dcsite solve",
    );
    let o = dcsite(&["report", out.to_str().unwrap()]);
    ok(&o, "dcsite report");
    let file = out.join("report.html");
    assert!(String::from_utf8_lossy(&o.stdout).contains("report.html"));
    for f in [&file, &out.join("sites.geojson"), &out.join("summary.json")] {
        assert_mode_0644(f);
    }
    let html = std::fs::read_to_string(&file).unwrap();
    assert_self_contained(&html);
    assert!(html.len() < 200_000, "report is {} bytes", html.len());
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".dcsite-report")),
        "{names:?}"
    );
    // Same input, same page.
    let again = dir.path().join("again.html");
    ok(
        &dcsite(&[
            "report",
            out.to_str().unwrap(),
            "-o",
            again.to_str().unwrap(),
        ]),
        "dcsite report -o",
    );
    assert_eq!(std::fs::read_to_string(&again).unwrap(), html);

    let dom = chromium_dom(&file);
    assert!(dom.contains("<svg id=\"plan-map\""), "no map in the DOM");
    // The outline (mainland and Taiwan), reach areas, flows, site circles.
    assert!(dom.contains("<title>China</title>") && dom.contains("<title>Taiwan</title>"));
    // One circle with a tooltip per built site (the legend's have none).
    let sites: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sites.geojson")).unwrap()).unwrap();
    let built = sites["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["built"] == true)
        .count();
    let circles = dom
        .split("<circle class=\"site\"")
        .skip(1)
        .filter(|rest| {
            rest.split_once('>')
                .is_some_and(|(_, r)| r.starts_with("<title>"))
        })
        .count();
    assert!(built > 0);
    assert_eq!(circles, built, "site circles");
    assert!(dom.contains("<circle class=\"candidate\""));
    assert!(dom.contains("<g class=\"flows\">\n<path"));
    assert!(dom.contains("<g class=\"reach\">\n<path"));
    assert!(dom.contains("Ulanqab (Jining)</text>"), "built site label");
    // Province boundaries under the sites; labels in Chinese (checked by
    // default) and English.
    assert!(dom.contains("<g class=\"provinces\">\n<path"), "provinces");
    assert!(dom.contains("<text class=\"zh\"") && dom.contains(">乌兰察布</text>"));
    assert!(
        dom.contains("id=\"map-lang-zh\" checked=\"\""),
        "中文 checked"
    );
    // Tables by region and tier, headline figures.
    assert!(dom.contains("<table id=\"region-table\""));
    assert!(dom.contains("<td>inner_mongolia</td>"));
    // Escaped in the file, plain text in the DOM.
    assert!(html.contains("Xi&#39;an (Guanzhong)"));
    assert!(dom.contains("<td class=\"name\">Xi'an (Guanzhong)</td>"));
    assert!(dom.contains("<table id=\"tier-table\""));
    assert!(dom.contains("<td>frontier</td>"));
    assert!(dom.contains(">optimal<"));
    // A binding row in words, its raw id a small label beside them.
    assert!(dom.contains("<code class=\"rowid\">target-min-h200</code>"));
    assert!(dom.contains("each extra card of the h200 minimum costs"));
    assert!(!dom.contains("id=\"comparison-chart\""));
}

#[test]
fn comparison_fixture_renders_a_gain_and_loss_chart() {
    let fixture = root().join("tests/fixtures/report_comparison");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sub/comparison.html");
    ok(
        &dcsite(&[
            "report",
            fixture.to_str().unwrap(),
            "-o",
            file.to_str().unwrap(),
        ]),
        "dcsite report (comparison)",
    );
    let html = std::fs::read_to_string(&file).unwrap();
    assert_self_contained(&html);
    let dom = chromium_dom(&file);
    assert!(dom.contains("<svg id=\"comparison-chart\""), "no chart");
    // One bar per region and non-first scenario whose cards change; the
    // first scenario (the reference) has none.
    let csv = std::fs::read_to_string(fixture.join("comparison.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (level, scenario, delta) = (col("level"), col("scenario"), col("delta_cards_total"));
    let (mut gains, mut losses) = (0, 0);
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[level] != "region" || f[scenario] == "baseline" {
            continue;
        }
        let d: f64 = f[delta].parse().unwrap();
        if d > 0.0 {
            gains += 1;
        } else if d < 0.0 {
            losses += 1;
        }
    }
    assert!(gains > 0 && losses > 0, "the fixture has gains and losses");
    assert_eq!(dom.matches("<rect class=\"gain cbar\"").count(), gains);
    assert_eq!(dom.matches("<rect class=\"loss cbar\"").count(), losses);
    assert!(dom.contains(">+100,000<") && dom.contains(">−201,616<"));
    assert!(dom.contains("Wuhan / Central China"));
    assert!(dom.contains(">central_push<") && dom.contains(">west_domestic_power<"));
    // Accelerator columns are found by prefix.
    assert!(dom.contains(">ascend_910c cards<"));
    assert!(dom.contains("<table id=\"comparison-totals\""));
    // diff.geojson is drawn as a map with gains and losses.
    assert!(dom.contains("<svg id=\"diff-map\""));
    assert!(dom.contains("<circle class=\"loss\"") && dom.contains("<circle class=\"gain\""));
    // No solve files in the fixture: no plan map, no headline.
    assert!(!dom.contains("id=\"plan-map\"") && !dom.contains("id=\"headline\""));
}

#[test]
fn missing_or_malformed_inputs_are_input_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // No such folder.
    let o = dcsite(&["report", dir.path().join("nope").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    // An empty folder: summary.json is named.
    let o = dcsite(&["report", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("summary.json"));
    // A comparison with a bad number: file, row and column.
    let bad = dir.path().join("cmp");
    std::fs::create_dir_all(&bad).unwrap();
    let src = root().join("tests/fixtures/report_comparison/comparison.csv");
    let text = std::fs::read_to_string(src).unwrap();
    let text = text.replacen(",100000,", ",lots,", 1);
    std::fs::write(bad.join("comparison.csv"), text).unwrap();
    let o = dcsite(&["report", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("comparison.csv") && err.contains("\"lots\""),
        "{err}"
    );
    assert!(!bad.join("report.html").exists());
    // Malformed GeoJSON.
    std::fs::write(
        bad.join("comparison.csv"),
        std::fs::read_to_string(root().join("tests/fixtures/report_comparison/comparison.csv"))
            .unwrap(),
    )
    .unwrap();
    std::fs::write(bad.join("diff.geojson"), "{\"type\": \"FeatureCollection\"").unwrap();
    let o = dcsite(&["report", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("diff.geojson"));
}
