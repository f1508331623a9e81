//! The siting model as a good_lp problem: one `define_*` function per family
//! of variables or constraints, called in a fixed order. Constraint names are
//! structured (`region-power-quota-<region_id>`) so that diagnostics speak the
//! planner's language. The builder does no I/O and knows no solver.

pub mod prepare;
pub mod rows;

use std::collections::HashMap;

use good_lp::{variable, Expression, ProblemVariables, Variable};

use crate::domain::*;
pub use prepare::{DemandSize, Pair, Prepared, SiteOption};
pub use rows::{Bound, Family, RowKey, CNY_PER_OBJECTIVE_UNIT};

/// Direction of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sense {
    Le,
    Ge,
    Eq,
}

/// One constraint, known by its key: `lhs sense rhs`, with every constant in `rhs`.
#[derive(Debug, Clone)]
pub struct Row {
    pub key: RowKey,
    pub lhs: Expression,
    pub sense: Sense,
    pub rhs: f64,
}

impl Row {
    pub fn family(&self) -> Family {
        self.key.family()
    }
    /// +1 when relaxing the row raises its right-hand side (≤ rows), −1 when
    /// it lowers it (≥ and = rows: a requirement asks for less).
    pub fn relax_direction(&self) -> f64 {
        match self.sense {
            Sense::Le => 1.0,
            Sense::Ge | Sense::Eq => -1.0,
        }
    }
    pub fn to_constraint(&self) -> good_lp::Constraint {
        let lhs = self.lhs.clone();
        match self.sense {
            Sense::Le => lhs.leq(self.rhs),
            Sense::Ge => lhs.geq(self.rhs),
            Sense::Eq => lhs.eq(self.rhs),
        }
    }
}

/// The variables of the model, by what they mean.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// open[o]: option o (site, cooling) is built.
    pub open: Vec<Variable>,
    /// servers[o][i]: servers of accelerator options[o].accels[i].
    pub servers: Vec<Vec<Variable>>,
    /// serve[p]: H200-eq cards of pair p.
    pub serve: Vec<Variable>,
    /// mega[s]: site s hosts a mega training cluster.
    pub mega: Vec<Option<Variable>>,
    /// subsidy[j]: amount received from programme j (per year for annual kinds).
    pub subsidy: Vec<Variable>,
}

/// A built model: variables, objective and named rows. Cloning it is cheaper
/// than building it again (near-optimal ranges solve one model many times).
#[derive(Clone)]
pub struct Model {
    pub problem_vars: ProblemVariables,
    /// Column of each variable, in creation order (HiGHS columns follow it).
    pub column: HashMap<Variable, usize>,
    pub n_columns: usize,
    pub integer: Vec<bool>,
    pub vars: Vars,
    /// Objective in millions of CNY ([`CNY_PER_OBJECTIVE_UNIT`]).
    pub objective: Expression,
    /// CNY per unit of `objective` (1 for models with an objective of their own, e.g. elastic).
    pub cny_per_objective_unit: f64,
    pub rows: Vec<Row>,
}

impl Model {
    /// Index of the row with this key.
    pub fn row_index(&self, key: RowKey) -> Option<usize> {
        self.rows.iter().position(|r| r.key == key)
    }
    /// Moves the limit of the row with this key by `amount` planner units in
    /// the direction that relaxes it (a quota up, a target down).
    pub fn relax(&mut self, key: RowKey, amount: f64) {
        if let Some(i) = self.row_index(key) {
            let r = &mut self.rows[i];
            r.rhs += r.relax_direction() * amount * r.family().row_units_per_unit();
        }
    }
}

/// Which variables are integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integrality {
    /// Every decision as MODEL.md states it: binary opens, integer servers.
    Full,
    /// Server counts continuous: a relaxation whose optimum bounds the full model from below.
    ContinuousServers,
    /// Every variable continuous (binaries in [0, 1]): the LP relaxation.
    Lp,
    /// The LP without the variable bounds that mirror a row (servers ≤ site
    /// capacity, subsidy ≤ cap): with the binaries fixed, its row duals are the
    /// shadow prices, and no bound can take a row's dual away from it.
    Pricing,
}

