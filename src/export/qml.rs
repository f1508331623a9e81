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
    let props = [
        ("angle", "0".to_string()),
        ("cap_style", "square".into()),
        ("color", rgba(fill)),
        ("horizontal_anchor_point", "1".into()),
        ("joinstyle", "bevel".into()),
        ("name", "circle".into()),
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
    let props = [
        ("align_dash_pattern", "0".to_string()),
        ("capstyle", "round".into()),
        ("customdash", "5;2".into()),
        ("customdash_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("customdash_unit", "MM".into()),
        ("draw_inside_polygon", "0".into()),
        ("joinstyle", "round".into()),
        ("line_color", rgba(colour)),
        ("line_style", "solid".into()),
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

/// A solid fill with an outline.
fn fill(name: &str, colour: Rgba, stroke: Rgba, stroke_mm: f64) -> String {
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
        ("style", "solid".into()),
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
    format!(
        "  <labeling type=\"simple\">\n    <settings calloutType=\"simple\">\n      \
         <text-style fieldName=\"{}\" isExpression=\"{}\" fontFamily=\"Sans Serif\" fontSize=\"{size_pt}\" \
         fontSizeUnit=\"Point\" fontWeight=\"50\" fontItalic=\"0\" textColor=\"{}\" textOpacity=\"1\" \
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

/// Colours of the cooling technologies, in the order given; repeated if
/// there are more technologies than colours.
/// (No red or green: those mean loss and gain in `diff.qml`.)
const PALETTE: [Rgba; 6] = [
    (31, 120, 180, 255),
    (255, 127, 0, 255),
    (106, 61, 154, 255),
    (0, 160, 160, 255),
    (177, 89, 40, 255),
    (231, 41, 138, 255),
];
const STROKE: Rgba = (35, 35, 35, 255);
const GREY: Rgba = (140, 140, 140, 255);

/// Marker diameter in mm for a quantity: area-proportional (Flannery's
/// exponent 0.57) from `min_mm` at 0 to `max_mm` at the layer's maximum.
fn size_expression(quantity: &str, min_mm: f64, max_mm: f64) -> String {
    format!("coalesce(scale_exp({quantity}, 0, maximum({quantity}), {min_mm}, {max_mm}, 0.57), {min_mm})")
}

/// Style of `sites.geojson`: points categorised by cooling technology (built
/// sites; `cooling_ids` in the order of cooling.csv), sized by `cards_total`;
/// unbuilt sites small hollow grey circles; every site labelled with `name_en`.
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
    categories.push(("not built", "not built"));
    symbols.push(marker(
        &cooling_ids.len().to_string(),
        (255, 255, 255, 0),
        GREY,
        0.4,
        1.8,
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
    document(
        Geometry::Point,
        categorized(attr, &categories, symbols),
        Some(labeling("name_en", false, 6, 8.0, (40, 40, 40, 255))),
        1.0,
    )
}

/// Style of `flows.geojson`: semi-transparent lines whose width grows with
/// `cards_h200_eq` (0.2 mm up to 3 mm at the layer's maximum).
pub fn flows_qml() -> String {
    let width =
        "coalesce(scale_linear(\"cards_h200_eq\", 0, maximum(\"cards_h200_eq\"), 0.2, 3), 0.2)";
    document(
        Geometry::Line,
        single(line("0", (31, 120, 180, 150), 0.4, Some(width.to_string()))),
        None,
        1.0,
    )
}

/// Style of `reach.geojson`: a semi-transparent fill with a thin outline, so
/// that overlapping reach areas stay readable.
pub fn reach_qml() -> String {
    document(
        Geometry::Polygon,
        single(fill("0", (166, 206, 227, 51), (31, 120, 180, 180), 0.3)),
        Some(labeling("name_en", false, 0, 7.0, (31, 120, 180, 255))),
        1.0,
    )
}

/// RTT slack below which `cities.qml` marks a city as tight, ms.
pub const TIGHT_SLACK_MS: f64 = 2.0;

/// Style of `cities.geojson`: a point per demand city sized by
/// `served_h200_eq`, coloured by `rtt_slack_ms` (less than
/// [`TIGHT_SLACK_MS`] to spare: orange "tight"; more: blue; nothing served:
/// hollow grey), labelled with `name_en`.
pub fn cities_qml() -> String {
    let attr = format!(
        "CASE WHEN \"rtt_slack_ms\" IS NULL THEN 'not served' \
         WHEN \"rtt_slack_ms\" < {TIGHT_SLACK_MS} THEN 'tight' ELSE 'slack' END"
    );
    let size = size_expression("\"served_h200_eq\"", 1.5, 8.0);
    let tight = format!("less than {TIGHT_SLACK_MS} ms of RTT to spare");
    let slack = format!("{TIGHT_SLACK_MS} ms or more to spare");
    let categories = [
        ("tight", tight.as_str()),
        ("slack", slack.as_str()),
        ("not served", "not served"),
    ];
    let symbols = vec![
        marker(
            "0",
            (255, 127, 0, 220),
            STROKE,
            0.3,
            3.0,
            Some(size.clone()),
        ),
        marker("1", (31, 120, 180, 220), STROKE, 0.3, 3.0, Some(size)),
        marker("2", (255, 255, 255, 0), GREY, 0.4, 1.8, None),
    ];
    document(
        Geometry::Point,
        categorized(&attr, &categories, symbols),
        Some(labeling("name_en", false, 6, 7.0, (60, 60, 60, 255))),
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
/// small hollow grey), sized by `size_field` (mean cards), labelled with the
/// probability in per cent.
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
    let label = format!("if({f} > 0, format_number({f} * 100, 0) || ' %', '')");
    document(
        Geometry::Point,
        s,
        Some(labeling(&label, true, 6, 8.0, (40, 40, 40, 255))),
        1.0,
    )
}

/// Style of the national outline in `plan.gpkg` (`outline`, from
/// `data/china_outline.geojson`): a thin dark grey line, no fill, so that
/// it frames the plan's layers without hiding them.
pub fn outline_qml() -> String {
    document(
        Geometry::Polygon,
        single(fill("0", (255, 255, 255, 0), (90, 90, 90, 255), 0.4)),
        None,
        1.0,
    )
}

/// Style of the province boundaries in `plan.gpkg` (`provinces`): a very
/// light grey fill and thin grey boundaries, unlabelled (the plan's layers
/// carry the names).
pub fn provinces_qml() -> String {
    document(
        Geometry::Polygon,
        single(fill("0", (240, 240, 240, 255), (170, 170, 170, 255), 0.2)),
        None,
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

    #[test]
    fn geometry_types_match_the_layers() {
        assert!(flows_qml().contains("<layerGeometryType>1</layerGeometryType>"));
        assert!(reach_qml().contains("<layerGeometryType>2</layerGeometryType>"));
        assert!(diff_qml("delta_cards_c", "c", "a")
            .contains("<layerGeometryType>0</layerGeometryType>"));
    }
}
