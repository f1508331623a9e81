//! The constraint families of the formulation (docs/MODELLING.md) and the
//! typed identity of a row: a row is known by its [`RowKey`] (family plus
//! the indices of what it is about), never by a name parsed back. Each
//! [`Family`] says once, in [`Family::traits`], what its rows mean to a
//! planner: the unit of its limit, whether it is a planner's lever, whether
//! it counts whole servers, how infeasibility relaxes it, and how to say it.
//! The region quotas are one family per [`Quota`] kind, whose facts are in
//! [`Quota::traits`]. Names and wording of a single row need the prepared
//! model (`milp::rows`).

use super::tier::Tier;

/// Objective units: the model's objective is in millions of CNY, so that
/// HiGHS sees costs of order 1-1000 instead of 1e6-1e9 (its "excessively large
/// costs" warning and the optimality failures that followed it).
pub const CNY_PER_OBJECTIVE_UNIT: f64 = 1e6;

/// A quota a region sets on what its new halls use, with one row per region
/// that sets it: the sum over the region's servers of what one server uses
/// ≤ the region's limit (docs/MODELLING.md 4, 5 and 5b).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Quota {
    /// 4. Facility MW (IT × PUE) ≤ the grid power quota.
    Power,
    /// 5. Annual tce, net of green power, ≤ the energy-use quota.
    Energy,
    /// 5b. Annual cooling water ≤ the water-use quota, where set.
    Water,
}

/// What one kind of quota is: its keys, words and unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuotaTraits {
    /// The limit's key: a column of regions.csv when `in_table`, and always
    /// a key of `overrides.regions.<region>`.
    pub key: &'static str,
    /// Whether regions.csv has the limit (a required column); otherwise only
    /// a scenario sets it, and a region that sets none has no such row.
    pub in_table: bool,
    /// The scenario key that multiplies every region's limit, if any.
    pub scale_key: Option<&'static str>,
    /// The family's name, and its rows' names before the region id.
    pub family: &'static str,
    /// After a region's name: "the Yangtze River Delta power quota".
    pub words: &'static str,
    /// The family in words, plural.
    pub family_words: &'static str,
    pub unit: Unit,
    /// Columns of regions.csv in the outputs (used, limit, shadow price) for
    /// a quota written after the others; `None` for those written within the
    /// table's power and energy columns.
    pub output_columns: Option<[&'static str; 3]>,
    /// Whether a diagnosis names the family among those that may conflict
    /// (see [`FamilyTraits::conflict`]).
    pub conflict: bool,
}

impl Quota {
    /// Every quota kind, in the order the builder defines their rows.
    pub const ALL: [Quota; 3] = [Quota::Power, Quota::Energy, Quota::Water];

    /// Every fact of a quota kind, in one table.
    pub fn traits(self) -> QuotaTraits {
        match self {
            Quota::Power => QuotaTraits {
                key: "power_quota_mw",
                in_table: true,
                scale_key: Some("overrides.power_quota_scale"),
                family: "region-power-quota",
                words: "power quota",
                family_words: "region power quotas",
                unit: Unit::Mw,
                output_columns: None,
                conflict: true,
            },
            Quota::Energy => QuotaTraits {
                key: "energy_quota_tce",
                in_table: true,
                scale_key: Some("overrides.energy_quota_scale"),
                family: "region-energy-quota",
                words: "energy-use quota",
                family_words: "region energy-use quotas",
                unit: Unit::TcePerYear,
                output_columns: None,
                conflict: true,
            },
            Quota::Water => QuotaTraits {
                key: "water_quota_m3",
                in_table: false,
                scale_key: None,
                family: "region-water-quota",
                words: "water-use quota",
                family_words: "region water-use quotas",
                unit: Unit::M3PerYear,
                output_columns: Some([
                    "annual_water_m3",
                    "water_quota_m3",
                    "water_quota_shadow_cny_per_m3",
                ]),
                conflict: false,
            },
        }
    }

