//! `dcsite hedge`: what to decide now, before the outcome is known. The
//! stochastic plan (the extensive form of `solve::stochastic`), and the
//! figures that say what the uncertainty costs and what planning for it
//! saves:
//!
//! - **EVPI**, the expected value of perfect information: the stochastic
//!   optimum less the outcomes' own optima (each planned as if it were
//!   known), weighed with their probabilities (the same risk measure);
//! - **VSS**, the value of the stochastic solution: the expected-value
//!   plan's site decisions (the plan of the outcomes' averaged inputs) kept
//!   in every outcome, less the stochastic optimum;
//! - with a CVaR weight λ > 0, the **insurance premium** (expected cost
//!   above the risk-neutral plan's) and the **CVaR reduction** it buys.

use std::collections::BTreeMap;

use crate::milp::Prepared;
use crate::plan::Plan;
use crate::solve::stochastic::{
    expected, risk_objective, same_options, solve_two_stage, solve_two_stage_from, value_at_risk,
    FirstStage, Known, Outcome, Risk, TwoStage,
};
use crate::solve::{solve, Explain, SolveError, SolveOptions};
use crate::study::build_now::{build_now, SiteNow, Worth};
use crate::study::sweep::Sweep;

/// One outcome as the study takes it.
pub struct OutcomeIn {
    pub name: String,
    pub probability: f64,
    pub p: Prepared,
}

#[derive(Debug, thiserror::Error)]
pub enum HedgeError {
    /// The outcomes cannot share site decisions (exit 2).
    #[error("{0}")]
    Input(String),
    #[error("{what}: {source}")]
    Solve {
        what: String,
        #[source]
        source: SolveError,
    },
}

/// What the expected-value plan comes to.
pub enum ExpectedValue {
    /// No expected-value scenario was given.
    NotComputed,
    /// Its site decisions serve every outcome, at this objective (CNY).
    Evaluated {
        first_stage: FirstStage,
        objective_cny: f64,
    },
    /// The averaged inputs have no plan of their own (e.g. averaged targets
    /// against the most probable outcome's deliveries): no VSS.
    NoPlan { reason: String },
    /// Its site decisions cannot serve these outcomes: VSS is unbounded.
    Infeasible {
        first_stage: FirstStage,
        outcomes: Vec<String>,
    },
}

/// The risk-neutral plan beside a risk-averse one.
pub struct Neutral {
    pub expected_cny: f64,
    pub cvar_cny: f64,
    pub first_stage: FirstStage,
}

/// The stochastic plan and its figures.
pub struct Hedge {
    pub names: Vec<String>,
    pub probabilities: Vec<f64>,
    pub risk: Risk,
    pub plan: TwoStage,
    pub expected_cny: f64,
    pub var_cny: f64,
    pub cvar_cny: f64,
    /// Each outcome's own optimum (planned as if known), CNY.
    pub own_optima_cny: Vec<f64>,
    /// The objective of the own optima's distribution, CNY.
    pub wait_and_see_cny: f64,
    pub evpi_cny: f64,
    pub expected_value: ExpectedValue,
    pub vss_cny: Option<f64>,
    /// With λ > 0: the plan that ignores risk.
    pub neutral: Option<Neutral>,
    /// What to do now at each site built now: hall start, power, worth.
    pub build_now: Vec<SiteNow>,
    /// Where the outcomes were drawn from, when a sweep file drew them
    /// (set by the caller; `None` for a scenario's `[[outcomes]]`).
    pub drawn_from: Option<DrawnFrom>,
    /// The plan at each λ of `--risk-frontier` (set by the caller from
    /// [`risk_frontier`]; empty without it).
    pub frontier: Vec<FrontierPoint>,
    /// What the L-shaped loop started from (the outcomes' floors, the
    /// expected-value plan's sites), for the re-solves after it.
    pub known: Known,
}

/// The two-stage plan at one CVaR weight λ (the same α).
#[derive(Debug, Clone)]
pub struct FrontierPoint {
    pub lambda: f64,
    pub expected_cny: f64,
    pub cvar_cny: f64,
    /// Expected cost + λ · CVaR, the solver's objective.
    pub objective_cny: f64,
    pub first_stage: FirstStage,
    pub mip_gap: f64,
    /// Per outcome, in the order given.
    pub costs_cny: Vec<f64>,
}

/// Most λ values of one `--risk-frontier`.
pub const MAX_FRONTIER_POINTS: usize = 50;

