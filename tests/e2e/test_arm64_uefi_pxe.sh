#!/bin/bash
# arm64 UEFI (AAVMF, -M virt -cpu cortex-a72) network boot through Metal Boot: EDK2 PXE → mb-dhcp
# (arch 11: snp.efi) → mb-tftp → our arm64 iPXE build → mb-dhcp (iPXE: script URL) → mb-http script
# → kernel + initrd → marker. The VM's varstore is the device's rendered firmware image.
. "$(dirname "$0")/e2e_lib.sh"
MAC=52:54:00:6d:62:30
e2e_need_host arm64-uefi
e2e_need_daemons dhcp tftp http
e2e_need_content ipxe
e2e_lab_up
[ -s "$TREE/tftp/snp.efi" ] || e2e_fail "no arm64 iPXE (lab/build-ipxe.sh)"
lab_tree_device "$TREE" e2e-arm64 arm64-uefi "$MAC" 2
e2e_start_servers dhcp tftp http
VARS=$LAB_DIR/run/e2e-arm64.vars.fd
lab_render_varstore "$TREE" "$MAC" "$VARS" 2>>"$LAB_DIR/logs/render.log" || e2e_fail "rendering the varstore of $MAC"

if lab_boot e2e-arm64 arm64-uefi "$MAC" "${MB_E2E_BOOT_TIMEOUT:-200}" "$VARS"; then
    e2e_ok "arm64 UEFI PXE → iPXE → script → payload in ${LAB_BOOT_SECS}s: $(lab_boot_marker e2e-arm64)"
else
    e2e_fail "arm64 boot: $LAB_BOOT_STATUS after ${LAB_BOOT_SECS}s (serial: $LAB_DIR/logs/e2e-arm64.serial.log)"
fi
S=$LAB_DIR/logs/e2e-arm64.serial.log
e2e_check "EDK2 PXE got snp.efi from the DHCP answer" grep -aq 'NBP filename is snp.efi' "$S"
e2e_check "our arm64 iPXE ran its embedded script" grep -aq 'Metal Boot iPXE arm64' "$S"
e2e_check "the arm64 payload booted with this device's script" grep -aq "arch=aarch64 .*mb.mac=$MAC" "$S"
e2e_decode dhcp "$MAC" 'snp.efi'
e2e_decode tftp 'snp.efi'
e2e_finish
