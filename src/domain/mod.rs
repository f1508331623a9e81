//! Plain domain types and units. No I/O, no solver, no Polars.

pub mod rows;
pub mod text;
mod tier;

pub use rows::{PerQuota, Quota};
pub use tier::Tier;

use std::collections::BTreeMap;

/// The kind of a planning cluster in the seed's "3+3+N" picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClusterKind {
    Core,
    Regional,
    Other,
}

impl ClusterKind {
    pub const NAMES: [&'static str; 3] = ["core", "regional", "other"];
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterKind::Core => "core",
            ClusterKind::Regional => "regional",
            ClusterKind::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<ClusterKind> {
        match s {
            "core" => Some(ClusterKind::Core),
            "regional" => Some(ClusterKind::Regional),
            "other" => Some(ClusterKind::Other),
            _ => None,
        }
    }
}

/// A planning cluster: a group of quota regions that a forecast or a plan
/// speaks of as one place (京津冀蒙 = Beijing-Tianjin-Hebei with Inner
/// Mongolia). Quotas stay with the regions; a cluster only sums and bounds
/// their cards.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub id: String,
    pub name_en: String,
    pub name_zh: String,
    pub kind: ClusterKind,
    /// Member quota regions (ids of `regions`).
    pub regions: Vec<String>,
    pub source: String,
}

/// A planning region (a hub, cluster or province group).
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub id: String,
    pub name_en: String,
    pub name_zh: String,
    pub tier: Tier,
    /// The region's quotas ([`rows::Quota`]): grid power one provider may
    /// add, facility MW (IT × PUE); annual energy use, tce (equivalent
    /// value); annual cooling water of new halls, m³ (IT energy × the
    /// cooling's WUE), `None`, the default, when the region sets none
    /// (scenario key `overrides.regions.<region>.water_quota_m3`).
    pub quotas: rows::PerQuota<Option<f64>>,
    /// Highest design PUE allowed for new halls.
    pub pue_cap: f64,
    /// Share of energy from renewables, exempt from the energy-use quota, in [0, 1].
    pub green_share: f64,
}

impl Region {
    /// The region's limit of a quota kind, if it sets one.
    pub fn quota(&self, q: rows::Quota) -> Option<f64> {
        self.quotas[q]
    }

    /// The grid power quota, facility MW (regions.csv always sets it).
    pub fn power_quota_mw(&self) -> f64 {
        self.quota(rows::Quota::Power).unwrap_or(f64::INFINITY)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteStatus {
    /// May be built or not.
    Candidate,
    /// Already built: must stay open; its fixed cost is sunk (not counted).
    Existing,
    /// Must be built.
    Required,
    /// Never built; reported with its reason.
    Excluded,
}

impl SiteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SiteStatus::Candidate => "candidate",
            SiteStatus::Existing => "existing",
            SiteStatus::Required => "required",
            SiteStatus::Excluded => "excluded",
        }
    }
    pub fn parse(s: &str) -> Option<SiteStatus> {
        match s {
            "candidate" => Some(SiteStatus::Candidate),
            "existing" => Some(SiteStatus::Existing),
            "required" => Some(SiteStatus::Required),
            "excluded" => Some(SiteStatus::Excluded),
            _ => None,
        }
    }
    /// Whether the site must be opened.
    pub fn must_open(self) -> bool {
        matches!(self, SiteStatus::Existing | SiteStatus::Required)
    }
}

/// A candidate campus.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub id: String,
    pub name_en: String,
    pub name_zh: String,
    pub region_id: String,
    /// Electricity price zone (key of `electricity_prices`).
    pub province: String,
    /// WGS 84 latitude, degrees.
    pub lat: f64,
    /// WGS 84 longitude, degrees.
    pub lon: f64,
    pub mean_temp_c: f64,
    /// IT MW one provider can place here.
    pub max_it_mw: f64,
    /// One-off site cost (land, grid connection, works), CNY.
    pub fixed_cost_cny: f64,
    pub grid_lead_months: f64,
    pub status: SiteStatus,
    /// IT MW already in service at month 0 (an existing hall), usable by
    /// phased deliveries before any new hall is ready; `None`: all of
    /// `max_it_mw` for an existing site, none for the others.
    pub ready_it_mw: Option<f64>,
}