/// The risk frontier: the two-stage plan of `outcomes` at each λ of
/// `lambdas` (ascending, distinct) with `h`'s α; at `h`'s own λ the point is
/// `h`'s plan itself (not solved again). `done` hears each step.
pub fn risk_frontier(
    outcomes: &[OutcomeIn],
    h: &Hedge,
    lambdas: &[f64],
    opts: &SolveOptions,
    done: &dyn Fn(&str),
) -> Result<Vec<FrontierPoint>, HedgeError> {
    let views: Vec<Outcome> = outcomes
        .iter()
        .map(|o| Outcome {
            p: &o.p,
            probability: o.probability,
        })
        .collect();
    let point = |lambda: f64, t: &TwoStage| FrontierPoint {
        lambda,
        expected_cny: expected(&t.costs_cny, &h.probabilities),
        cvar_cny: value_at_risk(&t.costs_cny, &h.probabilities, h.risk.alpha).1,
        objective_cny: t.objective_cny,
        first_stage: t.first_stage.clone(),
        mip_gap: t.mip_gap,
        costs_cny: t.costs_cny.clone(),
    };
    let mut out = Vec::with_capacity(lambdas.len());
    for &lambda in lambdas {
        if lambda == h.risk.lambda {
            out.push(point(lambda, &h.plan));
            continue;
        }
        done(&format!("the risk frontier at λ = {lambda}"));
        let risk = Risk {
            alpha: h.risk.alpha,
            lambda,
        };
        let known = h.known.and_seed(&h.plan.first_stage);
        let t = if views.len() == 1 {
            single(views[0].p, opts)
        } else {
            solve_two_stage_from(&views, risk, opts, &known)
        }
        .map_err(|source| HedgeError::Solve {
            what: format!("the risk frontier at λ = {lambda}"),
            source,
        })?;
        out.push(point(lambda, &t));
    }
    Ok(out)
}

/// The site ids of a first stage, `;`-joined, in site order.
fn site_list(p: &Prepared, fs: &FirstStage) -> String {
    first_stage_by_site(p, fs)
        .keys()
        .map(|&s| p.inst.sites[s].id.as_str())
        .collect::<Vec<_>>()
        .join(";")
}

/// `frontier.csv`: per λ, the expected cost, the CVaR, the objective, the
/// sites built now (`;`-joined ids) and the MIP gap.
pub fn frontier_csv(h: &Hedge, p0: &Prepared) -> polars::prelude::PolarsResult<String> {
    use polars::prelude::*;
    let f = &h.frontier;
    // A whole-CNY column of each point's figure.
    let cny = |name: &str, of: fn(&FrontierPoint) -> f64| {
        Column::new(
            name.into(),
            f.iter().map(|x| of(x).round() as i64).collect::<Vec<_>>(),
        )
    };
    let cols = vec![
        Column::new(
            "lambda".into(),
            f.iter().map(|x| x.lambda).collect::<Vec<_>>(),
        ),
        cny("expected_cny", |x| x.expected_cny),
        cny("cvar_cny", |x| x.cvar_cny),
        cny("objective_cny", |x| x.objective_cny),
        Column::new(
            "sites_built_now".into(),
            f.iter()
                .map(|x| site_list(p0, &x.first_stage))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "mip_gap".into(),
            f.iter().map(|x| x.mip_gap).collect::<Vec<_>>(),
        ),
    ];
    crate::export::csv::csv_text(DataFrame::new(f.len(), cols)?)
}

/// The sweep file whose draws are the outcomes (`--outcomes-from`).
#[derive(Debug, Clone)]
pub struct DrawnFrom {
    pub sweep: String,
    pub samples: usize,
    pub seed: u64,
    pub sampling: String,
    /// Why the draws' averaged values give no expected-value instance.
    pub expected_value_missing: Option<String>,
}

impl Hedge {
    /// The most probable outcome (the first of equals): the one whose plan
    /// files stand for the folder.
    pub fn most_probable(&self) -> usize {
        (0..self.names.len())
            .max_by(|&a, &b| {
                self.probabilities[a]
                    .total_cmp(&self.probabilities[b])
                    .then(b.cmp(&a))
            })
            .unwrap_or(0)
    }
    /// What to do now at site `s`, if it is built now.
    pub fn site_now(&self, s: usize) -> Option<&SiteNow> {
        self.build_now.iter().find(|n| n.site == s)
    }
    /// Per site (index), how many outcomes put cards there.
    pub fn outcomes_using(&self, site: usize) -> usize {
        self.plan
            .plans
            .iter()
            .filter(|p| p.sites[site].cards.iter().sum::<u64>() > 0)
            .count()
    }
    /// Per site, the probability-weighted cards of each accelerator.
    pub fn expected_cards(&self, site: usize) -> Vec<f64> {
        let n = self.plan.plans[0].sites[site].cards.len();
        let mut e = vec![0.0; n];
        for (plan, p) in self.plan.plans.iter().zip(&self.probabilities) {
            for (a, c) in plan.sites[site].cards.iter().enumerate() {
                e[a] += p * *c as f64;
            }
        }
        e
    }
}

fn plan_only(opts: &SolveOptions) -> SolveOptions {
    SolveOptions {
        explain: Explain::PlanOnly,
        ..opts.clone()
    }
}

