#!/bin/sh
# The 37 small OR-Library instances, dcsite against PuLP + CBC in one run.
#
#   examples/orlib_vs_pulp.sh [ORLIB_DIR] [--plan-only]   (default bench/orlib)
#
# Makes a throwaway venv with PuLP from PyPI (CBC comes inside its wheel) in
# target/pulp-venv, builds the `orlib` example in the release profile, and
# runs examples/orlib_vs_pulp.py: a table of both solvers' objectives and
# times, and the ratio of dcsite's time to PuLP + CBC's.
set -eu
cd "$(dirname "$0")/.."
dir=${1:-bench/orlib}
[ $# -gt 0 ] && shift
venv=target/pulp-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pulp' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet pulp
fi
cargo build --release --quiet --example orlib
exec "$venv/bin/python" examples/orlib_vs_pulp.py "$dir" target/release/examples/orlib "$@"