struct Builder<'a> {
    p: &'a Prepared,
    integrality: Integrality,
    pv: ProblemVariables,
    column: HashMap<Variable, usize>,
    integer: Vec<bool>,
    vars: Vars,
    rows: Vec<Row>,
}

impl Builder<'_> {
    fn add(&mut self, def: good_lp::variable::VariableDefinition, integer: bool) -> Variable {
        let v = self.pv.add(def);
        self.column.insert(v, self.integer.len());
        self.integer.push(integer);
        v
    }
    /// A yes/no decision: binary, or in [0, 1] for the LP.
    fn binary(&mut self) -> Variable {
        if matches!(self.integrality, Integrality::Lp | Integrality::Pricing) {
            self.add(variable().min(0).max(1), false)
        } else {
            self.add(variable().binary(), true)
        }
    }
    fn row(&mut self, key: RowKey, lhs: Expression, sense: Sense, rhs: f64) {
        self.rows.push(Row {
            key,
            lhs,
            sense,
            rhs,
        });
    }
    /// Cards of accelerators matching `pred` at option o.
    fn cards_at(&self, o: usize, pred: impl Fn(usize) -> bool) -> Expression {
        let opt = &self.p.options[o];
        let mut e = Expression::default();
        for (i, &a) in opt.accels.iter().enumerate() {
            if pred(a) {
                e.add_mul(
                    self.p.inst.accelerators[a].cards_per_server as f64,
                    self.vars.servers[o][i],
                );
            }
        }
        e
    }
    /// Σ coef(o, a) × servers over the given options only (no scan of all options).
    fn sum_servers_of(
        &self,
        options: &[usize],
        coef: impl Fn(&SiteOption, usize) -> f64,
    ) -> Expression {
        let mut e = Expression::default();
        for &o in options {
            let opt = &self.p.options[o];
            for (i, &a) in opt.accels.iter().enumerate() {
                let c = coef(opt, a);
                if c != 0.0 {
                    e.add_mul(c, self.vars.servers[o][i]);
                }
            }
        }
        e
    }
    /// Options of each site.
    fn options_by_site(&self) -> Vec<Vec<usize>> {
        let mut by = vec![Vec::new(); self.p.inst.sites.len()];
        for (o, opt) in self.p.options.iter().enumerate() {
            by[opt.site].push(o);
        }
        by
    }
    /// Σ coef(o, a) × servers over options matching `opt_pred`.
    fn sum_servers(
        &self,
        opt_pred: impl Fn(&SiteOption) -> bool,
        coef: impl Fn(&SiteOption, usize) -> f64,
    ) -> Expression {
        let mut e = Expression::default();
        for (o, opt) in self.p.options.iter().enumerate() {
            if !opt_pred(opt) {
                continue;
            }
            for (i, &a) in opt.accels.iter().enumerate() {
                let c = coef(opt, a);
                if c != 0.0 {
                    e.add_mul(c, self.vars.servers[o][i]);
                }
            }
        }
        e
    }
    fn total_h200_eq(&self) -> Expression {
        let accs = &self.p.inst.accelerators;
        self.sum_servers(
            |_| true,
            |_, a| accs[a].cards_per_server as f64 * accs[a].perf_h200_eq,
        )
    }
}

/// Builds the model of a prepared instance.
pub fn build(p: &Prepared, integrality: Integrality) -> Model {
    let mut b = Builder {
        p,
        integrality,
        pv: ProblemVariables::new(),
        column: HashMap::new(),
        integer: Vec::new(),
        vars: Vars::default(),
        rows: Vec::new(),
    };
    define_variables(&mut b);
    define_one_cooling_per_site(&mut b);
    define_site_power(&mut b);
    define_min_site_size(&mut b);
    define_region_power_quota(&mut b);
    define_region_energy_quota(&mut b);
    define_region_water_quota(&mut b);
    define_accelerator_targets(&mut b);
    define_dual_track(&mut b);
    define_inference_demand(&mut b);
    define_mega_cluster(&mut b);
    define_region_tier_bounds(&mut b);
    define_subsidies(&mut b);
    let objective = define_objective(&b);
    let n_columns = b.integer.len();
    Model {
        problem_vars: b.pv,
        column: b.column,
        n_columns,
        integer: b.integer,
        vars: b.vars,
        objective,
        cny_per_objective_unit: CNY_PER_OBJECTIVE_UNIT,
        rows: b.rows,
    }
}

