//! Typed identity of the model's rows. Every row carries a [`RowKey`] (its
//! constraint family plus the ids it is about); names for HiGHS, `--solver-log`,
//! summary.json and messages are derived from the key and never parsed back.
//! Each [`Family`] says once what its rows mean to a planner: the unit of its
//! limit, the factor from the row's own unit to that unit, whether it is a
//! planner's lever, whether it counts whole servers, and how to say it.

use crate::domain::Tier;

use super::Prepared;

/// Objective units: the model's objective is in millions of CNY, so that
/// HiGHS sees costs of order 1-1000 instead of 1e6-1e9 (its "excessively large
/// costs" warning and the optimality failures that followed it).
pub const CNY_PER_OBJECTIVE_UNIT: f64 = 1e6;

/// A constraint family of MODEL.md (plus the model's own definitions).
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
    /// 11. Subsidy received ≤ rate × base.
    SubsidyRate,
    /// 11. Subsidy received ≤ the programme's cap.
    SubsidyCap,
    /// A defining equality (total H200-eq capacity); never binding, never priced.
    Definition,
    /// Net present cost within a bound (near-optimal ranges); never in a plan's model.
    CostBound,
}

impl Family {
    /// Every family, in the order the builder defines them.
    pub const ALL: [Family; 18] = [
        Family::OneCooling,
        Family::SitePower,
        Family::SiteMinSize,
        Family::RegionPowerQuota,
        Family::RegionEnergyQuota,
        Family::AcceleratorTarget,
        Family::DualTrack,
        Family::InferenceDemand,
        Family::InferenceCapacity,
        Family::ServeLink,
        Family::MegaSize,
        Family::MegaCount,
        Family::RegionBound,
        Family::TierBound,
        Family::SubsidyRate,
        Family::SubsidyCap,
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
            Family::AcceleratorTarget => "accelerator-target",
            Family::DualTrack => "dual-track",
            Family::InferenceDemand => "inference-demand",
            Family::InferenceCapacity => "inference-capacity",
            Family::ServeLink => "serve-link",
            Family::MegaSize => "mega-size",
            Family::MegaCount => "mega-count",
            Family::RegionBound => "region-bound",
            Family::TierBound => "tier-bound",
            Family::SubsidyRate => "subsidy-rate",
            Family::SubsidyCap => "subsidy-cap",
            Family::Definition => "definition",
            Family::CostBound => "cost-bound",
        }
    }

    /// The planner's unit of the row's limit.
    pub fn unit(self) -> &'static str {
        match self {
            Family::SitePower | Family::RegionPowerQuota => "MW",
            Family::RegionEnergyQuota => "tce/year",
            Family::InferenceDemand
            | Family::InferenceCapacity
            | Family::ServeLink
            | Family::Definition => "H200-eq card",
            Family::MegaCount => "cluster",
            Family::OneCooling => "site",
            Family::SubsidyRate | Family::SubsidyCap | Family::CostBound => "CNY",
            Family::SiteMinSize
            | Family::AcceleratorTarget
            | Family::DualTrack
            | Family::MegaSize
            | Family::RegionBound
            | Family::TierBound => "card",
        }
    }

    /// Row units per planner unit: power rows are in MW already; subsidy rows
    /// are in millions of CNY (the objective's unit).
    pub fn row_units_per_unit(self) -> f64 {
        match self {
            Family::SubsidyRate | Family::SubsidyCap | Family::CostBound => {
                1.0 / CNY_PER_OBJECTIVE_UNIT
            }
            _ => 1.0,
        }
    }

    /// A lever a planner or a region can move: quotas, caps, targets, shares
    /// and site limits. The rest (city demand, site capacity links, subsidy
    /// rates, definitions) follow from the plan.
    pub fn is_lever(self) -> bool {
        matches!(
            self,
            Family::SitePower
                | Family::SiteMinSize
                | Family::RegionPowerQuota
                | Family::RegionEnergyQuota
                | Family::AcceleratorTarget
                | Family::DualTrack
                | Family::MegaSize
                | Family::MegaCount
                | Family::RegionBound
                | Family::TierBound
                | Family::SubsidyCap
        )
    }

    /// Whether the row sums whole servers, so that it binds for a plan of
    /// whole servers as soon as its slack is smaller than one more server.
    pub fn whole_servers(self) -> bool {
        matches!(
            self,
            Family::SitePower
                | Family::SiteMinSize
                | Family::RegionPowerQuota
                | Family::RegionEnergyQuota
                | Family::AcceleratorTarget
                | Family::DualTrack
                | Family::MegaSize
                | Family::RegionBound
                | Family::TierBound
                | Family::InferenceCapacity
        )
    }

    /// The family in words, plural ("power quotas").
    pub fn words(self) -> &'static str {
        match self {
            Family::OneCooling => "one-cooling-per-site rows",
            Family::SitePower => "site IT capacities",
            Family::SiteMinSize => "minimum site sizes",
            Family::RegionPowerQuota => "region power quotas",
            Family::RegionEnergyQuota => "region energy-use quotas",
            Family::AcceleratorTarget => "accelerator targets",
            Family::DualTrack => "dual-track domestic share",
            Family::InferenceDemand => "city demand rows",
            Family::InferenceCapacity => "site inference capacities",
            Family::ServeLink => "city-site links",
            Family::MegaSize => "mega-cluster sizes",
            Family::MegaCount => "mega-cluster count",
            Family::RegionBound => "region bounds",
            Family::TierBound => "tier bounds",
            Family::SubsidyRate => "subsidies paid at their full rate",
            Family::SubsidyCap => "subsidy caps",
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
    SubsidyRate {
        programme: usize,
    },
    SubsidyCap {
        programme: usize,
    },
    TotalH200Eq,
    /// Net present cost ≤ (1 + share) × optimum (near-optimal ranges only).
    CostBound,
}

