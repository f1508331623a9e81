//! The siting model as a good_lp problem: one `define_*` function per family
//! of variables or constraints, called in a fixed order. Constraint names are
//! structured (`region-power-quota-<region_id>`) so that diagnostics speak the
//! planner's language. The builder does no I/O and knows no solver.

pub mod prepare;

use std::collections::HashMap;

use good_lp::{variable, Expression, ProblemVariables, Variable};

use crate::domain::*;
pub use prepare::{DemandSize, Pair, Prepared, SiteOption};

/// Direction of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sense {
    Le,
    Ge,
    Eq,
}

/// One named constraint: `lhs sense rhs`, with every constant in `rhs`.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub family: &'static str,
    pub lhs: Expression,
    pub sense: Sense,
    pub rhs: f64,
}

impl Row {
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

/// A built model: variables, objective and named rows.
pub struct Model {
    pub problem_vars: ProblemVariables,
    /// Column of each variable, in creation order (HiGHS columns follow it).
    pub column: HashMap<Variable, usize>,
    pub n_columns: usize,
    pub integer: Vec<bool>,
    pub vars: Vars,
    pub objective: Expression,
    pub rows: Vec<Row>,
}

/// Which variables are integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integrality {
    /// Every decision as MODEL.md states it: binary opens, integer servers.
    Full,
    /// Server counts continuous: a relaxation whose optimum bounds the full model from below.
    ContinuousServers,
    /// Every variable continuous (binaries in [0, 1]): the LP whose duals are shadow prices
    /// once the binaries are fixed.
    Lp,
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
        if self.integrality == Integrality::Lp {
            self.add(variable().min(0).max(1), false)
        } else {
            self.add(variable().binary(), true)
        }
    }
    fn row(&mut self, name: String, family: &'static str, lhs: Expression, sense: Sense, rhs: f64) {
        self.rows.push(Row {
            name,
            family,
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
            .map(|&a| p.max_servers(opt.site, a))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|ub| match b.integrality {
                Integrality::Full => b.add(variable().integer().min(0).max(ub), true),
                Integrality::ContinuousServers | Integrality::Lp => {
                    b.add(variable().min(0).max(ub), false)
                }
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
                            && p.max_servers(s, a) * p.inst.accelerators[a].cards_per_server as f64
                                >= p.inst.params.mega_cards
                    })
            });
        let v = if hosts { Some(b.binary()) } else { None };
        b.vars.mega.push(v);
    }
    for j in &p.inst.subsidies {
        let mut def = variable().min(0);
        if let Some(cap) = j.cap_cny {
            // The cap is also a named row (below) so that its shadow price is reported.
            def = def.max(cap.max(0.0));
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
            b.row(
                format!("one-cooling-{}", site.id),
                "one-cooling",
                e,
                Sense::Eq,
                1.0,
            );
        } else if any {
            b.row(
                format!("one-cooling-{}", site.id),
                "one-cooling",
                e,
                Sense::Le,
                1.0,
            );
        }
    }
}

/// 2. Site power: IT kW of the servers ≤ 1000 × max_it_mw × open.
fn define_site_power(b: &mut Builder) {
    let p = b.p;
    for (o, opt) in p.options.iter().enumerate() {
        let site = &p.inst.sites[opt.site];
        let mut e = b.sum_servers_of(&[o], |_, a| p.inst.accelerators[a].server_kw);
        e.add_mul(-1000.0 * site.max_it_mw, b.vars.open[o]);
        let name = format!("site-power-{}-{}", site.id, p.inst.cooling[opt.cooling].id);
        b.row(name, "site-power", e, Sense::Le, 0.0);
    }
}

/// 3. Minimum site size: cards ≥ min_site_cards × open.
fn define_min_site_size(b: &mut Builder) {
    let p = b.p;
    let min = p.inst.params.min_site_cards;
    if min <= 0.0 {
        return;
    }
    for (o, opt) in p.options.iter().enumerate() {
        let mut e = b.cards_at(o, |_| true);
        e.add_mul(-min, b.vars.open[o]);
        let name = format!(
            "site-min-size-{}-{}",
            p.inst.sites[opt.site].id, p.inst.cooling[opt.cooling].id
        );
        b.row(name, "site-min-size", e, Sense::Ge, 0.0);
    }
}