fn define_variables(b: &mut Builder) {
    let p = b.p;
    for o in 0..p.options.len() {
        let open = b.binary();
        b.vars.open.push(open);
        let opt = &p.options[o];
        let servers: Vec<Variable> = opt
            .accels
            .iter()
            .map(|&a| p.max_servers(opt, a))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|ub| match b.integrality {
                Integrality::Full => b.add(variable().integer().min(0).max(ub), true),
                Integrality::ContinuousServers | Integrality::Lp => {
                    b.add(variable().min(0).max(ub), false)
                }
                Integrality::Pricing => b.add(variable().min(0), false),
            })
            .collect();
        b.vars.servers.push(servers);
    }
    for _ in 0..p.pairs.len() {
        let v = b.add(variable().min(0), false);
        b.vars.serve.push(v);
    }
    let mega_possible = p.inst.params.mega_count > 0 && p.inst.params.mega_cards > 0.0;
    for s in 0..p.inst.sites.len() {
        let hosts = mega_possible
            && p.options.iter().any(|o| {
                o.site == s
                    && o.accels.iter().any(|&a| {
                        // Only sites that can hold a whole cluster get a mega decision.
                        p.inst
                            .params
                            .mega_accelerators
                            .contains(&p.inst.accelerators[a].id)
                            && p.max_servers(o, a) * p.inst.accelerators[a].cards_per_server as f64
                                >= p.inst.params.mega_cards
                    })
            });
        let v = if hosts { Some(b.binary()) } else { None };
        b.vars.mega.push(v);
    }
    for j in &p.inst.subsidies {
        // In millions of CNY, like the objective.
        let mut def = variable().min(0);
        if let Some(cap) = j.cap_cny {
            // The cap is also a row (below) so that its shadow price is reported;
            // the pricing LP leaves the bound out so that the row keeps its dual.
            if b.integrality != Integrality::Pricing {
                def = def.max(cap.max(0.0) / CNY_PER_OBJECTIVE_UNIT);
            }
        }
        let v = b.add(def, false);
        b.vars.subsidy.push(v);
    }
}

/// 1. One cooling per site (exactly one for existing and required sites).
fn define_one_cooling_per_site(b: &mut Builder) {
    let p = b.p;
    for (s, site) in p.inst.sites.iter().enumerate() {
        let mut e = Expression::default();
        let mut any = false;
        for (o, opt) in p.options.iter().enumerate() {
            if opt.site == s {
                e.add_mul(1.0, b.vars.open[o]);
                any = true;
            }
        }
        if site.status.must_open() {
            // A required site with no option makes the model infeasible on purpose;
            // the diagnosis names it.
            b.row(RowKey::OneCooling { site: s }, e, Sense::Eq, 1.0);
        } else if any {
            b.row(RowKey::OneCooling { site: s }, e, Sense::Le, 1.0);
        }
    }
}

/// 2. Site power: IT MW of the servers ≤ ready IT MW × open (rows in MW).
///
/// The ready IT MW is the site's max_it_mw unless campuses come in phases.
fn define_site_power(b: &mut Builder) {
    let p = b.p;
    for (o, opt) in p.options.iter().enumerate() {
        let mut e = b.sum_servers_of(&[o], |_, a| p.inst.accelerators[a].server_kw / 1000.0);
        e.add_mul(-opt.ready_it_mw, b.vars.open[o]);
        b.row(RowKey::SitePower { option: o }, e, Sense::Le, 0.0);
    }
}

/// 3. Minimum site size: cards ≥ min_site_cards × open.
fn define_min_site_size(b: &mut Builder) {
    let p = b.p;
    let min = p.inst.params.min_site_cards;
    if min <= 0.0 {
        return;
    }
    for o in 0..p.options.len() {
        let mut e = b.cards_at(o, |_| true);
        e.add_mul(-min, b.vars.open[o]);
        b.row(RowKey::SiteMinSize { option: o }, e, Sense::Ge, 0.0);
    }
}

