//! `plan.gpkg`: one GeoPackage of an output folder for QGIS, staged beside
//! the GeoJSON before the commit. It holds
//!
//! - every RFC 7946 (EPSG:4326) GeoJSON layer staged in the folder, under its
//!   file's base name (`sites`, `flows`, `reach`, `cities`, `diff`,
//!   `robust`), with all its attributes as GDAL's GeoJSON driver reads them
//!   (booleans stay booleans); the re-projected copies (`sites.epsg-4490.geojson`,
//!   which carry a legacy `crs` member) are not repeated;
//! - `outline` and `provinces` (data/china_outline.geojson,
//!   data/provinces.geojson; every Polygon as a MultiPolygon of one), the
//!   boundaries the layers are drawn on;
//! - each layer's QGIS style in the standard `layer_styles` table (the columns
//!   and types QGIS itself creates, `useAsDefault` = 1 for the layer's own
//!   `.qml`, further styles such as `diff.<scenario>.qml` as alternatives),
//!   so QGIS applies it when the layer is added;
//! - the QGIS project of these layers (`qgis_project`), in the
//!   `qgis_projects` table as QGIS writes it (`name TEXT PRIMARY KEY, metadata BLOB, content BLOB`: the `.qgz`
//!   bytes as lower-case hex text, metadata a small JSON object), and the
//!   same project as `plan.qgz` beside it.
//!
//! GDAL writes the file: `ogr2ogr` translates an OGR VRT of the staged layers
//! and a style table in one run, and `ogrinfo -sql` adds the project table
//! (the gdal crate has no safe way to copy a layer with its field subtypes,
//! and `unsafe` lives only in the solver adapter). Nothing of the SQLite or
//! GeoPackage format is written here. The GeoPackage is made in a temporary
//! folder inside the staging folder and staged with
//! [`OutputDir::write`](super::OutputDir::write) like every file, so a
//! failure leaves no half file (the staging folder is discarded with it).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use super::qgis_project::{project_qgs, qgz, ProjectError, ProjectLayer, ProjectSpec};
use super::qml;
use super::writer::{creating, OutputDir, OutputError};

/// The GeoPackage's file name in an output folder.
pub const GPKG_FILE: &str = "plan.gpkg";
/// The QGIS project's file name beside it.
pub const QGZ_FILE: &str = "plan.qgz";
/// The project's name in the `qgis_projects` table (QGIS opens it as
/// `geopackage:<folder>/plan.gpkg?projectName=plan`).
pub const PROJECT_NAME: &str = "plan";

/// The national outline (Natural Earth, see data/SOURCES.md), the same file
/// the report draws.
const OUTLINE: &str = include_str!("../../data/china_outline.geojson");
/// The provincial-level divisions (data/provinces.geojson, see data/SOURCES.md).
const PROVINCES: &str = include_str!("../../data/provinces.geojson");

/// Why plan.gpkg could not be written.
#[derive(Debug, thiserror::Error)]
pub enum GpkgError {
    /// GDAL's command-line tools are missing.
    #[error("writing {GPKG_FILE} needs GDAL's {tool} (Debian package gdal-bin): {err}")]
    Missing {
        tool: &'static str,
        err: std::io::Error,
    },
    /// A GDAL tool failed; its messages are part of ours.
    #[error("writing {GPKG_FILE}: {tool} failed ({status}): {messages}")]
    Tool {
        tool: &'static str,
        status: String,
        messages: String,
    },
    /// A staged layer is not what dcsite writes (ours).
    #[error("writing {GPKG_FILE}: {file}: {why}")]
    Layer { file: String, why: String },
    #[error("writing {GPKG_FILE}: {path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },
    /// The QGIS project could not be built (ours).
    #[error("writing {QGZ_FILE}: {0}")]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// The data sources the project's print layout names.
pub const SOURCES: &str =
    "Boundaries: Natural Earth (outline, public domain), DCW-GMT 2.1.1 (provinces, LGPL); \
sites, cities, prices, quotas: dcsite data/SOURCES.md";

/// One layer of the GeoPackage.
#[derive(Debug, Clone, PartialEq)]
pub struct GpkgLayer {
    /// The table name (`sites`, `provinces`).
    pub name: String,
    /// Its geometry type as GeoJSON names it (`Point`, `MultiPolygon`).
    pub geometry: String,
    /// The default style (`.qml` text) and any alternatives as
    /// (style name, `.qml` text).
    pub style: String,
    pub alternatives: Vec<(String, String)>,
    /// The staged GeoJSON file it comes from; `None` for the embedded
    /// `provinces` and `outline`.
    pub file: Option<String>,
}

/// Where a plan's layers come first in the GeoPackage (and a project):
/// points over lines over areas, the boundaries last.
const ORDER: [&str; 6] = ["sites", "diff", "robust", "cities", "flows", "reach"];

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> GpkgError + '_ {
    move |err| GpkgError::Io {
        path: path.to_path_buf(),
        err,
    }
}

