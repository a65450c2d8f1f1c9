#!/usr/bin/env bash
# The remote-backend layer against a real etcd (Debian's etcd-server, v3 JSON gateway) on loopback:
# records under <prefix>hw/<mac> merge between metal-boot.yaml defaults and devices/<mac>.yaml; an
# unreachable backend is a warning, never a failure.
set -uo pipefail
command -v etcd >/dev/null || { echo "SKIP: etcd not installed (packaging/extra-packages.txt)"; exit 77; }
# Any tool: they all share the config verbs (the first one that has them, so that one tool that
# does not yet is reported by cli_docs rather than failing this test too).
TOOL=""
for t in "$MB_BIN"/mb-*; do "$t" __complete spec >/dev/null 2>&1 && { TOOL=$t; break; }; done
[ -n "$TOOL" ] || { echo "FAIL: no built tool has the shared config verbs"; exit 1; }
root=$(mktemp -d)
port=$((23000 + RANDOM % 2000))
etcd --name mbtest --data-dir "$root/etcd" --listen-client-urls "http://127.0.0.1:$port" \
  --advertise-client-urls "http://127.0.0.1:$port" --listen-peer-urls "http://127.0.0.1:$((port + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((port + 1))" --initial-cluster "mbtest=http://127.0.0.1:$((port + 1))" \
  --initial-cluster-state new --listen-metrics-urls "http://127.0.0.1:$((port + 2))" >"$root/etcd.log" 2>&1 &
etcd_pid=$!
trap 'kill $etcd_pid 2>/dev/null; wait $etcd_pid 2>/dev/null; rm -rf "$root"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
E="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -sf "$E/health" >/dev/null && break; sleep 0.1; done
b64() { printf %s "$1" | base64 -w0; }
curl -sf -X POST "$E/v3/kv/put" -d "{\"key\":\"$(b64 /metalboot/hw/dc:a6:32:01:02:03)\",\"value\":\"$(b64 '{"hostname":"shared-01","netboot":{"console":"tty1","kernel_args":"from-etcd"}}')\"}" >/dev/null \
  && ok "record stored in etcd" || bad "etcd put failed: $(tail -5 "$root/etcd.log")"

t="$root/tree"; mkdir -p "$t/devices"
printf 'backend:\n  type: etcd\n  endpoints: [%s]\ndefaults:\n  netboot:\n    console: ttyAMA0\n' "$E" > "$t/metal-boot.yaml"
printf 'netboot:\n  kernel_args: local-wins\n' > "$t/devices/dc-a6-32-01-02-03.yaml"
"$TOOL" --root "$t" config show dc:a6:32:01:02:03 --json --sources > "$root/out" 2>"$root/err"
/usr/bin/python3 - "$root/out" <<'PY' && ok "etcd layer merged between defaults and the device file" || bad "merge: $(cat "$root/out") $(cat "$root/err")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["hostname"] == "shared-01", d
assert d["netboot"]["console"] == "tty1", d["netboot"]
assert d["netboot"]["kernel_args"] == "local-wins", d["netboot"]
assert d["sources"]["hostname"].startswith("etcd:http://127.0.0.1:"), d["sources"]
PY
curl -sf -X POST "$E/v3/kv/put" -d "{\"key\":\"$(b64 /metalboot/hw/dc:a6:32:01:02:09)\",\"value\":\"$(b64 '{"netboot":{"allow_pxe":"perhaps"}}')\"}" >/dev/null
"$TOOL" --root "$t" config check 2>"$root/err"; rc=$?
[ $rc = 78 ] && grep -q "etcd:.*dc:a6:32:01:02:09.*netboot.allow_pxe: expected true or false, got 'perhaps'" "$root/err" \
  && ok "an invalid remote record is an error naming its key" || bad "invalid remote record: rc=$rc $(cat "$root/err")"

kill $etcd_pid; wait $etcd_pid 2>/dev/null
"$TOOL" --root "$t" config check 2>"$root/err"; rc=$?
[ $rc = 0 ] && grep -q "remote backend unavailable" "$root/err" && ok "backend down: warning, local records still served" \
  || bad "backend down: rc=$rc $(cat "$root/err")"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