fn bound_word(b: Bound) -> &'static str {
    match b {
        Bound::Exact => "",
        Bound::Min => "min-",
        Bound::Max => "max-",
    }
}

impl RowKey {
    pub fn family(self) -> Family {
        match self {
            RowKey::OneCooling { .. } => Family::OneCooling,
            RowKey::SitePower { .. } => Family::SitePower,
            RowKey::SiteMinSize { .. } => Family::SiteMinSize,
            RowKey::RegionPowerQuota { .. } => Family::RegionPowerQuota,
            RowKey::RegionEnergyQuota { .. } => Family::RegionEnergyQuota,
            RowKey::Target { .. } => Family::AcceleratorTarget,
            RowKey::DualTrack => Family::DualTrack,
            RowKey::Demand { .. } => Family::InferenceDemand,
            RowKey::InferenceCapacity { .. } => Family::InferenceCapacity,
            RowKey::ServeLink { .. } => Family::ServeLink,
            RowKey::MegaSize { .. } => Family::MegaSize,
            RowKey::MegaCount => Family::MegaCount,
            RowKey::RegionBound { .. } => Family::RegionBound,
            RowKey::TierBound { .. } => Family::TierBound,
            RowKey::SubsidyRate { .. } => Family::SubsidyRate,
            RowKey::SubsidyCap { .. } => Family::SubsidyCap,
            RowKey::TotalH200Eq => Family::Definition,
            RowKey::CostBound => Family::CostBound,
        }
    }

    /// The site the row is about, if any.
    pub fn site(self, p: &Prepared) -> Option<usize> {
        match self {
            RowKey::OneCooling { site }
            | RowKey::InferenceCapacity { site }
            | RowKey::ServeLink { site, .. }
            | RowKey::MegaSize { site } => Some(site),
            RowKey::SitePower { option } | RowKey::SiteMinSize { option } => {
                Some(p.options[option].site)
            }
            _ => None,
        }
    }

    /// The region the row is about: its own, or its site's.
    pub fn region(self, p: &Prepared) -> Option<usize> {
        match self {
            RowKey::RegionPowerQuota { region }
            | RowKey::RegionEnergyQuota { region }
            | RowKey::RegionBound { region, .. } => Some(region),
            other => other.site(p).map(|s| p.region_of_site[s]),
        }
    }

