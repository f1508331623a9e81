//! Chinese web-map coordinates: GCJ-02 (Amap/Gaode, Tencent, Apple and Google
//! maps inside China) and BD-09 (Baidu), to and from WGS 84.
//!
//! GCJ-02 is WGS 84 plus a deliberate, smooth, non-linear offset of 100-700 m
//! defined by a published pair of polynomials on the Krasovsky ellipsoid
//! (a = 6378245.0 m, e² = 0.00669342162296594323). Outside a bounding box of
//! China (72.004-137.8347° E, 0.8293-55.8271° N, the box of the widely copied
//! implementations such as googollee/eviltransform) no offset is applied.
//! BD-09 is GCJ-02 plus a further rotation and scaling in polar coordinates
//! (x_pi = π × 3000 / 180).
//!
//! The forward transforms ([`wgs84_to_gcj02`], [`gcj02_to_bd09`]) are the
//! published formulas and reproduce published implementations to about 1e-12
//! degrees. The inverses ([`gcj02_to_wgs84`], [`bd09_to_gcj02`]) are computed
//! by fixed-point iteration until the forward transform of the result matches
//! the input to better than 1e-9 degrees (about 0.1 mm); the inverses found in
//! most libraries are a single step and err by up to about 5 m (GCJ-02) or 2e-6
//! degrees (BD-09).
//!
//! All functions take and return `(lon, lat)` in degrees.

use std::f64::consts::PI;

/// Semi-major axis of the Krasovsky 1940 ellipsoid, metres.
const KRASOVSKY_A: f64 = 6378245.0;
/// First eccentricity squared of the Krasovsky 1940 ellipsoid, written as the
/// published implementations write it (f64 keeps 17 significant digits).
#[allow(clippy::excessive_precision)]
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943_23;
/// π × 3000 / 180, the constant of the BD-09 offset.
const X_PI: f64 = PI * 3000.0 / 180.0;

/// Convergence threshold of the iterative inverses, degrees.
pub const INVERSE_TOLERANCE_DEG: f64 = 1e-9;
const MAX_ITERATIONS: usize = 100;

/// Whether GCJ-02 leaves the point unchanged (outside China's bounding box).
pub fn out_of_china(lon: f64, lat: f64) -> bool {
    !((72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat))
}

fn transform_lat(x: f64, y: f64) -> f64 {
    let mut ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    ret
}

fn transform_lon(x: f64, y: f64) -> f64 {
    let mut ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    ret
}

/// The GCJ-02 offset (dlon, dlat) in degrees at a WGS 84 point in China.
fn gcj_offset(lon: f64, lat: f64) -> (f64, f64) {
    let dlat = transform_lat(lon - 105.0, lat - 35.0);
    let dlon = transform_lon(lon - 105.0, lat - 35.0);
    let rad_lat = lat / 180.0 * PI;
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin() * rad_lat.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (dlon, dlat)
}

/// WGS 84 → GCJ-02 (the published forward transform). Points outside China
/// are returned unchanged.
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let (dlon, dlat) = gcj_offset(lon, lat);
    (lon + dlon, lat + dlat)
}

/// Solves `forward(x) = target` by the fixed-point iteration
/// `x ← x + (target − forward(x))`, starting at `start`. The offsets vary
/// slowly, so each step gains about three digits. `None` if it does not reach
/// [`INVERSE_TOLERANCE_DEG`] (only possible on the edge of the GCJ-02 box).
fn invert(
    target: (f64, f64),
    start: (f64, f64),
    forward: impl Fn(f64, f64) -> (f64, f64),
) -> Option<(f64, f64)> {
    let (mut lon, mut lat) = start;
    for _ in 0..MAX_ITERATIONS {
        let (flon, flat) = forward(lon, lat);
        let (elon, elat) = (target.0 - flon, target.1 - flat);
        if elon.abs() < INVERSE_TOLERANCE_DEG && elat.abs() < INVERSE_TOLERANCE_DEG {
            return Some((lon, lat));
        }
        lon += elon;
        lat += elat;
        if !(lon.is_finite() && lat.is_finite()) {
            return None;
        }
    }
    None
}

