# Steps of demo/run-demo.sh (sourced). Output: short lines for a newcomer; details go to files
# under $MB_DEMO_DIR (logs/, pcap/, tree/).

DEMO_STEP=0
step() { DEMO_STEP=$((DEMO_STEP + 1)); printf '\n\033[1m%d. %s\033[0m\n' "$DEMO_STEP" "$*"; }
say() { printf '   %s\n' "$*"; }
warn() { printf '   \033[33m! %s\033[0m\n' "$*"; }
cmd() { printf '   \033[2m$ %s\033[0m\n' "$*"; }

DEMO_TOOLS=(mb-dhcp mb-tftp mb-http mb-redfish mb-efivars)

demo_prepare() {
    bash "$SRC/packaging/install-deps.sh" 2>&1 | grep -v '^debconf:' | sed 's/^/   /'
    [ "${PIPESTATUS[0]}" = 0 ] || { warn "installing packages failed"; return 1; }
    local need=() t
    for t in "${DEMO_TOOLS[@]}"; do
        [ -d "$SRC/tools/$t" ] && [ ! -x "$MB_BIN/$t" -o "$SRC/tools/$t" -nt "$MB_BIN/$t" ] && need+=("$t")
    done
    if [ ${#need[@]} -gt 0 ]; then
        say "building ${need[*]} (first time: several minutes on 2 cores)"
        { [ -f "$MB_BUILD_DIR/build.ninja" ] || cmake -S "$SRC" -B "$MB_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo; } >/dev/null &&
            ninja -C "$MB_BUILD_DIR" -j "$(nproc)" "${need[@]}" > "$MB_BUILD_DIR/demo-build.log" 2>&1 ||
            { warn "build failed, see $MB_BUILD_DIR/demo-build.log"; return 1; }
    fi
    for t in "${DEMO_TOOLS[@]}"; do
        [ -x "$MB_BIN/$t" ] || warn "$t is not part of this checkout yet"
    done
    say "boot payload (Debian kernel + busybox initramfs, x86_64 and arm64): $(bash "$SRC/lab/payload.sh")"
    local ipxe
    if [ -z "$(lab_ipxe_dir)" ]; then say "building iPXE for x86_64 and arm64 from Debian's source (first time: ~10 min on 2 cores)"; fi
    if ipxe=$(bash "$SRC/lab/build-ipxe.sh" 2>"$MB_DEMO_DIR.ipxe-build.log"); then
        say "iPXE with our embedded script: $ipxe"
    else
        warn "iPXE build failed ($MB_DEMO_DIR.ipxe-build.log): x86_64 uses Debian's ipxe.efi, arm64 Debian's netboot GRUB"
        say "arm64 netboot GRUB (Debian grub-efi-arm64-bin): $(bash "$SRC/lab/grub.sh")"
    fi
}

# Remove a previous demo's namespaces, processes and files.
demo_clean_quiet() {
    local ns
    if [ -f "$MB_DEMO_DIR/namespace" ]; then
        ns=$(cat "$MB_DEMO_DIR/namespace")
        LAB_NS=$ns lab_net_down
    fi
    lab_net_reap_stale
    rm -rf "${MB_DEMO_DIR:?}"
}

demo_clean() {
    demo_clean_quiet
    rm -f "$MB_DEMO_DIR.ipxe-build.log"
    echo "demo-clean: removed $MB_DEMO_DIR and the demo's network namespaces"
    if [ "${1:-}" = --all ]; then
        rm -rf "${MB_LAB_CACHE:?}"
        rm -f /etc/apt/sources.list.d/metal-boot-lab-src.sources
        echo "demo-clean: removed the payload/iPXE cache $MB_LAB_CACHE and the deb-src entry"
    else
        echo "demo-clean: kept the download/build cache $MB_LAB_CACHE (remove it with: bash demo/run-demo.sh --clean --all)"
    fi
}

demo_config_check() {
    local t
    for t in mb-http mb-efivars mb-tftp mb-redfish mb-dhcp; do
        [ -x "$MB_BIN/$t" ] && "$MB_BIN/$t" --help 2>&1 | grep -qE '^\s+config\b' || continue
        cmd "$t --root $TREE config check"
        "$MB_BIN/$t" --root "$TREE" config check 2>&1 | sed 's/^/   /'
        return
    done
}

# Metal Boot's daemons where built; a stand-in (loudly) where a daemon is not in this checkout yet.
demo_start_daemons() {
    local svc why
    DEMO_REDFISH=0
    for svc in dhcp tftp http redfish; do
        if why=$(lab_require_daemon "$svc" serve); then
            start_"$svc" "$TREE"
            say "mb-$svc serving (log: logs/$svc.log)"
            [ "$svc" = redfish ] && DEMO_REDFISH=1
        elif [ "$svc" = redfish ]; then
            warn "mb-redfish: $why — powering VMs with lab/power.sh (the command the PoE driver runs) instead"
        else
            warn "mb-$svc: $why — using a stand-in ($( [ "$svc" = http ] && echo 'python3 http.server' || echo dnsmasq)) for $svc"
            MB_LAB_STANDIN="$MB_LAB_STANDIN $svc"
            start_"$svc" "$TREE"
        fi
    done
    lab_wait_port udp 67 && lab_wait_port udp 69 && lab_wait_port tcp "$MB_LAB_HTTP_PORT" ||
        { warn "a server did not come up; see $LAB_DIR/logs"; return 1; }
    if [ "$DEMO_REDFISH" = 1 ]; then lab_wait_port tcp "$MB_LAB_REDFISH_PORT" || { warn "mb-redfish did not come up"; DEMO_REDFISH=0; }; fi
}

demo_capture() { local p; p=$(lab_capture_start "$1" "$LAB_DIR/pcap/$1.pcap"); lab_track "$p"; }

declare -A DEMO_T0 DEMO_MARK
# usage: demo_power NAME On|ForceOff|PowerCycle
demo_power() {
    local name=$1 what=$2 mac
    mac=$(sed -n 's/^mac: //p' "$TREE"/devices/*.yaml | while read -r m; do
        grep -q "^name: $name\$" "$TREE/devices/$(lab_dashed "$m").yaml" && echo "$m"; done)
    [ "$what" = On ] && DEMO_T0[$name]=$(lab_now)
    if [ "$DEMO_REDFISH" = 1 ]; then
        cmd "curl -sk -u $MB_LAB_REDFISH_USER:*** -X POST $(lab_rf_url "/redfish/v1/Systems/$name/Actions/ComputerSystem.Reset") -d '{\"ResetType\":\"$what\"}'"
        lab_rf_reset "$name" "$what" && say "→ HTTP $LAB_RF_STATUS" || warn "Reset $what: HTTP $LAB_RF_STATUS"
    else
        local a; case $what in On) a=on;; ForceOff) a=off;; *) a=cycle;; esac
        cmd "lab/power.sh $a $mac"
        bash "$LAB_LIB/power.sh" --lab "$LAB_DIR" "$a" "$mac" >/dev/null
    fi
}

demo_show_power() {
    [ "$DEMO_REDFISH" = 1 ] || return 0
    cmd "curl -sk -u $MB_LAB_REDFISH_USER:*** $(lab_rf_url "/redfish/v1/Systems/$1") | jq .PowerState"
    # PowerState is null until mb-redfish's background reader has read the port once
    local st i
    for i in $(seq 1 25); do
        st=$(lab_rf_get_field "/redfish/v1/Systems/$1" PowerState)
        [ -n "$st" ] && [ "$st" != None ] && break
        sleep 0.2
    done
    say "→ \"$st\""
}

demo_wait_power() {
    [ "$DEMO_REDFISH" = 1 ] || return 0
    if lab_rf_wait_power "$1" "$2" 30; then say "PowerState of $1: $2"; else warn "PowerState of $1 is ${LAB_RF_LAST_POWER:-?}, not $2"; fi
}

demo_wait_marker() {
    local name=$1 pat=$2
    if lab_wait_for "$LAB_DIR/logs/$name.serial.log" "$pat" "${MB_DEMO_BOOT_TIMEOUT:-240}"; then
        lab_since "${DEMO_T0[$name]}" > "$LAB_DIR/run/$name.marker-secs"
        return 0
    fi
    warn "$name: no '$pat' on its serial console within ${MB_DEMO_BOOT_TIMEOUT:-240}s ($LAB_DIR/logs/$name.serial.log)"
    return 1
}

demo_walk() {
    local name=$1 what=$2 secs
    secs=$(cat "$LAB_DIR/run/$name.marker-secs" 2>/dev/null)
    printf '\n   %s — %s, marker after %ss:\n' "$name" "$what" "${secs:-?}"
    lab_timeline "$LAB_DIR/pcap/$name.pcap" "$LAB_DIR/logs/$name.serial.log" "${DEMO_T0[$name]}" \
        "$(sed -n 's/^mac: //p' "$TREE/devices/"*.yaml | while read -r m; do grep -q "^name: $name\$" "$TREE/devices/$(lab_dashed "$m").yaml" && echo "$m"; done)" "$secs" | sed 's/^/ /'
}

demo_boot_override() {
    local name=$1 mac=$2 d json before_json before_fd after_fd vars
    d=$(lab_dashed "$mac"); json=$TREE/firmware/$d.json; vars=$LAB_DIR/run/$name.vars.fd
    before_json=$LAB_DIR/run/$d.before.json; before_fd=$LAB_DIR/run/$name.rendered-before.fd
    after_fd=$LAB_DIR/run/$name.rendered-after.fd
    if [ "$DEMO_REDFISH" != 1 ]; then warn "needs mb-redfish; skipped"; return; fi
    cp "$json" "$before_json"
    lab_render_varstore "$TREE" "$mac" "$before_fd" 2>/dev/null
    cmd "curl -sk -u $MB_LAB_REDFISH_USER:*** -X PATCH $(lab_rf_url "/redfish/v1/Systems/$name") -d '{\"Boot\":{\"BootSourceOverrideTarget\":\"Pxe\",\"BootSourceOverrideEnabled\":\"Once\"}}'"
    lab_rf PATCH "/redfish/v1/Systems/$name" '{"Boot": {"BootSourceOverrideTarget": "Pxe", "BootSourceOverrideEnabled": "Once"}}' >/dev/null
    say "→ HTTP $LAB_RF_STATUS; Boot: target $(lab_rf_get_field "/redfish/v1/Systems/$name" Boot.BootSourceOverrideTarget), enabled $(lab_rf_get_field "/redfish/v1/Systems/$name" Boot.BootSourceOverrideEnabled)"
    say "the rendered firmware of $name (base AAVMF store + firmware/$d.json), before → after:"
    lab_render_varstore "$TREE" "$mac" "$after_fd" 2>/dev/null
    cmd "mb-efivars --root tree render --mac $mac --base tree/firmware/AAVMF_VARS.fd -o $(basename "$after_fd")"
    demo_diff_vars "$before_fd" "$after_fd"
    say "power-cycle: the PoE command driver renders the VM's varstore the same way at power-on"
    demo_power "$name" ForceOff; demo_wait_power "$name" Off
    demo_power "$name" On; demo_wait_power "$name" On
    demo_wait_marker "$name" "MB-LAB-MARKER holding" >/dev/null
    say "what the VM's EDK2 did with it (serial console):"
    grep -a 'BdsDxe: \(loading\|failed to load\)' "$LAB_DIR/logs/$name.serial.log" | head -2 | tr -d '\r' |
        sed 's/\x1b\[[0-9;=]*[a-zA-Z]//g; s/.*BdsDxe/BdsDxe/' | cut -c1-150 | sed 's/^/     /'
    demo_power "$name" ForceOff; demo_wait_power "$name" Off
}

# Redfish virtual media on an arm64 VM: InsertMedia of an ISO URL on its BMC Manager, boot override
# Cd once, power on: EDK2 HTTP-boots the ISO into a RAM disk and boots it like a CD; then eject.
demo_virtual_media() {
    local name=$1 mac=$2 iso url cd
    cd=/redfish/v1/Managers/$name/VirtualMedia/Cd
    if [ "$DEMO_REDFISH" != 1 ]; then warn "needs mb-redfish; skipped"; return; fi
    iso=$(bash "$SRC/lab/iso.sh" 2>"$LAB_DIR/logs/iso.log") || { warn "lab/iso.sh could not build the ISO (logs/iso.log); skipped"; return; }
    mkdir -p "$TREE/http/vmedia"
    cp "$iso" "$TREE/http/vmedia/$name.iso"
    url=http://$MB_LAB_SRV_IP:$MB_LAB_HTTP_PORT/vmedia/$name.iso
    say "an ISO (El Torito EFI: GRUB + kernel + initrd, lab/iso.sh) served by mb-http at $url"
    cmd "curl -sk -u $MB_LAB_REDFISH_USER:*** -X POST $(lab_rf_url "$cd/Actions/VirtualMedia.InsertMedia") -d '{\"Image\":\"$url\"}'"
    lab_rf POST "$cd/Actions/VirtualMedia.InsertMedia" "{\"Image\": \"$url\"}" >/dev/null
    say "→ HTTP $LAB_RF_STATUS; $cd: Inserted $(lab_rf_get_field "$cd" Inserted), ImageName $(lab_rf_get_field "$cd" ImageName)"
    cmd "curl -sk -u $MB_LAB_REDFISH_USER:*** -X PATCH $(lab_rf_url "/redfish/v1/Systems/$name") -d '{\"Boot\":{\"BootSourceOverrideTarget\":\"Cd\",\"BootSourceOverrideEnabled\":\"Once\"}}'"
    lab_rf PATCH "/redfish/v1/Systems/$name" '{"Boot": {"BootSourceOverrideTarget": "Cd", "BootSourceOverrideEnabled": "Once"}}' >/dev/null
    say "→ HTTP $LAB_RF_STATUS; the option mb-redfish wrote into firmware/$(lab_dashed "$mac").json:"
    cmd "mb-efivars --root tree boot list --device $mac"
    "$MB_BIN/mb-efivars" --root "$TREE" boot list --device "$mac" 2>&1 | grep -E 'BootNext|Virtual CD' | cut -c1-150 | sed 's/^/     /'
    demo_power "$name" On
    if demo_wait_marker "$name" "MB-LAB-MARKER payload up.*mb\.vmedia"; then
        say "$name booted from the virtual CD in $(cat "$LAB_DIR/run/$name.marker-secs")s (serial console):"
        grep -a -E 'BdsDxe: loading|virtual CD\): booting|MB-LAB-MARKER payload up' "$LAB_DIR/logs/$name.serial.log" | tr -d '\r' |
            sed 's/\x1b\[[0-9;=]*[a-zA-Z]//g; s/.*BdsDxe/BdsDxe/' | cut -c1-150 | sed 's/^/     /'
    fi
    cmd "curl -sk -u $MB_LAB_REDFISH_USER:*** -X POST $(lab_rf_url "$cd/Actions/VirtualMedia.EjectMedia")"
    lab_rf POST "$cd/Actions/VirtualMedia.EjectMedia" >/dev/null
    say "→ HTTP $LAB_RF_STATUS; Boot: target $(lab_rf_get_field "/redfish/v1/Systems/$name" Boot.BootSourceOverrideTarget)"
    demo_power "$name" ForceOff; demo_wait_power "$name" Off
}

# Variable-level difference of two varstores/JSON files (mb-efivars diff; plain diff as fallback).
demo_diff_vars() {
    if [ -x "$MB_BIN/mb-efivars" ] && "$MB_BIN/mb-efivars" --help 2>&1 | grep -qE '^\s+diff\b'; then
        cmd "mb-efivars diff $(basename "$1") $(basename "$2")"
        "$MB_BIN/mb-efivars" diff "$1" "$2" 2>&1 | head -20 | sed 's/^/     /'
    else
        diff <(/usr/bin/python3 -m json.tool "$1" 2>/dev/null || strings -el "$1") <(/usr/bin/python3 -m json.tool "$2" 2>/dev/null || strings -el "$2") | head -20 | sed 's/^/     /'
    fi
}

demo_summary() {
    local t0=$1
    say "wall time $(( $(date +%s) - t0 )) s"
    say "config tree:     $MB_DEMO_DIR/tree"
    say "serial consoles: $MB_DEMO_DIR/logs/*.serial.log   daemon logs: $MB_DEMO_DIR/logs/{dhcp,tftp,http,redfish}.log"
    say "captures:        $MB_DEMO_DIR/pcap/ (per VM tap; mb-dhcp/mb-tftp --capture)"
    [ -x "$MB_BIN/mb-dhcp" ] && say "explain them:    $MB_BIN/mb-dhcp decode $MB_DEMO_DIR/pcap/node-x86.pcap"
    [ -n "${MB_LAB_STANDIN// /}" ] && warn "stand-ins were used for:$MB_LAB_STANDIN (those daemons are not in this checkout yet)"
    say "remove everything: make demo-clean"
}

# The demo keeps its artefacts for inspection; the lab (namespaces, daemons, VMs) is torn down.
lab_pass_keep() { MB_LAB_KEEP=1; LAB_OK=1; }
