//! The QGIS project of a plan (`plan.qgz`, and the `qgis_projects` table of
//! `plan.gpkg`): pure string building, no I/O.
//!
//! - [`project_qgs`]`(&ProjectSpec) -> Result<String, ProjectError>`: a QGIS
//!   3 project (`.qgs` XML, the dialect QGIS 3.22 writes) whose layers are the
//!   GeoPackage's tables (`./plan.gpkg|layername=<name>`, provider `ogr`,
//!   relative paths, EPSG:4326 data), each with its `.qml` style embedded
//!   (renderer and labels), in map order (outline and provinces at the bottom;
//!   reach, flows, cities, sites on top); the project CRS is the report's China
//!   Albers ([`crate::spatial::CHINA_ALBERS`]); labels are Chinese by default
//!   and switch with the project variable `dcsite_lang` (`zh`, `en`, `zh+en`:
//!   [`crate::export::qml::LANG_VARIABLE`]); one A4 landscape print layout
//!   ([`LAYOUT_NAME`]) with the map, legend, scale bar, north arrow (QGIS's
//!   own `arrows/NorthArrow_02.svg`), title and a note (schematic map, 审图号,
//!   data sources).
//! - [`qgz`]`(qgs: &str) -> Result<Vec<u8>, ProjectError>`: the `.qgz` bytes,
//!   a zip holding `<stem>.qgs` (deflated), as QGIS writes it.
//!
//! The layer styles are the `.qml` documents of [`crate::export::qml`]
//! (`outline_qml`, `provinces_qml`, `sites_qml`, ...): their `<qgis>`
//! children (renderer, labels, opacity) are copied into the project's
//! `<maplayer>`, so the project looks right even where a reader ignores the
//! GeoPackage's `layer_styles`.

use std::borrow::Cow;
use std::io::Write;

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

use crate::spatial::{geodesic_km, MapProjection, Point, SpatialError, CHINA_ALBERS};

/// The name of the print layout in the project.
pub const LAYOUT_NAME: &str = "dcsite A4";
/// The file name of the .qgs inside [`qgz`]'s zip.
pub const QGS_IN_QGZ: &str = "plan.qgs";
/// QGIS's own north arrow, resolved against QGIS's SVG search paths.
pub const NORTH_ARROW_SVG: &str = "arrows/NorthArrow_02.svg";
/// The note every print of the layout carries.
pub const SCHEMATIC_NOTE: &str = "示意图，非测绘地图；公开出版或展示中国地图须经审核并标注审图号。\
Schematic map, not a surveyed map: publishing a map of China needs an approval number (审图号).";

/// One layer of the project: a table of the GeoPackage and its style.
#[derive(Debug, Clone, Copy)]
pub struct ProjectLayer<'a> {
    /// The GeoPackage table (`layername=`), e.g. `sites`.
    pub name: &'a str,
    /// Its `.qml` style (a document of `export::qml`).
    pub qml: &'a str,
}

/// What the project shows.
#[derive(Debug, Clone, Copy)]
pub struct ProjectSpec<'a> {
    /// The GeoPackage's file name, relative to the project (`plan.gpkg`).
    pub gpkg: &'a str,
    /// The layout's title: the scenario (e.g. `baseline`).
    pub title: &'a str,
    /// A second title line: date, dcsite version, ... (may be empty).
    pub subtitle: &'a str,
    /// The data sources, one line (printed under the schematic note).
    pub sources: &'a str,
    /// The layers, in any order (the project orders them, see [`map_rank`]).
    pub layers: &'a [ProjectLayer<'a>],
}

