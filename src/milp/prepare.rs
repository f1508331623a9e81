//! Derived quantities: which (site, cooling, accelerator) options can exist,
//! why the others cannot, latencies, and unit costs. No solver here.

use crate::domain::*;
use crate::spatial::{geodesic_km, LatencyModel, Point};

/// Hours in a year used for energy.
pub const HOURS_PER_YEAR: f64 = 8760.0;

/// A site built with one cooling technology.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteOption {
    pub site: usize,
    pub cooling: usize,
    pub pue: f64,
    /// IT MW of the site ready by the deadline with this cooling: the site's
    /// capacity, or with campus phases (`parameters.campus_phase_mw`) the
    /// phases that the months between this option's lead time and the
    /// deadline allow.
    pub ready_it_mw: f64,
    /// Accelerators whose rack density this cooling can take.
    pub accels: Vec<usize>,
    /// Servers per rack of each of `accels` (same order): the densest
    /// deployment the cooling's racks take (an accelerator's design density,
    /// or a lower one down to its `min_servers_per_rack`).
    pub servers_per_rack: Vec<u32>,
}

/// A (city, site) pair within the city's RTT budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub demand: usize,
    pub site: usize,
    pub km: f64,
    pub rtt_ms: f64,
    /// Net present cost of serving one H200-eq card of the city from the site, CNY.
    pub cost_cny_per_card: f64,
}

/// How a city's inference demand is stated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DemandSize {
    /// Fixed H200-eq cards.
    Cards(f64),
    /// A share of all H200-eq cards placed.
    ShareOfTotal(f64),
}

/// IT MW of a site ready by the deadline when its first hall is ready after
/// `lead` months: all of it, or with campus phases one phase at the lead
/// time and one more every `campus_phase_months` until the deadline.
pub fn ready_it_mw(max_it_mw: f64, lead: f64, p: &Params) -> f64 {
    match p.campus_phase_mw {
        None => max_it_mw,
        Some(phase) => {
            let later =
                ((p.deadline_months - lead).max(0.0) / p.campus_phase_months + 1e-9).floor();
            max_it_mw.min(phase * (1.0 + later))
        }
    }
}

