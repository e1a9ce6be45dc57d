#!/usr/bin/env bash
# Measures what `eval --explain` costs against plain `eval` (issue 4: at most 3× on the 100k-row
# benchmark file). Usage: scripts/bench-explain.sh [ROWS]   (default 100000; not run in CI)
# Three files of ROWS rows: the benchmark's generated enterprises (`gen_enterprises`, varied
# values, some blank cells), and the city's sample rows and the SME applicants' sample rows
# repeated with fresh keys (real records, few distinct values). Each run is timed best of five (wall clock, to the millisecond),
# with both cores (the default) and with --jobs 1, its output written to a file; peak memory too.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-100000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --bin policy --example gen_enterprises
target="${CARGO_TARGET_DIR:-target}"
policy="$target/release/policy"

repeat() { # SAMPLE OUT: the sample's header, then ROWS rows with keys 91 + a 16-digit number
  awk -v rows="$rows" 'NR == 1 { sub(/^\xef\xbb\xbf/, ""); print; next }
    { line[n++] = $0 }
    END { for (i = 0; i < rows; i++) { l = line[i % n]; sub(/^[^,]*/, sprintf("91%016d", i), l); print l } }' "$1" > "$2"
}
"$target/release/examples/gen_enterprises" "$rows" > "$work/generated.csv"
repeat examples/rizhao/enterprises.csv "$work/enterprises.csv"
repeat examples/innovative-sme/applicants.csv "$work/applicants.csv"

measure() { # COMMAND…: the best of five wall-clock times (ms precision), the peak memory in MB, the output's size
  local best="" memory=0 start end
  for _ in 1 2 3 4 5; do
    rm -f "$work/out.jsonl"
    start=$EPOCHREALTIME
    /usr/bin/time -f "%M" -o "$work/time" "$@" > "$work/out.jsonl" 2> /dev/null || true
    end=$EPOCHREALTIME
    best=$(echo "$start $end $best" | awk '{ t = $2 - $1; if ($3 == "" || t < $3) print t; else print $3 }')
    memory=$(( $(tail -1 "$work/time") / 1000 > memory ? $(tail -1 "$work/time") / 1000 : memory ))
  done
  echo "$best $memory $(( $(stat -c %s "$work/out.jsonl") / 1000000 ))"
}
printf '%-42s %-8s %22s %28s %8s\n' file jobs "eval (s, MB)" "eval --explain (s, MB, out)" ratio
for case in "rizhao-2022:generated" "rizhao-2022:enterprises" "innovative-sme:applicants"; do
  file="policies/${case%%:*}.policy"; data="$work/${case##*:}.csv"
  for jobs in default 1; do
    flags=(); [ "$jobs" = 1 ] && flags=(--jobs 1)
    read -r plain plain_memory _ < <(measure "$policy" eval "$file" "$data" --as-of 2024-06-30 "${flags[@]}")
    read -r explained explained_memory size < <(measure "$policy" eval "$file" "$data" --as-of 2024-06-30 --explain "${flags[@]}")
    printf '%-42s %-8s %14.3f s %4d MB %14.3f s %4d MB %5d MB %7.2f×\n' "${case##*:} ($rows rows, ${case%%:*})" "$jobs" \
      "$plain" "$plain_memory" "$explained" "$explained_memory" "$size" "$(echo "$plain $explained" | awk '{ print $2 / $1 }')"
  done
done