/// The one-outcome plan as a two-stage plan: the deterministic solve itself.
fn single(p: &Prepared, opts: &SolveOptions) -> Result<TwoStage, SolveError> {
    let plan: Plan = solve(p, &plan_only(opts))?;
    Ok(TwoStage {
        costs_cny: vec![plan.objective_cny],
        objective_cny: plan.objective_cny,
        bound_cny: plan.objective_cny * (1.0 - plan.mip_gap),
        mip_gap: plan.mip_gap,
        status: plan.status,
        first_stage: FirstStage::of(&plan),
        seconds: plan.solve_seconds,
        model_size: (plan.model_size.0, plan.model_size.2),
        decomposition: None,
        plans: vec![plan],
    })
}

/// Why no two-stage plan exists: the first outcome with no plan even on its
/// own, with its diagnosis (the limits that conflict, the changes that
/// would make it feasible); else the shared decisions, which no choice
/// makes serve every outcome at once.
fn why_infeasible(outcomes: &[OutcomeIn], opts: &SolveOptions) -> HedgeError {
    for o in outcomes {
        if let Err(e) = solve(&o.p, opts) {
            return HedgeError::Solve {
                what: format!("the stochastic plan: outcome {:?} on its own", o.name),
                source: e,
            };
        }
    }
    HedgeError::Solve {
        what: "the stochastic plan".into(),
        source: SolveError::Infeasible {
            reasons: vec![format!(
                "every one of the {} outcomes has a plan on its own, but no choice of what is decided now \
                 (sites, cooling, the training cluster's site, hall start months, contracted power) serves them all at once",
                outcomes.len()
            )],
            relaxations: Vec::new(),
            alternatives: Vec::new(),
        },
    }
}

/// Plans for `outcomes` (probabilities summing to 1), with `ev` the
/// scenario of their averaged inputs for the VSS. `done` hears each step.
pub fn hedge(
    outcomes: &[OutcomeIn],
    ev: Option<&Prepared>,
    risk: Risk,
    opts: &SolveOptions,
    done: &dyn Fn(&str),
) -> Result<Hedge, HedgeError> {
    let views: Vec<Outcome> = outcomes
        .iter()
        .map(|o| Outcome {
            p: &o.p,
            probability: o.probability,
        })
        .collect();
    if let Err((i, why)) = same_options(&views) {
        return Err(HedgeError::Input(format!(
            "outcome {:?} has {why} (against outcome {:?}): the site decisions made now must mean the same in every outcome",
            outcomes[i].name, outcomes[0].name
        )));
    }
    let names: Vec<String> = outcomes.iter().map(|o| o.name.clone()).collect();
    let probabilities: Vec<f64> = outcomes.iter().map(|o| o.probability).collect();
    let solve_err = |what: &str| {
        let what = what.to_string();
        move |source| HedgeError::Solve { what, source }
    };
    // Before the stochastic plan, what the L-shaped loop starts from: the
    // outcomes' own optima (their bounds are floors under each outcome's
    // cost) and the expected-value plan (its sites a plan to beat, if they
    // serve every outcome).
    let mut known = Known::default();
    let own_plans: Option<Vec<(f64, Option<f64>)>> = if outcomes.len() == 1 {
        None
    } else {
        done("each outcome's own optimum (perfect information)");
        // Independent solves, one HiGHS thread each, on every core; in
        // outcome order whatever their timing.
        use rayon::prelude::*;
        let solved: Vec<Result<(f64, Option<f64>), SolveError>> = outcomes
            .par_iter()
            .map(|o| solve(&o.p, &plan_only(opts)).map(|p| (p.objective_cny, p.sites_bound_cny)))
            .collect();
        let mut own = Vec::with_capacity(solved.len());
        for (o, r) in outcomes.iter().zip(solved) {
            match r {
                Ok(x) => own.push(x),
                // No two-stage plan either: say which outcome, diagnosed.
                Err(SolveError::Infeasible { .. }) => return Err(why_infeasible(outcomes, opts)),
                Err(e) => return Err(solve_err(&format!("outcome {:?} on its own", o.name))(e)),
            }
        }
        known.floors_cny = own
            .iter()
            .map(|(_, b)| b.unwrap_or(f64::NEG_INFINITY))
            .collect();
        Some(own)
    };
    let ev_solved = ev.map(|evp| {
        done("the expected-value plan");
        solve(evp, &plan_only(opts))
    });
    if let Some(Ok(ev_plan)) = &ev_solved {
        known.seeds.push(FirstStage::of(ev_plan));
    }
    done("the stochastic plan (every outcome in one model)");
    let plan = match if views.len() == 1 {
        single(views[0].p, opts)
    } else {
        solve_two_stage_from(&views, risk, opts, &known)
    } {
        Ok(plan) => plan,
        Err(SolveError::Infeasible { reasons, .. }) if reasons.is_empty() => {
            return Err(why_infeasible(outcomes, opts))
        }
        Err(e) => return Err(solve_err("the stochastic plan")(e)),
    };
    // One outcome: the stochastic plan is that outcome's own optimum (the
    // same solve, not run twice).
    let own: Vec<f64> = match own_plans {
        None => vec![plan.objective_cny],
        Some(own) => own.iter().map(|(o, _)| *o).collect(),
    };
    let wait_and_see = risk_objective(&own, &probabilities, risk);
    let (var, cvar) = value_at_risk(&plan.costs_cny, &probabilities, risk.alpha);
    let expected_cny = expected(&plan.costs_cny, &probabilities);
    // With one outcome the stochastic plan is that outcome's own: no value
    // of information, whatever the solver's last digits.
    let evpi = if outcomes.len() == 1 {
        0.0
    } else {
        (plan.objective_cny - wait_and_see).max(0.0)
    };
    if ev_solved.is_some() {
        done("the expected-value plan in every outcome");
    }
    let expected_value = match ev_solved {
        None => ExpectedValue::NotComputed,
        Some(solved) => match solved {
            Err(e @ (SolveError::Infeasible { .. } | SolveError::NoSolution { .. })) => {
                ExpectedValue::NoPlan {
                    reason: e.to_string().lines().next().unwrap_or_default().to_string(),
                }
            }
            Err(e) => return Err(solve_err("the expected-value scenario")(e)),
            Ok(ev_plan) => {
                let fs = FirstStage::of(&ev_plan);
                if fs == plan.first_stage {
                    ExpectedValue::Evaluated {
                        first_stage: fs,
                        objective_cny: plan.objective_cny,
                    }
                } else {
                    expected_value_of(&views, &names, risk, opts, fs)?
                }
            }
        },
    };
    let vss = match &expected_value {
        ExpectedValue::Evaluated { objective_cny, .. } => {
            Some((objective_cny - plan.objective_cny).max(0.0))
        }
        _ => None,
    };
    let neutral = if risk.lambda > 0.0 {
        done("the risk-neutral plan");
        let r0 = Risk {
            alpha: risk.alpha,
            lambda: 0.0,
        };
        let from = known.and_seed(&plan.first_stage);
        let n = if views.len() == 1 {
            single(views[0].p, opts)
        } else {
            solve_two_stage_from(&views, r0, opts, &from)
        }
        .map_err(solve_err("the risk-neutral plan"))?;
        Some(Neutral {
            expected_cny: expected(&n.costs_cny, &probabilities),
            cvar_cny: value_at_risk(&n.costs_cny, &probabilities, risk.alpha).1,
            first_stage: n.first_stage,
        })
    } else {
        None
    };
    done("what each site built now is worth (the plan re-solved without it)");
    let now = build_now(&views, &plan, risk, opts, true, &known);
    Ok(Hedge {
        names,
        probabilities,
        risk,
        plan,
        expected_cny,
        var_cny: var,
        cvar_cny: cvar,
        own_optima_cny: own,
        wait_and_see_cny: wait_and_see,
        evpi_cny: evpi,
        expected_value,
        vss_cny: vss,
        neutral,
        build_now: now,
        drawn_from: None,
        frontier: Vec::new(),
        known,
    })
}

