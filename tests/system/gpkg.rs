//! `plan.gpkg` (issue 26 item 4), read back by GDAL and QGIS: after a baseline
//! solve (with `--crs` copies, which it does not repeat) every RFC 7946 layer
//! of the folder is a GeoPackage layer with the same features, attributes,
//! field types and geometries as its GeoJSON (both through `ogr2ogr -f CSV`),
//! in EPSG:4326, plus the national outline and the provinces (multipolygons); `layer_styles` has QGIS's columns
//! and one default row per layer whose `styleQML` is the folder's `.qml`; the
//! file passes SQLite's integrity check and GDAL's `validate_gpkg.py`; QGIS
//! applies each layer's style by itself when the layer is added; the
//! `qgis_projects` table holds plan.qgz as QGIS stores a project, and QGIS
//! opens both (every layer valid, one print layout). A compare
//! folder (diff, with each scenario's style as an alternative) and a sweep
//! collect folder (robust) get theirs; without GDAL's tools the command fails
//! with exit 2 and leaves no folder, and `--no-gpkg` writes the folder without it.

use crate::common;
use crate::gdal_layers::solved;
use crate::qgis_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run(cmd: &mut Command, what: &str) -> String {
    let o = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{what} failed: {err}");
    assert!(
        !err.contains("ERROR") && !err.contains("Warning"),
        "{what}: {err}"
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The layers `ogrinfo` lists in a GeoPackage, in order.
fn gpkg_layers(gpkg: &Path) -> Vec<String> {
    run(
        Command::new("ogrinfo").args(["-ro", "-q"]).arg(gpkg),
        "ogrinfo",
    )
    .lines()
    .filter_map(|l| {
        let (n, rest) = l.split_once(": ")?;
        n.trim().parse::<usize>().ok()?;
        Some(rest.split(" (").next().unwrap().to_string())
    })
    .collect()
}

/// A layer as `ogr2ogr -f CSV` writes it: every attribute and the geometry
/// as WKT, in feature order.
fn as_csv(src: &Path, layer: Option<&str>) -> String {
    let mut c = Command::new("ogr2ogr");
    c.args(["-f", "CSV", "/vsistdout/"])
        .arg(src)
        .args(["-lco", "GEOMETRY=AS_WKT"]);
    if let Some(l) = layer {
        c.arg(l);
    }
    run(&mut c, "ogr2ogr -f CSV")
}

/// [`as_csv`] of a GeoJSON file, its polygons as multipolygons where `multi`.
fn as_csv_multi(src: &Path, multi: bool) -> String {
    if !multi {
        return as_csv(src, None);
    }
    run(
        Command::new("ogr2ogr")
            .args(["-f", "CSV", "/vsistdout/"])
            .arg(src)
            .args(["-lco", "GEOMETRY=AS_WKT", "-nlt", "PROMOTE_TO_MULTI"]),
        "ogr2ogr -f CSV -nlt PROMOTE_TO_MULTI",
    )
}

/// `ogrinfo -so` of one layer: its field names with their types (without
/// widths), its feature count, and its SRS text.
fn summary(src: &Path, layer: Option<&str>) -> (Vec<String>, usize, String) {
    let mut c = Command::new("ogrinfo");
    c.args(["-ro", "-so"]).arg(src);
    match layer {
        Some(l) => c.arg(l),
        None => c.arg("-al"),
    };
    let text = run(&mut c, "ogrinfo -so");
    let count = text
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Field lines: `name: Type (width.precision)`.
    let fields = text
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with("Extent:") && !l.starts_with("Geometry:"))
        .filter_map(|l| {
            let (head, width) = l.strip_suffix(')')?.rsplit_once(" (")?;
            let (w, p) = width.split_once('.')?;
            let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
            (head.contains(": ") && digits(w) && digits(p)).then(|| head.to_string())
        })
        .collect();
    (fields, count, text)
}

/// The rows of `layer_styles`, read by GDAL.
fn style_rows(gpkg: &Path) -> Vec<serde_json::Map<String, Value>> {
    let text = run(
        Command::new("ogr2ogr")
            .args(["-f", "GeoJSON", "/vsistdout/"])
            .arg(gpkg)
            .args(["-sql", "SELECT * FROM layer_styles ORDER BY fid"]),
        "ogr2ogr layer_styles",
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"].as_object().unwrap().clone())
        .collect()
}

/// The file passes SQLite's integrity check and GDAL's own validator.
fn valid(gpkg: &Path) {
    let text = run(
        Command::new("ogrinfo")
            .arg(gpkg)
            .args(["-ro", "-sql", "PRAGMA integrity_check"]),
        "integrity_check",
    );
    assert!(text.contains("integrity_check (String) = ok"), "{text}");
    let validator = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py";
    if Path::new(validator).exists() {
        let o = Command::new("/usr/bin/python3")
            .arg(validator)
            .arg(gpkg)
            .output()
            .unwrap();
        assert!(
            o.status.success() && o.stdout.is_empty() && o.stderr.is_empty(),
            "validate_gpkg.py: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    } else {
        eprintln!("validate_gpkg.py not found (Debian python3-gdal): integrity check only");
    }
}

/// The plan's layers of `dir` and the boundaries, as the GeoPackage orders them.
const PLAN_LAYERS: [&str; 4] = ["sites", "cities", "flows", "reach"];
const BOUNDARIES: [&str; 2] = ["outline", "provinces"];

#[test]
fn plan_gpkg_holds_every_layer_with_the_geojsons_features_attributes_and_crs() {
    let dir = solved();
    let gpkg = dir.join("plan.gpkg");
    assert_mode_0644(&gpkg);
    let mut expected: Vec<String> = PLAN_LAYERS.iter().map(|s| s.to_string()).collect();
    expected.extend(["outline", "provinces", "layer_styles"].map(String::from));
    // The --crs copies (sites.epsg-4490.geojson, …) are not repeated.
    assert_eq!(gpkg_layers(&gpkg), expected);
    for layer in PLAN_LAYERS.iter().copied().chain(BOUNDARIES) {
        let geojson = match layer {
            "outline" => root().join("data/china_outline.geojson"),
            "provinces" => root().join("data/provinces.geojson"),
            _ => dir.join(format!("{layer}.geojson")),
        };
        let (want_fields, want_count, _) = summary(&geojson, None);
        let (fields, count, srs) = summary(&gpkg, Some(layer));
        if BOUNDARIES.contains(&layer) {
            assert!(srs.contains("Geometry: Multi Polygon"), "{layer}: {srs}");
        }
        assert_eq!(count, want_count, "{layer}: feature count");
        assert_eq!(
            count,
            read_json(&geojson)["features"].as_array().unwrap().len()
        );
        // Same names, same types (booleans stay booleans).
        assert_eq!(fields, want_fields, "{layer}: fields");
        assert!(srs.contains("ID[\"EPSG\",4326]"), "{layer}: {srs}");
        // Every attribute and geometry, as GDAL reads both files (a
        // boundary's polygons as multipolygons of one).
        let multi = BOUNDARIES.contains(&layer);
        assert_eq!(
            as_csv(&gpkg, Some(layer)),
            as_csv_multi(&geojson, multi),
            "{layer}: attributes or geometries differ"
        );
    }
    let (sites, _, _) = summary(&gpkg, Some("sites"));
    assert!(
        sites.contains(&"built: Integer(Boolean)".to_string()),
        "{sites:?}"
    );
    valid(&gpkg);
}

#[test]
fn layer_styles_holds_each_layers_qml_as_its_default_style() {
    let dir = solved();
    let gpkg = dir.join("plan.gpkg");
    // The columns and types QGIS 3 creates for layer_styles.
    let (fields, _, _) = summary(&gpkg, Some("layer_styles"));
    assert_eq!(
        fields,
        [
            "f_table_catalog: String",
            "f_table_schema: String",
            "f_table_name: String",
            "f_geometry_column: String",
            "styleName: String",
            "styleQML: String",
            "styleSLD: String",
            "useAsDefault: Integer(Boolean)",
            "description: String",
            "owner: String",
            "ui: String",
            "update_time: DateTime",
        ]
    );
    let rows = style_rows(&gpkg);
    let mut by_table: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for r in &rows {
        by_table
            .entry(r["f_table_name"].as_str().unwrap().to_string())
            .or_default()
            .push(r);
    }
    let tables: Vec<&str> = by_table.keys().map(String::as_str).collect();
    assert_eq!(
        tables,
        ["cities", "flows", "outline", "provinces", "reach", "sites"]
    );
    for (table, rows) in &by_table {
        assert_eq!(rows.len(), 1, "{table}: one style");
        let r = rows[0];
        assert_eq!(r["useAsDefault"], Value::Bool(true), "{table}");
        assert_eq!(r["f_geometry_column"], "geom");
        assert_eq!(r["styleName"], table.as_str());
        let qml = match table.as_str() {
            "outline" => dcsite::export::qml::outline_qml(),
            "provinces" => dcsite::export::qml::provinces_qml(),
            _ => std::fs::read_to_string(dir.join(format!("{table}.qml"))).unwrap(),
        };
        assert_eq!(r["styleQML"].as_str().unwrap(), qml, "{table}: styleQML");
        assert!(r["update_time"].as_str().is_some_and(|t| t.len() >= 19));
    }
}

/// Loads each layer of `gpkg` in QGIS (offscreen) and prints, per layer:
/// valid, feature count, renderer type, labels on, CRS.
const QGIS_LOAD: &str = r#"
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
out = {}
for name in sys.argv[2:]:
    l = QgsVectorLayer(sys.argv[1] + "|layername=" + name, name, "ogr")
    r = l.renderer()
    out[name] = [l.isValid(), l.featureCount(), r.type() if r else None, l.labelsEnabled(), l.crs().authid()]
print(json.dumps(out))
sys.stdout.flush()
os._exit(0)
"#;

#[test]
fn qgis_applies_each_layers_style_from_the_geopackage() {
    let dir = solved();
    // The GeoPackage alone, so no .qml beside it can be what QGIS applies.
    let t = tempfile::tempdir().unwrap();
    let gpkg = t.path().join("plan.gpkg");
    std::fs::copy(dir.join("plan.gpkg"), &gpkg).unwrap();
    let layers = ["sites", "cities", "flows", "reach", "outline", "provinces"];
    let text = run(
        qgis_support::command(t.path())
            .args(["-c", QGIS_LOAD])
            .arg(&gpkg)
            .args(layers),
        "QGIS",
    );
    let v: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    for layer in layers {
        let qml = match layer {
            "outline" => dcsite::export::qml::outline_qml(),
            "provinces" => dcsite::export::qml::provinces_qml(),
            _ => std::fs::read_to_string(dir.join(format!("{layer}.qml"))).unwrap(),
        };
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        let doc = roxmltree::Document::parse_with_options(&qml, options).unwrap();
        let renderer = doc
            .descendants()
            .find(|n| n.has_tag_name("renderer-v2"))
            .unwrap()
            .attribute("type")
            .unwrap();
        let labels = doc.root_element().attribute("labelsEnabled") == Some("1");
        let got = &v[layer];
        assert_eq!(got[0], true, "{layer}: not valid in QGIS");
        assert_eq!(got[2], renderer, "{layer}: QGIS did not apply its style");
        assert_eq!(got[3], labels, "{layer}: labels");
        assert_eq!(got[4], "EPSG:4326");
    }
}

#[test]
fn compare_and_sweep_collect_folders_hold_their_layers_in_plan_gpkg() {
    let t = tempfile::tempdir().unwrap();
    let cmp = t.path().join("cmp");
    ok(
        &dcsite(&[
            "compare",
            "models/small/baseline.toml",
            "models/small/central_push.toml",
            "models/small/west_domestic_power.toml",
            "--mip-gap",
            "0.05",
            "--out",
            s(&cmp),
            "--quiet",
        ]),
        "compare",
    );
    let gpkg = cmp.join("plan.gpkg");
    assert_eq!(
        gpkg_layers(&gpkg),
        ["diff", "outline", "provinces", "layer_styles"]
    );
    assert_eq!(
        as_csv(&gpkg, Some("diff")),
        as_csv(&cmp.join("diff.geojson"), None)
    );
    // diff.qml is the default; every diff.<scenario>.qml an alternative.
    let rows = style_rows(&gpkg);
    let diff: Vec<_> = rows
        .iter()
        .filter(|r| r["f_table_name"] == "diff")
        .collect();
    let mut qml_files: Vec<String> = std::fs::read_dir(&cmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("diff") && n.ends_with(".qml"))
        .collect();
    qml_files.sort();
    assert!(qml_files.len() >= 2, "{qml_files:?}");
    assert_eq!(diff.len(), qml_files.len());
    for r in &diff {
        let name = r["styleName"].as_str().unwrap();
        let file = if name == "diff" {
            "diff.qml".to_string()
        } else {
            format!("{name}.qml")
        };
        assert_eq!(r["useAsDefault"], Value::Bool(name == "diff"), "{name}");
        assert_eq!(
            r["styleQML"].as_str().unwrap(),
            std::fs::read_to_string(cmp.join(&file)).unwrap()
        );
    }
    valid(&gpkg);

    // A two-shard sweep, collected: robust in the collected folder's plan.gpkg.
    let sweep = t.path().join("small.toml");
    std::fs::write(
        &sweep,
        format!(
            "base = \"{}\"\nsamples = 2\nseed = 3\nsampling = \"lhs\"\n[vary]\n\
             \"electricity_prices.*.price_cny_per_kwh\" = {{ dist = \"uniform\", from_columns = [\"low\", \"high\"] }}\n",
            root().join("models/small/baseline.toml").display()
        ),
    )
    .unwrap();
    let out = t.path().join("sweep");
    let gap = ["--mip-gap", "0.05", "--jobs", "1", "--quiet"];
    for shard in ["0/2", "1/2"] {
        let args = ["sweep", s(&sweep), "--out", s(&out), "--shard", shard];
        ok(&dcsite(&[&args[..], &gap[..]].concat()), "a shard");
    }
    assert!(!out.join("plan.gpkg").exists(), "a shard writes no layer");
    ok(
        &dcsite(&[&["sweep", "collect", s(&out)][..], &gap[..]].concat()),
        "sweep collect",
    );
    let gpkg = out.join("plan.gpkg");
    assert_eq!(
        gpkg_layers(&gpkg),
        ["robust", "outline", "provinces", "layer_styles"]
    );
    assert_eq!(
        as_csv(&gpkg, Some("robust")),
        as_csv(&out.join("robust.geojson"), None)
    );
    let rows = style_rows(&gpkg);
    assert_eq!(
        rows[0]["styleQML"].as_str().unwrap(),
        std::fs::read_to_string(out.join("robust.qml")).unwrap()
    );
    valid(&gpkg);
}

#[test]
fn without_gdal_the_command_fails_and_writes_no_folder_unless_no_gpkg() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("plan");
    let empty = t.path().join("no-tools");
    std::fs::create_dir(&empty).unwrap();
    let o = bin()
        .args([
            "solve",
            "models/small/baseline.toml",
            "--mip-gap",
            "0.05",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .env("PATH", &empty)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("plan.gpkg") && err.contains("gdal-bin"),
        "{err}"
    );
    assert!(!out.exists(), "a folder without its plan.gpkg");
    let left: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".dcsite-staging"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // --no-gpkg: the folder without it, GDAL or not.
    let o = bin()
        .args([
            "solve",
            "models/small/baseline.toml",
            "--mip-gap",
            "0.05",
            "--quiet",
            "--no-gpkg",
            "--out",
        ])
        .arg(&out)
        .env("PATH", &empty)
        .output()
        .unwrap();
    ok(&o, "solve --no-gpkg without GDAL");
    assert!(out.join("sites.geojson").exists());
    assert!(!out.join("plan.gpkg").exists() && !out.join("plan.qgz").exists());
}

/// Opens a project in QGIS (offscreen) and prints, as JSON: whether it
/// read, its layers (name, valid, feature count) and its print layouts.
const QGIS_PROJECT: &str = r#"
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import QgsApplication, QgsProject
app = QgsApplication([], False)
app.initQgis()
p = QgsProject.instance()
ok = p.read(sys.argv[1])
layers = [[l.name(), l.isValid(), l.featureCount()] for l in p.mapLayers().values()]
layouts = [l.name() for l in p.layoutManager().layouts()]
print(json.dumps({"read": ok, "layers": sorted(layers), "layouts": layouts}))
sys.stdout.flush()
os._exit(0)
"#;

#[test]
fn qgis_projects_holds_plan_qgz_as_qgis_stores_it() {
    let dir = solved();
    let gpkg = dir.join("plan.gpkg");
    let qgz = std::fs::read(dir.join("plan.qgz")).unwrap();
    assert!(qgz.starts_with(b"PK\x03\x04"), "plan.qgz is a zip");
    assert_mode_0644(&dir.join("plan.qgz"));
    // The table as QGIS creates it (QgsGeoPackageProjectStorage), not a
    // GeoPackage layer.
    let sql = run(
        Command::new("ogrinfo").arg(&gpkg).args([
            "-ro",
            "-sql",
            "SELECT sql FROM sqlite_master WHERE name = 'qgis_projects'",
        ]),
        "ogrinfo sqlite_master",
    );
    assert!(
        sql.contains(
            "CREATE TABLE qgis_projects(name TEXT PRIMARY KEY, metadata BLOB, content BLOB)"
        ),
        "{sql}"
    );
    assert!(!gpkg_layers(&gpkg).contains(&"qgis_projects".to_string()));
    let text = run(
        Command::new("ogr2ogr")
            .args(["-f", "GeoJSON", "/vsistdout/"])
            .arg(&gpkg)
            .args([
                "-sql",
                "SELECT name, CAST(metadata AS TEXT) AS metadata, CAST(content AS TEXT) AS content, \
                 typeof(content) AS kind FROM qgis_projects",
            ]),
        "ogr2ogr qgis_projects",
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    let rows = v["features"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0]["properties"];
    assert_eq!(row["name"], "plan");
    // Hex text in a BLOB-declared column, as QGIS stores it.
    assert_eq!(row["kind"], "text");
    // A JSON object (GDAL's GeoJSON writer embeds a JSON text as JSON).
    let meta = match &row["metadata"] {
        Value::String(t) => serde_json::from_str(t).unwrap(),
        other => other.clone(),
    };
    assert!(
        meta["last_modified_time"]
            .as_str()
            .is_some_and(|t| t.len() == 19),
        "{meta}"
    );
    // content: the .qgz bytes as lower-case hex text.
    let hex = row["content"].as_str().unwrap();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    assert_eq!(hex, hex.to_ascii_lowercase());
    assert!(bytes == qgz, "qgis_projects.content is not plan.qgz");
    valid(&gpkg);

    // QGIS opens both: the project stored in the GeoPackage and plan.qgz.
    let t = tempfile::tempdir().unwrap();
    let copy = t.path().join("plan.gpkg");
    std::fs::copy(&gpkg, &copy).unwrap();
    std::fs::copy(dir.join("plan.qgz"), t.path().join("plan.qgz")).unwrap();
    let uri = format!("geopackage:{}?projectName=plan", copy.display());
    let qgz_path = t.path().join("plan.qgz");
    for source in [uri.as_str(), s(&qgz_path)] {
        let text = run(
            qgis_support::command(t.path()).args(["-c", QGIS_PROJECT, source]),
            "QGIS project",
        );
        let v: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(v["read"], true, "{source}: {v}");
        let layers = v["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 6, "{source}: {v}");
        for l in layers {
            assert_eq!(l[1], true, "{source}: a layer is not valid: {l}");
        }
        assert_eq!(v["layouts"].as_array().unwrap().len(), 1, "{source}: {v}");
    }
}