/// The boundary layers every GeoPackage carries, after the plan's layers:
/// each with its GeoJSON text.
fn boundaries() -> Vec<(GpkgLayer, &'static str)> {
    let layer = |name: &str, style: String| GpkgLayer {
        name: name.into(),
        geometry: "MultiPolygon".into(),
        style,
        alternatives: Vec::new(),
        file: None,
    };
    vec![
        (layer("outline", qml::outline_qml()), OUTLINE),
        (layer("provinces", qml::provinces_qml()), PROVINCES),
    ]
}

/// A boundary file with every Polygon as a MultiPolygon of one, so that
/// its GeoPackage layer has one geometry type (a layer of mixed types is
/// `GEOMETRY`, which QGIS splits into a sublayer per type).
fn as_multipolygons(text: &str) -> Result<String, GpkgError> {
    let mut v: Value = serde_json::from_str(text).map_err(|e| GpkgError::Layer {
        file: "a boundary layer".into(),
        why: format!("not JSON: {e}"),
    })?;
    if let Some(features) = v["features"].as_array_mut() {
        for f in features {
            let g = &mut f["geometry"];
            if g["type"] == "Polygon" {
                let rings = g["coordinates"].take();
                *g = json!({"type": "MultiPolygon", "coordinates": [rings]});
            }
        }
    }
    Ok(v.to_string())
}

/// The layers `plan.gpkg` of the staging folder `dir` holds, in order: the
/// staged RFC 7946 GeoJSON layers with their styles, then the boundaries.
/// Empty when nothing of `dir` is a layer (no GeoPackage is written then).
pub fn staged_layers(dir: &Path) -> Result<Vec<GpkgLayer>, GpkgError> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(io(dir))?
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort();
    let mut layers = Vec::new();
    for file in names.iter().filter(|n| n.ends_with(".geojson")) {
        let path = dir.join(file);
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| GpkgError::Layer {
            file: file.clone(),
            why: format!("not JSON: {e}"),
        })?;
        // A re-projected copy carries a legacy `crs` member: not EPSG:4326.
        if value.get("crs").is_some() {
            continue;
        }
        let stem = file.trim_end_matches(".geojson").to_string();
        let geometry = value["features"]
            .as_array()
            .and_then(|fs| fs.iter().find_map(|f| f["geometry"]["type"].as_str()))
            .unwrap_or("Point")
            .to_string();
        let qml_file = format!("{stem}.qml");
        let style = fs::read_to_string(dir.join(&qml_file)).map_err(|e| GpkgError::Layer {
            file: file.clone(),
            why: format!("its style {qml_file} is not staged: {e}"),
        })?;
        // `diff.<scenario>.qml` without a `diff.<scenario>.geojson`: another
        // way to draw the same layer.
        let mut alternatives = Vec::new();
        let prefix = format!("{stem}.");
        for n in &names {
            let Some(alt) = n.strip_suffix(".qml") else {
                continue;
            };
            if alt.starts_with(&prefix) && !names.contains(&format!("{alt}.geojson")) {
                let p = dir.join(n);
                alternatives.push((alt.to_string(), fs::read_to_string(&p).map_err(io(&p))?));
            }
        }
        layers.push(GpkgLayer {
            name: stem,
            geometry,
            style,
            alternatives,
            file: Some(file.clone()),
        });
    }
    if layers.is_empty() {
        return Ok(layers);
    }
    layers.sort_by_key(|l| {
        (
            ORDER
                .iter()
                .position(|o| *o == l.name)
                .unwrap_or(ORDER.len()),
            l.name.clone(),
        )
    });
    layers.extend(boundaries().into_iter().map(|(l, _)| l));
    Ok(layers)
}

