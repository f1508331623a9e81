//! The robust statistics of a sweep, gathered as the merged rows stream by:
//! per region and tier the spread of its cards (robust.csv) and the
//! probability of reaching a `--threshold`, per site how often it is built
//! and with which cooling (robust.geojson), and how often each plan is the
//! optimal one. Counts per value ([`Hist`]) stand for the values, so memory
//! does not grow with the rows, and the mean and quantiles are those Polars
//! computes from the values themselves.

use std::collections::HashMap;

use polars::prelude::*;
use serde_json::json;

use super::arms::{ArmOf, Arms};
use crate::domain::Site;
use crate::export::geo_layers::{collection, feature, point};
use crate::study::sweep::run::round;
use crate::study::sweep::spec::Sweep;

/// `--threshold region=cards`: the probability that a region (or tier)
/// hosts at least `cards` cards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Threshold {
    pub id: String,
    pub cards: u64,
}

/// The values of an integer column in a group, as counts per value: the
/// mean and quantiles Polars would compute from the values themselves, in
/// memory that does not grow with the number of rows.
#[derive(Default, Clone)]
struct Hist {
    counts: HashMap<u64, u64>,
    n: u64,
    sum: u128,
}

impl Hist {
    fn add(&mut self, v: u64) {
        *self.counts.entry(v).or_insert(0) += 1;
        self.n += 1;
        self.sum += v as u128;
    }

    /// Takes in the values of `other`.
    fn absorb(&mut self, other: &Hist) {
        for (v, n) in &other.counts {
            *self.counts.entry(*v).or_insert(0) += n;
        }
        self.n += other.n;
        self.sum += other.sum;
    }

    /// The mean (exact: the sum of whole numbers is exact in f64 below 2^53,
    /// as Polars' Kahan sum of the same values).
    fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum as f64 / self.n as f64)
    }

    /// The share of values ≥ `c`.
    fn share_ge(&self, c: u64) -> Option<f64> {
        let k: u64 = self
            .counts
            .iter()
            .filter(|(v, _)| **v >= c)
            .map(|(_, n)| n)
            .sum();
        (self.n > 0).then(|| k as f64 / self.n as f64)
    }

    /// The values sorted, with their counts.
    fn sorted(&self) -> Vec<(u64, u64)> {
        let mut v: Vec<(u64, u64)> = self.counts.iter().map(|(k, n)| (*k, *n)).collect();
        v.sort_unstable();
        v
    }

    /// Quantile `q` with linear interpolation between order statistics, as
    /// Polars' `QuantileMethod::Linear` (numpy's default) computes it.
    fn quantile(sorted: &[(u64, u64)], n: u64, q: f64) -> Option<f64> {
        let at = |rank: u64| {
            let mut seen = 0;
            for (v, c) in sorted {
                seen += c;
                if rank < seen {
                    return *v as f64;
                }
            }
            sorted.last().map(|x| x.0 as f64).unwrap_or(f64::NAN)
        };
        match n {
            0 => None,
            1 => Some(at(0)),
            _ => {
                let float_idx = (n as f64 - 1.0) * q;
                let idx = (float_idx as u64).min(n - 1);
                let top = float_idx.ceil() as u64;
                let lower = at(idx);
                if idx == top {
                    return Some(lower);
                }
                let upper = at(idx + 1);
                Some(if lower == upper {
                    lower
                } else {
                    (float_idx - idx as f64) * (upper - lower) + lower
                })
            }
        }
    }

    /// Mean, p10, p50, p90.
    fn stats(&self) -> [Option<f64>; 4] {
        let s = self.sorted();
        [
            self.mean(),
            Hist::quantile(&s, self.n, 0.1),
            Hist::quantile(&s, self.n, 0.5),
            Hist::quantile(&s, self.n, 0.9),
        ]
    }
}

/// Groups numbered in the order they first appear (as `group_by_stable`).
#[derive(Default)]
struct Groups {
    index: HashMap<String, HashMap<String, usize>>,
    keys: Vec<(String, String)>,
}

impl Groups {
    fn of(&mut self, a: &str, b: &str) -> usize {
        if let Some(i) = self.index.get(a).and_then(|m| m.get(b)) {
            return *i;
        }
        let i = self.keys.len();
        self.index
            .entry(a.to_string())
            .or_default()
            .insert(b.to_string(), i);
        self.keys.push((a.to_string(), b.to_string()));
        i
    }
}

