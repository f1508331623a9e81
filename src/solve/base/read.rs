//! What HiGHS answers ([`RawSolution`], read through [`Values`]), what is
//! left of the model it solved ([`ModelParts`]), and the answer read back
//! into a [`Plan`]: every per-site figure recomputed from the integer
//! decisions.

use std::collections::HashMap;
use std::sync::Arc;

use good_lp::{Solution, SolutionStatus, Variable};

use crate::milp::{self, subsidy_base_per_server, Model, Prepared, Quota};
use crate::plan::{
    cost_per_card_year, Flow, Installation, Plan, Schedule, SchedulePeriod, SitePlan, Status,
    SubsidyPaid,
};

/// Primal values by column, usable wherever good_lp wants a [`Solution`].
pub struct Values<'a> {
    pub cols: Vec<f64>,
    pub column: &'a HashMap<Variable, usize>,
}

impl Solution for Values<'_> {
    fn status(&self) -> SolutionStatus {
        SolutionStatus::Optimal
    }
    fn value(&self, v: Variable) -> f64 {
        self.column.get(&v).map(|&c| self.cols[c]).unwrap_or(0.0)
    }
}

/// Raw result of one HiGHS run.
pub struct RawSolution {
    pub status: Status,
    pub cols: Vec<f64>,
    pub objective: f64,
    /// Best proven lower bound on the objective.
    pub dual_bound: f64,
    pub seconds: f64,
    /// Row duals in row order (LPs only; empty for a MIP).
    pub row_duals: Vec<f64>,
    /// Column reduced costs by column (LPs only; empty for a MIP).
    pub col_duals: Vec<f64>,
}

impl RawSolution {
    /// Relative gap between the objective and a lower bound, as HiGHS defines it.
    pub fn gap_to(&self, bound: f64) -> f64 {
        if !bound.is_finite() {
            return f64::INFINITY;
        }
        ((self.objective - bound) / self.objective.abs().max(1e-9)).max(0.0)
    }
}

/// What is left of a model after HiGHS took its variables.
pub struct ModelParts {
    pub column: HashMap<Variable, usize>,
    /// Whether each column is integer.
    pub integer: Vec<bool>,
    pub vars: milp::Vars,
    pub rows: Vec<milp::Row>,
    pub objective: good_lp::Expression,
    /// CNY per unit of `objective` and of the row duals' numerator.
    pub cny_per_objective_unit: f64,
}

impl ModelParts {
    /// What a built model leaves once its variables have gone to HiGHS.
    pub(crate) fn of(m: Model) -> ModelParts {
        ModelParts {
            column: m.column,
            integer: m.integer,
            vars: m.vars,
            rows: m.rows,
            objective: m.objective,
            cny_per_objective_unit: m.cny_per_objective_unit,
        }
    }
}

/// A solution read back into a plan (status, gap and statistics are the
/// caller's to set).
pub(crate) fn read_back(
    p: &Prepared,
    parts: &ModelParts,
    values: &Values,
    raw: &RawSolution,
) -> Plan {
    let inst = &p.inst;
    let af = p.annuity_factor;
    let (subsidies, site_subsidy) = subsidies_paid(p, parts, values);
    let mut sites = unbuilt_sites(p);
    add_built_options(p, parts, values, &mut sites);
    for (s, sp) in sites.iter_mut().enumerate() {
        if let Some(m) = parts.vars.mega[s] {
            sp.mega_cluster = values.value(m) > 0.5;
        }
        sp.subsidy_cny = site_subsidy[s];
        sp.cost_per_card_year_cny = cost_per_card_year(
            sp.capex_cny,
            sp.opex_cny_per_year,
            sp.subsidy_cny,
            sp.h200_eq,
            af,
            inst.params.horizon_years,
        );
    }
    let schedule = read_schedule(p, parts, values, &mut sites);
    let flows = flows_of(p, parts, values);
    Plan {
        instance: Arc::clone(&p.inst),
        annuity_factor: af,
        status: raw.status,
        objective_cny: raw.objective,
        mip_gap: raw.gap_to(raw.dual_bound),
        sites_bound_cny: None,
        solve_seconds: raw.seconds,
        build_seconds: 0.0,
        solver: crate::solve::adapter::version(),
        model_size: (0, 0, 0),
        sites,
        flows,
        subsidies,
        binding: Vec::new(),
        shadow_prices: Vec::new(),
        near_optimal: None,
        link_rows: None,
        link_active: None,
        pairs: None,
        schedule,
    }
}

