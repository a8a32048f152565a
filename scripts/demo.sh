#!/usr/bin/env bash
# make demo: what exists so far, on one machine, in a throwaway data directory.
set -euo pipefail
bin=$1
dir=$2
mkdir -p "$dir"
echo "== ecowatch demo (data directory: $dir) =="
"$bin" version
echo
samples="$(dirname "$0")/../hj212/testdata/public-samples.txt"
echo "-- HJ 212: the first public sample frames, decoded (one frame per line, tolerant mode) --"
grep '^##' "$samples" | head -3 | "$bin" hj212 decode --lines --tolerant
echo
echo "-- HJ 212: the 34 public samples, strict (the standard) vs tolerant (known device quirks) --"
strict_ok=$(grep '^##' "$samples" | "$bin" hj212 decode --lines | grep -c '"ok":true' || true)
tolerant_ok=$(grep '^##' "$samples" | "$bin" hj212 decode --lines --tolerant | grep -c '"ok":true' || true)
echo "accepted: strict $strict_ok / 34, tolerant $tolerant_ok / 34 (the rest have wrong CRCs)"
echo "why strict refused them:"
grep '^##' "$samples" | "$bin" hj212 decode --lines | grep -o '"error":"[a-z]*"' | sort | uniq -c
echo
echo "-- HJ 212: the data answers (9014) the platform owes those frames --"
grep '^##' "$samples" | "$bin" hj212 reply --lines --tolerant | head -3
