//! Every layer `dcsite solve` writes — sites, flows, reach, cities, and their
//! re-projected copies (`--crs EPSG:4490`, `--crs <China Albers PROJ string>`) —
//! read by GDAL (`ogrinfo`, `ogr2ogr` from gdal-bin): geometry type, feature
//! count, field types, CRS, coordinates against GDAL's own re-projection, and a
//! GeoPackage conversion without warnings. The QGIS styles (.qml) parse as XML
//! and name only fields of their layer; where QGIS is installed (Debian
//! `python3-qgis`), QGIS loads each layer headlessly, applies its style as its
//! default style and renders it.

use crate::common;
use crate::qgis_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;
use serde_json::Value;

/// China Albers equal-area (EPSG has no code for it).
const ALBERS: &str =
    "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs";

/// (layer, GDAL geometry type, QGIS layerGeometryType).
const LAYERS: [(&str, &str, &str); 4] = [
    ("sites", "Point", "0"),
    ("flows", "Line String", "1"),
    ("reach", "Polygon", "2"),
    ("cities", "Point", "0"),
];

/// (file-name infix, CRS as passed to --crs / GDAL, geographic?).
const VARIANTS: [(&str, &str, bool); 3] = [
    ("", "EPSG:4326", true),
    (".epsg-4490", "EPSG:4490", true),
    (".proj-aea", ALBERS, false),
];

/// The baseline solved once for all tests of this file, with both --crs.
pub(crate) fn solved() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gdal_layers");
        // The QGIS test leaves its PNGs in the folder, which --force refuses
        // to replace: a re-run starts from no folder.
        let _ = std::fs::remove_dir_all(&out);
        let o = Command::new(env!("CARGO_BIN_EXE_dcsite"))
            .args(["solve", "models/small/baseline.toml", "--out"])
            .arg(&out)
            .args(["--force", "--quiet", "--crs", "EPSG:4490", "--crs", ALBERS])
            .current_dir(root())
            .output()
            .expect("dcsite runs");
        assert!(
            o.status.success(),
            "dcsite solve failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        out
    })
}

/// What `ogrinfo -ro -al -so` reports about a one-layer file.
#[derive(Debug)]
struct OgrLayer {
    geometry: String,
    count: usize,
    srs_wkt: String,
    fields: Vec<(String, String)>,
}

fn ogrinfo(path: &Path) -> OgrLayer {
    let o = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(path)
        .output()
        .expect("ogrinfo (gdal-bin) is installed by scripts/setup.sh");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "ogrinfo failed on {}: {stderr}",
        path.display()
    );
    assert!(
        stderr.trim().is_empty(),
        "ogrinfo warned on {}: {stderr}",
        path.display()
    );
    let text = String::from_utf8(o.stdout).unwrap();
    let mut layer = OgrLayer {
        geometry: String::new(),
        count: 0,
        srs_wkt: String::new(),
        fields: Vec::new(),
    };
    let mut in_wkt = false;
    let mut in_fields = false;
    for line in text.lines() {
        if let Some(g) = line.strip_prefix("Geometry: ") {
            layer.geometry = g.to_string();
        } else if let Some(n) = line.strip_prefix("Feature Count: ") {
            layer.count = n.parse().unwrap();
        } else if line.starts_with("Layer SRS WKT:") {
            in_wkt = true;
        } else if line.starts_with("Data axis to CRS axis mapping") {
            in_wkt = false;
            in_fields = true;
        } else if in_wkt {
            layer.srs_wkt.push_str(line.trim());
        } else if in_fields && !line.contains(" = ") {
            // "name: Type (width.precision)"; GeoPackages add "FID Column = fid" etc.
            let (name, rest) = line.split_once(": ").expect("a field line");
            let kind = rest.rsplit_once(" (").map_or(rest, |(k, _)| k);
            layer.fields.push((name.to_string(), kind.to_string()));
        }
    }
    layer
}

