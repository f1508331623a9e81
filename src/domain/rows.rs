//! The constraint families of the formulation (docs/MODELLING.md) and the
//! typed identity of a row: a row is known by its [`RowKey`] (family plus
//! the indices of what it is about), never by a name parsed back. Each
//! [`Family`] says once what its rows mean to a planner: the unit of its
//! limit, whether it is a planner's lever, whether it counts whole servers,
//! and how to say it. Names and wording of a single row need the prepared
//! model (`milp::rows`).

use super::Tier;

/// A constraint family of the formulation (docs/MODELLING.md; plus the model's own definitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// 1. At most (exactly, for required sites) one cooling per site.
    OneCooling,
    /// 2. IT power of a built option ≤ the site's IT capacity (MW).
    SitePower,
    /// 3. Cards of a built option ≥ the minimum site size.
    SiteMinSize,
    /// 4. Facility MW of a region ≤ its grid power quota.
    RegionPowerQuota,
    /// 5. Annual tce of a region ≤ its energy-use quota.
    RegionEnergyQuota,
    /// 5b. Annual cooling water of a region ≤ its water-use quota, where set.
    RegionWaterQuota,
    /// 6. Cards of an accelerator = / ≥ / ≤ its target.
    AcceleratorTarget,
    /// 7. Domestic cards ≥ share × all cards.
    DualTrack,
    /// 8. Inference served to a city ≥ its demand.
    InferenceDemand,
    /// 8. Inference served from a site ≤ its H200-eq capacity outside a mega cluster.
    InferenceCapacity,
    /// 8. Served from a site ≤ the city's demand × open (a strengthening).
    ServeLink,
    /// 9. Cards at a mega-cluster site ≥ the cluster size.
    MegaSize,
    /// 9. Number of mega clusters ≥ the count asked for.
    MegaCount,
    /// 10. Cards in a region within the scenario's bounds.
    RegionBound,
    /// 10. Cards in a tier within the scenario's bounds.
    TierBound,
    /// 10. Cards in a planning cluster within the scenario's bounds.
    ClusterBound,
    /// 11. Subsidy received ≤ rate × base.
    SubsidyRate,
    /// 11. Subsidy received ≤ the programme's cap.
    SubsidyCap,
    /// Deliveries (12): cards of an accelerator installed in a delivery
    /// period within the delivery's range (`[[deliveries]]`).
    Delivery,
    /// Deliveries (12): IT MW installed at an option by a period ≤ the IT MW it has ready then.
    PeriodReady,
    /// Deliveries (12): domestic cards installed by a period ≥ share × all installed by then.
    PeriodDualTrack,
    /// A defining equality (total H200-eq capacity); never binding, never priced.
    Definition,
    /// Net present cost within a bound (near-optimal ranges); never in a plan's model.
    CostBound,
}

/// A planner's unit of a row's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Mw,
    TcePerYear,
    M3PerYear,
    H200EqCard,
    Cluster,
    Site,
    Cny,
    Card,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Mw => "MW",
            Unit::TcePerYear => "tce/year",
            Unit::M3PerYear => "m³/year",
            Unit::H200EqCard => "H200-eq card",
            Unit::Cluster => "cluster",
            Unit::Site => "site",
            Unit::Cny => "CNY",
            Unit::Card => "card",
        }
    }

    /// Whether amounts in this unit are whole (cards, clusters, tce, m³),
    /// stated without decimals; the rest (MW, sites, CNY) to 0.01.
    pub fn whole(self) -> bool {
        match self {
            Unit::TcePerYear | Unit::M3PerYear | Unit::H200EqCard | Unit::Cluster | Unit::Card => {
                true
            }
            Unit::Mw | Unit::Site | Unit::Cny => false,
        }
    }
}

