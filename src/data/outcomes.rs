//! Outcomes of a two-stage plan (`dcsite hedge`): `[[outcomes]]` of a
//! scenario, each a probability and scenario keys written on top of the
//! scenario (as a child that `extends` it would: tables merge key by key,
//! a list replaces the parent's), and `[risk]`, the weight of the
//! conditional value at risk in the objective.
//!
//! ```toml
//! [risk]
//! alpha = 0.9     # CVaR of the costliest 10 % of outcomes
//! lambda = 0.5    # objective: expected cost + 0.5 × CVaR (0: risk-neutral)
//!
//! [[outcomes]]
//! name = "licence withdrawn after February"
//! probability = 0.3
//! targets.h200.max = 80000
//! ```

use super::problem::{shown, Problem, Problems};
pub use super::scenario::RiskSpec;
use super::scenario::Scenario;

/// Probabilities must sum to 1 within this.
pub const PROBABILITY_TOLERANCE: f64 = 1e-6;
/// Outcomes at most in one scenario (the extensive form holds a copy of the
/// model per outcome).
pub const MAX_OUTCOMES: usize = 1000;

/// One outcome: its name, probability and scenario (the file with the
/// outcome's keys written on top).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: String,
    pub probability: f64,
    pub scenario: Scenario,
}

/// Keys of an `[[outcomes]]` entry that are not scenario keys.
const OWN_KEYS: [&str; 2] = ["name", "probability"];

