//! Issue 25 item 5: every command that writes a folder writes its
//! report.html into it (built from the staged folder, so the folder appears
//! with its report), `--no-report` skips it, and `dcsite report` reads every
//! kind of folder: solve (also `--near-optimal` and a phased plan), compare
//! (also `--near-optimal`, whose `robust_change` words are text), sweep,
//! a two-shard sweep and its collect, implied. Each page names something of
//! its folder read back from the folder's own files.

use crate::common;

use std::path::{Path, PathBuf};

use common::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs a command that writes `dir` and checks what every kind of folder
/// must hold: report.html written by the command (0644, loading nothing),
/// naming each of `names`; `dcsite report DIR -o other.html` exits 0 and
/// draws the same page from the same files; `dcsite report DIR` refuses to
/// replace the command's page without --force (and says how). Returns the page.
fn check_folder(dir: &Path, names: &[&str], what: &str) -> String {
    let file = dir.join("report.html");
    assert!(file.is_file(), "{what}: the command wrote no report.html");
    assert_mode_0644(&file);
    let page = std::fs::read_to_string(&file).unwrap();
    assert!(page.ends_with("</html>\n"), "{what}: a whole page");
    let lower = page.to_ascii_lowercase();
    assert!(
        !lower.contains("http://") && !lower.contains("https://") && !lower.contains("<script src"),
        "{what}: the page loads something"
    );
    for n in names {
        assert!(page.contains(n), "{what}: the page does not name {n:?}");
    }
    // The staged folder's name never shows: the page names the folder.
    assert!(!page.contains(".dcsite-staging"), "{what}: staging name");
    let other = dir.parent().unwrap().join(format!(
        "{}-again.html",
        dir.file_name().unwrap().to_string_lossy()
    ));
    ok(
        &dcsite(&["report", s(dir), "-o", s(&other)]),
        &format!("dcsite report {what} -o"),
    );
    assert_eq!(
        std::fs::read_to_string(&other).unwrap(),
        page,
        "{what}: the command's page and `dcsite report`'s differ"
    );
    let o = dcsite(&["report", s(dir)]);
    assert_eq!(o.status.code(), Some(2), "{what}: replaced without --force");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("report.html") && err.contains("--force") && err.contains("-o"),
        "{err}"
    );
    ok(
        &dcsite(&["report", s(dir), "--force"]),
        &format!("dcsite report {what} --force"),
    );
    page
}

/// The maps of a page (`n` of them): each with the province boundaries, a
/// scale bar, a north arrow and its legend in the side panel right of the
/// map frame (960 units wide; every site circle left of it), labels in
/// Chinese and English; the page's label switch once, Chinese checked.
/// Returns the maps' SVG.
fn check_maps<'a>(page: &'a str, n: usize, what: &str) -> Vec<&'a str> {
    let maps: Vec<&str> = page
        .split("<svg id=\"")
        .skip(1)
        .filter(|m| m[..m.find('>').unwrap()].contains("class=\"map\""))
        .map(|m| &m[..m.find("</svg>").unwrap()])
        .collect();
    assert_eq!(maps.len(), n, "{what}: maps");
    assert_eq!(
        page.matches("id=\"map-lang-zh\" checked").count(),
        1,
        "{what}"
    );
    assert_eq!(page.matches("id=\"map-lang-en\"").count(), 1, "{what}");
    for m in &maps {
        // At least 31 provinces (the mainland's), each a path.
        let prov = &m[m.find("<g class=\"provinces\">").expect("provinces")..];
        let prov = &prov[..prov.find("</g>").unwrap()];
        assert!(
            prov.matches("<path d=\"M").count() >= 31,
            "{what}: provinces"
        );
        assert!(m.contains("<g class=\"scalebar\"") && m.contains("<g class=\"north\""));
        assert!(m.contains("<g class=\"legend\" transform=\"translate(960 0)\">"));
        for c in m.split("<circle class=\"").skip(1) {
            let tag = &c[..c.find('>').unwrap()];
            if let Some(x) = tag.split(" cx=\"").nth(1) {
                let x: f64 = x[..x.find('"').unwrap()].parse().unwrap();
                // Marks on the map have a tooltip; the legend's are closed
                // tags in the panel's own coordinates.
                if !tag.ends_with('/') {
                    assert!(x < 960.0, "{what}: a circle at x {x} in the panel");
                }
            }
        }
        assert!(
            m.contains("<text class=\"zh\"") == m.contains("<text class=\"en\""),
            "{what}: labels in both languages"
        );
    }
    maps
}

