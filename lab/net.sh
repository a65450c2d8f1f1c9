# Lab network (sourced): two network namespaces joined by a veth pair, nothing connected to the host.
#   $LAB_NS-sw  : bridge br0 (no IP, no STP, no forward delay) + one tap per VM; QEMU runs here
#   $LAB_NS-srv : the servers under test on srv0 = $MB_LAB_SRV_IP/24 (IPv4 only)
# LAB_NS must be unique per run (lab_net_up sets mblab-<pid> unless given). lab_net_down deletes both
# namespaces, which removes every interface in them.

lab_ns_sw() { echo "$LAB_NS-sw"; }
lab_ns_srv() { echo "$LAB_NS-srv"; }
# Runs a command inside the server namespace.
lab_srv() { ip netns exec "$LAB_NS-srv" "$@"; }
# Runs a command inside the switch namespace (where QEMU's taps live).
lab_sw() { ip netns exec "$LAB_NS-sw" "$@"; }

lab_net_up() {
    : "${LAB_NS:=mblab-$$}"
    export LAB_NS
    [ -d /sys/class/net ] || lab_die "no /sys/class/net"
    ip netns add "$LAB_NS-sw" || lab_die "cannot create network namespace $LAB_NS-sw (root and CONFIG_NET_NS needed)"
    ip netns add "$LAB_NS-srv" || { ip netns del "$LAB_NS-sw"; lab_die "cannot create network namespace $LAB_NS-srv"; }
    local ns
    for ns in "$LAB_NS-sw" "$LAB_NS-srv"; do
        ip -n "$ns" link set lo up
        # IPv4 only: captures then hold only the boot traffic we look at
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    done
    ip -n "$LAB_NS-sw" link add br0 type bridge
    ip -n "$LAB_NS-sw" link set br0 type bridge stp_state 0 forward_delay 0
    ip -n "$LAB_NS-sw" link set br0 up
    ip link add sw-srv netns "$LAB_NS-sw" type veth peer name srv0 netns "$LAB_NS-srv"
    ip -n "$LAB_NS-sw" link set sw-srv master br0 up
    ip -n "$LAB_NS-srv" addr add "$MB_LAB_SRV_IP/24" dev srv0
    ip -n "$LAB_NS-srv" link set srv0 up
}

# Adds tap device <name> (e.g. tap0) to the bridge; QEMU opens it from inside the switch namespace.
lab_add_tap() {
    ip -n "$LAB_NS-sw" tuntap add dev "$1" mode tap
    ip -n "$LAB_NS-sw" link set "$1" master br0 up
}

lab_net_down() {
    [ -n "${LAB_NS:-}" ] || return 0
    local ns pid
    for ns in "$LAB_NS-sw" "$LAB_NS-srv"; do
        [ -e "/run/netns/$ns" ] || continue
        # anything still running inside (a daemon we lost track of) is ours: stop it by PID
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
}

# Removes namespaces of earlier lab runs whose owning process is gone (names mblab-<pid>-*).
lab_net_reap_stale() {
    local f pid
    for f in /run/netns/mblab-*-sw /run/netns/mblab-*-srv; do
        [ -e "$f" ] || continue
        pid=${f#/run/netns/mblab-}; pid=${pid%%-*}
        [[ $pid =~ ^[0-9]+$ ]] || continue
        kill -0 "$pid" 2>/dev/null && continue
        local p
        for p in $(ip netns pids "$(basename "$f")" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
        ip netns del "$(basename "$f")" 2>/dev/null || true
    done
}
