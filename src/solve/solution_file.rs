//! A solution found by another solver, read back into a plan
//! (`solve --read-solution`). The file is HiGHS's (`highs --solution_file`)
//! or Gurobi's `.sol` (`name value` lines); names are the column names that
//! `--write-model` writes ([`column_names`]). Before it is called a plan,
//! every value is checked against its column's bounds and integrality and
//! every row of the full model (each named with its typed key, in the
//! planner's words). The text comes from the caller: `solve` reads no file.

use std::collections::HashMap;
use std::time::Instant;

use good_lp::{Expression, Solution};

use super::{
    binding_rows, check_plan, column_names, explain_unbuilt, links, plan, round_lp, shadow_prices,
    ModelParts, Plan, RawSolution, SolveError, SolveOptions, Status, Values, DEFAULT_MIP_GAP,
};
use crate::milp::{self, Integrality, Model, Prepared, Sense, CNY_PER_OBJECTIVE_UNIT};

/// A value of a column, with the line of the file that gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub value: f64,
    pub line: usize,
}

/// Reads `name value` pairs from a HiGHS solution file (the values under
/// `# Columns N` of its primal section) or a Gurobi `.sol` file (every line
/// that is not blank and not a `#` comment). An error names the line.
pub fn parse_solution(text: &str) -> Result<Vec<Entry>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let pair = |i: usize, l: &str| -> Result<Entry, String> {
        let mut t = l.split_whitespace();
        let (Some(name), Some(v), None) = (t.next(), t.next(), t.next()) else {
            return Err(format!(
                "line {}: expected `name value`, found {:?}",
                i + 1,
                shown(l)
            ));
        };
        let value = v
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| {
                format!(
                    "line {}: expected a finite number as the value of {name}, found {:?}",
                    i + 1,
                    shown(v)
                )
            })?;
        Ok(Entry {
            name: name.to_string(),
            value,
            line: i + 1,
        })
    };
    if let Some(start) = lines
        .iter()
        .position(|l| l.trim() == "# Primal solution values")
    {
        // HiGHS: "# Primal solution values", "Feasible" / "Infeasible" / "None",
        // "Objective …", "# Columns N", N lines "name value", "# Rows M", …
        let Some(at) = lines[start..]
            .iter()
            .position(|l| l.trim_start().starts_with("# Columns"))
            .map(|k| start + k)
        else {
            return Err(format!(
                "line {}: a HiGHS solution file without primal values (\"# Columns N\" missing); write it from a solved model",
                start + 1
            ));
        };
        let n: usize = lines[at]
            .trim_start()
            .trim_start_matches("# Columns")
            .trim()
            .parse()
            .map_err(|_| {
                format!(
                    "line {}: expected \"# Columns N\", found {:?}",
                    at + 1,
                    lines[at]
                )
            })?;
        if lines[start + 1..at].iter().any(|l| l.trim() == "None") {
            return Err(format!(
                "line {}: the HiGHS file holds no primal solution (\"None\")",
                start + 2
            ));
        }
        let mut out = Vec::with_capacity(n);
        for i in at + 1..at + 1 + n {
            let Some(l) = lines.get(i) else {
                return Err(format!(
                    "line {}: the file ends after {} of the {n} column values \"# Columns {n}\" announced",
                    i + 1,
                    i - at - 1
                ));
            };
            out.push(pair(i, l)?);
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        out.push(pair(i, t)?);
    }
    if out.is_empty() {
        return Err(
            "no `name value` line: neither a HiGHS solution file nor a Gurobi .sol file".into(),
        );
    }
    Ok(out)
}