impl Site {
    /// IT MW in service at month 0 (see `ready_it_mw`).
    pub fn in_service_it_mw(&self) -> f64 {
        match (self.ready_it_mw, self.status) {
            (Some(mw), _) => mw.min(self.max_it_mw),
            (None, SiteStatus::Existing) => self.max_it_mw,
            (None, _) => 0.0,
        }
    }
    /// What opening the site costs a plan, CNY: its fixed cost, except for
    /// an existing site, whose land, grid connection and works are sunk.
    pub fn opening_cost_cny(&self) -> f64 {
        match self.status {
            SiteStatus::Existing => 0.0,
            _ => self.fixed_cost_cny,
        }
    }
}

/// Delivered electricity price of a price zone, CNY/kWh.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceZone {
    pub province: String,
    pub price_cny_per_kwh: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    Imported,
    Domestic,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Imported => "imported",
            Origin::Domestic => "domestic",
        }
    }
    pub fn parse(s: &str) -> Option<Origin> {
        match s {
            "imported" => Some(Origin::Imported),
            "domestic" => Some(Origin::Domestic),
            _ => None,
        }
    }
}

/// An accelerator type, deployed in servers of `cards_per_server` cards.
#[derive(Debug, Clone, PartialEq)]
pub struct Accelerator {
    pub id: String,
    pub name: String,
    pub origin: Origin,
    pub cards_per_server: u32,
    /// Nameplate input power of one server, kW.
    pub server_kw: f64,
    /// Rack density this accelerator is designed for (its densest rack), kW per rack.
    pub rack_kw: f64,
    /// Fewest servers per rack it may be deployed at (a lower density that a
    /// cooling with a lower rack ceiling can take); `None`: only its design
    /// density ([`Accelerator::dense_servers_per_rack`]).
    pub min_servers_per_rack: Option<u32>,
    pub price_cny_per_card: f64,
    /// Server cost beyond the cards (CPUs, memory, NICs, chassis), CNY per server.
    pub server_cost_cny: f64,
    /// Export levy or surcharge as a share of the card price.
    pub levy_share: f64,
    /// Performance relative to one H200 (H200-equivalents per card).
    pub perf_h200_eq: f64,
}

impl Accelerator {
    /// Servers in one rack at the design density: `rack_kw / server_kw`
    /// rounded (4 HGX H200 at 40.8 kW; 3 Ascend servers at 35 kW), at least 1.
    pub fn dense_servers_per_rack(&self) -> u32 {
        (self.rack_kw / self.server_kw).round().max(1.0) as u32
    }

    /// Fewest servers per rack it may be deployed at: `min_servers_per_rack`
    /// (within 1 and the design density), else the design density.
    pub fn lowest_servers_per_rack(&self) -> u32 {
        let dense = self.dense_servers_per_rack();
        self.min_servers_per_rack.unwrap_or(dense).clamp(1, dense)
    }

    /// Rack density with `n` servers per rack, kW: `rack_kw × n / dense
    /// servers per rack` (exactly `rack_kw` at the design density).
    pub fn rack_kw_at(&self, n: u32) -> f64 {
        let dense = self.dense_servers_per_rack();
        if n == dense {
            self.rack_kw
        } else {
            self.rack_kw * n as f64 / dense as f64
        }
    }

    /// The densest deployment whose racks a cooling with racks up to
    /// `max_rack_kw` can take: servers per rack, from the design density
    /// down to `min_servers_per_rack`; `None` when even the lowest is too
    /// dense. A lower density than this one only adds racks (capex) and
    /// buys nothing the model counts, so it is never worth choosing.
    pub fn servers_per_rack_within(&self, max_rack_kw: f64) -> Option<u32> {
        (self.lowest_servers_per_rack()..=self.dense_servers_per_rack())
            .rev()
            .find(|&n| self.rack_kw_at(n) <= max_rack_kw)
    }