/// Why a project could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("the style of layer {layer} is not a QGIS style document: {message}")]
    Style { layer: String, message: String },
    #[error("layer {0} is twice in the project")]
    DuplicateLayer(String),
    #[error("the project's map extent: {0}")]
    Extent(#[from] SpatialError),
    #[error("writing the project: {0}")]
    Write(#[from] std::io::Error),
    #[error("zipping the project: {0}")]
    Zip(#[from] rawzip::Error),
}

/// Map order, bottom (0) to top; other names go between the provinces and
/// the reach, in the order given.
pub fn map_rank(name: &str) -> u8 {
    match name {
        "outline" => 0,
        "provinces" => 1,
        "reach" => 3,
        "flows" => 4,
        "cities" => 5,
        "sites" => 6,
        _ => 2,
    }
}

/// The name the legend and the layer panel show.
fn display_name(name: &str) -> String {
    let zh = match name {
        "outline" => "国界（示意）",
        "provinces" => "省界（示意）",
        "reach" => "时延覆盖范围",
        "flows" => "算力流向",
        "cities" => "需求城市",
        "sites" => "数据中心选址",
        "robust" => "建设概率",
        "diff" => "方案差异",
        _ => return name.to_string(),
    };
    format!("{zh} {name}")
}

fn layer_id(name: &str) -> String {
    format!("dcsite_{name}")
}

/// An attribute with its value escaped by quick-xml, plus line breaks and
/// tabs as character references (an XML parser turns a literal one into a
/// space).
fn attr<'a>(key: &'a str, value: &str) -> Attribute<'a> {
    let escaped = quick_xml::escape::escape(value)
        .replace('\n', "&#10;")
        .replace('\t', "&#9;");
    Attribute {
        key: quick_xml::name::QName(key.as_bytes()),
        value: Cow::Owned(escaped.into_bytes()),
    }
}

type W = Writer<Vec<u8>>;
type Res = Result<(), std::io::Error>;

fn start(w: &mut W, tag: &str, attrs: &[(&str, &str)]) -> Res {
    let mut e = BytesStart::new(tag);
    for (k, v) in attrs {
        e.push_attribute(attr(k, v));
    }
    w.write_event(Event::Start(e))
}

fn end(w: &mut W, tag: &str) -> Res {
    w.write_event(Event::End(quick_xml::events::BytesEnd::new(tag)))
}

fn empty(w: &mut W, tag: &str, attrs: &[(&str, &str)]) -> Res {
    let mut e = BytesStart::new(tag);
    for (k, v) in attrs {
        e.push_attribute(attr(k, v));
    }
    w.write_event(Event::Empty(e))
}

fn text(w: &mut W, tag: &str, value: &str) -> Res {
    w.create_element(tag)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

/// What a style document holds: its `<qgis>` children as XML events, and
/// the root's attributes the project's `<maplayer>` needs.
struct Style<'a> {
    events: Vec<Event<'a>>,
    labels_enabled: bool,
    geometry: Option<&'static str>,
}

/// Reads a `.qml` document: every event below `<qgis>` except
/// `layerGeometryType`, which becomes the `geometry` attribute.
fn read_style<'a>(layer: &str, qml: &'a str) -> Result<Style<'a>, ProjectError> {
    let bad = |message: String| ProjectError::Style {
        layer: layer.to_string(),
        message,
    };
    let mut reader = Reader::from_str(qml);
    reader.config_mut().trim_text(true);
    let mut style = Style {
        events: Vec::new(),
        labels_enabled: false,
        geometry: None,
    };
    let mut depth = 0usize;
    let mut root_seen = false;
    let mut in_geometry = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| bad(format!("at byte {}: {e}", reader.buffer_position())))?;
        match &event {
            Event::Eof => break,
            Event::Start(e) if depth == 0 => {
                if e.name().as_ref() != b"qgis" {
                    return Err(bad("the root element is not <qgis>".into()));
                }
                root_seen = true;
                for a in e.attributes().flatten() {
                    if a.key.as_ref() == b"labelsEnabled" {
                        style.labels_enabled = a.value.as_ref() == b"1";
                    }
                }
                depth = 1;
                continue;
            }
            Event::Start(e) if depth == 1 && e.name().as_ref() == b"layerGeometryType" => {
                in_geometry = true;
                depth += 1;
                continue;
            }
            Event::Text(t) if in_geometry => {
                style.geometry = match &t[..] {
                    b"0" => Some("Point"),
                    b"1" => Some("Line"),
                    b"2" => Some("Polygon"),
                    _ => return Err(bad("layerGeometryType is not 0, 1 or 2".into())),
                };
                continue;
            }
            Event::End(_) if in_geometry => {
                in_geometry = false;
                depth -= 1;
                continue;
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                if depth == 1 {
                    depth = 0;
                    continue;
                }
                depth -= 1;
            }
            _ => {}
        }
        if depth >= 1 && !matches!(event, Event::DocType(_) | Event::Decl(_)) {
            style.events.push(event);
        }
    }
    if !root_seen {
        return Err(bad("no <qgis> element".into()));
    }
    Ok(style)
}

