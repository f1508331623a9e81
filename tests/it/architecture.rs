//! Tidy test: the dependency invariants of ARCHITECTURE.md, read from the
//! source (every path the code names, `use` lines and qualified paths alike).
//! A new dependency direction fails here until ARCHITECTURE.md and this table
//! agree on it.

use crate::common;

use std::path::{Path, PathBuf};

/// (external crate or path, the top-level modules of src/ allowed to name it).
const ALLOWED: &[(&str, &[&str])] = &[
    ("polars", &["data", "export", "compare", "report", "sweep"]),
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
        &["data", "export", "report", "cli", "compare", "sweep"],
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
    // Studies of many solves: they load, build and solve.
    (
        "study",
        &[
            "domain", "data", "milp", "plan", "solve", "compare", "export",
        ],
    ),
    (
        "sweep",
        &["domain", "data", "milp", "plan", "solve", "export"],
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

#[test]
fn modules_name_only_the_crates_and_modules_architecture_md_allows() {
    let src = common::root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut bad = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let module = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .to_string();
        let module = module.trim_end_matches(".rs").to_string();
        let module = if module == "main" {
            "main.rs".to_string()
        } else {
            module
        };
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
}