/// Turns a solution file's text into a plan: every column by name (a column
/// the file does not name is 0), checked against bounds, integrality and
/// every row of the full model; then read back, checked, priced and explained
/// as a solve's plan. Its gap is measured against the LP bound dcsite proves
/// itself, so "optimal" is a proof here too. `file` names the file in errors.
pub fn plan_from_solution(
    p: &Prepared,
    text: &str,
    file: &str,
    opts: &SolveOptions,
) -> Result<Plan, SolveError> {
    let t0 = Instant::now();
    let bad = |m: String| SolveError::BadSolution(format!("{file}: {m}"));
    let entries = parse_solution(text).map_err(bad)?;
    let model = milp::build(p, Integrality::Full);
    let names = column_names(p, &model);
    let by_name: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(c, n)| (n.as_str(), c))
        .collect();
    let mut cols = vec![0.0; model.n_columns];
    let mut seen = vec![0usize; model.n_columns];
    for e in &entries {
        let Some(&c) = by_name.get(e.name.as_str()) else {
            return Err(bad(format!(
                "line {}: no column {:?} in the model of {} (names as `--write-model` writes them)",
                e.line,
                shown(&e.name),
                p.inst.name
            )));
        };
        if seen[c] != 0 {
            return Err(bad(format!(
                "line {}: column {} given twice (first on line {})",
                e.line, e.name, seen[c]
            )));
        }
        seen[c] = e.line;
        cols[c] = e.value;
    }
    check_columns(p, &model, &names, &cols).map_err(bad)?;
    let values = Values {
        cols: cols.clone(),
        column: &model.column,
    };
    check_rows(p, &model, &values).map_err(bad)?;
    let objective = model.objective.eval_with(&values) * model.cny_per_objective_unit;
    // A lower bound of dcsite's own: the LP relaxation (link rows separated).
    let cut_links = std::cell::RefCell::new(links::LinkSet::new(p));
    let build = |i| Ok(milp::build_with(p, i, cut_links.borrow().links()));
    let mut o = opts.clone();
    o.log = false;
    let (lp_bound, _, build_seconds) = round_lp(p, &o, &build, &cut_links)?;
    let n_rows = model.rows.len();
    let n_int = model.integer.iter().filter(|&&i| i).count();
    let n_cols = model.n_columns;
    let Model {
        column,
        integer,
        vars,
        objective: obj_expr,
        cny_per_objective_unit,
        rows,
        ..
    } = model;
    let parts = ModelParts {
        column,
        integer,
        vars,
        rows,
        objective: obj_expr,
        cny_per_objective_unit,
    };
    let mut raw = RawSolution {
        status: Status::Feasible,
        cols,
        objective,
        dual_bound: lp_bound,
        seconds: 0.0,
        row_duals: Vec::new(),
        col_duals: Vec::new(),
    };
    let mip_gap = raw.gap_to(lp_bound);
    raw.status = if mip_gap <= opts.mip_gap.unwrap_or(DEFAULT_MIP_GAP) + 1e-12 {
        Status::Optimal
    } else {
        Status::Feasible
    };
    raw.seconds = t0.elapsed().as_secs_f64() - build_seconds;
    let values = Values {
        cols: raw.cols.clone(),
        column: &parts.column,
    };
    let mut plan = plan::read_back(p, &parts, &values, &raw);
    plan.mip_gap = mip_gap;
    plan.binding = binding_rows(p, &parts, &values);
    plan.build_seconds = build_seconds;
    plan.model_size = (n_cols, n_int, n_rows);
    check_plan(p, &plan)?;
    plan.shadow_prices = shadow_prices(p, &plan, opts)?;
    explain_unbuilt(p, &mut plan, opts);
    Ok(plan)
}

/// Tolerance of a row or bound: what solvers allow (1e-6) relative to the
/// size of the limit.
fn tol(limit: f64) -> f64 {
    1e-6 * (1.0 + limit.abs())
}

