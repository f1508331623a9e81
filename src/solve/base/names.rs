//! The model under the plan's names: columns named by what they decide,
//! rows by their key, written by HiGHS for other solvers.

use good_lp::Variable;

use super::options::SolveError;
use super::run::highs_instance;
use crate::milp::{self, Integrality, Model, Prepared};
use crate::solve::adapter::LiveExt;

/// Column names of a model, from what each variable decides
/// (`servers-ulanqab-cold_plate-h200`); columns the builder adds for itself
/// get `total-h200-eq` or `x<column>`.
pub fn column_names(p: &Prepared, model: &Model) -> Vec<String> {
    let inst = &p.inst;
    let mut names = vec![String::new(); model.n_columns];
    let col = |v: &Variable| model.column[v];
    for (o, opt) in p.options.iter().enumerate() {
        let so = format!(
            "{}-{}",
            inst.sites[opt.site].id, inst.cooling[opt.cooling].id
        );
        names[col(&model.vars.open[o])] = format!("open-{so}");
        for (i, &a) in opt.accels.iter().enumerate() {
            names[col(&model.vars.servers[o][i])] =
                format!("servers-{so}-{}", inst.accelerators[a].id);
        }
    }
    // With deliveries: servers installed per period (`installed-<site>-<cooling>-<accel>-m<month>`).
    let months = p.period_months();
    for (o, per_accel) in model.vars.installed.iter().enumerate() {
        let opt = &p.options[o];
        for (i, per_period) in per_accel.iter().enumerate() {
            for (k, v) in per_period.iter().enumerate() {
                if let Some(v) = v {
                    names[col(v)] = format!(
                        "installed-{}-{}-{}-m{}",
                        inst.sites[opt.site].id,
                        inst.cooling[opt.cooling].id,
                        inst.accelerators[opt.accels[i]].id,
                        crate::domain::month_text(months[k])
                    );
                }
            }
        }
    }
    for (k, pair) in p.pairs.iter().enumerate() {
        names[col(&model.vars.serve[k])] = format!(
            "serve-{}-{}",
            inst.demand[pair.demand].id, inst.sites[pair.site].id
        );
    }
    for (s, m) in model.vars.mega.iter().enumerate() {
        if let Some(m) = m {
            names[col(m)] = format!("mega-{}", inst.sites[s].id);
        }
    }
    for (j, v) in model.vars.subsidy.iter().enumerate() {
        names[col(v)] = format!("subsidy-{}", inst.subsidies[j].programme_id);
    }
    let unnamed = names.iter().filter(|n| n.is_empty()).count();
    for (c, n) in names.iter_mut().enumerate() {
        if n.is_empty() {
            *n = if unnamed == 1 {
                "total-h200-eq".into()
            } else {
                format!("x{c}")
            };
        }
    }
    names
}

/// Writes the full model (binary sites, integer servers) with the plan's row
/// and column names for other solvers (Gurobi, CPLEX, COPT, …). HiGHS writes
/// it; the format follows the extension (`.mps`, `.lp`). The objective is in
/// millions of CNY ([`milp::CNY_PER_OBJECTIVE_UNIT`]). The one file `solve`
/// touches, and only through HiGHS.
pub fn write_model(p: &Prepared, path: &std::path::Path) -> Result<(), SolveError> {
    let model = milp::build(p, Integrality::Full);
    let cols = column_names(p, &model);
    let rows: Vec<String> = model.rows.iter().map(|r| r.key.name(p)).collect();
    let Model {
        problem_vars,
        objective,
        rows: model_rows,
        ..
    } = model;
    let mut hm = highs_instance(problem_vars, objective, &model_rows, [])?;
    hm.set_option("output_flag", false);
    hm.set_names(&rows, &cols);
    hm.write_model(path)
        .map_err(|_| SolveError::Numerical(format!("HiGHS could not write {}", path.display())))
}