/// 4. Region grid power quota (facility MW; rows in MW).
fn define_region_power_quota(b: &mut Builder) {
    let p = b.p;
    for (r, region) in p.inst.regions.iter().enumerate() {
        if !p.options.iter().any(|o| p.region_of_site[o.site] == r) {
            continue;
        }
        let e = b.sum_servers(
            |o| p.region_of_site[o.site] == r,
            |o, a| p.inst.accelerators[a].server_kw * o.pue / 1000.0,
        );
        b.row(
            RowKey::RegionPowerQuota { region: r },
            e,
            Sense::Le,
            region.power_quota_mw,
        );
    }
}

/// 5. Region energy-use quota (tce per year, net of green power).
fn define_region_energy_quota(b: &mut Builder) {
    let p = b.p;
    for (r, region) in p.inst.regions.iter().enumerate() {
        if !p.options.iter().any(|o| p.region_of_site[o.site] == r) {
            continue;
        }
        let e = b.sum_servers(
            |o| p.region_of_site[o.site] == r,
            |o, a| p.tce_per_server_year(o, a),
        );
        b.row(
            RowKey::RegionEnergyQuota { region: r },
            e,
            Sense::Le,
            region.energy_quota_tce,
        );
    }
}

/// 5b. Region water-use quota (m³ of cooling water per year), where the
/// scenario sets one.
fn define_region_water_quota(b: &mut Builder) {
    let p = b.p;
    for (r, region) in p.inst.regions.iter().enumerate() {
        let Some(quota) = region.water_quota_m3 else {
            continue;
        };
        if !p.options.iter().any(|o| p.region_of_site[o.site] == r) {
            continue;
        }
        let e = b.sum_servers(
            |o| p.region_of_site[o.site] == r,
            |o, a| p.water_m3_per_server_year(o, a),
        );
        b.row(RowKey::RegionWaterQuota { region: r }, e, Sense::Le, quota);
    }
}

/// 6. Accelerator targets.
fn define_accelerator_targets(b: &mut Builder) {
    let p = b.p;
    for (a, acc) in p.inst.accelerators.iter().enumerate() {
        let Some(t) = p.inst.targets.get(&acc.id) else {
            continue;
        };
        let cps = acc.cards_per_server as f64;
        let e = b.sum_servers(|_| true, |_, x| if x == a { cps } else { 0.0 });
        if t.max == Some(t.min) {
            let key = RowKey::Target {
                accel: a,
                bound: Bound::Exact,
            };
            b.row(key, e, Sense::Eq, t.min);
        } else {
            if t.min > 0.0 {
                let key = RowKey::Target {
                    accel: a,
                    bound: Bound::Min,
                };
                b.row(key, e.clone(), Sense::Ge, t.min);
            }
            if let Some(max) = t.max {
                let key = RowKey::Target {
                    accel: a,
                    bound: Bound::Max,
                };
                b.row(key, e, Sense::Le, max);
            }
        }
    }
}

/// 7. Dual track: domestic ≥ share × all (in cards or H200-eq).
fn define_dual_track(b: &mut Builder) {
    let p = b.p;
    let share = p.inst.params.domestic_share;
    if share <= 0.0 {
        return;
    }
    let accs = &p.inst.accelerators;
    let unit = |a: usize| match p.inst.params.domestic_share_basis {
        ShareBasis::Cards => accs[a].cards_per_server as f64,
        ShareBasis::H200Eq => accs[a].cards_per_server as f64 * accs[a].perf_h200_eq,
    };
    // Σ domestic − share × Σ all ≥ 0
    let e = b.sum_servers(
        |_| true,
        |_, a| {
            let d = if accs[a].origin == Origin::Domestic {
                1.0
            } else {
                0.0
            };
            (d - share) * unit(a)
        },
    );
    b.row(RowKey::DualTrack, e, Sense::Ge, 0.0);
}

