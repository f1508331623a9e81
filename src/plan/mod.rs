//! A solved plan that describes itself: what is built where, every per-site,
//! per-region and per-row figure in planner units, and the instance it was
//! solved for. `export`, `compare` and `report` read a [`Plan`] and `domain`
//! only; `solve` builds it from the integer decisions.

pub mod implied;

use std::sync::Arc;

use crate::domain::rows::{Family, PerQuota, Quota, RowKey};
use crate::domain::{Instance, Tier};

/// How a solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Proven optimal within the MIP gap tolerance.
    Optimal,
    /// A limit stopped the search with a feasible plan.
    Feasible,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Optimal => "optimal",
            Status::Feasible => "feasible",
        }
    }
}

/// One candidate site in the plan, built or not.
#[derive(Debug, Clone, PartialEq)]
pub struct SitePlan {
    pub site: usize,
    /// The quota region of the site (index into the instance's regions).
    pub region: usize,
    /// Demand cities within their RTT budget of the site.
    pub cities_in_reach: usize,
    pub built: bool,
    /// Cooling index when built.
    pub cooling: Option<usize>,
    /// Cards per accelerator (same order as the accelerators table).
    pub cards: Vec<u64>,
    pub servers: Vec<u64>,
    /// Servers per rack of each accelerator placed at the site (its design
    /// density, or a lower one its cooling needs); `None` where none is placed.
    pub servers_per_rack: Vec<Option<u32>>,
    pub it_mw: f64,
    pub facility_mw: f64,
    /// Facility MW contracted with the grid, for a built site of a scenario
    /// that prices contracted power (`power_contract_cny_per_kw_month`);
    /// at least `facility_mw`. `None` where no contract is modelled.
    pub contract_mw: Option<f64>,
    pub pue: Option<f64>,
    pub annual_gwh: f64,
    pub annual_tce: f64,
    /// Cooling water per year, m³ (IT energy × the cooling's WUE).
    pub annual_water_m3: f64,
    /// What the site's servers use of each quota kind, in its unit (for
    /// power, energy and water the same as `facility_mw`, `annual_tce` and
    /// `annual_water_m3`).
    pub quota_use: PerQuota<f64>,
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
    /// Phased plans, built sites: the month from which the site has IT usable
    /// (0 where IT is in service at month 0, else its new hall's lead time).
    pub ready_month: Option<f64>,
    /// Phased plans, built sites that need a new hall: the latest month to
    /// start it so that it is ready for the first period that needs it or,
    /// where the start is a decision (`hall_start_decided`), the month the
    /// plan starts it.
    pub hall_start_month: Option<f64>,
    /// Whether `hall_start_month` is a decision of the plan
    /// (`hall_start_step_months`: its site's fixed cost is paid then).
    pub hall_start_decided: bool,
    /// Phased plans: cards installed at the site by each period of the
    /// schedule, cumulative (empty for a single-period plan).
    pub cards_by_period: Vec<u64>,
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

/// A solved plan: the decisions with every figure a planner reads, in planner
/// units (CNY, MW, cards), and the instance it was solved for, so that it
/// describes itself without the model or the solver.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The scenario's tables as solved (shared, not copied, between plans).
    pub instance: Arc<Instance>,
    /// Present value of 1 CNY a year over the horizon at the discount rate.
    pub annuity_factor: f64,
    pub status: Status,
    pub objective_cny: f64,
    pub mip_gap: f64,
    /// A lower bound, CNY, on the cost of the model with its servers
    /// continuous (phases 0-1's proven bound, or pair pricing's bound on
    /// the model with every pair; so on the plan's model too), whatever
    /// sites are chosen (`None`: none known).
    pub sites_bound_cny: Option<f64>,
    pub solve_seconds: f64,
    pub build_seconds: f64,
    /// The solver that found the plan, with its version ("HiGHS 1.16.0").
    pub solver: &'static str,
    /// (columns, integer columns, rows).
    pub model_size: (usize, usize, usize),
    pub sites: Vec<SitePlan>,
    pub flows: Vec<Flow>,
    pub subsidies: Vec<SubsidyPaid>,
    /// Binding rows, planner levers first.
    pub binding: Vec<Binding>,
    /// Marginal values from the LP with the binary decisions fixed.
    pub shadow_prices: Vec<ShadowPrice>,
    /// Near-optimal ranges, when asked for (`solve --near-optimal`).
    pub near_optimal: Option<NearOptimal>,
    /// What the cut loop did with the city-site link rows (`None`: the model has none).
    pub link_rows: Option<LinkStats>,
    /// Which link rows (per pair of `Prepared::pairs`) the final model held,
    /// when the cut loop chose them: a seed for a solve of a related model
    /// (`SolveOptions::link_seed`).
    pub link_active: Option<std::sync::Arc<[bool]>>,
    /// What pair pricing did with the city-site pairs (`None`: every pair in the model).
    pub pairs: Option<PairStats>,
    /// When and where the deliveries are installed (`None`: no `[[deliveries]]`).
    pub schedule: Option<Schedule>,
}