/// The GDAL field type each property should have, judged from the JSON values.
fn expected_kind(features: &[Value], key: &str) -> &'static str {
    let values: Vec<&Value> = features
        .iter()
        .map(|f| &f["properties"][key])
        .filter(|v| !v.is_null())
        .collect();
    if values.is_empty() || values.iter().all(|v| v.is_string()) {
        "String"
    } else if values.iter().all(|v| v.is_boolean()) {
        "Integer(Boolean)"
    } else if values.iter().all(|v| v.is_i64() || v.is_u64()) {
        let big = values.iter().any(|v| {
            v.as_i64()
                .is_none_or(|x| x > i32::MAX as i64 || x < i32::MIN as i64)
        });
        if big {
            "Integer64"
        } else {
            "Integer"
        }
    } else if values.iter().all(|v| v.is_number()) {
        "Real"
    } else {
        panic!("{key}: mixed JSON types")
    }
}

fn same_integer_kind(a: &str, b: &str) -> bool {
    a == b || (matches!(a, "Integer" | "Integer64") && matches!(b, "Integer" | "Integer64"))
}

#[test]
fn every_layer_has_its_geometry_type_count_and_field_types() {
    let dir = solved();
    for (layer, geometry, _) in LAYERS {
        for (infix, crs, _) in VARIANTS {
            let path = dir.join(format!("{layer}{infix}.geojson"));
            let json = read_json(&path);
            let features = json["features"].as_array().unwrap();
            assert!(!features.is_empty(), "{} is empty", path.display());
            let info = ogrinfo(&path);
            assert_eq!(info.geometry, geometry, "{}", path.display());
            assert_eq!(info.count, features.len(), "{}", path.display());
            let keys: Vec<&String> = features[0]["properties"]
                .as_object()
                .unwrap()
                .keys()
                .collect();
            let names: Vec<&String> = info.fields.iter().map(|(n, _)| n).collect();
            assert_eq!(names, keys, "{}: fields", path.display());
            for (name, kind) in &info.fields {
                let want = expected_kind(features, name);
                // GDAL promotes integers to Integer64 only when a value needs it.
                let ok = if want == "Integer" {
                    kind == "Integer"
                } else {
                    kind == want
                };
                assert!(
                    ok,
                    "{} {name}: GDAL says {kind}, expected {want}",
                    path.display()
                );
            }
            // Spot checks of the types the issue names.
            let kind_of = |n: &str| {
                info.fields
                    .iter()
                    .find(|(f, _)| f == n)
                    .map(|(_, k)| k.as_str())
            };
            match layer {
                "sites" => {
                    assert_eq!(kind_of("built"), Some("Integer(Boolean)"));
                    assert_eq!(kind_of("mega_cluster"), Some("Integer(Boolean)"));
                    assert_eq!(kind_of("cards_total"), Some("Integer"));
                    assert_eq!(kind_of("it_mw"), Some("Real"));
                    assert!(same_integer_kind(
                        kind_of("capex_cny").unwrap(),
                        "Integer64"
                    ));
                }
                "flows" => {
                    assert_eq!(kind_of("cards_h200_eq"), Some("Real"));
                    assert_eq!(kind_of("node_name_zh"), Some("String"));
                    assert_eq!(kind_of("site_name_zh"), Some("String"));
                }
                "cities" => {
                    assert_eq!(kind_of("served_h200_eq"), Some("Real"));
                    assert_eq!(kind_of("rtt_budget_ms"), Some("Real"));
                    assert_eq!(kind_of("rtt_slack_ms"), Some("Real"));
                    assert_eq!(kind_of("site_ids"), Some("String"));
                    assert_eq!(kind_of("name_zh"), Some("String"));
                }
                _ => {
                    assert_eq!(kind_of("cities_in_reach"), Some("Integer"));
                    assert_eq!(kind_of("name_zh"), Some("String"));
                }
            }
            let _ = crs;
        }
    }
}