    /// Capital cost of one server with its cards, CNY.
    pub fn server_capex_cny(&self) -> f64 {
        self.cards_per_server as f64 * self.price_cny_per_card * (1.0 + self.levy_share)
            + self.server_cost_cny
    }
}

/// A cooling technology.
#[derive(Debug, Clone, PartialEq)]
pub struct Cooling {
    pub id: String,
    pub name: String,
    pub pue_base: f64,
    pub pue_per_deg_c: f64,
    pub ref_temp_c: f64,
    pub capex_cny_per_mw_it: f64,
    pub lead_months: f64,
    pub max_rack_kw: f64,
    /// Facility cost of one more rack position (white space, cabinet, PDUs,
    /// containment, cabling), CNY: what each rack beyond those of an
    /// accelerator's design density adds to `capex_cny_per_mw_it`.
    pub capex_cny_per_rack: f64,
    pub wue_l_per_kwh: f64,
    /// Operations (staff, maintenance; not electricity), CNY per MW IT per year.
    pub opex_cny_per_mw_it_year: f64,
}

impl Cooling {
    /// Design PUE at a site with the given annual mean temperature.
    ///
    /// PUE = pue_base + pue_per_deg_c × max(0, mean_temp_c − ref_temp_c).
    pub fn pue_at(&self, mean_temp_c: f64) -> f64 {
        self.pue_base + self.pue_per_deg_c * (mean_temp_c - self.ref_temp_c).max(0.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubsidyKind {
    /// Annual discount per kWh consumed.
    ElectricityCnyPerKwh,
    /// Annual share of the electricity bill.
    ElectricityShare,
    /// One-off share of capital expenditure.
    CapexShare,
    /// One-off grant per card.
    PerCardCny,
}

impl SubsidyKind {
    pub const NAMES: [&'static str; 4] = [
        "electricity_cny_per_kwh",
        "electricity_share",
        "capex_share",
        "per_card_cny",
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SubsidyKind::ElectricityCnyPerKwh => "electricity_cny_per_kwh",
            SubsidyKind::ElectricityShare => "electricity_share",
            SubsidyKind::CapexShare => "capex_share",
            SubsidyKind::PerCardCny => "per_card_cny",
        }
    }
    pub fn parse(s: &str) -> Option<SubsidyKind> {
        match s {
            "electricity_cny_per_kwh" => Some(SubsidyKind::ElectricityCnyPerKwh),
            "electricity_share" => Some(SubsidyKind::ElectricityShare),
            "capex_share" => Some(SubsidyKind::CapexShare),
            "per_card_cny" => Some(SubsidyKind::PerCardCny),
            _ => None,
        }
    }
    /// Annual programmes are paid every year of the horizon (and discounted).
    pub fn is_annual(self) -> bool {
        matches!(
            self,
            SubsidyKind::ElectricityCnyPerKwh | SubsidyKind::ElectricityShare
        )
    }
    /// Kinds whose value is a share in [0, 1].
    pub fn is_share(self) -> bool {
        matches!(
            self,
            SubsidyKind::ElectricityShare | SubsidyKind::CapexShare
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppliesTo {
    All,
    Imported,
    Domestic,
}

impl AppliesTo {
    pub fn parse(s: &str) -> Option<AppliesTo> {
        match s {
            "all" => Some(AppliesTo::All),
            "imported" => Some(AppliesTo::Imported),
            "domestic" => Some(AppliesTo::Domestic),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AppliesTo::All => "all",
            AppliesTo::Imported => "imported",
            AppliesTo::Domestic => "domestic",
        }
    }
    pub fn covers(self, origin: Origin) -> bool {
        match self {
            AppliesTo::All => true,
            AppliesTo::Imported => origin == Origin::Imported,
            AppliesTo::Domestic => origin == Origin::Domestic,
        }
    }
}

/// One subsidy programme of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Subsidy {
    pub programme_id: String,
    /// Region the programme covers (all its sites), when `site_id` is empty.
    pub region_id: Option<String>,
    /// A single site the programme covers.
    pub site_id: Option<String>,
    pub kind: SubsidyKind,
    pub value: f64,
    /// Cap in CNY (per year for annual kinds, in total for one-off kinds).
    pub cap_cny: Option<f64>,
    pub applies_to: AppliesTo,
}

/// A city that consumes inference.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandNode {
    pub id: String,
    pub name_en: String,
    pub name_zh: String,
    pub lat: f64,
    pub lon: f64,
    /// Relative weight (GDP); demand is shared out by weight.
    pub weight: f64,
    /// Fixed demand in H200-equivalent cards; overrides the weight share when set.
    pub cards: Option<f64>,
    pub max_rtt_ms: f64,
}

/// Card target of one accelerator, in cards.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Target {
    pub min: f64,
    pub max: Option<f64>,
}

/// Bounds on the cards (all accelerators) of a region or a tier.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CardBounds {
    pub min_cards: Option<f64>,
    pub max_cards: Option<f64>,
}

/// What a forecast range is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RangeLevel {
    /// A planning cluster (index into `Instance::clusters`).
    Cluster(usize),
    /// A quota region (index into `Instance::regions`).
    Region(usize),
    Tier(Tier),
}

