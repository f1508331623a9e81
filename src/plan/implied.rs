//! What a forecast implies (`dcsite implied`): the cheapest plan that meets a
//! forecast's ranges beside the free optimum, and per range row the premium
//! per card that would make the forecast the optimum.

use super::{Plan, ShadowPrice};
use crate::domain::rows::Bound;
use crate::domain::ForecastRange;

/// One range of the forecast, held to by the implied plan.
#[derive(Debug, Clone, PartialEq)]
pub struct ImpliedRow {
    pub range: ForecastRange,
    /// Name of the group (cluster, region or tier) in English.
    pub name: String,
    /// Cards (all accelerators) of the group in the free optimum and in the implied plan.
    pub free_cards: u64,
    pub plan_cards: u64,
    /// The side of the range the implied plan sits at (a binding row), if any.
    pub binding: Option<Bound>,
    /// The shadow price of the binding row (CNY of net present cost per card
    /// the limit moves up), with its one-sided check.
    pub shadow: Option<ShadowPrice>,
}

impl ImpliedRow {
    /// The implied premium per card, CNY: what each card the range asks for
    /// beyond the free optimum costs at the margin. For a binding minimum,
    /// the cost of one more card there (what the group would have to offer per
    /// card); for a binding maximum, the saving one more card there would
    /// bring (what keeping cards out costs). 0 when the range does not bind.
    pub fn premium_cny_per_card(&self) -> f64 {
        match (&self.binding, &self.shadow) {
            (Some(Bound::Max), Some(s)) => -s.cny_per_unit,
            (Some(_), Some(s)) => s.cny_per_unit,
            _ => 0.0,
        }
    }
}

/// The answer of `dcsite implied`.
#[derive(Debug, Clone, PartialEq)]
pub struct Implied {
    /// The scenario's optimum without the ranges.
    pub free: Plan,
    /// The cheapest plan that meets every range.
    pub plan: Plan,
    pub rows: Vec<ImpliedRow>,
}

impl Implied {
    /// Net present cost of meeting the ranges, above the free optimum, CNY.
    pub fn extra_cost_cny(&self) -> f64 {
        self.plan.objective_cny - self.free.objective_cny
    }
    /// Cards placed at a site beyond what the free optimum places there,
    /// summed over sites (all accelerators): the cards the ranges move.
    pub fn cards_moved(&self) -> u64 {
        self.plan
            .sites
            .iter()
            .zip(&self.free.sites)
            .map(|(a, b)| {
                let (x, y): (u64, u64) = (a.cards.iter().sum(), b.cards.iter().sum());
                x.saturating_sub(y)
            })
            .sum()
    }
    /// Extra cost per card moved, CNY (`None` when no card moves).
    pub fn cny_per_card_moved(&self) -> Option<f64> {
        let n = self.cards_moved();
        (n > 0).then(|| self.extra_cost_cny() / n as f64)
    }
}
