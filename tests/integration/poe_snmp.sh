#!/bin/bash
# mb-poe against a real net-snmp snmpd serving a PSE (RFC 3621) through our pass_persist
# emulator (tests/integration/poe_pse_emu) on 127.0.0.1: v2c and v3, on/off/cycle/status, error
# mapping (read-only community, no such port, no agent, unknown device) and the command driver.
set -u
BIN=${MB_BIN:?}/mb-poe
[ -x "$BIN" ] || BIN=${MB_BIN}/mb-poe/mb-poe
SRC=${MB_SOURCE_DIR:?}
SNMPD=/usr/sbin/snmpd
if [ ! -x $SNMPD ]; then echo "SKIP: snmpd (package snmpd) is not installed" >&2; exit 77; fi
LAB=$(mktemp -d /tmp/mbtpoe.XXXXXX)
SNMPD_PID=
cleanup() { [ -n "$SNMPD_PID" ] && kill "$SNMPD_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$LAB"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$LAB/snmpd.log" ] && tail -5 "$LAB/snmpd.log" >&2; exit 1; }
PORT=$(( 20000 + RANDOM % 20000 ))
mkdir -p "$LAB/root/devices" "$LAB/persist"
cat > "$LAB/snmpd.conf" <<CONF
agentAddress udp:127.0.0.1:$PORT
rocommunity public  127.0.0.1
rwcommunity private 127.0.0.1
createUser mbv3 SHA "authpass123" AES "privpass123"
rwuser mbv3 priv
pass_persist .1.3.6.1.2.1.105 $SRC/tests/integration/poe_pse_emu
pass_persist .1.3.6.1.2.1.17 $SRC/tests/integration/poe_bridge_emu
pass_persist .1.0.8802.1.1.2 $SRC/tests/integration/poe_bridge_emu
CONF
# What the switch learned: a Pi on port 2 (BRIDGE-MIB), one on port 6 (Q-BRIDGE-MIB), one on port 4
# announced by LLDP (and also in the forwarding table on port 4), two MACs behind the uplink port 8,
# and a MAC on port 12, which is not a PSE port.
cat > "$LAB/bridge.json" <<'JSON'
{"fdb": {"d8:3a:dd:5a:44:0c": 2, "dc:a6:32:01:02:04": 4, "00:11:22:33:44:55": 8, "00:11:22:33:44:66": 8,
         "aa:00:00:00:00:0c": 12},
 "qfdb": {"dc:a6:32:01:02:06": [1, 6]},
 "lldp": {"4": "dc:a6:32:01:02:04"}}
JSON
cat > "$LAB/root/metal-boot.yaml" <<CONF
poe:
  cycle_delay_ms: 300
  settle_timeout_ms: 4000
  poll_ms: 100
  switches:
    - {name: sw1, driver: snmp, address: "udp:127.0.0.1:$PORT", snmp: {version: 2c, community: private, read_community: public}}
    - {name: sw3, driver: snmp, address: "udp:127.0.0.1:$PORT", snmp: {version: "3", user: mbv3, auth_password: authpass123, priv_password: privpass123}}
    - {name: ro, driver: snmp, address: "udp:127.0.0.1:$PORT", snmp: {version: 2c, community: public}}
    - {name: dead, driver: snmp, address: "udp:127.0.0.1:$((PORT + 1))", snmp: {timeout_ms: 200, retries: 0}}
    - name: cmd
      driver: command
      command: {on: "echo on > $LAB/cmd-{port}", off: "echo off > $LAB/cmd-{port}", status: "cat $LAB/cmd-{port}", timeout_ms: 5000}
    - name: broken
      driver: command
      command: {on: "echo 'relay offline' >&2; exit 69", off: "exit 69"}
CONF
printf 'power:\n  switch: sw1\n  port: 3\n' > "$LAB/root/devices/dc-a6-32-01-02-03.yaml"
printf 'power:\n  switch: cmd\n  port: 7\n' > "$LAB/root/devices/dc-a6-32-01-02-07.yaml"
printf 'name: pi-learned\n' > "$LAB/root/devices/d8-3a-dd-5a-44-0c.yaml"  # known device, port not yet
export BRIDGE_TABLES=$LAB/bridge.json
export MB_ROOT=$LAB/root PSE_STATE=$LAB/pse.json PSE_LOG=$LAB/pse.log PSE_PORTS=8 PSE_ON_DELAY=1
SNMP_PERSISTENT_DIR=$LAB/persist $SNMPD -f -C -c "$LAB/snmpd.conf" -m "" -Lf "$LAB/snmpd.log" &
SNMPD_PID=$!
for _ in $(seq 50); do
  snmpget -m '' -v2c -c public -On -t 0.2 -r 0 127.0.0.1:$PORT 1.3.6.1.2.1.105.1.1.1.3.1.1 >/dev/null 2>&1 && break
  sleep 0.1
done
O=1.3.6.1.2.1.105.1.1.1
expect_rc() { local want=$1; shift; "$@" >"$LAB/out" 2>"$LAB/err"; local rc=$?; [ $rc -eq "$want" ] || fail "$* exited $rc, expected $want: $(cat "$LAB/err")"; }

# status by MAC (device record power section), JSON output
expect_rc 0 "$BIN" --json status dc:a6:32:01:02:03
grep -q '"power":"on"' "$LAB/out" || fail "status: $(cat "$LAB/out")"
# off: the agent's AdminEnable and DetectionStatus follow (checked with net-snmp's snmpget)
expect_rc 0 "$BIN" off dc-a6-32-01-02-03
snmpget -m '' -v2c -c public -On -Oqv 127.0.0.1:$PORT $O.3.1.3 $O.6.1.3 | tr '\n' ' ' | grep -q '^2 1 ' || fail "agent not off"
expect_rc 0 "$BIN" status sw1:3 --json
grep -q '"power":"off"' "$LAB/out" || fail "status after off: $(cat "$LAB/out")"
# on: searching (PoweringOn) for PSE_ON_DELAY, then deliveringPower
expect_rc 0 "$BIN" on sw1:3
expect_rc 0 "$BIN" --json status sw1:3
grep -q '"power":"powering_on"' "$LAB/out" || fail "expected powering_on: $(cat "$LAB/out")"
sleep 1.2
expect_rc 0 "$BIN" --json status sw1:3
grep -q '"power":"on"' "$LAB/out" || fail "expected on: $(cat "$LAB/out")"
# cycle waits until power is delivered again (delay 300 ms + detection 1 s)
start=$(date +%s%N)
expect_rc 0 "$BIN" cycle sw1:5
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
[ $elapsed -ge 1200 ] || fail "cycle returned after $elapsed ms, before power was back"
grep -q "set (1, 3, 6, 1, 2, 1, 105, 1, 1, 1, 3, 1, 5) integer 2" "$LAB/pse.log" || fail "cycle did not switch port 5 off"
# SNMPv3 authPriv user
expect_rc 0 "$BIN" off sw3:4
expect_rc 0 "$BIN" --json status sw3:4
grep -q '"power":"off"' "$LAB/out" || fail "v3 status: $(cat "$LAB/out")"
expect_rc 0 "$BIN" on sw3:4
# fault injection: DetectionStatus fault(4) → status exits 69, cycle fails
/usr/bin/python3 - "$PSE_STATE" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); s.setdefault("detection", {})["6"] = 4; json.dump(s, open(sys.argv[1], "w"))
PY
expect_rc 69 "$BIN" --json status sw1:6
grep -q '"power":"fault"' "$LAB/out" || fail "fault status: $(cat "$LAB/out")"
expect_rc 69 "$BIN" cycle sw1:6 --timeout-ms 500
grep -q fault "$LAB/err" || fail "cycle fault message: $(cat "$LAB/err")"
# errors: read-only community, no such port, no agent, unknown device/switch, bad port
expect_rc 69 "$BIN" off ro:3;            grep -q noAccess "$LAB/err" || fail "noAccess: $(cat "$LAB/err")"
expect_rc 69 "$BIN" status sw1:9;        grep -q "does not exist" "$LAB/err" || fail "no such port"
expect_rc 69 "$BIN" status dead:1;       grep -q timeout "$LAB/err" || fail "timeout: $(cat "$LAB/err")"
expect_rc 66 "$BIN" status aa:bb:cc:dd:ee:ff
expect_rc 78 "$BIN" status nope:1
expect_rc 65 "$BIN" status sw1:x
expect_rc 66 "$BIN" status not-a-target
# the agent state is unchanged by the refused requests
snmpget -m '' -v2c -c public -On -Oqv 127.0.0.1:$PORT $O.3.1.3 | grep -q '^1$' || fail "port 3 changed"
# command driver: on/off/status with the exit-code/word contract
expect_rc 0 "$BIN" off dc:a6:32:01:02:07
expect_rc 0 "$BIN" --json status dc:a6:32:01:02:07
grep -q '"power":"off"' "$LAB/out" || fail "command status: $(cat "$LAB/out")"
expect_rc 0 "$BIN" cycle dc:a6:32:01:02:07
grep -q '^on$' "$LAB/cmd-7" || fail "command cycle did not end on"
expect_rc 69 "$BIN" on broken:1;          grep -q "relay offline" "$LAB/err" || fail "command error text"
# discover: LLDP and bridge tables → (MAC, PSE port); uplink and non-PSE ports skipped
expect_rc 0 "$BIN" --json discover sw1
want='{"mac":"d8:3a:dd:5a:44:0c","port":"2","source":"snmp:dot1dTpFdb","switch":"sw1"}
{"mac":"dc:a6:32:01:02:04","port":"4","source":"snmp:lldpRemTable","switch":"sw1"}
{"mac":"dc:a6:32:01:02:06","port":"6","source":"snmp:dot1dTpFdb","switch":"sw1"}'
got=$(/usr/bin/python3 -c 'import json,sys
for l in sys.stdin: print(json.dumps(json.loads(l), sort_keys=True, separators=(",", ":")))' <"$LAB/out")
[ "$got" = "$want" ] || fail "discover: $got"
expect_rc 0 "$BIN" discover sw3 --write  # SNMPv3 too, and remembered in state/poe/devices/
expect_rc 0 "$BIN" --json status d8:3a:dd:5a:44:0c
grep -q '"port":"2"' "$LAB/out" || fail "learned port not used: $(cat "$LAB/out")"
expect_rc 69 "$BIN" discover cmd  # the command driver cannot discover
echo "PASS: mb-poe SNMP v2c/v3 and command driver, SNMP discovery"
