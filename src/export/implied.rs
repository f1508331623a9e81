//! implied.csv and the terminal text of `dcsite implied`: one row per range
//! of the forecast (its cards free and held, the side it binds at, the
//! implied premium per card with its one-sided check), then a `total` row with
//! the extra cost over the free optimum and per card moved.

use polars::prelude::*;

use super::csv::csv_text;
use crate::domain::rows::Bound;
use crate::plan::implied::{Implied, ImpliedRow};
use crate::spatial::round_to as r;

fn side(b: Option<Bound>) -> Option<&'static str> {
    b.map(|b| match b {
        Bound::Min | Bound::Exact => "min",
        Bound::Max => "max",
    })
}

/// The premium's one-sided values (CNY per card, same sign as the premium)
/// where the pricing LP is degenerate at the row.
fn one_sided(row: &ImpliedRow) -> (Option<f64>, Option<f64>) {
    let sign = if row.binding == Some(Bound::Max) {
        -1.0
    } else {
        1.0
    };
    match row.shadow.as_ref().and_then(|s| s.one_sided.as_ref()) {
        Some(o) => (o.down.map(|x| sign * x), o.up.map(|x| sign * x)),
        None => (None, None),
    }
}

/// implied.csv.
pub fn implied_table(x: &Implied) -> PolarsResult<String> {
    let inst = &x.plan.instance;
    let n = x.rows.len();
    let text = |f: &dyn Fn(&ImpliedRow) -> Option<String>, total: Option<String>| {
        Column::new(
            "".into(),
            x.rows.iter().map(f).chain([total]).collect::<Vec<_>>(),
        )
    };
    let num = |f: &dyn Fn(&ImpliedRow) -> Option<f64>, total: Option<f64>| {
        Column::new(
            "".into(),
            x.rows.iter().map(f).chain([total]).collect::<Vec<_>>(),
        )
    };
    let int = |f: &dyn Fn(&ImpliedRow) -> u64, total: u64| {
        Column::new(
            "".into(),
            x.rows.iter().map(f).chain([total]).collect::<Vec<_>>(),
        )
    };
    let none_then = |v: Option<f64>| {
        Column::new(
            "".into(),
            std::iter::repeat_n(None, n)
                .chain([v])
                .collect::<Vec<Option<f64>>>(),
        )
    };
    let cols = vec![
        text(
            &|w| Some(w.range.level.as_str().into()),
            Some("total".into()),
        )
        .with_name("level".into()),
        text(&|w| Some(w.range.level.id(inst)), Some("total".into())).with_name("id".into()),
        text(&|w| Some(w.name.clone()), Some("all cards".into())).with_name("name_en".into()),
        num(&|w| w.range.bounds.min_cards, None).with_name("min_cards".into()),
        num(&|w| w.range.bounds.max_cards, None).with_name("max_cards".into()),
        int(&|w| w.free_cards, x.free.cards_total()).with_name("free_cards".into()),
        int(&|w| w.plan_cards, x.plan.cards_total()).with_name("plan_cards".into()),
        text(&|w| side(w.binding).map(String::from), None).with_name("binding".into()),
        num(&|w| w.binding.map(|_| r(w.premium_cny_per_card(), 2)), None)
            .with_name("premium_cny_per_card".into()),
        text(&|w| w.shadow.as_ref().map(|s| s.checked.to_string()), None)
            .with_name("premium_checked".into()),
        num(&|w| one_sided(w).0.map(|v| r(v, 2)), None).with_name("premium_down_cny".into()),
        num(&|w| one_sided(w).1.map(|v| r(v, 2)), None).with_name("premium_up_cny".into()),
        Column::new(
            "extra_cost_cny".into(),
            std::iter::repeat_n(None, n)
                .chain([Some(x.extra_cost_cny().round() as i64)])
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "cards_moved".into(),
            std::iter::repeat_n(None, n)
                .chain([Some(x.cards_moved())])
                .collect::<Vec<_>>(),
        ),
        none_then(x.cny_per_card_moved().map(|v| r(v, 2))).with_name("cny_per_card_moved".into()),
        text(&|w| Some(w.range.source.clone()), None).with_name("source".into()),
    ];
    csv_text(DataFrame::new_infer_height(cols)?)
}

/// The answer on the terminal.
pub fn implied_text(x: &Implied) -> String {
    let inst = &x.plan.instance;
    let mut out = format!(
        "{}: free optimum {:.3} bn CNY; meeting the ranges {:.3} bn CNY, {:+.3} bn CNY \
         ({} cards moved, {} CNY per card moved)\n\n",
        inst.name,
        x.free.objective_cny / 1e9,
        x.plan.objective_cny / 1e9,
        x.extra_cost_cny() / 1e9,
        x.cards_moved(),
        x.cny_per_card_moved()
            .map(|v| format!("{v:.0}"))
            .unwrap_or_else(|| "–".into()),
    );
    out.push_str(&format!(
        "{:<8} {:<18} {:>10} {:>10} {:>10} {:>10} {:>5} {:>14}\n",
        "level", "id", "min", "max", "free", "plan", "binds", "premium CNY/card"
    ));
    let opt = |v: Option<f64>| v.map(|v| format!("{v:.0}")).unwrap_or_else(|| "–".into());
    for w in &x.rows {
        out.push_str(&format!(
            "{:<8} {:<18} {:>10} {:>10} {:>10} {:>10} {:>5} {:>14}\n",
            w.range.level.as_str(),
            w.range.level.id(inst),
            opt(w.range.bounds.min_cards),
            opt(w.range.bounds.max_cards),
            w.free_cards,
            w.plan_cards,
            side(w.binding).unwrap_or(""),
            w.binding
                .map(|_| format!("{:.0}", w.premium_cny_per_card()))
                .unwrap_or_default(),
        ));
    }
    out
}