impl RangeLevel {
    pub fn as_str(&self) -> &'static str {
        match self {
            RangeLevel::Cluster(_) => "cluster",
            RangeLevel::Region(_) => "region",
            RangeLevel::Tier(_) => "tier",
        }
    }
    /// The id the ranges file names (cluster id, region id or tier).
    pub fn id(&self, inst: &Instance) -> String {
        match self {
            RangeLevel::Cluster(c) => inst.clusters[*c].id.clone(),
            RangeLevel::Region(r) => inst.regions[*r].id.clone(),
            RangeLevel::Tier(t) => t.as_str().to_string(),
        }
    }
}

/// One range of a forecast (`dcsite implied --ranges`): the cards it expects
/// in a cluster, region or tier.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastRange {
    pub level: RangeLevel,
    pub bounds: CardBounds,
    pub source: String,
}

impl Instance {
    /// The instance with the ranges added to its card bounds (where the
    /// scenario bounds the same group too, the tighter of the two holds).
    pub fn with_ranges(mut self, ranges: &[ForecastRange]) -> Instance {
        for r in ranges {
            let slot = match &r.level {
                RangeLevel::Cluster(c) => self
                    .cluster_bounds
                    .entry(self.clusters[*c].id.clone())
                    .or_default(),
                RangeLevel::Region(x) => self
                    .region_bounds
                    .entry(self.regions[*x].id.clone())
                    .or_default(),
                RangeLevel::Tier(t) => self.tier_bounds.entry(*t).or_default(),
            };
            let b = r.bounds;
            slot.min_cards = match (slot.min_cards, b.min_cards) {
                (Some(a), Some(c)) => Some(a.max(c)),
                (a, c) => a.or(c),
            };
            slot.max_cards = match (slot.max_cards, b.max_cards) {
                (Some(a), Some(c)) => Some(a.min(c)),
                (a, c) => a.or(c),
            };
        }
        self
    }
}

/// One delivery of cards (`[[deliveries]]` of a scenario): between
/// `min_cards` and `max_cards` cards of one accelerator arrive at `month`
/// (0-based months from the plan's start) and must be installed within the
/// scenario's `install_days`.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub month: f64,
    /// Accelerator id (a row of the accelerators table).
    pub accel: String,
    pub min_cards: f64,
    pub max_cards: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareBasis {
    Cards,
    H200Eq,
}

