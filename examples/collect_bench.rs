//! Prepares a large sharded sweep folder for timing `dcsite sweep collect`
//! (issue 12: 100,000 scenario rows × 11 regions).
//!
//! cargo build --release --all-targets
//! target/release/examples/collect_bench SCENARIOS DIR [SHARDS]
//! /usr/bin/time -v ./target/release/dcsite sweep collect DIR/run --regret-plans 0 --quiet
//!
//! Solving 100,000 baseline scenarios takes about 12 CPU hours, so 64
//! scenarios are solved for real (`dcsite sweep --shard 0/S`, S = SCENARIOS
//! / 64: 64 price draws of the baseline) and their rows are copied, with new
//! scenario ids, into the layout 64 real shards of the whole sweep would
//! leave: 64 manifests, each shard's ids (i % 64 == shard) committed in
//! batches of 64 (what a shard of more than 1,024 scenarios does), 3 part
//! files per batch. The figures time the merge (reading and checking the
//! manifests, hashing the inputs, concatenating and writing the tables,
//! robust.csv / robust.geojson), not the values in the rows. SHARDS (64 by
//! default) sets the layout: with 1, the one a single process leaves (its
//! ids in consecutive batches of 64).

use std::path::{Path, PathBuf};
use std::process::Command;

use polars::prelude::*;

const PER_SHARD: usize = 64;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert!(
        args.len() == 2 || args.len() == 3,
        "usage: collect_bench SCENARIOS DIR [SHARDS]"
    );
    let n: usize = args[0].parse().expect("SCENARIOS: a whole number");
    let dir = std::path::absolute(&args[1]).unwrap();
    let shards = n.div_ceil(PER_SHARD);
    let n = shards * PER_SHARD;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let sweep = dir.join("sweep.toml");
    std::fs::write(
        &sweep,
        format!(
            "base = \"{}\"\nsamples = {n}\nseed = 1\nsampling = \"lhs\"\n[vary]\n\
             \"electricity_prices.*.price_cny_per_kwh\" = {{ dist = \"uniform\", from_columns = [\"low\", \"high\"] }}\n",
            root.join("models/small/baseline.toml").display()
        ),
    )
    .unwrap();
    let out = dir.join("run");
    let t = std::time::Instant::now();
    let parts = out.join("parts");
    let tag = |i: usize, n: usize| format!("{i:04}of{n:04}");
    // Shard 0 is solved once; a rerun only redoes the copies.
    let solved_before = parts
        .join(format!("manifest-{}.json", tag(0, shards)))
        .exists();
    let status = Command::new(root.join("target/release/dcsite"))
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&out)
        .arg("--shard")
        .arg(format!("0/{shards}"))
        .arg("--quiet")
        .args((!solved_before).then_some("--force"))
        .status()
        .unwrap();
    assert!(status.success(), "the real shard 0 failed");
    let solved = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(parts.join(format!("manifest-{}.json", tag(0, shards)))).unwrap(),
    )
    .unwrap();
    // The 64 solved scenarios' rows per kind, with `k` = 0..64 in id order.
    let mut rows = Vec::new();
    for (kind, by) in [
        ("scenarios", "scenario_id"),
        ("regions", "scenario_id"),
        ("sites", "scenario_id"),
    ] {
        let mut all: Option<DataFrame> = None;
        for batch in manifest["batches"].as_array().unwrap() {
            for part in batch["parts"].as_array().unwrap() {
                let part = part["name"].as_str().unwrap();
                if part.starts_with(kind) {
                    let df = read(&parts.join(part));
                    all = Some(match all {
                        None => df,
                        Some(a) => a.vstack(&df).unwrap(),
                    });
                }
            }
        }
        let all = all.unwrap();
        // The solved ids are k × shards.
        let k = all.column(by).unwrap().as_materialized_series() / shards as u64;
        rows.push((kind, by, all, k));
    }
    // Everything but the solved shard's inputs goes: the copies replace it.
    for e in std::fs::read_dir(&parts).unwrap().flatten() {
        std::fs::remove_file(e.path()).unwrap();
    }
    let shards_out: usize = args
        .get(2)
        .map_or(64, |s| s.parse().expect("SHARDS: a whole number"));
    for j in 0..shards_out {
        let ids: Vec<u64> = (j..n).step_by(shards_out).map(|i| i as u64).collect();
        let mut batches = Vec::new();
        for (b, chunk) in ids.chunks(PER_SHARD).enumerate() {
            let mut names = Vec::new();
            for (kind, by, df, k) in &rows {
                // Row k of the solved set becomes scenario chunk[k].
                let keep: Vec<bool> = k
                    .u64()
                    .unwrap()
                    .iter()
                    .map(|k| (k.unwrap() as usize) < chunk.len())
                    .collect();
                let mask = BooleanChunked::from_slice("keep".into(), &keep);
                let mut part = df.filter(&mask).unwrap();
                let k = k.filter(&mask).unwrap();
                let new: Vec<u64> = k
                    .u64()
                    .unwrap()
                    .iter()
                    .map(|k| chunk[k.unwrap() as usize])
                    .collect();
                let new = Series::new((*by).into(), new)
                    .cast(df.column(by).unwrap().dtype())
                    .unwrap();
                part.with_column(new.into_column()).unwrap();
                let name = format!("{kind}-{}-{b:06}.parquet", tag(j, shards_out));
                let mut bytes = Vec::new();
                ParquetWriter::new(&mut bytes).finish(&mut part).unwrap();
                std::fs::write(parts.join(&name), &bytes).unwrap();
                // As a shard commits a part: its SHA-256 and rows.
                names.push(serde_json::json!({
                    "name": name,
                    "sha256": dcsite::study::sweep::shard::sha256_file(&parts.join(&name)).unwrap(),
                    "rows": part.height(),
                }));
            }
            batches.push(serde_json::json!({ "parts": names, "ids": chunk }));
        }
        let mut m = manifest.clone();
        m["shard"] = serde_json::json!({ "index": j, "count": shards_out });
        m["batches"] = batches.into();
        std::fs::write(
            parts.join(format!("manifest-{}.json", tag(j, shards_out))),
            serde_json::to_vec_pretty(&m).unwrap(),
        )
        .unwrap();
    }
    println!(
        "{n} scenarios in {shards_out} shards, batches of {PER_SHARD}, at {}: {PER_SHARD} scenarios \
         solved in {solved:.1} s, copied in {:.1} s",
        out.display(),
        t.elapsed().as_secs_f64()
    );
}

fn read(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}
