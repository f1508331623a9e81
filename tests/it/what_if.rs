//! Scenario what-ifs (issue 9): `[sites.<id>] status`, `[[subsidies]]` and
//! `[set]`. Each changes the solved plan exactly as the same edit of a copy of
//! the CSV tables does; each bad key is refused (exit 2) naming the file and
//! the key; `extends` inherits them.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dcsite"));
    c.current_dir(root()).env("NO_COLOR", "1");
    c
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Splits one CSV line into fields (quotes respected, kept as written).
fn fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                out.last_mut().unwrap().push(ch);
            }
            ',' if !quoted => out.push(String::new()),
            _ => out.last_mut().unwrap().push(ch),
        }
    }
    out
}

/// Sets the cell (row whose first field is `id`, `column`) of a CSV file.
fn edit_cell(path: &Path, id: &str, column: &str, value: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let col = fields(&lines[0])
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("no column {column} in {}", path.display()));
    let row = lines
        .iter()
        .position(|l| fields(l)[0] == id)
        .unwrap_or_else(|| panic!("no row {id} in {}", path.display()));
    let mut f = fields(&lines[row]);
    f[col] = value.to_string();
    lines[row] = f.join(",");
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// Solves a scenario into `dir/out`; returns (sites.geojson, flows.geojson, objective).
fn solve(scenario: &Path) -> (String, String, f64) {
    let out = scenario.parent().unwrap().join("out");
    let o = bin()
        .args(["solve", scenario.to_str().unwrap(), "--out"])
        .arg(&out)
        .args(["--quiet", "--force"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "solve failed:\n{}", stderr(&o));
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&read("summary.json")).unwrap();
    (
        read("sites.geojson"),
        read("flows.geojson"),
        summary["objective_cny"].as_f64().unwrap(),
    )
}

/// A scratch copy of the default data with a what-if scenario extending the
/// baseline; returns the folder and the what-if's path.
fn what_if(body: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, base) = scratch_copy();
    let sc = base.with_file_name("whatif.toml");
    std::fs::write(
        &sc,
        format!("extends = \"baseline.toml\"\nname = \"baseline\"\n{body}"),
    )
    .unwrap();
    (dir, sc)
}

/// Solves the what-if and an independent edit of the CSV copy (`edit` on the
/// data folder), asserts both plans are the same and differ from the baseline.
fn same_as_csv_edit(body: &str, edit: impl Fn(&Path)) {
    let (_a, sc) = what_if(body);
    let (_b, base) = scratch_copy();
    edit(
        &base
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("data/small"),
    );
    let (_c, plain) = scratch_copy();
    let w = solve(&sc);
    let e = solve(&base);
    let b = solve(&plain);
    assert_eq!(
        w.2, e.2,
        "objective: what-if {} against CSV edit {}",
        w.2, e.2
    );
    assert!(
        w.0 == e.0,
        "sites.geojson differs between what-if and CSV edit"
    );
    assert!(
        w.1 == e.1,
        "flows.geojson differs between what-if and CSV edit"
    );
    assert_ne!(w.2, b.2, "the what-if did not change the objective");
}

#[test]
fn excluding_a_site_is_the_csv_edit() {
    // gonghe is built in the baseline plan.
    same_as_csv_edit("[sites.gonghe]\nstatus = \"excluded\"\n", |data| {
        edit_cell(&data.join("sites.csv"), "gonghe", "status", "excluded")
    });
}

#[test]
fn requiring_a_site_is_the_csv_edit() {
    // huailai is not built in the baseline plan (building it beside the
    // plan's sites costs 80 M CNY more, far beyond the gap).
    same_as_csv_edit("[sites.huailai]\nstatus = \"required\"\n", |data| {
        edit_cell(&data.join("sites.csv"), "huailai", "status", "required")
    });
}

#[test]
fn setting_a_price_outside_its_range_is_the_csv_edit_and_warns() {
    // 0.25 is below ningxia's low (0.30): the what-if widens the range, the
    // CSV edit has to widen it by hand.
    let body = "[set]\n\"electricity_prices.ningxia.price_cny_per_kwh\" = 0.25\n";
    same_as_csv_edit(body, |data| {
        let f = data.join("electricity_prices.csv");
        edit_cell(&f, "ningxia", "price_cny_per_kwh", "0.25");
        edit_cell(&f, "ningxia", "low", "0.25");
    });
    let (_d, sc) = what_if(body);
    let o = bin().arg("validate").arg(&sc).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("warning:")
            && err.contains("whatif.toml")
            && err.contains("electricity_prices.ningxia.price_cny_per_kwh")
            && err.contains("widened from 0.3 to 0.25"),
        "{err}"
    );
}