    /// Position in [`Quota::ALL`] (and in [`Quotas`]).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One value per quota kind, indexed by [`Quota`]: a region's limits
/// (`None` where it sets none), or what a plan uses of each.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PerQuota<T>([T; Quota::ALL.len()]);

impl<T> std::ops::Index<Quota> for PerQuota<T> {
    type Output = T;
    fn index(&self, q: Quota) -> &T {
        &self.0[q.index()]
    }
}

impl<T> std::ops::IndexMut<Quota> for PerQuota<T> {
    fn index_mut(&mut self, q: Quota) -> &mut T {
        &mut self.0[q.index()]
    }
}

/// A constraint family of the formulation (docs/MODELLING.md; plus the model's own definitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// 1. At most (exactly, for required sites) one cooling per site.
    OneCooling,
    /// 2. IT power of a built option ≤ the site's IT capacity (MW).
    SitePower,
    /// 3. Cards of a built option ≥ the minimum site size.
    SiteMinSize,
    /// 4, 5, 5b. What a region's servers use ≤ its quota of that kind.
    RegionQuota(Quota),
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

/// How an infeasible scenario relaxes a family: the families of one group
/// get their slacks together, and the groups are tried in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Elastic {
    /// Each quota kind alone.
    Quota(Quota),
    Target,
    DualTrack,
    MegaCount,
    Demand,
    /// Region, tier and cluster bounds together.
    CardBounds,
    SiteCapacity,
    Delivery,
    PeriodReady,
    PeriodDualTrack,
}

/// Every per-family fact, from [`Family::traits`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FamilyTraits {
    /// The family's name in outputs (`region-power-quota`).
    pub name: &'static str,
    /// The planner's unit of the row's limit.
    pub unit: Unit,
    /// Row units per planner unit: power rows are in MW already; subsidy
    /// rows are in millions of CNY (the objective's unit).
    pub scale: f64,
    /// A lever a planner or a region can move: quotas, caps, targets, shares
    /// and site limits. The rest (city demand, site capacity links, subsidy
    /// rates, definitions) follow from the plan.
    pub lever: bool,
    /// Whether the row sums whole servers, so that it binds for a plan of
    /// whole servers as soon as its slack is smaller than one more server.
    pub whole_servers: bool,
    /// The group infeasibility relaxes it with; `None`: never relaxed.
    pub elastic: Option<Elastic>,
    /// Whether it is also relaxed in the last group, the quotas with the
    /// site capacities.
    pub elastic_last: bool,
    /// Whether a plan reports its shadow price. The mega-cluster count is
    /// not priced: with the plan's cluster decisions fixed, the LP cannot move it.
    pub priced: bool,
    /// A site's own limit (checked after quotas, caps, targets and shares).
    pub site_limit: bool,
    /// Whether a plan lists its rows when they bind (not the cooling choice,
    /// definitions and city-site links).
    pub listed_binding: bool,
    /// The family in words, plural ("region power quotas").
    pub words: &'static str,
    /// Its name in a diagnosis that finds no family infeasible alone, among
    /// the families whose conflict it names ("mega-cluster" for the
    /// mega-cluster sizes and count); `None` for the others.
    pub conflict: Option<&'static str>,
}

/// Shorthand for the table of [`Family::traits`]: name, unit, lever, whole
/// servers, elastic group, words; the rest as most families have them.
const fn facts(
    name: &'static str,
    unit: Unit,
    lever: bool,
    whole_servers: bool,
    elastic: Option<Elastic>,
    words: &'static str,
) -> FamilyTraits {
    FamilyTraits {
        name,
        unit,
        scale: 1.0,
        lever,
        whole_servers,
        elastic,
        elastic_last: false,
        priced: lever,
        site_limit: false,
        listed_binding: true,
        words,
        conflict: None,
    }
}

