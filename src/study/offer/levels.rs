//! One sample's outcome at every level of an offer, with as few solves as the
//! answer allows (exactly: the same plans as a solve at each level, within
//! the MIP gap).
//!
//! Only the objective changes with the level: the offer pays `level × g(x)`
//! for a plan `x`, where `g(x)` (the subsidy per unit of the lever, NPV) is
//! linear in the plan's servers and sites. So a plan's cost is a line in the
//! level, `cost(x, L) = c(x) − L·g(x)`, and the optimum `F(L) = min_x cost(x,
//! L)` is concave and piecewise linear. Given plans `a` and `b` optimal at
//! levels `La < Lb`, their lines cross at `L*`; one solve at `L*` settles
//! the whole bracket: if no plan is cheaper there than the two lines, `a` is
//! optimal on `[La, L*]` and `b` on `[L*, Lb]` (F is concave, equals each
//! line at its end and at `L*`, and is below both); otherwise the plan found
//! at `L*` splits the bracket in two (Eisner and Severance's parametric
//! search). A sample whose plan does not change from the lowest level to the
//! highest takes 2 solves; an all-or-nothing switch takes 3.

use crate::milp::{subsidy_base_per_server, Prepared};
use crate::plan::Plan;
use crate::solve::SolveError;

use super::super::breakeven::PROGRAMME;

/// A plan found at one level, as a line in the level.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The level it was solved at.
    pub level: f64,
    /// Its objective there, CNY.
    pub objective_cny: f64,
    /// What the offer pays per unit of the lever, NPV, CNY.
    pub g: f64,
    /// Cards (all accelerators) at each of the place's sites, in the order given.
    pub site_cards: Vec<u64>,
    pub status: &'static str,
}

impl Line {
    /// The plan's objective at `level`.
    pub fn cost_at(&self, level: f64) -> f64 {
        self.objective_cny + (self.level - level) * self.g
    }
    /// The plan's cost before the offer, c(x).
    fn intercept(&self) -> f64 {
        self.cost_at(0.0)
    }
    pub fn cards(&self) -> u64 {
        self.site_cards.iter().sum()
    }

    /// The line of `plan`, solved from `p` (which holds the offer's rows at
    /// `level`); `sites` are the place's sites.
    pub fn of(p: &Prepared, sites: &[usize], level: f64, plan: &Plan) -> Line {
        Line {
            level,
            objective_cny: plan.objective_cny,
            g: per_unit(p, plan),
            site_cards: sites
                .iter()
                .map(|&s| plan.sites[s].cards.iter().sum())
                .collect(),
            status: plan.status.as_str(),
        }
    }
}

/// What the offer's rows (programme [`PROGRAMME`]) pay for `plan` per unit
/// of the lever, NPV, CNY: the base of each row (as the model's subsidy rows
/// count it) times its NPV weight.
pub fn per_unit(p: &Prepared, plan: &Plan) -> f64 {
    let mut g = 0.0;
    for j in p
        .inst
        .subsidies
        .iter()
        .filter(|j| j.programme_id == PROGRAMME)
    {
        let w = p.subsidy_npv_weight(j);
        for opt in &p.options {
            let sp = &plan.sites[opt.site];
            if sp.cooling != Some(opt.cooling) {
                continue;
            }
            for &a in &opt.accels {
                g += w * sp.servers[a] as f64 * subsidy_base_per_server(p, j, opt, a);
            }
            g += w * p.subsidy_fixed_base(j, opt.site);
        }
    }
    g
}

/// The plan optimal at each of `levels` (sorted ascending, not empty), and
/// how many solves it took. `solve_at` solves at a level; `gap` is the
/// relative MIP gap the solves keep (a plan within it of the lines counts as
/// no cheaper).
pub fn lines_at_levels(
    levels: &[f64],
    gap: f64,
    solve_at: &mut dyn FnMut(f64) -> Result<Line, SolveError>,
) -> Result<(Vec<Line>, usize), SolveError> {
    let n = levels.len();
    let mut out: Vec<Option<Line>> = vec![None; n];
    let first = solve_at(levels[0])?;
    let mut solves = 1;
    if n > 1 {
        let last = solve_at(levels[n - 1])?;
        solves += 1;
        out[n - 1] = Some(last.clone());
        let mut search = Search {
            levels,
            gap,
            solve_at,
            out: &mut out,
            solves: &mut solves,
        };
        search.bracket(&first, &last, 1, n - 1)?;
    }
    out[0] = Some(first);
    Ok((out.into_iter().flatten().collect(), solves))
}