impl Family {
    /// Every family, in the order the builder defines them.
    pub const ALL: [Family; 23] = [
        Family::OneCooling,
        Family::SitePower,
        Family::SiteMinSize,
        Family::RegionPowerQuota,
        Family::RegionEnergyQuota,
        Family::RegionWaterQuota,
        Family::AcceleratorTarget,
        Family::DualTrack,
        Family::InferenceDemand,
        Family::InferenceCapacity,
        Family::ServeLink,
        Family::MegaSize,
        Family::MegaCount,
        Family::RegionBound,
        Family::TierBound,
        Family::ClusterBound,
        Family::SubsidyRate,
        Family::SubsidyCap,
        Family::Delivery,
        Family::PeriodReady,
        Family::PeriodDualTrack,
        Family::Definition,
        Family::CostBound,
    ];

    /// The family's name in outputs (`region-power-quota`).
    pub fn as_str(self) -> &'static str {
        match self {
            Family::OneCooling => "one-cooling",
            Family::SitePower => "site-power",
            Family::SiteMinSize => "site-min-size",
            Family::RegionPowerQuota => "region-power-quota",
            Family::RegionEnergyQuota => "region-energy-quota",
            Family::RegionWaterQuota => "region-water-quota",
            Family::AcceleratorTarget => "accelerator-target",
            Family::DualTrack => "dual-track",
            Family::InferenceDemand => "inference-demand",
            Family::InferenceCapacity => "inference-capacity",
            Family::ServeLink => "serve-link",
            Family::MegaSize => "mega-size",
            Family::MegaCount => "mega-count",
            Family::RegionBound => "region-bound",
            Family::TierBound => "tier-bound",
            Family::ClusterBound => "cluster-bound",
            Family::SubsidyRate => "subsidy-rate",
            Family::SubsidyCap => "subsidy-cap",
            Family::Delivery => "delivery",
            Family::PeriodReady => "period-ready",
            Family::PeriodDualTrack => "period-dual-track",
            Family::Definition => "definition",
            Family::CostBound => "cost-bound",
        }
    }

    /// The planner's unit of the row's limit.
    pub fn unit(self) -> &'static str {
        self.unit_kind().as_str()
    }

    /// The planner's unit of the row's limit, as a kind.
    pub fn unit_kind(self) -> Unit {
        match self {
            Family::SitePower | Family::RegionPowerQuota | Family::PeriodReady => Unit::Mw,
            Family::RegionEnergyQuota => Unit::TcePerYear,
            Family::RegionWaterQuota => Unit::M3PerYear,
            Family::InferenceDemand
            | Family::InferenceCapacity
            | Family::ServeLink
            | Family::Definition => Unit::H200EqCard,
            Family::MegaCount => Unit::Cluster,
            Family::OneCooling => Unit::Site,
            Family::SubsidyRate | Family::SubsidyCap | Family::CostBound => Unit::Cny,
            Family::SiteMinSize
            | Family::AcceleratorTarget
            | Family::DualTrack
            | Family::MegaSize
            | Family::RegionBound
            | Family::TierBound
            | Family::ClusterBound
            | Family::Delivery
            | Family::PeriodDualTrack => Unit::Card,
        }
    }

    /// A lever a planner or a region can move: quotas, caps, targets, shares
    /// and site limits. The rest (city demand, site capacity links, subsidy
    /// rates, definitions) follow from the plan.
    pub fn is_lever(self) -> bool {
        match self {
            Family::SitePower
            | Family::SiteMinSize
            | Family::RegionPowerQuota
            | Family::RegionEnergyQuota
            | Family::RegionWaterQuota
            | Family::AcceleratorTarget
            | Family::DualTrack
            | Family::MegaSize
            | Family::MegaCount
            | Family::RegionBound
            | Family::TierBound
            | Family::ClusterBound
            | Family::SubsidyCap
            | Family::Delivery
            | Family::PeriodReady
            | Family::PeriodDualTrack => true,
            Family::OneCooling
            | Family::InferenceDemand
            | Family::InferenceCapacity
            | Family::ServeLink
            | Family::SubsidyRate
            | Family::Definition
            | Family::CostBound => false,
        }
    }

    /// Whether the row sums whole servers, so that it binds for a plan of
    /// whole servers as soon as its slack is smaller than one more server.
    pub fn whole_servers(self) -> bool {
        match self {
            Family::SitePower
            | Family::SiteMinSize
            | Family::RegionPowerQuota
            | Family::RegionEnergyQuota
            | Family::RegionWaterQuota
            | Family::AcceleratorTarget
            | Family::DualTrack
            | Family::MegaSize
            | Family::RegionBound
            | Family::TierBound
            | Family::ClusterBound
            | Family::InferenceCapacity
            | Family::Delivery
            | Family::PeriodReady
            | Family::PeriodDualTrack => true,
            Family::OneCooling
            | Family::InferenceDemand
            | Family::ServeLink
            | Family::MegaCount
            | Family::SubsidyRate
            | Family::SubsidyCap
            | Family::Definition
            | Family::CostBound => false,
        }
    }

    /// The family in words, plural ("power quotas").
    pub fn words(self) -> &'static str {
        match self {
            Family::OneCooling => "one-cooling-per-site rows",
            Family::SitePower => "site IT capacities",
            Family::SiteMinSize => "minimum site sizes",
            Family::RegionPowerQuota => "region power quotas",
            Family::RegionEnergyQuota => "region energy-use quotas",
            Family::RegionWaterQuota => "region water-use quotas",
            Family::AcceleratorTarget => "accelerator targets",
            Family::DualTrack => "dual-track domestic share",
            Family::InferenceDemand => "city demand rows",
            Family::InferenceCapacity => "site inference capacities",
            Family::ServeLink => "city-site links",
            Family::MegaSize => "mega-cluster sizes",
            Family::MegaCount => "mega-cluster count",
            Family::RegionBound => "region bounds",
            Family::TierBound => "tier bounds",
            Family::ClusterBound => "cluster bounds",
            Family::SubsidyRate => "subsidies paid at their full rate",
            Family::SubsidyCap => "subsidy caps",
            Family::Delivery => "deliveries",
            Family::PeriodReady => "IT ready by a delivery period",
            Family::PeriodDualTrack => "dual-track share by a delivery period",
            Family::Definition => "definitions",
            Family::CostBound => "near-optimal cost bounds",
        }
    }
}

