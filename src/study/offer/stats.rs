//! The offer's per-sample rows (samples.csv), the statistics counted from
//! them, the CSV files, and the merge of shards: every statistic is a
//! function of the rows as written, so a merge gives what one process gives.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Offer, OfferError};
use crate::export::csv::csv_text;

/// One sample at one level (a row of samples.csv).
#[derive(Debug, Clone, PartialEq)]
pub struct SampleRow {
    pub level: f64,
    pub sample: usize,
    /// `optimal`, `feasible`, `infeasible`, `no_plan` or `error`.
    pub status: String,
    pub cards_won: Option<u64>,
    /// Whole CNY.
    pub subsidy_bill_cny: Option<f64>,
    /// Whole CNY.
    pub objective_cny: Option<f64>,
}

impl SampleRow {
    pub fn has_plan(&self) -> bool {
        self.cards_won.is_some()
    }
}

/// A level under the input ranges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Uncertain {
    pub n_samples: usize,
    pub n_plans: usize,
    /// Share of the samples with a plan whose cards ≥ want.
    pub p_win: f64,
    /// `None` without a sample with a plan.
    pub cards_p10: Option<f64>,
    pub cards_p50: Option<f64>,
    pub cards_p90: Option<f64>,
    pub cards_mean: f64,
    pub bill_mean_cny: f64,
    /// Mean over the samples with a plan of (provider cost + bill) at this
    /// level less the same sample's cost at level 0.
    pub resource_change_mean_cny: f64,
}

/// Quantile `q` of sorted values, linear between order statistics (numpy's default).
pub fn quantile(sorted: &[u64], q: f64) -> Option<f64> {
    Some(match sorted.len() {
        0 => return None,
        1 => sorted[0] as f64,
        n => {
            let at = (n - 1) as f64 * q;
            let i = (at.floor() as usize).min(n - 1);
            let j = (i + 1).min(n - 1);
            let (lo, hi) = (sorted[i] as f64, sorted[j] as f64);
            lo + (at - i as f64) * (hi - lo)
        }
    })
}

/// The statistics of each level (`levels` sorted, the first 0), from the rows.
pub fn uncertain(rows: &[SampleRow], levels: &[f64], want: u64) -> Vec<Option<Uncertain>> {
    let cost = |r: &SampleRow| r.objective_cny.unwrap_or(0.0) + r.subsidy_bill_cny.unwrap_or(0.0);
    let zero: std::collections::BTreeMap<usize, f64> = rows
        .iter()
        .filter(|r| r.level == levels[0] && r.has_plan())
        .map(|r| (r.sample, cost(r)))
        .collect();
    levels
        .iter()
        .map(|&l| {
            let at: Vec<&SampleRow> = rows.iter().filter(|r| r.level == l).collect();
            if at.is_empty() {
                return None;
            }
            let with: Vec<&SampleRow> = at.iter().copied().filter(|r| r.has_plan()).collect();
            let mut cards: Vec<u64> = with.iter().filter_map(|r| r.cards_won).collect();
            cards.sort_unstable();
            let n = with.len().max(1) as f64;
            let mean = |f: &dyn Fn(&SampleRow) -> f64| with.iter().map(|r| f(r)).sum::<f64>() / n;
            Some(Uncertain {
                n_samples: at.len(),
                n_plans: with.len(),
                p_win: cards.iter().filter(|&&c| c >= want).count() as f64 / n,
                cards_p10: quantile(&cards, 0.1),
                cards_p50: quantile(&cards, 0.5),
                cards_p90: quantile(&cards, 0.9),
                cards_mean: mean(&|r| r.cards_won.unwrap_or(0) as f64),
                bill_mean_cny: mean(&|r| r.subsidy_bill_cny.unwrap_or(0.0)).round(),
                resource_change_mean_cny: mean(&|r| {
                    cost(r) - zero.get(&r.sample).copied().unwrap_or(cost(r))
                })
                .round(),
            })
        })
        .collect()
}

/// The least level whose P(win) is at least `p`, among the levels evaluated.
pub fn least_level_with(offer: &Offer, p: f64) -> Option<f64> {
    offer
        .levels
        .iter()
        .find(|l| {
            l.uncertain
                .as_ref()
                .is_some_and(|u| u.n_plans > 0 && u.p_win >= p)
        })
        .map(|l| l.level)
}

fn frame(columns: Vec<Column>) -> Result<String, OfferError> {
    DataFrame::new_infer_height(columns)
        .and_then(csv_text)
        .map_err(|e| OfferError::Internal(format!("writing a CSV table: {e}")))
}

