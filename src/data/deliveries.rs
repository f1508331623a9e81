//! `[[deliveries]]` of a scenario: phased deliveries of cards, checked and
//! turned into [`Delivery`] values. Every problem names the entry
//! (`[[deliveries]] #2.month`) with its file and line.

use std::collections::HashSet;

use super::problem::{shown, Problem, Problems};
use super::scenario::{did_you_mean, Scenario};
use super::schema;
use crate::domain::{Delivery, Params};

/// The keys a `[[deliveries]]` entry may hold.
const KEYS: [&str; 5] = ["month", "accelerator", "cards", "min_cards", "max_cards"];

/// Checks every `[[deliveries]]` entry (keys, types, ranges, accelerators,
/// min ≤ max, installed by the deadline) and returns the deliveries.
pub fn deliveries_from(
    sc: &Scenario,
    accel_ids: &HashSet<&str>,
    params: &Params,
    p: &mut Problems,
) -> Vec<Delivery> {
    let mut out = Vec::new();
    for (n, entry) in sc.deliveries.iter().enumerate() {
        let (file, line) = sc.locate_entry("deliveries", n);
        let key = format!("[[deliveries]] #{}", n + 1);
        let start = p.len();
        let mut problem = |leaf: &str, expected: String, found: String| {
            p.push(Problem::new(
                &file,
                line,
                Some(&format!("{key}.{leaf}")),
                expected,
                found,
            ))
        };
        for k in entry.keys() {
            if !KEYS.contains(&k.as_str()) {
                let hint = match did_you_mean(k, KEYS) {
                    Some(h) => format!(" (did you mean {h}?)"),
                    None => String::new(),
                };
                problem(
                    &shown(k),
                    format!("a key of a delivery ({})", KEYS.join(", ")),
                    format!("unknown key{hint}"),
                );
            }
        }
        // A number of the entry, checked against its documented range.
        let mut number = |leaf: &str| -> Option<f64> {
            let v = match entry.get(leaf)? {
                toml::Value::Integer(i) => *i as f64,
                toml::Value::Float(f) => *f,
                other => {
                    problem(leaf, "a number".into(), other.type_str().into());
                    return None;
                }
            };
            match schema::scenario_number(&format!("deliveries.{leaf}")).check_number(v) {
                Ok(()) => Some(v),
                Err(expected) => {
                    problem(leaf, expected, super::problem::found_number(v));
                    None
                }
            }
        };
        let month = number("month");
        let cards = number("cards");
        let min = number("min_cards");
        let max = number("max_cards");
        if !entry.contains_key("month") {
            problem(
                "month",
                "the month the cards arrive (0-based from the plan's start)".into(),
                "no month".into(),
            );
        }
        let accel = match entry.get("accelerator") {
            Some(toml::Value::String(a)) if accel_ids.contains(a.as_str()) => Some(a.clone()),
            Some(toml::Value::String(a)) => {
                problem(
                    "accelerator",
                    format!("an accelerator of {}", sc.tables.accelerators.display()),
                    shown(a),
                );
                None
            }
            Some(other) => {
                problem(
                    "accelerator",
                    "an accelerator id (string)".into(),
                    other.type_str().into(),
                );
                None
            }
            None => {
                problem(
                    "accelerator",
                    "the accelerator delivered".into(),
                    "no accelerator".into(),
                );
                None
            }
        };
        let has = |k: &str| entry.contains_key(k);
        let range = match (has("cards"), has("min_cards"), has("max_cards")) {
            (true, false, false) => cards.map(|c| (c, c)),
            (false, _, true) => match (min, max) {
                (Some(a), Some(b)) if a > b => {
                    problem(
                        "min_cards",
                        "min_cards ≤ max_cards".into(),
                        format!(
                            "min_cards {}, max_cards {}",
                            super::problem::found_number(a),
                            super::problem::found_number(b)
                        ),
                    );
                    None
                }
                (a, Some(b)) if has("min_cards") == a.is_some() => Some((a.unwrap_or(0.0), b)),
                _ => None,
            },
            (true, _, _) => {
                problem(
                    "cards",
                    "either cards, or max_cards (and min_cards)".into(),
                    "cards together with min_cards or max_cards".into(),
                );
                None
            }
            (false, _, false) => {
                problem(
                    "max_cards",
                    "cards, or max_cards (and min_cards)".into(),
                    "neither cards nor max_cards".into(),
                );
                None
            }
        };
        if let Some(m) = month {
            let installed = m + params.install_months();
            if installed > params.deadline_months + 1e-9 {
                problem(
                    "month",
                    format!(
                        "a month whose cards are installed by the {}-month deadline \
                         (month + install_days / 30 ≤ parameters.deadline_months)",
                        params.deadline_months
                    ),
                    format!(
                        "month {} + {} days = month {}",
                        super::problem::found_number(m),
                        params.install_days,
                        installed
                    ),
                );
            }
        }
        if p.len() > start {
            continue;
        }
        if let (Some(month), Some(accel), Some((min_cards, max_cards))) = (month, accel, range) {
            out.push(Delivery {
                month,
                accel,
                min_cards,
                max_cards,
            });
        }
    }
    out
}