/// Every position of every geometry, flattened.
fn positions(v: &Value, out: &mut Vec<(f64, f64)>) {
    if let Some(items) = v.as_array() {
        if items.len() >= 2 && items.iter().all(Value::is_number) {
            out.push((items[0].as_f64().unwrap(), items[1].as_f64().unwrap()));
        } else {
            for i in items {
                positions(i, out);
            }
        }
    }
}

fn all_positions(fc: &Value) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for f in fc["features"].as_array().unwrap() {
        positions(&f["geometry"]["coordinates"], &mut out);
    }
    out
}

#[test]
fn projected_copies_carry_their_crs_and_match_gdals_own_reprojection() {
    let dir = solved();
    let scratch = tempfile::tempdir().unwrap();
    for (layer, _, _) in LAYERS {
        let plain = read_json(&dir.join(format!("{layer}.geojson")));
        assert!(
            plain.get("crs").is_none(),
            "{layer}.geojson must stay RFC 7946"
        );
        for (infix, crs, geographic) in VARIANTS {
            let path = dir.join(format!("{layer}{infix}.geojson"));
            let info = ogrinfo(&path);
            match infix {
                "" => assert!(
                    info.srs_wkt.contains("ID[\"EPSG\",4326]"),
                    "{}",
                    info.srs_wkt
                ),
                ".epsg-4490" => {
                    assert!(
                        info.srs_wkt.contains("ID[\"EPSG\",4490]"),
                        "{}",
                        info.srs_wkt
                    );
                    assert!(info
                        .srs_wkt
                        .contains("China Geodetic Coordinate System 2000"));
                }
                _ => {
                    let w = &info.srs_wkt;
                    assert!(w.contains("METHOD[\"Albers Equal Area\""), "{w}");
                    assert!(
                        w.contains("PARAMETER[\"Longitude of false origin\",105"),
                        "{w}"
                    );
                    assert!(
                        w.contains("PARAMETER[\"Latitude of 1st standard parallel\",25"),
                        "{w}"
                    );
                    assert!(
                        w.contains("PARAMETER[\"Latitude of 2nd standard parallel\",47"),
                        "{w}"
                    );
                    assert!(w.contains("World Geodetic System 1984"), "{w}");
                }
            }
            if infix.is_empty() {
                continue;
            }
            let ours = read_json(&path);
            // Same features, same properties, in the same order.
            let props = |fc: &Value| -> Vec<Value> {
                fc["features"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["properties"].clone())
                    .collect()
            };
            assert_eq!(props(&ours), props(&plain), "{}", path.display());
            // GDAL re-projects the RFC 7946 layer with the system PROJ: an
            // independent implementation of the same transformation.
            let reference = scratch.path().join(format!("{layer}{infix}.ref.geojson"));
            let o = Command::new("ogr2ogr")
                .args(["-f", "GeoJSON", "-t_srs", crs])
                .arg(&reference)
                .arg(dir.join(format!("{layer}.geojson")))
                .output()
                .expect("ogr2ogr runs");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let want = all_positions(&read_json(&reference));
            let got = all_positions(&ours);
            assert_eq!(got.len(), want.len());
            let tol = if geographic { 1.5e-6 } else { 0.02 };
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g.0 - w.0).abs() <= tol && (g.1 - w.1).abs() <= tol,
                    "{}: {g:?} vs GDAL {w:?}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn every_layer_converts_to_a_geopackage_without_warnings() {
    let dir = solved();
    let scratch = tempfile::tempdir().unwrap();
    for (layer, geometry, _) in LAYERS {
        for (infix, _, _) in VARIANTS {
            let src = dir.join(format!("{layer}{infix}.geojson"));
            let gpkg = scratch.path().join(format!("{layer}{infix}.gpkg"));
            let o = Command::new("ogr2ogr")
                .args(["-f", "GPKG"])
                .arg(&gpkg)
                .arg(&src)
                .output()
                .expect("ogr2ogr runs");
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(o.status.success(), "{}: {stderr}", src.display());
            assert!(
                stderr.trim().is_empty(),
                "{}: ogr2ogr warned: {stderr}",
                src.display()
            );
            let from = ogrinfo(&src);
            let to = ogrinfo(&gpkg);
            assert_eq!(to.geometry, geometry, "{}", gpkg.display());
            assert_eq!(to.count, from.count, "{}", gpkg.display());
            assert_eq!(to.fields.len(), from.fields.len());
            for ((n1, k1), (n2, k2)) in from.fields.iter().zip(&to.fields) {
                assert_eq!(n1, n2);
                assert!(
                    same_integer_kind(k1, k2),
                    "{}: {n1} {k1} became {k2}",
                    gpkg.display()
                );
            }
        }
    }
}

/// Field names an expression refers to: its double-quoted identifiers.
fn quoted_fields(expression: &str, out: &mut BTreeSet<String>) {
    let mut rest = expression;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        out.insert(after[..end].to_string());
        rest = &after[end + 1..];
    }
}

