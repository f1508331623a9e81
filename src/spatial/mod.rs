//! Distances, latency and reach polygons.
//!
//! Distances are geodesic on the WGS 84 ellipsoid (Karney's algorithm, via
//! `geo`); reach polygons are the points r metres away along the geodesic
//! (the direct problem, via `geo`): exactly a circle of radius r metres in an
//! azimuthal equidistant projection centred on the site, which
//! [`aeqd_circle`] draws through PROJ for the tests to compare.
//!
//! [`MapProjection`] projects points for drawing ([`CHINA_ALBERS`], the
//! report's map).
//!
//! [`crs`] converts site coordinates given in other coordinate systems to
//! WGS 84 and writes layers in other systems (PROJ); [`chinese`] holds the
//! GCJ-02 / BD-09 web-map transforms; [`provinces`] the shipped, schematic
//! province boundaries (`data/provinces.geojson`).

pub mod chinese;
pub mod crs;
pub mod provinces;

pub use geo::Point;
use geo::{Distance, Geodesic};
use proj::Proj;

/// Geodesic distance between two WGS 84 points, km. Points are
/// `Point::new(lon, lat)` in degrees: every coordinate in dcsite's signatures
/// is lon then lat, as in GeoJSON.
///
/// Beijing to Shanghai is about 1,067 km (facts §8 in data/SOURCES.md;
/// checked by the unit test `beijing_to_shanghai`).
pub fn geodesic_km(a: Point, b: Point) -> f64 {
    Geodesic.distance(a, b) / 1000.0
}

/// Latency model of a scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyModel {
    /// One-way propagation in fibre, µs per km.
    pub fibre_us_per_km: f64,
    /// Route length over great-circle length.
    pub route_factor: f64,
    /// Fixed round-trip overhead (switching, serialisation), ms.
    pub overhead_ms: f64,
}

