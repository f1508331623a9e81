//! The map: an Albers equal-area conic projection fitted to China (through
//! PROJ, `spatial::MapProjection`, built once per report), the
//! outline (embedded), and the plan's layers drawn as inline SVG.

use std::fmt::Write as _;
use std::rc::Rc;

use super::html::{esc, fmt_int, fmt_signed};
use super::input::{parse_geojson, Expect, Feature, Geometry, LonLat};
use crate::spatial::MapProjection;

/// The schematic outline of China (mainland, Taiwan, Hong Kong), from
/// Natural Earth 1:50m via the npm package world-atlas; see data/SOURCES.md.
pub const CHINA_OUTLINE: &str = include_str!("../../data/china_outline.geojson");

/// The outline's features (parsed from [`CHINA_OUTLINE`]).
pub fn outline() -> Vec<Feature> {
    parse_geojson(CHINA_OUTLINE, Expect::Polygons)
        .expect("data/china_outline.geojson is valid GeoJSON (checked by a unit test)")
}

thread_local! {
    /// The China Albers projection ([`crate::spatial::CHINA_ALBERS`], through
    /// PROJ), built once per thread: once per report.
    static CHINA_ALBERS: Rc<MapProjection> = Rc::new(
        MapProjection::china_albers()
            .expect("PROJ builds the China Albers conic (a PROJ string, no database needed)"),
    );
}

/// The China Albers projection of the report's maps.
pub fn china_albers() -> Rc<MapProjection> {
    CHINA_ALBERS.with(Rc::clone)
}

/// `(x, y)` metres of `(lon, lat)` (NaN where PROJ has no image; positions
/// are checked to be longitudes and latitudes when read).
fn project(proj: &MapProjection, lon: f64, lat: f64) -> (f64, f64) {
    proj.project(lon, lat).unwrap_or((f64::NAN, f64::NAN))
}

/// A projection fitted into an SVG box: `(lon, lat)` → pixels, y down.
#[derive(Debug, Clone)]
pub struct Frame {
    proj: Rc<MapProjection>,
    x0: f64,
    y1: f64,
    scale: f64,
    pad: f64,
    /// Width of the SVG in pixels.
    pub width: f64,
    /// Height of the SVG in pixels.
    pub height: f64,
}

impl Frame {
    /// Fits every position of `features` into `width` pixels (plus a margin).
    pub fn fit(proj: Rc<MapProjection>, features: &[Feature], width: f64) -> Frame {
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for f in features {
            for_each_position(&f.geometry, |(lon, lat)| {
                let (x, y) = project(&proj, lon, lat);
                if !(x.is_finite() && y.is_finite()) {
                    return;
                }
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            });
        }
        let pad = 20.0;
        let scale = (width - 2.0 * pad) / (x1 - x0);
        Frame {
            proj,
            x0,
            y1,
            scale,
            pad,
            width,
            height: ((y1 - y0) * scale + 2.0 * pad).ceil(),
        }
    }

    /// Pixel position of `(lon, lat)`.
    pub fn xy(&self, (lon, lat): LonLat) -> (f64, f64) {
        let (x, y) = project(&self.proj, lon, lat);
        (
            (x - self.x0) * self.scale + self.pad,
            (self.y1 - y) * self.scale + self.pad,
        )
    }

    /// SVG path data for polygons (each ring closed with `Z`).
    pub fn polygons_path(&self, polys: &[Vec<Vec<LonLat>>]) -> String {
        let mut d = String::new();
        for ring in polys.iter().flatten() {
            self.append_points(&mut d, ring);
            d.push('Z');
        }
        d
    }

    /// SVG path data for lines.
    pub fn lines_path(&self, lines: &[Vec<LonLat>]) -> String {
        let mut d = String::new();
        for line in lines {
            self.append_points(&mut d, line);
        }
        d
    }

    fn append_points(&self, d: &mut String, pts: &[LonLat]) {
        let mut last = String::new();
        for (i, &p) in pts.iter().enumerate() {
            let (x, y) = self.xy(p);
            let xy = format!("{x:.1} {y:.1}");
            if i > 0 && xy == last {
                continue;
            }
            d.push(if i == 0 { 'M' } else { 'L' });
            d.push_str(&xy);
            last = xy;
        }
    }
}

