#!/bin/bash
# arm64 UEFI (AAVMF, -M virt -cpu cortex-a72) network boot through Metal Boot: EDK2 PXE → mb-dhcp
# (arch 11: the arm64 boot file) → mb-tftp → the arm64 loader → kernel + initrd from mb-http → marker.
# The loader is our arm64 iPXE build (→ mb-dhcp as iPXE: script URL → mb-http's per-device script)
# or, where iPXE cannot be built, Debian's netboot GRUB (→ grub/grub.cfg and the device's
# grub/<mac>.cfg from mb-tftp). The VM's varstore is the device's rendered firmware image.
. "$(dirname "$0")/e2e_lib.sh"
MAC=52:54:00:6d:62:30
e2e_need_host arm64-uefi
e2e_need_daemons dhcp tftp http
e2e_need_content ipxe arm64
e2e_lab_up
LOADER=$(lab_arm64_loader "$TREE")
[ -s "$TREE/tftp/$LOADER" ] || e2e_fail "no arm64 loader $LOADER in the tree"
lab_tree_device "$TREE" e2e-arm64 arm64-uefi "$MAC" 2
e2e_start_servers dhcp tftp http
VARS=$LAB_DIR/run/e2e-arm64.vars.fd
lab_render_varstore "$TREE" "$MAC" "$VARS" boot 2>>"$LAB_DIR/logs/render.log" || e2e_fail "rendering the varstore of $MAC"

if lab_boot e2e-arm64 arm64-uefi "$MAC" "${MB_E2E_BOOT_TIMEOUT:-200}" "$VARS"; then
    e2e_ok "arm64 UEFI PXE → $LOADER → payload in ${LAB_BOOT_SECS}s: $(lab_boot_marker e2e-arm64)"
else
    e2e_fail "arm64 boot: $LAB_BOOT_STATUS after ${LAB_BOOT_SECS}s (serial: $LAB_DIR/logs/e2e-arm64.serial.log)"
fi
S=$LAB_DIR/logs/e2e-arm64.serial.log
e2e_check "EDK2 PXE got $LOADER from the DHCP answer" grep -aq "NBP filename is $LOADER" "$S"
if [ "$LOADER" = snp.efi ]; then
    e2e_check "our arm64 iPXE ran its embedded script" grep -aq 'Metal Boot iPXE arm64' "$S"
else
    e2e_check "Debian's GRUB loaded grub.cfg from mb-tftp" grep -aq "Metal Boot lab GRUB arm64: $MAC" "$S"
    e2e_check "GRUB ran this device's config" grep -aq "booting the arm64 payload for $MAC (GRUB)" "$S"
    e2e_decode tftp "grub/$MAC.cfg"
fi
e2e_check "the arm64 payload booted with this device's kernel arguments" grep -aq "arch=aarch64 .*mb.mac=$MAC" "$S"
e2e_decode dhcp "$MAC" "$LOADER"
e2e_decode tftp "$LOADER"
e2e_finish
