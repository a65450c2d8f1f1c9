#!/bin/bash
# mb-redfish never waits for a switch on its I/O thread: with one switch whose status read hangs
# (a `command` driver that sleeps 20 s, standing in for an unreachable SNMP agent or controller),
# GETs of a device behind another switch — and of the hanging device itself — still answer at
# once, PowerState comes from a background reading, and after a power action the Task completes
# with PowerState already current (read right after the action, not on the next poll).
set -u
BIN=${MB_BIN:?}/mb-redfish
[ -x "$BIN" ] || BIN=${MB_BIN}/mb-redfish/mb-redfish
command -v curl >/dev/null || { echo "SKIP: curl missing" >&2; exit 77; }
LAB=$(mktemp -d /tmp/mbtrfslow.XXXXXX)
RF_PID=
cleanup() { [ -n "$RF_PID" ] && kill "$RF_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$LAB"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$LAB/mb-redfish.log" ] && tail -20 "$LAB/mb-redfish.log" >&2; exit 1; }
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTPS=$(port)
HTTP=$(port)
mkdir -p "$LAB/root/devices"
echo on >"$LAB/fast-power"
cat >"$LAB/root/metal-boot.yaml" <<CONF
redfish:
  address: 127.0.0.1
  port: $HTTPS
  http_port: $HTTP
  http_credentials: true
  users: [{name: admin, password: admin-pass, role: Administrator}]
poe:
  cycle_delay_ms: 200
  poll_ms: 50
  switches:
    - {name: hung, driver: command, command: {on: "true", off: "true", status: "sleep 20; echo on", timeout_ms: 25000}}
    - {name: fast, driver: command, command: {on: "echo on > $LAB/fast-power", off: "sleep 0.3; echo off > $LAB/fast-power", status: "cat $LAB/fast-power"}}
CONF
printf 'name: rpi-hung\npower: {switch: hung, port: 1}\n' >"$LAB/root/devices/d8-3a-dd-5a-44-01.yaml"
printf 'name: rpi-fast\npower: {switch: fast, port: 1}\n' >"$LAB/root/devices/d8-3a-dd-5a-44-02.yaml"
"$BIN" --root "$LAB/root" serve 2>"$LAB/mb-redfish.log" &
RF_PID=$!
B=http://127.0.0.1:$HTTP/redfish/v1
for _ in $(seq 100); do curl -s -o /dev/null "$B/" && break; sleep 0.1; done
get() {  # get PATH → "<seconds> <PowerState>"; at most 3 s
    local out
    out=$(curl -s -u admin:admin-pass --max-time 3 -w '\n%{time_total}' "$B$1") || { echo "timeout"; return; }
    local t=${out##*$'\n'}
    local body=${out%$'\n'*}
    echo "$t $(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("PowerState"))' "$body" 2>/dev/null)"
}
# The hung switch's first reading (started at start-up) is in flight for 20 s now.
state=
for i in $(seq 40); do
    read -r t state < <(get /Systems/rpi-fast)
    [ "$t" = timeout ] && fail "GET rpi-fast timed out while the other switch hangs"
    awk -v t="$t" 'BEGIN { exit !(t < 0.5) }' || fail "GET rpi-fast took ${t}s while the other switch hangs"
    [ "$state" = On ] && break
    sleep 0.05
done
[ "$state" = On ] || fail "rpi-fast PowerState $state, expected On from the background reading"
echo "ok: rpi-fast answers at once with PowerState On while switch 'hung' hangs"
for i in 1 2 3; do
    read -r t state < <(get /Systems/rpi-hung)
    [ "$t" = timeout ] && fail "GET rpi-hung timed out (the I/O thread waited for the switch)"
    awk -v t="$t" 'BEGIN { exit !(t < 0.5) }' || fail "GET rpi-hung took ${t}s"
    [ "$state" = None ] || fail "rpi-hung PowerState $state before any reading, expected null"
done
echo "ok: rpi-hung answers at once with PowerState null (not read yet)"
# A power action: the Task completes only once the port was read again, so the next GET is current.
loc=$(curl -s -u admin:admin-pass -D - -o /dev/null -X POST -H 'Content-Type: application/json' \
    --data '{"ResetType":"ForceOff"}' "$B/Systems/rpi-fast/Actions/ComputerSystem.Reset" |
    tr -d '\r' | awk -F': ' 'tolower($1)=="location" {print $2}')
[ -n "$loc" ] || fail "Reset gave no Task monitor"
task=${loc/TaskMonitors/Tasks}
for _ in $(seq 100); do
    ts=$(curl -s -u admin:admin-pass "http://127.0.0.1:$HTTP$task" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["TaskState"])')
    [ "$ts" = Completed ] && break
    sleep 0.05
done
[ "$ts" = Completed ] || fail "ForceOff task $ts"
read -r t state < <(get /Systems/rpi-fast)
[ "$state" = Off ] || fail "PowerState $state right after the ForceOff task completed, expected Off"
echo "ok: PowerState Off as soon as the ForceOff task completed"
# The hung switch still has not answered, and the service still answers promptly.
read -r t state < <(get /Systems/rpi-hung)
awk -v t="$t" 'BEGIN { exit !(t < 0.5) }' || fail "GET rpi-hung took ${t}s"
echo "PASS: no request waits for a switch"
