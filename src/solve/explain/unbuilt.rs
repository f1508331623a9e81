//! Why each unbuilt site is not built: the extra net present cost of
//! building it beside the plan's other sites, or that it does not fit.

use super::pricing;
use crate::milp::Prepared;
use crate::plan::Plan;
use crate::solve::base::options::SolveOptions;

/// Gives every unbuilt site that could have been built a reason: the extra
/// net present cost of building it (its cheapest cooling, the plan's other
/// sites kept, server counts continuous), or that it does not fit beside them.
/// Sites that could never be built keep their reason from `Prepared`.
pub fn explain_unbuilt(p: &Prepared, plan: &mut Plan, opts: &SolveOptions) {
    if let Ok(base) = pricing::pricing_lp(p, plan, opts, None, &[]) {
        explain_unbuilt_with(p, plan, opts, &base);
    }
}

/// [`explain_unbuilt`] from the plan's pricing LP (`base`), already solved
/// for the shadow prices.
pub(crate) fn explain_unbuilt_with(
    p: &Prepared,
    plan: &mut Plan,
    opts: &SolveOptions,
    base: &pricing::PricingLp,
) {
    use rayon::prelude::*;
    let candidates: Vec<usize> = plan
        .sites
        .iter()
        .filter(|s| !s.built && p.site_reason[s.site].is_none())
        .map(|s| s.site)
        .collect();
    let options_of = |s: usize| {
        p.options
            .iter()
            .enumerate()
            .filter(move |(_, o)| o.site == s)
            .map(|(o, opt)| (o, opt.cooling))
    };
    let n_options: usize = candidates.iter().map(|&s| options_of(s).count()).sum();
    // Exact re-solves for national-size instances; for thousands of candidate
    // options the reduced cost of opening each (a lower bound, from one LP).
    let exact = n_options <= MAX_FORCED_OPTIONS;
    let gaps: Vec<(usize, Option<(f64, usize)>)> = candidates
        .par_iter()
        .map(|&s| {
            let best = options_of(s)
                .filter_map(|(o, k)| {
                    if exact {
                        pricing::pricing_lp(p, plan, opts, None, &[(o, 1.0)])
                            .ok()
                            .map(|x| (x.cost_cny - base.cost_cny, k))
                    } else {
                        Some((base.open_duals_cny[o], k))
                    }
                })
                .min_by(|a, b| a.0.total_cmp(&b.0));
            (s, best)
        })
        .collect();
    for (s, best) in gaps {
        let sp = &mut plan.sites[s];
        match best {
            Some((gap, k)) => {
                sp.build_cost_gap_cny = Some(gap);
                sp.not_built_reason = Some(if exact {
                    format!(
                        "possible but not chosen: building it ({}, the plan's other sites kept) would cost {} CNY more",
                        p.inst.cooling[k].id,
                        crate::domain::text::int(i128::from(gap.round() as i64))
                    )
                } else {
                    format!(
                        "possible but not chosen: building it ({}, the plan's other sites kept) would cost at least {} CNY more (reduced cost of opening it)",
                        p.inst.cooling[k].id,
                        crate::domain::text::int(i128::from(gap.round() as i64))
                    )
                });
            }
            None => {
                sp.not_built_reason = Some(
                    "possible but not chosen: it does not fit beside the plan's sites (its minimum size or a cluster would break a quota or target)".into(),
                );
            }
        }
    }
}

/// Most candidate options whose cost gap is measured by re-solving (the
/// baseline has 42 with air at a lower density, 38 before); beyond,
/// the reduced cost of opening each is reported instead (one LP).
const MAX_FORCED_OPTIONS: usize = 64;