/// Subsidies paid, and each site's share of them (NPV, CNY): each
/// programme's amount split by the sites' shares of its base.
fn subsidies_paid(
    p: &Prepared,
    parts: &ModelParts,
    values: &Values,
) -> (Vec<SubsidyPaid>, Vec<f64>) {
    let inst = &p.inst;
    let mut subsidies = Vec::new();
    let mut site_subsidy = vec![0.0; inst.sites.len()];
    for (jn, j) in inst.subsidies.iter().enumerate() {
        let amount =
            values.value(parts.vars.subsidy[jn]).max(0.0) * crate::milp::CNY_PER_OBJECTIVE_UNIT;
        let w = p.subsidy_npv_weight(j);
        subsidies.push(SubsidyPaid {
            programme_id: j.programme_id.clone(),
            amount_cny: amount,
            annual: j.kind.is_annual(),
            npv_cny: amount * w,
        });
        let mut base = vec![0.0; inst.sites.len()];
        for (o, opt) in p.options.iter().enumerate() {
            for (i, &a) in opt.accels.iter().enumerate() {
                let n = values.value(parts.vars.servers[o][i]).round();
                base[opt.site] += n * subsidy_base_per_server(p, j, opt, a);
            }
            if values.value(parts.vars.open[o]) > 0.5 {
                base[opt.site] += p.subsidy_fixed_base(j, opt.site);
            }
        }
        let total: f64 = base.iter().sum();
        if total > 0.0 {
            for s in 0..base.len() {
                site_subsidy[s] += amount * w * base[s] / total;
            }
        }
    }
    (subsidies, site_subsidy)
}

/// Every site as not built, with its cities in reach and the reason it can
/// never be built (if any).
fn unbuilt_sites(p: &Prepared) -> Vec<SitePlan> {
    let inst = &p.inst;
    let n_acc = inst.accelerators.len();
    let mut in_reach = vec![0; inst.sites.len()];
    for pair in &p.pairs {
        in_reach[pair.site] += 1;
    }
    inst.sites
        .iter()
        .enumerate()
        .map(|(s, _)| SitePlan {
            site: s,
            region: p.region_of_site[s],
            cities_in_reach: in_reach[s],
            built: false,
            cooling: None,
            cards: vec![0; n_acc],
            servers: vec![0; n_acc],
            servers_per_rack: vec![None; n_acc],
            it_mw: 0.0,
            facility_mw: 0.0,
            // 0 MW contracted where the scenario prices contracts (the built
            // option's column below), none modelled otherwise.
            contract_mw: (inst.params.power_contract_cny_per_kw_month > 0.0).then_some(0.0),
            pue: None,
            annual_gwh: 0.0,
            annual_tce: 0.0,
            annual_water_m3: 0.0,
            quota_use: Default::default(),
            capex_cny: 0.0,
            opex_cny_per_year: 0.0,
            subsidy_cny: 0.0,
            cost_per_card_year_cny: None,
            h200_eq: 0.0,
            mega_cluster: false,
            not_built_reason: p.site_reason[s].clone(),
            build_cost_gap_cny: None,
            ready_month: None,
            hall_start_month: None,
            hall_start_decided: false,
            cards_by_period: Vec::new(),
        })
        .collect()
}

/// Adds every option built with servers (or required) to its site: cooling,
/// servers, cards, power, energy, water, capex and opex.
fn add_built_options(p: &Prepared, parts: &ModelParts, values: &Values, sites: &mut [SitePlan]) {
    let inst = &p.inst;
    for (o, opt) in p.options.iter().enumerate() {
        if values.value(parts.vars.open[o]) < 0.5 {
            continue;
        }
        // An option opened without servers (possible when opening is free) is not a site.
        let any = opt
            .accels
            .iter()
            .enumerate()
            .any(|(i, _)| values.value(parts.vars.servers[o][i]).round() > 0.0);
        if !any && !inst.sites[opt.site].status.must_open() {
            continue;
        }
        let sp = &mut sites[opt.site];
        sp.built = true;
        sp.cooling = Some(opt.cooling);
        sp.pue = Some(opt.pue);
        sp.capex_cny += inst.sites[opt.site].opening_cost_cny();
        if let Some(&c) = parts.vars.contract.get(o) {
            sp.contract_mw = Some(values.value(c).max(0.0));
        }
        for (i, &a) in opt.accels.iter().enumerate() {
            let n = values.value(parts.vars.servers[o][i]).round().max(0.0);
            if n == 0.0 {
                continue;
            }
            let acc = &inst.accelerators[a];
            sp.servers[a] += n as u64;
            sp.servers_per_rack[a] = Some(opt.servers_per_rack[i]);
            sp.cards[a] += n as u64 * acc.cards_per_server as u64;
            sp.it_mw += n * acc.server_kw / 1000.0;
            sp.facility_mw += n * acc.server_kw * opt.pue / 1000.0;
            sp.annual_gwh += n * p.kwh_per_server_year(opt, a) / 1e6;
            sp.annual_tce += n * p.tce_per_server_year(opt, a);
            sp.annual_water_m3 += n * p.water_m3_per_server_year(opt, a);
            for q in Quota::ALL {
                sp.quota_use[q] += p.quota_use(q, opt, a, n);
            }
            sp.capex_cny += n * (acc.server_capex_cny() + p.facility_capex_per_server(opt, a));
            sp.opex_cny_per_year += n * p.opex_per_server_year(opt, a);
            sp.h200_eq += n * acc.cards_per_server as f64 * acc.perf_h200_eq;
        }
    }
}