/// One region's or tier's figures in one arm: rows (scenarios with a plan)
/// and, per column, the counts per value.
#[derive(Default, Clone)]
struct RegionCell {
    n: u64,
    hist: Vec<Hist>,
}

/// A group's figures in one arm, which the pool sums over the arms.
trait Cell: Default + Clone {
    fn absorb(&mut self, other: &Self);
}

/// `cells[arm][g]`, or for the pool every arm's summed.
fn cell_of<C: Cell>(cells: &[Vec<C>], arm: ArmOf, g: usize) -> C {
    match arm {
        Some(a) => cells[a][g].clone(),
        None => {
            let mut c = C::default();
            for arm in cells {
                c.absorb(&arm[g]);
            }
            c
        }
    }
}

impl Cell for RegionCell {
    fn absorb(&mut self, other: &RegionCell) {
        self.n += other.n;
        self.hist.resize_with(other.hist.len(), Hist::default);
        for (h, o) in self.hist.iter_mut().zip(&other.hist) {
            h.absorb(o);
        }
    }
}

/// The robust statistics of regions.parquet, gathered as its rows stream
/// by: per arm and (level, id), in the order the groups first appear, the
/// row count and the counts per value of `cards_total` and each
/// `cards_<accelerator>`.
pub(super) struct RegionStats {
    /// `cards_total` first, then the accelerator columns.
    columns: Vec<String>,
    arms: Arms,
    groups: Groups,
    /// `cells[arm][group]`.
    cells: Vec<Vec<RegionCell>>,
}

/// A region's or tier's row of the terminal summary.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustRow {
    pub arm: ArmOf,
    pub level: String,
    pub id: String,
    /// Scenarios with a plan.
    pub n_plans: u64,
    /// Mean, p10, p50, p90 cards (0 without a plan).
    pub cards: [f64; 4],
}

/// P(cards ≥ `cards`) of a `--threshold` in one arm (or the pool).
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdShare {
    pub arm: ArmOf,
    pub id: String,
    pub cards: u64,
    /// Scenarios with a plan: what the share is of.
    pub n_plans: u64,
    pub share: Option<f64>,
}

impl RegionStats {
    /// The statistics of a regions table with the columns of `schema`: the
    /// same per accelerator (`cards_<accelerator>` columns) as for all cards.
    pub(super) fn new(schema: &DataFrame, arms: &Arms) -> RegionStats {
        let accel_columns: Vec<String> = schema
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .filter(|c| c.starts_with("cards_") && c != "cards_total")
            .collect();
        RegionStats {
            columns: std::iter::once("cards_total".to_string())
                .chain(accel_columns)
                .collect(),
            arms: arms.clone(),
            groups: Groups::default(),
            cells: vec![Vec::new(); arms.count()],
        }
    }

    pub(super) fn add(&mut self, df: &DataFrame) -> PolarsResult<()> {
        let scenario = df.column("scenario_id")?.u64()?;
        let level = df.column("level")?.str()?;
        let id = df.column("region_id")?.str()?;
        let cols = self
            .columns
            .iter()
            .map(|c| df.column(c)?.cast(&DataType::UInt64))
            .collect::<PolarsResult<Vec<_>>>()?;
        let cols = cols
            .iter()
            .map(|c| c.u64().cloned())
            .collect::<PolarsResult<Vec<_>>>()?;
        let values: Vec<Vec<Option<u64>>> = cols.iter().map(|c| c.iter().collect()).collect();
        for (r, (l, i)) in level.iter().zip(id.iter()).enumerate() {
            let g = self.groups.of(l.unwrap_or(""), i.unwrap_or(""));
            if g == self.cells[0].len() {
                for arm in &mut self.cells {
                    arm.push(RegionCell {
                        n: 0,
                        hist: (0..self.columns.len()).map(|_| Hist::default()).collect(),
                    });
                }
            }
            let a = self.arms.arm(scenario.get(r).unwrap_or(0));
            let Some(cell) = self.cells.get_mut(a).map(|c| &mut c[g]) else {
                continue;
            };
            cell.n += 1;
            for (c, v) in values.iter().enumerate() {
                if let Some(v) = v[r] {
                    cell.hist[c].add(v);
                }
            }
        }
        Ok(())
    }