fn for_each_position(g: &Geometry, mut f: impl FnMut(LonLat)) {
    match g {
        Geometry::Point(p) => f(*p),
        Geometry::Lines(ls) => ls.iter().flatten().for_each(|&p| f(p)),
        Geometry::Polygons(ps) => ps.iter().flatten().flatten().for_each(|&p| f(p)),
    }
}

const MAP_WIDTH: f64 = 960.0;
const MAX_RADIUS: f64 = 28.0;
const MIN_RADIUS: f64 = 3.5;
const REACH_COLOURS: [&str; 8] = [
    "#1f77b4", "#9467bd", "#2ca02c", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22",
];

/// The map frame: China's outline fitted into the standard width.
fn china_frame(outline: &[Feature]) -> Frame {
    Frame::fit(china_albers(), outline, MAP_WIDTH)
}

fn svg_open(out: &mut String, frame: &Frame, id: &str, title: &str) {
    let _ = writeln!(
        out,
        "<svg id=\"{}\" class=\"map\" viewBox=\"0 0 {:.0} {:.0}\" width=\"{:.0}\" height=\"{:.0}\" role=\"img\" aria-label=\"{}\">",
        esc(id),
        frame.width,
        frame.height,
        frame.width,
        frame.height,
        esc(title)
    );
    let _ = writeln!(
        out,
        "<rect class=\"sea\" x=\"0\" y=\"0\" width=\"{:.0}\" height=\"{:.0}\"/>",
        frame.width, frame.height
    );
}

fn draw_outline(out: &mut String, frame: &Frame, outline: &[Feature]) {
    out.push_str("<g class=\"outline\">\n");
    for f in outline {
        if let Geometry::Polygons(ps) = &f.geometry {
            let name = f.text("name").unwrap_or_default();
            let _ = writeln!(
                out,
                "<path d=\"{}\"><title>{}</title></path>",
                frame.polygons_path(ps),
                esc(&name)
            );
        }
    }
    out.push_str("</g>\n");
}

/// Area-true radius: `cards / max` of the largest circle's area.
fn radius(cards: f64, max: f64) -> f64 {
    if cards <= 0.0 || max <= 0.0 {
        return 0.0;
    }
    (MAX_RADIUS * (cards / max).sqrt()).max(MIN_RADIUS)
}

/// Round `x` down to 1, 2 or 5 × a power of ten.
fn nice_below(x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let p = 10f64.powf(x.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&v| v <= x)
        .unwrap_or(p)
}

/// A box `(x0, y0, x1, y1)` in pixels.
type Rect = (f64, f64, f64, f64);

fn overlaps(a: Rect, b: Rect) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// A label for a circle at `(x, y)` with radius `r`.
struct Label {
    x: f64,
    y: f64,
    r: f64,
    text: String,
}

/// Writes the labels, each at the first of eight places around its circle
/// where it overlaps no label placed before it, no other labelled circle and
/// not the legend, inside the frame (else at the first place). Text width is estimated at
/// 7 px per character (12 px bold sans-serif).
fn place_labels(out: &mut String, labels: &[Label], legend: Rect, frame: &Frame) {
    let circles: Vec<Rect> = labels
        .iter()
        .map(|l| (l.x - l.r, l.y - l.r, l.x + l.r, l.y + l.r))
        .collect();
    let mut placed: Vec<Rect> = vec![legend];
    out.push_str("<g class=\"labels\">\n");
    for (i, l) in labels.iter().enumerate() {
        let w = 7.0 * l.text.chars().count() as f64;
        let (h, d) = (13.0, l.r * 0.72 + 3.0);
        // (x of the text's left edge, baseline y)
        let spots = [
            (l.x + d, l.y - d),
            (l.x + d, l.y + d + h - 2.0),
            (l.x - d - w, l.y - d),
            (l.x - d - w, l.y + d + h - 2.0),
            (l.x + l.r + 4.0, l.y + 4.0),
            (l.x - l.r - 4.0 - w, l.y + 4.0),
            (l.x - w / 2.0, l.y - l.r - 4.0),
            (l.x - w / 2.0, l.y + l.r + h),
        ];
        let boxed = |(tx, ty): (f64, f64)| (tx, ty - h + 2.0, tx + w, ty + 3.0);
        let (tx, ty) = spots
            .iter()
            .copied()
            .find(|&s| {
                let b = boxed(s);
                b.0 >= 2.0
                    && b.1 >= 2.0
                    && b.2 <= frame.width - 2.0
                    && b.3 <= frame.height - 2.0
                    && !placed.iter().any(|&p| overlaps(b, p))
                    && !circles
                        .iter()
                        .enumerate()
                        .any(|(j, &c)| j != i && overlaps(b, c))
            })
            .unwrap_or(spots[0]);
        placed.push(boxed((tx, ty)));
        let _ = writeln!(
            out,
            "<text x=\"{tx:.1}\" y=\"{ty:.1}\">{}</text>",
            esc(&l.text)
        );
    }
    out.push_str("</g>\n");
}