/// Outcomes drawn from a sweep file (`dcsite hedge --outcomes-from`).
pub struct Drawn {
    /// Draw `k` of the sweep (ids 0..samples) as outcome "draw k", of
    /// probability 1 / samples.
    pub outcomes: Vec<OutcomeIn>,
    /// The instance of the draws' averaged values (every random key's mean
    /// over the draws, whole-number keys rounded), or why there is none.
    pub expected_value: Result<Prepared, String>,
}

/// The name of draw `id` as an outcome.
pub fn draw_name(id: usize) -> String {
    format!("draw {id}")
}

/// The outcomes of `sweep`'s draws 0..`sweep.samples` (with its `seed` and
/// `sampling`): each the instance [`Sweep::instance`] draws, of probability
/// 1 / samples, so the same sweep file, samples and seed give the same
/// outcomes as `dcsite sweep` solves one by one. Grid keys are refused (a
/// grid is a choice to compare, not an uncertainty to plan under); every
/// problem names the sweep file and its key.
pub fn drawn_outcomes(sweep: &Sweep) -> Result<Drawn, HedgeError> {
    if let Some(d) = sweep.dims.iter().find(|d| d.is_grid()) {
        return Err(HedgeError::Input(format!(
            "{}: vary.{:?}: expected random keys only (a distribution: outcomes are draws of an uncertainty), found a grid",
            sweep.path.display(),
            d.vary_key
        )));
    }
    let n = sweep.samples;
    if n == 0 {
        return Err(HedgeError::Input(format!(
            "{}: samples: expected at least 1 draw, found 0",
            sweep.path.display()
        )));
    }
    let mut outcomes = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(n);
    for id in 0..n {
        let (v, inst) = sweep
            .instance(id)
            .map_err(|p| HedgeError::Input(p.to_string()))?;
        values.push(v);
        outcomes.push(OutcomeIn {
            name: draw_name(id),
            probability: 1.0 / n as f64,
            p: Prepared::new(inst),
        });
    }
    Ok(Drawn {
        expected_value: mean_instance(sweep, &values).map(Prepared::new),
        outcomes,
    })
}

