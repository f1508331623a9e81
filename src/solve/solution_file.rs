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

use super::base::check::check_plan;
use super::base::names::column_names;
use super::base::options::{SolveError, SolveOptions, DEFAULT_MIP_GAP};
use super::base::phases::round_lp;
use super::base::read::{read_back, ModelParts, RawSolution, Values};
use super::base::strategy::{Run, Solved};
use super::explain;
use crate::milp::{self, Integrality, Model, Prepared, Sense, CNY_PER_OBJECTIVE_UNIT};
use crate::plan::{Plan, Status};

/// A value of a column, with the line of the file that gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub value: f64,
    pub line: usize,
}

/// Largest solution file `solve --read-solution` reads: 1 GiB (HiGHS's file
/// of a model with millions of columns, with its rows and duals).
pub const MAX_SOLUTION_BYTES: u64 = 1 << 30;

/// Longest line of a solution file, bytes: a column name and a number. A
/// longer line is refused where it starts, before more of it is read.
pub const MAX_LINE_BYTES: usize = 4096;

/// Lines a HiGHS file may hold before `# Primal solution values` (its model
/// status), and between that and `# Columns N` (status, objective).
const HIGHS_HEADER_LINES: usize = 16;

/// The refusal of a file that does not look like a solution file: it names
/// the line and shows nothing of it (the file may be anything, e.g. a
/// password file given by mistake).
fn not_a_solution(line: usize) -> String {
    format!(
        "line {line}: expected a HiGHS solution file (\"Model status\", \"# Primal solution values\", \
         \"# Columns N\", `name value` lines) or a Gurobi .sol file (`name value` lines, `#` comments), \
         found a line that is neither; nothing of a file that is not a solution file is shown"
    )
}

/// Reads one line (at most [`MAX_LINE_BYTES`]) into `buf`: `None` at the end
/// of the file; the line without its end, checked to be UTF-8 text without
/// control characters (tabs allowed). Nothing of a refused line is shown.
fn next_line<'a, R: std::io::BufRead>(
    r: &mut R,
    buf: &'a mut Vec<u8>,
    line: usize,
) -> Result<Option<&'a str>, String> {
    use std::io::{BufRead, Read};
    buf.clear();
    let n = r
        .by_ref()
        .take(MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', buf)
        .map_err(|e| {
            // The error's text without the OS error number.
            let text = e.to_string();
            let text = text.split(" (os error").next().unwrap_or_default();
            format!("line {line}: cannot read it: {text}")
        })?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    } else if buf.len() > MAX_LINE_BYTES {
        return Err(format!(
            "line {line}: expected a line of at most {MAX_LINE_BYTES} bytes (a column name and \
             its value), found a longer one; nothing of it is shown"
        ));
    }
    let text = std::str::from_utf8(buf).map_err(|_| {
        format!("line {line}: expected UTF-8 text, found other bytes; nothing of them is shown")
    })?;
    if text.chars().any(|c| c.is_control() && c != '\t') {
        return Err(format!(
            "line {line}: expected text, found a control character; nothing of the line is shown"
        ));
    }
    Ok(Some(text))
}

/// `name value` with a finite value, or `None`.
fn pair_of(t: &str) -> Option<(&str, f64)> {
    let mut it = t.split_whitespace();
    let (Some(name), Some(v), None) = (it.next(), it.next(), it.next()) else {
        return None;
    };
    let value = v.parse::<f64>().ok().filter(|x| x.is_finite())?;
    Some((name, value))
}

/// One `name value` line of a file already known to be a solution file: an
/// error names the line and shows at most the offending cell.
fn pair(line: usize, l: &str) -> Result<Entry, String> {
    let mut t = l.split_whitespace();
    let (Some(name), Some(v), None) = (t.next(), t.next(), t.next()) else {
        return Err(format!(
            "line {line}: expected `name value`, found {:?}",
            shown(l)
        ));
    };
    let value = v
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| {
            format!(
                "line {line}: expected a finite number as the value of {:?}, found {:?}",
                shown(name),
                shown(v)
            )
        })?;
    Ok(Entry {
        name: name.to_string(),
        value,
        line,
    })
}

