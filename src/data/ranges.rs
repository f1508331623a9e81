//! The ranges file of `dcsite implied`: cards a forecast expects per cluster,
//! region or tier, read with Polars against [`schema::RANGES`] and checked
//! against the scenario's instance (ids, min ≤ max, one row per group).

use std::collections::HashMap;
use std::path::Path;

use super::problem::{shown, Problem, Problems};
use super::schema;
use super::table::{read_table, sheet_row};
use crate::domain::{CardBounds, ForecastRange, Instance, RangeLevel, Tier};

/// Reads and checks a ranges file; every problem names file, row and column.
pub fn read_ranges(path: &Path, inst: &Instance) -> Result<Vec<ForecastRange>, Problems> {
    let mut p = Problems::default();
    let Some(t) = read_table(path, &schema::RANGES, &mut p) else {
        return Err(p);
    };
    if !p.is_empty() {
        return Err(p);
    }
    let mut out = Vec::new();
    let mut seen: HashMap<RangeLevel, usize> = HashMap::new();
    for i in 0..t.n_rows {
        let row = Some(sheet_row(i));
        let (level, id) = (t.text("level", i), t.text("id", i));
        let parsed = range_level(inst, &level, &id);
        let level = match parsed {
            Ok(l) => l,
            Err(expected) => {
                p.push(Problem::new(&t.file, row, Some("id"), expected, shown(&id)));
                continue;
            }
        };
        let bounds = CardBounds {
            min_cards: t.opt_real("min_cards", i),
            max_cards: t.opt_real("max_cards", i),
        };
        check_range(&t.file, i, &bounds, &mut p);
        if let Some(first) = seen.insert(level.clone(), i) {
            p.push(Problem::new(
                &t.file,
                row,
                Some("id"),
                format!("one row per {} and id", level.as_str()),
                format!("{} again (first on row {})", shown(&id), sheet_row(first)),
            ));
        }
        out.push(ForecastRange {
            level,
            bounds,
            source: t.text("source", i),
        });
    }
    if p.is_empty() {
        Ok(out)
    } else {
        Err(p)
    }
}

/// The group a row of the ranges file is about, or what its id should be.
fn range_level(inst: &Instance, level: &str, id: &str) -> Result<RangeLevel, String> {
    let known = |ids: Vec<&str>| ids.join(", ");
    match level {
        "cluster" => inst
            .clusters
            .iter()
            .position(|c| c.id == id)
            .map(RangeLevel::Cluster)
            .ok_or_else(|| {
                if inst.clusters.is_empty() {
                    "a cluster id (the scenario names no clusters table: tables.clusters)"
                        .to_string()
                } else {
                    format!(
                        "a cluster id ({})",
                        known(inst.clusters.iter().map(|c| c.id.as_str()).collect())
                    )
                }
            }),
        "region" => inst
            .regions
            .iter()
            .position(|r| r.id == id)
            .map(RangeLevel::Region)
            .ok_or_else(|| {
                format!(
                    "a region id ({})",
                    known(inst.regions.iter().map(|r| r.id.as_str()).collect())
                )
            }),
        _ => Tier::parse(id)
            .map(RangeLevel::Tier)
            .ok_or_else(|| "a tier (core, regional, frontier)".to_string()),
    }
}

/// A row's bounds: at least one, min ≤ max.
fn check_range(file: &Path, i: usize, bounds: &CardBounds, p: &mut Problems) {
    let row = Some(sheet_row(i));
    match (bounds.min_cards, bounds.max_cards) {
        (None, None) => p.push(Problem::new(
            file,
            row,
            Some("min_cards"),
            "min_cards, max_cards or both",
            "both empty",
        )),
        (Some(a), Some(b)) if a > b => p.push(Problem::new(
            file,
            row,
            Some("max_cards"),
            format!("max_cards ≥ min_cards ({a})"),
            format!("{b}"),
        )),
        _ => {}
    }
}
