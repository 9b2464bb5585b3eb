#!/usr/bin/env python3
"""The targets of issue 12 (flat cost at any concurrency), three runs each, median against target.

  bench/run_targets.sh [--runs N] [--only ROW,...] [--scale F] [aragora binary] [rocksdb_raw_bench binary]

Workload W: lite, 3 agents, 2 rounds, 2 KB messages, early stop off. Prints one line per row
(median, range, target, met/MISSED) and exits 1 when any target is missed, 2 on a usage error.
A benchmark, not a test: it is not part of .ci/run (the bench-smoke tests keep the paths alive).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

W = ["--rounds", "2", "--agents", "3", "--message-bytes", "2048", "--early-stop", "off"]


def bench(binary, args, data_dir=None):
    """One `aragora benchmark --json` run: its report, or {"error": text} when it was refused."""
    cmd = [binary, "benchmark", *args, *W, "--json"]
    if data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)
        cmd += ["--storage", "rocksdb", "--data-dir", data_dir]
    else:
        cmd += ["--storage", "memory"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        if data_dir:  # a run's store is not left to weigh on the next rows
            shutil.rmtree(data_dir, ignore_errors=True)
    if r.returncode != 0:
        lines = (r.stderr or r.stdout).strip().splitlines()
        return {"error": lines[0] if lines else f"exit {r.returncode}"}
    try:
        report = json.loads(r.stdout)
    except json.JSONDecodeError:
        return {"error": "the report is not JSON: " + r.stdout[:80]}
    if report.get("failed", 0) or report.get("completed", 0) == 0:
        return {"error": f"{report.get('failed')} debates failed, {report.get('completed')} completed"}
    return report


def raw_rocksdb_mb_per_s(raw_binary):
    """The raw baseline's MB/s, or an error text."""
    if not os.path.exists(raw_binary):
        return f"no raw RocksDB bench at {raw_binary}"
    r = subprocess.run([raw_binary, "--benchmark_filter=BM_RawDebateWrites", "--benchmark_format=json",
                        "--benchmark_min_time=2"], capture_output=True, text=True)
    try:
        runs = [b["bytes_per_second"] for b in json.loads(r.stdout)["benchmarks"]]
        return statistics.median(runs) / 1e6
    except (json.JSONDecodeError, KeyError, statistics.StatisticsError):
        return f"{raw_binary} exited {r.returncode} without a result"


class table:
    def __init__(self):
        self.missed = 0

    def row(self, label, values, target, meets, unit, fmt="{:.2f}", scored=True):
        """values: the runs' figures (None for a refused run); target: its text; scored: False
        for a row run only because another depends on it (--only): shown, not counted."""
        got = [v for v in values if v is not None]
        if len(got) < len(values):
            ok, shown = False, f"{len(values) - len(got)} of {len(values)} runs refused"
        else:
            med = statistics.median(got)
            ok = meets(med)
            shown = f"median {fmt.format(med)} {unit}  range {fmt.format(min(got))} .. {fmt.format(max(got))}"
        self.missed += 0 if ok or not scored else 1
        verdict = ("met" if ok else "MISSED") if scored else "(for another row)"
        print(f"{label:<46} {shown:<48} target {target:<22} {verdict}", flush=True)