/// Reads `name value` pairs from a HiGHS solution file (the values under
/// `# Columns N` of its primal section) or a Gurobi `.sol` file (every line
/// that is not blank and not a `#` comment), a line at a time, handing each
/// to `entry` and stopping at the first error (of the file or of `entry`);
/// returns how many values it read. Memory does not grow with the file:
/// one line of at most [`MAX_LINE_BYTES`] is held at a time, and
/// `# Columns N` allocates nothing (an `N` above `max_columns` is refused).
///
/// The format is decided from the first lines: a HiGHS file starts with
/// `Model status` (or `# Primal solution values`), a Gurobi file with `#`
/// comments and then a `name value` line. A file that is neither is refused
/// naming the line and quoting nothing of it; once the format is known an
/// error quotes at most the offending cell (80 characters).
pub fn read_solution<R: std::io::BufRead>(
    r: R,
    max_columns: usize,
    mut entry: impl FnMut(Entry) -> Result<(), String>,
) -> Result<usize, String> {
    let mut lines = Lines {
        r,
        buf: Vec::new(),
        line: 0,
    };
    // HiGHS: "Model status", its status, "# Primal solution values",
    // "Feasible" / "Infeasible" / "None", "Objective …" (a MIP's
    // "Objective_bound …", "MIP_rel_gap …"), "# Columns N",
    // N lines "name value", "# Rows M", … (read no further than the columns).
    match first_line(&mut lines, &mut entry)? {
        Start::Gurobi => return gurobi_values(&mut lines, max_columns, &mut entry),
        Start::ModelStatus => highs_primal(&mut lines)?,
        Start::Primal => {}
    }
    let announced = highs_columns(&mut lines, max_columns)?;
    highs_values(&mut lines, announced, &mut entry)
}

/// A solution file read a line at a time, with the number of the last line read.
struct Lines<R> {
    r: R,
    buf: Vec<u8>,
    line: usize,
}

impl<R: std::io::BufRead> Lines<R> {
    /// The next line's number and text ([`next_line`]; `None` at the end of
    /// the file).
    fn read(&mut self) -> Result<(usize, Option<&str>), String> {
        self.line += 1;
        let l = next_line(&mut self.r, &mut self.buf, self.line)?;
        Ok((self.line, l))
    }
}

/// What the first line that is not blank or a comment says the file is.
enum Start {
    /// A Gurobi `.sol` file, its first value already handed on.
    Gurobi,
    /// A HiGHS file at `Model status`.
    ModelStatus,
    /// A HiGHS file at `# Primal solution values`.
    Primal,
}

/// Reads up to the first line that is not blank or a comment, which decides
/// the format; a Gurobi file's first value goes to `entry`.
fn first_line<R: std::io::BufRead, F: FnMut(Entry) -> Result<(), String>>(
    lines: &mut Lines<R>,
    entry: &mut F,
) -> Result<Start, String> {
    loop {
        let (line, l) = lines.read()?;
        let Some(l) = l else {
            return Err(
                "no `name value` line: neither a HiGHS solution file nor a Gurobi .sol file".into(),
            );
        };
        let t = l.trim();
        if t.is_empty() {
            continue;
        }
        if t == "Model status" || t.starts_with("Model status:") {
            return Ok(Start::ModelStatus);
        }
        if t == "# Primal solution values" {
            return Ok(Start::Primal);
        }
        if t.starts_with('#') {
            continue;
        }
        let Some((name, value)) = pair_of(t) else {
            return Err(not_a_solution(line));
        };
        entry(Entry {
            name: name.to_string(),
            value,
            line,
        })?;
        return Ok(Start::Gurobi);
    }
}