/// One period of a phased plan.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulePeriod {
    /// Month the period's cards arrive (0-based from the plan's start).
    pub month: f64,
    /// Month by which they are installed (month + install window).
    pub installed_by: f64,
    /// Present value of 1 CNY spent at `month`.
    pub discount: f64,
}

/// Servers of one accelerator installed at one site in one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Installation {
    pub site: usize,
    pub accel: usize,
    /// Index into `Schedule::periods`.
    pub period: usize,
    pub servers: u64,
    pub cards: u64,
}

/// When and where a phased plan's cards are installed.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub install_days: f64,
    /// The calendar year whose January is month 0 (`parameters.start_year`).
    pub start_year: Option<u32>,
    pub periods: Vec<SchedulePeriod>,
    /// Every (site, accelerator, period) with servers installed, by site,
    /// accelerator and period.
    pub installations: Vec<Installation>,
}

impl Schedule {
    /// Cards of each accelerator installed in each period (`[period][accel]`).
    pub fn cards_by_period(&self, n_acc: usize) -> Vec<Vec<u64>> {
        let mut out = vec![vec![0; n_acc]; self.periods.len()];
        for x in &self.installations {
            out[x.period][x.accel] += x.cards;
        }
        out
    }
}

impl Plan {
    pub fn cards_total(&self) -> u64 {
        self.sites.iter().flat_map(|s| s.cards.iter()).sum()
    }
    pub fn cards_of(&self, a: usize) -> u64 {
        self.sites.iter().map(|s| s.cards[a]).sum()
    }

    /// Totals by region, in table order.
    pub fn region_totals(&self) -> Vec<Totals> {
        let n = self.instance.accelerators.len();
        (0..self.instance.regions.len())
            .map(|r| Totals::of(n, self.sites.iter().filter(|s| s.region == r)))
            .collect()
    }
    /// Totals by tier, in `Tier::ALL` order.
    pub fn tier_totals(&self) -> Vec<(Tier, Totals)> {
        let n = self.instance.accelerators.len();
        let regions = &self.instance.regions;
        Tier::ALL
            .iter()
            .map(|t| {
                let sites = self.sites.iter().filter(|s| regions[s.region].tier == *t);
                (*t, Totals::of(n, sites))
            })
            .collect()
    }
    /// Totals by planning cluster, in the clusters table's order (empty
    /// without a clusters table). A cluster sums the sites of its member regions.
    pub fn cluster_totals(&self) -> Vec<Totals> {
        let n = self.instance.accelerators.len();
        let of = self.instance.cluster_of_region();
        (0..self.instance.clusters.len())
            .map(|c| Totals::of(n, self.sites.iter().filter(|s| of[s.region] == Some(c))))
            .collect()
    }
    /// Totals of every site.
    pub fn total(&self) -> Totals {
        Totals::of(self.instance.accelerators.len(), self.sites.iter())
    }
    /// Net present cost per H200-eq card-year of a group of sites.
    pub fn cost_per_card_year(&self, t: &Totals) -> Option<f64> {
        t.cost_per_card_year(self.annuity_factor, self.instance.params.horizon_years)
    }
    /// Subsidies paid by every programme, net present value, CNY.
    pub fn subsidy_npv_cny(&self) -> f64 {
        self.subsidies.iter().map(|x| x.npv_cny).sum()
    }
}