/// The city-site flows of the plan (above 1e-6 H200-eq).
fn flows_of(p: &Prepared, parts: &ModelParts, values: &Values) -> Vec<Flow> {
    let mut flows = Vec::new();
    for (k, pair) in p.pairs.iter().enumerate() {
        let x = values.value(parts.vars.serve[k]);
        if x > 1e-6 {
            flows.push(Flow {
                demand: pair.demand,
                site: pair.site,
                cards_h200_eq: x,
                rtt_ms: pair.rtt_ms,
                km: pair.km,
            });
        }
    }
    flows
}

/// The schedule of a phased plan: servers installed per site, accelerator
/// and period, and each built site's ready month, hall start and cumulative
/// cards by period.
fn read_schedule(
    p: &Prepared,
    parts: &ModelParts,
    values: &Values,
    sites: &mut [SitePlan],
) -> Option<Schedule> {
    let ph = p.phases()?;
    let inst = &p.inst;
    let n_periods = ph.periods.len();
    let mut installations = Vec::new();
    for (o, opt) in p.options.iter().enumerate() {
        let sp = &mut sites[opt.site];
        if !sp.built || sp.cooling != Some(opt.cooling) {
            continue;
        }
        let mut it_mw = vec![0.0; n_periods];
        let mut cards = vec![0u64; n_periods];
        for (i, &a) in opt.accels.iter().enumerate() {
            let acc = &inst.accelerators[a];
            for (k, v) in parts.vars.installed[o][i].iter().enumerate() {
                let Some(v) = v else { continue };
                let n = values.value(*v).round().max(0.0);
                if n == 0.0 {
                    continue;
                }
                let c = n as u64 * acc.cards_per_server as u64;
                installations.push(Installation {
                    site: opt.site,
                    accel: a,
                    period: k,
                    servers: n as u64,
                    cards: c,
                });
                for j in k..n_periods {
                    it_mw[j] += n * acc.server_kw / 1000.0;
                    cards[j] += c;
                }
            }
        }
        sp.ready_month = Some(ph.ready_month[o]);
        sp.cards_by_period = cards;
        // The new hall is needed from the first period whose IT exceeds
        // what is in service; each such period sets a latest start.
        sp.hall_start_month = (0..n_periods)
            .filter(|&k| it_mw[k] > ph.in_service_mw[o] + 1e-6)
            .map(|k| {
                crate::milp::phases::latest_start(
                    &inst.params,
                    ph.lead_months[o],
                    it_mw[k],
                    ph.periods[k].installed_by,
                )
                .max(0.0)
            })
            .min_by(f64::total_cmp);
        // Where the start is a decision: the month the plan starts the hall.
        if let Some(&(month, _)) = parts
            .vars
            .start
            .get(o)
            .and_then(|s| s.iter().find(|(_, z)| values.value(*z) > 0.5))
        {
            sp.hall_start_month = Some(month);
            sp.hall_start_decided = true;
            if ph.in_service_mw[o] <= 0.0 {
                sp.ready_month = Some(month + ph.lead_months[o]);
            }
        }
    }
    installations.sort_by_key(|x| (x.site, x.accel, x.period));
    Some(Schedule {
        install_days: inst.params.install_days,
        start_year: inst.params.start_year,
        periods: ph
            .periods
            .iter()
            .map(|x| SchedulePeriod {
                month: x.month,
                installed_by: x.installed_by,
                discount: x.discount,
            })
            .collect(),
        installations,
    })
}
