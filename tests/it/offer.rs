//! `dcsite offer` and `dcsite breakeven --cluster/--site`: every number a
//! planner reads checked by an independent computation (a `solve` of the
//! subsidy written as a scenario, re-solves below and at the break-even
//! level, a recount of samples.csv, a direct solve of a sample), shards
//! merged equal to one process, and bad flags exit 2.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use dcsite::milp::Prepared;
use dcsite::solve::SolveOptions;
use dcsite::study::breakeven::{self, Place, Spec};

/// The solver options of offer and breakeven (their default MIP gap).
fn opts() -> SolveOptions {
    SolveOptions {
        mip_gap: Some(breakeven::MIP_GAP),
        ..SolveOptions::default()
    }
}

fn baseline() -> Prepared {
    let (_, inst, _) = dcsite::data::load(&root().join("models/small/baseline.toml")).unwrap();
    Prepared::new(inst)
}

/// The rows of a CSV file as maps from column to cell.
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect()
}

/// `solve` of the baseline with a per-card grant of `level` written as a
/// scenario (a `[[subsidies]]` row per region of the place, or for the
/// site): (cards by site of `sites`, objective, what the grant pays).
fn solve_with_grant(
    dir: &Path,
    rows: &[(&str, &str)],
    level: f64,
    sites: &[&str],
) -> (BTreeMap<String, u64>, f64, f64) {
    let mut toml = format!(
        "extends = {:?}\nname = \"grant_check\"\n",
        root()
            .join("models/small/baseline.toml")
            .display()
            .to_string()
    );
    for (column, id) in rows {
        toml.push_str(&format!(
            "[[subsidies]]\nprogramme_id = \"grant_check\"\n{column} = \"{id}\"\nkind = \"per_card_cny\"\nvalue = {level}\napplies_to = \"all\"\n"
        ));
    }
    let file = dir.join("grant.toml");
    std::fs::write(&file, toml).unwrap();
    let out = dir.join("grant_out");
    let o = bin()
        .args([
            "solve",
            file.to_str().unwrap(),
            "--mip-gap",
            "1e-5",
            "--force",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    ok(&o, "dcsite solve of the grant");
    let summary = read_json(&out.join("summary.json"));
    let paid: f64 = summary["subsidies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["programme_id"] == "grant_check")
        .map(|s| s["npv_cny"].as_f64().unwrap())
        .sum();
    let mut cards = BTreeMap::new();
    for f in features(&out.join("sites.geojson")) {
        let p = &f["properties"];
        let id = p["site_id"].as_str().unwrap().to_string();
        let n = p["cards_total"].as_u64().unwrap();
        if sites.contains(&id.as_str()) && n > 0 {
            cards.insert(id, n);
        }
    }
    (cards, summary["objective_cny"].as_f64().unwrap(), paid)
}

/// Within the MIP gap of the solves (1e-5 of a cost of ~1e11 CNY), a little more.
fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 3e-5 * a.abs().max(b.abs()).max(1e9),
        "{what}: {a} vs {b}"
    );
}

#[test]
fn breakeven_at_a_site_reports_what_its_level_brings() {
    let dir = tempfile::tempdir().unwrap();
    let o = dcsite(&[
        "breakeven",
        "models/small/baseline.toml",
        "--site",
        "zhongwei",
        "--cards",
        "100000",
        "--lever",
        "per-card-cny",
        "--max-level",
        "8000",
        "--json",
    ]);
    ok(&o, "dcsite breakeven --site");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let level = v["level"].as_f64().expect("a level");
    let at = &v["at_level"];
    let zero = &v["no_offer"];
    assert!(at["cards_won"].as_u64().unwrap() >= 100_000, "{v}");
    // The level: enough at it, not enough one tolerance below (re-solves).
    let base = baseline();
    let spec = Spec {
        place: Place::Site("zhongwei".into()),
        cards: 100_000.0,
        lever: dcsite::domain::SubsidyKind::PerCardCny,
        applies_to: dcsite::domain::AppliesTo::All,
        max_level: Some(8000.0),
        tolerance: None,
    };
    let tol = v["tolerance"].as_f64().unwrap();
    let (below, _, _) = breakeven::evaluate(&base, &spec, level - tol, &opts()).unwrap();
    assert!(below.cards_in_place < 100_000, "{below:?}");
    let (again, _, _) = breakeven::evaluate(&base, &spec, level, &opts()).unwrap();
    assert!(again.cards_in_place >= 100_000, "{again:?}");
    // The numbers: a solve of the grant written as a scenario.
    let (cards, objective, paid) =
        solve_with_grant(dir.path(), &[("site_id", "zhongwei")], level, &["zhongwei"]);
    assert_eq!(
        cards.get("zhongwei").copied(),
        at["sites"][0]["cards"].as_u64(),
        "{v}"
    );
    close(at["subsidy_bill_cny"].as_f64().unwrap(), paid, "bill");
    close(
        at["provider_cost_cny"].as_f64().unwrap(),
        objective,
        "provider cost",
    );
    close(
        at["resource_cost_cny"].as_f64().unwrap(),
        objective + paid,
        "resource cost",
    );
    let change = objective + paid - zero["resource_cost_cny"].as_f64().unwrap();
    close(
        at["resource_change_cny"].as_f64().unwrap(),
        change,
        "resource change",
    );
    close(
        at["provider_change_cny"].as_f64().unwrap(),
        objective - zero["provider_cost_cny"].as_f64().unwrap(),
        "provider change",
    );
    let words = dcsite(&[
        "breakeven",
        "models/small/baseline.toml",
        "--site",
        "zhongwei",
        "--cards",
        "100000",
        "--lever",
        "per-card-cny",
        "--max-level",
        "8000",
    ]);
    let text = String::from_utf8_lossy(&words.stdout);
    assert!(
        text.contains("subsidy bill") && text.contains("cost to the country"),
        "{text}"
    );
}

#[test]
fn breakeven_and_offer_refuse_unknown_places_and_bad_flags() {
    let o = dcsite(&[
        "breakeven",
        "models/small/baseline.toml",
        "--cluster",
        "atlantis",
        "--cards",
        "1",
        "--lever",
        "per-card-cny",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("--cluster") && e.contains("atlantis") && e.contains("jingjinjimeng"),
        "{e}"
    );
    // Exactly one of --region, --cluster, --site.
    let o = dcsite(&[
        "breakeven",
        "models/small/baseline.toml",
        "--region",
        "ningxia",
        "--site",
        "zhongwei",
        "--cards",
        "1",
        "--lever",
        "per-card-cny",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let out = out.to_str().unwrap();
    let base = [
        "offer",
        "models/small/baseline.toml",
        "--lever",
        "per-card-cny",
        "--want",
        "1000",
        "--out",
        out,
    ];
    for (extra, said) in [
        (vec!["--for", "atlantis"], "atlantis"),
        (vec!["--for", "ningxia", "--levels", "-5"], "--levels"),
        (vec!["--for", "ningxia", "--levels", "1e300"], "--levels"),
        (vec!["--for", "ningxia", "--shard", "3/2"], "--shard"),
        (
            vec!["--for", "ningxia", "--near-optimal", "2"],
            "--near-optimal",
        ),
    ] {
        let mut a = base.to_vec();
        a.extend(extra);
        let o = dcsite(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(said), "{a:?}: {e}");
        assert!(!e.contains("panicked"), "{e}");
        assert!(!Path::new(out).exists());
    }
}

/// Runs an offer of Ningxia into `out` with `extra` flags; its offer.json.
fn offer(out: &Path, extra: &[&str]) -> serde_json::Value {
    let mut a = vec![
        "offer",
        "models/small/baseline.toml",
        "--for",
        "ningxia",
        "--lever",
        "per-card-cny",
        "--want",
        "100000",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    a.extend(extra);
    let o = dcsite(&a);
    ok(&o, "dcsite offer");
    read_json(&out.join("offer.json"))
}

#[test]
fn offer_numbers_are_recounted_and_re_solved() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ningxia");
    let v = offer(&out, &["--up-to", "6000", "--samples", "6", "--jobs", "2"]);
    assert_eq!(v["kind"], "offer");
    let want = 100_000u64;
    // The break-even level: among the levels, enough at it and not one tolerance below.
    let level = v["answers"]["breakeven_level"]
        .as_f64()
        .expect("a break-even level");
    let levels: Vec<f64> = v["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["level"].as_f64().unwrap())
        .collect();
    assert!(levels.contains(&level) && levels[0] == 0.0, "{levels:?}");
    let base = baseline();
    let spec = Spec {
        place: Place::Region("ningxia".into()),
        cards: want as f64,
        lever: dcsite::domain::SubsidyKind::PerCardCny,
        applies_to: dcsite::domain::AppliesTo::All,
        max_level: None,
        tolerance: None,
    };
    let tol = v["tolerance"].as_f64().unwrap();
    let (below, _, _) = breakeven::evaluate(&base, &spec, level - tol, &opts()).unwrap();
    assert!(below.cards_in_place < want, "{below:?}");
    // Bill and resource cost at that level: a solve of the grant as a scenario.
    let at = v["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["level"].as_f64() == Some(level))
        .unwrap();
    let ningxia_sites: Vec<&str> = v["place"]["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let (cards, objective, paid) = solve_with_grant(
        dir.path(),
        &[("region_id", "ningxia")],
        level,
        &ningxia_sites,
    );
    assert_eq!(
        cards.values().sum::<u64>(),
        at["base"]["cards_won"].as_u64().unwrap()
    );
    assert!(cards.values().sum::<u64>() >= want);
    close(
        at["base"]["subsidy_bill_cny"].as_f64().unwrap(),
        paid,
        "bill",
    );
    close(
        at["base"]["resource_cost_cny"].as_f64().unwrap(),
        objective + paid,
        "resource cost",
    );
    // Probabilities and spreads recounted from samples.csv.
    let rows = csv_rows(&out.join("samples.csv"));
    let table = csv_rows(&out.join("offer.csv"));
    for (l, row) in v["levels"].as_array().unwrap().iter().zip(&table) {
        let x = l["level"].as_f64().unwrap();
        let mut cards: Vec<u64> = rows
            .iter()
            .filter(|r| r["level"].parse::<f64>().unwrap() == x && !r["cards_won"].is_empty())
            .map(|r| r["cards_won"].parse().unwrap())
            .collect();
        cards.sort_unstable();
        let n = cards.len() as f64;
        let u = &l["uncertain"];
        assert_eq!(u["n_plans"].as_u64().unwrap() as usize, cards.len());
        let p = cards.iter().filter(|&&c| c >= want).count() as f64 / n;
        assert!(
            (u["p_win"].as_f64().unwrap() - p).abs() < 1e-12,
            "level {x}"
        );
        assert!((row["p_win"].parse::<f64>().unwrap() - p).abs() < 1e-4);
        let mean = cards.iter().sum::<u64>() as f64 / n;
        assert!((u["cards_mean"].as_f64().unwrap() - mean).abs() < 1e-6);
        // p50 of 6 values: the mean of the 3rd and 4th.
        let p50 = (cards[2] + cards[3]) as f64 / 2.0;
        assert!((u["cards_p50"].as_f64().unwrap() - p50).abs() < 1e-6);
    }
    // The least levels with P ≥ 0.5 / 0.9 among those evaluated.
    let least = |q: f64| {
        v["levels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["uncertain"]["p_win"].as_f64().unwrap() >= q)
            .map(|l| l["level"].as_f64().unwrap())
    };
    assert_eq!(v["answers"]["level_p50"].as_f64(), least(0.5));
    assert_eq!(v["answers"]["level_p90"].as_f64(), least(0.9));
    // A sample's rows against direct solves of that sample at two levels.
    let sw = dcsite::study::offer::sweep_of(
        &root().join("models/small/baseline.toml"),
        Some(6),
        Some(1),
    )
    .unwrap();
    let (_, inst) = sw.instance(3).unwrap();
    let p3 = Prepared::new(inst);
    for x in [0.0, level] {
        let (pt, _, _) = breakeven::evaluate(&p3, &spec, x, &opts()).unwrap();
        let r = rows
            .iter()
            .find(|r| r["sample"] == "3" && r["level"].parse::<f64>().unwrap() == x)
            .unwrap();
        assert_eq!(
            r["cards_won"].parse::<u64>().unwrap(),
            pt.cards_in_place,
            "sample 3 at {x}"
        );
        close(
            r["objective_cny"].parse().unwrap(),
            pt.objective_cny,
            "sample objective",
        );
        close(
            r["subsidy_bill_cny"].parse().unwrap(),
            pt.subsidy_npv_cny,
            "sample bill",
        );
    }
    assert!(
        out.join("sites.geojson").exists(),
        "the base plan's layers at the break-even level"
    );
}

#[test]
fn offer_shards_merged_equal_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--levels", "0,4000", "--samples", "4", "--jobs", "1"];
    let whole = dir.path().join("whole");
    offer(&whole, &flags);
    let mut parts = Vec::new();
    for i in 0..2 {
        let part = dir.path().join(format!("part{i}"));
        let shard = format!("{i}/2");
        let mut f = flags.to_vec();
        f.extend(["--shard", &shard]);
        let v = offer(&part, &f);
        assert_eq!(v["kind"], "offer_shard");
        parts.push(part);
    }
    let merged = dir.path().join("merged");
    let o = dcsite(&[
        "offer",
        "collect",
        parts[0].to_str().unwrap(),
        parts[1].to_str().unwrap(),
        "--quiet",
        "--out",
        merged.to_str().unwrap(),
    ]);
    ok(&o, "dcsite offer collect");
    for f in [
        "offer.json",
        "offer.csv",
        "offer_sites.csv",
        "samples.csv",
        "sites.geojson",
    ] {
        assert_eq!(
            std::fs::read_to_string(whole.join(f))
                .unwrap()
                .replace(whole.to_str().unwrap(), ""),
            std::fs::read_to_string(merged.join(f))
                .unwrap()
                .replace(merged.to_str().unwrap(), ""),
            "{f}"
        );
    }
    // A shard given twice, or one missing, is refused.
    let o = dcsite(&[
        "offer",
        "collect",
        parts[0].to_str().unwrap(),
        parts[0].to_str().unwrap(),
        "--out",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = dcsite(&[
        "offer",
        "collect",
        parts[1].to_str().unwrap(),
        "--out",
        dir.path().join("y").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing"));
}