    /// Group `g` in `arm` (the arms merged for the pool).
    fn cell(&self, arm: ArmOf, g: usize) -> RegionCell {
        cell_of(&self.cells, arm, g)
    }
}

impl RegionStats {
    /// robust.csv as a table (per arm, then region and tier: the arm and its
    /// grid values, plans, scenarios, the mean and p10/p50/p90 of its cards,
    /// the same per accelerator, then P(cards ≥ c) of each threshold), the
    /// rows of the terminal summary and the thresholds' shares.
    pub(super) fn robust_table(
        &self,
        thresholds: &[Threshold],
    ) -> PolarsResult<(DataFrame, Vec<RobustRow>, Vec<ThresholdShare>)> {
        let mut rows: Vec<(ArmOf, usize, RegionCell)> = Vec::new();
        for arm in self.arms.groups() {
            for g in 0..self.groups.keys.len() {
                rows.push((arm, g, self.cell(arm, g)));
            }
        }
        let key = |r: &(ArmOf, usize, RegionCell)| &self.groups.keys[r.1];
        // Per column (cards_total, then each accelerator): mean, p10, p50, p90.
        let col_stats: Vec<Vec<[Option<f64>; 4]>> = (0..self.columns.len())
            .map(|c| rows.iter().map(|r| r.2.hist[c].stats()).collect())
            .collect();
        let arm_of: Vec<ArmOf> = rows.iter().map(|r| r.0).collect();
        let mut cols = self.arms.columns(&arm_of);
        cols.push(Column::new(
            "level".into(),
            rows.iter().map(|r| key(r).0.as_str()).collect::<Vec<_>>(),
        ));
        cols.push(Column::new(
            "id".into(),
            rows.iter().map(|r| key(r).1.as_str()).collect::<Vec<_>>(),
        ));
        cols.push(Column::new(
            "n_plans".into(),
            rows.iter().map(|r| r.2.n).collect::<Vec<_>>(),
        ));
        cols.push(Column::new(
            "n_scenarios".into(),
            rows.iter()
                .map(|r| self.arms.scenarios(r.0) as u64)
                .collect::<Vec<_>>(),
        ));
        cols.extend(self.stat_columns(&col_stats));
        let summary: Vec<RobustRow> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| RobustRow {
                arm: r.0,
                level: key(r).0.clone(),
                id: key(r).1.clone(),
                n_plans: r.2.n,
                cards: col_stats[0][i].map(|x| x.unwrap_or(0.0)),
            })
            .collect();
        let shares = rows
            .iter()
            .flat_map(|r| {
                thresholds
                    .iter()
                    .filter(|t| t.id == key(r).1)
                    .map(|t| ThresholdShare {
                        arm: r.0,
                        id: t.id.clone(),
                        cards: t.cards,
                        n_plans: r.2.n,
                        share: r.2.hist[0].share_ge(t.cards).map(|x| round(x, 6)),
                    })
            })
            .collect();
        let hists: Vec<(&str, &Hist)> = rows
            .iter()
            .map(|r| (key(r).1.as_str(), &r.2.hist[0]))
            .collect();
        cols.extend(threshold_columns(&hists, thresholds));
        Ok((DataFrame::new_infer_height(cols)?, summary, shares))
    }

    /// The mean, p10, p50 and p90 columns of all cards, then of each
    /// accelerator's, rounded to 0.1 card.
    fn stat_columns(&self, col_stats: &[Vec<[Option<f64>; 4]>]) -> Vec<Column> {
        let rounded = |c: usize, k: usize| {
            col_stats[c]
                .iter()
                .map(|s| s[k].map(|v| round(v, 1)))
                .collect::<Vec<_>>()
        };
        let mut cols = Vec::new();
        for (k, name) in ["cards_mean", "cards_p10", "cards_p50", "cards_p90"]
            .iter()
            .enumerate()
        {
            cols.push(Column::new((*name).into(), rounded(0, k)));
        }
        for (c, name) in self.columns[1..].iter().enumerate() {
            for (k, s) in ["mean", "p10", "p50", "p90"].iter().enumerate() {
                cols.push(Column::new(format!("{name}_{s}").into(), rounded(c + 1, k)));
            }
        }
        cols
    }
}

