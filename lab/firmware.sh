# Per-device UEFI varstores for lab VMs (sourced).
# Debian's AAVMF_VARS.fd is all zeros (EDK2 formats it on first boot), so the base image that
# per-device stores are rendered from is made once by letting AAVMF format a store, and cached.
# The formatting VM has a virtio-net NIC at the slot lab VMs use (00:01.0) but no network behind
# it: EDK2 then records its own PXE/HTTP boot options in the store, and a boot override rendered
# from this base (mb-redfish, mb-efivars) copies their full device path (PciRoot/Pci/MAC/IPv4).

# Prints the path of a formatted AAVMF varstore (64 MiB, NvData FV at 0), creating it if needed.
lab_aavmf_base() {
    local out=$MB_LAB_CACHE/firmware/AAVMF_VARS.formatted-nic.fd
    if [ -s "$out" ]; then echo "$out"; return 0; fi
    mkdir -p "$(dirname "$out")"
    local tmp=$out.tmp.$$ pid i
    cp "$AAVMF_VARS" "$tmp"
    # a NIC without a network and no disk: the firmware formats the store during DXE, adds boot
    # options for the NIC and tries them (BdsDxe on the console = the options are stored)
    qemu-system-aarch64 -M virt -cpu cortex-a72 -m 256 -accel tcg -nodefaults -nographic -vga none -monitor none \
        -serial "file:$tmp.serial" -net none -device virtio-net-pci,mac=52:54:00:6d:62:ff,romfile= \
        -drive "if=pflash,format=raw,readonly=on,file=$AAVMF_CODE" -drive "if=pflash,format=raw,file=$tmp" \
        </dev/null >/dev/null 2>&1 &
    pid=$!
    # "_FVH" at offset 0x28 = the firmware volume header the variable driver writes
    for i in $(seq 1 300); do
        [ "$(dd if="$tmp" bs=1 skip=40 count=4 2>/dev/null | tr -d '\0')" = _FVH ] && grep -aq 'BdsDxe\|Shell>' "$tmp.serial" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    sleep 1
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    [ "$(dd if="$tmp" bs=1 skip=40 count=4 2>/dev/null | tr -d '\0')" = _FVH ] || { rm -f "$tmp" "$tmp.serial"; lab_die "AAVMF did not format its varstore"; }
    mv "$tmp" "$out"; rm -f "$tmp.serial"
    echo "$out"
}

# Renders device MAC's varstore from TREE/firmware/<mac>.json onto the tree's base image, into OUT.
# Uses `mb-efivars render`; without it (efi branch not landed) the VM boots the plain base store and
# this says so on stderr.  usage: lab_render_varstore TREE MAC OUT [boot]
#   boot: this render is the device's power-on (mb-efivars render --for-boot consumes BootNext, a
#   Redfish Once override); without it the render only shows what the device would get.
lab_render_varstore() {
    local tree=$1 mac=$2 out=$3 for_boot=${4:-} base
    base=$tree/firmware/AAVMF_VARS.fd
    [ -s "$base" ] || cp "$(lab_aavmf_base)" "$base"
    if [ -n "${MB_BIN:-}" ] && [ -x "$MB_BIN/mb-efivars" ] && "$MB_BIN/mb-efivars" --help 2>&1 | grep -qE '^\s+render\b'; then
        local boot_flag=
        [ "$for_boot" = boot ] && "$MB_BIN/mb-efivars" render --help 2>&1 | grep -q -- --for-boot && boot_flag=--for-boot
        "$MB_BIN/mb-efivars" --root "$tree" render --mac "$mac" --base "$base" -o "$out" $boot_flag
    else
        echo "lab: mb-efivars render is not available: $mac boots the unrendered base varstore" >&2
        cp "$base" "$out"
    fi
}