impl LatencyModel {
    /// The latency model of a scenario's parameters (the one place it is read).
    pub fn of(p: &crate::domain::Params) -> LatencyModel {
        LatencyModel {
            fibre_us_per_km: p.fibre_us_per_km,
            route_factor: p.route_factor,
            overhead_ms: p.overhead_ms,
        }
    }
    /// RTT in ms = 2 × km × route_factor × fibre_us_per_km / 1000 + overhead_ms.
    pub fn rtt_ms(&self, km: f64) -> f64 {
        2.0 * km * self.route_factor * self.fibre_us_per_km / 1000.0 + self.overhead_ms
    }
    /// The geodesic distance (km) whose RTT equals `rtt_ms`; 0 when the
    /// overhead alone exceeds it.
    pub fn radius_km(&self, rtt_ms: f64) -> f64 {
        let per_km = 2.0 * self.route_factor * self.fibre_us_per_km / 1000.0;
        if per_km <= 0.0 {
            return f64::INFINITY;
        }
        ((rtt_ms - self.overhead_ms) / per_km).max(0.0)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpatialError {
    #[error("PROJ could not build the projection {definition}: {message}")]
    Projection { definition: String, message: String },
    #[error("PROJ could not transform a point: {0}")]
    Transform(String),
}

/// A closed ring of (lon, lat) degrees, counter-clockwise, covering the points
/// within `radius_km` (geodesic) of the centre, with `vertices` vertices.
///
/// Each vertex solves the direct geodesic problem on the WGS 84 ellipsoid
/// (Karney's algorithm, via `geo`): the point `radius_km` away along a bearing.
/// That is exactly the circle of radius r in an azimuthal equidistant
/// projection centred on the site; [`aeqd_circle`] draws the same ring through
/// PROJ, and the tests hold the two within a centimetre. This one is used for
/// output because it is about a thousand times faster (PROJ builds a context
/// per projection centre).
pub fn geodesic_circle(
    centre: Point,
    radius_km: f64,
    vertices: usize,
) -> Result<Vec<[f64; 2]>, SpatialError> {
    use geo::Destination;
    let (lon, lat) = (centre.x(), centre.y());
    let mut ring = Vec::with_capacity(vertices + 1);
    for i in 0..vertices {
        // Bearing from north, clockwise; walking it backwards (east, north,
        // west, south) keeps the ring counter-clockwise, as RFC 7946 wants.
        let bearing = (90.0 - 360.0 * i as f64 / vertices as f64).rem_euclid(360.0);
        let p = Geodesic.destination(centre, bearing, radius_km * 1000.0);
        if !(p.x().is_finite() && p.y().is_finite()) {
            return Err(SpatialError::Transform(format!(
                "no point {radius_km} km from ({lon}, {lat}) at bearing {bearing}"
            )));
        }
        ring.push([round6(p.x()), round6(p.y())]);
    }
    ring.push(ring[0]);
    Ok(ring)
}

/// The same ring as [`geodesic_circle`], drawn as a circle in PROJ's
/// azimuthal equidistant projection centred on the site.
pub fn aeqd_circle(
    centre: Point,
    radius_km: f64,
    vertices: usize,
) -> Result<Vec<[f64; 2]>, SpatialError> {
    let (lon, lat) = (centre.x(), centre.y());
    let definition = format!("+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs");
    let aeqd = Proj::new(&definition).map_err(|e| SpatialError::Projection {
        definition: definition.clone(),
        message: e.to_string(),
    })?;
    let r = radius_km * 1000.0;
    let mut ring = Vec::with_capacity(vertices + 1);
    for i in 0..vertices {
        // Increasing angle from east through north: counter-clockwise.
        let theta = 2.0 * std::f64::consts::PI * i as f64 / vertices as f64;
        let (x, y) = (r * theta.cos(), r * theta.sin());
        let (lam, phi) = aeqd
            .project((x, y), true)
            .map_err(|e| SpatialError::Transform(e.to_string()))?;
        ring.push([round6(lam.to_degrees()), round6(phi.to_degrees())]);
    }
    ring.push(ring[0]);
    Ok(ring)
}

/// The Albers equal-area conic used for maps of China: standard parallels
/// 25° N and 47° N, central meridian 105° E, on the WGS 84 ellipsoid.
pub const CHINA_ALBERS: &str =
    "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs";

/// A map projection through PROJ: WGS 84 (lon, lat) degrees → (x, y)
/// metres, x east and y north. Build it once and project many points
/// (building a PROJ object costs milliseconds, a point microseconds).
pub struct MapProjection {
    definition: String,
    proj: Proj,
}

impl std::fmt::Debug for MapProjection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapProjection")
            .field("definition", &self.definition)
            .finish()
    }
}

impl MapProjection {
    /// A projection from a PROJ string (a conversion such as `+proj=aea …`).
    pub fn new(definition: &str) -> Result<MapProjection, SpatialError> {
        let proj = Proj::new(definition).map_err(|e| SpatialError::Projection {
            definition: definition.to_string(),
            message: e.to_string(),
        })?;
        Ok(MapProjection {
            definition: definition.to_string(),
            proj,
        })
    }

    /// [`CHINA_ALBERS`].
    pub fn china_albers() -> Result<MapProjection, SpatialError> {
        MapProjection::new(CHINA_ALBERS)
    }

    /// The PROJ string.
    pub fn definition(&self) -> &str {
        &self.definition
    }

    /// (x, y) metres → (lon, lat) degrees, the inverse of [`Self::project`].
    pub fn unproject(&self, x: f64, y: f64) -> Result<(f64, f64), SpatialError> {
        let (lam, phi) = self
            .proj
            .project((x, y), true)
            .map_err(|e| SpatialError::Transform(format!("({x}, {y}): {e}")))?;
        let (lon, lat) = (lam.to_degrees(), phi.to_degrees());
        if !(lon.is_finite() && lat.is_finite()) {
            return Err(SpatialError::Transform(format!(
                "({x}, {y}) has no inverse in {}",
                self.definition
            )));
        }
        Ok((lon, lat))
    }

    /// (lon, lat) degrees → (x, y) metres.
    pub fn project(&self, lon: f64, lat: f64) -> Result<(f64, f64), SpatialError> {
        let (x, y) = self
            .proj
            .project((lon.to_radians(), lat.to_radians()), false)
            .map_err(|e| SpatialError::Transform(format!("({lon}, {lat}): {e}")))?;
        if !(x.is_finite() && y.is_finite()) {
            return Err(SpatialError::Transform(format!(
                "({lon}, {lat}) has no image in {}",
                self.definition
            )));
        }
        Ok((x, y))
    }
}