/// Scenario parameters (units in the names).
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub horizon_years: u32,
    pub discount_rate: f64,
    /// Average load as a share of nameplate power.
    pub utilisation: f64,
    /// Share of all H200-equivalent capacity that serves latency-bound inference.
    pub inference_share: f64,
    pub mega_cards: f64,
    pub mega_count: u32,
    /// Accelerators that count towards a mega training cluster.
    pub mega_accelerators: Vec<String>,
    pub min_site_cards: f64,
    pub domestic_share: f64,
    pub domestic_share_basis: ShareBasis,
    pub deadline_months: f64,
    pub fibre_us_per_km: f64,
    pub route_factor: f64,
    pub overhead_ms: f64,
    /// tce per MWh of electricity (0.1229: equivalent value).
    pub tce_per_mwh: f64,
    /// Network cost of serving inference, CNY per H200-eq card, per ms of RTT, per year.
    pub network_cny_per_card_ms_year: f64,
    /// Serve each city only from its nearest candidate sites (all within budget when `None`):
    /// a reduction for very large instances.
    pub max_sites_per_city: Option<usize>,
    /// A campus comes online in phases of this many IT MW, one every
    /// `campus_phase_months` after its first hall is ready; `None`: a whole
    /// site is ready at once (the default).
    pub campus_phase_mw: Option<f64>,
    pub campus_phase_months: f64,
    /// Days within which delivered cards must be installed (phased
    /// deliveries; a month of the plan counts 30 days).
    pub install_days: f64,
    /// The calendar year whose January is month 0 (shown by reports only).
    pub start_year: Option<u32>,
    /// Capacity charge of contracted grid power, CNY per kW per month (the
    /// two-part tariff's demand charge). Above 0, every option gets a
    /// contracted facility MW, a decision of its own (shared by the outcomes
    /// of a two-stage plan) that its servers' draw must stay within; 0 (the
    /// default): no contract is modelled.
    pub power_contract_cny_per_kw_month: f64,
    /// With phased deliveries, above 0: the start month of a new hall at a
    /// site with a fixed cost is a decision, one of 0, this step, twice it,
    /// … up to the last month from which the hall is ready for a delivery,
    /// and the site's fixed cost is paid at that month (discounted); 0 (the
    /// default): every hall starts at month 0 and the fixed cost is paid then.
    pub hall_start_step_months: f64,
}

/// A month of the plan as names and files show it: whole months without
/// decimals (`1`), others to three decimals (`2.5`).
pub fn month_text(m: f64) -> String {
    if (m - m.round()).abs() < 1e-9 {
        format!("{}", m.round() as i64)
    } else {
        format!("{}", (m * 1000.0).round() / 1000.0)
    }
}

/// Days in a month of the plan (install windows are stated in days).
pub const DAYS_PER_MONTH: f64 = 30.0;

impl Params {
    /// The install window in months of the plan.
    pub fn install_months(&self) -> f64 {
        self.install_days / DAYS_PER_MONTH
    }
    /// Present value at month 0 of 1 CNY spent at `month`: (1+i)^(-month/12),
    /// the discount rate of the annuity; 1 at month 0.
    pub fn discount_at_month(&self, month: f64) -> f64 {
        (1.0 + self.discount_rate).powf(-month / 12.0)
    }

    /// Net present cost of 1 MW of contracted facility power: the capacity
    /// charge over the horizon's months as an annuity from month 0, CNY.
    pub fn contract_npc_per_mw(&self) -> f64 {
        self.power_contract_cny_per_kw_month * 1000.0 * 12.0 * self.annuity_factor()
    }

    /// Annuity factor AF = Σ_{t=1..T} (1+i)^-t, in closed form:
    /// (1 − (1+i)^-T) / i, and T when i = 0 (no loop over the years).
    pub fn annuity_factor(&self) -> f64 {
        let t = f64::from(self.horizon_years);
        let i = self.discount_rate;
        if i.abs() < 1e-12 {
            t
        } else {
            (1.0 - (1.0 + i).powf(-t)) / i
        }
    }
}

