//! Reading the files a report is drawn from: GeoJSON layers with the
//! `geojson` crate, summary.json with serde_json, CSV tables with Polars (every cell as text, parsed by
//! column name). Every failure names the file it comes from.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::error::ReportError;

/// `[lon, lat]` in WGS 84 degrees.
pub type LonLat = (f64, f64);

/// A feature's geometry, as far as the report draws it.
#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    /// A single position.
    Point(LonLat),
    /// One or more lines (LineString, MultiLineString).
    Lines(Vec<Vec<LonLat>>),
    /// One or more polygons (Polygon, MultiPolygon), each a list of rings,
    /// the exterior first.
    Polygons(Vec<Vec<Vec<LonLat>>>),
}

/// One GeoJSON feature: its geometry and its properties.
#[derive(Debug, Clone)]
pub struct Feature {
    /// Where it is.
    pub geometry: Geometry,
    /// Its `properties` member (empty when `null`).
    pub props: Map<String, Value>,
}

impl Feature {
    /// A property as a number; `None` when absent, `null` or not a number.
    pub fn num(&self, key: &str) -> Option<f64> {
        self.props.get(key).and_then(Value::as_f64)
    }
    /// A property as text; numbers and booleans are written out, `null` and
    /// absent give `None`.
    pub fn text(&self, key: &str) -> Option<String> {
        match self.props.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            v @ (Value::Number(_) | Value::Bool(_)) => Some(v.to_string()),
            _ => None,
        }
    }
    /// A property as a boolean; `None` when absent or not a boolean.
    pub fn flag(&self, key: &str) -> Option<bool> {
        self.props.get(key).and_then(Value::as_bool)
    }
}

/// Which geometries a layer may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Point only.
    Points,
    /// LineString or MultiLineString.
    Lines,
    /// Polygon or MultiPolygon.
    Polygons,
}

fn input(file: &Path, message: impl Into<String>) -> ReportError {
    ReportError::Input {
        file: file.to_path_buf(),
        message: message.into(),
    }
}

