#!/usr/bin/env bash
# Runs statsforecast (installed from PyPI into .venv) and forecast-mesh on
# the corpus in one run, on this machine, and prints their scores side by side.
#
#   forecaster/scripts/bench-corpus.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$repo/.venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "statsforecast==2.1.1" pandas
results="$(mktemp -t statsforecast-corpus.XXXXXX.csv)"
trap 'rm -f "$results"' EXIT
"$venv/bin/python" "$here/statsforecast_corpus.py" "$repo/forecaster/corpus" "$results"
cd "$repo"
STATSFORECAST_RESULTS="$results" cargo bench -p forecaster --bench corpus