/// A `<spatialrefsys>`: EPSG:4326 by its QGIS srsid, or a PROJ string.
fn spatialrefsys(w: &mut W, crs: Crs) -> Res {
    start(w, "spatialrefsys", &[])?;
    match crs {
        Crs::Wgs84 => {
            text(w, "proj4", "+proj=longlat +datum=WGS84 +no_defs")?;
            text(w, "srsid", "3452")?;
            text(w, "srid", "4326")?;
            text(w, "authid", "EPSG:4326")?;
            text(w, "description", "WGS 84")?;
            text(w, "projectionacronym", "longlat")?;
            text(w, "ellipsoidacronym", "EPSG:7030")?;
            text(w, "geographicflag", "true")?;
        }
        Crs::Albers => {
            text(w, "proj4", CHINA_ALBERS)?;
            text(w, "srsid", "0")?;
            text(w, "srid", "0")?;
            text(w, "authid", "")?;
            text(w, "description", "China Albers equal-area (dcsite)")?;
            text(w, "projectionacronym", "aea")?;
            text(w, "ellipsoidacronym", "EPSG:7030")?;
            text(w, "geographicflag", "false")?;
        }
    }
    end(w, "spatialrefsys")
}

#[derive(Clone, Copy)]
enum Crs {
    Wgs84,
    Albers,
}

/// The page, in mm (A4 landscape).
const PAGE: (f64, f64) = (297.0, 210.0);
/// The map item: x, y, width, height in mm.
const MAP: (f64, f64, f64, f64) = (10.0, 24.0, 205.0, 158.0);
/// The legend's top-left corner, mm.
const LEGEND: (f64, f64) = (220.0, 24.0);

