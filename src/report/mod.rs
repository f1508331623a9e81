//! `dcsite report`: one self-contained HTML file from an output folder.
//!
//! From the folder `dcsite solve` writes (sites, flows and reach GeoJSON,
//! summary.json, regions.csv) it draws a map of China as inline SVG (Albers
//! equal-area conic computed here; the outline is embedded in the binary),
//! the headline figures and the tables by region and by tier. From a
//! comparison folder (`comparison.csv`, optionally `diff.geojson`) it draws
//! the per-region gains and losses as a bar chart, a map of the change per
//! site and the comparison tables. Columns are found by name (`cards_<id>`
//! for any accelerator), so new accelerators or scenarios need no change.
//!
//! The page loads nothing: no script, no style sheet, no font, no image
//! from anywhere; every text is escaped. It is written atomically
//! (temporary file in the same folder, then renamed).

pub mod chart;
mod error;
pub mod folder;
pub mod hedge;
pub mod html;
pub mod input;
pub mod map;
pub mod offer;
pub mod sweep;
pub mod timeline;
pub mod why;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use html::{area_columns, esc, headline, page, rows, sum_row, table, Row};
use input::{read_geojson, read_summary, Expect, Feature, TextTable};

pub use error::ReportError;
pub use folder::Inputs;

/// Name of the file written into the folder when no output is given.
pub const DEFAULT_NAME: &str = "report.html";

/// The files whose modification time dates a folder's run, the first
/// present wins: a solve's summary.json, a comparison's comparison.csv, a
/// sweep's sweep.json, an offer's offer.json (none of them records the date
/// in its content).
const DATED_BY: [&str; 4] = ["summary.json", "comparison.csv", "sweep.json", "offer.json"];

/// When the run that wrote `dir` happened: the modification time of the
/// first of [`DATED_BY`] in it (`SOURCE_DATE_EPOCH` where set); `None` when
/// it has none.
pub fn run_date(dir: &Path) -> Option<html::RunDate> {
    // Reproducible output (the convention of reproducible builds, as
    // plan.gpkg honours it): the same files give the same page.
    if let Some(secs) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        return Some(html::RunDate::at(t, "SOURCE_DATE_EPOCH"));
    }
    DATED_BY.iter().find_map(|name| {
        let t = std::fs::metadata(dir.join(name)).ok()?.modified().ok()?;
        Some(html::RunDate::at(t, &format!("when {name} was written")))
    })
}

/// implied.csv's columns of words.
const IMPLIED_TEXT: [&str; 3] = ["binding", "premium_checked", "source"];

fn missing(file: &Path, why: &str) -> ReportError {
    ReportError::Input {
        file: file.to_path_buf(),
        message: format!("no such file ({why})"),
    }
}