/// Which side of a two-sided requirement a row states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bound {
    /// An exact value (min = max).
    Exact,
    Min,
    Max,
}

/// The identity of one row: its family and the indices (into the prepared
/// instance) of what it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RowKey {
    OneCooling {
        site: usize,
    },
    /// `option` indexes `Prepared::options`.
    SitePower {
        option: usize,
    },
    SiteMinSize {
        option: usize,
    },
    RegionPowerQuota {
        region: usize,
    },
    RegionEnergyQuota {
        region: usize,
    },
    RegionWaterQuota {
        region: usize,
    },
    Target {
        accel: usize,
        bound: Bound,
    },
    DualTrack,
    Demand {
        city: usize,
    },
    InferenceCapacity {
        site: usize,
    },
    ServeLink {
        city: usize,
        site: usize,
    },
    MegaSize {
        site: usize,
    },
    MegaCount,
    RegionBound {
        region: usize,
        bound: Bound,
    },
    TierBound {
        tier: Tier,
        bound: Bound,
    },
    /// `cluster` indexes the instance's clusters.
    ClusterBound {
        cluster: usize,
        bound: Bound,
    },
    SubsidyRate {
        programme: usize,
    },
    SubsidyCap {
        programme: usize,
    },
    TotalH200Eq,
    /// Cards of accelerator `accel` installed in period `period` (an index
    /// into `milp::phases::Phases::periods`) within its deliveries.
    Delivery {
        accel: usize,
        period: usize,
        bound: Bound,
    },
    /// IT MW installed at option `option` by period `period` ≤ its IT ready then.
    PeriodReady {
        option: usize,
        period: usize,
    },
    /// Domestic share of the cards installed by period `period`.
    PeriodDualTrack {
        period: usize,
    },
    /// Servers of accelerator `accel` at option `option` = the sum of those
    /// installed in each period (a definition).
    PhaseTotal {
        option: usize,
        accel: usize,
    },
    /// Net present cost ≤ (1 + share) × optimum (near-optimal ranges only).
    CostBound,
}

