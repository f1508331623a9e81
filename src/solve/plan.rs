//! A solved plan in domain terms: what is built where, with every figure a
//! planner checks, recomputed from the integer decisions.

use super::{ModelParts, RawSolution, Status, Values};
use crate::domain::Tier;
use crate::milp::{subsidy_base_per_server, Prepared};
use good_lp::Solution;

/// One candidate site in the plan, built or not.
#[derive(Debug, Clone, PartialEq)]
pub struct SitePlan {
    pub site: usize,
    pub built: bool,
    /// Cooling index when built.
    pub cooling: Option<usize>,
    /// Cards per accelerator (same order as the accelerators table).
    pub cards: Vec<u64>,
    pub servers: Vec<u64>,
    pub it_mw: f64,
    pub facility_mw: f64,
    pub pue: Option<f64>,
    pub annual_gwh: f64,
    pub annual_tce: f64,
    /// Facility and hardware capex including the fixed site cost, CNY.
    pub capex_cny: f64,
    /// Electricity and operations per year, before subsidies, CNY.
    pub opex_cny_per_year: f64,
    /// Subsidy attributed to the site, net present value, CNY.
    pub subsidy_cny: f64,
    /// Net present cost per H200-eq card-year (after subsidies), CNY.
    pub cost_per_card_year_cny: Option<f64>,
    pub h200_eq: f64,
    pub mega_cluster: bool,
    /// Why the site is not built: a rule that rules it out, or, for a site
    /// that could be built, the extra cost of building it.
    pub not_built_reason: Option<String>,
    /// For an unbuilt site that could be built: the extra net present cost of
    /// building it with its cheapest cooling beside the plan's other sites, CNY.
    pub build_cost_gap_cny: Option<f64>,
}

/// A served (city, site) pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub demand: usize,
    pub site: usize,
    pub cards_h200_eq: f64,
    pub rtt_ms: f64,
    pub km: f64,
}

/// What a subsidy programme pays.
#[derive(Debug, Clone, PartialEq)]
pub struct SubsidyPaid {
    pub programme_id: String,
    /// Per year for annual kinds, once for one-off kinds, CNY.
    pub amount_cny: f64,
    pub annual: bool,
    /// Net present value, CNY.
    pub npv_cny: f64,
}

/// A solved plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub status: Status,
    pub objective_cny: f64,
    pub mip_gap: f64,
    pub solve_seconds: f64,
    pub build_seconds: f64,
    /// (columns, integer columns, rows).
    pub model_size: (usize, usize, usize),
    pub sites: Vec<SitePlan>,
    pub flows: Vec<Flow>,
    pub subsidies: Vec<SubsidyPaid>,
    /// Binding rows, planner levers first.
    pub binding: Vec<super::Binding>,
    /// Marginal values from the LP with the binary decisions fixed.
    pub shadow_prices: Vec<super::ShadowPrice>,
    /// Near-optimal ranges, when asked for (`solve --near-optimal`).
    pub near_optimal: Option<super::NearOptimal>,
    /// What the cut loop did with the city-site link rows (`None`: the model has none).
    pub link_rows: Option<super::LinkStats>,
    /// What pair pricing did with the city-site pairs (`None`: every pair in the model).
    pub pairs: Option<super::PairStats>,
}

impl Plan {
    pub fn cards_total(&self) -> u64 {
        self.sites.iter().flat_map(|s| s.cards.iter()).sum()
    }
    pub fn cards_of(&self, a: usize) -> u64 {
        self.sites.iter().map(|s| s.cards[a]).sum()
    }
}

