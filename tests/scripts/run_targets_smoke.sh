#!/usr/bin/env bash
# bench-smoke: issue 12's target harness at a fiftieth of its size, so its paths (100,000 debates
# in flight on both stores, the durable rows, the raw RocksDB baseline) cannot rot. Every row must
# print a figure: a refused run or a crash fails; a missed target does not (that is the
# benchmark's verdict, at full size).
#   tests/scripts/run_targets_smoke.sh SOURCE_DIR ARAGORA_BIN ROCKSDB_RAW_BENCH
set -uo pipefail
out="$("$1/bench/run_targets.sh" --runs 1 --scale 0.02 "$2" "$3" 2>&1)"
code=$?
echo "$out"
[ "$code" -le 1 ] || { echo "run_targets_smoke: exit $code" >&2; exit 1; }
for row in "1  " "2  " "3  " "4  " "5  " "6  " "7a " "7b " "7c "; do
  line="$(grep -E "^$row" <<<"$out")" || { echo "run_targets_smoke: no row '$row'" >&2; exit 1; }
  grep -q "median" <<<"$line" || { echo "run_targets_smoke: row '$row' has no figure: $line" >&2; exit 1; }
done
if grep -q "^refused:" <<<"$out"; then echo "run_targets_smoke: a run was refused" >&2; exit 1; fi
echo "run_targets_smoke: every row measured"