#[test]
fn adding_a_subsidy_is_the_csv_edit() {
    // ulanqab (inner_mongolia) is built in the baseline plan.
    let body = "[[subsidies]]\nprogramme_id = \"im_cards\"\nregion_id = \"inner_mongolia\"\n\
                kind = \"per_card_cny\"\nvalue = 20000\ncap_cny = 3000000000\napplies_to = \"all\"\n";
    same_as_csv_edit(body, |data| {
        let f = data.join("subsidies.csv");
        let mut s = std::fs::read_to_string(&f).unwrap();
        if !s.ends_with('\n') {
            s.push('\n');
        }
        s.push_str("none,im_cards,inner_mongolia,,per_card_cny,20000,3000000000,all,test\n");
        std::fs::write(&f, s).unwrap();
    });
}

/// Validates a what-if; asserts exit 2 and that stderr names the file and every part.
fn refused(body: &str, parts: &[&str]) {
    let (_d, sc) = what_if(body);
    let o = bin().arg("validate").arg(&sc).output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "expected exit 2, stderr:\n{err}");
    assert!(err.contains("whatif.toml"), "file not named:\n{err}");
    for p in parts {
        assert!(err.contains(p), "{p:?} not in:\n{err}");
    }
}

#[test]
fn bad_set_keys_exit_2_naming_file_and_key() {
    let key = "\"electricity_prices.atlantis.price_cny_per_kwh\"";
    refused(
        &format!("[set]\n{key} = 0.40\n"),
        &[
            "row 4",
            key,
            "unknown row \"atlantis\" in electricity_prices.csv",
        ],
    );
    refused(
        "[set]\n\"prices.ningxia.price_cny_per_kwh\" = 0.40\n",
        &["\"prices.ningxia.price_cny_per_kwh\"", "unknown table"],
    );
    refused(
        "[set]\n\"electricity_prices.ningxia.cost\" = 0.40\n",
        &[
            "\"electricity_prices.ningxia.cost\"",
            "unknown column \"cost\"",
        ],
    );
    refused(
        "[set]\n\"electricity_prices.ningxia\" = 0.40\n",
        &[
            "\"electricity_prices.ningxia\"",
            "<table>.<row id>.<column>",
        ],
    );
    // Types and ranges as for a cell of the file.
    refused(
        "[set]\n\"sites.zhongwei.max_it_mw\" = \"lots\"\n",
        &["\"sites.zhongwei.max_it_mw\"", "a number", "\"lots\""],
    );
    refused(
        "[set]\n\"sites.zhongwei.max_it_mw\" = -3\n",
        &["\"sites.zhongwei.max_it_mw\"", "from 0 to", "-3"],
    );
    refused(
        "[set]\n\"accelerators.h200.server_kw\" = 0\n",
        &["\"accelerators.h200.server_kw\"", "server_kw"],
    );
    // References: a site moved to an unknown region.
    refused(
        "[set]\n\"sites.zhongwei.region_id\" = \"mars\"\n",
        &["\"sites.zhongwei.region_id\"", "unknown \"mars\""],
    );
    // The id column is not a cell to set.
    refused(
        "[set]\n\"sites.zhongwei.site_id\" = \"z2\"\n",
        &["\"sites.zhongwei.site_id\"", "unknown column"],
    );
}

