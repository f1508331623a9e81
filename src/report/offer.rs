//! The report of an offer folder (`dcsite offer`): the answer in words, the
//! curves against the level (cards won with its p10–p90 band, P(win), the
//! subsidy bill, the change of the resource cost), a level slider that
//! redraws the map and every number for each computed level, and the table
//! of all levels (what a print shows).
//!
//! Everything the page shows is formatted here, in Rust, once per level,
//! and embedded as JSON; the inline script only copies the chosen level's
//! texts into the page. The page loads nothing; `</` never appears in the
//! embedded JSON.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::error::ReportError;
use super::html::{esc, fmt_dec, fmt_int, page};
use super::input::{read_geojson, read_json, Expect, Feature, Geometry};
use super::map::{china_albers, outline, Frame};

/// The file that makes a folder an offer folder.
pub const OFFER_JSON: &str = "offer.json";

/// Whether `dir` is the output folder of `dcsite offer` (it has offer.json;
/// its `"kind"` is checked when it is read).
pub fn is_offer(dir: &Path) -> bool {
    dir.join(OFFER_JSON).is_file()
}

/// Reads an offer folder (offer.json, and sites.geojson when offer.json
/// lists no sites) and renders its page.
pub fn render(dir: &Path) -> Result<String, ReportError> {
    let offer = read(&dir.join(OFFER_JSON))?;
    let geo = dir.join("sites.geojson");
    let features = if offer.sites.is_empty() && geo.is_file() {
        read_geojson(&geo, Expect::Points)?
    } else {
        Vec::new()
    };
    Ok(build(&offer, &features))
}

/// The place an offer is made by.
#[derive(Debug, Clone)]
pub struct Place {
    /// `region`, `cluster` or `site`.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// Its English name (the id when offer.json has none).
    pub name: String,
    /// Its sites.
    pub sites: Vec<String>,
}

/// The place's fewest and most cards among the near-optimal plans.
#[derive(Debug, Clone, Copy)]
pub struct Near {
    /// Fewest cards.
    pub min: f64,
    /// Most cards.
    pub max: f64,
    /// Whether the fewest is proven.
    pub min_proven: bool,
    /// Whether the most is proven.
    pub max_proven: bool,
}

/// The scenario's own inputs at one level.
#[derive(Debug, Clone)]
pub struct Base {
    /// The solve's status.
    pub status: String,
    /// Cards at the place's sites.
    pub cards: f64,
    /// Whether `cards` reaches the cards wanted.
    pub wins: bool,
    /// Cards per site of the place (sites with cards only).
    pub sites: Vec<(String, f64)>,
    /// The offer's bill (NPV, CNY).
    pub bill: Option<f64>,
    /// The provider's net cost (CNY).
    pub provider_cost: Option<f64>,
    /// Its change against no offer.
    pub provider_change: Option<f64>,
    /// Provider cost plus the bill: the cost to the country.
    pub resource_cost: Option<f64>,
    /// Its change against no offer.
    pub resource_change: Option<f64>,
    /// The near-optimal range of the place's cards.
    pub near: Option<Near>,
}

/// The Monte-Carlo figures of one level.
#[derive(Debug, Clone, Copy)]
pub struct Uncertain {
    /// Samples drawn.
    pub n_samples: f64,
    /// Samples with a plan.
    pub n_plans: f64,
    /// Share of the samples whose plan reaches the cards wanted.
    pub p_win: f64,
    /// Cards, 10th percentile.
    pub p10: f64,
    /// Cards, median.
    pub p50: f64,
    /// Cards, 90th percentile.
    pub p90: f64,
    /// Cards, mean.
    pub mean: f64,
    /// Mean bill (CNY).
    pub bill_mean: Option<f64>,
    /// Mean change of the resource cost (CNY).
    pub resource_change_mean: Option<f64>,
}

/// One computed level.
#[derive(Debug, Clone)]
pub struct Level {
    /// The lever's level.
    pub level: f64,
    /// As offer.json writes it (its decimals are the page's).
    pub text: String,
    /// The scenario's own inputs.
    pub base: Base,
    /// Under the input ranges (none with `--samples 0`).
    pub uncertain: Option<Uncertain>,
}

/// A candidate site on the map.
#[derive(Debug, Clone)]
pub struct MapSite {
    /// Its id.
    pub id: String,
    /// Its English name.
    pub name: String,
    /// Longitude, latitude (degrees).
    pub lon_lat: (f64, f64),
    /// Whether it is one of the place's sites.
    pub in_place: bool,
}

/// What offer.json says.
#[derive(Debug, Clone)]
pub struct Offer {
    /// The scenario file.
    pub scenario: String,
    /// The place.
    pub place: Place,
    /// The lever (breakeven's spelling).
    pub lever: String,
    /// The level's unit.
    pub unit: String,
    /// Cards wanted.
    pub want: f64,
    /// Samples, sampling and seed, when sampled.
    pub sampling: Option<(f64, String, f64)>,
    /// The keys drawn from their ranges.
    pub varied: Vec<String>,
    /// The near-optimal cost share, when ranges were computed.
    pub near_share: Option<f64>,
    /// The levels, ascending.
    pub levels: Vec<Level>,
    /// Least level with base cards ≥ wanted; least with P ≥ 0.5, ≥ 0.9.
    pub answers: [Option<f64>; 3],
    /// Every candidate site.
    pub sites: Vec<MapSite>,
}

/// Reads offer.json; every problem names the file and the key.
pub fn read(file: &Path) -> Result<Offer, ReportError> {
    parse(file, &read_json(file)?)
}

/// Reads the keys of offer.json, naming `file` and the key in every error.
struct Keys<'a> {
    file: &'a Path,
}

/// A JSON value as an error message shows it: at most 80 characters.
fn found(v: Option<&Value>) -> String {
    match v {
        None => "nothing".into(),
        Some(Value::Array(_)) => "an array".into(),
        Some(Value::Object(_)) => "an object".into(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > 80 {
                format!("{}…", s.chars().take(80).collect::<String>())
            } else {
                s
            }
        }
    }
}