struct Legend {
    rows: String,
    y: f64,
}

impl Legend {
    fn new() -> Legend {
        Legend {
            rows: String::new(),
            y: 26.0,
        }
    }
    fn text(&mut self, x: f64, label: &str) {
        let _ = writeln!(
            self.rows,
            "<text x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
            self.y + 4.0,
            esc(label)
        );
    }
    fn heading(&mut self, label: &str) {
        let _ = writeln!(
            self.rows,
            "<text class=\"lh\" x=\"12\" y=\"{:.1}\">{}</text>",
            self.y + 4.0,
            esc(label)
        );
        self.y += 20.0;
    }
    /// A row with a circle of `class` and radius `r`, and its label.
    fn circle(&mut self, class: &str, r: f64, label: &str) {
        let _ = writeln!(
            self.rows,
            "<circle class=\"{class}\" cx=\"22\" cy=\"{:.1}\" r=\"{r}\"/>",
            self.y
        );
        self.text(40.0, label);
        self.y += 20.0;
    }
    /// The legend's box: `(x0, y0, x1, y1)`.
    fn rect(&self) -> Rect {
        (4.0, 4.0, 240.0, 4.0 + self.y)
    }
    fn finish(self, out: &mut String) {
        let _ = writeln!(
            out,
            "<g class=\"legend\"><rect x=\"4\" y=\"4\" width=\"236\" height=\"{:.0}\" rx=\"4\"/>",
            self.y
        );
        out.push_str(&self.rows);
        out.push_str("</g>\n");
    }
}

/// A feature's display name: `name_en`, else `site_id`, else empty.
fn site_name(f: &Feature) -> String {
    f.text("name_en")
        .or_else(|| f.text("site_id"))
        .unwrap_or_default()
}

/// The plan's map: outline, reach areas, flows, candidate and built sites
/// with labels, and a legend.
pub fn plan_map(sites: &[Feature], flows: &[Feature], reach: &[Feature]) -> String {
    let outline = outline();
    let frame = china_frame(&outline);
    let mut out = String::new();
    svg_open(&mut out, &frame, "plan-map", "Map of the plan");
    draw_outline(&mut out, &frame, &outline);
    draw_reach(&mut out, &frame, reach);
    let flow_scale = FlowScale::of(flows);
    draw_flows(&mut out, &frame, flows, &flow_scale);
    let candidates_undecided = draw_candidates(&mut out, &frame, sites);
    let built = draw_built_sites(&mut out, &frame, sites);
    let marks = PlanMarks {
        max_cards: built.max_cards,
        any_mega: built.any_mega,
        any_undecided: candidates_undecided || built.any_undecided,
        flow_scale,
        has_reach: !reach.is_empty(),
    };
    let lg = plan_legend(&marks);
    place_labels(&mut out, &built.labels, lg.rect(), &frame);
    lg.finish(&mut out);
    out.push_str("</svg>\n");
    out
}

/// The reach areas: each site's area within its RTT budget, one colour per
/// site in turn.
fn draw_reach(out: &mut String, frame: &Frame, reach: &[Feature]) {
    out.push_str("<g class=\"reach\">\n");
    for (i, f) in reach.iter().enumerate() {
        if let Geometry::Polygons(ps) = &f.geometry {
            let c = REACH_COLOURS[i % REACH_COLOURS.len()];
            let name = site_name(f);
            let mut tip = format!("within the RTT budget of {name}");
            if let Some(ms) = f.num("rtt_budget_ms") {
                let _ = write!(tip, " ({ms} ms");
                if let Some(km) = f.num("radius_km") {
                    let _ = write!(tip, ", {} km", fmt_int(km));
                }
                tip.push(')');
            }
            let _ = writeln!(
                out,
                "<path d=\"{}\" fill=\"{c}\" stroke=\"{c}\"><title>{}</title></path>",
                frame.polygons_path(ps),
                esc(&tip)
            );
        }
    }
    out.push_str("</g>\n");
}

