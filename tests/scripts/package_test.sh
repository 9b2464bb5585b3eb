#!/usr/bin/env bash
# The Debian package (issue 13): `cpack -G DEB` in the build dir builds it; it holds the
# binaries, the example cluster files, the dashboard and alert rules, the runbook and the
# systemd units; the units pass `systemd-analyze verify` against the package's own tree; and
# docs/operations.md's "From the package to a three-node cluster with dashboards" works on one
# host with the unpacked package: three nodes started by the unit's own command, all up, a
# benchmark through the edge, every metric of the packaged dashboard and rules exported, a backup.
#   tests/scripts/package_test.sh BUILD_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in ${pids[@]+"${pids[@]}"}; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "package_test: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack failed"; }
deb="$(ls "$work"/out/aragora_*.deb 2>/dev/null | head -1)"
[ -n "$deb" ] || fail "no aragora_*.deb in $work/out"

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/contents"
for f in /usr/bin/aragora /usr/bin/aragora-admin \
         /usr/lib/systemd/system/aragora.service /usr/lib/systemd/system/aragora-node@.service \
         /usr/share/aragora/cluster-config/local-3-node.yaml \
         /usr/share/aragora/cluster-config/single-node.yaml \
         /usr/share/aragora/cluster-config/production-example.yaml \
         /usr/share/aragora/monitoring/aragora-dashboard.json \
         /usr/share/aragora/monitoring/aragora-alerts.yml \
         /usr/share/doc/aragora/operations.md; do
  grep -qx "$f" "$work/contents" || fail "$f is not in the package"
done
[ "$(dpkg-deb -f "$deb" Package)" = aragora ] || fail "the package is not named aragora"
depends="$(dpkg-deb -f "$deb" Depends)"
case "$depends" in *librocksdb*) ;; *) fail "Depends lacks RocksDB: $depends" ;; esac

root="$work/root"
dpkg-deb -x "$deb" "$root"
# The units as the package ships them, but with their binary where the package was unpacked
# (verify checks that ExecStart is executable); a template is verified through an instance.
units="$root/usr/lib/systemd/system"
sed "s|/usr/bin/aragora|$root/usr/bin/aragora|" "$units/aragora.service" >"$work/aragora.service"
sed "s|/usr/bin/aragora|$root/usr/bin/aragora|" "$units/aragora-node@.service" >"$work/aragora-node@edge.service"
systemd-analyze verify --man=no "$work/aragora.service" "$work/aragora-node@edge.service" \
  >"$work/verify.log" 2>&1 || { cat "$work/verify.log" >&2; fail "systemd-analyze verify refused a unit"; }
if grep -v "Failed to connect\|bus\|Not running in a container" "$work/verify.log" | grep -q .; then
  cat "$work/verify.log" >&2
  fail "systemd-analyze verify warned"
fi
"$root/usr/bin/aragora" --version >/dev/null || fail "the packaged aragora does not run"
"$root/usr/bin/aragora-admin" --help >/dev/null 2>&1 || fail "the packaged aragora-admin does not run"
echo "package_test: $(basename "$deb"): $(wc -l <"$work/contents") entries, units verified, Depends: $depends"

# The runbook's walkthrough. Step 2: the cluster file, here the packaged one-host example on free
# ports (the package's /etc and /var/lib live under $root).
bin="$root/usr/bin"
etc="$root/etc/aragora"
mkdir -p "$etc"
ports="$(python3 -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')" || fail "no free ports"
read -r actor0 actor1 actor2 http ws <<<"$ports"
sed -e "s/actor_port: 7400/actor_port: $actor0/" -e "s/actor_port: 7401/actor_port: $actor1/" \
    -e "s/actor_port: 7402/actor_port: $actor2/" -e "s/http_port: 8080/http_port: $http/" \
    -e "s/ws_port: 8765/ws_port: $ws/" \
    "$root/usr/share/aragora/cluster-config/local-3-node.yaml" >"$etc/cluster.yaml"