impl Keys<'_> {
    fn bad(&self, key: &str, expected: &str, v: Option<&Value>) -> ReportError {
        ReportError::Input {
            file: self.file.to_path_buf(),
            message: format!("key `{key}`: expected {expected}, found {}", found(v)),
        }
    }
    fn opt_num(&self, v: &Value, path: &str, key: &str) -> Result<Option<f64>, ReportError> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64().filter(|x| x.is_finite())),
            other => Err(self.bad(&join(path, key), "a number", other)),
        }
    }
    fn num(&self, v: &Value, path: &str, key: &str) -> Result<f64, ReportError> {
        self.opt_num(v, path, key)?
            .ok_or_else(|| self.bad(&join(path, key), "a number", v.get(key)))
    }
    fn opt_text(&self, v: &Value, path: &str, key: &str) -> Result<Option<String>, ReportError> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            other => Err(self.bad(&join(path, key), "a string", other)),
        }
    }
    fn text(&self, v: &Value, path: &str, key: &str) -> Result<String, ReportError> {
        self.opt_text(v, path, key)?
            .ok_or_else(|| self.bad(&join(path, key), "a string", v.get(key)))
    }
    fn flag(&self, v: &Value, path: &str, key: &str) -> Result<bool, ReportError> {
        match v.get(key) {
            Some(Value::Bool(b)) => Ok(*b),
            other => Err(self.bad(&join(path, key), "true or false", other)),
        }
    }
    fn list<'v>(&self, v: &'v Value, path: &str, key: &str) -> Result<&'v [Value], ReportError> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            other => Err(self.bad(&join(path, key), "an array", other)),
        }
    }
    fn object<'v>(&self, v: &'v Value, path: &str, key: &str) -> Result<&'v Value, ReportError> {
        match v.get(key) {
            Some(o @ Value::Object(_)) => Ok(o),
            other => Err(self.bad(&join(path, key), "an object", other)),
        }
    }
    fn opt_object<'v>(
        &self,
        v: &'v Value,
        path: &str,
        key: &str,
    ) -> Result<Option<&'v Value>, ReportError> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.object(v, path, key).map(Some),
        }
    }
    fn texts(&self, v: &Value, path: &str, key: &str) -> Result<Vec<String>, ReportError> {
        self.list(v, path, key)?
            .iter()
            .enumerate()
            .map(|(i, s)| match s {
                Value::String(s) => Ok(s.clone()),
                other => Err(self.bad(
                    &format!("{}[{i}]", join(path, key)),
                    "a string",
                    Some(other),
                )),
            })
            .collect()
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// offer.json's value → an [`Offer`].
fn parse(file: &Path, v: &Value) -> Result<Offer, ReportError> {
    let k = Keys { file };
    if !v.is_object() {
        return Err(k.bad("(top level)", "a JSON object", Some(v)));
    }
    let kind = k.text(v, "", "kind")?;
    if kind != "offer" {
        return Err(k.bad("kind", "\"offer\"", v.get("kind")));
    }
    let p = k.object(v, "", "place")?;
    let id = k.text(p, "place", "id")?;
    let place = Place {
        kind: k.opt_text(p, "place", "kind")?.unwrap_or_default(),
        name: k
            .opt_text(p, "place", "name_en")?
            .unwrap_or_else(|| id.clone()),
        sites: k.texts(p, "place", "sites")?,
        id,
    };
    let samples = k.opt_num(v, "", "samples")?;
    let sampling = match samples {
        Some(n) if n > 0.0 => Some((
            n,
            k.opt_text(v, "", "sampling")?.unwrap_or_default(),
            k.opt_num(v, "", "seed")?.unwrap_or(0.0),
        )),
        _ => None,
    };
    let levels = k
        .list(v, "", "levels")?
        .iter()
        .enumerate()
        .map(|(i, l)| parse_level(&k, l, &format!("levels[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    if levels.is_empty() {
        return Err(k.bad("levels", "an array of at least one level", v.get("levels")));
    }
    if let Some(i) = (1..levels.len()).find(|&i| levels[i].level < levels[i - 1].level) {
        let key = format!("levels[{i}].level");
        let at = v["levels"][i].get("level");
        return Err(k.bad(&key, "levels in ascending order", at));
    }
    let a = k.object(v, "", "answers")?;
    Ok(Offer {
        scenario: k.opt_text(v, "", "scenario")?.unwrap_or_default(),
        lever: k.text(v, "", "lever")?,
        unit: k.opt_text(v, "", "unit")?.unwrap_or_default(),
        want: k.num(v, "", "want_cards")?,
        varied: k.texts(v, "", "varied")?,
        near_share: k.opt_num(v, "", "near_optimal_share")?,
        answers: [
            k.opt_num(a, "answers", "breakeven_level")?,
            k.opt_num(a, "answers", "level_p50")?,
            k.opt_num(a, "answers", "level_p90")?,
        ],
        sites: parse_sites(&k, v, &place)?,
        place,
        sampling,
        levels,
    })
}

fn parse_level(k: &Keys, l: &Value, path: &str) -> Result<Level, ReportError> {
    let level = k.num(l, path, "level")?;
    let text = k
        .opt_text(l, path, "level_text")?
        .unwrap_or_else(|| level.to_string());
    let bp = format!("{path}.base");
    let b = k.object(l, path, "base")?;
    let mut sites = Vec::new();
    for (i, s) in k.list(b, &bp, "sites")?.iter().enumerate() {
        let sp = format!("{bp}.sites[{i}]");
        sites.push((k.text(s, &sp, "site_id")?, k.num(s, &sp, "cards")?));
    }
    let near = match k.opt_object(b, &bp, "near_optimal")? {
        None => None,
        Some(n) => {
            let np = format!("{bp}.near_optimal");
            Some(Near {
                min: k.num(n, &np, "cards_min")?,
                max: k.num(n, &np, "cards_max")?,
                min_proven: k.flag(n, &np, "min_proven")?,
                max_proven: k.flag(n, &np, "max_proven")?,
            })
        }
    };
    let base = Base {
        status: k.opt_text(b, &bp, "status")?.unwrap_or_default(),
        cards: k.num(b, &bp, "cards_won")?,
        wins: k.flag(b, &bp, "wins")?,
        sites,
        bill: k.opt_num(b, &bp, "subsidy_bill_cny")?,
        provider_cost: k.opt_num(b, &bp, "provider_cost_cny")?,
        provider_change: k.opt_num(b, &bp, "provider_change_cny")?,
        resource_cost: k.opt_num(b, &bp, "resource_cost_cny")?,
        resource_change: k.opt_num(b, &bp, "resource_change_cny")?,
        near,
    };
    let uncertain = match k.opt_object(l, path, "uncertain")? {
        None => None,
        Some(u) => Some(parse_uncertain(k, u, &format!("{path}.uncertain"))?),
    };
    Ok(Level {
        level,
        text,
        base,
        uncertain,
    })
}

fn parse_uncertain(k: &Keys, u: &Value, up: &str) -> Result<Uncertain, ReportError> {
    let p_win = k.num(u, up, "p_win")?;
    if !(0.0..=1.0).contains(&p_win) {
        return Err(k.bad(&join(up, "p_win"), "a share from 0 to 1", u.get("p_win")));
    }
    Ok(Uncertain {
        n_samples: k.num(u, up, "n_samples")?,
        n_plans: k.num(u, up, "n_plans")?,
        p_win,
        p10: k.num(u, up, "cards_p10")?,
        p50: k.num(u, up, "cards_p50")?,
        p90: k.num(u, up, "cards_p90")?,
        mean: k.num(u, up, "cards_mean")?,
        bill_mean: k.opt_num(u, up, "bill_mean_cny")?,
        resource_change_mean: k.opt_num(u, up, "resource_change_mean_cny")?,
    })
}

fn parse_sites(k: &Keys, v: &Value, place: &Place) -> Result<Vec<MapSite>, ReportError> {
    let mut out = Vec::new();
    for (i, s) in k.list(v, "", "sites")?.iter().enumerate() {
        let sp = format!("sites[{i}]");
        let id = k.text(s, &sp, "site_id")?;
        let (lon, lat) = (k.num(s, &sp, "lon")?, k.num(s, &sp, "lat")?);
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            let expected = "a longitude in [-180, 180] and a latitude in [-90, 90]";
            return Err(k.bad(&join(&sp, "lon"), expected, s.get("lon")));
        }
        let in_place = match s.get("in_place") {
            None => place.sites.contains(&id),
            Some(_) => k.flag(s, &sp, "in_place")?,
        };
        out.push(MapSite {
            name: k.opt_text(s, &sp, "name_en")?.unwrap_or_else(|| id.clone()),
            id,
            lon_lat: (lon, lat),
            in_place,
        });
    }
    Ok(out)
}

/// The candidate sites of sites.geojson (when offer.json lists none).
fn sites_of_features(features: &[Feature], place: &Place) -> Vec<MapSite> {
    features
        .iter()
        .filter_map(|f| {
            let Geometry::Point(p) = f.geometry else {
                return None;
            };
            let id = f.text("site_id")?;
            Some(MapSite {
                name: f.text("name_en").unwrap_or_else(|| id.clone()),
                in_place: place.sites.contains(&id),
                id,
                lon_lat: p,
            })
        })
        .collect()
}

// ---------------------------------------------------------------- numbers

/// A money figure in bn CNY with two decimals; `—` when not computed.
fn bn(x: Option<f64>) -> String {
    x.map(|x| fmt_dec(x / 1e9, 2)).unwrap_or_else(|| "—".into())
}

/// A change in bn CNY with its sign (`+0.60`, `−0.04`, `0.00`).
fn bn_signed(x: Option<f64>) -> String {
    let s = bn(x);
    match x {
        Some(v) if v > 0.0 && s.chars().any(|c| ('1'..='9').contains(&c)) => format!("+{s}"),
        _ => s,
    }
}

/// Whole CNY for a `data-value` (empty when not computed).
fn whole(x: Option<f64>) -> String {
    x.map(|x| format!("{:.0}", x.round() + 0.0))
        .unwrap_or_default()
}

/// A share with two decimals.
fn share(p: f64) -> String {
    format!("{p:.2}")
}

impl Offer {
    /// Decimals of the levels as offer.json writes them.
    fn level_decimals(&self) -> usize {
        self.levels
            .iter()
            .map(|l| l.text.split_once('.').map_or(0, |(_, f)| f.len()))
            .max()
            .unwrap_or(0)
    }
    /// A level for the page: grouped, with the decimals of offer.json.
    fn level(&self, x: f64) -> String {
        fmt_dec(x, self.level_decimals())
    }
    /// A level with its unit.
    fn level_unit(&self, x: f64) -> String {
        format!("{} {}", self.level(x), self.unit)
            .trim_end()
            .to_string()
    }
    /// The index of the evaluated level `x` (up to float noise).
    fn index_of(&self, x: f64) -> Option<usize> {
        let tol = 1e-9 * x.abs().max(1.0);
        self.levels.iter().position(|l| (l.level - x).abs() <= tol)
    }
    /// The level the page opens at: the break-even level when evaluated,
    /// else the first level that wins, else the first.
    fn initial(&self) -> usize {
        self.answers[0]
            .and_then(|b| self.index_of(b))
            .or_else(|| self.levels.iter().position(|l| l.base.wins))
            .unwrap_or(0)
    }
    fn name_of(&self, site: &str) -> String {
        self.sites
            .iter()
            .find(|s| s.id == site)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| site.to_string())
    }
    /// "Zhongwei 203,248, Yinchuan 10,000" (or "none").
    fn sites_text(&self, l: &Level) -> String {
        let parts: Vec<String> = l
            .base
            .sites
            .iter()
            .filter(|(_, c)| *c > 0.0)
            .map(|(id, c)| format!("{} {}", self.name_of(id), fmt_int(*c)))
            .collect();
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }
}

/// One number of the page: the element's id, its text and its exact value
/// (`data-value`).
struct Shown {
    id: &'static str,
    text: String,
    value: String,
}

fn shown(id: &'static str, text: String, value: String) -> Shown {
    Shown { id, text, value }
}

/// Every number the page shows for level `l`.
fn numbers(o: &Offer, l: &Level) -> Vec<Shown> {
    let b = &l.base;
    let mut v = vec![
        shown("v-level", o.level(l.level), l.text.clone()),
        shown("v-status", b.status.clone(), b.status.clone()),
        shown("v-cards", fmt_int(b.cards), whole(Some(b.cards))),
        shown(
            "v-wins",
            if b.wins { "yes" } else { "no" }.into(),
            b.wins.to_string(),
        ),
        shown("v-sites", o.sites_text(l), String::new()),
        shown("v-bill", bn(b.bill), whole(b.bill)),
        shown(
            "v-provider-change",
            bn_signed(b.provider_change),
            whole(b.provider_change),
        ),
        shown(
            "v-resource-cost",
            bn(b.resource_cost),
            whole(b.resource_cost),
        ),
        shown(
            "v-resource-change",
            bn_signed(b.resource_change),
            whole(b.resource_change),
        ),
    ];
    v.extend(near_numbers(b.near));
    let u = l.uncertain;
    let card = |f: fn(&Uncertain) -> f64| {
        u.map(|u| (fmt_int(f(&u)), whole(Some(f(&u)))))
            .unwrap_or_else(|| ("—".into(), String::new()))
    };
    let (pw, pv) = u
        .map(|u| (share(u.p_win), format!("{:.4}", u.p_win)))
        .unwrap_or_else(|| ("—".into(), String::new()));
    v.push(shown("v-p-win", pw, pv));
    for (id, f) in [
        ("v-p10", (|u: &Uncertain| u.p10) as fn(&Uncertain) -> f64),
        ("v-p50", |u| u.p50),
        ("v-p90", |u| u.p90),
        ("v-cards-mean", |u| u.mean),
        ("v-n-samples", |u| u.n_samples),
        ("v-n-plans", |u| u.n_plans),
    ] {
        let (t, x) = card(f);
        v.push(shown(id, t, x));
    }
    let bill_mean = u.and_then(|u| u.bill_mean);
    let rc_mean = u.and_then(|u| u.resource_change_mean);
    v.push(shown("v-bill-mean", bn(bill_mean), whole(bill_mean)));
    v.push(shown(
        "v-resource-change-mean",
        bn_signed(rc_mean),
        whole(rc_mean),
    ));
    v.push(shown("v-sentence", level_sentence(o, l), String::new()));
    v
}

/// The near-optimal ends, `≤` / `≥` where not proven.
fn near_numbers(near: Option<Near>) -> [Shown; 2] {
    let end = |id, mark: &str, x: f64, proven: bool| {
        let m = if proven {
            String::new()
        } else {
            format!("{mark} ")
        };
        shown(id, format!("{m}{}", fmt_int(x)), whole(Some(x)))
    };
    match near {
        Some(n) => [
            end("v-near-min", "≤", n.min, n.min_proven),
            end("v-near-max", "≥", n.max, n.max_proven),
        ],
        None => [
            shown("v-near-min", "—".into(), String::new()),
            shown("v-near-max", "—".into(), String::new()),
        ],
    }
}

/// The chosen level in one sentence.
fn level_sentence(o: &Offer, l: &Level) -> String {
    let b = &l.base;
    let mut s = format!(
        "At {} {} {} {} cards ({}), {} the {} wanted",
        o.level_unit(l.level),
        o.place.name,
        if b.wins { "wins" } else { "gets" },
        fmt_int(b.cards),
        o.sites_text(l),
        if b.wins { "reaching" } else { "short of" },
        fmt_int(o.want)
    );
    if b.bill.is_some() {
        let _ = write!(
            s,
            ": bill {} bn CNY, provider {} bn, {} bn CNY for the country",
            bn(b.bill),
            bn_signed(b.provider_change),
            bn_signed(b.resource_change)
        );
    }
    s.push('.');
    if let Some(u) = l.uncertain {
        let _ = write!(
            s,
            " Under the input ranges P(≥ {}) = {} (cards p10 {}, median {}, p90 {}).",
            fmt_int(o.want),
            share(u.p_win),
            fmt_int(u.p10),
            fmt_int(u.p50),
            fmt_int(u.p90)
        );
    }
    s
}

// ---------------------------------------------------------------- the page

/// The page of `o` (`features`: sites.geojson, drawn when offer.json lists
/// no sites).
pub fn build(o: &Offer, features: &[Feature]) -> String {
    let sites = if o.sites.is_empty() {
        sites_of_features(features, &o.place)
    } else {
        o.sites.clone()
    };
    let init = o.initial();
    let title = format!(
        "dcsite offer: {} ({}), {}",
        o.place.name, o.place.kind, o.lever
    );
    let mut body = format!(
        "<style>{OFFER_STYLE}</style>\n<header>\n<h1>{}</h1>\n",
        esc(&title)
    );
    let _ = writeln!(
        body,
        "<p class=\"meta\">{}</p>\n</header>",
        esc(&meta_line(o))
    );
    answer_section(&mut body, o);
    let map = OfferMap::new(o, &sites);
    level_section(&mut body, o, init, &map);
    let xs = XScale::of(o);
    curves_section(&mut body, o, init, &xs);
    table_section(&mut body, o, init);
    body.push_str(
        "<footer>\n<p>Map: schematic outline, not an official map. Outline from Natural Earth (public domain) via the npm package world-atlas 2.0.2, simplified; Albers equal-area conic projection (standard parallels 25° N and 47° N, central meridian 105° E). Many input figures are estimates: see data/SOURCES.md before quoting a result.</p>\n<p>Written by <code>dcsite report</code> from offer.json; this page loads nothing from the network. The slider works without a server; a print shows the level chosen and the table of every level.</p>\n</footer>\n",
    );
    let _ = writeln!(
        body,
        "<script type=\"application/json\" id=\"offer-data\">{}</script>",
        embedded_json(o, &map, &xs)
    );
    let _ = writeln!(body, "<script>{OFFER_SCRIPT}</script>");
    page(&title, &body)
}

fn meta_line(o: &Offer) -> String {
    let mut m = format!(
        "Scenario {}; lever {} ({}); {} cards wanted at the {}'s sites ({})",
        o.scenario,
        o.lever,
        o.unit,
        fmt_int(o.want),
        if o.place.kind.is_empty() {
            "place"
        } else {
            &o.place.kind
        },
        o.place.sites.join(", ")
    );
    if let Some((n, how, seed)) = &o.sampling {
        let _ = write!(
            m,
            "; {} samples ({how}, seed {}) over {} input range{}",
            fmt_int(*n),
            fmt_int(*seed),
            o.varied.len(),
            if o.varied.len() == 1 { "" } else { "s" }
        );
    }
    if let Some(s) = o.near_share {
        let _ = write!(m, "; near-optimal within {} %", fmt_dec(100.0 * s, 2));
    }
    m.push('.');
    m
}

/// A span with an id for a test to read.
fn span(id: &str, text: &str) -> String {
    format!("<span id=\"{id}\">{}</span>", esc(text))
}

/// The answer in words: break-even level, what it wins and costs, and the
/// levels for P ≥ 0.5 and ≥ 0.9.
fn answer_section(body: &mut String, o: &Offer) {
    body.push_str("<section id=\"answer\">\n<h2>The answer</h2>\n");
    let name = esc(&o.place.name);
    let want = fmt_int(o.want);
    let first = &o.levels[0];
    if first.level == 0.0 {
        let _ = writeln!(
            body,
            "<p>Without an offer {name} gets {} cards ({}); it wants {want}.</p>",
            span("a-cards-0", &fmt_int(first.base.cards)),
            esc(&o.sites_text(first))
        );
    }
    match o.answers[0] {
        Some(b) => breakeven_words(body, o, b),
        None => {
            let last = &o.levels[o.levels.len() - 1];
            let _ = writeln!(
                body,
                "<p class=\"answer\">{name} does <strong>not</strong> win {want} cards at any level evaluated (up to {}): at that level it gets {} cards.{}</p>",
                esc(&o.level_unit(last.level)),
                fmt_int(last.base.cards),
                span("a-breakeven", "")
            );
        }
    }
    probability_words(body, o);
    body.push_str("</section>\n");
}

fn breakeven_words(body: &mut String, o: &Offer, b: f64) {
    let name = esc(&o.place.name);
    let level = format!("{} {}", span("a-breakeven", &o.level(b)), esc(&o.unit));
    let Some(l) = o.index_of(b).map(|i| &o.levels[i]) else {
        let _ = writeln!(
            body,
            "<p class=\"answer\">{name} wins {} cards from {level} (the break-even level; not one of the levels evaluated, so its bill is not on this page).</p>",
            fmt_int(o.want)
        );
        return;
    };
    let x = &l.base;
    let _ = writeln!(
        body,
        "<p class=\"answer\"><strong>{name} wins {} cards ({}) from {level}</strong>: bill {} bn CNY, provider {} bn, {} bn CNY for the country.</p>",
        span("a-cards", &fmt_int(x.cards)),
        esc(&o.sites_text(l)),
        span("a-bill", &bn(x.bill)),
        esc(&bn_signed(x.provider_change)),
        span("a-resource-change", &bn_signed(x.resource_change)),
    );
    if let (Some(n), Some(share)) = (x.near, o.near_share) {
        let pct = fmt_dec(100.0 * share, 2);
        let fewest = format!(
            "{}{}",
            if n.min_proven { "" } else { "at most " },
            fmt_int(n.min)
        );
        let verdict = if n.min >= o.want && n.min_proven {
            "the gain survives ties"
        } else if n.min >= o.want {
            "the gain survives ties as far as was proven"
        } else {
            "the gain does <strong>not</strong> survive ties"
        };
        let _ = writeln!(
            body,
            "<p>At that level the plans within {pct} % of the optimal cost give {name} from {} to {} cards: {verdict}.</p>",
            esc(&fewest),
            esc(&format!("{}{}", if n.max_proven { "" } else { "at least " }, fmt_int(n.max)))
        );
    }
}

fn probability_words(body: &mut String, o: &Offer) {
    let Some((n, how, seed)) = &o.sampling else {
        body.push_str(
            "<p>No Monte-Carlo samples (<code>--samples 0</code>): no probabilities.</p>\n",
        );
        return;
    };
    let at = o.answers[0]
        .and_then(|b| o.index_of(b))
        .and_then(|i| o.levels[i].uncertain)
        .map(|u| {
            format!(
                "P(≥ {}) = {} at the break-even level; ",
                fmt_int(o.want),
                span("a-p-win", &share(u.p_win))
            )
        })
        .unwrap_or_default();
    let from = |x: Option<f64>, id: &str| match x {
        Some(x) => format!("from {} {}", span(id, &o.level(x)), esc(&o.unit)),
        None => format!("not at any level evaluated{}", span(id, "")),
    };
    let _ = writeln!(
        body,
        "<p>Under the input ranges ({} samples, {}, seed {}): {at}P ≥ 0.5 {}, P ≥ 0.9 {}.</p>",
        fmt_int(*n),
        esc(how),
        fmt_int(*seed),
        from(o.answers[1], "a-level-p50"),
        from(o.answers[2], "a-level-p90"),
    );
}

/// The figures of the chosen level: (label, id, unit, note).
const FIGURES: [(&str, &str, &str, &str); 18] = [
    (
        "cards won",
        "v-cards",
        "",
        "all accelerators at the place's sites",
    ),
    ("wins", "v-wins", "", "cards won ≥ cards wanted"),
    ("subsidy bill", "v-bill", "bn CNY", "NPV paid by the offer"),
    (
        "provider's cost change",
        "v-provider-change",
        "bn CNY",
        "against no offer",
    ),
    (
        "cost to the country",
        "v-resource-cost",
        "bn CNY",
        "provider cost + bill",
    ),
    (
        "its change",
        "v-resource-change",
        "bn CNY",
        "against no offer",
    ),
    (
        "near-optimal fewest",
        "v-near-min",
        "cards",
        "≤: not proven",
    ),
    ("near-optimal most", "v-near-max", "cards", "≥: not proven"),
    (
        "P(win)",
        "v-p-win",
        "",
        "share of samples reaching the cards wanted",
    ),
    ("cards p10", "v-p10", "", "under the input ranges"),
    ("cards p50", "v-p50", "", "median"),
    ("cards p90", "v-p90", "", ""),
    ("cards mean", "v-cards-mean", "", ""),
    ("mean bill", "v-bill-mean", "bn CNY", "over the samples"),
    (
        "mean change to the country",
        "v-resource-change-mean",
        "bn CNY",
        "",
    ),
    ("samples", "v-n-samples", "", ""),
    ("samples with a plan", "v-n-plans", "", ""),
    (
        "status",
        "v-status",
        "",
        "of the solve with the scenario's own inputs",
    ),
];

fn level_section(body: &mut String, o: &Offer, init: usize, map: &OfferMap) {
    let nums = numbers(o, &o.levels[init]);
    let get = |id: &str| nums.iter().find(|n| n.id == id);
    let el = |id: &str| {
        get(id)
            .map(|n| {
                format!(
                    "<span id=\"{id}\" data-value=\"{}\">{}</span>",
                    esc(&n.value),
                    esc(&n.text)
                )
            })
            .unwrap_or_default()
    };
    body.push_str("<section id=\"level\">\n<h2>At one level</h2>\n<div class=\"slider\">\n");
    let _ = writeln!(
        body,
        "<label for=\"level-slider\">Level</label> <input type=\"range\" id=\"level-slider\" min=\"0\" max=\"{}\" step=\"1\" value=\"{init}\" aria-valuetext=\"{}\"> <strong class=\"lv\">{} {}</strong>",
        o.levels.len() - 1,
        esc(&o.level_unit(o.levels[init].level)),
        el("v-level"),
        esc(&o.unit)
    );
    body.push_str("<div class=\"ticks noprint\">");
    for l in &o.levels {
        let _ = write!(body, "<span>{}</span>", esc(&o.level(l.level)));
    }
    body.push_str("</div>\n</div>\n");
    let _ = writeln!(
        body,
        "<p class=\"printonly\">Printed at the level the slider was set to; every level is in the table below.</p>\n<p class=\"sentence\">{}</p>\n<p class=\"sites-line\">Cards by site: {}</p>\n<div class=\"figures\">",
        el("v-sentence"),
        el("v-sites")
    );
    let has_near = o.levels.iter().any(|l| l.base.near.is_some());
    for (label, id, unit, note) in FIGURES {
        if !has_near && id.starts_with("v-near") {
            continue;
        }
        let _ = writeln!(
            body,
            "<div class=\"figure\"><div class=\"k\">{}</div><div class=\"v\">{} {}</div><div class=\"n\">{}</div></div>",
            esc(label),
            el(id),
            esc(unit),
            esc(note)
        );
    }
    body.push_str("</div>\n");
    body.push_str(&map.svg(o, init));
    let _ = writeln!(
        body,
        "<p class=\"note\">Filled circles: {}'s sites, sized by their cards at the chosen level (area true; dashed ring: no cards there at that level). Small hollow circles: the other candidate sites. Hover a circle for its figures.</p>\n</section>",
        esc(&o.place.name)
    );
}

// ---------------------------------------------------------------- the map

const MAP_WIDTH: f64 = 960.0;
const MAX_R: f64 = 28.0;
const MIN_R: f64 = 4.0;

/// The map of the candidate sites, the place's sized per level.
struct OfferMap {
    frame: Frame,
    sites: Vec<MapSite>,
    max_cards: f64,
}

impl OfferMap {
    fn new(o: &Offer, sites: &[MapSite]) -> OfferMap {
        let frame = Frame::fit(china_albers(), &outline(), MAP_WIDTH);
        let max_cards = o
            .levels
            .iter()
            .flat_map(|l| l.base.sites.iter().map(|s| s.1))
            .fold(0.0, f64::max);
        OfferMap {
            frame,
            sites: sites.to_vec(),
            max_cards,
        }
    }
    /// A place site's circle at level `l`: radius, class and tooltip.
    fn circle(&self, o: &Offer, l: &Level, s: &MapSite) -> (f64, &'static str, String) {
        let cards = l
            .base
            .sites
            .iter()
            .find(|(id, _)| *id == s.id)
            .map_or(0.0, |x| x.1);
        let tip = format!(
            "{}: {} cards at {}",
            s.name,
            fmt_int(cards),
            o.level_unit(l.level)
        );
        if cards > 0.0 && self.max_cards > 0.0 {
            let r = (MAX_R * (cards / self.max_cards).sqrt()).max(MIN_R);
            ((r * 10.0).round() / 10.0, "offer-site", tip)
        } else {
            (MIN_R, "offer-site none", tip)
        }
    }
    fn svg(&self, o: &Offer, init: usize) -> String {
        let f = &self.frame;
        let mut s = format!(
            "<svg id=\"offer-map\" class=\"map\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" role=\"img\" aria-label=\"Map of the place's sites at the chosen level\">\n<rect class=\"sea\" x=\"0\" y=\"0\" width=\"{w:.0}\" height=\"{h:.0}\"/>\n<g class=\"outline\">",
            w = f.width,
            h = f.height
        );
        for feature in outline() {
            if let Geometry::Polygons(ps) = &feature.geometry {
                let name = feature.text("name").unwrap_or_default();
                let _ = write!(
                    s,
                    "<path d=\"{}\"><title>{}</title></path>",
                    f.polygons_path(ps),
                    esc(&name)
                );
            }
        }
        s.push_str("</g>\n<g class=\"sites\">\n");
        for site in self.sites.iter().filter(|x| !x.in_place) {
            let (x, y) = f.xy(site.lon_lat);
            let _ = writeln!(
                s,
                "<circle class=\"candidate\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\"><title>{}: candidate site, not {}'s</title></circle>",
                esc(&site.name),
                esc(&o.place.name)
            );
        }
        let l = &o.levels[init];
        let mut labels = String::new();
        let mut taken: Vec<(f64, f64)> = Vec::new();
        for site in self.sites.iter().filter(|x| x.in_place) {
            let (x, y) = f.xy(site.lon_lat);
            let (r, class, tip) = self.circle(o, l, site);
            let _ = writeln!(
                s,
                "<circle id=\"site-{}\" class=\"{class}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r}\"><title>{}</title></circle>",
                esc(&site.id),
                esc(&tip)
            );
            // Right of the largest circle; a line lower while it would
            // overlap a label placed before it.
            let (lx, mut ly) = (x + MAX_R + 6.0, y + 4.0);
            while taken
                .iter()
                .any(|&(tx, ty)| (tx - lx).abs() < 160.0 && (ty - ly).abs() < 15.0)
            {
                ly += 15.0;
            }
            taken.push((lx, ly));
            let _ = writeln!(
                labels,
                "<text x=\"{lx:.1}\" y=\"{ly:.1}\">{}</text>",
                esc(&site.name)
            );
        }
        let _ = write!(s, "</g>\n<g class=\"labels\">\n{labels}</g>\n");
        s.push_str(&self.legend(o));
        s.push_str("</svg>\n");
        s
    }
    fn legend(&self, o: &Offer) -> String {
        let mut g = String::from(
            "<g class=\"legend\"><rect x=\"4\" y=\"4\" width=\"262\" height=\"128\" rx=\"4\"/>\n",
        );
        let _ = writeln!(
            g,
            "<text class=\"lh\" x=\"12\" y=\"24\">{}'s sites at the chosen level</text>",
            esc(&o.place.name)
        );
        let _ = writeln!(
            g,
            "<circle class=\"offer-site\" cx=\"{:.0}\" cy=\"{:.0}\" r=\"{MAX_R}\"/><text x=\"{:.0}\" y=\"70\">{} cards</text>",
            14.0 + MAX_R,
            34.0 + MAX_R,
            2.0 * MAX_R + 24.0,
            fmt_int(self.max_cards)
        );
        let _ = writeln!(
            g,
            "<circle class=\"offer-site none\" cx=\"22\" cy=\"106\" r=\"{MIN_R}\"/><text x=\"36\" y=\"110\">no cards at this level</text>\n<circle class=\"candidate\" cx=\"22\" cy=\"122\" r=\"3\"/><text x=\"36\" y=\"126\">other candidate site</text>\n</g>"
        );
        g
    }
}

// ---------------------------------------------------------------- curves

/// The levels' axis, shared by the four charts.
struct XScale {
    lo: f64,
    hi: f64,
}

const CW: f64 = 540.0;
const CH: f64 = 250.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 18.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 40.0;

impl XScale {
    fn of(o: &Offer) -> XScale {
        let lo = o.levels[0].level;
        let hi = o.levels[o.levels.len() - 1].level;
        XScale {
            lo,
            hi: if hi > lo { hi } else { lo + 1.0 },
        }
    }
    fn x(&self, level: f64) -> f64 {
        let x = LEFT + (level - self.lo) / (self.hi - self.lo) * (CW - LEFT - RIGHT);
        (x * 10.0).round() / 10.0
    }
}

/// Steps of 1, 2 or 5 × 10^k: about `n` ticks from `lo` to `hi`.
fn ticks(lo: f64, hi: f64, n: f64) -> Vec<f64> {
    let raw = (hi - lo) / n;
    let p = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&s| s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * p);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// One line of a chart: its CSS class and a value per level.
struct Series {
    class: &'static str,
    ys: Vec<Option<f64>>,
}

/// A chart of values against the level.
struct Chart {
    id: &'static str,
    title: &'static str,
    series: Vec<Series>,
    band: Option<Vec<Option<(f64, f64)>>>,
    rules: Vec<(f64, String)>,
    fixed: Option<(f64, f64)>,
    fmt: fn(f64) -> String,
    key: &'static str,
}

impl Chart {
    /// The y range: every value, the rules and 0, to round ticks.
    fn y_range(&self) -> (f64, f64, Vec<f64>) {
        if let Some((lo, hi)) = self.fixed {
            return (lo, hi, ticks(lo, hi, 4.0));
        }
        let vals = self
            .series
            .iter()
            .flat_map(|s| s.ys.iter().flatten().copied())
            .chain(
                self.band
                    .iter()
                    .flatten()
                    .flatten()
                    .flat_map(|b| [b.0, b.1]),
            )
            .chain(self.rules.iter().map(|r| r.0))
            .chain([0.0]);
        let (lo, hi) = vals.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let hi = if hi - lo < 1e-9 { lo + 1.0 } else { hi };
        let t = ticks(lo, hi, 4.0);
        let step = if t.len() > 1 { t[1] - t[0] } else { hi - lo };
        let (lo, hi) = ((lo / step).floor() * step, (hi / step).ceil() * step);
        (lo, hi, ticks(lo, hi, 4.0))
    }

    fn svg(&self, o: &Offer, xs: &XScale, init: usize) -> String {
        let (lo, hi, yt) = self.y_range();
        let y = |v: f64| TOP + (hi - v) / (hi - lo) * (CH - TOP - BOTTOM);
        let mut s = format!(
            "<svg id=\"{}\" class=\"chart curve\" viewBox=\"0 0 {CW} {CH}\" width=\"{CW}\" height=\"{CH}\" role=\"img\" aria-label=\"{}\">\n",
            self.id,
            esc(self.title)
        );
        for t in &yt {
            let _ = writeln!(
                s,
                "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                CW - RIGHT,
                y(*t),
                y(*t),
                LEFT - 6.0,
                y(*t) + 4.0,
                esc(&(self.fmt)(*t))
            );
        }
        let base = CH - BOTTOM;
        let _ = writeln!(
            s,
            "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{base}\" y2=\"{base}\"/>",
            CW - RIGHT
        );
        for t in ticks(xs.lo, xs.hi, 5.0) {
            let _ = writeln!(
                s,
                "<line class=\"axis\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{base}\" y2=\"{:.1}\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                base + 4.0,
                base + 16.0,
                esc(&o.level(t)),
                x = xs.x(t)
            );
        }
        let _ = writeln!(
            s,
            "<text class=\"xl\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">level ({})</text>",
            (LEFT + CW - RIGHT) / 2.0,
            CH - 6.0,
            esc(&o.unit)
        );
        for (v, label) in &self.rules {
            let _ = writeln!(
                s,
                "<line class=\"rule\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text class=\"rl\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                CW - RIGHT,
                y(*v),
                y(*v),
                LEFT + 4.0,
                y(*v) - 4.0,
                esc(label)
            );
        }
        self.band_and_lines(&mut s, o, xs, &y);
        let cx = xs.x(o.levels[init].level);
        let _ = writeln!(
            s,
            "<line class=\"cursor\" x1=\"{cx}\" x2=\"{cx}\" y1=\"{TOP}\" y2=\"{base}\"/>\n</svg>"
        );
        s
    }

    fn band_and_lines(&self, s: &mut String, o: &Offer, xs: &XScale, y: &dyn Fn(f64) -> f64) {
        let lx = |i: usize| xs.x(o.levels[i].level);
        if let Some(band) = &self.band {
            let pts: Vec<(usize, (f64, f64))> = band
                .iter()
                .enumerate()
                .filter_map(|(i, b)| b.map(|b| (i, b)))
                .collect();
            let upper = pts
                .iter()
                .map(|(i, b)| format!("{:.1},{:.1}", lx(*i), y(b.1)));
            let lower = pts
                .iter()
                .rev()
                .map(|(i, b)| format!("{:.1},{:.1}", lx(*i), y(b.0)));
            let all: Vec<String> = upper.chain(lower).collect();
            let _ = writeln!(s, "<polygon class=\"band\" points=\"{}\"/>", all.join(" "));
        }
        for line in &self.series {
            let mut d = String::new();
            let mut pen = false;
            for (i, v) in line.ys.iter().enumerate() {
                match v {
                    Some(v) => {
                        let _ = write!(
                            d,
                            "{}{:.1} {:.1}",
                            if pen { 'L' } else { 'M' },
                            lx(i),
                            y(*v)
                        );
                        pen = true;
                    }
                    None => pen = false,
                }
            }
            let _ = writeln!(s, "<path class=\"{}\" d=\"{d}\"/>", line.class);
            for (i, v) in line.ys.iter().enumerate() {
                if let Some(v) = v {
                    let _ = writeln!(
                        s,
                        "<circle class=\"{} dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"><title>{}: {}</title></circle>",
                        line.class,
                        lx(i),
                        y(*v),
                        esc(&o.level_unit(o.levels[i].level)),
                        esc(&(self.fmt)(*v))
                    );
                }
            }
        }
    }
}

fn cards_fmt(x: f64) -> String {
    fmt_int(x)
}
fn p_fmt(x: f64) -> String {
    format!("{x:.1}")
}
fn bn_fmt(x: f64) -> String {
    fmt_dec(x / 1e9, 2)
}

/// The four charts against the level.
fn charts(o: &Offer) -> Vec<Chart> {
    let base = |f: fn(&Base) -> Option<f64>| o.levels.iter().map(|l| f(&l.base)).collect();
    let unc = |f: fn(&Uncertain) -> Option<f64>| {
        o.levels
            .iter()
            .map(|l| l.uncertain.as_ref().and_then(f))
            .collect::<Vec<_>>()
    };
    let sampled = o.levels.iter().any(|l| l.uncertain.is_some());
    let band = sampled.then(|| {
        o.levels
            .iter()
            .map(|l| l.uncertain.map(|u| (u.p10, u.p90)))
            .collect()
    });
    let line = |class: &'static str, ys: Vec<Option<f64>>| Series { class, ys };
    let mut cards = vec![line("base", base(|b| Some(b.cards)))];
    let mut bill = vec![line("base", base(|b| b.bill))];
    let mut rc = vec![line("base", base(|b| b.resource_change))];
    if sampled {
        cards.push(line("p50", unc(|u| Some(u.p50))));
        bill.push(line("mean", unc(|u| u.bill_mean)));
        rc.push(line("mean", unc(|u| u.resource_change_mean)));
    }
    vec![
        Chart {
            id: "chart-cards",
            title: "Cards won against the level",
            series: cards,
            band,
            rules: vec![(o.want, format!("wanted: {}", fmt_int(o.want)))],
            fixed: None,
            fmt: cards_fmt,
            key: "<span class=\"key base\"></span> scenario's own inputs <span class=\"key p50\"></span> median <span class=\"key band\"></span> p10 to p90 under the input ranges",
        },
        Chart {
            id: "chart-p-win",
            title: "P(cards ≥ wanted) against the level",
            series: vec![Series { class: "p", ys: unc(|u| Some(u.p_win)) }],
            band: None,
            rules: vec![(0.5, "0.5".into()), (0.9, "0.9".into())],
            fixed: Some((0.0, 1.0)),
            fmt: p_fmt,
            key: "<span class=\"key p\"></span> share of the samples whose plan reaches the cards wanted",
        },
        Chart {
            id: "chart-bill",
            title: "Subsidy bill against the level (bn CNY)",
            series: bill,
            band: None,
            rules: Vec::new(),
            fixed: None,
            fmt: bn_fmt,
            key: "<span class=\"key base\"></span> scenario's own inputs <span class=\"key mean\"></span> mean over the samples (bn CNY, NPV)",
        },
        Chart {
            id: "chart-resource",
            title: "Change of the cost to the country against the level (bn CNY)",
            series: rc,
            band: None,
            rules: Vec::new(),
            fixed: None,
            fmt: bn_fmt,
            key: "<span class=\"key base\"></span> scenario's own inputs <span class=\"key mean\"></span> mean over the samples (bn CNY, provider cost + bill, against no offer)",
        },
    ]
}

fn curves_section(body: &mut String, o: &Offer, init: usize, xs: &XScale) {
    body.push_str("<section id=\"curves\">\n<h2>Against the level</h2>\n<div class=\"curves\">\n");
    for c in charts(o) {
        let _ = writeln!(
            body,
            "<figure>\n<figcaption>{}</figcaption>\n{}<p class=\"note\">{}</p>\n</figure>",
            esc(c.title),
            c.svg(o, xs, init),
            c.key
        );
    }
    body.push_str("</div>\n<p class=\"note\">Dots: the levels computed; the vertical line: the level chosen with the slider.</p>\n</section>\n");
}

// ---------------------------------------------------------------- table

/// The table columns: (heading, id of [`numbers`]).
const COLUMNS: [(&str, &str); 17] = [
    ("level", "v-level"),
    ("status", "v-status"),
    ("cards won", "v-cards"),
    ("wins", "v-wins"),
    ("by site", "v-sites"),
    ("bill (bn CNY)", "v-bill"),
    ("provider change (bn CNY)", "v-provider-change"),
    ("cost to the country (bn CNY)", "v-resource-cost"),
    ("its change (bn CNY)", "v-resource-change"),
    ("near-opt. fewest", "v-near-min"),
    ("near-opt. most", "v-near-max"),
    ("P(win)", "v-p-win"),
    ("cards p10", "v-p10"),
    ("cards p50", "v-p50"),
    ("cards p90", "v-p90"),
    ("mean bill (bn CNY)", "v-bill-mean"),
    (
        "mean change to the country (bn CNY)",
        "v-resource-change-mean",
    ),
];

fn table_section(body: &mut String, o: &Offer, init: usize) {
    body.push_str("<section id=\"all-levels\">\n<h2>Every level</h2>\n<div class=\"scroll\">\n<table id=\"levels-table\">\n<thead><tr>");
    for (head, _) in COLUMNS {
        let _ = write!(body, "<th>{}</th>", esc(head));
    }
    body.push_str("</tr></thead>\n<tbody>\n");
    for (i, l) in o.levels.iter().enumerate() {
        let nums = numbers(o, l);
        let _ = write!(
            body,
            "<tr id=\"level-row-{i}\"{}>",
            if i == init { " class=\"current\"" } else { "" }
        );
        for (_, id) in COLUMNS {
            let n = nums.iter().find(|n| n.id == id);
            let class = if matches!(id, "v-status" | "v-wins" | "v-sites") {
                ""
            } else {
                " class=\"num\""
            };
            let _ = write!(
                body,
                "<td{class} data-value=\"{}\">{}</td>",
                esc(&n.map(|n| n.value.clone()).unwrap_or_default()),
                esc(&n.map(|n| n.text.clone()).unwrap_or_default())
            );
        }
        body.push_str("</tr>\n");
    }
    let _ = writeln!(
        body,
        "</tbody>\n</table>\n</div>\n<p class=\"note\">Level in {}. Bills and costs are net present values; changes are against no offer. Near-optimal ends marked ≤ or ≥ are not proven. The highlighted row is the level chosen with the slider.</p>\n</section>",
        esc(&o.unit)
    );
}

// ---------------------------------------------------------------- data

/// The page's data: per level, the texts and values of every number, the
/// place's circles and the cursor's x; `<` written as `\u003c`, so no `</`
/// can close the script element.
fn embedded_json(o: &Offer, map: &OfferMap, xs: &XScale) -> String {
    let levels: Vec<Value> = o
        .levels
        .iter()
        .map(|l| {
            let nums = numbers(o, l);
            let text: serde_json::Map<String, Value> = nums
                .iter()
                .map(|n| (n.id.to_string(), Value::String(n.text.clone())))
                .collect();
            let value: serde_json::Map<String, Value> = nums
                .iter()
                .map(|n| (n.id.to_string(), Value::String(n.value.clone())))
                .collect();
            let sites: serde_json::Map<String, Value> = map
                .sites
                .iter()
                .filter(|s| s.in_place)
                .map(|s| {
                    let (r, class, tip) = map.circle(o, l, s);
                    (s.id.clone(), serde_json::json!([r, class, tip]))
                })
                .collect();
            serde_json::json!({
                "text": text,
                "value": value,
                "sites": sites,
                "x": xs.x(l.level),
                "label": o.level_unit(l.level),
            })
        })
        .collect();
    let data = serde_json::json!({ "levels": levels });
    data.to_string().replace('<', "\\u003c")
}

/// The page's script: shows level `i` of the embedded data.
const OFFER_SCRIPT: &str = r#"
(function () {
  var data = JSON.parse(document.getElementById('offer-data').textContent);
  var slider = document.getElementById('level-slider');
  function show(i) {
    var l = data.levels[i];
    if (!l) { return; }
    Object.keys(l.text).forEach(function (id) {
      var e = document.getElementById(id);
      if (e) { e.textContent = l.text[id]; e.setAttribute('data-value', l.value[id]); }
    });
    Object.keys(l.sites).forEach(function (id) {
      var c = document.getElementById('site-' + id);
      if (!c) { return; }
      c.setAttribute('r', l.sites[id][0]);
      c.setAttribute('class', l.sites[id][1]);
      c.querySelector('title').textContent = l.sites[id][2];
    });
    document.querySelectorAll('line.cursor').forEach(function (c) {
      c.setAttribute('x1', l.x); c.setAttribute('x2', l.x);
    });
    document.querySelectorAll('#levels-table tbody tr').forEach(function (r, k) {
      r.className = k === i ? 'current' : '';
    });
    slider.setAttribute('aria-valuetext', l.label);
  }
  slider.addEventListener('input', function () { show(+slider.value); });
  slider.addEventListener('change', function () { show(+slider.value); });
  show(+slider.value);
})();
"#;

/// The page's own style, beside the report's.
const OFFER_STYLE: &str = r#"
p.answer{font-size:1.1em}
.slider{display:grid;grid-template-columns:auto 1fr auto;gap:4px 12px;align-items:center;max-width:900px;margin:8px 0}
.slider input{width:100%}
.slider .lv{font-size:1.2em;white-space:nowrap}
.slider .ticks{grid-column:2;display:flex;justify-content:space-between;font-size:11px;color:#666}
p.sentence{font-size:1.05em;background:#fbf7e9;border-left:4px solid #d9480f;padding:6px 10px}
.sites-line{font-size:13px}
circle.offer-site{fill:#d9480f;fill-opacity:0.85;stroke:#6e2200;stroke-width:1}
circle.offer-site.none{fill:#fff;fill-opacity:1;stroke:#6e2200;stroke-dasharray:3 2}
.curves{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:10px 18px}
.curves figure{margin:0}
.curves figcaption{font-weight:600;font-size:13px;margin:4px 0}
.curve path{fill:none;stroke-width:2}
.curve path.base,.curve circle.base{stroke:#d9480f}
.curve circle.base{fill:#d9480f}
.curve path.p50,.curve path.mean{stroke:#3f6fae;stroke-dasharray:5 3}
.curve circle.p50,.curve circle.mean{fill:#3f6fae}
.curve path.p{stroke:#2e7d32}
.curve circle.p{fill:#2e7d32}
.curve polygon.band{fill:#3f6fae;fill-opacity:0.18;stroke:none}
.curve line.rule{stroke:#999;stroke-dasharray:4 3}
.curve text.rl{font-size:11px;fill:#666}
.curve line.cursor{stroke:#222;stroke-width:1.5;stroke-opacity:0.6}
.curve text.xl{font-size:11px;fill:#666}
span.key{display:inline-block;width:18px;height:4px;vertical-align:middle;margin:0 4px 0 8px}
span.key.base{background:#d9480f}
span.key.p50,span.key.mean{background:#3f6fae}
span.key.band{background:#c5d3e8;height:10px}
span.key.p{background:#2e7d32}
#levels-table tr.current td{background:#fbf0d9;font-weight:600}
.printonly{display:none}
@media print{
  body{max-width:none;margin:0;padding:0 4mm;font-size:11px}
  .slider input,.slider label,.noprint,script{display:none}
  .printonly{display:block}
  .scroll{overflow:visible}
  table{font-size:9px}
  th,td{padding:2px 3px}
  td{white-space:normal}
  svg.map{max-width:100%;height:auto}
  .curves{grid-template-columns:1fr 1fr}
  svg.chart{max-width:100%;height:auto}
  section,figure,tr{break-inside:avoid}
  #levels-table tr.current td{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  p.sentence{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Offer {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/offer/offer.json");
        read(&file).expect("the fixture reads")
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(
            ticks(0.0, 8000.0, 5.0),
            vec![0.0, 2000.0, 4000.0, 6000.0, 8000.0]
        );
        assert_eq!(ticks(0.0, 1.0, 4.0), vec![0.0, 0.5, 1.0]);
        assert_eq!(bn_signed(Some(6.0e8)), "+0.60");
        assert_eq!(bn_signed(Some(-4.0e7)), "−0.04");
        assert_eq!(bn_signed(Some(1.0e6)), "0.00");
        assert_eq!(whole(Some(-0.2)), "0");
    }

    #[test]
    fn the_fixture_page_has_every_level_and_number() {
        let o = fixture();
        let html = build(&o, &[]);
        // One table row and one data entry per level.
        assert_eq!(html.matches("<tr id=\"level-row-").count(), o.levels.len());
        let data = html.split("id=\"offer-data\">").nth(1).unwrap();
        let data = data.split("</script>").next().unwrap();
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["levels"].as_array().unwrap().len(), o.levels.len());
        // It opens at the break-even level, whose numbers are in the page.
        let i = o.initial();
        assert_eq!(Some(o.levels[i].level), o.answers[0]);
        let l = &o.levels[i];
        assert!(html.contains(&format!(
            "<span id=\"v-cards\" data-value=\"{}\">{}</span>",
            l.base.cards,
            fmt_int(l.base.cards)
        )));
        assert!(html.contains(&format!("value=\"{i}\"")));
        // Unproven near-optimal ends are marked.
        let marks = o
            .levels
            .iter()
            .filter_map(|l| l.base.near)
            .filter(|n| !n.max_proven)
            .count();
        assert!(marks > 0);
        assert_eq!(
            html.matches("\">≥ ").count(),
            marks + usize::from(!l.base.near.unwrap().max_proven)
        );
        for id in [
            "v-bill",
            "v-p-win",
            "v-level",
            "v-resource-change",
            "a-breakeven",
            "a-level-p50",
            "a-level-p90",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        // One circle per site of the place, a hollow one for every other.
        let in_place = o.sites.iter().filter(|s| s.in_place).count();
        assert_eq!(html.matches("<circle id=\"site-").count(), in_place);
        assert_eq!(
            html.matches(": candidate site, not ").count(),
            o.sites.len() - in_place,
            "candidate circles with a tooltip (the legend's has none)"
        );
        assert!(!html.to_ascii_lowercase().contains("http"));
    }

    #[test]
    fn embedded_json_cannot_close_its_script() {
        let mut o = fixture();
        o.place.name = "A</script><script>alert(1)</script>".into();
        o.sites[0].name = "B</script>".into();
        let html = build(&o, &[]);
        let data = html.split("id=\"offer-data\">").nth(1).unwrap();
        let (json, _) = data.split_once("</script>").unwrap();
        assert!(!json.contains('<'));
        let v: Value = serde_json::from_str(json).unwrap();
        assert!(v.to_string().contains("A</script>"));
        assert!(!html.contains("<script>alert"));
    }

    #[test]
    fn malformed_offer_json_names_the_key() {
        let file = Path::new("offer.json");
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/offer/offer.json"),
        )
        .unwrap();
        let good: Value = serde_json::from_str(&text).unwrap();
        type Break = fn(&mut Value);
        let cases: [(&str, Break); 5] = [
            ("levels[1].base.cards_won", |v| {
                v["levels"][1]["base"]["cards_won"] = "lots".into()
            }),
            ("kind", |v| v["kind"] = "solve".into()),
            ("levels[2].uncertain.p_win", |v| {
                v["levels"][2]["uncertain"]["p_win"] = 1.5.into()
            }),
            ("answers", |v| v["answers"] = Value::Null),
            ("levels[1].level", |v| {
                v["levels"][1]["level"] = (-1.0).into()
            }),
        ];
        for (key, spoil) in cases {
            let mut v = good.clone();
            spoil(&mut v);
            let e = parse(file, &v).unwrap_err().to_string();
            assert!(
                e.starts_with("offer.json: key `") && e.contains(&format!("`{key}`")),
                "{e}"
            );
        }
    }
}
