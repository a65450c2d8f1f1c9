# Packet capture on a VM's tap (sourced). tcpdump runs in the switch namespace with --immediate-mode
# (without it the last seconds of a boot are lost when the capture stops).

# usage: lab_capture_start IFACE PCAP -> prints tcpdump's PID once it is listening
lab_capture_start() {
    local ifc=$1 pcap=$2 i
    ip netns exec "$LAB_NS-sw" tcpdump -i "$ifc" --immediate-mode -U -n -s 0 -Z root -w "$pcap" >"$pcap.log" 2>&1 &
    local pid=$!
    for i in $(seq 1 50); do grep -q listening "$pcap.log" 2>/dev/null && break; sleep 0.1; done
    echo "$pid"
}

lab_capture_stop() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
