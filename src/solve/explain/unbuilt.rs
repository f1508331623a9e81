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
    if let Ok(mut lp) = pricing::PlanLp::new(p, plan, opts) {
        explain_unbuilt_with(p, plan, opts, &mut lp);
    }
}

/// [`explain_unbuilt`] from the plan's pricing LP, already solved for the
/// shadow prices: the options to re-solve are opened on it
/// ([`costs_opened`]), the others priced by their reduced costs.
pub(crate) fn explain_unbuilt_with(
    p: &Prepared,
    plan: &mut Plan,
    opts: &SolveOptions,
    lp: &mut pricing::PlanLp,
) {
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
    // A reduced cost below 1 CNY bounds nothing a planner can use: the most
    // negative are re-solved (MAX_RESOLVED_NEGATIVE at most), the rest are
    // reported as not measured.
    let exact = n_options <= MAX_FORCED_OPTIONS;
    let mut resolve: Vec<usize> = if exact {
        candidates
            .iter()
            .flat_map(|&s| options_of(s).map(|(o, _)| o))
            .collect()
    } else {
        candidates
            .iter()
            .flat_map(|&s| options_of(s).map(|(o, _)| o))
            .filter(|&o| lp.base.open_duals_cny[o] < 1.0)
            .collect()
    };
    resolve.sort_by(|&a, &b| lp.base.open_duals_cny[a].total_cmp(&lp.base.open_duals_cny[b]));
    resolve.truncate(if exact {
        MAX_FORCED_OPTIONS
    } else {
        MAX_RESOLVED_NEGATIVE
    });
    let costs = costs_opened(p, plan, opts, lp, &resolve);
    let base = &lp.base;
    let gaps: Vec<(usize, Option<(Gap, usize)>)> = candidates
        .iter()
        .map(|&s| {
            let best = options_of(s)
                .filter_map(|(o, k)| {
                    if let Some(i) = resolve.iter().position(|&r| r == o) {
                        costs[i].map(|c| (Gap::Exact(c - base.cost_cny), k))
                    } else if base.open_duals_cny[o] >= 1.0 {
                        Some((Gap::AtLeast(base.open_duals_cny[o]), k))
                    } else {
                        Some((Gap::NotMeasured, k))
                    }
                })
                .min_by(|a, b| a.0.order().total_cmp(&b.0.order()));
            (s, best)
        })
        .collect();
    for (s, best) in gaps {
        let sp = &mut plan.sites[s];
        let int = |x: f64| crate::domain::text::int(i128::from(x.round() as i64));
        match best {
            Some((Gap::Exact(gap), k)) => {
                sp.build_cost_gap_cny = Some(gap);
                sp.not_built_reason = Some(if gap >= 0.0 {
                    format!(
                        "possible but not chosen: building it ({}, the plan's other sites kept) would cost {} CNY more",
                        p.inst.cooling[k].id,
                        int(gap)
                    )
                } else {
                    format!(
                        "possible but not chosen: building it ({}, the plan's other sites kept, servers continuous) would cost {} CNY less: the plan is within its MIP gap of the optimum, not at it",
                        p.inst.cooling[k].id,
                        int(-gap)
                    )
                });
            }
            Some((Gap::AtLeast(gap), k)) => {
                sp.build_cost_gap_cny = Some(gap);
                sp.not_built_reason = Some(format!(
                    "possible but not chosen: building it ({}, the plan's other sites kept) would cost at least {} CNY more (reduced cost of opening it)",
                    p.inst.cooling[k].id,
                    int(gap)
                ));
            }
            Some((Gap::NotMeasured, _)) => {
                sp.build_cost_gap_cny = None;
                sp.not_built_reason = Some(format!(
                    "possible but not chosen: what building it would cost beside this plan is not measured (its reduced cost bounds nothing, and only the {MAX_RESOLVED_NEGATIVE} most promising options are re-solved)"
                ));
            }
            None => {
                sp.not_built_reason = Some(
                    "possible but not chosen: it does not fit beside the plan's sites (its minimum size or a cluster would break a quota or target)".into(),
                );
            }
        }
    }
}

