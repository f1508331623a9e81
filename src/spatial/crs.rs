//! Coordinate reference systems: sites given in another CRS are converted to
//! WGS 84 on input, and layers can be written in another CRS on output.
//!
//! Input ([`InputCrs`]): WGS 84 (`EPSG:4326`, `WGS84`, `WGS 84`, `OGC:CRS84`)
//! needs no conversion; `GCJ-02` and `BD-09` (Chinese web maps) are converted
//! with [`super::chinese`]; anything else PROJ knows — an `AUTHORITY:CODE`
//! such as `EPSG:4490` (CGCS2000), `EPSG:4513`-`4554` (CGCS2000 Gauss-Krüger),
//! `EPSG:3857`, or a PROJ string — goes through
//! `proj::Proj::new_known_crs(code, "EPSG:4326")`, whose axis order the crate
//! normalises to lon/lat and easting/northing. Coordinates are passed as
//! `(x, y)` = (`lon` column, `lat` column): longitude/latitude for geographic
//! CRSs, easting/northing for projected ones.
//!
//! Output ([`OutputCrs`]): an `AUTHORITY:CODE` or a PROJ string; a GeoJSON
//! layer is re-projected vertex by vertex and marked with the legacy
//! (GeoJSON 2008) `crs` member, which GDAL and QGIS read: an OGC URN
//! (`urn:ogc:def:crs:EPSG::4490`) for codes, the PROJ string itself for PROJ
//! strings (GDAL's `SetFromUserInput` accepts both).
//!
//! `proj.db`: PROJ needs its database for every `AUTHORITY:CODE`. The bundled
//! PROJ (`proj-sys` with `bundled_proj`) is built with `EMBED_RESOURCE_FILES`,
//! so `proj.db` is compiled into the binary: PROJ first looks on disk
//! (`PROJ_DATA`, then the path compiled in, i.e. the cargo `OUT_DIR` of
//! proj-sys) and otherwise opens the embedded copy. A copied or installed
//! binary therefore works without any file. See [`proj_database_check`].

use super::round_to;
use proj::Proj;
use serde_json::Value;

use super::chinese;

/// A problem with a coordinate reference system or a point in it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrsError {
    /// PROJ does not know the CRS (or it cannot be turned into a transformation).
    #[error("unknown coordinate system {0}")]
    Unknown(String),
    /// The CRS is known but cannot be used here.
    #[error("{0}")]
    Unsupported(String),
    /// A point could not be transformed.
    #[error("cannot transform ({x}, {y}) from {crs}: {message}")]
    Transform {
        /// The CRS the point was given in.
        crs: String,
        /// Longitude or easting.
        x: f64,
        /// Latitude or northing.
        y: f64,
        /// Why (PROJ's message, or the range it left).
        message: String,
    },
}

