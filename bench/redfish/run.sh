#!/bin/bash
# mb-redfish vs the DMTF Redfish-Mockup-Server (Python, the reference mockup) on loopback:
# GET of one ComputerSystem and a #ComputerSystem.Reset POST, 50 concurrent keep-alive clients
# (wrk), plain HTTP on both sides; prints req/s, p99 latency and the ratios.
#   MOCKUP_DIR  an export of DMTF/Redfish-Mockup-Server (redfishMockupServer.py + public-rackmount1)
#   DURATION    seconds per run (default 5)
# The Reset POST measures admission (202 + Task while fewer than 8 actions wait for the device,
# 503 + Retry-After beyond; both counted, the 2xx rate printed apart); the mockup only answers 204
# without doing anything.
# p99 is run-queue delay whenever other sessions are busy: with kernel.sched_autogroup_enabled=1 CPU
# is shared between sessions first, so even nice-19 builds elsewhere take about half of a 2-core
# machine. Report the load with every figure (printed below).
# Not part of ctest. Usage: bench/redfish/run.sh [build-dir]
set -eu
BUILD=${1:-build}
BIN=$BUILD/tools/mb-redfish
[ -x "$BIN" ] || BIN=$BUILD/tools/mb-redfish/mb-redfish
DURATION=${DURATION:-5}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
LAB=$(mktemp -d /tmp/mbbench-redfish.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$LAB"; }
trap cleanup EXIT
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTPS=$(port); HTTP=$(port); MOCK=$(port)
mkdir -p "$LAB/root/devices"
cat > "$LAB/root/metal-boot.yaml" <<CONF
log: {level: warn}
redfish:
  address: 127.0.0.1
  port: $HTTPS
  http_port: $HTTP
  http_credentials: true
  users: [{name: bench, password: bench-pass, role: Administrator}]
poe:
  switches:
    - {name: vms, driver: command, command: {on: "true", off: "true", status: "echo on"}}
CONF
printf 'name: rpi-01\npower: {switch: vms, port: 1}\n' > "$LAB/root/devices/d8-3a-dd-5a-44-0c.yaml"
"$BIN" --root "$LAB/root" --log-level warn serve 2>"$LAB/mb-redfish.log" &
PIDS+=($!)
AUTH="Authorization: Basic $(printf bench:bench-pass | base64)"
cat > "$LAB/reset.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"ResetType":"On"}'
wrk.headers["Content-Type"] = "application/json"
LUA
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$HTTP/redfish/v1/" && break; sleep 0.1; done

run() {  # run URL [wrk args...] → "req/s p99(ms) 2xx-answers/s"
    local out
    out=$(wrk -t2 -c50 -d"${DURATION}s" --latency "${@:2}" "$1" 2>&1)
    local rps p99 total non2xx
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$out")
    total=$(awk '/requests in/ {print $1}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    echo "$rps $p99 $(awk -v t="$total" -v n="${non2xx:-0}" -v d="$DURATION" 'BEGIN {printf "%.0f", (t-n)/d}')"
}

echo "mb-redfish: GET /redfish/v1/Systems/rpi-01 and Reset, 50 connections, ${DURATION}s each; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
read -r mb_get_rps mb_get_p99 mb_get_ok < <(run "http://127.0.0.1:$HTTP/redfish/v1/Systems/rpi-01" -H "$AUTH")
read -r mb_post_rps mb_post_p99 mb_post_ok < <(run "http://127.0.0.1:$HTTP/redfish/v1/Systems/rpi-01/Actions/ComputerSystem.Reset" -H "$AUTH" -s "$LAB/reset.lua")
printf '%-34s %10s req/s  p99 %8s ms  (%s/s 2xx)\n' "mb-redfish GET System" "$mb_get_rps" "$mb_get_p99" "$mb_get_ok"
printf '%-34s %10s req/s  p99 %8s ms  (%s/s 202 + Task, the rest 503 + Retry-After)\n' "mb-redfish POST Reset" "$mb_post_rps" "$mb_post_p99" "$mb_post_ok"

if [ -n "${MOCKUP_DIR:-}" ] && [ -f "$MOCKUP_DIR/redfishMockupServer.py" ]; then
    mkdir -p "$LAB/stubs"
    printf 'def post(*a, **k):\n    return None\n\ndef map(reqs, *a, **k):\n    return []\n' > "$LAB/stubs/grequests.py"
    (cd "$MOCKUP_DIR" && PYTHONPATH="$LAB/stubs" exec /usr/bin/python3 redfishMockupServer.py -H 127.0.0.1 -p "$MOCK" -S \
        -D public-rackmount1 >"$LAB/mockup.log" 2>&1) &
    PIDS+=($!)
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$MOCK/redfish/v1/" && break; sleep 0.1; done
    SYS=/redfish/v1/Systems/437XR1138R2
    read -r dm_get_rps dm_get_p99 dm_get_ok < <(run "http://127.0.0.1:$MOCK$SYS")
    read -r dm_post_rps dm_post_p99 dm_post_ok < <(run "http://127.0.0.1:$MOCK$SYS/Actions/ComputerSystem.Reset" -s "$LAB/reset.lua")
    printf '%-34s %10s req/s  p99 %8s ms  (%s/s 2xx)\n' "DMTF mockup server GET System" "$dm_get_rps" "$dm_get_p99" "$dm_get_ok"
    printf '%-34s %10s req/s  p99 %8s ms  (%s/s 2xx, a no-op 204)\n' "DMTF mockup server POST Reset" "$dm_post_rps" "$dm_post_p99" "$dm_post_ok"
    awk -v a="$mb_get_rps" -v b="$dm_get_rps" -v c="$mb_post_rps" -v d="$dm_post_rps" -v e="$mb_get_p99" -v f="$dm_get_p99" \
        'BEGIN { printf "ratio GET req/s %.1fx, POST req/s %.1fx, GET p99 %.1fx lower\n", a/b, c/d, f/e }'
else
    echo "MOCKUP_DIR not set: no peer run (export DMTF/Redfish-Mockup-Server and set MOCKUP_DIR)" >&2
fi
