//! Scenario what-ifs: `[sites.<id>] status`, `[[subsidies]]` and `[set]`,
//! applied to the tables as read, before any table is turned into the domain.
//! Every cell a what-if writes is checked as a cell of the file would be, and
//! every problem later found in such a cell (range, type, reference, a
//! duplicate id) is reported against the scenario key that wrote it.

use std::path::PathBuf;

use super::problem::{shown, Problem, Problems};
use super::scenario::Scenario;
use super::table::{check_table_cell, sheet_row, RawTable};

/// Where a cell written by a what-if came from.
struct Origin {
    table_file: PathBuf,
    /// Spreadsheet row of the table.
    row: usize,
    /// `None`: every column of an added row.
    column: Option<&'static str>,
    file: PathBuf,
    line: Option<usize>,
    key: String,
}

/// The what-ifs applied, to report later problems against their keys.
#[derive(Default)]
pub struct Applied {
    origins: Vec<Origin>,
    /// Warnings for `validate` and `solve` to print (e.g. a widened price range).
    pub warnings: Vec<String>,
}

impl Applied {
    /// Rewrites the problems found in cells a what-if wrote so that they name
    /// the scenario file, line and key instead of the table's row.
    pub fn remap(&self, problems: &mut Problems, from: usize) {
        for p in problems.0.iter_mut().skip(from) {
            let hit = self.origins.iter().rev().find(|o| {
                p.file == o.table_file
                    && p.row == Some(o.row)
                    && (o.column.is_none() || p.column.as_deref() == o.column)
            });
            if let Some(o) = hit {
                let column = p.column.take();
                p.found = format!(
                    "{} (in {})",
                    p.found,
                    o.table_file
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
                p.file = o.file.clone();
                p.row = o.line;
                p.column = Some(match (column, o.column) {
                    (Some(c), None) => format!("{}.{c}", o.key),
                    _ => o.key.clone(),
                });
            }
        }
    }
}

/// A TOML value as the text of a cell of `column`, or what was wrong.
fn cell_text(v: &toml::Value, column: &super::schema::Column) -> Result<String, (String, String)> {
    use super::schema::Kind;
    let numeric = matches!(column.kind, Kind::Real | Kind::Integer);
    match (v, numeric) {
        (toml::Value::Float(x), true) => Ok(format!("{x}")),
        (toml::Value::Integer(x), true) => Ok(format!("{x}")),
        (toml::Value::String(s), false) => Ok(s.clone()),
        (other, _) => Err((
            format!(
                "{} for column {} ({})",
                if numeric { "a number" } else { "a string" },
                column.name,
                column.kind.describe()
            ),
            match other {
                toml::Value::String(s) => format!("the string {}", shown(s)),
                o => o.type_str().to_string(),
            },
        )),
    }
}

/// Applies the scenario's what-ifs to the tables, in the order of
/// [`Scenario::tables`]' `iter()` (regions, sites, electricity_prices,
/// subsidies, demand, accelerators, cooling).
pub fn apply(sc: &Scenario, tables: &mut [&mut RawTable; 7], p: &mut Problems) -> Applied {
    let mut applied = Applied::default();
    // [sites.<id>] status = "…": the same as [set] "sites.<id>.status".
    for (site, w) in &sc.sites {
        let key = format!("sites.{site}.status");
        let (file, line) = sc.locate(&key);
        set_cell(
            sc,
            tables,
            "sites",
            site,
            "status",
            &toml::Value::String(w.status.clone()),
            (file, line, format!("[sites.{site}] status")),
            &mut applied,
            p,
        );
    }
    apply_set(sc, tables, &mut applied, p);
    add_subsidies(sc, &mut *tables[3], &mut applied, p);
    applied
}

/// `[set] "<table>.<row>.<column>" = v`, each entry.
fn apply_set(
    sc: &Scenario,
    tables: &mut [&mut RawTable; 7],
    applied: &mut Applied,
    p: &mut Problems,
) {
    for (cell, v) in &sc.set {
        let (file, line) = sc.locate_set(cell);
        let key = format!("[set] {}", shown(cell));
        let parts: Vec<&str> = cell.split('.').collect();
        let [table, row, column] = parts[..] else {
            p.push(Problem::new(
                &file,
                line,
                Some(&key),
                "\"<table>.<row id>.<column>\", e.g. \"electricity_prices.ningxia.price_cny_per_kwh\"",
                if v.is_table() {
                    format!(
                        "a table {} (an unquoted key: write the whole cell in quotes, \"{}.<row id>.<column>\" = …)",
                        shown(cell),
                        super::problem::cut(&super::problem::escaped(cell), 40)
                    )
                } else {
                    format!("{} part{}", parts.len(), if parts.len() == 1 { "" } else { "s" })
                },
            ));
            continue;
        };
        set_cell(
            sc,
            tables,
            table,
            row,
            column,
            v,
            (file, line, key),
            applied,
            p,
        );
    }
}

/// `[[subsidies]]`: rows added to the subsidy scenario in use.
fn add_subsidies(sc: &Scenario, t: &mut RawTable, applied: &mut Applied, p: &mut Problems) {
    for (n, entry) in sc.subsidies.iter().enumerate() {
        let (file, line) = sc.locate_subsidy(n);
        let key = format!("[[subsidies]] #{}", n + 1);
        if !subsidy_entry_ok(t, entry, (&file, line, &key), p) {
            continue;
        }
        let i = t.push_row();
        let origin = Origin {
            table_file: t.file.clone(),
            row: sheet_row(i),
            column: None,
            file: file.clone(),
            line,
            key: key.clone(),
        };
        let start = p.len();
        for c in t.spec.columns {
            let text = if c.name == "scenario" {
                Some(sc.subsidy_scenario.clone())
            } else {
                entry.get(c.name).and_then(|v| cell_text(v, c).ok())
            }
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
            check_table_cell(&t.file, c, i, &text, p);
            t.set_cell(c.name, i, text);
        }
        applied.origins.push(origin);
        applied.remap(p, start);
    }
}

/// Whether every key of a `[[subsidies]]` entry is a column of the table
/// (but `scenario`) with a value of its type; each one that is not is reported.
fn subsidy_entry_ok(
    t: &RawTable,
    entry: &toml::Table,
    (file, line, key): (&PathBuf, Option<usize>, &str),
    p: &mut Problems,
) -> bool {
    let mut ok = true;
    for (k, v) in entry {
        let column = t.spec.columns.iter().find(|c| c.name == k.as_str());
        match column {
            Some(c) if c.name != "scenario" => {
                if let Err((expected, found)) = cell_text(v, c) {
                    ok = false;
                    p.push(Problem::new(
                        file,
                        line,
                        Some(&format!("{key}.{k}")),
                        expected,
                        found,
                    ));
                }
            }
            _ => {
                ok = false;
                let known: Vec<&str> = t
                    .spec
                    .columns
                    .iter()
                    .map(|c| c.name)
                    .filter(|c| *c != "scenario")
                    .collect();
                let hint = match super::scenario::did_you_mean(k, known.iter().copied()) {
                    Some(h) => format!(" (did you mean {h}?)"),
                    None => String::new(),
                };
                p.push(Problem::new(
                    file,
                    line,
                    Some(&format!("{key}.{}", shown(k))),
                    format!(
                        "a column of subsidies.csv but scenario ({})",
                        known.join(", ")
                    ),
                    format!("unknown key{hint}"),
                ));
            }
        }
    }
    ok
}

/// The column of `t` named `column` that a what-if may write (not the id
/// column, not a subsidy's `scenario`), or (expected, found).
pub fn writable_column(
    t: &RawTable,
    column: &str,
) -> Result<&'static super::schema::Column, (String, String)> {
    let spec: &'static super::schema::Table = t.spec;
    let id_column = spec.key.unwrap_or("programme_id");
    let writable = |c: &&super::schema::Column| c.name != id_column && c.name != "scenario";
    if let Some(c) = spec
        .columns
        .iter()
        .filter(writable)
        .find(|c| c.name == column)
    {
        return Ok(c);
    }
    let file_name = t
        .file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let known: Vec<&str> = spec
        .columns
        .iter()
        .filter(writable)
        .map(|c| c.name)
        .collect();
    Err((
        format!("a column of {file_name} ({})", known.join(", ")),
        format!("unknown column {} in {file_name}", shown(column)),
    ))
}