fn normalise(code: &str) -> String {
    code.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_proj_string(code: &str) -> bool {
    code.starts_with('+') || code.contains("+proj=") || code.contains("+init=")
}

/// `AUTHORITY:CODE`: letters, a colon, then letters, digits, `_`, `.` or `-`.
fn authority_code(code: &str) -> Option<(&str, &str)> {
    let (auth, id) = code.split_once(':')?;
    let auth_ok = !auth.is_empty() && auth.chars().all(|c| c.is_ascii_alphabetic());
    let id_ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    (auth_ok && id_ok).then_some((auth, id))
}

/// The definition to hand PROJ when creating a CRS object on its own: PROJ
/// strings need `+type=crs` to be a CRS rather than an operation.
fn crs_definition(code: &str) -> String {
    if is_proj_string(code) && !code.contains("+type=crs") {
        format!("{code} +type=crs")
    } else {
        code.to_string()
    }
}

/// Adds a hint to a PROJ failure when the environment points PROJ at another
/// installation's database, the one way the embedded `proj.db` is bypassed.
fn with_env_hint(message: String) -> String {
    for var in ["PROJ_DATA", "PROJ_LIB"] {
        if let Ok(v) = std::env::var(var) {
            if !v.is_empty() && proj_database_check().is_err() {
                return format!(
                    "{message} (PROJ cannot read its database: {var}={v} may point at an older \
                     proj.db; unset it to use the one built into dcsite)"
                );
            }
        }
    }
    message
}

/// Whether a CRS (as PROJ would build it from `code`) is geographic
/// (angles) rather than projected (lengths): looks at the PROJJSON type,
/// through bound and compound CRSs.
fn crs_is_geographic(code: &str) -> Option<bool> {
    let crs = Proj::new(&crs_definition(code)).ok()?;
    let json: Value = serde_json::from_str(&crs.to_projjson(Some(false), None, None).ok()?).ok()?;
    fn geographic(v: &Value) -> Option<bool> {
        match v.get("type")?.as_str()? {
            "GeographicCRS" => Some(true),
            "GeodeticCRS" => Some(
                v.get("coordinate_system")
                    .and_then(|cs| cs.get("subtype"))
                    .and_then(Value::as_str)
                    == Some("ellipsoidal"),
            ),
            "BoundCRS" => geographic(v.get("source_crs")?),
            "CompoundCRS" => geographic(v.get("components")?.get(0)?),
            _ => Some(false),
        }
    }
    geographic(&json)
}

/// Checks that PROJ can open its database (looks up EPSG:4490 and
/// EPSG:4547). Fails when `PROJ_DATA`/`PROJ_LIB` point at a `proj.db` of an
/// older PROJ than the one built in.
pub fn proj_database_check() -> Result<(), String> {
    for code in ["EPSG:4490", "EPSG:4547"] {
        Proj::new(code).map_err(|e| format!("PROJ cannot look up {code}: {e}"))?;
    }
    Ok(())
}

enum InputKind {
    Wgs84,
    Gcj02,
    Bd09,
    Proj(Proj),
}

/// A coordinate system that site coordinates may be given in, ready to
/// convert to WGS 84.
pub struct InputCrs {
    code: String,
    kind: InputKind,
    geographic: bool,
}

impl std::fmt::Debug for InputCrs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputCrs")
            .field("code", &self.code)
            .field("geographic", &self.geographic)
            .finish()
    }
}

/// Whether `code` names WGS 84 longitude/latitude without PROJ.
pub fn is_wgs84(code: &str) -> bool {
    matches!(
        normalise(code).to_ascii_uppercase().as_str(),
        "EPSG:4326" | "WGS84" | "WGS 84" | "WGS-84" | "OGC:CRS84" | "CRS84"
    )
}

/// Whether `code` names GCJ-02 (`GCJ-02`, `GCJ02`, `GCJ_02`, any case).
pub fn is_gcj02(code: &str) -> bool {
    matches!(
        code.trim().to_ascii_uppercase().as_str(),
        "GCJ-02" | "GCJ02" | "GCJ_02"
    )
}

/// Whether `code` names BD-09 (`BD-09`, `BD09`, `BD_09`, `BD09LL`, any case).
pub fn is_bd09(code: &str) -> bool {
    matches!(
        code.trim().to_ascii_uppercase().as_str(),
        "BD-09" | "BD09" | "BD_09" | "BD09LL"
    )
}

impl InputCrs {
    /// Resolves a CRS code. Unknown codes are an error; PROJ is asked only
    /// for codes that are not WGS 84, GCJ-02 or BD-09.
    pub fn new(code: &str) -> Result<InputCrs, CrsError> {
        let code = normalise(code);
        let (kind, geographic) = if is_wgs84(&code) {
            (InputKind::Wgs84, true)
        } else if is_gcj02(&code) {
            (InputKind::Gcj02, true)
        } else if is_bd09(&code) {
            (InputKind::Bd09, true)
        } else {
            if code.is_empty() {
                return Err(CrsError::Unknown("an empty code".into()));
            }
            let proj = Proj::new_known_crs(&code, "EPSG:4326", None)
                .map_err(|e| CrsError::Unknown(with_env_hint(format!("{code:?}: {e}"))))?;
            let geographic = crs_is_geographic(&code).unwrap_or(false);
            (InputKind::Proj(proj), geographic)
        };
        Ok(InputCrs {
            code,
            kind,
            geographic,
        })
    }

    /// The code as given (whitespace normalised).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Whether coordinates are longitude/latitude in degrees (else
    /// easting/northing in the CRS's unit).
    pub fn is_geographic(&self) -> bool {
        self.geographic
    }

    /// Whether no conversion happens (WGS 84).
    pub fn is_wgs84(&self) -> bool {
        matches!(self.kind, InputKind::Wgs84)
    }