/// Reads the files of `dir`. A solve folder (no comparison.csv) needs all of
/// summary.json, sites.geojson, flows.geojson, reach.geojson and regions.csv;
/// in a comparison folder comparison.csv is needed and every other file is
/// drawn when present.
pub fn load(dir: &Path) -> Result<Inputs, ReportError> {
    if !dir.is_dir() {
        return Err(ReportError::Input {
            file: dir.to_path_buf(),
            message: if dir.exists() {
                "expected an output folder, found a file".into()
            } else {
                "no such folder".into()
            },
        });
    }
    let comparison_file = dir.join("comparison.csv");
    let is_comparison = comparison_file.is_file();
    let why =
        "expected in the output folder of `dcsite solve`; a comparison folder has comparison.csv";
    let want = |name: &str| -> Result<Option<PathBuf>, ReportError> {
        let p = dir.join(name);
        if p.exists() {
            Ok(Some(p))
        } else if is_comparison {
            Ok(None)
        } else {
            Err(missing(&p, why))
        }
    };
    let mut inputs = Inputs {
        dir: dir.to_path_buf(),
        run: run_date(dir),
        ..Inputs::default()
    };
    if !is_comparison
        && !dir.join("summary.json").exists()
        && dir.join(crate::export::writer::PARTS_DIR).is_dir()
    {
        return Err(missing(
            &dir.join("sweep.json"),
            "the folder holds a sweep's shards: `dcsite sweep collect` merges them and writes \
             the report",
        ));
    }
    // summary.json first: a folder with neither it nor comparison.csv is
    // reported by the one file that tells what the folder should be.
    if let Some(p) = want("summary.json")? {
        inputs.summary = Some(read_summary(&p)?);
    }
    if let Some(p) = want("sites.geojson")? {
        inputs.sites = Some(read_geojson(&p, Expect::Points)?);
    }
    let hedge_file = dir.join("hedge.json");
    if hedge_file.is_file() {
        inputs.hedge = Some(hedge::read(&hedge_file)?);
    }
    if let Some(p) = want("flows.geojson")? {
        inputs.flows = Some(read_geojson(&p, Expect::Lines)?);
    }
    if let Some(p) = want("reach.geojson")? {
        inputs.reach = Some(read_geojson(&p, Expect::Polygons)?);
    }
    let cities = dir.join("cities.geojson");
    if !is_comparison && cities.is_file() {
        inputs.cities = Some(read_geojson(&cities, Expect::Points)?);
    }
    if let Some(p) = want("regions.csv")? {
        let required = ["level", "id", "cards_total"];
        let t = TextTable::read(&p, &required)?;
        t.check_rows(&required, &["region", "tier", "cluster", "total"])?;
        let r = rows(&t)?;
        inputs.regions = Some((t, r));
    }
    let schedule = dir.join("schedule.csv");
    if !is_comparison && schedule.is_file() {
        inputs.schedule = Some(TextTable::read(&schedule, &timeline::REQUIRED)?);
    }
    let implied = dir.join("implied.csv");
    if !is_comparison && implied.is_file() {
        inputs.implied = Some(read_implied(&implied)?);
    }
    if is_comparison {
        inputs.comparison = Some(read_comparison(&comparison_file)?);
        let diff = dir.join("diff.geojson");
        if diff.exists() {
            inputs.diff = Some(read_geojson(&diff, Expect::Points)?);
        }
    }
    Ok(inputs)
}

/// comparison.csv: its rows checked, `robust_change` (`compare
/// --near-optimal`) read apart as words, every other column as a number.
fn read_comparison(file: &Path) -> Result<(TextTable, Vec<Row>), ReportError> {
    let t = TextTable::read(file, &chart::REQUIRED)?;
    t.check_rows(&chart::REQUIRED, &["region", "tier", "cluster", "total"])?;
    t.check_words(chart::ROBUST, &chart::ROBUST_WORDS)?;
    let r = rows(&t.without(&[chart::ROBUST]))?;
    Ok((t, r))
}

/// implied.csv (`dcsite implied --out`): its rows checked, its numbers.
fn read_implied(file: &Path) -> Result<Vec<Row>, ReportError> {
    let required = ["level", "id", "free_cards", "plan_cards"];
    let t = TextTable::read(file, &required)?;
    t.check_rows(&required, &["region", "tier", "cluster", "total"])?;
    rows(&t.without(&IMPLIED_TEXT))
}

