#!/bin/bash
# x86_64 UEFI (OVMF) network boot through Metal Boot: firmware PXE → mb-dhcp → mb-tftp (ipxe.efi)
# → iPXE → mb-dhcp (iPXE class: script URL) → mb-http per-device script → kernel + initrd → the
# payload's marker on the serial console. Then mb-dhcp decode / mb-tftp decode explain the captures.
. "$(dirname "$0")/e2e_lib.sh"
MAC=52:54:00:6d:62:20
e2e_need_host x86_64-uefi
e2e_need_daemons dhcp tftp http
e2e_need_content ipxe
e2e_lab_up
lab_tree_device "$TREE" e2e-x86 x86_64-uefi "$MAC" 1
e2e_start_servers dhcp tftp http

if lab_boot e2e-x86 x86_64-uefi "$MAC" "${MB_E2E_BOOT_TIMEOUT:-150}"; then
    e2e_ok "x86_64 UEFI PXE → iPXE → script → payload in ${LAB_BOOT_SECS}s: $(lab_boot_marker e2e-x86)"
else
    e2e_fail "x86_64 boot: $LAB_BOOT_STATUS after ${LAB_BOOT_SECS}s (serial: $LAB_DIR/logs/e2e-x86.serial.log)"
fi
S=$LAB_DIR/logs/e2e-x86.serial.log
e2e_check "firmware PXE got ipxe.efi from the DHCP answer" grep -aq 'NBP filename is ipxe.efi' "$S"
e2e_check "iPXE ran Metal Boot's boot loop (our build's embedded script, or the lab's TFTP retry script for Debian's iPXE)" grep -aq 'Metal Boot iPXE' "$S"
e2e_check "iPXE chained the per-device script URL" grep -aqE 'chaining http://[0-9.]+:[0-9]+/' "$S"
e2e_check "the payload booted with this device's script (mb.mac=$MAC)" grep -aq "arch=x86_64 .*mb.mac=$MAC" "$S"
e2e_decode dhcp "$MAC" 'ipxe.efi'
e2e_decode tftp "ipxe.efi"
e2e_finish
