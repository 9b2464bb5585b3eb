#!/usr/bin/env python3
"""No dead panels: every metric the Grafana dashboard (scripts/grafana/aragora-dashboard.json)
and the alert rules (scripts/prometheus/aragora-alerts.yml) read is exported by a running node.

Starts `aragora serve` on free ports with a fresh data dir, runs one debate through its HTTP API
(so that the families filled on first use exist too), reads /metrics, and fails naming every
metric the dashboard or the rules use that the node does not export (a `# TYPE` line).
Usage: tests/scripts/dashboard_test.py ROOT ARAGORA_BIN
   or: tests/scripts/dashboard_test.py --metrics URL DASHBOARD RULES
       (the same check against a node already running: package_test.sh's packaged files)"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

METRIC = re.compile(r"\b((?:aragora|process)_[a-z0-9_]+)\b")
SUFFIXES = ("_bucket", "_sum", "_count")


def base(name):
    for s in SUFFIXES:
        if name.endswith(s):
            return name[: -len(s)]
    return name


def used_metrics(dashboard, rules):
    with open(dashboard, encoding="utf-8") as f:
        dash = json.load(f)
    used = {}
    assert dash.get("panels"), "the dashboard has no panels"
    for p in dash["panels"]:
        assert p.get("targets"), f"panel {p.get('title')!r} has no query"
        for t in p["targets"]:
            for m in METRIC.findall(t["expr"]):
                used.setdefault(base(m), f"dashboard panel {p['title']!r}")
    with open(rules, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("expr:"):
                for m in METRIC.findall(line):
                    used.setdefault(base(m), "alert rule " + line[:80])
    return used


def http(port, method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=body.encode() if body else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode()


def exported_by(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        text = r.read().decode()
    return {l.split()[2] for l in text.splitlines() if l.startswith("# TYPE ")}


def check(used, exported):
    missing = sorted((m, where) for m, where in used.items() if m not in exported)
    for m, where in missing:
        print(f"dashboard_test: {m} ({where}) is not exported by a running node", file=sys.stderr)
    if missing:
        return 1
    print(f"dashboard_test: {len(used)} metrics used by the dashboard and the alert rules, "
          f"all exported ({len(exported)} families)")
    return 0


def main():
    if sys.argv[1] == "--metrics":
        url, dashboard, rules = sys.argv[2:5]
        return check(used_metrics(dashboard, rules), exported_by(url))
    root, binary = sys.argv[1], sys.argv[2]
    used = used_metrics(os.path.join(root, "scripts/grafana/aragora-dashboard.json"),
                        os.path.join(root, "scripts/prometheus/aragora-alerts.yml"))
    d = tempfile.mkdtemp(prefix="aragora-dashboard-")
    config = os.path.join(d, "aragora.yaml")
    with open(config, "w") as f:
        f.write("mock:\n  latency_ms: 5\nmemory:\n  enabled: false\nedge:\n  rate_limit_per_s: 0\n")
    proc = subprocess.Popen([binary, "--config", config, "serve", "--port", "0", "--ws-port", "0",
                             "--data-dir", os.path.join(d, "data")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=dict(os.environ, XDG_DATA_HOME=d))
    try:
        line = proc.stdout.readline()
        m = re.search(r"API http://127\.0\.0\.1:([0-9]+)/api/v1", line)
        assert m, f"serve did not start: {line!r}"
        port = int(m.group(1))
        created = json.loads(http(port, "POST", "/api/v1/debates",
                                  '{"task": "Do the panels have data?", "rounds": 1}'))
        debate = created["debate_id"]
        deadline = time.time() + 60
        while json.loads(http(port, "GET", f"/api/v1/debates/{debate}"))["status"] == "running":
            assert time.time() < deadline, "the debate did not end"
            time.sleep(0.05)
        return check(used, exported_by(f"http://127.0.0.1:{port}/metrics"))
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