/// China's frame in the Albers projection (metres), padded and widened to
/// the map item's aspect ratio: the box 73.4-135.1° E, 17.9-53.6° N, its
/// edges sampled every degree.
pub fn china_extent() -> Result<[f64; 4], SpatialError> {
    let p = MapProjection::china_albers()?;
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    let (w, e, s, n) = (73.4, 135.1, 17.9, 53.6);
    let mut points = Vec::new();
    for i in 0..=62 {
        let lon = w + (e - w) * f64::from(i) / 62.0;
        points.push((lon, s));
        points.push((lon, n));
    }
    for i in 0..=36 {
        let lat = s + (n - s) * f64::from(i) / 36.0;
        points.push((w, lat));
        points.push((e, lat));
    }
    for (lon, lat) in points {
        let (x, y) = p.project(lon, lat)?;
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    // 2 % margin, then widen one axis to the map item's aspect.
    let (mx, my) = ((x1 - x0) * 0.02, (y1 - y0) * 0.02);
    let (x0, x1, y0, y1) = (x0 - mx, x1 + mx, y0 - my, y1 + my);
    let aspect = MAP.2 / MAP.3;
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (mut hw, mut hh) = ((x1 - x0) / 2.0, (y1 - y0) / 2.0);
    if hw / hh < aspect {
        hw = hh * aspect;
    } else {
        hh = hw / aspect;
    }
    let r = |v: f64| (v / 1000.0).round() * 1000.0;
    Ok([r(cx - hw), r(cy - hh), r(cx + hw), r(cy + hh)])
}

fn num(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// The `.qgs` text of the project; see the module documentation.
pub fn project_qgs(spec: &ProjectSpec) -> Result<String, ProjectError> {
    let mut layers: Vec<(usize, &ProjectLayer)> = spec.layers.iter().enumerate().collect();
    for (i, l) in spec.layers.iter().enumerate() {
        if spec.layers[..i].iter().any(|o| o.name == l.name) {
            return Err(ProjectError::DuplicateLayer(l.name.to_string()));
        }
    }
    // Bottom to top.
    layers.sort_by_key(|(i, l)| (map_rank(l.name), *i));
    let styles: Vec<Style> = layers
        .iter()
        .map(|(_, l)| read_style(l.name, l.qml))
        .collect::<Result<_, _>>()?;
    let extent = china_extent()?;
    let map_km = map_width_km(extent)?;

    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::DocType(BytesText::from_escaped(
        "qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'",
    )))?;
    start(
        &mut w,
        "qgis",
        &[
            ("projectname", spec.title),
            ("version", "3.22.16-Białowieża"),
        ],
    )?;
    empty(&mut w, "homePath", &[("path", "")])?;
    text(&mut w, "title", spec.title)?;
    start(&mut w, "projectCrs", &[])?;
    spatialrefsys(&mut w, Crs::Albers)?;
    end(&mut w, "projectCrs")?;

    // The layer tree, top first.
    start(&mut w, "layer-tree-group", &[])?;
    for (_, l) in layers.iter().rev() {
        let source = format!("./{}|layername={}", spec.gpkg, l.name);
        empty(
            &mut w,
            "layer-tree-layer",
            &[
                ("name", &display_name(l.name)),
                ("expanded", "1"),
                ("checked", "Qt::Checked"),
                ("providerKey", "ogr"),
                ("id", &layer_id(l.name)),
                ("source", &source),
            ],
        )?;
    }
    end(&mut w, "layer-tree-group")?;

    start(&mut w, "projectlayers", &[])?;
    for ((_, l), style) in layers.iter().zip(&styles) {
        let mut attrs = vec![
            ("type", "vector"),
            (
                "labelsEnabled",
                if style.labels_enabled { "1" } else { "0" },
            ),
            ("hasScaleBasedVisibilityFlag", "0"),
            ("minScale", "100000000"),
            ("maxScale", "0"),
            ("readOnly", "0"),
            ("styleCategories", "AllStyleCategories"),
        ];
        if let Some(g) = style.geometry {
            attrs.push(("geometry", g));
        }
        start(&mut w, "maplayer", &attrs)?;
        text(&mut w, "id", &layer_id(l.name))?;
        text(
            &mut w,
            "datasource",
            &format!("./{}|layername={}", spec.gpkg, l.name),
        )?;
        text(&mut w, "layername", &display_name(l.name))?;
        start(&mut w, "srs", &[])?;
        spatialrefsys(&mut w, Crs::Wgs84)?;
        end(&mut w, "srs")?;
        w.create_element("provider")
            .with_attribute(("encoding", "UTF-8"))
            .write_text_content(BytesText::new("ogr"))?;
        for e in &style.events {
            w.write_event(e.borrow())?;
        }
        end(&mut w, "maplayer")?;
    }
    end(&mut w, "projectlayers")?;

    start(&mut w, "layerorder", &[])?;
    for (_, l) in &layers {
        empty(&mut w, "layer", &[("id", &layer_id(l.name))])?;
    }
    end(&mut w, "layerorder")?;

    start(&mut w, "properties", &[])?;
    // QGIS reads <projectCrs> only with projections enabled.
    start(&mut w, "SpatialRefSys", &[])?;
    w.create_element("ProjectionsEnabled")
        .with_attribute(("type", "int"))
        .write_text_content(BytesText::new("1"))?;
    end(&mut w, "SpatialRefSys")?;
    start(&mut w, "Paths", &[])?;
    w.create_element("Absolute")
        .with_attribute(("type", "bool"))
        .write_text_content(BytesText::new("false"))?;
    end(&mut w, "Paths")?;
    start(&mut w, "Variables", &[])?;
    start(&mut w, "variableNames", &[("type", "QStringList")])?;
    text(&mut w, "value", crate::export::qml::LANG_VARIABLE)?;
    text(&mut w, "value", "dcsite_label_unbuilt")?;
    end(&mut w, "variableNames")?;
    start(&mut w, "variableValues", &[("type", "QStringList")])?;
    text(&mut w, "value", "zh")?;
    text(&mut w, "value", "0")?;
    end(&mut w, "variableValues")?;
    end(&mut w, "Variables")?;
    end(&mut w, "properties")?;

    start(&mut w, "projectMetadata", &[])?;
    text(&mut w, "title", spec.title)?;
    text(
        &mut w,
        "abstract",
        &format!("{SCHEMATIC_NOTE} {}", spec.sources),
    )?;
    end(&mut w, "projectMetadata")?;

    layout(&mut w, spec, extent, map_km)?;
    end(&mut w, "qgis")?;
    let bytes = w.into_inner();
    // Every piece is a &str and quick-xml writes them unchanged or escaped.
    String::from_utf8(bytes)
        .map_err(|e| ProjectError::Write(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// The attributes every layout item carries.
fn item_attrs(
    kind: &str,
    uuid: &str,
    (x, y, width, height): (f64, f64, f64, f64),
    z: u32,
    frame: bool,
    background: bool,
) -> Vec<(&'static str, String)> {
    let position = format!("{},{},mm", num(x), num(y));
    vec![
        ("type", kind.to_string()),
        ("uuid", uuid.to_string()),
        ("templateUuid", uuid.to_string()),
        ("id", String::new()),
        ("position", position.clone()),
        ("positionOnPage", position),
        ("size", format!("{},{},mm", num(width), num(height))),
        ("zValue", z.to_string()),
        ("referencePoint", "0".into()),
        ("itemRotation", "0".into()),
        ("frame", frame.to_string()),
        ("frameJoinStyle", "miter".into()),
        ("outlineWidthM", "0.3,mm".into()),
        ("background", background.to_string()),
        ("visibility", "1".into()),
        ("opacity", "1".into()),
        ("blendMode", "0".into()),
        ("excludeFromExports", "0".into()),
        ("positionLock", "false".into()),
        ("groupUuid", String::new()),
    ]
}

fn open_item(w: &mut W, attrs: &[(&str, String)]) -> Res {
    let borrowed: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    start(w, "LayoutItem", &borrowed)?;
    empty(
        w,
        "FrameColor",
        &[
            ("red", "0"),
            ("green", "0"),
            ("blue", "0"),
            ("alpha", "255"),
        ],
    )?;
    empty(
        w,
        "BackgroundColor",
        &[
            ("red", "255"),
            ("green", "255"),
            ("blue", "255"),
            ("alpha", "255"),
        ],
    )
}

const MAP_UUID: &str = "{6d6a9a6e-0b1c-4c55-9d3a-0d5c1e000001}";

/// A text label item (QgsLayoutItemLabel, type 65641).
fn label(
    w: &mut W,
    uuid: &str,
    rect: (f64, f64, f64, f64),
    content: &str,
    font_pt: u32,
    bold: bool,
) -> Res {
    let mut a = item_attrs("65641", uuid, rect, 5, false, false);
    a.extend([
        ("labelText", content.to_string()),
        ("htmlState", "0".into()),
        ("halign", "1".into()),
        ("valign", "32".into()),
        ("marginX", "0".into()),
        ("marginY", "0".into()),
    ]);
    open_item(w, &a)?;
    let weight = if bold { 75 } else { 50 };
    empty(
        w,
        "LabelFont",
        &[
            (
                "description",
                &format!("Sans Serif,{font_pt},-1,5,{weight},0,0,0,0,0"),
            ),
            ("style", ""),
        ],
    )?;
    empty(
        w,
        "FontColor",
        &[
            ("red", "0"),
            ("green", "0"),
            ("blue", "0"),
            ("alpha", "255"),
        ],
    )?;
    end(w, "LayoutItem")
}

/// A `<text-style>` (QgsTextFormat) in black `Sans Serif` of `pt` points.
fn text_style(w: &mut W, pt: u32) -> Res {
    let size = pt.to_string();
    start(
        w,
        "text-style",
        &[
            ("fontFamily", "Sans Serif"),
            ("fontSize", &size),
            ("fontSizeUnit", "Point"),
            ("fontWeight", "50"),
            ("fontItalic", "0"),
            ("textColor", "0,0,0,255"),
            ("textOpacity", "1"),
            ("namedStyle", "Regular"),
            ("multilineHeight", "1"),
            ("blendMode", "0"),
            ("allowHtml", "0"),
            ("capitalization", "0"),
        ],
    )?;
    empty(
        w,
        "text-buffer",
        &[
            ("bufferDraw", "1"),
            ("bufferSize", "0.8"),
            ("bufferSizeUnits", "MM"),
            ("bufferColor", "255,255,255,255"),
            ("bufferOpacity", "1"),
            ("bufferNoFill", "1"),
            ("bufferJoinStyle", "128"),
            ("bufferBlendMode", "0"),
        ],
    )?;
    end(w, "text-style")
}

/// The map's width as QGIS's scale bar measures it: the ellipsoidal
/// distance between the middles of its left and right edges, km.
fn map_width_km([x0, y0, x1, y1]: [f64; 4]) -> Result<f64, SpatialError> {
    let p = MapProjection::china_albers()?;
    let y = (y0 + y1) / 2.0;
    let (a, b) = (p.unproject(x0, y)?, p.unproject(x1, y)?);
    Ok(geodesic_km(Point::new(a.0, a.1), Point::new(b.0, b.1)))
}

/// The scale bar's segments, km each.
const SCALE_SEGMENT_KM: f64 = 500.0;

fn layout(w: &mut W, spec: &ProjectSpec, extent: [f64; 4], map_km: f64) -> Res {
    start(w, "Layouts", &[])?;
    start(
        w,
        "Layout",
        &[
            ("name", LAYOUT_NAME),
            ("units", "mm"),
            ("printResolution", "300"),
            ("worldFileMap", ""),
        ],
    )?;
    start(w, "PageCollection", &[])?;
    let page = item_attrs(
        "65638",
        "{6d6a9a6e-0b1c-4c55-9d3a-0d5c1e000000}",
        (0.0, 0.0, PAGE.0, PAGE.1),
        0,
        false,
        true,
    );
    open_item(w, &page)?;
    end(w, "LayoutItem")?;
    end(w, "PageCollection")?;

    // The map.
    let mut a = item_attrs("65639", MAP_UUID, MAP, 1, true, true);
    a.extend([
        ("keepLayerSet", "false".to_string()),
        ("drawCanvasItems", "true".into()),
        ("mapRotation", "0".into()),
        ("followPreset", "false".into()),
        ("followPresetName", String::new()),
        ("isTemporal", "0".into()),
        ("mapFlags", "0".into()),
        ("labelMargin", "0,mm".into()),
    ]);
    open_item(w, &a)?;
    let [x0, y0, x1, y1] = extent.map(num);
    empty(
        w,
        "Extent",
        &[("xmin", &x0), ("ymin", &y0), ("xmax", &x1), ("ymax", &y1)],
    )?;
    start(w, "crs", &[])?;
    spatialrefsys(w, Crs::Albers)?;
    end(w, "crs")?;
    empty(w, "LayerSet", &[])?;
    end(w, "LayoutItem")?;

    // The north arrow, inside the map's top right corner, true north.
    let arrow = (MAP.0 + MAP.2 - 16.0, MAP.1 + 4.0, 10.0, 15.0);
    let mut a = item_attrs(
        "65640",
        "{6d6a9a6e-0b1c-4c55-9d3a-0d5c1e000002}",
        arrow,
        4,
        false,
        false,
    );
    a.extend([
        ("file", NORTH_ARROW_SVG.to_string()),
        ("mode", "0".into()),
        ("mapUuid", MAP_UUID.into()),
        ("northMode", "1".into()),
        ("northOffset", "0".into()),
        ("pictureRotation", "0".into()),
        ("resizeMode", "0".into()),
        ("anchorPoint", "0".into()),
        ("pictureWidth", "10".into()),
        ("pictureHeight", "15".into()),
        ("svgFillColor", "255,255,255,255".into()),
        ("svgBorderColor", "0,0,0,255".into()),
        ("svgBorderWidth", "0.2".into()),
    ]);
    open_item(w, &a)?;
    end(w, "LayoutItem")?;

    // The scale bar, inside the map's bottom left corner, in km.
    let bar = (MAP.0 + 4.0, MAP.1 + MAP.3 - 16.0, 60.0, 12.0);
    let mut a = item_attrs(
        "65646",
        "{6d6a9a6e-0b1c-4c55-9d3a-0d5c1e000003}",
        bar,
        3,
        false,
        true,
    );
    a.extend([
        ("style", "Single Box".to_string()),
        ("mapUuid", MAP_UUID.into()),
        ("unitType", "km".into()),
        ("unitLabel", "km".into()),
        ("numMapUnitsPerScaleBarUnit", "1".into()),
        ("numUnitsPerSegment", num(SCALE_SEGMENT_KM)),
        // QGIS keeps this until the map changes: the segment's length on
        // paper, as QGIS computes it from the map's width.
        ("segmentMillimeters", num(MAP.2 / map_km * SCALE_SEGMENT_KM)),
        ("numSegments", "2".into()),
        ("numSegmentsLeft", "0".into()),
        ("numSubdivisions", "1".into()),
        ("subdivisionsHeight", "1.5".into()),
        ("segmentSizeMode", "0".into()),
        ("minBarWidth", "50".into()),
        ("maxBarWidth", "150".into()),
        ("height", "2.5".into()),
        ("labelBarSpace", "2".into()),
        ("boxContentSpace", "1.5".into()),
        ("alignment", "0".into()),
        ("labelVerticalPlacement", "0".into()),
        ("labelHorizontalPlacement", "0".into()),
        ("outlineWidth", "0.3".into()),
        ("lineJoinStyle", "miter".into()),
        ("lineCapStyle", "square".into()),
    ]);
    open_item(w, &a)?;
    text_style(w, 8)?;
    end(w, "LayoutItem")?;

    // The legend, right of the map: every layer of the project.
    let mut a = item_attrs(
        "65642",
        "{6d6a9a6e-0b1c-4c55-9d3a-0d5c1e000004}",
        (LEGEND.0, LEGEND.1, 70.0, 120.0),
        2,
        false,
        true,
    );
    a.extend([
        ("title", "图例 Legend".to_string()),
        ("map_uuid", MAP_UUID.into()),
        ("resizeToContents", "1".into()),
        ("columnCount", "1".into()),
        ("splitLayer", "0".into()),
        ("equalColumnWidth", "0".into()),
        ("symbolWidth", "6".into()),
        ("symbolHeight", "3.5".into()),
        ("boxSpace", "1.5".into()),
        ("columnSpace", "2".into()),
        ("lineSpacing", "1".into()),
        ("titleAlignment", "1".into()),
        ("symbolAlignment", "1".into()),
        ("legendFilterByAtlas", "0".into()),
        ("fontColor", "#000000".into()),
        ("wrapChar", String::new()),
        ("minSymbolSize", "0".into()),
        ("maxSymbolSize", "0".into()),
    ]);
    open_item(w, &a)?;
    start(w, "styles", &[])?;
    for (name, pt, bold, margin) in [
        ("title", 12, true, ("marginBottom", "2")),
        ("group", 9, true, ("marginTop", "2")),
        ("subgroup", 8, true, ("marginTop", "2")),
        ("symbol", 7, false, ("marginTop", "1.2")),
        ("symbolLabel", 7, false, ("marginLeft", "1.5")),
    ] {
        start(
            w,
            "style",
            &[("name", name), ("alignment", "1"), ("indent", "0"), margin],
        )?;
        let weight = if bold { 75 } else { 50 };
        empty(
            w,
            "styleFont",
            &[
                (
                    "description",
                    &format!("Sans Serif,{pt},-1,5,{weight},0,0,0,0,0"),
                ),
                ("style", ""),
            ],
        )?;
        end(w, "style")?;
    }
    end(w, "styles")?;
    end(w, "LayoutItem")?;

    // Title block above the map, note and sources below it.
    label(
        w,
        "{6d6a9a6e-0b1c-4c55-9d3a-0d5c1e000005}",
        (MAP.0, 6.0, PAGE.0 - 20.0, 9.0),
        spec.title,
        16,
        true,
    )?;
    label(
        w,
        "{6d6a9a6e-0b1c-4c55-9d3a-0d5c1e000006}",
        (MAP.0, 15.5, PAGE.0 - 20.0, 6.0),
        spec.subtitle,
        9,
        false,
    )?;
    let note = format!("{SCHEMATIC_NOTE}\n{}", spec.sources);
    label(
        w,
        "{6d6a9a6e-0b1c-4c55-9d3a-0d5c1e000007}",
        (MAP.0, MAP.1 + MAP.3 + 3.0, PAGE.0 - 20.0, 20.0),
        &note,
        7,
        false,
    )?;

    end(w, "Layout")?;
    end(w, "Layouts")
}

/// The `.qgz` bytes: a zip with [`QGS_IN_QGZ`] (deflated), as QGIS writes
/// a compressed project.
pub fn qgz(qgs: &str) -> Result<Vec<u8>, ProjectError> {
    let mut output = Vec::new();
    let mut archive = rawzip::ZipArchiveWriter::new(&mut output);
    // No modification time: the same plan gives the same bytes.
    let (mut entry, config) = archive
        .new_file(QGS_IN_QGZ)
        .compression_method(rawzip::CompressionMethod::DEFLATE)
        .start()?;
    let encoder = flate2::write::DeflateEncoder::new(&mut entry, flate2::Compression::default());
    let mut writer = config.wrap(encoder);
    writer.write_all(qgs.as_bytes())?;
    let (encoder, descriptor) = writer.finish()?;
    encoder.finish()?;
    entry.finish(descriptor)?;
    archive.finish()?;
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::qml;

    fn spec_layers() -> Vec<(String, String)> {
        vec![
            ("sites".into(), qml::sites_qml(&["air", "immersion"])),
            ("outline".into(), qml::outline_qml()),
            ("flows".into(), qml::flows_qml()),
            ("cities".into(), qml::cities_qml()),
            ("reach".into(), qml::reach_qml()),
            ("provinces".into(), qml::provinces_qml()),
        ]
    }

    fn build() -> String {
        let owned = spec_layers();
        let layers: Vec<ProjectLayer> = owned
            .iter()
            .map(|(n, q)| ProjectLayer { name: n, qml: q })
            .collect();
        project_qgs(&ProjectSpec {
            gpkg: "plan.gpkg",
            title: "baseline & <test>",
            subtitle: "2026-12-06 · dcsite",
            sources: "Sources: data/SOURCES.md",
            layers: &layers,
        })
        .unwrap()
    }

    #[test]
    fn layers_are_in_map_order_with_relative_sources() {
        let s = build();
        let order: Vec<usize> = ["outline", "provinces", "reach", "flows", "cities", "sites"]
            .iter()
            .map(|n| {
                s.find(&format!(
                    "<datasource>./plan.gpkg|layername={n}</datasource>"
                ))
                .unwrap_or_else(|| panic!("{n}"))
            })
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert!(s.contains("<Absolute type=\"bool\">false</Absolute>"));
        assert!(s.contains("baseline &amp; &lt;test&gt;"));
        assert_eq!(s.matches("<renderer-v2 ").count(), 6);
        assert!(!s.contains("layerGeometryType"));
        assert!(s.contains("geometry=\"Polygon\""));
        assert!(s.contains(&format!("file=\"{NORTH_ARROW_SVG}\"")));
        // The note's line break survives XML attribute normalisation.
        assert!(s.contains("审图号).&#10;Sources"));
    }

    #[test]
    fn duplicate_layers_and_bad_styles_are_errors() {
        let q = qml::flows_qml();
        let twice = [
            ProjectLayer {
                name: "flows",
                qml: &q,
            },
            ProjectLayer {
                name: "flows",
                qml: &q,
            },
        ];
        let spec = ProjectSpec {
            gpkg: "plan.gpkg",
            title: "t",
            subtitle: "",
            sources: "",
            layers: &twice,
        };
        assert!(matches!(
            project_qgs(&spec),
            Err(ProjectError::DuplicateLayer(_))
        ));
        let bad = [ProjectLayer {
            name: "flows",
            qml: "<notqgis/>",
        }];
        let spec = ProjectSpec {
            layers: &bad,
            ..spec
        };
        assert!(matches!(
            project_qgs(&spec),
            Err(ProjectError::Style { .. })
        ));
    }

    #[test]
    fn china_extent_holds_the_country_at_the_maps_aspect() {
        let [x0, y0, x1, y1] = china_extent().unwrap();
        let p = MapProjection::china_albers().unwrap();
        for (lon, lat) in [(73.5, 39.4), (134.8, 48.3), (109.5, 18.2), (122.0, 53.5)] {
            let (x, y) = p.project(lon, lat).unwrap();
            assert!(x0 < x && x < x1 && y0 < y && y < y1, "({lon}, {lat})");
        }
        let aspect = (x1 - x0) / (y1 - y0);
        assert!((aspect - MAP.2 / MAP.3).abs() < 0.01, "{aspect}");
    }

    #[test]
    fn qgz_is_a_zip_of_the_qgs() {
        let s = build();
        let bytes = qgz(&s).unwrap();
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        assert_eq!(qgz(&s).unwrap(), bytes, "the same bytes every time");
        // Read back by rawzip's reader with a CRC check, inflated by flate2.
        let archive = rawzip::ZipArchive::from_slice(&bytes).unwrap();
        let mut entries = archive.entries();
        let entry = entries.next_entry().unwrap().unwrap();
        assert_eq!(
            AsRef::<[u8]>::as_ref(&entry.file_path()),
            QGS_IN_QGZ.as_bytes()
        );
        let local = archive.get_entry(entry.wayfinder()).unwrap();
        let inflate = flate2::bufread::DeflateDecoder::new(local.data());
        let mut back = String::new();
        std::io::Read::read_to_string(&mut local.verifying_reader(inflate), &mut back).unwrap();
        assert_eq!(back, s);
        assert!(entries.next_entry().unwrap().is_none());
    }
}
