# The servers in the lab's server namespace (sourced). One start function per service:
#   start_dhcp TREE, start_tftp TREE, start_http TREE, start_redfish TREE   (stop_svc NAME, restart_svc NAME)
# Each runs Metal Boot's daemon ($MB_BIN/mb-<svc> --root TREE serve ...). For developing the lab before a
# daemon exists, MB_LAB_STANDIN="dhcp tftp http" swaps in dnsmasq / python http.server for the listed
# services — tests refuse stand-ins (lab_require_daemon), so a missing daemon is never a silent pass.
# Logs: $LAB_DIR/logs/<svc>.log, captures: $LAB_DIR/pcap/<svc>.pcap (the daemons' own --capture).

: "${MB_LAB_STANDIN:=}"

lab_impl() { [[ " $MB_LAB_STANDIN " == *" $1 "* ]] && echo standin || echo mb; }

# Succeeds if $MB_BIN/mb-SVC exists and its help lists VERB; otherwise prints why and fails.
lab_require_daemon() {
    local svc=$1 verb=${2:-serve} bin=${MB_BIN:-}/mb-$1
    [ -n "${MB_BIN:-}" ] || { echo "MB_BIN is not set"; return 1; }
    [ -x "$bin" ] || { echo "$bin is not built"; return 1; }
    "$bin" --help 2>&1 | grep -qE "^\s+$verb\b" || { echo "$bin has no '$verb' verb yet"; return 1; }
}

# Does the daemon's `serve` accept FLAG? (e.g. --capture)
lab_daemon_has_flag() { "$MB_BIN/mb-$1" serve --help 2>&1 | grep -q -- "$2"; }

# Command-line settings for SVC's serve verb that repeat the lab's metal-boot.yaml, for daemons whose
# serve verb takes them as flags (each is passed only if `serve --help` lists it).
lab_daemon_flags() { # SVC TREE
    local svc=$1 help f v
    help=$("$MB_BIN/mb-$svc" serve --help 2>&1)
    case $svc in
        dhcp) set -- --mode full --pool "$MB_LAB_NET.0/24,$MB_LAB_NET.100,$MB_LAB_NET.150" --lease-time 600 \
                  --http-base-url "http://$MB_LAB_SRV_IP:$MB_LAB_HTTP_PORT" --interface srv0 \
                  --arm64-boot-file "$(lab_arm64_loader "$2")" ;;
        *) set -- ;;
    esac
    while [ $# -ge 2 ]; do
        f=$1 v=$2; shift 2
        grep -q -- "$f\b" <<<"$help" && printf '%s\n%s\n' "$f" "$v"
    done
}

# Runs the daemon SVC in the server namespace in the background; records its PID.
lab_start_daemon() {
    local svc=$1 tree=$2; shift 2
    local args=(--root "$tree" --log-level debug serve)
    lab_daemon_has_flag "$svc" --capture && args+=(--capture "$LAB_DIR/pcap/mb-$svc.pcap")
    local extra
    mapfile -t extra < <(lab_daemon_flags "$svc" "$tree")
    args+=("${extra[@]}")
    ip netns exec "$LAB_NS-srv" "$MB_BIN/mb-$svc" "${args[@]}" "$@" >>"$LAB_DIR/logs/$svc.log" 2>&1 &
    local pid=$!
    echo "$pid" > "$LAB_DIR/run/$svc.pid"
    lab_track "$pid"
}

start_dhcp() {
    local tree=$1
    if [ "$(lab_impl dhcp)" = mb ]; then lab_start_daemon dhcp "$tree"; return; fi
    # stand-in: dnsmasq as a full DHCP server with the boot-file choices mb-dhcp makes
    cat > "$LAB_DIR/run/dnsmasq-dhcp.conf" <<C
port=0
interface=srv0
bind-interfaces
user=root
dhcp-range=$MB_LAB_NET.100,$MB_LAB_NET.150,255.255.255.0,10m
dhcp-leasefile=$LAB_DIR/run/dnsmasq.leases
dhcp-authoritative
no-ping
log-dhcp
log-facility=$LAB_DIR/logs/dhcp.log
dhcp-userclass=set:ipxe,iPXE
dhcp-match=set:ipxe,175
dhcp-match=set:efi64,option:client-arch,7
dhcp-match=set:arm64,option:client-arch,11
dhcp-boot=tag:!nopxe,tag:!ipxe,tag:efi64,ipxe.efi,,$MB_LAB_SRV_IP
dhcp-boot=tag:!nopxe,tag:!ipxe,tag:arm64,$(lab_arm64_loader "$tree"),,$MB_LAB_SRV_IP
dhcp-boot=tag:!nopxe,tag:ipxe,http://$MB_LAB_SRV_IP:$MB_LAB_HTTP_PORT/boot.ipxe
C
    # devices with netboot.allow_pxe: false get a plain lease
    local f
    for f in "$tree"/devices/*.yaml; do
        grep -q '^  allow_pxe: false' "$f" 2>/dev/null || continue
        echo "dhcp-host=$(sed -n 's/^mac: //p' "$f"),set:nopxe" >> "$LAB_DIR/run/dnsmasq-dhcp.conf"
    done
    ip netns exec "$LAB_NS-srv" dnsmasq -k -C "$LAB_DIR/run/dnsmasq-dhcp.conf" --pid-file= >>"$LAB_DIR/logs/dhcp.log" 2>&1 &
    echo $! > "$LAB_DIR/run/dhcp.pid"; lab_track "$!"
}

start_tftp() {
    local tree=$1
    if [ "$(lab_impl tftp)" = mb ]; then lab_start_daemon tftp "$tree"; return; fi
    ip netns exec "$LAB_NS-srv" dnsmasq -k --port=0 --user=root --interface=srv0 --bind-interfaces --pid-file= \
        --enable-tftp --tftp-root="$tree/tftp" --log-facility="$LAB_DIR/logs/tftp.log" >>"$LAB_DIR/logs/tftp.log" 2>&1 &
    echo $! > "$LAB_DIR/run/tftp.pid"; lab_track "$!"
}

start_http() {
    local tree=$1
    if [ "$(lab_impl http)" = mb ]; then lab_start_daemon http "$tree"; return; fi
    # stand-in: static files; per-device scripts pre-rendered by the lab into http/boot/<mac>.ipxe
    printf '#!ipxe\nchain http://%s:%s/boot/${mac:hexhyp}.ipxe\n' "$MB_LAB_SRV_IP" "$MB_LAB_HTTP_PORT" > "$tree/http/boot.ipxe"
    ip netns exec "$LAB_NS-srv" python3 -u -m http.server "$MB_LAB_HTTP_PORT" --bind "$MB_LAB_SRV_IP" \
        --directory "$tree/http" >>"$LAB_DIR/logs/http.log" 2>&1 &
    echo $! > "$LAB_DIR/run/http.pid"; lab_track "$!"
}

start_redfish() {
    local tree=$1
    [ "$(lab_impl redfish)" = mb ] || lab_die "there is no stand-in for mb-redfish"
    lab_start_daemon redfish "$tree"
}

stop_svc() {
    local f=$LAB_DIR/run/$1.pid pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f"); rm -f "$f"
    kill "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

restart_svc() { stop_svc "$1"; "start_$1" "$2"; }

# Waits until something listens on PROTO PORT in the server namespace.  usage: lab_wait_port udp 67
lab_wait_port() {
    local proto=$1 port=$2 i
    for i in $(seq 1 100); do
        ip netns exec "$LAB_NS-srv" ss -lnH "--$proto" "sport = :$port" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    return 1
}
