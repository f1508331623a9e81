//! Shadow prices: the marginal value of one more unit of a quota, cap, target
//! or demand, from the LP in which the binary decisions of a plan are fixed
//! and server counts are continuous.

use good_lp::Variable;

use super::{run_highs, Plan, SolveError, SolveOptions};
use crate::milp::{self, Integrality, Prepared};

/// The marginal value of one row.
#[derive(Debug, Clone, PartialEq)]
pub struct ShadowPrice {
    /// Row name, e.g. `region-power-quota-jjj`.
    pub constraint: String,
    pub family: &'static str,
    /// Change of the net present cost (CNY) when the row's limit grows by one
    /// `unit`: negative when more room saves money (a binding quota), positive
    /// when more of a requirement costs money (a card target).
    pub cny_per_unit: f64,
    pub unit: &'static str,
}

/// Rows worth a shadow price, with their unit and the factor from the row's
/// own unit (kW for power rows) to the planner's unit.
fn unit_of(family: &str) -> Option<(&'static str, f64)> {
    Some(match family {
        "region-power-quota" | "site-power" => ("MW", 1000.0),
        "region-energy-quota" => ("tce/year", 1.0),
        "accelerator-target" | "region-bound" | "tier-bound" | "mega-cluster" => ("card", 1.0),
        "inference-demand" => ("H200-eq card", 1.0),
        "dual-track" => ("card", 1.0),
        "subsidy-cap" => ("CNY of cap", 1.0),
        _ => return None,
    })
}

/// Shadow prices of a plan's quotas, caps, targets and demands.
pub fn shadow_prices(
    p: &Prepared,
    plan: &Plan,
    opts: &SolveOptions,
) -> Result<Vec<ShadowPrice>, SolveError> {
    let lp = milp::build(p, Integrality::Lp);
    let mut fixed: Vec<(Variable, f64)> = Vec::new();
    for (o, opt) in p.options.iter().enumerate() {
        let on = plan.sites[opt.site].cooling == Some(opt.cooling);
        fixed.push((lp.vars.open[o], if on { 1.0 } else { 0.0 }));
    }
    for (s, m) in lp.vars.mega.iter().enumerate() {
        if let Some(m) = m {
            fixed.push((*m, if plan.sites[s].mega_cluster { 1.0 } else { 0.0 }));
        }
    }
    // Site-power rows of options that are not built only say that a closed hall holds nothing.
    let open_rows: std::collections::HashSet<String> = p
        .options
        .iter()
        .filter(|o| plan.sites[o.site].cooling == Some(o.cooling))
        .map(|o| {
            format!(
                "site-power-{}-{}",
                p.inst.sites[o.site].id, p.inst.cooling[o.cooling].id
            )
        })
        .collect();
    let rows: Vec<(String, &'static str)> =
        lp.rows.iter().map(|r| (r.name.clone(), r.family)).collect();
    let mut lp_opts = opts.clone();
    lp_opts.time_limit_s = None;
    let (raw, _) = run_highs(lp, &lp_opts, &fixed)?;
    let mut out = Vec::new();
    for (i, (name, family)) in rows.into_iter().enumerate() {
        let Some((unit, factor)) = unit_of(family) else {
            continue;
        };
        // Mega-size rows are per site; only the count is a planner's lever.
        if family == "mega-cluster" && name != "mega-count" {
            continue;
        }
        if family == "site-power" && !open_rows.contains(&name) {
            continue;
        }
        let dual = raw.row_duals.get(i).copied().unwrap_or(0.0);
        let v = dual * factor;
        out.push(ShadowPrice {
            constraint: name,
            family,
            cny_per_unit: if v.abs() < 1e-9 { 0.0 } else { v },
            unit,
        });
    }
    Ok(out)
}
