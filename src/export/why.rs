//! Where and why in the planner's words: the built sites, the binding
//! levers with what one more unit of each is worth, and the cheapest sites
//! not chosen with what building them would add. One sentence per row, the
//! same on the terminal, in summary.json and in the report.

use crate::plan::{Binding, Plan, ShadowPrice};

/// Built sites listed on the terminal before "and K more".
pub const TOP_SITES: usize = 10;
/// Binding levers listed on the terminal before "and K more".
pub const TOP_LEVERS: usize = 8;
/// Unbuilt sites listed on the terminal before "and K more".
pub const TOP_UNBUILT: usize = 5;

/// 1234567.4 → "1,234,567"; `decimals` decimals after the point.
pub fn grouped(x: f64, decimals: usize) -> String {
    crate::domain::text::decimal(x, decimals, '-')
}

/// An amount of CNY per unit as a sentence states it: whole CNY from 100
/// up, else to the cent (summary.json keeps it to the cent).
pub fn cny_amount(x: f64) -> String {
    if x.abs() >= 100.0 {
        grouped(x, 0)
    } else {
        grouped(x, 2)
    }
}

/// "each extra MW of the Inner Mongolia power quota saves 293,800 CNY": what
/// one more unit of the row's limit does to the net present cost, its sign
/// in the verb (saves / costs), its unit the family's.
pub fn lever_sentence(sp: &ShadowPrice) -> String {
    let unit = sp.family.unit_kind().as_str();
    let v = sp.cny_per_unit;
    let shown = cny_amount(v.abs());
    let effect = if shown.trim_start_matches(['0', ',', '.']).is_empty() {
        "changes the cost by less than 0.01 CNY".to_string()
    } else if v < 0.0 {
        format!("saves {shown} CNY")
    } else {
        format!("costs {shown} CNY more")
    };
    let mut s = format!("each extra {unit} of {} {effect}", sp.words);
    if let Some(o) = &sp.one_sided {
        let side = |x: Option<f64>| match x {
            Some(x) => format!("{} CNY", signed(x)),
            None => "no plan".to_string(),
        };
        s.push_str(&format!(
            " (degenerate: re-solved {} {unit} up {}, down {} per {unit})",
            grouped(o.step, if o.step.fract() == 0.0 { 0 } else { 2 }),
            side(o.up),
            side(o.down)
        ));
    }
    s
}

fn signed(x: f64) -> String {
    let s = cny_amount(x);
    if x > 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("+{s}")
    } else {
        s
    }
}

/// The sentence of a binding row: its lever sentence when it is priced,
/// else that it binds ("the mega-cluster size at Zhongwei binds").
pub fn binding_sentence(plan: &Plan, b: &Binding) -> String {
    match shadow_of(plan, b) {
        Some(sp) => lever_sentence(sp),
        None => format!(
            "{} binds (no shadow price: {} are not priced)",
            b.words,
            b.family.words()
        ),
    }
}

/// The shadow price of a binding row, if it is priced.
pub fn shadow_of<'a>(plan: &'a Plan, b: &Binding) -> Option<&'a ShadowPrice> {
    plan.shadow_prices.iter().find(|s| s.key == b.key)
}

/// "+1.20 bn CNY" / "+35.2 M CNY": a cost gap as the terminal shows it.
pub fn gap_amount(cny: f64) -> String {
    let sign = if cny < 0.0 { "-" } else { "+" };
    if cny.abs() >= 1e9 {
        format!("{sign}{} bn CNY", grouped(cny.abs() / 1e9, 2))
    } else {
        format!("{sign}{} M CNY", grouped(cny.abs() / 1e6, 1))
    }
}

/// "and 3 more" after a list cut at `shown` of `total`.
fn and_more(out: &mut String, total: usize, shown: usize, where_: &str) {
    if total > shown {
        out.push_str(&format!("  and {} more ({where_})\n", total - shown));
    }
}