/// Gurobi: every further line that is not blank or a comment, after the
/// first value; returns how many values the file holds.
fn gurobi_values<R: std::io::BufRead, F: FnMut(Entry) -> Result<(), String>>(
    lines: &mut Lines<R>,
    max_columns: usize,
    entry: &mut F,
) -> Result<usize, String> {
    let mut n = 1usize;
    loop {
        let (line, l) = lines.read()?;
        let Some(l) = l else {
            return Ok(n);
        };
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if n >= max_columns {
            return Err(format!(
                "line {line}: more values than the model has columns ({max_columns})"
            ));
        }
        entry(pair(line, t)?)?;
        n += 1;
    }
}

/// HiGHS, after `Model status`: reads to `# Primal solution values`, within
/// [`HIGHS_HEADER_LINES`] lines.
fn highs_primal<R: std::io::BufRead>(lines: &mut Lines<R>) -> Result<(), String> {
    let mut k = 0;
    loop {
        let (line, l) = lines.read()?;
        k += 1;
        let Some(l) = l else {
            return Err(format!(
                "line {line}: a HiGHS solution file without primal values (\"# Primal solution values\" missing); write it from a solved model"
            ));
        };
        if l.trim() == "# Primal solution values" {
            return Ok(());
        }
        if k > HIGHS_HEADER_LINES {
            return Err(not_a_solution(line));
        }
    }
}

/// HiGHS, after `# Primal solution values`: reads to `# Columns N` and
/// returns `N`, refused above `max_columns`.
fn highs_columns<R: std::io::BufRead>(
    lines: &mut Lines<R>,
    max_columns: usize,
) -> Result<u64, String> {
    let primal = lines.line;
    loop {
        let (line, l) = lines.read()?;
        let Some(l) = l else {
            return Err(format!(
                "line {line}: a HiGHS solution file without primal values (\"# Columns N\" missing); write it from a solved model"
            ));
        };
        let t = l.trim();
        if let Some(rest) = t.strip_prefix("# Columns") {
            let n: u64 = rest.trim().parse().map_err(|_| {
                format!(
                    "line {line}: expected \"# Columns N\" with N a whole number, found {:?}",
                    shown(rest.trim())
                )
            })?;
            if n > max_columns as u64 {
                return Err(format!(
                    "line {line}: \"# Columns {n}\" announces more columns than the model has ({max_columns})"
                ));
            }
            return Ok(n);
        }
        if t == "None" {
            return Err(format!(
                "line {line}: the HiGHS file holds no primal solution (\"None\")"
            ));
        }
        // "Feasible" / "Infeasible", "Objective …", "Objective_bound …",
        // "MIP_rel_gap …" and whatever a later HiGHS adds, within a few lines.
        if line - primal > HIGHS_HEADER_LINES {
            return Err(format!(
                "line {line}: expected \"# Columns N\" after \"# Primal solution values\" (line {primal}), found another line"
            ));
        }
    }
}

/// HiGHS: the `announced` lines `name value` after `# Columns N`, each
/// handed to `entry`; returns how many were read.
fn highs_values<R: std::io::BufRead, F: FnMut(Entry) -> Result<(), String>>(
    lines: &mut Lines<R>,
    announced: u64,
    entry: &mut F,
) -> Result<usize, String> {
    let mut read = 0u64;
    while read < announced {
        let (line, l) = lines.read()?;
        let Some(l) = l else {
            return Err(format!(
                "line {line}: the file ends after {read} of the {announced} column values \"# Columns {announced}\" announced"
            ));
        };
        entry(pair(line, l)?)?;
        read += 1;
    }
    Ok(read as usize)
}

/// Reads `name value` pairs from a solution file's text (see [`read_solution`]).
pub fn parse_solution(text: &str) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    read_solution(text.as_bytes(), usize::MAX, |e| {
        out.push(e);
        Ok(())
    })?;
    Ok(out)
}

