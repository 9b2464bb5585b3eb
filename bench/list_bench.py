#!/usr/bin/env python3
"""Times `aragora list` pages as a user runs them: the whole process (start, open, page, exit).

    bench/list_bench.py BINARY DATA_DIR [RUNS] [CASE ...]

For each case, RUNS runs (default 7; the first warms the page cache and counts too): wall time,
CPU time (user + system, from wait4: what a busy machine inflates least) and max RSS. Prints the
median and the range. The data dir is only read: every case is a read-only `list`. `--version` is
the baseline, the cost of starting the binary at all. Default cases: the first page, the page at
offset 50,000, and one page of each status.
"""

import os
import statistics
import subprocess
import sys
import time

DEFAULT_CASES = ["--version", "list", "list --offset 50000", "list --status completed",
                 "list --status running", "list --status failed"]


def run_once(argv):
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000, usage.ru_maxrss / 1024, p.returncode


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, data_dir = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    cases = sys.argv[4:] or DEFAULT_CASES
    print(f"{binary} on {data_dir}, {runs} runs each, load average {os.getloadavg()[0]:.1f}")
    for case in cases:
        argv = [binary, *case.split()]
        if argv[1] == "list":
            argv += ["--data-dir", data_dir]
        results = [run_once(argv) for _ in range(runs)]
        codes = sorted({r[3] for r in results})

        def stat(i, fmt):
            v = sorted(r[i] for r in results)
            return f"{statistics.median(v):{fmt}} ({v[0]:{fmt}}..{v[-1]:{fmt}})"

        print(f"  {case:<24} wall ms {stat(0, '.0f')}  cpu ms {stat(1, '.0f')}  "
              f"max RSS MB {stat(2, '.1f')}  exit {','.join(map(str, codes))}")


if __name__ == "__main__":
    main()