grep -q "actor_port: $actor2" "$etc/cluster.yaml" || fail "local-3-node.yaml no longer has the ports this test moves"
# Step 4: each node as its unit starts it (ExecStart, %i the node's name).
exec_start="$(sed -n 's/^ExecStart=//p' "$units/aragora-node@.service")"
[ -n "$exec_start" ] || fail "aragora-node@.service has no ExecStart"
for node in edge worker-1 worker-2; do
  cmd="${exec_start//%i/$node}"
  cmd="${cmd//\/usr\/bin\//$bin/}"
  cmd="${cmd//\/etc\/aragora\//$etc/}"
  cmd="${cmd//\/var\/lib\/aragora\//$root/var/lib/aragora/}"
  mkdir -p "$root/var/lib/aragora/$node"  # the unit's StateDirectory
  # shellcheck disable=SC2086  # the unit's command line, split as systemd splits it
  $cmd </dev/null >"$work/$node.log" 2>&1 &
  pids+=($!)
done
# Step 5: three nodes up.
export ARAGORA_ENDPOINT="ws://127.0.0.1:$ws"
up=0
for _ in $(seq 1 150); do
  up="$("$bin/aragora-admin" --json nodes 2>/dev/null |
        python3 -c 'import json,sys; print(sum(n["status"] == "up" for n in json.load(sys.stdin)["nodes"]))' 2>/dev/null || echo 0)"
  [ "$up" = 3 ] && break
  sleep 0.2
done
[ "$up" = 3 ] || { tail -n 20 "$work"/*.log >&2; fail "aragora-admin nodes shows $up of 3 nodes up"; }
"$bin/aragora-admin" health | grep -q "status healthy" || fail "aragora-admin health is not healthy"
# Step 6: the baseline through the edge.
"$bin/aragora" benchmark --endpoint "$ARAGORA_ENDPOINT" --debates 40 --concurrent 10 --rounds 2 --json \
  >"$work/baseline.json" 2>"$work/baseline.err" || { cat "$work/baseline.err" >&2; fail "the baseline benchmark failed"; }
completed="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["completed"])' "$work/baseline.json")"
[ "$completed" = 40 ] || fail "the baseline completed $completed of 40 debates"
# Steps 7 and 8: the packaged dashboard and rules read only metrics the edge exports. The
# workers' ride their heartbeats (each second): wait for one that carries the benchmark's calls.
carried=no
for _ in $(seq 1 100); do
  if python3 -c 'import sys, urllib.request
text = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()
sys.exit(0 if "aragora_agent_call_duration_seconds_count{node=\"worker-" in text else 1)' \
    "http://127.0.0.1:$http/metrics"; then carried=yes; break; fi
  sleep 0.1
done
[ "$carried" = yes ] || fail "no worker's agent metrics reached the edge's /metrics within 10 s"
python3 "$(dirname "$0")/dashboard_test.py" --metrics "http://127.0.0.1:$http/metrics" \
  "$root/usr/share/aragora/monitoring/aragora-dashboard.json" \
  "$root/usr/share/aragora/monitoring/aragora-alerts.yml" || fail "a packaged panel or rule reads a metric the edge lacks"
# Step 9: a backup, beside the edge's data dir.
"$bin/aragora-admin" backup | grep -q "aragora/edge-backups" || fail "aragora-admin backup did not back the edge up beside its data dir"
# Stop as systemd does (SIGTERM, then SIGKILL after the unit's TimeoutStopSec=30s): every node
# exits cleanly, in time.
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || fail "node $p had already exited"; done
for p in "${pids[@]}"; do
  for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && { kill -9 "$p"; fail "node $p did not stop within 30 s of SIGTERM"; }
  rc=0
  wait "$p" || rc=$?
  [ "$rc" = 0 ] || { tail -n 20 "$work"/*.log >&2; fail "node $p exited $rc on SIGTERM"; }
done
pids=()
echo "package_test: the runbook's three-node walkthrough: 3 nodes up, $completed debates through the edge, dashboard metrics exported, backup taken, clean stop"