/// 8. Latency-bounded inference demand and site inference capacity.
fn define_inference_demand(b: &mut Builder) {
    let p = b.p;
    let by_site_options = b.options_by_site();
    // All placed capacity in H200-eq as one variable, defined once: demand rows
    // that are shares of it then have a single coefficient for it instead of
    // one per server variable.
    let total = if p
        .demand
        .iter()
        .any(|d| matches!(d, DemandSize::ShareOfTotal(x) if *x > 0.0))
    {
        let t = b.add(variable().min(0), false);
        let mut def = b.total_h200_eq();
        def.add_mul(-1.0, t);
        b.row(RowKey::TotalH200Eq, def, Sense::Eq, 0.0);
        Expression::from(t)
    } else {
        Expression::default()
    };
    let mut by_demand = vec![Vec::new(); p.inst.demand.len()];
    let mut by_site = vec![Vec::new(); p.inst.sites.len()];
    for (k, pair) in p.pairs.iter().enumerate() {
        by_demand[pair.demand].push(k);
        by_site[pair.site].push(k);
    }
    for (d, pairs_of_city) in by_demand.iter().enumerate() {
        let mut e = Expression::default();
        for &k in pairs_of_city {
            e.add_mul(1.0, b.vars.serve[k]);
        }
        let key = RowKey::Demand { city: d };
        match p.demand[d] {
            DemandSize::Cards(c) if c > 0.0 => b.row(key, e, Sense::Ge, c),
            DemandSize::ShareOfTotal(x) if x > 0.0 => {
                let mut e = e;
                e.add_mul(-x, total.clone());
                b.row(key, e, Sense::Ge, 0.0)
            }
            _ => {}
        }
    }
    let accs = &p.inst.accelerators;
    // H200-eq that a mega cluster takes out of inference: its cards at the
    // performance of the accelerators it may be made of (the least of them
    // when several are allowed: the cluster takes at least that much).
    let mega_perf = accs
        .iter()
        .filter(|a| p.inst.params.mega_accelerators.contains(&a.id))
        .map(|a| a.perf_h200_eq)
        .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x))))
        .unwrap_or(1.0);
    let mega_h200_eq = p.inst.params.mega_cards * mega_perf;
    for s in 0..p.inst.sites.len() {
        let served = &by_site[s];
        if served.is_empty() {
            continue;
        }
        let mut e = Expression::default();
        for &k in served {
            e.add_mul(1.0, b.vars.serve[k]);
        }
        // Cards of a mega training cluster do not serve inference.
        if let Some(m) = b.vars.mega[s] {
            e.add_mul(mega_h200_eq, m);
        }
        let cap = b.sum_servers_of(&by_site_options[s], |_, a| {
            accs[a].cards_per_server as f64 * accs[a].perf_h200_eq
        });
        e.add_mul(-1.0, cap);
        b.row(RowKey::InferenceCapacity { site: s }, e, Sense::Le, 0.0);
        if p.disaggregate_links {
            for &k in served {
                let DemandSize::Cards(c) = p.demand[p.pairs[k].demand] else {
                    continue;
                };
                let mut e = Expression::default();
                e.add_mul(1.0, b.vars.serve[k]);
                for (o, opt) in p.options.iter().enumerate() {
                    if opt.site == s {
                        e.add_mul(-c, b.vars.open[o]);
                    }
                }
                let key = RowKey::ServeLink {
                    city: p.pairs[k].demand,
                    site: s,
                };
                b.row(key, e, Sense::Le, 0.0);
            }
        }
    }
}

/// 9. Mega training clusters: at least mega_count sites with ≥ mega_cards cards.
fn define_mega_cluster(b: &mut Builder) {
    let p = b.p;
    let prm = &p.inst.params;
    if prm.mega_count == 0 || prm.mega_cards <= 0.0 {
        return;
    }
    let by_site_options = b.options_by_site();
    let mut count = Expression::default();
    for (s, site_options) in by_site_options.iter().enumerate() {
        let Some(m) = b.vars.mega[s] else { continue };
        count.add_mul(1.0, m);
        let accs = &p.inst.accelerators;
        let mut e = b.sum_servers_of(site_options, |_, a| {
            if prm.mega_accelerators.contains(&accs[a].id) {
                accs[a].cards_per_server as f64
            } else {
                0.0
            }
        });
        e.add_mul(-prm.mega_cards, m);
        b.row(RowKey::MegaSize { site: s }, e, Sense::Ge, 0.0);
    }
    b.row(RowKey::MegaCount, count, Sense::Ge, prm.mega_count as f64);
}