/// XML text (attribute or element content).
fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// A GeoJSON layer's name as GDAL's driver reads it: its `name` member, else
/// the file's base name.
fn source_layer(path: &Path) -> Result<String, GpkgError> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| GpkgError::Layer {
        file: path.display().to_string(),
        why: format!("not JSON: {e}"),
    })?;
    Ok(match v.get("name").and_then(Value::as_str) {
        Some(n) => n.to_string(),
        None => path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string(),
    })
}

/// The `layer_styles` columns QGIS creates (QgsOgrProviderUtils, checked
/// against a table QGIS 3.22 wrote): name, OGR type, subtype, width.
const STYLE_FIELDS: [(&str, &str, &str, u32); 12] = [
    ("f_table_catalog", "String", "", 256),
    ("f_table_schema", "String", "", 256),
    ("f_table_name", "String", "", 256),
    ("f_geometry_column", "String", "", 256),
    ("styleName", "String", "", 30),
    ("styleQML", "String", "", 0),
    ("styleSLD", "String", "", 0),
    ("useAsDefault", "Integer", "Boolean", 0),
    ("description", "String", "", 0),
    ("owner", "String", "", 30),
    ("ui", "String", "", 30),
    ("update_time", "DateTime", "", 0),
];

/// The geometry column ogr2ogr gives a GeoPackage layer.
const GEOMETRY_COLUMN: &str = "geom";

/// The rows of `layer_styles` as a GeoJSON of features without geometry.
fn styles_geojson(layers: &[GpkgLayer], now: &str) -> String {
    let row = |table: &str, name: &str, qml: &str, default: bool, what: String| {
        json!({
            "type": "Feature",
            "geometry": null,
            "properties": {
                "f_table_catalog": "",
                "f_table_schema": "",
                "f_table_name": table,
                "f_geometry_column": GEOMETRY_COLUMN,
                "styleName": name,
                "styleQML": qml,
                "styleSLD": "",
                "useAsDefault": default,
                "description": what,
                "owner": "",
                "ui": null,
                "update_time": now,
            }
        })
    };
    let mut features = Vec::new();
    for l in layers {
        let from = l
            .file
            .as_deref()
            .map(|f| format!("{}.qml", f.trim_end_matches(".geojson")))
            .unwrap_or_else(|| "dcsite's boundary style".into());
        features.push(row(
            &l.name,
            &l.name,
            &l.style,
            true,
            format!("dcsite {}: {from}", env!("CARGO_PKG_VERSION")),
        ));
        for (name, qml) in &l.alternatives {
            features.push(row(
                &l.name,
                name,
                qml,
                false,
                format!("dcsite {}: {name}.qml", env!("CARGO_PKG_VERSION")),
            ));
        }
    }
    json!({"type": "FeatureCollection", "name": "layer_styles", "features": features}).to_string()
}

/// The OGR VRT that ogr2ogr translates: every layer, then `layer_styles`.
/// `sources`: (layer name, file relative to the VRT, the file's layer name);
/// `styles`: the style rows' file relative to the VRT.
fn vrt(sources: &[(String, String, String)], styles: &str) -> String {
    let mut s = String::from("<OGRVRTDataSource>\n");
    for (name, path, src_layer) in sources {
        s.push_str(&format!(
            "  <OGRVRTLayer name=\"{}\"><SrcDataSource relativeToVRT=\"1\">{}</SrcDataSource>\
             <SrcLayer>{}</SrcLayer></OGRVRTLayer>\n",
            xml(name),
            xml(path),
            xml(src_layer)
        ));
    }
    s.push_str(&format!(
        "  <OGRVRTLayer name=\"layer_styles\"><SrcDataSource relativeToVRT=\"1\">{}</SrcDataSource>\
         <SrcLayer>layer_styles</SrcLayer>\
         <GeometryType>wkbNone</GeometryType>\n",
        xml(styles)
    ));
    for (name, ty, sub, width) in STYLE_FIELDS {
        let sub = if sub.is_empty() {
            String::new()
        } else {
            format!(" subtype=\"{sub}\"")
        };
        let width = if width == 0 {
            String::new()
        } else {
            format!(" width=\"{width}\"")
        };
        s.push_str(&format!(
            "    <Field name=\"{name}\" type=\"{ty}\"{sub}{width}/>\n"
        ));
    }
    s.push_str("  </OGRVRTLayer>\n</OGRVRTDataSource>\n");
    s
}

