#!/bin/bash
# arm64 UEFI HTTP boot (no TFTP at all): the device's firmware/<mac>.json gets an "HTTPv4" boot entry
# with the NIC's full device path + BootNext (mb-efivars boot add --next); the varstore rendered
# from it makes AAVMF's EDK2 HTTP-boot: DHCP as HTTPClient (arch 0x13) → mb-dhcp answers the URL of
# the arm64 loader on mb-http → our arm64 iPXE (→ per-device script) or, without an iPXE build,
# GRUB made from Debian's build (→ DHCP → grub.cfg + per-device config from mb-http) → kernel +
# initrd → marker.
. "$(dirname "$0")/e2e_lib.sh"
MAC=52:54:00:6d:62:32 N=e2e-httpboot
e2e_need_host arm64-uefi
e2e_need_daemons dhcp http
why=$(lab_require_daemon efivars boot) || e2e_skip "mb-efivars boot is needed: $why"
e2e_need_content ipxe arm64
e2e_lab_up
LOADER=$(lab_arm64_loader "$TREE")
[ -s "$TREE/http/ipxe/$LOADER" ] || e2e_fail "no arm64 loader $LOADER in the tree's http/ipxe"
lab_tree_device "$TREE" "$N" arm64-uefi "$MAC" 6
# virtio-net-pci is 00:01.0 on QEMU's virt machine (lab_vm_start adds it first)
PATH_TEXT="PciRoot(0x0)/Pci(0x1,0x0)/MAC($(echo "$MAC" | tr -d ':'),0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)/Uri()"
"$MB_BIN/mb-efivars" --root "$TREE" boot add --device "$MAC" --title "UEFI HTTPv4 (Metal Boot lab)" \
    --path "$PATH_TEXT" --number 0010 --next --inplace 2>>"$LAB_DIR/logs/efivars.log" ||
    e2e_fail "mb-efivars boot add (see logs/efivars.log)"
e2e_start_servers dhcp http
VARS=$LAB_DIR/run/$N.vars.fd
lab_render_varstore "$TREE" "$MAC" "$VARS" boot 2>>"$LAB_DIR/logs/render.log" || e2e_fail "rendering the varstore of $MAC"

if lab_boot "$N" arm64-uefi "$MAC" "${MB_E2E_BOOT_TIMEOUT:-200}" "$VARS"; then
    e2e_ok "arm64 UEFI HTTP boot → $LOADER → payload in ${LAB_BOOT_SECS}s: $(lab_boot_marker "$N")"
else
    e2e_fail "arm64 HTTP boot: $LAB_BOOT_STATUS after ${LAB_BOOT_SECS}s (serial: $LAB_DIR/logs/$N.serial.log)"
fi
S=$LAB_DIR/logs/$N.serial.log P=$(lab_pcap_signal "$LAB_DIR/pcap/$N.pcap")
e2e_check "EDK2 followed BootNext to the HTTPv4 entry" grep -aq 'BdsDxe: loading Boot0010' "$S"
n=$(tshark -r "$P" -Y "dhcp.option.dhcp == 1 && dhcp.option.vendor_class_id contains \"HTTPClient\" && dhcp.option.client_system_architecture == 19" 2>/dev/null | wc -l)
if [ "$n" -gt 0 ]; then e2e_ok "the firmware asked as an arm64 HTTP boot client (HTTPClient, arch 0x13)"; else e2e_fail "no HTTPClient arch 0x13 DISCOVER"; fi
u=$(tshark -r "$P" -Y "(dhcp.option.dhcp == 2 || dhcp.option.dhcp == 5) && dhcp.option.vendor_class_id == \"HTTPClient\"" -T fields -e dhcp.option.bootfile_name -e dhcp.file 2>/dev/null | head -1 | tr '\t' ' ')
if [[ $u == *http://*$LOADER* ]]; then e2e_ok "mb-dhcp answered HTTPClient with the loader URL: $u"; else e2e_fail "no HTTPClient answer with an http://…$LOADER URL (got '$u')"; fi
e2e_check "mb-http served $LOADER to the firmware (UefiHttpBoot)" grep -q "$LOADER.*status=200.*UefiHttpBoot" "$LAB_DIR/logs/http.log"
if [ "$LOADER" = grubnetaa64.efi ]; then
    e2e_check "GRUB loaded its config and this device's from mb-http" grep -q "grub/$MAC.cfg.*status=200" "$LAB_DIR/logs/http.log"
fi
rrq=$(tshark -r "$P" -Y 'tftp.opcode == 1' 2>/dev/null | wc -l)
if [ "$rrq" = 0 ]; then e2e_ok "no TFTP involved"; else e2e_fail "$rrq TFTP requests in an HTTP boot"; fi
e2e_decode dhcp "$MAC" 'HTTPClient'
e2e_finish
