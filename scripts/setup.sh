#!/usr/bin/env bash
# Installs what building and testing dcsite needs, when it is missing:
#   cmake, a C++ compiler      HiGHS (highs-sys) and PROJ (proj-sys, built from source)
#   libclang (clang)           bindgen in highs-sys
#   sqlite3, libsqlite3-dev    PROJ's build generates proj.db with sqlite3
#   gdal-bin                   ogr2ogr / ogrinfo: dcsite writes plan.gpkg with them (also at run
#                                time), and the GeoJSON / GeoPackage tests read with them
#   python3-gdal               GDAL's validate_gpkg.py in tests/system/gpkg.rs
#   pkg-config                 library discovery
#   chromium                   headless rendering of `dcsite report` pages in tests/system/report.rs
#   fonts-wqy-microhei         a CJK font, so that headless Chromium (the report maps) and QGIS (name_zh
#                                labels, layout text) draw Chinese
#   chromium-driver            WebDriver for it: tests/system/offer_page.rs moves the offer page's slider
#   poppler-utils              pdfinfo / pdftotext / pdftoppm: tests/system/print.rs checks the report printed to PDF
#   slurmctld, slurmd,         a single-node Slurm cluster that tests/system/shards.rs starts
#   slurm-client, munge          (as root, without systemd) to run examples/slurm/sweep.sbatch
#   python3-qgis,              real QGIS 3 (offscreen, Debian's /usr/bin/python3) opening plan.qgz and
#   qgis-providers               exporting its print layout in tests/system/qgis_project.rs (and gdal_layers.rs)
#   python3-venv (if needed)   the throwaway venv target/test-venv with snakemake and
#                                kubernetes-validate (PyPI) for examples/snakemake and examples/k8s,
#                                selenium (PyPI) to drive chromium-driver, and PuLP (PyPI, with
#                                its bundled CBC) for the independent extensive form of
#                                tests/system/hedge_pulp.py
# Uses apt-get (Debian/Ubuntu) as root, or through sudo when not root.
set -euo pipefail

need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v c++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
[ -e /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
[ -e /usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py ] || need+=(python3-gdal)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
[ -x /usr/sbin/slurmctld ] || need+=(slurmctld)
[ -x /usr/sbin/slurmd ] || need+=(slurmd)
[ -x /usr/bin/sbatch ] || need+=(slurm-client)
[ -x /usr/sbin/munged ] || need+=(munge)
command -v python3 >/dev/null 2>&1 || need+=(python3)
[ -d /usr/lib/python3/dist-packages/qgis ] || need+=(python3-qgis)
[ -e /usr/lib/qgis/plugins/libprovider_delimitedtext.so ] || need+=(qgis-providers)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
# bindgen needs libclang itself (libclang.so / libclang-NN.so), not libclang-cpp.
ls /usr/lib/llvm-*/lib/libclang.so* /usr/lib/llvm-*/lib/libclang-[0-9]*.so* \
   /usr/lib/*/libclang-[0-9]*.so* >/dev/null 2>&1 || need+=(libclang-dev)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Debian's packages enable their daemons for systemd; the tests start their
# own cluster, so nothing is started here.

# The test venv: snakemake runs examples/snakemake/Snakefile, kubernetes-validate
# checks examples/k8s/sweep-job.yaml against the Kubernetes Job schema, selenium
# drives the offer page, PuLP solves tests/system/hedge_pulp.py with its CBC.
venv="$(cd "$(dirname "$0")/.." && pwd)/target/test-venv"
if ! [ -x "$venv/bin/snakemake" ] || ! [ -x "$venv/bin/kubernetes-validate" ] \
   || ! "$venv/bin/python" -c 'import selenium' >/dev/null 2>&1 \
   || ! "$venv/bin/python" -c 'import pulp, sys; sys.exit(not pulp.PULP_CBC_CMD().available())' >/dev/null 2>&1; then
  echo "setup: making $venv (snakemake, kubernetes-validate, selenium, pulp)" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check snakemake kubernetes-validate selenium pulp >/dev/null
fi

command -v cargo >/dev/null 2>&1 || {
  echo "setup: cargo not found; install Rust (rustup) first" >&2
  exit 1
}
echo "setup: build tools present (cmake $(cmake --version | head -n1 | awk '{print $3}'), ogrinfo $(ogrinfo --version | awk '{print $2}' | tr -d ,), slurm $(/usr/sbin/slurmctld -V | awk '{print $2}'), snakemake $("$venv/bin/snakemake" --version))" >&2