/// Turns a solution file's text into a plan: every column by name (a column
/// the file does not name is 0), checked against bounds, integrality and
/// every row of the full model; then read back, checked, priced and explained
/// as a solve's plan. Its gap is measured against the LP bound dcsite proves
/// itself, so "optimal" is a proof here too. `file` names the file in errors.
pub fn plan_from_solution<R: std::io::BufRead>(
    p: &Prepared,
    reader: R,
    file: &str,
    opts: &SolveOptions,
) -> Result<Plan, SolveError> {
    let t0 = Instant::now();
    let bad = |m: String| SolveError::BadSolution(format!("{file}: {m}"));
    let model = milp::build(p, Integrality::Full);
    let cols = read_columns(p, &model, reader).map_err(bad)?;
    let values = Values {
        cols,
        column: &model.column,
    };
    check_rows(p, &model, &values).map_err(bad)?;
    let objective = model.objective.eval_with(&values) * model.cny_per_objective_unit;
    let cols = values.cols;
    // A lower bound of dcsite's own: the LP relaxation (link rows separated).
    let mut o = opts.clone();
    o.log = false;
    let run = Run::new(p, &o, &[]);
    let (lp_bound, _) = round_lp(&run, &o)?;
    let build_seconds = run.build_seconds.get();
    let size = (
        model.n_columns,
        model.integer.iter().filter(|&&i| i).count(),
        model.rows.len(),
    );
    let parts = ModelParts::of(model);
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
    let mut plan = read_back(p, &parts, &values, &raw);
    plan.mip_gap = mip_gap;
    plan.build_seconds = build_seconds;
    plan.model_size = size;
    check_plan(p, &plan)?;
    let solved = Solved {
        plan,
        cols: values.cols,
        parts,
        reduced: None,
    };
    explain::plan(p, solved, opts)
}

/// The values of `model`'s columns from a solution file, each checked
/// against its column's bounds and integrality.
fn read_columns<R: std::io::BufRead>(
    p: &Prepared,
    model: &Model,
    reader: R,
) -> Result<Vec<f64>, String> {
    let names = column_names(p, model);
    let by_name: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(c, n)| (n.as_str(), c))
        .collect();
    let mut cols = vec![0.0; model.n_columns];
    let mut seen = vec![0usize; model.n_columns];
    // Each value goes into its column as it is read: the first bad line
    // stops the reading.
    read_solution(reader, model.n_columns, |e| {
        let Some(&c) = by_name.get(e.name.as_str()) else {
            return Err(format!(
                "line {}: no column {:?} in the model of {} (names as `--write-model` writes them)",
                e.line,
                shown(&e.name),
                p.inst.name
            ));
        };
        if seen[c] != 0 {
            return Err(format!(
                "line {}: column {} given twice (first on line {})",
                e.line, names[c], seen[c]
            ));
        }
        seen[c] = e.line;
        cols[c] = e.value;
        Ok(())
    })?;
    check_columns(p, model, &names, &cols)?;
    Ok(cols)
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
        // A first line that is not `name value`: nothing of it is shown.
        let err = parse_solution("# x\nopen-a one\n").unwrap_err();
        assert!(err.contains("line 2") && !err.contains("open-a"), "{err}");
        // Once the format is known, the offending cell is named.
        let err = parse_solution("# x\nopen-a 1\nopen-b one\n").unwrap_err();
        assert!(err.contains("line 3") && err.contains("one"), "{err}");
        let err = parse_solution("root:*:19000:0:99999:7:::\n").unwrap_err();
        assert!(err.contains("line 1") && !err.contains("root"), "{err}");
        let err = parse_solution("A=secret\0B=x y\0").unwrap_err();
        assert!(!err.contains("secret"), "{err}");
        // A huge "# Columns N" allocates nothing and is refused naming it.
        for n in [
            "1000000000000",
            "18446744073709551615",
            "99999999999999999999999",
        ] {
            let text = format!("Model status\nOptimal\n\n# Primal solution values\nFeasible\nObjective 1\n# Columns {n}\na 1\n");
            let mut k = 0;
            let err = read_solution(text.as_bytes(), 10, |_| {
                k += 1;
                Ok(())
            })
            .unwrap_err();
            assert!(err.contains("line 7"), "{err}");
            assert_eq!(k, 0);
        }
        let err =
            parse_solution("# Primal solution values\nFeasible\n# Columns 3\na 1\n").unwrap_err();
        assert!(err.contains("ends after 1 of the 3"), "{err}");
    }
}
