#!/usr/bin/env bash
# The targets of issue 12, three runs each, median against target; exits 1 when one is missed.
#   bench/run_targets.sh [--runs N] [--only 1,3,...] [aragora binary] [rocksdb_raw_bench binary]
# (bench/run_targets.py; the issue-3 targets it replaces are in bench/RESULTS.md.)
exec python3 "$(dirname "$0")/run_targets.py" "$@"