/// The stroke widths of the flows: proportional to the cards served, from
/// 0.6 px to 7 px at the largest flow.
struct FlowScale {
    /// The largest flow's H200-eq cards (0 when there are none).
    max: f64,
}

impl FlowScale {
    fn of(flows: &[Feature]) -> FlowScale {
        FlowScale {
            max: flows
                .iter()
                .filter_map(|f| f.num("cards_h200_eq"))
                .fold(0.0, f64::max),
        }
    }
    /// The stroke width of a flow of `c` cards.
    fn width(&self, c: f64) -> f64 {
        if self.max > 0.0 {
            0.6 + 6.4 * (c / self.max).clamp(0.0, 1.0)
        } else {
            0.6
        }
    }
}

/// The flows from demand cities to sites, then a dot at each flow's city.
fn draw_flows(out: &mut String, frame: &Frame, flows: &[Feature], scale: &FlowScale) {
    out.push_str("<g class=\"flows\">\n");
    let mut ends = String::new();
    for f in flows {
        if let Geometry::Lines(ls) = &f.geometry {
            let c = f.num("cards_h200_eq").unwrap_or(0.0);
            let from = f
                .text("node_name_en")
                .or_else(|| f.text("node_id"))
                .unwrap_or_default();
            let to = f
                .text("site_name_en")
                .or_else(|| f.text("site_id"))
                .unwrap_or_default();
            let mut tip = format!("{from} → {to}: {} H200-eq cards", fmt_int(c));
            if let Some(rtt) = f.num("rtt_ms") {
                let _ = write!(tip, ", RTT {rtt:.1} ms");
            }
            let _ = writeln!(
                out,
                "<path d=\"{}\" stroke-width=\"{:.2}\"><title>{}</title></path>",
                frame.lines_path(ls),
                scale.width(c),
                esc(&tip)
            );
            if let Some(&p) = ls.first().and_then(|l| l.first()) {
                let (x, y) = frame.xy(p);
                let _ = writeln!(
                    ends,
                    "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2\"><title>{}</title></circle>",
                    esc(&from)
                );
            }
        }
    }
    out.push_str("</g>\n<g class=\"cities\">\n");
    out.push_str(&ends);
    out.push_str("</g>\n");
}

/// Whether a site is built: its `built` flag, else whether it has cards.
fn is_built(f: &Feature) -> bool {
    f.flag("built")
        .unwrap_or_else(|| f.num("cards_total").unwrap_or(0.0) > 0.0)
}

/// Whether a site's near-optimal range includes 0 (`solve --near-optimal`):
/// other plans within the cost share leave it out, so cost does not decide
/// it. Marked with a dashed ring.
fn is_undecided(f: &Feature) -> bool {
    f.flag("not_decided_by_cost").unwrap_or(false)
}

/// The tooltip's note on a site not decided by cost, with its near-optimal
/// range where the file has it.
fn undecided_tip(f: &Feature) -> String {
    match (f.num("cards_min_near_opt"), f.num("cards_max_near_opt")) {
        (Some(lo), Some(hi)) => format!(
            "; not decided by cost: {} to {} cards in plans within the cost share",
            fmt_int(lo),
            fmt_int(hi)
        ),
        _ => "; not decided by cost".to_string(),
    }
}

/// The candidate sites that are not built; true when one of them is not
/// decided by cost.
fn draw_candidates(out: &mut String, frame: &Frame, sites: &[Feature]) -> bool {
    let mut any_undecided = false;
    out.push_str("<g class=\"candidates\">\n");
    for f in sites.iter().filter(|f| !is_built(f)) {
        if let Geometry::Point(p) = f.geometry {
            let (x, y) = frame.xy(p);
            let name = site_name(f);
            let mut tip = format!("{name}: not built");
            if let Some(r) = f.text("not_built_reason") {
                let _ = write!(tip, " ({r})");
            }
            if is_undecided(f) {
                any_undecided = true;
                tip.push_str(&undecided_tip(f));
                let _ = writeln!(
                    out,
                    "<circle class=\"undecided\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\"/>"
                );
            }
            let _ = writeln!(
                out,
                "<circle class=\"candidate\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\"><title>{}</title></circle>",
                esc(&tip)
            );
        }
    }
    out.push_str("</g>\n");
    any_undecided
}