fn read_text(file: &Path) -> Result<String, ReportError> {
    let bytes = std::fs::read(file).map_err(|e| input(file, format!("cannot read: {e}")))?;
    let bytes = bytes
        .strip_prefix(&[0xEF, 0xBB, 0xBF])
        .map(<[u8]>::to_vec)
        .unwrap_or(bytes);
    String::from_utf8(bytes).map_err(|e| {
        input(
            file,
            format!(
                "expected UTF-8 text, found an invalid byte sequence at byte {}",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Reads a JSON file into a value.
pub fn read_json(file: &Path) -> Result<Value, ReportError> {
    let text = read_text(file)?;
    serde_json::from_str(&text).map_err(|e| input(file, format!("malformed JSON: {e}")))
}

/// Reads `summary.json`: a JSON object.
pub fn read_summary(file: &Path) -> Result<Map<String, Value>, ReportError> {
    match read_json(file)? {
        Value::Object(m) => Ok(m),
        other => Err(input(
            file,
            format!("expected a JSON object, found {}", json_kind(&other)),
        )),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads a GeoJSON FeatureCollection whose features all have the geometry
/// kind `expect`.
pub fn read_geojson(file: &Path, expect: Expect) -> Result<Vec<Feature>, ReportError> {
    parse_geojson(&read_text(file)?, expect).map_err(|m| input(file, m))
}

/// Parses GeoJSON text (a FeatureCollection); the error is a message without
/// the file name.
pub fn parse_geojson(text: &str, expect: Expect) -> Result<Vec<Feature>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("malformed JSON: {e}"))?;
    if v.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(format!(
            "expected a GeoJSON FeatureCollection, found {}",
            match v.get("type") {
                Some(Value::String(t)) => format!("type {t:?}"),
                _ => json_kind(&v).to_string(),
            }
        ));
    }
    let mut v = v;
    let Some(Value::Array(features)) = v.get_mut("features").map(Value::take) else {
        return Err("expected a \"features\" array in the FeatureCollection".into());
    };
    features
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            serde_json::from_value::<geojson::Feature>(f)
                .map_err(|e| format!("not a GeoJSON Feature: {e}"))
                .and_then(|f| convert_feature(f, expect))
                .map_err(|m| format!("feature {}: {m}", i + 1))
        })
        .collect()
}

/// A feature as read by the `geojson` crate → what the report draws, checking
/// the geometry kind and every position.
fn convert_feature(f: geojson::Feature, expect: Expect) -> Result<Feature, String> {
    use geojson::GeometryValue as V;
    let props = f.properties.unwrap_or_default();
    let g = f
        .geometry
        .ok_or_else(|| "expected a geometry, found none".to_string())?;
    let geometry = match (expect, &g.value) {
        (Expect::Points, V::Point { coordinates }) => Geometry::Point(position(coordinates)?),
        (Expect::Lines, V::LineString { coordinates }) => Geometry::Lines(vec![line(coordinates)?]),
        (Expect::Lines, V::MultiLineString { coordinates }) => Geometry::Lines(
            coordinates
                .iter()
                .map(|l| line(l))
                .collect::<Result<_, _>>()?,
        ),
        (Expect::Polygons, V::Polygon { coordinates }) => {
            Geometry::Polygons(vec![polygon(coordinates)?])
        }
        (Expect::Polygons, V::MultiPolygon { coordinates }) => Geometry::Polygons(
            coordinates
                .iter()
                .map(|p| polygon(p))
                .collect::<Result<_, _>>()?,
        ),
        (_, other) => {
            let wanted = match expect {
                Expect::Points => "a Point",
                Expect::Lines => "a LineString or MultiLineString",
                Expect::Polygons => "a Polygon or MultiPolygon",
            };
            return Err(format!(
                "expected {wanted} geometry, found a {}",
                other.type_name()
            ));
        }
    };
    Ok(Feature { geometry, props })
}

fn position(p: &geojson::Position) -> Result<LonLat, String> {
    let (Some(&lon), Some(&lat)) = (p.as_slice().first(), p.as_slice().get(1)) else {
        return Err(format!(
            "expected a position [lon, lat], found {:?}",
            p.as_slice()
        ));
    };
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(format!(
            "expected lon in [-180, 180] and lat in [-90, 90], found [{lon}, {lat}]"
        ));
    }
    Ok((lon, lat))
}

fn line(v: &[geojson::Position]) -> Result<Vec<LonLat>, String> {
    let pts: Vec<LonLat> = v.iter().map(position).collect::<Result<_, _>>()?;
    if pts.len() < 2 {
        return Err(format!(
            "expected a line of at least 2 positions, found {}",
            pts.len()
        ));
    }
    Ok(pts)
}

fn polygon(v: &[Vec<geojson::Position>]) -> Result<Vec<Vec<LonLat>>, String> {
    let rings: Vec<Vec<LonLat>> = v
        .iter()
        .map(|r| r.iter().map(position).collect())
        .collect::<Result<_, _>>()?;
    if rings.is_empty() || rings.iter().any(|r| r.len() < 4) {
        return Err("expected polygon rings of at least 4 positions".into());
    }
    Ok(rings)
}

/// A CSV table read with Polars, every cell as text (trimmed; empty cells are
/// `None`), with the file name for error messages.
#[derive(Debug, Clone)]
pub struct TextTable {
    /// Where it was read from.
    pub file: PathBuf,
    /// Column names in file order.
    pub headers: Vec<String>,
    columns: Vec<Vec<Option<String>>>,
    /// Number of data rows.
    pub n_rows: usize,
}

impl TextTable {
    /// Reads `file`, requiring the columns `required`.
    pub fn read(file: &Path, required: &[&str]) -> Result<TextTable, ReportError> {
        let text = read_text(file)?;
        let t = TextTable::parse(file, &text)?;
        let missing: Vec<&str> = required.iter().copied().filter(|c| !t.has(c)).collect();
        if !missing.is_empty() {
            return Err(input(
                file,
                format!(
                    "expected the column(s) {} in the header, found {}",
                    missing.join(", "),
                    t.headers.join(",")
                ),
            ));
        }
        Ok(t)
    }

    /// Parses CSV text read from `file`.
    pub fn parse(file: &Path, text: &str) -> Result<TextTable, ReportError> {
        if text.trim().is_empty() {
            return Err(input(
                file,
                "expected a header row and data rows, found an empty file",
            ));
        }
        let df = crate::data::table::read_text_frame(text.as_bytes().to_vec()).map_err(|e| {
            input(
                file,
                format!(
                    "malformed CSV: {}",
                    e.to_string().lines().next().unwrap_or_default()
                ),
            )
        })?;
        let headers: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|h| h.trim().trim_end_matches('\r').to_string())
            .collect();
        for (i, h) in headers.iter().enumerate() {
            if headers[..i].contains(h) {
                return Err(input(
                    file,
                    format!("column {h:?} appears twice in the header"),
                ));
            }
        }
        let n_rows = df.height();
        let columns = df
            .columns()
            .iter()
            .map(crate::data::table::text_cells)
            .collect();
        Ok(TextTable {
            file: file.to_path_buf(),
            headers,
            columns,
            n_rows,
        })
    }

    /// Whether the header names `column`.
    pub fn has(&self, column: &str) -> bool {
        self.headers.iter().any(|h| h == column)
    }

    /// A cell's text; `None` when empty or when the column is absent.
    pub fn get(&self, column: &str, row: usize) -> Option<&str> {
        let pos = self.headers.iter().position(|h| h == column)?;
        self.columns[pos].get(row)?.as_deref()
    }

    /// A cell's text, empty when the cell is empty or the column absent.
    pub fn text(&self, column: &str, row: usize) -> String {
        self.get(column, row).unwrap_or_default().to_string()
    }

    /// A cell as a number: `Ok(None)` when empty or the column is absent, an
    /// input error naming the file, spreadsheet row (header = row 1) and
    /// column when it is not a number.
    pub fn num(&self, column: &str, row: usize) -> Result<Option<f64>, ReportError> {
        match self.get(column, row) {
            None => Ok(None),
            Some(s) => match s.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                _ => Err(input(
                    &self.file,
                    format!(
                        "row {}, column {column}: expected a number, found {s:?}",
                        row + 2
                    ),
                )),
            },
        }
    }

    /// Checks every data row: each column of `required` has a value, and
    /// `level` is one of `levels`. The first bad cell is an input error
    /// naming the file, spreadsheet row (header = row 1) and column, so a
    /// junk row is refused rather than drawn.
    pub fn check_rows(&self, required: &[&str], levels: &[&str]) -> Result<(), ReportError> {
        for row in 0..self.n_rows {
            let at = |column: &str, message: String| {
                input(
                    &self.file,
                    format!("row {}, column {column}: {message}", row + 2),
                )
            };
            // The level first: it tells a junk row from a row with a gap.
            if let Some(level) = self.get("level", row) {
                if !levels.contains(&level) {
                    return Err(at(
                        "level",
                        format!("expected one of {}, found {level:?}", levels.join(", ")),
                    ));
                }
            }
            for column in required {
                if self.get(column, row).is_none() {
                    return Err(at(column, "expected a value, found an empty cell".into()));
                }
            }
        }
        Ok(())
    }

    /// The table without the columns `names` (text columns kept aside from
    /// a table whose other columns are read as numbers).
    pub fn without(&self, names: &[&str]) -> TextTable {
        let keep: Vec<usize> = (0..self.headers.len())
            .filter(|&i| !names.contains(&self.headers[i].as_str()))
            .collect();
        TextTable {
            file: self.file.clone(),
            headers: keep.iter().map(|&i| self.headers[i].clone()).collect(),
            columns: keep.iter().map(|&i| self.columns[i].clone()).collect(),
            n_rows: self.n_rows,
        }
    }

    /// Checks that every non-empty cell of `column` is one of `allowed`; the
    /// first other is an input error naming the file, spreadsheet row and column.
    pub fn check_words(&self, column: &str, allowed: &[&str]) -> Result<(), ReportError> {
        for row in 0..self.n_rows {
            if let Some(v) = self.get(column, row) {
                if !allowed.contains(&v) {
                    return Err(input(
                        &self.file,
                        format!(
                            "row {}, column {column}: expected one of {}, found {}",
                            row + 2,
                            allowed.join(", "),
                            crate::data::problem::shown(v)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Columns whose name starts with `prefix`, in file order.
    pub fn with_prefix(&self, prefix: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|h| h.starts_with(prefix))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geojson_kinds_are_checked() {
        let pt = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[116.4,39.9]},"properties":{"a":1}}]}"#;
        let f = parse_geojson(pt, Expect::Points).unwrap();
        assert_eq!(f[0].geometry, Geometry::Point((116.4, 39.9)));
        assert_eq!(f[0].num("a"), Some(1.0));
        let e = parse_geojson(pt, Expect::Lines).unwrap_err();
        assert!(
            e.contains("feature 1") && e.contains("found a Point"),
            "{e}"
        );
        assert!(parse_geojson("{", Expect::Points).is_err());
        assert!(parse_geojson(r#"{"type":"Feature"}"#, Expect::Points).is_err());
        let bad = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[200,39.9]},"properties":{}}]}"#;
        assert!(parse_geojson(bad, Expect::Points).is_err());
    }

    #[test]
    fn csv_cells_are_text_and_numbers_are_checked() {
        let t = TextTable::parse(
            Path::new("x.csv"),
            "level,id,n\nregion,a,1.5\nregion,b,\nregion,c,x\n",
        )
        .unwrap();
        assert_eq!(t.n_rows, 3);
        assert_eq!(t.get("id", 1), Some("b"));
        assert_eq!(t.num("n", 0).unwrap(), Some(1.5));
        assert_eq!(t.num("n", 1).unwrap(), None);
        let e = t.num("n", 2).unwrap_err().to_string();
        assert!(
            e.contains("x.csv") && e.contains("row 4") && e.contains("column n"),
            "{e}"
        );
    }

    #[test]
    fn word_columns_are_checked_and_set_aside() {
        let t = TextTable::parse(
            Path::new("comparison.csv"),
            "level,id,n,robust_change\nregion,a,1,gain\nregion,b,2,\nregion,c,3,maybe\n",
        )
        .unwrap();
        let e = t
            .check_words("robust_change", &["gain", "loss", "within ties"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("comparison.csv")
                && e.contains("row 4, column robust_change")
                && e.contains("\"maybe\""),
            "{e}"
        );
        let rest = t.without(&["robust_change"]);
        assert_eq!(rest.headers, ["level", "id", "n"]);
        assert_eq!(rest.n_rows, 3);
        assert_eq!(rest.num("n", 2).unwrap(), Some(3.0));
        assert_eq!(rest.get("robust_change", 0), None);
    }

    #[test]
    fn junk_rows_are_named_by_row_and_column() {
        let t = TextTable::parse(
            Path::new("regions.csv"),
            "level,id,cards_total\nregion,a,1\njunk,b,2\n",
        )
        .unwrap();
        let e = t
            .check_rows(&["level", "id", "cards_total"], &["region", "tier"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("regions.csv") && e.contains("row 3") && e.contains("column level"),
            "{e}"
        );
        let t = TextTable::parse(
            Path::new("regions.csv"),
            "level,id,cards_total\nregion,a,1\nregion,,2\n",
        )
        .unwrap();
        let e = t
            .check_rows(&["level", "id", "cards_total"], &["region", "tier"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 3, column id"), "{e}");
    }
}