/// The cost (CNY) of the plan with each option of `resolve` opened on top
/// of it, `None` where it does not fit, in one of two ways by the size of
/// the pricing LP (each built again and solved from scratch,
/// [`pricing::pricing_lp`], only where it fails):
/// - up to [`LIVE_MAX_ROWS`] rows, on live pricing LPs re-solved from their
///   basis with each option's pin moved ([`pricing::PlanLp::costs_with_open`]):
///   `lp` for the first [`OPTIONS_PER_LP`] options and one of its own for
///   each further block, the blocks in parallel. The blocks do not depend on
///   the number of threads, so neither do the costs;
/// - beyond, where a re-solve without presolve carries every row, each on
///   the pricing LP with the option open and the plan's decisions
///   substituted ([`pricing::Opening::cost_with_open`]), in parallel.
fn costs_opened(
    p: &Prepared,
    plan: &Plan,
    opts: &SolveOptions,
    lp: &mut pricing::PlanLp,
    resolve: &[usize],
) -> Vec<Option<f64>> {
    use rayon::prelude::*;
    let from_scratch = |o: usize| {
        pricing::pricing_lp(p, plan, opts, None, &[(o, 1.0)])
            .ok()
            .map(|x| x.cost_cny)
    };
    if lp.base.model_rows.len() > LIVE_MAX_ROWS {
        let opening = lp.opening();
        return resolve
            .par_iter()
            .map(|&o| {
                opening
                    .as_ref()
                    .and_then(|x| x.cost_with_open(o, opts))
                    .or_else(|| from_scratch(o))
            })
            .collect();
    }
    let block_from_scratch = |block: &[usize]| block.iter().map(|&o| from_scratch(o)).collect();
    let (first, rest) = resolve.split_at(resolve.len().min(OPTIONS_PER_LP));
    let mut others: Vec<Vec<Option<f64>>> = Vec::new();
    // `lp` is not `Send` (a HiGHS instance): its block runs here, the others
    // on the pool.
    let mut out = rayon::in_place_scope(|s| {
        s.spawn(|_| {
            others = rest
                .par_chunks(OPTIONS_PER_LP)
                .map(|block| {
                    pricing::PlanLp::new(p, plan, opts)
                        .ok()
                        .and_then(|mut own| own.costs_with_open(block))
                        .unwrap_or_else(|| block_from_scratch(block))
                })
                .collect();
        });
        lp.costs_with_open(first)
            .unwrap_or_else(|| block_from_scratch(first))
    });
    out.extend(others.into_iter().flatten());
    out
}

/// Per option, its cost live and substituted ([`opening_costs_both_ways`]).
pub type BothWays = (Vec<Option<f64>>, Vec<Option<f64>>);

/// The cost (CNY) of `plan` with each of `options` opened on top of it,
/// both ways [`costs_opened`] has, with no fallback: (live re-solves on one
/// pricing LP, each on the LP with the plan's decisions substituted), each
/// `None` where that way gave no cost; `None` when the pricing LP cannot be
/// kept. For tests that hold both against an LP built with the option open.
#[doc(hidden)]
pub fn opening_costs_both_ways(
    p: &Prepared,
    plan: &Plan,
    opts: &SolveOptions,
    options: &[usize],
) -> Option<BothWays> {
    let mut lp = pricing::PlanLp::new(p, plan, opts).ok()?;
    let live = lp.costs_with_open(options)?;
    let opening = lp.opening()?;
    let substituted = options
        .iter()
        .map(|&o| opening.cost_with_open(o, opts))
        .collect();
    Some((live, substituted))
}

/// Options opened in turn on one live pricing LP before another is made
/// for the next block (in parallel): building and solving one costs about
/// as much as a handful of re-solves from a basis.
const OPTIONS_PER_LP: usize = 48;

/// Rows of the pricing LP up to which options are opened on it live. The
/// national baseline's (about 1,300 rows): 116 sites' gaps in 1.5 s live,
/// 4.8 s substituted one by one; OR-Library's capa-8000 (101,303 rows, every
/// link row): 3.2 s substituted one by one, 21 s live (BENCHMARKS.md).
const LIVE_MAX_ROWS: usize = 20_000;

/// The cost of building an unbuilt option beside the plan.
#[derive(Debug, Clone, Copy)]
enum Gap {
    /// Re-solved with it open (CNY; negative: a saving).
    Exact(f64),
    /// Its reduced cost, a lower bound (CNY, ≥ 1).
    AtLeast(f64),
    /// Its reduced cost is below 1 CNY and it was not re-solved.
    NotMeasured,
}

impl Gap {
    /// The order in which a site's options are compared (the cheapest
    /// measured first, the unmeasured last).
    fn order(&self) -> f64 {
        match self {
            Gap::Exact(x) | Gap::AtLeast(x) => *x,
            Gap::NotMeasured => f64::INFINITY,
        }
    }
}

/// Beyond [`MAX_FORCED_OPTIONS`], most options with a reduced cost below 1 CNY
/// (no bound) re-solved: on the national set (125 sites) every one, 87 of
/// the rollout's at a 1 % gap.
const MAX_RESOLVED_NEGATIVE: usize = 400;

/// Most candidate options whose cost gap is measured by re-solving (the
/// baseline has 42 with air at a lower density, 38 before); beyond,
/// the reduced cost of opening each is reported instead (one LP).
const MAX_FORCED_OPTIONS: usize = 64;