    /// The row's structured name (`region-power-quota-jjj`), for HiGHS, logs
    /// and output files. Derived from the key; never parsed back.
    pub fn name(self, p: &Prepared) -> String {
        let inst = &p.inst;
        let opt = |o: usize| {
            let x = &p.options[o];
            format!("{}-{}", inst.sites[x.site].id, inst.cooling[x.cooling].id)
        };
        match self {
            RowKey::OneCooling { site } => format!("one-cooling-{}", inst.sites[site].id),
            RowKey::SitePower { option } => format!("site-power-{}", opt(option)),
            RowKey::SiteMinSize { option } => format!("site-min-size-{}", opt(option)),
            RowKey::RegionPowerQuota { region } => {
                format!("region-power-quota-{}", inst.regions[region].id)
            }
            RowKey::RegionEnergyQuota { region } => {
                format!("region-energy-quota-{}", inst.regions[region].id)
            }
            RowKey::Target { accel, bound } => format!(
                "target-{}{}",
                bound_word(bound),
                inst.accelerators[accel].id
            ),
            RowKey::DualTrack => "dual-track-domestic-share".into(),
            RowKey::Demand { city } => format!("demand-{}", inst.demand[city].id),
            RowKey::InferenceCapacity { site } => {
                format!("site-inference-capacity-{}", inst.sites[site].id)
            }
            RowKey::ServeLink { city, site } => format!(
                "serve-link-{}-{}",
                inst.demand[city].id, inst.sites[site].id
            ),
            RowKey::MegaSize { site } => format!("mega-size-{}", inst.sites[site].id),
            RowKey::MegaCount => "mega-count".into(),
            RowKey::RegionBound { region, bound } => format!(
                "region-bound-{}{}",
                bound_word(bound),
                inst.regions[region].id
            ),
            RowKey::TierBound { tier, bound } => {
                format!("tier-bound-{}{}", bound_word(bound), tier.as_str())
            }
            RowKey::SubsidyRate { programme } => {
                format!("subsidy-rate-{}", inst.subsidies[programme].programme_id)
            }
            RowKey::SubsidyCap { programme } => {
                format!("subsidy-cap-{}", inst.subsidies[programme].programme_id)
            }
            RowKey::TotalH200Eq => "total-h200-eq".into(),
            RowKey::CostBound => "cost-bound".into(),
        }
    }

    /// What the row's limit is, in the planner's words ("the Beijing-Tianjin-Hebei
    /// power quota", "the h200 minimum").
    pub fn words(self, p: &Prepared) -> String {
        let inst = &p.inst;
        let region = |r: usize| inst.regions[r].name_en.clone();
        let site = |s: usize| inst.sites[s].name_en.clone();
        match self {
            RowKey::OneCooling { site: s } => format!("the cooling choice at {}", site(s)),
            RowKey::SitePower { option } => {
                format!("the IT capacity of {}", site(p.options[option].site))
            }
            RowKey::SiteMinSize { option } => {
                format!("the minimum site size at {}", site(p.options[option].site))
            }
            RowKey::RegionPowerQuota { region: r } => format!("the {} power quota", region(r)),
            RowKey::RegionEnergyQuota { region: r } => {
                format!("the {} energy-use quota", region(r))
            }
            RowKey::Target { accel, bound } => {
                let id = &inst.accelerators[accel].id;
                match bound {
                    Bound::Exact => format!("the {id} target"),
                    Bound::Min => format!("the {id} minimum"),
                    Bound::Max => format!("the {id} maximum"),
                }
            }
            RowKey::DualTrack => "the dual-track domestic share".into(),
            RowKey::Demand { city } => {
                format!("the inference demand of {}", inst.demand[city].name_en)
            }
            RowKey::InferenceCapacity { site: s } => {
                format!("the inference capacity of {}", site(s))
            }
            RowKey::ServeLink { city, site: s } => {
                format!("what {} can serve {}", site(s), inst.demand[city].name_en)
            }
            RowKey::MegaSize { site: s } => format!("the mega-cluster size at {}", site(s)),
            RowKey::MegaCount => "the number of mega training clusters".into(),
            RowKey::RegionBound { region: r, bound } => match bound {
                Bound::Max => format!("the {} card maximum", region(r)),
                _ => format!("the {} card minimum", region(r)),
            },
            RowKey::TierBound { tier, bound } => match bound {
                Bound::Max => format!("the {} tier card maximum", tier.as_str()),
                _ => format!("the {} tier card minimum", tier.as_str()),
            },
            RowKey::SubsidyRate { programme } => format!(
                "the rate of subsidy programme {}",
                inst.subsidies[programme].programme_id
            ),
            RowKey::SubsidyCap { programme } => format!(
                "the cap of subsidy programme {}",
                inst.subsidies[programme].programme_id
            ),
            RowKey::TotalH200Eq => "the total H200-eq capacity".into(),
            RowKey::CostBound => "the near-optimal cost bound".into(),
        }
    }
}