/// The instance of the draws' mean values: each random key's mean over
/// `values` (rounded where every draw is a whole number).
fn mean_instance(
    sweep: &Sweep,
    values: &[Vec<toml::Value>],
) -> Result<crate::domain::Instance, String> {
    let n = values.len() as f64;
    let mut mean = Vec::with_capacity(sweep.dims.len());
    for (d, dim) in sweep.dims.iter().enumerate() {
        let mut sum = 0.0;
        let mut whole = true;
        for v in values {
            match &v[d] {
                toml::Value::Integer(i) => sum += *i as f64,
                toml::Value::Float(x) => {
                    sum += x;
                    whole = false;
                }
                other => {
                    return Err(format!(
                        "vary.{:?} drew {other}, not a number, which has no average",
                        dim.vary_key
                    ))
                }
            }
        }
        mean.push(if whole {
            toml::Value::Integer((sum / n).round() as i64)
        } else {
            toml::Value::Float(sum / n)
        });
    }
    let sc = sweep
        .scenario(0, &mean)
        .map_err(|p| format!("the averaged values: {p}"))?;
    crate::data::load_from_raw(&sc, sweep.raw.clone())
        .map(|(inst, _)| inst)
        .map_err(|p| format!("the averaged values: {p}"))
}

/// The expected-value plan's site decisions kept in every outcome.
fn expected_value_of(
    views: &[Outcome],
    names: &[String],
    risk: Risk,
    opts: &SolveOptions,
    fs: FirstStage,
) -> Result<ExpectedValue, HedgeError> {
    match solve_two_stage(views, risk, opts, Some(&fs)) {
        Ok(t) => Ok(ExpectedValue::Evaluated {
            first_stage: fs,
            objective_cny: t.objective_cny,
        }),
        Err(SolveError::Infeasible { .. }) => {
            // Which outcomes it cannot serve: each alone with those sites.
            let mut bad = Vec::new();
            for (o, name) in views.iter().zip(names) {
                let one = [Outcome {
                    p: o.p,
                    probability: 1.0,
                }];
                if let Err(SolveError::Infeasible { .. }) =
                    solve_two_stage(&one, risk, opts, Some(&fs))
                {
                    bad.push(name.clone());
                }
            }
            Ok(ExpectedValue::Infeasible {
                first_stage: fs,
                outcomes: bad,
            })
        }
        Err(e) => Err(HedgeError::Solve {
            what: "the expected-value plan in every outcome".into(),
            source: e,
        }),
    }
}

/// The sites of a first stage by id: cooling id of each built site and
/// whether it holds a mega cluster, for output.
pub fn first_stage_by_site(p: &Prepared, fs: &FirstStage) -> BTreeMap<usize, (String, bool)> {
    fs.built
        .iter()
        .map(|&(s, k)| (s, (p.inst.cooling[k].id.clone(), fs.mega.contains(&s))))
        .collect()
}

/// `outcomes.csv` / `outcomes.parquet`: per outcome, every site built now
/// or given cards, with its cards per accelerator and the outcome's cost.
pub fn outcomes_frame(h: &Hedge) -> polars::prelude::PolarsResult<polars::prelude::DataFrame> {
    use polars::prelude::*;
    let inst = &h.plan.plans[0].instance;
    let acc: Vec<String> = inst.accelerators.iter().map(|a| a.id.clone()).collect();
    let mut outcome = Vec::new();
    let mut probability = Vec::new();
    let mut cost = Vec::new();
    let mut site_id = Vec::new();
    let mut region_id = Vec::new();
    let mut cooling = Vec::new();
    let mut mega = Vec::new();
    let mut cards: Vec<Vec<u64>> = vec![Vec::new(); acc.len()];
    let mut total = Vec::new();
    for (k, plan) in h.plan.plans.iter().enumerate() {
        for s in &plan.sites {
            let n: u64 = s.cards.iter().sum();
            if !s.built && n == 0 {
                continue;
            }
            outcome.push(h.names[k].clone());
            probability.push(h.probabilities[k]);
            cost.push(h.plan.costs_cny[k].round());
            site_id.push(inst.sites[s.site].id.clone());
            region_id.push(inst.sites[s.site].region_id.clone());
            cooling.push(s.cooling.map(|c| inst.cooling[c].id.clone()));
            mega.push(s.mega_cluster);
            for (a, c) in s.cards.iter().enumerate() {
                cards[a].push(*c);
            }
            total.push(n);
        }
    }
    let mut cols = vec![
        Column::new("outcome".into(), outcome),
        Column::new("probability".into(), probability),
        Column::new("site_id".into(), site_id),
        Column::new("region_id".into(), region_id),
        Column::new("cooling".into(), cooling),
        Column::new("mega_cluster".into(), mega),
    ];
    for (a, c) in acc.iter().zip(cards) {
        cols.push(Column::new(format!("cards_{a}").into(), c));
    }
    cols.push(Column::new("cards_total".into(), total));
    cols.push(Column::new("outcome_cost_cny".into(), cost));
    let height = cols.first().map_or(0, |c| c.len());
    DataFrame::new(height, cols)
}