/// 10. Region and tier bounds on cards.
fn define_region_tier_bounds(b: &mut Builder) {
    let p = b.p;
    let cards = |a: usize| p.inst.accelerators[a].cards_per_server as f64;
    for (rid, bound) in &p.inst.region_bounds {
        let Some(r) = p.inst.regions.iter().position(|x| &x.id == rid) else {
            continue;
        };
        let e = b.sum_servers(|o| p.region_of_site[o.site] == r, |_, a| cards(a));
        if let Some(min) = bound.min_cards {
            let key = RowKey::RegionBound {
                region: r,
                bound: Bound::Min,
            };
            b.row(key, e.clone(), Sense::Ge, min);
        }
        if let Some(max) = bound.max_cards {
            let key = RowKey::RegionBound {
                region: r,
                bound: Bound::Max,
            };
            b.row(key, e, Sense::Le, max);
        }
    }
    for (tier, bound) in &p.inst.tier_bounds {
        let e = b.sum_servers(
            |o| p.inst.regions[p.region_of_site[o.site]].tier == *tier,
            |_, a| cards(a),
        );
        if let Some(min) = bound.min_cards {
            let key = RowKey::TierBound {
                tier: *tier,
                bound: Bound::Min,
            };
            b.row(key, e.clone(), Sense::Ge, min);
        }
        if let Some(max) = bound.max_cards {
            let key = RowKey::TierBound {
                tier: *tier,
                bound: Bound::Max,
            };
            b.row(key, e, Sense::Le, max);
        }
    }
}

/// The base a programme pays on, per server of accelerator `a` under option `o`
/// (0 when the programme does not cover it).
pub fn subsidy_base_per_server(p: &Prepared, j: &Subsidy, o: &SiteOption, a: usize) -> f64 {
    let acc = &p.inst.accelerators[a];
    if !p.covers(j, o.site) || !j.applies_to.covers(acc.origin) {
        return 0.0;
    }
    match j.kind {
        SubsidyKind::ElectricityCnyPerKwh => p.kwh_per_server_year(o, a),
        SubsidyKind::ElectricityShare => p.kwh_per_server_year(o, a) * p.price_of_site[o.site],
        SubsidyKind::CapexShare => acc.server_capex_cny() + p.facility_capex_per_server(o, a),
        SubsidyKind::PerCardCny => acc.cards_per_server as f64,
    }
}

/// 11. Subsidies: received ≤ rate × base, and ≤ cap (rows in millions of CNY).
fn define_subsidies(b: &mut Builder) {
    let p = b.p;
    let m = CNY_PER_OBJECTIVE_UNIT;
    for (jn, j) in p.inst.subsidies.iter().enumerate() {
        let mut e = b.sum_servers(
            |_| true,
            |o, a| -j.value * subsidy_base_per_server(p, j, o, a) / m,
        );
        // A capex share for all accelerators also pays on the site's fixed cost.
        for (o, opt) in p.options.iter().enumerate() {
            let fixed = p.subsidy_fixed_base(j, opt.site);
            if fixed != 0.0 {
                e.add_mul(-j.value * fixed / m, b.vars.open[o]);
            }
        }
        e.add_mul(1.0, b.vars.subsidy[jn]);
        b.row(RowKey::SubsidyRate { programme: jn }, e, Sense::Le, 0.0);
        if let Some(cap) = j.cap_cny {
            let mut e = Expression::default();
            e.add_mul(1.0, b.vars.subsidy[jn]);
            b.row(RowKey::SubsidyCap { programme: jn }, e, Sense::Le, cap / m);
        }
    }
}

/// Objective: net present cost, in millions of CNY (subsidy variables are
/// in millions already).
fn define_objective(b: &Builder) -> Expression {
    let p = b.p;
    let m = CNY_PER_OBJECTIVE_UNIT;
    let mut obj = b.sum_servers(|_| true, |o, a| p.npc_per_server(o, a) / m);
    for (o, opt) in p.options.iter().enumerate() {
        obj.add_mul(
            p.inst.sites[opt.site].opening_cost_cny() / m,
            b.vars.open[o],
        );
    }
    for (k, pair) in p.pairs.iter().enumerate() {
        if pair.cost_cny_per_card != 0.0 {
            obj.add_mul(pair.cost_cny_per_card / m, b.vars.serve[k]);
        }
    }
    for (jn, j) in p.inst.subsidies.iter().enumerate() {
        obj.add_mul(-p.subsidy_npv_weight(j), b.vars.subsidy[jn]);
    }
    obj
}