pub(super) fn read_back(
    p: &Prepared,
    parts: &ModelParts,
    values: &Values,
    raw: &RawSolution,
) -> Plan {
    let inst = &p.inst;
    let n_acc = inst.accelerators.len();
    let af = p.annuity_factor;
    // Subsidies paid, and each site's share of each programme's base.
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
    let mut sites: Vec<SitePlan> = inst
        .sites
        .iter()
        .enumerate()
        .map(|(s, _)| SitePlan {
            site: s,
            built: false,
            cooling: None,
            cards: vec![0; n_acc],
            servers: vec![0; n_acc],
            it_mw: 0.0,
            facility_mw: 0.0,
            pue: None,
            annual_gwh: 0.0,
            annual_tce: 0.0,
            capex_cny: 0.0,
            opex_cny_per_year: 0.0,
            subsidy_cny: 0.0,
            cost_per_card_year_cny: None,
            h200_eq: 0.0,
            mega_cluster: false,
            not_built_reason: p.site_reason[s].clone(),
            build_cost_gap_cny: None,
        })
        .collect();
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
        sp.capex_cny += inst.sites[opt.site].fixed_cost_cny;
        for (i, &a) in opt.accels.iter().enumerate() {
            let n = values.value(parts.vars.servers[o][i]).round().max(0.0);
            if n == 0.0 {
                continue;
            }
            let acc = &inst.accelerators[a];
            sp.servers[a] += n as u64;
            sp.cards[a] += n as u64 * acc.cards_per_server as u64;
            sp.it_mw += n * acc.server_kw / 1000.0;
            sp.facility_mw += n * acc.server_kw * opt.pue / 1000.0;
            sp.annual_gwh += n * p.kwh_per_server_year(opt, a) / 1e6;
            sp.annual_tce += n * p.tce_per_server_year(opt, a);
            sp.capex_cny += n * (acc.server_capex_cny() + p.facility_capex_per_server(opt, a));
            sp.opex_cny_per_year += n * p.opex_per_server_year(opt, a);
            sp.h200_eq += n * acc.cards_per_server as f64 * acc.perf_h200_eq;
        }
    }
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
    Plan {
        status: raw.status,
        objective_cny: raw.objective,
        mip_gap: raw.gap_to(raw.dual_bound),
        solve_seconds: raw.seconds,
        build_seconds: 0.0,
        model_size: (0, 0, 0),
        sites,
        flows,
        subsidies,
        binding: Vec::new(),
        shadow_prices: Vec::new(),
        near_optimal: None,
        link_rows: None,
        pairs: None,
    }
}

/// Net present cost per H200-eq card-year after subsidies, CNY: (capex + AF ×
/// opex − subsidy NPV) / (H200-eq cards × horizon years); `None` without cards.
/// The one definition, for sites, regions, tiers and comparisons.
pub fn cost_per_card_year(
    capex_cny: f64,
    opex_cny_per_year: f64,
    subsidy_npv_cny: f64,
    h200_eq: f64,
    annuity_factor: f64,
    horizon_years: u32,
) -> Option<f64> {
    (h200_eq > 0.0).then(|| {
        (capex_cny + annuity_factor * opex_cny_per_year - subsidy_npv_cny)
            / (h200_eq * horizon_years as f64)
    })
}

/// Totals of a group of sites (a region or a tier).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    pub cards: Vec<u64>,
    pub sites_built: usize,
    pub it_mw: f64,
    pub facility_mw: f64,
    pub annual_gwh: f64,
    pub annual_tce: f64,
    pub capex_cny: f64,
    pub opex_cny_per_year: f64,
    pub subsidy_cny: f64,
    pub h200_eq: f64,
}

impl Totals {
    pub fn of<'a>(n_acc: usize, sites: impl Iterator<Item = &'a SitePlan>) -> Totals {
        let mut t = Totals {
            cards: vec![0; n_acc],
            ..Totals::default()
        };
        for s in sites {
            for (a, c) in s.cards.iter().enumerate() {
                t.cards[a] += c;
            }
            t.sites_built += s.built as usize;
            t.it_mw += s.it_mw;
            t.facility_mw += s.facility_mw;
            t.annual_gwh += s.annual_gwh;
            t.annual_tce += s.annual_tce;
            t.capex_cny += s.capex_cny;
            t.opex_cny_per_year += s.opex_cny_per_year;
            t.subsidy_cny += s.subsidy_cny;
            t.h200_eq += s.h200_eq;
        }
        t
    }
    pub fn cards_total(&self) -> u64 {
        self.cards.iter().sum()
    }
    /// [`cost_per_card_year`] of the group.
    pub fn cost_per_card_year(&self, annuity_factor: f64, horizon_years: u32) -> Option<f64> {
        cost_per_card_year(
            self.capex_cny,
            self.opex_cny_per_year,
            self.subsidy_cny,
            self.h200_eq,
            annuity_factor,
            horizon_years,
        )
    }
}

/// Totals by region (in table order) and by tier.
pub fn totals(p: &Prepared, plan: &Plan) -> (Vec<Totals>, Vec<(Tier, Totals)>) {
    let n = p.inst.accelerators.len();
    let by_region = (0..p.inst.regions.len())
        .map(|r| {
            Totals::of(
                n,
                plan.sites.iter().filter(|s| p.region_of_site[s.site] == r),
            )
        })
        .collect();
    let by_tier = Tier::ALL
        .iter()
        .map(|t| {
            (
                *t,
                Totals::of(
                    n,
                    plan.sites
                        .iter()
                        .filter(|s| p.inst.regions[p.region_of_site[s.site]].tier == *t),
                ),
            )
        })
        .collect();
    (by_region, by_tier)
}