fn first_stage_json(p: &Prepared, fs: &FirstStage) -> serde_json::Value {
    serde_json::Value::Array(
        first_stage_by_site(p, fs)
            .into_iter()
            .map(|(s, (cooling, mega))| {
                serde_json::json!({
                    "site_id": p.inst.sites[s].id,
                    "name_en": p.inst.sites[s].name_en,
                    "region_id": p.inst.sites[s].region_id,
                    "cooling": cooling,
                    "mega_cluster": mega,
                })
            })
            .collect(),
    )
}

/// A site's worth as hedge.json says it: `{"state", "cny"}`.
fn worth_json(w: &Worth) -> serde_json::Value {
    match w {
        Worth::Cny(x) => serde_json::json!({"state": "re-solved without it", "cny": x.round()}),
        Worth::Indispensable => serde_json::json!({"state": "no plan without it", "cny": null}),
        Worth::Committed => serde_json::json!({"state": "existing or required", "cny": null}),
        Worth::NotComputed(e) => {
            serde_json::json!({"state": "not computed", "cny": null, "reason": e})
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `hedge.json`: the here-and-now decisions, the cost distribution and
/// the figures (EVPI, VSS, CVaR, the premium), CNY.
pub fn hedge_json(h: &Hedge, p0: &Prepared, scenario: &str) -> String {
    use crate::domain::text::month_label;
    let sites: Vec<serde_json::Value> = first_stage_by_site(p0, &h.plan.first_stage)
        .into_iter()
        .map(|(s, (cooling, mega))| {
            let e = h.expected_cards(s);
            let now = h.site_now(s);
            serde_json::json!({
                "site_id": p0.inst.sites[s].id,
                "name_en": p0.inst.sites[s].name_en,
                "name_zh": p0.inst.sites[s].name_zh,
                "region_id": p0.inst.sites[s].region_id,
                "cooling": cooling,
                "mega_cluster": mega,
                "outcomes_using": h.outcomes_using(s),
                "expected_cards": e.iter().map(|x| x.round()).sum::<f64>(),
                "probability_used": now.map(|n| n.probability_used),
                "start_hall_by_month": now.and_then(|n| n.start_by_month),
                "start_hall_by": now.and_then(|n| n.start_by_month).map(|m| month_label(m, p0.inst.params.start_year)),
                "contract_mw": now.map(|n| round2(n.contract_mw)),
                "contract_decided": now.map(|n| n.contract_decided),
                "start_decided": now.map(|n| n.start_decided),
                "peak_draw_mw": now.map(|n| round2(n.peak_draw_mw)),
                "it_mw": now.map(|n| round2(n.it_mw)),
                "expected_capex_cny": now.map(|n| n.expected_capex_cny.round()),
                "worth": now.map(|n| worth_json(&n.worth)),
            })
        })
        .collect();
    let outcomes: Vec<serde_json::Value> = (0..h.names.len())
        .map(|k| {
            serde_json::json!({
                "name": h.names[k],
                "probability": h.probabilities[k],
                "cost_cny": h.plan.costs_cny[k].round(),
                "own_optimum_cny": h.own_optima_cny[k].round(),
                "regret_cny": (h.plan.costs_cny[k] - h.own_optima_cny[k]).max(0.0).round(),
                "cards": h.plan.plans[k].sites.iter().map(|s| s.cards.iter().sum::<u64>()).sum::<u64>(),
            })
        })
        .collect();
    let (ev_state, ev_first, ev_obj, ev_bad) = match &h.expected_value {
        ExpectedValue::NotComputed => ("not computed", None, None, vec![]),
        ExpectedValue::NoPlan { reason } => ("no plan", None, None, vec![reason.clone()]),
        ExpectedValue::Evaluated {
            first_stage,
            objective_cny,
        } => (
            "evaluated",
            Some(first_stage_json(p0, first_stage)),
            Some(objective_cny.round()),
            vec![],
        ),
        ExpectedValue::Infeasible {
            first_stage,
            outcomes,
        } => (
            "infeasible",
            Some(first_stage_json(p0, first_stage)),
            None,
            outcomes.clone(),
        ),
    };
    let v = serde_json::json!({
        "kind": "hedge",
        "scenario": scenario,
        "status": h.plan.status.as_str(),
        "mip_gap": h.plan.mip_gap,
        "solve_seconds": round2(h.plan.seconds),
        "method": if h.plan.decomposition.is_some() { "l-shaped" } else if h.names.len() == 1 { "single" } else { "extensive" },
        "l_shaped": h.plan.decomposition.as_ref().map(|d| serde_json::json!({
            "lp_rounds": d.lp_rounds,
            "mip_rounds": d.mip_rounds,
            "cuts": d.cuts,
            "outcome_lps": d.outcome_solves,
            "penalty_raises": d.penalty_raises,
            "threads": d.threads,
            "site_decisions": d.decisions,
            "seconds": {
                "build": round2(d.build_seconds),
                "master": round2(d.master_seconds),
                "outcome_lps_summed": round2(d.outcome_seconds),
                "whole_servers": round2(d.second_stage_seconds),
            },
        })),
        "model_columns": h.plan.model_size.0,
        "model_rows": h.plan.model_size.1,
        "risk": {"alpha": h.risk.alpha, "lambda": h.risk.lambda},
        "objective_cny": h.plan.objective_cny.round(),
        "bound_cny": h.plan.bound_cny.round(),
        "expected_cost_cny": h.expected_cny.round(),
        "var_cny": h.var_cny.round(),
        "cvar_cny": h.cvar_cny.round(),
        "wait_and_see_cny": h.wait_and_see_cny.round(),
        "evpi_cny": h.evpi_cny.round(),
        "expected_value_plan": {
            "state": ev_state,
            "sites": ev_first,
            "objective_cny": ev_obj,
            "infeasible_in": ev_bad,
            "reason": h.drawn_from.as_ref().and_then(|d| d.expected_value_missing.clone()),
        },
        "vss_cny": h.vss_cny.map(f64::round),
        "risk_neutral": h.neutral.as_ref().map(|n| serde_json::json!({
            "expected_cost_cny": n.expected_cny.round(),
            "cvar_cny": n.cvar_cny.round(),
            "insurance_premium_cny": (h.expected_cny - n.expected_cny).round(),
            "cvar_reduction_cny": (n.cvar_cny - h.cvar_cny).round(),
            "sites": first_stage_json(p0, &n.first_stage),
        })),
        "first_stage": sites,
        "outcomes": outcomes,
        "plan_files_outcome": h.names[h.most_probable()],
        "risk_frontier": (!h.frontier.is_empty()).then(|| h.frontier.iter().map(|x| serde_json::json!({
            "lambda": x.lambda,
            "expected_cost_cny": x.expected_cny.round(),
            "cvar_cny": x.cvar_cny.round(),
            "objective_cny": x.objective_cny.round(),
            "sites": site_list(p0, &x.first_stage).split(';').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
            "mip_gap": x.mip_gap,
            "costs_cny": x.costs_cny.iter().map(|c| c.round()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>()),
        "outcomes_from": h.drawn_from.as_ref().map(|d| serde_json::json!({
            "sweep": d.sweep,
            "samples": d.samples,
            "seed": d.seed,
            "sampling": d.sampling,
            "probability_each": 1.0 / d.samples as f64,
            "expected_value": "the draws' mean values (whole-number keys rounded)",
        })),
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// The answer in words: what to build now and why, what the uncertainty
/// costs, and what planning for it saves.
pub fn hedge_text(h: &Hedge, p0: &Prepared) -> String {
    use crate::domain::text::{int, month_label};
    // Rounded first, so that a hair below zero prints as 0.00, not -0.00.
    let bn = |x: f64| format!("{:.2} bn CNY", (x / 1e7).round() / 100.0 + 0.0);
    let mut t = String::new();
    let n = h.names.len();
    t.push_str(&format!(
        "Two-stage plan over {n} outcome{} ({}, gap {:.4} %{}):\n",
        if n == 1 { "" } else { "s" },
        h.plan.status.as_str(),
        100.0 * h.plan.mip_gap,
        h.plan
            .decomposition
            .as_ref()
            .map_or(String::new(), |d| format!(
                "; L-shaped: {} cuts in {} + {} rounds",
                d.cuts, d.lp_rounds, d.mip_rounds
            ))
    ));
    if h.plan.status != crate::plan::Status::Optimal {
        t.push_str(&format!(
            "Proven within {:.3} % ({}) of the best two-stage plan, not within the gap asked: the EVPI and VSS below may be off by as much, and what each site is worth is not computed.\n",
            100.0 * h.plan.mip_gap,
            bn(h.plan.objective_cny - h.plan.bound_cny)
        ));
    }
    if let Some(d) = &h.drawn_from {
        t.push_str(&format!(
            "The outcomes are draws 0-{} of {} (seed {}, {}), each of probability 1/{}.\n",
            d.samples - 1,
            d.sweep,
            d.seed,
            d.sampling,
            d.samples
        ));
    }
    t.push_str("Build now (the same in every outcome):\n");
    for (s, (cooling, mega)) in first_stage_by_site(p0, &h.plan.first_stage) {
        let site = &p0.inst.sites[s];
        let used = h.outcomes_using(s);
        let e: f64 = h.expected_cards(s).iter().sum();
        t.push_str(&format!(
            "  {} ({}): {cooling}{}; used in {used} of {n} outcomes, {} cards expected",
            site.name_en,
            site.region_id,
            if mega { ", the training cluster" } else { "" },
            int(e.round() as i128),
        ));
        if let Some(now) = h.site_now(s) {
            if let Some(mo) = now.start_by_month {
                let when = month_label(mo.max(0.0), p0.inst.params.start_year);
                let fixed = site.opening_cost_cny();
                t.push_str(&match (now.start_decided, mo <= 0.0) {
                    (false, true) => format!("; start its new hall now ({when})"),
                    (false, false) => format!("; start its new hall by {when}"),
                    (true, true) => format!(
                        "; start its new hall now ({when}: its {} fixed cost paid now)",
                        bn(fixed)
                    ),
                    (true, false) => format!(
                        "; start its new hall in {when}, not before (its {} fixed cost paid then, {} less than now)",
                        bn(fixed),
                        bn(fixed * (1.0 - p0.inst.params.discount_at_month(mo)))
                    ),
                });
            }
            if now.contract_decided {
                t.push_str(&format!(
                    "; contract {:.1} MW (the most any outcome draws: {:.1} MW)",
                    now.contract_mw, now.peak_draw_mw
                ));
            } else if now.contract_mw > 0.0 {
                t.push_str(&format!(
                    "; contract {:.1} MW (the most any outcome draws)",
                    now.contract_mw
                ));
            }
            match &now.worth {
                Worth::Cny(x) => t.push_str(&format!(
                    "; without it the plan costs {} more (re-solved)",
                    bn(*x)
                )),
                Worth::Indispensable => t.push_str("; no plan serves every outcome without it"),
                Worth::Committed | Worth::NotComputed(_) => {}
            }
        }
        t.push('\n');
    }
    t.push_str(&format!(
        "Expected cost {}; the costliest {:.0} % of outcomes average {} (CVaR).\n",
        bn(h.expected_cny),
        100.0 * (1.0 - h.risk.alpha),
        bn(h.cvar_cny)
    ));
    t.push_str(&format!(
        "Knowing the outcome in advance would save {} (EVPI: each outcome planned on its own averages {}).\n",
        bn(h.evpi_cny),
        bn(h.wait_and_see_cny)
    ));
    match (&h.expected_value, h.vss_cny) {
        (ExpectedValue::Evaluated { .. }, Some(v)) if v > 0.0 => t.push_str(&format!(
            "Planning for the outcomes instead of their average saves {} (VSS).\n",
            bn(v)
        )),
        (ExpectedValue::Evaluated { .. }, Some(_)) => t.push_str(
            "The plan of the averaged inputs builds the same sites: planning for the outcomes saves nothing here (VSS 0).\n",
        ),
        (ExpectedValue::NoPlan { reason }, _) => t.push_str(&format!(
            "The averaged inputs have no plan of their own ({reason}): no VSS.\n"
        )),
        (ExpectedValue::Infeasible { outcomes, .. }, _) => t.push_str(&format!(
            "The plan of the averaged inputs cannot serve {} of the {} outcomes ({}): it is no plan under this uncertainty (VSS unbounded).\n",
            outcomes.len(),
            h.names.len(),
            outcomes
                .iter()
                .map(|o| format!("\"{o}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        (ExpectedValue::NotComputed, _) => {
            if let Some(why) = h.drawn_from.as_ref().and_then(|d| d.expected_value_missing.as_ref()) {
                t.push_str(&format!("No VSS: the draws' averaged values give no instance ({why}).\n"));
            }
        }
        _ => {}
    }
    if let Some(nt) = &h.neutral {
        t.push_str(&format!(
            "Against the risk-neutral plan: {} more expected cost (the insurance premium) for {} less CVaR.\n",
            bn(h.expected_cny - nt.expected_cny),
            bn(nt.cvar_cny - h.cvar_cny)
        ));
    }
    if !h.frontier.is_empty() {
        t.push_str(&format!(
            "Risk frontier (CVaR {:.0} %): λ, expected cost, CVaR, objective, sites built now:\n",
            100.0 * h.risk.alpha
        ));
        for x in &h.frontier {
            t.push_str(&format!(
                "  {}: {}, {}, {}, {}\n",
                x.lambda,
                bn(x.expected_cny),
                bn(x.cvar_cny),
                bn(x.objective_cny),
                site_list(p0, &x.first_stage).replace(';', " ")
            ));
        }
    }
    t.push_str("Per outcome: probability, cost, its own optimum:\n");
    for k in 0..n {
        t.push_str(&format!(
            "  {}: {:.3}, {}, {}\n",
            h.names[k],
            h.probabilities[k],
            bn(h.plan.costs_cny[k]),
            bn(h.own_optima_cny[k])
        ));
    }
    t
}

/// `outcomes.csv` and `outcomes.parquet` (the same rows).
pub fn outcomes_files(h: &Hedge) -> polars::prelude::PolarsResult<(String, Vec<u8>)> {
    let mut frame = outcomes_frame(h)?;
    let csv = crate::export::csv::csv_text(frame.clone())?;
    let mut buf = Vec::new();
    polars::prelude::ParquetWriter::new(&mut buf).finish(&mut frame)?;
    Ok((csv, buf))
}
