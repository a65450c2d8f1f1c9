#!/bin/bash
# The lab's "PoE switch port": mb-poe's `command` driver runs this to power a lab VM on or off.
# usage: lab/power.sh --lab LAB_DIR on|off|cycle|status MAC
# The VM's definition is $LAB_DIR/vms/<mac-dashed>.env (written by lab_vm_define): PROFILE, TAP, NS,
# TREE, VARS, SERIAL. Power on of an arm64 VM first renders its varstore from the device's
# firmware/<mac>.json (mb-efivars), so a Redfish boot override changes what the VM's EDK2 does.
# status prints "on" or "off" (exit 0); on/off/cycle print the new state.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
. "$HERE/qemu.sh"
. "$HERE/firmware.sh"
[ "${1:-}" = --lab ] || lab_die "usage: power.sh --lab LAB_DIR on|off|cycle|status MAC"
LAB_DIR=$2; ACTION=${3:?action}; MAC=$(echo "${4:?mac}" | tr 'A-F-' 'a-f:')
DEF=$LAB_DIR/vms/$(echo "$MAC" | tr ':' '-').env
[ -f "$DEF" ] || lab_die "no lab VM with MAC $MAC ($DEF)"
. "$DEF"
LAB_NS=$NS
PIDF=$LAB_DIR/run/vm-$(echo "$MAC" | tr ':' '-').pid

running() { [ -f "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null; }

# Moves the console of the last boot to <serial>.history, so the serial log only ever shows the
# current power-on (a caller waiting for a marker never sees the previous boot's).
rotate_serial() {
    [ -s "$SERIAL" ] || return 0
    { echo "=== boot console saved $(date -u +%H:%M:%S)"; cat "$SERIAL"; } >> "$SERIAL.history"
    : > "$SERIAL"
}

power_off() {
    if running; then lab_vm_stop "$(cat "$PIDF")"; fi
    rm -f "$PIDF"
    rotate_serial
}

power_on() {
    running && return 0
    if [ "$PROFILE" = arm64-uefi ] && [ -n "${TREE:-}" ]; then
        lab_render_varstore "$TREE" "$MAC" "$VARS" boot >>"$LAB_DIR/logs/power.log" 2>&1 ||
            lab_die "rendering the varstore of $MAC failed (see $LAB_DIR/logs/power.log)"
    elif [ ! -s "$VARS" ]; then
        cp "$(lab_profile_vars "$PROFILE")" "$VARS"
    fi
    rotate_serial
    # detached: the driver's command returns at once, the VM keeps running
    local pid
    pid=$(setsid bash -c '. "$0/common.sh"; . "$0/qemu.sh"; LAB_NS=$1; lab_vm_start "$2" "$3" "$4" "$5" "$6"' \
        "$HERE" "$NS" "$PROFILE" "$MAC" "$TAP" "$VARS" "$SERIAL")
    echo "$pid" > "$PIDF"
}

case $ACTION in
    on) power_on; echo on ;;
    off) power_off; echo off ;;
    cycle) power_off; power_on; echo on ;;
    status) running && echo on || echo off ;;
    *) lab_die "unknown action $ACTION (on|off|cycle|status)" ;;
esac