/// Everything one solve needs: tables already filtered to the scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub name: String,
    pub regions: Vec<Region>,
    pub sites: Vec<Site>,
    pub prices: Vec<PriceZone>,
    pub accelerators: Vec<Accelerator>,
    pub cooling: Vec<Cooling>,
    pub subsidies: Vec<Subsidy>,
    pub demand: Vec<DemandNode>,
    pub params: Params,
    /// Card targets by accelerator id.
    pub targets: BTreeMap<String, Target>,
    pub region_bounds: BTreeMap<String, CardBounds>,
    pub tier_bounds: BTreeMap<Tier, CardBounds>,
    /// Planning clusters (empty when the scenario names no clusters table).
    pub clusters: Vec<Cluster>,
    /// Card bounds by cluster id.
    pub cluster_bounds: BTreeMap<String, CardBounds>,
    /// Phased deliveries (empty: the single-period plan).
    pub deliveries: Vec<Delivery>,
}

impl Instance {
    pub fn region(&self, id: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.id == id)
    }
    pub fn price(&self, province: &str) -> Option<&PriceZone> {
        self.prices.iter().find(|p| p.province == province)
    }
    /// The cluster of each region (index into `clusters`), in region order;
    /// `None` for a region no cluster lists.
    pub fn cluster_of_region(&self) -> Vec<Option<usize>> {
        self.regions
            .iter()
            .map(|r| self.clusters.iter().position(|c| c.regions.contains(&r.id)))
            .collect()
    }
}

/// The end of a run's `--time-limit`, which the loader and the model builder
/// check as well as the solver: the limit bounds the whole run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deadline {
    pub at: std::time::Instant,
    /// The limit as given, in seconds (for messages).
    pub limit_s: f64,
}

/// The longest time limit any flag or option takes, seconds (about 31.7
/// years): the command line refuses more, and [`instant_after`] caps there.
pub const MAX_LIMIT_SECONDS: f64 = 1e9;

/// `seconds` after `start`, never panicking: a negative or NaN `seconds` is
/// 0, and one beyond [`MAX_LIMIT_SECONDS`] (or beyond what the clock can
/// represent) is capped. A limit that far away is no limit at all.
pub fn instant_after(start: std::time::Instant, seconds: f64) -> std::time::Instant {
    let s = if seconds.is_nan() {
        0.0
    } else {
        seconds.clamp(0.0, MAX_LIMIT_SECONDS)
    };
    std::time::Duration::try_from_secs_f64(s)
        .ok()
        .and_then(|d| start.checked_add(d))
        .or_else(|| start.checked_add(std::time::Duration::from_secs(86_400)))
        .unwrap_or(start)
}

impl Deadline {
    /// `limit_s` seconds from `start` (capped: [`instant_after`]).
    pub fn from(start: std::time::Instant, limit_s: f64) -> Deadline {
        Deadline {
            at: instant_after(start, limit_s),
            limit_s,
        }
    }
    /// `Err(TimeUp)` naming `stage` once the deadline has passed.
    pub fn check(&self, stage: &'static str) -> Result<(), TimeUp> {
        if std::time::Instant::now() >= self.at {
            Err(TimeUp {
                limit_s: self.limit_s,
                stage,
            })
        } else {
            Ok(())
        }
    }
    /// Seconds left (0 when passed).
    pub fn left_s(&self) -> f64 {
        self.at
            .saturating_duration_since(std::time::Instant::now())
            .as_secs_f64()
    }
}

/// Checks an optional deadline.
pub fn check_deadline(d: Option<&Deadline>, stage: &'static str) -> Result<(), TimeUp> {
    d.map_or(Ok(()), |d| d.check(stage))
}

/// Seconds as a message shows them: as given when that is short (0.000001),
/// in exponent form otherwise (1e-300, not 300 digits).
pub struct Seconds(pub f64);

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plain = self.0.to_string();
        if plain.len() <= 24 {
            f.write_str(&plain)
        } else {
            write!(f, "{:e}", self.0)
        }
    }
}

/// The time limit passed before any plan existed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "the time limit (--time-limit {} s) passed while {stage}, before any plan existed; \
     try a longer --time-limit, or a smaller model: parameters.max_sites_per_city (e.g. 25) \
     keeps only each city's nearest sites, and fewer candidate sites or cities load and build faster",
    Seconds(*limit_s)
)]
pub struct TimeUp {
    pub limit_s: f64,
    pub stage: &'static str,
}
