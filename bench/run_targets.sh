#!/usr/bin/env bash
# Runs the performance targets of issue 3 (each 3 times) and prints median and range.
#   bench/run_targets.sh [aragora binary]    (default build/bin/aragora)
set -euo pipefail
bin="${1:-build/bin/aragora}"
W="--rounds 2 --agents 3 --message-bytes 2048 --early-stop off"

run() {  # run <label> <json field> <args...>
  local label="$1" field="$2"
  shift 2
  local values=()
  for _ in 1 2 3; do
    values+=("$("$bin" benchmark "$@" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$field'])")")
  done
  python3 - "$label" "$field" "${values[@]}" <<'PY'
import sys, statistics
label, field, *vals = sys.argv[1:]
v = sorted(float(x) for x in vals)
print(f"{label:<48} {field:<26} median {statistics.median(v):>12.2f}  range {v[0]:.2f} .. {v[-1]:.2f}")
PY
}

run "1 throughput W, C=1000"            debates_per_s --debates 20000 --concurrent 1000 $W
run "2a latency W, 50 ms, C=10000"      wall_s        --debates 10000 $W --latency-ms 50
run "2b latency W, 50 ms, C=50000"      wall_s        --debates 50000 $W --latency-ms 50
run "3a memory W, 50 ms, C=10000"       rss_growth_kb_per_debate --debates 10000 $W --latency-ms 50
run "3b memory W 256 B, 50 ms, C=10000" rss_growth_kb_per_debate --debates 10000 --rounds 2 --agents 3 --message-bytes 256 --latency-ms 50