impl Family {
    /// Every family, in the order the builder defines them.
    pub const ALL: [Family; 23] = [
        Family::OneCooling,
        Family::SitePower,
        Family::SiteMinSize,
        Family::RegionQuota(Quota::Power),
        Family::RegionQuota(Quota::Energy),
        Family::RegionQuota(Quota::Water),
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

    /// Every fact of the family, in one table.
    pub fn traits(self) -> FamilyTraits {
        use Elastic as E;
        use Unit::*;
        let unlisted = |t: FamilyTraits| FamilyTraits {
            listed_binding: false,
            ..t
        };
        let in_cny = |t: FamilyTraits| FamilyTraits {
            scale: 1.0 / CNY_PER_OBJECTIVE_UNIT,
            ..t
        };
        let site_limit = |t: FamilyTraits| FamilyTraits {
            site_limit: true,
            ..t
        };
        let conflict = |t: FamilyTraits| FamilyTraits {
            conflict: Some(t.name),
            ..t
        };
        match self {
            Family::OneCooling => unlisted(facts(
                "one-cooling",
                Site,
                false,
                false,
                None,
                "one-cooling-per-site rows",
            )),
            Family::SitePower => FamilyTraits {
                elastic_last: true,
                ..site_limit(facts(
                    "site-power",
                    Mw,
                    true,
                    true,
                    Some(E::SiteCapacity),
                    "site IT capacities",
                ))
            },
            Family::SiteMinSize => FamilyTraits {
                priced: false,
                ..facts(
                    "site-min-size",
                    Card,
                    true,
                    true,
                    None,
                    "minimum site sizes",
                )
            },
            Family::RegionQuota(q) => {
                let t = q.traits();
                FamilyTraits {
                    elastic_last: true,
                    conflict: t.conflict.then_some(t.family),
                    ..facts(
                        t.family,
                        t.unit,
                        true,
                        true,
                        Some(E::Quota(q)),
                        t.family_words,
                    )
                }
            }
            Family::AcceleratorTarget => conflict(facts(
                "accelerator-target",
                Card,
                true,
                true,
                Some(E::Target),
                "accelerator targets",
            )),
            Family::DualTrack => conflict(facts(
                "dual-track",
                Card,
                true,
                true,
                Some(E::DualTrack),
                "dual-track domestic share",
            )),
            Family::InferenceDemand => FamilyTraits {
                priced: true,
                conflict: Some("inference-demand"),
                ..facts(
                    "inference-demand",
                    H200EqCard,
                    false,
                    false,
                    Some(E::Demand),
                    "city demand rows",
                )
            },
            Family::InferenceCapacity => facts(
                "inference-capacity",
                H200EqCard,
                false,
                true,
                None,
                "site inference capacities",
            ),
            Family::ServeLink => unlisted(facts(
                "serve-link",
                H200EqCard,
                false,
                false,
                None,
                "city-site links",
            )),
            Family::MegaSize => FamilyTraits {
                priced: false,
                conflict: Some("mega-cluster"),
                ..facts("mega-size", Card, true, true, None, "mega-cluster sizes")
            },
            Family::MegaCount => FamilyTraits {
                priced: false,
                ..facts(
                    "mega-count",
                    Cluster,
                    true,
                    false,
                    Some(E::MegaCount),
                    "mega-cluster count",
                )
            },
            Family::RegionBound => {
                let e = Some(E::CardBounds);
                conflict(facts("region-bound", Card, true, true, e, "region bounds"))
            }
            Family::TierBound => {
                let e = Some(E::CardBounds);
                conflict(facts("tier-bound", Card, true, true, e, "tier bounds"))
            }
            Family::ClusterBound => {
                let e = Some(E::CardBounds);
                conflict(facts(
                    "cluster-bound",
                    Card,
                    true,
                    true,
                    e,
                    "cluster bounds",
                ))
            }
            Family::SubsidyRate => in_cny(facts(
                "subsidy-rate",
                Cny,
                false,
                false,
                None,
                "subsidies paid at their full rate",
            )),
            Family::SubsidyCap => {
                in_cny(facts("subsidy-cap", Cny, true, false, None, "subsidy caps"))
            }
            Family::Delivery => facts(
                "delivery",
                Card,
                true,
                true,
                Some(E::Delivery),
                "deliveries",
            ),
            Family::PeriodReady => site_limit(facts(
                "period-ready",
                Mw,
                true,
                true,
                Some(E::PeriodReady),
                "IT ready by a delivery period",
            )),
            Family::PeriodDualTrack => facts(
                "period-dual-track",
                Card,
                true,
                true,
                Some(E::PeriodDualTrack),
                "dual-track share by a delivery period",
            ),
            Family::Definition => unlisted(facts(
                "definition",
                H200EqCard,
                false,
                false,
                None,
                "definitions",
            )),
            Family::CostBound => in_cny(facts(
                "cost-bound",
                Cny,
                false,
                false,
                None,
                "near-optimal cost bounds",
            )),
        }
    }

    /// The family's name in outputs (`region-power-quota`).
    pub fn as_str(self) -> &'static str {
        self.traits().name
    }