/// What the cut loop did with the city-site link rows (summary.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkStats {
    /// Link rows in the final model.
    pub rows_in_model: usize,
    /// Link rows of the full model.
    pub rows_total: usize,
    pub lp_rounds: usize,
    pub mip_rounds: usize,
    /// What the Benders loop did, when it chose the sites.
    pub benders: Option<BendersStats>,
    /// What phase 1's own branch and bound did, when it ran.
    pub branch: Option<BranchStats>,
}

/// What phase 1's branch and bound did (summary.json `link_rows.branch_and_bound`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BranchStats {
    /// Nodes whose LP was solved.
    pub nodes: usize,
    /// LP solves (nodes, link-row rounds, rounded plans).
    pub lp_solves: usize,
    /// Rounded LP solutions evaluated as plans.
    pub plans_evaluated: usize,
    /// The search proved its best plan within the gap (otherwise HiGHS's MIP
    /// went on from it).
    pub finished: bool,
}

/// What the Benders loop did (summary.json `link_rows.benders`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BendersStats {
    /// Cuts added to the master.
    pub cuts: usize,
    /// Master LP solves (the LP bound, stage 1).
    pub lp_rounds: usize,
    /// Master MIP solves (stage 2).
    pub mip_rounds: usize,
    /// Plans one move from the best plan evaluated between MIP rounds.
    pub neighbours_evaluated: usize,
}

/// What pair pricing did with the city-site pairs (summary.json).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairStats {
    /// City-site pairs (serve columns) in the final model.
    pub in_model: usize,
    /// Pairs within reach of the full model.
    pub of: usize,
    /// LP pricing rounds.
    pub rounds: usize,
    /// Whether pricing finished, so that the gap is against the full LP bound
    /// (otherwise against the Lagrangian bound of a pricing round).
    pub priced_out: bool,
    /// The lower bound on the model with every pair that the gap is
    /// measured against, CNY (`None`: no bound, the gap is unknown).
    pub lower_bound_cny: Option<f64>,
}

/// A row of a plan that binds: no room left, or less room than one more
/// (or one fewer) server of any kind in it would need.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub key: RowKey,
    /// Derived from the key (`region-power-quota-jjj`).
    pub name: String,
    /// The limit in the planner's words ("the Beijing-Tianjin-Hebei power quota").
    pub words: String,
    pub family: Family,
    /// The region the row is about (its own, or its site's), if any.
    pub region: Option<usize>,
    /// The site the row is about, if any.
    pub site: Option<usize>,
    /// Room left in the row, in the family's planner unit (0 when exactly binding).
    pub slack: f64,
}

/// The marginal value of one row.
#[derive(Debug, Clone, PartialEq)]
pub struct ShadowPrice {
    pub key: RowKey,
    /// Row name, e.g. `region-power-quota-jjj` (derived from the key).
    pub constraint: String,
    /// The limit in the planner's words.
    pub words: String,
    pub family: Family,
    /// The region the row is about (its own, or its site's), if any.
    pub region: Option<usize>,
    /// Change of the net present cost (CNY) when the row's limit grows by one
    /// `unit`: negative when more room saves money (a binding quota), positive
    /// when more of a requirement costs money (a card target).
    pub cny_per_unit: f64,
    pub unit: &'static str,
    /// Whether the dual was checked against one-sided re-solves (the most
    /// important levers are; see `solve::shadow::MAX_CHECKED`).
    pub checked: bool,
    /// Set when the LP is degenerate at this row: the one-sided values differ.
    pub one_sided: Option<OneSided>,
}

/// One-sided marginal values of a degenerate row, CNY per unit, measured by
/// re-solving with the limit `step` units lower and higher. `None` on a side
/// where the changed LP has no solution (the limit cannot move that way with
/// the plan's sites).
#[derive(Debug, Clone, PartialEq)]
pub struct OneSided {
    pub step: f64,
    /// (cost now − cost with the limit one step lower) / step.
    pub down: Option<f64>,
    /// (cost with the limit one step higher − cost now) / step.
    pub up: Option<f64>,
}