/// P(cards ≥ c) per threshold level c, on the rows (id, its cards) of the
/// regions and tiers given that threshold (empty elsewhere).
fn threshold_columns(rows: &[(&str, &Hist)], thresholds: &[Threshold]) -> Vec<Column> {
    let mut cards_levels: Vec<u64> = thresholds.iter().map(|t| t.cards).collect();
    cards_levels.sort_unstable();
    cards_levels.dedup();
    let mut cols = Vec::new();
    for &c in &cards_levels {
        let values: Vec<Option<f64>> = rows
            .iter()
            .map(|(id, h)| {
                thresholds
                    .iter()
                    .any(|t| t.cards == c && t.id == *id)
                    .then(|| h.share_ge(c).map(|x| round(x, 6)))
                    .flatten()
            })
            .collect();
        cols.push(Column::new(format!("p_cards_ge_{c}").into(), values));
    }
    cols
}

/// One site's figures in one arm: rows, built rows, the counts per value of
/// its cards, and built rows per cooling (in the order they first appear).
#[derive(Default, Clone)]
struct SiteCell {
    n: u64,
    built: u64,
    cards: Hist,
    coolings: Vec<(String, u64)>,
}

impl Cell for SiteCell {
    fn absorb(&mut self, other: &SiteCell) {
        self.n += other.n;
        self.built += other.built;
        self.cards.absorb(&other.cards);
        for (k, n) in &other.coolings {
            self.add_cooling(k, *n);
        }
    }
}

impl SiteCell {
    fn add_cooling(&mut self, k: &str, n: u64) {
        match self.coolings.iter_mut().find(|(c, _)| c == k) {
            Some(e) => e.1 += n,
            None => self.coolings.push((k.to_string(), n)),
        }
    }
}

/// Per plan label: (scenarios with a plan that have it, first such id).
type PlanCounts = HashMap<String, (usize, u64)>;

/// The statistics of sites.parquet, gathered as its rows stream by (per
/// arm and site, the sites in the order they first appear), and each
/// scenario's plan.
pub(super) struct SiteStats {
    arms: Arms,
    groups: Groups,
    /// `cells[arm][site group]`.
    cells: Vec<Vec<SiteCell>>,
    /// The plan of the scenario being read: (scenario, label).
    current: Option<(u64, String)>,
    /// The next scenario id whose plan is not counted yet.
    next_id: u64,
    /// Per arm: its plans.
    plans: Vec<PlanCounts>,
}

impl SiteStats {
    pub(super) fn new(arms: &Arms) -> SiteStats {
        SiteStats {
            arms: arms.clone(),
            groups: Groups::default(),
            cells: vec![Vec::new(); arms.count()],
            current: None,
            next_id: 0,
            plans: vec![HashMap::new(); arms.count()],
        }
    }

    /// Counts the plan of scenario `id` when it has one.
    fn count(&mut self, has_plan: &[bool], id: u64, plan: &str) {
        if has_plan.get(id as usize) != Some(&true) {
            return;
        }
        let Some(plans) = self.plans.get_mut(self.arms.arm(id)) else {
            return;
        };
        match plans.get_mut(plan) {
            Some(e) => e.0 += 1,
            None => {
                plans.insert(plan.to_string(), (1, id));
            }
        }
    }

    /// Counts the scenarios before `id` not counted yet: none of their
    /// sites is built, their plan is empty.
    fn skip_to(&mut self, has_plan: &[bool], id: u64) {
        // Ids past the sweep (none, once the parts are checked) have no plan.
        for i in self.next_id..id.min(has_plan.len() as u64) {
            self.count(has_plan, i, "");
        }
        self.next_id = self.next_id.max(id);
    }

    /// Counts the plan of scenario `id`, whose rows are all read.
    fn done(&mut self, has_plan: &[bool], id: u64, plan: &str) {
        self.skip_to(has_plan, id);
        if self.next_id == id {
            self.count(has_plan, id, plan);
            self.next_id = id.saturating_add(1);
        }
    }

