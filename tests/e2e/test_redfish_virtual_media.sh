#!/bin/bash
# Redfish virtual media, end to end: InsertMedia of an ISO URL on the device's BMC Manager, a Cd
# boot override (Once), Reset On. mb-redfish writes a Boot#### MAC/IPv4(DHCP)/Uri(<image>) and
# BootNext into firmware/<mac>.json; the varstore rendered at power-on makes AAVMF's EDK2 (the same
# HttpBootDxe + RamDiskDxe as the Pi's UEFI) HTTP-boot the ISO from mb-http into a RAM disk and boot
# it like a CD: El Torito → \EFI\BOOT\BOOTAA64.EFI (GRUB) → the kernel and initrd on the ISO, with
# `mb.vmedia` on the command line (lab/iso.sh). EjectMedia then removes the option again.
. "$(dirname "$0")/e2e_lib.sh"
MAC=52:54:00:6d:62:33 SYS=e2e-vmedia
e2e_need_host arm64-uefi
e2e_need_daemons dhcp http redfish
e2e_need_content ipxe arm64
ISO=$(bash "$MB_SOURCE_DIR/lab/iso.sh" 2>"$MB_BUILD_DIR/e2e-iso.log") || {
    echo "FAIL: lab/iso.sh could not build the ISO: $(tail -3 "$MB_BUILD_DIR/e2e-iso.log")"
    exit 1
}
e2e_lab_up
lab_tree_device "$TREE" "$SYS" arm64-uefi "$MAC" 7 true
mkdir -p "$TREE/http/vmedia"
cp "$ISO" "$TREE/http/vmedia/boot-$SYS.iso"
IMAGE="http://$MB_LAB_SRV_IP:$MB_LAB_HTTP_PORT/vmedia/boot-$SYS.iso"
e2e_start_servers dhcp http redfish
S=$LAB_DIR/logs/$SYS.serial.log D=$(lab_dashed "$MAC")
CD=/redfish/v1/Managers/$SYS/VirtualMedia/Cd
TCAP=$(lab_capture_start "$SYS" "$LAB_DIR/pcap/$SYS.pcap"); lab_track "$TCAP"
TO=${MB_E2E_BOOT_TIMEOUT:-200}
fw_json() { /usr/bin/python3 -c 'import json,sys
vs={v["name"]: v["data"] for v in json.load(open(sys.argv[1])).get("variables", [])}
if sys.argv[2] == "next": print("Boot%04X" % int.from_bytes(bytes.fromhex(vs["BootNext"])[:2], "little") if "BootNext" in vs else "")
else: print(vs.get(sys.argv[2], ""))' "$TREE/firmware/$D.json" "$1"; }

# 1. the slot, then InsertMedia as Ironic's redfish-virtual-media boot does ({"Image": url})
e2e_check "GET $CD: empty" test "$(lab_rf_get_field "$CD" Inserted)" = False
lab_rf POST "$CD/Actions/VirtualMedia.InsertMedia" "{\"Image\": \"$IMAGE\"}" >/dev/null
[ "$LAB_RF_STATUS" = 204 ] && e2e_ok "InsertMedia $IMAGE: HTTP 204" || e2e_fail "InsertMedia: HTTP $LAB_RF_STATUS"
e2e_check "the slot reads back the image" test "$(lab_rf_get_field "$CD" Image)" = "$IMAGE"

# 2. Cd once: the device's variables get the virtual CD option and BootNext
lab_rf PATCH "/redfish/v1/Systems/$SYS" '{"Boot": {"BootSourceOverrideTarget": "Cd", "BootSourceOverrideEnabled": "Once"}}' >/dev/null
[[ $LAB_RF_STATUS == 20? ]] && e2e_ok "PATCH boot override Cd/Once: HTTP $LAB_RF_STATUS" || e2e_fail "PATCH Cd/Once: HTTP $LAB_RF_STATUS"
e2e_check "Boot.BootSourceOverrideTarget reads back Cd" test "$(lab_rf_get_field "/redfish/v1/Systems/$SYS" Boot.BootSourceOverrideTarget)" = Cd
BOOTNEXT=$(fw_json next)
if [ -n "$BOOTNEXT" ] && fw_json "$BOOTNEXT" | grep -q "$(printf '%s' "$IMAGE" | od -An -tx1 | tr -d ' \n')"; then
    e2e_ok "firmware/$D.json: BootNext = $BOOTNEXT, whose device path ends in Uri($IMAGE)"
else
    e2e_fail "firmware/$D.json has no BootNext to an option with the image URL (BootNext '$BOOTNEXT')"
fi

# 3. power on: EDK2 follows BootNext, HTTP-boots the ISO into a RAM disk, boots GRUB from it
t0=$(lab_now)
e2e_check "Reset On accepted" lab_rf_reset "$SYS" On
vm_pid() { cat "$LAB_DIR/run/vm-$D.pid" 2>/dev/null; }
for _ in $(seq 40); do [ -n "$(vm_pid)" ] && break; sleep 0.25; done
if lab_wait_for "$S" 'MB-LAB-MARKER payload up.*mb\.vmedia' "$TO" "$(vm_pid)"; then
    e2e_ok "booted the payload from the virtual CD in $(lab_since "$t0")s: $(grep -a -m1 'MB-LAB-MARKER payload up' "$S" | tr -d '\r' | cut -c1-160)"
else
    e2e_fail "no payload from the virtual CD (serial: $S)"
fi
e2e_check "the varstore rendered at power-on carried BootNext" grep -q "BootNext $BOOTNEXT consumed by this boot" "$LAB_DIR/logs/power.log"
e2e_check "EDK2 loaded $BOOTNEXT (the virtual CD option)" grep -aq "BdsDxe: loading $BOOTNEXT" "$S"
e2e_check "mb-http served the ISO to the firmware" grep -q "vmedia/boot-$SYS.iso.*status=200" "$LAB_DIR/logs/http.log"
e2e_check "GRUB ran from the CD image" grep -aq "Metal Boot lab GRUB (virtual CD): booting the payload" "$S"
e2e_check "no TFTP involved" test "$(tshark -r "$(lab_pcap_signal "$LAB_DIR/pcap/$SYS.pcap")" -Y 'tftp.opcode == 1' 2>/dev/null | wc -l)" = 0

# 4. EjectMedia: the option goes, the override with it
lab_rf POST "$CD/Actions/VirtualMedia.EjectMedia" >/dev/null
[ "$LAB_RF_STATUS" = 204 ] && e2e_ok "EjectMedia: HTTP 204" || e2e_fail "EjectMedia: HTTP $LAB_RF_STATUS"
e2e_check "the slot reads back empty" test "$(lab_rf_get_field "$CD" Inserted)" = False
e2e_check "firmware/$D.json no longer has $BOOTNEXT" test -z "$(fw_json "$BOOTNEXT")"
lab_rf_reset "$SYS" ForceOff || true
lab_capture_stop "$TCAP"
e2e_finish