/// The fewest and most cards a group holds within the cost bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CardRange {
    pub min_cards: f64,
    pub max_cards: f64,
    /// Whether each end is proven (a bound within
    /// `solve::near_optimal::PROOF_CARDS` of it); both ends are always
    /// attained by a plan found.
    pub min_proven: bool,
    pub max_proven: bool,
}

impl CardRange {
    /// Narrow: the range is within `tolerance` (a share of the larger end,
    /// or one server's 8 cards) of a single value, so cost decides it.
    pub fn decided(&self, tolerance: f64) -> bool {
        self.max_cards - self.min_cards <= (tolerance * self.max_cards.abs()).max(8.0)
    }

    /// Whether cost decides the group, as far as the search knows:
    /// `Some(false)` when plans found within the share differ by more than
    /// `tolerance` (a tie, proven by those plans), `Some(true)` when they do
    /// not and both ends are proven, `None` when they do not but an end is
    /// not proven (the true range may be wider).
    pub fn cost_decides(&self, tolerance: f64) -> Option<bool> {
        if !self.decided(tolerance) {
            Some(false)
        } else if self.min_proven && self.max_proven {
            Some(true)
        } else {
            None
        }
    }

    /// How many of its two ends are not proven.
    pub fn unproven_ends(&self) -> usize {
        (!self.min_proven) as usize + (!self.max_proven) as usize
    }
}

/// Near-optimal ranges of a plan (modelling to generate alternatives).
#[derive(Debug, Clone, PartialEq)]
pub struct NearOptimal {
    /// Share of the optimal cost allowed on top of it (0.005 = 0.5 %).
    pub share: f64,
    /// The cost bound, CNY: (1 + share) × the plan's net present cost.
    pub cost_bound_cny: f64,
    /// Per region, in table order.
    pub regions: Vec<CardRange>,
    /// Per tier, in `Tier::ALL` order.
    pub tiers: Vec<(Tier, CardRange)>,
    /// Per planning cluster, in the clusters table's order (empty without one).
    pub clusters: Vec<CardRange>,
    /// Per site: `None` for a site that can never be built.
    pub sites: Vec<Option<CardRange>>,
    /// Range solves (MIPs, or ends no solve was started for) that stopped at
    /// a time limit. Not the count of unproven ends: groups of the same
    /// sites share an end, and [`NearOptimal::unproven_ends`] counts the
    /// ends from their own flags (an end is proven when a plan comes within
    /// less than a server of its bound).
    pub limited: usize,
    /// Time limit of each range solve, seconds.
    pub per_solve_seconds: f64,
    /// MIPs solved (the ends not settled by the plans found and LP bounds).
    pub mip_solves: usize,
}

impl NearOptimal {
    /// The range of every row of regions.csv, in its order: regions, tiers,
    /// then planning clusters.
    pub fn area_ranges(&self) -> impl Iterator<Item = &CardRange> {
        self.regions
            .iter()
            .chain(self.tiers.iter().map(|(_, r)| r))
            .chain(&self.clusters)
    }

    /// Ends not proven: (among the rows of regions.csv, among the buildable
    /// sites of sites.geojson). The one count of unproven ends: summary.json,
    /// the terminal and the report read it, each end's flag is its source.
    pub fn unproven_ends(&self) -> (usize, usize) {
        let areas = self.area_ranges().map(CardRange::unproven_ends).sum();
        let sites = self
            .sites
            .iter()
            .flatten()
            .map(CardRange::unproven_ends)
            .sum();
        (areas, sites)
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
    pub annual_water_m3: f64,
    /// What the group uses of each quota kind, in its unit.
    pub quota_use: PerQuota<f64>,
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
            t.annual_water_m3 += s.annual_water_m3;
            for q in Quota::ALL {
                t.quota_use[q] += s.quota_use[q];
            }
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
