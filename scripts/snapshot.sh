#!/usr/bin/env bash
# Proof that a restructuring changed no output: runs one dcsite binary over
# every scenario of the small set (models/small/), the OR-Library set, a small sweep, a comparison,
# a break-even search, implied premiums and near-optimal ranges, and stores
# every output with its timing fields removed (scripts/snapshot_normalise.py).
#
#   scripts/snapshot.sh target/release/dcsite /tmp/snap-before [orlib-example]
#   scripts/snapshot.sh target/release/dcsite /tmp/snap-after
#   diff -r /tmp/snap-before /tmp/snap-after      # nothing: no output changed
#
# The third argument is the `orlib` example binary (default
# target/release/examples/orlib). Everything runs with --threads 1 (the
# default) so that the same binary gives the same bytes. The near-optimal ranges
# get 120 s: with fewer, the ends left unproven vary with the machine's load (with
# 120 s, four runs of two binaries agreed on a busy 2-core machine). Parquet files are
# compared by value when PYTHON names a Python with pyarrow (e.g. a venv
# made with `python3 -m venv v && v/bin/pip install pyarrow`), else by bytes.
set -euo pipefail
bin="$(realpath "$1")"
out="$2"
orlib="$(realpath "${3:-target/release/examples/orlib}")"
cd "$(dirname "$0")/.."
[ -e "$out" ] && { echo "snapshot: $out exists; remove it first" >&2; exit 2; }
raw="$(mktemp -d)"
trap 'rm -rf "$raw"' EXIT
mkdir -p "$out"
# plan.gpkg records a time (styles, project, gpkg_contents): a fixed one, so
# that the same input gives the same bytes.
export SOURCE_DATE_EPOCH=0

run() { # name, then the command; stdout and the exit code are kept too
  local name="$1"; shift
  local rc=0
  "$@" >"$raw/$name.stdout" 2>"$raw/$name.stderr" || rc=$?
  echo "$rc" >"$raw/$name.rc"
}

for m in models/small/*.toml; do
  s="$(basename "$m" .toml)"
  run "solve-$s" "$bin" solve "$m" --out "$raw/solve-$s" --json
done
run "near-optimal" "$bin" solve models/small/baseline.toml --near-optimal 0.01 \
  --near-optimal-seconds 120 --out "$raw/near-optimal" --json
run "compare" "$bin" compare models/small/baseline.toml models/small/central_push.toml \
  --out "$raw/compare" --json
run "breakeven" "$bin" breakeven models/small/baseline.toml --region ningxia \
  --cards 100000 --lever per-card-cny --out "$raw/breakeven.csv" --json
run "implied" "$bin" implied models/small/baseline.toml \
  --ranges models/small/forecast_ranges.csv --out "$raw/implied"
cat >"$raw/small_sweep.toml" <<TOML
base = "$PWD/models/small/baseline.toml"
samples = 6
seed = 3
sampling = "lhs"

[vary]
"electricity_prices.*.price_cny_per_kwh" = { dist = "uniform", from_columns = ["low", "high"] }
TOML
run "sweep" "$bin" sweep "$raw/small_sweep.toml" --out "$raw/sweep" --threshold ningxia=100000
for f in bench/orlib/cap[0-9]*.txt; do
  s="$(basename "$f" .txt)"
  run "orlib-$s" "$orlib" "$f"
done
run "orlib-capa-8000" "$orlib" bench/orlib/capa.txt --capacity 8000

"${PYTHON:-python3}" scripts/snapshot_normalise.py "$raw" "$out"
echo "snapshot: $(find "$out" -type f | wc -l) files in $out" >&2