/// Parses a .qml and returns (layerGeometryType, the fields it refers to,
/// category values).
fn qml_facts(text: &str) -> (String, BTreeSet<String>, Vec<String>) {
    assert!(
        text.starts_with("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"),
        "DOCTYPE"
    );
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options)
        .expect("the .qml is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "qgis");
    assert!(root.attribute("version").unwrap().starts_with("3.28"));
    let mut fields = BTreeSet::new();
    let mut categories = Vec::new();
    let mut geometry = String::new();
    for n in root.descendants().filter(|n| n.is_element()) {
        match n.tag_name().name() {
            "renderer-v2" => {
                if let Some(attr) = n.attribute("attr") {
                    if attr.contains('"') || attr.contains('(') {
                        quoted_fields(attr, &mut fields);
                    } else {
                        fields.insert(attr.to_string());
                    }
                }
            }
            "category" => categories.push(n.attribute("value").unwrap().to_string()),
            "text-style" => {
                let f = n.attribute("fieldName").unwrap();
                if n.attribute("isExpression") == Some("1") {
                    quoted_fields(f, &mut fields);
                } else {
                    fields.insert(f.to_string());
                }
            }
            "Option" if n.attribute("name") == Some("expression") => {
                quoted_fields(n.attribute("value").unwrap(), &mut fields);
            }
            "Option" if n.attribute("name") == Some("field") => {
                fields.insert(n.attribute("value").unwrap().to_string());
            }
            "layerGeometryType" => geometry = n.text().unwrap_or("").to_string(),
            _ => {}
        }
    }
    (geometry, fields, categories)
}

#[test]
fn styles_parse_and_refer_only_to_fields_of_their_layer() {
    let dir = solved();
    let (_, inst, _) = dcsite::data::load(&root().join("models/small/baseline.toml")).unwrap();
    for (layer, _, geometry_type) in LAYERS {
        let base = std::fs::read_to_string(dir.join(format!("{layer}.qml"))).unwrap();
        for (infix, _, _) in VARIANTS {
            let qml = std::fs::read_to_string(dir.join(format!("{layer}{infix}.qml"))).unwrap();
            assert_eq!(qml, base, "every copy of {layer} has the same style");
            let json = read_json(&dir.join(format!("{layer}{infix}.geojson")));
            let (geometry, fields, categories) = qml_facts(&qml);
            assert_eq!(geometry, geometry_type, "{layer}{infix}.qml");
            let keys: BTreeSet<String> = json["features"][0]["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            for f in &fields {
                assert!(
                    keys.contains(f),
                    "{layer}.qml refers to {f:?}, not a field of the layer"
                );
            }
            let needs: &[&str] = match layer {
                "sites" => &["built", "cooling", "cards_total", "name_en", "name_zh"],
                "flows" => &["cards_h200_eq"],
                "cities" => &["served_h200_eq", "rtt_slack_ms", "name_en", "name_zh"],
                // Reach areas carry no label: the site at the centre does.
                _ => &[],
            };
            for n in needs {
                assert!(
                    fields.contains(*n),
                    "{layer}.qml does not use {n}: {fields:?}"
                );
            }
            if layer == "cities" {
                assert_eq!(categories, ["tight", "slack", "not served"]);
            }
            if layer == "sites" {
                for c in &inst.cooling {
                    assert!(
                        categories.contains(&c.id),
                        "no category for cooling {}",
                        c.id
                    );
                }
                assert!(categories.iter().any(|c| c == "not built"));
            }
        }
    }
    for field in ["delta_cards", "delta_cards_central_push"] {
        let (geometry, fields, categories) =
            qml_facts(&dcsite::export::diff_qml(field, "central_push", "baseline"));
        assert_eq!(geometry, "0");
        assert_eq!(fields, BTreeSet::from([field.to_string()]));
        assert_eq!(categories, ["gain", "loss", "none"]);
    }
}