/// The built sites, most cards first: name, region, cooling, cards, cost per
/// H200-eq card-year; columns two spaces apart, as wide as their widest cell.
pub fn sites_text(plan: &Plan) -> String {
    let inst = &plan.instance;
    let mut built: Vec<_> = plan.sites.iter().filter(|s| s.built).collect();
    built.sort_by_key(|s| std::cmp::Reverse(s.cards.iter().sum::<u64>()));
    let mut out = format!("\nbuilt sites ({}):\n", built.len());
    if built.is_empty() {
        return out;
    }
    let mut rows: Vec<[String; 5]> = vec![[
        "site".into(),
        "region".into(),
        "cooling".into(),
        "cards".into(),
        "CNY/card-year".into(),
    ]];
    for s in built.iter().take(TOP_SITES) {
        rows.push([
            inst.sites[s.site].name_en.clone(),
            inst.regions[s.region].name_en.clone(),
            s.cooling
                .map_or("–", |k| inst.cooling[k].id.as_str())
                .to_string(),
            grouped(s.cards.iter().sum::<u64>() as f64, 0),
            s.cost_per_card_year_cny
                .map_or_else(|| "–".into(), |c| grouped(c, 0)),
        ]);
    }
    let width = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
    let w: Vec<usize> = (0..5).map(width).collect();
    for r in &rows {
        out.push_str(&format!(
            "  {:<w0$}  {:<w1$}  {:<w2$}  {:>w3$}  {:>w4$}\n",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3],
            w4 = w[4]
        ));
    }
    and_more(&mut out, built.len(), TOP_SITES, "sites.geojson");
    out
}

/// The binding planner levers in words, the largest shadow price first,
/// then one line with the other binding families and their counts.
pub fn levers_text(plan: &Plan) -> String {
    if plan.binding.is_empty() {
        return String::new();
    }
    let mut levers: Vec<&Binding> = plan
        .binding
        .iter()
        .filter(|b| b.family.is_lever())
        .collect();
    let size = |b: &Binding| shadow_of(plan, b).map_or(-1.0, |s| s.cny_per_unit.abs());
    levers.sort_by(|a, b| size(b).total_cmp(&size(a)));
    let mut out = String::from("\nbinding:\n");
    if levers.is_empty() {
        out.push_str("  no planner lever (quota, cap, target, share, site limit) binds\n");
    } else {
        out.push_str(&format!(
            "  planner levers: {} bind; what one more unit of each is worth:\n",
            levers.len()
        ));
        for b in levers.iter().take(TOP_LEVERS) {
            out.push_str(&format!("  - {}\n", binding_sentence(plan, b)));
        }
        and_more(&mut out, levers.len(), TOP_LEVERS, "summary.json");
    }
    let mut others: Vec<(crate::domain::rows::Family, usize)> = Vec::new();
    for b in plan.binding.iter().filter(|b| !b.family.is_lever()) {
        match others.iter_mut().find(|(f, _)| *f == b.family) {
            Some((_, n)) => *n += 1,
            None => others.push((b.family, 1)),
        }
    }
    if !others.is_empty() {
        let parts: Vec<String> = others
            .iter()
            .map(|(f, n)| format!("{n} {}", f.words()))
            .collect();
        out.push_str(&format!(
            "  also: {} (all in summary.json)\n",
            parts.join(", ")
        ));
    }
    out
}

/// The cheapest sites not chosen, with the extra cost of building each
/// beside the plan, and how many more are not chosen or ruled out.
pub fn unbuilt_text(plan: &Plan) -> String {
    let inst = &plan.instance;
    let mut possible: Vec<(&str, f64)> = plan
        .sites
        .iter()
        .filter(|s| !s.built)
        .filter_map(|s| Some((inst.sites[s.site].name_en.as_str(), s.build_cost_gap_cny?)))
        .collect();
    possible.sort_by(|a, b| a.1.total_cmp(&b.1));
    let unbuilt = plan.sites.iter().filter(|s| !s.built).count();
    if unbuilt == 0 {
        return String::new();
    }
    let mut out =
        format!("\nnot built ({unbuilt}; every reason in sites.geojson, not_built_reason):\n");
    for (name, gap) in possible.iter().take(TOP_UNBUILT) {
        out.push_str(&format!(
            "  {name}: possible but not chosen, {} to build beside this plan\n",
            gap_amount(*gap)
        ));
    }
    and_more(
        &mut out,
        possible.len(),
        TOP_UNBUILT,
        "possible but not chosen",
    );
    let other = unbuilt - possible.len();
    if other > 0 {
        out.push_str(&format!(
            "  {other} ruled out by a rule or not fitting beside the plan's sites\n"
        ));
    }
    out
}

/// The where and why after the table: built sites, binding levers, the
/// cheapest sites not chosen.
pub fn where_why_text(plan: &Plan) -> String {
    format!(
        "{}{}{}",
        sites_text(plan),
        levers_text(plan),
        unbuilt_text(plan)
    )
}