/// Rounds to `digits` decimals, never giving −0.
pub fn round_to(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    let r = (x * f).round() / f;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Rounds degrees to 1e-6 (about 0.1 m), so that output is stable and small.
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {

    #[test]
    fn unproject_inverts_project() {
        let p = MapProjection::china_albers().unwrap();
        for (lon, lat) in [(73.5, 39.4), (105.0, 35.0), (134.8, 48.3), (109.5, 18.2)] {
            let (x, y) = p.project(lon, lat).unwrap();
            let (lon2, lat2) = p.unproject(x, y).unwrap();
            assert!((lon2 - lon).abs() < 1e-9 && (lat2 - lat).abs() < 1e-9);
        }
    }

    use super::*;

    #[test]
    fn beijing_to_shanghai() {
        // About 1,067 km (facts §8 in data/SOURCES.md).
        let km = geodesic_km(Point::new(116.407, 39.904), Point::new(121.474, 31.230));
        assert!((km - 1067.0).abs() < 5.0, "{km}");
    }

    #[test]
    fn rtt_and_radius_are_inverse() {
        let m = LatencyModel {
            fibre_us_per_km: 4.9,
            route_factor: 1.5,
            overhead_ms: 2.0,
        };
        // Beijing–Zhongwei 1008 km: facts §8 (data/SOURCES.md) RTT f1.5 = 14.8 ms,
        // plus 2 ms overhead.
        assert!((m.rtt_ms(1008.0) - 16.818).abs() < 1e-3);
        assert!((m.radius_km(m.rtt_ms(1234.0)) - 1234.0).abs() < 1e-9);
    }

    #[test]
    fn china_albers_matches_the_output_crs_of_the_same_string() {
        let m = MapProjection::china_albers().unwrap();
        let o = crs::OutputCrs::new(CHINA_ALBERS).unwrap();
        for (lon, lat) in [
            (105.0, 35.0),
            (116.407, 39.904),
            (75.99, 39.47),
            (113.26, 23.13),
        ] {
            let (x, y) = m.project(lon, lat).unwrap();
            let (ox, oy) = o.from_wgs84(lon, lat).unwrap();
            assert!(
                (x - ox).abs() < 0.01 && (y - oy).abs() < 0.01,
                "{x} {y} vs {ox} {oy}"
            );
        }
        let (x, _) = m.project(105.0, 35.0).unwrap();
        assert!(x.abs() < 1e-6);
    }

    #[test]
    fn circle_vertices_are_at_the_geodesic_radius() {
        let ring = geodesic_circle(Point::new(105.197, 37.5), 1000.0, 72).unwrap();
        assert_eq!(ring.len(), 73);
        assert_eq!(ring[0], ring[72]);
        for v in &ring {
            let d = geodesic_km(Point::new(105.197, 37.5), Point::new(v[0], v[1]));
            assert!((d - 1000.0).abs() < 0.01, "vertex at {d} km");
        }
        // Counter-clockwise: positive shoelace area.
        let area: f64 = ring
            .windows(2)
            .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
            .sum();
        assert!(area > 0.0);
    }

    #[test]
    fn the_geodesic_ring_is_projs_azimuthal_equidistant_circle() {
        for (lat, lon, km) in [
            (37.5, 105.197, 1905.0),
            (22.543, 114.058, 500.0),
            (41.0, 113.133, 3000.0),
        ] {
            let a = geodesic_circle(Point::new(lon, lat), km, 72).unwrap();
            let b = aeqd_circle(Point::new(lon, lat), km, 72).unwrap();
            for (p, q) in a.iter().zip(&b) {
                // 1e-6 degrees of rounding is about 0.1 m.
                assert!(
                    (p[0] - q[0]).abs() <= 2e-6 && (p[1] - q[1]).abs() <= 2e-6,
                    "{p:?} vs {q:?}"
                );
            }
        }
    }
}
