//! Sites given in other coordinate systems (a `crs` column in sites.csv, a
//! scenario's `input_crs`): converted to the same WGS 84 points, bad codes
//! and points named with file, row and column, and PROJ's database found by
//! the binary wherever it is copied.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::*;
use dcsite::data::{load, Problems};
use dcsite::domain::Site;
use dcsite::spatial::chinese;

const ALBERS: &str =
    "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs";

/// Adds a `crs` column after `lon` (if missing) and gives `site` the
/// coordinates `lat`, `lon` (as text) in `crs`.
fn set_site_crs(sites_csv: &Path, site: &str, lat: &str, lon: &str, crs: &str) {
    let text = std::fs::read_to_string(sites_csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let has_crs = lines[0].split(',').any(|c| c == "crs");
    let mut found = false;
    for (i, line) in lines.iter_mut().enumerate() {
        // The first seven columns (site_id .. lon) and crs hold no commas.
        let n = if has_crs { 9 } else { 8 };
        let mut f: Vec<String> = line.splitn(n, ',').map(str::to_string).collect();
        if !has_crs {
            f.insert(7, if i == 0 { "crs".into() } else { String::new() });
        }
        assert_eq!(f[7], if i == 0 { "crs" } else { f[7].as_str() });
        if f[0] == site {
            f[5] = lat.into();
            f[6] = lon.into();
            f[7] = crs.into();
            found = true;
        }
        *line = f.join(",");
    }
    assert!(found, "no site {site}");
    std::fs::write(sites_csv, lines.join("\n") + "\n").unwrap();
}

fn wgs84_sites() -> Vec<Site> {
    load(&root().join("models/small/baseline.toml"))
        .unwrap()
        .1
        .sites
}

fn problems_of(sc: &Path) -> Problems {
    match load(sc) {
        Ok(_) => panic!("expected input problems"),
        Err(p) => p,
    }
}

/// Asserts that one problem names this file, row and column, with `found_part`.
fn has(p: &Problems, file: &str, row: Option<usize>, column: &str, found_part: &str) {
    assert!(
        p.0.iter().any(|x| x.file.ends_with(file)
            && x.row == row
            && x.column.as_deref() == Some(column)
            && x.found.contains(found_part)),
        "no problem for {file} row {row:?} column {column} with {found_part:?} in:\n{p}"
    );
}

#[test]
fn sites_given_in_other_coordinate_systems_load_as_the_same_wgs84_points() {
    let (dir, sc) = scratch_copy();
    let csv = dir.path().join("data/small/sites.csv");
    // Projected coordinates computed independently with the system GDAL/PROJ
    // (gdaltransform 3.6.2 / PROJ 9.1.1):
    //   echo "<lon> <lat>" | gdaltransform -s_srs EPSG:4326 -t_srs <crs> -output_xy
    // lat holds the northing, lon the easting.
    set_site_crs(
        &csv,
        "beijing",
        "4419038.13866492",
        "449290.438396443",
        "EPSG:4548",
    );
    set_site_crs(
        &csv,
        "zhongwei",
        "4152020.37331537",
        "35517419.8214713",
        "EPSG:4523",
    );
    set_site_crs(
        &csv,
        "shanghai",
        "3662655.18330459",
        "13522423.8246221",
        "EPSG:3857",
    );
    set_site_crs(
        &csv,
        "chengdu",
        "3246147.13699627",
        "-87964.3473276682",
        ALBERS,
    );
    set_site_crs(&csv, "shenzhen", "22.543", "114.058", "EPSG:4490");
    // The published forward transforms give the web-map coordinates.
    let (g_lon, g_lat) = chinese::wgs84_to_gcj02(113.133, 41.0);
    set_site_crs(
        &csv,
        "ulanqab",
        &g_lat.to_string(),
        &g_lon.to_string(),
        "GCJ-02",
    );
    let (b_lon, b_lat) = chinese::wgs84_to_bd09(106.633, 26.65);
    set_site_crs(
        &csv,
        "guiyang",
        &b_lat.to_string(),
        &b_lon.to_string(),
        "BD-09",
    );
    set_site_crs(&csv, "wuhan", "30.593", "114.305", "WGS84");

    let sites = load(&sc).unwrap_or_else(|p| panic!("{p}")).1.sites;
    let reference = wgs84_sites();
    assert_eq!(sites.len(), reference.len());
    for (s, r) in sites.iter().zip(&reference) {
        assert_eq!(s.id, r.id);
        assert!(
            (s.lat - r.lat).abs() < 1e-7 && (s.lon - r.lon).abs() < 1e-7,
            "{}: {} {} vs WGS 84 {} {}",
            s.id,
            s.lat,
            s.lon,
            r.lat,
            r.lon
        );
    }
    // The GCJ-02 input was really offset by hundreds of metres.
    let km = dcsite::spatial::geodesic_km(
        dcsite::spatial::Point::new(g_lon, g_lat),
        dcsite::spatial::Point::new(113.133, 41.0),
    );
    assert!(km > 0.1, "{km} km");
}

#[test]
fn a_scenarios_input_crs_applies_to_rows_without_a_crs_cell_and_is_inherited() {
    let (dir, sc) = scratch_copy();
    let csv = dir.path().join("data/small/sites.csv");
    let reference = wgs84_sites();
    // Every site in GCJ-02 but Beijing, which says it is WGS 84.
    for s in &reference {
        if s.id == "beijing" {
            set_site_crs(
                &csv,
                &s.id,
                &s.lat.to_string(),
                &s.lon.to_string(),
                "EPSG:4326",
            );
        } else {
            let (lon, lat) = chinese::wgs84_to_gcj02(s.lon, s.lat);
            set_site_crs(&csv, &s.id, &lat.to_string(), &lon.to_string(), "");
        }
    }
    edit(
        &sc,
        "subsidy_scenario = \"none\"",
        "subsidy_scenario = \"none\"\ninput_crs = \"GCJ-02\"",
    );
    let child = sc.with_file_name("child.toml");
    std::fs::write(&child, "extends = \"baseline.toml\"\nname = \"child\"\n").unwrap();
    for scenario in [&sc, &child] {
        let (loaded, inst, _) = load(scenario).unwrap_or_else(|p| panic!("{p}"));
        assert_eq!(loaded.input_crs.as_deref(), Some("GCJ-02"));
        for (s, r) in inst.sites.iter().zip(&reference) {
            assert!(
                (s.lat - r.lat).abs() < 1e-8 && (s.lon - r.lon).abs() < 1e-8,
                "{}: {} {} vs {} {}",
                s.id,
                s.lat,
                s.lon,
                r.lat,
                r.lon
            );
        }
    }
}

#[test]
fn unknown_codes_and_impossible_points_are_named_with_file_row_and_column() {
    let (dir, sc) = scratch_copy();
    let csv = dir.path().join("data/small/sites.csv");
    // Row 2: a code PROJ does not know.
    set_site_crs(&csv, "beijing", "39.904", "116.407", "EPSG:999999");
    // Row 3: nonsense.
    set_site_crs(
        &csv,
        "zhangjiakou",
        "40.769",
        "114.886",
        "Gauss-Krüger please",
    );
    // Row 9: far outside the domain of the Gauss-Krüger zone.
    set_site_crs(&csv, "zhongwei", "4152020.4", "1000000000000", "EPSG:4547");
    // Row 16: northing and easting exchanged.
    set_site_crs(
        &csv,
        "shanghai",
        "449290.438396443",
        "4419038.13866492",
        "EPSG:4548",
    );
    // Row 18: degrees out of range in a geographic CRS.
    set_site_crs(&csv, "shenzhen", "95", "114.058", "EPSG:4490");
    // And an unrelated problem, reported in the same run.
    edit(&csv, "13.2,60,600000000", "13.2,-60,600000000");
    let p = problems_of(&sc);
    has(&p, "sites.csv", Some(2), "crs", "EPSG:999999");
    has(&p, "sites.csv", Some(3), "crs", "Gauss-Krüger please");
    has(
        &p,
        "sites.csv",
        Some(9),
        "crs",
        "outside of projection domain",
    );
    has(&p, "sites.csv", Some(16), "lat", "apparently swapped");
    has(&p, "sites.csv", Some(18), "lat", "95");
    has(&p, "sites.csv", Some(2), "max_it_mw", "-60");
    let text = p.to_string();
    assert!(text.contains("column crs"), "{text}");
}

#[test]
fn an_unknown_input_crs_is_named_once_against_the_scenario() {
    let (_dir, sc) = scratch_copy();
    edit(
        &sc,
        "subsidy_scenario = \"none\"",
        "subsidy_scenario = \"none\"\ninput_crs = \"EPSG:0\"",
    );
    let p = problems_of(&sc);
    assert_eq!(p.0.len(), 1, "{p}");
    assert!(p.0[0].file.ends_with("baseline.toml"));
    assert_eq!(p.0[0].column.as_deref(), Some("input_crs"));
    assert!(p.0[0].found.contains("EPSG:0"), "{p}");
}

/// A scratch scenario whose sites use EPSG codes, so that loading it needs proj.db.
fn scenario_needing_proj_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, sc) = scratch_copy();
    let csv = dir.path().join("data/small/sites.csv");
    set_site_crs(
        &csv,
        "beijing",
        "4419038.13866492",
        "449290.438396443",
        "EPSG:4548",
    );
    set_site_crs(&csv, "shenzhen", "22.543", "114.058", "EPSG:4490");
    (dir, sc)
}

