//! QGIS 3 layer styles (`.qml`), written next to each layer with the same
//! base name (`sites.geojson` + `sites.qml`) so that QGIS applies them when
//! the layer is added.
//!
//! Pure functions returning XML text in the format QGIS 3.28 writes
//! (`<!DOCTYPE qgis ...>`, `renderer-v2`, `Option` maps, `labeling
//! type="simple"`). Sizes that depend on a quantity are data-defined
//! expressions scaled against the layer's own maximum (`maximum("field")`),
//! so one style fits a 5-site and a 50-site plan alike.

/// Layer geometry type as QGIS stores it in `layerGeometryType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Geometry {
    Point = 0,
    Line = 1,
    Polygon = 2,
}

/// An RGBA colour as QGIS writes it (`r,g,b,a`).
type Rgba = (u8, u8, u8, u8);

fn rgba(c: Rgba) -> String {
    format!("{},{},{},{}", c.0, c.1, c.2, c.3)
}

/// Escapes text for an XML attribute value.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `<Option type="Map">` of string options, indented.
fn options(pairs: &[(&str, String)], indent: &str) -> String {
    let mut s = format!("{indent}<Option type=\"Map\">\n");
    for (name, value) in pairs {
        s.push_str(&format!(
            "{indent}  <Option type=\"QString\" name=\"{}\" value=\"{}\"/>\n",
            esc(name),
            esc(value)
        ));
    }
    s.push_str(&format!("{indent}</Option>\n"));
    s
}

/// A data-defined property collection: each (property, expression) is an
/// active expression-based property (QgsProperty type 3).
fn data_defined(tag: &str, props: &[(&str, String)], indent: &str) -> String {
    let mut s = format!("{indent}<{tag}>\n{indent}  <Option type=\"Map\">\n");
    s.push_str(&format!(
        "{indent}    <Option type=\"QString\" name=\"name\" value=\"\"/>\n"
    ));
    if props.is_empty() {
        s.push_str(&format!("{indent}    <Option name=\"properties\"/>\n"));
    } else {
        s.push_str(&format!(
            "{indent}    <Option type=\"Map\" name=\"properties\">\n"
        ));
        for (name, expression) in props {
            s.push_str(&format!(
                "{indent}      <Option type=\"Map\" name=\"{}\">\n\
                 {indent}        <Option type=\"bool\" name=\"active\" value=\"true\"/>\n\
                 {indent}        <Option type=\"QString\" name=\"expression\" value=\"{}\"/>\n\
                 {indent}        <Option type=\"int\" name=\"type\" value=\"3\"/>\n\
                 {indent}      </Option>\n",
                esc(name),
                esc(expression)
            ));
        }
        s.push_str(&format!("{indent}    </Option>\n"));
    }
    s.push_str(&format!(
        "{indent}    <Option type=\"QString\" name=\"type\" value=\"collection\"/>\n\
         {indent}  </Option>\n{indent}</{tag}>\n"
    ));
    s
}

/// One symbol layer (`SimpleMarker`, `SimpleLine`, `SimpleFill`).
fn symbol_layer(class: &str, props: &[(&str, String)], dd: &[(&str, String)]) -> String {
    let indent = "        ";
    format!(
        "{indent}<layer class=\"{class}\" enabled=\"1\" locked=\"0\" pass=\"0\">\n{}{}{indent}</layer>\n",
        options(props, "          "),
        data_defined("data_defined_properties", dd, "          ")
    )
}

/// A `<symbol>` holding one symbol layer.
fn symbol(kind: &str, name: &str, layer: String) -> String {
    format!(
        "      <symbol type=\"{kind}\" name=\"{}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\" \
         frame_rate=\"10\" is_animated=\"0\">\n{}{layer}      </symbol>\n",
        esc(name),
        data_defined("data_defined_properties", &[], "        ")
    )
}

/// A circle marker; `size` in mm, optionally data-defined.
fn marker(
    name: &str,
    fill: Rgba,
    stroke: Rgba,
    stroke_mm: f64,
    size_mm: f64,
    size_dd: Option<String>,
) -> String {
    shaped_marker("circle", name, fill, stroke, stroke_mm, size_mm, size_dd)
}