    /// The cell of site `s` in the arm of scenario `sc` (`None`: past the arms).
    fn cell(&mut self, s: &str, sc: u64) -> Option<&mut SiteCell> {
        let g = self.groups.of(s, "");
        if g == self.cells[0].len() {
            for arm in &mut self.cells {
                arm.push(SiteCell::default());
            }
        }
        let a = self.arms.arm(sc);
        self.cells.get_mut(a).map(|c| &mut c[g])
    }

    pub(super) fn add(&mut self, df: &DataFrame, has_plan: &[bool]) -> PolarsResult<()> {
        let scenario = df.column("scenario_id")?.u64()?;
        let site = df.column("site_id")?.str()?;
        let built = df.column("built")?.bool()?;
        let cooling = df.column("cooling")?.str()?;
        let mega = df.column("mega_cluster")?.bool()?;
        let cards = df.column("cards_total")?.cast(&DataType::UInt64)?;
        let cards = cards.u64()?;
        for r in 0..df.height() {
            let (s, k) = (site.get(r), cooling.get(r));
            let is_built = built.get(r) == Some(true);
            if let Some(cell) = self.cell(s.unwrap_or(""), scenario.get(r).unwrap_or(0)) {
                cell.n += 1;
                if let Some(c) = cards.get(r) {
                    cell.cards.add(c);
                }
                if is_built {
                    cell.built += 1;
                    if let (Some(_), Some(k)) = (s, k) {
                        cell.add_cooling(k, 1);
                    }
                }
            }
            let Some(sc) = scenario.get(r) else { continue };
            if let Some((id, plan)) = self.current.take_if(|c| c.0 != sc) {
                self.done(has_plan, id, &plan);
            }
            let plan = &mut self.current.get_or_insert_with(|| (sc, String::new())).1;
            let (true, Some(s), Some(k)) = (is_built, s, k) else {
                continue;
            };
            if !plan.is_empty() {
                plan.push(';');
            }
            plan.push_str(s);
            plan.push(':');
            plan.push_str(k);
            if mega.get(r) == Some(true) {
                plan.push_str("+mega");
            }
        }
        Ok(())
    }

    /// Counts the plans of the last scenario read and of those after it.
    pub(super) fn finish(&mut self, has_plan: &[bool]) {
        if let Some((id, plan)) = self.current.take() {
            self.done(has_plan, id, &plan);
        }
        self.skip_to(has_plan, has_plan.len() as u64);
    }
}

impl SiteStats {
    /// Site group `g` in `arm` (the arms merged for the pool).
    fn site_cell(&self, arm: ArmOf, g: usize) -> SiteCell {
        cell_of(&self.cells, arm, g)
    }

    /// robust.geojson: a feature per arm (then the pool, when asked) and
    /// site of the base scenario: the arm and its grid values, how often it
    /// is built, its cards' mean, p10 and p90, and its most frequent cooling.
    pub(super) fn robust_geojson(&self, sweep: &Sweep) -> String {
        let cooling_order: Vec<&str> = sweep
            .base_instance
            .cooling
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        let mut features = Vec::new();
        for arm in self.arms.groups() {
            for (g, (id, _)) in self.groups.keys.iter().enumerate() {
                let Some(site) = sweep.base_instance.sites.iter().find(|s| s.id == *id) else {
                    continue;
                };
                let cell = self.site_cell(arm, g);
                let mut props = site_properties(&cell, site, &cooling_order);
                self.arms.properties(arm, &mut props);
                features.push(feature(point(site.lon, site.lat), props));
            }
        }
        collection(features, "robust")
    }

    /// The plans of `arm` (every arm's, merged, for the pool).
    fn plans_of(&self, arm: ArmOf) -> PlanCounts {
        match arm {
            Some(a) => self.plans[a].clone(),
            None => {
                let mut all = PlanCounts::new();
                for plans in &self.plans {
                    for (p, (n, f)) in plans {
                        let e = all.entry(p.clone()).or_insert((0, *f));
                        e.0 += n;
                        e.1 = e.1.min(*f);
                    }
                }
                all
            }
        }
    }

    /// The number of distinct plans found in `arm`, and the `k` most
    /// frequent among its scenarios with a plan with how often each is
    /// optimal (ties: the plan found first).
    pub(super) fn most_frequent(&self, arm: ArmOf, k: usize) -> (usize, Vec<(String, usize)>) {
        let plans = self.plans_of(arm);
        let mut ranked: Vec<(&str, usize, u64)> = plans
            .iter()
            .map(|(p, (n, f))| (p.as_str(), *n, *f))
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
        ranked.truncate(k);
        let top = ranked.iter().map(|(p, n, _)| (p.to_string(), *n)).collect();
        (plans.len(), top)
    }