/// Every region id of a plan's regions.csv is a row of the page's region table.
fn names_every_region(dir: &Path, page: &str) -> usize {
    let regions: Vec<String> = csv_rows(&dir.join("regions.csv"))
        .into_iter()
        .filter(|r| r["level"] == "region")
        .map(|r| r["id"].clone())
        .collect();
    assert!(!regions.is_empty());
    for id in &regions {
        assert!(page.contains(&format!("<td>{id}</td>")), "region {id}");
    }
    regions.len()
}

#[test]
fn solve_writes_its_report_and_no_report_skips_it() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("baseline");
    let args = [
        "solve",
        "models/small/baseline.toml",
        "--mip-gap",
        "0.05",
        "--quiet",
    ];
    ok(&dcsite(&[&args[..], &["--out", s(&out)]].concat()), "solve");
    let page = check_folder(&out, &["target-min-h200", "baseline"], "solve");
    assert!(page.len() < 400_000, "{} bytes", page.len());
    assert!(page.contains("<table id=\"region-table\""));
    names_every_region(&out, &page);
    let map = check_maps(&page, 1, "solve")[0];
    // Chinese names of built sites and of the largest demand cities.
    assert!(map.contains(">乌兰察布</text>") && map.contains(">Ulanqab (Jining)</text>"));
    assert!(map.contains("<g class=\"labels city-labels\">") && map.contains(">上海</text>"));
    // Reach as outlines, not discs.
    assert!(map.contains("<g class=\"reach\">\n<path") && !map.contains("fill-opacity"));
    assert!(map.contains("fill=\"none\" stroke=\"#1f77b4\""));
    // Shading by planning cluster (summary.json's clusters) and by cards:
    // one key each, a colour for every province of a region in a cluster.
    assert!(page.contains("id=\"map-shade-cluster\"") && page.contains("id=\"map-shade-cards\""));
    assert!(map.contains("shade-key cluster") && map.contains(">京津冀蒙<"));
    assert!(map.contains("data-region=\"inner_mongolia\" style=\"--fc:"));

    let bare = t.path().join("bare");
    ok(
        &dcsite(&[&args[..], &["--out", s(&bare), "--no-report"]].concat()),
        "solve --no-report",
    );
    assert!(bare.join("summary.json").is_file());
    assert!(!bare.join("report.html").exists(), "--no-report wrote one");
    // A folder without one gets it from `dcsite report DIR`, no --force needed.
    ok(&dcsite(&["report", s(&bare)]), "report after --no-report");
    assert!(bare.join("report.html").is_file());
}

#[test]
fn solve_near_optimal_writes_the_range_chart() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("near");
    ok(
        &dcsite(&[
            "solve",
            "models/small/baseline.toml",
            "--near-optimal",
            "0.002",
            "--out",
            s(&out),
            "--quiet",
        ]),
        "solve --near-optimal",
    );
    let page = check_folder(&out, &["id=\"near-optimal-chart\""], "solve --near-optimal");
    // One range bar per region of regions.csv with both range columns.
    let ranged = csv_rows(&out.join("regions.csv"))
        .into_iter()
        .filter(|r| {
            r["level"] == "region"
                && !r["cards_min_near_opt"].is_empty()
                && !r["cards_max_near_opt"].is_empty()
        })
        .count();
    let chart = &page[page.find("id=\"near-optimal-chart\"").unwrap()..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    assert_eq!(chart.matches("<rect class=\"range").count() - 2, ranged);
}

