//! Tidy test: the dependency invariants of ARCHITECTURE.md, read from the
//! source (every path the code names, `use` lines and qualified paths alike).
//! A new dependency direction fails here until ARCHITECTURE.md and this table
//! agree on it.

use crate::common;

use std::path::{Path, PathBuf};

/// (external crate or path, the top-level modules of src/ allowed to name it).
const ALLOWED: &[(&str, &[&str])] = &[
    ("polars", &["data", "export", "compare", "report", "study"]),
    ("good_lp", &["milp", "solve"]),
    ("highs", &["solve"]),
    ("geojson", &["export", "compare", "report", "spatial"]),
    ("proj", &["spatial"]),
    ("clap", &["cli", "main.rs"]),
    ("anyhow", &["cli", "main.rs"]),
    ("indicatif", &["cli"]),
    // File I/O: loading tables, writing output folders, reading them for the report.
    (
        "std::fs",
        &["data", "export", "report", "cli", "compare", "study"],
    ),
];

/// Modules of the crate each module may name (`crate::<module>`).
const INTERNAL: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("spatial", &["domain"]),
    ("data", &["domain", "spatial"]),
    ("milp", &["domain", "spatial"]),
    // A plan describes itself: it knows the domain, never the model or the solver.
    ("plan", &["domain"]),
    ("solve", &["domain", "milp", "plan", "spatial"]),
    // What reads a plan (files, comparisons, the report) sees plan and domain only.
    ("export", &["domain", "plan", "spatial", "data"]),
    ("compare", &["domain", "plan", "export", "spatial"]),
    ("report", &["domain", "data", "export", "spatial"]),
    // Studies of many solves (a sweep among them): they load, build and solve.
    (
        "study",
        &[
            "domain", "data", "milp", "plan", "solve", "compare", "export",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a line: comments and the contents of string literals removed.
fn code_of(line: &str) -> String {
    let code = line.split("//").next().unwrap_or("");
    let mut out = String::new();
    let mut in_str = false;
    let mut prev = ' ';
    for c in code.chars() {
        if c == '"' && prev != '\\' {
            in_str = !in_str;
            out.push('"');
        } else if !in_str {
            out.push(c);
        }
        prev = c;
    }
    out
}

/// Whether `line` names `name` as a path root (`name::`, `use name;`, `::name::`).
fn names(line: &str, name: &str) -> bool {
    let code = code_of(line);
    let mut rest = code.as_str();
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().last();
        let after = &rest[i + name.len()..];
        let starts = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
            || rest[..i].ends_with("::") && !rest[..i].ends_with("crate::");
        let root = !rest[..i].ends_with("crate::") && !rest[..i].ends_with("self::");
        if starts
            && root
            && (after.starts_with("::") || after.starts_with(';') || after.starts_with(" as "))
        {
            return true;
        }
        rest = &rest[i + name.len()..];
    }
    false
}

/// The top-level module of a file of src/ (`study` for
/// study/sweep/collect/merge.rs), or `main.rs` for the binary's root.
fn module_of(rel: &Path) -> String {
    let first = rel.components().next().unwrap().as_os_str();
    let module = first.to_string_lossy().trim_end_matches(".rs").to_string();
    if module == "main" {
        "main.rs".to_string()
    } else {
        module
    }
}

/// The top-level modules of src/: its folders and its .rs files but lib.rs.
fn top_level_modules() -> Vec<String> {
    let src = common::root().join("src");
    let mut out: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|x| x == "rs"))
        .map(|p| module_of(p.strip_prefix(&src).unwrap()))
        .filter(|m| m != "lib")
        .collect();
    out.sort();
    out
}