/// 4. Region grid power quota (facility MW).
fn define_region_power_quota(b: &mut Builder) {
    let p = b.p;
    for (r, region) in p.inst.regions.iter().enumerate() {
        if !p.options.iter().any(|o| p.region_of_site[o.site] == r) {
            continue;
        }
        let e = b.sum_servers(
            |o| p.region_of_site[o.site] == r,
            |o, a| p.inst.accelerators[a].server_kw * o.pue,
        );
        b.row(
            format!("region-power-quota-{}", region.id),
            "region-power-quota",
            e,
            Sense::Le,
            1000.0 * region.power_quota_mw,
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
            format!("region-energy-quota-{}", region.id),
            "region-energy-quota",
            e,
            Sense::Le,
            region.energy_quota_tce,
        );
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
            b.row(
                format!("target-{}", acc.id),
                "accelerator-target",
                e,
                Sense::Eq,
                t.min,
            );
        } else {
            if t.min > 0.0 {
                b.row(
                    format!("target-min-{}", acc.id),
                    "accelerator-target",
                    e.clone(),
                    Sense::Ge,
                    t.min,
                );
            }
            if let Some(max) = t.max {
                b.row(
                    format!("target-max-{}", acc.id),
                    "accelerator-target",
                    e,
                    Sense::Le,
                    max,
                );
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
    b.row(
        "dual-track-domestic-share".into(),
        "dual-track",
        e,
        Sense::Ge,
        0.0,
    );
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
        b.row("total-h200-eq".into(), "definition", def, Sense::Eq, 0.0);
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
    for (d, node) in p.inst.demand.iter().enumerate() {
        let mut e = Expression::default();
        for &k in &by_demand[d] {
            e.add_mul(1.0, b.vars.serve[k]);
        }
        match p.demand[d] {
            DemandSize::Cards(c) if c > 0.0 => b.row(
                format!("demand-{}", node.id),
                "inference-demand",
                e,
                Sense::Ge,
                c,
            ),
            DemandSize::ShareOfTotal(x) if x > 0.0 => {
                let mut e = e;
                e.add_mul(-x, total.clone());
                b.row(
                    format!("demand-{}", node.id),
                    "inference-demand",
                    e,
                    Sense::Ge,
                    0.0,
                )
            }
            _ => {}
        }
    }
    let accs = &p.inst.accelerators;
    let mega_cards = p.inst.params.mega_cards;
    for (s, site) in p.inst.sites.iter().enumerate() {
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
            e.add_mul(mega_cards, m);
        }
        let cap = b.sum_servers_of(&by_site_options[s], |_, a| {
            accs[a].cards_per_server as f64 * accs[a].perf_h200_eq
        });
        e.add_mul(-1.0, cap);
        b.row(
            format!("site-inference-capacity-{}", site.id),
            "inference-capacity",
            e,
            Sense::Le,
            0.0,
        );
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
                let name = format!(
                    "serve-link-{}-{}",
                    p.inst.demand[p.pairs[k].demand].id, site.id
                );
                b.row(name, "serve-link", e, Sense::Le, 0.0);
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
    for (s, site) in p.inst.sites.iter().enumerate() {
        let Some(m) = b.vars.mega[s] else { continue };
        count.add_mul(1.0, m);
        let accs = &p.inst.accelerators;
        let mut e = b.sum_servers_of(&by_site_options[s], |_, a| {
            if prm.mega_accelerators.contains(&accs[a].id) {
                accs[a].cards_per_server as f64
            } else {
                0.0
            }
        });
        e.add_mul(-prm.mega_cards, m);
        b.row(
            format!("mega-size-{}", site.id),
            "mega-cluster",
            e,
            Sense::Ge,
            0.0,
        );
    }
    b.row(
        "mega-count".into(),
        "mega-cluster",
        count,
        Sense::Ge,
        prm.mega_count as f64,
    );
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
            b.row(
                format!("region-bound-min-{rid}"),
                "region-bound",
                e.clone(),
                Sense::Ge,
                min,
            );
        }
        if let Some(max) = bound.max_cards {
            b.row(
                format!("region-bound-max-{rid}"),
                "region-bound",
                e,
                Sense::Le,
                max,
            );
        }
    }
    for (tier, bound) in &p.inst.tier_bounds {
        let e = b.sum_servers(
            |o| p.inst.regions[p.region_of_site[o.site]].tier == *tier,
            |_, a| cards(a),
        );
        if let Some(min) = bound.min_cards {
            b.row(
                format!("tier-bound-min-{}", tier.as_str()),
                "tier-bound",
                e.clone(),
                Sense::Ge,
                min,
            );
        }
        if let Some(max) = bound.max_cards {
            b.row(
                format!("tier-bound-max-{}", tier.as_str()),
                "tier-bound",
                e,
                Sense::Le,
                max,
            );
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

/// 11. Subsidies: received ≤ rate × base, and ≤ cap.
fn define_subsidies(b: &mut Builder) {
    let p = b.p;
    for (jn, j) in p.inst.subsidies.iter().enumerate() {
        let mut e = b.sum_servers(
            |_| true,
            |o, a| -j.value * subsidy_base_per_server(p, j, o, a),
        );
        // A capex share for all accelerators also pays on the site's fixed cost.
        if j.kind == SubsidyKind::CapexShare && j.applies_to == AppliesTo::All {
            for (o, opt) in p.options.iter().enumerate() {
                if p.covers(j, opt.site) {
                    e.add_mul(
                        -j.value * p.inst.sites[opt.site].fixed_cost_cny,
                        b.vars.open[o],
                    );
                }
            }
        }
        e.add_mul(1.0, b.vars.subsidy[jn]);
        b.row(
            format!("subsidy-rate-{}", j.programme_id),
            "subsidy-rate",
            e,
            Sense::Le,
            0.0,
        );
        if let Some(cap) = j.cap_cny {
            let mut e = Expression::default();
            e.add_mul(1.0, b.vars.subsidy[jn]);
            b.row(
                format!("subsidy-cap-{}", j.programme_id),
                "subsidy-cap",
                e,
                Sense::Le,
                cap,
            );
        }
    }
}

/// Objective: net present cost, CNY.
fn define_objective(b: &Builder) -> Expression {
    let p = b.p;
    let mut obj = b.sum_servers(|_| true, |o, a| p.npc_per_server(o, a));
    for (o, opt) in p.options.iter().enumerate() {
        obj.add_mul(p.inst.sites[opt.site].fixed_cost_cny, b.vars.open[o]);
    }
    for (k, pair) in p.pairs.iter().enumerate() {
        if pair.cost_cny_per_card != 0.0 {
            obj.add_mul(pair.cost_cny_per_card, b.vars.serve[k]);
        }
    }
    for (jn, j) in p.inst.subsidies.iter().enumerate() {
        let w = if j.kind.is_annual() {
            p.annuity_factor
        } else {
            1.0
        };
        obj.add_mul(-w, b.vars.subsidy[jn]);
    }
    obj
}
