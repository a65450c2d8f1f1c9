#!/bin/bash
# DMTF Redfish-Service-Validator against mb-redfish, both inside a network namespace that has only
# `lo` (the validator follows every link and must not reach any other host). Needs exported
# snapshots (no pip): RF_VALIDATOR_DIR containing Redfish-Service-Validator/,
# python-redfish-library/, Redfish-Tacklebox/ and SchemaFiles/ (DMTF/Redfish-Publications csdl/*.xml),
# and optionally Redfish-Protocol-Validator/ with stubs/ (aenum.py, sseclient.py; redfish.md §6.3),
# and optionally Redfish-Interop-Validator/ with ironic/redfish-interop-profiles/ (OpenStack Ironic's
# profile v1.2.0; redfish.md §6.6).
# Goal: 0 FAIL from all three, except these known Interop-Validator findings, each checked precisely:
# - IndicatorLED absent (Recommended only; the service-level AnyOf check still prints FAIL);
# - Bios @Redfish.Settings SupportedApplyTimes (MinSupportValues OnReset): for a list-valued property
#   the validator (2.3.6, interop.py validatePropertyRequirement) recurses into each element under the
#   name `SupportedApplyTimes#<i>` and reads only the key `SupportedApplyTimes#<i>@Redfish.AllowableValues`
#   of the Settings object. `#` cannot occur in a property name, so no valid annotation can satisfy it;
#   the correctly placed `SupportedApplyTimes@Redfish.AllowableValues` is never read (checked by feeding
#   the validator's function both payloads). SupportedApplyTimes is read-only: the list itself states
#   the support, and ours contains OnReset (checked below). Only an empty or absent list would "pass".
#   With that one spot of the validator corrected (a list property's MinSupportValues compared with
#   the list itself, then the elements checked without it), the validator's summary is 84 Pass, 0 Fail.
set -u
BIN=${MB_BIN:?}/mb-redfish
[ -x "$BIN" ] || BIN=${MB_BIN}/mb-redfish/mb-redfish
W=${RF_VALIDATOR_DIR:-}
if [ -z "$W" ] || [ ! -f "$W/Redfish-Service-Validator/RedfishServiceValidator.py" ]; then
    echo "SKIP: RF_VALIDATOR_DIR does not hold the DMTF validator snapshots (see the header of $0)" >&2
    exit 77
fi
IV=
if [ -f "$W/Redfish-Interop-Validator/RedfishInteropValidator.py" ] &&
    [ -f "$W/ironic/redfish-interop-profiles/OpenStackIronicProfile.v1_2_0.json" ]; then
    IV="bs4 jsonschema"
else
    echo "NOTE: no Redfish-Interop-Validator/ + ironic/redfish-interop-profiles/ in $W: Interop-Validator not run" >&2
fi
for m in requests requests_toolbelt requests_unixsocket jsonpatch colorama openpyxl lxml $IV; do
    /usr/bin/python3 -c "import $m" 2>/dev/null || { echo "SKIP: python3 module $m missing" >&2; exit 77; }
done
NS=mbtredfish$$
LAB=$(mktemp -d /tmp/mbtredfishv.XXXXXX)
RF_PID=
cleanup() { [ -n "$RF_PID" ] && kill "$RF_PID" 2>/dev/null; wait 2>/dev/null; ip netns del "$NS" 2>/dev/null; rm -rf "$LAB"; }
trap cleanup EXIT
ip netns add "$NS" || { echo "SKIP: cannot create a network namespace" >&2; exit 77; }
ip -n "$NS" link set lo up
mkdir -p "$LAB/root/devices" "$LAB/root/firmware" "$LAB/root/state/dhcp/devices"
cp "${MB_FIXTURES:?}/efi/pi4-d83add5a440c.vars.json" "$LAB/root/firmware/d8-3a-dd-5a-44-0c.json"
# a base image and what mb-dhcp learned, so BiosVersion and MemorySummary are present and validated
cp "$MB_FIXTURES/efi/RPI_EFI-v1.40.fd" "$LAB/root/firmware/RPI_EFI.fd"
echo '{"observed": {"serial": "5a440c01", "revision": "d03111"}}' >"$LAB/root/state/dhcp/devices/d8-3a-dd-5a-44-0c.json"
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
if [ -n "$IV" ]; then
    cd "$W/Redfish-Interop-Validator" || exit 1
    env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE ip netns exec "$NS" /usr/bin/python3 RedfishInteropValidator.py \
        -r https://127.0.0.1:8443 -u admin -p admin-pass --authtype Session --no_online_profiles --logdir "$LAB/iv" \
        "$W/ironic/redfish-interop-profiles/OpenStackIronicProfile.v1_2_0.json" >"$LAB/iv.out" 2>&1
    grep -E "^\| (Pass|Fail|Warning|Not Tested) " "$LAB/iv.out" | tr -s ' ' | tr '\n' ' '
    echo
    ip netns exec "$NS" curl -sk -u admin:admin-pass https://127.0.0.1:8443/redfish/v1/Systems/rpi-01/Bios >"$LAB/bios.json"
    # Every FAIL row of the HTML report (it also holds the service-level checks, which the summary
    # count leaves out) must be one of the known findings, each recognised by its exact content.
    /usr/bin/python3 - "$LAB"/iv/InteropHtmlLog_*.html "$LAB/bios.json" <<'PY' || exit 1
import ast, html, json, re, sys
report, bios = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
rows = []
for tr in re.findall(r"<tr>(.*?)</tr>", report, re.S):
    cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
    if len(cells) == 5 and cells[4] in ("PASS", "FAIL", "WARN", "NOT TESTED"):
        rows.append(cells)
if sum(r[4] == "PASS" for r in rows) < 40:
    sys.exit(f"FAIL: only {len(rows)} result rows parsed from {sys.argv[1]}: report format changed?")
def known(name, expected, value):
    if name == "Comparison.ComputerSystem.IndicatorLED":  # Recommended; a Pi has no LED we drive
        return value == "['n/a']"
    if name == "SupportedApplyTimes#0.SupportedValues":  # validator limitation on list properties
        return value == "[]" and "OnReset" in bios["@Redfish.Settings"]["SupportedApplyTimes"]
    return False
bad = [r for r in rows if r[4] == "FAIL" and not known(r[0], r[1], r[3])]
for r in bad:
    print("unexpected:", " | ".join(r), file=sys.stderr)
if bad:
    sys.exit(f"FAIL: Redfish-Interop-Validator (Ironic profile 1.2.0): {len(bad)} failures beyond the known ones")
print("known findings:", ", ".join(r[0] for r in rows if r[4] == "FAIL"))
PY
    echo "PASS: Redfish-Interop-Validator (Ironic profile 1.2.0), no FAIL beyond the known findings"
fi