/// Bounds and integrality of every column, as the model builder sets them.
fn check_columns(p: &Prepared, m: &Model, names: &[String], cols: &[f64]) -> Result<(), String> {
    let col = |v: &good_lp::Variable| m.column[v];
    let mut bounds: Vec<(f64, f64)> = vec![(0.0, f64::INFINITY); m.n_columns];
    for (o, opt) in p.options.iter().enumerate() {
        bounds[col(&m.vars.open[o])] = (0.0, 1.0);
        for (i, &a) in opt.accels.iter().enumerate() {
            bounds[col(&m.vars.servers[o][i])] = (0.0, p.max_servers(opt, a));
        }
    }
    for v in m.vars.mega.iter().flatten() {
        bounds[col(v)] = (0.0, 1.0);
    }
    for (j, v) in m.vars.subsidy.iter().enumerate() {
        if let Some(cap) = p.inst.subsidies[j].cap_cny {
            bounds[col(v)].1 = cap.max(0.0) / CNY_PER_OBJECTIVE_UNIT;
        }
    }
    for (c, &x) in cols.iter().enumerate() {
        let (lo, hi) = bounds[c];
        if x < lo - tol(lo) || x > hi + tol(hi) {
            return Err(format!(
                "column {} is {x}, outside its bounds [{lo}, {hi}]",
                names[c]
            ));
        }
        if m.integer[c] && (x - x.round()).abs() > 1e-6 {
            return Err(format!(
                "column {} is {x}, but it is {} (a whole number)",
                names[c],
                if bounds[c] == (0.0, 1.0) {
                    "a yes/no decision"
                } else {
                    "a count of servers"
                }
            ));
        }
    }
    Ok(())
}

/// Every row of the full model; a violated one is named by its key, in the
/// planner's words, with its value and limit in the planner's unit.
fn check_rows(p: &Prepared, m: &Model, values: &Values) -> Result<(), String> {
    for r in &m.rows {
        let lhs = Expression::eval_with(&r.lhs, values);
        let excess = match r.sense {
            Sense::Le => lhs - r.rhs,
            Sense::Ge => r.rhs - lhs,
            Sense::Eq => (lhs - r.rhs).abs(),
        };
        // Terms of the row count too: a row of large terms that cancel gets
        // the solver's relative tolerance on them.
        let size: f64 = {
            use good_lp::IntoAffineExpression;
            (&r.lhs)
                .linear_coefficients()
                .map(|(v, c)| (c * values.value(v)).abs())
                .fold(0.0, f64::max)
        };
        if excess > tol(r.rhs.abs().max(size)) {
            let family = r.family();
            let per = family.row_units_per_unit();
            let sense = match r.sense {
                Sense::Le => "at most",
                Sense::Ge => "at least",
                Sense::Eq => "exactly",
            };
            return Err(format!(
                "the solution violates row {} ({}): {} {} where the row allows {sense} {} {}",
                r.key.name(p),
                r.key.words(p),
                significant(lhs / per),
                family.unit(),
                significant(r.rhs / per),
                family.unit(),
            ));
        }
    }
    Ok(())
}

/// At most 80 characters of what the file holds (quoted and escaped by `{:?}`).
fn shown(s: &str) -> String {
    s.chars().take(80).collect()
}

/// A number with up to 6 significant digits, for messages.
fn significant(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_highs_and_gurobi_files() {
        let highs = "Model status\nOptimal\n\n# Primal solution values\nFeasible\nObjective 3\n# Columns 2\nopen-a 1\nservers-a-x 2.5\n# Rows 1\nr 1\n\n# Dual solution values\nFeasible\n# Columns 2\nopen-a 0\nservers-a-x 0\n";
        let e = parse_solution(highs).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[1].name.as_str(), e[1].value, e[1].line),
            ("servers-a-x", 2.5, 9)
        );
        let gurobi =
            "# Solution for model m\n# Objective value = 3\nopen-a 1\n\nservers-a-x 2.5e0\n";
        let e = parse_solution(gurobi).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].line, 5);
        let err = parse_solution("# x\nopen-a one\n").unwrap_err();
        assert!(err.contains("line 2") && err.contains("open-a"), "{err}");
        let err =
            parse_solution("# Primal solution values\nFeasible\n# Columns 3\na 1\n").unwrap_err();
        assert!(err.contains("ends after 1 of the 3"), "{err}");
    }
}