/// The HTML page for what [`load`] read.
pub fn render(inputs: &Inputs) -> Result<String, ReportError> {
    let comparison_scenarios = inputs
        .comparison
        .as_ref()
        .map(|(_, r)| chart::scenarios(r))
        .unwrap_or_default();
    let title = page_title(inputs, &comparison_scenarios);
    let mut body = String::new();
    push_header(&mut body, inputs, &title);
    // A two-stage plan: what is decided now comes first; the headline, map
    // and tables below are of the most probable outcome.
    if let Some(h) = &inputs.hedge {
        body.push_str(&hedge::section(h));
    }
    if let Some(s) = &inputs.summary {
        body.push_str("<section id=\"headline\">\n<h2>Headline</h2>\n");
        body.push_str(&headline(s));
        body.push_str("</section>\n");
    }
    if let Some(sites) = &inputs.sites {
        push_map(&mut body, inputs, sites);
    }
    body.push_str(&why::sections(inputs));
    if let Some(t) = &inputs.schedule {
        body.push_str("<section id=\"timeline\">\n<h2>Timeline</h2>\n");
        body.push_str(&timeline::section(
            t,
            &timeline_names(inputs),
            schedule_start_year(inputs),
        )?);
        body.push_str("</section>\n");
    }
    if let Some(r) = &inputs.implied {
        push_implied(&mut body, r);
    }
    if let Some((t, r)) = &inputs.regions {
        push_area_tables(&mut body, inputs, t, r);
    }
    if let Some((t, r)) = &inputs.comparison {
        body.push_str("<section id=\"comparison\">\n<h2>Comparison</h2>\n");
        body.push_str(&chart::section(t, r));
        body.push_str("</section>\n");
    }
    if let Some(diff) = &inputs.diff {
        push_diff(&mut body, diff, &comparison_scenarios);
    }
    body.push_str(
        "<footer>\n<p>Map: schematic outline, not an official map. Outline from Natural Earth (public domain) via the npm package world-atlas 2.0.2, simplified; Albers equal-area conic projection (standard parallels 25° N and 47° N, central meridian 105° E). Many input figures are estimates: see data/SOURCES.md before quoting a result.</p>\n<p>Written by <code>dcsite report</code> from the files of the output folder; this page loads nothing from the network.</p>\n</footer>\n",
    );
    Ok(page(&title, &body))
}