    /// The planner's unit of the row's limit.
    pub fn unit(self) -> &'static str {
        self.unit_kind().as_str()
    }

    /// The planner's unit of the row's limit, as a kind.
    pub fn unit_kind(self) -> Unit {
        self.traits().unit
    }

    /// A lever a planner or a region can move (see [`FamilyTraits::lever`]).
    pub fn is_lever(self) -> bool {
        self.traits().lever
    }

    /// Whether the row sums whole servers (see [`FamilyTraits::whole_servers`]).
    pub fn whole_servers(self) -> bool {
        self.traits().whole_servers
    }

    /// The family in words, plural ("region power quotas").
    pub fn words(self) -> &'static str {
        self.traits().words
    }

    /// Row units per planner unit (see [`FamilyTraits::scale`]).
    pub fn row_units_per_unit(self) -> f64 {
        self.traits().scale
    }

    /// The groups infeasibility relaxes together, in the order they are
    /// tried: each elastic group, then the families relaxed last together.
    pub fn elastic_groups() -> Vec<Vec<Family>> {
        let mut groups: std::collections::BTreeMap<Elastic, Vec<Family>> = Default::default();
        for f in Family::ALL {
            if let Some(e) = f.traits().elastic {
                groups.entry(e).or_default().push(f);
            }
        }
        let mut out: Vec<Vec<Family>> = groups.into_values().collect();
        out.push(
            Family::ALL
                .into_iter()
                .filter(|f| f.traits().elastic_last)
                .collect(),
        );
        out
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
    /// The quota of kind `quota` of region `region`.
    RegionQuota {
        quota: Quota,
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
    /// The cost of outcome `outcome` of a two-stage plan above the value at
    /// risk (the CVaR term of `dcsite hedge`; a definition).
    OutcomeExcess {
        outcome: usize,
    },
    /// Facility MW of option `option`'s servers ≤ the MW contracted there (a
    /// definition of the contract column: `power_contract_cny_per_kw_month`).
    PowerContract {
        option: usize,
    },
    /// Σ over option `option`'s candidate hall start months of the start
    /// column = its open column: a built option's new hall starts once (a
    /// definition: `hall_start_step_months`).
    HallStart {
        option: usize,
    },
}

impl RowKey {
    pub fn family(self) -> Family {
        match self {
            RowKey::OneCooling { .. } => Family::OneCooling,
            RowKey::SitePower { .. } => Family::SitePower,
            RowKey::SiteMinSize { .. } => Family::SiteMinSize,
            RowKey::RegionQuota { quota, .. } => Family::RegionQuota(quota),
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
            RowKey::TotalH200Eq
            | RowKey::PhaseTotal { .. }
            | RowKey::OutcomeExcess { .. }
            | RowKey::PowerContract { .. }
            | RowKey::HallStart { .. } => Family::Definition,
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

    /// The other facts, pinned as the lists they replace: the elastic groups
    /// in order, the priced families, the site limits, the families not
    /// listed when binding and those in millions of CNY.
    #[test]
    fn the_other_facts_of_every_family() {
        use Family::*;
        let (p, e, w) = (
            RegionQuota(Quota::Power),
            RegionQuota(Quota::Energy),
            RegionQuota(Quota::Water),
        );
        let groups: Vec<Vec<Family>> = vec![
            vec![p],
            vec![e],
            vec![w],
            vec![AcceleratorTarget],
            vec![DualTrack],
            vec![MegaCount],
            vec![InferenceDemand],
            vec![RegionBound, TierBound, ClusterBound],
            vec![SitePower],
            vec![Delivery],
            vec![PeriodReady],
            vec![PeriodDualTrack],
            vec![SitePower, p, e, w],
        ];
        assert_eq!(Family::elastic_groups(), groups);
        let with = |f: fn(FamilyTraits) -> bool| -> Vec<Family> {
            Family::ALL.into_iter().filter(|x| f(x.traits())).collect()
        };
        let priced = vec![
            SitePower,
            p,
            e,
            w,
            AcceleratorTarget,
            DualTrack,
            InferenceDemand,
            RegionBound,
            TierBound,
            ClusterBound,
            SubsidyCap,
            Delivery,
            PeriodReady,
            PeriodDualTrack,
        ];
        assert_eq!(with(|t| t.priced), priced);
        assert_eq!(with(|t| t.site_limit), vec![SitePower, PeriodReady]);
        assert_eq!(
            with(|t| !t.listed_binding),
            vec![OneCooling, ServeLink, Definition]
        );
        assert_eq!(
            with(|t| t.scale != 1.0),
            vec![SubsidyRate, SubsidyCap, CostBound]
        );
        let conflicts: Vec<&str> = Family::ALL
            .iter()
            .filter_map(|f| f.traits().conflict)
            .collect();
        assert_eq!(
            conflicts,
            [
                "region-power-quota",
                "region-energy-quota",
                "accelerator-target",
                "dual-track",
                "inference-demand",
                "mega-cluster",
                "region-bound",
                "tier-bound",
                "cluster-bound",
            ]
        );
    }
}