/// Each accelerator's least dense rack, for the reason an option has none:
/// "h200 ≥ 20.4 kW, ascend_910c ≥ 35 kW".
fn lowest_racks(accels: &[Accelerator]) -> String {
    accels
        .iter()
        .map(|a| {
            format!(
                "{} ≥ {:.1} kW",
                a.id,
                a.rack_kw_at(a.lowest_servers_per_rack())
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An instance with every derived quantity the model builder needs.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The instance, shared with the plans solved from it.
    pub inst: std::sync::Arc<Instance>,
    pub options: Vec<SiteOption>,
    /// Why a (site, cooling) option was not created, per site: (cooling index, reason).
    pub option_reasons: Vec<Vec<(usize, String)>>,
    /// Why a site can never be chosen (no option survives), if so.
    pub site_reason: Vec<Option<String>>,
    pub pairs: Vec<Pair>,
    pub demand: Vec<DemandSize>,
    pub region_of_site: Vec<usize>,
    pub price_of_site: Vec<f64>,
    pub annuity_factor: f64,
    /// Add a link row per city-site pair (a standard strengthening of
    /// capacitated facility location): `serve[d,s] ≤ demand_d × open[s]`
    /// for a fixed demand, and for a share `x` of the placed H200-eq `T`
    /// `serve[d,s] ≤ x × (T − share_floor × (1 − open[s]))`.
    pub disaggregate_links: bool,
    /// For demands stated as shares: the least H200-eq capacity any plan
    /// places (`T ≥` it), from the accelerator targets and the dual-track
    /// share; `None` where the share link rows do not apply (no share
    /// demand, no positive floor, or a pair that pays to be served).
    pub share_floor: Option<f64>,
}

impl Prepared {
    /// Derives everything from an instance that loaded cleanly.
    pub fn new(inst: Instance) -> Prepared {
        match Self::new_within(inst, None) {
            Ok(p) => p,
            Err(_) => unreachable!("no deadline, no time-up"),
        }
    }

    /// [`Prepared::new`] that stops once `deadline` passes (checked every few
    /// thousand sites and city-site pairs).
    pub fn new_within(inst: Instance, deadline: Option<&Deadline>) -> Result<Prepared, TimeUp> {
        check_deadline(deadline, PREPARE_STAGE)?;
        let p = &inst.params;
        let latency = LatencyModel::of(p);
        let af = p.annuity_factor();
        let region_of_site: Vec<usize> = inst
            .sites
            .iter()
            .map(|s| {
                inst.regions
                    .iter()
                    .position(|r| r.id == s.region_id)
                    .unwrap_or(0)
            })
            .collect();
        let price_of_site: Vec<f64> = inst
            .sites
            .iter()
            .map(|s| {
                inst.price(&s.province)
                    .map(|z| z.price_cny_per_kwh)
                    .unwrap_or(0.0)
            })
            .collect();
        let (options, option_reasons, site_reason) =
            site_options(&inst, &region_of_site, deadline)?;
        let demand = demand_sizes(&inst);
        let pairs = city_site_pairs(&inst, &demand, &site_reason, &latency, deadline)?;
        let share_floor = share_floor(&inst, &demand, &pairs);
        let disaggregate_links = demand.iter().all(|d| match d {
            DemandSize::Cards(_) => true,
            DemandSize::ShareOfTotal(x) => *x <= 0.0 || share_floor.is_some(),
        });
        Ok(Prepared {
            inst: std::sync::Arc::new(inst),
            options,
            option_reasons,
            site_reason,
            pairs,
            demand,
            region_of_site,
            price_of_site,
            annuity_factor: af,
            disaggregate_links,
            share_floor,
        })
    }

    /// Each city's pairs (indices into `pairs`), ordered by `key` ascending,
    /// ties by index.
    pub fn pairs_by_city(&self, key: impl Fn(&Pair) -> f64) -> Vec<Vec<usize>> {
        let mut by_city: Vec<Vec<usize>> = vec![Vec::new(); self.inst.demand.len()];
        for (k, pair) in self.pairs.iter().enumerate() {
            by_city[pair.demand].push(k);
        }
        for ks in &mut by_city {
            ks.sort_by(|&a, &b| {
                key(&self.pairs[a])
                    .total_cmp(&key(&self.pairs[b]))
                    .then(a.cmp(&b))
            });
        }
        by_city
    }

    /// Largest number of servers of accelerator `a` that fit the IT power an
    /// option has ready by the deadline.
    pub fn max_servers(&self, o: &SiteOption, a: usize) -> f64 {
        let acc = &self.inst.accelerators[a];
        (1000.0 * o.ready_it_mw / acc.server_kw + 1e-9).floor()
    }

    /// Annual electricity of one server under an option, kWh.
    pub fn kwh_per_server_year(&self, o: &SiteOption, a: usize) -> f64 {
        self.inst.accelerators[a].server_kw * self.inst.params.utilisation * o.pue * HOURS_PER_YEAR
    }

    /// Servers per rack of accelerator `a` under an option (its design
    /// density when the option does not hold it).
    pub fn servers_per_rack(&self, o: &SiteOption, a: usize) -> u32 {
        o.accels
            .iter()
            .position(|&x| x == a)
            .map(|i| o.servers_per_rack[i])
            .unwrap_or_else(|| self.inst.accelerators[a].dense_servers_per_rack())
    }

    /// Racks per server beyond those of the accelerator's design density:
    /// 1/n − 1/n_dense (0 at the design density; 1/2 − 1/4 = 0.25 for H200
    /// at 2 servers per rack instead of 4).
    pub fn extra_racks_per_server(&self, o: &SiteOption, a: usize) -> f64 {
        let acc = &self.inst.accelerators[a];
        1.0 / self.servers_per_rack(o, a) as f64 - 1.0 / acc.dense_servers_per_rack() as f64
    }

    /// Facility capex of one server under an option (its share of the hall), CNY:
    /// capex per MW IT × server kW, plus the cooling's cost per rack position
    /// for each extra rack that a lower density needs.
    pub fn facility_capex_per_server(&self, o: &SiteOption, a: usize) -> f64 {
        let k = &self.inst.cooling[o.cooling];
        k.capex_cny_per_mw_it * self.inst.accelerators[a].server_kw / 1000.0
            + k.capex_cny_per_rack * self.extra_racks_per_server(o, a)
    }

    /// Annual running cost of one server (electricity and operations), CNY.
    pub fn opex_per_server_year(&self, o: &SiteOption, a: usize) -> f64 {
        self.kwh_per_server_year(o, a) * self.price_of_site[o.site]
            + self.inst.cooling[o.cooling].opex_cny_per_mw_it_year
                * self.inst.accelerators[a].server_kw
                / 1000.0
    }

    /// Net present cost of one server under an option, before subsidies, CNY.
    pub fn npc_per_server(&self, o: &SiteOption, a: usize) -> f64 {
        self.inst.accelerators[a].server_capex_cny()
            + self.facility_capex_per_server(o, a)
            + self.annuity_factor * self.opex_per_server_year(o, a)
    }

    /// Energy-use quota consumed by one server per year, tce (net of green power).
    pub fn tce_per_server_year(&self, o: &SiteOption, a: usize) -> f64 {
        let green = self.inst.regions[self.region_of_site[o.site]].green_share;
        self.kwh_per_server_year(o, a) / 1000.0 * self.inst.params.tce_per_mwh * (1.0 - green)
    }

    /// Cooling water of one server per year, m³: IT energy (kWh) × the
    /// cooling's WUE (litres per kWh of IT energy) / 1000.
    pub fn water_m3_per_server_year(&self, o: &SiteOption, a: usize) -> f64 {
        let it_kwh =
            self.inst.accelerators[a].server_kw * self.inst.params.utilisation * HOURS_PER_YEAR;
        it_kwh * self.inst.cooling[o.cooling].wue_l_per_kwh / 1000.0
    }

    /// What `n` servers of accelerator `a` under option `o` use of a quota
    /// kind, in the kind's unit: facility MW (IT × PUE), tce per year net of
    /// green power, m³ of cooling water per year. With `n` = 1, a server's
    /// coefficient in the region's quota row.
    pub fn quota_use(&self, q: Quota, o: &SiteOption, a: usize, n: f64) -> f64 {
        match q {
            Quota::Power => n * self.inst.accelerators[a].server_kw * o.pue / 1000.0,
            Quota::Energy => n * self.tce_per_server_year(o, a),
            Quota::Water => n * self.water_m3_per_server_year(o, a),
        }
    }

    /// What one unit of a programme's amount is worth in net present value:
    /// the annuity factor for annual kinds (electricity), 1 for one-off kinds
    /// (capex share, per card).
    pub fn subsidy_npv_weight(&self, j: &Subsidy) -> f64 {
        if j.kind.is_annual() {
            self.annuity_factor
        } else {
            1.0
        }
    }

    /// The part of a programme's base that is not per server: a capex share
    /// for all accelerators also pays on the site's fixed cost, CNY.
    pub fn subsidy_fixed_base(&self, j: &Subsidy, site: usize) -> f64 {
        if j.kind == SubsidyKind::CapexShare
            && j.applies_to == AppliesTo::All
            && self.covers(j, site)
        {
            self.inst.sites[site].opening_cost_cny()
        } else {
            0.0
        }
    }

    /// Whether a subsidy programme covers a site.
    pub fn covers(&self, j: &Subsidy, site: usize) -> bool {
        match (&j.site_id, &j.region_id) {
            (Some(s), _) => self.inst.sites[site].id == *s,
            (None, Some(r)) => self.inst.sites[site].region_id == *r,
            (None, None) => false,
        }
    }
}

/// Stage name of the deadline checks while preparing.
const PREPARE_STAGE: &str = "preparing the model (options and city-site latencies)";

/// The options (site × cooling) that can be built, the reasons of those
/// that cannot per site, and why a site has no option at all.
#[allow(clippy::type_complexity)]
fn site_options(
    inst: &Instance,
    region_of_site: &[usize],
    deadline: Option<&Deadline>,
) -> Result<
    (
        Vec<SiteOption>,
        Vec<Vec<(usize, String)>>,
        Vec<Option<String>>,
    ),
    TimeUp,
> {
    let mut options = Vec::new();
    let mut option_reasons = vec![Vec::new(); inst.sites.len()];
    let mut site_reason = vec![None; inst.sites.len()];
    for (si, s) in inst.sites.iter().enumerate() {
        if si % 4096 == 4095 {
            check_deadline(deadline, PREPARE_STAGE)?;
        }
        if s.status == SiteStatus::Excluded {
            site_reason[si] = Some("excluded in the sites table".to_string());
            continue;
        }
        if s.max_it_mw <= 0.0 {
            site_reason[si] = Some("no IT capacity (max_it_mw is 0)".to_string());
            continue;
        }
        let region = &inst.regions[region_of_site[si]];
        let mut any = false;
        for (ki, k) in inst.cooling.iter().enumerate() {
            match site_option(inst, si, s, region, ki, k) {
                Err(r) => option_reasons[si].push((ki, r)),
                Ok(o) => {
                    any = true;
                    options.push(o);
                }
            }
        }
        if !any {
            site_reason[si] = Some(
                option_reasons[si]
                    .iter()
                    .map(|(_, r)| r.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
    }
    Ok((options, option_reasons, site_reason))
}

/// Site `s` (index `si`) with cooling `k` (index `ki`), or why it cannot be
/// built: a PUE above the region's cap, ready past the deadline, racks too
/// small for every accelerator.
fn site_option(
    inst: &Instance,
    si: usize,
    s: &Site,
    region: &Region,
    ki: usize,
    k: &Cooling,
) -> Result<SiteOption, String> {
    let p = &inst.params;
    let pue = k.pue_at(s.mean_temp_c);
    let lead = s.grid_lead_months.max(k.lead_months);
    let (accels, servers_per_rack): (Vec<usize>, Vec<u32>) = inst
        .accelerators
        .iter()
        .enumerate()
        .filter_map(|(ai, a)| Some((ai, a.servers_per_rack_within(k.max_rack_kw)?)))
        .unzip();
    if pue > region.pue_cap + 1e-9 {
        Err(format!(
            "{}: PUE {:.3} above the {} cap {}",
            k.id, pue, region.id, region.pue_cap
        ))
    } else if lead > p.deadline_months + 1e-9 {
        Err(format!(
            "{}: ready in {} months (grid {}, build {}), past the {}-month deadline",
            k.id, lead, s.grid_lead_months, k.lead_months, p.deadline_months
        ))
    } else if accels.is_empty() {
        Err(format!(
            "{}: racks up to {} kW, every accelerator needs more ({})",
            k.id,
            k.max_rack_kw,
            lowest_racks(&inst.accelerators)
        ))
    } else {
        Ok(SiteOption {
            site: si,
            cooling: ki,
            pue,
            ready_it_mw: ready_it_mw(s.max_it_mw, lead, p),
            accels,
            servers_per_rack,
        })
    }
}

/// What each city asks: its cards, or its weight's share of the inference share.
/// City-site pairs up to which share demands get link rows. The rows need
/// every pair as a column (the national set's 20,994: the baseline proven
/// within 1e-4 in about 10 s); beyond, pair pricing brings the pairs in
/// without them (the synthetic 3,000 sites × 300 cities, BENCHMARKS.md).
pub const SHARE_LINK_MAX_PAIRS: usize = 30_000;

/// The least H200-eq capacity `T` any plan places, for the link rows of
/// share demands: the LP `min Σ_a perf_a × cards_a` over the accelerator
/// targets and the dual-track row alone, which holds every plan of the full
/// model. One coupling row, so the greedy below (domestic cards added in
/// order of H200-eq per unit of the row's slack) is that LP's optimum.
///
/// A link row `serve[d,s] ≤ x_d × (T − floor × (1 − open[s]))` cuts off only
/// plans that serve a city more than its demand `x_d × T` from one site; an
/// optimum never needs that while serving costs nothing or more (serving
/// less keeps every row and costs no more). `None` when no city's demand is
/// a share, the floor is not positive, some pair's serving cost is
/// negative, or there are more than [`SHARE_LINK_MAX_PAIRS`] pairs.
fn share_floor(inst: &Instance, demand: &[DemandSize], pairs: &[Pair]) -> Option<f64> {
    if !demand
        .iter()
        .any(|d| matches!(d, DemandSize::ShareOfTotal(x) if *x > 0.0))
        || pairs.iter().any(|x| x.cost_cny_per_card < 0.0)
        || pairs.len() > SHARE_LINK_MAX_PAIRS
    {
        return None;
    }
    let p = &inst.params;
    let accs = &inst.accelerators;
    let target = |a: &Accelerator| inst.targets.get(&a.id);
    let mut cards: Vec<f64> = accs
        .iter()
        .map(|a| target(a).map_or(0.0, |t| t.min.max(0.0)))
        .collect();
    let share = p.domestic_share;
    if share > 0.0 && share < 1.0 {
        // The row counts a card as `unit` (1, or its H200-eq).
        let unit = |a: &Accelerator| match p.domestic_share_basis {
            ShareBasis::Cards => 1.0,
            ShareBasis::H200Eq => a.perf_h200_eq,
        };
        let domestic = |a: &Accelerator| a.origin == Origin::Domestic;
        let slack: f64 = accs
            .iter()
            .zip(&cards)
            .map(|(a, c)| (if domestic(a) { 1.0 } else { 0.0 } - share) * unit(a) * c)
            .sum();
        let mut deficit = (-slack).max(0.0);
        // Domestic accelerators, least H200-eq per unit of slack first.
        let mut order: Vec<usize> = (0..accs.len())
            .filter(|&a| domestic(&accs[a]) && unit(&accs[a]) > 0.0)
            .collect();
        let per_slack = |a: usize| accs[a].perf_h200_eq / (unit(&accs[a]) * (1.0 - share));
        order.sort_by(|&a, &b| per_slack(a).total_cmp(&per_slack(b)).then(a.cmp(&b)));
        for a in order {
            if deficit <= 0.0 {
                break;
            }
            let gain = unit(&accs[a]) * (1.0 - share);
            let room = target(&accs[a])
                .and_then(|t| t.max)
                .map_or(f64::INFINITY, |m| (m - cards[a]).max(0.0));
            let take = (deficit / gain).min(room);
            cards[a] += take;
            deficit -= take * gain;
        }
    }
    let floor: f64 = accs
        .iter()
        .zip(&cards)
        .map(|(a, c)| a.perf_h200_eq.max(0.0) * c)
        .sum();
    (floor > 0.0 && floor.is_finite()).then_some(floor)
}

fn demand_sizes(inst: &Instance) -> Vec<DemandSize> {
    let p = &inst.params;
    let total_weight: f64 = inst.demand.iter().map(|d| d.weight).sum();
    inst.demand
        .iter()
        .map(|d| match d.cards {
            Some(c) => DemandSize::Cards(c),
            None if total_weight > 0.0 => {
                DemandSize::ShareOfTotal(p.inference_share * d.weight / total_weight)
            }
            None => DemandSize::ShareOfTotal(0.0),
        })
        .collect()
}

/// The (city, site) pairs within the city's RTT budget, for cities that ask
/// for something and sites with an option; only the nearest
/// `max_sites_per_city` of a city when the scenario says so.
fn city_site_pairs(
    inst: &Instance,
    demand: &[DemandSize],
    site_reason: &[Option<String>],
    latency: &LatencyModel,
    deadline: Option<&Deadline>,
) -> Result<Vec<Pair>, TimeUp> {
    let p = &inst.params;
    let af = p.annuity_factor();
    let mut pairs = Vec::new();
    let keep = p.max_sites_per_city.unwrap_or(usize::MAX);
    for (di, d) in inst.demand.iter().enumerate() {
        let first = pairs.len();
        if matches!(demand[di], DemandSize::ShareOfTotal(x) if x <= 0.0)
            || matches!(demand[di], DemandSize::Cards(x) if x <= 0.0)
        {
            continue;
        }
        for (si, s) in inst.sites.iter().enumerate() {
            if si % 4096 == 4095 {
                check_deadline(deadline, PREPARE_STAGE)?;
            }
            if site_reason[si].is_some() {
                continue;
            }
            let km = geodesic_km(Point::new(d.lon, d.lat), Point::new(s.lon, s.lat));
            let rtt = latency.rtt_ms(km);
            if rtt <= d.max_rtt_ms + 1e-9 {
                pairs.push(Pair {
                    demand: di,
                    site: si,
                    km,
                    rtt_ms: rtt,
                    cost_cny_per_card: af * p.network_cny_per_card_ms_year * rtt,
                });
            }
        }
        // Only the nearest candidates serve the city, when the scenario says so.
        if pairs.len() - first > keep {
            pairs[first..].sort_by(|a: &Pair, b: &Pair| {
                a.rtt_ms.total_cmp(&b.rtt_ms).then(a.site.cmp(&b.site))
            });
            pairs.truncate(first + keep);
            pairs[first..].sort_by_key(|x| x.site);
        }
    }
    Ok(pairs)
}