/// What drawing the built sites leaves for the labels and the legend.
struct BuiltSites {
    labels: Vec<Label>,
    /// The largest site's cards (0 when none is built).
    max_cards: f64,
    any_mega: bool,
    any_undecided: bool,
}

/// The built sites, the largest first so that small circles stay on top.
fn draw_built_sites(out: &mut String, frame: &Frame, sites: &[Feature]) -> BuiltSites {
    let mut built_sites: Vec<&Feature> = sites.iter().filter(|f| is_built(f)).collect();
    let cards = |f: &Feature| f.num("cards_total").unwrap_or(0.0);
    built_sites.sort_by(|a, b| cards(b).total_cmp(&cards(a)));
    let max_cards = built_sites.first().map(|f| cards(f)).unwrap_or(0.0);
    let accel_keys = accelerator_keys(sites);
    let mut drawn = BuiltSites {
        labels: Vec::new(),
        max_cards,
        any_mega: false,
        any_undecided: false,
    };
    out.push_str("<g class=\"sites\">\n");
    for f in &built_sites {
        let Geometry::Point(p) = f.geometry else {
            continue;
        };
        let (x, y) = frame.xy(p);
        let c = cards(f);
        let r = radius(c, max_cards).max(MIN_RADIUS);
        let name = site_name(f);
        let mut tip = built_tip(f, &name, c, &accel_keys);
        if is_undecided(f) {
            drawn.any_undecided = true;
            tip.push_str(&undecided_tip(f));
            let _ = writeln!(
                out,
                "<circle class=\"undecided\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{:.1}\"/>",
                r + 5.0
            );
        }
        let mega = f.flag("mega_cluster").unwrap_or(false);
        if mega {
            drawn.any_mega = true;
            tip.push_str(", training cluster");
            let _ = writeln!(
                out,
                "<circle class=\"mega\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{:.1}\"/>",
                r + 3.0
            );
        }
        let _ = writeln!(
            out,
            "<circle class=\"site\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\"><title>{}</title></circle>",
            esc(&tip)
        );
        drawn.labels.push(Label {
            x,
            y,
            r: if mega { r + 3.0 } else { r },
            text: name,
        });
    }
    out.push_str("</g>\n");
    drawn
}

