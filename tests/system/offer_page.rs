//! The page of an offer folder (`dcsite offer`, issue 25 item 1), driven in
//! real headless Chromium through WebDriver (Debian's chromium-driver,
//! selenium in the test venv; tests/system/offer_driver.py): the slider is
//! moved with the keyboard to every level and clicked at its end with the
//! mouse, every number is read from the page at each level and compared with
//! offer.csv (or, for the fixture, with offer.json read here by hand); the
//! page fetches nothing and prints the table of every level.

use crate::common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

/// What one level should show, from offer.csv or offer.json.
#[derive(Debug, Default)]
struct Expected {
    level: f64,
    cards: f64,
    wins: bool,
    money: Vec<(&'static str, Option<f64>)>,
    near: Option<(f64, f64, bool, bool)>,
    p_win: Option<f64>,
    counts: Vec<(&'static str, Option<f64>)>,
    sites: Vec<(String, f64)>,
}

/// The page's money ids and offer.csv's columns.
const MONEY: [(&str, &str); 6] = [
    ("v-bill", "subsidy_bill_cny"),
    ("v-provider-change", "provider_change_cny"),
    ("v-resource-cost", "resource_cost_cny"),
    ("v-resource-change", "resource_change_cny"),
    ("v-bill-mean", "bill_mean_cny"),
    ("v-resource-change-mean", "resource_change_mean_cny"),
];

/// The page's card-count ids and offer.csv's columns.
const COUNTS: [(&str, &str); 6] = [
    ("v-p10", "cards_p10"),
    ("v-p50", "cards_p50"),
    ("v-p90", "cards_p90"),
    ("v-cards-mean", "cards_mean"),
    ("v-n-samples", "n_samples"),
    ("v-n-plans", "n_plans"),
];

/// offer.csv and offer_sites.csv, parsed by hand (no quoted cells).
fn expected_from_csv(dir: &Path) -> Vec<Expected> {
    let table = |name: &str| -> Vec<HashMap<String, String>> {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let mut lines = text.lines();
        let head: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        lines
            .map(|l| {
                head.iter()
                    .cloned()
                    .zip(l.split(',').map(String::from))
                    .collect()
            })
            .collect()
    };
    let sites = table("offer_sites.csv");
    let num = |r: &HashMap<String, String>, c: &str| -> Option<f64> {
        let v = r
            .get(c)
            .unwrap_or_else(|| panic!("offer.csv has no column {c}"));
        (!v.is_empty()).then(|| v.parse().unwrap())
    };
    table("offer.csv")
        .iter()
        .map(|r| {
            let level = num(r, "level").unwrap();
            Expected {
                level,
                cards: num(r, "cards_won").unwrap(),
                wins: r["wins"] == "true",
                money: MONEY.iter().map(|(id, c)| (*id, num(r, c))).collect(),
                near: num(r, "near_opt_cards_min").map(|lo| {
                    (
                        lo,
                        num(r, "near_opt_cards_max").unwrap(),
                        r["near_opt_min_proven"] == "true",
                        r["near_opt_max_proven"] == "true",
                    )
                }),
                p_win: num(r, "p_win"),
                counts: COUNTS.iter().map(|(id, c)| (*id, num(r, c))).collect(),
                sites: sites
                    .iter()
                    .filter(|s| (s["level"].parse::<f64>().unwrap() - level).abs() < 1e-9)
                    .map(|s| (s["site_id"].clone(), s["cards"].parse().unwrap()))
                    .collect(),
            }
        })
        .collect()
}

/// The fixture's offer.json read by hand.
fn expected_from_json(v: &Value) -> Vec<Expected> {
    let n = |x: &Value| x.as_f64();
    v["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let (b, u) = (&l["base"], &l["uncertain"]);
            let base_money = [
                "subsidy_bill_cny",
                "provider_change_cny",
                "resource_cost_cny",
                "resource_change_cny",
            ];
            let mut money: Vec<(&str, Option<f64>)> = MONEY[..4]
                .iter()
                .zip(base_money)
                .map(|((id, _), k)| (*id, n(&b[k])))
                .collect();
            money.push(("v-bill-mean", n(&u["bill_mean_cny"])));
            money.push(("v-resource-change-mean", n(&u["resource_change_mean_cny"])));
            let no = &b["near_optimal"];
            Expected {
                level: l["level"].as_f64().unwrap(),
                cards: b["cards_won"].as_f64().unwrap(),
                wins: b["wins"] == true,
                money,
                near: n(&no["cards_min"]).map(|lo| {
                    (
                        lo,
                        n(&no["cards_max"]).unwrap(),
                        no["min_proven"] == true,
                        no["max_proven"] == true,
                    )
                }),
                p_win: n(&u["p_win"]),
                counts: COUNTS.iter().map(|(id, c)| (*id, n(&u[*c]))).collect(),
                sites: b["sites"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| {
                        (
                            s["site_id"].as_str().unwrap().to_string(),
                            s["cards"].as_f64().unwrap(),
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Runs tests/system/offer_driver.py on `page` in the test venv.
fn drive(page: &Path) -> Value {
    let python = root().join("target/test-venv/bin/python");
    assert!(
        python.exists() && Path::new("/usr/bin/chromedriver").exists(),
        "run scripts/setup.sh (chromium-driver, selenium in target/test-venv)"
    );
    let o = Command::new(python)
        .arg(root().join("tests/system/offer_driver.py"))
        .arg(page)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "driver failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// `x` with thousands separators and U+2212 for a minus: the page's cards.
fn grouped(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x.round() < 0.0 {
        format!("−{out}")
    } else {
        out
    }
}

/// A page text as a number (`−0.04`, `+0.60`, `≥ 203,248`).
fn parse_text(t: &str) -> f64 {
    let t: String = t
        .chars()
        .filter(|c| !matches!(c, ',' | '+' | '≤' | '≥' | ' '))
        .collect();
    t.replace('−', "-")
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {t:?}"))
}

/// Compares the page's state after the slider stopped at level `i` with `e`.
fn check_level(i: usize, state: &Value, e: &Expected) {
    let get = |id: &str| -> (String, String) {
        let v = &state["numbers"][id];
        (
            v[0].as_str().unwrap().to_string(),
            v[1].as_str().unwrap_or("").to_string(),
        )
    };
    let ctx = format!("level {} (step {i})", e.level);
    assert_eq!(state["slider"], i.to_string(), "{ctx}");
    assert_eq!(
        state["current"],
        serde_json::json!([i]),
        "{ctx}: highlighted row"
    );
    let (_, level) = get("v-level");
    assert!(
        (level.parse::<f64>().unwrap() - e.level).abs() < 1e-9,
        "{ctx}: {level}"
    );
    assert_eq!(
        get("v-cards"),
        (grouped(e.cards), format!("{:.0}", e.cards)),
        "{ctx}"
    );
    assert_eq!(get("v-wins").0, if e.wins { "yes" } else { "no" }, "{ctx}");
    for (id, want) in &e.money {
        let (text, value) = get(id);
        match want {
            Some(w) => {
                assert!(
                    (value.parse::<f64>().unwrap() - w).abs() <= 1.0,
                    "{ctx} {id}: {value} vs {w}"
                );
                assert!(
                    (parse_text(&text) - w / 1e9).abs() <= 0.005 + 1e-9,
                    "{ctx} {id}: {text} vs {w}"
                );
            }
            None => assert_eq!(text, "—", "{ctx} {id}"),
        }
    }
    for (id, want) in &e.counts {
        let (text, value) = get(id);
        match want {
            Some(w) => assert_eq!(
                (text, value),
                (grouped(*w), format!("{w:.0}")),
                "{ctx} {id}"
            ),
            None => assert_eq!(text, "—", "{ctx} {id}"),
        }
    }
    match e.p_win {
        Some(p) => {
            let (text, value) = get("v-p-win");
            assert!(
                (value.parse::<f64>().unwrap() - p).abs() < 5e-5,
                "{ctx}: {value} vs {p}"
            );
            assert_eq!(text, format!("{p:.2}"), "{ctx}");
        }
        None => assert_eq!(get("v-p-win").0, "—"),
    }
    if let Some((lo, hi, lo_proven, hi_proven)) = e.near {
        let mark = |proven: bool, m: &str| {
            if proven {
                String::new()
            } else {
                format!("{m} ")
            }
        };
        assert_eq!(
            get("v-near-min").0,
            format!("{}{}", mark(lo_proven, "≤"), grouped(lo)),
            "{ctx}"
        );
        assert_eq!(
            get("v-near-max").0,
            format!("{}{}", mark(hi_proven, "≥"), grouped(hi)),
            "{ctx}"
        );
    }
    // The map: the place's sites with cards filled, their areas in
    // proportion (above the smallest radius); the others dashed rings.
    let circles = state["sites"].as_object().unwrap();
    let with_cards: Vec<&(String, f64)> = e.sites.iter().filter(|s| s.1 > 0.0).collect();
    for (id, c) in circles {
        let cards = e.sites.iter().find(|s| &s.0 == id).map_or(0.0, |s| s.1);
        let class = if cards > 0.0 {
            "offer-site"
        } else {
            "offer-site none"
        };
        assert_eq!(c[1], class, "{ctx}: circle of {id}");
        assert!(
            c[2].as_str()
                .unwrap()
                .contains(&format!("{} cards", grouped(cards))),
            "{ctx}: {c}"
        );
    }
    assert_eq!(
        circles.values().filter(|c| c[1] == "offer-site").count(),
        with_cards.len(),
        "{ctx}"
    );
    let sites = get("v-sites").0;
    for (_, cards) in &with_cards {
        assert!(sites.contains(&grouped(*cards)), "{ctx}: {sites}");
    }
}

/// Drives the page and checks every level, the mouse, print and network.
fn check_page(page: &Path, expected: &[Expected]) -> Value {
    let html = std::fs::read_to_string(page).unwrap();
    assert!(
        !html.to_ascii_lowercase().contains("http"),
        "a URL in the page"
    );
    for bad in ["<link", "<img", "<iframe", "@import", "url(", "<script src"] {
        assert!(!html.contains(bad), "{bad}");
    }
    let d = drive(page);
    let steps = d["steps"].as_array().unwrap();
    assert_eq!(steps.len(), expected.len(), "one slider step per level");
    let mut last_x = f64::MIN;
    for (i, (s, e)) in steps.iter().zip(expected).enumerate() {
        check_level(i, s, e);
        // The curves' cursor moves right with the level, on every chart.
        let xs: Vec<f64> = s["cursors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(xs.len(), 4);
        assert!(xs.iter().all(|x| *x == xs[0]) && xs[0] > last_x, "{xs:?}");
        last_x = xs[0];
        // Area-true circles: r² in proportion to cards above the minimum.
        let big: Vec<(f64, f64)> = e
            .sites
            .iter()
            .filter_map(|(id, c)| s["sites"][id][0].as_f64().map(|r| (r, *c)))
            .filter(|(r, _)| *r > 4.5)
            .collect();
        for w in big.windows(2) {
            let ratio = (w[0].0 / w[1].0).powi(2) / (w[0].1 / w[1].1);
            assert!((ratio - 1.0).abs() < 0.02, "{w:?}");
        }
    }
    let n = expected.len();
    check_level(n - 1, &d["clicked_end"], &expected[n - 1]);
    let p = &d["print"];
    assert_eq!(p["table_shown"], true);
    assert_eq!(p["slider_shown"], false);
    assert_eq!(p["map_shown"], true);
    check_level(n - 1, &p["state"], &expected[n - 1]);
    assert!(p["pdf_bytes"].as_u64().unwrap() > 10_000);
    let requests = d["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(requests[0].as_str().unwrap().starts_with("file://"));
    d
}

#[test]
fn fixture_offer_page_shows_every_level_of_offer_json() {
    let fixture = root().join("tests/fixtures/offer");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("offer.html");
    ok(
        &dcsite(&[
            "report",
            fixture.to_str().unwrap(),
            "-o",
            page.to_str().unwrap(),
        ]),
        "dcsite report (offer fixture)",
    );
    let v = read_json(&fixture.join("offer.json"));
    let d = check_page(&page, &expected_from_json(&v));
    // It opens at the break-even level.
    let i = v["levels"]
        .as_array()
        .unwrap()
        .iter()
        .position(|l| l["level"] == v["answers"]["breakeven_level"])
        .unwrap();
    assert_eq!(d["initial"]["slider"], i.to_string());
}

#[test]
fn malformed_offer_json_is_an_input_error_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("tests/fixtures/offer/offer.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["levels"][2]["base"]["cards_won"] = "lots".into();
    std::fs::write(dir.path().join("offer.json"), v.to_string()).unwrap();
    let o = dcsite(&["report", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("offer.json")
            && err.contains("levels[2].base.cards_won")
            && err.contains("\"lots\""),
        "{err}"
    );
    assert!(!dir.path().join("report.html").exists());
    std::fs::write(dir.path().join("offer.json"), "{\"kind\": \"offer\"").unwrap();
    let o = dcsite(&["report", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("offer.json"));
}

/// The least level of `rows` where `f` holds.
fn least(e: &[Expected], f: impl Fn(&Expected) -> bool) -> Option<f64> {
    e.iter().find(|x| f(x)).map(|x| x.level)
}

#[test]
fn ningxia_offer_page_matches_offer_csv_at_every_level() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ningxia");
    let o = Command::new(env!("CARGO_BIN_EXE_dcsite"))
        .current_dir(root())
        .args([
            "offer",
            "models/small/baseline.toml",
            "--for",
            "ningxia",
            "--lever",
            "per-card-cny",
            "--want",
            "100000",
            "--levels",
            "0,2000,4000,8000",
            "--samples",
            "8",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    ok(&o, "dcsite offer");
    // `dcsite report` on the folder writes the page `offer` wrote.
    let again = dir.path().join("again.html");
    ok(
        &dcsite(&[
            "report",
            out.to_str().unwrap(),
            "-o",
            again.to_str().unwrap(),
        ]),
        "dcsite report (offer folder)",
    );
    let page = out.join("report.html");
    assert_eq!(
        std::fs::read_to_string(&page).unwrap(),
        std::fs::read_to_string(&again).unwrap()
    );
    let expected = expected_from_csv(&out);
    assert_eq!(expected.len(), 4);
    let d = check_page(&page, &expected);
    // The answer in words against offer.csv: the break-even level lies
    // above every level that loses and at or below the first that wins; the
    // level for P ≥ 0.5 is the least evaluated one.
    assert!(d["initial"]["slider"].is_string());
    let html = std::fs::read_to_string(&page).unwrap();
    let span = |id: &str| -> Option<f64> {
        let rest = html.split(&format!("<span id=\"{id}\">")).nth(1)?;
        let t = rest.split('<').next()?;
        (!t.is_empty()).then(|| parse_text(t))
    };
    if let Some(b) = span("a-breakeven") {
        assert!(
            least(&expected, |e| e.wins).is_none_or(|w| w >= b - 1e-9),
            "{b}"
        );
        assert!(
            expected
                .iter()
                .filter(|e| e.level < b - 1e-9)
                .all(|e| !e.wins),
            "{b}"
        );
    } else {
        assert!(expected.iter().all(|e| !e.wins));
    }
    assert_eq!(
        span("a-level-p50"),
        least(&expected, |e| e.p_win.unwrap_or(0.0) >= 0.5)
    );
    assert_eq!(
        span("a-level-p90"),
        least(&expected, |e| e.p_win.unwrap_or(0.0) >= 0.9)
    );
}