/// Names of the timeline's groups: regions.csv's clusters and regions.
fn timeline_names(inputs: &Inputs) -> std::collections::HashMap<String, String> {
    inputs
        .regions
        .as_ref()
        .map(|(_, rows)| {
            rows.iter()
                .filter(|r| r.level == "cluster" || r.level == "region")
                .map(|r| (r.id.clone(), r.name_en.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The calendar year of month 0 (summary.json's `schedule.start_year`).
fn schedule_start_year(inputs: &Inputs) -> Option<u32> {
    inputs
        .summary
        .as_ref()?
        .get("schedule")?
        .get("start_year")?
        .as_u64()
        .and_then(|y| u32::try_from(y).ok())
}

/// The page's title: the scenario of a solve folder, the scenarios of a
/// comparison.
fn page_title(inputs: &Inputs, comparison_scenarios: &[String]) -> String {
    let scenario = inputs
        .summary
        .as_ref()
        .and_then(|s| s.get("scenario"))
        .and_then(Value::as_str)
        .map(str::to_string);
    match (&scenario, inputs.comparison.is_some()) {
        (Some(s), false) => format!("dcsite report: {s}"),
        (_, true) => format!("dcsite comparison: {}", comparison_scenarios.join(" vs ")),
        (None, false) => "dcsite report".to_string(),
    }
}

/// The page's header: its title, the output folder and the title block
/// (scenario, date of the run, version, sources, map note).
fn push_header(body: &mut String, inputs: &Inputs, title: &str) {
    let _ = writeln!(body, "<header>\n<h1>{}</h1>", esc(title));
    let text = |k: &str| {
        inputs
            .summary
            .as_ref()
            .and_then(|s| s.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let scenario = text("scenario").or_else(|| {
        inputs
            .comparison
            .as_ref()
            .map(|(_, r)| chart::scenarios(r).join(" vs "))
    });
    let block = html::title_block(&html::TitleBlock {
        scenario,
        scenario_file: text("scenario_file"),
        run: inputs.run.clone(),
    });
    let folder = inputs
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| inputs.dir.display().to_string());
    let _ = writeln!(
        body,
        "<p class=\"meta\">output folder <code>{}</code></p>\n{block}</header>",
        esc(&folder)
    );
}

/// The title block of a sweep's or an offer's page (their modules write
/// their own header): put at the end of the page's first `<header>`.
fn with_title_block(page: String, dir: &Path, scenario: Option<String>) -> String {
    let block = html::title_block(&html::TitleBlock {
        scenario,
        scenario_file: None,
        run: run_date(dir),
    });
    match page.find("</header>") {
        Some(at) => format!("{}{block}{}", &page[..at], &page[at..]),
        None => page,
    }
}

/// A text field of a JSON file in `dir` (a sweep's or an offer's record).
fn json_text(dir: &Path, file: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(file)).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v.get(key)?.as_str().map(str::to_string)
}

/// The map section: the page's map controls, then the plan's map of
/// `sites` with its flows, reach and demand cities.
fn push_map(body: &mut String, inputs: &Inputs, sites: &[Feature]) {
    body.push_str("<section id=\"map\">\n<h2>Map</h2>\n");
    let shade = shading(inputs);
    body.push_str(&map::controls(Some(&shade)));
    body.push_str(&map::plan_map(
        sites,
        inputs.flows.as_deref().unwrap_or_default(),
        inputs.reach.as_deref().unwrap_or_default(),
        inputs.cities.as_deref().unwrap_or_default(),
        Some(&shade),
    ));
    body.push_str(
        "<p class=\"note\">Hover a circle or line for its figures. Lines join each demand city to the site that serves it; dashed rings bound the area within the RTT budget of each built site. Province boundaries and the outline are schematic, not a surveyed map.</p>\n",
    );
    body.push_str("</section>\n");
}

/// What the plan's provinces can be shaded by: summary.json's planning
/// clusters (each region in the first cluster that lists it) and the
/// cards of each region in regions.csv.
fn shading(inputs: &Inputs) -> map::Shading {
    let mut sh = map::Shading::default();
    let clusters = inputs
        .summary
        .as_ref()
        .and_then(|s| s.get("clusters"))
        .and_then(Value::as_array);
    for c in clusters.into_iter().flatten() {
        let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let i = sh.clusters.len();
        sh.clusters
            .push((text("id"), text("name_en"), text("name_zh")));
        for r in c
            .get("regions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(r) = r.as_str() {
                sh.cluster_of.entry(r.to_string()).or_insert(i);
            }
        }
    }
    if let Some((_, rows)) = &inputs.regions {
        for r in rows.iter().filter(|r| r.level == "region") {
            sh.cards
                .insert(r.id.clone(), r.num("cards_total").unwrap_or(0.0));
        }
    }
    sh
}

/// The sections of regions.csv: by region (then the near-optimal ranges),
/// by tier and by planning cluster, each when it has rows.
fn push_area_tables(body: &mut String, inputs: &Inputs, t: &TextTable, r: &[Row]) {
    let regions: Vec<&Row> = r.iter().filter(|r| r.level == "region").collect();
    let tiers: Vec<&Row> = r.iter().filter(|r| r.level == "tier").collect();
    if !regions.is_empty() {
        body.push_str("<section id=\"regions\">\n<h2>By region</h2>\n<div class=\"scroll\">\n");
        let total = sum_row(&regions, "total", "");
        body.push_str(&table(
            "region-table",
            &area_columns(t, true),
            &regions,
            Some(&total),
        ));
        body.push_str("</div>\n<p class=\"note\">Power quota counts facility power (IT × PUE); energy quota counts tce per year net of the region's green share.</p>\n</section>\n");
        push_near_optimal(body, inputs, &regions);
    }
    if !tiers.is_empty() {
        body.push_str("<section id=\"tiers\">\n<h2>By tier</h2>\n<div class=\"scroll\">\n");
        let total = sum_row(&tiers, "total", "");
        body.push_str(&table(
            "tier-table",
            &area_columns(t, false),
            &tiers,
            Some(&total),
        ));
        body.push_str("</div>\n</section>\n");
    }
    let clusters: Vec<&Row> = r.iter().filter(|r| r.level == "cluster").collect();
    if !clusters.is_empty() {
        body.push_str(
            "<section id=\"clusters\">\n<h2>By planning cluster</h2>\n<div class=\"scroll\">\n",
        );
        body.push_str(&table(
            "cluster-table",
            &area_columns(t, false),
            &clusters,
            None,
        ));
        body.push_str("</div>\n<p class=\"note\">A planning cluster groups quota regions (its kind in the tier column: core, regional or other); quotas stay with the regions. Regions no cluster lists are in no row.</p>\n</section>\n");
    }
}

/// The section of implied.csv (`dcsite implied --out`): what meeting the
/// forecast's ranges costs over the free optimum, and per range its cards
/// free and in the plan and the implied premium per card where it binds.
fn push_implied(body: &mut String, rows: &[Row]) {
    body.push_str("<section id=\"implied\">\n<h2>Implied premiums of the forecast's ranges</h2>\n");
    if let Some(total) = rows.iter().find(|r| r.level == "total") {
        let extra = total.num("extra_cost_cny").unwrap_or(0.0);
        let per = total
            .num("cny_per_card_moved")
            .map(|v| format!(", {} CNY per card moved", html::fmt_int(v)))
            .unwrap_or_default();
        let _ = writeln!(
            body,
            "<p>Meeting the ranges costs {} bn CNY more than the free optimum: {} cards placed elsewhere{per}.</p>",
            html::fmt_dec(extra / 1e9, 3),
            html::fmt_int(total.num("cards_moved").unwrap_or(0.0))
        );
    }
    let ranges: Vec<&Row> = rows.iter().filter(|r| r.level != "total").collect();
    let cols = [
        html::Col::text("id", html::Cell::Id),
        html::Col::text("name", html::Cell::Name),
        html::Col::num("fewest cards", "min_cards", 1.0, 0),
        html::Col::num("most cards", "max_cards", 1.0, 0),
        html::Col::num("cards, free optimum", "free_cards", 1.0, 0),
        html::Col::num("cards, plan", "plan_cards", 1.0, 0),
        html::Col::num("premium CNY per card", "premium_cny_per_card", 1.0, 0),
    ];
    body.push_str("<div class=\"scroll\">\n");
    body.push_str(&table("implied-table", &cols, &ranges, None));
    body.push_str("</div>\n<p class=\"note\">A premium is the shadow price of a range that binds: CNY of net present cost per card the range moves, what the place would have to offer per card for the forecast to be the optimum. Ranges without one do not bind.</p>\n</section>\n");
}

/// The near-optimal ranges of the regions (`solve --near-optimal`), when
/// regions.csv has them: a chart, under a note on the cost share of
/// summary.json's `near_optimal`.
fn push_near_optimal(body: &mut String, inputs: &Inputs, regions: &[&Row]) {
    let near = inputs
        .summary
        .as_ref()
        .and_then(|s| s.get("near_optimal"))
        .filter(|v| !v.is_null());
    let decided = |id: &str| {
        near.and_then(|n| n.get("regions"))
            .and_then(|r| r.get(id))
            .and_then(|r| r.get("decided_by_cost"))
            .and_then(Value::as_bool)
    };
    let Some(svg) = chart::range_chart(regions, &decided) else {
        return;
    };
    body.push_str("<section id=\"near-optimal\">\n<h2>Near-optimal ranges</h2>\n");
    if let Some(n) = near {
        let share = n.get("share").and_then(Value::as_f64).unwrap_or(0.0);
        let bound = n.get("cost_bound_cny").and_then(Value::as_f64);
        let _ = writeln!(
            body,
            "<p class=\"note\">Fewest and most cards each region holds in any plan whose net present cost is within {} % of the optimum{}. A wide bar is a tie: cost alone does not decide that region.</p>",
            html::fmt_dec(share * 100.0, 2),
            bound
                .map(|b| format!(" (≤ {} bn CNY)", html::fmt_dec(b / 1e9, 2)))
                .unwrap_or_default()
        );
    }
    body.push_str(&svg);
    body.push_str("</section>\n");
}

/// The section of diff.geojson: one change map per scenario against the
/// first. The scenarios are those of comparison.csv, else the `cards_<id>`
/// fields of the first site.
fn push_diff(body: &mut String, diff: &[Feature], comparison_scenarios: &[String]) {
    body.push_str("<section id=\"diff\">\n<h2>Change per site</h2>\n");
    let scen: Vec<String> = if comparison_scenarios.is_empty() {
        diff.first()
            .map(|f| {
                f.props
                    .keys()
                    .filter_map(|k| k.strip_prefix("cards_").map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        comparison_scenarios.to_vec()
    };
    let reference = scen.first().cloned().unwrap_or_default();
    let others = scen.get(1..).unwrap_or_default();
    if others.is_empty() {
        body.push_str(
            "<p class=\"note\">diff.geojson names one scenario only: no change to draw.</p>\n",
        );
    }
    let pairs: Vec<map::DiffPair> = others
        .iter()
        .map(|s| map::DiffPair {
            scenario: s.clone(),
            reference: reference.clone(),
            only_pair: others.len() == 1,
        })
        .collect();
    // One circle scale for every change map of the page.
    let max = map::diff_max(diff, &pairs);
    let mut controls = false;
    let mut unchanged = Vec::new();
    for (k, pair) in pairs.iter().enumerate() {
        if diff.iter().all(|f| pair.delta(f) == 0.0) {
            unchanged.push(pair.scenario.as_str());
            continue;
        }
        if !controls {
            body.push_str(&map::controls(None));
            controls = true;
        }
        let _ = writeln!(
            body,
            "<h3 class=\"pair\">{} against {}</h3>\n<p class=\"note\">From diff.geojson: <code>{}</code> per site (scenarios: {}).</p>",
            esc(&pair.scenario),
            esc(&reference),
            esc(&pair.source(diff)),
            esc(&scen.join(", "))
        );
        // `diff-map` for the second scenario, `diff-map-<n>` for the n-th.
        let id = if k == 0 {
            "diff-map".to_string()
        } else {
            format!("diff-map-{}", k + 2)
        };
        body.push_str(&map::diff_map(diff, &scen, pair, &id, max));
    }
    if !unchanged.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"note\" id=\"diff-unchanged\">No site changes its cards in {} against {}: no map drawn.</p>",
            esc(&unchanged.join(", ")),
            esc(&reference)
        );
    }
    body.push_str("</section>\n");
}

/// Writes `bytes` to `path` atomically, replacing it, through dcsite's one
/// writer (`export::write_file_atomic`: temporary file, synced, renamed; 0644).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    crate::export::write_file_atomic(path, bytes, true).map_err(|e| ReportError::Write {
        path: path.to_path_buf(),
        source: match e {
            crate::export::OutputError::Io { err, .. } => err,
            other => std::io::Error::other(other.to_string()),
        },
    })
}

/// The page of the output folder `dir`, whatever command wrote it: a
/// sweep's (sweep.json and robust.csv), else a plan's or a comparison's
/// ([`load`]). The page names the folder `shown` (a command's staged folder
/// is reported under the name it is committed to).
pub fn render_dir(dir: &Path, shown: &Path) -> Result<String, ReportError> {
    if sweep::is_sweep(dir) {
        // The sweep's base scenario, by its file name.
        let base = json_text(dir, "sweep.json", "base").map(|b| {
            Path::new(&b)
                .file_stem()
                .map_or(b.clone(), |s| s.to_string_lossy().into_owned())
        });
        return Ok(with_title_block(sweep::render(dir)?, dir, base));
    }
    if offer::is_offer(dir) {
        let scenario = json_text(dir, "offer.json", "scenario");
        return Ok(with_title_block(offer::render(dir)?, dir, scenario));
    }
    let mut inputs = load(dir)?;
    inputs.dir = shown.to_path_buf();
    render(&inputs)
}

/// Reads `dir`, renders the page and writes it to `output` (default
/// `<dir>/report.html`); returns the path written.
pub fn write_report(dir: &Path, output: Option<&Path>) -> Result<PathBuf, ReportError> {
    let html = render_dir(dir, dir)?;
    let out = output
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join(DEFAULT_NAME));
    write_atomic(&out, html.as_bytes())?;
    Ok(out)
}

/// Writes `<staged>/report.html`, the page of a command's staged output
/// folder, before the folder is committed to `dest` (so that the folder
/// appears at once with its report); a failure names the files as they will
/// be in `dest`.
pub fn write_staged(staged: &Path, dest: &Path) -> Result<PathBuf, ReportError> {
    let shown = |p: PathBuf| match p.strip_prefix(staged) {
        Ok(rel) => dest.join(rel),
        Err(_) => p,
    };
    let out = staged.join(DEFAULT_NAME);
    render_dir(staged, dest)
        .and_then(|html| write_atomic(&out, html.as_bytes()))
        .map_err(|e| match e {
            ReportError::Input { file, message } => ReportError::Input {
                file: shown(file),
                message,
            },
            ReportError::Write { path, source } => ReportError::Write {
                path: shown(path),
                source,
            },
        })?;
    Ok(out)
}