def main():
    def positive(text):
        v = int(text)
        if v < 1:
            raise argparse.ArgumentTypeError("must be at least 1")
        return v

    def rows(text):
        out = {int(x) for x in text.split(",") if x}
        if not out <= set(range(1, 8)):
            raise argparse.ArgumentTypeError("rows are 1..7")
        return out

    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=positive, default=3)
    p.add_argument("--only", type=rows, default=set(), help="comma-separated row numbers (1..7)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="run every row with this fraction of its debates (the bench-smoke test: 0.02)")
    p.add_argument("binary", nargs="?", default="build/bin/aragora")
    p.add_argument("raw", nargs="?", default="build/bench/rocksdb_raw_bench")
    a = p.parse_args()
    if not 0 < a.scale <= 1:
        p.error("--scale must be in (0, 1]")
    if not os.path.exists(a.binary):
        p.error(f"no aragora binary at {a.binary}")
    only = a.only
    want = lambda n: not only or n in only
    runs = range(a.runs)
    n = lambda count: str(max(1, int(count * a.scale)))
    if a.scale != 1.0:
        print(f"scaled to {a.scale} of each row's debates: the figures are not the targets' own")
    scratch = tempfile.mkdtemp(prefix="aragora-targets-")
    t = table()
    errors = []

    def field(reports, name, scale=1.0):
        out = []
        for r in reports:
            if "error" in r:
                errors.append(r["error"])
                out.append(None)
            else:
                out.append(r[name] * scale)
        return out

    def median_of_all(values):
        """The bound another row is judged against: only when every run gave a figure."""
        return statistics.median(values) if values and None not in values else None

    try:
        print(f"{a.binary}, {a.runs} runs per row, W = {' '.join(W)}", flush=True)
        cpu_1000 = None
        if want(1) or want(2):
            bench(a.binary, ["--debates", n(5000), "--concurrent", n(1000)])  # warm-up, not counted
            r1 = [bench(a.binary, ["--debates", n(20000), "--concurrent", n(1000)]) for _ in runs]
            t.row("1  W, C=1,000, 20,000 debates, memory", field(r1, "debates_per_s"), ">= 20,000 debates/s",
                  lambda v: v >= 20000, "debates/s", "{:.0f}", scored=want(1))
            cpu_1000 = median_of_all(field(r1, "cpu_ms_per_debate", 1000))
            print(f"{'   (its CPU per debate)':<46} median {cpu_1000 or float('nan'):.1f} us", flush=True)
        r3 = None
        if want(3) or want(7):
            r3 = [bench(a.binary, ["--debates", n(10000), "--concurrent", n(10000), "--latency-ms", "50"]) for _ in runs]
            t.row("3  W, 50 ms, C=10,000, memory: wall", field(r3, "wall_s"), "<= 0.45 s", lambda v: v <= 0.45, "s",
                  scored=want(3))
        if want(2) or want(4):
            r4 = [bench(a.binary, ["--debates", n(50000), "--concurrent", n(50000), "--latency-ms", "50"]) for _ in runs]
            t.row("4  W, 50 ms, C=50,000, memory: wall", field(r4, "wall_s"), "<= 1.5 s", lambda v: v <= 1.5, "s",
                  scored=want(4))
            if want(2):
                bound = 1.3 * cpu_1000 if cpu_1000 else None
                t.row("2  CPU per debate at C=50,000", field(r4, "cpu_ms_per_debate", 1000),
                      f"<= 1.3 x row 1 = {bound:.1f} us" if bound else "<= 1.3 x row 1",
                      lambda v: bound is not None and v <= bound, "us", "{:.1f}")
        if want(5):
            r5 = [bench(a.binary, ["--debates", n(100000), "--concurrent", n(100000), "--latency-ms", "50"]) for _ in runs]
            t.row("5  100,000 in flight, 50 ms, memory: peak RSS", field(r5, "peak_rss_mb"), "<= 3,072 MB",
                  lambda v: v <= 3072, "MB", "{:.0f}")
        if want(6):
            r6 = [bench(a.binary, ["--debates", n(100000), "--concurrent", n(100000), "--latency-ms", "50"],
                        os.path.join(scratch, "r6")) for _ in runs]
            t.row("6  100,000 in flight, 50 ms, rocksdb: peak RSS", field(r6, "peak_rss_mb"), "<= 2,048 MB",
                  lambda v: v <= 2048, "MB", "{:.0f}")
        if want(7):
            r7 = [bench(a.binary, ["--debates", n(10000), "--concurrent", n(10000), "--latency-ms", "50"],
                        os.path.join(scratch, "r7")) for _ in runs]
            mem_wall = median_of_all(field(r3, "wall_s"))
            bound = 1.5 * mem_wall if mem_wall else None
            t.row("7a durable W, 50 ms, C=10,000: wall", field(r7, "wall_s"),
                  f"<= 1.5 x row 3 = {bound:.2f} s" if bound else "<= 1.5 x row 3",
                  lambda v: bound is not None and v <= bound, "s")
            t.row("7b   RSS per in-flight debate", field(r7, "rss_growth_kb_per_debate"), "<= 16 KB",
                  lambda v: v <= 16, "KB", "{:.1f}")
            raw = raw_rocksdb_mb_per_s(a.raw)
            if isinstance(raw, str):
                errors.append(raw)
                raw = None
            t.row("7c   durable MB/s against raw RocksDB", field(r7, "storage_mb_per_s"),
                  f">= 50 % of {raw:.1f} MB/s" if raw else ">= 50 % of raw (no raw bench)",
                  lambda v: raw is not None and v >= 0.5 * raw, "MB/s", "{:.1f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for e in sorted(set(errors)):
        print(f"refused: {e}")
    print(f"{t.missed} target(s) missed" if t.missed else "every target met")
    return 1 if t.missed else 0


if __name__ == "__main__":
    sys.exit(main())
