//! Comparison, break-even and the monotonicity they rely on, on the default data.

use crate::common;

use std::process::Command;

use common::*;
use dcsite::domain::{AppliesTo, SubsidyKind};
use dcsite::milp::Prepared;
use dcsite::solve::SolveOptions;
use dcsite::study::breakeven::{self, Spec};

fn baseline() -> Prepared {
    let (_, inst, _) = dcsite::data::load(&root().join("models/small/baseline.toml")).unwrap();
    Prepared::new(inst)
}

fn opts() -> SolveOptions {
    SolveOptions {
        mip_gap: Some(breakeven::MIP_GAP),
        ..SolveOptions::default()
    }
}

fn spec(region: &str, cards: f64, lever: SubsidyKind) -> Spec {
    Spec {
        place: breakeven::Place::Region(region.into()),
        cards,
        lever,
        applies_to: AppliesTo::All,
        max_level: None,
        tolerance: None,
    }
}

#[test]
fn more_subsidy_never_moves_cards_away_from_the_region() {
    // A per-card grant pays on cards, so the region's cards cannot fall as it rises.
    let base = baseline();
    for region in ["central", "gansu", "guizhou"] {
        let s = spec(region, 0.0, SubsidyKind::PerCardCny);
        let mut last = 0;
        for level in [0.0, 4000.0, 8000.0, 12000.0, 20000.0, 40000.0] {
            let (pt, _, _) = breakeven::evaluate(&base, &s, level, &opts()).unwrap();
            assert!(
                pt.cards_in_place >= last,
                "{region}: {} cards at {level} after {last} at a lower level",
                pt.cards_in_place
            );
            last = pt.cards_in_place;
        }
        assert!(last > 0, "{region}: the grant should attract some cards");
    }
}

#[test]
fn a_power_discount_never_lowers_the_energy_it_pays_for() {
    // A per-kWh discount pays on energy: the region's energy cannot fall as it rises. Its
    // cards can: when the discount reaches the whole price (Gansu, 0.40 CNY/kWh), energy is
    // free, the cheaper but less efficient cold plate can win over immersion, and the energy
    // quota then holds fewer cards. At that level the two plans are a near tie: which one
    // HiGHS returns turns on the last bit of the annuity factor (the closed form and the sum
    // over the years differ by one ulp and pick different ones), so only "not more" is held.
    let base = baseline();
    let s = spec("gansu", 0.0, SubsidyKind::ElectricityCnyPerKwh);
    let mut last_gwh = 0.0;
    let mut cards = Vec::new();
    for level in [0.0, 0.1, 0.2, 0.3, 0.4] {
        let (pt, plan, p) = breakeven::evaluate(&base, &s, level, &opts()).unwrap();
        let gwh: f64 = plan
            .sites
            .iter()
            .filter(|x| p.inst.sites[x.site].region_id == "gansu")
            .map(|x| x.annual_gwh)
            .sum();
        // Within one server's energy (~0.09 GWh a year): plans are made of whole servers.
        assert!(
            gwh >= last_gwh - 0.1,
            "{gwh} GWh at {level} after {last_gwh}"
        );
        last_gwh = gwh;
        cards.push(pt.cards_in_place);
    }
    assert!(last_gwh > 0.0);
    // Cards are not monotone in the discount and are decided by near-ties
    // here: at 0.3 CNY/kWh a plan with 313,696 cards in Gansu and one with
    // 295,336 differ by 3e-7 of the cost (both within the MIP gap). Only the
    // energy a discount pays for is a property; the card count is not.
    assert!(cards[4] > 0, "cards {cards:?}");
}

#[test]
fn break_even_is_enough_and_one_step_lower_is_not() {
    let base = baseline();
    let s = spec("central", 100_000.0, SubsidyKind::PerCardCny);
    let outcome = breakeven::search(&base, &s, &opts(), &|_| {}).unwrap();
    let level = outcome
        .level
        .expect("a per-card grant brings 100k cards to Wuhan");
    let (at, _, _) = breakeven::evaluate(&base, &s, level, &opts()).unwrap();
    assert!(at.cards_in_place >= 100_000, "{at:?}");
    let (below, _, _) = breakeven::evaluate(&base, &s, level - outcome.tolerance, &opts()).unwrap();
    assert!(below.cards_in_place < 100_000, "{below:?}");
    assert!(outcome.curve.windows(2).all(|w| w[0].level <= w[1].level));
}