    /// Converts `(x, y)` — (lon, lat) or (easting, northing) — to WGS 84
    /// `(lon, lat)` degrees. A result that is not a finite longitude/latitude
    /// is an error.
    pub fn to_wgs84(&self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        let fail = |message: String| CrsError::Transform {
            crs: self.code.clone(),
            x,
            y,
            message,
        };
        if !(x.is_finite() && y.is_finite()) {
            return Err(fail("not finite".into()));
        }
        let (lon, lat) = match &self.kind {
            InputKind::Wgs84 => (x, y),
            InputKind::Gcj02 => chinese::gcj02_to_wgs84(x, y)
                .ok_or_else(|| fail("the GCJ-02 inverse does not converge".into()))?,
            InputKind::Bd09 => chinese::bd09_to_wgs84(x, y)
                .ok_or_else(|| fail("the BD-09 inverse does not converge".into()))?,
            InputKind::Proj(p) => p.convert((x, y)).map_err(|e| fail(e.to_string()))?,
        };
        if !(lon.is_finite() && lat.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0) {
            return Err(fail(format!(
                "result ({lon}, {lat}) is not a longitude/latitude"
            )));
        }
        Ok((lon, lat))
    }
}

/// A coordinate system layers are written in, besides WGS 84.
pub struct OutputCrs {
    spec: String,
    label: String,
    crs_name: String,
    proj: Proj,
    geographic: bool,
}

impl std::fmt::Debug for OutputCrs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputCrs")
            .field("spec", &self.spec)
            .field("label", &self.label)
            .field("crs_name", &self.crs_name)
            .field("geographic", &self.geographic)
            .finish()
    }
}

/// Lower-case letters, digits and `-` only.
fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

impl OutputCrs {
    /// Resolves an output CRS: `AUTHORITY:CODE` (label `epsg-4490`, `crs`
    /// member `urn:ogc:def:crs:EPSG::4490`) or a PROJ string (label
    /// `proj-<projection>`, e.g. `proj-aea`; `crs` member the PROJ string).
    /// GCJ-02 and BD-09 are refused: no GIS reads them as a CRS.
    pub fn new(spec: &str) -> Result<OutputCrs, CrsError> {
        let spec = normalise(spec);
        if is_gcj02(&spec) || is_bd09(&spec) {
            return Err(CrsError::Unsupported(format!(
                "{spec} is an obfuscation of WGS 84, not a CRS GIS software reads; write \
                 EPSG:4326 (the default layers) instead"
            )));
        }
        let (label, crs_name) = if let Some((auth, id)) = authority_code(&spec) {
            (
                format!("{}-{}", file_safe(auth), file_safe(id)),
                format!("urn:ogc:def:crs:{}::{}", auth.to_ascii_uppercase(), id),
            )
        } else if is_proj_string(&spec) {
            let projection = spec
                .split_whitespace()
                .find_map(|t| t.strip_prefix("+proj="))
                .unwrap_or("custom");
            (format!("proj-{}", file_safe(projection)), spec.clone())
        } else {
            return Err(CrsError::Unknown(format!(
                "{spec:?} (write an AUTHORITY:CODE such as EPSG:4490 or a PROJ string such as \
                 \"+proj=aea +lat_1=25 +lat_2=47 +lon_0=105 +datum=WGS84 +units=m\")"
            )));
        };
        let proj = Proj::new_known_crs("EPSG:4326", &spec, None)
            .map_err(|e| CrsError::Unknown(with_env_hint(format!("{spec:?}: {e}"))))?;
        let geographic = crs_is_geographic(&spec).ok_or_else(|| {
            CrsError::Unknown(format!("{spec:?}: PROJ cannot describe it as a CRS"))
        })?;
        Ok(OutputCrs {
            spec,
            label,
            crs_name,
            proj,
            geographic,
        })
    }

    /// The CRS as given (whitespace normalised).
    pub fn spec(&self) -> &str {
        &self.spec
    }

    /// The part of file names that marks the CRS: `sites.<label>.geojson`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Whether coordinates are degrees (rounded to 1e-6) rather than
    /// projected units (rounded to 1e-2, a centimetre).
    pub fn is_geographic(&self) -> bool {
        self.geographic
    }

    /// The legacy GeoJSON `crs` member naming this CRS.
    pub fn crs_member(&self) -> Value {
        serde_json::json!({"type": "name", "properties": {"name": self.crs_name}})
    }

