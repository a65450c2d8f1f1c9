# QEMU boot profiles (sourced). Every VM runs under TCG (no KVM: on the CI machines /dev/kvm is absent
# or guests crash in it), inside the switch namespace, on its own tap, serial console to a file.
#   x86_64-uefi : q35 + OVMF (EDK2), EDK2's own virtio-net PXE (romfile= keeps iPXE's ROM out)
#   arm64-uefi  : virt + cortex-a72 (the Pi 4's core) + AAVMF (EDK2 ArmVirtQemu), EDK2 PXE/HTTP boot
# The caller provides the writable varstore (a copy of Debian's *_VARS.fd, or a rendered per-device image).

OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
AAVMF_CODE=/usr/share/AAVMF/AAVMF_CODE.fd
AAVMF_VARS=/usr/share/AAVMF/AAVMF_VARS.fd

# The pristine varstore of a profile (copy it, never boot the packaged file itself).
lab_profile_vars() {
    case $1 in x86_64-uefi) echo "$OVMF_VARS";; arm64-uefi) echo "$AAVMF_VARS";; *) lab_die "unknown profile $1";; esac
}

# Checks that QEMU and the firmware for a profile are installed; prints what is missing.
lab_profile_check() {
    local f missing=()
    case $1 in
        x86_64-uefi) for f in /usr/bin/qemu-system-x86_64 "$OVMF_CODE" "$OVMF_VARS"; do [ -e "$f" ] || missing+=("$f"); done ;;
        arm64-uefi) for f in /usr/bin/qemu-system-aarch64 "$AAVMF_CODE" "$AAVMF_VARS"; do [ -e "$f" ] || missing+=("$f"); done ;;
        *) missing+=("profile:$1") ;;
    esac
    [ ${#missing[@]} -eq 0 ] || { echo "${missing[*]}"; return 1; }
}

# Starts a VM in the background and prints its PID.
# usage: lab_vm_start PROFILE MAC TAP VARSTORE SERIAL_LOG [UUID]
lab_vm_start() {
    local profile=$1 mac=$2 tap=$3 vars=$4 serial=$5 uuid=${6:-}
    local q=()
    case $profile in
        x86_64-uefi)
            q=(qemu-system-x86_64 -M q35 -m 512
               -drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE"
               -drive "if=pflash,format=raw,file=$vars") ;;
        arm64-uefi)
            q=(qemu-system-aarch64 -M virt -cpu cortex-a72 -m 512
               -drive "if=pflash,format=raw,readonly=on,file=$AAVMF_CODE"
               -drive "if=pflash,format=raw,file=$vars") ;;
        *) lab_die "unknown profile $profile" ;;
    esac
    # a non-zero SMBIOS UUID becomes DHCP option 97 (client machine identifier)
    [ -n "$uuid" ] || uuid=$(printf '6d620000-0000-4000-8000-%s' "$(echo "$mac" | tr -d ':')")
    q+=(-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no"
        -device "virtio-net-pci,netdev=n0,mac=$mac,romfile=,bootindex=1"
        -uuid "$uuid" -accel tcg -smp 1 -nographic -vga none -monitor none -nodefaults
        -serial "file:$serial" -no-reboot)
    : > "$serial"
    ip netns exec "$LAB_NS-sw" "${q[@]}" </dev/null >"$serial.qemu.log" 2>&1 &
    echo $!
}

# Waits until PATTERN (grep -E) appears in FILE. Returns 0 when seen, 1 on timeout, 2 if process PID
# (the VM) ended first.  usage: lab_wait_for FILE PATTERN TIMEOUT_S [PID]
lab_wait_for() {
    local file=$1 pat=$2 timeout=$3 pid=${4:-} t0
    t0=$(date +%s)
    while true; do
        grep -aqE "$pat" "$file" 2>/dev/null && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            grep -aqE "$pat" "$file" 2>/dev/null && return 0
            return 2
        fi
        [ $(( $(date +%s) - t0 )) -ge "$timeout" ] && return 1
        sleep 0.2
    done
}

# Stops a VM by PID (the "power off" of the lab) and waits for it.
lab_vm_stop() {
    local pid=$1
    kill "$pid" 2>/dev/null || return 0
    local i
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