/// GCJ-02 → WGS 84 by fixed-point iteration of the forward transform: the
/// WGS 84 point whose GCJ-02 image is within 1e-9° of the input. Points outside
/// China are returned unchanged; `None` if the iteration does not converge
/// (points within a few hundred metres of the edge of the box).
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> Option<(f64, f64)> {
    if !(lon.is_finite() && lat.is_finite()) {
        return None;
    }
    if out_of_china(lon, lat) {
        return Some((lon, lat));
    }
    invert((lon, lat), (lon, lat), wgs84_to_gcj02)
}

/// GCJ-02 → BD-09 (the published forward transform, applied everywhere).
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// The closed-form BD-09 → GCJ-02 of published implementations; the inverse
/// of [`gcj02_to_bd09`] only to about 2e-6 degrees.
fn bd09_to_gcj02_approx(lon: f64, lat: f64) -> (f64, f64) {
    let x = lon - 0.0065;
    let y = lat - 0.006;
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    (z * theta.cos(), z * theta.sin())
}

/// BD-09 → GCJ-02: the published closed form, refined by fixed-point
/// iteration until [`gcj02_to_bd09`] of the result is within 1e-9° of the input.
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> Option<(f64, f64)> {
    if !(lon.is_finite() && lat.is_finite()) {
        return None;
    }
    invert((lon, lat), bd09_to_gcj02_approx(lon, lat), gcj02_to_bd09)
}

/// WGS 84 → BD-09.
pub fn wgs84_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let (g0, g1) = wgs84_to_gcj02(lon, lat);
    gcj02_to_bd09(g0, g1)
}