/// `[set] "<table>.<row>.<column>" = v`, checked like a cell of the file.
#[allow(clippy::too_many_arguments)]
fn set_cell(
    sc: &Scenario,
    tables: &mut [&mut RawTable; 7],
    table: &str,
    row: &str,
    column: &str,
    v: &toml::Value,
    (file, line, key): (PathBuf, Option<usize>, String),
    applied: &mut Applied,
    p: &mut Problems,
) {
    let names: Vec<&str> = sc.tables.iter().iter().map(|(n, _)| *n).collect();
    let Some(ti) = names.iter().position(|n| *n == table) else {
        p.push(Problem::new(
            &file,
            line,
            Some(&key),
            format!("a table ({})", names.join(", ")),
            format!("unknown table {}", shown(table)),
        ));
        return;
    };
    let t = &mut *tables[ti];
    let file_name = t
        .file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(i) = row_of(sc, t, row) else {
        p.push(Problem::new(
            &file,
            line,
            Some(&key),
            format!(
                "a row id of {file_name} ({})",
                t.spec
                    .key
                    .unwrap_or("programme_id of the subsidy scenario in use")
            ),
            format!("unknown row {} in {file_name}", shown(row)),
        ));
        return;
    };
    let c = match writable_column(t, column) {
        Ok(c) => c,
        Err((expected, found)) => {
            p.push(Problem::new(&file, line, Some(&key), expected, found));
            return;
        }
    };
    let text = match cell_text(v, c) {
        Ok(t) => Some(t.trim().to_string()).filter(|s| !s.is_empty()),
        Err((expected, found)) => {
            p.push(Problem::new(&file, line, Some(&key), expected, found));
            return;
        }
    };
    let origin = Origin {
        table_file: t.file.clone(),
        row: sheet_row(i),
        column: Some(c.name),
        file: file.clone(),
        line,
        key: key.clone(),
    };
    let start = p.len();
    check_table_cell(&t.file, c, i, &text, p);
    t.set_cell(c.name, i, text);
    if table == "electricity_prices" && c.name == "price_cny_per_kwh" {
        let warn = |bound: &str, b: f64, x: f64| {
            format!(
                "{}: {key}: price {x} CNY/kWh lies outside {row}'s range in \
                 {file_name}; its {bound} is widened from {b} to {x}",
                file.display()
            )
        };
        widen_price_range(t, i, warn, &mut applied.warnings);
    }
    applied.origins.push(origin);
    applied.remap(p, start);
}

/// The row of `t` named `row`: by the table's id column; subsidies by
/// programme_id within the subsidy scenario in use.
fn row_of(sc: &Scenario, t: &RawTable, row: &str) -> Option<usize> {
    match t.spec.key {
        Some(id_column) => t.find_row(id_column, row),
        None => (0..t.n_rows).find(|&i| {
            t.get("programme_id", i) == Some(row)
                && t.get("scenario", i) == Some(sc.subsidy_scenario.as_str())
        }),
    }
}

/// A price moved outside its low-high range widens the range (with a
/// warning, `warn(bound, old, new)`).
fn widen_price_range(
    t: &mut RawTable,
    i: usize,
    warn: impl Fn(&str, f64, f64) -> String,
    warnings: &mut Vec<String>,
) {
    let price = t.opt_real("price_cny_per_kwh", i);
    for (bound, below) in [("low", true), ("high", false)] {
        if let (Some(x), Some(b)) = (price, t.opt_real(bound, i)) {
            if (below && x < b) || (!below && x > b) {
                warnings.push(warn(bound, b, x));
                t.set_cell(if below { "low" } else { "high" }, i, Some(format!("{x}")));
            }
        }
    }
}