/// The tables above name only modules that exist, and every module of the
/// library has its row in INTERNAL: a module moved into another (as sweep
/// into study) leaves no stale row behind that would check nothing, and a
/// new module is checked from its first line.
#[test]
fn the_tables_name_the_modules_src_has() {
    let modules = top_level_modules();
    let mut bad = Vec::new();
    let named = ALLOWED.iter().flat_map(|(_, m)| m.iter());
    let named = named.chain(INTERNAL.iter().flat_map(|(m, o)| o.iter().chain([m])));
    for m in named {
        if !modules.iter().any(|x| x == m) {
            bad.push(format!("the tables name {m}, which src/ does not have"));
        }
    }
    for m in &modules {
        // The binary's modules name the library as `dcsite::`, not `crate::`.
        if !["cli", "main.rs"].contains(&m.as_str()) && !INTERNAL.iter().any(|(x, _)| x == m) {
            bad.push(format!("src/{m} has no row in INTERNAL"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn modules_name_only_the_crates_and_modules_architecture_md_allows() {
    let src = common::root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut bad = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let module = module_of(rel);
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            for (name, allowed) in ALLOWED {
                if names(line, name) && !allowed.contains(&module.as_str()) {
                    bad.push(format!(
                        "{}:{}: {module} names {name}",
                        rel.display(),
                        n + 1
                    ));
                }
            }
            if let Some((_, allowed)) = INTERNAL.iter().find(|(m, _)| *m == module) {
                for (other, _) in INTERNAL {
                    if *other != module
                        && code_of(line).contains(&format!("crate::{other}"))
                        && !allowed.contains(other)
                    {
                        bad.push(format!(
                            "{}:{}: {module} names crate::{other}",
                            rel.display(),
                            n + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "dependency directions broken:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_checker_sees_what_it_should() {
    assert!(names("use polars::prelude::*;", "polars"));
    assert!(names("    let x = ::highs::Model::default();", "highs"));
    assert!(names("use std::fs;", "std::fs"));
    assert!(!names("use crate::spatial::proj_like;", "proj"));
    assert!(!names("let polarsx = 1; // polars::x", "polars"));
    assert!(!names(
        r#"format!("sites.{}.geojson; give one")"#,
        "geojson"
    ));
    // A file deep in a module's folders is checked as that module.
    assert_eq!(
        module_of(Path::new("study/sweep/collect/merge.rs")),
        "study"
    );
    assert_eq!(module_of(Path::new("main.rs")), "main.rs");
}

/// Every `.rs` file under `src/<dir>`, with its code lines (comments and
/// string contents removed) and their numbers.
fn code_lines(dir: &str) -> Vec<(String, usize, String)> {
    let root = common::root();
    let mut files = Vec::new();
    rust_files(&root.join("src").join(dir), &mut files);
    let mut out = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            out.push((rel.clone(), n + 1, code_of(line)));
        }
    }
    out
}

/// Whether `code` holds `word` as a whole word.
fn has_word(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(i, _)| {
        let before = code[..i].chars().last();
        let after = code[i + word.len()..].chars().next();
        before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
            && after.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

#[test]
fn unsafe_code_and_ffi_live_only_in_the_highs_adapter() {
    let adapter = "src/solve/adapter/";
    let bad: Vec<String> = code_lines("")
        .into_iter()
        .filter(|(f, _, code)| {
            !f.starts_with(adapter)
                && (has_word(code, "unsafe")
                    || has_word(code, "highs_sys")
                    || (names(code, "highs") && !code.contains("solvers::highs")))
        })
        .map(|(f, n, _)| format!("{f}:{n}"))
        .collect();
    assert!(
        bad.is_empty(),
        "unsafe code or HiGHS's own crates outside {adapter}:\n{}",
        bad.join("\n")
    );
}

/// The one file that runs another program: GDAL's `ogr2ogr` and `ogrinfo`
/// write plan.gpkg (ARCHITECTURE.md, Invariants).
const RUNS_PROGRAMS: &str = "src/export/gpkg.rs";

#[test]
fn only_export_gpkg_runs_other_programs() {
    let bad: Vec<String> = code_lines("")
        .into_iter()
        .filter(|(f, _, code)| {
            f != RUNS_PROGRAMS
                && (code.contains("process::Command")
                    || code.contains("Command::new(")
                    || code.contains("process::{"))
        })
        .map(|(f, n, _)| format!("{f}:{n}"))
        .collect();
    assert!(
        bad.is_empty(),
        "a program run outside {RUNS_PROGRAMS}:\n{}",
        bad.join("\n")
    );
    let own = code_lines("export")
        .into_iter()
        .filter(|(f, _, code)| f == RUNS_PROGRAMS && code.contains("Command::new("))
        .count();
    assert!(
        own > 0,
        "the checker no longer sees {RUNS_PROGRAMS} run GDAL"
    );
}

/// The floors of the solve wing, bottom up, and the rooms of the wing each
/// may not name: strategies depend on the base, never the reverse, and
/// nothing below the explanations imports them.
const SOLVE_FLOORS: &[(&str, &[&str])] = &[
    (
        "solve/adapter",
        &[
            "solve::base",
            "solve::strategy",
            "solve::explain",
            "crate::",
        ],
    ),
    (
        "solve/base",
        &["solve::strategy", "solve::explain", "super::super"],
    ),
    ("solve/strategy", &["solve::explain", "super::super"]),
];

#[test]
fn the_solve_wing_has_its_floors_and_arrows_only_run_down() {
    let mut bad = Vec::new();
    for (dir, forbidden) in SOLVE_FLOORS {
        for (f, n, code) in code_lines(dir) {
            for name in *forbidden {
                if code.contains(name) {
                    bad.push(format!("{f}:{n}: names {name}"));
                }
            }
        }
    }
    // Nothing outside the solve wing reaches into its floors but through
    // the entry points at its top (`solve::solve`, re-exports of solve/mod.rs).
    assert!(
        bad.is_empty(),
        "arrows running up the solve wing:\n{}",
        bad.join("\n")
    );
}

#[test]
fn architecture_md_is_a_short_map_whose_every_path_exists() {
    let root = common::root();
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let lines = text.lines().count();
    assert!(
        lines <= 150,
        "ARCHITECTURE.md has {lines} lines (at most 150)"
    );
    let roots = [
        "src/",
        "tests/",
        "examples/",
        "data/",
        "models/",
        "docs/",
        "scripts/",
        "bench/",
        ".ci/",
    ];
    let mut missing = Vec::new();
    let mut named = 0;
    for (i, part) in text.split('`').enumerate() {
        // Odd parts are inside backticks.
        if i % 2 == 0 || !roots.iter().any(|r| part.starts_with(r)) {
            continue;
        }
        let path = part.split([' ', ':', '(']).next().unwrap();
        let path = path.trim_end_matches(['*', ',', '.']);
        named += 1;
        if !root.join(path).exists() {
            missing.push(path.to_string());
        }
    }
    assert!(named >= 20, "ARCHITECTURE.md names only {named} paths");
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
}
