#!/usr/bin/env bash
# The Debian package (issue 13): `cpack -G DEB` in the build dir builds it; it holds the
# binaries, the example cluster files, the dashboard and alert rules, the runbook and the
# systemd units; the units pass `systemd-analyze verify` against the package's own tree; the
# packaged binary runs.
#   tests/scripts/package_test.sh BUILD_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
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