    /// WGS 84 (lon, lat) → (x, y) in this CRS (lon/lat or easting/northing),
    /// rounded.
    pub fn from_wgs84(&self, lon: f64, lat: f64) -> Result<(f64, f64), CrsError> {
        let fail = |message: String| CrsError::Transform {
            crs: "EPSG:4326".into(),
            x: lon,
            y: lat,
            message: format!("to {}: {message}", self.spec),
        };
        let (x, y) = self
            .proj
            .convert((lon, lat))
            .map_err(|e| fail(e.to_string()))?;
        if !(x.is_finite() && y.is_finite()) {
            return Err(fail("not finite".into()));
        }
        let digits = if self.geographic { 6 } else { 2 };
        Ok((round_to(x, digits), round_to(y, digits)))
    }

    /// Re-projects a GeoJSON geometry in place: every position of it (of
    /// every member of a collection) is transformed with [`Self::from_wgs84`]
    /// and rounded; anything beyond x and y is kept.
    pub fn reproject_geometry(&self, g: &mut geojson::Geometry) -> Result<(), CrsError> {
        use geojson::GeometryValue as V;
        match &mut g.value {
            V::Point { coordinates } => self.reproject_position(coordinates),
            V::MultiPoint { coordinates } | V::LineString { coordinates } => {
                self.reproject_positions(coordinates)
            }
            V::MultiLineString { coordinates } | V::Polygon { coordinates } => coordinates
                .iter_mut()
                .try_for_each(|line| self.reproject_positions(line)),
            V::MultiPolygon { coordinates } => coordinates
                .iter_mut()
                .flatten()
                .try_for_each(|line| self.reproject_positions(line)),
            V::GeometryCollection { geometries } => geometries
                .iter_mut()
                .try_for_each(|g| self.reproject_geometry(g)),
        }
    }

    fn reproject_positions(&self, line: &mut [geojson::Position]) -> Result<(), CrsError> {
        line.iter_mut().try_for_each(|p| self.reproject_position(p))
    }