/// The per-accelerator card fields (`cards_<accelerator>`, not
/// `cards_total`), in the first site's order.
fn accelerator_keys(sites: &[Feature]) -> Vec<String> {
    sites
        .first()
        .map(|f| {
            f.props
                .keys()
                .filter(|k| k.starts_with("cards_") && *k != "cards_total")
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// A built site's tooltip: its cards (with those of each accelerator it
/// has), IT power and cooling.
fn built_tip(f: &Feature, name: &str, cards: f64, accel_keys: &[String]) -> String {
    let mut tip = format!("{name}: {} cards", fmt_int(cards));
    let parts: Vec<String> = accel_keys
        .iter()
        .filter_map(|k| {
            let v = f.num(k)?;
            (v > 0.0).then(|| format!("{} {}", fmt_int(v), &k["cards_".len()..]))
        })
        .collect();
    if !parts.is_empty() {
        let _ = write!(tip, " ({})", parts.join(", "));
    }
    if let Some(mw) = f.num("it_mw") {
        let _ = write!(tip, ", {mw:.1} MW IT");
    }
    if let Some(cool) = f.text("cooling") {
        let _ = write!(tip, ", {cool}");
    }
    tip
}

/// What the plan map drew, for its legend.
struct PlanMarks {
    max_cards: f64,
    any_mega: bool,
    any_undecided: bool,
    flow_scale: FlowScale,
    has_reach: bool,
}

/// The plan map's legend: a row for each kind of mark the map drew.
fn plan_legend(m: &PlanMarks) -> Legend {
    let mut lg = Legend::new();
    lg.heading("Legend");
    if m.max_cards > 0.0 {
        legend_site_sizes(&mut lg, m.max_cards);
    }
    if m.any_mega {
        let _ = writeln!(
            lg.rows,
            "<circle class=\"mega\" cx=\"22\" cy=\"{:.1}\" r=\"8\"/><circle class=\"site\" cx=\"22\" cy=\"{:.1}\" r=\"5\"/>",
            lg.y, lg.y
        );
        lg.text(40.0, "training cluster (mega)");
        lg.y += 20.0;
    }
    lg.circle("candidate", 3.0, "candidate site, not built");
    if m.any_undecided {
        lg.circle(
            "undecided",
            7.0,
            "not decided by cost (near-optimal range includes 0)",
        );
    }
    if m.flow_scale.max > 0.0 {
        legend_flows(&mut lg, &m.flow_scale);
    }
    if m.has_reach {
        let _ = writeln!(
            lg.rows,
            "<rect class=\"reachkey\" x=\"12\" y=\"{:.1}\" width=\"22\" height=\"12\"/>",
            lg.y - 6.0
        );
        lg.text(40.0, "within RTT budget of a site");
        lg.y += 20.0;
    }
    legend_land(&mut lg);
    lg
}

/// Two reference circles for built sites, sized against `max_cards`.
fn legend_site_sizes(lg: &mut Legend, max_cards: f64) {
    let big = nice_below(max_cards);
    let refs = [big, nice_below(big / 4.0)];
    let cx = 12.0 + MAX_RADIUS;
    let base = lg.y + 2.0 * MAX_RADIUS;
    for v in refs {
        let r = radius(v, max_cards);
        let _ = writeln!(
            lg.rows,
            "<circle class=\"site\" cx=\"{cx:.1}\" cy=\"{:.1}\" r=\"{r:.1}\"/>",
            base - r
        );
        let _ = writeln!(
            lg.rows,
            "<text x=\"{:.1}\" y=\"{:.1}\">{} cards</text>",
            cx + MAX_RADIUS + 10.0,
            base - 2.0 * r + 4.0,
            fmt_int(v)
        );
    }
    lg.y = base + 12.0;
    lg.text(12.0, "built site (circle area ∝ cards)");
    lg.y += 20.0;
}

/// Two reference flows (the largest and a quarter of it) and the city dot.
fn legend_flows(lg: &mut Legend, scale: &FlowScale) {
    for v in [scale.max, scale.max / 4.0] {
        let _ = writeln!(
            lg.rows,
            "<line class=\"flow\" x1=\"12\" y1=\"{y:.1}\" x2=\"34\" y2=\"{y:.1}\" stroke-width=\"{:.2}\"/>",
            scale.width(v),
            y = lg.y
        );
        lg.text(40.0, &format!("{} H200-eq cards served", fmt_int(v)));
        lg.y += 18.0;
    }
    let _ = writeln!(
        lg.rows,
        "<circle class=\"city\" cx=\"23\" cy=\"{:.1}\" r=\"2\"/>",
        lg.y
    );
    lg.text(40.0, "demand city");
    lg.y += 20.0;
}

/// The legend's last row: the key for China's outline.
fn legend_land(lg: &mut Legend) {
    let _ = writeln!(
        lg.rows,
        "<rect class=\"landkey\" x=\"12\" y=\"{:.1}\" width=\"22\" height=\"12\"/>",
        lg.y - 6.0
    );
    lg.text(40.0, "China (schematic outline)");
    lg.y += 12.0;
}

/// One pair of a comparison's change map: the change in cards of `scenario`
/// against `reference`.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffPair {
    /// The scenario whose change is drawn.
    pub scenario: String,
    /// The first scenario of the comparison, against which it is measured.
    pub reference: String,
    /// Whether the comparison has only two scenarios.
    pub only_pair: bool,
}

impl DiffPair {
    /// A site's change in cards: `delta_cards_<scenario>`, else
    /// `cards_<scenario>` − `cards_<reference>`, else (an older diff.geojson of
    /// two scenarios) `delta_cards`; 0 when the file says nothing.
    pub fn delta(&self, f: &Feature) -> f64 {
        if let Some(d) = f.num(&format!("delta_cards_{}", self.scenario)) {
            return d;
        }
        if let (Some(a), Some(b)) = (
            f.num(&format!("cards_{}", self.scenario)),
            f.num(&format!("cards_{}", self.reference)),
        ) {
            return a - b;
        }
        if self.only_pair {
            return f.num("delta_cards").unwrap_or(0.0);
        }
        0.0
    }
    /// What the delta is read from, for the note under the map.
    pub fn source(&self, diff: &[Feature]) -> String {
        let field = format!("delta_cards_{}", self.scenario);
        let has = |k: &str| diff.iter().any(|f| f.props.contains_key(k));
        if has(&field) {
            field
        } else if has(&format!("cards_{}", self.scenario))
            && has(&format!("cards_{}", self.reference))
        {
            format!("cards_{} − cards_{}", self.scenario, self.reference)
        } else if self.only_pair {
            "delta_cards".into()
        } else {
            "nothing (no field for this pair)".into()
        }
    }
}

/// A comparison's map from diff.geojson for one pair: one circle per site
/// whose cards change (area ∝ |change|, green gain, red loss), a small
/// hollow marker where nothing changes. The SVG gets the id `id`.
pub fn diff_map(diff: &[Feature], scenarios: &[String], pair: &DiffPair, id: &str) -> String {
    let outline = outline();
    let frame = china_frame(&outline);
    let mut out = String::new();
    svg_open(
        &mut out,
        &frame,
        id,
        &format!(
            "Map of the change in cards per site, {} against {}",
            pair.scenario, pair.reference
        ),
    );
    draw_outline(&mut out, &frame, &outline);
    let delta = |f: &Feature| pair.delta(f);
    let mut changed: Vec<&Feature> = diff.iter().filter(|f| delta(f) != 0.0).collect();
    changed.sort_by(|a, b| delta(b).abs().total_cmp(&delta(a).abs()));
    let max = changed.first().map(|f| delta(f).abs()).unwrap_or(0.0);
    out.push_str("<g class=\"candidates\">\n");
    for f in diff.iter().filter(|f| delta(f) == 0.0) {
        if let Geometry::Point(p) = f.geometry {
            let (x, y) = frame.xy(p);
            let _ = writeln!(
                out,
                "<circle class=\"candidate\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\"><title>{}</title></circle>",
                esc(&diff_tip(f, pair, scenarios))
            );
        }
    }
    out.push_str("</g>\n");
    let labels = draw_changes(&mut out, &frame, &changed, max, pair, scenarios);
    let lg = diff_legend(max, pair);
    place_labels(&mut out, &labels, lg.rect(), &frame);
    lg.finish(&mut out);
    out.push_str("</svg>\n");
    out
}

/// A site's tooltip on the change map: its change in cards for `pair`, then
/// its cards in each scenario that has them.
fn diff_tip(f: &Feature, pair: &DiffPair, scenarios: &[String]) -> String {
    let mut tip = format!(
        "{}: Δ {} cards ({} against {})",
        site_name(f),
        fmt_signed(pair.delta(f)),
        pair.scenario,
        pair.reference
    );
    for s in scenarios {
        if let Some(v) = f.num(&format!("cards_{s}")) {
            let _ = write!(tip, "; {s} {}", fmt_int(v));
        }
    }
    tip
}

/// The sites whose cards change (`changed`, the largest change first), a
/// circle each sized against `max`; returns their labels.
fn draw_changes(
    out: &mut String,
    frame: &Frame,
    changed: &[&Feature],
    max: f64,
    pair: &DiffPair,
    scenarios: &[String],
) -> Vec<Label> {
    out.push_str("<g class=\"sites\">\n");
    let mut labels: Vec<Label> = Vec::new();
    for f in changed {
        let Geometry::Point(p) = f.geometry else {
            continue;
        };
        let (x, y) = frame.xy(p);
        let d = pair.delta(f);
        let r = radius(d.abs(), max);
        let class = if d > 0.0 { "gain" } else { "loss" };
        let _ = writeln!(
            out,
            "<circle class=\"{class}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\"><title>{}</title></circle>",
            esc(&diff_tip(f, pair, scenarios))
        );
        labels.push(Label {
            x,
            y,
            r,
            text: format!("{} {}", site_name(f), fmt_signed(d)),
        });
    }
    out.push_str("</g>\n");
    labels
}

/// The change map's legend: a reference circle (when anything changes),
/// gain, loss, no change and China's outline.
fn diff_legend(max: f64, pair: &DiffPair) -> Legend {
    let mut lg = Legend::new();
    lg.heading("Legend");
    if max > 0.0 {
        let v = nice_below(max);
        let r = radius(v, max);
        let _ = writeln!(
            lg.rows,
            "<circle class=\"gain\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r:.1}\"/>",
            12.0 + MAX_RADIUS,
            lg.y + MAX_RADIUS
        );
        lg.y += MAX_RADIUS;
        lg.text(20.0 + 2.0 * MAX_RADIUS, &format!("{} cards", fmt_signed(v)));
        lg.y += MAX_RADIUS + 16.0;
        lg.circle("gain", 6.0, &format!("more cards in {}", pair.scenario));
        lg.circle("loss", 6.0, &format!("fewer cards in {}", pair.scenario));
    }
    lg.circle("candidate", 3.0, "site, no change");
    legend_land(&mut lg);
    lg
}

/// The map of a sweep's `robust.geojson`: each site a circle coloured by how
/// often it is built (`p_built`, the classes of `robust.qml`) and sized by
/// its mean cards; never-built sites small and hollow.
pub fn probability_map(sites: &[Feature]) -> String {
    let outline = outline();
    let frame = china_frame(&outline);
    let mut out = String::new();
    svg_open(
        &mut out,
        &frame,
        "probability-map",
        "How often each site is built",
    );
    draw_outline(&mut out, &frame, &outline);
    let mean = |f: &Feature| f.num("cards_mean").unwrap_or(0.0);
    let max_cards = sites.iter().map(mean).fold(0.0, f64::max);
    let mut order: Vec<&Feature> = sites.iter().collect();
    order.sort_by(|a, b| mean(b).total_cmp(&mean(a)));
    out.push_str("<g class=\"sites\">\n");
    for f in order {
        let Geometry::Point(p) = f.geometry else {
            continue;
        };
        let (x, y) = frame.xy(p);
        let pb = f.num("p_built").unwrap_or(0.0);
        let name = f
            .text("name_en")
            .or_else(|| f.text("site_id"))
            .unwrap_or_default();
        let mut tip = format!("{name}: built in {:.0} % of the scenarios", 100.0 * pb);
        if pb > 0.0 {
            let _ = write!(
                tip,
                ", mean {} cards (p10 {}, p90 {})",
                fmt_int(mean(f)),
                fmt_int(f.num("cards_p10").unwrap_or(0.0)),
                fmt_int(f.num("cards_p90").unwrap_or(0.0))
            );
            if let Some(k) = f.text("cooling_mode") {
                let _ = write!(tip, ", mostly {k}");
            }
        }
        let fill = match pb {
            x if x <= 0.0 => "none",
            x if x <= 0.25 => "#fed976",
            x if x <= 0.5 => "#fd8d3c",
            x if x <= 0.75 => "#e31a1c",
            _ => "#800026",
        };
        let r = if pb > 0.0 {
            radius(mean(f), max_cards).max(MIN_RADIUS)
        } else {
            3.0
        };
        let _ = writeln!(
            out,
            "<circle class=\"p-built\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" fill=\"{fill}\" stroke=\"#333\" data-p-built=\"{pb}\"><title>{}</title></circle>",
            esc(&tip)
        );
    }
    out.push_str("</g>\n</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_outline_parses_and_covers_china() {
        let o = outline();
        let names: Vec<String> = o.iter().filter_map(|f| f.text("name")).collect();
        assert!(names.contains(&"China".to_string()), "{names:?}");
        assert!(names.contains(&"Taiwan".to_string()), "{names:?}");
        let frame = china_frame(&o);
        assert!(
            frame.height > 500.0 && frame.height < 900.0,
            "{}",
            frame.height
        );
    }

    #[test]
    fn projection_keeps_compass_directions() {
        let frame = china_frame(&outline());
        let beijing = frame.xy((116.4, 39.9));
        let kashgar = frame.xy((75.99, 39.47));
        let guangzhou = frame.xy((113.26, 23.13));
        let harbin = frame.xy((126.63, 45.75));
        assert!(kashgar.0 < beijing.0, "Xinjiang is west of Beijing");
        assert!(
            guangzhou.1 > beijing.1,
            "Guangzhou is south of Beijing (y down)"
        );
        assert!(harbin.0 > beijing.0 && harbin.1 < beijing.1);
        for p in [beijing, kashgar, guangzhou, harbin] {
            assert!(p.0 > 0.0 && p.0 < frame.width && p.1 > 0.0 && p.1 < frame.height);
        }
    }

    #[test]
    fn circle_area_is_proportional_to_cards() {
        let r1 = radius(100.0, 400.0);
        let r2 = radius(400.0, 400.0);
        assert!((r2 / r1 - 2.0).abs() < 1e-9);
        assert_eq!(radius(0.0, 400.0), 0.0);
        assert_eq!(nice_below(334_552.0), 200_000.0);
        assert_eq!(nice_below(83_638.0), 50_000.0);
        assert_eq!(nice_below(1_000.0), 1_000.0);
    }
}