/// Runs a GDAL tool; its warnings and errors (stderr) fail the run, since
/// `ogrinfo -sql` reports a failed statement with exit status 0.
fn run(tool: &'static str, args: &[&std::ffi::OsStr]) -> Result<(), GpkgError> {
    let out = Command::new(tool)
        .args(args)
        // Not the user's GDAL configuration: no driver options, no proxies.
        .env("GDAL_CONFIG_FILE", "/dev/null")
        .output()
        .map_err(|err| GpkgError::Missing { tool, err })?;
    let messages = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = messages
        .lines()
        .filter(|l| l.starts_with("ERROR") || l.starts_with("FAILURE"))
        .collect();
    if !out.status.success() || !errors.is_empty() {
        return Err(GpkgError::Tool {
            tool,
            status: out.status.to_string(),
            messages: last_lines(&messages, 12),
        });
    }
    Ok(())
}

/// The last `n` lines of a tool's messages.
fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim().lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The time the GeoPackage records (styles' `update_time`, the project's
/// metadata, `gpkg_contents.last_change`), UTC to the second: now, or
/// `SOURCE_DATE_EPOCH` (seconds since 1970) where set, so that the same
/// input gives the same bytes (scripts/snapshot.sh sets it).
fn now() -> String {
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    let t = match epoch {
        Some(secs) => std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
        None => std::time::SystemTime::now(),
    };
    let t = humantime::format_rfc3339_seconds(t).to_string();
    t.trim_end_matches('Z').to_string()
}

/// The QGIS project of `layers` (`qgis_project`): `./plan.gpkg` tables with
/// their default styles, the layout titled `dcsite · <title>`, dated `now`
/// (`2026-12-06T20:26:35`); the `.qgz` bytes.
fn project(layers: &[GpkgLayer], title: &str, now: &str) -> Result<Vec<u8>, GpkgError> {
    let project_layers: Vec<ProjectLayer> = layers
        .iter()
        .map(|l| ProjectLayer {
            name: &l.name,
            qml: &l.style,
        })
        .collect();
    let title = format!("dcsite · {title}");
    let subtitle = format!(
        "{} · dcsite {}",
        now.get(..10).unwrap_or(now),
        env!("CARGO_PKG_VERSION")
    );
    let qgs = project_qgs(&ProjectSpec {
        gpkg: GPKG_FILE,
        title: &title,
        subtitle: &subtitle,
        sources: SOURCES,
        layers: &project_layers,
    })?;
    Ok(qgz(&qgs)?)
}

/// Writes `plan.gpkg` of `layers` (from [`staged_layers`] of the staging
/// folder) into `out`, with the QGIS project of the layers (its print
/// layout titled `dcsite · <title>`) in its `qgis_projects` table and as
/// `plan.qgz`. Nothing is written for no layers.
pub fn stage(out: &mut OutputDir, layers: &[GpkgLayer], title: &str) -> Result<(), GpkgError> {
    if layers.is_empty() {
        return Ok(());
    }
    let staging = out.staging_path().to_path_buf();
    let tmp = {
        let _creating = creating();
        tempfile::Builder::new()
            .prefix(".dcsite-gpkg-")
            .tempdir_in(&staging)
            .map_err(io(&staging))?
    };
    let t = tmp.path();
    let mut sources = Vec::new();
    for l in layers {
        // Paths in the VRT are relative to it (in a folder of the staging
        // folder): no path of the user's is written into XML.
        let (path, relative) = match &l.file {
            Some(f) => (staging.join(f), format!("../{f}")),
            None => {
                let text = boundaries()
                    .into_iter()
                    .find(|(b, _)| b.name == l.name)
                    .map(|(_, text)| text)
                    .ok_or_else(|| GpkgError::Layer {
                        file: l.name.clone(),
                        why: "no such boundary layer".into(),
                    })?;
                let file = format!("{}.geojson", l.name);
                let p = t.join(&file);
                fs::write(&p, as_multipolygons(text)?).map_err(io(&p))?;
                (p, file)
            }
        };
        let src = source_layer(&path)?;
        sources.push((l.name.clone(), relative, src));
    }
    let now = now();
    let stamp = format!("{now}.000Z");
    let qgz = project(layers, title, &now)?;
    let styles = t.join("layer_styles.geojson");
    fs::write(&styles, styles_geojson(layers, &stamp)).map_err(io(&styles))?;
    let vrt_path = t.join("layers.vrt");
    fs::write(&vrt_path, vrt(&sources, "layer_styles.geojson")).map_err(io(&vrt_path))?;
    let gpkg = t.join(GPKG_FILE);
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    run(
        "ogr2ogr",
        &[
            os("-q"),
            os("-f"),
            os("GPKG"),
            gpkg.as_os_str(),
            vrt_path.as_os_str(),
            // The file is synced when it is staged.
            os("--config"),
            os("OGR_SQLITE_SYNCHRONOUS"),
            os("OFF"),
            // gpkg_contents.last_change: the same time as the styles'.
            os("--config"),
            os("OGR_CURRENT_DATE"),
            std::ffi::OsStr::new(&stamp),
        ],
    )?;
    {
        run(
            "ogrinfo",
            &[
                os("-q"),
                gpkg.as_os_str(),
                os("-sql"),
                os("CREATE TABLE qgis_projects(name TEXT PRIMARY KEY, metadata BLOB, content BLOB)"),
            ],
        )?;
        // QGIS stores the .qgz as hex text, with this metadata (QgsGeoPackageProjectStorage).
        let hex: String = qgz.iter().map(|b| format!("{b:02x}")).collect();
        let metadata =
            format!("{{\"last_modified_time\": \"{now}\", \"last_modified_user\": \"dcsite\" }}");
        let sql = format!(
            "INSERT INTO qgis_projects VALUES ('{PROJECT_NAME}', '{}', '{hex}')",
            metadata.replace('\'', "''")
        );
        let sql_path = t.join("project.sql");
        fs::write(&sql_path, sql).map_err(io(&sql_path))?;
        let mut at = std::ffi::OsString::from("@");
        at.push(sql_path.as_os_str());
        run(
            "ogrinfo",
            &[os("-q"), gpkg.as_os_str(), os("-sql"), at.as_os_str()],
        )?;
    }
    let bytes = fs::read(&gpkg).map_err(io(&gpkg))?;
    drop(tmp);
    out.write(GPKG_FILE, &bytes)?;
    out.write(QGZ_FILE, &qgz)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vrt_escapes_paths_and_declares_the_qgis_style_columns() {
        let v = vrt(
            &[("sites".into(), "../a&b<x>.geojson".into(), "sites".into())],
            "layer_styles.geojson",
        );
        assert!(v.contains(
            "<SrcDataSource relativeToVRT=\"1\">../a&amp;b&lt;x&gt;.geojson</SrcDataSource>"
        ));
        assert!(v.contains("<Field name=\"useAsDefault\" type=\"Integer\" subtype=\"Boolean\"/>"));
        assert!(v.contains("<Field name=\"styleName\" type=\"String\" width=\"30\"/>"));
    }

    #[test]
    fn boundaries_are_multipolygons_only() {
        for (l, text) in boundaries() {
            let v: Value = serde_json::from_str(&as_multipolygons(text).unwrap()).unwrap();
            let features = v["features"].as_array().unwrap();
            assert!(!features.is_empty(), "{}", l.name);
            assert!(
                features
                    .iter()
                    .all(|f| f["geometry"]["type"] == "MultiPolygon"),
                "{}",
                l.name
            );
        }
    }

    #[test]
    fn style_rows_mark_one_default_per_layer() {
        let l = GpkgLayer {
            name: "diff".into(),
            geometry: "Point".into(),
            style: "<qgis/>".into(),
            alternatives: vec![("diff.b".into(), "<qgis b/>".into())],
            file: Some("diff.geojson".into()),
        };
        let v: Value = serde_json::from_str(&styles_geojson(&[l], "2026-01-01T00:00:00Z")).unwrap();
        let rows = v["features"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["properties"]["useAsDefault"], true);
        assert_eq!(rows[1]["properties"]["useAsDefault"], false);
        assert_eq!(rows[1]["properties"]["styleName"], "diff.b");
    }
}