    /// The number of distinct plans found in the whole sweep.
    pub(super) fn plans_found(&self) -> usize {
        let mut all: Vec<&String> = self.plans.iter().flat_map(|p| p.keys()).collect();
        all.sort_unstable();
        all.dedup();
        all.len()
    }
}

/// The properties of a site (the base's `site`) from its cell: its statistics.
fn site_properties(
    cell: &SiteCell,
    site: &Site,
    cooling_order: &[&str],
) -> serde_json::Map<String, serde_json::Value> {
    let rank = |c: &str| {
        cooling_order
            .iter()
            .position(|x| *x == c)
            .unwrap_or(usize::MAX)
    };
    let site_n = cell.n as f64;
    let p_built = (cell.n > 0).then(|| cell.built as f64 / site_n);
    let built_n = (p_built.unwrap_or(0.0) * site_n).round();
    // The most frequent cooling where built (ties: the earlier in cooling.csv).
    let mut mode: Option<(&str, u64)> = None;
    for (k, n) in &cell.coolings {
        let e = mode.get_or_insert((k.as_str(), 0));
        if *n > e.1 || (*n == e.1 && rank(k) < rank(e.0)) {
            *e = (k.as_str(), *n);
        }
    }
    let (cooling, cooling_n) = match mode {
        Some((k, n)) => (json!(k), json!(round(n as f64 / built_n.max(1.0), 6))),
        None => (serde_json::Value::Null, serde_json::Value::Null),
    };
    let num = |x: Option<f64>, d: i32| {
        x.map(|v| json!(round(v, d)))
            .unwrap_or(serde_json::Value::Null)
    };
    let st = cell.cards.stats();
    let mut props = serde_json::Map::new();
    props.insert("site_id".into(), json!(site.id));
    props.insert("name_en".into(), json!(site.name_en));
    props.insert("name_zh".into(), json!(site.name_zh));
    props.insert("region_id".into(), json!(site.region_id));
    props.insert("n_plans".into(), json!(cell.n));
    props.insert("p_built".into(), num(p_built, 6));
    props.insert("cards_mean".into(), num(st[0], 1));
    props.insert("cards_p10".into(), num(st[1], 1));
    props.insert("cards_p90".into(), num(st[3], 1));
    props.insert("cooling_mode".into(), cooling);
    props.insert("p_cooling_mode".into(), cooling_n);
    props
}

#[cfg(test)]
mod tests {
    use super::super::parts::f64s;
    use super::*;

    #[test]
    fn histogram_stats_are_polars_mean_and_linear_quantiles() {
        // Values with repeats and spread, several group sizes.
        let mut x: u64 = 12345;
        for n in [1usize, 2, 3, 7, 10, 11, 64, 257, 1000] {
            let mut h = Hist::default();
            let mut v = Vec::new();
            for _ in 0..n {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let val = (x >> 33) % 50 * 1000 + (x >> 20) % 3;
                h.add(val);
                v.push(val);
            }
            let df = df!("v" => &v).unwrap();
            let c = || col("v").cast(DataType::Float64);
            let want = df
                .lazy()
                .select([
                    c().mean().alias("mean"),
                    c().quantile(lit(0.1), QuantileMethod::Linear).alias("p10"),
                    c().quantile(lit(0.5), QuantileMethod::Linear).alias("p50"),
                    c().quantile(lit(0.9), QuantileMethod::Linear).alias("p90"),
                    c().gt_eq(lit(25_000u64))
                        .cast(DataType::Float64)
                        .mean()
                        .alias("ge"),
                ])
                .collect()
                .unwrap();
            let got = h.stats();
            for (k, name) in ["mean", "p10", "p50", "p90"].iter().enumerate() {
                let w = f64s(&want, name).unwrap()[0];
                assert_eq!(
                    got[k].map(f64::to_bits),
                    w.map(f64::to_bits),
                    "{name} of {n}"
                );
            }
            assert_eq!(h.share_ge(25_000), f64s(&want, "ge").unwrap()[0], "{n}");
        }
    }
}
