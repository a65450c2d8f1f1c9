#!/bin/bash
# A device whose record says netboot.allow_pxe: false is not netbooted: its UEFI firmware asks
# (DHCP DISCOVER with PXEClient) but no answer carries a boot file, nothing is fetched over TFTP or
# HTTP, and no payload runs. A netboot-allowed device on the same lab boots, so the lab itself works.
. "$(dirname "$0")/e2e_lib.sh"
MAC=52:54:00:6d:62:21
e2e_need_host x86_64-uefi
e2e_need_daemons dhcp tftp http
e2e_need_content ipxe
e2e_lab_up
lab_tree_device "$TREE" e2e-nopxe x86_64-uefi "$MAC" 3 false
e2e_start_servers dhcp tftp http

WAIT=${MB_E2E_NOPXE_SECS:-30}
if lab_boot e2e-nopxe x86_64-uefi "$MAC" "$WAIT"; then
    e2e_fail "the allow_pxe: false device booted the payload"
else
    e2e_ok "no payload after ${LAB_BOOT_SECS}s ($LAB_BOOT_STATUS)"
fi
S=$LAB_DIR/logs/e2e-nopxe.serial.log P=$(lab_pcap_signal "$LAB_DIR/pcap/e2e-nopxe.pcap")
disc=$(tshark -r "$P" -Y "dhcp.option.dhcp == 1 && dhcp.hw.mac_addr == $MAC && dhcp.option.vendor_class_id contains \"PXEClient\"" 2>/dev/null | wc -l)
if [ "$disc" -gt 0 ]; then e2e_ok "the firmware asked to netboot ($disc PXE DISCOVERs)"; else e2e_fail "the firmware never sent a PXE DISCOVER (lab broken?)"; fi
bootfile=$(tshark -r "$P" -Y "(dhcp.option.dhcp == 2 || dhcp.option.dhcp == 5) && (dhcp.file != \"\" || dhcp.option.bootfile_name)" 2>/dev/null | wc -l)
if [ "$bootfile" = 0 ]; then e2e_ok "no DHCP answer carried a boot file"; else e2e_fail "$bootfile DHCP answers carried a boot file"; fi
rrq=$(tshark -r "$P" -Y 'tftp.opcode == 1' 2>/dev/null | wc -l)
if [ "$rrq" = 0 ]; then e2e_ok "no TFTP request"; else e2e_fail "$rrq TFTP read requests"; fi
get=$(tshark -r "$P" -Y 'http.request' 2>/dev/null | wc -l)
if [ "$get" = 0 ]; then e2e_ok "no HTTP request"; else e2e_fail "$get HTTP requests"; fi
e2e_check "EDK2 found no NBP" bash -c "! grep -aq 'NBP filename' '$S'"
e2e_finish
