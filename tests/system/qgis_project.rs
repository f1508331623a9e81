//! The QGIS project of a plan (issue 26 items 4-6), opened in real QGIS
//! (Debian's python3-qgis, offscreen; tests/system/qgis_check.py), as
//! `dcsite solve` writes it beside plan.gpkg: every
//! layer valid, from the GeoPackage by a relative path, styled as its .qml
//! says (renderer type and symbol colours), with the feature count of its
//! GeoJSON; labels in Chinese by default and in English with the project
//! variable; the print layout's map, legend, scale bar, north arrow, title and
//! note; the layout exported to PNG and PDF: their size, the province lines
//! drawn (grey pixels that go when the provinces are hidden), a legend drawn
//! in its rectangle, and the title and note in the PDF's text (pdftotext).

use crate::common;
use crate::qgis_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;
use serde_json::Value;

/// The layers the project holds and their GeoJSON (or data) file.
const LAYERS: [(&str, &str); 6] = [
    ("sites", "sites.geojson"),
    ("cities", "cities.geojson"),
    ("flows", "flows.geojson"),
    ("reach", "reach.geojson"),
    ("provinces", "data/provinces.geojson"),
    ("outline", "data/china_outline.geojson"),
];

/// The baseline solved once: its folder (GeoJSON, plan.gpkg, plan.qgz).
fn solved() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("qgis_project");
        let o = Command::new(env!("CARGO_BIN_EXE_dcsite"))
            .args(["solve", "models/small/baseline.toml", "--out"])
            .arg(&out)
            .args(["--force", "--quiet"])
            .current_dir(root())
            .output()
            .expect("dcsite runs");
        assert!(
            o.status.success(),
            "dcsite solve failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        for f in ["plan.gpkg", "plan.qgz"] {
            assert!(out.join(f).is_file(), "dcsite solve wrote no {f}");
        }
        out
    })
}

/// What qgis_check.py reports about plan.qgz; the PNG and PDF are left in
/// target/tmp/qgis_project_check for a look.
fn check() -> &'static (Value, PathBuf) {
    static RESULT: OnceLock<(Value, PathBuf)> = OnceLock::new();
    RESULT.get_or_init(|| {
        let plan = solved();
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("qgis_project_check");
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).unwrap();
        let stdout = qgis_support::stdout_of(
            qgis_support::command(&out)
                .arg(root().join("tests/system/qgis_check.py"))
                .arg(plan.join("plan.qgz"))
                .arg(&out),
            "qgis_check.py",
        );
        let line = stdout
            .lines()
            .rfind(|l| l.starts_with('{'))
            .unwrap_or_else(|| panic!("no JSON from qgis_check.py: {stdout}"));
        (serde_json::from_str(line).unwrap(), out)
    })
}

fn layer<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"].as_str().unwrap().ends_with(&format!(" {name}")))
        .unwrap_or_else(|| panic!("no layer {name} in {}", r["layers"]))
}

/// The colours (`r,g,b,a`) a .qml gives its symbols.
fn qml_colours(qml: &str) -> Vec<String> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(qml, options).unwrap();
    doc.descendants()
        .filter(|n| {
            n.has_tag_name("Option")
                && matches!(
                    n.attribute("name"),
                    Some("color" | "line_color" | "outline_color")
                )
        })
        .map(|n| n.attribute("value").unwrap().to_string())
        .collect()
}