/// samples.csv: level, sample, status, cards_won, subsidy_bill_cny, objective_cny.
pub fn samples_csv(rows: &[SampleRow]) -> Result<String, OfferError> {
    frame(vec![
        Column::new(
            "level".into(),
            rows.iter().map(|r| r.level).collect::<Vec<_>>(),
        ),
        Column::new(
            "sample".into(),
            rows.iter().map(|r| r.sample as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "status".into(),
            rows.iter().map(|r| r.status.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "cards_won".into(),
            rows.iter().map(|r| r.cards_won).collect::<Vec<_>>(),
        ),
        Column::new(
            "subsidy_bill_cny".into(),
            rows.iter()
                .map(|r| r.subsidy_bill_cny.map(|x| x as i64))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "objective_cny".into(),
            rows.iter()
                .map(|r| r.objective_cny.map(|x| x as i64))
                .collect::<Vec<_>>(),
        ),
    ])
}

/// The rows of a samples.csv this module wrote (for `offer collect`).
pub fn parse_samples(text: &str, file: &str) -> Result<Vec<SampleRow>, OfferError> {
    let mut lines = text.lines();
    let header = "level,sample,status,cards_won,subsidy_bill_cny,objective_cny";
    if lines.next() != Some(header) {
        return Err(OfferError::Input(format!(
            "{file}: row 1: expected the header {header}, found another"
        )));
    }
    lines
        .enumerate()
        .map(|(i, line)| {
            let bad = |col: &str| {
                OfferError::Input(format!(
                    "{file}: row {}: column {col}: expected what dcsite offer writes, found {}",
                    i + 2,
                    crate::data::problem::shown(line)
                ))
            };
            let c: Vec<&str> = line.split(',').collect();
            if c.len() != 6 {
                return Err(bad("(count)"));
            }
            let opt_f = |s: &str, col: &str| -> Result<Option<f64>, OfferError> {
                if s.is_empty() {
                    Ok(None)
                } else {
                    s.parse::<f64>().map(Some).map_err(|_| bad(col))
                }
            };
            Ok(SampleRow {
                level: c[0].parse().map_err(|_| bad("level"))?,
                sample: c[1].parse().map_err(|_| bad("sample"))?,
                status: c[2].to_string(),
                cards_won: opt_f(c[3], "cards_won")?.map(|x| x as u64),
                subsidy_bill_cny: opt_f(c[4], "subsidy_bill_cny")?,
                objective_cny: opt_f(c[5], "objective_cny")?,
            })
        })
        .collect()
}

/// offer.csv: a row per level (see README "Offer").
pub fn offer_csv(o: &Offer) -> Result<String, OfferError> {
    let ls = &o.levels;
    let f = |g: &dyn Fn(&super::Level) -> Option<f64>| ls.iter().map(g).collect::<Vec<_>>();
    let i = |g: &dyn Fn(&super::Level) -> Option<i64>| ls.iter().map(g).collect::<Vec<_>>();
    let b = |g: &dyn Fn(&super::Level) -> Option<bool>| ls.iter().map(g).collect::<Vec<_>>();
    let near = |l: &super::Level| l.base.near_optimal.clone();
    let unc = |l: &super::Level| l.uncertain.clone();
    let money = |x: f64| Some(x.round() as i64);
    frame(vec![
        Column::new("level".into(), f(&|l| Some(l.level))),
        Column::new(
            "lever".into(),
            ls.iter().map(|_| o.lever.clone()).collect::<Vec<_>>(),
        ),
        Column::new("cards_won".into(), i(&|l| Some(l.base.cards_won as i64))),
        Column::new("wins".into(), b(&|l| Some(l.base.wins))),
        Column::new(
            "subsidy_bill_cny".into(),
            i(&|l| money(l.base.subsidy_bill_cny)),
        ),
        Column::new(
            "provider_cost_cny".into(),
            i(&|l| money(l.base.provider_cost_cny)),
        ),
        Column::new(
            "provider_change_cny".into(),
            i(&|l| money(l.base.provider_change_cny)),
        ),
        Column::new(
            "resource_cost_cny".into(),
            i(&|l| money(l.base.resource_cost_cny)),
        ),
        Column::new(
            "resource_change_cny".into(),
            i(&|l| money(l.base.resource_change_cny)),
        ),
        Column::new(
            "near_opt_cards_min".into(),
            i(&|l| near(l).map(|n| n.cards_min as i64)),
        ),
        Column::new(
            "near_opt_cards_max".into(),
            i(&|l| near(l).map(|n| n.cards_max as i64)),
        ),
        Column::new(
            "near_opt_min_proven".into(),
            b(&|l| near(l).map(|n| n.min_proven)),
        ),
        Column::new(
            "near_opt_max_proven".into(),
            b(&|l| near(l).map(|n| n.max_proven)),
        ),
        Column::new(
            "n_samples".into(),
            i(&|l| unc(l).map(|u| u.n_samples as i64)),
        ),
        Column::new("n_plans".into(), i(&|l| unc(l).map(|u| u.n_plans as i64))),
        Column::new(
            "p_win".into(),
            f(&|l| unc(l).map(|u| (u.p_win * 1e4).round() / 1e4)),
        ),
        Column::new("cards_p10".into(), f(&|l| unc(l).and_then(|u| u.cards_p10))),
        Column::new("cards_p50".into(), f(&|l| unc(l).and_then(|u| u.cards_p50))),
        Column::new("cards_p90".into(), f(&|l| unc(l).and_then(|u| u.cards_p90))),
        Column::new(
            "cards_mean".into(),
            f(&|l| unc(l).map(|u| (u.cards_mean * 10.0).round() / 10.0)),
        ),
        Column::new(
            "bill_mean_cny".into(),
            i(&|l| unc(l).and_then(|u| money(u.bill_mean_cny))),
        ),
        Column::new(
            "resource_change_mean_cny".into(),
            i(&|l| unc(l).and_then(|u| money(u.resource_change_mean_cny))),
        ),
    ])
}

/// offer_sites.csv: level × site of the place with cards, central inputs.
pub fn offer_sites_csv(o: &Offer) -> Result<String, OfferError> {
    let mut level = Vec::new();
    let mut site = Vec::new();
    let mut cards = Vec::new();
    for l in &o.levels {
        for s in &l.base.sites {
            level.push(l.level);
            site.push(s.site_id.clone());
            cards.push(s.cards);
        }
    }
    frame(vec![
        Column::new("level".into(), level),
        Column::new("site_id".into(), site),
        Column::new("cards".into(), cards),
    ])
}