/// BD-09 → WGS 84 (through GCJ-02, both steps iterative).
pub fn bd09_to_wgs84(lon: f64, lat: f64) -> Option<(f64, f64)> {
    let (g0, g1) = bd09_to_gcj02(lon, lat)?;
    gcj02_to_wgs84(g0, g1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::{geodesic_km, Point};

    fn close(got: (f64, f64), want: (f64, f64), tol: f64) -> bool {
        (got.0 - want.0).abs() <= tol && (got.1 - want.1).abs() <= tol
    }

    // Reference points of googollee/eviltransform (go/transform_test.go,
    // python/test.py, javascript/test.js; the same three cities in every
    // language): (wgsLat, wgsLng, gcjLat, gcjLng).
    // https://github.com/googollee/eviltransform
    const EVILTRANSFORM: [(f64, f64, f64, f64); 3] = [
        (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215), // shanghai
        (22.543847, 113.912316, 22.540796131694766, 113.9171764808363), // shenzhen
        (39.911954, 116.377817, 39.91334545536069, 116.38404722455657), // beijing
    ];

    #[test]
    fn wgs84_to_gcj02_matches_eviltransform() {
        for (wlat, wlon, glat, glon) in EVILTRANSFORM {
            let got = wgs84_to_gcj02(wlon, wlat);
            assert!(close(got, (glon, glat), 1e-12), "{got:?} vs {glon}, {glat}");
        }
    }

    #[test]
    fn gcj02_to_wgs84_recovers_eviltransform_wgs_points() {
        for (wlat, wlon, glat, glon) in EVILTRANSFORM {
            let got = gcj02_to_wgs84(glon, glat).unwrap();
            // eviltransform's own "exact" inverse promises 0.5 m; ours is exact
            // to the 1e-9° stopping rule (the reference GCJ values carry ~1e-14).
            assert!(close(got, (wlon, wlat), 1e-8), "{got:?} vs {wlon}, {wlat}");
            assert!(geodesic_km(Point::new(got.0, got.1), Point::new(wlon, wlat)) * 1000.0 < 0.01);
        }
    }

    // Reference values printed in the README of wandergis/coordtransform for the
    // input (116.404, 39.915), given as [lng, lat]:
    // https://github.com/wandergis/coordtransform
    //   bd09togcj02:  [116.39762729119315, 39.90865673957631]
    //   gcj02tobd09:  [116.41036949371029, 39.92133699351021]
    //   wgs84togcj02: [116.41024449916938, 39.91640428150164]
    //   gcj02towgs84: [116.39775550083061, 39.91359571849836]  (one-step approximation)
    #[test]
    fn matches_wandergis_coordtransform() {
        let p = (116.404, 39.915);
        assert!(close(
            wgs84_to_gcj02(p.0, p.1),
            (116.41024449916938, 39.91640428150164),
            1e-12
        ));
        assert!(close(
            gcj02_to_bd09(p.0, p.1),
            (116.41036949371029, 39.92133699351021),
            1e-12
        ));
        // The published closed-form inverse reproduces the README exactly ...
        assert!(close(
            bd09_to_gcj02_approx(p.0, p.1),
            (116.39762729119315, 39.90865673957631),
            1e-12
        ));
        // ... and the refined inverse stays within its 2e-6° error.
        assert!(close(
            bd09_to_gcj02(p.0, p.1).unwrap(),
            (116.39762729119315, 39.90865673957631),
            2e-6
        ));
        // The README's gcj02towgs84 is the one-step approximation (metres off);
        // the iterative inverse is within 3e-5° (about 3 m) of it.
        assert!(close(
            gcj02_to_wgs84(p.0, p.1).unwrap(),
            (116.39775550083061, 39.91359571849836),
            3e-5
        ));
    }

    #[test]
    fn offsets_are_hundreds_of_metres_in_china_and_zero_outside() {
        for (lon, lat) in [(116.4, 39.9), (105.197, 37.5), (87.6, 43.8), (113.9, 22.5)] {
            let (g0, g1) = wgs84_to_gcj02(lon, lat);
            let m = geodesic_km(Point::new(lon, lat), Point::new(g0, g1)) * 1000.0;
            assert!((50.0..=800.0).contains(&m), "{lon},{lat}: {m} m");
        }
        for (lon, lat) in [(2.35, 48.86), (-74.0, 40.7), (139.7, 35.7)] {
            assert_eq!(wgs84_to_gcj02(lon, lat), (lon, lat));
            assert_eq!(gcj02_to_wgs84(lon, lat), Some((lon, lat)));
        }
    }

    #[test]
    fn inverses_round_trip_across_china() {
        // A grid over the whole box (excluding a margin at its edge).
        let mut worst_gcj: f64 = 0.0;
        let mut worst_bd: f64 = 0.0;
        let mut lat = 1.0;
        while lat <= 55.5 {
            let mut lon = 72.5;
            while lon <= 137.5 {
                let (g0, g1) = wgs84_to_gcj02(lon, lat);
                let (w0, w1) = gcj02_to_wgs84(g0, g1).unwrap();
                worst_gcj = worst_gcj.max((w0 - lon).abs()).max((w1 - lat).abs());
                let (b0, b1) = wgs84_to_bd09(lon, lat);
                let (v0, v1) = bd09_to_wgs84(b0, b1).unwrap();
                worst_bd = worst_bd.max((v0 - lon).abs()).max((v1 - lat).abs());
                lon += 0.37;
            }
            lat += 0.29;
        }
        assert!(worst_gcj < 1e-8, "GCJ-02 round trip {worst_gcj}°");
        assert!(worst_bd < 1e-8, "BD-09 round trip {worst_bd}°");
    }

    #[test]
    fn bad_input_is_refused_not_looped() {
        assert_eq!(gcj02_to_wgs84(f64::NAN, 30.0), None);
        assert_eq!(bd09_to_wgs84(116.0, f64::INFINITY), None);
    }
}
