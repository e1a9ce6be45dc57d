#!/usr/bin/env bash
# Measures what `eval --explain` costs against plain `eval` on a large file (issue 4: at most 3×).
# Usage: scripts/bench-explain.sh [ROWS]   (default 100000; not run in CI)
# The file is the city's sample rows repeated with fresh keys, so every record is a real one.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-100000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
policy="${CARGO_TARGET_DIR:-target}/release/policy"

repeat() { # SAMPLE OUT: the sample's header, then ROWS rows with keys 91 + a 16-digit number
  awk -v rows="$rows" 'NR == 1 { sub(/^\xef\xbb\xbf/, ""); print; next }
    { line[n++] = $0 }
    END { for (i = 0; i < rows; i++) { l = line[i % n]; sub(/^[^,]*/, sprintf("91%016d", i), l); print l } }' "$1" > "$2"
}
repeat examples/rizhao/enterprises.csv "$work/enterprises.csv"
repeat examples/innovative-sme/applicants.csv "$work/applicants.csv"

measure() { # LABEL COMMAND…: best of three wall-clock seconds
  local best=""
  for _ in 1 2 3; do
    local start end
    start=$(date +%s.%N); "${@:2}" > "$work/out.jsonl"; end=$(date +%s.%N)
    best=$(echo "$start $end $best" | awk '{ t = $2 - $1; if ($3 == "" || t < $3) print t; else print $3 }')
  done
  printf '%-40s %6.2f s  %5d MB out\n' "$1" "$best" "$(( $(stat -c %s "$work/out.jsonl") / 1000000 ))"
  echo "$best" > "$work/last"
}
for case in "rizhao-2022:enterprises" "innovative-sme:applicants"; do
  file="policies/${case%%:*}.policy"; data="$work/${case##*:}.csv"
  measure "eval ${case%%:*} ($rows rows)" "$policy" eval "$file" "$data" --as-of 2024-06-30
  plain=$(cat "$work/last")
  measure "eval --explain ${case%%:*} ($rows rows)" "$policy" eval "$file" "$data" --as-of 2024-06-30 --explain
  explained=$(cat "$work/last")
  echo "$plain $explained" | awk '{ printf "  ratio %.2f×\n", $2 / $1 }'
done