/// The outcomes of `sc`, checked: every entry a name and a probability in
/// (0, 1], keys the scenario file knows, probabilities summing to 1; and
/// `[risk]` within its ranges. Every problem names the key and its line.
pub fn outcomes_of(sc: &Scenario) -> Result<Vec<Outcome>, Problems> {
    let mut problems = Problems::default();
    check_risk(sc, &mut problems);
    if sc.outcomes.len() > MAX_OUTCOMES {
        let (file, line) = sc.locate_entry("outcomes", MAX_OUTCOMES);
        problems.push(Problem::new(
            &file,
            line,
            Some("outcomes"),
            format!("at most {MAX_OUTCOMES} [[outcomes]]"),
            format!("{}", sc.outcomes.len()),
        ));
        return Err(problems);
    }
    let mut out = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (i, entry) in sc.outcomes.iter().enumerate() {
        let (file, line) = sc.locate_entry("outcomes", i);
        let key = |k: &str| format!("outcomes[{i}].{k}");
        let name = match entry.get("name") {
            None => format!("outcome {}", i + 1),
            Some(toml::Value::String(s))
                if !s.trim().is_empty() && !s.chars().any(char::is_control) =>
            {
                s.clone()
            }
            Some(v) => {
                problems.push(Problem::new(
                    &file,
                    line,
                    Some(&key("name")),
                    "a name (text without control characters)",
                    shown(&v.to_string()),
                ));
                continue;
            }
        };
        if !names.insert(name.clone()) {
            problems.push(Problem::new(
                &file,
                line,
                Some(&key("name")),
                "a name no other outcome has",
                shown(&name),
            ));
        }
        let probability = match entry.get("probability") {
            Some(toml::Value::Float(x)) => *x,
            Some(toml::Value::Integer(x)) => *x as f64,
            None => {
                problems.push(Problem::new(
                    &file,
                    line,
                    Some(&key("probability")),
                    "a probability in (0, 1]",
                    "nothing",
                ));
                continue;
            }
            Some(v) => {
                problems.push(Problem::new(
                    &file,
                    line,
                    Some(&key("probability")),
                    "a probability in (0, 1]",
                    shown(&v.to_string()),
                ));
                continue;
            }
        };
        if !(probability > 0.0 && probability <= 1.0) {
            problems.push(Problem::new(
                &file,
                line,
                Some(&key("probability")),
                "a probability in (0, 1]",
                format!("{probability}"),
            ));
            continue;
        }
        let mut over = entry.clone();
        for k in OWN_KEYS {
            over.remove(k);
        }
        for k in ["outcomes", "risk", "extends", "tables"] {
            if over.contains_key(k) {
                problems.push(Problem::new(
                    &file,
                    line,
                    Some(&key(k)),
                    "scenario keys an outcome may change (targets, parameters, deliveries, set, overrides, subsidies, sites, bounds); not outcomes, risk, extends or tables",
                    k,
                ));
            }
        }
        let mut merged = sc.merged.clone();
        merged.remove("outcomes");
        merge(&mut merged, &over);
        match toml::Value::Table(merged.clone()).try_into::<Scenario>() {
            Ok(mut s) => {
                s.path = sc.path.clone();
                s.sources = sc.sources.clone();
                s.merged = merged;
                s.name = format!("{} / {name}", sc.name);
                out.push(Outcome {
                    name,
                    probability,
                    scenario: s,
                });
            }
            Err(e) => {
                let msg: Vec<String> = e
                    .to_string()
                    .lines()
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect();
                problems.push(Problem::new(
                    &file,
                    line,
                    Some(&format!("outcomes[{i}]")),
                    "scenario keys of the types models/README.md documents",
                    super::scenario::cut_quoted(&msg.join(" ")),
                ));
            }
        }
    }
    if problems.is_empty() && !out.is_empty() {
        let sum: f64 = out.iter().map(|o| o.probability).sum();
        if (sum - 1.0).abs() > PROBABILITY_TOLERANCE {
            let (file, line) = sc.locate_entry("outcomes", 0);
            problems.push(Problem::new(
                &file,
                line,
                Some("outcomes[*].probability"),
                format!("probabilities summing to 1 (within {PROBABILITY_TOLERANCE:e})"),
                format!("a sum of {sum}"),
            ));
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn check_risk(sc: &Scenario, problems: &mut Problems) {
    for (key, expected, found) in sc.risk.problems() {
        let key = format!("risk.{key}");
        let (file, line) = sc.locate(&key);
        problems.push(Problem::new(
            &file,
            line,
            Some(&key),
            expected,
            format!("{found}"),
        ));
    }
}

/// Writes `over` onto `base`: tables key by key, anything else replaced.
pub fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The expected-value scenario of `outcomes`: every number the outcomes
/// set, averaged with their probabilities (whole numbers rounded; lists of
/// the same length element by element); a value that is not a number, or
/// lists of different lengths, is the most probable outcome's.
pub fn expected_value(outcomes: &[Outcome]) -> Option<Scenario> {
    let first = outcomes
        .iter()
        .max_by(|a, b| a.probability.total_cmp(&b.probability))?;
    let values: Vec<(f64, toml::Value)> = outcomes
        .iter()
        .map(|o| (o.probability, toml::Value::Table(o.scenario.merged.clone())))
        .collect();
    let mean = average(&toml::Value::Table(first.scenario.merged.clone()), &values);
    let toml::Value::Table(merged) = mean else {
        return None;
    };
    let mut s: Scenario = toml::Value::Table(merged.clone()).try_into().ok()?;
    s.path = first.scenario.path.clone();
    s.sources = first.scenario.sources.clone();
    s.merged = merged;
    s.name = format!("{} (expected value)", outcomes[0].scenario.name);
    Some(s)
}

/// The probability-weighted mean of the outcomes' `[[deliveries]]`, per
/// month and accelerator (an outcome without a delivery then counts 0):
/// `min_cards` and `max_cards` averaged and rounded, `cards` where they meet.
fn deliveries_mean(values: &[(f64, toml::Value)]) -> Option<toml::Value> {
    let total: f64 = values.iter().map(|(p, _)| p).sum();
    let num = |v: Option<&toml::Value>| match v {
        Some(toml::Value::Integer(i)) => Some(*i as f64),
        Some(toml::Value::Float(f)) => Some(*f),
        _ => None,
    };
    // (month as written, accelerator) → (Σ p·min, Σ p·max), in first-seen order.
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut months: Vec<toml::Value> = Vec::new();
    let mut sums: Vec<(f64, f64)> = Vec::new();
    for (p, v) in values {
        let list = v.as_table()?.get("deliveries")?.as_array()?;
        for e in list {
            let e = e.as_table()?;
            let month = e.get("month")?.clone();
            let acc = e.get("accelerator")?.as_str()?.to_string();
            let (lo, hi) = match num(e.get("cards")) {
                Some(c) => (c, c),
                None => (num(e.get("min_cards"))?, num(e.get("max_cards"))?),
            };
            let key = (month.to_string(), acc);
            let i = match keys.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    keys.push(key);
                    months.push(month);
                    sums.push((0.0, 0.0));
                    keys.len() - 1
                }
            };
            sums[i].0 += p * lo;
            sums[i].1 += p * hi;
        }
    }
    let list = keys
        .iter()
        .zip(months)
        .zip(sums)
        .map(|(((_, acc), month), (lo, hi))| {
            let (lo, hi) = ((lo / total).round() as i64, (hi / total).round() as i64);
            let mut t = toml::Table::new();
            t.insert("month".into(), month);
            t.insert("accelerator".into(), toml::Value::String(acc.clone()));
            if lo == hi {
                t.insert("cards".into(), toml::Value::Integer(lo));
            } else {
                t.insert("min_cards".into(), toml::Value::Integer(lo));
                t.insert("max_cards".into(), toml::Value::Integer(hi));
            }
            toml::Value::Table(t)
        })
        .collect();
    Some(toml::Value::Array(list))
}

fn average(like: &toml::Value, values: &[(f64, toml::Value)]) -> toml::Value {
    let total: f64 = values.iter().map(|(p, _)| p).sum();
    match like {
        toml::Value::Integer(_) | toml::Value::Float(_) => {
            let xs: Option<Vec<f64>> = values
                .iter()
                .map(|(_, v)| match v {
                    toml::Value::Integer(i) => Some(*i as f64),
                    toml::Value::Float(f) => Some(*f),
                    _ => None,
                })
                .collect();
            match xs {
                Some(xs) => {
                    let m: f64 =
                        values.iter().zip(&xs).map(|((p, _), x)| p * x).sum::<f64>() / total;
                    match like {
                        toml::Value::Integer(_) => toml::Value::Integer(m.round() as i64),
                        _ => toml::Value::Float(m),
                    }
                }
                None => like.clone(),
            }
        }
        toml::Value::Array(a) => {
            let same = values
                .iter()
                .all(|(_, v)| v.as_array().is_some_and(|b| b.len() == a.len()));
            if !same {
                return like.clone();
            }
            toml::Value::Array(
                a.iter()
                    .enumerate()
                    .map(|(i, x)| {
                        let col: Vec<(f64, toml::Value)> = values
                            .iter()
                            .map(|(p, v)| (*p, v.as_array().expect("checked")[i].clone()))
                            .collect();
                        average(x, &col)
                    })
                    .collect(),
            )
        }
        toml::Value::Table(t) => {
            let mut out = toml::Table::new();
            for (k, x) in t {
                if k == "deliveries" {
                    if let Some(mean) = deliveries_mean(values) {
                        out.insert(k.clone(), mean);
                        continue;
                    }
                }
                let col: Option<Vec<(f64, toml::Value)>> = values
                    .iter()
                    .map(|(p, v)| Some((*p, v.as_table()?.get(k)?.clone())))
                    .collect();
                out.insert(
                    k.clone(),
                    match col {
                        Some(col) => average(x, &col),
                        None => x.clone(),
                    },
                );
            }
            toml::Value::Table(out)
        }
        other => other.clone(),
    }
}
