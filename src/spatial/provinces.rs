//! China's provincial-level divisions as shipped data: `data/provinces.geojson`
//! (embedded), schematic boundaries from DCW-GMT 1:1M, simplified (see
//! data/SOURCES.md). Not a surveyed map: publishing a map of China needs an
//! approval number (审图号).
//!
//! [`provinces`] parses the embedded file once; [`province_at`] tells which
//! division holds a point, [`province_near`] allows a tolerance for points on
//! the coast (DCW's coastline predates recent reclamation).

use std::sync::OnceLock;

use geo::{Contains, HaversineClosestPoint, MultiPolygon, Point};

use super::geodesic_km;

/// The province boundaries, RFC 7946 GeoJSON in WGS 84 lon/lat.
pub const GEOJSON: &str = include_str!("../../data/provinces.geojson");

/// One provincial-level division.
#[derive(Debug, Clone, PartialEq)]
pub struct Province {
    /// GB/T 2260 code, e.g. 110000 (Beijing), 710000 (Taiwan), 810000 (Hong Kong).
    pub id: u32,
    /// Official Chinese name, e.g. 北京市.
    pub name_zh: String,
    /// English name, spelled as `demand.csv`'s `province` column spells it.
    pub name_en: String,
    /// The quota region (`regions.csv`) the division belongs to, if any.
    pub region_id: Option<String>,
    /// One of the 31 mainland divisions (false: Taiwan, Hong Kong, Macao).
    pub mainland: bool,
    /// The boundary, lon/lat degrees.
    pub geometry: MultiPolygon<f64>,
}

impl Province {
    /// The division's key: its English name in lower case with `_` for
    /// spaces (`beijing`, `inner_mongolia`, `hong_kong`): the region id of a
    /// province in a scenario whose regions are the provinces (the national
    /// set, `data/regions.csv`).
    pub fn key(&self) -> String {
        self.name_en.to_lowercase().replace(' ', "_")
    }

    /// The region of a scenario this division belongs to, given the
    /// scenario's region ids (`known`): its `region_id` (a group of provinces,
    /// as the small set's `jjj`) when the scenario has that region, else its
    /// [`key`](Province::key) when the scenario has a region of that id (one
    /// region per province); `None` when neither is a region of the scenario.
    pub fn region_in(&self, known: impl Fn(&str) -> bool) -> Option<String> {
        match &self.region_id {
            Some(r) if known(r) => Some(r.clone()),
            _ => Some(self.key()).filter(|k| known(k)),
        }
    }
}

/// Why a province file could not be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ProvinceError {
    #[error("province boundaries: not GeoJSON: {0}")]
    Json(String),
    #[error("province boundaries: expected a FeatureCollection")]
    NotCollection,
    #[error("province boundaries: feature {index}: {what}")]
    Feature { index: usize, what: String },
}

fn feature_error(index: usize, what: impl Into<String>) -> ProvinceError {
    ProvinceError::Feature {
        index,
        what: what.into(),
    }
}

/// Reads a province file in the format of `data/provinces.geojson`: a
/// FeatureCollection of Polygon / MultiPolygon features with the properties
/// `province_id` (whole number), `name_zh`, `name_en` (text), `region_id`
/// (text or null) and `mainland` (boolean).
pub fn parse(text: &str) -> Result<Vec<Province>, ProvinceError> {
    let gj: geojson::GeoJson = text
        .parse()
        .map_err(|e: geojson::Error| ProvinceError::Json(e.to_string()))?;
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        return Err(ProvinceError::NotCollection);
    };
    fc.features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let text_of = |key: &str| -> Result<String, ProvinceError> {
                f.property(key)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
                    .ok_or_else(|| feature_error(i, format!("property {key} is not text")))
            };
            let id = f
                .property("province_id")
                .and_then(|v| v.as_u64())
                .and_then(|v| u32::try_from(v).ok())
                .filter(|v| (100_000..=999_999).contains(v))
                .ok_or_else(|| feature_error(i, "province_id is not a 6-digit code"))?;
            let region_id = match f.property("region_id") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) if s.is_empty() => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(feature_error(i, "region_id is neither text nor null")),
            };
            let mainland = f
                .property("mainland")
                .and_then(|v| v.as_bool())
                .ok_or_else(|| feature_error(i, "mainland is not a boolean"))?;
            let geometry = f
                .geometry
                .as_ref()
                .ok_or_else(|| feature_error(i, "no geometry"))?;
            let geometry = match geo::Geometry::<f64>::try_from(geometry)
                .map_err(|e| feature_error(i, e.to_string()))?
            {
                geo::Geometry::Polygon(p) => MultiPolygon::new(vec![p]),
                geo::Geometry::MultiPolygon(m) => m,
                _ => return Err(feature_error(i, "geometry is not a (multi)polygon")),
            };
            Ok(Province {
                id,
                name_zh: text_of("name_zh")?,
                name_en: text_of("name_en")?,
                region_id,
                mainland,
                geometry,
            })
        })
        .collect()
}