/// Loads each layer in QGIS (offscreen), lets QGIS find its .qml as the
/// default style, and renders it; prints one JSON object per layer.
const QGIS_SCRIPT: &str = r#"
import json, os, sys
from qgis.core import QgsApplication, QgsVectorLayer, QgsMapSettings, QgsMapRendererParallelJob, QgsRectangle
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
folder = sys.argv[1]
for name in sys.argv[2:]:
    layer = QgsVectorLayer(os.path.join(folder, name + ".geojson"), name, "ogr")
    out = {"layer": name, "valid": layer.isValid()}
    if layer.isValid():
        message, ok = layer.loadDefaultStyle()
        renderer = layer.renderer()
        out.update({
            "style_ok": bool(ok), "message": message, "renderer": renderer.type(),
            "labels": layer.labelsEnabled(),
            "categories": [c.value() for c in renderer.categories()] if renderer.type() == "categorizedSymbol" else [],
            "crs_valid": layer.crs().isValid(),
        })
        settings = QgsMapSettings()
        settings.setLayers([layer])
        settings.setDestinationCrs(layer.crs())
        extent = QgsRectangle(layer.extent())
        extent.scale(1.2)
        settings.setExtent(extent)
        settings.setOutputSize(QSize(240, 180))
        settings.setBackgroundColor(QColor(255, 255, 255))
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        image = job.renderedImage()
        image.save(os.path.join(folder, name + ".png"))
        white = QColor(255, 255, 255).rgb()
        out["painted"] = sum(1 for x in range(image.width()) for y in range(image.height()) if image.pixel(x, y) != white)
        out["errors"] = [e.message for e in job.errors()]
    print(json.dumps(out))
sys.stdout.flush()
# QGIS 3.22 standalone scripts may crash in exitQgis(); the results are out.
os._exit(0)
"#;