    fn reproject_position(&self, p: &mut geojson::Position) -> Result<(), CrsError> {
        let xy = p.as_slice_mut();
        if xy.len() < 2 {
            return Ok(());
        }
        let (x, y) = self.from_wgs84(xy[0], xy[1])?;
        xy[0] = x;
        xy[1] = y;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALBERS: &str =
        "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs";

    #[test]
    fn proj_finds_its_database() {
        proj_database_check().unwrap();
    }

    #[test]
    fn wgs84_spellings_need_no_proj() {
        for code in ["EPSG:4326", "WGS84", "wgs 84", "OGC:CRS84"] {
            let c = InputCrs::new(code).unwrap();
            assert!(c.is_wgs84() && c.is_geographic());
            assert_eq!(c.to_wgs84(105.197, 37.5).unwrap(), (105.197, 37.5));
        }
    }

    // Reference values computed independently with the system GDAL/PROJ
    // (gdaltransform 3.6.2 / PROJ 9.1.1, not the PROJ built into dcsite):
    //   echo "116.407 39.904" | gdaltransform -s_srs EPSG:4326 -t_srs EPSG:<code> -output_xy
    #[test]
    fn cgcs2000_and_web_mercator_match_an_independent_proj() {
        let cases = [
            // EPSG:4547: CGCS2000 / 3-degree Gauss-Kruger CM 114E.
            ("EPSG:4547", 705841.404393425, 4421644.36052208),
            // EPSG:4548: CGCS2000 / 3-degree Gauss-Kruger CM 117E.
            ("EPSG:4548", 449290.438396443, 4419038.13866492),
            // EPSG:4527: CGCS2000 / 3-degree Gauss-Kruger zone 39 (zone in the easting).
            ("EPSG:4527", 39449290.4383964, 4419038.13866492),
            ("EPSG:3857", 12958367.9647726, 4852001.61208024),
        ];
        for (code, x, y) in cases {
            let c = InputCrs::new(code).unwrap();
            assert!(!c.is_geographic(), "{code}");
            let (lon, lat) = c.to_wgs84(x, y).unwrap();
            assert!(
                (lon - 116.407).abs() < 1e-8 && (lat - 39.904).abs() < 1e-8,
                "{code}: {lon}, {lat}"
            );
        }
        let c = InputCrs::new("EPSG:4490").unwrap();
        assert!(c.is_geographic());
        let (lon, lat) = c.to_wgs84(116.407, 39.904).unwrap();
        // CGCS2000 and WGS 84 agree to the centimetre; PROJ treats them as equal.
        assert!((lon - 116.407).abs() < 1e-7 && (lat - 39.904).abs() < 1e-7);
    }

    #[test]
    fn chinese_web_map_codes_are_inverted() {
        let (g0, g1) = chinese::wgs84_to_gcj02(116.407, 39.904);
        let c = InputCrs::new("gcj-02").unwrap();
        let (lon, lat) = c.to_wgs84(g0, g1).unwrap();
        assert!((lon - 116.407).abs() < 1e-8 && (lat - 39.904).abs() < 1e-8);
        let (b0, b1) = chinese::wgs84_to_bd09(116.407, 39.904);
        let c = InputCrs::new("BD09").unwrap();
        let (lon, lat) = c.to_wgs84(b0, b1).unwrap();
        assert!((lon - 116.407).abs() < 1e-8 && (lat - 39.904).abs() < 1e-8);
    }

    #[test]
    fn unknown_codes_and_impossible_points_are_errors() {
        for code in ["EPSG:999999", "FOO", "+proj=nonsense", ""] {
            assert!(
                matches!(InputCrs::new(code), Err(CrsError::Unknown(_))),
                "{code}"
            );
        }
        // Far outside the domain of a Gauss-Krüger zone.
        let c = InputCrs::new("EPSG:4547").unwrap();
        assert!(c.to_wgs84(1e12, 4e6).is_err());
        assert!(c.to_wgs84(f64::NAN, 4e6).is_err());
        // Out of range for a geographic CRS.
        let c = InputCrs::new("EPSG:4490").unwrap();
        assert!(c.to_wgs84(200.0, 95.0).is_err());
    }

    #[test]
    fn output_labels_and_crs_members() {
        let o = OutputCrs::new("EPSG:4490").unwrap();
        assert_eq!(o.label(), "epsg-4490");
        assert!(o.is_geographic());
        assert_eq!(
            o.crs_member()["properties"]["name"],
            "urn:ogc:def:crs:EPSG::4490"
        );
        let o = OutputCrs::new(ALBERS).unwrap();
        assert_eq!(o.label(), "proj-aea");
        assert!(!o.is_geographic());
        assert_eq!(o.crs_member()["properties"]["name"], ALBERS);
        // The central meridian maps to x = 0; Beijing is east of it and far north.
        let (x, y) = o.from_wgs84(105.0, 35.0).unwrap();
        assert!(x.abs() < 1e-6 && y > 3.5e6, "{x}, {y}");
        // Forward, against the independent gdaltransform values above.
        let o = OutputCrs::new("EPSG:4548").unwrap();
        let (x, y) = o.from_wgs84(116.407, 39.904).unwrap();
        assert!((x - 449290.438396443).abs() < 0.006 && (y - 4419038.13866492).abs() < 0.006);
        assert!(OutputCrs::new("GCJ-02").is_err());
        assert!(OutputCrs::new("EPSG:999999").is_err());
        assert!(OutputCrs::new("Beijing 1954").is_err());
    }

    #[test]
    fn reprojecting_a_geometry_moves_every_vertex() {
        let mut g = geojson::Geometry::new_line_string([[116.407, 39.904], [105.197, 37.5]]);
        let o = OutputCrs::new("EPSG:4548").unwrap();
        o.reproject_geometry(&mut g).unwrap();
        let geojson::GeometryValue::LineString { coordinates } = &g.value else {
            panic!("{g:?}")
        };
        assert!(coordinates[0][0] > 100_000.0);
        // Rounded to the centimetre.
        assert_eq!(coordinates[0][0], round_to(coordinates[0][0], 2));
        let back = InputCrs::new("EPSG:4548").unwrap();
        let (lon, lat) = back.to_wgs84(coordinates[0][0], coordinates[0][1]).unwrap();
        assert!((lon - 116.407).abs() < 1e-6 && (lat - 39.904).abs() < 1e-6);
        let mut poly = geojson::Geometry::new_polygon([[
            [116.0, 39.0],
            [117.0, 39.0],
            [117.0, 40.0],
            [116.0, 39.0],
        ]]);
        OutputCrs::new("EPSG:4490")
            .unwrap()
            .reproject_geometry(&mut poly)
            .unwrap();
        let geojson::GeometryValue::Polygon { coordinates } = &poly.value else {
            panic!("{poly:?}")
        };
        assert!((coordinates[0][2][1] - 40.0).abs() < 1e-6);
    }
}