#[test]
fn bad_site_and_subsidy_keys_exit_2_naming_file_and_key() {
    refused(
        "[sites.zhongwei]\nstatus = \"gone\"\n",
        &["[sites.zhongwei] status", "\"gone\""],
    );
    refused(
        "[sites.atlantis]\nstatus = \"excluded\"\n",
        &[
            "[sites.atlantis] status",
            "unknown row \"atlantis\" in sites.csv",
        ],
    );
    refused(
        "[sites.zhongwei]\nstatsu = \"excluded\"\n",
        &["sites.zhongwei.statsu", "did you mean status"],
    );
    refused(
        "[[subsidies]]\nprogramme_id = \"x\"\nregion_id = \"mars\"\nkind = \"per_card_cny\"\n\
         value = 1000\napplies_to = \"all\"\n",
        &["row 3", "[[subsidies]] #1", "unknown \"mars\""],
    );
    refused(
        "[[subsidies]]\nprogramme_id = \"x\"\nregoin_id = \"central\"\n",
        &["[[subsidies]] #1.\"regoin_id\"", "did you mean region_id"],
    );
    refused(
        "[[subsidies]]\nprogramme_id = \"x\"\nregion_id = \"central\"\nkind = \"capex_share\"\n\
         value = 1.5\napplies_to = \"all\"\n",
        &["[[subsidies]] #1", "value", "1.5"],
    );
    refused(
        "[[subsidies]]\nprogramme_id = \"x\"\nregion_id = \"central\"\nkind = \"per_card_cny\"\n\
         value = \"much\"\napplies_to = \"all\"\n",
        &["[[subsidies]] #1.value", "a number"],
    );
    // Missing required columns are named.
    refused(
        "[[subsidies]]\nprogramme_id = \"x\"\nregion_id = \"central\"\n",
        &["[[subsidies]] #1.kind", "an empty cell"],
    );
    // Two programmes with one id in the scenario's set.
    refused(
        "[[subsidies]]\nprogramme_id = \"x\"\nregion_id = \"central\"\nkind = \"per_card_cny\"\n\
         value = 1000\napplies_to = \"all\"\n\
         [[subsidies]]\nprogramme_id = \"x\"\nregion_id = \"cy\"\nkind = \"per_card_cny\"\n\
         value = 1000\napplies_to = \"all\"\n",
        &["[[subsidies]] #2", "again"],
    );
}

#[test]
fn extends_inherits_what_ifs_child_wins_and_subsidies_are_replaced() {
    let (_d, sc) = what_if(
        "[set]\n\"electricity_prices.ningxia.price_cny_per_kwh\" = 0.25\n\
         \"electricity_prices.gansu.price_cny_per_kwh\" = 0.35\n\
         [sites.zhongwei]\nstatus = \"excluded\"\n[sites.horinger]\nstatus = \"required\"\n\
         [[subsidies]]\nprogramme_id = \"parent\"\nregion_id = \"central\"\n\
         kind = \"per_card_cny\"\nvalue = 1000\napplies_to = \"all\"\n",
    );
    let child = sc.with_file_name("child.toml");
    std::fs::write(
        &child,
        "extends = \"whatif.toml\"\n[set]\n\"electricity_prices.ningxia.price_cny_per_kwh\" = 0.38\n\
         [sites.zhongwei]\nstatus = \"candidate\"\n\
         [[subsidies]]\nprogramme_id = \"child\"\nregion_id = \"cy\"\n\
         kind = \"per_card_cny\"\nvalue = 2000\napplies_to = \"all\"\n",
    )
    .unwrap();
    let (_, inst, _) = dcsite::data::load(&child).unwrap();
    let price = |p: &str| {
        inst.prices
            .iter()
            .find(|z| z.province == p)
            .unwrap()
            .price_cny_per_kwh
    };
    assert_eq!(price("ningxia"), 0.38, "the child's [set] wins");
    assert_eq!(
        price("gansu"),
        0.35,
        "the parent's other [set] is inherited"
    );
    let status = |s: &str| inst.sites.iter().find(|x| x.id == s).unwrap().status;
    assert_eq!(status("zhongwei"), dcsite::domain::SiteStatus::Candidate);
    assert_eq!(status("horinger"), dcsite::domain::SiteStatus::Required);
    let ids: Vec<&str> = inst
        .subsidies
        .iter()
        .map(|s| s.programme_id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["child"],
        "a child's [[subsidies]] replace its parent's"
    );
    // An error in the parent's what-if names the parent file.
    std::fs::write(
        &sc,
        "extends = \"baseline.toml\"\n[set]\n\"sites.atlantis.status\" = \"excluded\"\n",
    )
    .unwrap();
    let o = bin().arg("validate").arg(&child).output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("whatif.toml: row 3") && err.contains("\"sites.atlantis.status\""),
        "{err}"
    );
}