#[test]
fn qgis_loads_every_layer_with_its_style_headless() {
    let dir = solved();
    // A comparison layer as the other command will write it: points with
    // delta_cards. Kept (with the rendered PNGs) under target/tmp for a look.
    let scratch = tempfile::tempdir().unwrap();
    let diff_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gdal_layers_diff");
    std::fs::create_dir_all(&diff_dir).unwrap();
    let mut sites = read_json(&dir.join("sites.geojson"));
    for (i, f) in sites["features"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        let cards = f["properties"]["cards_total"].as_i64().unwrap();
        let delta = match i % 3 {
            0 => cards + 5000,
            1 => -cards - 1000,
            _ => 0,
        };
        f["properties"] =
            serde_json::json!({"site_id": f["properties"]["site_id"], "delta_cards": delta});
    }
    sites["name"] = "diff".into();
    std::fs::write(diff_dir.join("diff.geojson"), sites.to_string()).unwrap();
    std::fs::write(
        diff_dir.join("diff.qml"),
        dcsite::export::diff_qml("delta_cards", "central_push", "baseline"),
    )
    .unwrap();
    let script = scratch.path().join("check.py");
    std::fs::write(&script, QGIS_SCRIPT).unwrap();

    let mut runs: Vec<(PathBuf, Vec<String>)> = vec![(diff_dir.clone(), vec!["diff".into()])];
    let mut names = Vec::new();
    for (layer, _, _) in LAYERS {
        for (infix, _, _) in VARIANTS {
            names.push(format!("{layer}{infix}"));
        }
    }
    runs.push((dir.to_path_buf(), names));
    for (folder, names) in runs {
        let stdout = qgis_support::stdout_of(
            qgis_support::command(scratch.path())
                .arg(&script)
                .arg(&folder)
                .args(&names),
            "QGIS script",
        );
        let results: Vec<Value> = stdout
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(results.len(), names.len(), "{stdout}");
        for r in &results {
            let name = r["layer"].as_str().unwrap();
            assert_eq!(r["valid"], true, "{name}: {r}");
            assert_eq!(r["style_ok"], true, "{name}: the .qml was not applied: {r}");
            assert_eq!(r["crs_valid"], true, "{name}: {r}");
            assert_eq!(r["errors"], serde_json::json!([]), "{name}: {r}");
            assert!(
                r["painted"].as_u64().unwrap() > 50,
                "{name}: nothing drawn: {r}"
            );
            let base = name.split('.').next().unwrap();
            let (renderer, labels) = match base {
                "sites" | "diff" | "cities" => ("categorizedSymbol", true),
                "flows" => ("singleSymbol", false),
                _ => ("singleSymbol", false),
            };
            assert_eq!(r["renderer"], renderer, "{name}: {r}");
            assert_eq!(r["labels"], labels, "{name}: {r}");
            if base == "diff" {
                assert_eq!(r["categories"], serde_json::json!(["gain", "loss", "none"]));
            }
        }
    }
}

/// Great-circle distance on a sphere of the mean Earth radius (km): an
/// independent, cruder distance than the geodesic the model uses (they differ
/// by under 0.6 %).
fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lon1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lon2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0088 * h.sqrt().asin()
}

