//! The arms of a sweep: its grid points. Grid keys are what a planner
//! chooses between (a subsidy or not, one scenario file or another), so
//! every statistic is given per arm, and over every scenario pooled only
//! when asked. Arm `a` holds the scenario ids `a × samples` to
//! `(a + 1) × samples - 1`.

use polars::prelude::*;
use serde_json::json;

use crate::study::sweep::spec::Sweep;

/// The arms of a sweep and their grid values.
#[derive(Debug, Clone, PartialEq)]
pub struct Arms {
    samples: usize,
    /// The grid keys, in the order of `[vary]`, and whether each is text.
    keys: Vec<(String, bool)>,
    /// Per arm, its value of each grid key.
    values: Vec<Vec<toml::Value>>,
    /// Whether the pooled statistics (every scenario) are given too.
    pooled: bool,
}

/// What a statistic is given for: an arm, or every scenario pooled (`None`).
pub type ArmOf = Option<usize>;

impl Arms {
    /// The arms of `sweep`; `pooled`: the statistics over every scenario
    /// too (with one arm, the arm is the pool and nothing is added).
    pub fn of(sweep: &Sweep, pooled: bool) -> Arms {
        let keys = sweep
            .dims
            .iter()
            .filter(|d| d.is_grid())
            .map(|d| (d.key.clone(), d.is_text()))
            .collect();
        let values = (0..sweep.grid_points.max(1))
            .map(|a| sweep.grid_values(a).into_iter().map(|(_, v)| v).collect())
            .collect();
        Arms {
            samples: sweep.samples.max(1),
            keys,
            values,
            pooled: pooled && sweep.grid_points > 1,
        }
    }

    pub fn count(&self) -> usize {
        self.values.len()
    }

    /// The arm of scenario `id`.
    pub fn arm(&self, id: u64) -> usize {
        (id / self.samples as u64) as usize
    }

    /// Scenarios per arm.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// What the statistics are given for, in order: each arm, then the
    /// pool when asked.
    pub fn groups(&self) -> Vec<ArmOf> {
        let mut g: Vec<ArmOf> = (0..self.count()).map(Some).collect();
        if self.pooled {
            g.push(None);
        }
        g
    }

    /// Scenarios in `arm` (every scenario for the pool).
    pub fn scenarios(&self, arm: ArmOf) -> usize {
        match arm {
            Some(_) => self.samples,
            None => self.samples * self.count(),
        }
    }

    /// The grid keys with the arm's values, for words: `key = value`.
    pub fn grid(&self, arm: ArmOf) -> Vec<(String, toml::Value)> {
        match arm {
            Some(a) => self
                .keys
                .iter()
                .zip(&self.values[a])
                .map(|((k, _), v)| (k.clone(), v.clone()))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The arm in words: `arm 1 (subsidies.x.value = 6000)`, `all arms
    /// pooled`, or `every scenario` for a sweep without grid keys.
    pub fn label(&self, arm: ArmOf) -> String {
        match arm {
            None => "all arms pooled".into(),
            Some(_) if self.keys.is_empty() => "every scenario".into(),
            Some(a) => format!(
                "arm {a} ({})",
                self.grid(arm)
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", text(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The `arm` column and one column per grid key (named by the key) of
    /// rows whose arms are `rows`; empty cells on pooled rows.
    pub fn columns(&self, rows: &[ArmOf]) -> Vec<Column> {
        let mut cols = vec![Column::new(
            "arm".into(),
            rows.iter().map(|a| a.map(|a| a as u64)).collect::<Vec<_>>(),
        )];
        for (k, (key, is_text)) in self.keys.iter().enumerate() {
            let value = |a: &ArmOf| a.map(|a| &self.values[a][k]);
            cols.push(if *is_text {
                Column::new(
                    key.as_str().into(),
                    rows.iter()
                        .map(|a| value(a).and_then(|v| v.as_str().map(str::to_string)))
                        .collect::<Vec<_>>(),
                )
            } else {
                Column::new(
                    key.as_str().into(),
                    rows.iter()
                        .map(|a| value(a).and_then(number))
                        .collect::<Vec<_>>(),
                )
            });
        }
        cols
    }

    /// The `arm` property and one property per grid key of a GeoJSON
    /// feature of `arm` (null on the pool's).
    pub fn properties(&self, arm: ArmOf, props: &mut serde_json::Map<String, serde_json::Value>) {
        props.insert("arm".into(), json!(arm));
        for (k, (key, _)) in self.keys.iter().enumerate() {
            let v = arm.map(|a| &self.values[a][k]);
            props.insert(
                key.clone(),
                match v {
                    Some(toml::Value::String(s)) => json!(s),
                    Some(toml::Value::Integer(i)) => json!(i),
                    Some(v) => json!(number(v)),
                    None => serde_json::Value::Null,
                },
            );
        }
    }

    /// The arm and its grid values for sweep.json.
    pub fn json(&self, arm: ArmOf) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        self.properties(arm, &mut m);
        let grid: serde_json::Map<String, serde_json::Value> = m
            .iter()
            .filter(|(k, _)| *k != "arm")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        json!({"arm": arm, "grid": grid, "scenarios": self.scenarios(arm)})
    }
}

/// A grid value as a number (integers too).
fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(f) => Some(*f),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// A grid value in words: a number as written, a path without quotes.
pub fn text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