#[test]
fn a_phased_plan_writes_its_timeline() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("rollout");
    ok(
        &dcsite(&[
            "solve",
            "models/small/rollout_2026.toml",
            "--out",
            s(&out),
            "--quiet",
        ]),
        "solve rollout_2026",
    );
    assert!(out.join("schedule.csv").is_file());
    let mut clusters: Vec<String> = csv_rows(&out.join("schedule.csv"))
        .into_iter()
        .map(|r| r["cluster_id"].clone())
        .collect();
    clusters.sort();
    clusters.dedup();
    let page = check_folder(&out, &["<section id=\"timeline\">"], "phased plan");
    for c in &clusters {
        assert!(page.contains(c.as_str()), "cluster {c} of schedule.csv");
    }
}

/// `compare` (with `near` the share of `--near-optimal`) of the baseline and
/// central_push into `out`.
fn compare(out: &Path, near: Option<&str>) {
    let mut args = vec![
        "compare",
        "models/small/baseline.toml",
        "models/small/central_push.toml",
        "--mip-gap",
        "0.01",
        "--out",
        s(out),
        "--quiet",
    ];
    if let Some(share) = near {
        args.extend(["--near-optimal", share]);
    }
    ok(&dcsite(&args), "compare");
}

#[test]
fn compare_writes_its_report() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("cmp");
    compare(&out, None);
    let page = check_folder(
        &out,
        &[
            "dcsite comparison: baseline vs central_push",
            "id=\"comparison-chart\"",
        ],
        "compare",
    );
    assert!(
        !page.contains("comparison-robust"),
        "no ranges, no verdicts"
    );
    check_maps(&page, 1, "compare");
}

