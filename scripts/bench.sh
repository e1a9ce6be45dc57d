#!/usr/bin/env bash
# The benchmark of issue 6, in one run over the same generated files (BENCHMARKS.md says what it
# measures and what the figures were):
#   1. `policy eval` end to end on 1,000,000 enterprise rows: wall time and peak memory;
#   2. the hand-written baseline (examples/handwritten_rizhao.rs) end to end on the same file,
#      at the same numbers of threads;
#   3. evaluation only, records already parsed, one thread: `policy::eval::decide` against the
#      hand-written Rust (benches/evaluation.rs) and the peers zen and regorus (benches/peers/);
#   4. `policy check` of the Rizhao policy, and `eval --explain` against plain `eval`
#      (scripts/bench-explain.sh).
#
# Usage: scripts/bench.sh [--ten-million] [--no-peers] [--profile] [--threads "1 2"]
#   --ten-million  also end to end and peak memory on 10,000,000 rows (1.7 GB of CSV)
#   --no-peers     skip regorus and zen (their crate takes several minutes to build the first time)
#   --profile      `perf record -g` of `policy eval` end to end, and its top frames
#   --threads      the thread counts for end to end (default: 1 and every core)
# Generated files are kept in $TARGET/bench-data (TARGET is $CARGO_TARGET_DIR, else target/) and
# reused: the generator is seeded, so a file of N rows is always the same. Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

ten_million=false
peers=true
profile=false
threads="1 $(nproc)"
while [ $# -gt 0 ]; do
  case "$1" in
    --ten-million) ten_million=true ;;
    --no-peers) peers=false ;;
    --profile) profile=true ;;
    --threads) threads="$2"; shift ;;
    *) echo "usage: scripts/bench.sh [--ten-million] [--no-peers] [--profile] [--threads \"1 2\"]" >&2; exit 2 ;;
  esac
  shift
done

target="${CARGO_TARGET_DIR:-target}"
# Absolute: the peers' benchmark runs from its own crate's directory.
target="$(mkdir -p "$target" && cd "$target" && pwd)"
data="$target/bench-data"
mkdir -p "$data"
policy_file=policies/rizhao-2022.policy
as_of=2024-06-30

echo "== machine"
echo "cores: $(nproc); cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1); memory: $(free -h | awk '/^Mem:/ { print $2 }')"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with changes)')"
echo

cargo build --release --quiet --bin policy --example gen_enterprises --example handwritten_rizhao
policy="$target/release/policy"
generator="$target/release/examples/gen_enterprises"
handwritten="$target/release/examples/handwritten_rizhao"

generated() { # ROWS: the path of the generated file of ROWS rows, made once
  local file="$data/enterprises-$1.csv"
  if [ ! -s "$file" ]; then
    "$generator" "$1" > "$file.partial"
    mv "$file.partial" "$file"
  fi
  echo "$file"
}

measure() { # LABEL OUTPUT COMMAND…: best of three runs, wall seconds and peak resident memory
  local label="$1" output="$2" best_seconds="" best_memory=""
  shift 2
  for _ in 1 2 3; do
    local seconds memory
    /usr/bin/time -f "%e %M" -o "$data/time" "$@" > "$output" 2> "$data/stderr" || true
    read -r seconds memory < <(tail -1 "$data/time")
    if [ -z "$best_seconds" ] || awk -v a="$seconds" -v b="$best_seconds" 'BEGIN { exit !(a < b) }'; then
      best_seconds="$seconds"
    fi
    if [ -z "$best_memory" ] || [ "$memory" -gt "$best_memory" ]; then best_memory="$memory"; fi
  done
  printf '%-52s %7.2f s  peak %6.1f MB\n' "$label" "$best_seconds" "$(awk -v k="$best_memory" 'BEGIN { print k / 1024 }')"
  echo "$best_seconds" > "$data/last-seconds"
}

end_to_end() { # ROWS
  local rows="$1" file
  file="$(generated "$rows")"
  echo "== end to end, $rows rows ($(( $(stat -c %s "$file") / 1000000 )) MB of CSV), best of 3, output to a file"
  for count in $threads; do
    measure "policy eval --jobs $count" "$data/policy.jsonl" "$policy" eval "$policy_file" "$file" --as-of "$as_of" --jobs "$count"
    local language; language=$(cat "$data/last-seconds")
    measure "hand-written baseline --threads $count" "$data/handwritten.jsonl" "$handwritten" "$file" --as-of "$as_of" --threads "$count"
    local baseline; baseline=$(cat "$data/last-seconds")
    awk -v a="$language" -v b="$baseline" 'BEGIN { printf "  policy eval / hand-written at %s: %.2f× (target: at most 1.3×)\n", "'"$count"' thread(s)", a / b }'
    if cmp -s "$data/policy.jsonl" "$data/handwritten.jsonl"; then
      echo "  the two outputs are identical ($(wc -l < "$data/policy.jsonl") lines)"
    else
      echo "  THE OUTPUTS DIFFER: $(cmp "$data/policy.jsonl" "$data/handwritten.jsonl" | head -1)"
    fi
  done
  echo
}

end_to_end 1000000
if $ten_million; then end_to_end 10000000; fi

if $profile; then
  echo "== perf record -g: policy eval --jobs 1, 1000000 rows (top frames, self time)"
  perf record -g -o "$data/perf.data" "$policy" eval "$policy_file" "$(generated 1000000)" --as-of "$as_of" --jobs 1 \
    > /dev/null 2> "$data/perf.stderr" || true
  perf report -i "$data/perf.data" --no-children --percent-limit 1.5 --stdio 2> /dev/null | grep -E '^ +[0-9]' | head -25
  echo
fi

echo "== evaluation only, one thread, first 200000 rows of the 1000000-row file"
cargo bench --quiet --bench evaluation -- --file "$(generated 1000000)" --rows 200000
echo
if $peers; then
  echo "== evaluation only with the peers, complete records of the same rows"
  # A target directory of their own inside this one: the peers' crate has its own Cargo.lock.
  CARGO_TARGET_DIR="$target/peers" cargo bench --quiet --manifest-path benches/peers/Cargo.toml --bench evaluation -- \
    --file "$(generated 1000000)" --rows 200000
  echo
fi

echo "== policy check $policy_file, 200 runs of the command (process start included)"
start=$(date +%s.%N)
for _ in $(seq 200); do "$policy" check "$policy_file" 2> /dev/null; done
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f ms per check (target: under 10 ms)\n", (e - s) * 1000 / 200 }'
echo

echo "== eval --explain against eval (scripts/bench-explain.sh)"
scripts/bench-explain.sh
