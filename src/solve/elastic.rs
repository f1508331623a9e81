//! Infeasibility explained: the elastic model. For one family of constraints
//! at a time, every row of the family gets a penalised slack, and the smallest
//! total slack (in the planner's units) says how much that family would have
//! to give for a plan to exist.

use good_lp::{variable, Expression, Solution};

use super::{run_highs, SolveOptions, Values};
use crate::milp::{self, Integrality, Model, Prepared, Sense};

/// One relaxation that, with the others of its alternative, makes the scenario feasible.
#[derive(Debug, Clone, PartialEq)]
pub struct Relaxation {
    pub constraint: String,
    pub family: &'static str,
    /// In `unit`.
    pub amount: f64,
    pub unit: &'static str,
    /// In the planner's words, e.g. "raise the Yangtze River Delta power quota by 420 MW".
    pub text: String,
}

/// The families tried one group at a time, in this order.
const GROUPS: &[&[&str]] = &[
    &["region-power-quota"],
    &["region-energy-quota"],
    &["accelerator-target"],
    &["dual-track"],
    &["mega-cluster"],
    &["inference-demand"],
    &["region-bound", "tier-bound"],
    &["site-power"],
    &["region-power-quota", "region-energy-quota", "site-power"],
];

fn unit_of(family: &str) -> (&'static str, f64) {
    match family {
        "region-power-quota" | "site-power" => ("MW", 1000.0),
        "region-energy-quota" => ("tce/year", 1.0),
        "inference-demand" => ("H200-eq cards", 1.0),
        "mega-cluster" => ("clusters", 1.0),
        _ => ("cards", 1.0),
    }
}

fn amount_text(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 1.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

fn describe(p: &Prepared, name: &str, family: &str, amount: f64, unit: &str) -> String {
    let a = amount_text(amount);
    let region_name = |id: &str| {
        p.inst
            .region(id)
            .map(|r| r.name_en.clone())
            .unwrap_or_else(|| id.to_string())
    };
    if let Some(id) = name.strip_prefix("region-power-quota-") {
        return format!("raise the {} power quota by {a} MW", region_name(id));
    }
    if let Some(id) = name.strip_prefix("region-energy-quota-") {
        return format!(
            "raise the {} energy-use quota by {a} tce/year",
            region_name(id)
        );
    }
    if let Some(acc) = name.strip_prefix("target-max-") {
        return format!("raise the {acc} maximum by {a} cards");
    }
    if let Some(acc) = name
        .strip_prefix("target-min-")
        .or_else(|| name.strip_prefix("target-"))
    {
        return format!("lower the {acc} target by {a} cards");
    }
    if name == "dual-track-domestic-share" {
        return format!("accept {a} domestic cards fewer than the dual-track share asks");
    }
    if name == "mega-count" {
        return format!("build {a} fewer mega training clusters");
    }
    if let Some(city) = name.strip_prefix("demand-") {
        return format!(
            "serve {a} fewer H200-eq cards of inference in {city} (or give it a longer RTT budget)"
        );
    }
    if let Some(rest) = name.strip_prefix("site-power-") {
        let site = p
            .inst
            .sites
            .iter()
            .find(|s| rest.starts_with(&format!("{}-", s.id)))
            .map(|s| s.name_en.as_str())
            .unwrap_or(rest);
        return format!("raise the IT capacity of {site} by {a} MW");
    }
    format!("relax {name} ({family}) by {a} {unit}")
}

/// Adds a non-negative slack to every row of `families` that relaxes it, and
/// makes the objective the sum of slacks in planner units. Returns (row, slack).
fn make_elastic(model: &mut Model, families: &[&str]) -> Vec<(usize, good_lp::Variable)> {
    let mut out = Vec::new();
    let mut objective = Expression::default();
    for i in 0..model.rows.len() {
        let family = model.rows[i].family;
        if !families.contains(&family) {
            continue;
        }
        // Mega-size rows are per site; only the count is a planner's lever.
        if family == "mega-cluster" && model.rows[i].name != "mega-count" {
            continue;
        }
        let s = model.problem_vars.add(variable().min(0));
        model.column.insert(s, model.integer.len());
        model.integer.push(false);
        model.n_columns += 1;
        let sign = match model.rows[i].sense {
            Sense::Le => -1.0,
            Sense::Ge | Sense::Eq => 1.0,
        };
        model.rows[i].lhs.add_mul(sign, s);
        let (_, factor) = unit_of(family);
        objective.add_mul(1.0 / factor, s);
        out.push((i, s));
    }
    model.objective = objective;
    out
}

/// Alternatives, each a list of relaxations within one family group that
/// together make the scenario feasible (server counts relaxed to continuous,
/// so amounts are exact up to one server).
pub fn relaxations(p: &Prepared, opts: &SolveOptions) -> Vec<Vec<Relaxation>> {
    let mut alternatives = Vec::new();
    for group in GROUPS {
        let mut model = milp::build(p, Integrality::ContinuousServers);
        let slacks = make_elastic(&mut model, group);
        if slacks.is_empty() {
            continue;
        }
        let rows: Vec<(String, &'static str)> = model
            .rows
            .iter()
            .map(|r| (r.name.clone(), r.family))
            .collect();
        let mut o = opts.clone();
        o.time_limit_s = Some(opts.time_limit_s.unwrap_or(60.0).min(60.0));
        let Ok((raw, parts)) = run_highs(model, &o, &[]) else {
            continue;
        };
        let values = Values {
            cols: raw.cols.clone(),
            column: &parts.column,
        };
        let mut alt = Vec::new();
        for (i, s) in slacks {
            let (name, family) = &rows[i];
            let (unit, factor) = unit_of(family);
            let amount = values.value(s) / factor;
            if amount > 1e-6 {
                alt.push(Relaxation {
                    constraint: name.clone(),
                    family,
                    amount,
                    unit,
                    text: describe(p, name, family, amount, unit),
                });
            }
        }
        if !alt.is_empty() {
            alternatives.push(alt);
        }
    }
    alternatives
}

/// The relaxations as lines: one alternative per line, parts joined by "and".
pub fn relaxation_lines(alternatives: &[Vec<Relaxation>]) -> Vec<String> {
    alternatives
        .iter()
        .map(|alt| {
            alt.iter()
                .map(|r| r.text.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .collect()
}