#[test]
fn cities_layer_agrees_with_flows_sites_and_demand_csv() {
    let dir = solved();
    let (_, inst, _) = dcsite::data::load(&root().join("models/small/baseline.toml")).unwrap();
    let cities = read_json(&dir.join("cities.geojson"));
    let flows = read_json(&dir.join("flows.geojson"));
    let sites = read_json(&dir.join("sites.geojson"));
    let cities = cities["features"].as_array().unwrap();
    let flows = flows["features"].as_array().unwrap();
    let sites = sites["features"].as_array().unwrap();
    let site_point = |id: &str| -> (f64, f64) {
        let f = sites
            .iter()
            .find(|f| f["properties"]["site_id"] == id)
            .unwrap_or_else(|| panic!("site {id} in sites.geojson"));
        let c = &f["geometry"]["coordinates"];
        (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
    };
    // One point per row of demand.csv, in its order, at its coordinates.
    assert_eq!(cities.len(), inst.demand.len());
    let demand_csv = std::fs::read_to_string(root().join("data/small/demand.csv")).unwrap();
    let mut served_total = 0.0;
    let mut slack_seen = 0;
    for (city, line) in cities.iter().zip(demand_csv.lines().skip(1)) {
        // node_id,name_en,name_zh,province,lat,lon,weight,max_rtt_ms,...
        let cells: Vec<&str> = line.split(',').collect();
        let p = &city["properties"];
        assert_eq!(p["node_id"], cells[0]);
        assert_eq!(p["name_en"], cells[1]);
        assert_eq!(p["name_zh"], cells[2]);
        let (lat, lon): (f64, f64) = (cells[4].parse().unwrap(), cells[5].parse().unwrap());
        let c = &city["geometry"]["coordinates"];
        assert!((c[0].as_f64().unwrap() - lon).abs() < 1e-6);
        assert!((c[1].as_f64().unwrap() - lat).abs() < 1e-6);
        assert_eq!(
            p["weight"].as_f64().unwrap(),
            cells[6].parse::<f64>().unwrap()
        );
        let budget: f64 = cells[7].parse().unwrap();
        assert_eq!(p["rtt_budget_ms"].as_f64().unwrap(), budget);
        // From flows.geojson: the city's flows that carry cards.
        let mine: Vec<&Value> = flows
            .iter()
            .filter(|f| {
                f["properties"]["node_id"] == cells[0]
                    && f["properties"]["cards_h200_eq"].as_f64().unwrap() > 0.0
            })
            .collect();
        let served: f64 = mine
            .iter()
            .map(|f| f["properties"]["cards_h200_eq"].as_f64().unwrap())
            .sum();
        let got = p["served_h200_eq"].as_f64().unwrap();
        // Each flow is rounded to 0.1 in flows.geojson.
        assert!(
            (got - served).abs() <= 0.05 * (mine.len() as f64 + 1.0),
            "{}: served {got} vs flows {served}",
            cells[0]
        );
        served_total += got;
        let ids: BTreeSet<&str> = mine
            .iter()
            .map(|f| f["properties"]["site_id"].as_str().unwrap())
            .collect();
        let listed: BTreeSet<&str> = p["site_ids"]
            .as_str()
            .unwrap()
            .split(';')
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(listed, ids, "{}", cells[0]);
        assert_eq!(p["n_sites"].as_u64().unwrap() as usize, ids.len());
        if ids.is_empty() {
            assert!(p["rtt_slack_ms"].is_null() && p["worst_rtt_ms"].is_null());
            continue;
        }
        // The worst RTT, recomputed from the coordinates with the scenario's
        // latency model and a spherical distance.
        let pr = &inst.params;
        let worst = ids
            .iter()
            .map(|id| {
                let km = haversine_km((lon, lat), site_point(id));
                2.0 * km * pr.route_factor * pr.fibre_us_per_km / 1000.0 + pr.overhead_ms
            })
            .fold(0.0, f64::max);
        let slack = p["rtt_slack_ms"].as_f64().unwrap();
        assert!(
            (p["worst_rtt_ms"].as_f64().unwrap() - worst).abs() <= 0.01 * worst,
            "{}: worst RTT {} vs {worst:.3}",
            cells[0],
            p["worst_rtt_ms"]
        );
        assert!(
            (slack - (budget - worst)).abs() <= 0.01 * worst,
            "{}: slack {slack} vs {:.3}",
            cells[0],
            budget - worst
        );
        // No city is served beyond its budget.
        assert!(slack >= -1e-6, "{}: slack {slack}", cells[0]);
        slack_seen += 1;
    }
    assert!(slack_seen > 0, "some city is served");
    let flows_total: f64 = flows
        .iter()
        .map(|f| f["properties"]["cards_h200_eq"].as_f64().unwrap())
        .sum();
    assert!(
        (served_total - flows_total).abs() <= 0.05 * (flows.len() as f64 + cities.len() as f64),
        "cities {served_total} vs flows {flows_total}"
    );
    // name_zh on flows and reach, from sites.csv / demand.csv.
    for f in flows {
        let p = &f["properties"];
        let node = inst
            .demand
            .iter()
            .find(|d| p["node_id"] == d.id.as_str())
            .unwrap();
        let site = inst
            .sites
            .iter()
            .find(|s| p["site_id"] == s.id.as_str())
            .unwrap();
        assert_eq!(p["node_name_zh"], node.name_zh.as_str());
        assert_eq!(p["site_name_zh"], site.name_zh.as_str());
    }
    let reach = read_json(&dir.join("reach.geojson"));
    for f in reach["features"].as_array().unwrap() {
        let p = &f["properties"];
        let site = inst
            .sites
            .iter()
            .find(|s| p["site_id"] == s.id.as_str())
            .unwrap();
        assert_eq!(p["name_zh"], site.name_zh.as_str());
    }
}
