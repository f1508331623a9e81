//! Names and planner wording of the model's rows, derived from their typed
//! identity ([`RowKey`], defined with the constraint families in
//! `domain::rows`) and the prepared instance; never parsed back.

pub use crate::domain::rows::{Bound, Family, Quota, RowKey, CNY_PER_OBJECTIVE_UNIT};

use super::prepare::Prepared;

fn bound_word(b: Bound) -> &'static str {
    match b {
        Bound::Exact => "",
        Bound::Min => "min-",
        Bound::Max => "max-",
    }
}

impl RowKey {
    /// The site the row is about, if any.
    pub fn site(self, p: &Prepared) -> Option<usize> {
        match self {
            RowKey::OneCooling { site }
            | RowKey::InferenceCapacity { site }
            | RowKey::ServeLink { site, .. }
            | RowKey::MegaSize { site } => Some(site),
            RowKey::SitePower { option }
            | RowKey::SiteMinSize { option }
            | RowKey::PeriodReady { option, .. }
            | RowKey::PhaseTotal { option, .. }
            | RowKey::PowerContract { option }
            | RowKey::HallStart { option } => Some(p.options[option].site),
            _ => None,
        }
    }

    /// The region the row is about: its own, or its site's.
    pub fn region(self, p: &Prepared) -> Option<usize> {
        match self {
            RowKey::RegionQuota { region, .. } | RowKey::RegionBound { region, .. } => Some(region),
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
            RowKey::RegionQuota { quota, region } => {
                format!("{}-{}", quota.traits().family, inst.regions[region].id)
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
            RowKey::ClusterBound { cluster, bound } => format!(
                "cluster-bound-{}{}",
                bound_word(bound),
                inst.clusters[cluster].id
            ),
            RowKey::SubsidyRate { programme } => {
                format!("subsidy-rate-{}", inst.subsidies[programme].programme_id)
            }
            RowKey::SubsidyCap { programme } => {
                format!("subsidy-cap-{}", inst.subsidies[programme].programme_id)
            }
            RowKey::TotalH200Eq => "total-h200-eq".into(),
            RowKey::CostBound => "cost-bound".into(),
            RowKey::OutcomeExcess { outcome } => format!("outcome-excess-{outcome}"),
            RowKey::Delivery {
                accel,
                period,
                bound,
            } => format!(
                "delivery-{}{}-m{}",
                bound_word(bound),
                inst.accelerators[accel].id,
                month_text(p, period)
            ),
            RowKey::PeriodReady { option, period } => {
                format!("period-ready-{}-m{}", opt(option), month_text(p, period))
            }
            RowKey::PeriodDualTrack { period } => {
                format!("period-dual-track-m{}", month_text(p, period))
            }
            RowKey::PhaseTotal { option, accel } => format!(
                "phase-total-{}-{}",
                opt(option),
                inst.accelerators[accel].id
            ),
            RowKey::PowerContract { option } => format!("power-contract-{}", opt(option)),
            RowKey::HallStart { option } => format!("hall-start-{}", opt(option)),
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
            RowKey::RegionQuota { quota, region: r } => {
                format!("the {} {}", region(r), quota.traits().words)
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
            RowKey::ClusterBound { cluster, bound } => {
                let name = &inst.clusters[cluster].name_en;
                match bound {
                    Bound::Max => format!("the {name} cluster card maximum"),
                    _ => format!("the {name} cluster card minimum"),
                }
            }
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
            RowKey::OutcomeExcess { outcome } => {
                format!("the cost of outcome {outcome} above the value at risk")
            }
            RowKey::Delivery {
                accel,
                period,
                bound,
            } => {
                let id = &inst.accelerators[accel].id;
                let m = month_text(p, period);
                match bound {
                    Bound::Exact => format!("the {id} delivery of month {m}"),
                    Bound::Min => format!("the {id} delivery minimum of month {m}"),
                    Bound::Max => format!("the {id} delivery maximum of month {m}"),
                }
            }
            RowKey::PeriodReady { option, period } => format!(
                "the IT ready at {} for the deliveries of month {}",
                site(p.options[option].site),
                month_text(p, period)
            ),
            RowKey::PeriodDualTrack { period } => format!(
                "the dual-track domestic share of the cards installed for month {}",
                month_text(p, period)
            ),
            RowKey::PhaseTotal { option, accel } => format!(
                "the servers of {} at {} over the periods",
                inst.accelerators[accel].id,
                site(p.options[option].site)
            ),
            RowKey::PowerContract { option } => format!(
                "the facility power contracted at {}",
                site(p.options[option].site)
            ),
            RowKey::HallStart { option } => format!(
                "the start month of the new hall at {}",
                site(p.options[option].site)
            ),
        }
    }
}

/// The delivery month of a period as it appears in names (`1`, `2.5`).
fn month_text(p: &Prepared, period: usize) -> String {
    let m = p.period_months().get(period).copied().unwrap_or(f64::NAN);
    crate::domain::month_text(m)
}