impl RowKey {
    pub fn family(self) -> Family {
        match self {
            RowKey::OneCooling { .. } => Family::OneCooling,
            RowKey::SitePower { .. } => Family::SitePower,
            RowKey::SiteMinSize { .. } => Family::SiteMinSize,
            RowKey::RegionPowerQuota { .. } => Family::RegionPowerQuota,
            RowKey::RegionEnergyQuota { .. } => Family::RegionEnergyQuota,
            RowKey::RegionWaterQuota { .. } => Family::RegionWaterQuota,
            RowKey::Target { .. } => Family::AcceleratorTarget,
            RowKey::DualTrack => Family::DualTrack,
            RowKey::Demand { .. } => Family::InferenceDemand,
            RowKey::InferenceCapacity { .. } => Family::InferenceCapacity,
            RowKey::ServeLink { .. } => Family::ServeLink,
            RowKey::MegaSize { .. } => Family::MegaSize,
            RowKey::MegaCount => Family::MegaCount,
            RowKey::RegionBound { .. } => Family::RegionBound,
            RowKey::TierBound { .. } => Family::TierBound,
            RowKey::ClusterBound { .. } => Family::ClusterBound,
            RowKey::SubsidyRate { .. } => Family::SubsidyRate,
            RowKey::SubsidyCap { .. } => Family::SubsidyCap,
            RowKey::TotalH200Eq | RowKey::PhaseTotal { .. } => Family::Definition,
            RowKey::Delivery { .. } => Family::Delivery,
            RowKey::PeriodReady { .. } => Family::PeriodReady,
            RowKey::PeriodDualTrack { .. } => Family::PeriodDualTrack,
            RowKey::CostBound => Family::CostBound,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every per-family fact, pinned: (name, unit, lever, whole servers, words).
    #[test]
    fn the_facts_of_every_family() {
        let table: Vec<(&str, &str, bool, bool, &str)> = Family::ALL
            .iter()
            .map(|f| {
                (
                    f.as_str(),
                    f.unit(),
                    f.is_lever(),
                    f.whole_servers(),
                    f.words(),
                )
            })
            .collect();
        let expected: [(&str, &str, bool, bool, &str); 23] = [
            (
                "one-cooling",
                "site",
                false,
                false,
                "one-cooling-per-site rows",
            ),
            ("site-power", "MW", true, true, "site IT capacities"),
            ("site-min-size", "card", true, true, "minimum site sizes"),
            (
                "region-power-quota",
                "MW",
                true,
                true,
                "region power quotas",
            ),
            (
                "region-energy-quota",
                "tce/year",
                true,
                true,
                "region energy-use quotas",
            ),
            (
                "region-water-quota",
                "m³/year",
                true,
                true,
                "region water-use quotas",
            ),
            (
                "accelerator-target",
                "card",
                true,
                true,
                "accelerator targets",
            ),
            (
                "dual-track",
                "card",
                true,
                true,
                "dual-track domestic share",
            ),
            (
                "inference-demand",
                "H200-eq card",
                false,
                false,
                "city demand rows",
            ),
            (
                "inference-capacity",
                "H200-eq card",
                false,
                true,
                "site inference capacities",
            ),
            (
                "serve-link",
                "H200-eq card",
                false,
                false,
                "city-site links",
            ),
            ("mega-size", "card", true, true, "mega-cluster sizes"),
            ("mega-count", "cluster", true, false, "mega-cluster count"),
            ("region-bound", "card", true, true, "region bounds"),
            ("tier-bound", "card", true, true, "tier bounds"),
            ("cluster-bound", "card", true, true, "cluster bounds"),
            (
                "subsidy-rate",
                "CNY",
                false,
                false,
                "subsidies paid at their full rate",
            ),
            ("subsidy-cap", "CNY", true, false, "subsidy caps"),
            ("delivery", "card", true, true, "deliveries"),
            (
                "period-ready",
                "MW",
                true,
                true,
                "IT ready by a delivery period",
            ),
            (
                "period-dual-track",
                "card",
                true,
                true,
                "dual-track share by a delivery period",
            ),
            ("definition", "H200-eq card", false, false, "definitions"),
            (
                "cost-bound",
                "CNY",
                false,
                false,
                "near-optimal cost bounds",
            ),
        ];
        assert_eq!(table, expected);
    }
}
