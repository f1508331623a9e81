//! Writes a synthetic national dataset and scenario of any size.
//!
//! cargo run --release --example synth -- --sites 1000 --cities 300 --seed 1 --out out/synth-1000

use std::path::PathBuf;

mod support;

use support::synth::{write_synth, SynthSpec};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut spec = SynthSpec {
        sites: 200,
        cities: 300,
        seed: 1,
    };
    let mut out = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next();
        match (a.as_str(), v) {
            ("--sites", Some(v)) => spec.sites = v.parse().expect("--sites N"),
            ("--cities", Some(v)) => spec.cities = v.parse().expect("--cities M"),
            ("--seed", Some(v)) => spec.seed = v.parse().expect("--seed S"),
            ("--out", Some(v)) => out = Some(PathBuf::from(v)),
            _ => {
                eprintln!("usage: synth --sites N --cities M --seed S --out DIR");
                std::process::exit(2);
            }
        }
    }
    let Some(out) = out else {
        eprintln!("usage: synth --sites N --cities M --seed S --out DIR");
        std::process::exit(2);
    };
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/small");
    match write_synth(&spec, &data, &out) {
        Ok(p) => println!("{}", p.display()),
        Err(e) => {
            eprintln!("synth: {e}");
            std::process::exit(1);
        }
    }
}
