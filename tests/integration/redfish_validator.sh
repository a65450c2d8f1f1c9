#!/bin/bash
# DMTF Redfish-Service-Validator against mb-redfish, both inside a network namespace that has only
# `lo` (the validator follows every link and must not reach any other host). Needs exported
# snapshots (no pip): RF_VALIDATOR_DIR containing Redfish-Service-Validator/,
# python-redfish-library/, Redfish-Tacklebox/ and SchemaFiles/ (DMTF/Redfish-Publications csdl/*.xml),
# and optionally Redfish-Protocol-Validator/ with stubs/ (aenum.py, sseclient.py; redfish.md §6.3).
# Goal: 0 FAIL from both.
set -u
BIN=${MB_BIN:?}/mb-redfish
[ -x "$BIN" ] || BIN=${MB_BIN}/mb-redfish/mb-redfish
W=${RF_VALIDATOR_DIR:-}
if [ -z "$W" ] || [ ! -f "$W/Redfish-Service-Validator/RedfishServiceValidator.py" ]; then
    echo "SKIP: RF_VALIDATOR_DIR does not hold the DMTF validator snapshots (see the header of $0)" >&2
    exit 77
fi
for m in requests requests_toolbelt requests_unixsocket jsonpatch colorama openpyxl lxml; do
    /usr/bin/python3 -c "import $m" 2>/dev/null || { echo "SKIP: python3 module $m missing" >&2; exit 77; }
done
NS=mbtredfish$$
LAB=$(mktemp -d /tmp/mbtredfishv.XXXXXX)
RF_PID=
cleanup() { [ -n "$RF_PID" ] && kill "$RF_PID" 2>/dev/null; wait 2>/dev/null; ip netns del "$NS" 2>/dev/null; rm -rf "$LAB"; }
trap cleanup EXIT
ip netns add "$NS" || { echo "SKIP: cannot create a network namespace" >&2; exit 77; }
ip -n "$NS" link set lo up
mkdir -p "$LAB/root/devices" "$LAB/root/firmware"
cp "${MB_FIXTURES:?}/efi/pi4-d83add5a440c.vars.json" "$LAB/root/firmware/d8-3a-dd-5a-44-0c.json"
cat > "$LAB/root/metal-boot.yaml" <<CONF
redfish:
  address: 127.0.0.1
  port: 8443
  users: [{name: admin, password: admin-pass, role: Administrator}]
poe:
  switches:
    - {name: vms, driver: command, command: {on: "true", off: "true", status: "echo on"}}
CONF
printf 'name: rpi-01\npower: {switch: vms, port: 1}\n' > "$LAB/root/devices/d8-3a-dd-5a-44-0c.yaml"
ip netns exec "$NS" "$BIN" --root "$LAB/root" serve 2>"$LAB/mb-redfish.log" &
RF_PID=$!
for _ in $(seq 100); do ip netns exec "$NS" curl -sk -o /dev/null https://127.0.0.1:8443/redfish/v1/ && break; sleep 0.1; done
cd "$W/Redfish-Service-Validator" || exit 1
env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE PYTHONPATH="$W/python-redfish-library/src:$W/Redfish-Tacklebox" \
    ip netns exec "$NS" /usr/bin/python3 RedfishServiceValidator.py -r https://127.0.0.1:8443 -u admin -p admin-pass \
    --authtype Session --schema_directory "$W/SchemaFiles" --logdir "$LAB/logs" >"$LAB/out" 2>&1
rc=$?
grep -A4 "PASS" "$LAB/out" | tail -4
if [ $rc -ne 0 ]; then
    grep -h "FAIL -" "$LAB"/logs/*/*.log | sort -u | head -20 >&2
    echo "FAIL: Redfish-Service-Validator exited $rc" >&2
    exit 1
fi
echo "PASS: Redfish-Service-Validator, no FAIL"
if [ -f "$W/Redfish-Protocol-Validator/rf_protocol_validator.py" ] && [ -d "$W/stubs" ]; then
    cd "$W/Redfish-Protocol-Validator" || exit 1
    env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE PYTHONPATH="$W/stubs" ip netns exec "$NS" /usr/bin/python3 \
        rf_protocol_validator.py -r https://127.0.0.1:8443 -u admin -p admin-pass --no-cert-check \
        --avoid-http-redirect --report-dir "$LAB/pv" >"$LAB/pv.out" 2>&1
    grep "Summary" "$LAB/pv.out"
    grep -q "FAIL: 0," "$LAB/pv.out" || { echo "FAIL: Redfish-Protocol-Validator reported failures" >&2; exit 1; }
    echo "PASS: Redfish-Protocol-Validator, no FAIL"
fi