/// Runs `cmd`, again while starting it fails with ETXTBSY: the tests share
/// one process, and a child that another test's thread starts while the
/// copy is still open for writing holds it open until that child execs.
fn output_once_not_busy(cmd: &mut Command) -> std::process::Output {
    for _ in 0..100 {
        match cmd.output() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            r => return r.unwrap(),
        }
    }
    panic!("the copy of the binary stayed busy (ETXTBSY) for 2 s");
}

#[test]
fn a_copy_of_the_binary_in_another_folder_still_finds_proj_db() {
    let (_data, sc) = scenario_needing_proj_db();
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("dcsite");
    std::fs::copy(env!("CARGO_BIN_EXE_dcsite"), &copy).unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    // As built: PROJ opens the proj.db in proj-sys's OUT_DIR (path compiled in).
    // With PROJ_DATA naming a folder without proj.db, PROJ skips that compiled-in
    // path and falls back to the copy embedded in the binary — what happens on
    // a machine without this target/ folder.
    for proj_data in [None, Some(empty.path())] {
        let mut cmd = Command::new(&copy);
        cmd.arg("validate").arg(&sc).current_dir(cwd.path());
        cmd.env_remove("PROJ_LIB");
        match proj_data {
            Some(d) => cmd.env("PROJ_DATA", d),
            None => cmd.env_remove("PROJ_DATA"),
        };
        let o = output_once_not_busy(&mut cmd);
        assert!(
            o.status.success(),
            "PROJ_DATA={proj_data:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stdout).contains("is valid"));
    }
}

#[test]
fn an_older_proj_db_named_by_proj_data_is_explained() {
    // Debian's gdal-bin brings PROJ 9.1, whose proj.db (layout 1.2) the built-in
    // PROJ 9.6 (layout >= 1.5) refuses.
    let system = Path::new("/usr/share/proj");
    if !system.join("proj.db").exists() {
        eprintln!("skipped: no system proj.db");
        return;
    }
    let (_data, sc) = scenario_needing_proj_db();
    let o = Command::new(env!("CARGO_BIN_EXE_dcsite"))
        .arg("validate")
        .arg(&sc)
        .env("PROJ_DATA", system)
        .env_remove("PROJ_LIB")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() {
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("PROJ_DATA=/usr/share/proj") && stderr.contains("unset it"),
            "{stderr}"
        );
    }
}

#[test]
fn solve_refuses_a_bad_output_crs_before_solving() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for args in [
        vec!["--crs", "EPSG:999999"],
        vec!["--crs", "GCJ-02"],
        vec!["--crs", "Beijing 1954"],
        // Both would be written as sites.proj-aea.geojson.
        vec![
            "--crs",
            ALBERS,
            "--crs",
            "+proj=aea +lat_1=20 +lat_2=50 +lon_0=110 +datum=WGS84",
        ],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_dcsite"))
            .args(["solve", "models/small/baseline.toml", "--out"])
            .arg(&out)
            .args(&args)
            .current_dir(root())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("--crs"), "{stderr}");
        assert!(!out.exists(), "nothing is written");
    }
}