/// The bracket search's state.
struct Search<'a> {
    levels: &'a [f64],
    gap: f64,
    solve_at: &'a mut dyn FnMut(f64) -> Result<Line, SolveError>,
    out: &'a mut Vec<Option<Line>>,
    solves: &'a mut usize,
}

impl Search<'_> {
    /// Fills `out[from..to]`, the levels strictly between `a`'s and `b`'s.
    fn bracket(&mut self, a: &Line, b: &Line, from: usize, to: usize) -> Result<(), SolveError> {
        if from >= to {
            return Ok(());
        }
        let tol = |x: f64| self.gap.max(1e-9) * x.abs().max(1.0);
        // The same line (the same plan, or a tie all along): a covers the bracket.
        let same = (a.cost_at(b.level) - b.objective_cny).abs() <= tol(b.objective_cny)
            && (b.cost_at(a.level) - a.objective_cny).abs() <= tol(a.objective_cny);
        if same && a.site_cards == b.site_cards {
            for slot in &mut self.out[from..to] {
                *slot = Some(a.clone());
            }
            return Ok(());
        }
        // Where the lines cross; the middle level when they do not cross inside.
        let cross = (b.intercept() - a.intercept()) / (b.g - a.g);
        let m = if cross.is_finite() && cross > a.level && cross < b.level {
            cross
        } else {
            self.levels[(from + to - 1) / 2]
        };
        let x = (self.solve_at)(m)?;
        *self.solves += 1;
        let lines_there = a.cost_at(m).min(b.cost_at(m));
        if x.cost_at(m) >= lines_there - tol(lines_there) {
            // Nothing cheaper at the crossing: a up to it, b after it.
            for i in from..to {
                let l = self.levels[i];
                self.out[i] = Some(if l < m {
                    a.clone()
                } else if l > m {
                    b.clone()
                } else {
                    x.clone()
                });
            }
            return Ok(());
        }
        let below = from + self.levels[from..to].partition_point(|&l| l < m);
        let mut above = below;
        while above < to && self.levels[above] == m {
            self.out[above] = Some(x.clone());
            above += 1;
        }
        self.bracket(a, &x, from, below)?;
        self.bracket(&x, b, above, to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plans as lines (c, g), the optimum the cheapest at each level.
    fn solver(plans: &[(f64, f64)]) -> impl FnMut(f64) -> Result<Line, SolveError> + '_ {
        move |l| {
            let (i, (c, g)) = plans
                .iter()
                .enumerate()
                .min_by(|x, y| (x.1 .0 - l * x.1 .1).total_cmp(&(y.1 .0 - l * y.1 .1)))
                .unwrap();
            Ok(Line {
                level: l,
                objective_cny: c - l * g,
                g: *g,
                site_cards: vec![i as u64],
                status: "optimal",
            })
        }
    }

    #[test]
    fn every_level_gets_the_cheapest_plan_with_few_solves() {
        let levels: Vec<f64> = (0..8).map(|k| k as f64 * 1000.0).collect();
        // Three plans: 0 cards, a switch near 2,500 and another near 5,500.
        let plans = [(100.0, 0.0), (110.0, 0.004), (140.0, 0.0095)];
        let mut s = solver(&plans);
        let (lines, solves) = lines_at_levels(&levels, 1e-9, &mut s).unwrap();
        let mut direct = solver(&plans);
        for (l, line) in levels.iter().zip(&lines) {
            let d = direct(*l).unwrap();
            assert_eq!(line.site_cards, d.site_cards, "level {l}");
            assert!((line.cost_at(*l) - d.objective_cny).abs() < 1e-9);
        }
        assert!(solves <= 5, "{solves} solves");
        // One plan all along: two solves.
        let mut s = solver(&plans[..1]);
        assert_eq!(lines_at_levels(&levels, 1e-9, &mut s).unwrap().1, 2);
    }
}
