# One bounded network boot of one VM, end to end (sourced).
# usage: lab_boot NAME PROFILE MAC TIMEOUT_S [VARSTORE]
#   Adds tap <NAME>, captures it to $LAB_DIR/pcap/<NAME>.pcap, boots PROFILE with MAC, waits for the
#   payload marker on the serial console ($LAB_DIR/logs/<NAME>.serial.log), then stops VM and capture.
#   VARSTORE: the VM's writable varstore (default: a fresh copy of the profile's pristine one).
#   Sets LAB_BOOT_SECS (VM start -> marker) and LAB_BOOT_STATUS (PASS|TIMEOUT|VM-EXITED).
MB_LAB_MARKER='MB-LAB-MARKER payload up'

lab_boot() {
    local name=$1 profile=$2 mac=$3 timeout=$4 vars=${5:-}
    local serial=$LAB_DIR/logs/$name.serial.log pcap=$LAB_DIR/pcap/$name.pcap cap vm t0 rc
    ip -n "$LAB_NS-sw" link show "$name" >/dev/null 2>&1 || lab_add_tap "$name"
    if [ -z "$vars" ]; then
        vars=$LAB_DIR/run/$name.vars.fd
        cp "$(lab_profile_vars "$profile")" "$vars"
    fi
    cap=$(lab_capture_start "$name" "$pcap"); lab_track "$cap"
    t0=$(lab_now)
    vm=$(lab_vm_start "$profile" "$mac" "$name" "$vars" "$serial"); lab_track "$vm"
    lab_wait_for "$serial" "$MB_LAB_MARKER" "$timeout" "$vm"; rc=$?
    LAB_BOOT_SECS=$(lab_since "$t0")
    case $rc in 0) LAB_BOOT_STATUS=PASS;; 1) LAB_BOOT_STATUS=TIMEOUT;; *) LAB_BOOT_STATUS=VM-EXITED;; esac
    # the payload powers off by itself; give it a moment, then make sure
    lab_wait_for /dev/null x 3 "$vm" || true
    lab_vm_stop "$vm"
    lab_capture_stop "$cap"
    [ "$rc" = 0 ]
}

# The marker line of a boot (for reports).
lab_boot_marker() { grep -a -m1 "$MB_LAB_MARKER" "$LAB_DIR/logs/$1.serial.log" | tr -d '\r'; }