#[test]
fn an_unreachable_target_says_what_binds_instead() {
    let base = baseline();
    let s = spec("jjj", 300_000.0, SubsidyKind::ElectricityCnyPerKwh);
    let outcome = breakeven::search(&base, &s, &opts(), &|_| {}).unwrap();
    assert_eq!(outcome.level, None);
    assert!(
        outcome
            .binding_instead
            .iter()
            .any(|b| b.contains("region-energy-quota-jjj")),
        "{:?}",
        outcome.binding_instead
    );
}

#[test]
fn compare_writes_the_table_and_the_diff_layer() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let o = Command::new(env!("CARGO_BIN_EXE_dcsite"))
        .args([
            "compare",
            "models/small/baseline.toml",
            "models/small/central_push.toml",
            "--out",
        ])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("A = baseline") && table.contains("B = central_push"),
        "{table}"
    );
    let csv = std::fs::read_to_string(out.join("comparison.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    for c in [
        "level",
        "id",
        "scenario",
        "cards_h200",
        "cards_ascend_910c",
        "cards_total",
        "it_mw",
        "subsidy_cny",
        "cost_per_card_year_cny",
        "delta_cards_total",
        "delta_subsidy_cny",
        "cards_per_million_subsidy",
    ] {
        assert!(header.contains(&c), "missing {c} in {header:?}");
    }
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    // The same cards overall: subsidies move them, they do not add any.
    let totals: Vec<&Vec<&str>> = rows.iter().filter(|r| r[col("level")] == "total").collect();
    assert_eq!(totals.len(), 2);
    assert_eq!(totals[0][col("cards_total")], totals[1][col("cards_total")]);
    // The central push wins cards for Wuhan and pays for them.
    let central = rows
        .iter()
        .find(|r| r[col("id")] == "central" && r[col("scenario")] == "central_push")
        .unwrap();
    assert!(central[col("delta_cards_total")].parse::<i64>().unwrap() > 0);
    assert!(central[col("subsidy_cny")].parse::<i64>().unwrap() > 0);
    assert!(
        central[col("cards_per_million_subsidy")]
            .parse::<f64>()
            .unwrap()
            > 0.0
    );
    // Region deltas add up to the tier and total deltas.
    let sum_regions: i64 = rows
        .iter()
        .filter(|r| r[col("level")] == "region" && r[col("scenario")] == "central_push")
        .map(|r| r[col("delta_cards_total")].parse::<i64>().unwrap())
        .sum();
    assert_eq!(
        sum_regions,
        totals[1][col("delta_cards_total")].parse::<i64>().unwrap()
    );
    // The diff layer: one point per site, readable by GDAL.
    let info = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(out.join("diff.geojson"))
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.contains("Geometry: Point") && info.contains("Feature Count: 25"),
        "{info}"
    );
    assert!(info.contains("delta_cards: Integer"), "{info}");
    assert!(info.contains("cards_central_push: Integer"), "{info}");
}

#[test]
fn breakeven_cli_writes_the_curve() {
    let dir = tempfile::tempdir().unwrap();
    let curve = dir.path().join("curve.csv");
    let o = Command::new(env!("CARGO_BIN_EXE_dcsite"))
        .args([
            "breakeven",
            "models/small/baseline.toml",
            "--region",
            "gansu",
            "--cards",
            "50000",
            "--lever",
            "electricity-cny-per-kwh",
            "--json",
            "--out",
        ])
        .arg(&curve)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["level"].as_f64().is_some(), "{v}");
    let text = std::fs::read_to_string(&curve).unwrap();
    assert!(text.starts_with("lever,level,cards_in_place,objective_cny"));
    assert!(text
        .lines()
        .skip(1)
        .all(|l| l.starts_with("electricity-cny-per-kwh,")));
    assert!(text.lines().count() >= 6);
    // An existing curve is not overwritten without --force.
    let again = Command::new(env!("CARGO_BIN_EXE_dcsite"))
        .args([
            "breakeven",
            "models/small/baseline.toml",
            "--region",
            "gansu",
            "--cards",
            "50000",
            "--lever",
            "electricity-cny-per-kwh",
            "--out",
        ])
        .arg(&curve)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
}
