//! Binding rows of a plan: the targets and limits it meets exactly, or
//! within one server's step.

use good_lp::{Expression, Solution, Variable};

use crate::milp::{self, Prepared, RowKey, Sense, CNY_PER_OBJECTIVE_UNIT};
use crate::plan::Binding;
use crate::solve::base::read::{ModelParts, Values};

/// Whether the thing a row is about is in use in the plan: a row of a closed
/// option, a site without a mega cluster or a programme that pays nothing is
/// trivially at its limit (0 ≤ 0) and says nothing.
fn row_in_use(p: &Prepared, key: RowKey, vars: &milp::Vars, values: &Values) -> bool {
    let on = |v: Variable| values.value(v) > 0.5;
    match key {
        RowKey::SitePower { option }
        | RowKey::SiteMinSize { option }
        | RowKey::PeriodReady { option, .. } => on(vars.open[option]),
        RowKey::MegaSize { site } => vars.mega[site].is_some_and(on),
        RowKey::InferenceCapacity { site } => p
            .options
            .iter()
            .enumerate()
            .any(|(o, opt)| opt.site == site && on(vars.open[o])),
        RowKey::SubsidyRate { programme } => {
            values.value(vars.subsidy[programme]) * CNY_PER_OBJECTIVE_UNIT > 0.5
        }
        _ => true,
    }
}

/// Binding rows of a plan: inequality rows whose slack is numerically zero,
/// or, for rows over whole servers, smaller than one server's step towards
/// the limit (one more, or, where some are placed, one fewer; for a share row
/// that both moves approach, the removal's).
/// Equalities (exact targets) always hold and are not listed; neither are the
/// cooling choice, definitions and city-site links.
pub fn binding_rows(p: &Prepared, parts: &ModelParts, values: &Values) -> Vec<Binding> {
    use good_lp::IntoAffineExpression;
    let servers: std::collections::HashSet<Variable> = parts.vars.server_columns().collect();
    let mut out = Vec::new();
    for r in &parts.rows {
        let family = r.family();
        if r.sense == Sense::Eq || !family.traits().listed_binding {
            continue;
        }
        if !row_in_use(p, r.key, &parts.vars, values) {
            continue;
        }
        let lhs = Expression::eval_with(&r.lhs, values);
        let slack = match r.sense {
            Sense::Le => r.rhs - lhs,
            _ => lhs - r.rhs,
        };
        let tol = 1e-6 * (1.0 + r.rhs.abs());
        let mut room = tol;
        if family.whole_servers() {
            // Slack lost by one server move towards the limit: adding a server
            // whose coefficient eats slack, or removing a placed one whose
            // coefficient provides it.
            let toward = |c: f64| match r.sense {
                Sense::Le => c,
                _ => -c,
            };
            // The smallest step of each kind of move: adding a server, and
            // removing a placed one.
            let (add, remove) = (&r.lhs)
                .linear_coefficients()
                .filter(|(v, _)| servers.contains(v))
                .fold((f64::INFINITY, f64::INFINITY), |(add, remove), (v, c)| {
                    let t = toward(c);
                    if t > 0.0 {
                        (add.min(t), remove)
                    } else if t < 0.0 && values.value(v) >= 1.0 - 1e-6 {
                        (add, remove.min(-t))
                    } else {
                        (add, remove)
                    }
                });
            // A share row (the dual track) is moved towards its limit both by
            // adding a server of the other kind and by removing one of the kind
            // it asks for. Only the removal saves money, so its slack is room
            // only when one server fewer fits in it: a slack of 3.2 H200-eq
            // against a 6.32 H200-eq domestic server binds, although an
            // imported server more (1.2 of the row) would fit. Rows of one
            // sign (quotas, capacities, targets) have one kind of move.
            let step = if remove.is_finite() { remove } else { add };
            if step.is_finite() {
                room = room.max(step * (1.0 - 1e-9));
            }
        }
        if slack <= room {
            out.push(Binding {
                key: r.key,
                name: r.key.name(p),
                words: r.key.words(p),
                family,
                region: r.key.region(p),
                site: r.key.site(p),
                slack: (slack.max(0.0) / family.row_units_per_unit()),
            });
        }
    }
    // Planner levers first, then by family and name.
    out.sort_by(|a, b| {
        (!a.family.is_lever(), a.family, &a.name).cmp(&(!b.family.is_lever(), b.family, &b.name))
    });
    out
}
