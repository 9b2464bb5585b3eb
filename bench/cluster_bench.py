#!/usr/bin/env python3
"""The cluster's price, measured: workload W through one `aragora serve` and through the
3-node cluster of cluster-config/local-3-node.yaml's shape, on the same machine, one after the
other, with the same client; then the time from a worker's SIGKILL to the first resumed step.

  bench/cluster_bench.py [--debates N] [--clients C] [--runs R] [--latency-ms MS]
                         [--kill-debates K] [--json]

Each run: a fresh data dir, the server(s) started, N debates of W (lite, 3 agents, 2 rounds,
early stop off, 2,048-byte messages) created through the edge's HTTP API by C client threads
(keep-alive connections), then the list polled until none is running. debates/s = N / (time
from the first create to the last debate ended); each debate's latency = completed_at -
created_at of its record (the edge's clock, ms). Mock agents answer at once (--latency-ms 0) so
that the runtime is what is measured; the client runs on the same two cores as the servers.

Failover: K debates of 12 rounds at 100 ms per call on the cluster; SIGKILL of the worker holding
most; then, per debate that was there, the time until its event log grows again (polled every
10 ms): the first resumed step. Detection (heartbeat timeout or the lost connection) is in it.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("ARAGORA_BIN", os.path.join(ROOT, "build", "bin", "aragora"))
W = {"task": "Should we adopt a service mesh?", "rounds": 2, "protocol": "lite", "early_stop": False}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class client:
    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None):
        for attempt in range(3):
            try:
                self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                                  headers={"Content-Type": "application/json"})
                r = self.conn.getresponse()
                data = r.read()
                return r.status, json.loads(data) if data else {}
            except (ConnectionError, http.client.HTTPException, socket.timeout):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
                time.sleep(0.05)


def write_config(d, latency_ms, nodes=None):
    path = os.path.join(d, "config.yaml")
    with open(path, "w") as f:
        f.write(f"mock:\n  latency_ms: {latency_ms}\n  message_bytes: 2048\n")
        f.write("memory:\n  enabled: false\nedge:\n  rate_limit_per_s: 0\n")
        if os.environ.get("EDGE_IO_THREADS"):
            f.write(f"  io_threads: {os.environ['EDGE_IO_THREADS']}\n")
        if nodes:
            f.write("cluster:\n  nodes:\n")
            for n in nodes:
                f.write("    - {" + ", ".join(f"{k}: {v}" for k, v in n.items()) + "}\n")
    return path


class servers:
    """One `aragora serve`, or an edge and two workers."""

    def __init__(self, mode, latency_ms):
        self.dir = tempfile.mkdtemp(prefix=f"aragora-cluster-bench-{mode}-")
        self.http = free_port()
        self.procs = {}
        self.mode = mode
        if mode == "single":
            self.config = write_config(self.dir, latency_ms)
            self.start("serve", [BIN, "--config", self.config, "serve", "--port", str(self.http),
                                 "--ws-port", str(free_port()), "--data-dir", os.path.join(self.dir, "data")])
        else:
            nodes = [dict(name="edge", actor_port=free_port(), http_port=self.http, ws_port=free_port(),
                          roles="[edge, journal, ranking]"),
                     dict(name="worker-1", actor_port=free_port(), roles="[worker]"),
                     dict(name="worker-2", actor_port=free_port(), roles="[worker]")]
            self.config = write_config(self.dir, latency_ms, nodes)
            for n in nodes:
                self.start(n["name"], [BIN, "--config", self.config, "node", "--name", n["name"],
                                       "--data-dir", os.path.join(self.dir, n["name"])])
        self.wait_ready()

    def start(self, name, argv):
        log = open(os.path.join(self.dir, name + ".log"), "w")
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self):
        deadline = time.time() + 30
        c = client(self.http)
        while time.time() < deadline:
            try:
                if self.mode == "single":
                    if c.call("GET", "/healthz")[0] == 200:
                        return
                else:
                    status, body = c.call("GET", "/api/v1/cluster/nodes")
                    if status == 200 and all(n["status"] == "up" for n in body["nodes"]):
                        return
            except Exception:
                pass
            time.sleep(0.1)
        raise SystemExit(f"not ready after 30 s; logs in {self.dir}")

    def cpu_seconds(self):
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for p in self.procs.values():
            try:
                with open(f"/proc/{p.pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
            except OSError:
                pass
        return total

    def stop(self):
        for p in self.procs.values():
            p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def ended(c):
    """Debates completed or failed, counted page by page (the list says has_more, not a total)."""
    n = 0
    for status_name in ("completed", "failed"):
        offset = 0
        while True:
            status, body = c.call("GET", f"/api/v1/debates?status={status_name}&limit=500&offset={offset}")
            if status != 200:
                break
            n += body.get("count", 0)
            if not body.get("has_more"):
                break
            offset += 500
    return n


def throughput_run(mode, n, clients):
    s = servers(mode, 0)
    try:
        ids, errors = [], []
        lock = threading.Lock()
        per = [n // clients + (1 if i < n % clients else 0) for i in range(clients)]

        def create(k):
            c = client(s.http)
            for _ in range(k):
                status, body = c.call("POST", "/api/v1/debates", W)
                with lock:
                    (ids if status == 200 else errors).append(body.get("debate_id") or body)

        cpu0 = s.cpu_seconds()
        t0 = time.time()
        threads = [threading.Thread(target=create, args=(k,)) for k in per]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        created = time.time() - t0
        c = client(s.http)
        deadline = time.time() + 300
        while ended(c) < len(ids) and time.time() < deadline:
            time.sleep(0.02)
        wall = time.time() - t0
        cpu = s.cpu_seconds() - cpu0
        lat, failed = [], 0
        for i in ids:
            status, d = c.call("GET", f"/api/v1/debates/{i}")
            if status != 200 or d.get("status") != "completed":
                failed += 1
                continue
            lat.append(iso_ms(d["completed_at"]) - iso_ms(d["created_at"]))
        lat.sort()
        return {"mode": mode, "debates": n, "created": len(ids), "refused": len(errors), "failed": failed,
                "seconds": round(wall, 3), "create_seconds": round(created, 3),
                "debates_per_s": round(len(ids) / wall, 1),
                "server_cpu_ms_per_debate": round(1000 * cpu / max(1, len(ids)), 3),
                "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "max_ms": lat[-1] if lat else None}
    finally:
        s.stop()


def iso_ms(t):
    # 2026-12-01T23:45:59.665Z
    import datetime
    return datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000


def pct(xs, p):
    if not xs:
        return None
    return round(xs[min(len(xs) - 1, int(len(xs) * p / 100))], 1)


def failover_run(k):
    s = servers("cluster", 100)
    try:
        c = client(s.http)
        ids = []
        for _ in range(k):
            status, body = c.call("POST", "/api/v1/debates", dict(W, rounds=12))
            if status == 200:
                ids.append(body["debate_id"])
        time.sleep(1.0)  # a few steps committed
        nodes = {n["name"]: n for n in c.call("GET", "/api/v1/cluster/nodes")[1]["nodes"]}
        victim = max(("worker-1", "worker-2"), key=lambda w: nodes[w]["debates_in_flight"])

        def events(i):
            status, body = c.call("GET", f"/api/v1/debates/{i}/events?limit=500")
            return len(body.get("events", [])) if status == 200 else 0

        before = {i: events(i) for i in ids}
        killed = time.time()
        s.procs[victim].kill()
        s.procs[victim].wait()
        # The moved ones: their log stops growing until they resume. Poll them all; a debate
        # on the other worker grows at once and is left out by the placement's answer below.
        first = {}
        deadline = killed + 30
        while time.time() < deadline and len(first) < len(ids):
            for i in ids:
                if i not in first and events(i) > before[i]:
                    first[i] = time.time() - killed
                    before[i] = events(i)
            time.sleep(0.01)
        # Which were on the victim: those that grew last (the others grew within a step).
        moved = sorted(first.values())[-int(nodes[victim]["debates_in_flight"]):] if first else []
        return {"debates": len(ids), "victim": victim, "moved": int(nodes[victim]["debates_in_flight"]),
                "first_resumed_step_ms": {"min": round(1000 * min(moved), 1) if moved else None,
                                          "max": round(1000 * max(moved), 1) if moved else None}}
    finally:
        s.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--debates", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--kill-debates", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    out = {"runs": [], "failover": []}
    for r in range(a.runs):
        for mode in ("single", "cluster"):  # side by side, alternating
            res = throughput_run(mode, a.debates, a.clients)
            out["runs"].append(res)
            if not a.json:
                print(json.dumps(res), flush=True)
    for r in range(a.runs):
        res = failover_run(a.kill_debates)
        out["failover"].append(res)
        if not a.json:
            print(json.dumps(res), flush=True)
    med = {}
    for mode in ("single", "cluster"):
        xs = [r["debates_per_s"] for r in out["runs"] if r["mode"] == mode]
        med[mode] = statistics.median(xs)
    out["median_debates_per_s"] = med
    out["cluster_vs_single"] = round(med["cluster"] / med["single"], 3)
    print(json.dumps(out if a.json else {"median_debates_per_s": med, "cluster_vs_single": out["cluster_vs_single"]}))


if __name__ == "__main__":
    main()
