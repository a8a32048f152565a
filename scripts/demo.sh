#!/usr/bin/env bash
# make demo: what exists so far, on one machine, in a throwaway data directory.
set -euo pipefail
bin=$1
dir=$2
mkdir -p "$dir"
echo "== ecowatch demo (data directory: $dir) =="
"$bin" version
echo
echo "-- HJ 212: decoding the public sample frames (tolerant mode) --"
grep '^##' "$(dirname "$0")/../hj212/testdata/public-samples.txt" | head -5 | "$bin" hj212 decode --tolerant || true