#[test]
fn qgis_opens_the_project_with_every_layer_valid_styled_and_counted() {
    let (r, _) = check();
    let dir = solved();
    assert_eq!(r["read"], true, "{r}");
    assert_eq!(r["crs"]["valid"], true);
    assert_eq!(r["crs"]["geographic"], false);
    let proj = r["crs"]["proj"].as_str().unwrap();
    for p in ["+proj=aea", "+lat_1=25", "+lat_2=47", "+lon_0=105"] {
        assert!(proj.contains(p), "project CRS {proj}");
    }
    assert_eq!(r["variables"]["dcsite_lang"], "zh");
    // Map order: outline at the bottom, sites on top.
    let order: Vec<&str> = r["layer_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(
        order,
        ["sites", "cities", "flows", "reach", "provinces", "outline"]
    );
    let (_, inst, _) = dcsite::data::load(&root().join("models/small/baseline.toml")).unwrap();
    let cooling: Vec<&str> = inst.cooling.iter().map(|c| c.id.as_str()).collect();
    for (name, file) in LAYERS {
        let l = layer(r, name);
        assert_eq!(l["valid"], true, "{name}: {l}");
        assert_eq!(l["provider"], "ogr", "{name}");
        assert_eq!(l["crs"], "EPSG:4326", "{name}");
        let source = l["source"].as_str().unwrap();
        assert!(
            source.ends_with(&format!("plan.gpkg|layername={name}")),
            "{name}: {source}"
        );
        let path = if file.starts_with("data/") {
            root().join(file)
        } else {
            dir.join(file)
        };
        let features = read_json(&path)["features"].as_array().unwrap().len();
        assert_eq!(l["count"], features, "{name}: feature count");
        // Styled as the .qml says: renderer type and every symbol colour.
        let qml = match name {
            "sites" => dcsite::export::sites_qml(&cooling),
            "cities" => dcsite::export::cities_qml(),
            "flows" => dcsite::export::flows_qml(),
            "reach" => dcsite::export::reach_qml(),
            "provinces" => dcsite::export::provinces_qml(),
            _ => dcsite::export::outline_qml(),
        };
        let renderer = if matches!(name, "sites" | "cities") {
            "categorizedSymbol"
        } else {
            "singleSymbol"
        };
        assert_eq!(l["renderer"], renderer, "{name}");
        let mut got: Vec<String> = l["symbols"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| {
                ["color", "line_color", "outline_color"]
                    .into_iter()
                    .filter_map(|k| s[k].as_str().map(String::from))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut want = qml_colours(&qml);
        got.sort();
        want.sort();
        assert_eq!(got, want, "{name}: symbol colours");
    }
}

#[test]
fn labels_are_chinese_by_default_english_on_switch_and_never_repeated() {
    let (r, _) = check();
    let dir = solved();
    // Sites: only built sites carry a label, in zh by default.
    let sites = read_json(&dir.join("sites.geojson"));
    let built = sites["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["built"] == true)
        .count();
    let s = layer(r, "sites");
    assert_eq!(s["labels"], true);
    assert_eq!(s["labelled"], built, "only built sites are labelled");
    assert_eq!(s["label_zh"], s["label_feature"]["name_zh"], "{s}");
    assert_eq!(s["label_en"], s["label_feature"]["name_en"], "{s}");
    assert_ne!(s["label_zh"], s["label_en"]);
    // Cities are labelled; reach, flows and outline are not (no name twice).
    let c = layer(r, "cities");
    assert_eq!(c["label_zh"], c["label_feature"]["name_zh"], "{c}");
    for name in ["reach", "flows", "provinces", "outline"] {
        assert_eq!(layer(r, name)["labels"], false, "{name}");
    }
    assert_eq!(
        s["categories"].as_array().unwrap().last().unwrap(),
        "",
        "the catch-all category"
    );
}

#[test]
fn the_print_layout_has_its_items_and_exports_to_png_and_pdf() {
    let (r, out) = check();
    assert_eq!(
        r["layouts"],
        serde_json::json!([dcsite::export::qgis_project::LAYOUT_NAME])
    );
    assert_eq!(
        r["page_mm"],
        serde_json::json!([297.0, 210.0]),
        "A4 landscape"
    );
    let items = r["items"].as_array().unwrap();
    let of = |kind: &str| -> Vec<&Value> { items.iter().filter(|i| i["kind"] == kind).collect() };
    assert_eq!(of("map").len(), 1);
    assert_eq!(of("legend").len(), 1);
    assert_eq!(of("scalebar").len(), 1);
    assert_eq!(of("picture").len(), 1);
    let arrow = of("picture")[0];
    assert_eq!(arrow["svg_exists"], true, "north arrow: {arrow}");
    assert!(arrow["svg"]
        .as_str()
        .unwrap()
        .ends_with("NorthArrow_02.svg"));
    let bar = of("scalebar")[0];
    assert_eq!(bar["units"], "km");
    assert_eq!(bar["segment"], 500.0);
    // Two 500 km segments at about 1:33 million: some 30 mm, not collapsed
    // (as when QGIS does not know the unit); 150 dpi.
    let bar_mm = bar["rect_px"][2].as_f64().unwrap() * 25.4 / 150.0;
    assert!((30.0..60.0).contains(&bar_mm), "scale bar {bar_mm} mm wide");
    let map = of("map")[0];
    assert_eq!(map["layers"].as_array().unwrap().len(), LAYERS.len());
    let legend = of("legend")[0];
    assert!(legend["entries"].as_u64().unwrap() >= LAYERS.len() as u64);
    let texts: Vec<&str> = of("label")
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert!(texts.iter().any(|t| t.contains("baseline")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("审图号")), "{texts:?}");
    // The note names the data sources on its second line.
    let note = texts.iter().find(|t| t.contains("审图号")).unwrap();
    assert!(
        note.lines().nth(1).is_some_and(|l| !l.trim().is_empty()),
        "{note}"
    );

    // The exports: A4 at 150 dpi, a PDF of some size.
    assert_eq!(r["png_status"], 0, "{r}");
    assert_eq!(r["pdf_status"], 0, "{r}");
    // 297 × 210 mm at 150 dpi, as QGIS rounds it.
    assert_eq!(r["png"]["size"], serde_json::json!([1753, 1240]));
    let pdf = out.join("layout.pdf");
    let pdf_len = std::fs::metadata(&pdf).unwrap().len();
    assert!(pdf_len > 20_000, "PDF of {pdf_len} bytes");
    // Pixels: the map drawn, the legend drawn in its rectangle, the north
    // arrow and the scale bar drawn.
    let px = |kind: &str, what: &str| r["png"][kind][0][what].as_u64().unwrap();
    assert!(px("map", "nonwhite") > 50_000, "map: {}", r["png"]["map"]);
    assert!(
        px("legend", "nonwhite") > 2_000,
        "legend: {}",
        r["png"]["legend"]
    );
    assert!(px("picture", "nonwhite") > 100, "north arrow");
    assert!(px("scalebar", "nonwhite") > 100, "scale bar");
    // The province boundaries: neutral grey pixels in the map that go when
    // the provinces layer is hidden.
    let grey = px("map", "grey");
    let bare = r["png_no_provinces"]["map"][0]["grey"].as_u64().unwrap();
    assert!(
        grey > bare + 1_000,
        "province lines: {grey} grey pixels, {bare} without the provinces"
    );
    // The title and the note in the PDF's text layer.
    if let Ok(o) = Command::new("pdftotext").arg(&pdf).arg("-").output() {
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("baseline"), "{text}");
        assert!(text.contains("审图号"), "{text}");
    } else {
        eprintln!("pdftotext (poppler-utils) not installed: the PDF's text is not checked");
    }
}
