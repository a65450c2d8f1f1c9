#!/bin/bash
# A Redfish power cycle of a lab VM: mb-redfish → mb-poe's `command` driver → lab/power.sh, which
# starts/stops the arm64 VM (AAVMF) like a PoE port powers a Pi. Checked: PowerState follows, the VM
# really runs/stops, it netboots the payload after power-on; a boot override PATCH (Pxe, Once)
# changes the device's firmware/<mac>.json, and the varstore rendered at the next power-on carries
# BootNext, which EDK2 then follows.
. "$(dirname "$0")/e2e_lib.sh"
MAC=52:54:00:6d:62:31 SYS=e2e-rf
e2e_need_host arm64-uefi
e2e_need_daemons dhcp tftp http redfish
e2e_need_content ipxe arm64
e2e_lab_up
lab_tree_device "$TREE" "$SYS" arm64-uefi "$MAC" 4 true mb.hold
e2e_start_servers dhcp tftp http redfish
S=$LAB_DIR/logs/$SYS.serial.log D=$(lab_dashed "$MAC")
POWER="bash $LAB_LIB/power.sh --lab $LAB_DIR"
TCAP=$(lab_capture_start "$SYS" "$LAB_DIR/pcap/$SYS.pcap"); lab_track "$TCAP"
TO=${MB_E2E_BOOT_TIMEOUT:-200}
vm_pid() { cat "$LAB_DIR/run/vm-$D.pid" 2>/dev/null; }

lab_rf GET "/redfish/v1/Systems/$SYS" >/dev/null
[ "$LAB_RF_STATUS" = 200 ] || e2e_fail "GET /redfish/v1/Systems/$SYS: HTTP $LAB_RF_STATUS"
e2e_check "PowerState Off before power-on" lab_rf_wait_power "$SYS" Off 10

# 1. On: the command driver starts the VM, which netboots and holds
t0=$(lab_now)
e2e_check "Reset On accepted" lab_rf_reset "$SYS" On
e2e_check "PowerState On" lab_rf_wait_power "$SYS" On 30
e2e_check "the VM runs (lab/power.sh status)" test "$($POWER status "$MAC")" = on
if lab_wait_for "$S" 'MB-LAB-MARKER holding' "$TO" "$(vm_pid)"; then
    e2e_ok "powered on through Redfish, netbooted the payload in $(lab_since "$t0")s"
else
    e2e_fail "no payload after power-on (serial: $S)"
fi
pid1=$(vm_pid)

# 2. ForceOff: the VM stops
e2e_check "Reset ForceOff accepted" lab_rf_reset "$SYS" ForceOff
e2e_check "PowerState Off" lab_rf_wait_power "$SYS" Off 30
e2e_check "the VM process is gone" bash -c "! kill -0 $pid1 2>/dev/null"

# 3. Boot override PXE Once: firmware/<mac>.json changes, the next rendered varstore has BootNext
before=$(sha256sum < "$TREE/firmware/$D.json")
lab_rf PATCH "/redfish/v1/Systems/$SYS" '{"Boot": {"BootSourceOverrideTarget": "Pxe", "BootSourceOverrideEnabled": "Once"}}' >/dev/null
[[ $LAB_RF_STATUS == 20? ]] && e2e_ok "PATCH boot override Pxe/Once: HTTP $LAB_RF_STATUS" || e2e_fail "PATCH boot override: HTTP $LAB_RF_STATUS"
e2e_check "Boot.BootSourceOverrideTarget reads back Pxe" test "$(lab_rf_get_field "/redfish/v1/Systems/$SYS" Boot.BootSourceOverrideTarget)" = Pxe
e2e_check "firmware/$D.json changed" test "$(sha256sum < "$TREE/firmware/$D.json")" != "$before"
BOOTNEXT=$(/usr/bin/python3 -c 'import json,sys
for v in json.load(open(sys.argv[1])).get("variables", []):
    if v.get("name") == "BootNext": d=bytes.fromhex(v["data"]); print("Boot%04X" % int.from_bytes(d[:2], "little"))' "$TREE/firmware/$D.json")
[ -n "$BOOTNEXT" ] && e2e_ok "firmware/$D.json sets BootNext = $BOOTNEXT" || e2e_fail "firmware/$D.json has no BootNext"

# 4. PowerCycle (from Off: On): the power driver renders the varstore, EDK2 follows BootNext
: > "$S"
e2e_check "Reset On (after override) accepted" lab_rf_reset "$SYS" On
e2e_check "PowerState On again" lab_rf_wait_power "$SYS" On 30
# the variable name is UTF-16LE in the store
# (EDK2 deletes BootNext from the store as it boots: the render's own report is the evidence)
e2e_check "the varstore rendered at power-on carried BootNext" grep -q "BootNext $BOOTNEXT consumed by this boot" "$LAB_DIR/logs/power.log"
if lab_wait_for "$S" 'MB-LAB-MARKER holding' "$TO" "$(vm_pid)"; then
    e2e_ok "booted again after the override"
else
    e2e_fail "no payload after the second power-on (serial: $S)"
fi
if [ -n "$BOOTNEXT" ]; then
    # EDK2 tries BootNext before BootOrder: "loading BootNNNN" or "failed to load BootNNNN ...: <why>"
    l=$(grep -aE -m1 "BdsDxe: (loading|failed to load) $BOOTNEXT" "$S" | tr -d '\r' | sed 's/\x1b\[[0-9;=]*[a-zA-Z]//g; s/.*BdsDxe/BdsDxe/')
    if [ -z "$l" ]; then e2e_fail "EDK2 did not try $BOOTNEXT first (serial: $S)"
    else
        e2e_ok "EDK2 followed BootNext: ${l:0:160}"
        [[ $l == *"failed to load"* ]] && echo "note: EDK2 could not load the override's own entry and fell back to BootOrder (see the report on short-form device paths)"
    fi
fi
pid2=$(vm_pid)
e2e_check "Reset PowerCycle accepted" lab_rf_reset "$SYS" PowerCycle
for i in $(seq 1 60); do [ "$(vm_pid)" != "$pid2" ] && [ -n "$(vm_pid)" ] && break; sleep 0.5; done
e2e_check "PowerCycle restarted the VM (new process)" test -n "$(vm_pid)" -a "$(vm_pid)" != "$pid2"
e2e_check "Reset ForceOff at the end" lab_rf_reset "$SYS" ForceOff
lab_rf_wait_power "$SYS" Off 30 || e2e_fail "PowerState not Off at the end"
lab_capture_stop "$TCAP"
e2e_finish