/// The words of comparison.csv's `robust_change` are read as text (the
/// report used to fail with exit 2 on every such folder) and shown: for each
/// region of central_push, the word the page gives is the one recomputed
/// from the two scenarios' ranges in comparison.csv.
#[test]
fn compare_near_optimal_shows_which_changes_survive_the_ties() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("cmp-near");
    compare(&out, Some("0.002"));
    let page = check_folder(
        &out,
        &["Does the change survive near-optimal ties?", "central_push"],
        "compare --near-optimal",
    );
    let rows: Vec<_> = csv_rows(&out.join("comparison.csv"))
        .into_iter()
        .filter(|r| r["level"] == "region")
        .collect();
    let range = |id: &str, sc: &str| {
        let r = rows
            .iter()
            .find(|r| r["id"] == id && r["scenario"] == sc)
            .unwrap();
        let n = |c: &str| r[c].parse::<f64>().unwrap();
        (n("cards_min_near_opt"), n("cards_max_near_opt"))
    };
    let table = &page[page.find("<table id=\"comparison-robust\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let mut checked = 0;
    for r in rows.iter().filter(|r| r["scenario"] == "central_push") {
        let (lo, hi) = range(&r["id"], "central_push");
        let (ref_lo, ref_hi) = range(&r["id"], "baseline");
        let word = if lo > ref_hi {
            "gain"
        } else if hi < ref_lo {
            "loss"
        } else {
            "within ties"
        };
        assert_eq!(r["robust_change"], word, "comparison.csv, {}", r["id"]);
        let row = table
            .split("<tr>")
            .find(|tr| tr.starts_with(&format!("<td>{}</td>", r["id"])))
            .unwrap_or_else(|| panic!("no row for {}", r["id"]));
        assert!(row.contains(&format!("<td>{word}</td></tr>")), "{row}");
        checked += 1;
    }
    assert!(checked >= 10, "{checked} regions checked");
    // A word that is none of the three is an input error naming its cell.
    let csv = out.join("comparison.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(&csv, text.replacen(",within ties,", ",perhaps,", 1)).unwrap();
    let o = dcsite(&["report", s(&out), "-o", s(&t.path().join("bad.html"))]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("comparison.csv")
            && err.contains("column robust_change")
            && err.contains("\"perhaps\""),
        "{err}"
    );
}

/// A sweep file of two samples of the baseline's prices in `dir`.
fn small_sweep(dir: &Path) -> PathBuf {
    let path = dir.join("small_prices.toml");
    std::fs::write(
        &path,
        format!(
            "base = \"{}\"\nsamples = 2\nseed = 3\nsampling = \"lhs\"\n[vary]\n\
             \"electricity_prices.*.price_cny_per_kwh\" = {{ dist = \"uniform\", from_columns = [\"low\", \"high\"] }}\n",
            root().join("models/small/baseline.toml").display()
        ),
    )
    .unwrap();
    path
}

#[test]
fn sweep_and_sweep_collect_write_their_reports_and_a_shard_none() {
    let t = tempfile::tempdir().unwrap();
    let sweep = small_sweep(t.path());
    let gap = ["--mip-gap", "0.05", "--jobs", "1", "--regret-plans", "2"];
    let whole = t.path().join("whole");
    let args = ["sweep", s(&sweep), "--out", s(&whole), "--quiet"];
    ok(&dcsite(&[&args[..], &gap[..]].concat()), "sweep");
    let regions = csv_rows(&whole.join("robust.csv"));
    let id = regions[0]["id"].clone();
    let page = check_folder(&whole, &["small_prices.toml", &id], "sweep");
    // The probability map: labels for the sites ever built, a legend with
    // the classes of robust.qml.
    let map = check_maps(&page, 1, "sweep")[0];
    let labels = &map[map.find("<g class=\"labels\">").expect("site labels")..];
    assert!(labels.contains("<text class=\"zh\"") && labels.contains(" %</text>"));
    assert!(map.contains(">over 75 %<") && map.contains(">never built<"));

    let sharded = t.path().join("sharded");
    for shard in ["0/2", "1/2"] {
        let args = ["sweep", s(&sweep), "--out", s(&sharded), "--shard", shard];
        ok(
            &dcsite(&[&args[..], &["--quiet"], &gap[..]].concat()),
            "a shard",
        );
        assert!(!sharded.join("report.html").exists(), "a shard wrote one");
    }
    // A folder of shards only: the report says what to run.
    let o = dcsite(&["report", s(&sharded), "-o", s(&t.path().join("x.html"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("sweep collect"));
    let args = ["sweep", "collect", s(&sharded), "--quiet"];
    ok(&dcsite(&[&args[..], &gap[..]].concat()), "sweep collect");
    let page = check_folder(&sharded, &["small_prices.toml", &id], "sweep collect");
    // The merged files are those of the one-process sweep: so is the page,
    // but for the date of the run in its title block.
    let undated = |page: &str| -> String {
        let start = page.find("<time ").expect("the title block's run date");
        let end = start + page[start..].find("</time>").unwrap();
        format!("{}{}", &page[..start], &page[end..])
    };
    assert_eq!(
        undated(&page),
        undated(&std::fs::read_to_string(whole.join("report.html")).unwrap())
    );
}

#[test]
fn implied_writes_its_report_with_out() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("implied");
    ok(
        &dcsite(&[
            "implied",
            "models/small/forecast_2028_gba_energy.toml",
            "--ranges",
            "models/small/forecast_ranges.csv",
            "--out",
            s(&out),
            "--quiet",
        ]),
        "implied",
    );
    let page = check_folder(
        &out,
        &["<table id=\"region-table\"", "<table id=\"implied-table\""],
        "implied",
    );
    names_every_region(&out, &page);
    // Every range of implied.csv is a row of the implied table, and the
    // extra cost over the free optimum is the file's, in bn CNY.
    let table = &page[page.find("<table id=\"implied-table\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let rows = csv_rows(&out.join("implied.csv"));
    for r in rows.iter().filter(|r| r["level"] != "total") {
        assert!(
            table.contains(&format!("<td>{}</td>", r["id"])),
            "{}",
            r["id"]
        );
    }
    let total = rows.iter().find(|r| r["level"] == "total").unwrap();
    let extra: f64 = total["extra_cost_cny"].parse().unwrap();
    let shown = format!("costs {:.3} bn CNY more", extra / 1e9).replace('-', "−");
    assert!(page.contains(&shown), "{shown}");
}

// `dcsite offer` writes report.html too: tests/system/offer_page.rs runs the
// Ningxia offer, checks the page the command wrote against `dcsite report -o`
// and drives its slider in Chromium.
