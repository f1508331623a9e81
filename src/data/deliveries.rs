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
        let start = p.len();
        let mut e = Entry {
            entry,
            file,
            line,
            key: format!("[[deliveries]] #{}", n + 1),
            p: &mut *p,
        };
        e.check_keys();
        let month = e.number("month");
        let cards = e.number("cards");
        let min = e.number("min_cards");
        let max = e.number("max_cards");
        if !entry.contains_key("month") {
            e.problem(
                "month",
                "the month the cards arrive (0-based from the plan's start)".into(),
                "no month".into(),
            );
        }
        let accel = e.accelerator(sc, accel_ids);
        let range = e.card_range(cards, min, max);
        if let Some(m) = month {
            e.check_installed(m, params);
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
    // A hall's start month is a decision only in a plan of phased
    // deliveries: without any, the key would do nothing.
    if sc.deliveries.is_empty() && params.hall_start_step_months > 0.0 {
        let key = "parameters.hall_start_step_months";
        let (file, line) = sc.locate(key);
        p.push(Problem::new(
            &file,
            line,
            Some(key),
            "0 without [[deliveries]] (a new hall's start month is decided only in a plan of phased deliveries)",
            format!("{} and no [[deliveries]]", params.hall_start_step_months),
        ));
    }
    out
}

/// One `[[deliveries]]` entry being checked, and where its problems go.
struct Entry<'a> {
    entry: &'a toml::Table,
    file: std::path::PathBuf,
    line: Option<usize>,
    /// `[[deliveries]] #2`.
    key: String,
    p: &'a mut Problems,
}

impl Entry<'_> {
    fn problem(&mut self, leaf: &str, expected: String, found: String) {
        self.p.push(Problem::new(
            &self.file,
            self.line,
            Some(&format!("{}.{leaf}", self.key)),
            expected,
            found,
        ))
    }

    fn check_keys(&mut self) {
        for k in self.entry.keys() {
            if !KEYS.contains(&k.as_str()) {
                let hint = match did_you_mean(k, KEYS) {
                    Some(h) => format!(" (did you mean {h}?)"),
                    None => String::new(),
                };
                self.problem(
                    &shown(k),
                    format!("a key of a delivery ({})", KEYS.join(", ")),
                    format!("unknown key{hint}"),
                );
            }
        }
    }

    /// A number of the entry, checked against its documented range.
    fn number(&mut self, leaf: &str) -> Option<f64> {
        let v = match self.entry.get(leaf)? {
            toml::Value::Integer(i) => *i as f64,
            toml::Value::Float(f) => *f,
            other => {
                self.problem(leaf, "a number".into(), other.type_str().into());
                return None;
            }
        };
        match schema::scenario_number(&format!("deliveries.{leaf}")).check_number(v) {
            Ok(()) => Some(v),
            Err(expected) => {
                self.problem(leaf, expected, super::problem::found_number(v));
                None
            }
        }
    }

    /// The accelerator delivered: a string, an accelerator of the table.
    fn accelerator(&mut self, sc: &Scenario, accel_ids: &HashSet<&str>) -> Option<String> {
        match self.entry.get("accelerator") {
            Some(toml::Value::String(a)) if accel_ids.contains(a.as_str()) => Some(a.clone()),
            Some(toml::Value::String(a)) => {
                self.problem(
                    "accelerator",
                    format!("an accelerator of {}", sc.tables.accelerators.display()),
                    shown(a),
                );
                None
            }
            Some(other) => {
                self.problem(
                    "accelerator",
                    "an accelerator id (string)".into(),
                    other.type_str().into(),
                );
                None
            }
            None => {
                self.problem(
                    "accelerator",
                    "the accelerator delivered".into(),
                    "no accelerator".into(),
                );
                None
            }
        }
    }

    /// The cards delivered, (min, max): either cards, or max_cards (and
    /// min_cards), with min ≤ max.
    fn card_range(
        &mut self,
        cards: Option<f64>,
        min: Option<f64>,
        max: Option<f64>,
    ) -> Option<(f64, f64)> {
        let entry = self.entry;
        let has = |k: &str| entry.contains_key(k);
        match (has("cards"), has("min_cards"), has("max_cards")) {
            (true, false, false) => cards.map(|c| (c, c)),
            (false, _, true) => match (min, max) {
                (Some(a), Some(b)) if a > b => {
                    self.problem(
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
                self.problem(
                    "cards",
                    "either cards, or max_cards (and min_cards)".into(),
                    "cards together with min_cards or max_cards".into(),
                );
                None
            }
            (false, _, false) => {
                self.problem(
                    "max_cards",
                    "cards, or max_cards (and min_cards)".into(),
                    "neither cards nor max_cards".into(),
                );
                None
            }
        }
    }

    /// The cards of month `m` are installed by the deadline.
    fn check_installed(&mut self, m: f64, params: &Params) {
        let installed = m + params.install_months();
        if installed > params.deadline_months + 1e-9 {
            self.problem(
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
}
