#!/bin/bash
# Faults during a boot: each daemon is killed and restarted while an x86_64 UEFI VM netboots, and
# the boot still completes because the firmware and our iPXE script retry:
#   mb-dhcp  down when the VM starts, started after the firmware's first DISCOVER went unanswered;
#            killed (SIGKILL) and restarted after the firmware's download — iPXE must get the SAME
#            address afterwards (the lease survived)
#   mb-tftp  killed (SIGKILL) when the firmware starts DHCP, restarted 2 s later, before its request
#            (EDK2 does not survive losing a TFTP transfer midway: PXE-E99, next boot option — so
#            the kill is placed where a real restart leaves the firmware able to continue)
#   mb-http  stopped before iPXE asks for its script, restarted 4 s later (iPXE's script retries)
. "$(dirname "$0")/e2e_lib.sh"
MAC=52:54:00:6d:62:22 N=e2e-restart
e2e_need_host x86_64-uefi
e2e_need_daemons dhcp tftp http
e2e_need_content ipxe
e2e_lab_up
lab_tree_device "$TREE" "$N" x86_64-uefi "$MAC" 5
e2e_start_servers tftp http
T=$LAB_DIR/logs/$N.trace
TR=$(lab_trace_start "$N" "$T"); lab_track "$TR"
kill9() { local f=$LAB_DIR/run/$1.pid; [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; stop_svc "$1"; }

# run the boot in the background; orchestrate the faults from here
( lab_boot "$N" x86_64-uefi "$MAC" "${MB_E2E_BOOT_TIMEOUT:-200}" && echo "booted in ${LAB_BOOT_SECS}s" ) > "$LAB_DIR/logs/$N.boot" 2>&1 &
BOOT=$!

if lab_wait_for "$T" 'DHCP-Message.*Discover' 60; then
    kill9 tftp
    sleep 1; e2e_ok "firmware DISCOVER unanswered (mb-dhcp down); starting mb-dhcp; mb-tftp killed (-9)"
    e2e_start_servers dhcp
    sleep 1; e2e_start_servers tftp; e2e_ok "mb-tftp restarted"
else e2e_fail "no DISCOVER from the firmware within 60 s"; fi

if lab_wait_for "$LAB_DIR/logs/$N.serial.log" 'NBP file downloaded successfully' 60; then
    kill9 dhcp; e2e_start_servers dhcp
    stop_svc http
    e2e_ok "after the firmware's TFTP download: mb-dhcp killed (-9) and restarted, mb-http stopped"
else e2e_fail "the firmware did not download its boot file within 60 s"; fi

if lab_wait_for "$LAB_DIR/logs/$N.serial.log" 'Metal Boot iPXE: chaining' 90; then
    sleep 4; e2e_start_servers http; e2e_ok "iPXE asked for its script while mb-http was down; mb-http restarted"
else e2e_fail "iPXE never chained its script"; e2e_start_servers http; fi

wait "$BOOT"; rc=$?
cat "$LAB_DIR/logs/$N.boot"
LAB_BOOT_SECS=$(grep -o 'in [0-9.]*s' "$LAB_DIR/logs/$N.boot" | head -1)
if [ "$rc" = 0 ]; then e2e_ok "the boot completed despite the restarts: $(lab_boot_marker "$N")"
else e2e_fail "the boot did not complete (serial: $LAB_DIR/logs/$N.serial.log)"; fi
e2e_check "iPXE's script fetch failed once and was retried" grep -aq 'retrying' "$LAB_DIR/logs/$N.serial.log"
mapfile -t ips < <(grep -o 'Your-IP [0-9.]*' "$T" | awk '{print $2}' | sort -u)
if [ "${#ips[@]}" = 1 ]; then e2e_ok "every DHCP answer gave the same address ${ips[0]} (lease kept across the restart)"
else e2e_fail "addresses changed across the restart: ${ips[*]}"; fi
e2e_finish
