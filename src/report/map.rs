//! The maps: an Albers equal-area conic projection fitted to China (through
//! PROJ, `spatial::MapProjection`, built once per report), the outline and
//! the province boundaries (embedded), and the plan's layers drawn as inline
//! SVG. Every map has a side panel with its legend, a scale bar and a north
//! arrow, so that nothing covers the land; labels carry a Chinese and an
//! English text, one shown at a time by the page's label switch
//! ([`controls`]: CSS only, no script).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

use geo::{LineString, Simplify};

use super::html::{esc, fmt_int, fmt_signed};
use super::input::{parse_geojson, Expect, Feature, Geometry, LonLat};
use crate::spatial::provinces::{provinces, Province};
use crate::spatial::{geodesic_km, MapProjection, Point};

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

/// The central meridian of [`crate::spatial::CHINA_ALBERS`]: north is
/// straight up along it.
const CENTRAL_MERIDIAN: f64 = 105.0;

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
    /// The middle of the fitted features' latitudes: where the scale bar
    /// holds.
    lat_mid: f64,
    /// Width of the SVG in pixels.
    pub width: f64,
    /// Height of the SVG in pixels.
    pub height: f64,
}

impl Frame {
    /// Fits every position of `features` into `width` pixels (plus a margin).
    pub fn fit(proj: Rc<MapProjection>, features: &[Feature], width: f64) -> Frame {
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        let (mut lat0, mut lat1) = (f64::MAX, f64::MIN);
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
                lat0 = lat0.min(lat);
                lat1 = lat1.max(lat);
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
            lat_mid: (lat0 + lat1) / 2.0,
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

    /// The latitude in the middle of the map, where the scale bar holds.
    pub fn centre_lat(&self) -> f64 {
        self.lat_mid
    }

    /// Kilometres on the ground per SVG unit along the parallel of
    /// [`Frame::centre_lat`] at the central meridian: the geodesic length of
    /// 2° of that parallel over its length on the map. (An equal-area conic
    /// keeps areas, not lengths: between the standard parallels east-west
    /// lengths shrink a little and north-south ones grow as much.)
    pub fn km_per_unit(&self) -> f64 {
        let lat = self.lat_mid;
        let (w, e) = (CENTRAL_MERIDIAN - 1.0, CENTRAL_MERIDIAN + 1.0);
        let (xa, ya) = self.xy((w, lat));
        let (xb, yb) = self.xy((e, lat));
        geodesic_km(Point::new(w, lat), Point::new(e, lat)) / (xb - xa).hypot(yb - ya)
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

    /// SVG path data for polygons, each ring simplified on the map
    /// (Ramer–Douglas–Peucker, `geo::Simplify`) to within `eps` pixels; a
    /// ring that would shrink below a triangle is kept as it is.
    fn polygons_path_simplified(&self, polys: &[Vec<Vec<LonLat>>], eps: f64) -> String {
        let mut d = String::new();
        for ring in polys.iter().flatten() {
            let full: LineString<f64> = ring.iter().map(|&p| self.xy(p)).collect();
            let simple = full.simplify(eps);
            // A ring too small to keep its shape (Macao) is kept whole.
            let line = if simple.0.len() >= 4 { simple } else { full };
            if line.0.len() < 4 {
                continue;
            }
            for (i, c) in line.0[..line.0.len() - 1].iter().enumerate() {
                let _ = write!(d, "{}{:.1} {:.1}", if i == 0 { 'M' } else { 'L' }, c.x, c.y);
            }
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
/// The side panel right of the land: legend, scale bar, north arrow.
const PANEL: f64 = 250.0;
const MAX_RADIUS: f64 = 28.0;
const MIN_RADIUS: f64 = 3.5;
const REACH_COLOURS: [&str; 8] = [
    "#1f77b4", "#9467bd", "#2ca02c", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22",
];
/// Planning clusters' fills (ColorBrewer Set3, qualitative).
const CLUSTER_COLOURS: [&str; 12] = [
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
    "#bc80bd", "#ccebc5", "#ffed6f", "#d9d9d9",
];
/// Cards per region, four classes (ColorBrewer Blues).
const CARD_COLOURS: [&str; 4] = ["#deebf7", "#9ecae1", "#4292c6", "#08519c"];

/// The map frame: China's outline fitted into the standard width.
fn china_frame(outline: &[Feature]) -> Frame {
    Frame::fit(china_albers(), outline, MAP_WIDTH)
}

/// The maps' style sheet: it comes with [`controls`], once per page.
pub const MAP_STYLE: &str = r#"
svg.map{max-width:1210px}
.map rect.panel{fill:#fff;stroke:#ccc}
.provinces path{fill:none;stroke:#a5a597;stroke-width:0.5;stroke-linejoin:round;pointer-events:all}
.provinces path:hover{stroke:#555;stroke-width:1.2}
.reach path{fill:none;stroke-width:1;stroke-opacity:0.8;stroke-dasharray:5 3;pointer-events:stroke}
.reach path:hover{stroke-width:3;stroke-opacity:1}
.cities circle{fill:#3f6fae;stroke:#fff;stroke-width:0.6}
.labels.city-labels text{font-size:11px;font-weight:400;fill:#24456e}
.map text.en{display:none}
body:has(#map-lang-en:checked) .map text.en{display:inline}
body:has(#map-lang-en:checked) .map text.zh{display:none}
body:has(#map-shade-cluster:checked) .provinces path{fill:var(--fc,none);fill-opacity:0.6}
body:has(#map-shade-cards:checked) .provinces path{fill:var(--fr,none);fill-opacity:0.8}
.shade-key{display:none}
body:has(#map-shade-cluster:checked) .shade-key.cluster,body:has(#map-shade-cards:checked) .shade-key.cards{display:inline}
.scalebar rect.sb-dark{fill:#333}
.scalebar rect.sb-light{fill:#fff;stroke:#333;stroke-width:0.8}
.scalebar text,.north text{font-size:11px;fill:#333}
.scalebar text.sb-note{fill:#777;font-size:10px}
.north path{fill:#333}
.legend circle.reachkey{fill:none;stroke:#1f77b4;stroke-width:1.2;stroke-dasharray:5 3}
.legend circle.p-ref{fill:#ddd;stroke:#333}
.legend rect.swatch{stroke:#777;stroke-width:0.5}
.map-controls{font-size:13px;margin:6px 0;display:flex;gap:20px;flex-wrap:wrap}
.map-controls label{margin-left:6px;cursor:pointer}
@media print{.map-controls{display:none}}
"#;

/// The page's map controls and the maps' style sheet, once per page before
/// its first map: the label switch (中文 / English, Chinese checked) and,
/// with `shade`, what fills the provinces (nothing, the planning clusters,
/// the cards of their regions). Radio buttons read by CSS (`:has`), no
/// script; a browser without `:has` shows the Chinese labels.
pub fn controls(shade: Option<&Shading>) -> String {
    let mut s = format!("<style>{MAP_STYLE}</style>\n<div class=\"map-controls\">\n");
    s.push_str(
        "<span>Labels: <label><input type=\"radio\" name=\"map-lang\" id=\"map-lang-zh\" checked> 中文</label>\
         <label><input type=\"radio\" name=\"map-lang\" id=\"map-lang-en\"> English</label></span>\n",
    );
    if let Some(sh) = shade {
        s.push_str("<span>Shade provinces: <label><input type=\"radio\" name=\"map-shade\" id=\"map-shade-none\" checked> none</label>");
        if !sh.clusters.is_empty() {
            s.push_str("<label><input type=\"radio\" name=\"map-shade\" id=\"map-shade-cluster\"> planning cluster</label>");
        }
        if !sh.cards.is_empty() {
            s.push_str("<label><input type=\"radio\" name=\"map-shade\" id=\"map-shade-cards\"> cards by region</label>");
        }
        s.push_str("</span>\n");
    }
    s.push_str("</div>\n");
    s
}

/// What the provinces can be shaded by: their region's planning cluster
/// (summary.json's `clusters`) and their region's cards (regions.csv).
#[derive(Debug, Clone, Default)]
pub struct Shading {
    /// The planning clusters in order: id, English and Chinese name.
    pub clusters: Vec<(String, String, String)>,
    /// Region id → index into `clusters` (the first cluster that lists it).
    pub cluster_of: BTreeMap<String, usize>,
    /// Region id → its cards.
    pub cards: BTreeMap<String, f64>,
}

impl Shading {
    /// The upper bounds of the four card classes, geometric (cards are
    /// skewed: one region often holds most): 1/64, 1/16 and 1/4 of the
    /// largest region's cards rounded up, and that.
    fn card_breaks(&self) -> [f64; 4] {
        let max = self.cards.values().copied().fold(0.0, f64::max);
        let top = nice_above(max);
        [top / 64.0, top / 16.0, top / 4.0, top]
    }
    /// The fill of a region of `cards` (none for 0).
    fn card_fill(&self, cards: f64) -> Option<&'static str> {
        if cards <= 0.0 {
            return None;
        }
        let b = self.card_breaks();
        Some(CARD_COLOURS[b.iter().position(|&x| cards <= x).unwrap_or(3)])
    }
}

/// A province's rings as `(lon, lat)` lists (each polygon's exterior, then
/// its holes).
fn province_rings(p: &Province) -> Vec<Vec<Vec<LonLat>>> {
    p.geometry
        .0
        .iter()
        .map(|poly| {
            std::iter::once(poly.exterior())
                .chain(poly.interiors())
                .map(|ring| ring.coords().map(|c| (c.x, c.y)).collect())
                .collect()
        })
        .collect()
}

/// The province boundaries: thin grey lines over the land, each province
/// filled by the shading the page's switch chooses (`--fc` its cluster's
/// colour, `--fr` its region's cards class).
fn draw_provinces(out: &mut String, frame: &Frame, shade: Option<&Shading>) {
    out.push_str("<g class=\"provinces\">\n");
    for p in provinces() {
        let (en, zh) = (&p.name_en, &p.name_zh);
        // The scenario's region: a group of provinces (`region_id` of the
        // boundary file) or the province itself (its key), whichever it has.
        let region = shade
            .and_then(|sh| {
                p.region_in(|r| sh.cards.contains_key(r) || sh.cluster_of.contains_key(r))
            })
            .or_else(|| p.region_id.clone())
            .unwrap_or_default();
        let mut style = String::new();
        let mut tip = format!("{zh} {en}");
        if let Some(sh) = shade {
            if let Some(&c) = sh.cluster_of.get(&region) {
                let _ = write!(
                    style,
                    "--fc:{};",
                    CLUSTER_COLOURS[c % CLUSTER_COLOURS.len()]
                );
                let _ = write!(tip, "; cluster {}", sh.clusters[c].1);
            }
            if let Some(&cards) = sh.cards.get(&region) {
                if let Some(fill) = sh.card_fill(cards) {
                    let _ = write!(style, "--fr:{fill};");
                }
                let _ = write!(tip, "; region {region}: {} cards", fmt_int(cards));
            }
        }
        let style = if style.is_empty() {
            String::new()
        } else {
            format!(" style=\"{style}\"")
        };
        let _ = writeln!(
            out,
            "<path d=\"{}\" data-region=\"{}\"{style}><title>{}</title></path>",
            frame.polygons_path_simplified(&province_rings(p), 0.6),
            esc(&region),
            esc(&tip)
        );
    }
    out.push_str("</g>\n");
}

fn svg_open(out: &mut String, frame: &Frame, id: &str, title: &str) {
    let w = frame.width + PANEL;
    let _ = writeln!(
        out,
        "<svg id=\"{}\" class=\"map\" viewBox=\"0 0 {w:.0} {:.0}\" width=\"{w:.0}\" height=\"{:.0}\" role=\"img\" aria-label=\"{}\">",
        esc(id),
        frame.height,
        frame.height,
        esc(title)
    );
    let _ = writeln!(
        out,
        "<rect class=\"sea\" x=\"0\" y=\"0\" width=\"{:.0}\" height=\"{:.0}\"/>",
        frame.width, frame.height
    );
}

/// The side panel, drawn over whatever of the map's marks reaches past the
/// frame (a reach ring), before the legend goes on it.
fn frame_close(out: &mut String, frame: &Frame) {
    let _ = writeln!(
        out,
        "<rect class=\"panel\" x=\"{:.0}\" y=\"0\" width=\"{PANEL:.0}\" height=\"{:.0}\"/>",
        frame.width, frame.height
    );
}

/// The land: the outline filled, then the province boundaries over it.
fn draw_land(out: &mut String, frame: &Frame, outline: &[Feature], shade: Option<&Shading>) {
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
    draw_provinces(out, frame, shade);
}

/// The scale bar and the north arrow at the foot of the side panel. The
/// bar is the longest of 2,000, 1,000, 500, 250 or 100 km that fits, at
/// [`Frame::km_per_unit`]; the arrow follows the central meridian.
fn draw_scale_and_north(out: &mut String, frame: &Frame) {
    let kpu = frame.km_per_unit();
    let km = [2000.0, 1000.0, 500.0, 250.0, 100.0]
        .into_iter()
        .find(|k| k / kpu <= PANEL - 60.0)
        .unwrap_or(100.0);
    let len = km / kpu;
    let (x0, y) = (frame.width + 20.0, frame.height - 34.0);
    let _ = writeln!(
        out,
        "<g class=\"scalebar\" data-km=\"{km}\" data-length=\"{len:.3}\" data-km-per-unit=\"{kpu:.5}\">\
         <rect class=\"sb-dark\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"6\"/>\
         <rect class=\"sb-light\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"6\"/>\
         <text x=\"{x0:.1}\" y=\"{:.1}\" text-anchor=\"middle\">0</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{} km</text>\
         <text class=\"sb-note\" x=\"{x0:.1}\" y=\"{:.1}\">scale along {:.0}° N; Albers equal-area</text></g>",
        y - 6.0,
        len / 2.0,
        x0 + len / 2.0,
        y - 6.0,
        len / 2.0,
        y - 10.0,
        x0 + len / 2.0,
        y - 10.0,
        fmt_int(km / 2.0),
        x0 + len,
        y - 10.0,
        fmt_int(km),
        y + 14.0,
        frame.centre_lat()
    );
    // North along the central meridian, from the projection.
    let lat = frame.centre_lat();
    let (ax, ay) = frame.xy((CENTRAL_MERIDIAN, lat));
    let (bx, by) = frame.xy((CENTRAL_MERIDIAN, lat + 1.0));
    let angle = (bx - ax).atan2(ay - by).to_degrees();
    let _ = writeln!(
        out,
        "<g class=\"north\" transform=\"translate({:.1} {:.1}) rotate({angle:.2})\"><path d=\"M0 -16L7 8L0 3L-7 8Z\"/><text x=\"0\" y=\"-20\" text-anchor=\"middle\">N</text></g>",
        frame.width + PANEL - 30.0,
        frame.height - 80.0
    );
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

/// Round `x` up to 1, 2, 4 or 8 × a power of ten (so that its quarter,
/// sixteenth and sixty-fourth stay round).
fn nice_above(x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 4.0, 8.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&v| v >= x)
        .unwrap_or(10.0 * p)
}

/// A box `(x0, y0, x1, y1)` in pixels.
type Rect = (f64, f64, f64, f64);

fn overlaps(a: Rect, b: Rect) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// A label for a circle at `(x, y)` with radius `r`, in English and
/// Chinese (the English text again where there is no Chinese name).
struct Label {
    x: f64,
    y: f64,
    r: f64,
    en: String,
    zh: String,
}

impl Label {
    fn new(x: f64, y: f64, r: f64, en: String, zh: Option<String>) -> Label {
        Label {
            x,
            y,
            r,
            zh: zh.filter(|z| !z.is_empty()).unwrap_or_else(|| en.clone()),
            en,
        }
    }
}

/// The estimated width in pixels of `s` at `px` pixels: Latin letters
/// about 0.6 em (bold), CJK ideographs 1 em.
fn text_width(s: &str, px: f64) -> f64 {
    s.chars()
        .map(|c| if c.is_ascii() { 0.6 * px } else { px })
        .sum()
}

/// How [`place_labels`] treats the labels of one group.
struct LabelStyle {
    /// The `<g>`'s classes.
    class: &'static str,
    /// Font size in pixels.
    px: f64,
    /// Whether a label that fits nowhere is still written (at its first
    /// place) rather than left out.
    always: bool,
}

/// Writes the labels, each (both its texts, `class="zh"` and `class="en"`)
/// at the first of eight places around its circle where the wider of its
/// texts overlaps nothing in `taken` (boxes placed before, the labelled
/// circles, obstacles), inside the map frame; else at the first place, or
/// not at all (`style.always` false). Adds the boxes it fills to `taken`.
fn place_labels(
    out: &mut String,
    labels: &[Label],
    taken: &mut Vec<Rect>,
    frame: &Frame,
    style: &LabelStyle,
) {
    let circles: Vec<Rect> = labels
        .iter()
        .map(|l| (l.x - l.r, l.y - l.r, l.x + l.r, l.y + l.r))
        .collect();
    let _ = writeln!(out, "<g class=\"{}\">", style.class);
    for (i, l) in labels.iter().enumerate() {
        let w = text_width(&l.en, style.px).max(text_width(&l.zh, style.px));
        let (h, d) = (style.px + 1.0, l.r * 0.72 + 3.0);
        // (anchor x, baseline y, anchor)
        let spots = [
            (l.x + d, l.y - d, "start"),
            (l.x + d, l.y + d + h - 2.0, "start"),
            (l.x - d, l.y - d, "end"),
            (l.x - d, l.y + d + h - 2.0, "end"),
            (l.x + l.r + 4.0, l.y + 4.0, "start"),
            (l.x - l.r - 4.0, l.y + 4.0, "end"),
            (l.x, l.y - l.r - 4.0, "middle"),
            (l.x, l.y + l.r + h, "middle"),
        ];
        let boxed = |(ax, ty, anchor): (f64, f64, &str)| {
            let left = match anchor {
                "start" => ax,
                "end" => ax - w,
                _ => ax - w / 2.0,
            };
            (left, ty - h + 2.0, left + w, ty + 3.0)
        };
        let found = spots.iter().copied().find(|&s| {
            let b = boxed(s);
            b.0 >= 2.0
                && b.1 >= 2.0
                && b.2 <= frame.width - 2.0
                && b.3 <= frame.height - 2.0
                && !taken.iter().any(|&p| overlaps(b, p))
                && !circles
                    .iter()
                    .enumerate()
                    .any(|(j, &c)| j != i && overlaps(b, c))
        });
        let Some(spot) = found.or(style.always.then_some(spots[0])) else {
            continue;
        };
        taken.push(boxed(spot));
        let (ax, ty, anchor) = spot;
        let a = if anchor == "start" {
            String::new()
        } else {
            format!(" text-anchor=\"{anchor}\"")
        };
        let _ = writeln!(
            out,
            "<text class=\"zh\" x=\"{ax:.1}\" y=\"{ty:.1}\"{a}>{}</text><text class=\"en\" x=\"{ax:.1}\" y=\"{ty:.1}\"{a}>{}</text>",
            esc(&l.zh),
            esc(&l.en)
        );
    }
    out.push_str("</g>\n");
}

/// The legend in the side panel right of the map frame.
struct Legend {
    rows: String,
    y: f64,
    /// The x of the panel.
    x0: f64,
}

impl Legend {
    fn new(frame: &Frame) -> Legend {
        Legend {
            rows: String::new(),
            y: 26.0,
            x0: frame.width,
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
    /// A row with a filled square and its label.
    fn swatch(&mut self, fill: &str, label: &str) {
        let _ = writeln!(
            self.rows,
            "<rect class=\"swatch\" x=\"14\" y=\"{:.1}\" width=\"16\" height=\"12\" style=\"fill:{fill}\"/>",
            self.y - 6.0
        );
        self.text(40.0, label);
        self.y += 17.0;
    }
    /// A swatch row labelled in Chinese and in English (each shown with
    /// the page's label switch), cut to fit the panel.
    fn swatch_lang(&mut self, fill: &str, en: &str, zh: &str) {
        let fit = |t: &str, n: usize| {
            if t.chars().count() > n {
                format!("{}…", t.chars().take(n - 1).collect::<String>())
            } else {
                t.to_string()
            }
        };
        let _ = writeln!(
            self.rows,
            "<rect class=\"swatch\" x=\"14\" y=\"{:.1}\" width=\"16\" height=\"12\" style=\"fill:{fill}\"/>\
             <text class=\"zh\" x=\"40\" y=\"{y:.1}\">{}</text><text class=\"en\" x=\"40\" y=\"{y:.1}\">{}</text>",
            self.y - 6.0,
            esc(&fit(if zh.is_empty() { en } else { zh }, 30)),
            esc(&fit(en, 31)),
            y = self.y + 4.0
        );
        self.y += 17.0;
    }
    /// The legend's box in the SVG: `(x0, y0, x1, y1)`.
    #[cfg(test)]
    fn rect(&self) -> Rect {
        (self.x0 + 4.0, 4.0, self.x0 + 240.0, 4.0 + self.y)
    }
    /// Writes the legend at the top of the panel; returns the y under it.
    fn finish(self, out: &mut String) -> f64 {
        self.finish_as(out, "legend", 0.0)
    }
    /// Writes the legend as a `<g>` of `class`, `top` pixels down the
    /// panel; returns the y under it.
    fn finish_as(self, out: &mut String, class: &str, top: f64) -> f64 {
        let _ = writeln!(
            out,
            "<g class=\"{class}\" transform=\"translate({:.0} {top:.0})\"><rect x=\"4\" y=\"4\" width=\"236\" height=\"{:.0}\" rx=\"4\"/>",
            self.x0, self.y
        );
        out.push_str(&self.rows);
        out.push_str("</g>\n");
        top + self.y + 4.0
    }
}

/// A feature's display name: `name_en`, else `site_id`, else empty.
fn site_name(f: &Feature) -> String {
    f.text("name_en")
        .or_else(|| f.text("site_id"))
        .unwrap_or_default()
}

/// A feature's Chinese name (`name_zh`), when it has one.
fn site_name_zh(f: &Feature) -> Option<String> {
    f.text("name_zh").filter(|z| !z.is_empty())
}

/// The plan's map: outline and provinces (shaded as `shade` allows), reach
/// areas, flows, demand cities, candidate and built sites with labels, and
/// the side panel.
pub fn plan_map(
    sites: &[Feature],
    flows: &[Feature],
    reach: &[Feature],
    cities: &[Feature],
    shade: Option<&Shading>,
) -> String {
    let outline = outline();
    let frame = china_frame(&outline);
    let mut out = String::new();
    svg_open(&mut out, &frame, "plan-map", "Map of the plan");
    draw_land(&mut out, &frame, &outline, shade);
    draw_reach(&mut out, &frame, reach);
    let flow_scale = FlowScale::of(flows);
    draw_flows(&mut out, &frame, flows, &flow_scale, cities.is_empty());
    let city_labels = draw_cities(&mut out, &frame, cities);
    let candidates_undecided = draw_candidates(&mut out, &frame, sites);
    let built = draw_built_sites(&mut out, &frame, sites);
    frame_close(&mut out, &frame);
    let marks = PlanMarks {
        max_cards: built.max_cards,
        any_mega: built.any_mega,
        any_undecided: candidates_undecided || built.any_undecided,
        flow_scale,
        has_reach: !reach.is_empty(),
        has_cities: !cities.is_empty(),
    };
    let lg = plan_legend(&marks, &frame);
    let mut taken = Vec::new();
    let site_style = LabelStyle {
        class: "labels",
        px: 12.0,
        always: true,
    };
    place_labels(&mut out, &built.labels, &mut taken, &frame, &site_style);
    // City labels keep clear of every site circle, labelled or not.
    taken.extend(built.circles.iter().copied());
    let city_style = LabelStyle {
        class: "labels city-labels",
        px: 11.0,
        always: false,
    };
    place_labels(&mut out, &city_labels, &mut taken, &frame, &city_style);
    let under = lg.finish(&mut out);
    if let Some(sh) = shade {
        shading_keys(&mut out, sh, &frame, under + 4.0);
    }
    draw_scale_and_north(&mut out, &frame);
    out.push_str("</svg>\n");
    out
}

/// The reach areas: each site's area within its RTT budget, a thin dashed
/// outline in one colour per site in turn (thicker on hover).
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
                "<path d=\"{}\" fill=\"none\" stroke=\"{c}\"><title>{}</title></path>",
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

/// The flows from demand cities to sites; with `city_dots` (no
/// cities.geojson) a dot at each flow's city.
fn draw_flows(
    out: &mut String,
    frame: &Frame,
    flows: &[Feature],
    scale: &FlowScale,
    city_dots: bool,
) {
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
    out.push_str("</g>\n");
    if city_dots {
        out.push_str("<g class=\"cities\">\n");
        out.push_str(&ends);
        out.push_str("</g>\n");
    }
}

/// The demand cities of cities.geojson, a dot each sized by its demand
/// weight; returns their labels, the largest demand first.
fn draw_cities(out: &mut String, frame: &Frame, cities: &[Feature]) -> Vec<Label> {
    if cities.is_empty() {
        return Vec::new();
    }
    let weight = |f: &Feature| f.num("weight").unwrap_or(0.0);
    let mut order: Vec<&Feature> = cities.iter().collect();
    order.sort_by(|a, b| weight(b).total_cmp(&weight(a)));
    let mut labels = Vec::new();
    out.push_str("<g class=\"cities\">\n");
    for f in order {
        let Geometry::Point(p) = f.geometry else {
            continue;
        };
        let (x, y) = frame.xy(p);
        let r = 1.6 + 0.8 * weight(f).max(0.0).sqrt();
        let en = f
            .text("name_en")
            .or_else(|| f.text("node_id"))
            .unwrap_or_default();
        let mut tip = format!("{en}: demand city, weight {}", weight(f));
        if let Some(s) = f.num("served_h200_eq") {
            let _ = write!(tip, ", {} H200-eq cards served", fmt_int(s));
        }
        if let Some(s) = f.num("rtt_slack_ms") {
            let _ = write!(tip, ", RTT slack {s:.1} ms");
        }
        let _ = writeln!(
            out,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" data-weight=\"{}\"><title>{}</title></circle>",
            weight(f),
            esc(&tip)
        );
        labels.push(Label::new(x, y, r, en, site_name_zh(f)));
    }
    out.push_str("</g>\n");
    labels
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
    /// Every site's circle box, built or not.
    circles: Vec<Rect>,
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
        circles: Vec::new(),
        max_cards,
        any_mega: false,
        any_undecided: false,
    };
    for f in sites.iter().filter(|f| !is_built(f)) {
        if let Geometry::Point(p) = f.geometry {
            let (x, y) = frame.xy(p);
            drawn.circles.push((x - 3.0, y - 3.0, x + 3.0, y + 3.0));
        }
    }
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
        let r = if mega { r + 3.0 } else { r };
        drawn.circles.push((x - r, y - r, x + r, y + r));
        drawn
            .labels
            .push(Label::new(x, y, r, name, site_name_zh(f)));
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
    has_cities: bool,
}

/// The plan map's legend: a row for each kind of mark the map drew.
fn plan_legend(m: &PlanMarks, frame: &Frame) -> Legend {
    let mut lg = Legend::new(frame);
    lg.heading("Legend");
    if m.max_cards > 0.0 {
        legend_sizes(&mut lg, "site", m.max_cards, "cards");
        lg.text(12.0, "built site (circle area ∝ cards)");
        lg.y += 20.0;
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
    if m.flow_scale.max > 0.0 || m.has_cities {
        let _ = writeln!(
            lg.rows,
            "<g class=\"cities\"><circle cx=\"22\" cy=\"{:.1}\" r=\"3\"/></g>",
            lg.y
        );
        lg.text(40.0, "demand city (dot ∝ √ demand)");
        lg.y += 20.0;
    }
    if m.has_reach {
        lg.circle("reachkey", 7.0, "within the RTT budget of a site");
    }
    legend_land(&mut lg);
    lg
}

/// Two reference circles of `class` (the largest nice value below `max`
/// and one a quarter of it), sized against `max`, labelled `<v> <unit>`.
fn legend_sizes(lg: &mut Legend, class: &str, max: f64, unit: &str) {
    legend_sizes_signed(lg, class, max, "", unit);
}

/// [`legend_sizes`] with `sign` before each value (`±`).
fn legend_sizes_signed(lg: &mut Legend, class: &str, max: f64, sign: &str, unit: &str) {
    let big = nice_below(max);
    let refs = [big, nice_below(big / 4.0)];
    let cx = 12.0 + MAX_RADIUS;
    let base = lg.y + 2.0 * MAX_RADIUS;
    for v in refs {
        let r = radius(v, max);
        let _ = writeln!(
            lg.rows,
            "<circle class=\"{class}\" cx=\"{cx:.1}\" cy=\"{:.1}\" r=\"{r:.1}\"/>",
            base - r
        );
        let _ = writeln!(
            lg.rows,
            "<text x=\"{:.1}\" y=\"{:.1}\">{sign}{} {unit}</text>",
            cx + MAX_RADIUS + 10.0,
            base - 2.0 * r + 4.0,
            fmt_int(v)
        );
    }
    lg.y = base + 12.0;
}

/// Two reference flows (the largest and a quarter of it).
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
}

/// The keys of the provinces' shading in boxes of their own under the
/// legend (`top`), each shown with its choice of the page's switch.
fn shading_keys(out: &mut String, sh: &Shading, frame: &Frame, top: f64) {
    if !sh.clusters.is_empty() {
        let mut lg = Legend::new(frame);
        lg.heading("Planning cluster");
        for (i, (_, en, zh)) in sh.clusters.iter().enumerate() {
            lg.swatch_lang(CLUSTER_COLOURS[i % CLUSTER_COLOURS.len()], en, zh);
        }
        lg.finish_as(out, "legend shade-key cluster", top);
    }
    if !sh.cards.is_empty() {
        let mut lg = Legend::new(frame);
        lg.heading("Cards in the province's region");
        let b = sh.card_breaks();
        let mut lo = 0.0;
        for (i, hi) in b.into_iter().enumerate() {
            lg.swatch(
                CARD_COLOURS[i],
                &format!("{} to {}", fmt_int(lo), fmt_int(hi)),
            );
            lo = hi;
        }
        lg.swatch("none", "none, or no region");
        lg.finish_as(out, "legend shade-key cards", top);
    }
}

/// The legend's last rows: the keys for China's outline and the provinces.
fn legend_land(lg: &mut Legend) {
    let _ = writeln!(
        lg.rows,
        "<rect class=\"landkey\" x=\"12\" y=\"{:.1}\" width=\"22\" height=\"12\"/>",
        lg.y - 6.0
    );
    lg.text(40.0, "China (schematic outline)");
    lg.y += 18.0;
    let _ = writeln!(
        lg.rows,
        "<g class=\"provinces\"><path d=\"M12 {y:.1}L34 {y:.1}\"/></g>",
        y = lg.y
    );
    lg.text(40.0, "province boundary (schematic)");
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

/// The largest |change in cards| of any site over `pairs`: the one circle
/// scale of every change map on a comparison page.
pub fn diff_max(diff: &[Feature], pairs: &[DiffPair]) -> f64 {
    pairs
        .iter()
        .flat_map(|p| diff.iter().map(move |f| p.delta(f).abs()))
        .fold(0.0, f64::max)
}

/// A comparison's map from diff.geojson for one pair: one circle per site
/// whose cards change (area ∝ |change| against `max`, the page's largest
/// change, so that every change map of the page shares one scale; green
/// gain, red loss), a small hollow marker where nothing changes. The SVG
/// gets the id `id`.
pub fn diff_map(
    diff: &[Feature],
    scenarios: &[String],
    pair: &DiffPair,
    id: &str,
    max: f64,
) -> String {
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
    draw_land(&mut out, &frame, &outline, None);
    let delta = |f: &Feature| pair.delta(f);
    let mut changed: Vec<&Feature> = diff.iter().filter(|f| delta(f) != 0.0).collect();
    changed.sort_by(|a, b| delta(b).abs().total_cmp(&delta(a).abs()));
    let max = max.max(changed.first().map(|f| delta(f).abs()).unwrap_or(0.0));
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
    frame_close(&mut out, &frame);
    let lg = diff_legend(max, &frame);
    let style = LabelStyle {
        class: "labels",
        px: 12.0,
        always: true,
    };
    place_labels(&mut out, &labels, &mut Vec::new(), &frame, &style);
    let _ = lg.finish(&mut out);
    draw_scale_and_north(&mut out, &frame);
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
            "<circle class=\"{class}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.2}\" data-delta=\"{d}\"><title>{}</title></circle>",
            esc(&diff_tip(f, pair, scenarios))
        );
        let signed = fmt_signed(d);
        labels.push(Label::new(
            x,
            y,
            r,
            format!("{} {signed}", site_name(f)),
            site_name_zh(f).map(|z| format!("{z} {signed}")),
        ));
    }
    out.push_str("</g>\n");
    labels
}

/// The change map's legend: two reference circles on the page's scale
/// (when anything changes), gain, loss, no change and the land.
fn diff_legend(max: f64, frame: &Frame) -> Legend {
    let mut lg = Legend::new(frame);
    lg.heading("Legend");
    if max > 0.0 {
        legend_sizes_signed(&mut lg, "gain", max, "±", "cards");
        lg.text(12.0, "change in cards (area ∝ |change|;");
        lg.y += 14.0;
        lg.text(12.0, "every map of this page on one scale)");
        lg.y += 20.0;
        lg.circle("gain", 6.0, "gain (more cards)");
        lg.circle("loss", 6.0, "loss (fewer cards)");
    }
    lg.circle("candidate", 3.0, "site, no change");
    legend_land(&mut lg);
    lg
}

/// The classes of how often a site is built (`p_built`, those of
/// `robust.qml`): upper bound, fill, words.
const P_CLASSES: [(f64, &str, &str); 4] = [
    (0.25, "#fed976", "built in up to 25 % of the scenarios"),
    (0.5, "#fd8d3c", "25 to 50 %"),
    (0.75, "#e31a1c", "50 to 75 %"),
    (1.0, "#800026", "over 75 %"),
];

/// The map of a sweep's `robust.geojson`: each site a circle coloured by how
/// often it is built (`p_built`, the classes of `robust.qml`) and sized by
/// its mean cards against `max_cards` (the page's largest, one scale for
/// every arm); never-built sites small and hollow; the sites ever built
/// labelled, the most cards first. The SVG gets the id `id`.
pub fn probability_map(sites: &[Feature], max_cards: f64, id: &str) -> String {
    let outline = outline();
    let frame = china_frame(&outline);
    let mut out = String::new();
    svg_open(&mut out, &frame, id, "How often each site is built");
    draw_land(&mut out, &frame, &outline, None);
    let mean = |f: &Feature| f.num("cards_mean").unwrap_or(0.0);
    let max_cards = sites.iter().map(mean).fold(max_cards, f64::max);
    let mut order: Vec<&Feature> = sites.iter().collect();
    order.sort_by(|a, b| mean(b).total_cmp(&mean(a)));
    let mut labels = Vec::new();
    out.push_str("<g class=\"sites\">\n");
    for f in order {
        let Geometry::Point(p) = f.geometry else {
            continue;
        };
        let (x, y) = frame.xy(p);
        let pb = f.num("p_built").unwrap_or(0.0);
        let name = site_name(f);
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
        let fill = if pb <= 0.0 {
            "none"
        } else {
            P_CLASSES
                .iter()
                .find(|c| pb <= c.0)
                .map(|c| c.1)
                .unwrap_or(P_CLASSES[3].1)
        };
        let r = if pb > 0.0 {
            radius(mean(f), max_cards).max(MIN_RADIUS)
        } else {
            3.0
        };
        let _ = writeln!(
            out,
            "<circle class=\"p-built\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.2}\" fill=\"{fill}\" stroke=\"#333\" data-p-built=\"{pb}\" data-cards-mean=\"{}\"><title>{}</title></circle>",
            mean(f),
            esc(&tip)
        );
        if pb > 0.0 {
            labels.push(Label::new(
                x,
                y,
                r,
                format!("{name} {:.0} %", 100.0 * pb),
                site_name_zh(f).map(|z| format!("{z} {:.0} %", 100.0 * pb)),
            ));
        }
    }
    out.push_str("</g>\n");
    frame_close(&mut out, &frame);
    let mut lg = Legend::new(&frame);
    lg.heading("Legend");
    if max_cards > 0.0 {
        legend_sizes(&mut lg, "p-ref", max_cards, "cards");
        lg.text(12.0, "mean cards where built (area ∝ cards)");
        lg.y += 22.0;
    }
    for (_, fill, words) in P_CLASSES {
        let _ = writeln!(
            lg.rows,
            "<circle cx=\"22\" cy=\"{:.1}\" r=\"6\" fill=\"{fill}\" stroke=\"#333\"/>",
            lg.y
        );
        lg.text(40.0, words);
        lg.y += 20.0;
    }
    let _ = writeln!(
        lg.rows,
        "<circle cx=\"22\" cy=\"{:.1}\" r=\"3\" fill=\"none\" stroke=\"#333\"/>",
        lg.y
    );
    lg.text(40.0, "never built");
    lg.y += 20.0;
    legend_land(&mut lg);
    let style = LabelStyle {
        class: "labels",
        px: 12.0,
        always: true,
    };
    place_labels(&mut out, &labels, &mut Vec::new(), &frame, &style);
    let _ = lg.finish(&mut out);
    draw_scale_and_north(&mut out, &frame);
    out.push_str("</svg>\n");
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
        assert_eq!(nice_above(516_240.0), 800_000.0);
        assert_eq!(nice_above(44_424.0), 80_000.0);
        assert_eq!(nice_above(100_000.0), 100_000.0);
    }

    /// The length of `dlon` degrees of the parallel at `lat` on the WGS 84
    /// ellipsoid, km: N(φ) cos φ Δλ, with N the prime vertical radius of
    /// curvature (an independent closed form, not the geodesic solver).
    fn parallel_arc_km(lat: f64, dlon: f64) -> f64 {
        let (a, f) = (6_378_137.0_f64, 1.0 / 298.257_223_563);
        let e2 = f * (2.0 - f);
        let phi = lat.to_radians();
        let n = a / (1.0 - e2 * phi.sin().powi(2)).sqrt();
        n * phi.cos() * dlon.to_radians() / 1000.0
    }

    #[test]
    fn the_scale_bar_matches_the_ground_at_the_centre_latitude() {
        let frame = china_frame(&outline());
        let lat = frame.centre_lat();
        assert!((30.0..42.0).contains(&lat), "{lat}");
        // 10° of the centre parallel either side of the central meridian:
        // its ground length over its length on the map.
        let (a, b) = (frame.xy((100.0, lat)), frame.xy((110.0, lat)));
        let km_per_unit = parallel_arc_km(lat, 10.0) / (b.0 - a.0).hypot(b.1 - a.1);
        let rel = (frame.km_per_unit() / km_per_unit - 1.0).abs();
        assert!(rel < 0.002, "{} vs {km_per_unit}", frame.km_per_unit());
        // Beijing to Shanghai, 1,067 km (data/SOURCES.md facts §8), as the
        // bar measures it: within the few per cent an equal-area conic
        // stretches a north-south line between its standard parallels.
        let (bj, sh) = (frame.xy((116.407, 39.904)), frame.xy((121.473, 31.230)));
        let on_map = (sh.0 - bj.0).hypot(sh.1 - bj.1) * frame.km_per_unit();
        assert!((on_map / 1067.0 - 1.0).abs() < 0.05, "{on_map}");
        // The bar drawn: its length in SVG units is its km at that scale.
        let mut svg = String::new();
        draw_scale_and_north(&mut svg, &frame);
        let attr = |name: &str| -> f64 {
            let rest = svg.split(&format!("{name}=\"")).nth(1).unwrap();
            rest[..rest.find('"').unwrap()].parse().unwrap()
        };
        let (km, len) = (attr("data-km"), attr("data-length"));
        assert!(
            (len * km_per_unit / km - 1.0).abs() < 0.002,
            "{km} km in {len}"
        );
        assert!(len > 80.0 && len < PANEL - 60.0, "{len}");
        // North points up along the central meridian.
        assert!(
            svg.contains("rotate(0.00)") || svg.contains("rotate(-0.00)"),
            "{svg}"
        );
    }

    #[test]
    fn the_provinces_parse_and_lie_within_the_frame() {
        let frame = china_frame(&outline());
        let p = provinces();
        assert!(p.len() >= 31, "{} provinces", p.len());
        for f in p {
            for ll in province_rings(f).iter().flatten().flatten() {
                let (x, y) = frame.xy(*ll);
                assert!(x > -5.0 && x < frame.width + 5.0 && y > -5.0 && y < frame.height + 5.0);
            }
        }
        // Simplified on the map, the 34 divisions stay light.
        let mut svg = String::new();
        draw_provinces(&mut svg, &frame, None);
        assert_eq!(svg.matches("<path d=\"M").count(), p.len());
        assert!(svg.len() < 120_000, "{} bytes", svg.len());
    }

    fn site(id: &str, zh: &str, lon: f64, lat: f64, cards: f64) -> Feature {
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{lon},{lat}]}},"properties":{{"site_id":"{id}","name_en":"{id}","name_zh":"{zh}","built":{},"cards_total":{cards},"weight":2.0}}}}]}}"#,
            cards > 0.0
        );
        parse_geojson(&text, Expect::Points).unwrap().remove(0)
    }

    #[test]
    fn labels_carry_chinese_and_english_and_the_legend_stays_off_the_land() {
        let sites = vec![
            site("Ulanqab", "乌兰察布", 113.1, 41.0, 300_000.0),
            site("Kashgar", "喀什", 75.99, 39.47, 20_000.0),
            site("Urumqi", "乌鲁木齐", 87.6, 43.8, 0.0),
        ];
        let cities = vec![site("Beijing", "北京", 116.4, 39.9, 0.0)];
        let svg = plan_map(&sites, &[], &[], &cities, None);
        assert!(svg.contains("<text class=\"zh\""), "{svg}");
        assert!(svg.contains(">乌兰察布</text>") && svg.contains(">Ulanqab</text>"));
        assert!(svg.contains(">北京</text>"), "city label");
        // The legend box lies in the side panel, right of every position of
        // the outline and of every site.
        let frame = china_frame(&outline());
        let lg = Legend::new(&frame).rect();
        let mut east = f64::MIN;
        for f in outline() {
            for_each_position(&f.geometry, |ll| east = east.max(frame.xy(ll).0));
        }
        assert!(
            lg.0 > east,
            "legend at {} west of the land's east edge {east}",
            lg.0
        );
        assert!(svg.contains(&format!("translate({:.0} 0)", frame.width)));
        assert!(!svg.contains("shade-key"), "no shading asked for");
    }
}