/// A simple marker of QGIS's shape `shape` (`circle`, `square`, ...).
fn shaped_marker(
    shape: &str,
    name: &str,
    fill: Rgba,
    stroke: Rgba,
    stroke_mm: f64,
    size_mm: f64,
    size_dd: Option<String>,
) -> String {
    let props = [
        ("angle", "0".to_string()),
        ("cap_style", "square".into()),
        ("color", rgba(fill)),
        ("horizontal_anchor_point", "1".into()),
        ("joinstyle", "bevel".into()),
        ("name", shape.to_string()),
        ("offset", "0,0".into()),
        ("offset_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("offset_unit", "MM".into()),
        ("outline_color", rgba(stroke)),
        ("outline_style", "solid".into()),
        ("outline_width", stroke_mm.to_string()),
        ("outline_width_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("outline_width_unit", "MM".into()),
        ("scale_method", "diameter".into()),
        ("size", size_mm.to_string()),
        ("size_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("size_unit", "MM".into()),
        ("vertical_anchor_point", "1".into()),
    ];
    let dd: Vec<(&str, String)> = size_dd.into_iter().map(|e| ("size", e)).collect();
    symbol("marker", name, symbol_layer("SimpleMarker", &props, &dd))
}

/// A solid line; `width` in mm, optionally data-defined.
fn line(name: &str, colour: Rgba, width_mm: f64, width_dd: Option<String>) -> String {
    styled_line(name, colour, "solid", width_mm, width_dd)
}

/// A line of QGIS pen style `style` (`solid`, `dash`, ...).
fn styled_line(
    name: &str,
    colour: Rgba,
    style: &str,
    width_mm: f64,
    width_dd: Option<String>,
) -> String {
    let props = [
        ("align_dash_pattern", "0".to_string()),
        ("capstyle", "round".into()),
        ("customdash", "5;2".into()),
        ("customdash_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("customdash_unit", "MM".into()),
        ("draw_inside_polygon", "0".into()),
        ("joinstyle", "round".into()),
        ("line_color", rgba(colour)),
        ("line_style", style.to_string()),
        ("line_width", width_mm.to_string()),
        ("line_width_unit", "MM".into()),
        ("offset", "0".into()),
        ("offset_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("offset_unit", "MM".into()),
        ("ring_filter", "0".into()),
        ("trim_distance_end", "0".into()),
        ("trim_distance_start", "0".into()),
        ("use_custom_dash", "0".into()),
        ("width_map_unit_scale", "3x:0,0,0,0,0,0".into()),
    ];
    // QgsSymbolLayer::PropertyStrokeWidth is stored as "outlineWidth".
    let dd: Vec<(&str, String)> = width_dd.into_iter().map(|e| ("outlineWidth", e)).collect();
    symbol("line", name, symbol_layer("SimpleLine", &props, &dd))
}

/// A fill (`style`: `solid`, or `no` for an outline only) with an outline.
fn fill(name: &str, colour: Rgba, style: &str, stroke: Rgba, stroke_mm: f64) -> String {
    let props = [
        ("border_width_map_unit_scale", "3x:0,0,0,0,0,0".to_string()),
        ("color", rgba(colour)),
        ("joinstyle", "bevel".into()),
        ("offset", "0,0".into()),
        ("offset_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("offset_unit", "MM".into()),
        ("outline_color", rgba(stroke)),
        ("outline_style", "solid".into()),
        ("outline_width", stroke_mm.to_string()),
        ("outline_width_unit", "MM".into()),
        ("style", style.to_string()),
    ];
    symbol("fill", name, symbol_layer("SimpleFill", &props, &[]))
}

/// A categorised renderer on an attribute or expression; `categories` are
/// (value, label, symbol XML named by its index).
fn categorized(attr: &str, categories: &[(&str, &str)], symbols: Vec<String>) -> String {
    let mut s = format!(
        "  <renderer-v2 type=\"categorizedSymbol\" attr=\"{}\" forceraster=\"0\" symbollevels=\"0\" \
         enableorderby=\"0\" referencescale=\"-1\">\n    <categories>\n",
        esc(attr)
    );
    for (i, (value, label)) in categories.iter().enumerate() {
        s.push_str(&format!(
            "      <category symbol=\"{i}\" value=\"{}\" label=\"{}\" render=\"true\"/>\n",
            esc(value),
            esc(label)
        ));
    }
    s.push_str("    </categories>\n    <symbols>\n");
    for sym in symbols {
        s.push_str(&sym);
    }
    s.push_str("    </symbols>\n    <rotation/>\n    <sizescale/>\n  </renderer-v2>\n");
    s
}

fn single(symbol: String) -> String {
    format!(
        "  <renderer-v2 type=\"singleSymbol\" forceraster=\"0\" symbollevels=\"0\" enableorderby=\"0\" \
         referencescale=\"-1\">\n    <symbols>\n{symbol}    </symbols>\n    <rotation/>\n    <sizescale/>\n  </renderer-v2>\n"
    )
}

/// Simple labels: `text` is a field name or (if `is_expression`) an
/// expression; `placement` as QgsPalLayerSettings::Placement (6 = cartographic
/// around a point, 2 = parallel to a line, 0 = around a point/centroid).
fn labeling(text: &str, is_expression: bool, placement: u8, size_pt: f64, colour: Rgba) -> String {
    labeling_weight(text, is_expression, placement, size_pt, colour, 50)
}

/// [`labeling`] with a font weight (50 regular, 75 bold).
fn labeling_weight(
    text: &str,
    is_expression: bool,
    placement: u8,
    size_pt: f64,
    colour: Rgba,
    weight: u8,
) -> String {
    format!(
        "  <labeling type=\"simple\">\n    <settings calloutType=\"simple\">\n      \
         <text-style fieldName=\"{}\" isExpression=\"{}\" fontFamily=\"Sans Serif\" fontSize=\"{size_pt}\" \
         fontSizeUnit=\"Point\" fontWeight=\"{weight}\" fontItalic=\"0\" textColor=\"{}\" textOpacity=\"1\" \
         namedStyle=\"Regular\" fontLetterSpacing=\"0\" fontWordSpacing=\"0\" multilineHeight=\"1\" \
         blendMode=\"0\" allowHtml=\"0\" previewBkgrdColor=\"255,255,255,255\" capitalization=\"0\">\n        \
         <text-buffer bufferDraw=\"1\" bufferSize=\"0.7\" bufferSizeUnits=\"MM\" bufferColor=\"255,255,255,255\" \
         bufferOpacity=\"0.8\" bufferJoinStyle=\"128\" bufferNoFill=\"1\" bufferBlendMode=\"0\"/>\n      \
         </text-style>\n      \
         <text-format wrapChar=\"\" autoWrapLength=\"0\" multilineAlign=\"3\" addDirectionSymbol=\"0\" \
         formatNumbers=\"0\" decimals=\"3\" plussign=\"0\" useMaxLineLengthForAutoWrap=\"1\"/>\n      \
         <placement placement=\"{placement}\" dist=\"1\" distUnits=\"MM\" offsetType=\"0\" \
         predefinedPositionOrder=\"TR,TL,BR,BL,R,L,TSR,BSR\" placementFlags=\"10\" quadOffset=\"4\" \
         xOffset=\"0\" yOffset=\"0\" offsetUnits=\"MM\" rotationAngle=\"0\" centroidWhole=\"0\" \
         centroidInside=\"0\" fitInPolygonOnly=\"0\" priority=\"5\" repeatDistance=\"0\" \
         overrunDistance=\"0\" overrunDistanceUnit=\"MM\" maxCurvedCharAngleIn=\"25\" \
         maxCurvedCharAngleOut=\"-25\" lineAnchorPercent=\"0.5\" lineAnchorType=\"0\" \
         lineAnchorClipping=\"0\" geometryGenerator=\"\" geometryGeneratorEnabled=\"0\" \
         geometryGeneratorType=\"PointGeometry\" layerType=\"UnknownGeometry\"/>\n      \
         <rendering drawLabels=\"1\" obstacle=\"1\" obstacleFactor=\"1\" obstacleType=\"1\" \
         scaleVisibility=\"0\" scaleMin=\"0\" scaleMax=\"0\" fontLimitPixelSize=\"0\" \
         fontMinPixelSize=\"3\" fontMaxPixelSize=\"10000\" limitNumLabels=\"0\" maxNumLabels=\"2000\" \
         mergeLines=\"0\" minFeatureSize=\"0\" labelPerPart=\"0\" displayAll=\"0\" upsidedownLabels=\"0\" \
         unplacedVisibility=\"0\" zIndex=\"0\"/>\n{}    </settings>\n  </labeling>\n",
        esc(text),
        u8::from(is_expression),
        rgba(colour),
        data_defined("dd_properties", &[], "      "),
    )
}

/// The whole document: DOCTYPE, `<qgis>` root, renderer, labels, geometry type.
fn document(geometry: Geometry, renderer: String, labels: Option<String>, opacity: f64) -> String {
    let labels_enabled = u8::from(labels.is_some());
    format!(
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n\
         <qgis version=\"3.28.0-Firenze\" styleCategories=\"Symbology|Labeling|Rendering\" \
         labelsEnabled=\"{labels_enabled}\" hasScaleBasedVisibilityFlag=\"0\" minScale=\"100000000\" \
         maxScale=\"0\" readOnly=\"0\">\n{renderer}{}  <blendMode>0</blendMode>\n  \
         <featureBlendMode>0</featureBlendMode>\n  <layerOpacity>{opacity}</layerOpacity>\n  \
         <layerGeometryType>{}</layerGeometryType>\n</qgis>\n",
        labels.unwrap_or_default(),
        geometry as u8
    )
}

/// Colours of the cooling technologies of built sites, in the order given;
/// repeated if there are more technologies than colours. Cool hues (blue,
/// teal, purple, ...) only: the warm hues belong to the cities' RTT slack, and
/// red and green mean loss and gain in `diff.qml`.
const PALETTE: [Rgba; 6] = [
    (31, 120, 180, 255),
    (0, 150, 150, 255),
    (106, 61, 154, 255),
    (51, 34, 136, 255),
    (136, 204, 238, 255),
    (68, 119, 170, 255),
];
/// The cities' RTT slack, in warm hues: tight dark orange, slack light sand.
const CITY_TIGHT: Rgba = (217, 95, 2, 230);
const CITY_SLACK: Rgba = (253, 204, 138, 230);
const STROKE: Rgba = (35, 35, 35, 255);
const GREY: Rgba = (140, 140, 140, 255);
/// Province boundaries (`provinces_qml`): the grey the QGIS check looks for.
pub const PROVINCE_LINE: (u8, u8, u8) = (150, 150, 150);

/// The project variable that switches the labels' language: `zh` (or unset:
/// Chinese, falling back to English where a feature has no Chinese name),
/// `en`, or `zh+en` (Chinese with English on a second line).
pub const LANG_VARIABLE: &str = "dcsite_lang";

/// A feature's name in the language of [`LANG_VARIABLE`]; `zh` by default.
pub fn name_expression() -> String {
    let v = LANG_VARIABLE;
    format!(
        "CASE WHEN @{v} = 'en' THEN \"name_en\" \
         WHEN @{v} = 'zh+en' THEN coalesce(\"name_zh\", \"name_en\") || char(10) || \"name_en\" \
         ELSE coalesce(\"name_zh\", \"name_en\") END"
    )
}

/// Marker diameter in mm for a quantity: area-proportional (Flannery's
/// exponent 0.57) from `min_mm` at 0 to `max_mm` at the layer's maximum.
fn size_expression(quantity: &str, min_mm: f64, max_mm: f64) -> String {
    format!("coalesce(scale_exp({quantity}, 0, maximum({quantity}), {min_mm}, {max_mm}, 0.57), {min_mm})")
}

/// Style of `sites.geojson`: built sites as circles categorised by cooling
/// technology in cool hues (`cooling_ids` in the order of cooling.csv), sized
/// by `cards_total`, labelled in bold with their name ([`name_expression`]);
/// unbuilt candidates small hollow grey circles without a label (the project
/// variable `dcsite_label_unbuilt` = 1 labels them too).
pub fn sites_qml(cooling_ids: &[&str]) -> String {
    // Built sites fall into their cooling's category; an unbuilt site into
    // "not built" whatever its other fields say.
    let attr = "if(\"built\", coalesce(\"cooling\", 'unknown'), 'not built')";
    let size = size_expression("\"cards_total\"", 2.0, 14.0);
    let mut categories: Vec<(&str, &str)> = Vec::new();
    let mut symbols = Vec::new();
    for (i, id) in cooling_ids.iter().enumerate() {
        categories.push((id, id));
        let colour = PALETTE[i % PALETTE.len()];
        let fill = (colour.0, colour.1, colour.2, 204);
        symbols.push(marker(
            &i.to_string(),
            fill,
            STROKE,
            0.3,
            4.0,
            Some(size.clone()),
        ));
    }
    categories.push(("not built", "not built (candidate)"));
    symbols.push(marker(
        &cooling_ids.len().to_string(),
        (255, 255, 255, 0),
        GREY,
        0.3,
        1.6,
        None,
    ));
    // Anything else (a built site without a cooling, a cooling not listed).
    categories.push(("", "other"));
    symbols.push(marker(
        &(cooling_ids.len() + 1).to_string(),
        (90, 90, 90, 204),
        STROKE,
        0.3,
        4.0,
        Some(size),
    ));
    let label = format!(
        "if(\"built\" OR coalesce(@dcsite_label_unbuilt, 0) = 1, {}, '')",
        name_expression()
    );
    document(
        Geometry::Point,
        categorized(attr, &categories, symbols),
        Some(labeling_weight(&label, true, 6, 8.5, (20, 20, 20, 255), 75)),
        1.0,
    )
}

/// Style of `flows.geojson`: semi-transparent neutral grey lines (no hue: the
/// hues belong to sites and cities) whose width grows with `cards_h200_eq`
/// (0.2 mm up to 3 mm at the layer's maximum); unlabelled.
pub fn flows_qml() -> String {
    let width =
        "coalesce(scale_linear(\"cards_h200_eq\", 0, maximum(\"cards_h200_eq\"), 0.2, 3), 0.2)";
    document(
        Geometry::Line,
        single(line("0", (90, 90, 90, 120), 0.4, Some(width.to_string()))),
        None,
        1.0,
    )
}

/// Style of `reach.geojson`: a thin dashed outline with no fill, so that
/// reach areas of 1,000 km and more do not wash out the map; unlabelled (the
/// site at its centre carries the name).
pub fn reach_qml() -> String {
    document(
        Geometry::Polygon,
        single(fill(
            "0",
            (255, 255, 255, 0),
            "no",
            (31, 120, 180, 150),
            0.25,
        )),
        None,
        1.0,
    )
}

/// RTT slack below which `cities.qml` marks a city as tight, ms.
pub const TIGHT_SLACK_MS: f64 = 2.0;

/// Style of `cities.geojson`: a square per demand city sized by
/// `served_h200_eq`, in warm hues by `rtt_slack_ms` (less than
/// [`TIGHT_SLACK_MS`] to spare: dark orange "tight"; more: light sand;
/// nothing served: hollow grey), labelled in small grey type with its name
/// ([`name_expression`]).
pub fn cities_qml() -> String {
    let attr = format!(
        "CASE WHEN \"rtt_slack_ms\" IS NULL THEN 'not served' \
         WHEN \"rtt_slack_ms\" < {TIGHT_SLACK_MS} THEN 'tight' ELSE 'slack' END"
    );
    let size = size_expression("\"served_h200_eq\"", 1.5, 6.0);
    let tight = format!("city: less than {TIGHT_SLACK_MS} ms of RTT to spare");
    let slack = format!("city: {TIGHT_SLACK_MS} ms or more to spare");
    let categories = [
        ("tight", tight.as_str()),
        ("slack", slack.as_str()),
        ("not served", "city: not served"),
    ];
    let symbols = vec![
        shaped_marker(
            "square",
            "0",
            CITY_TIGHT,
            STROKE,
            0.25,
            3.0,
            Some(size.clone()),
        ),
        shaped_marker("square", "1", CITY_SLACK, STROKE, 0.25, 3.0, Some(size)),
        shaped_marker("square", "2", (255, 255, 255, 0), GREY, 0.3, 1.5, None),
    ];
    document(
        Geometry::Point,
        categorized(&attr, &categories, symbols),
        Some(labeling(
            &name_expression(),
            true,
            6,
            6.5,
            (90, 90, 90, 255),
        )),
        1.0,
    )
}

/// Style of the country outline (`outline` in plan.gpkg,
/// data/china_outline.geojson): a pale land fill under everything, with a
/// dark grey coast and border line.
pub fn outline_qml() -> String {
    document(
        Geometry::Polygon,
        single(fill(
            "0",
            (246, 244, 238, 255),
            "solid",
            (80, 80, 80, 255),
            0.35,
        )),
        None,
        1.0,
    )
}

/// Style of the province boundaries (`provinces` in plan.gpkg): no fill,
/// thin [`PROVINCE_LINE`] grey lines; unlabelled (the sites and cities carry
/// the names).
pub fn provinces_qml() -> String {
    let (r, g, b) = PROVINCE_LINE;
    document(
        Geometry::Polygon,
        single(fill("0", (255, 255, 255, 0), "no", (r, g, b, 255), 0.2)),
        None,
        1.0,
    )
}

/// Style of a `diff.geojson` Point layer of a comparison, drawing one pair:
/// `field` holds the change in cards of `scenario` against `reference`
/// (`delta_cards` or `delta_cards_<scenario>`). Green for a gain, red for a
/// loss, small grey for no change, sized by the change, labelled with the
/// signed change; the legend names the pair.
pub fn diff_qml(field: &str, scenario: &str, reference: &str) -> String {
    let f = format!("\"{}\"", field.replace('"', "\"\""));
    let attr = format!("CASE WHEN {f} > 0 THEN 'gain' WHEN {f} < 0 THEN 'loss' ELSE 'none' END");
    let size = size_expression(&format!("abs({f})"), 1.5, 14.0);
    let gain = format!("more cards in {scenario} than in {reference}");
    let loss = format!("fewer cards in {scenario} than in {reference}");
    let none = format!("no change ({scenario} vs {reference})");
    let categories = [
        ("gain", gain.as_str()),
        ("loss", loss.as_str()),
        ("none", none.as_str()),
    ];
    let symbols = vec![
        marker(
            "0",
            (51, 160, 44, 204),
            STROKE,
            0.3,
            4.0,
            Some(size.clone()),
        ),
        marker("1", (227, 26, 28, 204), STROKE, 0.3, 4.0, Some(size)),
        marker("2", (160, 160, 160, 150), GREY, 0.3, 1.5, None),
    ];
    let label = format!("if({f} = 0, '', if({f} > 0, '+', '') || format_number({f}, 0))");
    document(
        Geometry::Point,
        categorized(&attr, &categories, symbols),
        Some(labeling(&label, true, 6, 8.0, (40, 40, 40, 255))),
        1.0,
    )
}

/// Style of a sweep's `robust.geojson`: points graduated by a probability
/// `field` in [0, 1] (light yellow to dark red in five classes; never built:
/// small hollow grey), sized by `size_field` (mean cards), labelled "name P%"
/// (`name_zh` / `name_en` by [`name_expression`], then the probability in per
/// cent) where the probability is above zero.
pub fn probability_qml(field: &str, size_field: &str) -> String {
    let f = format!("\"{}\"", field.replace('"', "\"\""));
    let size = size_expression(
        &format!("\"{}\"", size_field.replace('"', "\"\"")),
        2.0,
        14.0,
    );
    let classes: [(f64, f64, &str, Rgba); 5] = [
        (0.0, 0.0, "never built", (255, 255, 255, 0)),
        (
            0.0,
            0.25,
            "built in up to 25 % of the scenarios",
            (254, 217, 118, 230),
        ),
        (0.25, 0.5, "25-50 %", (253, 141, 60, 230)),
        (0.5, 0.75, "50-75 %", (227, 26, 28, 230)),
        (0.75, 1.0, "75-100 %", (128, 0, 38, 230)),
    ];
    let mut s = format!(
        "  <renderer-v2 type=\"graduatedSymbol\" attr=\"{}\" graduatedMethod=\"GraduatedColor\" \
         forceraster=\"0\" symbollevels=\"0\" enableorderby=\"0\" referencescale=\"-1\">\n    <ranges>\n",
        esc(field)
    );
    for (i, (lo, hi, label, _)) in classes.iter().enumerate() {
        s.push_str(&format!(
            "      <range symbol=\"{i}\" lower=\"{lo:.6}\" upper=\"{hi:.6}\" label=\"{}\" render=\"true\"/>\n",
            esc(label)
        ));
    }
    s.push_str("    </ranges>\n    <symbols>\n");
    for (i, (_, _, _, colour)) in classes.iter().enumerate() {
        s.push_str(&if i == 0 {
            marker("0", *colour, GREY, 0.3, 1.5, None)
        } else {
            marker(
                &i.to_string(),
                *colour,
                STROKE,
                0.3,
                4.0,
                Some(size.clone()),
            )
        });
    }
    s.push_str(
        "    </symbols>\n    <classificationMethod id=\"Fixed\">\n      \
         <symmetricMode enabled=\"0\" symmetrypoint=\"0\" astride=\"0\"/>\n      \
         <labelFormat format=\"%1 - %2\" labelprecision=\"2\" trimtrailingzeroes=\"1\"/>\n      \
         <extraInformation/>\n    </classificationMethod>\n    <rotation/>\n    <sizescale/>\n  </renderer-v2>\n",
    );
    // "name P%": the site's name (in the language of LANG_VARIABLE) and
    // its probability, for the sites ever built.
    let label = format!(
        "if({f} > 0, {} || ' ' || format_number({f} * 100, 0) || '%', '')",
        name_expression()
    );
    document(
        Geometry::Point,
        s,
        Some(labeling(&label, true, 6, 8.0, (40, 40, 40, 255))),
        1.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_expressions_in_attributes() {
        let s = diff_qml("delta_cards", "b", "a");
        assert!(s.contains("&quot;delta_cards&quot; &gt; 0"));
        assert!(!s.contains("\"delta_cards\""));
        assert!(s.contains("label=\"more cards in b than in a\""));
        assert!(s.starts_with(
            "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis version=\"3.28"
        ));
    }

    #[test]
    fn sites_has_one_category_per_cooling_plus_not_built_and_other() {
        let s = sites_qml(&["air", "cold_plate", "immersion"]);
        assert_eq!(s.matches("<category ").count(), 5);
        assert_eq!(s.matches("<symbol ").count(), 5);
        assert!(s.contains("value=\"not built\""));
        assert!(s.contains("<layerGeometryType>0</layerGeometryType>"));
        assert!(s.contains("labelsEnabled=\"1\""));
    }

    #[test]
    fn probability_style_has_five_ranges_on_its_field() {
        let s = probability_qml("p_built", "cards_mean");
        assert_eq!(s.matches("<range ").count(), 5);
        assert_eq!(s.matches("<symbol ").count(), 5);
        assert!(s.contains("attr=\"p_built\""));
        assert!(s.contains("&quot;cards_mean&quot;"));
    }

    /// Every `color` option of a style.
    fn fills(s: &str) -> Vec<String> {
        s.split("name=\"color\" value=\"")
            .skip(1)
            .map(|r| r.split('"').next().unwrap().to_string())
            .collect()
    }

    #[test]
    fn sites_and_cities_share_no_colour_and_labels_are_not_repeated() {
        let sites = sites_qml(&["air", "cold_plate", "immersion"]);
        let cities = cities_qml();
        let site_fills = fills(&sites);
        for c in fills(&cities) {
            if !c.ends_with(",0") {
                assert!(!site_fills.contains(&c), "{c} in both styles");
            }
        }
        // Only built sites are labelled (unless the project says otherwise),
        // in Chinese by default.
        assert!(sites.contains("if(&quot;built&quot; OR coalesce(@dcsite_label_unbuilt, 0) = 1"));
        assert!(sites.contains("ELSE coalesce(&quot;name_zh&quot;, &quot;name_en&quot;) END"));
        assert!(cities.contains("@dcsite_lang = &apos;en&apos; THEN &quot;name_en&quot;"));
        // Reach and flows carry no label.
        assert!(reach_qml().contains("labelsEnabled=\"0\""));
        assert!(!reach_qml().contains("<labeling"));
        assert!(flows_qml().contains("labelsEnabled=\"0\""));
        // The robust layer: "name P%".
        let robust = probability_qml("p_built", "cards_mean");
        assert!(robust.contains(
            "END || &apos; &apos; || format_number(&quot;p_built&quot; * 100, 0) || &apos;%&apos;"
        ));
    }

    #[test]
    fn geometry_types_match_the_layers() {
        assert!(flows_qml().contains("<layerGeometryType>1</layerGeometryType>"));
        assert!(reach_qml().contains("<layerGeometryType>2</layerGeometryType>"));
        assert!(outline_qml().contains("<layerGeometryType>2</layerGeometryType>"));
        assert!(provinces_qml().contains("<layerGeometryType>2</layerGeometryType>"));
        assert!(diff_qml("delta_cards_c", "c", "a")
            .contains("<layerGeometryType>0</layerGeometryType>"));
    }
}