/// The provincial-level divisions of the embedded [`GEOJSON`], sorted by id,
/// parsed once. The embedded file is checked by this module's unit tests, so
/// parsing it does not fail at run time.
pub fn provinces() -> &'static [Province] {
    static PROVINCES: OnceLock<Vec<Province>> = OnceLock::new();
    PROVINCES.get_or_init(|| {
        parse(GEOJSON).expect("data/provinces.geojson parses (checked by the unit tests)")
    })
}

/// The division whose boundary contains `(lon, lat)` (degrees), if any.
pub fn province_at(lon: f64, lat: f64) -> Option<&'static Province> {
    let p = Point::new(lon, lat);
    provinces().iter().find(|x| x.geometry.contains(&p))
}

/// The division containing `(lon, lat)`, else the one whose boundary is
/// nearest, if it is within `max_km` (geodesic, through the nearest point on
/// the sphere): for points on the coast, where DCW's coastline lags the land
/// reclaimed since.
pub fn province_near(lon: f64, lat: f64, max_km: f64) -> Option<&'static Province> {
    if let Some(p) = province_at(lon, lat) {
        return Some(p);
    }
    let p = Point::new(lon, lat);
    provinces()
        .iter()
        .filter_map(|x| match x.geometry.haversine_closest_point(&p) {
            geo::Closest::Intersection(q) | geo::Closest::SinglePoint(q) => {
                Some((geodesic_km(p, q), x))
            }
            geo::Closest::Indeterminate => None,
        })
        .filter(|(km, _)| *km <= max_km)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, x)| x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, Validation};
    use std::collections::HashSet;

    #[test]
    fn a_division_joins_a_group_region_or_its_own_province_region() {
        let by_id = |id: u32| provinces().iter().find(|p| p.id == id).unwrap();
        let (beijing, im, shanxi) = (by_id(110000), by_id(150000), by_id(140000));
        assert_eq!(im.key(), "inner_mongolia");
        // The small set: Beijing is in the group region jjj.
        let small = ["jjj", "inner_mongolia"];
        assert_eq!(
            beijing.region_in(|r| small.contains(&r)).as_deref(),
            Some("jjj")
        );
        assert_eq!(
            im.region_in(|r| small.contains(&r)).as_deref(),
            Some("inner_mongolia")
        );
        assert_eq!(shanxi.region_in(|r| small.contains(&r)), None);
        // The national set: one region per province, keyed by its name.
        let national = ["beijing", "inner_mongolia", "shanxi"];
        assert_eq!(
            beijing.region_in(|r| national.contains(&r)).as_deref(),
            Some("beijing")
        );
        assert_eq!(
            shanxi.region_in(|r| national.contains(&r)).as_deref(),
            Some("shanxi")
        );
    }

    #[test]
    fn embedded_file_parses_with_34_divisions_31_mainland() {
        let all = parse(GEOJSON).unwrap();
        assert_eq!(all.len(), 34);
        assert_eq!(all.iter().filter(|p| p.mainland).count(), 31);
        let others: Vec<u32> = all.iter().filter(|p| !p.mainland).map(|p| p.id).collect();
        assert_eq!(others, vec![710000, 810000, 820000]);
        assert!(all.windows(2).all(|w| w[0].id < w[1].id), "sorted by id");
        assert_eq!(provinces(), all.as_slice());
    }

    #[test]
    fn ids_and_names_are_unique_and_codes_are_provincial() {
        let all = provinces();
        let ids: HashSet<u32> = all.iter().map(|p| p.id).collect();
        let zh: HashSet<&str> = all.iter().map(|p| p.name_zh.as_str()).collect();
        let en: HashSet<&str> = all.iter().map(|p| p.name_en.as_str()).collect();
        assert_eq!((ids.len(), zh.len(), en.len()), (34, 34, 34));
        // A provincial-level GB/T 2260 code ends in 0000.
        assert!(all.iter().all(|p| p.id % 10_000 == 0));
        for (id, zh, en) in [
            (110000, "北京市", "Beijing"),
            (150000, "内蒙古自治区", "Inner Mongolia"),
            (440000, "广东省", "Guangdong"),
            (640000, "宁夏回族自治区", "Ningxia"),
            (810000, "香港特别行政区", "Hong Kong"),
        ] {
            let p = all.iter().find(|p| p.id == id).unwrap();
            assert_eq!((p.name_zh.as_str(), p.name_en.as_str()), (zh, en));
        }
    }

    #[test]
    fn geometries_are_valid_and_sized_plausibly() {
        for p in provinces() {
            assert!(
                p.geometry.is_valid(),
                "{}: {:?}",
                p.name_en,
                p.geometry.validation_errors()
            );
            assert!(p.geometry.unsigned_area() > 0.0, "{}", p.name_en);
        }
        // Xinjiang is the largest division.
        let by_area = |id: u32| {
            provinces()
                .iter()
                .find(|p| p.id == id)
                .unwrap()
                .geometry
                .unsigned_area()
        };
        let max = provinces()
            .iter()
            .map(|p| p.geometry.unsigned_area())
            .fold(0.0, f64::max);
        assert_eq!(by_area(650000), max);
    }

    #[test]
    fn file_is_small() {
        assert!(GEOJSON.len() <= 1_000_000, "{} bytes", GEOJSON.len());
    }

    #[test]
    fn points_fall_in_their_province() {
        // Tiananmen, the Bund, Urumqi, Lhasa, Haikou, Taipei, Mong Kok.
        for (lon, lat, id) in [
            (116.397, 39.908, 110000),
            (121.490, 31.240, 310000),
            (87.617, 43.826, 650000),
            (91.117, 29.650, 540000),
            (110.330, 20.030, 460000),
            (121.565, 25.033, 710000),
            (114.172, 22.319, 810000),
        ] {
            assert_eq!(province_at(lon, lat).map(|p| p.id), Some(id), "{lon},{lat}");
        }
        // Seoul and the open sea are in none.
        assert_eq!(province_at(126.978, 37.566), None);
        assert_eq!(province_at(125.0, 30.0), None);
        assert_eq!(province_near(125.0, 30.0, 5.0), None);
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        assert!(matches!(parse("{"), Err(ProvinceError::Json(_))));
        assert_eq!(
            parse(r#"{"type":"Point","coordinates":[1,2]}"#),
            Err(ProvinceError::NotCollection)
        );
        let f = |props: &str, geom: &str| {
            format!(
                r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{props},"geometry":{geom}}}]}}"#
            )
        };
        let sq = r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#;
        let good = r#"{"province_id":110000,"name_zh":"北京市","name_en":"Beijing","region_id":"jjj","mainland":true}"#;
        assert_eq!(
            parse(&f(good, sq)).unwrap()[0].region_id.as_deref(),
            Some("jjj")
        );
        for (props, geom, what) in [
            (&good.replace("110000", "11"), sq, "province_id"),
            (&good.replace("true", "1"), sq, "mainland"),
            (&good.replace("\"jjj\"", "3"), sq, "region_id"),
            (&good.replace("\"Beijing\"", "null"), sq, "name_en"),
            (
                &good.to_string(),
                r#"{"type":"Point","coordinates":[1,2]}"#,
                "polygon",
            ),
            (&good.to_string(), "null", "no geometry"),
        ] {
            match parse(&f(props, geom)) {
                Err(ProvinceError::Feature { index: 0, what: w }) => {
                    assert!(w.contains(what), "{w}")
                }
                other => panic!("{props} {geom}: {other:?}"),
            }
        }
    }
}
